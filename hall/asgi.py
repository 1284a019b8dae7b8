"""ASGI: the hall's event streams in front of Django's middleware (queueing/live_asgi.py), the rest Django."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hall.settings")
django_application = get_asgi_application()

from queueing.live_asgi import EventStreams  # noqa: E402 - the apps load in get_asgi_application()

application = EventStreams(django_application)
