"""The citizen adds other services to the same visit, without JavaScript: check page → "also" page →
check page → booked; the pages, the text message and the calendar file name every service."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber
from pytest_django.asserts import assertInHTML

from appointments import availability, services
from appointments.models import Booking, BookingMatter, BookingRules, Slot
from appointments.services import Actor, Citizen
from hall.models import ExtraSession, Material
from notifications.models import Kind, Notification
from tests.appointments.test_views import enter_details
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    return timezone.localdate() + dt.timedelta(days=2)


@pytest.fixture
def hall(day):
    hall = make_hall()
    ExtraSession.objects.create(
        hall=hall,
        date=day,
        start=dt.time(9),
        end=dt.time(12),
        reason_zh_hans="预约服务",
        reason_en="Booking day",
    )
    BookingRules.objects.create(hall=hall, held_back_percent=0, utilisation_percent=100)
    return hall


@pytest.fixture
def trio(hall):
    made = [
        make_service(hall, "id-renewal", "A", name_en="ID card renewal"),
        make_service(hall, "certificate", "B", name_en="Household certificate"),
        make_service(hall, "move-in", "C", name_en="Move-in"),
    ]
    Material.objects.create(service=made[1], name_zh_hans="申请表", name_en="Application form")
    for n, service in enumerate(made, start=1):
        make_counter(hall, n, [service])
    return made


@pytest.fixture
def client(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def first_slot(service, day):
    return availability.day_availability(service=service, date=day, now=timezone.now()).slots[0]


def url(name, service, day, slot):
    return reverse(f"appointments:{name}", args=[service.hall.slug, service.code, day.isoformat(), slot.pk])


def test_citizen_adds_two_services_and_books_them_for_one_visit(client, trio, day):
    a, b, c = trio
    slot = first_slot(a, day)
    enter_details(client, a, day, slot)

    check_page = client.get(url("confirm", a, day, slot)).content.decode()
    also_page = client.get(url("also", a, day, slot)).content.decode()
    chosen = client.post(url("also", a, day, slot), {"services": ["move-in", "certificate"]})
    check_again = client.get(chosen.url).content.decode()
    confirmed = client.post(url("confirm", a, day, slot))
    booking = Booking.objects.get()
    booked_page = client.get(confirmed.url).content.decode()
    manage_page = client.get(reverse("appointments:manage", args=[booking.manage_token])).content.decode()
    ics = client.get(reverse("appointments:ics", args=[booking.manage_token])).content.decode()
    calendar = ics.replace("\r\n ", "")  # unfolded (RFC 5545 §3.1)

    assert f'href="{url("also", a, day, slot)}"' in check_page
    assert "Household certificate (places left: 3)" in also_page
    assert chosen.url == url("confirm", a, day, slot)
    assert "Move-in<br>Household certificate" in check_again
    assert list(booking.matters.values_list("position", "service__code")) == [
        (2, "move-in"),
        (3, "certificate"),
    ]
    assert [s.taken for s in Slot.objects.filter(start=slot.start).order_by("service__prefix")] == [1, 1, 1]
    for page in (booked_page, manage_page):
        assertInHTML(
            "<ol class='matters'><li>ID card renewal</li><li>Move-in</li><li>Household certificate</li></ol>",
            page,
        )
    assertInHTML("<h3>Household certificate</h3>", booked_page)
    assertInHTML("<li>Application form</li>", booked_page)
    assert "SUMMARY:ID card renewal + Move-in + Household certificate · North District Hall" in calendar
    assert "Household certificate: Household register booklet\\; Application form" in calendar
    message = Notification.objects.get(kind=Kind.BOOKING_CONFIRMED).text
    booked = f"Booked ID card renewal + Move-in + Household certificate {day.isoformat()} 09:00-09:30, code "
    assert booked in message  # the booked day, whatever day the test runs


def test_also_page_refuses_three_more_services(client, trio, hall, day):
    fourth = make_service(hall, "newborn", "D", name_en="Newborn registration")
    make_counter(hall, 4, [fourth])
    slot = first_slot(trio[0], day)
    enter_details(client, trio[0], day, slot)

    response = client.post(
        url("also", trio[0], day, slot), {"services": ["certificate", "move-in", "newborn"]}
    )

    assert response.status_code == 200
    assertInHTML(
        '<li><a href="#id_services_0">Choose at most two more services.</a></li>', response.content.decode()
    )
    assert client.session["booking_draft"].get("also") == []


def test_one_service_full_at_confirmation_is_named_and_nothing_is_taken(client, trio, day):
    a, b, _c = trio
    slot = first_slot(a, day)
    enter_details(client, a, day, slot)
    client.post(url("also", a, day, slot), {"services": ["certificate"]})
    Slot.objects.filter(service=b, start=slot.start).update(taken=F("capacity"))

    response = client.post(url("confirm", a, day, slot))

    page = response.content.decode()
    message = (
        "Household certificate is fully booked at this time. Leave it out, or choose another time for the "
        "whole visit."
    )
    assertInHTML(f'<li><a href="#services">{message}</a></li>', page)
    assert (Booking.objects.count(), BookingMatter.objects.count()) == (0, 0)
    assert Slot.objects.get(service=a, start=slot.start).taken == 0


def test_also_page_without_details_sends_back_to_details(client, trio, day):
    slot = first_slot(trio[0], day)

    response = client.get(url("also", trio[0], day, slot))

    assert response.url == url("details", trio[0], day, slot)


def test_staff_book_a_visit_with_another_service(client, trio, hall, day):
    a, b, _c = trio
    slot = first_slot(a, day)
    client.force_login(make_staff(hall))
    staff_url = reverse("appointments:staff_book_service", args=[hall.slug, a.code])

    form = client.get(staff_url, {"date": day.isoformat()}).content.decode()
    response = client.post(
        staff_url + f"?date={day.isoformat()}",
        {
            "date": day.isoformat(),
            "slot": slot.pk,
            "also": [b.pk],
            "name": "张三丰",
            "phone": "13800138000",
            "id_number": make_id_number(1),
            "persons": "2",
            "green_channel": "",
            "green_note": "",
            "language": "en",
        },
    )

    booking = Booking.objects.get()
    assert f'name="also" value="{b.pk}"' in form
    assert response.url == reverse("appointments:booked", args=[booking.manage_token])
    assert list(booking.matters.values_list("service__code", "slot__start")) == [("certificate", slot.start)]
    assert Slot.objects.get(service=b, start=slot.start).taken == 2


def test_booked_and_manage_pages_query_count_does_not_grow_with_matters(client, trio, day):
    def queries(also, n):
        slot = first_slot(trio[0], day)
        booking = services.book(
            slot=slot,
            citizen=Citizen(
                name="李四",
                phone=PhoneNumber.from_string(f"1390013900{n}", region="CN"),
                id_number=make_id_number(n),
            ),
            also=also,
            actor=Actor("staff"),
            now=timezone.now(),
        )
        counts = []
        for name in ("booked", "manage"):
            with CaptureQueriesContext(connection) as captured:
                client.get(reverse(f"appointments:{name}", args=[booking.manage_token]))
            counts.append(len(captured))
        return counts

    assert queries([], 1) == queries(trio[1:], 2)


def test_reschedule_page_says_the_other_services_move_too(client, trio, day):
    slot = first_slot(trio[0], day)
    booking = services.book(
        slot=slot,
        citizen=Citizen(
            name="李四",
            phone=PhoneNumber.from_string("13900139001", region="CN"),
            id_number=make_id_number(1),
        ),
        also=trio[1:],
        actor=Actor("staff"),
        now=timezone.now(),
    )

    page = client.get(reverse("appointments:reschedule", args=[booking.manage_token])).content.decode()

    assert "The other two services of this visit move to the new time too, if they have room then." in page
