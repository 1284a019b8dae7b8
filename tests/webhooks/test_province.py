"""Ratings and closed follow-up cases reach subscribers and the province's 好差评 platform (a real HTTP
receiver on loopback checking the platform's signature), with the hall's deadlines; the supervisor's ratings
page shows what was reported and what is still to be, by when."""

import datetime as dt

import pytest
from django.utils import timezone

from notifications import sweeper
from queueing import calls, services
from queueing.models import Ticket
from reports import services as rating_services
from reports.models import CaseState, FollowUp, ReportSettings
from tests.makers import make_staff
from tests.webhooks.conftest import KIOSK, NOW, book, run_jobs, subscribe
from tests.webhooks.receiver import Receiver
from webhooks import outbox, province
from webhooks.models import Delivery, DeliveryState, EventType, Subscriber, SubscriberKind

pytestmark = pytest.mark.django_db(transaction=True)
CONSOLE = services.Actor("console")
APP_ID = "ck-north-test"


def platform(hall, receiver, **fields) -> Subscriber:
    """The province platform as a subscriber; the receiver checks deliveries as the platform would."""
    subscriber = Subscriber.objects.create(
        hall=hall,
        name="省好差评平台",
        url=receiver.url,
        kind=SubscriberKind.PROVINCE,
        app_id=APP_ID,
        hall_code="370102-ZWFW-01",
        service_codes={"id-renewal": "11370100MB28541234000"},
        **fields,
    )
    receiver.check = lambda headers, body: province.verify(APP_ID, subscriber.secret, headers, body)
    outbox.forget_subscribers()
    return subscriber


def served_ticket(service, counter, n):
    services.check_in(hall=service.hall, code=book(service, n=n).code, actor=KIOSK, now=NOW)
    ticket = calls.call_next(counter=counter, actor=CONSOLE, now=NOW + dt.timedelta(minutes=n))
    calls.complete(ticket=ticket, actor=CONSOLE, now=NOW + dt.timedelta(minutes=n + 1))
    return Ticket.objects.select_related("booking").get(pk=ticket.pk)


def close(case, at):
    for step, note in enumerate(["called back", "apologised; the counter now opens on time", "closed"]):
        case = rating_services.advance_case(
            case=case, user=None, note=note, now=at + dt.timedelta(hours=step)
        )
    return case


def test_every_rating_and_closed_case_reaches_the_platform_in_its_record_format(
    hall, service, counter, rq_queue, django_capture_on_commit_callbacks
):
    ReportSettings.objects.create(hall=hall, call_back_working_days=2, resolve_working_days=5)
    receiver = Receiver().start()
    try:
        platform(hall, receiver)
        good, poor = served_ticket(service, counter, 1), served_ticket(service, counter, 2)
        with django_capture_on_commit_callbacks(execute=True):
            rating_services.rate_ticket(good, 5, "很快", now=NOW + dt.timedelta(minutes=20))
            rated = rating_services.rate_ticket(
                poor, 1, "窗口没人，我的电话 139 0000 0002", now=NOW + dt.timedelta(minutes=21)
            )
            case = close(rated.follow_up, NOW + dt.timedelta(hours=2))
        run_jobs(rq_queue)
    finally:
        receiver.stop()

    bodies = [body for _headers, body in receiver.accepted]
    assert [b["recordType"] for b in bodies] == ["evaluation", "evaluation", "rectification"]
    assert receiver.requests == 3  # each once, each signed the platform's way (else the receiver says 401)
    good_record, poor_record, closed = bodies
    assert good_record == {
        "recordType": "evaluation",
        "recordId": f"north-R{good.rating.pk}",
        "hallCode": "370102-ZWFW-01",
        "serviceCode": "11370100MB28541234000",
        "window": "1",
        "evaluatedAt": "2026-11-24T09:20:00+08:00",
        "level": 5,
        "levelName": "非常满意",
        "comment": "很快",
        "caseNumber": "",
        "transactionNumber": good.booking.code,
    }
    # A poor rating opened a case with the hall's deadlines (2 and 5 working days from Tuesday).
    assert case.call_back_by == dt.date(2026, 11, 26) and case.resolve_by == dt.date(2026, 12, 1)
    assert (poor_record["level"], poor_record["levelName"]) == (1, "非常不满意")
    assert poor_record["caseNumber"] == case.number == f"HC20261124{case.pk:05d}"
    assert poor_record["comment"] == "窗口没人，我的电话 ***"  # never a phone number
    assert closed["caseNumber"] == case.number and closed["evaluationId"] == poor_record["recordId"]
    assert (closed["callBackBy"], closed["resolveBy"], closed["result"]) == (
        "2026-11-26",
        "2026-12-01",
        "closed",
    )
    assert closed["closedAt"] == "2026-11-24T13:00:00+08:00"
    assert {h["X-Hcp-App-Id"] for h, _b in receiver.accepted} == {APP_ID}


def test_a_wrong_platform_signature_is_refused_by_the_platform(
    hall, service, counter, rq_queue, django_capture_on_commit_callbacks
):
    receiver = Receiver().start()
    try:
        platform(hall, receiver)
        receiver.check = lambda headers, body: province.verify(APP_ID, "another secret", headers, body)
        with django_capture_on_commit_callbacks(execute=True):
            rating_services.rate_ticket(served_ticket(service, counter, 1), 4)
        run_jobs(rq_queue)
    finally:
        receiver.stop()

    row = Delivery.objects.get()
    assert (receiver.accepted, row.state, row.last_status) == ([], DeliveryState.FAILED, 401)


def test_a_platform_that_is_down_gets_the_record_when_it_comes_back_and_the_page_shows_the_wait(
    client, hall, service, counter, rq_queue, django_capture_on_commit_callbacks
):
    receiver = Receiver()  # not started: connections are refused
    platform(hall, receiver, report_within_hours=12)
    supervisor = make_staff(hall, "boss", role="supervisor")
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        rated = rating_services.rate_ticket(served_ticket(service, counter, 1), 2, "太慢")
    run_jobs(rq_queue)
    row = Delivery.objects.get()

    waiting = client.get("/h/north/reports/ranking/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    deadline = timezone.localtime(row.created_at + dt.timedelta(hours=12), hall.tz)
    assert row.state == DeliveryState.FAILED and FollowUp.objects.get(rating=rated).state == CaseState.OPEN
    assert 'id="province-pending">1<' in waiting and 'id="province-sent">0<' in waiting
    assert "The rules allow 12 hours between a rating and its report." in waiting
    assert f"north-R{rated.pk}" in waiting and deadline.strftime("%Y-%m-%d %H:%M") in waiting
    receiver.start()
    try:
        Delivery.objects.filter(pk=row.pk).update(next_try_at=timezone.now() - dt.timedelta(seconds=1))
        sweeper.sweep()
        run_jobs(rq_queue)
    finally:
        receiver.stop()
    row.refresh_from_db()
    sent = client.get("/h/north/reports/ranking/").content.decode()
    case_page = client.get(f"/h/north/reports/follow-ups/{rated.follow_up.pk}/").content.decode()
    assert rated.follow_up.number in case_page  # the number the platform was told
    assert (row.state, [b["recordId"] for _h, b in receiver.accepted]) == (
        DeliveryState.SENT,
        [f"north-R{rated.pk}"],
    )
    assert 'id="province-sent">1<' in sent and 'id="province-pending">0<' in sent
    assert "已上报" in sent and "待上报" in sent  # the page in Chinese


def test_webhook_subscribers_get_the_rating_without_personal_data(
    hall, service, counter, receiver, rq_queue, django_capture_on_commit_callbacks
):
    subscribe(hall, receiver, events=[EventType.RATING_GIVEN, EventType.FOLLOW_UP_CLOSED])
    ticket = served_ticket(service, counter, 3)
    with django_capture_on_commit_callbacks(execute=True):
        rated = rating_services.rate_ticket(
            ticket, 2, "请回电 13900000003", now=NOW + dt.timedelta(minutes=30)
        )
    run_jobs(rq_queue)

    [(headers, body)] = receiver.accepted
    assert headers["X-Chuangkou-Event"] == "rating.given"
    assert body["rating"] == {
        "record": f"R{rated.pk}",
        "service": "id-renewal",
        "counter": 1,
        "ticket": f"20261124-{ticket.number}",
        "booking": ticket.booking.code,
        "date": "2026-11-24",
        "score": 2,
        "comment": "请回电 ***",
        "rated_at": "2026-11-24T09:30:00+08:00",
        "case": rated.follow_up.number,
        "call_back_by": "2026-11-25",
        "resolve_by": body["rating"]["resolve_by"],
    }
