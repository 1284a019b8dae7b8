"""The client's address behind our own proxies (hall.middleware.forwarded_for)."""

from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from hall.middleware import client_address, forwarded_for

PROXY = frozenset({"127.0.0.1", "10.0.0.5"})


def test_client_address_is_the_right_most_entry_our_proxies_did_not_write():
    assert client_address("127.0.0.1", "203.0.113.7", PROXY) == "203.0.113.7"
    assert client_address("127.0.0.1", "198.51.100.1, 203.0.113.7, 10.0.0.5", PROXY) == "203.0.113.7"


def test_client_address_ignores_the_header_from_anyone_but_our_proxies():
    assert client_address("203.0.113.9", "1.2.3.4", PROXY) == "203.0.113.9"
    assert client_address("127.0.0.1", "", PROXY) == "127.0.0.1"
    assert client_address("127.0.0.1", " , 10.0.0.5", PROXY) == "127.0.0.1"


def _seen_address(**headers):
    seen = {}

    def view(request):
        seen["address"] = request.META["REMOTE_ADDR"]
        return HttpResponse()

    forwarded_for(view)(RequestFactory().get("/", **headers))
    return seen["address"]


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_middleware_rewrites_the_address_behind_a_trusted_proxy():
    assert _seen_address(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7") == "203.0.113.7"
    assert _seen_address(REMOTE_ADDR="198.51.100.2", HTTP_X_FORWARDED_FOR="203.0.113.7") == "198.51.100.2"


@override_settings(TRUSTED_PROXIES=[])
def test_middleware_believes_no_header_without_trusted_proxies():
    assert _seen_address(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7") == "127.0.0.1"
