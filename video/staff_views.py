"""The clerk's side of a video appointment, for the staff of the booking's hall: today's video calls, the
call page with the identity checklist, and completing the matter (optionally by post).

The checklist and completion are posted by the call page's script without leaving the page (the call goes
on); it receives a JSON answer. Without the script, a post redirects back to the call page.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from appointments.models import Booking, BookingState, Mode
from hall import access as hall_access
from hall import audit
from video import calls, signalling
from video.forms import CompleteForm, IdentityForm
from video.models import Side
from video.views import call_page, signal_exchange


def _booking(request, booking_id: int) -> Booking:
    return hall_access.in_own_hall(
        request.user,
        Booking.objects.select_related("hall", "service", "slot").filter(mode=Mode.VIDEO, erased_at=None),
        pk=booking_id,
    )


def _answer(request, booking: Booking, ok: bool, message: str, **extra):
    """JSON for the call page's script; a message and a redirect for a plain form post."""
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"ok": ok, "message": message, **extra}, status=200 if ok else 400)
    (messages.success if ok else messages.error)(request, message)
    return redirect("video:call", booking.pk)


@login_required
def today(request):
    staff = hall_access.own_staff(request.user)
    hall = staff.hall
    date = hall.local_date(timezone.now())
    bookings = (
        Booking.objects.of_day(hall, [date, date + dt.timedelta(days=1)])
        .filter(mode=Mode.VIDEO)
        .exclude(state=BookingState.CANCELLED)
        .select_related("service", "slot")
        .order_by("slot__start", "pk")
    )
    return render(request, "video/today.html", {"hall": hall, "bookings": bookings, "date": date})


@login_required
def call(request, booking_id):
    booking = _booking(request, booking_id)
    context = {
        "booking": booking,
        "hall": booking.hall,
        "service": booking.service,
        "slot": booking.slot,
        "identity_form": IdentityForm(),
        "complete_form": CompleteForm(initial={"recipient": booking.name}, booking_phone=booking.phone),
        "checks": booking.identity_checks.select_related("checked_by")[:5],
        "confirmed": calls.identity_confirmed(booking),
        "cursor": signalling.cursor(booking),
        "ice_servers": signalling.ice_servers(),
    }
    return call_page(request, "video/call.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def clerk_signal(request, booking_id):
    return signal_exchange(request, _booking(request, booking_id), Side.CLERK)


@login_required
@require_POST
def identity(request, booking_id):
    booking = _booking(request, booking_id)
    form = IdentityForm(request.POST)
    if not form.is_valid():
        return _answer(request, booking, False, " ".join(m for ms in form.errors.values() for m in ms))
    data = form.cleaned_data
    matches = calls.id_number_matches(booking, data["id_number"])
    check = calls.record_identity(
        booking=booking,
        face=data["face_matches"],
        id_matches=matches,
        questions=data["questions_answered"],
        user=request.user,
        ip=audit.client_ip(request),
    )
    if check.passed:
        return _answer(request, booking, True, _("Identity confirmed and recorded."), passed=True)
    failed = [
        str(label)
        for ok, label in (
            (check.face_matches, _("the face")),
            (check.id_number_matches, _("the ID number")),
            (check.questions_answered, _("the questions")),
        )
        if not ok
    ]
    message = _("Identity not confirmed (recorded): %(failed)s did not match.") % {
        "failed": ", ".join(failed)
    }
    return _answer(request, booking, True, message, passed=False)


@login_required
@require_POST
def complete(request, booking_id):
    booking = _booking(request, booking_id)
    form = CompleteForm(request.POST, booking_phone=booking.phone)
    if not form.is_valid():
        return _answer(request, booking, False, " ".join(m for ms in form.errors.values() for m in ms))
    address = form.address() if form.cleaned_data["by_post"] else None
    try:
        item = calls.complete(booking=booking, user=request.user, address=address)
    except calls.CallError as refusal:
        return _answer(request, booking, False, refusal.message)
    if item is None:
        return _answer(request, booking, True, _("Matter completed."))
    message = _("Matter completed. Postal item %(reference)s opened for the document.") % {
        "reference": item.reference
    }
    return _answer(request, booking, True, message, postal_item=item.pk, reference=item.reference)
