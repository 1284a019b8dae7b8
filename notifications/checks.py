"""Fail loudly at start-up on malformed notification settings, not at the first message."""

import datetime as dt

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from notifications.sms import BACKENDS
from notifications.timing import QuietHours


@checks.register()
def notification_settings(app_configs, **kwargs):
    errors = []
    try:
        QuietHours.parse(settings.NOTIFY_QUIET_HOURS)
    except ValueError as error:
        errors.append(checks.Error(f"NOTIFY_QUIET_HOURS: {error}", id="notifications.E001"))
    try:
        dt.time.fromisoformat(settings.NOTIFY_REMINDER_DAY_BEFORE_AT)
    except ValueError:
        errors.append(
            checks.Error("NOTIFY_REMINDER_DAY_BEFORE_AT must look like 18:00", id="notifications.E002")
        )
    try:
        import_string(BACKENDS.get(settings.SMS_BACKEND, settings.SMS_BACKEND))
    except ImportError:
        errors.append(
            checks.Error(
                f"SMS_BACKEND {settings.SMS_BACKEND!r} is neither one of {', '.join(BACKENDS)} "
                "nor an importable class",
                id="notifications.E003",
            )
        )
    return errors
