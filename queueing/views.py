"""The kiosk at the door (取号机) and the citizen's ticket: check in a booking or take a walk-in ticket,
then show, print and follow the ticket. Only a paired kiosk (hall.screens) issues tickets and checks bookings
in, within its limits (hall.devices); any other browser sees "this screen is not set up". The 导办 mode is
for signed-in staff."""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from appointments.models import Booking
from appointments.services import CODE_ALPHABET
from hall import access as hall_access
from hall import audit, devices, screens
from hall.models import Device, DeviceKind, Hall, Service
from queueing import access, hours, progress, services, walkins
from queueing.forms import CheckInForm, GuideWalkInForm, WalkInForm
from queueing.models import Ticket
from queueing.services import Actor, QueueError


def posted(request):
    return request.POST if request.method == "POST" else None


def kiosk_actor(request) -> Actor:
    return Actor("kiosk", user=request.user)


KIOSK = DeviceKind.KIOSK
PRINTER_TROUBLE = gettext_lazy("This machine cannot print tickets now. Please ask the staff at the door.")
CODES_PAUSED = gettext_lazy(
    "Too many wrong booking codes: check-in at this machine pauses for a minute. Please check your code, "
    "or ask the staff at the door."
)
# Refusals that tell a wrong code (or a guess) apart from a booking: they count toward the pause.
WRONG_CODE_REFUSALS = ("not_found", "not_today", "cancelled")


def _kiosk_hall(slug: str) -> Hall:
    return get_object_or_404(Hall, slug=slug)


def _kiosk_page(request, hall: Hall, template: str, context: dict) -> HttpResponse:
    response = render(request, template, {"hall": hall, "device": request.device, **context})
    return screens.renew(response, request, hall, KIOSK)


def kiosk(request, slug):
    hall = _kiosk_hall(slug)
    if screens.device_for(request, hall, KIOSK) is None:
        return screens.not_set_up(request, hall, KIOSK)
    return _kiosk_page(request, hall, "queueing/kiosk.html", door_context(hall))


def door_context(hall: Hall, stopped: bool = False) -> dict:
    """Whether the hall issues walk-in tickets now; when it does not (closed, or `stopped` by a refusal),
    when it opens next and where to book instead (queueing.hours)."""
    now = timezone.now()
    schedule = hours.schedule_from(hall, hall.local_date(now))
    at_door = hours.door(schedule, now)
    if at_door.is_open and not stopped:
        return {"door_closed": False}
    opening = at_door.next_opening or hours.next_opening(schedule, at_door.closing or now)
    booking_url = settings.SITE_URL + reverse("hall:home", args=[hall.slug])
    return {
        "door_closed": True,
        "hall_closed": not at_door.is_open,
        "next_opening": hours.when_text(opening, hall.tz) if opening else "",
        "booking_url": booking_url,
        "booking_qr": qr_svg(booking_url, title=_("QR code of the booking page")),
    }


def _kiosk_refusal(device: Device):
    """Why this kiosk gives out nothing now (printer, limit), or None; counts the ticket otherwise."""
    if device.printer_trouble:
        return PRINTER_TROUBLE
    if not devices.take_ticket(device=device, now=timezone.now()):
        return devices.TOO_MANY_TICKETS
    return None


@require_http_methods(["GET", "POST"])
def kiosk_check_in(request, slug):
    hall = _kiosk_hall(slug)
    device = screens.device_for(request, hall, KIOSK)
    if device is None:
        return screens.not_set_up(request, hall, KIOSK)
    form = CheckInForm(posted(request))
    late_service = another_day = None
    if form.is_bound and form.is_valid():
        code = form.cleaned_data["code"]
        if devices.check_in_paused(device=device):
            form.add_error("code", CODES_PAUSED)
        elif refused := _kiosk_refusal(device):
            form.add_error("code", refused)
        else:
            try:
                ticket = services.check_in(hall=hall, code=code, actor=kiosk_actor(request))
            except QueueError as refusal:
                message = _check_in_refusal(request, device, refusal)
                if refusal.code == "not_today" and message == refusal.message:
                    another_day = message  # nothing was filled in wrong: the day is not today
                else:
                    form.add_error("code", message)
                if refusal.code in ("too_late", "not_today"):
                    late_service = _booked_service(hall, code)
            else:
                return redirect("queueing:kiosk_ticket", hall.slug, ticket.token)
    context = {"form": form, "late_service": late_service, "another_day": another_day, "keys": CODE_ALPHABET}
    return _kiosk_page(request, hall, "queueing/kiosk_check_in.html", context)


def _check_in_refusal(request, device: Device, refusal: QueueError):
    if refusal.code in WRONG_CODE_REFUSALS:
        ip = audit.client_ip(request)
        if devices.record_wrong_code(device=device, ip=ip, now=timezone.now()):
            return CODES_PAUSED
    return refusal.message


def _booked_service(hall: Hall, code: str) -> Service | None:
    booking = Booking.objects.select_related("service").filter(hall=hall, code=code).first()
    if booking and walkins.walk_in_possible(service=booking.service):
        return booking.service
    return None


@require_http_methods(["GET", "POST"])
def kiosk_walk_in(request, slug):
    hall = _kiosk_hall(slug)
    device = screens.device_for(request, hall, KIOSK)
    if device is None:
        return screens.not_set_up(request, hall, KIOSK)
    form = WalkInForm(posted(request), hall=hall)
    if form.is_bound and form.is_valid():
        if refused := _kiosk_refusal(device):
            form.add_error("service", refused)
        elif issued := _issue_walk_in(request, hall, form):
            return issued
    services_offered = list(form.fields["service"].queryset)
    context = {"form": form, "services": services_offered, **_door_after(hall, form)}
    return _kiosk_page(request, hall, "queueing/kiosk_walk_in.html", context)


def _door_after(hall: Hall, form: WalkInForm) -> dict:
    return door_context(hall, stopped=getattr(form, "stopped_by_hours", False))


@require_POST
def kiosk_printer(request, slug):
    """kiosk.js reports that printing failed or was cancelled: the kiosk stops giving out numbers."""
    hall = _kiosk_hall(slug)
    device = screens.device_for(request, hall, KIOSK)
    if device is None:
        return screens.not_set_up(request, hall, KIOSK)
    devices.report_printer(device=device, trouble=request.POST.get("trouble", ""), now=timezone.now())
    return HttpResponse(status=204)


@login_required
@require_http_methods(["GET", "POST"])
def kiosk_guide(request, slug):
    """导办 mode: staff at the door issue a ticket with the green channel, ID number or mobile."""
    hall = hall_access.staff_in_hall(request.user, slug).hall
    form = GuideWalkInForm(posted(request), hall=hall)
    if form.is_bound and form.is_valid() and (issued := _issue_walk_in(request, hall, form)):
        return issued
    return render(
        request, "queueing/kiosk_guide.html", {"hall": hall, "form": form, **_door_after(hall, form)}
    )


def _issue_walk_in(request, hall: Hall, form: WalkInForm):
    """Issue and redirect to the ticket; on a refusal put the reason on the form and return None."""
    data = form.cleaned_data
    extra = {key: data[key] for key in ("green_channel", "id_number", "phone") if data.get(key)}
    try:
        ticket = walkins.issue_walk_in(
            hall=hall, service=data["service"], actor=kiosk_actor(request), language=get_language(), **extra
        ).ticket
    except QueueError as refusal:
        if refusal.ticket is None:
            form.add_error("service", refusal.message)
            form.stopped_by_hours = refusal.code in ("hall_closed", "last_ticket_passed")
            return None
        messages.info(request, refusal.message)  # the same person again: show the ticket to reprint
        ticket = refusal.ticket
    return redirect("queueing:kiosk_ticket", hall.slug, ticket.token)


def kiosk_ticket(request, slug, token):
    ticket = access.get_ticket_by_token(token, hall_slug=slug)
    device = screens.device_for(request, ticket.hall, KIOSK)  # only a paired kiosk reports its printer
    return render(request, "queueing/kiosk_ticket.html", {**ticket_context(ticket), "device": device})


def ticket_print(request, token):
    ticket = access.get_ticket_by_token(token)
    return render(request, "queueing/ticket_print.html", ticket_context(ticket))


def ticket_context(ticket: Ticket) -> dict:
    seat = ticket.seat.split("-") if ticket.seat else None
    return {
        "ticket": ticket,
        "hall": ticket.hall,
        "progress": progress.ticket_progress(ticket, timezone.now(), shared=True),
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
