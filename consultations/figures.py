"""The supervisor's consultation figures for a day or a range of days (the hall's local dates, both
included): consultations by channel, service and result, and the call-backs due in the period, made on time
or late; and, as of now, the escalations still waiting for a level's answer (how many past their deadline)
and the answers not yet passed on."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from consultations.models import CallBack, CallBackState, Channel, Consultation, Escalation, Result
from hall.models import Hall

GENERAL = _("General question")


@dataclass
class CallBackFigures:
    due: int = 0
    on_time: int = 0
    late: int = 0
    unreachable: int = 0
    open: int = 0
    overdue: int = 0  # open and past the deadline now


@dataclass
class EscalationFigures:
    open: int = 0  # waiting for a level's answer now
    overdue: int = 0  # of those, past the level's deadline
    to_pass_on: int = 0  # answered, the citizen not told yet


@dataclass
class Figures:
    first: dt.date
    last: dt.date
    total: int = 0
    by_channel: list[tuple[str, int]] = field(default_factory=list)
    by_service: list[tuple[str, int]] = field(default_factory=list)
    by_result: list[tuple[str, int]] = field(default_factory=list)
    call_backs: CallBackFigures = field(default_factory=CallBackFigures)
    escalations: EscalationFigures = field(default_factory=EscalationFigures)


def _bounds(hall: Hall, first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(first, dt.time(), hall.tz)
    return start, dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), hall.tz)


def _counts(queryset, name: str) -> dict:
    return dict(queryset.values_list(name).annotate(n=Count("id")).order_by())


def build(hall: Hall, first: dt.date, last: dt.date, now: dt.datetime) -> Figures:
    start, end = _bounds(hall, first, last)
    consultations = Consultation.objects.filter(hall=hall).between(start, end)
    channels, results = _counts(consultations, "channel"), _counts(consultations, "result")
    services = _counts(consultations, "service")
    names = {s.pk: str(s) for s in hall.services.filter(pk__in=[pk for pk in services if pk])}
    figures = Figures(
        first=first,
        last=last,
        total=sum(channels.values()),
        by_channel=[(label, channels.get(value, 0)) for value, label in Channel.choices],
        by_result=[(label, results.get(value, 0)) for value, label in Result.choices],
        by_service=sorted(
            ((names[pk] if pk else str(GENERAL), n) for pk, n in services.items()),
            key=lambda row: (-row[1], row[0]),
        ),
    )
    figures.call_backs = _call_backs(
        CallBack.objects.filter(hall=hall, due_at__gte=start, due_at__lt=end), now
    )
    figures.escalations = escalations_now(hall, now)
    return figures


def escalations_now(hall: Hall, now: dt.datetime) -> EscalationFigures:
    escalations = Escalation.objects.filter(hall=hall)
    return EscalationFigures(
        open=escalations.open().count(),
        overdue=escalations.overdue(now).count(),
        to_pass_on=escalations.to_pass_on().count(),
    )


def _call_backs(call_backs, now: dt.datetime) -> CallBackFigures:
    result = CallBackFigures()
    for state, done_at, unreachable_at, deadline in call_backs.values_list(
        "state", "done_at", "unreachable_at", "deadline"
    ):
        result.due += 1
        if done_at is not None:
            if done_at <= deadline:
                result.on_time += 1
            else:
                result.late += 1
        elif unreachable_at is not None:
            result.unreachable += 1
        elif state == CallBackState.OPEN:
            result.open += 1
            result.overdue += deadline < now
    return result
