"""Who may open what: every URL pattern and every API operation × six personas, with the outcome each
must get. A URL pattern or API operation without a rule here fails test_every_url_has_a_rule, naming it.

Personas: anonymous (holds no link), a citizen holding the booking's or ticket's link, window staff
(clerk) of the hall, a supervisor of another hall, the hall's supervisor, an administrator (superuser,
no hall). Every persona requests the same addresses, built from real objects of the hall "north"; only the
anonymous persona's citizen links carry a token that is not the real one.

Outcomes: allowed (anything but a refusal), login (redirect to a sign-in page), 401, 403, 404. "Allowed"
means the access check let the request through; the page may still refuse the action itself (a window
someone else works at, a form with errors): that is each app's own tests' business.
"""

import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import cached_property
from unittest import mock

import phonenumbers
import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from appointments import availability
from appointments import services as booking_services
from appointments.models import WaitlistEntry
from hall import devices
from hall.api_v1 import api as ninja_api
from hall.models import Device, DeviceKind, ExtraSession
from queueing import calls, live, walkins
from queueing.models import Outcome
from queueing.services import Actor
from reports import services as report_services
from simulation.whatif_models import WhatIfRun
from tests.makers import make_counter, make_id_number, make_service, make_staff
from tests.queueing.helpers import make_hall_open_today

pytestmark = pytest.mark.django_db

OK, LOGIN, E401, E403, E404 = "allowed", "login", "401", "403", "404"
SECOND_FACTOR = "second factor"  # redirect to the TOTP code page or its enrolment
PERSONAS = ("anonymous", "citizen", "clerk", "other_hall", "supervisor", "admin")
NOT_THE_LINK = "not-the-real-token-0000000000"


def policy(anonymous, citizen, clerk, other_hall, supervisor, admin) -> dict[str, str]:
    return dict(zip(PERSONAS, (anonymous, citizen, clerk, other_hall, supervisor, admin), strict=True))


PUBLIC = policy(OK, OK, OK, OK, OK, OK)
# A citizen's link (booking, ticket, waiting list, home visit, post): whoever holds it; a wrong token 404s.
LINK = policy(E404, OK, OK, OK, OK, OK)
# Staff pages of one hall named in the address or owning the object: other halls' staff get 404.
STAFF = policy(LOGIN, LOGIN, OK, E404, OK, E404)
# Staff pages without a hall in the address: every staff member sees their own hall.
ANY_STAFF = policy(LOGIN, LOGIN, OK, OK, OK, E404)
SUPERVISOR = policy(LOGIN, LOGIN, E403, E404, OK, E404)
ANY_SUPERVISOR = policy(LOGIN, LOGIN, E403, OK, OK, E404)
# National data (the State Council's holiday schedule): every hall's supervisors and administrators.
NATIONAL = policy(LOGIN, LOGIN, E403, OK, OK, OK)
# A home visit: its hall's supervisors and the staff who go; other window staff of the hall get 403.
VISIT_STAFF = SUPERVISOR
API_PUBLIC = PUBLIC
API_LINK = LINK
API_STAFF = policy(E401, E401, OK, E404, OK, E401)
API_SUPERVISOR = policy(E401, E401, E403, E404, OK, E401)
SIGN_IN = PUBLIC
# Only a paired screen of the hall (a cookie no persona holds): everyone else is refused.
PAIRED_SCREEN = policy(E403, E403, E403, E403, E403, E403)
SIGNED_IN = policy(LOGIN, LOGIN, OK, OK, OK, OK)
# The admin's own sign-in page sends everyone to the staff sign-in (throttled, with the second factor);
# staff signed in without admin rights get a page saying so, with a link to their own home (403).
TO_STAFF_SIGN_IN = policy(LOGIN, LOGIN, E403, E403, OK, OK)


@dataclass(frozen=True)
class Rule:
    """How to request one URL pattern (or API operation) and what each persona must get."""

    url: object  # (world, persona) -> address
    expected: dict[str, str]
    method: str = "GET"
    direct: bool = False  # call the view without reading its body (an endless event stream)
    data: object = None  # (world, persona) -> the form or JSON body


class World:
    """The hall "north" with what the addresses name; each object is made when a rule first needs it."""

    def __init__(self):
        self.hall = make_hall_open_today()
        self.service = make_service(self.hall)
        self.counter = make_counter(self.hall, 1, [self.service])
        self.clerk = make_staff(self.hall, "clerk")
        self.supervisor = make_staff(self.hall, "boss", role="supervisor")
        self.supervisor.is_staff = True  # supervisors edit closures in the admin
        self.supervisor.save()
        south = make_hall_open_today(slug="south")
        self.other_hall_staff = make_staff(south, "south-boss", role="supervisor")
        self.admin = User.objects.create_superuser("root", password="pw-for-tests-only")

    def user(self, persona: str):
        """The signed-in user of a persona; None for the anonymous ones (with or without a link)."""
        return {
            "clerk": self.clerk,
            "other_hall": self.other_hall_staff,
            "supervisor": self.supervisor,
            "admin": self.admin,
        }.get(persona)

    def link(self, persona: str, token: str) -> str:
        return NOT_THE_LINK if persona == "anonymous" else token

    @cached_property
    def day(self) -> dt.date:
        day = timezone.localdate() + dt.timedelta(days=2)
        ExtraSession.objects.create(
            hall=self.hall, date=day, start=dt.time(9), end=dt.time(17), reason="预约"
        )
        return day

    @cached_property
    def what_if_run(self):
        tomorrow = timezone.localdate() + dt.timedelta(days=1)  # the day the what-if page opens on
        return WhatIfRun.objects.create(
            hall=self.hall, date=tomorrow, day_type="quiet", counters={"9": 1}, job_id="access-test"
        )

    @cached_property
    def device(self):
        return Device.objects.create(hall=self.hall, kind=DeviceKind.KIOSK, name="Kiosk 1")

    @cached_property
    def screen_link(self) -> str:
        board = Device.objects.create(hall=self.hall, kind=DeviceKind.BOARD, name="Board 1")
        address = reverse("queueing:board", args=[self.hall.slug])
        return devices.approved_link(
            device=board, address=address, now=timezone.now(), valid=dt.timedelta(hours=1)
        )

    @cached_property
    def slot(self):
        return availability.day_availability(service=self.service, date=self.day, now=timezone.now()).slots[0]

    @cached_property
    def booking(self):
        citizen = booking_services.Citizen(
            name="张三丰", phone=phonenumbers.parse("13800138000", "CN"), id_number=make_id_number(1)
        )
        return booking_services.book(slot=self.slot, citizen=citizen, actor=booking_services.Actor("web"))

    @cached_property
    def video_booking(self):
        """A video booking whose time began five minutes ago (the waiting room is open)."""
        from tests.video.helpers import video_booking

        self.service.by_video = True
        self.service.save(update_fields=["by_video"])
        return video_booking(self.service)

    @cached_property
    def waitlist_entry(self):
        return WaitlistEntry.objects.create(
            token="waitlist-token-for-tests",
            hall=self.hall,
            service=self.service,
            date=self.day,
            phone=phonenumbers.parse("13800138001", "CN"),
        )

    @cached_property
    def ticket(self):
        """A walk-in, waiting."""
        return walkins.issue_walk_in(hall=self.hall, service=self.service, actor=Actor("kiosk")).ticket

    @cached_property
    def working(self):
        """The clerk works at window 1."""
        return calls.open_counter(counter=self.counter, actor=Actor("console", user=self.clerk))

    @cached_property
    def called_ticket(self):
        """A walk-in called to window 1."""
        assert self.working
        waiting = walkins.issue_walk_in(hall=self.hall, service=self.service, actor=Actor("kiosk")).ticket
        called = calls.call_ticket(
            counter=self.counter, ticket=waiting, actor=Actor("console", user=self.clerk)
        )
        return called

    @cached_property
    def missing_ticket(self):
        """A ticket completed at window 1 with materials missing (its slip can be printed)."""
        ticket = self.called_ticket
        return calls.complete(
            ticket=ticket,
            actor=Actor("console", user=self.clerk),
            outcome=Outcome.MATERIALS_MISSING,
            missing=list(ticket.service.materials.all()),
        )

    @cached_property
    def rating(self):
        """A poor rating of a served ticket, which opens a follow-up case."""
        return report_services.rate_ticket(self.missing_ticket, 1, "窗口太少")

    @cached_property
    def case(self):
        return self.rating.follow_up

    @cached_property
    def written_comment(self):
        """A comment written in the comment book without a ticket, with a mobile to call back."""
        return report_services.write_comment(
            hall=self.hall, text="请回电", phone="13800138000", now=timezone.now()
        )

    @cached_property
    def home_visit(self):
        """A citizen's request for a home visit, waiting for the supervisor's decision."""
        from homevisits import services as visits

        request = visits.Request(
            person_name="王秀英",
            id_number=make_id_number(2, birth="19300215"),
            requester_name="李明",
            relationship="grandson",
            phone=phonenumbers.parse("13912345678", "CN"),
            reason="immobile",
            address="北区幸福路8号3单元502",
            preferred_dates=(self.day,),
        )
        return visits.request_visit(service=self.by_post_and_home, request=request)

    @cached_property
    def by_post_and_home(self):
        return make_service(self.hall, "certificate", "B", by_post=True, home_visit=True)

    def _applicant(self):
        from postal import services as postal

        return postal.Applicant.with_id_number(
            name="张三", phone=phonenumbers.parse("13800138000", "CN"), id_number=make_id_number(3)
        )

    @cached_property
    def postal_item(self):
        from postal import services as postal

        address = postal.Address(
            "张三",
            phonenumbers.parse("13900139000", "CN"),
            "浙江省",
            "望川市",
            "城关区",
            "人民路88号3幢201室",
        )
        return postal.apply_by_post(
            service=self.by_post_and_home,
            applicant=self._applicant(),
            address=address,
            actor=booking_services.Actor("web"),
        )

    @cached_property
    def pickup(self):
        from postal import services as postal

        return postal.make_ready(
            service=self.by_post_and_home,
            applicant=self._applicant(),
            actor=booking_services.Actor("staff", user=self.clerk),
        )

    @cached_property
    def call_back(self):
        """A consultation that the clerk must call back."""
        from consultations import services as consultations
        from consultations.models import Channel, Result

        consultation = consultations.log_consultation(
            hall=self.hall,
            user=self.clerk,
            channel=Channel.PHONE,
            service=self.service,
            topic="迁入需要什么材料",
            result=Result.CALL_BACK,
            mobile="13800138000",
            name="张三丰",
        )
        return consultation.call_back

    @cached_property
    def escalation(self):
        """The clerk's call-back, escalated to the brigade."""
        from consultations import escalation

        return escalation.escalate(
            call_back=self.call_back, user=self.clerk, owner_name="治安大队 王副大队长"
        )


def url(name: str, *args):
    """An address of the hall's pages; args are callables of (world, persona) or plain values."""

    def build(w: World, persona: str) -> str:
        return reverse(name, args=[a(w, persona) if callable(a) else a for a in args])

    return build


def slug(w, persona):
    return w.hall.slug


def service_code(w, persona):
    return w.service.code


def day(w, persona):
    return w.day.isoformat()


def slot_id(w, persona):
    return w.slot.pk


def manage_token(w, persona):
    return w.link(persona, w.booking.manage_token)


def ticket_token(w, persona):
    return w.link(persona, w.ticket.token)


def counter_id(w, persona):
    return w.counter.pk


def device_id(w, persona):
    return w.device.pk


def screen_link(w, persona):
    return w.link(persona, w.screen_link)


def called_ticket_id(w, persona):
    return w.called_ticket.pk


def visit_id(w, persona):
    return w.home_visit.pk


def video_token(w, persona):
    return w.link(persona, w.video_booking.manage_token)


def video_id(w, persona):
    return w.video_booking.pk


def item_id(w, persona):
    return w.postal_item.pk


def pickup_id(w, persona):
    return w.pickup.pk


def call_back_id(w, persona):
    return w.call_back.pk


def escalation_id(w, persona):
    return w.escalation.pk


def api(path: str):
    """An API address: {name} is filled from the world (see API_PARAMETERS)."""

    def build(w: World, persona: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: str(API_PARAMETERS[m.group(1)](w, persona)), path)

    return build


API_PARAMETERS = {
    "hall": slug,
    "code": lambda w, persona: w.booking.code,
    "token": ticket_token,
    "counter_id": counter_id,
    "ticket_id": called_ticket_id,
}


def booking_proof(w, persona):
    return f"?manage_token={w.link(persona, w.booking.manage_token)}"


RULES: dict[str, Rule] = {
    # The hall's public pages.
    "hall:index": Rule(url("hall:index"), PUBLIC),
    "favicon": Rule(url("favicon"), PUBLIC),
    "hall:home": Rule(url("hall:home", slug), PUBLIC),
    "hall:service_list": Rule(url("hall:service_list", slug), PUBLIC),
    "hall:service_detail": Rule(url("hall:service_detail", slug, service_code), PUBLIC),
    "hall:toggle_large_text": Rule(url("hall:toggle_large_text"), PUBLIC, method="POST"),
    "hall:holiday_schedule": Rule(url("hall:holiday_schedule", 2027), NATIONAL),
    "hall:holiday_schedules": Rule(url("hall:holiday_schedules"), NATIONAL),
    "set_language": Rule(url("set_language"), PUBLIC, method="POST", data=lambda w, p: {"language": "en"}),
    "login": Rule(url("login"), SIGN_IN),
    "logout": Rule(url("logout"), SIGN_IN, method="POST"),
    "staff_home": Rule(url("staff_home"), SIGNED_IN),
    "password_change": Rule(url("password_change"), SIGNED_IN),
    "password_change_done": Rule(url("password_change_done"), SIGNED_IN),
    # Booking: public steps, then the citizen's link.
    "appointments:choose_date": Rule(url("appointments:choose_date", slug, service_code), PUBLIC),
    "appointments:choose_time": Rule(url("appointments:choose_time", slug, service_code, day), PUBLIC),
    "appointments:details": Rule(url("appointments:details", slug, service_code, day, slot_id), PUBLIC),
    "appointments:details_id": Rule(url("appointments:details_id", slug, service_code, day, slot_id), PUBLIC),
    "appointments:details_more": Rule(
        url("appointments:details_more", slug, service_code, day, slot_id), PUBLIC
    ),
    "appointments:verify": Rule(url("appointments:verify", slug, service_code, day, slot_id), PUBLIC),
    "appointments:confirm": Rule(url("appointments:confirm", slug, service_code, day, slot_id), PUBLIC),
    "appointments:also": Rule(url("appointments:also", slug, service_code, day, slot_id), PUBLIC),
    "appointments:join_waitlist": Rule(url("appointments:join_waitlist", slug, service_code, day), PUBLIC),
    "appointments:find": Rule(url("appointments:find"), PUBLIC),
    # A gateway's reply callback: a secret token in the address (none set here, so no endpoint at all).
    "appointments:sms_reply": Rule(
        url("appointments:sms_reply", "aliyun", NOT_THE_LINK), policy(*[E404] * 6), method="POST"
    ),
    "appointments:manage": Rule(url("appointments:manage", manage_token), LINK),
    "appointments:booked": Rule(url("appointments:booked", manage_token), LINK),
    "appointments:cancel": Rule(url("appointments:cancel", manage_token), LINK),
    "appointments:reschedule": Rule(url("appointments:reschedule", manage_token), LINK),
    "appointments:ics": Rule(url("appointments:ics", manage_token), LINK),
    "appointments:qr": Rule(url("appointments:qr", manage_token), LINK),
    "appointments:waitlist_offer": Rule(
        url("appointments:waitlist_offer", lambda w, p: w.link(p, w.waitlist_entry.token)), LINK
    ),
    "appointments:staff_book": Rule(url("appointments:staff_book"), ANY_STAFF),
    "appointments:person_lookup": Rule(url("appointments:person_lookup", slug), SUPERVISOR),
    "appointments:lift_block": Rule(url("appointments:lift_block", slug), SUPERVISOR, method="POST"),
    "appointments:staff_book_service": Rule(
        url("appointments:staff_book_service", slug, service_code), STAFF
    ),
    # Kiosk, screens and the citizen's ticket.
    "queueing:kiosk": Rule(url("queueing:kiosk", slug), PUBLIC),
    "queueing:register": Rule(url("queueing:register", slug), STAFF),
    "queueing:kiosk_check_in": Rule(url("queueing:kiosk_check_in", slug), PUBLIC),
    "queueing:kiosk_walk_in": Rule(url("queueing:kiosk_walk_in", slug), PUBLIC),
    "queueing:kiosk_guide": Rule(url("queueing:kiosk_guide", slug), STAFF),
    "queueing:kiosk_printer": Rule(
        url("queueing:kiosk_printer", slug), PAIRED_SCREEN, method="POST", data=lambda w, p: {"trouble": "x"}
    ),
    "hall:screen_pairing": Rule(url("hall:screen_pairing", slug, "kiosk"), PUBLIC),
    "hall:screen_link": Rule(url("hall:screen_link", slug, "board", screen_link), LINK),
    "queueing:kiosk_ticket": Rule(url("queueing:kiosk_ticket", slug, ticket_token), LINK),
    "queueing:board": Rule(url("queueing:board", slug), PUBLIC),
    "queueing:counter_display": Rule(url("queueing:counter_display", slug, 1), PUBLIC),
    "queueing:ticket": Rule(url("queueing:ticket", ticket_token), LINK),
    "queueing:ticket_print": Rule(url("queueing:ticket_print", ticket_token), LINK),
    "hall_events": Rule(url("hall_events", slug), PUBLIC, direct=True),
    "board_json": Rule(url("board_json", slug), PUBLIC),
    # The console.
    "queueing:console": Rule(url("queueing:console"), ANY_STAFF),
    "queueing:counter": Rule(url("queueing:counter", counter_id), STAFF),
    "queueing:open_counter": Rule(url("queueing:open_counter", counter_id), STAFF, method="POST"),
    "queueing:counter_state": Rule(
        url("queueing:counter_state", counter_id), STAFF, method="POST", data=lambda w, p: {"state": "paused"}
    ),
    "queueing:call_next": Rule(url("queueing:call_next", counter_id), STAFF, method="POST"),
    "queueing:call_ticket": Rule(
        url("queueing:call_ticket", counter_id, lambda w, p: w.ticket.pk), STAFF, method="POST"
    ),
    "queueing:transfer": Rule(url("queueing:transfer", counter_id, called_ticket_id), STAFF),
    "queueing:missing_materials": Rule(
        url("queueing:missing_materials", counter_id, called_ticket_id), STAFF
    ),
    "queueing:slip": Rule(url("queueing:slip", counter_id, lambda w, p: w.missing_ticket.pk), STAFF),
    "queueing:ticket_action": Rule(
        url("queueing:ticket_action", counter_id, called_ticket_id, "recall"), STAFF, method="POST"
    ),
    # The supervisor's pages; the comment book is public, the rating form is the ticket's link.
    "reports:dashboard": Rule(url("reports:dashboard", slug), SUPERVISOR),
    "reports:export_csv": Rule(url("reports:export_csv", slug), SUPERVISOR),
    "reports:export_xlsx": Rule(url("reports:export_xlsx", slug), SUPERVISOR),
    "reports:staffing": Rule(url("reports:staffing", slug), SUPERVISOR),
    "plan_check:start": Rule(
        url("plan_check:start", slug), SUPERVISOR, method="POST", data=lambda w, p: {"date": "2027-12-07"}
    ),
    "reports:live": Rule(url("reports:live", slug), SUPERVISOR),
    "whatif:start": Rule(url("whatif:start", slug), SUPERVISOR),
    "whatif:run": Rule(url("whatif:run", slug, lambda w, p: w.what_if_run.pk), SUPERVISOR),
    "whatif:status": Rule(url("whatif:status", slug, lambda w, p: w.what_if_run.pk), SUPERVISOR),
    "queueing:closing": Rule(url("queueing:closing", slug), SUPERVISOR),
    "queueing:extend_closing": Rule(
        url("queueing:extend_closing", slug), SUPERVISOR, method="POST", data=lambda w, p: {"until": "23:59"}
    ),
    "queueing:closing_after_hours": Rule(
        url("queueing:closing_after_hours", slug), SUPERVISOR, method="POST", data=lambda w, p: {"all": "on"}
    ),
    "queueing:closing_rebook_all": Rule(url("queueing:closing_rebook_all", slug), SUPERVISOR, method="POST"),
    "queueing:closing_rebook": Rule(
        url("queueing:closing_rebook", slug, lambda w, p: w.ticket.pk), SUPERVISOR, method="POST"
    ),
    "reports:ranking": Rule(url("reports:ranking", slug), SUPERVISOR),
    "reports:comments": Rule(url("reports:comments", slug), SUPERVISOR),
    "reports:moderate": Rule(
        url("reports:moderate", slug, lambda w, p: w.rating.pk), SUPERVISOR, method="POST"
    ),
    "reports:moderate_written": Rule(
        url("reports:moderate_written", slug, lambda w, p: w.written_comment.pk), SUPERVISOR, method="POST"
    ),
    "reports:reveal_written_mobile": Rule(
        url("reports:reveal_written_mobile", slug, lambda w, p: w.written_comment.pk),
        SUPERVISOR,
        method="POST",
    ),
    "reports:follow_ups": Rule(url("reports:follow_ups", slug), SUPERVISOR),
    "reports:follow_up": Rule(url("reports:follow_up", slug, lambda w, p: w.case.pk), SUPERVISOR),
    "reports:reveal_mobile": Rule(
        url("reports:reveal_mobile", slug, lambda w, p: w.case.pk), SUPERVISOR, method="POST"
    ),
    "reports:audit_log": Rule(url("reports:audit_log", slug), SUPERVISOR),
    "reports:devices": Rule(url("reports:devices", slug), SUPERVISOR),
    "reports:device_add": Rule(
        url("reports:device_add", slug),
        SUPERVISOR,
        method="POST",
        data=lambda w, p: {"kind": "board", "name": f"Board {p}"},
    ),
    "reports:device_pair": Rule(
        url("reports:device_pair", slug), SUPERVISOR, method="POST", data=lambda w, p: {"code": "AAAAAA"}
    ),
    "reports:device_revoke": Rule(url("reports:device_revoke", slug, device_id), SUPERVISOR, method="POST"),
    "reports:device_printer_fixed": Rule(
        url("reports:device_printer_fixed", slug, device_id), SUPERVISOR, method="POST"
    ),
    "reports:comment_book": Rule(url("reports:comment_book", slug), PUBLIC),
    "reports:comment_written": Rule(url("reports:comment_written", slug), PUBLIC),
    "reports:rate": Rule(url("reports:rate", lambda w, p: w.link(p, w.missing_ticket.token)), LINK),
    # Home visits: the request and its status link; the hall's staff list, a supervisor decides, the
    # staff who go record the outcome.
    "homevisits:choose_service": Rule(url("homevisits:choose_service", slug), PUBLIC),
    "homevisits:request": Rule(url("homevisits:request", slug, lambda w, p: w.by_post_and_home.code), PUBLIC),
    "homevisits:status": Rule(url("homevisits:status", lambda w, p: w.link(p, w.home_visit.token)), LINK),
    "homevisits:cancel": Rule(url("homevisits:cancel", lambda w, p: w.link(p, w.home_visit.token)), LINK),
    "homevisits:list": Rule(url("homevisits:list", slug), STAFF),
    "homevisits:detail": Rule(url("homevisits:detail", slug, visit_id), VISIT_STAFF),
    "homevisits:schedule": Rule(url("homevisits:schedule", slug, visit_id), SUPERVISOR),
    "homevisits:decline": Rule(url("homevisits:decline", slug, visit_id), SUPERVISOR),
    "homevisits:staff_cancel": Rule(url("homevisits:staff_cancel", slug, visit_id), SUPERVISOR),
    "homevisits:outcome": Rule(url("homevisits:outcome", slug, visit_id), VISIT_STAFF),
    "homevisits:reveal_mobile": Rule(
        url("homevisits:reveal_mobile", slug, visit_id), VISIT_STAFF, method="POST"
    ),
    # Video appointments: the citizen's booking link; the call pages of staff of the booking's hall.
    "video:waiting_room": Rule(url("video:waiting_room", video_token), LINK),
    "video:citizen_signal": Rule(url("video:citizen_signal", video_token), LINK),
    "video:today": Rule(url("video:today"), ANY_STAFF),
    "video:call": Rule(url("video:call", video_id), STAFF),
    "video:clerk_signal": Rule(url("video:clerk_signal", video_id), STAFF),
    "video:identity": Rule(url("video:identity", video_id), STAFF, method="POST"),
    "video:complete": Rule(url("video:complete", video_id), STAFF, method="POST"),
    # By post: the citizen's tracking and pickup links; staff pages without a hall in the address.
    "postal:apply": Rule(url("postal:apply", lambda w, p: w.by_post_and_home.hall.slug), PUBLIC),
    "postal:track": Rule(url("postal:track", lambda w, p: w.link(p, w.postal_item.token)), LINK),
    "postal:cancel": Rule(
        url("postal:cancel", lambda w, p: w.link(p, w.postal_item.token)), LINK, method="POST"
    ),
    "postal:pickup": Rule(url("postal:pickup", lambda w, p: w.link(p, w.pickup.token)), LINK),
    "postal:pickup_post": Rule(url("postal:pickup_post", lambda w, p: w.link(p, w.pickup.token)), LINK),
    "postal:staff_items": Rule(url("postal:staff_items"), ANY_STAFF),
    "postal:staff_overdue": Rule(url("postal:staff_overdue"), ANY_SUPERVISOR),
    "postal:staff_new": Rule(url("postal:staff_new"), ANY_STAFF),
    "postal:staff_item": Rule(url("postal:staff_item", item_id), STAFF),
    "postal:staff_send": Rule(url("postal:staff_send", item_id), STAFF, method="POST"),
    "postal:staff_returned": Rule(url("postal:staff_returned", item_id), STAFF, method="POST"),
    "postal:staff_action": Rule(url("postal:staff_action", item_id, "receive"), STAFF, method="POST"),
    "postal:staff_pickups": Rule(url("postal:staff_pickups"), ANY_STAFF),
    "postal:staff_pickup_new": Rule(url("postal:staff_pickup_new"), ANY_STAFF),
    "postal:staff_pickup": Rule(url("postal:staff_pickup", pickup_id), STAFF),
    "postal:staff_pickup_action": Rule(
        url("postal:staff_pickup_action", pickup_id, "remind"), STAFF, method="POST"
    ),
    # Consultations: staff of the hall log them; a call-back is its owner's (the clerk) or a supervisor's.
    "consultations:ask": Rule(url("consultations:ask", slug), PUBLIC),
    "consultations:asked": Rule(url("consultations:asked", slug), PUBLIC),
    "consultations:log": Rule(url("consultations:log", slug), STAFF),
    "consultations:mine": Rule(url("consultations:mine", slug), STAFF),
    "consultations:hall": Rule(url("consultations:hall", slug), SUPERVISOR),
    "consultations:call_back": Rule(url("consultations:call_back", slug, call_back_id), STAFF),
    "consultations:reveal": Rule(url("consultations:reveal", slug, call_back_id), STAFF, method="POST"),
    "consultations:attempt": Rule(url("consultations:attempt", slug, call_back_id), STAFF, method="POST"),
    "consultations:unreachable": Rule(
        url("consultations:unreachable", slug, call_back_id), STAFF, method="POST"
    ),
    "consultations:close": Rule(url("consultations:close", slug, call_back_id), STAFF, method="POST"),
    # Window staff pass the access check; the service then refuses them a hand-over, with a message.
    "consultations:reassign": Rule(url("consultations:reassign", slug, call_back_id), STAFF, method="POST"),
    "reports:consultations": Rule(url("reports:consultations", slug), SUPERVISOR),
    # Escalations: any staff of the hall opens one and records the level's answer; the service refuses
    # anyone but the first taker or a supervisor the decisions (further up, passed on), with a message.
    "consultations:escalate": Rule(url("consultations:escalate", slug, call_back_id), STAFF, method="POST"),
    "consultations:escalations": Rule(url("consultations:escalations", slug), STAFF),
    "consultations:escalation": Rule(url("consultations:escalation", slug, escalation_id), STAFF),
    "consultations:escalate_further": Rule(
        url("consultations:escalate_further", slug, escalation_id), STAFF, method="POST"
    ),
    "consultations:answer": Rule(url("consultations:answer", slug, escalation_id), STAFF, method="POST"),
    "consultations:pass_on": Rule(url("consultations:pass_on", slug, escalation_id), STAFF, method="POST"),
    "otp_verify": Rule(url("otp_verify"), SIGNED_IN),
    "otp_enrol": Rule(url("otp_enrol"), SIGNED_IN),
    "(unnamed) admin/login/": Rule(lambda w, p: "/admin/login/", TO_STAFF_SIGN_IN),
    # The API's own pages (its operations are below, from the OpenAPI schema).
    "api-v1:openapi-json": Rule(url("api-v1:openapi-json"), PUBLIC),
    "api-v1:openapi-view": Rule(url("api-v1:openapi-view"), PUBLIC),
}

# Every operation of the OpenAPI schema, as "METHOD path".
API_RULES: dict[str, Rule] = {
    "GET /api/v1/halls": Rule(api("/api/v1/halls"), API_PUBLIC),
    "GET /api/v1/halls/{hall}/services": Rule(api("/api/v1/halls/{hall}/services"), API_PUBLIC),
    "GET /api/v1/halls/{hall}/availability": Rule(
        lambda w, p: api("/api/v1/halls/{hall}/availability")(w, p) + f"?service={w.service.code}", API_PUBLIC
    ),
    "POST /api/v1/bookings": Rule(api("/api/v1/bookings"), API_PUBLIC, method="POST"),
    "POST /api/v1/phone-codes": Rule(api("/api/v1/phone-codes"), API_PUBLIC, method="POST"),
    "GET /api/v1/bookings/{code}": Rule(
        lambda w, p: api("/api/v1/bookings/{code}")(w, p) + booking_proof(w, p), API_LINK
    ),
    "POST /api/v1/bookings/{code}/lookup": Rule(
        api("/api/v1/bookings/{code}/lookup"),
        API_LINK,
        method="POST",
        data=lambda w, p: {"manage_token": w.link(p, w.booking.manage_token)},
    ),
    "POST /api/v1/bookings/{code}/cancel": Rule(
        api("/api/v1/bookings/{code}/cancel"),
        API_LINK,
        method="POST",
        data=lambda w, p: {"manage_token": w.link(p, w.booking.manage_token)},
    ),
    "POST /api/v1/bookings/{code}/reschedule": Rule(
        api("/api/v1/bookings/{code}/reschedule"),
        API_LINK,
        method="POST",
        data=lambda w, p: {"manage_token": w.link(p, w.booking.manage_token), "slot": w.slot.pk},
    ),
    "GET /api/v1/halls/{hall}/bookings": Rule(api("/api/v1/halls/{hall}/bookings"), API_STAFF),
    "GET /api/v1/tickets/{token}": Rule(api("/api/v1/tickets/{token}"), API_LINK),
    "POST /api/v1/halls/{hall}/tickets": Rule(
        api("/api/v1/halls/{hall}/tickets"),
        API_STAFF,
        method="POST",
        data=lambda w, p: {"service": w.service.code},
    ),
    "POST /api/v1/counters/{counter_id}/open": Rule(
        api("/api/v1/counters/{counter_id}/open"), API_STAFF, "POST"
    ),
    "POST /api/v1/counters/{counter_id}/close": Rule(
        api("/api/v1/counters/{counter_id}/close"), API_STAFF, "POST"
    ),
    "POST /api/v1/counters/{counter_id}/pause": Rule(
        api("/api/v1/counters/{counter_id}/pause"), API_STAFF, "POST"
    ),
    "POST /api/v1/counters/{counter_id}/resume": Rule(
        api("/api/v1/counters/{counter_id}/resume"), API_STAFF, "POST"
    ),
    "POST /api/v1/counters/{counter_id}/call-next": Rule(
        api("/api/v1/counters/{counter_id}/call-next"), API_STAFF, "POST"
    ),
    "POST /api/v1/tickets/{ticket_id}/recall": Rule(
        api("/api/v1/tickets/{ticket_id}/recall"), API_STAFF, "POST"
    ),
    "POST /api/v1/tickets/{ticket_id}/no-show": Rule(
        api("/api/v1/tickets/{ticket_id}/no-show"), API_STAFF, "POST"
    ),
    "POST /api/v1/tickets/{ticket_id}/start": Rule(
        api("/api/v1/tickets/{ticket_id}/start"), API_STAFF, "POST"
    ),
    "POST /api/v1/tickets/{ticket_id}/park": Rule(api("/api/v1/tickets/{ticket_id}/park"), API_STAFF, "POST"),
    "POST /api/v1/tickets/{ticket_id}/call-back": Rule(
        api("/api/v1/tickets/{ticket_id}/call-back"), API_STAFF, "POST"
    ),
    "POST /api/v1/tickets/{ticket_id}/transfer": Rule(
        api("/api/v1/tickets/{ticket_id}/transfer"), API_STAFF, "POST", data=lambda w, p: {"note": "x"}
    ),
    "POST /api/v1/tickets/{ticket_id}/complete": Rule(
        api("/api/v1/tickets/{ticket_id}/complete"), API_STAFF, "POST", data=lambda w, p: {"outcome": "done"}
    ),
    "GET /api/v1/halls/{hall}/queue": Rule(api("/api/v1/halls/{hall}/queue"), API_STAFF),
    "GET /api/v1/halls/{hall}/waiting": Rule(api("/api/v1/halls/{hall}/waiting"), API_PUBLIC),
    "GET /api/v1/halls/{hall}/stats": Rule(api("/api/v1/halls/{hall}/stats"), API_SUPERVISOR),
}

# The admin and the RQ dashboard are covered as a whole, by namespace, with samples.
ADMIN_SAMPLES = {
    "admin:index": policy(LOGIN, LOGIN, LOGIN, LOGIN, OK, OK),
    "admin:hall_hall_changelist": policy(LOGIN, LOGIN, LOGIN, LOGIN, OK, OK),
    "admin:appointments_booking_changelist": policy(LOGIN, LOGIN, LOGIN, LOGIN, E403, OK),
    "admin:hall_auditentry_changelist": policy(LOGIN, LOGIN, LOGIN, LOGIN, E403, OK),
    "admin:auth_user_changelist": policy(LOGIN, LOGIN, LOGIN, LOGIN, E403, OK),
    "django_rq:home": policy(LOGIN, LOGIN, E403, E403, E403, OK),
}
NAMESPACES_BY_SAMPLE = ("admin", "django_rq")
# The API's catch-alls (its root and unknown addresses) answer 404 to everyone.
API_CATCH_ALL = ("api-v1:api-root", "api-v1:unknown")


# Finding every URL pattern and API operation


def url_patterns(resolver=None, prefix="", namespace=()) -> list[tuple[str, str]]:
    """(name with namespaces, route) of every URL pattern, included ones too."""
    found = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + ((pattern.namespace,) if pattern.namespace else ())
            found += url_patterns(pattern, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            label = pattern.name or f"(unnamed) {prefix}{pattern.pattern}"
            name = ":".join(namespace + (label,))
            found.append((name, prefix + str(pattern.pattern)))
    return found


def api_operations() -> list[str]:
    schema = ninja_api.get_openapi_schema()
    return [f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item]


def api_routes() -> set[str]:
    return {
        re.sub(r"\{(\w+)\}", r"<\1>", operation.split(" ", 1)[1].lstrip("/"))
        for operation in api_operations()
    }


def unruled(resolver=None) -> list[str]:
    operations = api_routes()
    missing = []
    for name, route in url_patterns(resolver):
        if name in RULES or name in API_CATCH_ALL or name.split(":")[0] in NAMESPACES_BY_SAMPLE:
            continue
        if name.startswith("api-v1:") and route in operations:
            continue  # an API operation: checked against API_RULES
        missing.append(f"{name} ({route})")
    missing += [f"API {operation}" for operation in api_operations() if operation not in API_RULES]
    return missing


def test_every_url_has_a_rule():
    missing = unruled()

    assert missing == [], (
        "These URL patterns or API operations have no rule in tests/test_access.py (add one to RULES or "
        "API_RULES saying who may open them):\n" + "\n".join(missing)
    )


def test_every_rule_names_a_url_that_exists():
    names = {name for name, _route in url_patterns()}

    stale = [name for name in [*RULES, *ADMIN_SAMPLES, *API_CATCH_ALL] if name not in names]
    stale += [operation for operation in API_RULES if operation not in api_operations()]

    assert stale == []


# Requesting as each persona


@pytest.fixture
def world(settings):
    settings.RATE_LIMITS = False
    return World()


def client_for(w: World, persona: str) -> Client:
    client = Client()
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    if (user := w.user(persona)) is not None:
        client.force_login(user)
    return client


def outcome(response) -> str:
    if response.status_code in (401, 403, 404):
        return str(response.status_code)
    location = response.get("Location", "")
    if response.status_code == 302 and (
        location.startswith(reverse("login")) or location.startswith(reverse("admin:login"))
    ):
        return LOGIN
    if response.status_code == 302 and location.startswith((reverse("otp_verify"), reverse("otp_enrol"))):
        return SECOND_FACTOR
    assert response.status_code != 405, "the rule asks with a method the view does not take"
    assert response.status_code < 500, f"{response.status_code}: {response.content[:300]!r}"
    return OK


def request(w: World, persona: str, rule: Rule, address: str):
    if rule.direct:
        return _call_directly(w, persona, address)
    client = client_for(w, persona)
    data = rule.data(w, persona) if rule.data else {}
    if rule.method == "GET":
        return client.get(address)
    if address.startswith("/api/"):
        return client.post(address, json.dumps(data), content_type="application/json")
    return client.post(address, data)


def _call_directly(w: World, persona: str, address: str):
    """Call an endless event stream's view and look at its answer without reading the stream."""
    view_request = RequestFactory().get(address)
    view_request.user = w.user(persona) or AnonymousUser()
    match = resolve(address)
    try:
        with mock.patch.object(live, "database_call", lambda function: sync_to_async(function)):
            # in this thread, on the test's connection, which alone sees the test's rows
            return async_to_sync(match.func)(view_request, *match.args, **match.kwargs)
    except Http404:
        return HttpResponse(status=404)
    except PermissionDenied:
        return HttpResponse(status=403)


def check(w: World, rule: Rule) -> list[str]:
    wrong = []
    for persona in PERSONAS:
        address = rule.url(w, persona)
        got = outcome(request(w, persona, rule, address))
        if got != rule.expected[persona]:
            wrong.append(f"{persona}: expected {rule.expected[persona]}, got {got} ({rule.method} {address})")
    return wrong


@pytest.mark.parametrize("name", sorted(RULES))
def test_url_answers_each_persona_as_its_rule_says(world, name):
    assert check(world, RULES[name]) == []


@pytest.mark.parametrize("operation", sorted(API_RULES))
def test_api_operation_answers_each_persona_as_its_rule_says(world, operation):
    assert check(world, API_RULES[operation]) == []


@pytest.mark.parametrize("name", sorted(ADMIN_SAMPLES))
def test_admin_sample_answers_each_persona_as_its_rule_says(world, name):
    assert check(world, Rule(url(name), ADMIN_SAMPLES[name])) == []


@pytest.mark.parametrize("name", API_CATCH_ALL)
def test_api_catch_alls_answer_404(world, name):
    address = {"api-v1:api-root": "/api/v1/", "api-v1:unknown": "/api/v1/no-such-thing"}[name]

    assert {
        persona: client_for(world, persona).get(address).status_code for persona in PERSONAS
    } == dict.fromkeys(PERSONAS, 404)


# With the second factor required, a supervisor or administrator who has not entered a code reaches only
# the sign-in pages; every other page sends them to the code page, and the API treats them as anonymous.

# The code page itself sends a user without an authenticator to enrolment, hence not listed here.
OTP_EXEMPT = {"login", "logout", "otp_enrol", "set_language"}
ALL_RULES = {
    **RULES,
    **API_RULES,
    **{name: Rule(url(name), expected) for name, expected in ADMIN_SAMPLES.items()},
}


def unverified_expectation(name: str, rule: Rule, persona: str, address: str) -> str:
    if name in OTP_EXEMPT:
        return rule.expected[persona]
    if address.startswith("/api/"):
        return rule.expected["citizen"]  # anonymous, with the real link
    return SECOND_FACTOR


@pytest.mark.parametrize("name", sorted(name for name, rule in ALL_RULES.items() if not rule.direct))
def test_without_the_second_factor_only_sign_in_pages_open(world, settings, name):
    settings.STAFF_OTP_REQUIRED = True
    rule = ALL_RULES[name]
    wrong = []
    for persona in ("supervisor", "admin"):
        address = rule.url(world, persona)
        expected = unverified_expectation(name, rule, persona, address)
        got = outcome(request(world, persona, rule, address))
        if got != expected:
            wrong.append(f"{persona}: expected {expected}, got {got} ({rule.method} {address})")

    assert wrong == []


# The table can fail


def test_a_url_without_a_rule_is_named():
    from types import SimpleNamespace

    from django.urls import path
    from django.urls.resolvers import RegexPattern

    import hall.urls

    def brand_new(request, slug):
        raise AssertionError("not requested")

    urlconf = SimpleNamespace(
        urlpatterns=[*hall.urls.urlpatterns, path("h/<slug:slug>/brand-new/", brand_new, name="brand_new")]
    )

    assert unruled(URLResolver(RegexPattern(r"^/"), urlconf)) == ["brand_new (h/<slug:slug>/brand-new/)"]


def test_a_wrong_outcome_is_reported_for_each_persona_it_concerns(world):
    wrong = check(world, Rule(url("reports:audit_log", slug), STAFF))

    assert wrong == [
        "clerk: expected allowed, got 403 (GET /h/north/reports/audit/)",
    ]
