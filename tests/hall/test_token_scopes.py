"""API tokens have a scope and an expiry (issue 17, item 8): each endpoint family takes the scopes it names,
a token outside them is 403 `token_scope`, an expired one 401 `token_expired`, and a supervisor's reports
token works only while the account has a confirmed second factor."""

import datetime as dt
import importlib
import io

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from hall.models import ApiToken, AuditAction, AuditEntry, TokenScope
from queueing.models import CounterSession
from tests.makers import make_counter, make_service, make_staff
from tests.queueing.helpers import make_hall_open_today

pytestmark = pytest.mark.django_db

# One operation of each endpoint family: (method, path, body).
FAMILIES = {
    "tickets": ("post", "/api/v1/halls/north/tickets", {"service": "id-card"}),
    "queue": ("get", "/api/v1/halls/north/queue", None),
    "bookings": ("get", "/api/v1/halls/north/bookings", None),
    "counter": ("post", "/api/v1/counters/{counter}/open", {}),
    "reports": ("get", "/api/v1/halls/north/stats", None),
}
# Which scope each family takes (hall.api: DEVICE_AUTH, STAFF_AUTH, REPORTS_AUTH).
ALLOWED = {
    "device": {"tickets", "queue", "bookings"},
    "counter": {"tickets", "queue", "bookings", "counter"},
    "reports": {"reports"},
}


@pytest.fixture
def hall(settings):
    settings.RATE_LIMITS = False
    hall = make_hall_open_today()
    make_counter(hall, 1, [make_service(hall, code="id-card")])
    return hall


@pytest.fixture
def supervisor(hall):
    user = make_staff(hall, "boss", role="supervisor")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def user_for(scope: str, hall) -> User:
    if scope == TokenScope.DEVICE:
        return User.objects.create_user("kiosk-north")
    if scope == TokenScope.REPORTS:
        user = make_staff(hall, "boss", role="supervisor")
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        return user
    return make_staff(hall, "clerk")


def request(key: str, family: str, hall):
    method, path, body = FAMILIES[family]
    path = path.format(counter=hall.counters.get().pk)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")
    if method == "get":
        return client.get(path)
    return client.post(path, body, content_type="application/json")


@pytest.mark.parametrize("scope", list(ALLOWED))
def test_each_scope_reaches_its_endpoint_families_and_is_refused_the_others(hall, scope):
    _token, key = ApiToken.objects.issue(user=user_for(scope, hall), hall=hall, name="t", scope=scope)

    answers = {family: request(key, family, hall) for family in FAMILIES}

    reached = {family for family, response in answers.items() if response.status_code < 400}
    assert reached == ALLOWED[scope]
    for family in set(FAMILIES) - ALLOWED[scope]:
        body = answers[family].json()
        assert (answers[family].status_code, body["error"]) == (403, "token_scope")
        assert f"scope is “{scope}”" in body["message"]


def test_a_device_token_cannot_open_a_window(hall):
    """Before scopes, any token of the hall reached every staff operation the account could do."""
    _token, key = ApiToken.objects.issue(
        user=make_staff(hall, "guide"), hall=hall, name="kiosk", scope="device"
    )

    response = request(key, "counter", hall)

    assert (response.status_code, response.json()["error"]) == (403, "token_scope")
    assert not CounterSession.objects.exists()


def test_an_expired_token_is_401_and_says_so(hall):
    token, key = ApiToken.objects.issue(user=make_staff(hall, "clerk"), hall=hall, name="window 1")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    response = request(key, "queue", hall)

    assert (response.status_code, response.json()["error"]) == (401, "token_expired")
    assert "expired" in response.json()["message"]


def test_a_token_works_until_its_expiry(hall):
    token, key = ApiToken.objects.issue(user=make_staff(hall, "clerk"), hall=hall, name="window 1", days=1)

    assert request(key, "queue", hall).status_code == 200
    assert token.expires_at - timezone.now() < dt.timedelta(days=1)


def test_expiry_defaults_to_the_scope_lifetime_from_settings(hall, settings):
    settings.API_TOKEN_DAYS = {"device": 365, "counter": 90, "reports": 30}

    token, _key = ApiToken.objects.issue(user=make_staff(hall, "clerk"), hall=hall, name="window 1")

    assert token.scope == "counter"
    assert dt.timedelta(days=89) < token.expires_at - timezone.now() <= dt.timedelta(days=90)


def test_reports_token_of_a_supervisor_without_second_factor_is_403_saying_why(hall):
    supervisor = make_staff(hall, "boss", role="supervisor")
    _token, key = ApiToken.objects.issue(user=supervisor, hall=hall, name="reports", scope="reports")

    response = request(key, "reports", hall)

    assert (response.status_code, response.json()["error"]) == (403, "second_factor_required")
    assert "two-step sign-in" in response.json()["message"]


def test_issue_token_warns_that_a_reports_token_needs_the_second_factor(hall):
    make_staff(hall, "boss", role="supervisor")
    err = io.StringIO()

    call_command("issue_token", "boss", "--scope", "reports", stdout=io.StringIO(), stderr=err)

    assert "no two-step sign-in yet" in err.getvalue()


def test_reports_token_stops_when_the_second_factor_is_reset(hall, supervisor):
    _token, key = ApiToken.objects.issue(user=supervisor, hall=hall, name="reports", scope="reports")
    assert request(key, "reports", hall).status_code == 200

    TOTPDevice.objects.filter(user=supervisor).update(confirmed=False)

    assert request(key, "reports", hall).status_code == 403


def test_refusals_are_in_chinese_by_default(hall):
    _token, key = ApiToken.objects.issue(user=User.objects.create_user("kiosk-north"), hall=hall, name="k")

    response = Client().get("/api/v1/halls/north/stats", HTTP_AUTHORIZATION=f"Bearer {key}")

    assert (
        response.json()["message"]
        == "此接口令牌的权限范围是“device”；此操作需要以下权限范围的令牌：reports。"
    )


@pytest.mark.parametrize(
    ("who", "scope"),
    [("device", "counter"), ("device", "reports"), ("clerk", "reports")],
)
def test_a_scope_the_account_cannot_use_is_refused_at_issue(hall, who, scope):
    user = User.objects.create_user("kiosk-north") if who == "device" else make_staff(hall, "clerk")

    with pytest.raises(CommandError):
        call_command("issue_token", user.username, "--hall", "north", "--scope", scope, stderr=io.StringIO())

    assert not ApiToken.objects.exists()


def test_issue_token_takes_scope_and_days_and_audits_them(hall, supervisor):
    out, err = io.StringIO(), io.StringIO()

    call_command("issue_token", "boss", "--scope", "reports", "--days", "7", stdout=out, stderr=err)

    token = ApiToken.objects.get()
    assert (token.scope, token.hall) == ("reports", hall)
    assert dt.timedelta(days=6) < token.expires_at - timezone.now() <= dt.timedelta(days=7)
    assert "scope reports" in err.getvalue()
    entry = AuditEntry.objects.get(action=AuditAction.TOKEN_ISSUED)
    assert entry.detail.startswith(f"{token.prefix} reports until ")
    assert request(out.getvalue().strip(), "reports", hall).status_code == 200


@pytest.mark.parametrize("days", ["0", "-1", "100000"])
def test_issue_token_refuses_days_out_of_range(hall, days):
    make_staff(hall, "clerk")

    with pytest.raises(CommandError, match="--days"):
        call_command("issue_token", "clerk", "--days", days, stderr=io.StringIO())


def test_issue_token_defaults_to_device_scope_for_device_accounts(hall):
    User.objects.create_user("kiosk-north")

    call_command("issue_token", "kiosk-north", "--hall", "north", stdout=io.StringIO(), stderr=io.StringIO())

    assert ApiToken.objects.get().scope == "device"


def test_admin_shows_scope_and_expiry_and_revokes(admin_client, hall):
    token, key = ApiToken.objects.issue(user=make_staff(hall, "clerk"), hall=hall, name="window 1")

    listing = admin_client.get("/admin/hall/apitoken/").content.decode()
    admin_client.post("/admin/hall/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})

    assert "权限范围" in listing  # the scope column, and this token's scope:
    assert "窗口：窗口叫号办理" in listing
    assert f"{token.expires_at.astimezone(hall.tz):%Y}" in listing
    assert request(key, "queue", hall).status_code == 401
    assert AuditEntry.objects.filter(action=AuditAction.TOKEN_REVOKED).count() == 1


def test_admin_issues_a_token_with_a_scope_and_the_default_expiry(admin_client, hall):
    device = User.objects.create_user("kiosk-door")

    admin_client.post(
        "/admin/hall/apitoken/add/",
        {"name": "door kiosk", "hall": hall.pk, "user": device.pk, "scope": "device"},
    )

    token = ApiToken.objects.get()
    assert (token.scope, token.expires_at > timezone.now() + dt.timedelta(days=300)) == ("device", True)
    entry = AuditEntry.objects.get(action=AuditAction.TOKEN_ISSUED)
    assert entry.detail.startswith(f"{token.prefix} device until ")


def test_openapi_schema_states_the_scopes_of_each_operation(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    def scopes(method, path):
        return paths[path][method]["security"][0]["TokenAuth"]

    assert scopes("post", "/api/v1/halls/{hall}/tickets") == ["device", "counter"]
    assert scopes("post", "/api/v1/counters/{counter_id}/call-next") == ["counter"]
    assert scopes("get", "/api/v1/halls/{hall}/stats") == ["reports"]


def test_migration_scopes_existing_tokens_by_account_and_gives_them_time(hall):
    migration = importlib.import_module("hall.migrations.0012_api_token_scope_and_expiry")
    clerk, _ = ApiToken.objects.issue(user=make_staff(hall, "clerk"), hall=hall, name="window 1")
    kiosk, _ = ApiToken.objects.issue(user=User.objects.create_user("kiosk-north"), hall=hall, name="kiosk")
    ApiToken.objects.update(scope="reports", expires_at=timezone.now())  # as if before the migration

    migration.scope_existing_tokens(django_apps, None)

    clerk.refresh_from_db()
    kiosk.refresh_from_db()
    assert (clerk.scope, kiosk.scope) == ("counter", "device")
    assert dt.timedelta(days=179) < clerk.expires_at - timezone.now() <= dt.timedelta(days=180)
    assert dt.timedelta(days=364) < kiosk.expires_at - timezone.now() <= dt.timedelta(days=365)
