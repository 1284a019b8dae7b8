import datetime as dt
import re
import secrets

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber
from pytest_django.asserts import assertInHTML, assertNotContains

from appointments import availability, services
from appointments.models import (
    Booking,
    BookingRules,
    BookingState,
    Channel,
    PhoneCode,
    Slot,
    WaitlistEntry,
    WaitlistState,
)
from appointments.services import Actor, Citizen
from hall.models import Closure, ExtraSession
from hall.privacy import hash_id_number, hash_phone, mask_id_number
from notifications.models import Kind, Notification
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_staff

pytestmark = pytest.mark.django_db
WEB = Actor("web", ip="127.0.0.1")
PHONE = "13800138000"
NAME = "张三丰"


def open_on(hall, date, start=dt.time(9), end=dt.time(12)):
    """An extra session opens the hall on `date` whatever the holiday calendar says."""
    ExtraSession.objects.create(
        hall=hall, date=date, start=start, end=end, reason_zh_hans="预约服务", reason_en="Booking day"
    )


@pytest.fixture
def day():
    return timezone.localdate() + dt.timedelta(days=2)


@pytest.fixture
def service(day):
    hall = make_hall()
    open_on(hall, day)
    service = make_service(hall)
    make_counter(hall, 1, [service])
    return service


@pytest.fixture
def client(client):
    """A citizen whose browser asks for English, so that assertions do not depend on compiled Chinese."""
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def slots(service, day):
    return availability.day_availability(service=service, date=day, now=timezone.now()).slots


def flow_url(name, service, day, slot=None):
    args = [service.hall.slug, service.code, day.isoformat()] + ([slot.pk] if slot else [])
    return reverse(f"appointments:{name}", args=args)


def details_data(id_number=None, phone=PHONE, **extra):
    data = {
        "name": NAME,
        "phone": phone,
        "id_number": id_number or make_id_number(1),
        "persons": "1",
        "green_channel": "",
        "green_note": "",
        "language": "en",
    }
    data.update(extra)
    return data


def citizen(n=2, phone="13900139000"):
    return Citizen(
        name="李四", phone=PhoneNumber.from_string(phone, region="CN"), id_number=make_id_number(n)
    )


def book_directly(slot, n=2, phone="13900139000"):
    return services.book(slot=slot, citizen=citizen(n, phone), actor=WEB, now=timezone.now())


# The booking's question pages in their order, with the fields each one asks.
QUESTION_PAGES = [
    ("details", ("name", "phone")),
    ("details_id", ("id_number",)),
    ("details_more", ("persons", "green_channel", "green_note", "language")),
]


def enter_details(client, service, day, slot, start="details", **data):
    """Answer the question pages one after another from `start`; the response of the last page posted
    (a page with errors, the code page, or the way on to the check page)."""
    answers = details_data(**data)
    response = None
    names = [name for name, _fields in QUESTION_PAGES]
    for name, fields in QUESTION_PAGES[names.index(start) :]:
        url = flow_url(name, service, day, slot)
        if response is not None and response.url != url:
            return response
        response = client.post(url, {field: answers[field] for field in fields})
        if response.status_code != 302:
            return response
    return response


def make_no_show(service, id_number, days_ago):
    start = timezone.now() - dt.timedelta(days=days_ago)
    slot = Slot.objects.create(
        hall=service.hall,
        service=service,
        date=timezone.localdate(start),
        start=start,
        end=start + dt.timedelta(minutes=30),
        capacity=1,
        taken=1,
    )
    booking = Booking.objects.create(
        code=secrets.token_hex(4),
        manage_token=secrets.token_urlsafe(24),
        hall=service.hall,
        service=service,
        slot=slot,
        state=BookingState.NO_SHOW,
        name=NAME,
        phone=PHONE,
        phone_hash=hash_phone(PhoneNumber.from_string(PHONE, region="CN")),
        id_hash=hash_id_number(id_number),
        id_masked=mask_id_number(id_number),
    )
    Booking.objects.filter(pk=booking.pk).update(created_at=start - dt.timedelta(days=3))
    return booking


def test_choose_date_lists_open_day_closed_day_and_unreleased_day(client, service, day):
    Closure.objects.create(
        hall=service.hall, date=day + dt.timedelta(days=1), reason_en="Network maintenance"
    )
    last = timezone.localdate() + dt.timedelta(days=7)
    open_on(service.hall, last)
    BookingRules.objects.create(hall=service.hall, release_time=dt.time(23, 59, 59))

    response = client.get(reverse("appointments:choose_date", args=[service.hall.slug, service.code]))

    html = response.content.decode()
    assert f'href="{flow_url("choose_time", service, day)}"' in html
    assert "Closed: Network maintenance" in html
    assert f"Booking for this day opens at 23:59 on {timezone.localdate().isoformat()}." in html
    assertInHTML("<li>Household register booklet</li>", html)


def test_full_booking_shows_code_qr_and_calendar_file(client, service, day):
    slot = slots(service, day)[0]
    id_number = make_id_number(1)

    time_page = client.get(flow_url("choose_time", service, day)).content.decode()
    details = enter_details(client, service, day, slot)
    check_page = client.get(details.url).content.decode()
    confirmed = client.post(details.url)
    booking = Booking.objects.get()
    done_page = client.get(confirmed.url).content.decode()
    calendar = client.get(reverse("appointments:ics", args=[booking.manage_token]))
    qr = client.get(reverse("appointments:qr", args=[booking.manage_token]))

    assert f'href="{flow_url("details", service, day, slot)}"' in time_page
    assert details.url == flow_url("confirm", service, day, slot)
    assert mask_id_number(id_number) in check_page
    assert id_number not in check_page
    assert confirmed.url == reverse("appointments:booked", args=[booking.manage_token])
    assert (booking.name, str(booking.phone), booking.slot, booking.persons) == (
        NAME,
        "+8613800138000",
        slot,
        1,
    )
    assertInHTML(f'<p class="booking-code">{booking.code}</p>', done_page)
    assert f'src="{reverse("appointments:qr", args=[booking.manage_token])}"' in done_page
    assert f'href="{reverse("appointments:ics", args=[booking.manage_token])}"' in done_page
    assert f'href="{reverse("appointments:manage", args=[booking.manage_token])}"' in done_page
    assert "1 Renmin Road, North District" in done_page
    assertInHTML("<li>Household register booklet</li>", done_page)
    assert (qr["Content-Type"], qr.content.startswith(b"<svg")) == ("image/svg+xml", True)
    lines = calendar.content.decode().replace("\r\n ", "").split("\r\n")
    utc = "%Y%m%dT%H%M%SZ"
    assert calendar["Content-Type"] == "text/calendar; charset=utf-8"
    assert lines[:8] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Chuangkou//Booking//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{booking.code}@chuangkou",
        f"DTSTAMP:{booking.created_at.astimezone(dt.UTC):{utc}}",
    ]
    assert lines[8:12] == [
        f"DTSTART:{slot.start.astimezone(dt.UTC):{utc}}",
        f"DTEND:{slot.end.astimezone(dt.UTC):{utc}}",
        "SUMMARY:ID card renewal · North District Hall",
        "LOCATION:1 Renmin Road\\, North District",
    ]
    assert lines[-3:] == ["END:VEVENT", "END:VCALENDAR", ""]


def test_details_back_link_keeps_what_was_typed(client, service, day):
    slot = slots(service, day)[0]
    enter_details(client, service, day, slot)

    html = client.get(flow_url("details", service, day, slot)).content.decode()

    assert f'value="{NAME}"' in html
    assert 'value="138 0013 8000"' in html


def test_details_bad_check_digit_shown_at_field_and_in_summary(client, service, day):
    slot = slots(service, day)[0]
    wrong = make_id_number(1)[:17] + ("0" if make_id_number(1)[17] != "0" else "1")

    response = enter_details(client, service, day, slot, id_number=wrong)

    html = response.content.decode()
    message = "The last character does not match: please check the number on the card."
    assertInHTML(f'<li><a href="#id_id_number">{message}</a></li>', html)
    assertInHTML(
        f'<p class="error-message" id="id_id_number_error"><span class="visually-hidden">Error: </span>'
        f"{message}</p>",
        html,
    )
    assert 'aria-describedby="id_id_number_helptext id_id_number_error"' in html
    assert Booking.objects.count() == 0


def test_confirm_full_slot_says_so_and_links_to_the_time(client, service, day):
    slot = slots(service, day)[0]
    check = enter_details(client, service, day, slot)
    book_directly(slot)

    response = client.post(check.url)

    html = response.content.decode()
    message = "This time is fully booked. Please choose another time."
    assertInHTML(f'<li><a href="#slot">{message}</a></li>', html)
    assertInHTML(f'<p class="error-message"><span class="visually-hidden">Error: </span>{message}</p>', html)
    assert Booking.objects.filter(phone=PHONE).count() == 0


def test_confirm_duplicate_booking_says_change_instead(client, service, day):
    first, second = slots(service, day)[:2]
    book_directly(first, n=1)
    check = enter_details(client, service, day, second, id_number=make_id_number(1))

    response = client.post(check.url)

    assertInHTML(
        "<li>You already have a booking for this service. Change or cancel it instead of booking again.</li>",
        response.content.decode(),
    )


def test_confirm_daily_limit_says_come_back_tomorrow(client, service, day):
    first, second = slots(service, day)[:2]
    book_directly(first, n=2, phone=PHONE)
    check = enter_details(client, service, day, second, id_number=make_id_number(3))

    response = client.post(check.url)

    assertInHTML(
        "<li>You can make at most 1 booking(s) a day. Please come back tomorrow or change your booking.</li>",
        response.content.decode(),
    )


def test_confirm_blocked_after_two_no_shows(client, service, day):
    slot = slots(service, day)[0]
    make_no_show(service, make_id_number(1), days_ago=20)
    second = make_no_show(service, make_id_number(1), days_ago=10)
    check = enter_details(client, service, day, slot)

    response = client.post(check.url)

    until = timezone.localdate(second.slot.start + dt.timedelta(days=90)).isoformat()
    assertInHTML(
        f"<li>Online booking is blocked until {until} because of 2 missed appointments. You can still take a "
        "ticket at the hall. If these were not your appointments, or you had a good reason, call the hall on "
        "0000-1234567: a supervisor can lift the block.</li>",
        response.content.decode(),
    )
    assert Booking.objects.filter(state=BookingState.BOOKED).count() == 0


def test_confirm_warns_after_one_no_show(client, service, day):
    slot = slots(service, day)[0]
    make_no_show(service, make_id_number(1), days_ago=10)
    check = enter_details(client, service, day, slot)

    response = client.get(check.url)

    assertInHTML(
        "<p>You missed an appointment recently. If you miss another within 30 days, online booking will be "
        "blocked for 90 days. Please cancel in time if you cannot come.</p>",
        response.content.decode(),
    )


def test_manage_by_link_shows_masked_data_only(client, service, day):
    booking = book_directly(slots(service, day)[0], n=1, phone=PHONE)

    response = client.get(reverse("appointments:manage", args=[booking.manage_token]))

    html = response.content.decode()
    assertInHTML("<dd>李*</dd>", html)
    assertInHTML("<dd>138****8000</dd>", html)
    assertInHTML(f"<dd>{mask_id_number(make_id_number(1))}</dd>", html)
    for secret in (make_id_number(1), PHONE, "138 0013 8000", "+8613800138000", "李四"):
        assertNotContains(response, secret)


def test_find_by_code_and_mobile_redirects_to_manage(client, service, day):
    booking = book_directly(slots(service, day)[0], phone=PHONE)

    response = client.post(
        reverse("appointments:find"), {"code": booking.code.lower(), "phone": "138 0013 8000"}
    )

    assert response.url == reverse("appointments:manage", args=[booking.manage_token])


def test_find_with_wrong_mobile_says_check_both(client, service, day):
    booking = book_directly(slots(service, day)[0], phone=PHONE)

    response = client.post(reverse("appointments:find"), {"code": booking.code, "phone": "13900000000"})

    assertInHTML(
        "<li>We found no booking with this code and mobile number. Check both against your confirmation "
        "text message and try again.</li>",
        response.content.decode(),
    )


def test_find_is_rate_limited_per_ip(client, service, day, settings):
    settings.RATE_LIMITS = True
    for _ in range(20):
        client.post(reverse("appointments:find"), {"code": "AAAAAAAA", "phone": PHONE})

    response = client.post(reverse("appointments:find"), {"code": "AAAAAAAA", "phone": PHONE})

    assertInHTML(
        "<li>Too many attempts. Please wait a few minutes and try again.</li>", response.content.decode()
    )


def test_cancel_asks_then_cancels(client, service, day):
    booking = book_directly(slots(service, day)[0])
    url = reverse("appointments:cancel", args=[booking.manage_token])

    question = client.get(url).content.decode()
    response = client.post(url)
    manage_page = client.get(response.url).content.decode()

    booking.refresh_from_db()
    assertInHTML("<h1>Cancel this booking?</h1>", question)
    assert booking.state == BookingState.CANCELLED
    assertInHTML('<p class="message message-success">Your booking has been cancelled.</p>', manage_page)
    assertInHTML('<p class="notice">This booking is cancelled.</p>', manage_page)


def test_reschedule_moves_the_booking(client, service, day):
    first, second = slots(service, day)[:2]
    booking = book_directly(first)
    url = reverse("appointments:reschedule", args=[booking.manage_token])

    choices = client.get(url, {"date": day.isoformat()}).content.decode()
    response = client.post(url, {"slot": second.pk})

    booking.refresh_from_db()
    assert f'name="slot" value="{second.pk}"' in choices
    assert f'name="slot" value="{first.pk}"' not in choices
    assert (response.url, booking.slot_id) == (
        reverse("appointments:manage", args=[booking.manage_token]),
        second.pk,
    )


def test_reschedule_to_full_slot_keeps_the_old_one(client, service, day):
    first, second = slots(service, day)[:2]
    booking = book_directly(first)
    Slot.objects.filter(pk=second.pk).update(taken=F("capacity"))

    response = client.post(
        reverse("appointments:reschedule", args=[booking.manage_token]), {"slot": second.pk}
    )

    booking.refresh_from_db()
    html = response.content.decode()
    assert booking.slot_id == first.pk
    assertInHTML('<li><a href="#slot">This time is fully booked. Please choose another time.</a></li>', html)
    assert "Your booking has not changed. It is still:" in html


def test_waiting_list_join_then_accept_offer(client, service, day):
    day_slots = slots(service, day)
    Slot.objects.filter(pk__in=[s.pk for s in day_slots[1:]]).update(taken=F("capacity"))
    booking = book_directly(day_slots[0], n=9, phone="13700137000")

    time_page = client.get(flow_url("choose_time", service, day)).content.decode()
    joined = client.post(flow_url("join_waitlist", service, day), {"phone": PHONE, "language": "en"})
    waiting_page = client.get(joined.url).content.decode()
    services.cancel_booking(booking=booking, actor=WEB, now=timezone.now() - dt.timedelta(minutes=11))
    services.release_due_places(now=timezone.now())
    offer_page = client.get(joined.url).content.decode()
    accepted = client.post(joined.url, details_data(id_number=make_id_number(1)))

    entry = WaitlistEntry.objects.get()
    assert f'href="{flow_url("join_waitlist", service, day)}"' in time_page
    assert (joined.url, str(entry.phone)) == (
        reverse("appointments:waitlist_offer", args=[entry.token]),
        "+8613800138000",
    )
    assertInHTML("<h1>You are on the waiting list</h1>", waiting_page)
    assertInHTML("<h1>A place is held for you</h1>", offer_page)
    assert (entry.state, entry.booking.slot_id) == (WaitlistState.ACCEPTED, day_slots[0].pk)
    assert accepted.url == reverse("appointments:booked", args=[entry.booking.manage_token])


def test_sms_code_must_be_right_before_confirming(client, service, day, settings):
    settings.BOOKING_SMS_CODE = True
    slot = slots(service, day)[0]

    details = enter_details(client, service, day, slot)
    text = Notification.objects.get(kind=Kind.VERIFICATION_CODE).text
    code = re.search(r"\b(\d{6})\b", text).group(1)
    wrong = client.post(details.url, {"code": f"{(int(code) + 1) % 10**6:06d}"})
    skipped = client.get(flow_url("confirm", service, day, slot))
    right = client.post(details.url, {"code": code})
    check = enter_details(client, service, day, slot, start="details_id")
    confirmed = client.post(check.url)

    assert details.url == flow_url("verify", service, day, slot)
    assert str(Notification.objects.get(kind=Kind.VERIFICATION_CODE).phone) == "+8613800138000"
    assertInHTML(
        '<li><a href="#id_code">'
        "The code is not right. Check the text message and type the 6 digits again.</a></li>",
        wrong.content.decode(),
    )
    assert skipped.url == flow_url("verify", service, day, slot)
    assert right.url == flow_url("details_id", service, day, slot)
    assert check.url == flow_url("confirm", service, day, slot)
    assert confirmed.url == reverse("appointments:booked", args=[Booking.objects.get().manage_token])


def test_sms_code_gives_up_after_five_wrong_tries(client, service, day, settings):
    settings.BOOKING_SMS_CODE = True
    slot = slots(service, day)[0]
    details = enter_details(client, service, day, slot)
    code = re.search(r"\b(\d{6})\b", Notification.objects.get().text).group(1)
    for _ in range(5):
        client.post(details.url, {"code": f"{(int(code) + 1) % 10**6:06d}"})

    response = client.post(details.url, {"code": code})

    assertInHTML(
        '<li><a href="#id_code">The code has expired or was used up. Send a new code.</a></li>',
        response.content.decode(),
    )


def test_one_browser_session_texts_at_most_five_numbers_an_hour(client, service, day, settings):
    """SMS pumping through the web form: each post of the details page with a new number sends a code."""
    settings.BOOKING_SMS_CODE = True
    slot = slots(service, day)[0]
    for n in range(6):
        answer = enter_details(client, service, day, slot, phone=f"1390000{n:04d}")

    page = client.get(answer.url).content.decode()
    assert Notification.objects.filter(kind=Kind.VERIFICATION_CODE).count() == 5
    assert "Too many codes were asked for from this connection." in page


def test_the_code_page_says_when_a_new_code_may_be_asked_for(client, service, day, settings):
    settings.BOOKING_SMS_CODE = True
    slot = slots(service, day)[0]
    details = enter_details(client, service, day, slot)

    page = client.get(details.url).content.decode()
    resent = client.post(details.url, {"resend": "1"}, follow=True).content.decode()

    sent_at = PhoneCode.objects.get().created_at + dt.timedelta(seconds=60)
    when = timezone.localtime(sent_at).strftime("%H:%M:%S")
    assert f"You can ask for a new code from {when}." in page
    assert "You can ask for a new one in" in resent
    assert Notification.objects.filter(kind=Kind.VERIFICATION_CODE).count() == 1


def staff_url(service):
    return reverse("appointments:staff_book_service", args=[service.hall.slug, service.code])


def test_staff_books_a_held_back_place(client, service, day):
    slot = slots(service, day)[0]
    Slot.objects.filter(pk=slot.pk).update(taken=F("capacity"))
    clerk = make_staff(service.hall)
    client.force_login(clerk)

    index = client.get(reverse("appointments:staff_book")).content.decode()
    form = client.get(staff_url(service), {"date": day.isoformat()}).content.decode()
    response = client.post(
        staff_url(service) + f"?date={day.isoformat()}",
        {**details_data(), "date": day.isoformat(), "slot": slot.pk, "use_held_back": "on"},
    )

    booking = Booking.objects.get()
    slot.refresh_from_db()
    assert f'href="{staff_url(service)}"' in index
    assert f'value="{slot.pk}"' in form
    assert response.url == reverse("appointments:booked", args=[booking.manage_token])
    assert (booking.uses_held_back, booking.channel, booking.created_by) == (True, Channel.STAFF, clerk)
    assert (slot.taken, slot.taken_held_back) == (slot.capacity, 1)
    assert [(e.source, e.actor) for e in booking.events.all()] == [("staff", clerk)]


def test_staff_of_another_hall_get_404(client, service, day):
    other = make_hall(slug="south", name_en="South Hall", name_zh_hans="南区户政大厅")
    client.force_login(make_staff(other, username="other_hall_clerk"))
    slot = slots(service, day)[0]

    page = client.get(staff_url(service), {"date": day.isoformat()})
    post = client.post(staff_url(service), {**details_data(), "date": day.isoformat(), "slot": slot.pk})

    assert (page.status_code, post.status_code, Booking.objects.count()) == (404, 404, 0)


def test_staff_booking_needs_login(client, service):
    response = client.get(reverse("appointments:staff_book"))

    assert response.url == reverse("login") + "?next=" + reverse("appointments:staff_book")


@pytest.mark.parametrize("page", ["choose_date", "choose_time"])
def test_day_and_time_lists_query_count_does_not_grow_with_slots(client, day, page):
    def queries(end):
        hall = make_hall(slug=f"h{end.hour}{end.minute}")
        open_on(hall, day, start=dt.time(9), end=end)
        service = make_service(hall)
        make_counter(hall, 1, [service])
        url = flow_url(page, service, day) if page == "choose_time" else None
        url = url or reverse("appointments:choose_date", args=[hall.slug, service.code])
        client.get(url)  # the first visit creates the slots
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        return len(slots(service, day)), len(captured)

    one, three = queries(dt.time(9, 40)), queries(dt.time(10, 40))

    assert (one[0], three[0]) == (1, 3)
    assert one[1] == three[1]
