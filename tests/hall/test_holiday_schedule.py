"""The year's end: a year chinese-calendar does not know yet (2027 with chinese-calendar 1.11.0) still
closes on the statutory holidays; an entered State Council schedule wins; the supervisor's dashboard warns
from 1 November until next year's schedule is known; the one form validates and is audited."""

import datetime as dt
import zoneinfo
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from hall import calendar
from hall.models import AuditAction, AuditEntry, HolidaySchedule
from tests.makers import make_hall, make_staff, make_weekday_hours

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
UNKNOWN = 2027  # a year the pinned chinese-calendar does not hold
D = dt.date


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def schedule():
    weekly = [calendar.WeeklySession(d, dt.time(9), dt.time(17)) for d in range(5)]
    return calendar.Schedule(weekly=weekly)


def test_library_lacks_the_year_under_test():
    assert calendar.library_knows(UNKNOWN) is False
    assert calendar.library_knows(2026) is True


@pytest.mark.parametrize(
    ("date", "festival"),
    [
        (D(2027, 1, 1), "New Year's Day"),  # a Friday
        (D(2027, 2, 8), "Spring Festival"),  # a Monday: the first day of the new lunar year
        (D(2027, 2, 5), "Spring Festival"),  # Friday: Spring Festival's eve
        (D(2027, 10, 1), "National Day"),  # a Friday
        (D(2027, 10, 4), "National Day"),  # Monday, a day off in lieu
        (D(2027, 9, 15), "Mid-autumn Festival"),  # a Wednesday, lunar
    ],
)
def test_unknown_year_closes_on_statutory_holidays(schedule, date, festival):
    day = calendar.day_schedule(schedule, date)

    assert day.is_open is False
    assert day.reason == str(calendar.HOLIDAY_NAMES[festival])
    assert day.calendar_known is False


def test_unknown_year_ordinary_weekday_is_open_but_not_official(schedule):
    day = calendar.day_schedule(schedule, D(2027, 3, 3))

    assert day.is_open is True
    assert day.calendar_known is False


def entered_2027(**changes) -> calendar.NationalYear:
    fields = {
        "year": UNKNOWN,
        "holidays": (
            calendar.HolidayRange(D(2027, 1, 1), D(2027, 1, 3), "New Year's Day"),
            calendar.HolidayRange(D(2027, 2, 5), D(2027, 2, 11), "Spring Festival"),
            calendar.HolidayRange(D(2027, 10, 1), D(2027, 10, 7), "National Day"),
        ),
        "workdays": frozenset({D(2027, 2, 20), D(2027, 10, 9)}),  # Saturdays
    }
    return calendar.NationalYear(**{**fields, **changes})


def test_entered_schedule_wins_over_the_libraries(schedule):
    schedule.national = {UNKNOWN: entered_2027()}

    feb_11 = calendar.day_schedule(schedule, D(2027, 2, 11))  # a Thursday: off by the entered schedule
    feb_20 = calendar.day_schedule(schedule, D(2027, 2, 20))  # a Saturday worked instead
    oct_7 = calendar.day_schedule(schedule, D(2027, 10, 7))
    sep_15 = calendar.day_schedule(schedule, D(2027, 9, 15))  # the library's Mid-Autumn; not entered

    assert (feb_11.is_open, feb_11.reason, feb_11.calendar_known) == (False, "Spring Festival", True)
    assert (feb_20.is_open, feb_20.reason) == (True, "make-up workday")
    assert oct_7.is_open is False
    assert (sep_15.is_open, sep_15.calendar_known) == (True, True)


def test_entered_schedule_wins_over_chinese_calendar_too(schedule):
    # 2026-10-07 (a Wednesday) is off by chinese-calendar; an entry for 2026 ending on the 6th opens it.
    national_day = calendar.HolidayRange(D(2026, 10, 1), D(2026, 10, 6), "National Day")
    schedule.national = {2026: calendar.NationalYear(2026, (national_day,))}

    assert calendar.day_schedule(calendar.Schedule(weekly=schedule.weekly), D(2026, 10, 7)).is_open is False
    assert calendar.day_schedule(schedule, D(2026, 10, 7)).is_open is True


@pytest.mark.parametrize(
    ("today", "entered", "due"),
    [
        (D(2026, 10, 31), {}, None),  # before November: no warning yet
        (D(2026, 11, 1), {}, UNKNOWN),
        (D(2026, 12, 6), {}, UNKNOWN),
        (D(2026, 12, 6), {UNKNOWN: "entered"}, None),
        (D(2025, 11, 20), {}, None),  # chinese-calendar knows 2026
    ],
)
def test_schedule_warning_due_from_november_until_known(today, entered, due):
    assert calendar.schedule_warning_due(today, entered) == due


# The pages ---------------------------------------------------------------------------------------------


@pytest.fixture
def hall(db):
    hall = make_hall()
    make_weekday_hours(hall)
    return hall


def client_for(user) -> Client:
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


@pytest.fixture
def boss(hall, settings):
    return client_for(make_staff(hall, "boss", role="supervisor"))


def form_data(**changes) -> dict:
    data = {f"{n}_{w}": "" for n in range(len(calendar.FESTIVALS)) for w in ("first", "last")}
    data.update(
        {
            "0_first": "2027-01-01",
            "0_last": "2027-01-03",
            "1_first": "2027-02-05",
            "1_last": "2027-02-11",
            "6_first": "2027-10-01",
            "6_last": "2027-10-07",
            "workdays": "2027-02-20, 2027-10-09",
        }
    )
    data.update(changes)
    return data


def holiday_url(year=UNKNOWN):
    return reverse("hall:holiday_schedule", args=[year])


def dashboard(client, on: dt.datetime):
    with mock.patch("django.utils.timezone.now", return_value=on):
        return client.get(reverse("reports:dashboard", args=["north"])).content.decode()


WARNING = "The holiday schedule for 2027 is not known yet"


@pytest.mark.django_db
def test_dashboard_warns_in_december_until_the_schedule_is_entered(boss):
    december = dt.datetime(2026, 12, 6, 10, tzinfo=SHANGHAI)
    october = dt.datetime(2026, 10, 30, 10, tzinfo=SHANGHAI)
    assert WARNING not in dashboard(boss, october)
    page = dashboard(boss, december)
    assert WARNING in page
    assert holiday_url() in page

    response = boss.post(holiday_url(), form_data())

    assert response.status_code == 302
    assert WARNING not in dashboard(boss, december)


@pytest.mark.django_db
def test_entering_the_schedule_saves_it_and_writes_the_audit_log(boss, hall):
    boss.post(holiday_url(), form_data())

    saved = HolidaySchedule.objects.get(year=UNKNOWN)
    assert saved.workdays == ["2027-02-20", "2027-10-09"]
    assert saved.holidays[1] == {"name": "Spring Festival", "first": "2027-02-05", "last": "2027-02-11"}
    entry = AuditEntry.objects.get(action=AuditAction.HOLIDAYS_ENTERED)
    assert (entry.hall, entry.actor.username, entry.object_id) == (hall, "boss", str(saved.pk))
    assert entry.detail == "2027: 3 holidays, 2 make-up workdays"
    # the hall's own days follow it now
    day = calendar.day_schedule(hall.schedule(), D(2027, 2, 20))
    assert (day.is_open, day.calendar_known) == (True, True)


@pytest.mark.django_db
def test_the_form_shows_what_was_entered(boss):
    boss.post(holiday_url(), form_data())

    page = boss.get(holiday_url()).content.decode()

    assert 'value="2027-02-11"' in page
    assert "2027-02-20 2027-10-09" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"6_last": "2027-09-30"}, "6_first", "The last day comes before the first."),
        ({"0_first": "2026-12-31"}, "0_first", "Both days must be in 2027."),
        ({"5_first": "2027-10-05", "5_last": "2027-10-09"}, "5_first", "Overlaps National Day."),
        ({"workdays": "2027-02-17"}, "workdays", "2027-02-17 is not a Saturday or Sunday."),
        ({"workdays": "2027-02-06"}, "workdays", "2027-02-06 is inside a holiday."),
        ({"workdays": "2028-01-08"}, "workdays", "2028-01-08 is not in 2027."),
        ({"workdays": "Feb 20"}, "workdays", "“Feb” is not a date; write it as 2027-02-20."),
        ({"1_last": ""}, "1_last", "Enter both the first and the last day off."),
        ({"3_first": "2027-13-01", "3_last": "2027-05-05"}, "3_first", "Enter a valid date."),
    ],
)
def test_form_refuses_an_invalid_schedule_with_a_clear_error(boss, changes, field, message):
    response = boss.post(holiday_url(), form_data(**changes))

    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert message in response.content.decode()
    assert not HolidaySchedule.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.HOLIDAYS_ENTERED).exists()


@pytest.mark.django_db
def test_form_refuses_a_schedule_without_holidays(boss):
    empty = dict.fromkeys(form_data(), "")

    response = boss.post(holiday_url(), empty)

    assert "Enter at least one holiday." in response.content.decode()
    assert not HolidaySchedule.objects.exists()


@pytest.mark.django_db
def test_booking_pages_say_the_official_schedule_is_not_published(hall):
    from appointments import availability
    from tests.makers import make_service

    service = make_service(hall)
    now = dt.datetime(2026, 12, 28, 10, tzinfo=SHANGHAI)
    new_year = availability.day_availability(service=service, date=D(2027, 1, 1), now=now)
    monday = availability.day_availability(service=service, date=D(2027, 1, 4), now=now)
    december = availability.day_availability(service=service, date=D(2026, 12, 30), now=now)

    assert (new_year.open, new_year.reason, new_year.provisional) == (False, "New Year's Day", True)
    assert (monday.open, monday.provisional) == (True, True)
    assert december.provisional is False
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    with mock.patch("django.utils.timezone.now", return_value=now):
        page = client.get(reverse("appointments:choose_time", args=["north", service.code, "2027-01-04"]))
    assert "The official holiday schedule for this year is not published yet" in page.content.decode()


@pytest.mark.django_db
def test_entering_a_schedule_tells_citizens_booked_on_a_day_it_closes(hall, boss):
    """2027-02-11 (a Thursday) is open while the year is provisional; the entered schedule closes it."""
    import phonenumbers

    from appointments import availability
    from appointments import services as booking_services
    from appointments.models import BookingEvent
    from hall import services as hall_services
    from hall.models import Staff
    from notifications.models import Kind, Notification
    from tests.makers import make_counter, make_id_number, make_service

    service = make_service(hall)
    make_counter(hall, 1, [service])
    booked_at = dt.datetime(2027, 2, 8, 10, tzinfo=SHANGHAI)
    slot = availability.day_availability(service=service, date=D(2027, 2, 11), now=booked_at).slots[0]
    citizen = booking_services.Citizen("李四", phonenumbers.parse("13800138000", "CN"), make_id_number(3))
    booking = booking_services.book(
        slot=slot, citizen=citizen, actor=booking_services.Actor("web"), now=booked_at
    )
    open_day = D(2027, 2, 12)  # a Friday the entry leaves open
    other = booking_services.book(
        slot=availability.day_availability(service=service, date=open_day, now=booked_at).slots[0],
        citizen=booking_services.Citizen("王五", phonenumbers.parse("13800138001", "CN"), make_id_number(4)),
        actor=booking_services.Actor("web"),
        now=booked_at,
    )

    hall_services.enter_holiday_schedule(
        national=entered_2027(), user=Staff.objects.get().user, now=booked_at + dt.timedelta(hours=1)
    )

    closures = Notification.objects.filter(kind=Kind.CLOSURE)
    assert list(closures.values_list("subject_id", flat=True)) == [booking.pk]
    assert BookingEvent.objects.filter(booking=booking, note__startswith="closure 2027-02-11").exists()
    assert not BookingEvent.objects.filter(booking=other, note__startswith="closure").exists()
