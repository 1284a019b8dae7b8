"""Device tokens in the admin for a hall's supervisor, and the RQ dashboard for superusers only."""

import io
from html import unescape

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from hall.models import ApiToken, AuditAction, AuditEntry
from tests.makers import make_hall, make_staff

pytestmark = pytest.mark.django_db

TOKENS = "/admin/hall/apitoken/"


@pytest.fixture
def hall():
    return make_hall()


@pytest.fixture
def other_hall():
    return make_hall(slug="south")


@pytest.fixture
def supervisor(hall):
    user = make_staff(hall, "boss", role="supervisor")
    User.objects.filter(pk=user.pk).update(is_staff=True)  # as seed_demo and the admin make supervisors
    return User.objects.get(pk=user.pk)


def as_user(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def tokens(hall, other_hall):
    kiosk = User.objects.create_user("kiosk-north")
    other_kiosk = User.objects.create_user("kiosk-south")
    own, own_key = ApiToken.objects.issue(user=kiosk, hall=hall, name="north kiosk")
    other, other_key = ApiToken.objects.issue(user=other_kiosk, hall=other_hall, name="south kiosk")
    return own, own_key, other, other_key


def queue(client, slug, key):
    return client.get(f"/api/v1/halls/{slug}/queue", HTTP_AUTHORIZATION=f"Bearer {key}")


def test_supervisor_lists_only_their_halls_tokens(supervisor, tokens, other_hall):
    response = as_user(supervisor).get(TOKENS)

    text = response.content.decode()
    assert (response.status_code, "north kiosk" in text, "south kiosk" in text) == (200, True, False)
    assert f"?hall__id__exact={other_hall.pk}" not in text  # nor other halls in the filter


def test_supervisor_revokes_their_halls_token_and_the_api_refuses_it_at_once(supervisor, tokens):
    own, own_key, other, other_key = tokens
    api = Client()
    assert queue(api, "north", own_key).status_code == 200

    response = as_user(supervisor).post(
        TOKENS, {"action": "revoke", "_selected_action": [own.pk, other.pk]}, follow=True
    )

    assert "1 token(s) revoked." in unescape(response.content.decode())
    refused = queue(api, "north", own_key)
    assert (refused.status_code, refused.json()["error"]) == (401, "unauthorized")
    assert queue(api, "south", other_key).status_code == 200
    other.refresh_from_db()
    assert other.revoked_at is None


def test_supervisor_cannot_open_add_or_delete_tokens_of_other_halls(supervisor, tokens):
    own, _own_key, other, _other_key = tokens
    client = as_user(supervisor)

    other_page = client.get(f"{TOKENS}{other.pk}/change/")
    own_page = client.get(f"{TOKENS}{own.pk}/change/")
    add = client.get(f"{TOKENS}add/")
    delete = client.post(f"{TOKENS}{own.pk}/delete/", {"post": "yes"})

    assert (other_page.status_code, other_page["Location"]) == (302, "/admin/")
    assert (own_page.status_code, "north kiosk" in own_page.content.decode()) == (200, True)
    assert (add.status_code, delete.status_code) == (403, 403)
    assert ApiToken.objects.count() == 2


def test_supervisor_cannot_rename_a_token(supervisor, tokens):
    own, *_rest = tokens

    as_user(supervisor).post(f"{TOKENS}{own.pk}/change/", {"name": "renamed"})

    own.refresh_from_db()
    assert own.name == "north kiosk"


def test_clerk_has_no_admin(hall, tokens):
    clerk = make_staff(hall, "clerk")

    response = as_user(clerk).get(TOKENS)

    assert (response.status_code, response["Location"]) == (302, "/admin/login/?next=/admin/hall/apitoken/")


def test_administrator_sees_and_revokes_every_halls_tokens(admin_client, tokens):
    own, own_key, other, other_key = tokens

    listing = admin_client.get(TOKENS).content.decode()
    admin_client.post(TOKENS, {"action": "revoke", "_selected_action": [own.pk, other.pk]})

    assert ("north kiosk" in listing, "south kiosk" in listing) == (True, True)
    assert f"?hall__id__exact={other.hall_id}" in listing
    refused = [queue(Client(), "north", own_key).status_code, queue(Client(), "south", other_key).status_code]
    assert refused == [401, 401]


# The RQ dashboard


def test_rq_dashboard_is_for_superusers(admin_client):
    response = admin_client.get("/admin/django-rq/")

    assert response.status_code == 200
    assert "default" in response.content.decode()


def test_only_the_rq_dashboard_allows_inline_script_and_style(admin_client):
    dashboard = admin_client.get("/admin/django-rq/")["Content-Security-Policy"]
    admin = admin_client.get("/admin/")["Content-Security-Policy"]

    assert (
        "script-src 'self' 'unsafe-inline'" in dashboard,
        "style-src 'self' 'unsafe-inline'" in dashboard,
    ) == (
        True,
        True,
    )
    assert "unsafe-inline" not in admin


def test_a_pages_own_policy_stays_its_own_and_a_changed_setting_is_used(admin_client, settings):
    # The usual policy is built once (hall.middleware.ContentSecurityPolicy): the dashboard's own policy in
    # between does not become the others', and a changed setting is not answered with the old header.
    before = admin_client.get("/admin/")["Content-Security-Policy"]
    dashboard = admin_client.get("/admin/django-rq/")["Content-Security-Policy"]
    after = admin_client.get("/admin/")["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'"], "img-src": ["'none'"]}}
    changed = admin_client.get("/admin/")["Content-Security-Policy"]

    assert ("unsafe-inline" in dashboard, before == after) == (True, True)
    assert ("unsafe-inline" in after, "img-src 'none'" in changed, "img-src 'none'" in after) == (
        False,
        True,
        False,
    )


def test_rq_dashboard_refuses_supervisors(supervisor):
    client = as_user(supervisor)

    pages = [client.get(url).status_code for url in ("/admin/django-rq/", "/admin/django-rq/queues/0/")]
    stats = client.get("/admin/django-rq/stats.json")

    assert pages == [403, 403]
    assert stats.status_code == 403


def test_rq_dashboard_asks_anonymous_users_to_sign_in(client):
    response = client.get("/admin/django-rq/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/admin/django-rq/")


def test_rq_dashboard_has_no_second_entry_in_the_admin(admin_client, supervisor):
    assert admin_client.get("/admin/django_rq/dashboard/").status_code == 404
    assert as_user(supervisor).get("/admin/django_rq/dashboard/").status_code == 404


# The audit trail of API tokens (issue 17, item 4).


def test_revoking_tokens_in_the_admin_is_audited_per_hall_and_in_the_admin_history(admin_client, tokens):
    own, _own_key, other, _other_key = tokens

    admin_client.post(TOKENS, {"action": "revoke", "_selected_action": [own.pk, other.pk]})

    revoked = AuditEntry.objects.filter(action=AuditAction.TOKEN_REVOKED).order_by("hall__slug")
    assert [(e.hall.slug, e.object_id, e.detail) for e in revoked] == [
        ("north", str(own.pk), own.prefix),
        ("south", str(other.pk), other.prefix),
    ]
    assert LogEntry.objects.filter(change_message="Revoked").count() == 2


def test_issuing_a_token_in_the_admin_and_by_command_is_audited(admin_client, hall):
    device = User.objects.create_user("kiosk-door")
    make_staff(hall, "clerk")

    admin_client.post(
        f"{TOKENS}add/", {"name": "door kiosk", "hall": hall.pk, "user": device.pk, "scope": "device"}
    )
    call_command("issue_token", "clerk", "--device", "window 1", stdout=io.StringIO(), stderr=io.StringIO())

    issued = AuditEntry.objects.filter(action=AuditAction.TOKEN_ISSUED).order_by("pk")
    names = [ApiToken.objects.get(pk=e.object_id).name for e in issued]
    assert (names, {e.hall for e in issued}) == (["door kiosk", "window 1"], {hall})
    assert issued[1].detail.endswith("by manage.py issue_token")
