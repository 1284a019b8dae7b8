"""The window staff's console: open a counter, call, recall, serve, park, transfer and complete.

Every action is a POST that calls one service and redirects back to the counter's page, where Django
messages say what happened (or the service's refusal). Keyboard shortcuts are added by console.js.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from appointments import noshow
from hall import access as hall_access
from hall import audit
from hall.models import AuditAction, Counter, CounterAbsence
from queueing import access, calls, forecast, progress
from queueing.forms import MissingMaterialsForm, TransferForm
from queueing.models import AT_COUNTER_STATES, CounterState, Outcome, Ticket, TicketState
from queueing.services import Actor, QueueError, rules_for, waiting_items
from queueing.views import live_url, qr_svg

CALLED = gettext_lazy("Please, number %(number)s, to window %(counter)s.")
NOBODY_WAITING = gettext_lazy("Nobody is waiting for this window's services.")
RECALLED = gettext_lazy("%(number)s called again (call %(calls)s of %(limit)s).")
NO_SHOW_AFTER_CALLS = gettext_lazy("%(number)s did not come after %(calls)s calls: marked as a no-show.")
MARKED_NO_SHOW = gettext_lazy("%(number)s marked as a no-show.")
SERVING = gettext_lazy("Serving %(number)s.")
PARKED = gettext_lazy("%(number)s is fetching papers: call them back from the parked list.")
DONE = gettext_lazy("%(number)s done.")
TRANSFERRED = gettext_lazy("%(number)s sent on as %(new)s: %(target)s.")
MISSING_DONE = gettext_lazy("%(number)s completed with materials missing. Give the citizen this slip.")
COUNTER_OPENED = gettext_lazy("Window %(counter)s is open.")
COUNTER_STATES = {
    CounterState.OPEN: gettext_lazy("Window %(counter)s is open again."),
    CounterState.PAUSED: gettext_lazy("Window %(counter)s is paused: nobody is called until you resume."),
    CounterState.CLOSED: gettext_lazy("Window %(counter)s is closed."),
}
SHOWN_WAITING = 40
SHOWN_SERVED = 30


def console_actor(request) -> Actor:
    return Actor("console", user=request.user)


@login_required
def console(request):
    """Choose a counter of one's own hall."""
    staff = hall_access.own_staff(request.user)
    counters = (
        Counter.objects.active()
        .filter(hall=staff.hall)
        .select_related("session__user")
        .prefetch_related("services")
    )
    # Today's remaining absences (home visits): staff see which windows are booked out, and until when.
    now = timezone.now()
    absences = {}
    tomorrow = dt.datetime.combine(
        staff.hall.local_date(now) + dt.timedelta(days=1), dt.time(), staff.hall.tz
    )
    for absence in (
        CounterAbsence.objects.filter(hall=staff.hall)
        .overlapping(now, tomorrow)
        .prefetch_related("home_visits")
    ):
        absence.label = absence_label(absence)
        absences.setdefault(absence.counter_id, []).append(absence)
    for counter in counters:
        counter.absences_today = absences.get(counter.pk, [])
    return render(request, "queueing/console_counters.html", {"hall": staff.hall, "counters": counters})


def absent_now(counter: Counter, now: dt.datetime) -> CounterAbsence | None:
    """The absence (a home visit, say) the counter is booked out for at this moment, if any."""
    absence = (
        CounterAbsence.objects.filter(counter=counter, start__lte=now, end__gt=now)
        .prefetch_related("home_visits")
        .order_by("end")
        .first()
    )
    if absence is not None:
        absence.label = absence_label(absence)
    return absence


def absence_label(absence: CounterAbsence) -> str:
    """What the absence is for, in the reader's language where the system made it (a home visit)."""
    visits = list(absence.home_visits.all())
    if visits:
        return _("home visit no. %(number)s") % {"number": visits[0].pk}
    return absence.reason


@login_required
def counter_page(request, counter_id):
    counter = access.access_counter(request.user, counter_id)
    return render(request, "queueing/console.html", console_context(counter, request.user))


def console_context(counter: Counter, user) -> dict:
    """Everything on the counter's page, in a fixed number of queries whatever the queue's length."""
    now = timezone.now()
    hall = counter.hall
    today = hall.local_date(now)
    session = access.counter_session(counter)
    service_ids = calls.counter_services(counter)
    rules = rules_for(hall)
    current = (  # today's: a past day's ticket left at the counter is not this morning's citizen (dayend)
        Ticket.objects.filter(counter=counter, date=today, state__in=AT_COUNTER_STATES)
        .select_related("service", "owner", "booking__slot")
        .first()
    )
    queue = forecast.counter_queue(
        waiting_items(hall, today, service_ids, counter),
        services=service_ids,
        now=now,
        appointments_per_walk_in=rules.appointments_per_walk_in,
        calls_since_walk_in=session.calls_since_walk_in if session else 0,
    )
    shown = Ticket.objects.select_related("service").in_bulk([w.id for w in queue[:SHOWN_WAITING]])
    parked = (
        Ticket.objects.today(hall, today)
        .filter(state=TicketState.PARKED, service_id__in=service_ids)
        .select_related("service", "owner")
        .order_by("issued_at")
    )
    served = (
        Ticket.objects.filter(counter=counter, date=today, completed_at__isnull=False)
        .select_related("service")
        .order_by("-completed_at")[:SHOWN_SERVED]
    )
    return {
        "hall": hall,
        "counter": counter,
        "session": session,
        "working": _working(session, user),
        "taken_by": session.user if session and session.user_id not in (None, user.pk) else None,
        "current": current,
        "owner": progress.matter_owner(current) if current else None,
        "lateness": arrival_lateness(current, hall),
        "recall_limit": rules.recall_limit,
        "waiting": [shown[w.id] for w in queue[:SHOWN_WAITING] if w.id in shown],
        "waiting_count": len(queue),
        "parked": parked,
        "served": [
            (t, forecast.handling_minutes(t.serving_at or t.called_at, t.completed_at)) for t in served
        ],
        "absence": absent_now(counter, now),
        "now": now,
    }


def arrival_lateness(ticket: Ticket | None, hall) -> tuple[int, dt.datetime] | None:
    """For a booking checked in after its window: minutes late and when check-in closed for it, by the
    hall's one no-show rule (appointments/noshow.py); None for anyone on time and for walk-ins."""
    if ticket is None or ticket.booking is None:
        return None
    rule = noshow.rule_for(hall)
    minutes = rule.minutes_late(ticket.booking.slot.end, ticket.issued_at)
    return (minutes, rule.check_in_closes(ticket.booking.slot.end)) if minutes else None


def absence_warning(counter: Counter, absence: CounterAbsence) -> str:
    until = absence.end.astimezone(counter.hall.tz).strftime("%H:%M")
    return _(
        "Window %(counter)s is booked out until %(until)s (%(reason)s): the booking slots do not count it "
        "until then. You can still call, but check that its staff are not needed on the visit."
    ) % {"counter": counter.number, "until": until, "reason": absence.label}


def _working(session, user) -> bool:
    return bool(session and session.state != CounterState.CLOSED and session.user_id == user.pk)


def _back(counter: Counter):
    return redirect("queueing:counter", counter.pk)


@login_required
@require_POST
def open_counter(request, counter_id):
    counter = access.access_counter(request.user, counter_id)
    try:
        calls.open_counter(counter=counter, actor=console_actor(request))
    except QueueError as refusal:
        messages.error(request, refusal.message)
        return redirect("queueing:console")
    audit.record_request(request, action=AuditAction.COUNTER_OPENED, hall=counter.hall, obj=counter)
    messages.success(request, COUNTER_OPENED % {"counter": counter.number})
    if absence := absent_now(counter, timezone.now()):
        messages.warning(request, absence_warning(counter, absence))
    return _back(counter)


@login_required
@require_POST
def counter_state(request, counter_id):
    counter = access.access_counter(request.user, counter_id)
    state = request.POST.get("state")
    if state not in COUNTER_STATES:
        raise Http404
    try:
        access.require_working_at(counter, request.user)
        calls.set_counter_state(counter=counter, actor=console_actor(request), state=state)
    except QueueError as refusal:
        messages.error(request, refusal.message)
        return _back(counter)
    audit.record_request(request, action=audit.COUNTER_STATE_ACTIONS[state], hall=counter.hall, obj=counter)
    messages.success(request, COUNTER_STATES[state] % {"counter": counter.number})
    return redirect("queueing:console") if state == CounterState.CLOSED else _back(counter)


@login_required
@require_POST
def call_next(request, counter_id):
    counter = access.access_counter(request.user, counter_id)
    try:
        access.require_working_at(counter, request.user)
        ticket = calls.call_next(counter=counter, actor=console_actor(request))
    except QueueError as refusal:
        messages.error(request, refusal.message)
    else:
        if ticket is None:
            messages.info(request, NOBODY_WAITING)
        else:
            messages.success(request, CALLED % {"number": ticket.number, "counter": counter.number})
    return _back(counter)


@login_required
@require_POST
def call_ticket(request, counter_id, ticket_id):
    """Call a chosen waiting ticket, or a parked one back."""
    counter = access.access_counter(request.user, counter_id)
    ticket = access.access_ticket_for_counter(request.user, counter, ticket_id)
    try:
        access.require_working_at(counter, request.user)
        ticket = calls.call_ticket(counter=counter, ticket=ticket, actor=console_actor(request))
    except QueueError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, CALLED % {"number": ticket.number, "counter": counter.number})
    return _back(counter)


def _recall(ticket, actor, limit):
    ticket = calls.recall(ticket=ticket, actor=actor)
    if ticket.state == TicketState.NO_SHOW:
        return NO_SHOW_AFTER_CALLS % {"number": ticket.number, "calls": ticket.calls}
    return RECALLED % {"number": ticket.number, "calls": ticket.calls, "limit": limit}


def _no_show(ticket, actor, limit):
    return MARKED_NO_SHOW % {"number": calls.mark_no_show(ticket=ticket, actor=actor).number}


def _start(ticket, actor, limit):
    return SERVING % {"number": calls.start_serving(ticket=ticket, actor=actor).number}


def _park(ticket, actor, limit):
    return PARKED % {"number": calls.park(ticket=ticket, actor=actor).number}


def _done(ticket, actor, limit):
    return DONE % {"number": calls.complete(ticket=ticket, actor=actor, outcome=Outcome.DONE).number}


TICKET_ACTIONS = {"recall": _recall, "no-show": _no_show, "start": _start, "park": _park, "done": _done}


@login_required
@require_POST
def ticket_action(request, counter_id, ticket_id, action):
    """Recall, no-show, start serving, park or done: the ticket now at this counter."""
    if action not in TICKET_ACTIONS:
        raise Http404
    counter = access.access_counter(request.user, counter_id)
    ticket = access.access_ticket_at_counter(counter, ticket_id)
    try:
        access.require_working_at(counter, request.user)
        result = TICKET_ACTIONS[action](ticket, console_actor(request), rules_for(counter.hall).recall_limit)
    except QueueError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, result)
    return _back(counter)


@login_required
@require_http_methods(["GET", "POST"])
def transfer(request, counter_id, ticket_id):
    counter = access.access_counter(request.user, counter_id)
    ticket = access.access_ticket_at_counter(counter, ticket_id)
    form = TransferForm(request.POST if request.method == "POST" else None, ticket=ticket)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            access.require_working_at(counter, request.user)
            new = calls.transfer(
                ticket=ticket,
                actor=console_actor(request),
                service=data["service"],
                counter=data["counter"],
                note=data["note"],
            )
        except QueueError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(
                request, TRANSFERRED % {"number": ticket.number, "new": new.number, "target": _target(new)}
            )
        return _back(counter)
    return render(request, "queueing/console_transfer.html", {**_ticket_page(counter, ticket), "form": form})


def _target(ticket: Ticket) -> str:
    if ticket.for_counter is not None:
        return f"{ticket.service.name}, {ticket.for_counter}"
    return ticket.service.name


def _ticket_page(counter: Counter, ticket: Ticket) -> dict:
    return {"hall": counter.hall, "counter": counter, "ticket": ticket}


@login_required
@require_http_methods(["GET", "POST"])
def missing_materials(request, counter_id, ticket_id):
    """Complete with materials missing (一次性告知), then show the slip to print for the citizen."""
    counter = access.access_counter(request.user, counter_id)
    ticket = access.access_ticket_at_counter(counter, ticket_id)
    form = MissingMaterialsForm(request.POST if request.method == "POST" else None, ticket=ticket)
    if form.is_bound and form.is_valid():
        try:
            access.require_working_at(counter, request.user)
            calls.complete(
                ticket=ticket,
                actor=console_actor(request),
                outcome=Outcome.MATERIALS_MISSING,
                missing=list(form.cleaned_data["missing"]),
                missing_note=form.cleaned_data["missing_note"].strip(),
            )
        except QueueError as refusal:
            messages.error(request, refusal.message)
            return _back(counter)
        messages.success(request, MISSING_DONE % {"number": ticket.number})
        return redirect("queueing:slip", counter.pk, ticket.pk)
    return render(request, "queueing/console_missing.html", {**_ticket_page(counter, ticket), "form": form})


@login_required
def slip(request, counter_id, ticket_id):
    """The printable list of everything missing, handed to the citizen."""
    counter = access.access_counter(request.user, counter_id)
    ticket = access.access_ticket_at_counter(counter, ticket_id)
    if ticket.outcome != Outcome.MATERIALS_MISSING:
        raise Http404
    return render(
        request,
        "queueing/missing_slip.html",
        {
            **_ticket_page(counter, ticket),
            "missing": ticket.missing.all(),
            "owner": progress.matter_owner(ticket),
            "qr_svg": qr_svg(live_url(ticket), title=_("QR code of your ticket's live page")),
        },
    )
