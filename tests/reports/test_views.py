import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from queueing.models import Ticket, TicketKind, TicketState
from reports.services import publish_comment, rate_ticket
from tests.makers import make_counter, make_hall, make_service, make_staff
from tests.reports.day import DAY, at, build_day, make_ticket

pytestmark = pytest.mark.django_db

PAGES = [
    "/h/{slug}/reports/?date=2026-11-24",
    "/h/{slug}/reports/export.csv?date=2026-11-24",
    "/h/{slug}/reports/export.xlsx?date=2026-11-24",
    "/h/{slug}/reports/staffing/?date=2026-11-25",
    "/h/{slug}/reports/live/",
    "/h/{slug}/reports/ranking/?month=2026-11",
    "/h/{slug}/reports/comments/",
    "/h/{slug}/reports/follow-ups/",
]


@pytest.fixture
def day():
    return build_day()


@pytest.mark.parametrize("page", PAGES)
def test_supervisor_opens_each_page(client, day, page):
    client.force_login(day.supervisor)

    response = client.get(page.format(slug=day.hall.slug), HTTP_ACCEPT_LANGUAGE="en")

    assert (response.status_code, response.headers["Content-Type"].split(";")[0]) == (
        200,
        {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}.get(
            page.split("?")[0].rsplit(".", 1)[-1], "text/html"
        ),
    )
    if response.headers["Content-Type"].startswith("text/html"):  # the tab's title is words, not markup
        title = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)
        assert "<" not in title and len(title) < 120, title


@pytest.mark.parametrize("page", PAGES)
def test_window_staff_is_refused_every_page(client, day, page):
    client.force_login(day.clerk1)

    response = client.get(page.format(slug=day.hall.slug))

    assert response.status_code == 403
    assert b"north-clerk1" not in response.content


@pytest.mark.parametrize("page", PAGES)
def test_other_halls_supervisor_gets_not_found(client, day, page):
    other = make_hall("south", name_zh_hans="南区户政大厅", name_en="South District Hall")
    client.force_login(make_staff(other, "south-supervisor", role="supervisor"))

    response = client.get(page.format(slug=day.hall.slug))

    assert response.status_code == 404


def test_anonymous_is_sent_to_sign_in(client, day):
    response = client.get(f"/h/{day.hall.slug}/reports/")

    assert (response.status_code, response.url) == (302, f"/accounts/login/?next=/h/{day.hall.slug}/reports/")


def test_dashboard_shows_the_day_figures(client, day):
    client.force_login(day.supervisor)

    response = client.get(f"/h/{day.hall.slug}/reports/?date={DAY}", HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert response.context["report"].issued == 7
    for figure, text in [("issued", "7"), ("served", "5"), ("no_show", "2"), ("cancelled", "1")]:
        assert f'data-figure="{figure}">{text}<' in page
    assert 'data-figure="wait">15.4 / 12.0 / 27.6<' in page
    assert 'data-figure="sla_percent">57.1%<' in page
    assert page.count("<svg") == 2  # per hour, per service; a range adds the daily line


def test_dashboard_refuses_a_bad_range_and_shows_today(client, day):
    client.force_login(day.supervisor)

    response = client.get(
        f"/h/{day.hall.slug}/reports/?from=2026-11-24&to=2026-11-01", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert "The first day must not be after the last day." in response.content.decode()


def test_csv_export_has_the_day_totals(client, day):
    client.force_login(day.supervisor)

    response = client.get(f"/h/{day.hall.slug}/reports/export.csv?date={DAY}", HTTP_ACCEPT_LANGUAGE="en")

    assert response["Content-Disposition"] == 'attachment; filename="report_north_2026-11-24.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["section", "name", "issued", "served", "no-shows", "materials missing"]
    total = rows[1]
    assert total[:9] == ["total", "North District Hall", "7", "5", "2", "1", "15.4", "12.0", "27.6"]
    assert total[12] == "57.1"
    services = [r for r in rows if r[0] == "service"]
    assert [(r[1], r[2], r[3]) for r in services] == [
        ("B Household certificate", "4", "3"),  # B004, transferred in, issued there
        ("A ID card renewal", "4", "2"),
    ]
    assert [r[:4] for r in rows if r[0] == "hour"] == [
        ["hour", "09:00", "6", "3"],
        ["hour", "10:00", "1", "2"],
    ]
    counters = {r[1]: (r[13], r[14]) for r in rows if r[0] == "counter"}
    assert counters == {"Window 1": ("30.0", "14.0"), "Window 2": ("72.0", "23.0")}


def test_xlsx_export_has_a_sheet_per_section(client, day):
    client.force_login(day.supervisor)

    response = client.get(f"/h/{day.hall.slug}/reports/export.xlsx?date={DAY}", HTTP_ACCEPT_LANGUAGE="en")

    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Hall", "Services", "Counters", "Staff", "Hours"]
    hall = list(book["Hall"].values)
    assert hall[1][:4] == ("North District Hall", 7, 5, 2)
    assert list(book["Hours"].values)[1:] == [("09:00", 6, 3, *[None] * 16), ("10:00", 1, 2, *[None] * 16)]


FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def _name_staff_and_hall_as_formulas(day, first: str, second: str):
    """A staff member's or a hall's name as typed by whoever runs the admin: any text. (Django strips the
    white space around a person's full name, so a leading tab or return can only reach the hall's name.)"""
    for user, name in ((day.clerk1, first.strip()), (day.clerk2, second.strip())):
        user.first_name = name
        user.save(update_fields=["first_name"])
    type(day.hall).objects.filter(pk=day.hall.pk).update(name_en=first)


@pytest.mark.parametrize("first, second", [FORMULAS[0:2], FORMULAS[2:4], FORMULAS[4:6]])
def test_csv_export_quotes_names_that_a_spreadsheet_would_run_as_formulas(client, day, first, second):
    _name_staff_and_hall_as_formulas(day, first, second)
    client.force_login(day.supervisor)

    response = client.get(f"/h/{day.hall.slug}/reports/export.csv?date={DAY}", HTTP_ACCEPT_LANGUAGE="en")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    staff = sorted(r[1] for r in rows if r[0] == "staff")
    assert staff == sorted("'" + n.strip() if n.strip()[0] in "=+-@" else n.strip() for n in (first, second))
    assert [r[1:3] for r in rows if r[0] == "total"] == [["'" + first, "7"]]  # numbers stay numbers


@pytest.mark.parametrize("first, second", [FORMULAS[0:2], FORMULAS[2:4], FORMULAS[4:6]])
def test_xlsx_export_stores_names_that_look_like_formulas_as_text(client, day, first, second):
    _name_staff_and_hall_as_formulas(day, first, second)
    client.force_login(day.supervisor)

    response = client.get(f"/h/{day.hall.slug}/reports/export.xlsx?date={DAY}", HTTP_ACCEPT_LANGUAGE="en")

    book = load_workbook(io.BytesIO(response.content))
    hall_row = next(book["Hall"].iter_rows(min_row=2))
    names = [row[0] for row in book["Staff"].iter_rows(min_row=2)] + [hall_row[0]]
    assert sorted((cell.data_type, cell.value) for cell in names) == sorted(
        [("s", first.strip()), ("s", second.strip()), ("s", first)]
    )
    assert hall_row[1].value == 7


def _busy_hall(n: int):
    """n services, n counters and n clerks, each with two served tickets on DAY."""
    hall = make_hall(f"busy{n}")
    supervisor = make_staff(hall, f"busy{n}-supervisor", role="supervisor")
    for i in range(n):
        service = make_service(hall, f"s{i}", "ABCDEFG"[i])
        counter = make_counter(hall, i + 1, [service])
        clerk = make_staff(hall, f"busy{n}-clerk{i}")
        for k in range(2):
            make_ticket(
                hall,
                service,
                f"{'ABCDEFG'[i]}00{k + 1}",
                TicketKind.WALK_IN,
                TicketState.DONE,
                at(9, 10 * k),
                at(9, 10 * k + 5),
                at(9, 10 * k + 6),
                at(9, 10 * k + 9),
                counter=counter,
                owner=clerk,
                actor_for_events=clerk,
            )
    for ticket in Ticket.objects.filter(hall=hall):
        rating = rate_ticket(ticket, 2, "太慢了", now=at(10, 0))
        publish_comment(rating=rating, user=supervisor, published=True)
    return hall, supervisor


def _queries(client, n: int, page: str) -> int:
    hall, supervisor = _busy_hall(n)
    client.force_login(supervisor)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page.format(slug=hall.slug))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "page",
    [
        "/h/{slug}/reports/?date=2026-11-24",
        "/h/{slug}/reports/?from=2026-11-01&to=2026-11-30",
        "/h/{slug}/reports/export.csv?date=2026-11-24",
        "/h/{slug}/reports/staffing/?date=2026-12-01",
        "/h/{slug}/reports/live/",
        "/h/{slug}/reports/ranking/?month=2026-11",
        "/h/{slug}/reports/comments/",
        "/h/{slug}/reports/follow-ups/",
        "/h/{slug}/comment-book/",
    ],
)
def test_page_queries_do_not_grow_with_services_counters_and_staff(client, page):
    assert Ticket.objects.count() == 0
    one = _queries(client, 1, page)
    client.logout()

    three = _queries(client, 3, page)

    assert one == three


def test_dashboard_warns_when_the_days_codes_run_low(client, day, settings):
    from phonenumber_field.phonenumber import PhoneNumber

    from appointments import verification

    settings.SMS_CODES_PER_HALL_DAY = 5
    client.force_login(day.supervisor)
    url = f"/h/{day.hall.slug}/reports/"
    for n in range(3):
        verification.send_code(hall=day.hall, phone=PhoneNumber.from_string(f"+86139{n:08d}"), language="en")
    quiet = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    verification.send_code(hall=day.hall, phone=PhoneNumber.from_string("+8613900000009"), language="en")

    warned = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "data-code-budget" not in quiet
    assert "4 of today's 5 text messages with booking codes are used." in warned


@pytest.mark.parametrize(
    ("language", "heading", "column", "this_day"),
    [
        ("en", "Compared with the previous open day", "Previous open day", "This day"),
        ("zh-hans", "与上一个办公日比较", "上一个办公日", "当天"),
    ],
)
def test_a_mondays_page_says_it_compares_with_the_previous_open_day(
    client, day, language, heading, column, this_day
):
    client.force_login(day.supervisor)
    monday = DAY - dt.timedelta(days=DAY.weekday())
    friday = monday - dt.timedelta(days=3)

    page = client.get(f"/h/{day.hall.slug}/reports/?date={monday}", HTTP_ACCEPT_LANGUAGE=language)

    text = page.content.decode()
    assert heading in text and column in text
    assert f'<p class="meta">{friday}</p>' in text
    assert f'<th scope="col">{this_day}</th>' in text  # the day's own column, not "this period"
    assert f'<a href="?date={friday}">{column}</a>' in text  # the link steps over the closed weekend


def test_a_fridays_page_links_to_monday_as_the_next_open_day(client, day):
    client.force_login(day.supervisor)
    friday = DAY - dt.timedelta(days=DAY.weekday()) + dt.timedelta(days=4)

    page = client.get(f"/h/{day.hall.slug}/reports/?date={friday}", HTTP_ACCEPT_LANGUAGE="zh-hans")

    text = page.content.decode()

    assert f'<a href="?date={friday + dt.timedelta(days=3)}">下一个办公日</a>' in text


def test_a_ranges_page_compares_with_the_previous_period(client, day):
    client.force_login(day.supervisor)

    page = client.get(
        f"/h/{day.hall.slug}/reports/?from={DAY - dt.timedelta(days=1)}&to={DAY}", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "Compared with the previous period" in page.content.decode()
    assert '<th scope="col">This period</th>' in page.content.decode()
