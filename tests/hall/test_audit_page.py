"""The supervisor's audit page: what it lists (audit entries beside staff booking and ticket events and
block lifts), its filters, pages and who may see it."""

import datetime as dt
import re
import zoneinfo

import phonenumbers
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments import availability
from appointments import services as booking_services
from appointments.models import BlockLift, Booking, BookingEvent
from hall import audit
from hall.models import AuditAction, AuditEntry, ExtraSession
from queueing import calls, walkins
from queueing.models import TicketEvent
from queueing.services import Actor
from tests.makers import make_counter, make_id_number, make_service, make_staff
from tests.queueing.helpers import book, make_hall_open_today

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def today():
    return timezone.localdate()


def at(today, hour, minute, days=0) -> dt.datetime:
    day = today + dt.timedelta(days=days)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@pytest.fixture
def hall():
    return make_hall_open_today()


@pytest.fixture
def service(hall):
    return make_service(hall)


@pytest.fixture
def counter(hall, service):
    return make_counter(hall, 3, [service])


@pytest.fixture
def clerk(hall):
    user = make_staff(hall, "clerk")
    user.first_name, user.last_name = "Li", "Ming"
    user.save()
    return user


@pytest.fixture
def supervisor(hall):
    return make_staff(hall, "boss", role="supervisor")


def page_client(user) -> Client:
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    client.force_login(user)
    AuditEntry.objects.filter(id__gt=before).delete()  # this sign-in is not part of the story
    return client


def url(slug="north"):
    return reverse("reports:audit_log", args=[slug])


ROW = re.compile(r'<tr data-action="([a-z_]+)">(.*?)</tr>', re.S)
CELL = re.compile(r"<td>(.*?)</td>", re.S)


def rows(response) -> list[tuple[str, ...]]:
    """The table's rows as (time, staff member, action, object, change, note, address)."""
    assert response.status_code == 200
    return [
        tuple(re.sub(r"\s+", " ", cell).strip() for cell in CELL.findall(body))
        for _action, body in ROW.findall(response.content.decode())
    ]


@pytest.fixture
def history(today, hall, service, counter, clerk, supervisor):
    """A morning of staff actions in this hall, one citizen's own booking, and another hall's entry."""
    AuditEntry.objects.all().delete()  # the sign-ins of force_login elsewhere are not part of the story
    audit.record(action=AuditAction.SIGNED_IN, hall=hall, actor=clerk, ip="10.0.0.3", now=at(today, 8, 55))
    audit.record(
        action=AuditAction.COUNTER_OPENED,
        hall=hall,
        actor=clerk,
        obj=counter,
        ip="10.0.0.3",
        now=at(today, 9, 0),
    )
    # A citizen's own booking (no staff member) and a kiosk ticket are not staff actions.
    own = book(service, at(today, 11, 0), n=1)
    ticket = walkins.issue_walk_in(
        hall=hall, service=service, actor=Actor("kiosk"), now=at(today, 9, 1)
    ).ticket
    calls.open_counter(counter=counter, actor=Actor("console", user=clerk), now=at(today, 9, 0))
    calls.call_next(counter=counter, actor=Actor("console", user=clerk), now=at(today, 9, 5))
    staff_booking = book(service, at(today, 14, 0), n=2)
    BookingEvent.objects.filter(booking=staff_booking).update(
        actor=supervisor, source="staff", ip="10.0.0.9", at=at(today, 9, 10)
    )
    booking_services.lift_block(
        hall=hall, id_number=make_id_number(7), user=supervisor, reason="hospital stay"
    )
    BlockLift.objects.update(at=at(today, 9, 20))
    audit.record(
        action=AuditAction.PHONE_REVEALED,
        hall=hall,
        actor=supervisor,
        obj=ticket,
        detail="follow-up 4",
        ip="10.0.0.9",
        now=at(today, 9, 30),
    )
    audit.record(action=AuditAction.SIGNED_IN, hall=hall, actor=clerk, now=at(today, 17, 0, days=-1))
    other = make_hall_open_today(slug="south")
    audit.record(
        action=AuditAction.SIGNED_IN, hall=other, actor=make_staff(other, "south-clerk"), now=at(today, 9, 0)
    )
    return {"own": own, "ticket": ticket, "staff_booking": staff_booking}


def test_page_lists_the_days_staff_actions_newest_first(today, supervisor, history):
    day = today.isoformat()
    ticket = history["ticket"]
    code = history["staff_booking"].code

    response = page_client(supervisor).get(url())

    assert rows(response) == [
        (
            f"{day} 09:30:00",
            "boss",
            "full mobile number shown",
            str(ticket.pk),
            "—",
            "follow-up 4",
            "10.0.0.9",
        ),
        (
            f"{day} 09:20:00",
            "boss",
            "no-show block lifted",
            str(BlockLift.objects.get().pk),
            "—",
            "hospital stay",
            "—",
        ),
        (f"{day} 09:10:00", "boss", "booking changed", code, "— → booked", "—", "10.0.0.9"),
        (f"{day} 09:05:00", "Li Ming", "ticket changed", ticket.number, "waiting → called", "—", "—"),
        (f"{day} 09:00:00", "Li Ming", "window opened", "Window 3", "—", "—", "10.0.0.3"),
        (f"{day} 08:55:00", "Li Ming", "signed in", "—", "—", "—", "10.0.0.3"),
    ]


def test_page_filters_by_staff_member(today, clerk, supervisor, history):
    response = page_client(supervisor).get(url(), {"staff": clerk.pk})

    assert [(r[1], r[2]) for r in rows(response)] == [
        ("Li Ming", "ticket changed"),
        ("Li Ming", "window opened"),
        ("Li Ming", "signed in"),
    ]


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("ticket", ["ticket changed"]),
        ("booking", ["booking changed"]),
        ("block_lift", ["no-show block lifted"]),
        ("signed_in", ["signed in"]),
        ("phone_revealed", ["full mobile number shown"]),
        ("counter_closed", []),
    ],
)
def test_page_filters_by_action(supervisor, history, action, expected):
    response = page_client(supervisor).get(url(), {"action": action})

    assert [r[2] for r in rows(response)] == expected


def test_page_shows_another_day_or_range(today, supervisor, history):
    yesterday = (today - dt.timedelta(days=1)).isoformat()

    one_day = rows(page_client(supervisor).get(url(), {"date": yesterday}))
    both = rows(page_client(supervisor).get(url(), {"from": yesterday, "to": today.isoformat()}))

    assert one_day == [(f"{yesterday} 17:00:00", "Li Ming", "signed in", "—", "—", "—", "—")]
    assert [r[0] for r in both][-1] == f"{yesterday} 17:00:00" and len(both) == 7


def test_page_explains_a_bad_filter_and_shows_everything(supervisor, history):
    response = page_client(supervisor).get(url(), {"action": "delete_everything", "staff": "abc"})

    text = response.content.decode()
    assert "Action: Choose one of the listed values." in text
    assert "Staff member: Choose one of the listed values." in text
    assert len(rows(response)) == 6


def test_page_explains_a_bad_date(today, supervisor, history):
    response = page_client(supervisor).get(url(), {"date": "2026-13-01"})

    assert "Enter dates as YYYY-MM-DD, for example 2026-11-24." in response.content.decode()
    assert len(rows(response)) == 6  # today's


def test_page_has_pages_of_50_that_keep_the_filters(today, hall, clerk, supervisor):
    for minute in range(51):
        audit.record(action=AuditAction.SIGNED_IN, hall=hall, actor=clerk, now=at(today, 8, minute))
    client = page_client(supervisor)

    first = client.get(url(), {"action": "signed_in"})
    second = client.get(url(), {"action": "signed_in", "page": 2})

    assert len(rows(first)) == 50 and rows(first)[0][0] == f"{today.isoformat()} 08:50:00"
    assert rows(second) == [(f"{today.isoformat()} 08:00:00", "Li Ming", "signed in", "—", "—", "—", "—")]
    assert 'href="?action=signed_in&amp;page=2"' in first.content.decode()
    assert "Page 2 of 2" in second.content.decode()


def test_page_reads_a_fixed_number_of_queries_whatever_the_number_of_lines(today, hall, clerk, supervisor):
    client = page_client(supervisor)
    client.get(url())  # the session's first request reads more

    def count(n):
        AuditEntry.objects.all().delete()
        for minute in range(n):
            audit.record(action=AuditAction.SIGNED_IN, hall=hall, actor=clerk, now=at(today, 8, minute))
        with CaptureQueriesContext(connection) as context:
            assert len(rows(client.get(url()))) == n
        return len(context.captured_queries)

    assert count(1) == count(3)


def test_page_is_only_for_the_halls_supervisors(hall, clerk, supervisor, history):
    from django.contrib.auth.models import User

    other_supervisor = make_staff(make_hall_open_today(slug="east"), "east-boss", role="supervisor")
    admin = User.objects.create_superuser("root", password="pw-for-tests-only")

    anonymous = Client().get(url())
    by_clerk = page_client(clerk).get(url())
    by_other_hall = page_client(other_supervisor).get(url())
    other_hall_page = page_client(supervisor).get(url("south"))
    by_admin = page_client(admin).get(url())

    assert anonymous.status_code == 302 and anonymous["Location"] == f"{reverse('login')}?next={url()}"
    assert (
        by_clerk.status_code,
        by_other_hall.status_code,
        other_hall_page.status_code,
        by_admin.status_code,
    ) == (
        403,
        404,
        404,
        404,
    )


def test_supervisor_navigation_links_to_the_audit_log(supervisor):
    response = page_client(supervisor).get(reverse("reports:dashboard", args=["north"]))

    assert f'href="{url()}"' in response.content.decode()


def test_ticket_events_without_a_staff_member_stay_out(supervisor, history):
    kiosk_events = TicketEvent.objects.filter(actor__isnull=True).count()

    listed = rows(page_client(supervisor).get(url(), {"action": "ticket"}))

    assert kiosk_events >= 1 and len(listed) == 1


def test_a_booking_made_on_the_staff_booking_page_is_listed(today, hall, service, counter, clerk, supervisor):
    day = today + dt.timedelta(days=2)
    ExtraSession.objects.create(hall=hall, date=day, start=dt.time(9), end=dt.time(17), reason="预约服务")
    slot = availability.day_availability(service=service, date=day, now=timezone.now()).slots[0]
    staff_page = reverse("appointments:staff_book_service", args=[hall.slug, service.code])
    details = {
        "date": day.isoformat(),
        "slot": slot.pk,
        "name": "张三丰",
        "phone": "13800138000",
        "id_number": make_id_number(5),
        "persons": 1,
        "language": "zh-hans",
    }

    booked = page_client(clerk).post(f"{staff_page}?date={day.isoformat()}", details)
    listed = rows(page_client(supervisor).get(url(), {"action": "booking"}))

    booking = Booking.objects.get()
    assert booked.status_code == 302
    assert [line[1:] for line in listed] == [
        ("Li Ming", "booking changed", booking.code, "— → booked", "—", "127.0.0.1")
    ]


def test_home_visit_and_postal_changes_by_staff_are_listed(today, hall, clerk, supervisor):
    from appointments.services import Actor as BookingActor
    from homevisits import services as visits
    from postal import services as postal

    service = make_service(hall, "certificate", "B", by_post=True, home_visit=True)
    request = visits.Request(
        person_name="王秀英",
        id_number=make_id_number(2, birth="19300215"),
        requester_name="李明",
        relationship="grandson",
        phone=phonenumbers.parse("13912345678", "CN"),
        reason="immobile",
        address="北区幸福路8号3单元502",
        preferred_dates=(today + dt.timedelta(days=2),),
    )
    visit = visits.request_visit(service=service, request=request)  # by the citizen: not listed
    visits.decline_visit(visit=visit, reason="不在服务范围", actor=visits.Actor("staff", user=supervisor))
    applicant = postal.Applicant.with_id_number(
        name="张三", phone=phonenumbers.parse("13800138000", "CN"), id_number=make_id_number(3)
    )
    address = postal.Address(
        "张三", phonenumbers.parse("13900139000", "CN"), "浙江省", "望川市", "城关区", "人民路88号3幢201室"
    )
    item = postal.apply_by_post(
        service=service, applicant=applicant, address=address, actor=BookingActor("staff", user=clerk)
    )

    listed = rows(page_client(supervisor).get(url()))

    assert [line[1:6] for line in listed] == [
        ("Li Ming", "postal item changed", item.reference, f"— → {item.get_state_display()}", "—"),
        ("boss", "home visit changed", str(visit.pk), "requested → declined", "不在服务范围"),
    ]
