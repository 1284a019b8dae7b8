"""The texts of messages to citizens about postal items and pickups. Rendered by the outbox in the
citizen's language; they carry no ID number and no mobile number."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hall.models import Weekday

WEEKDAY_SHORT = {
    0: gettext_lazy("Mon"),
    1: gettext_lazy("Tue"),
    2: gettext_lazy("Wed"),
    3: gettext_lazy("Thu"),
    4: gettext_lazy("Fri"),
    5: gettext_lazy("Sat"),
    6: gettext_lazy("Sun"),
}


def tracking_url(item) -> str:
    return settings.SITE_URL + reverse("postal:track", args=[item.token])


def pickup_url(pickup) -> str:
    return settings.SITE_URL + reverse("postal:pickup", args=[pickup.token])


def opening_hours(hall) -> str:
    """Weekly hours in one line, consecutive days with the same hours joined: "Mon-Fri 08:30-12:00,
    13:30-17:30; Sat 09:00-12:00"."""
    by_day: dict[int, tuple] = {}
    for session in hall.weekly_sessions.all():
        by_day.setdefault(session.weekday, ())
        by_day[session.weekday] += (f"{session.start:%H:%M}-{session.end:%H:%M}",)
    groups: list[list] = []  # [first day, last day, hours]
    for day in Weekday.values:
        hours = by_day.get(day)
        if hours and groups and groups[-1][1] == day - 1 and groups[-1][2] == hours:
            groups[-1][1] = day
        elif hours:
            groups.append([day, day, hours])
    parts = []
    for first, last, hours in groups:
        days = (
            str(WEEKDAY_SHORT[first])
            if first == last
            else _("%(first)s-%(last)s") % {"first": WEEKDAY_SHORT[first], "last": WEEKDAY_SHORT[last]}
        )
        parts.append(f"{days} {', '.join(sorted(hours))}")
    return "; ".join(parts)


def _postal_facts(item) -> dict:
    return {
        "hall": item.hall.name,
        "service": item.service.name,
        "reference": item.reference,
        "url": tracking_url(item),
        "phone": item.hall.consultation_phone,
        "address": item.hall.address,
        "courier": item.courier,
        "tracking": item.tracking_number,
    }


def postal_text(item) -> str:
    """The message for the state the item has just entered."""
    texts = {
        "applied": _("[%(hall)s] Application %(reference)s received. Where to post the materials: %(url)s"),
        "materials_received": _("[%(hall)s] We have received your materials (%(reference)s). Track: %(url)s"),
        "processed": _(
            "[%(hall)s] Your document (%(reference)s) is ready and will be posted soon. Track: %(url)s"
        ),
        "sent": _("[%(hall)s] Document %(reference)s sent: %(courier)s %(tracking)s. Track: %(url)s"),
        "delivered": _(
            "[%(hall)s] Your document for %(service)s (%(reference)s) has been delivered. "
            "Not received? Call %(phone)s."
        ),
        "returned": _("[%(hall)s] Document %(reference)s was returned; we will resend it. Track: %(url)s"),
        "cancelled": _("[%(hall)s] Your postal application %(reference)s for %(service)s is cancelled."),
    }
    return texts[item.state] % _postal_facts(item)


def _pickup_facts(pickup) -> dict:
    return {
        "hall": pickup.hall.name,
        "service": pickup.service.name,
        "code": pickup.code,
        "hours": opening_hours(pickup.hall),
        "url": pickup_url(pickup),
        "phone": pickup.hall.consultation_phone,
    }


def pickup_ready_text(pickup, *, reminder: bool = False) -> str:
    text = (
        _(
            "[%(hall)s] Reminder: your document for %(service)s is still waiting, pickup code %(code)s. "
            "Bring the acceptance receipt and your household register; someone collecting for you also "
            "brings their own ID card. Hours: %(hours)s. Or have it posted: %(url)s"
        )
        if reminder
        else _(
            "[%(hall)s] Your document for %(service)s is ready, pickup code %(code)s. Take a ticket for "
            "pickup at the kiosk and bring the acceptance receipt and your household register; someone "
            "collecting for you also brings their own ID card. Hours: %(hours)s. Or have it posted: %(url)s"
        )
    )
    return text % _pickup_facts(pickup)


def pickup_collected_text(pickup) -> str:
    collected = timezone.localtime(pickup.collected_at, pickup.hall.tz)
    return _(
        "[%(hall)s] Your document for %(service)s (code %(code)s) was collected on %(date)s at %(time)s. "
        "Not you? Call %(phone)s."
    ) % {**_pickup_facts(pickup), "date": collected.date().isoformat(), "time": f"{collected:%H:%M}"}
