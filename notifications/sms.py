"""Outgoing SMS: swappable backends chosen by settings.SMS_BACKEND, like Django's EMAIL_BACKEND.

A backend's `send(message)` returns the gateway's id for the message, or raises TemporaryError (a later
attempt may succeed: timeouts, 5xx, throttling, an empty balance) or PermanentError (this message can never
be delivered: an invalid or blacklisted number, a text the gateway refuses).
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from hall.privacy import mask_phone
from notifications.timing import segments

log = logging.getLogger(__name__)

BACKENDS = {
    "console": "notifications.sms.ConsoleBackend",
    "memory": "notifications.sms.MemoryBackend",
    "database": "notifications.sms.DatabaseBackend",
    "aliyun": "notifications.gateways.AliyunBackend",
    "tencent": "notifications.gateways.TencentBackend",
}


class SmsError(Exception):
    """`retry_helps` tells the send job whether to try again later."""

    retry_helps = True

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


class TemporaryError(SmsError):
    retry_helps = True


class PermanentError(SmsError):
    retry_helps = False


@dataclass(frozen=True)
class Message:
    notification_id: int
    phone: object  # phonenumbers.PhoneNumber
    text: str
    kind: str
    language: str
    reference: str  # the row's idempotency key, for gateways that carry one

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class Backend:
    def send(self, message: Message) -> str:
        raise NotImplementedError


class ConsoleBackend(Backend):
    """Development: one log line per message, with the masked mobile and no text (it names the citizen's
    booking code and links)."""

    def send(self, message: Message) -> str:
        log.info(
            "SMS %s (%s, %s) to %s: %s characters in %s segment(s)",
            message.notification_id,
            message.kind,
            message.language,
            message.phone_masked,
            len(message.text),
            segments(message.text),
        )
        return f"console-{message.notification_id}"


outbox: list[Message] = []


class MemoryBackend(Backend):
    """Tests: keeps every message in `notifications.sms.outbox` (cleared by the tests' fixture)."""

    def send(self, message: Message) -> str:
        outbox.append(message)
        return f"memory-{len(outbox)}"


class DatabaseBackend(Backend):
    """Sends nothing; the outbox row is marked sent. For demos, load tests and halls without a gateway."""

    def send(self, message: Message) -> str:
        return ""


def get_backend() -> Backend:
    name = settings.SMS_BACKEND
    return import_string(BACKENDS.get(name, name))()
