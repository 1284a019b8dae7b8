"""Erasure the hall itself owns: expired sessions, which may hold a citizen's booking draft."""

import datetime as dt

from django.contrib.sessions.models import Session
from django.utils import timezone


def erase_expired_sessions(*, now: dt.datetime | None = None) -> int:
    """Delete sessions past their expiry (Django's `clearsessions`, returning how many went)."""
    deleted, _by_model = Session.objects.filter(expire_date__lt=now or timezone.now()).delete()
    return deleted
