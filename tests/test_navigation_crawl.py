"""Every staff role finds its whole job by following links: from the page it lands on after signing in,
every page its access rules (tests/test_access.py) let it open is within three clicks, and no link on its
pages leads to a page it may not open (a 403, a 404 or a sign-in page).

The crawl follows <a href> links only (buttons of POST forms are actions, not pages). It expands the
staff pages; the admin's pages and the citizens' pages (public, or a citizen's link) are only checked to
open, not expanded: the admin is Django's own (sampled in test_access.py) and citizen pages are the
citizen's navigation, not the staff's.
"""

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.urls import Resolver404, resolve, reverse

from queueing import calls, walkins
from queueing.services import Actor
from tests.test_access import ADMIN_SAMPLES, LINK, OK, PUBLIC, RULES, World, client_for, outcome

pytestmark = pytest.mark.django_db

MAX_CLICKS = 3

# Pages a role may open that are not reached by a link, and why.
EXEMPT = {
    "staff_home": "the landing redirect itself: the crawl starts there",
    "otp_verify": "a step of signing in (with the second factor), not a page one goes to",
    "otp_enrol": "a step of signing in (with the second factor), not a page one goes to",
    "password_change_done": "shown after the password form is submitted (POST)",
    "homevisits:outcome": "offered on a visit once it is scheduled; the world's visit is a new request",
    "(unnamed) admin/login/": "the admin's sign-in, met by opening /admin/ before signing in",
    "whatif:status": "the progress (JSON) that a what-if run's page polls by script, not a page",
    "video:clerk_signal": "the call page's signalling endpoint (JSON, polled by its script), not a page",
}
# The same, for one role only.
EXEMPT_FOR = {
    "supervisor": {
        "queueing:transfer": "a button for the person working at the window (the clerk), not for onlookers",
        "queueing:missing_materials": "a button for the person working at the window, not for onlookers",
    },
}
LEAF_NAMESPACES = ("admin", "django_rq")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.found.append(href)


def links_of(html: str, base: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    found = []
    for href in parser.found:
        address, _fragment = urldefrag(href)
        if not address:
            continue
        if address.startswith("?"):
            address = urlsplit(base).path + address
        parts = urlsplit(address)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue  # tel:, mailto:, another site
        if parts.path.startswith("/static/"):
            continue
        found.append(address)
    return found


def url_name(address: str) -> str | None:
    try:
        match = resolve(urlsplit(address).path)
    except Resolver404:
        return None
    return match.view_name


def is_leaf(name: str) -> bool:
    """Pages checked but not expanded: the admin's (but its index, the admin's list of its pages) and the
    citizens'."""
    rule = RULES.get(name)
    admin = name.split(":")[0] in LEAF_NAMESPACES and name != "admin:index"
    return admin or (rule is not None and rule.expected in (PUBLIC, LINK))


def pages_to_reach(persona: str) -> set[str]:
    """The signed-in pages the persona may open (GET), by URL name."""
    names = {
        name
        for name, rule in RULES.items()
        if rule.method == "GET" and not rule.direct and rule.expected[persona] == OK
        if rule.expected not in (PUBLIC, LINK)
        if name not in EXEMPT and name not in EXEMPT_FOR.get(persona, {})
    }
    return names | {name for name, expected in ADMIN_SAMPLES.items() if expected[persona] == OK}


def crawl(client, start: str):
    """Breadth-first from `start`: (the fewest clicks to each URL name, the links that were refused)."""
    clicks: dict[str, int] = {}
    refused: list[str] = []
    seen = {start}
    queue = deque([(start, 0, "(landing)")])
    while queue:
        address, depth, came_from = queue.popleft()
        response = client.get(address)
        got = outcome(response)
        if got != OK:
            refused.append(f"{address} ({got}), linked from {came_from}")
            continue
        name = url_name(address)
        clicks.setdefault(name, depth)
        html = "text/html" in response.get("Content-Type", "") and response.status_code == 200
        if depth == MAX_CLICKS or not html or is_leaf(name):
            continue
        for link in links_of(response.content.decode(), address):
            if link not in seen:
                seen.add(link)
                queue.append((link, depth + 1, address))
    return clicks, refused


@pytest.fixture
def world(settings):
    settings.RATE_LIMITS = False
    w = World()
    # The objects that the lists lead to: a call-back (escalated), a home visit, a postal item, a pickup, a
    # follow-up, a what-if run, a video booking, a ticket completed with materials missing (its slip), and a
    # ticket now called to window 1.
    made_objects = ("call_back", "escalation", "home_visit", "postal_item", "pickup", "case", "booking")
    for made in (*made_objects, "what_if_run", "video_booking"):
        getattr(w, made)
    waiting = walkins.issue_walk_in(hall=w.hall, service=w.service, actor=Actor("kiosk")).ticket
    calls.call_ticket(counter=w.counter, ticket=waiting, actor=Actor("console", user=w.clerk))
    return w


def landing(client) -> str:
    response = client.get(reverse("staff_home"))
    assert response.status_code == 302
    return response["Location"]


@pytest.mark.parametrize("persona", ["clerk", "supervisor", "admin"])
def test_every_page_of_a_role_is_within_three_clicks_of_its_landing(world, persona):
    client = client_for(world, persona)

    clicks, _refused = crawl(client, landing(client))

    missing = sorted(pages_to_reach(persona) - set(clicks))
    assert missing == [], f"not reached within {MAX_CLICKS} clicks: {missing}"


@pytest.mark.parametrize("persona", ["clerk", "supervisor", "admin"])
def test_no_link_on_a_roles_pages_leads_to_a_page_it_may_not_open(world, persona):
    client = client_for(world, persona)

    _clicks, refused = crawl(client, landing(client))

    assert refused == [], "\n".join(refused)


def test_the_crawl_finds_a_page_missing_from_the_header(world, monkeypatch):
    """Without the header's entry for the audit log, the supervisor cannot reach it: the test can fail."""
    from hall import navigation

    monkeypatch.setattr(
        navigation, "ENTRIES", tuple(e for e in navigation.ENTRIES if e.name != "reports:audit_log")
    )
    client = client_for(world, "supervisor")

    clicks, _refused = crawl(client, landing(client))

    assert "reports:audit_log" not in clicks


def test_the_crawl_reports_a_link_that_a_role_may_not_open(world, monkeypatch):
    """A header entry shown to the wrong role (the audit log to window staff) is a refused link."""
    from hall import navigation

    wrong = navigation.Entry("reports:audit_log", "Audit log", navigation.STAFF, hall=True)
    monkeypatch.setattr(navigation, "ENTRIES", (*navigation.ENTRIES, wrong))
    client = client_for(world, "clerk")

    _clicks, refused = crawl(client, landing(client))

    assert refused and all(line.startswith("/h/north/reports/audit/ (403)") for line in refused)
