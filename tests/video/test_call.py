"""The video call's pages and signalling, the identity check and completing the matter (by post)."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import BookingState
from hall.models import AuditAction, AuditEntry
from postal.models import PostalItem, PostalOrigin, PostalState
from tests.makers import make_hall, make_id_number, make_staff
from tests.video.helpers import ID_SERIAL, join_call, video_booking, video_setup
from video import calls, signalling
from video.models import IdentityCheck, Signal

pytestmark = pytest.mark.django_db
ADDRESS = {
    "by_post": "on",
    "recipient": "王五",
    "recipient_phone": "13900000007",
    "province": "甘肃省",
    "city": "兰州市",
    "district": "城关区",
    "street": "东岗西路1号",
}


@pytest.fixture
def setup():
    return video_setup()


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_the_citizens_hello_checks_them_in_not_the_page_and_it_says_nothing_is_recorded(client, setup):
    _hall, service, _clerk = setup
    booking = video_booking(service)

    response = client.get(reverse("video:waiting_room", args=[booking.manage_token]))
    booking.refresh_from_db()
    # A GET is also what a messenger's link preview makes: opening the page checks nobody in.
    assert booking.state == BookingState.BOOKED and 'id="video-call"' in response.content.decode()
    url = reverse("video:citizen_signal", args=[booking.manage_token])
    assert client.get(url).status_code == 409  # polling before the hello: not in yet
    assert post_json(client, url, {"kind": "hello", "body": None}).status_code == 200
    booking.refresh_from_db()
    assert booking.state == BookingState.CHECKED_IN
    assert "不录音、不录像" in response.content.decode() or "不保存" in response.content.decode()
    assert "microphone=(self)" in response["Permissions-Policy"]


def test_the_waiting_room_before_the_time_says_when_it_opens_and_checks_nobody_in(client, setup):
    _hall, service, _clerk = setup
    booking = video_booking(service, start=timezone.now() + dt.timedelta(hours=2))

    response = client.get(reverse("video:waiting_room", args=[booking.manage_token]))

    booking.refresh_from_db()
    assert booking.state == BookingState.BOOKED
    assert 'id="call-not-yet"' in response.content.decode()
    assert client.get(reverse("video:citizen_signal", args=[booking.manage_token])).status_code == 409


def test_a_hall_booking_has_no_video_room(client, setup):
    _hall, service, _clerk = setup
    booking = video_booking(service)
    booking.mode = "hall"
    booking.save()

    assert client.get(reverse("video:waiting_room", args=[booking.manage_token])).status_code == 404


def test_each_side_reads_only_the_other_sides_messages_after_its_cursor(client, setup):
    _hall, service, clerk = setup
    booking = video_booking(service)
    assert join_call(client, booking).status_code == 200  # the citizen's hello
    citizen_url = reverse("video:citizen_signal", args=[booking.manage_token])

    client.force_login(clerk)
    clerk_url = reverse("video:clerk_signal", args=[booking.pk])
    offer = post_json(client, clerk_url, {"kind": "offer", "body": {"offer": 1, "sdp": {"type": "offer"}}})
    seen_by_clerk = client.get(clerk_url + "?after=0").json()["messages"]
    client.logout()
    seen_by_citizen = client.get(citizen_url + "?after=0").json()["messages"]
    after_offer = client.get(citizen_url + f"?after={offer.json()['id']}").json()["messages"]

    assert [m["kind"] for m in seen_by_clerk] == ["hello"]
    assert [(m["kind"], m["body"]["offer"]) for m in seen_by_citizen] == [("offer", 1)]
    assert after_offer == []


def test_signalling_refuses_strangers_other_halls_and_bad_messages(client, setup):
    _hall, service, _clerk = setup
    booking = video_booking(service)
    join_call(client, booking)
    clerk_url = reverse("video:clerk_signal", args=[booking.pk])
    other_clerk = make_staff(make_hall("south"), username="south-clerk")

    anonymous = client.get(clerk_url)
    client.force_login(other_clerk)
    other_hall = client.get(clerk_url)
    client.logout()
    wrong_token = client.get(reverse("video:citizen_signal", args=["not-a-token"]))
    citizen_url = reverse("video:citizen_signal", args=[booking.manage_token])
    bad_kind = post_json(client, citizen_url, {"kind": "drop table", "body": None})
    not_json = client.post(citizen_url, "{{{", content_type="application/json")
    huge = post_json(client, citizen_url, {"kind": "offer", "body": "x" * 30_000})

    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert (other_hall.status_code, wrong_token.status_code) == (404, 404)
    assert (bad_kind.status_code, not_json.status_code, huge.status_code) == (400, 400, 400)
    assert AuditEntry.objects.filter(action=AuditAction.OTHER_HALL_REFUSED).count() == 1


def test_signalling_messages_expire(setup, settings):
    _hall, service, _clerk = setup
    booking = video_booking(service)
    now = timezone.now()
    signalling.post(booking=booking, sender="clerk", kind="offer", body={"offer": 1}, now=now)

    later = now + dt.timedelta(seconds=settings.VIDEO["SIGNAL_SECONDS"] + 1)
    assert signalling.fetch(booking=booking, reader="citizen", after=0, now=later) == []
    signalling.post(booking=booking, sender="citizen", kind="hello", body=None, now=later)
    assert list(Signal.objects.values_list("kind", flat=True)) == ["hello"]


def identity(client, booking, **fields):
    data = {"face_matches": "on", "questions_answered": "on", "id_number": make_id_number(ID_SERIAL)}
    data.update(fields)
    url = reverse("video:identity", args=[booking.pk])
    return client.post(url, data, HTTP_ACCEPT="application/json")


def test_the_identity_check_compares_the_number_read_aloud_and_keeps_neither_it_nor_an_image(client, setup):
    hall, service, clerk = setup
    booking = video_booking(service)
    client.force_login(clerk)

    wrong = identity(client, booking, id_number=make_id_number(ID_SERIAL + 1))
    right = identity(client, booking)
    not_a_number = identity(client, booking, id_number="12345")

    assert (wrong.json()["passed"], right.json()["passed"]) == (False, True)
    assert not_a_number.status_code == 400 and not_a_number.json()["ok"] is False
    checks = list(
        IdentityCheck.objects.order_by("id").values_list("id_number_matches", "passed", "checked_by")
    )
    assert checks == [(False, False, clerk.pk), (True, True, clerk.pk)]
    entries = AuditEntry.objects.filter(action=AuditAction.VIDEO_IDENTITY_CHECKED, hall=hall, actor=clerk)
    assert entries.count() == 2
    assert "id_number=yes" in entries.latest("id").detail
    # The number typed is nowhere in the database, and no column holds an image.
    number = make_id_number(ID_SERIAL)
    for model in (IdentityCheck, AuditEntry, Signal):
        for row in model.objects.values():
            assert number not in json.dumps(row, default=str)
    assert not any(f.get_internal_type() in ("BinaryField", "FileField", "ImageField")
                   for f in IdentityCheck._meta.get_fields() if f.concrete)  # fmt: skip


def test_completing_needs_a_confirmed_identity_then_opens_a_postal_item(client, setup):
    _hall, service, clerk = setup
    booking = video_booking(service)
    join_call(client, booking)
    client.force_login(clerk)
    url = reverse("video:complete", args=[booking.pk])

    too_soon = client.post(url, ADDRESS, HTTP_ACCEPT="application/json")
    identity(client, booking, face_matches="")
    still_too_soon = client.post(url, ADDRESS, HTTP_ACCEPT="application/json")
    identity(client, booking)
    no_street = client.post(url, {**ADDRESS, "street": ""}, HTTP_ACCEPT="application/json")
    done = client.post(url, ADDRESS, HTTP_ACCEPT="application/json")

    assert (too_soon.status_code, still_too_soon.status_code, no_street.status_code) == (400, 400, 400)
    assert done.status_code == 200
    item = PostalItem.objects.get()
    assert done.json()["reference"] == item.reference
    assert (item.booking_id, item.origin, item.state) == (
        booking.pk,
        PostalOrigin.VIDEO,
        PostalState.MATERIALS_RECEIVED,
    )
    assert (item.id_hash, item.city) == (booking.id_hash, "兰州市")
    booking.refresh_from_db()
    assert booking.state == BookingState.SERVED
    client.logout()
    citizen = client.get(reverse("video:citizen_signal", args=[booking.manage_token]) + "?after=0").json()
    assert citizen["state"] == "served" and citizen["messages"][-1]["kind"] == "done"


def test_completing_without_post_opens_no_postal_item(client, setup):
    _hall, service, clerk = setup
    booking = video_booking(service)
    client.force_login(clerk)
    identity(client, booking)

    response = client.post(reverse("video:complete", args=[booking.pk]), {}, HTTP_ACCEPT="application/json")

    assert response.json()["ok"] is True
    assert PostalItem.objects.count() == 0


def test_the_clerks_list_shows_todays_video_bookings(client, setup):
    _hall, service, clerk = setup
    booking = video_booking(service)
    client.force_login(clerk)

    page = client.get(reverse("video:today")).content.decode()
    console = client.get(reverse("queueing:console")).content.decode()

    assert reverse("video:call", args=[booking.pk]) in page and booking.code in page
    assert f'class="online-room-link" href="{reverse("video:today")}"' in console


def test_a_video_booking_gets_no_ticket_at_the_kiosk(setup):
    from queueing import services as queue_services

    hall, service, _clerk = setup
    booking = video_booking(service)

    with pytest.raises(queue_services.QueueError) as refusal:
        queue_services.check_in(hall=hall, code=booking.code, actor=queue_services.Actor("kiosk"))

    assert refusal.value.code == "by_video"
    booking.refresh_from_db()
    assert booking.state == BookingState.BOOKED


def test_the_waiting_room_before_the_day_says_which_day_the_call_opens(client, setup):
    hall, service, _clerk = setup
    start = timezone.now() + dt.timedelta(days=3)
    booking = video_booking(service, start=start)

    page = client.get(reverse("video:waiting_room", args=[booking.manage_token])).content.decode()

    day = timezone.localtime(calls.join_window(booking)[0], hall.tz)
    assert f"{day.year}年{day.month}月{day.day}日" in page.split('id="call-not-yet"')[1].split("</p>")[0]


def test_when_the_matter_is_done_only_the_citizen_is_told_to_close_the_page(client, setup):
    _hall, service, clerk = setup
    booking = video_booking(service)

    citizen_page = client.get(reverse("video:waiting_room", args=[booking.manage_token])).content.decode()
    client.force_login(clerk)
    clerk_page = client.get(reverse("video:call", args=[booking.pk])).content.decode()

    assert 'data-done="事项已办结，您可以关闭本页面。"' in citizen_page
    assert 'data-done="事项已办结。"' in clerk_page


def test_the_call_page_shows_the_booking_mobile_masked_and_posts_to_it_when_left_empty(client, setup):
    """Privacy: the clerk's completion form does not show the citizen's mobile in full; left empty, the
    courier gets the booking's mobile."""
    from hall.privacy import mask_phone

    _hall, service, clerk = setup
    booking = video_booking(service)
    client.force_login(clerk)
    identity(client, booking)
    full = str(booking.phone.national_number)

    page = client.get(reverse("video:call", args=[booking.pk])).content.decode()
    done = client.post(
        reverse("video:complete", args=[booking.pk]),
        {**ADDRESS, "recipient_phone": ""},
        HTTP_ACCEPT="application/json",
    )

    assert full not in page and mask_phone(booking.phone) in page
    assert done.status_code == 200
    assert PostalItem.objects.get().recipient_phone == booking.phone
