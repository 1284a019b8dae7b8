"""Choosing "by video" when booking: the citizen's pages and a clerk booking for a citizen who phoned."""

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments import availability
from appointments.models import Booking, Mode
from hall.models import CounterKind
from tests.appointments.test_views import day, details_data, open_on  # noqa: F401 - fixtures
from tests.makers import make_counter, make_hall, make_service, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(day):  # noqa: F811
    hall = make_hall()
    open_on(hall, day)
    service = make_service(hall, by_video=True, video_needs_en="Your resident ID card")
    make_counter(hall, 1, [service])
    make_counter(hall, 9, [service], kind=CounterKind.ONLINE_ROOM)
    return service


def slots(service, day, mode):  # noqa: F811
    return availability.day_availability(service=service, date=day, now=timezone.now(), mode=mode).slots


def test_the_guide_offers_video_and_the_times_by_video_are_the_online_rooms(client, service, day):  # noqa: F811
    guide = client.get(
        reverse("hall:service_detail", args=[service.hall.slug, service.code]), HTTP_ACCEPT_LANGUAGE="en"
    )
    choose_date = reverse("appointments:choose_date", args=[service.hall.slug, service.code])
    times_url = reverse("appointments:choose_time", args=[service.hall.slug, service.code, day.isoformat()])

    by_video = client.get(times_url + "?by=video").content.decode()
    at_hall = client.get(times_url).content.decode()

    video_slot, hall_slot = slots(service, day, Mode.VIDEO)[0], slots(service, day, Mode.HALL)[0]
    assert f'href="{choose_date}?by=video"' in guide.content.decode()
    assert "Your resident ID card" in guide.content.decode()
    details = "/h/{}/book/{}/{}/{}/"
    assert details.format(service.hall.slug, service.code, day.isoformat(), video_slot.pk) in by_video
    assert details.format(service.hall.slug, service.code, day.isoformat(), hall_slot.pk) not in by_video
    assert details.format(service.hall.slug, service.code, day.isoformat(), hall_slot.pk) in at_hall
    assert "视频" in by_video


def test_a_service_not_offered_by_video_ignores_the_choice(client, service, day):  # noqa: F811
    service.by_video = False
    service.save()
    times_url = reverse("appointments:choose_time", args=[service.hall.slug, service.code, day.isoformat()])

    page = client.get(times_url + "?by=video").content.decode()

    assert f"/{slots(service, day, Mode.HALL)[0].pk}/" in page


def test_a_clerk_books_a_video_appointment_for_a_citizen_who_phoned(client, service, day):  # noqa: F811
    client.force_login(make_staff(service.hall))
    url = reverse("appointments:staff_book_service", args=[service.hall.slug, service.code])
    video_slot = slots(service, day, Mode.VIDEO)[0]

    form = client.get(url, {"date": day.isoformat(), "by": "video"}).content.decode()
    response = client.post(
        url + f"?date={day.isoformat()}&by=video",
        {**details_data(), "date": day.isoformat(), "by": "video", "slot": video_slot.pk},
    )

    booking = Booking.objects.get()
    assert f'value="{video_slot.pk}"' in form
    assert (booking.mode, booking.slot_id) == (Mode.VIDEO, video_slot.pk)
    manage = client.get(reverse("appointments:manage", args=[booking.manage_token])).content.decode()
    assert response.url == reverse("appointments:booked", args=[booking.manage_token])
    assert reverse("video:waiting_room", args=[booking.manage_token]) in manage
    # The confirmation, in Chinese: the link to the call, and the documents are for the camera, not the hall.
    booked = client.get(response.url).content.decode()
    assert reverse("video:waiting_room", args=[booking.manage_token]) in booked
    assert "视频办理时需要的证件材料" in booked
    # One list of what to have at hand: the service's list for video calls, not the hall's materials too.
    in_english = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert in_english.count("Your resident ID card") == 1
    assert "Household register booklet" not in in_english
    assert "所需材料" not in booked  # "What to bring", the hall visit's heading
    # "Nothing is recorded" is said once, in the introduction, not again under the join button.
    assert booked.count("不录音") == 1
    assert in_english.count("othing is recorded") == 1


def test_another_hall_counts_no_online_room_of_this_one(service, day):  # noqa: F811
    other = make_hall(slug="south", name_en="South Hall", name_zh_hans="南区户政大厅")
    open_on(other, day)
    elsewhere = make_service(other, by_video=True)
    make_counter(other, 1, [elsewhere])

    assert slots(elsewhere, day, Mode.VIDEO) == []


def test_the_id_page_of_a_video_booking_names_the_camera_not_the_window(client, service, day):  # noqa: F811
    video_slot, hall_slot = slots(service, day, Mode.VIDEO)[0], slots(service, day, Mode.HALL)[0]
    pages = {}
    for slot in (video_slot, hall_slot):
        args = [service.hall.slug, service.code, day.isoformat(), slot.pk]
        data = details_data()
        client.post(
            reverse("appointments:details", args=args), {"name": data["name"], "phone": data["phone"]}
        )
        pages[slot.mode] = client.get(reverse("appointments:details_id", args=args)).content.decode()

    assert "镜头前出示身份证" in pages[Mode.VIDEO] and f"{service.name} · 视频办理 · " in pages[Mode.VIDEO]
    assert "窗口工作人员" not in pages[Mode.VIDEO]
    assert "窗口工作人员会核验您的身份证" in pages[Mode.HALL]
