"""Notices (公告): shown on the affected service guides, the hall's home page and the board only while
valid, in both languages; published in the admin by administrators and, for their own hall, supervisors."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hall.models import DeviceKind, Hall, Notice
from tests.makers import make_hall, make_service, make_staff, make_weekday_hours, pair_client

pytestmark = pytest.mark.django_db

TITLE_ZH = "准迁证、迁移证有效期顺延六个月"
TITLE_EN = "Move-in permits and migration certificates valid six months longer"
BODY_ZH = "疫情期间到期的证件可继续使用。"
BODY_EN = "Certificates that expire during the emergency stay valid."


@pytest.fixture
def hall():
    hall = make_hall()
    make_weekday_hours(hall)
    return hall


@pytest.fixture
def move_in(hall):
    return make_service(hall, code="move-in", prefix="M", name_zh_hans="户口迁入", name_en="Move-in")


@pytest.fixture
def renewal(hall):
    return make_service(hall)


def make_notice(
    hall, *, starts=-1, ends=30, services=(), title=(TITLE_ZH, TITLE_EN), body=(BODY_ZH, BODY_EN)
):
    """Valid from `starts` to `ends` days from now."""
    now = timezone.now()
    notice = Notice.objects.create(
        hall=hall,
        title_zh_hans=title[0],
        title_en=title[1],
        body_zh_hans=body[0],
        body_en=body[1],
        valid_from=now + dt.timedelta(days=starts),
        valid_until=now + dt.timedelta(days=ends),
    )
    notice.services.set(services)
    return notice


def page(url, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if "/board/" in url:  # the hall's paired board
        pair_client(client, Hall.objects.get(slug=url.split("/")[2]), DeviceKind.BOARD)
    return client.get(url).content.decode()


def guide(service, language):
    return page(reverse("hall:service_detail", args=[service.hall.slug, service.code]), language)


def home(hall, language):
    return page(reverse("hall:home", args=[hall.slug]), language)


def board_titles(hall, language) -> list[str]:
    response = Client(HTTP_ACCEPT_LANGUAGE=language).get(reverse("board_json", args=[hall.slug]))
    return [notice["title"] for notice in json.loads(response.content)["notices"]]


@pytest.mark.parametrize(
    ("language", "title", "body"), [("zh-hans", TITLE_ZH, BODY_ZH), ("en", TITLE_EN, BODY_EN)]
)
def test_current_notice_shows_on_the_affected_guide_and_the_home_page(hall, move_in, language, title, body):
    make_notice(hall, services=[move_in])

    on_guide, on_home = guide(move_in, language), home(hall, language)

    assert f"<h3>{title}</h3>" in on_guide and body in on_guide
    assert f"<h3>{title}</h3>" in on_home and body in on_home


def test_home_page_names_the_services_a_notice_concerns(hall, move_in):
    make_notice(hall, services=[move_in])

    assert "Concerns: Move-in · Valid until" in home(hall, "en")
    assert "涉及业务： 户口迁入 · 有效期至" in home(hall, "zh-hans")


def test_service_notice_is_not_on_other_guides_but_a_hall_wide_one_is(hall, move_in, renewal):
    make_notice(hall, services=[move_in])
    make_notice(hall, title=("全大厅公告", "Whole hall notice"))

    on_renewal = guide(renewal, "en")

    assert TITLE_EN not in on_renewal
    assert "<h3>Whole hall notice</h3>" in on_renewal
    assert guide(move_in, "en").count("<h3>") >= 2  # both notices above the guide


@pytest.mark.parametrize(("starts", "ends"), [(1, 30), (-30, -1)], ids=["not yet valid", "expired"])
def test_notice_outside_its_validity_shows_nowhere(hall, move_in, starts, ends):
    make_notice(hall, starts=starts, ends=ends, services=[move_in])

    for language, title in (("zh-hans", TITLE_ZH), ("en", TITLE_EN)):
        assert title not in guide(move_in, language)
        assert title not in home(hall, language)
        assert board_titles(hall, language) == []


def test_notice_leaves_the_pages_and_the_board_when_it_expires_without_a_restart(hall, move_in):
    notice = make_notice(hall, services=[move_in])
    assert board_titles(hall, "zh-hans") == [TITLE_ZH]

    Notice.objects.filter(pk=notice.pk).update(valid_until=timezone.now() - dt.timedelta(seconds=1))

    assert board_titles(hall, "zh-hans") == []
    assert TITLE_ZH not in guide(move_in, "zh-hans")
    assert TITLE_ZH not in home(hall, "zh-hans")


def test_board_json_lists_current_titles_in_both_languages(hall, move_in):
    notice = make_notice(hall, services=[move_in])
    make_notice(hall, starts=-10, ends=-1, title=("过期", "Expired"))

    assert board_titles(hall, "zh-hans") == [TITLE_ZH]
    assert board_titles(hall, "en") == [TITLE_EN]
    response = Client().get(reverse("board_json", args=[hall.slug]))
    assert json.loads(response.content)["notices"] == [{"id": notice.pk, "title": TITLE_ZH}]


def test_board_page_shows_the_strip_in_the_halls_language(hall, move_in, settings):
    make_notice(hall, services=[move_in])
    url = reverse("queueing:board", args=[hall.slug])

    chinese = page(url, "en")  # the board speaks the hall's language, whatever the browser
    settings.LANGUAGE_CODE = "en"
    english = page(url, "en")

    assert '<h2 class="board-notices-label" id="board-notices-title">公告</h2>' in chinese
    assert f">{TITLE_ZH}</li>" in chinese
    assert '<h2 class="board-notices-label" id="board-notices-title">Notices</h2>' in english
    assert f">{TITLE_EN}</li>" in english


def test_board_page_hides_the_strip_without_notices(hall):
    html = page(reverse("queueing:board", args=[hall.slug]), "zh-hans")

    assert 'class="board-notices" data-notices aria-labelledby="board-notices-title" hidden>' in html


def test_notice_of_another_hall_does_not_show(hall, move_in):
    make_notice(make_hall("south"), title=("南区公告", "South notice"))

    assert "南区公告" not in home(hall, "zh-hans")
    assert board_titles(hall, "zh-hans") == []


def test_a_notice_must_end_after_it_starts(hall):
    from django.core.exceptions import ValidationError

    now = timezone.now()
    notice = Notice(hall=hall, title_zh_hans="x", valid_from=now, valid_until=now)

    with pytest.raises(ValidationError) as caught:
        notice.full_clean()
    assert list(caught.value.message_dict) == ["valid_until"]


def admin_client(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def supervisor_of(hall, username="boss"):
    user = make_staff(hall, username, role="supervisor")
    user.is_staff = True
    user.save()
    return user


def add_form(hall, services=(), **extra):
    return {
        "hall": str(hall.pk),
        "title_zh_hans": "临时公告",
        "title_en": "Temporary notice",
        "body_zh_hans": "",
        "body_en": "",
        "services": [str(s.pk) for s in services],
        "valid_from_0": "2026-01-01",
        "valid_from_1": "08:00:00",
        "valid_until_0": "2026-07-01",
        "valid_until_1": "08:00:00",
        **extra,
    }


def test_supervisor_publishes_a_notice_for_their_hall_in_the_admin(hall, move_in):
    boss = supervisor_of(hall)

    response = admin_client(boss).post(reverse("admin:hall_notice_add"), add_form(hall, [move_in]))

    assert response.status_code == 302
    notice = Notice.objects.get()
    assert (notice.hall, list(notice.services.all()), notice.created_by) == (hall, [move_in], boss)
    assert (notice.title_zh_hans, notice.title_en) == ("临时公告", "Temporary notice")


def test_supervisor_sees_and_publishes_only_for_their_own_hall(hall, move_in):
    other = make_hall("south")
    other_service = make_service(other, code="south-id")
    theirs = make_notice(other, title=("南区公告", "South notice"))
    boss = supervisor_of(hall)
    client = admin_client(boss)

    listing = client.get(reverse("admin:hall_notice_changelist")).content.decode()
    foreign_hall = client.post(reverse("admin:hall_notice_add"), add_form(other))
    foreign_service = client.post(reverse("admin:hall_notice_add"), add_form(hall, [other_service]))
    edit_theirs = client.get(reverse("admin:hall_notice_change", args=[theirs.pk]))

    assert "South notice" not in listing
    assert foreign_hall.status_code == foreign_service.status_code == 200  # the form again, with errors
    assert Notice.objects.count() == 1
    assert edit_theirs.status_code == 302  # the admin says the object does not exist


def test_administrator_may_not_mix_halls_in_a_notice(hall, move_in, admin_user):
    other_service = make_service(make_hall("south"), code="south-id")

    response = admin_client(admin_user).post(
        reverse("admin:hall_notice_add"), add_form(hall, [other_service])
    )

    assert "Choose only services of the notice&#x27;s hall." in response.content.decode()
    assert Notice.objects.count() == 0


def test_demo_data_has_one_current_notice_and_seeding_again_keeps_it():
    call_command("seed_demo", "--quiet", stdout=io.StringIO())
    first = list(Notice.objects.values_list("pk", "valid_from", "valid_until", "title_en"))
    call_command("seed_demo", "--quiet", stdout=io.StringIO())

    assert list(Notice.objects.values_list("pk", "valid_from", "valid_until", "title_en")) == first
    notice = Notice.objects.current(timezone.now()).get()
    assert sorted(notice.services.values_list("code", flat=True)) == ["move-in", "move-out"]
    assert notice.title_zh_hans.startswith("疫情防控期间准迁证")
