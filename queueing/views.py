"""The kiosk at the door (取号机) and the citizen's ticket: check in a booking or take a walk-in ticket,
then show, print and follow the ticket. The kiosk is public per hall for now; its 导办 mode is for staff."""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from appointments.models import Booking
from appointments.services import CODE_ALPHABET
from hall.models import Hall, Service
from queueing import access, progress, services
from queueing.forms import CheckInForm, GuideWalkInForm, WalkInForm
from queueing.models import Ticket
from queueing.services import Actor, QueueError


def posted(request):
    return request.POST if request.method == "POST" else None


def kiosk_actor(request) -> Actor:
    return Actor("kiosk", user=request.user)


def _kiosk_hall(slug: str) -> Hall:
    return get_object_or_404(Hall, slug=slug)


def kiosk(request, slug):
    return render(request, "queueing/kiosk.html", {"hall": _kiosk_hall(slug)})


@require_http_methods(["GET", "POST"])
def kiosk_check_in(request, slug):
    hall = _kiosk_hall(slug)
    form = CheckInForm(posted(request))
    late_service = another_day = None
    if form.is_bound and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            ticket = services.check_in(hall=hall, code=code, actor=kiosk_actor(request))
        except QueueError as refusal:
            if refusal.code == "not_today":
                another_day = refusal.message  # nothing was filled in wrong: the day is not today
            else:
                form.add_error("code", refusal.message)
            if refusal.code in ("too_late", "not_today"):
                late_service = _booked_service(hall, code)
        else:
            return redirect("queueing:kiosk_ticket", hall.slug, ticket.token)
    context = {
        "hall": hall,
        "form": form,
        "late_service": late_service,
        "another_day": another_day,
        "keys": CODE_ALPHABET,
    }
    return render(request, "queueing/kiosk_check_in.html", context)


def _booked_service(hall: Hall, code: str) -> Service | None:
    booking = Booking.objects.select_related("service").filter(hall=hall, code=code).first()
    if booking and services.walk_in_possible(service=booking.service):
        return booking.service
    return None


@require_http_methods(["GET", "POST"])
def kiosk_walk_in(request, slug):
    hall = _kiosk_hall(slug)
    form = WalkInForm(posted(request), hall=hall)
    if form.is_bound and form.is_valid() and (issued := _issue_walk_in(request, hall, form)):
        return issued
    services_offered = list(form.fields["service"].queryset)
    return render(
        request, "queueing/kiosk_walk_in.html", {"hall": hall, "form": form, "services": services_offered}
    )


@login_required
@require_http_methods(["GET", "POST"])
def kiosk_guide(request, slug):
    """导办 mode: staff at the door issue a ticket with the green channel, ID number or mobile."""
    hall = access.get_hall_for_staff(request.user, slug)
    form = GuideWalkInForm(posted(request), hall=hall)
    if form.is_bound and form.is_valid() and (issued := _issue_walk_in(request, hall, form)):
        return issued
    return render(request, "queueing/kiosk_guide.html", {"hall": hall, "form": form})


def _issue_walk_in(request, hall: Hall, form: WalkInForm):
    """Issue and redirect to the ticket; on a refusal put the reason on the form and return None."""
    data = form.cleaned_data
    extra = {key: data[key] for key in ("green_channel", "id_number", "phone") if data.get(key)}
    try:
        ticket = services.issue_walk_in(
            hall=hall, service=data["service"], actor=kiosk_actor(request), language=get_language(), **extra
        )
    except QueueError as refusal:
        if refusal.ticket is None:
            form.add_error("service", refusal.message)
            return None
        messages.info(request, refusal.message)  # the same person again: show the ticket to reprint
        ticket = refusal.ticket
    return redirect("queueing:kiosk_ticket", hall.slug, ticket.token)


def kiosk_ticket(request, slug, token):
    ticket = access.get_ticket_by_token(token, hall_slug=slug)
    return render(request, "queueing/kiosk_ticket.html", ticket_context(ticket))


def ticket_print(request, token):
    ticket = access.get_ticket_by_token(token)
    return render(request, "queueing/ticket_print.html", ticket_context(ticket))


def ticket_context(ticket: Ticket) -> dict:
    seat = ticket.seat.split("-") if ticket.seat else None
    return {
        "ticket": ticket,
        "hall": ticket.hall,
        "progress": progress.ticket_progress(ticket, timezone.now()),
        "seat_row": seat[0] if seat else "",
        "seat_number": seat[1] if seat else "",
        "qr_svg": qr_svg(live_url(ticket), title=_("QR code of your ticket's live page")),
    }


def live_url(ticket: Ticket) -> str:
    return settings.SITE_URL + reverse("queueing:ticket", args=[ticket.token])


def qr_svg(url: str, *, title: str) -> str:
    """An inline <svg> (no script, no style attribute), so that it prints with the page."""
    svg = segno.make(url, error="m").svg_inline(
        scale=4, border=2, omitsize=True, svgclass="qr-code", title=title
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308 - segno's own markup of our own URL; the title is escaped by segno
