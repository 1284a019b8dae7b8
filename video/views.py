"""The citizen's side of a video appointment: the waiting room and the call, reached by the booking's own
link (its unguessable token), and the signalling endpoint that link authorises."""

import json

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from appointments.models import Booking, BookingState
from appointments.views import get_booking
from video import calls, signalling
from video.models import Side

# The call needs the camera and the microphone on these pages only (the site's default allows neither
# the microphone nor, outside the kiosk, any use of it: hall.middleware).
CALL_PERMISSIONS = (
    "camera=(self), microphone=(self), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "accelerometer=(), gyroscope=(), magnetometer=(), midi=(), display-capture=()"
)


def _video_booking(token: str) -> Booking:
    booking = get_booking(token)
    if not booking.by_video:
        raise Http404
    return booking


def call_page(request, template: str, context: dict):
    response = render(request, template, context)
    response["Permissions-Policy"] = CALL_PERMISSIONS
    return response


def waiting_room(request, token):
    booking = _video_booking(token)
    now = timezone.now()
    can_join = calls.may_join(booking, now)  # checked in by the page's first message, not by this GET
    opens, closes = calls.join_window(booking)
    context = {
        "booking": booking,
        "hall": booking.hall,
        "service": booking.service,
        "slot": booking.slot,
        "can_join": can_join,
        "too_early": booking.is_active and now < opens,
        "opens": opens,
        "done": booking.state == BookingState.SERVED,
        "cursor": signalling.cursor(booking),
        "ice_servers": signalling.ice_servers(),
    }
    return call_page(request, "video/waiting_room.html", context)


def signal_exchange(request, booking: Booking, side: str) -> JsonResponse:
    """GET ?after=N: the other side's messages after N, and the booking's state; POST a JSON message."""
    if request.method == "POST":
        try:
            data = json.loads(request.body or b"{}")
            kind, body = str(data.get("kind", "")), data.get("body")
        except (ValueError, AttributeError):
            return JsonResponse({"error": "bad_signal"}, status=400)
        try:
            message_id = signalling.post(booking=booking, sender=side, kind=kind, body=body)
        except signalling.SignalError as refusal:
            return JsonResponse({"error": refusal.code}, status=refusal.status)
        return JsonResponse({"id": message_id})
    after = request.GET.get("after", "0")
    after = int(after) if after.isascii() and after.isdigit() and len(after) < 19 else 0
    messages = signalling.fetch(booking=booking, reader=side, after=after)
    return JsonResponse({"messages": messages, "state": booking.state})


@require_http_methods(["GET", "POST"])
def citizen_signal(request, token):
    booking = _video_booking(token)
    if request.method == "POST" and booking.state == BookingState.BOOKED:
        calls.citizen_joins(booking)  # the page's first message (its hello) is the arrival; state refreshed
    if booking.state not in (BookingState.CHECKED_IN, BookingState.SERVED):
        return JsonResponse({"error": "not_open"}, status=409)
    if request.method == "POST" and booking.state != BookingState.CHECKED_IN:
        return JsonResponse({"error": "not_open"}, status=409)
    return signal_exchange(request, booking, Side.CITIZEN)
