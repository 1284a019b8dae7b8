"""The supervisor's closing page: extend today's hours (延时服务) and give every ticket still waiting at
closing an outcome, served after hours or a priority booking for the next open day (queueing.closing)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hall import access as hall_access
from hall import audit
from hall.api import MAX_ID
from queueing import access, closing
from queueing.forms import AfterHoursForm, ExtendClosingForm, RebookForm
from queueing.models import Ticket, TicketState
from queueing.services import QueueError


@login_required
def closing_page(request, slug, form=None, rebook_forms=None):
    hall = hall_access.supervisor_in_hall(request.user, slug).hall
    now = timezone.now()
    state = closing.closing_of(hall, now)
    rebook_forms = rebook_forms or {}
    rows = [(t, rebook_forms.get(t.pk) or RebookForm(prefix=f"t{t.pk}")) for t in state.waiting]
    context = {
        "hall": hall,
        "nav": "closing",
        "closing": state,
        "after_closing": state.closing is not None and now >= state.closing,
        "rows": rows,
        "extend_form": form or ExtendClosingForm(),
    }
    return render(request, "queueing/closing.html", context)


@login_required
@require_POST
def extend_closing(request, slug):
    hall = hall_access.supervisor_in_hall(request.user, slug).hall
    form = ExtendClosingForm(request.POST)
    if form.is_valid():
        try:
            closing.extend_closing(
                hall=hall,
                until=form.cleaned_data["until"],
                user=request.user,
                now=timezone.now(),
                ip=audit.client_ip(request),
            )
        except ValidationError as error:
            form.add_error("until", error)
        else:
            until = form.cleaned_data["until"].strftime("%H:%M")
            messages.success(request, _("The hall stays open today until %(time)s.") % {"time": until})
            return redirect("queueing:closing", slug)
    return closing_page(request, slug, form=form)


@login_required
@require_POST
def after_hours(request, slug):
    hall = hall_access.supervisor_in_hall(request.user, slug).hall
    waiting = list(Ticket.objects.today(hall, hall.local_date(timezone.now())).waiting())
    form = AfterHoursForm(request.POST, waiting=waiting)
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()) or _("Choose the tickets again."))
        return redirect("queueing:closing", slug)
    chosen = [t.pk for t in waiting] if form.cleaned_data["all"] else form.cleaned_data["tickets"]
    count = closing.serve_after_hours(hall=hall, ticket_ids=chosen, user=request.user, now=timezone.now())
    messages.success(request, _("%(count)s tickets will be served after hours.") % {"count": count})
    return redirect("queueing:closing", slug)


@login_required
@require_POST
def rebook(request, slug, ticket_id):
    hall = hall_access.supervisor_in_hall(request.user, slug).hall
    if ticket_id > MAX_ID:
        raise Http404
    ticket = access.access_ticket(request.user, ticket_id, hall_id=hall.pk)
    form = RebookForm(request.POST, prefix=f"t{ticket.pk}")
    if form.is_valid():
        data = form.cleaned_data
        details = closing.Details(data["name"].strip(), data["phone"], data["id_number"])
        try:
            booking = closing.rebook(ticket=ticket, user=request.user, now=timezone.now(), details=details)
        except QueueError as refusal:
            form.add_error(None, refusal.message)
        else:
            text = _("Ticket %(number)s: booking %(code)s on %(date)s, sent by text message.")
            messages.success(
                request, text % {"number": ticket.number, "code": booking.code, "date": booking.slot.date}
            )
            return redirect("queueing:closing", slug)
    if ticket.state != TicketState.WAITING:
        return redirect("queueing:closing", slug)
    return closing_page(request, slug, rebook_forms={ticket.pk: form})


@login_required
@require_POST
def rebook_all(request, slug):
    hall = hall_access.supervisor_in_hall(request.user, slug).hall
    booked, left = closing.rebook_all(hall=hall, user=request.user, now=timezone.now())
    messages.success(
        request, _("%(count)s priority bookings made and sent by text message.") % {"count": booked}
    )
    if left:
        numbers = ", ".join(t.number for t in left)
        messages.warning(
            request, _("Still waiting, enter their details one by one: %(numbers)s.") % {"numbers": numbers}
        )
    return redirect("queueing:closing", slug)
