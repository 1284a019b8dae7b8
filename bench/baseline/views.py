"""The floor of each hot path: what no booking or call can do with less."""

import json

from django.db import connection, transaction
from django.db.models import F
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from .models import Booking, Slot, Ticket


def ping(request, **_ignored):
    return JsonResponse({"ok": True})


def book(request):
    """A guarded UPDATE of the window's places and an INSERT of the booking, in one transaction."""
    body = json.loads(request.body)
    with transaction.atomic():
        taken = Slot.objects.filter(pk=body["slot"], taken__lt=F("capacity")).update(taken=F("taken") + 1)
        if not taken:
            return JsonResponse({"error": "full"}, status=409)
        booking = Booking.objects.create(slot_id=body["slot"], name=body["name"], phone=body["phone"])
    return JsonResponse({"id": booking.pk}, status=201)


def call_next(request, counter: int):
    """Claim the oldest waiting ticket with SKIP LOCKED, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE baseline_ticket SET state = 'called', counter = %s, called_at = now() WHERE id = ("
            " SELECT id FROM baseline_ticket WHERE state = 'waiting' ORDER BY id"
            " LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id",
            [counter],
        )
        row = cursor.fetchone()
    if row is None:
        return HttpResponse(status=204)
    return JsonResponse({"ticket": {"id": row[0]}})


def complete(request, ticket: int):
    done = Ticket.objects.filter(pk=ticket, state="called").update(state="done", done_at=timezone.now())
    return JsonResponse({"done": bool(done)}, status=200 if done else 409)
