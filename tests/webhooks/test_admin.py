"""The subscribers' admin: the secret is shown once, when generated; only http(s) addresses are accepted."""

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.makers import make_hall
from webhooks.models import Delivery, DeliveryState, Subscriber

pytestmark = pytest.mark.django_db
ADD = reverse("admin:webhooks_subscriber_add")


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create(username="admin", is_staff=True, is_superuser=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def form(hall, **fields):
    return {
        "hall": hall.pk,
        "name": "12345 hotline",
        "url": "https://hotline.example/hook",
        "events": ["booking.created", "ticket.called"],
        "enabled": "on",
        "kind": "webhook",
        "service_codes": "{}",
        "report_within_hours": "24",
        **fields,
    }


def test_a_new_subscriber_is_shown_its_secret_once(admin_client):
    hall = make_hall()

    response = admin_client.post(ADD, form(hall), follow=True)
    again = admin_client.get(reverse("admin:webhooks_subscriber_change", args=[Subscriber.objects.get().pk]))

    subscriber = Subscriber.objects.get()
    assert (subscriber.events, subscriber.fields, len(subscriber.secret) >= 40) == (
        ["booking.created", "ticket.called"],
        [],
        True,
    )
    assert [m.message for m in get_messages(response.wsgi_request) if subscriber.secret in m.message] != []
    assert subscriber.secret in response.content.decode()
    assert subscriber.secret not in again.content.decode()


def test_a_province_platform_needs_no_events_but_a_webhook_does(admin_client):
    hall = make_hall()

    webhook = admin_client.post(ADD, form(hall, events=[]))
    platform = admin_client.post(
        ADD,
        form(hall, kind="province", events=[], app_id="ck-1", service_codes='{"id-renewal": "1137"}'),
    )

    assert webhook.context["adminform"].form.errors["events"] == ["Choose at least one event."]
    subscriber = Subscriber.objects.get()
    assert (platform.status_code, subscriber.kind, subscriber.service_codes) == (
        302,
        "province",
        {"id-renewal": "1137"},
    )
    assert subscriber.wants("rating.given") and not subscriber.wants("booking.created")


def test_an_address_that_is_not_http_is_refused_with_a_message(admin_client):
    hall = make_hall()

    response = admin_client.post(ADD, form(hall, url="ftp://hotline.example/hook"))

    assert Subscriber.objects.count() == 0
    assert response.context["adminform"].form.errors["url"] == ["Enter an http or https address."]


def test_a_new_secret_replaces_the_old_and_is_shown_once(admin_client):
    subscriber = Subscriber.objects.create(hall=make_hall(), name="dw", url="https://dw.example/", events=[])
    old = subscriber.secret

    response = admin_client.post(
        reverse("admin:webhooks_subscriber_changelist"),
        {"action": "new_secrets", "_selected_action": [subscriber.pk]},
        follow=True,
    )

    subscriber.refresh_from_db()
    assert subscriber.secret != old
    assert subscriber.secret in response.content.decode()


def test_the_deliveries_list_filters_by_state(admin_client):
    subscriber = Subscriber.objects.create(hall=make_hall(), name="dw", url="https://dw.example/", events=[])
    dead = Delivery.objects.create(subscriber=subscriber, event="ticket.called", payload={}, state="dead")
    Delivery.objects.create(subscriber=subscriber, event="ticket.called", payload={}, state="sent")

    response = admin_client.get(reverse("admin:webhooks_delivery_changelist"), {"state": DeliveryState.DEAD})

    assert list(response.context["cl"].result_list) == [dead]


def test_the_admin_pages_are_in_chinese(client):
    client.force_login(User.objects.create(username="admin", is_staff=True, is_superuser=True))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    subscriber = Subscriber.objects.create(hall=make_hall(), name="dw", url="https://dw.example/", events=[])
    Delivery.objects.create(subscriber=subscriber, event="ticket.called", payload={}, state="dead")

    add = client.get(ADD).content.decode()
    deliveries = client.get(reverse("admin:webhooks_delivery_changelist")).content.decode()

    assert ("签名密钥" not in add, "叫号" in add, "身份证号一律不推送" in add) == (True, True, True)
    assert [text in deliveries for text in ("推送记录", "重新推送", "已放弃（不再重试）")] == [True] * 3
