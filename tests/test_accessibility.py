"""axe-core (WCAG 2.0-2.2 A and AA rules) on every page people use: no serious or critical violation;
in large-text mode, touch targets of at least 60 x 60 px.

axe-core comes from npm (package.json, `npm ci`); it is evaluated into each page through the DevTools
protocol, which the page's Content-Security-Policy does not block, so the policy stays as users get it.
Each test walks one area with real data and collects every finding before it asserts, so one run names
every rule and element at fault. See docs/accessibility.md.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from hall import enrolment_codes
from hall.models import Closure, DeviceKind, ExtraSession
from notifications.models import Kind, Notification
from simulation.job_models import JobState
from simulation.whatif_models import WhatIfRun
from tests.conftest import unavailable
from tests.makers import make_hall, make_id_number, make_staff, pair_browser
from tests.test_access import World

pytestmark = [pytest.mark.requires_browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => [n.target.join(" "), [...n.any, ...n.all, ...n.none].map((c) => c.message)]),
    }))
}"""

# Large text: every touch target at least 60 x 60 px (house style); links inside running text are exempt,
# as in WCAG 2.5.8. A radio button or checkbox counts with its row (.choice), whose label is clickable.
CONTROLS = "button, .button, a, input:not([type=hidden]), select, textarea"
SMALL_TARGETS = """(controls) => [...document.querySelectorAll(controls)]
  .filter((el) => el.offsetParent !== null && !el.closest("[hidden], .skip-link"))
  .filter((el) => !(el.tagName === "A" && getComputedStyle(el).display === "inline"))
  .map((el) => {
    const box = (el.closest(".choice") || el).getBoundingClientRect();
    const wide = ["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName) && !el.closest(".choice");
    return [el.outerHTML.slice(0, 80), Math.round(box.width), Math.round(box.height), wide];
  })
  .filter(([, width, height, wide]) => height < 59.5 || (!wide && width < 59.5))
  .map(([html, width, height]) => `${html} is ${width} x ${height} px`)"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        unavailable(f"{AXE} is missing: run `npm ci` at the top of the checkout")
    return AXE.read_text()


class Audit:
    """Runs axe on each page visited and keeps its serious and critical findings."""

    def __init__(self, page, source: str, large_text: bool = False):
        self.page = page
        self.source = source
        self.large_text = large_text
        # pytest-django's live server (WSGI) cannot stream Server-Sent Events: a stream request would hold
        # a server thread until the end of the session. The board and ticket pages then poll instead.
        page.route("**/api/v1/halls/*/events*", lambda route: route.abort())
        self.pages: list[str] = []
        self.findings: list[str] = []

    def visit(self, path: str, label: str, status: int = 200) -> None:
        response = self.page.goto(path)
        assert (label, response.status) == (label, status)
        self.check(label)

    def check(self, label: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.source)
        for v in page.evaluate(RUN_AXE, WCAG_AA):
            self.findings.append(f"{label} ({page.url}): {v['id']} [{v['impact']}] {v['help']}")
            self.findings.extend(f"    {target}: {' '.join(why)}" for target, why in v["nodes"])
        if self.large_text:
            small = page.evaluate(SMALL_TARGETS, CONTROLS)
            self.findings.extend(f"{label} ({page.url}): touch target under 60 x 60 px: {t}" for t in small)
        self.pages.append(label)

    def assert_clean(self) -> None:
        assert self.findings == [], "axe-core found:\n" + "\n".join(self.findings)


def sign_in(page, live_server, user) -> None:
    """The browser takes over a test client's session of `user` (signing in is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def submit(page) -> None:
    page.locator("main form button.primary").first.click()


def flow(name: str, w: World, *rest) -> str:
    return reverse(f"appointments:{name}", args=[w.hall.slug, w.service.code, *rest])


@pytest.fixture
def world(live_server):
    return World()


@pytest.mark.parametrize("mode", ["zh-hans", "en", "large-text"])
def test_citizen_pages_have_no_serious_violations(page, axe_source, world, settings, mode):
    settings.BOOKING_SMS_CODE = True  # the flow's text-message step is checked too
    w = world
    audit = Audit(page, axe_source, large_text=mode == "large-text")
    page.goto(reverse("hall:index"))
    if mode == "en":
        page.locator(".preferences button[name='language']").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    elif mode == "large-text":
        page.locator(".preferences button[aria-pressed]").click()
        expect(page.locator("html")).to_have_class("large-text")
    audit.check("hall index")
    audit.visit(reverse("hall:home", args=[w.hall.slug]), "hall home")
    audit.visit(reverse("hall:service_list", args=[w.hall.slug]), "service list")
    audit.visit(reverse("hall:service_detail", args=[w.hall.slug, w.service.code]), "service guide")
    audit.visit(flow("choose_date", w), "booking: choose a day")
    audit.visit(flow("choose_time", w, w.day.isoformat()), "booking: choose a time")
    audit.visit(flow("details", w, w.day.isoformat(), w.slot.pk), "booking: name and mobile")

    submit(page)
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("booking: name and mobile with errors")
    page.locator("#id_name").fill("张三丰")
    page.locator("#id_phone").fill("13800138000")
    submit(page)

    expect(page).to_have_url(re.compile(r"/verify/$"))
    audit.check("booking: text-message code")
    page.locator("#id_code").fill("000000")
    submit(page)
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("booking: wrong text-message code")
    text = Notification.objects.filter(kind=Kind.VERIFICATION_CODE).latest("pk").text
    page.locator("#id_code").fill(re.search(r"\b(\d{6})\b", text).group(1))
    submit(page)
    expect(page).to_have_url(re.compile(r"/id-number/$"))
    audit.check("booking: ID number")
    page.locator("#id_id_number").fill("110105198001010000")  # a wrong check digit
    submit(page)
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("booking: a wrong ID number")
    page.locator("#id_id_number").fill(make_id_number(5))
    submit(page)
    expect(page).to_have_url(re.compile(r"/visit/$"))
    audit.check("booking: the visit")
    page.locator("#id_persons").fill("0")
    submit(page)
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("booking: the visit with an error")
    page.locator("#id_persons").fill("1")
    submit(page)
    expect(page).to_have_url(re.compile(r"/confirm/$"))
    audit.check("booking: check and confirm")
    audit.visit(flow("also", w, w.day.isoformat(), w.slot.pk), "booking: further services")
    audit.visit(flow("confirm", w, w.day.isoformat(), w.slot.pk), "booking: check and confirm")
    submit(page)
    expect(page).to_have_url(re.compile(r"/booked/$"))
    audit.check("booking: confirmed")

    booking_url = page.url.removesuffix("booked/")
    audit.visit(booking_url, "manage booking")
    audit.visit(booking_url + "reschedule/", "reschedule")
    audit.visit(booking_url + "cancel/", "cancel booking")
    audit.visit(reverse("appointments:find"), "find a booking")
    audit.visit(
        reverse("appointments:join_waitlist", args=[w.hall.slug, w.service.code, w.day.isoformat()]),
        "waiting list",
    )
    audit.visit(reverse("appointments:waitlist_offer", args=[w.waitlist_entry.token]), "waiting list entry")
    audit.visit(reverse("queueing:ticket", args=[w.ticket.token]), "live ticket")
    audit.visit(reverse("reports:rate", args=[w.missing_ticket.token]), "rate the service")
    audit.visit(reverse("reports:comment_book", args=[w.hall.slug]), "comment book")
    audit.visit(reverse("homevisits:choose_service", args=[w.hall.slug]), "home visit: choose a service")
    audit.visit(
        reverse("homevisits:request", args=[w.hall.slug, w.by_post_and_home.code]), "home visit: request"
    )
    submit(page)
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("home visit: request with errors")
    audit.visit(reverse("homevisits:status", args=[w.home_visit.token]), "home visit: status")
    audit.visit(reverse("homevisits:cancel", args=[w.home_visit.token]), "home visit: cancel")
    audit.visit(reverse("postal:apply", args=[w.hall.slug]), "by post: apply")
    submit(page)
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("by post: apply with errors")
    audit.visit(reverse("postal:track", args=[w.postal_item.token]), "by post: tracking")
    audit.visit(reverse("postal:pickup", args=[w.pickup.token]), "pickup")
    audit.visit(reverse("postal:pickup_post", args=[w.pickup.token]), "pickup: send it by post")
    audit.visit(reverse("appointments:find"), "find a booking")
    submit(page)
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("find a booking with errors")
    audit.visit(reverse("appointments:manage", args=["no-such-link"]), "page not found", status=404)
    audit.large_text = False  # staff pages: the 60 px targets are the citizens' large-text promise
    audit.visit(reverse("login"), "staff sign-in")
    page.locator("#id_username").fill("nobody")
    page.locator("#id_password").fill("wrong")
    page.locator("main form button[type='submit']").click()
    expect(page.locator(".error-summary, .errorlist").first).to_be_visible()
    audit.check("staff sign-in refused")

    audit.assert_clean()
    assert len(audit.pages) == 42


def in_language(page, live_server, language: str) -> None:
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_kiosk_pages_have_no_serious_violations(page, live_server, axe_source, world, language):
    w = world
    audit = Audit(page, axe_source)
    in_language(page, live_server, language)
    audit.visit(reverse("queueing:kiosk", args=[w.hall.slug]), "screen: not set up")
    for kind in (DeviceKind.KIOSK, DeviceKind.BOARD, DeviceKind.COUNTER_DISPLAY):
        pair_browser(page.context, live_server.url, w.hall, kind)
    audit.visit(reverse("queueing:kiosk", args=[w.hall.slug]), "kiosk: start")
    audit.visit(reverse("queueing:kiosk_check_in", args=[w.hall.slug]), "kiosk: check in")
    page.locator("#id_code").fill("ZZZZZZ")
    page.locator("form[data-check-in] button[type='submit']").click()
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("kiosk: check in with an unknown code")
    audit.visit(reverse("queueing:kiosk_walk_in", args=[w.hall.slug]), "kiosk: walk in")
    audit.visit(reverse("queueing:kiosk_ticket", args=[w.hall.slug, w.ticket.token]), "kiosk: ticket")
    audit.visit(reverse("queueing:ticket_print", args=[w.ticket.token]), "ticket: print page")
    audit.visit(reverse("queueing:board", args=[w.hall.slug]), "display board")
    audit.visit(reverse("queueing:counter_display", args=[w.hall.slug, 1]), "window display")
    sign_in(page, live_server, w.clerk)
    in_language(page, live_server, language)
    audit.visit(reverse("queueing:kiosk_guide", args=[w.hall.slug]), "kiosk: staff guide")
    expect(page.locator("html")).to_have_attribute("lang", language)
    ExtraSession.objects.filter(hall=w.hall).delete()  # closed all of today
    Closure.objects.create(hall=w.hall, date=timezone.localdate(), reason="闭厅")
    pair_browser(page.context, live_server.url, w.hall, DeviceKind.KIOSK)  # signing in began a new session
    audit.visit(reverse("queueing:kiosk", args=[w.hall.slug]), "kiosk: start, hall closed")
    expect(page.locator(".kiosk-closed")).to_be_visible()
    audit.visit(reverse("queueing:kiosk_walk_in", args=[w.hall.slug]), "kiosk: walk in, hall closed")
    expect(page.locator(".kiosk-closed")).to_be_visible()

    audit.assert_clean()
    assert len(audit.pages) == 12


def done_what_if(hall) -> WhatIfRun:
    """A finished what-if run with the result of a short day (the simulation has its own tests)."""
    hour = {
        "counters": 2,
        "tickets": 6,
        "called": 6,
        "mean_wait": 4.5,
        "p90_wait": 12.0,
        "within_target": 0.83,
    }
    hours = [{**hour, "hour": h, "inside": h - 7, "outside": max(0, h - 10)} for h in range(8, 13)]
    result = {
        "hours": hours,
        **{"tickets": 30, "called": 30, "not_called": 0, "within_target": 0.83, "target_minutes": 15},
        **{"mean_wait": 4.5, "most_inside": 5, "cap_inside": 4, "sent_outside": 3, "most_outside": 2},
        **{"refused": 0, "bookings": 0, "counter_hours": 10},
    }
    return WhatIfRun.objects.create(
        hall=hall,
        date=timezone.localdate(),
        day_type="normal",
        counters={str(h): 2 for h in range(8, 13)},
        plan_counters={str(h): 3 for h in range(8, 13)},
        state=JobState.DONE,
        result=result,
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_staff_pages_have_no_serious_violations(page, live_server, axe_source, world, language):
    w = world
    audit = Audit(page, axe_source)
    assert w.working and w.ticket  # the clerk works at window 1; a walk-in waits
    sign_in(page, live_server, w.clerk)
    in_language(page, live_server, language)
    audit.visit(reverse("queueing:console"), "console: windows")
    audit.visit(reverse("queueing:counter", args=[w.counter.pk]), "console: a ticket waits")
    called = w.called_ticket
    audit.visit(reverse("queueing:counter", args=[w.counter.pk]), "console: serving")
    audit.visit(reverse("queueing:transfer", args=[w.counter.pk, called.pk]), "console: transfer")
    audit.visit(reverse("queueing:missing_materials", args=[w.counter.pk, called.pk]), "console: missing")
    audit.visit(reverse("queueing:slip", args=[w.counter.pk, w.missing_ticket.pk]), "console: slip")
    audit.visit(reverse("appointments:staff_book"), "staff booking: services")
    audit.visit(
        reverse("appointments:staff_book_service", args=[w.hall.slug, w.service.code]),
        "staff booking: a service",
    )
    audit.visit(reverse("consultations:log", args=[w.hall.slug]), "consultations: log")
    page.locator("main form button[type='submit']").click()
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("consultations: log with errors")
    audit.visit(reverse("consultations:mine", args=[w.hall.slug]), "consultations: my call-backs")
    audit.visit(
        reverse("consultations:call_back", args=[w.hall.slug, w.call_back.pk]), "consultations: call-back"
    )
    audit.visit(reverse("postal:staff_items"), "by post: items")
    audit.visit(reverse("postal:staff_new"), "by post: new item")
    audit.visit(reverse("postal:staff_item", args=[w.postal_item.pk]), "by post: an item")
    audit.visit(reverse("postal:staff_pickups"), "pickups")
    audit.visit(reverse("postal:staff_pickup_new"), "pickups: new")
    audit.visit(reverse("postal:staff_pickup", args=[w.pickup.pk]), "pickups: one")

    expect(page.locator("html")).to_have_attribute("lang", language)
    sign_in(page, live_server, w.supervisor)
    in_language(page, live_server, language)
    slug = w.hall.slug
    for name, label in [
        ("reports:dashboard", "reports: dashboard"),
        ("reports:staffing", "reports: staffing"),
        ("reports:live", "reports: live"),
        ("queueing:closing", "closing time"),
        ("reports:ranking", "reports: ranking"),
        ("reports:comments", "reports: comments"),
        ("reports:follow_ups", "reports: follow-ups"),
        ("reports:audit_log", "reports: audit log"),
        ("reports:devices", "reports: screens"),
        ("reports:consultations", "reports: consultations"),
        ("consultations:hall", "consultations: the hall's call-backs"),
        ("homevisits:list", "home visits: list"),
        ("appointments:person_lookup", "no-show blocks"),
        ("whatif:start", "what-if"),
    ]:
        audit.visit(reverse(name, args=[slug]), label)
    audit.visit(reverse("whatif:run", args=[slug, done_what_if(w.hall).pk]), "what-if: a result")
    audit.visit(reverse("hall:holiday_schedule", args=[2027]), "holiday schedule")
    audit.visit(reverse("reports:follow_up", args=[slug, w.case.pk]), "reports: a follow-up")
    visit = w.home_visit.pk
    for name, label in [
        ("homevisits:detail", "home visits: one"),
        ("homevisits:schedule", "home visits: schedule"),
        ("homevisits:decline", "home visits: decline"),
        ("homevisits:staff_cancel", "home visits: cancel"),
        ("homevisits:outcome", "home visits: outcome"),
    ]:
        audit.visit(reverse(name, args=[slug, visit]), label)
    audit.visit(reverse("postal:staff_overdue"), "by post: overdue")
    audit.visit(reverse("otp_enrol"), "second factor: set up")

    audit.assert_clean()
    assert len(audit.pages) == 42


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_otp_set_up_has_no_serious_violations(page, live_server, axe_source, settings, language):
    """With the second factor on (production): the enrolment code step, its error, and the key."""
    settings.STAFF_OTP_REQUIRED = True
    user = make_staff(make_hall(), "boss", role="supervisor")
    audit = Audit(page, axe_source)
    sign_in(page, live_server, user)
    in_language(page, live_server, language)

    audit.visit(reverse("otp_enrol"), "set-up: enrolment code")
    page.locator("main button.primary").click()
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check("set-up: enrolment code missing")
    page.fill("#id_enrolment_code", enrolment_codes.issue(user))
    page.locator("main button.primary").click()
    expect(page.locator("img.otp-qr")).to_be_visible()
    audit.check("set-up: the key")

    audit.assert_clean()
