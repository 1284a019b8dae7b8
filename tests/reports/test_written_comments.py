"""The comment book (意见簿) for anyone: a citizen without a ticket writes, the supervisor reads it beside
the ratings' comments, marked as written without a ticket, the mobile masked."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertInHTML

from appointments.availability import rules_for
from hall.models import AuditAction, AuditEntry
from reports import services
from reports.housekeeping import erase_expired_personal_data
from reports.models import WrittenComment
from reports.rating_views import WRITTEN_PER_ADDRESS_HOUR
from tests.appointments.test_question_pages import error_links, speaking
from tests.reports.day import build_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    return build_day()


def book_url(day):
    return reverse("reports:comment_book", args=[day.hall.slug])


def test_hall_page_links_the_comment_book_whose_form_needs_no_ticket(client, day):
    home = client.get(reverse("hall:home", args=[day.hall.slug])).content.decode()
    book = speaking(client, "zh-hans").get(book_url(day)).content.decode()

    assert f'href="{book_url(day)}"' in home
    assert '<textarea name="text"' in book
    assert "在意见簿上留言" in book
    assert "无需取号" in book


@pytest.mark.parametrize(
    ("language", "thanks"), [("zh-hans", "感谢您的意见"), ("en", "Thank you for your comment")]
)
def test_citizen_without_a_ticket_writes_and_is_thanked(client, day, language, thanks):
    speaking(client, language)

    sent = client.post(
        book_url(day), {"text": "  取号机旁边没有座位，老人站着等。 ", "phone": "138 0013 8000"}
    )
    page = client.get(sent.url).content.decode()

    assert sent.url == reverse("reports:comment_written", args=[day.hall.slug])
    assertInHTML(f"<h1>{thanks}</h1>", page)
    written = WrittenComment.objects.get()
    assert (written.hall, written.text, str(written.phone)) == (
        day.hall,
        "取号机旁边没有座位，老人站着等。",
        "+8613800138000",
    )


def test_the_mobile_is_optional(client, day):
    sent = client.post(book_url(day), {"text": "Thank you", "phone": ""})

    assert sent.status_code == 302
    assert WrittenComment.objects.get().phone == ""


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                ("id_text", "Write your comment."),
                ("id_phone", "Enter a mobile number with 11 digits, like 138 0013 8000."),
            ],
        ),
        (
            "zh-hans",
            [("id_text", "请填写您的意见。"), ("id_phone", "请输入11位手机号码，例如 138 0013 8000。")],
        ),
    ],
)
def test_an_empty_comment_or_a_bad_mobile_is_explained(client, day, language, expected):
    speaking(client, language)

    response = client.post(book_url(day), {"text": " ", "phone": "12345"})

    assert error_links(response.content.decode()) == expected
    assert WrittenComment.objects.count() == 0


def test_one_address_writes_at_most_ten_an_hour(client, day, settings):
    settings.RATE_LIMITS = True
    speaking(client, "en")
    for n in range(WRITTEN_PER_ADDRESS_HOUR):
        assert client.post(book_url(day), {"text": f"comment {n}"}).status_code == 302

    refused = client.post(book_url(day), {"text": "one too many"})

    assert "Too many comments were sent from this network" in refused.content.decode()
    assert WrittenComment.objects.count() == WRITTEN_PER_ADDRESS_HOUR


def test_supervisor_sees_it_marked_without_a_ticket_with_the_mobile_masked(client, day):
    client.post(book_url(day), {"text": "厕所没有纸", "phone": "13800138000"})
    client.force_login(day.supervisor)
    speaking(client, "zh-hans")

    page = client.get(reverse("reports:comments", args=[day.hall.slug])).content.decode()
    public = client.get(book_url(day)).content.decode()

    section = page.split('id="without-ticket"', 1)[1]
    assert "厕所没有纸" in section
    assert '<span class="tag">无取号</span>' in section
    assert "138****8000" in section
    assert "13800138000" not in page and "138 0013 8000" not in page
    assert "厕所没有纸" not in public  # the supervisor's to read, not published


def test_the_mobile_is_erased_after_the_retention_period_and_the_comment_kept(day):
    now = timezone.now()
    old = services.write_comment(
        hall=day.hall, text="旧留言", phone="13800138000", now=now - dt.timedelta(days=200)
    )
    new = services.write_comment(hall=day.hall, text="新留言", phone="13900139000", now=now)
    retention = rules_for(day.hall).retention_days

    erased = erase_expired_personal_data(now=now + dt.timedelta(days=retention) - dt.timedelta(days=199))

    old.refresh_from_db()
    new.refresh_from_db()
    assert erased == 1
    assert (old.text, old.phone, str(new.phone)) == ("旧留言", "", "+8613900139000")


def test_supervisor_publishes_it_with_a_reply_and_the_public_book_shows_it_without_the_mobile(client, day):
    client.post(book_url(day), {"text": "等候区的座位太少", "phone": "13800138000"})
    written = WrittenComment.objects.get()
    client.force_login(day.supervisor)
    speaking(client, "zh-hans")

    saved = client.post(
        reverse("reports:moderate_written", args=[day.hall.slug, written.pk]),
        {"published": "on", "reply": "已增加二十把椅子。"},
    )
    public = client.get(book_url(day)).content.decode()

    assert saved.url == reverse("reports:comments", args=[day.hall.slug]) + "#without-ticket"
    book = public.split('class="card-list comment-book"', 1)[1]
    assert "等候区的座位太少" in book and "已增加二十把椅子。" in book
    assert "意见簿留言" in book  # said where it came from, with no score or service
    assert "8000" not in book

    client.post(reverse("reports:moderate_written", args=[day.hall.slug, written.pk]), {"reply": ""})
    assert "等候区的座位太少" not in client.get(book_url(day)).content.decode()


def test_supervisor_shows_the_full_mobile_to_call_back_and_the_showing_is_logged(client, day):
    client.post(book_url(day), {"text": "请给我回电话", "phone": "13800138000"})
    written = WrittenComment.objects.get()
    client.force_login(day.supervisor)
    speaking(client, "zh-hans")
    comments = client.get(reverse("reports:comments", args=[day.hall.slug])).content.decode()
    assert reverse("reports:reveal_written_mobile", args=[day.hall.slug, written.pk]) in comments

    shown = client.post(reverse("reports:reveal_written_mobile", args=[day.hall.slug, written.pk]))

    page = shown.content.decode()
    assert '<span class="revealed">138 0013 8000</span>' in page
    entry = AuditEntry.objects.get(action=AuditAction.PHONE_REVEALED)
    assert (entry.actor, entry.hall) == (day.supervisor, day.hall)
    assert "13800138000" not in entry.detail


def test_only_the_halls_supervisors_moderate_or_see_its_mobile(client, day):
    client.post(book_url(day), {"text": "请回电", "phone": "13800138000"})
    written = WrittenComment.objects.get()
    client.force_login(day.clerk1)

    reveal = client.post(reverse("reports:reveal_written_mobile", args=[day.hall.slug, written.pk]))
    publish = client.post(
        reverse("reports:moderate_written", args=[day.hall.slug, written.pk]), {"published": "on"}
    )

    assert (reveal.status_code, publish.status_code) == (403, 403)  # window staff
    written.refresh_from_db()
    assert not written.published
    assert "138 0013 8000" not in reveal.content.decode()
