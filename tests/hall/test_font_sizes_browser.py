"""Citizens' pages read without strain (MIIT's age-friendly rules): body text at least 16 px and no text
under 14 px, measured in Chromium from the computed style of every element that shows text."""

import pytest
from django.urls import reverse

from hall.models import Material
from tests.test_access import World

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]

SMALL_TEXT = """() => {
  const small = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (!own || !el.checkVisibility() || el.closest('.visually-hidden, script, style')) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    const what = `${el.tagName.toLowerCase()}.${el.className}: ${el.textContent.trim().slice(0, 20)}`;
    if (size < 14) small.push(`${what} (${size} px)`);
  }
  return {small, body: parseFloat(getComputedStyle(document.body).fontSize)};
}"""


@pytest.fixture
def world(live_server):
    w = World()
    Material.objects.create(
        service=w.service,
        name_zh_hans="结婚证",
        name_en="Marriage certificate",
        required=False,
        note_zh_hans="已婚者提供",  # both: note= fills the language left active
        note_en="If married",
    )
    return w


def citizen_pages(w: World) -> list[str]:
    day = w.day.isoformat()
    return [
        reverse("hall:index"),
        reverse("hall:home", args=[w.hall.slug]),
        reverse("hall:service_list", args=[w.hall.slug]),
        reverse("hall:service_detail", args=[w.hall.slug, w.service.code]),
        reverse("appointments:choose_date", args=[w.hall.slug, w.service.code]),
        reverse("appointments:choose_time", args=[w.hall.slug, w.service.code, day]),
        reverse("appointments:details", args=[w.hall.slug, w.service.code, day, w.slot.pk]),
        reverse("appointments:manage", args=[w.booking.manage_token]),
        reverse("appointments:find"),
        reverse("queueing:ticket", args=[w.ticket.token]),
        reverse("reports:comment_book", args=[w.hall.slug]),
        reverse("postal:apply", args=[w.hall.slug]),
    ]


@pytest.mark.parametrize("language", ["zh-CN", "en-GB"])
def test_citizen_pages_have_body_text_of_16_px_and_nothing_under_14_px(browser, live_server, world, language):
    context = browser.new_context(base_url=live_server.url, locale=language)
    page = context.new_page()
    found = {}
    for path in citizen_pages(world):
        page.goto(path)
        measured = page.evaluate(SMALL_TEXT)
        if measured["small"] or measured["body"] < 16:
            found[path] = measured
    context.close()

    assert found == {}


def test_guide_tags_and_hints_are_at_least_body_size_less_a_little(page, world):
    page.goto(reverse("hall:service_detail", args=[world.hall.slug, world.service.code]))

    tag = page.locator(".tag").first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    hint = page.locator(".hint").first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")

    assert tag >= 14
    assert hint >= 16
