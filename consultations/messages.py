"""How a call-back time reads to a citizen (the online form's choices, its confirmation page and text
message), and the text message itself. Rendered in the citizen's language; no mobile number in the text."""

import datetime as dt

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from consultations.timing import HalfDay

# One SMS part in both languages (70 Chinese characters, 160 GSM characters) with the longest hall name
# and time of day: tests/consultations/test_messages.py.
RECEIVED = gettext_lazy("[%(hall)s] We have your question (ref. %(ref)s). We will call you %(when)s.")


def _day(date: dt.date) -> str:
    """“September 30 (Wed)”, “9月30日（周三）”."""
    return _("%(month_name)s %(day)s (%(weekday)s)") % {
        "month_name": formats.date_format(date, "F"),
        "month": date.month,
        "day": date.day,
        "weekday": formats.date_format(date, "D"),
    }


def half_day_label(half: HalfDay) -> str:
    """“12月7日（周一）上午 08:30–12:00”: one choice of the form."""
    part = pgettext("half-day", "morning") if half.is_morning else pgettext("half-day", "afternoon")
    return _("%(day)s %(part)s %(start)s–%(end)s") % {
        "day": _day(half.start.date()),
        "part": part,
        "start": f"{half.start:%H:%M}",
        "end": f"{half.end:%H:%M}",
    }


def call_time(call_back) -> str:
    """When the citizen can expect the call, in the hall's zone: between its due time and its deadline on
    one day, else by the deadline."""
    tz = call_back.hall.tz
    start, end = timezone.localtime(call_back.due_at, tz), timezone.localtime(call_back.deadline, tz)
    if start.date() == end.date():
        return _("on %(day)s between %(start)s and %(end)s") % {
            "day": _day(start.date()),
            "start": f"{start:%H:%M}",
            "end": f"{end:%H:%M}",
        }
    return _("by %(day)s %(time)s") % {"day": _day(end.date()), "time": f"{end:%H:%M}"}


def received_text(call_back) -> str:
    return RECEIVED % {"hall": call_back.hall.name, "ref": call_back.pk, "when": call_time(call_back)}
