"""The client's address (hall/net.py): X-Forwarded-For is believed only from TRUSTED_PROXIES, walked from
the right, and every answer is a valid address or "" (NO_ADDRESS)."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from hall.models import AuditEntry
from hall.net import NO_ADDRESS, client_address, client_ip, trusted_networks
from tests.makers import make_hall, make_staff

PROXIES = trusted_networks(("127.0.0.1", "10.0.0.0/8"))
PASSWORD = "pw-for-tests-only"
GARBAGE = [
    "not-an-address",
    "203.0.113.7:8080",
    "[2001:db8::1]:443",
    "999.1.1.1",
    "1.2.3.4\x00",
    "；,,,;",
    "\u00e9\u4e2d" * 300,
    "unknown",
    "1.2.3.4, , 5.6.7.8" + ", x" * 100,
]


def test_client_is_the_right_most_entry_our_proxies_did_not_write():
    assert client_address("127.0.0.1", "203.0.113.7", PROXIES) == "203.0.113.7"
    assert client_address("127.0.0.1", "198.51.100.1, 203.0.113.7, 10.0.0.5", PROXIES) == "203.0.113.7"
    assert client_address("10.2.3.4", "198.51.100.1,203.0.113.7 , 10.9.9.9", PROXIES) == "203.0.113.7"


def test_header_from_a_peer_that_is_not_our_proxy_is_ignored():
    assert client_address("203.0.113.9", "1.2.3.4", PROXIES) == "203.0.113.9"
    assert client_address("203.0.113.9", "10.0.0.5", PROXIES) == "203.0.113.9"
    assert client_address("203.0.113.9", "1.2.3.4", ()) == "203.0.113.9"


def test_a_chain_of_only_our_proxies_names_the_last_of_them():
    assert client_address("127.0.0.1", "", PROXIES) == "127.0.0.1"
    assert client_address("127.0.0.1", "10.0.0.7, 10.0.0.5", PROXIES) == "10.0.0.7"


def test_garbage_in_the_chain_stops_at_the_last_proxy_seen():
    assert client_address("127.0.0.1", "203.0.113.7, garbage", PROXIES) == "127.0.0.1"
    assert client_address("127.0.0.1", "garbage, 10.0.0.5", PROXIES) == "10.0.0.5"
    assert client_address("127.0.0.1", " , 10.0.0.5", PROXIES) == "10.0.0.5"
    for header in GARBAGE:
        assert client_address("127.0.0.1", header, PROXIES) == "127.0.0.1"


def test_answers_are_normal_addresses_or_the_empty_string():
    assert client_address("::ffff:203.0.113.7", "", PROXIES) == "203.0.113.7"
    assert client_address("2001:0db8:0000::0001", "", PROXIES) == "2001:db8::1"
    assert client_address("::ffff:127.0.0.1", "2001:DB8::2", PROXIES) == "2001:db8::2"
    assert client_address(None, "203.0.113.7", PROXIES) == NO_ADDRESS
    assert client_address("", "203.0.113.7", PROXIES) == NO_ADDRESS
    assert client_address("unix:/run/gunicorn.sock", "", PROXIES) == NO_ADDRESS


def test_client_ip_reads_the_request_and_the_setting(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    settings.TRUSTED_PROXIES = []
    assert client_ip(request) == "127.0.0.1"
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]
    assert client_ip(request) == "203.0.113.7"
    assert client_ip(None) == NO_ADDRESS


def test_client_ip_answers_alike_for_a_header_seen_before_and_for_a_long_one(settings):
    # Answers for recent headers are kept (hall/net.py); a long header is worked out each time.
    settings.TRUSTED_PROXIES = ["127.0.0.0/8", "10.0.0.0/8"]
    long_chain = ", ".join(["198.51.100.1"] * 40 + ["203.0.113.8", "10.0.0.5"])
    seen = [
        client_ip(RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=header))
        for header in ("203.0.113.7, 10.0.0.5", long_chain, "203.0.113.7, 10.0.0.5", long_chain)
    ]
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"]
    again = client_ip(
        RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7, 10.0.0.5")
    )

    assert (len(long_chain) > 200, seen, again) == (
        True,
        ["203.0.113.7", "203.0.113.8", "203.0.113.7", "203.0.113.8"],
        "10.0.0.5",
    )


# Through the whole application: the per-address limits and the audit log see the same address.


@pytest.mark.django_db
def test_spoofed_header_from_an_untrusted_peer_does_not_escape_a_per_address_limit(settings):
    settings.RATE_LIMITS = True
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    client = Client(REMOTE_ADDR="203.0.113.9")
    find = reverse("appointments:find")
    form = {"code": "AAAAAAAA", "phone": "13800138000"}

    for n in range(20):
        client.post(find, form, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    response = client.post(find, form, HTTP_X_FORWARDED_FOR="198.51.100.99", HTTP_ACCEPT_LANGUAGE="en")

    assert "Too many attempts. Please wait a few minutes and try again." in response.content.decode()


@pytest.mark.django_db
def test_sign_in_behind_our_proxies_is_recorded_with_the_clients_address(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.5"]
    make_staff(make_hall(), "clerk")
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7, 10.0.0.5")

    response = client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})

    assert response.status_code == 302
    assert list(AuditEntry.objects.values_list("action", "ip")) == [("signed_in", "203.0.113.7")]


@pytest.mark.django_db
@pytest.mark.parametrize("header", GARBAGE)
def test_garbage_headers_give_a_normal_answer_and_a_valid_recorded_address(settings, header):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    make_staff(make_hall(), "clerk")
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=header)

    refused = client.post(reverse("login"), {"username": "clerk", "password": "wrong"})
    page = client.get(reverse("appointments:find"))

    assert (refused.status_code, page.status_code) == (200, 200)
    assert list(AuditEntry.objects.values_list("action", "ip")) == [("sign_in_failed", "127.0.0.1")]


@pytest.mark.django_db
def test_a_request_without_an_address_is_recorded_without_one():
    """A unix socket gives no address: "" is stored as NULL (PostgreSQL's inet would refuse a word)."""
    make_staff(make_hall(), "clerk")

    response = Client(REMOTE_ADDR="").post(reverse("login"), {"username": "clerk", "password": PASSWORD})

    assert response.status_code == 302
    assert list(AuditEntry.objects.values_list("action", "ip")) == [("signed_in", None)]


def test_an_untrusted_proxy_on_our_network_is_named_in_the_log_once(settings, caplog):
    """nginx on the same host but TRUSTED_PROXIES unset: every citizen would share its address. The log says
    so once, naming the proxy; a public peer's header (a client's own) is no cause for a warning."""
    from hall import net

    settings.TRUSTED_PROXIES = []
    net._warned.clear()
    factory = RequestFactory()
    with caplog.at_level("WARNING", logger="hall.net"):
        for _ in range(3):
            client_ip(factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7"))
        client_ip(factory.get("/", REMOTE_ADDR="114.114.114.114", HTTP_X_FORWARDED_FOR="203.0.113.7"))
    warnings = [r.getMessage() for r in caplog.records if r.name == "hall.net"]
    assert len(warnings) == 1 and "127.0.0.1" in warnings[0] and "TRUSTED_PROXIES" in warnings[0]


def test_production_without_trusted_proxies_fails_the_deploy_check(settings):
    from django.core.checks import run_checks

    settings.PRODUCTION = True
    settings.TRUSTED_PROXIES = []
    assert "hall.W001" in [m.id for m in run_checks(include_deployment_checks=True)]
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert "hall.W001" not in [m.id for m in run_checks(include_deployment_checks=True)]
