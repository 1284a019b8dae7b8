"""Blocks that cannot be aimed at someone else: the per-person limits and the no-show block follow the
mobile the booker proved, not the ID number they typed; a supervisor looks a person up by ID number and
lifts a block with a reason (audited); a refused citizen is told to call the hall."""

import datetime as dt
import zoneinfo

import phonenumbers
import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from appointments import availability, housekeeping, services
from appointments.models import BlockLift, BookingRules, BookingState
from appointments.services import Actor, BookingError, Citizen
from hall.models import AuditAction, AuditEntry
from tests.makers import make_counter, make_hall, make_id_number, make_service, make_staff, make_weekday_hours

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # Monday
WEB = Actor("web", ip="10.0.0.1")
VICTIM_ID = make_id_number(1)
VICTIM_PHONE = "13800138000"
STRANGER_PHONE = "13900139000"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def hall():
    hall = make_hall()
    make_weekday_hours(hall)
    return hall


@pytest.fixture
def services_(hall):
    found = [make_service(hall, code=f"s{n}", prefix="ABCD"[n]) for n in range(4)]
    make_counter(hall, 1, found)
    return found


def person(phone, id_number=VICTIM_ID):
    return Citizen(name="李四", phone=phonenumbers.parse(phone, "CN"), id_number=id_number)


def first_slot(service, date, now=NOW):
    return availability.day_availability(service=service, date=date, now=now).slots[0]


def book(service, phone, date=dt.date(2026, 11, 24), now=NOW):
    return services.book(slot=first_slot(service, date, now), citizen=person(phone), actor=WEB, now=now)


def missed(service, phone, date):
    """A booking on `date` (booked the day before) that nobody came to: swept as a no-show."""
    now = dt.datetime.combine(date - dt.timedelta(days=1), dt.time(9), TZ)
    booking = book(service, phone, date=date, now=now)
    housekeeping.mark_no_shows(now=booking.slot.end + dt.timedelta(minutes=16))
    booking.refresh_from_db()
    assert booking.state == BookingState.NO_SHOW
    return booking


def test_stranger_with_someones_id_does_not_use_up_their_bookings(hall, services_):
    BookingRules.objects.create(hall=hall, max_per_day=2, max_per_week=9, max_per_month=9)
    book(services_[0], STRANGER_PHONE)
    book(services_[1], STRANGER_PHONE)

    with pytest.raises(BookingError) as stranger_again:
        book(services_[2], STRANGER_PHONE)
    own = book(services_[3], VICTIM_PHONE)

    assert stranger_again.value.code == "limit_reached"
    assert own.state == BookingState.BOOKED


def test_stranger_with_someones_id_does_not_block_them(hall, services_):
    missed(services_[0], STRANGER_PHONE, dt.date(2026, 11, 10))
    missed(services_[1], STRANGER_PHONE, dt.date(2026, 11, 17))

    with pytest.raises(BookingError) as stranger:
        book(services_[2], STRANGER_PHONE)
    own = book(services_[3], VICTIM_PHONE)

    assert stranger.value.code == "blocked"
    assert own.state == BookingState.BOOKED


def test_blocked_citizen_is_told_to_call_the_hall_on_its_number(hall, services_):
    missed(services_[0], VICTIM_PHONE, dt.date(2026, 11, 10))
    missed(services_[1], VICTIM_PHONE, dt.date(2026, 11, 17))

    with pytest.raises(BookingError) as refused:
        book(services_[2], VICTIM_PHONE)

    assert refused.value.message == (
        "Online booking is blocked until 2027-02-15 because of 2 missed appointments. You can still take a "
        "ticket at the hall. If these were not your appointments, or you had a good reason, call the hall on "
        "0000-1234567: a supervisor can lift the block."
    )


# The supervisor's page


def client_for(user) -> Client:
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


@pytest.fixture
def boss(hall):
    return make_staff(hall, "boss", role="supervisor")


@pytest.fixture
def blocked(hall, services_):
    missed(services_[0], VICTIM_PHONE, dt.date(2026, 11, 10))
    missed(services_[1], VICTIM_PHONE, dt.date(2026, 11, 17))
    return hall


def lookup_url(slug="north"):
    return reverse("appointments:person_lookup", args=[slug])


def look_up(client, id_number=VICTIM_ID):
    return client.post(lookup_url(), {"id_number": id_number})


def test_lookup_shows_the_block_without_the_full_id_number(blocked, boss, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)

    response = look_up(client_for(boss))

    page = response.content.decode()
    assert response.status_code == 200
    assert VICTIM_ID not in page
    assert VICTIM_ID[:3] + "*" * 11 + VICTIM_ID[-4:] in page
    assert "138****8000" in page
    assert "blocked until 2027-02-15" in page
    entry = AuditEntry.objects.get(action=AuditAction.PERSON_LOOKED_UP)
    assert (entry.hall, entry.actor.username, entry.detail) == (blocked, "boss", "2 bookings, 1 mobiles")


def test_lift_with_a_reason_lets_the_person_book_again_and_is_audited(blocked, boss, services_, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    client = client_for(boss)
    token = look_up(client).context["mobiles"][0][0].token

    response = client.post(
        reverse("appointments:lift_block", args=["north"]), {"person": token, "reason": "in hospital"}
    )

    assert response.status_code == 302
    lift = BlockLift.objects.get()
    assert (lift.hall, lift.lifted_by.username, lift.reason) == (blocked, "boss", "in hospital")
    assert book(services_[2], VICTIM_PHONE).state == BookingState.BOOKED
    audit_page = client.get(reverse("reports:audit_log", args=["north"]) + "?days=all").content.decode()
    assert "no-show block lifted" in audit_page
    assert "in hospital" in audit_page


def test_lift_without_a_reason_is_refused_with_a_clear_error(blocked, boss, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    client = client_for(boss)
    token = look_up(client).context["mobiles"][0][0].token

    response = client.post(
        reverse("appointments:lift_block", args=["north"]), {"person": token, "reason": ""}
    )

    assert response.status_code == 400
    assert "Write why the block is lifted: it is kept in the audit log." in response.content.decode()
    assert not BlockLift.objects.exists()


def test_lift_with_a_forged_or_other_halls_token_is_refused(blocked, boss):
    response = client_for(boss).post(
        reverse("appointments:lift_block", args=["north"]), {"person": "forged", "reason": "x"}
    )

    assert response.status_code == 400
    assert "The lookup has expired." in response.content.decode()
    assert not BlockLift.objects.exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("11010519800101001", "A resident ID number has 18 characters: 17 digits and a last digit or X."),
        (VICTIM_ID[:-1] + ("0" if VICTIM_ID[-1] != "0" else "1"), "The last character does not match"),
        ("", "Enter the person&#x27;s resident ID number."),
    ],
)
def test_lookup_refuses_an_invalid_id_number_without_echoing_it(blocked, boss, typed, message):
    response = look_up(client_for(boss), typed)

    page = response.content.decode()
    assert message in page
    assert (typed not in page) or not typed
    assert not AuditEntry.objects.filter(action=AuditAction.PERSON_LOOKED_UP).exists()


def test_other_halls_supervisor_gets_404(blocked):
    south = make_hall(slug="south")
    other = client_for(make_staff(south, "south-boss", role="supervisor"))

    assert look_up(other).status_code == 404
    assert other.get(lookup_url()).status_code == 404
    assert other.post(reverse("appointments:lift_block", args=["north"]), {}).status_code == 404


def test_window_staff_get_403(blocked):
    clerk = client_for(make_staff(blocked, "clerk"))

    assert look_up(clerk).status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.PERSON_LOOKED_UP).exists()
