"""Enrolment codes (issue 17, item 1): setting up the authenticator app needs a one-time code that an
administrator issued for that user (hall/enrolment.py, hall/enrolment_codes.py, hall/auth_views.py)."""

import datetime as dt
import io
import re
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from hall import enrolment_codes
from hall.models import AuditAction, AuditEntry, EnrolmentCode
from tests.makers import make_hall, make_staff
from tests.races import all_at_once

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"
SET_UP = "/accounts/code/set-up/"
ASK_ADMIN = "ask an administrator for an enrolment code"
CODE_RE = re.compile(r"\b[A-HJ-NP-Z2-9]{4}(?:-[A-HJ-NP-Z2-9]{4}){3}\b")


@pytest.fixture(autouse=True)
def otp_required(settings):
    settings.STAFF_OTP_REQUIRED = True
    settings.STAFF_OTP_ROLES = ["admin", "supervisor"]


@pytest.fixture
def hall():
    return make_hall()


@pytest.fixture
def supervisor(hall):
    return make_staff(hall, "boss", role="supervisor")


@pytest.fixture
def superuser():
    return User.objects.create_superuser("root", password=PASSWORD)


def signed_in(username: str, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.post(reverse("login"), {"username": username, "password": PASSWORD})
    return client


def text(response) -> str:
    return unescape(response.content.decode())


def shows_key(response) -> bool:
    return "data-otp-secret" in response.content.decode() or "otp-qr" in response.content.decode()


def code_for(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def enter(client, code: str):
    return client.post(SET_UP, {"enrolment_code": code, "next": "/console/"}, follow=True)


def audited(user) -> list[tuple[str, str]]:
    entries = AuditEntry.objects.filter(action__startswith="enrolment_")
    return [(e.action, e.detail) for e in entries.filter(hall=user.staff.hall).order_by("pk")]


def verified_admin(superuser) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(superuser)
    session = client.session
    session["otp_device_id"] = TOTPDevice.objects.create(user=superuser, confirmed=True).persistent_id
    session.save()
    return client


def test_password_alone_shows_no_key_and_says_to_ask_an_administrator(supervisor):
    """The attack of issue 17: signed in with the password only, the set-up page showed the TOTP key."""
    client = signed_in("boss")

    page = client.get(SET_UP)

    assert page.status_code == 200
    assert not shows_key(page)
    assert ASK_ADMIN in text(page)
    assert not TOTPDevice.objects.filter(user=supervisor).exists()


def test_posting_a_totp_code_without_an_enrolment_code_sets_nothing_up(supervisor):
    # A device left unconfirmed from before enrolment codes existed: its key may have been read then.
    device = TOTPDevice.objects.create(user=supervisor, name="old", confirmed=False)
    client = signed_in("boss")

    response = client.post(SET_UP, {"code": code_for(device), "next": "/console/"})

    assert response.status_code == 200
    assert "Enter the enrolment code that an administrator gave you." in text(response)
    assert not TOTPDevice.objects.filter(user=supervisor, confirmed=True).exists()
    assert client.get("/console/")["Location"] == "/accounts/code/set-up/?next=%2Fconsole%2F"


def test_the_issued_code_opens_the_key_once_and_enrolment_completes(supervisor):
    code = enrolment_codes.issue(supervisor)
    old = TOTPDevice.objects.create(user=supervisor, name="old", confirmed=False)
    client = signed_in("boss")

    page = enter(client, code.lower().replace("-", " "))  # as typed from a note
    device = TOTPDevice.objects.get(user=supervisor)
    confirmed = client.post(SET_UP, {"code": code_for(device), "next": "/console/"})

    assert shows_key(page)
    assert device.pk != old.pk  # a key read before the code was entered is not the one set up
    assert (confirmed.status_code, confirmed["Location"]) == (302, "/console/")
    assert TOTPDevice.objects.get(user=supervisor).confirmed is True
    actions = AuditEntry.objects.filter(actor=supervisor).values_list("action", flat=True).order_by("pk")
    assert list(actions) == ["signed_in", "enrolment_used", "otp_enrolled"]


def test_a_code_works_only_once(supervisor):
    code = enrolment_codes.issue(supervisor)
    first, second = signed_in("boss"), signed_in("boss")

    opened = enter(first, code)
    again = enter(second, code)

    assert shows_key(opened)
    assert not shows_key(again)
    assert "This enrolment code has already been used." in text(again)
    assert [a for a, _d in audited(supervisor)][1:] == ["enrolment_used", "enrolment_refused"]
    assert audited(supervisor)[-1][1] == "already used"


def test_a_code_expires(supervisor, settings):
    settings.ENROLMENT_CODE_HOURS = 24
    code = enrolment_codes.issue(supervisor, now=timezone.now() - dt.timedelta(hours=24, seconds=1))

    page = enter(signed_in("boss"), code)

    assert not shows_key(page)
    assert "This enrolment code has expired. Ask an administrator for a new enrolment code." in text(page)
    assert audited(supervisor)[-1] == ("enrolment_refused", "expired")


def test_a_code_is_bound_to_its_user(hall, supervisor):
    make_staff(hall, "other", role="supervisor")
    code = enrolment_codes.issue(supervisor)

    stolen = enter(signed_in("other"), code)
    own = enter(signed_in("boss"), code)

    assert not shows_key(stolen)
    assert "This enrolment code is not right." in text(stolen)
    assert shows_key(own)


def test_a_new_code_replaces_the_earlier_one(supervisor):
    first = enrolment_codes.issue(supervisor)
    second = enrolment_codes.issue(supervisor)

    assert not shows_key(enter(signed_in("boss"), first))
    assert shows_key(enter(signed_in("boss"), second))


def test_wrong_codes_are_throttled_and_audited(supervisor, settings):
    settings.ENROLMENT_CODE_FAILURE_LIMIT = 5
    code = enrolment_codes.issue(supervisor)
    client = signed_in("boss")

    wrong = [enter(client, "AAAA-BBBB-CCCC-DDDD") for _ in range(5)]
    right = enter(client, code)

    assert all("This enrolment code is not right." in text(page) for page in wrong)
    assert not shows_key(right)
    assert "Too many wrong enrolment codes. Try again in an hour" in text(right)
    details = [d for a, d in audited(supervisor) if a == AuditAction.ENROLMENT_REFUSED]
    assert details == ["wrong"] * 5 + ["too many tries"]
    # An administrator's new code is a fresh start.
    assert shows_key(enter(client, enrolment_codes.issue(supervisor)))


def test_only_the_hash_is_stored(supervisor):
    code = enrolment_codes.issue(supervisor)

    row = EnrolmentCode.objects.get(user=supervisor)
    stored = [row.code_hash, *AuditEntry.objects.values_list("detail", flat=True)]

    assert CODE_RE.fullmatch(code)
    assert not any(code in value or code.replace("-", "") in value for value in stored)


def test_administrator_issues_a_code_in_the_admin_shown_once(supervisor, superuser):
    admin = verified_admin(superuser)
    changelist = reverse("admin:auth_user_changelist")

    response = admin.post(
        changelist, {"action": "issue_enrolment_code", "_selected_action": [supervisor.pk]}, follow=True
    )
    codes = CODE_RE.findall(text(response))
    later = admin.get(changelist)

    assert len(codes) == 1 and f"boss: {codes[0]}" in text(response)
    assert not CODE_RE.search(text(later))
    assert shows_key(enter(signed_in("boss"), codes[0]))
    entry = AuditEntry.objects.get(action=AuditAction.ENROLMENT_ISSUED)
    assert (entry.actor, entry.hall) == (superuser, supervisor.staff.hall)


def test_reset_removes_the_devices_and_issues_a_new_code(supervisor, superuser):
    device = TOTPDevice.objects.create(user=supervisor, name="lost phone", confirmed=True)
    old_code = code_for(device)
    phone_session = signed_in("boss")
    phone_session.post("/accounts/code/", {"code": old_code})
    assert phone_session.get("/console/").status_code == 200

    response = verified_admin(superuser).post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [supervisor.pk]},
        follow=True,
    )
    (new_code,) = CODE_RE.findall(text(response))

    assert "Two-step sign-in reset for 1 user(s)" in text(response)
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert phone_session.get("/console/")["Location"] == "/accounts/code/set-up/?next=%2Fconsole%2F"
    attacker = signed_in("boss")
    assert attacker.post("/accounts/code/", {"code": old_code})["Location"].startswith(SET_UP)
    assert not shows_key(attacker.get(SET_UP))
    assert shows_key(enter(signed_in("boss"), new_code))
    actions = set(AuditEntry.objects.filter(actor=superuser).values_list("action", flat=True))
    assert {AuditAction.OTP_RESET, AuditAction.ENROLMENT_ISSUED} <= actions


def test_management_command_prints_the_code_once(supervisor):
    out, err = io.StringIO(), io.StringIO()

    call_command("issue_enrolment_code", "boss", stdout=out, stderr=err)

    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and CODE_RE.fullmatch(lines[0])
    assert not CODE_RE.search(err.getvalue())
    assert "boss" in err.getvalue()
    assert shows_key(enter(signed_in("boss"), lines[0]))
    entry = AuditEntry.objects.get(action=AuditAction.ENROLMENT_ISSUED)
    assert "by manage.py issue_enrolment_code" in entry.detail


def test_management_command_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("issue_enrolment_code", "nobody", stdout=io.StringIO(), stderr=io.StringIO())


def test_first_administrator_enrols_with_the_commands_code(superuser):
    out = io.StringIO()
    call_command("issue_enrolment_code", "root", stdout=out, stderr=io.StringIO())
    client = signed_in("root")

    enter(client, out.getvalue().strip())
    device = TOTPDevice.objects.get(user=superuser)
    client.post(SET_UP, {"code": code_for(device), "next": "/admin/"})

    assert client.get("/admin/").status_code == 200


def test_set_up_page_speaks_chinese(supervisor):
    page = signed_in("boss", "zh-hans").get(SET_UP)

    assert "请向管理员索取启用码" in text(page)
    assert not shows_key(page)


def test_enrolment_entries_are_on_the_supervisors_audit_page(hall, supervisor, settings):
    settings.STAFF_OTP_REQUIRED = False
    enrolment_codes.issue(supervisor)
    enter(signed_in("boss"), "AAAA-BBBB-CCCC-DDDD")

    page = text(signed_in("boss").get(reverse("reports:audit_log", args=[hall.slug])))

    assert "enrolment code issued" in page
    assert "enrolment code refused" in page


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_code_entered_in_many_sessions_at_once_opens_one_key(supervisor):
    code = enrolment_codes.issue(supervisor)
    sessions = [signed_in("boss") for _ in range(8)]

    pages = all_at_once(lambda i: enter(sessions[i], code), threads=len(sessions))

    refusals = ("already been used", "Too many wrong enrolment codes")
    refused = [page for page in pages if any(message in text(page) for message in refusals)]
    assert sum(shows_key(page) for page in pages) == 1
    assert len(refused) == len(sessions) - 1  # after 5 refusals, the throttle answers the rest
    assert TOTPDevice.objects.filter(user=supervisor).count() == 1
