"""Every event reaches a real receiver on loopback once, signed, and only after its change commits."""

import datetime as dt
import json
from collections import Counter

import pytest
from django.db import transaction

from appointments import availability, lifecycle
from appointments import services as booking_services
from appointments.models import BookingState
from hall.privacy import mask_id_number
from queueing import calls, dayend, services
from queueing.models import Ticket
from reports import services as rating_services
from tests.makers import make_id_number
from tests.webhooks.conftest import KIOSK, NOW, TZ, book, run_jobs, subscribe
from webhooks.models import Delivery, DeliveryState, EventType, PersonalField

# Committed for real: the worker runs jobs as it would in production, after the change commits.
pytestmark = pytest.mark.django_db(transaction=True)
CONSOLE = services.Actor("console")


def a_day_of_changes(service, counter):
    """One of each event: bookings made, moved, cancelled, checked in, served, not kept and not finished
    (still waiting when the day ended); tickets issued, called, served and not served; a poor rating, and
    its follow-up case closed."""
    moved = book(service, n=1)
    later = availability.day_availability(service=service, date=NOW.date(), now=NOW - dt.timedelta(days=1))
    booking_services.reschedule_booking(
        booking=moved,
        slot=later.slots[3],
        actor=booking_services.Actor("web"),
        now=NOW - dt.timedelta(days=1),
    )
    booking_services.cancel_booking(booking=book(service, n=2), actor=booking_services.Actor("web"))
    lifecycle.mark_no_show(book(service, n=3))
    services.check_in(hall=service.hall, code=book(service, n=4).code, actor=KIOSK, now=NOW)
    served = calls.call_next(counter=counter, actor=CONSOLE, now=NOW + dt.timedelta(minutes=1))
    calls.complete(ticket=served, actor=CONSOLE, now=NOW + dt.timedelta(minutes=5))
    services.check_in(hall=service.hall, code=book(service, n=5).code, actor=KIOSK, now=NOW)
    missed = calls.call_next(counter=counter, actor=CONSOLE, now=NOW + dt.timedelta(minutes=6))
    calls.mark_no_show(ticket=missed, actor=CONSOLE, now=NOW + dt.timedelta(minutes=9))
    services.check_in(hall=service.hall, code=book(service, n=6).code, actor=KIOSK, now=NOW)  # never called
    rated = rating_services.rate_ticket(
        Ticket.objects.get(pk=served.pk), 1, "等了很久，电话13900000004", now=NOW + dt.timedelta(minutes=10)
    )
    case = rated.follow_up
    for step, note in enumerate(["called back", "explained the wait", "closed: citizen satisfied"]):
        case = rating_services.advance_case(
            case=case, user=None, note=note, now=NOW + dt.timedelta(hours=step + 1)
        )
    dayend.end_past_days(now=NOW + dt.timedelta(days=1))  # at night: the ticket never called ends


def test_every_event_type_arrives_once_signed_after_commit(
    hall, service, counter, receiver, rq_queue, django_capture_on_commit_callbacks
):
    subscribe(hall, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        a_day_of_changes(service, counter)

    run_jobs(rq_queue)

    deliveries = list(Delivery.objects.order_by("pk"))
    assert Counter(receiver.events()) == {
        **dict.fromkeys(EventType.values, 1),
        "booking.created": 6,
        "booking.checked_in": 3,
        "booking.no_show": 2,  # one never came, one was called and did not come to the counter
        "ticket.issued": 3,
        "ticket.called": 2,
        "ticket.not_served": 2,  # not there when called; still waiting when the day ended
    }
    assert receiver.requests == len(receiver.accepted) == len(deliveries) == 25  # signed, each once
    assert sorted(int(h["X-Chuangkou-Delivery"]) for h, _body in receiver.accepted) == [
        d.pk for d in deliveries
    ]
    assert {d.state for d in deliveries} == {DeliveryState.SENT}
    assert [body["event"] for h, body in receiver.accepted] == [
        h["X-Chuangkou-Event"] for h, _b in receiver.accepted
    ]


def test_a_booking_is_reported_with_codes_and_no_personal_data_by_default(
    hall, service, receiver, rq_queue, django_capture_on_commit_callbacks
):
    subscribe(hall, receiver, events=[EventType.BOOKING_CREATED])
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(service, n=7)

    run_jobs(rq_queue)

    [(_headers, body)] = receiver.accepted
    assert body == {
        "event": "booking.created",
        "occurred_at": body["occurred_at"],
        "hall": "north",
        "booking": {
            "code": booking.code,
            "state": BookingState.BOOKED,
            "service": "id-renewal",
            "date": "2026-11-24",
            "start": booking.slot.start.astimezone(TZ).isoformat(),
            "end": booking.slot.end.astimezone(TZ).isoformat(),
            "persons": 1,
            "channel": "online",
        },
    }


def test_personal_data_is_masked_as_allowed_and_never_the_id_number(
    hall, service, counter, receiver, rq_queue, django_capture_on_commit_callbacks
):
    subscribe(hall, receiver, fields=[PersonalField.NAME_MASKED, PersonalField.MOBILE_MASKED])
    with django_capture_on_commit_callbacks(execute=True):
        a_day_of_changes(service, counter)

    run_jobs(rq_queue)

    bodies = [json.dumps(body, ensure_ascii=False) for _h, body in receiver.accepted]
    booked = next(body for _h, body in receiver.accepted if body["event"] == "booking.created")
    assert (booked["booking"]["name"], booked["booking"]["mobile"]) == ("王*五", "139****0001")
    for n in range(1, 7):
        number = make_id_number(n)
        assert not [body for body in bodies if number in body or mask_id_number(number) in body]
    assert not [body for body in bodies if "王小五" in body or "13900000001" in body]


def test_a_rolled_back_change_sends_nothing(
    hall, service, receiver, rq_queue, django_capture_on_commit_callbacks
):
    subscribe(hall, receiver)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        book(service, n=1)
        raise RuntimeError("the change fails after the booking was made")

    assert (Delivery.objects.count(), len(rq_queue), run_jobs(rq_queue), receiver.requests) == (0, 0, 0, 0)


def test_other_halls_disabled_and_unsubscribed_get_nothing(
    hall, service, receiver, rq_queue, django_capture_on_commit_callbacks
):
    from tests.makers import make_hall

    subscribe(hall, receiver, events=[EventType.BOOKING_CANCELLED])
    subscribe(hall, receiver, enabled=False)
    subscribe(make_hall(slug="south"), receiver)
    with django_capture_on_commit_callbacks(execute=True):
        book(service, n=1)

    run_jobs(rq_queue)

    assert (Delivery.objects.count(), receiver.requests) == (0, 0)
