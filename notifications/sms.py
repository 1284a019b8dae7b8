"""Outgoing SMS: swappable backends chosen by settings.SMS_BACKEND, like Django's EMAIL_BACKEND.

A backend's `send(message)` returns the gateway's id for the message, or raises TemporaryError (a later
attempt may succeed: timeouts, 5xx, throttling, an empty balance) or PermanentError (this message can never
be delivered: an invalid or blacklisted number, a text the gateway refuses).

Its `lookup(message, since=)` says what became of a message whose sending attempt (begun at `since`) ended
without an answer, because the worker died: the gateway took it, did not take it, or cannot tell now
(docs/notifications.md, "A worker lost in the middle of a send").
"""

import datetime as dt
import enum
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


class Answer(enum.StrEnum):
    TAKEN = "taken"
    NOT_TAKEN = "not taken"
    UNKNOWN = "cannot tell now"


@dataclass(frozen=True)
class Fate:
    """What a gateway says about one message: `gateway_id` when it took it, `detail` for the log;
    `answered` is False when the gateway could not be asked (unreachable, an error, a refused query)."""

    answer: Answer
    gateway_id: str = ""
    detail: str = ""
    answered: bool = True

    @classmethod
    def taken(cls, gateway_id: str, detail: str = "") -> "Fate":
        return cls(Answer.TAKEN, gateway_id, detail)

    @classmethod
    def not_taken(cls, detail: str = "") -> "Fate":
        return cls(Answer.NOT_TAKEN, "", detail)

    @classmethod
    def unknown(cls, detail: str) -> "Fate":
        return cls(Answer.UNKNOWN, "", detail)

    @classmethod
    def no_answer(cls, detail: str) -> "Fate":
        return cls(Answer.UNKNOWN, "", detail, answered=False)


class Backend:
    def send(self, message: Message) -> str:
        raise NotImplementedError

    def lookup(self, message: Message, *, since: dt.datetime) -> Fate:
        """A backend that cannot be asked: the sweeper waits NOTIFY_LOOKUP_PATIENCE, then sends again."""
        return Fate.unknown(f"{type(self).__name__} cannot be asked what it took")


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

    def lookup(self, message: Message, *, since: dt.datetime) -> Fate:
        # A log line reaches nobody and is kept nowhere to be asked: writing it again costs nothing.
        return Fate.not_taken("the console backend delivers nothing")


outbox: list[Message] = []


class MemoryBackend(Backend):
    """Tests: keeps every message in `notifications.sms.outbox` (cleared by the tests' fixture)."""

    def send(self, message: Message) -> str:
        outbox.append(message)
        return f"memory-{len(outbox)}"

    def lookup(self, message: Message, *, since: dt.datetime) -> Fate:
        for number, sent in enumerate(outbox, start=1):
            if sent.reference == message.reference:
                return Fate.taken(f"memory-{number}")
        return Fate.not_taken()


class DatabaseBackend(Backend):
    """Sends nothing; the outbox row is marked sent. For demos, load tests and halls without a gateway."""

    def send(self, message: Message) -> str:
        return ""

    def lookup(self, message: Message, *, since: dt.datetime) -> Fate:
        # Nothing left the building: the next attempt marks the row sent, as this one would have.
        return Fate.not_taken("the database backend delivers nothing")


def get_backend() -> Backend:
    name = settings.SMS_BACKEND
    return import_string(BACKENDS.get(name, name))()
