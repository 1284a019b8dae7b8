"""No resident ID number, full mobile or full name in logs, in Redis or in URLs.

One citizen goes the whole way (book on the citizen pages with a text-message code, book a second service
through the API, confirmations, codes and reminders sent by the RQ worker through the recording SMS
backend, check-in at the kiosk and through the API, called, served and completed with materials missing at
the console, a walk-in with ID number and mobile at the 导办 desk, a consultation with a call back, a home
visit and a postal application,
the live events, the supervisor's pages)
while every log record is captured at DEBUG and every pub/sub message is collected; then every Redis key
and value of the test's database (RQ job data unzipped and unpickled, cache values unpickled, streams
read) and every URL requested, redirected to, linked from a page or sent in a message are searched for
the citizen's data in the forms it is written in. The scanner's own tests plant each value once, to show
that the search finds what it looks for.
"""

import contextlib
import datetime as dt
import json
import logging
import pickle
import re
import threading
import urllib.parse
import zlib
from collections.abc import Iterable, Iterator

import phonenumbers
import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.signals import request_started
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rq import SimpleWorker

from appointments import availability, verification
from appointments.models import Booking, BookingRules, PhoneCode
from hall.models import ApiToken, ExtraSession
from notifications import dispatch, sms, sweeper
from notifications.models import Kind, Notification
from queueing.models import Ticket, TicketState
from tests.makers import make_counter, make_id_number, make_service, make_staff, pair_client
from tests.queueing.helpers import make_hall_open_today

NAME = "司马青云"
MOBILE = "13765432109"
ID_NUMBER = "33010219660606700X"  # valid (GB 11643), with an X: test_the_citizens_data_is_valid
FORMAT = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")


# The scanner


def mobile_forms(mobile: str) -> list[str]:
    """A Chinese mobile as people and libraries write it."""
    a, b, c = mobile[:3], mobile[3:7], mobile[7:]
    return [mobile, f"+86{mobile}", f"86{mobile}", f"{a} {b} {c}", f"{a}-{b}-{c}", f"+86 {a} {b} {c}"]


def text_forms(value: str) -> list[str]:
    """A text as written raw, in JSON with ASCII escapes, and percent-encoded in a URL."""
    escaped = json.dumps(value)[1:-1]
    quoted = urllib.parse.quote(value)
    return list(dict.fromkeys([value, escaped, escaped.upper(), quoted, quoted.lower()]))


def needles(name: str, mobile: str, id_number: str) -> dict[str, str]:
    """Each form of the personal data → what it is."""
    found = dict.fromkeys(mobile_forms(mobile), "mobile")
    found.update(dict.fromkeys({id_number, id_number.lower()}, "ID number"))
    found.update(dict.fromkeys(text_forms(name), "name"))
    return found


def scan(sources: Iterable[tuple[str, str]], wanted: dict[str, str]) -> list[tuple[str, str, str]]:
    """(where, what, excerpt) for every source text that holds a form of the personal data, once per kind
    of data in each text."""
    hits = []
    for where, text in sources:
        seen = set()
        for form, what in wanted.items():
            at = text.find(form)
            if at >= 0 and what not in seen:
                seen.add(what)
                hits.append((where, what, repr(text[max(0, at - 60) : at + len(form) + 60])))
    return hits


def _strings(value, depth=0) -> Iterator[str]:
    """Every text and number inside an unpickled value (a PhoneNumber keeps its digits in an int)."""
    if depth > 20:
        return
    if isinstance(value, bytes):
        yield from decode(value, depth + 1)
    elif isinstance(value, str):
        yield value
    elif isinstance(value, (int, float)):
        yield str(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, depth + 1)
            yield from _strings(item, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _strings(item, depth + 1)
    elif isinstance(value, phonenumbers.PhoneNumber):
        yield phonenumbers.format_number(value, phonenumbers.PhoneNumberFormat.E164)
        yield str(value.national_number)
    elif hasattr(value, "__dict__"):
        yield repr(value)
        yield from _strings(vars(value), depth + 1)
    else:
        yield repr(value)


def decode(raw: bytes, depth=0) -> Iterator[str]:
    """A Redis value as text: as stored, unzipped (RQ job data), unpickled (RQ, Django's cache), and any
    JSON inside read back (live events)."""
    layers = [raw]
    with contextlib.suppress(zlib.error):
        layers.append(zlib.decompress(raw))
    for layer in layers:
        text = layer.decode("utf-8", "replace")
        yield text
        with contextlib.suppress(ValueError):
            yield from _strings(json.loads(text), depth + 1)
        try:
            value = pickle.loads(layer)  # noqa: S301 - the test's own Redis database
        except Exception:  # noqa: S112 - most values are not pickles
            continue
        yield from _strings(value, depth + 1)


def redis_texts(client: redis.Redis) -> Iterator[tuple[str, str]]:
    """Every key of the database and every value under it, whatever its type."""
    for key in client.scan_iter(count=1000):
        name = key.decode("utf-8", "replace")
        yield f"redis key {name}", name
        kind = client.type(key).decode()
        if kind == "string":
            values = [client.get(key)]
        elif kind == "hash":
            values = [part for pair in client.hgetall(key).items() for part in pair]
        elif kind == "list":
            values = client.lrange(key, 0, -1)
        elif kind == "set":
            values = list(client.smembers(key))
        elif kind == "zset":
            values = [member for member, _score in client.zrange(key, 0, -1, withscores=True)]
        elif kind == "stream":
            values = [part for _id, fields in client.xrange(key) for pair in fields.items() for part in pair]
        else:
            values = []
        for value in values:
            for text in decode(value or b""):
                yield f"redis {kind} {name}", text


class Records(logging.Handler):
    """Every log record, formatted as a handler in production would write it (with any traceback)."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(FORMAT.format(record))


@pytest.fixture
def captured_logs():
    """A DEBUG handler on the root logger, and every logger at DEBUG, as with LOG_LEVEL=DEBUG; only the
    loggers that settings.LOGGING sets on purpose keep their level (each with its reason there)."""
    handler = Records()
    root = logging.getLogger()
    configured = set(django_settings.LOGGING.get("loggers", {}))
    loggers = [root] + [
        logger
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger) and name not in configured
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    for logger, level, disabled in saved:
        logger.setLevel(level)
        logger.disabled = disabled


class Published:
    """Every pub/sub message on the test's Redis while the flow runs (live events are published there and
    kept nowhere else)."""

    def __init__(self, url: str):
        self.client = redis.Redis.from_url(url)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.psubscribe("*")
        self.messages: list[tuple[str, bytes]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self):
        while not self.stopping.is_set():
            message = self.pubsub.get_message(timeout=0.1)
            if message and message["type"] == "pmessage":
                self.messages.append((message["channel"].decode(), message["data"]))

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        self.pubsub.close()
        self.client.close()

    def texts(self) -> Iterator[tuple[str, str]]:
        for channel, data in self.messages:
            for text in decode(data):
                yield f"pub/sub {channel}", text


class RecordingClient(Client):
    """A test client that keeps every URL it was sent to and every URL its pages link to."""

    LINK = re.compile(r"""(?:href|src|action|data-[a-z-]*url)="([^"]*)\"""")

    def __init__(self, urls: list[str], **defaults):
        super().__init__(**defaults)
        self.urls = urls

    def request(self, **request):
        response = super().request(**request)
        if "Location" in response:
            self.urls.append(response["Location"])
        if response.get("Content-Type", "").startswith("text/html") and not response.streaming:
            self.urls.extend(self.LINK.findall(response.content.decode()))
        return response


def url_texts(urls: Iterable[str]) -> Iterator[tuple[str, str]]:
    """Addresses that reach a web server (and its access log); a tel: link to dial a shown number does not."""
    for url in urls:
        if urllib.parse.urlsplit(url).scheme not in ("", "http", "https"):
            continue
        yield f"URL {url[:120]}", url
        yield f"URL {url[:120]} (decoded)", urllib.parse.unquote(url)


def database_texts(id_number: str) -> Iterator[tuple[str, str]]:
    """Rows of any table with a text column that holds the ID number, and every session's decoded data."""
    from django.apps import apps
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db.models import CharField, Q, TextField

    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, (CharField, TextField))]
        matches = Q()
        for name in names:
            matches |= Q(**{f"{name}__icontains": id_number})
        if names:
            for row in model._default_manager.filter(matches).values(*names):
                yield f"database {model._meta.label}", repr(row)
    for session in Session.objects.all():
        yield f"session {session.pk[:6]}…", repr(SessionStore().decode(session.session_data))


# The whole flow


# What Redis held each time the worker was about to run: a verification code pending, jobs still queued.
redis_snapshots: list[tuple[str, str]] = []


def run_worker() -> int:
    """Run the queued jobs in this process, as `manage.py rqworker --burst` would; their data stays in
    Redis (results are kept for RESULT_TTL). Redis is read first, with the jobs not yet taken."""
    queue = dispatch.queue()
    redis_snapshots.extend(
        (f"before worker run: {where}", text) for where, text in redis_texts(queue.connection)
    )
    done = len(queue)
    SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)
    return done


def code_from_last_message() -> str:
    codes = [message for message in sms.outbox if message.kind == Kind.VERIFICATION_CODE]
    return re.search(r"\b(\d{6})\b", codes[-1].text).group(1)


@pytest.fixture
def flow_settings(settings):
    settings.SMS_BACKEND = "memory"
    settings.NOTIFY_QUIET_HOURS = "off"
    settings.BOOKING_SMS_CODE = True
    settings.RATE_LIMITS = True
    sms.outbox.clear()
    yield settings
    sms.outbox.clear()


def test_the_citizens_data_is_valid():
    from hall.privacy import validate_id_number

    assert validate_id_number(ID_NUMBER) == ID_NUMBER
    assert make_id_number(700, birth="19660606", region="330102") == ID_NUMBER


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_whole_flow_leaves_no_personal_data_in_logs_redis_or_urls(flow_settings, captured_logs):
    cache.clear()  # the test's Redis database, empty: whatever is found below, this flow put there
    redis_snapshots.clear()
    published = Published(django_settings.REDIS_URL)
    urls: list[str] = []
    started = []
    request_started.connect(
        lambda environ, **kw: started.append(environ["PATH_INFO"] + "?" + environ.get("QUERY_STRING", "")),
        dispatch_uid="pii-scan",
        weak=False,
    )
    try:
        tickets = _whole_flow(urls)
    finally:
        request_started.disconnect(dispatch_uid="pii-scan")
        published.stop()

    # The flow did what it says, so that the scan below is not of an empty world.
    assert [t.state for t in tickets] == [TicketState.DONE, TicketState.DONE, TicketState.DONE]
    assert tickets[0].outcome == "materials_missing"
    sent = {message.kind for message in sms.outbox}
    assert sent >= {
        Kind.VERIFICATION_CODE,
        Kind.BOOKING_CONFIRMED,
        Kind.REMINDER_SOON,
        Kind.MATERIALS_MISSING,
    }
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    keys = {key.decode() for key in client.scan_iter(count=1000)}
    assert any(key.startswith("rq:job:") for key in keys), sorted(keys)
    assert any(key.startswith("ck:events:") for key in keys), sorted(keys)
    assert any(channel.startswith("ck:live:") for channel, _data in published.messages)
    assert len(captured_logs.lines) > 20 and len(started) > 30

    sources = [
        *(("log", line) for line in captured_logs.lines),
        *redis_texts(client),
        *redis_snapshots,
        *published.texts(),
        *url_texts(urls + started + _message_urls()),
    ]
    client.close()
    hits = scan(sources, needles(NAME, MOBILE, ID_NUMBER))
    # Names and mobiles are kept (bookings, messages); the ID number only as a keyed hash and masked.
    hits += scan(database_texts(ID_NUMBER), {ID_NUMBER: "ID number", ID_NUMBER.lower(): "ID number"})

    first_of_each = {(where, what): excerpt for where, what, excerpt in reversed(hits)}
    assert hits == [], "\n".join(
        f"{where}: {what} in …{text}…" for (where, what), text in first_of_each.items()
    )


def _message_urls() -> list[str]:
    return [url for message in sms.outbox for url in re.findall(r"https?://\S+", message.text)]


def _whole_flow(urls: list[str]) -> list[Ticket]:
    today = timezone.localdate()
    hall = make_hall_open_today()
    day = today + dt.timedelta(days=2)
    ExtraSession.objects.create(hall=hall, date=day, start=dt.time(9), end=dt.time(17), reason="预约服务")
    BookingRules.objects.create(hall=hall, max_per_day=2)
    renewal = make_service(hall, "id-renewal", "A")
    certificate = make_service(
        hall, "certificate", "B", name_zh_hans="户籍证明", name_en="Household certificate"
    )
    counter = make_counter(hall, 1, [renewal, certificate])
    clerk = make_staff(hall, "clerk")
    supervisor = make_staff(hall, "boss", role="supervisor")
    _token, key = ApiToken.objects.issue(user=clerk, hall=hall, name="keypad 1")

    web = _book_on_the_citizen_pages(urls, hall, renewal, day)
    api = _book_through_the_api(urls, hall, certificate, day)
    assert run_worker() >= 1  # the confirmations

    _the_day_comes(web, api)
    sweeper.sweep(now=timezone.now())  # records the "soon" reminders and enqueues them
    assert run_worker() >= 2
    first = _check_in_at_the_kiosk(urls, hall, web)
    second = _check_in_through_the_api(urls, hall, api, key)

    staff = RecordingClient(urls)
    staff.force_login(clerk)
    staff.post(reverse("queueing:open_counter", args=[counter.pk]))
    _serve_with_materials_missing(staff, counter, first)
    _serve_through_the_api(urls, counter, second, key)
    third = _walk_in_at_the_guide_desk(staff, hall, renewal)
    _consultation_with_a_call_back(staff, hall, renewal)
    _serve_with_materials_missing(staff, counter, third, missing=False)
    assert run_worker() >= 1

    _citizen_follows_the_ticket(urls, first)
    visit, item = _home_visit_and_post(urls, hall, day)
    assert run_worker() >= 2  # their messages
    boss = RecordingClient(urls)
    boss.force_login(supervisor)
    for name in ("dashboard", "live", "audit_log", "follow_ups", "export_csv"):
        assert boss.get(reverse(f"reports:{name}", args=[hall.slug])).status_code == 200
    for address in (
        reverse("homevisits:list", args=[hall.slug]),
        reverse("homevisits:detail", args=[hall.slug, visit.pk]),
        reverse("postal:staff_items"),
        reverse("postal:staff_item", args=[item.pk]),
    ):
        assert boss.get(address).status_code == 200, address
    return [Ticket.objects.get(pk=t.pk) for t in (first, second, third)]


def _book_on_the_citizen_pages(urls, hall, service, day) -> Booking:
    citizen = RecordingClient(urls)
    for url in (
        reverse("hall:home", args=[hall.slug]),
        reverse("hall:service_detail", args=[hall.slug, service.code]),
        reverse("appointments:choose_date", args=[hall.slug, service.code]),
        reverse("appointments:choose_time", args=[hall.slug, service.code, day.isoformat()]),
    ):
        assert citizen.get(url).status_code == 200, url
    slot = availability.day_availability(service=service, date=day, now=timezone.now()).slots[0]
    args = [hall.slug, service.code, day.isoformat(), slot.pk]
    answers = {"name": NAME, "phone": MOBILE}
    response = citizen.post(reverse("appointments:details", args=args), answers)
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == reverse("appointments:verify", args=args)
    assert run_worker() >= 1
    response = citizen.post(reverse("appointments:verify", args=args), {"code": code_from_last_message()})
    assert response["Location"] == reverse("appointments:details_id", args=args)
    response = citizen.post(response["Location"], {"id_number": ID_NUMBER})
    assert response["Location"] == reverse("appointments:details_more", args=args)
    party = {"persons": 1, "green_channel": "", "green_note": "", "language": "zh-hans"}
    response = citizen.post(response["Location"], party)
    assert response["Location"] == reverse("appointments:confirm", args=args)
    assert citizen.get(response["Location"]).status_code == 200
    response = citizen.post(reverse("appointments:confirm", args=args), follow=True)
    assert response.status_code == 200
    booking = Booking.objects.get(service=service)
    for name in ("manage", "ics", "qr"):
        assert citizen.get(reverse(f"appointments:{name}", args=[booking.manage_token])).status_code == 200
    found = citizen.post(reverse("appointments:find"), {"code": booking.code, "phone": MOBILE})
    assert found["Location"] == reverse("appointments:manage", args=[booking.manage_token])
    return booking


def _book_through_the_api(urls, hall, service, day) -> Booking:
    app = RecordingClient(urls)
    post = lambda path, body: app.post(path, json.dumps(body), content_type="application/json")  # noqa: E731
    # A minute after the web booking's code: a new code goes to the same mobile only then.
    PhoneCode.objects.update(created_at=F("created_at") - dt.timedelta(seconds=verification.RESEND_SECONDS))
    nonce = post("/api/v1/phone-codes", {"hall": hall.slug, "phone": MOBILE}).json()["nonce"]
    assert run_worker() >= 1
    slot = app.get(
        f"/api/v1/halls/{hall.slug}/availability", {"service": service.code, "date": day.isoformat()}
    )
    body = {
        "hall": hall.slug,
        "service": service.code,
        "slot": slot.json()["slots"][0]["id"],
        "name": NAME,
        "phone": MOBILE,
        "id_number": ID_NUMBER,
        "phone_code": {"nonce": nonce, "code": code_from_last_message()},
    }
    created = post("/api/v1/bookings", body)
    assert created.status_code == 201, created.content
    code, token = created.json()["code"], created.json()["manage_token"]
    by_token = app.get(f"/api/v1/bookings/{code}", {"manage_token": token})
    by_mobile = post(f"/api/v1/bookings/{code}/lookup", {"phone": MOBILE})
    assert (by_token.json()["phone_masked"], by_mobile.json()["code"]) == ("137****2109", code)
    return Booking.objects.get(code=code)


def _the_day_comes(*bookings):
    """Both bookings, made two days ago, are for two minutes from now: check-in is open and the 'soon'
    reminder is due."""
    start = timezone.now() + dt.timedelta(minutes=2)
    Notification.objects.update(created_at=timezone.now() - dt.timedelta(days=2))
    for booking in bookings:
        slot = booking.slot
        slot.date, slot.start, slot.end = timezone.localdate(), start, start + dt.timedelta(minutes=30)
        slot.save()


def _check_in_at_the_kiosk(urls, hall, booking) -> Ticket:
    kiosk = RecordingClient(urls)
    pair_client(kiosk, hall)
    response = kiosk.post(reverse("queueing:kiosk_check_in", args=[hall.slug]), {"code": booking.code})
    assert response.status_code == 302, response.content.decode()[:500]
    assert kiosk.get(response["Location"]).status_code == 200
    return Ticket.objects.get(booking=booking)


def _check_in_through_the_api(urls, hall, booking, key) -> Ticket:
    kiosk = RecordingClient(urls, HTTP_AUTHORIZATION=f"Bearer {key}")
    response = kiosk.post(
        f"/api/v1/halls/{hall.slug}/tickets",
        json.dumps({"booking_code": booking.code}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return Ticket.objects.get(booking=booking)


def _serve_with_materials_missing(staff, counter, ticket, missing=True):
    assert staff.get(reverse("queueing:counter", args=[counter.pk])).status_code == 200
    staff.post(reverse("queueing:call_ticket", args=[counter.pk, ticket.pk]))
    staff.post(reverse("queueing:ticket_action", args=[counter.pk, ticket.pk, "start"]))
    if not missing:
        staff.post(reverse("queueing:ticket_action", args=[counter.pk, ticket.pk, "done"]))
        return
    material = ticket.service.materials.get()
    response = staff.post(
        reverse("queueing:missing_materials", args=[counter.pk, ticket.pk]),
        {"missing": [material.pk], "missing_note": "户口簿原件"},
    )
    assert response["Location"] == reverse("queueing:slip", args=[counter.pk, ticket.pk])
    assert staff.get(response["Location"]).status_code == 200


def _serve_through_the_api(urls, counter, ticket, key):
    keypad = RecordingClient(urls, HTTP_AUTHORIZATION=f"Bearer {key}")
    called = keypad.post(f"/api/v1/counters/{counter.pk}/call-next")
    assert called.status_code == 200 and called.json()["ticket"]["id"] == ticket.pk, called.content
    done = keypad.post(
        f"/api/v1/tickets/{ticket.pk}/complete",
        json.dumps({"outcome": "done"}),
        content_type="application/json",
    )
    assert done.status_code == 200, done.content


def _walk_in_at_the_guide_desk(staff, hall, service) -> Ticket:
    response = staff.post(
        reverse("queueing:kiosk_guide", args=[hall.slug]),
        {"service": service.pk, "green_channel": "", "id_number": ID_NUMBER, "phone": MOBILE},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return Ticket.objects.filter(booking=None).get()


def _consultation_with_a_call_back(staff, hall, service):
    """The citizen phones with a question; the clerk logs it for a call back, then calls (number shown)."""
    from consultations.models import CallBack

    logged = staff.post(
        reverse("consultations:log", args=[hall.slug]),
        {
            "channel": "phone",
            "service": service.pk,
            "topic": "换证材料",
            "result": "call_back",
            "mobile": MOBILE,
            "name": NAME,
        },
    )
    assert logged.status_code == 302, logged.content.decode()[:500]
    call_back = CallBack.objects.get()
    shown = staff.post(reverse("consultations:reveal", args=[hall.slug, call_back.pk]))
    assert "137 6543 2109" in shown.content.decode()  # on the page, which is allowed; not in logs or URLs
    staff.post(reverse("consultations:attempt", args=[hall.slug, call_back.pk]), {"result": "answered"})


def _home_visit_and_post(urls, hall, day):
    """The same citizen asks for a home visit for themselves and applies for a document by post."""
    from homevisits.models import HomeVisit
    from postal.models import PostalItem

    service = make_service(hall, "certificate-by-post", "C", by_post=True, home_visit=True)
    citizen = RecordingClient(urls)
    asked = citizen.post(
        reverse("homevisits:request", args=[hall.slug, service.code]),
        {
            "person_name": NAME,
            "id_number": ID_NUMBER,
            "requester_name": NAME,
            "relationship": "self",
            "phone": MOBILE,
            "reason": "elderly",
            "reason_note": "",
            "address": "北区幸福路8号3单元502",
            "preferred_date_1": day.isoformat(),
            "preferred_date_2": "",
            "preferred_date_3": "",
            "contact_notes": "",
            "language": "zh-hans",
        },
    )
    assert asked.status_code == 302, asked.content.decode()[:500]
    assert citizen.get(asked["Location"]).status_code == 200
    applied = citizen.post(
        reverse("postal:apply", args=[hall.slug]),
        {
            "service": service.pk,
            "name": NAME,
            "phone": MOBILE,
            "id_number": ID_NUMBER,
            "language": "zh-hans",
            "recipient": NAME,
            "recipient_phone": MOBILE,
            "province": "浙江省",
            "city": "望川市",
            "district": "城关区",
            "street": "人民路88号3幢201室",
        },
    )
    assert applied.status_code == 302, applied.content.decode()[:500]
    assert citizen.get(applied["Location"]).status_code == 200
    return HomeVisit.objects.get(), PostalItem.objects.get()


def _citizen_follows_the_ticket(urls, ticket):
    citizen = RecordingClient(urls)
    for url in (
        reverse("queueing:ticket", args=[ticket.token]),
        reverse("queueing:ticket_print", args=[ticket.token]),
        f"/api/v1/tickets/{ticket.token}",
        reverse("reports:rate", args=[ticket.token]),
        f"/api/v1/halls/{ticket.hall.slug}/board",
    ):
        assert citizen.get(url).status_code == 200, url


# The scanner finds what it looks for


@pytest.mark.parametrize(
    ("planted", "what"),
    [
        (f"SMS to {MOBILE} sent", "mobile"),
        ("SMS to +86 137 6543 2109 sent", "mobile"),
        ("booking for 137-6543-2109", "mobile"),
        (f"checked {ID_NUMBER.lower()}", "ID number"),
        (f"hello {NAME}", "name"),
        (json.dumps({"name": NAME}), "name"),
    ],
)
def test_scanner_finds_each_form_in_a_log_record(captured_logs, planted, what):
    logging.getLogger("appointments.services").debug("debug line: %s", planted)

    hits = scan((("log", line) for line in captured_logs.lines), needles(NAME, MOBILE, ID_NUMBER))

    assert [(where, found) for where, found, _excerpt in hits] == [("log", what)]


def test_scanner_finds_a_masked_mobile_harmless(captured_logs):
    logging.getLogger("notifications.sms").info("SMS to 137****2109, %s", "司*云")

    assert scan((("log", line) for line in captured_logs.lines), needles(NAME, MOBILE, ID_NUMBER)) == []


@pytest.mark.django_db
def test_scanner_finds_values_in_the_cache_rq_jobs_and_streams():
    cache.clear()
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    cache.set("draft", {"phone": phonenumbers.parse(MOBILE, "CN")})
    dispatch.queue().enqueue("notifications.jobs.send", ID_NUMBER)
    client.xadd("ck:events:test", {"e": json.dumps({"name": NAME})})  # ASCII-escaped JSON

    found = {
        (what, where.split()[1])
        for where, what, _ in scan(redis_texts(client), needles(NAME, MOBILE, ID_NUMBER))
    }

    dispatch.queue().empty()
    cache.clear()
    client.close()
    assert found == {("mobile", "string"), ("ID number", "hash"), ("name", "stream")}


def test_scanner_finds_a_name_in_a_percent_encoded_url():
    url = "/booking/find/?name=" + urllib.parse.quote(NAME)

    hits = scan(url_texts([url]), needles(NAME, MOBILE, ID_NUMBER))

    assert {what for _where, what, _excerpt in hits} == {"name"}


@pytest.mark.django_db
def test_scanner_finds_an_id_number_kept_in_a_table():
    make_hall_open_today(notice=f"lost card {ID_NUMBER.lower()} found")

    hits = scan(database_texts(ID_NUMBER), {ID_NUMBER.lower(): "ID number"})

    assert [(where, what) for where, what, _excerpt in hits] == [("database hall.Hall", "ID number")]
