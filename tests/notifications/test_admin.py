import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hall.models import Hall
from notifications.models import Kind, Notification, State
from tests.makers import make_hall

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:notifications_notification_changelist")


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create(username="admin", is_staff=True, is_superuser=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def make_rows(count, state=State.FAILED, start=0):
    hall = Hall.objects.first() or make_hall()
    return [
        Notification.objects.create(
            hall=hall,
            kind=Kind.BOOKING_CONFIRMED,
            subject_type="booking",
            subject_id=start + n,
            phone="+8613812345678",
            text="[Hall] Booked, code SECRETCODE: http://x/booking/private-token/",
            state=state,
            attempts=8,
        )
        for n in range(count)
    ]


def test_outbox_shows_masked_mobile_and_no_text(admin_client):
    [row] = make_rows(1)

    listing = admin_client.get(CHANGELIST).content.decode()
    detail = admin_client.get(
        reverse("admin:notifications_notification_change", args=[row.pk])
    ).content.decode()

    assert ("138****5678" in listing, "138****5678" in detail) == (True, True)
    assert [
        s in page for page in (listing, detail) for s in ("13812345678", "SECRETCODE", "private-token")
    ] == [False] * 6


def test_outbox_filters_by_state(admin_client):
    failed, sent = make_rows(1)[0], make_rows(1, state=State.SENT, start=1)[0]

    response = admin_client.get(CHANGELIST, {"state__exact": "sent"})

    assert list(response.context["cl"].queryset) == [sent]
    assert failed not in response.context["cl"].queryset


@pytest.mark.parametrize("count", [1, 3])
def test_outbox_queries_do_not_grow_with_rows(admin_client, count):
    make_rows(count)
    admin_client.get(CHANGELIST)  # warm up sessions and content types

    with CaptureQueriesContext(connection) as queries:
        admin_client.get(CHANGELIST)

    assert len(queries) == 9  # 8, and the staff header's one look-up of the staff member (constant)


def test_retry_now_action_queues_failed_rows(admin_client, django_capture_on_commit_callbacks):
    rows = make_rows(2)

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            CHANGELIST, {"action": "retry_now", "_selected_action": [r.pk for r in rows]}, follow=True
        )

    assert [str(m) for m in response.context["messages"]] == ["2 messages queued again."]
    assert sorted(Notification.objects.values_list("state", "attempts")) == [(State.QUEUED, 0)] * 2
    assert len(callbacks) == 1


def test_view_only_staff_cannot_retry(client):
    user = User.objects.create(username="viewer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client.force_login(user)
    [row] = make_rows(1)

    response = client.get(CHANGELIST)
    client.post(CHANGELIST, {"action": "retry_now", "_selected_action": [row.pk]})

    assert "retry_now" not in response.content.decode()
    assert Notification.objects.get().state == State.FAILED


def test_outbox_links_to_the_rq_dashboard(admin_client):
    listing = admin_client.get(CHANGELIST).content.decode()
    dashboard = admin_client.get(reverse("django_rq:home"))

    assert f'href="{reverse("django_rq:home")}"' in listing
    assert dashboard.status_code == 200
    assert [q["name"] for q in dashboard.context["queues"]] == ["default", "simulation"]
