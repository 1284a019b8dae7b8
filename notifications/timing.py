"""When a message may go out: quiet hours, back-off and reminder times. Pure functions of their inputs."""

import datetime as dt
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class QuietHours:
    """A daily window in the hall's local time, e.g. 21:00–08:00 (it may run past midnight)."""

    start: dt.time
    end: dt.time

    @classmethod
    def parse(cls, value: str) -> "QuietHours | None":
        """ "21:00-08:00" → QuietHours; "" or "off" → None (no quiet hours)."""
        value = value.strip()
        if value.lower() in ("", "off", "none"):
            return None
        start, sep, end = value.partition("-")
        if not sep:
            raise ValueError(f"quiet hours look like 21:00-08:00, not {value!r}")
        window = cls(dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip()))
        if window.start == window.end:
            raise ValueError("quiet hours must not start and end at the same time")
        return window

    def held_until(self, now: dt.datetime, tz) -> dt.datetime | None:
        """The end of the quiet hours if `now` falls inside them, else None."""
        local = now.astimezone(tz)
        today, time = local.date(), local.time()
        if self.start < self.end:
            inside, end_day = self.start <= time < self.end, today
        elif time >= self.start:
            inside, end_day = True, today + dt.timedelta(days=1)
        else:
            inside, end_day = time < self.end, today
        return dt.datetime.combine(end_day, self.end, tzinfo=tz) if inside else None


def backoff(attempts: int, base: dt.timedelta = dt.timedelta(minutes=1)) -> dt.timedelta:
    """The wait after the n-th failed attempt: 1, 2, 4, 8 … minutes."""
    return base * (2 ** max(0, attempts - 1))


def day_before_reminder_at(slot_date: dt.date, at: dt.time, tz) -> dt.datetime:
    """When the day-before reminder for a slot on `slot_date` is due (e.g. 18:00 the day before)."""
    return dt.datetime.combine(slot_date - dt.timedelta(days=1), at, tzinfo=tz)


GSM_7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_7_EXTENSION = set("^{}\\[~]|€")  # two septets each


def segments(text: str) -> int:
    """How many SMS segments a text takes: 70 characters in one (67 per part when longer) for Chinese and
    anything else outside the GSM 7-bit alphabet, 160 (153) septets for plain Latin text."""
    if all(char in GSM_7 or char in GSM_7_EXTENSION for char in text):
        length, single, part = len(text) + sum(char in GSM_7_EXTENSION for char in text), 160, 153
    else:
        length, single, part = len(text), 70, 67
    return 1 if length <= single else math.ceil(length / part)
