"""'Waiting now' on the hall's public page (queueing/waiting_now.py through hall.home_sections): the figures
at page load, readable without JavaScript, in the citizen's language."""

import re

import pytest
from django.urls import reverse

from queueing import calls, waiting_now
from queueing.models import QueueRules
from queueing.services import Actor
from tests.makers import make_counter, make_hall, make_service, make_staff
from tests.queueing.api.helpers import walk_in
from tests.queueing.helpers import make_hall_open_today

pytestmark = pytest.mark.django_db


def _rows(page: str) -> list[tuple[str, str, str]]:
    """(service, people waiting, wait) of each row of the table, as text."""
    table = page.split('waiting-table"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr data-service=[^>]*>(.*?)</tr>", table, re.S)
    return [
        tuple(
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        )
        for row in rows
    ]


def _page(client, slug="north", language="zh-hans") -> str:
    return client.get(reverse("hall:home", args=[slug]), HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_hall_page_shows_waiting_and_a_walk_in_s_wait_in_chinese(client):
    hall = make_hall_open_today()
    ids = make_service(hall)
    cert = make_service(
        hall, code="household-cert", prefix="B", name_zh_hans="户籍证明", name_en="Household certificate"
    )
    calls.open_counter(counter=make_counter(hall, 1, [ids]), actor=Actor("console", make_staff(hall)))
    walk_in(hall, ids)
    walk_in(hall, ids)

    page = _page(client)

    assert "现在排队情况" in page
    assert sorted(_rows(page)) == [
        ("居民身份证换领", "2", "约 10–30 分钟"),
        ("户籍证明", "0", "暂无法估算：办理此业务的窗口尚未开放"),
    ]
    assert cert.code in page


def test_hall_page_says_no_wait_and_closed_in_english(client):
    hall = make_hall_open_today()
    ids = make_service(hall)
    calls.open_counter(counter=make_counter(hall, 1, [ids]), actor=Actor("console", make_staff(hall)))
    closed = make_hall("south")
    make_service(closed)

    assert _rows(_page(client, language="en")) == [("ID card renewal", "0", "No wait now")]
    assert _rows(_page(client, "south", language="en")) == [
        ("ID card renewal", "0", "No walk-in tickets now")
    ]


def _queries(django_assert_max_num_queries, services: int, stop_by_estimate: bool) -> int:
    hall = make_hall_open_today(slug=f"hall-{services}-{stop_by_estimate}")
    QueueRules.objects.filter(hall=hall).update(stop_by_estimate=stop_by_estimate)
    made = [make_service(hall, code=f"s{i}", prefix="ABC"[i]) for i in range(services)]
    make_counter(hall, 1, made)
    walk_in(hall, made[0])
    with django_assert_max_num_queries(100) as captured:
        waiting_now.figures(hall)
    return len(captured)


@pytest.mark.parametrize("stop_by_estimate", [False, True])
def test_queries_grow_only_by_the_quota_counts_per_service(django_assert_max_num_queries, stop_by_estimate):
    one, three = (_queries(django_assert_max_num_queries, n, stop_by_estimate) for n in (1, 3))

    # The queue, the estimate's reads and the hall's hours once (7: the hall's tickets, services and
    # counters, bookings in three statements and its hours in one since issue 20 item 7; 15 through the
    # ORM, 18 before the hours were read once for the estimate and the cut-off), and the hall's walk-in
    # history of the weekday (once per process and day: the first read here; test_walk_in_history); per
    # service only the count of its walk-in quotas (today and this hour in one) that issuing itself makes.
    # The cut-off by estimate reuses each service's estimate shown on the page: it adds no query (the old
    # estimate added two counts per service).
    assert (one, three - one) == (8, 2)
