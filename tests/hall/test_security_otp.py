"""The second factor (TOTP, django-otp) for supervisors and administrators (hall/auth_views.py,
hall/security.py)."""

import re
from base64 import b32decode
from html import unescape

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from hall.models import ApiToken, AuditAction, AuditEntry
from tests.makers import enter_enrolment_code, make_hall, make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"
WRONG_CODE = "This code is not right. Enter the 6 digits that your authenticator app shows now."
CODE_FORMAT = "Enter the 6 digits that your authenticator app shows, for example 123456."


@pytest.fixture(autouse=True)
def otp_required(settings):
    settings.STAFF_OTP_REQUIRED = True
    settings.STAFF_OTP_ROLES = ["admin", "supervisor"]


@pytest.fixture
def hall():
    return make_hall()


@pytest.fixture
def supervisor(hall):
    user = make_staff(hall, "boss", role="supervisor")
    User.objects.filter(pk=user.pk).update(is_staff=True)
    user.refresh_from_db()
    return user


@pytest.fixture
def superuser():
    return User.objects.create_superuser("root", password=PASSWORD)


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def code_for(device: TOTPDevice) -> str:
    """What the user's authenticator app shows now."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def browser() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def sign_in(client, username, next_url=""):
    data = {"username": username, "password": PASSWORD, "next": next_url}
    return client.post(reverse("login"), data)


def reports(hall) -> str:
    return reverse("reports:dashboard", args=[hall.slug])


def test_password_alone_is_not_enough_for_an_enrolled_supervisor(hall, supervisor):
    enrolled(supervisor)
    client = browser()

    signed_in = sign_in(client, "boss", reports(hall))
    page = client.get(reports(hall))
    api = client.get(f"/api/v1/halls/{hall.slug}/stats")
    admin = client.get("/admin/")

    code_page = "/accounts/code/?next=%2Fh%2Fnorth%2Freports%2F"
    assert (signed_in.status_code, signed_in["Location"]) == (302, code_page)
    assert (page.status_code, page["Location"]) == (302, code_page)
    assert (admin.status_code, admin["Location"]) == (302, "/accounts/code/?next=%2Fadmin%2F")
    assert api.status_code == 401


def test_valid_code_lets_the_supervisor_in(hall, supervisor):
    device = enrolled(supervisor)
    client = browser()
    sign_in(client, "boss", reports(hall))

    form = client.get("/accounts/code/?next=/h/north/reports/")
    answer = client.post("/accounts/code/", {"code": code_for(device), "next": "/h/north/reports/"})
    page = client.get(reports(hall))

    assert "Enter your sign-in code" in form.content.decode()
    assert (answer.status_code, answer["Location"]) == (302, "/h/north/reports/")
    assert (page.status_code, "<h1>Report: " in page.content.decode()) == (200, True)
    assert "issued" in client.get(f"/api/v1/halls/{hall.slug}/stats").json()


def test_wrong_code_is_refused_with_a_message(hall, supervisor):
    device = enrolled(supervisor)
    client = browser()
    sign_in(client, "boss")
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

    response = client.post("/accounts/code/", {"code": wrong, "next": "/console/"})

    text = unescape(response.content.decode())
    assert (response.status_code, text.count(WRONG_CODE)) == (200, 2)  # summary and field
    assert client.get(reports(hall))["Location"] == "/accounts/code/?next=%2Fh%2Fnorth%2Freports%2F"
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


@pytest.mark.parametrize("code", ["", "12345", "abcdef", "1234567", "1" * 21])
def test_malformed_code_is_refused_with_a_message(supervisor, code):
    enrolled(supervisor)
    client = browser()
    sign_in(client, "boss")

    response = client.post("/accounts/code/", {"code": code})

    assert (response.status_code, unescape(response.content.decode()).count(CODE_FORMAT)) == (200, 2)


def test_quick_retry_after_a_wrong_code_is_told_to_wait(supervisor):
    device = enrolled(supervisor)
    client = browser()
    sign_in(client, "boss")
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    client.post("/accounts/code/", {"code": wrong})

    response = client.post("/accounts/code/", {"code": code_for(device)})

    assert "Too many wrong codes. Please wait 1 s, then enter the code your app shows now." in unescape(
        response.content.decode()
    )
    assert client.get("/console/").status_code == 302


def test_a_code_cannot_be_used_twice(supervisor):
    device = enrolled(supervisor)
    first, second = browser(), browser()
    sign_in(first, "boss")
    sign_in(second, "boss")
    code = code_for(device)

    accepted = first.post("/accounts/code/", {"code": code, "next": "/console/"})
    replayed = second.post("/accounts/code/", {"code": code, "next": "/console/"})

    assert (accepted.status_code, accepted["Location"]) == (302, "/console/")
    assert (replayed.status_code, WRONG_CODE in unescape(replayed.content.decode())) == (200, True)


def test_supervisor_without_a_device_enrols_with_qr_code_and_secret(hall, supervisor):
    client = browser()

    signed_in = sign_in(client, "boss", reports(hall))
    asked = client.get(signed_in["Location"])
    enter_enrolment_code(client, supervisor, reports(hall))
    page = client.get(signed_in["Location"])
    device = TOTPDevice.objects.get(user=supervisor)
    secret = re.search(r"<code data-otp-secret>([A-Z2-7 ]+)</code>", page.content.decode()).group(1)
    confirmed = client.post("/accounts/code/set-up/", {"code": code_for(device), "next": reports(hall)})
    report = client.get(reports(hall))

    assert signed_in["Location"] == "/accounts/code/set-up/?next=%2Fh%2Fnorth%2Freports%2F"
    assert "ask an administrator for an enrolment code" in asked.content.decode()
    assert 'src="data:image/svg+xml' in page.content.decode()
    assert b32decode(secret.replace(" ", "")) == device.bin_key
    assert (confirmed.status_code, confirmed["Location"]) == (302, "/h/north/reports/")
    assert report.status_code == 200
    assert TOTPDevice.objects.get(user=supervisor).confirmed is True
    assert "Two-step sign-in is set up." in report.content.decode()


def test_enrolment_with_a_wrong_code_keeps_the_device_unconfirmed(supervisor):
    client = browser()
    sign_in(client, "boss")
    enter_enrolment_code(client, supervisor)
    device = TOTPDevice.objects.get(user=supervisor)

    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

    response = client.post("/accounts/code/set-up/", {"code": wrong})

    assert (response.status_code, WRONG_CODE in unescape(response.content.decode())) == (200, True)
    assert TOTPDevice.objects.get(user=supervisor).confirmed is False
    assert client.get("/console/")["Location"] == "/accounts/code/set-up/?next=%2Fconsole%2F"


def test_enrolled_user_cannot_enrol_a_second_device(supervisor):
    enrolled(supervisor)
    client = browser()
    sign_in(client, "boss")

    response = client.get("/accounts/code/set-up/?next=/console/")

    assert response["Location"] == "/accounts/code/?next=%2Fconsole%2F"
    assert TOTPDevice.objects.filter(user=supervisor).count() == 1


def test_superuser_needs_a_code_for_the_admin_and_the_rq_dashboard(superuser):
    device = enrolled(superuser)
    client = browser()
    sign_in(client, "root", "/admin/")

    before = [client.get(url)["Location"] for url in ("/admin/", "/admin/django-rq/")]
    client.post("/accounts/code/", {"code": code_for(device)})
    after = [client.get(url).status_code for url in ("/admin/", "/admin/django-rq/")]

    assert before == ["/accounts/code/?next=%2Fadmin%2F", "/accounts/code/?next=%2Fadmin%2Fdjango-rq%2F"]
    assert after == [200, 200]


def test_clerk_is_not_asked_for_a_code(hall):
    make_staff(hall, "clerk")
    client = browser()

    signed_in = sign_in(client, "clerk", "/console/")
    console = client.get("/console/")

    assert (signed_in.status_code, signed_in["Location"]) == (302, "/console/")
    assert console.status_code == 200


def test_clerks_can_be_asked_too(settings, hall):
    settings.STAFF_OTP_ROLES = ["admin", "supervisor", "clerk"]
    make_staff(hall, "clerk")

    signed_in = sign_in(browser(), "clerk", "/console/")

    assert signed_in["Location"] == "/accounts/code/set-up/?next=%2Fconsole%2F"


def test_without_the_requirement_the_supervisor_signs_in_with_the_password(settings, hall, supervisor):
    settings.STAFF_OTP_REQUIRED = False
    enrolled(supervisor)
    client = browser()

    signed_in = sign_in(client, "boss", reports(hall))

    assert (signed_in.status_code, signed_in["Location"]) == (302, "/h/north/reports/")
    assert client.get(reports(hall)).status_code == 200


def test_public_pages_and_api_answer_an_unverified_supervisor_as_anyone(hall, supervisor):
    enrolled(supervisor)
    client = browser()
    sign_in(client, "boss")

    halls = client.get("/api/v1/halls")

    assert (halls.status_code, [h["slug"] for h in halls.json()]) == (200, ["north"])


def test_token_of_a_supervisor_works_without_a_code(hall, supervisor):
    """Device and tool tokens are issued by an administrator who has passed the second factor; a reports
    token needs the supervisor's own set up (tests/hall/test_token_scopes.py), but no code per request."""
    enrolled(supervisor)
    _token, key = ApiToken.objects.issue(user=supervisor, hall=hall, name="report tool", scope="reports")

    response = Client().get(f"/api/v1/halls/{hall.slug}/stats", HTTP_AUTHORIZATION=f"Bearer {key}")

    assert (response.status_code, "issued" in response.json()) == (200, True)


def test_administrator_resets_a_lost_device_in_the_admin(supervisor, superuser):
    enrolled(supervisor)
    admin = browser()
    admin.force_login(superuser)
    session = admin.session
    session["otp_device_id"] = enrolled(superuser).persistent_id
    session.save()

    response = admin.post(
        "/admin/auth/user/",
        {"action": "reset_second_factor", "_selected_action": [supervisor.pk]},
        follow=True,
    )
    signed_in = sign_in(browser(), "boss", "/console/")

    assert "Two-step sign-in reset for 1 user(s): they set it up again at their next sign-in." in unescape(
        response.content.decode()
    )
    assert list(TOTPDevice.objects.filter(user=supervisor)) == []
    assert signed_in["Location"] == "/accounts/code/set-up/?next=%2Fconsole%2F"


def test_sign_out_works_before_the_code(supervisor):
    enrolled(supervisor)
    client = browser()
    sign_in(client, "boss")

    response = client.post(reverse("logout"))

    assert (response.status_code, response["Location"]) == (302, "/")
    assert "_auth_user_id" not in client.session


# The audit trail of the second factor (issue 17, item 4).


def _audited(user) -> list[str]:
    return list(AuditEntry.objects.filter(actor=user).order_by("pk").values_list("action", flat=True))


def test_enrolment_and_a_wrong_code_are_audited(hall, supervisor):
    client = browser()
    sign_in(client, "boss", reports(hall))
    enter_enrolment_code(client, supervisor, reports(hall))
    device = TOTPDevice.objects.get(user=supervisor)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"

    client.post("/accounts/code/set-up/", {"code": wrong, "next": reports(hall)})
    device.throttle_reset()  # as when the wait after a wrong code has passed
    client.post("/accounts/code/set-up/", {"code": code_for(device), "next": reports(hall)})

    assert _audited(supervisor) == ["signed_in", "enrolment_used", "otp_failed", "otp_enrolled"]
    assert set(AuditEntry.objects.filter(actor=supervisor).values_list("hall", flat=True)) == {hall.pk}


def test_reset_of_two_step_sign_in_is_audited_and_in_the_admin_history(hall, supervisor, superuser):
    enrolled(supervisor)
    admin = browser()
    admin.force_login(superuser)
    TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    admin_session = admin.session
    admin_session["otp_device_id"] = TOTPDevice.objects.get(user=superuser).persistent_id
    admin_session.save()

    admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [supervisor.pk]},
    )

    entry = AuditEntry.objects.get(action=AuditAction.OTP_RESET)
    assert (entry.actor, entry.hall, entry.object_id) == (superuser, hall, str(supervisor.pk))
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    assert LogEntry.objects.filter(
        object_id=str(supervisor.pk), change_message="Reset two-step sign-in"
    ).exists()
