"""The walk-in cut-off by estimate follows the live estimate (issue 19, item 3): the wait of one more walk-in
ticket taken now (queueing.estimates.walk_in_estimate), not people ahead x the configured average. The
hall's "Waiting now" and the kiosk decide with the same estimate, so the page says "现在不能现场取号"
exactly when the kiosk refuses."""

import datetime as dt
import re
import secrets
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from hall.models import ExtraSession
from queueing import calls, forecast, hours, waiting_now, walkins
from queueing.models import QueueRules, Ticket, TicketKind, TicketState, WalkInQuota
from queueing.services import Actor, QueueError
from tests.makers import make_counter, make_hall, make_service, make_staff, make_weekday_hours

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
KIOSK = Actor("kiosk")
TUESDAY = dt.date(2026, 11, 24)  # open 08:30-17:30; the fixed cut-off is 30 minutes before closing


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 24, hour, minute, tzinfo=TZ)


@pytest.fixture
def hall():
    hall = make_hall()
    make_weekday_hours(hall)
    return hall


@pytest.fixture
def service(hall):
    return make_service(hall)  # configured average: 10 minutes


def open_counter(hall, services_, now, number=1):
    counter = make_counter(hall, number, services_)
    calls.open_counter(
        counter=counter, actor=Actor("console", make_staff(hall, username=f"clerk{number}")), now=now
    )
    return counter


def handled_recently(service, minutes: int, now: dt.datetime, n: int = 10) -> None:
    """n tickets of the service done in the last hours, each at a counter for `minutes` (test data)."""
    date = now.astimezone(service.hall.tz).date()
    Ticket.objects.bulk_create(
        Ticket(
            hall=service.hall,
            service=service,
            date=date,
            sequence=900 + i,
            number=f"{service.prefix}9{i:02d}",
            token=secrets.token_urlsafe(24),
            kind=TicketKind.WALK_IN,
            state=TicketState.DONE,
            issued_at=now - dt.timedelta(minutes=150),
            called_at=now - dt.timedelta(minutes=100 + minutes) + dt.timedelta(minutes=5 * i),
            completed_at=now - dt.timedelta(minutes=100) + dt.timedelta(minutes=5 * i),
        )
        for i in range(n)
    )


def issue(hall, service, now) -> Ticket:
    return walkins.issue_walk_in(hall=hall, service=service, actor=KIOSK, now=now).ticket


def page_and_kiosk(hall, service, now) -> tuple[bool, bool]:
    """Whether the hall's figures offer a walk-in ticket of the service at `now`, and whether the kiosk
    then issues one (read in that order: issuing changes the queue)."""
    offered = {row["code"]: row["walk_ins_now"] for row in waiting_now.figures(hall, now)["services"]}
    try:
        issue(hall, service, now)
    except QueueError as error:
        assert error.code == "last_ticket_passed"
        return offered[service.code], False
    return offered[service.code], True


def test_quick_recent_handling_lets_a_walk_in_in_that_the_old_estimate_refused(hall, service):
    """Six waiting at a configured 10 minutes with one counter: the old estimate (60 minutes) stopped
    tickets at 16:30. The counter has done its last ten in 2 minutes each, so the live estimate is about
    23 minutes and the fixed cut-off (17:00) is the last ticket."""
    open_counter(hall, [service], at(9))
    handled_recently(service, 2, at(16))
    for minute in range(6):
        issue(hall, service, at(16, minute))
    assert hours.last_ticket(at(17, 30), 30, forecast.estimated_wait_minutes(6, 10, 1)) == at(16, 30)

    assert page_and_kiosk(hall, service, at(16, 40)) == (True, True)
    assert page_and_kiosk(hall, service, at(16, 59)) == (True, True)
    assert page_and_kiosk(hall, service, at(17, 0)) == (False, False)
    assert Ticket.objects.filter(state=TicketState.WAITING).count() == 8


def test_slow_recent_handling_and_a_ticket_at_the_counter_stop_walk_ins_the_old_estimate_allowed(
    hall, service
):
    """Three waiting and one at the counter: the old estimate (3 x 10 minutes) allowed tickets until the
    fixed cut-off at 17:00. The last ten took 20 minutes each (about 18 with the configured average) and
    the ticket at the counter was called at 16:20: at 16:40 a new ticket would wait about 58 minutes, past
    closing; the last ticket was at about 16:32."""
    counter = open_counter(hall, [service], at(9))
    handled_recently(service, 20, at(16))
    for minute in range(4):
        issue(hall, service, at(16, 10 + minute))  # 4 x 18 minutes: issued until about 16:19
    calls.call_next(counter=counter, actor=Actor("console", counter.session.user), now=at(16, 20))
    assert hours.last_ticket(at(17, 30), 30, forecast.estimated_wait_minutes(3, 10, 1)) == at(17, 0)

    assert page_and_kiosk(hall, service, at(16, 40)) == (False, False)
    wait = waiting_now.figures(hall, at(16, 40))["services"][0]["estimated_wait_minutes"]
    assert 50 <= wait <= 60


def test_central_estimate_counts_not_the_upper_end_and_no_basis_leaves_the_fixed_cut_off(hall, service):
    rules, quota = QueueRules(hall=hall), WalkInQuota(service=service)

    def refused(now, estimate) -> bool:
        return (
            hours.walk_in_refusal(
                hall=hall, service=service, now=now, rules=rules, quota=quota, estimate=lambda: estimate
            )
            is not None
        )

    about_40 = forecast.Estimate(40, 30, 50)  # "约 30–50 分钟": last ticket 16:50, not 16:40
    assert not refused(at(16, 45), about_40)
    assert refused(at(16, 50), about_40)
    no_basis = forecast.NO_BASIS  # no counter open for the service
    assert not refused(at(16, 59), no_basis)
    assert refused(at(17, 0), no_basis)


def test_estimate_is_not_asked_when_the_rule_is_off_or_the_hall_closed(hall, service):
    asked = []

    def estimate():
        asked.append(1)
        return forecast.Estimate(600)

    quota = WalkInQuota(service=service)
    off = QueueRules(hall=hall, stop_by_estimate=False)
    kwargs = {"hall": hall, "service": service, "quota": quota, "estimate": estimate}
    assert hours.walk_in_refusal(now=at(16), rules=off, **kwargs) is None
    assert hours.walk_in_refusal(now=at(18), rules=QueueRules(hall=hall), **kwargs)[0] == "hall_closed"
    assert asked == []
    assert hours.walk_in_refusal(now=at(16), rules=QueueRules(hall=hall), **kwargs)[0] == "last_ticket_passed"
    assert asked == [1]


# The hall's page runs on the real clock: a hall whose zone puts it at noon now, closing in 45 minutes.


def noon_hall():
    offset = 12 - timezone.now().astimezone(dt.UTC).hour  # hours east of UTC that make it 12:xx there
    zone = "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"
    hall = make_hall(timezone=zone)
    local = timezone.now().astimezone(hall.tz)
    closing = (local + dt.timedelta(minutes=45)).time().replace(second=0, microsecond=0)
    ExtraSession.objects.create(hall=hall, date=local.date(), start=dt.time(8), end=closing, reason="x")
    QueueRules.objects.create(hall=hall, last_ticket_minutes=0)  # only the estimate stops walk-ins
    return hall


def _wait_cells(page: str) -> dict[str, str]:
    rows = re.findall(r'<tr data-service="([^"]+)">(.*?)</tr>', page, re.S)
    return {
        code: re.sub(r"<[^>]+>", "", re.search(r'data-field="wait">(.*?)</td>', row, re.S).group(1)).strip()
        for code, row in rows
    }


def test_hall_page_says_no_walk_ins_exactly_where_the_kiosk_refuses(client):
    """Slow recent handling, one at the counter and two waiting for ID cards: about 53 minutes for a new
    ticket, past closing in 45 (the old estimate, 20 minutes, let it in). Certificates: a free counter."""
    hall = noon_hall()
    ids = make_service(hall)
    cert = make_service(
        hall, code="household-cert", prefix="B", name_zh_hans="户籍证明", name_en="Certificate"
    )
    counter = open_counter(hall, [ids], None)
    open_counter(hall, [cert], None, number=2)
    handled_recently(ids, 20, timezone.now())
    for _ in range(3):
        issue(hall, ids, None)
    calls.call_next(counter=counter, actor=Actor("console", counter.session.user))

    page = client.get(reverse("hall:home", args=[hall.slug]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert _wait_cells(page) == {"id-renewal": "现在不能现场取号", "household-cert": "现在无需等待"}
    with pytest.raises(QueueError) as caught:
        issue(hall, ids, None)
    assert caught.value.code == "last_ticket_passed"
    assert issue(hall, cert, None).number == "B001"
