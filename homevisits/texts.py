"""The text messages about a home visit. Short (an SMS part holds 70 Chinese characters); never the ID
number, the mobile or the address. Rendered in the citizen's language by notifications.services.record."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.messages import short

REQUESTED = _("[%(hall)s] Home visit for %(service)s requested; we will text you. Status: %(url)s")
SCHEDULED = _("[%(hall)s] Home visit for %(service)s approved: %(date)s %(start)s-%(end)s. Status: %(url)s")
DECLINED = _("[%(hall)s] Home visit for %(service)s declined (%(reason)s). Status: %(url)s")
CANCELLED = _("[%(hall)s] Home visit for %(service)s cancelled (%(reason)s). Status: %(url)s")
DONE = _("[%(hall)s] Home visit for %(service)s done. Thank you.")
MATERIALS_MISSING = _("[%(hall)s] Home visit for %(service)s: still missing (%(missing)s). Status: %(url)s")


def _facts(visit) -> dict:
    return {"hall": visit.hall.name, "service": visit.service.name}


def requested(visit, *, url: str) -> str:
    return REQUESTED % {**_facts(visit), "url": url}


def scheduled(visit, *, url: str) -> str:
    tz = visit.hall.tz
    start, end = timezone.localtime(visit.start, tz), timezone.localtime(visit.end, tz)
    return SCHEDULED % {
        **_facts(visit),
        "date": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "url": url,
    }


def declined(visit, *, url: str) -> str:
    return DECLINED % {**_facts(visit), "reason": short(visit.decision_note, 40), "url": url}


def cancelled(visit, *, url: str) -> str:
    return CANCELLED % {**_facts(visit), "reason": short(visit.decision_note, 40), "url": url}


def done(visit) -> str:
    return DONE % _facts(visit)


def materials_missing(visit, *, url: str) -> str:
    names = [m.name for m in visit.missing.all()]
    if visit.missing_note:
        names.append(visit.missing_note)
    return MATERIALS_MISSING % {**_facts(visit), "missing": short("; ".join(names), 60), "url": url}
