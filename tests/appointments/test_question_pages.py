"""The web booking's question pages: one short group per page, errors per page in both languages, a step
count, back links and the check page's change links keeping every answer."""

import re

import pytest
from django.conf import settings as django_settings
from pytest_django.asserts import assertInHTML

from appointments.drafts import DRAFT
from notifications.models import Kind, Notification
from tests.appointments.test_views import (  # noqa: F401 (fixtures)
    PHONE,
    day,
    details_data,
    enter_details,
    flow_url,
    service,
    slots,
)
from tests.makers import make_id_number

pytestmark = pytest.mark.django_db

EN, ZH = "en", "zh-hans"
PAGES = ["details", "details_id", "details_more"]


def speaking(client, language):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


def error_links(html: str) -> list[tuple[str, str]]:
    """The error summary's (target, message) pairs, in order."""
    summary = html.split('<div class="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', summary)


def answer_up_to(client, service, day, slot, page):  # noqa: F811 (not the fixtures)
    """Answer the pages before `page` (with the test's usual answers)."""
    data = details_data()
    for name in PAGES[: PAGES.index(page)]:
        fields = {"details": ("name", "phone"), "details_id": ("id_number",)}[name]
        client.post(flow_url(name, service, day, slot), {f: data[f] for f in fields})


PAGE_ERRORS = [
    (
        "details",
        {"name": "", "phone": "12345"},
        EN,
        [
            ("id_name", "Enter your full name, as on your ID card."),
            ("id_phone", "Enter a mobile number with 11 digits, like 138 0013 8000."),
        ],
    ),
    (
        "details",
        {"name": "", "phone": "12345"},
        ZH,
        [
            ("id_name", "请输入您的姓名，与身份证上的一致。"),
            ("id_phone", "请输入11位手机号码，例如 138 0013 8000。"),
        ],
    ),
    ("details_id", {"id_number": ""}, EN, [("id_id_number", "Enter your resident ID number.")]),
    ("details_id", {"id_number": ""}, ZH, [("id_id_number", "请输入您的居民身份证号码。")]),
    (
        "details_more",
        {"persons": "9", "green_channel": "urgent", "green_note": "", "language": "en"},
        EN,
        [
            ("id_persons", "Enter how many people need to be served: a number from 1 to 5."),
            ("id_green_note", "Tell us briefly what is urgent, so that staff can help you first."),
        ],
    ),
    (
        "details_more",
        {"persons": "9", "green_channel": "urgent", "green_note": "", "language": "en"},
        ZH,
        [
            ("id_persons", "请输入需要办理的人数：1到5之间的数字。"),
            ("id_green_note", "请简要说明急事是什么，以便工作人员优先为您办理。"),
        ],
    ),
]


@pytest.mark.parametrize(("page", "posted", "language", "expected"), PAGE_ERRORS)
def test_each_question_page_says_what_is_wrong_in_the_citizens_language(
    client,
    service,  # noqa: F811 (fixtures)
    day,  # noqa: F811
    page,
    posted,
    language,
    expected,
):
    slot = slots(service, day)[0]
    answer_up_to(client, service, day, slot, page)
    speaking(client, language)

    response = client.post(flow_url(page, service, day, slot), posted)

    assert response.status_code == 200
    assert error_links(response.content.decode()) == expected


@pytest.mark.parametrize(("language", "counts"), [(EN, "Step {} of 3"), (ZH, "第 {} 步，共 3 步")])
def test_each_page_asks_only_its_own_questions_and_counts_the_steps(
    client,
    service,  # noqa: F811 (fixtures)
    day,  # noqa: F811
    language,
    counts,
):
    slot = slots(service, day)[0]
    speaking(client, language)
    asked = {}
    for number, page in enumerate(PAGES, start=1):
        answer_up_to(client, service, day, slot, page)
        html = client.get(flow_url(page, service, day, slot)).content.decode()
        assertInHTML(f'<p class="caption step-count">{counts.format(number)}</p>', html)
        form = html.split('<form method="post" novalidate>', 1)[1]
        asked[page] = [name for name in details_data() if f'name="{name}"' in form]

    assert asked == {
        "details": ["name", "phone"],
        "details_id": ["id_number"],
        "details_more": ["persons", "green_channel", "green_note", "language"],
    }


def test_back_links_lead_to_the_previous_question_which_keeps_its_answers(
    client,
    service,  # noqa: F811 (fixtures)
    day,  # noqa: F811
):
    speaking(client, EN)
    slot = slots(service, day)[0]
    number = make_id_number(3)
    check = enter_details(client, service, day, slot, id_number=number, persons="2", green_channel="elderly")

    pages = {name: client.get(flow_url(name, service, day, slot)).content.decode() for name in PAGES}
    check_page = client.get(check.url).content.decode()

    back = '<a class="back-link" href="{}">Back</a>'
    assertInHTML(back.format(flow_url("details_more", service, day, slot)), check_page)
    assertInHTML(back.format(flow_url("details_id", service, day, slot)), pages["details_more"])
    assertInHTML(back.format(flow_url("details", service, day, slot)), pages["details_id"])
    assertInHTML(back.format(flow_url("choose_time", service, day)), pages["details"])
    assert 'value="张三丰"' in pages["details"]
    assert 'value="138 0013 8000"' in pages["details"]
    assert f"{number[:3]}" in pages["details_id"] and number not in pages["details_id"]
    assert 'name="persons" value="2"' in pages["details_more"]
    assert re.search(
        r'<input type="radio" name="green_channel" value="elderly"[^>]* checked>', pages["details_more"]
    )


def test_change_link_returns_to_the_check_page_and_keeps_the_other_answers(
    client,
    service,  # noqa: F811 (fixtures)
    day,  # noqa: F811
):
    speaking(client, EN)
    slot = slots(service, day)[0]
    check = enter_details(client, service, day, slot, persons="2")
    check_page = client.get(check.url).content.decode()
    change = flow_url("details_more", service, day, slot) + "?change=1"

    form = client.get(change).content.decode()
    changed = client.post(change, {**details_data(), "persons": "3"})
    again = client.get(changed.url).content.decode()

    assert f'href="{change}#id_persons"' in check_page
    assert f'href="{flow_url("details", service, day, slot)}?change=1#id_name"' in check_page
    assert f'href="{flow_url("details_id", service, day, slot)}?change=1#id_id_number"' in check_page
    assertInHTML(f'<a class="back-link" href="{check.url}">Back</a>', form)
    assert changed.url == check.url
    assert "<dt>Number of people</dt><dd>3</dd>" in again
    assert "<dt>Full name</dt><dd>张三丰</dd>" in again


def test_the_first_page_without_change_goes_on_to_the_next_even_when_all_is_answered(
    client,
    service,  # noqa: F811 (fixtures)
    day,  # noqa: F811
):
    slot = slots(service, day)[0]
    enter_details(client, service, day, slot)

    again = client.post(flow_url("details", service, day, slot), {"name": "李四", "phone": PHONE})

    assert again.url == flow_url("details_id", service, day, slot)
    assert client.session[DRAFT]["name"] == "李四"


@pytest.mark.parametrize("page", ["details_id", "details_more", "confirm", "also"])
def test_a_later_page_without_a_draft_starts_again_at_the_first(
    client,
    service,  # noqa: F811 (fixtures)
    day,  # noqa: F811
    page,
):
    slot = slots(service, day)[0]

    response = client.get(flow_url(page, service, day, slot))

    assert response.url == flow_url("details", service, day, slot)


@pytest.mark.parametrize("page", ["details_more", "confirm", "also"])
def test_a_page_after_an_unanswered_one_sends_the_citizen_there(
    client,
    service,  # noqa: F811 (fixtures)
    day,  # noqa: F811
    page,
):
    slot = slots(service, day)[0]
    answer_up_to(client, service, day, slot, "details_id")

    response = client.get(flow_url(page, service, day, slot))

    assert response.url == flow_url("details_id", service, day, slot)


def test_the_code_goes_out_after_the_first_page_and_the_id_number_waits_for_it(
    client,
    service,  # noqa: F811 (fixtures)
    day,  # noqa: F811
    settings,
):
    settings.BOOKING_SMS_CODE = True
    slot = slots(service, day)[0]

    first = client.post(flow_url("details", service, day, slot), {"name": "张三丰", "phone": PHONE})
    skipped = client.get(flow_url("details_id", service, day, slot))

    assert first.url == skipped.url == flow_url("verify", service, day, slot)
    assert [str(n.phone) for n in Notification.objects.filter(kind=Kind.VERIFICATION_CODE)] == [
        "+8613800138000"
    ]
