"""Staff book on a citizen's behalf: telephone bookings and the 导办 desk."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from appointments import availability, services
from appointments.access import access_bookable_service
from appointments.forms import StaffBookingForm
from appointments.models import Mode, Slot
from appointments.services import Actor, BookingError, Citizen
from hall import access, calendar
from hall.models import Service
from hall.net import client_ip


@login_required
def staff_book(request):
    hall = access.own_staff(request.user).hall
    return render(
        request, "appointments/staff_book.html", {"hall": hall, "services": hall.services.bookable()}
    )


def _days(service: Service, today: dt.date) -> list[calendar.DaySchedule]:
    horizon = availability.rules_for(service.hall).horizon_days
    return calendar.week(service.hall.schedule(), today, days=horizon + 1)


def _slots(service: Service, date: dt.date | None, now: dt.datetime, mode: str = Mode.HALL):
    if date is None:
        return Slot.objects.none()
    availability.sync_slots(service=service, date=date, mode=mode)
    return Slot.objects.on(service, date, mode).filter(closed=False, end__gt=now).select_related("hall")


def _chosen_date(request, days) -> dt.date | None:
    wanted = request.POST.get("date") or request.GET.get("date")
    return next((d.date for d in days if d.is_open and d.date.isoformat() == wanted), None)


@login_required
@require_http_methods(["GET", "POST"])
def staff_book_service(request, slug, code):
    service = access_bookable_service(request.user, slug, code)
    now = timezone.now()
    days = _days(service, service.hall.local_date(now))
    date = _chosen_date(request, days)
    # A video appointment with the online room (网上户籍室), e.g. booked for a citizen who phoned.
    video = (request.POST.get("by") or request.GET.get("by")) == Mode.VIDEO and service.by_video
    others = service.hall.services.bookable().exclude(pk=service.pk)
    form = StaffBookingForm(
        request.POST if request.method == "POST" and date else None,
        slots=_slots(service, date, now, Mode.VIDEO if video else Mode.HALL),
        others=others.filter(by_video=True) if video else others,
        initial={"language": get_language(), "persons": 1},
    )
    error = None
    if form.is_bound and form.is_valid():
        try:
            booking = _book(request, form.cleaned_data, now)
        except BookingError as refusal:
            error = refusal
        else:
            return redirect("appointments:booked", booking.manage_token)
    context = {"hall": service.hall, "service": service, "days": days, "date": date, "form": form}
    return render(
        request, "appointments/staff_book_service.html", {**context, "error": error, "video": video}
    )


def _book(request, data: dict, now: dt.datetime):
    return services.book(
        slot=data["slot"],
        citizen=Citizen(
            name=data["name"], phone=data["phone"], id_number=data["id_number"], language=data["language"]
        ),
        persons=data["persons"],
        green_channel=data["green_channel"],
        green_note=data["green_note"],
        actor=Actor("staff", user=request.user, ip=client_ip(request)),
        now=now,
        use_held_back=data["use_held_back"],
        also=data.get("also", []),
    )
