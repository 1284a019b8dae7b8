"""Hostile input posted to every form a citizen or a staff member can send, and to every query string and
path that a page reads: no 5xx, a page with a translated error (or a redirect), and the invariants hold
(no slot beyond capacity, no booking half-written, ticket numbers contiguous, one ticket per counter).

The targets are found by walking the URL patterns: `test_every_form_url_is_fuzzed` fails when a view that
accepts POST is added without a row in FORMS (or a reason in NOT_FORMS).

Hypothesis is derandomized (the same examples on every run) and kept small per target, so that the file
runs in about a minute on a 2-core machine; HYPOTHESIS_EXAMPLES=200 runs more.
"""

import datetime as dt
import inspect
import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote_from_bytes, urljoin, urlsplit

import phonenumbers
import pytest
from django.contrib.auth.models import User
from django.db.models import F, Q
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from appointments import availability, people
from appointments import services as booking_services
from appointments.models import Booking, PlaceHold, Slot
from hall.models import ExtraSession
from homevisits import services as visits
from postal import services as postal
from queueing import calls, invariants, walkins
from queueing import services as queue_services
from queueing.models import AT_COUNTER_STATES, Ticket
from reports import services as report_services
from reports.models import FollowUp, Rating
from tests.makers import make_counter, make_device, make_id_number, make_service, make_staff, pair_client
from tests.queueing.helpers import make_hall_open_today

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "10"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e]")
PHONE = "13800138000"

# Values that have broken web forms somewhere: empty and blank, NUL and control characters, full-width and
# other non-ASCII digits, right-to-left and zero-width marks, markup, SQL, format strings, numbers beyond
# any column, malformed and extreme dates, and texts far beyond every field's limit.
NASTY_TEXT = [
    "",
    " ",
    "\t\r\n",
    "\x00",
    "abc\x00def",
    "\x1b[31m\x07",
    "１３８００１３８０００",
    "１１０１０５１９８００１０１００１Ｘ",
    "١٣٨٠٠١٣٨٠٠٠",
    "²",
    "①②",
    "一二三",
    "\u202e13800138000",
    "\u200b\u200c\u200d\ufeff",
    "\u0301\u0301\u0301",
    "👨‍👩‍👧‍👦",
    "' OR '1'='1' --",
    "'; DROP TABLE appointments_booking; --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ request.user }}{% debug %}",
    "%(name)s %s %d {0} {}",
    "../../../etc/passwd",
    "javascript:alert(1)",
    "//evil.example/",
    "https://evil.example/x",
    "-1",
    "0",
    "-0",
    "1.5",
    "1e309",
    "NaN",
    "-inf",
    "0x10",
    "9" * 40,
    str(2**63),
    str(-(2**63) - 1),
    str(2**31),
    "2026-02-30",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-13-01",
    "2026-11-24T25:00",
    "20261124",
    "2026-W48-1",
    "true",
    "null",
    "[]",
    '{"a": 1}',
    "A" * 5000,
    "中" * 3000,
    "\U0010ffff" * 20,
]
NASTY_BYTES = [b"\xff\xfe", b"\xed\xa0\x80", b"\xc0\x80", b"\x80abc", b"%", b"%%00", b"\xe4\xb8"]
hostile = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.sampled_from(NASTY_BYTES),
    st.text(max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
junk_key = st.sampled_from(["", "x", "\x00", "csrfmiddlewaretoken", "next", "中文", "a[]", "a" * 300])


def _bytes(value) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def encode(pairs) -> bytes:
    """application/x-www-form-urlencoded, byte for byte: invalid UTF-8 and repeated keys included."""
    return b"&".join(
        quote_from_bytes(_bytes(k), safe=b"").encode() + b"=" + quote_from_bytes(_bytes(v), safe=b"").encode()
        for k, v in pairs
    )


@st.composite
def form_pairs(draw, valid: dict):
    """Each field keeps its valid value or gets a hostile one; sometimes a field is missing, repeated or
    joined by unknown fields."""
    pairs = []
    for name, good in valid.items():
        goods = good if isinstance(good, list) else [good]
        choice = draw(st.sampled_from(["valid", "hostile", "hostile", "missing", "twice"]))
        if choice == "valid":
            pairs += [(name, g) for g in goods]
        elif choice == "hostile":
            pairs.append((name, draw(hostile)))
        elif choice == "twice":
            pairs += [(name, draw(hostile)), (name, goods[0])]
    pairs += draw(st.lists(st.tuples(junk_key, hostile), max_size=2))
    return pairs


# -- the world the forms act on -----------------------------------------------------------------------


@dataclass
class World:
    hall: object
    service: object
    other_service: object
    counter: object
    clerk: User
    supervisor: User
    day: dt.date
    slot: Slot
    booking: Booking
    waiting: Ticket
    done: Ticket
    rating: Rating
    case: FollowUp
    clients: dict = field(default_factory=dict)
    extras: dict = field(default_factory=dict)  # objects of the later apps, by more_world

    def client(self, persona: str) -> Client:
        if persona not in self.clients:
            client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
            if persona == "kiosk":  # the hall's paired kiosk, in no one's session
                pair_client(client, self.hall)
            elif persona != "citizen":
                client.force_login({"clerk": self.clerk, "supervisor": self.supervisor}[persona])
            self.clients[persona] = client
        return self.clients[persona]


def _citizen(n: int) -> booking_services.Citizen:
    return booking_services.Citizen(
        name="王五", phone=phonenumbers.parse(f"1390000{n:04d}", "CN"), id_number=make_id_number(n)
    )


@pytest.fixture
def world(settings) -> World:
    settings.RATE_LIMITS = False
    settings.BOOKING_SMS_CODE = False
    now = timezone.now()
    hall = make_hall_open_today()
    day = timezone.localdate() + dt.timedelta(days=2)
    ExtraSession.objects.create(
        hall=hall,
        date=day,
        start=dt.time(9),
        end=dt.time(17),
        reason_zh_hans="预约服务",
        reason_en="By appointment",
    )
    service = make_service(hall)
    other_service = make_service(
        hall, code="hukou-proof", prefix="B", name_zh_hans="户籍证明", name_en="Proof"
    )
    counter = make_counter(hall, 1, [service, other_service])
    make_counter(hall, 2, [other_service])
    clerk = make_staff(hall, "clerk")
    supervisor = make_staff(hall, "boss", role="supervisor")
    slot = availability.day_availability(service=service, date=day, now=now).slots[0]
    booking = booking_services.book(
        slot=slot, citizen=_citizen(1), actor=booking_services.Actor("web"), now=now
    )
    kiosk = queue_services.Actor("kiosk")
    console = queue_services.Actor("console", user=clerk)
    done = walkins.issue_walk_in(hall=hall, service=service, actor=kiosk).ticket
    calls.open_counter(counter=counter, actor=console)
    calls.call_next(counter=counter, actor=console)
    calls.start_serving(ticket=Ticket.objects.get(pk=done.pk), actor=console)
    calls.complete(ticket=Ticket.objects.get(pk=done.pk), actor=console, outcome="done")
    rating = report_services.rate_ticket(Ticket.objects.get(pk=done.pk), 1, "态度不好")
    waiting = walkins.issue_walk_in(hall=hall, service=service, actor=kiosk).ticket
    walkins.issue_walk_in(hall=hall, service=other_service, actor=kiosk)
    return World(
        hall=hall,
        service=service,
        other_service=other_service,
        counter=counter,
        clerk=clerk,
        supervisor=supervisor,
        day=day,
        slot=slot,
        booking=booking,
        waiting=waiting,
        done=Ticket.objects.get(pk=done.pk),
        rating=rating,
        case=FollowUp.objects.get(rating=rating),
    )


# -- what every answer must be ------------------------------------------------------------------------


def assert_answer(response, where: str) -> None:
    """No 5xx; a redirect, or an HTML page whose form errors are all in Chinese."""
    status = response.status_code
    assert status < 500, f"{where}: {status}"
    if status in (301, 302, 303):
        assert response["Location"], where
        return
    assert status in (200, 400, 403, 404, 429), f"{where}: {status}"  # 429: the sign-in lockout page
    assert response["Content-Type"].startswith("text/html"), where
    page = response.content.decode()
    assert CJK.search(page), f"{where}: no Chinese on the {status} page"
    if status != 200 or not response.context:
        return
    form = response.context.get("form")
    if form is not None and form.is_bound:
        for name, errors in form.errors.items():
            for message in errors:
                assert CJK.search(message), f"{where}: untranslated error on {name!r}: {message!r}"


def assert_invariants() -> None:
    """Everything `manage.py check_invariants` checks (slot counters and capacity, contiguous ticket numbers,
    one ticket per counter, every state recorded), and no booking stored without a name or an identity."""
    findings = invariants.check_all()
    assert not findings, "broken invariants:\n" + "\n".join(map(str, findings))
    blank = Booking.objects.filter(Q(name__regex=r"^\s*$") | Q(id_hash="") | Q(phone_hash=""))
    assert not blank.exists(), list(blank.values_list("code", flat=True))


# -- every form -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str  # the URL name
    persona: str  # citizen, clerk or supervisor
    url: object  # World -> path
    valid: object  # World -> {field: a valid value}

    def __str__(self):
        return self.name


def _booking_args(w: World) -> list:
    return [w.hall.slug, w.service.code, w.day.isoformat(), w.slot.pk]


def _citizen_fields(w: World) -> dict:
    return {"name": "张三丰", "phone": PHONE, "id_number": make_id_number(7), "language": "zh-hans"}


def _party_fields(w: World) -> dict:
    return {"persons": "1", "green_channel": "", "green_note": "", "language": "zh-hans"}


# The booking's question pages in their order, each with valid answers.
QUESTION_PAGES = {
    "appointments:details": lambda w: {"name": "张三丰", "phone": PHONE},
    "appointments:details_id": lambda w: {"id_number": make_id_number(7)},
    "appointments:details_more": _party_fields,
}
AFTER_DETAILS = ("appointments:confirm", "appointments:verify", "appointments:also")


def answer_question_pages_before(client, w: World, target: str) -> None:
    """Answer the booking's question pages that come before `target` (all of them for a later page)."""
    for name, answers in QUESTION_PAGES.items():
        if name == target:
            return
        client.post(reverse(name, args=_booking_args(w)), answers(w))


def _counter(name: str, *tail):
    return lambda w: reverse(f"queueing:{name}", args=[w.counter.pk, *[t(w) for t in tail]])


def _current(w: World) -> int:
    """The ticket at the clerk's counter now (called back if a previous example finished it)."""
    ticket = Ticket.objects.filter(counter=w.counter, state__in=AT_COUNTER_STATES).first()
    if ticket is None:
        ticket = calls.call_next(counter=w.counter, actor=queue_services.Actor("console", user=w.clerk))
    if ticket is None:
        ticket = walkins.issue_walk_in(
            hall=w.hall, service=w.service, actor=queue_services.Actor("kiosk")
        ).ticket
        ticket = calls.call_next(counter=w.counter, actor=queue_services.Actor("console", user=w.clerk))
    return ticket.pk


def _device(w: World):
    """The hall's kiosk, paired, with printer trouble."""
    if "device" not in w.extras:
        w.extras["device"] = make_device(w.hall, printer_trouble="not_printed")[0]
    return w.extras["device"]


def _written_comment(w: World):
    """A comment written in the comment book without a ticket, with a mobile to call back."""
    if "written" not in w.extras:
        w.extras["written"] = report_services.write_comment(
            hall=w.hall, text="座位不够", phone=PHONE, now=timezone.now()
        )
    return w.extras["written"]


FORMS = [
    *[
        Target(name, "citizen", lambda w, name=name: reverse(name, args=_booking_args(w)), answers)
        for name, answers in QUESTION_PAGES.items()
    ],
    Target(
        "appointments:confirm",
        "citizen",
        lambda w: reverse("appointments:confirm", args=_booking_args(w)),
        lambda w: {"confirm": "1"},
    ),
    Target(
        "appointments:verify",
        "citizen",
        lambda w: reverse("appointments:verify", args=_booking_args(w)),
        lambda w: {"code": "123456", "resend": ""},
    ),
    Target(
        "appointments:also",
        "citizen",
        lambda w: reverse("appointments:also", args=_booking_args(w)),
        lambda w: {"services": w.other_service.code},
    ),
    Target(
        "appointments:join_waitlist",
        "citizen",
        lambda w: reverse(
            "appointments:join_waitlist", args=[w.hall.slug, w.service.code, w.day.isoformat()]
        ),
        lambda w: {"phone": PHONE, "language": "en"},
    ),
    Target(
        "appointments:find",
        "citizen",
        lambda w: reverse("appointments:find"),
        lambda w: {"code": w.booking.code, "phone": "+8613900000001"},
    ),
    Target(
        "appointments:cancel",
        "citizen",
        lambda w: reverse("appointments:cancel", args=[w.booking.manage_token]),
        lambda w: {"confirm": "1"},
    ),
    Target(
        "appointments:reschedule",
        "citizen",
        lambda w: reverse("appointments:reschedule", args=[w.booking.manage_token]),
        lambda w: {"slot": str(w.slot.pk)},
    ),
    Target(
        "appointments:staff_book_service",
        "clerk",
        lambda w: reverse("appointments:staff_book_service", args=[w.hall.slug, w.service.code]),
        lambda w: {
            "date": w.day.isoformat(),
            "slot": str(w.slot.pk),
            "use_held_back": "on",
            **_citizen_fields(w),
            "persons": "2",
            "green_channel": "urgent",
            "green_note": "明天考试",
        },
    ),
    Target(
        "queueing:kiosk_check_in",
        "kiosk",
        lambda w: reverse("queueing:kiosk_check_in", args=[w.hall.slug]),
        lambda w: {"code": w.booking.code},
    ),
    Target(
        "queueing:kiosk_walk_in",
        "kiosk",
        lambda w: reverse("queueing:kiosk_walk_in", args=[w.hall.slug]),
        lambda w: {"service": str(w.service.pk)},
    ),
    Target(
        "queueing:kiosk_guide",
        "clerk",
        lambda w: reverse("queueing:kiosk_guide", args=[w.hall.slug]),
        lambda w: {
            "service": str(w.other_service.pk),
            "green_channel": "elderly",
            "id_number": make_id_number(9),
            "phone": PHONE,
        },
    ),
    Target("queueing:open_counter", "clerk", _counter("open_counter"), lambda w: {}),
    Target("queueing:counter_state", "clerk", _counter("counter_state"), lambda w: {"state": "paused"}),
    Target("queueing:call_next", "clerk", _counter("call_next"), lambda w: {}),
    Target("queueing:call_ticket", "clerk", _counter("call_ticket", lambda w: w.waiting.pk), lambda w: {}),
    Target(
        "queueing:ticket_action",
        "clerk",
        _counter("ticket_action", _current, lambda w: "recall"),
        lambda w: {},
    ),
    Target(
        "queueing:transfer",
        "clerk",
        _counter("transfer", _current),
        lambda w: {"service": str(w.other_service.pk), "counter": "", "note": "请补充材料"},
    ),
    Target(
        "queueing:missing_materials",
        "clerk",
        _counter("missing_materials", _current),
        lambda w: {"missing": [str(m.pk) for m in w.service.materials.all()], "missing_note": "户口簿原件"},
    ),
    Target(
        "reports:rate",
        "citizen",
        lambda w: reverse("reports:rate", args=[w.done.token]),
        lambda w: {"score": "5", "comment": "很好"},
    ),
    Target(
        "reports:comment_book",
        "citizen",
        lambda w: reverse("reports:comment_book", args=[w.hall.slug]),
        lambda w: {"text": "座位不够", "phone": PHONE},
    ),
    Target(
        "reports:moderate",
        "supervisor",
        lambda w: reverse("reports:moderate", args=[w.hall.slug, w.rating.pk]),
        lambda w: {"published": "on", "reply": "已整改"},
    ),
    Target(
        "reports:moderate_written",
        "supervisor",
        lambda w: reverse("reports:moderate_written", args=[w.hall.slug, _written_comment(w).pk]),
        lambda w: {"published": "on", "reply": "已整改"},
    ),
    Target(
        "reports:reveal_written_mobile",
        "supervisor",
        lambda w: reverse("reports:reveal_written_mobile", args=[w.hall.slug, _written_comment(w).pk]),
        lambda w: {},
    ),
    Target(
        "reports:follow_up",
        "supervisor",
        lambda w: reverse("reports:follow_up", args=[w.hall.slug, w.case.pk]),
        lambda w: {"note": "已电话回访", "action": "advance"},
    ),
    Target(
        "whatif:start",
        "supervisor",
        lambda w: reverse("whatif:start", args=[w.hall.slug]),
        lambda w: {
            "date": w.day.isoformat(),
            "day": "quiet",
            "walk_in_percent": "100",
            "seed": "1",
            **{f"c{hour}": "1" for hour in range(8, 20)},
        },
    ),
    Target(
        "plan_check:start",
        "supervisor",
        lambda w: reverse("plan_check:start", args=[w.hall.slug]),
        lambda w: {"date": w.day.isoformat()},
    ),
    Target(
        "reports:device_add",
        "supervisor",
        lambda w: reverse("reports:device_add", args=[w.hall.slug]),
        lambda w: {"kind": "board", "name": "大厅大屏", "place": "入口"},
    ),
    Target(
        "reports:device_pair",
        "supervisor",
        lambda w: reverse("reports:device_pair", args=[w.hall.slug]),
        lambda w: {"code": "ABC347", "device": str(_device(w).pk)},
    ),
    Target(
        "reports:device_revoke",
        "supervisor",
        lambda w: reverse("reports:device_revoke", args=[w.hall.slug, _device(w).pk]),
        lambda w: {},
    ),
    Target(
        "reports:device_printer_fixed",
        "supervisor",
        lambda w: reverse("reports:device_printer_fixed", args=[w.hall.slug, _device(w).pk]),
        lambda w: {},
    ),
    Target(
        "reports:reveal_mobile",
        "supervisor",
        lambda w: reverse("reports:reveal_mobile", args=[w.hall.slug, w.case.pk]),
        lambda w: {},
    ),
    Target(
        "queueing:extend_closing",
        "supervisor",
        lambda w: reverse("queueing:extend_closing", args=[w.hall.slug]),
        lambda w: {"until": "23:59"},
    ),
    Target(
        "queueing:closing_after_hours",
        "supervisor",
        lambda w: reverse("queueing:closing_after_hours", args=[w.hall.slug]),
        lambda w: {"tickets": str(w.waiting.pk), "all": ""},
    ),
    Target(
        "queueing:closing_rebook",
        "supervisor",
        lambda w: reverse("queueing:closing_rebook", args=[w.hall.slug, w.waiting.pk]),
        lambda w: {
            f"t{w.waiting.pk}-name": "李四",
            f"t{w.waiting.pk}-phone": "13900000007",
            f"t{w.waiting.pk}-id_number": make_id_number(7),
        },
    ),
    Target(
        "queueing:closing_rebook_all",
        "supervisor",
        lambda w: reverse("queueing:closing_rebook_all", args=[w.hall.slug]),
        lambda w: {},
    ),
    Target(
        "hall:toggle_large_text",
        "citizen",
        lambda w: reverse("hall:toggle_large_text"),
        lambda w: {"next": reverse("hall:home", args=[w.hall.slug])},
    ),
    Target(
        "homevisits:outcome",
        "supervisor",
        lambda w: reverse("homevisits:outcome", args=[w.hall.slug, w.extras["visit"].pk]),
        lambda w: {"outcome": "done", "missing_note": "户口簿"},
    ),
    Target(
        "hall:holiday_schedule",
        "supervisor",
        lambda w: reverse("hall:holiday_schedule", args=[2027]),
        lambda w: {"0_first": "2027-01-01", "0_last": "2027-01-03", "workdays": "2027-02-20"},
    ),
    Target(
        "appointments:person_lookup",
        "supervisor",
        lambda w: reverse("appointments:person_lookup", args=[w.hall.slug]),
        lambda w: {"id_number": make_id_number(7)},
    ),
    Target(
        "appointments:lift_block",
        "supervisor",
        lambda w: reverse("appointments:lift_block", args=[w.hall.slug]),
        lambda w: {"person": people.lift_token(w.hall, "id-hash", "phone-hash"), "reason": "住院"},
    ),
    Target(
        "otp_verify", "supervisor", lambda w: reverse("otp_verify"), lambda w: {"code": "123456", "next": "/"}
    ),
    Target(
        "otp_enrol", "supervisor", lambda w: reverse("otp_enrol"), lambda w: {"code": "123456", "next": "/"}
    ),
    Target(
        "consultations:ask",
        "citizen",
        lambda w: reverse("consultations:ask", args=[w.hall.slug]),
        lambda w: {
            "service": str(w.service.pk),
            "question": "迁入要带什么",
            "mobile": PHONE,
            "half_day": "soon",
        },
    ),
    Target(
        "set_language",
        "citizen",
        lambda w: reverse("set_language"),
        lambda w: {"language": "en", "next": "/"},
    ),
    Target(
        "password_change",
        "clerk",
        lambda w: reverse("password_change"),
        lambda w: {"old_password": "not-the-password", "new_password1": "1234", "new_password2": "1234"},
    ),
    Target(
        "login",
        "citizen",
        lambda w: reverse("login"),
        lambda w: {"username": "clerk", "password": "wrong", "next": "/console/"},
    ),
]
# Views that accept POST but take no form a person fills in here, with the reason.
NOT_FORMS = {
    "logout": "Django's own; no fields",
    "queueing:kiosk_printer": "kiosk.js's report (204), no form; tests/queueing/test_kiosk_devices.py",
    "appointments:waitlist_offer": "fuzzed in test_waitlist_offer_form (needs an offered place)",
    "appointments:sms_reply": "a gateway's JSON callback, no form; tests/notifications/test_sms_replies.py",
    **{
        f"video:{name}": "fuzzed in tests/video/test_fuzz.py (needs a video booking in its window)"
        for name in ("identity", "complete", "citizen_signal", "clerk_signal")
    },
    **{
        f"consultations:{name}": "fuzzed in tests/consultations/test_fuzz.py (needs a call-back)"
        for name in ("reveal", "attempt", "close", "reassign", "unreachable")
    },
    **{
        f"consultations:{name}": "fuzzed in tests/consultations/test_escalation_fuzz.py (needs an escalation)"
        for name in ("escalate", "escalate_further", "answer", "pass_on")
    },
}


@pytest.mark.parametrize("target", FORMS, ids=str)
def test_hostile_form_posts_answer_a_page_or_a_redirect_and_keep_the_invariants(more_world, target):
    world, _seeds = more_world
    try:
        target.url(world)
    except NoReverseMatch:  # a renamed or removed form must not silently stop being fuzzed
        pytest.fail(f"{target.name} is in the fuzz table but not among the URLs: update FORMS")
    client = world.client(target.persona)
    if target.name in (*QUESTION_PAGES, *AFTER_DETAILS):
        answer_question_pages_before(client, world, target.name)

    @FUZZ
    @given(pairs=form_pairs(target.valid(world)))
    def post(pairs):
        url = target.url(world)
        response = client.post(url, encode(pairs), content_type="application/x-www-form-urlencoded")
        assert_answer(response, f"POST {url} {pairs!r}")
        assert_invariants()

    post()


def test_waitlist_offer_form(world):
    """The form a citizen fills in when a freed place is offered to them from the waiting list."""
    Slot.objects.filter(service=world.service, date=world.day).update(capacity=F("taken"))
    entry = booking_services.join_waitlist(
        service=world.service, date=world.day, phone=phonenumbers.parse(PHONE, "CN"), language="zh-hans"
    )
    booking_services.cancel_booking(booking=world.booking, actor=booking_services.Actor("web"))
    PlaceHold.objects.update(release_at=timezone.now())
    booking_services.release_due_places(now=timezone.now())
    assert PlaceHold.objects.filter(waitlist_entry=entry).exists()
    client = world.client("citizen")

    @FUZZ
    @given(pairs=form_pairs(_citizen_fields(world)))
    def post(pairs):
        url = reverse("appointments:waitlist_offer", args=[entry.token])
        response = client.post(url, encode(pairs), content_type="application/x-www-form-urlencoded")
        assert_answer(response, f"POST {url} {pairs!r}")
        assert_invariants()

    post()


def _post_views() -> set[str]:
    """URL names whose view accepts POST (every view not limited to GET/HEAD), from the URL patterns."""
    found = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace in ("admin", "api-v1", "django_rq"):
                    continue
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                view = pattern.callback
                allowed = getattr(view, "view_class", None)
                methods = set(getattr(allowed, "http_method_names", ["get", "post"]))
                if "post" in methods and not _get_only(view):
                    found.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None)
    return found


def _get_only(view) -> bool:
    """A view whose source never mentions POST only reads (pages, feeds, files)."""
    source = inspect.getsource(inspect.unwrap(view))
    return not re.search(r"POST|posted\(", source)


def test_every_form_url_is_fuzzed(more_world):
    """A view that accepts POST is in FORMS, or its form is found by the crawler below, or NOT_FORMS says
    where else it is fuzzed: a new form cannot go unfuzzed."""
    world, extra = more_world
    crawled = set()
    for persona, seeds in CRAWL_SEEDS.items():
        crawled |= {name for name, _fields in crawl(world.client(persona), seeds(world) + extra)}
    assert _post_views() - {t.name for t in FORMS} - crawled - set(NOT_FORMS) == set()


# -- query strings and paths ----------------------------------------------------------------------------

QUERY_PAGES = [
    ("supervisor", lambda w: reverse("reports:dashboard", args=[w.hall.slug]), ["date", "from", "to"]),
    ("supervisor", lambda w: reverse("reports:export_csv", args=[w.hall.slug]), ["date", "from", "to"]),
    ("supervisor", lambda w: reverse("reports:export_xlsx", args=[w.hall.slug]), ["from", "to"]),
    ("supervisor", lambda w: reverse("reports:staffing", args=[w.hall.slug]), ["date"]),
    ("supervisor", lambda w: reverse("reports:ranking", args=[w.hall.slug]), ["month"]),
    ("supervisor", lambda w: reverse("reports:comments", args=[w.hall.slug]), ["page"]),
    ("supervisor", lambda w: reverse("reports:follow_ups", args=[w.hall.slug]), ["page", "all"]),
    ("citizen", lambda w: reverse("appointments:reschedule", args=[w.booking.manage_token]), ["date"]),
    (
        "clerk",
        lambda w: reverse("appointments:staff_book_service", args=[w.hall.slug, w.service.code]),
        ["date"],
    ),
    ("citizen", lambda w: reverse("hall:home", args=[w.hall.slug]), ["lang", "next"]),
    ("clerk", lambda w: reverse("queueing:register", args=[w.hall.slug]), ["date"]),
]


@pytest.mark.parametrize("persona, url, names", QUERY_PAGES, ids=[f"q{i}" for i in range(len(QUERY_PAGES))])
def test_hostile_query_strings_answer_a_page(world, persona, url, names):
    client = world.client(persona)
    path = url(world)

    @FUZZ
    @given(pairs=st.lists(st.tuples(st.sampled_from(names), hostile), min_size=1, max_size=3))
    def get(pairs):
        response = client.get(path + "?" + encode(pairs).decode())
        if response["Content-Type"].startswith("text/html") or response.status_code >= 400:
            assert_answer(response, f"GET {path} {pairs!r}")
        else:
            assert response.status_code == 200, f"GET {path} {pairs!r}"

    get()


PATHS = [
    ("citizen", "/h/{slug}/book/{service}/{x}/"),
    ("citizen", "/h/{slug}/book/{service}/{x}/1/"),
    ("citizen", "/h/{slug}/book/{service}/{day}/{n}/"),
    ("citizen", "/h/{slug}/book/{service}/{x}/waitlist/"),
    ("citizen", "/booking/{x}/"),
    ("citizen", "/booking/{x}/cancel/"),
    ("citizen", "/booking/{x}/qr.svg"),
    ("citizen", "/waitlist/{x}/"),
    ("citizen", "/t/{x}/"),
    ("citizen", "/t/{x}/print/"),
    ("citizen", "/t/{x}/rate/"),
    ("citizen", "/h/{slug}/kiosk/t/{x}/"),
    ("citizen", "/h/{slug}/counter/{n}/display/"),
    ("clerk", "/console/{n}/"),
    ("clerk", "/console/{counter}/t/{n}/transfer/"),
    ("supervisor", "/h/{slug}/reports/comments/{n}/"),
    ("supervisor", "/h/{slug}/reports/follow-ups/{n}/"),
    ("citizen", "/h/{x}/"),
]
path_text = st.one_of(
    st.sampled_from(NASTY_TEXT[:50]), st.sampled_from(NASTY_BYTES), st.text(min_size=1, max_size=20)
)
path_number = st.integers(min_value=0, max_value=10**40).map(str)


@pytest.mark.parametrize("persona, template", PATHS, ids=[t for _p, t in PATHS])
def test_hostile_path_parts_answer_a_page(world, persona, template):
    client = world.client(persona)

    @FUZZ
    @given(x=path_text, n=path_number)
    @example(x="\x00", n=str(2**63))
    @example(x="²", n="0")
    def get(x, n):
        part = quote_from_bytes(_bytes(x), safe=b"") or "x"
        path = template.format(
            slug=world.hall.slug,
            service=world.service.code,
            day=world.day.isoformat(),
            counter=world.counter.pk,
            x=part,
            n=n,
        )
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if response.status_code != 405:
                assert_answer(response, f"{method.upper()} {path}")
        assert_invariants()

    get()


# -- every form on every page: a crawler -----------------------------------------------------------------
# The table above knows what a valid post looks like for the core forms. The crawler below needs no table:
# it follows the links each persona sees, reads every <form method="post"> (also of apps added later), and
# posts hostile values in place of what the page offers. Every form found must hold as above.


class FormReader(HTMLParser):
    """The links and the POST forms of a page: each form's action and its fields with an offered value."""

    def __init__(self):
        super().__init__()
        self.links, self.forms, self._form, self._select = [], [], None, None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form" and a.get("method", "").lower() == "post":
            self._form = {"action": a.get("action", ""), "fields": {}}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select", "button") and a.get("name"):
            fields = self._form["fields"]
            if tag == "select":
                self._select = a["name"]
                fields.setdefault(a["name"], [])
            elif a.get("type") in ("radio", "checkbox", "submit") or tag == "button":
                fields.setdefault(a["name"], []).append(a.get("value", "on"))
            else:
                fields.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "option" and self._form is not None and self._select:
            self._form["fields"][self._select].append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


SKIPPED_PATHS = ("/admin/", "/i18n/", "/accounts/logout/", "/api/", "/static/")
SKIPPED_ENDINGS = (".ics", ".svg", ".csv", ".xlsx")
MAX_PAGES = 120


def crawl(client: Client, seeds: list[str]) -> dict:
    """BFS over the site's pages from `seeds`: {(url name, field names): (action, fields)}, one per kind."""
    seen, queue, forms = set(), list(seeds), {}
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen or path.startswith(SKIPPED_PATHS) or path.endswith(SKIPPED_ENDINGS):
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        reader = FormReader()
        reader.feed(response.content.decode())
        for href in reader.links:
            parts = urlsplit(urljoin(path, href))
            if not parts.netloc and parts.path not in seen:
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        for form in reader.forms:
            action = urlsplit(urljoin(path, form["action"] or path)).path
            try:
                name = resolve(action).view_name
            except Resolver404:
                continue
            forms.setdefault((name, tuple(sorted(form["fields"]))), (action, form["fields"]))
    return forms


@pytest.fixture
def more_world(world):
    """Data for the pages of the later apps (posting documents, home visits)."""
    service = world.other_service
    Service = type(service)
    Service.objects.filter(pk=service.pk).update(by_post=True, home_visit=True)
    service.refresh_from_db()
    seeds = []
    phone = phonenumbers.parse(PHONE, "CN")
    applicant = postal.Applicant.with_id_number(name="李四", phone=phone, id_number=make_id_number(11))
    address = postal.Address("李四", phone, "北京市", "北京市", "东城区", "人民路1号")
    actor = postal.Actor("staff", user=world.clerk)
    item = postal.apply_by_post(service=service, applicant=applicant, address=address, actor=actor)
    pickup = postal.make_ready(service=service, applicant=applicant, actor=actor)
    for _step in range(2):  # one ready to send, one sent (the forms to send and to mark returned)
        further = postal.apply_by_post(service=service, applicant=applicant, address=address, actor=actor)
        postal.mark_processed(item=postal.receive_materials(item=further, actor=actor), actor=actor)
    postal.send_document(item=further, courier="EMS", tracking_number="EMS123", actor=actor)
    seeds += [reverse("postal:track", args=[item.token]), reverse("postal:pickup", args=[pickup.token])]
    seeds += [reverse("postal:apply", args=[world.hall.slug])]
    request = visits.Request(
        person_name="王奶奶",
        id_number=make_id_number(12, birth="19300101"),
        requester_name="王五",
        relationship="孙子",
        phone=phone,
        reason="immobile",
        address="人民路1号3单元",
        preferred_dates=(world.day,),
    )
    visit = visits.request_visit(service=service, request=request)
    world.extras["visit"] = visit
    seeds += [reverse("homevisits:status", args=[visit.token])]
    seeds += [reverse("homevisits:choose_service", args=[world.hall.slug])]
    return world, seeds


CRAWL_SEEDS = {
    "citizen": lambda w: [
        reverse("hall:home", args=[w.hall.slug]),
        reverse("appointments:manage", args=[w.booking.manage_token]),
        reverse("queueing:kiosk", args=[w.hall.slug]),
        reverse("queueing:ticket", args=[w.waiting.token]),
        reverse("reports:rate", args=[w.done.token]),
        reverse("appointments:find"),
    ],
    "clerk": lambda w: [
        "/console/",
        reverse("appointments:staff_book"),
        reverse("queueing:kiosk_guide", args=[w.hall.slug]),
        reverse("postal:staff_items"),
        reverse("postal:staff_pickups"),
        reverse("homevisits:list", args=[w.hall.slug]),
    ],
    "supervisor": lambda w: [
        reverse("reports:dashboard", args=[w.hall.slug]),
        reverse("consultations:hall", args=[w.hall.slug]),
        reverse("homevisits:list", args=[w.hall.slug]),
    ],
}


@pytest.mark.parametrize("persona", list(CRAWL_SEEDS))
def test_every_form_found_by_crawling_answers_hostile_posts(more_world, persona):
    world, extra = more_world
    client = world.client(persona)
    forms = crawl(client, CRAWL_SEEDS[persona](world) + (extra if persona == "citizen" else []))
    assert len(forms) >= 3, forms
    for (name, _fields), (action, fields) in sorted(forms.items()):
        if name not in ("logout", "set_language", "hall:toggle_large_text"):
            _fuzz_form(client, action, fields, f"{persona} POST {action} ({name})")
            assert_invariants()


def _fuzz_form(client: Client, action: str, fields: dict, where: str) -> None:
    # What the page offers: a field's own value, or the first non-empty choice of a radio, box or list.
    valid = {name: next((o for o in offered if o), "") for name, offered in fields.items()}

    @settings(FUZZ, max_examples=max(3, EXAMPLES // 4))
    @given(pairs=form_pairs(valid))
    def post(pairs):
        response = client.post(action, encode(pairs), content_type="application/x-www-form-urlencoded")
        assert_answer(response, f"{where} {pairs!r}")

    post()


# -- inputs that found bugs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/booking/%00/", "/t/a%00b/rate/", "/waitlist/%00/", "/h/north/kiosk/t/%00/", "/booking/find/?code=%00"],
)
def test_nul_byte_in_an_address_is_a_bad_request_page(client, path):
    """A NUL byte in a token made PostgreSQL refuse the lookup: a 500 on every link with a token."""
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 400
    assert "<h1>无法识别这个请求</h1>" in response.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/tickets/%00", "/api/v1/bookings/A%00?phone=13800138000"])
def test_nul_byte_in_an_api_address_is_a_bad_request_in_the_error_format(client, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")

    assert (response.status_code, response.json()) == (
        400,
        {"error": "bad_request", "message": "The request could not be understood.", "fields": {}},
    )


@pytest.mark.parametrize("value", ["x", "abc\x00def", "中文", "//evil.example/"])
def test_large_text_toggle_with_a_next_that_is_not_a_path_goes_home(client, value):
    response = client.post("/prefs/large-text/", {"next": value})

    assert (response.status_code, response["Location"]) == (302, "/")


@pytest.mark.parametrize("query", ["date=9999-12-31", "from=0001-01-01&to=0001-01-02", "month=9999-12"])
def test_report_dates_at_the_ends_of_the_calendar_are_refused(world, query):
    client = world.client("supervisor")
    page = "ranking" if query.startswith("month") else "staffing" if "date" in query else "dashboard"

    response = client.get(f"/h/{world.hall.slug}/reports/{page}/?{query}".replace("/dashboard/", "/"))

    assert response.status_code == 200
    message = "请按 YYYY-MM 格式输入月份" if page == "ranking" else "请按 YYYY-MM-DD 格式输入日期"
    assert message in response.content.decode()


@pytest.mark.parametrize("slot", ["²", "١٢", "9" * 30, "-1", ""])
def test_reschedule_to_a_slot_that_is_no_number_is_not_found(world, slot):
    """slot=² passed str.isdigit() and then failed int(): a 500 instead of 'not found'."""
    response = world.client("citizen").post(
        f"/booking/{world.booking.manage_token}/reschedule/", {"slot": slot}
    )

    assert response.status_code == 404
    assert "找不到这个页面" in response.content.decode()
    world.booking.refresh_from_db()
    assert world.booking.slot == world.slot


def test_consultation_log_with_a_next_that_is_not_a_path_goes_back_to_the_form(world):
    """next=abcdef after logging a consultation: redirect() took it for a view name, a 500."""
    client = world.client("clerk")
    url = reverse("consultations:log", args=[world.hall.slug])
    logged = {"channel": "phone", "service": "", "topic": "迁入需要什么材料", "result": "answered"}

    response = client.post(url, {**logged, "next": "abcdef"})

    assert (response.status_code, response["Location"]) == (302, url)
