from django.db import IntegrityError, transaction
from django.utils import translation

from notifications.models import Notification


def record(
    *, hall, kind: str, subject_type: str, subject_id: int, phone, language: str, render, key: str = ""
):
    """Write a message to the outbox once per (subject, kind, key); `render()` runs in the citizen's language.

    Call inside the transaction of the change that causes the message, so a rollback records nothing.
    Returns the new row, or None when this message was already recorded.
    """
    with translation.override(language):
        text = str(render())
    try:
        with transaction.atomic():
            return Notification.objects.create(
                hall=hall,
                kind=kind,
                subject_type=subject_type,
                subject_id=subject_id,
                key=key,
                phone=phone,
                language=language,
                text=text,
            )
    except IntegrityError:
        return None
