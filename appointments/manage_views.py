"""A citizen's own booking, reached by its unguessable link (or by code and mobile): see, cancel, move."""

import io

import segno
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from appointments import availability, ics, limits, matters, services
from appointments.forms import FindBookingForm
from appointments.models import Booking, Slot
from appointments.services import BookingError
from appointments.views import booking_context, get_booking, parse_date, posted, web_actor
from hall.models import Material
from hall.net import client_ip

FIND_PER_IP_HOUR = 20


def booked(request, token):
    booking = get_booking(token)
    context = booking_context(booking)
    services_in_order = [m.service for m in context["matters"]]
    by_service = {s.pk: [] for s in services_in_order}
    for material in Material.objects.filter(service__in=services_in_order):  # one query for all matters
        by_service[material.service_id].append(material)
    to_bring = [(s, by_service[s.pk]) for s in services_in_order]
    return render(
        request,
        "appointments/booked.html",
        {**context, "materials": to_bring[0][1], "to_bring": to_bring},
    )


def manage(request, token):
    booking = get_booking(token)
    return render(request, "appointments/manage.html", booking_context(booking))


@require_http_methods(["GET", "POST"])
def cancel(request, token):
    booking = get_booking(token)
    error = None
    if request.method == "POST":
        try:
            services.cancel_booking(booking=booking, actor=web_actor(request), now=timezone.now())
        except BookingError as refusal:
            error = refusal
        else:
            messages.success(request, _("Your booking has been cancelled."))
            return redirect("appointments:manage", token)
    return render(request, "appointments/cancel.html", {**booking_context(booking), "error": error})


@require_http_methods(["GET", "POST"])
def reschedule(request, token):
    booking = get_booking(token)
    now = timezone.now()
    error = None
    if request.method == "POST":
        slot_id = request.POST.get("slot", "")
        valid = slot_id.isascii() and slot_id.isdigit()  # "²" is a digit to isdigit() but not to int()
        slot = get_object_or_404(Slot, pk=int(slot_id) if valid else 0, service=booking.service)
        try:
            services.reschedule_booking(booking=booking, slot=slot, actor=web_actor(request), now=now)
        except BookingError as refusal:
            error, date = refusal, slot.date
        else:
            messages.success(request, _("Your booking has been moved. The new time is shown below."))
            return redirect("appointments:manage", token)
    else:
        date = parse_date(request.GET["date"]) if request.GET.get("date") else None
    context = {**booking_context(booking), "error": error}
    if date:
        context["day"] = availability.day_availability(
            service=booking.service, date=date, now=now, mode=booking.mode
        )
    else:
        context["days"] = availability.upcoming_days(service=booking.service, now=now, mode=booking.mode)
    return render(request, "appointments/reschedule.html", context)


def ics_file(request, token):
    booking = get_booking(token)
    text = ics.event(
        uid=f"{booking.code}@chuangkou",
        start=booking.slot.start,
        end=booking.slot.end,
        summary=f"{services.service_names(booking)} · {booking.hall.name}",
        location=booking.hall.address,
        description=_(
            "Booking code %(code)s. Bring the materials listed in the guide. Change or cancel: %(url)s"
        )
        % {"code": booking.code, "url": services.manage_url(booking)}
        + _materials_text(booking),
        url=services.manage_url(booking),
        stamp=booking.created_at,
    )
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="booking-{booking.code}.ics"'
    return response


def _materials_text(booking) -> str:
    """What to bring for each service of the visit, one line per service."""
    lines = [
        f"{m.service.name}: {'; '.join(str(x.name) for x in m.service.materials.all()) or '-'}"
        for m in matters.matters_of(booking)
    ]
    return "\n\n" + _("What to bring") + "\n" + "\n".join(lines)


def qr(request, token):
    booking = get_booking(token)
    buffer = io.BytesIO()
    segno.make(booking.code, error="m").save(buffer, kind="svg", scale=8, border=4, xmldecl=False)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_http_methods(["GET", "POST"])
def find_booking(request):
    form = FindBookingForm(posted(request))
    error = None
    if request.method == "POST":
        if limits.hit_rate_limit("find-ip", client_ip(request), FIND_PER_IP_HOUR):
            error = str(limits.RATE_LIMITED)
        elif form.is_valid():
            booking = Booking.objects.filter(
                code=form.cleaned_data["code"], phone=form.cleaned_data["phone"], erased_at=None
            ).first()
            if booking:
                return redirect("appointments:manage", booking.manage_token)
            error = _(
                "We found no booking with this code and mobile number. Check both against your "
                "confirmation text message and try again."
            )
    return render(request, "appointments/find.html", {"form": form, "error": error})
