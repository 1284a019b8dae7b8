"""The address Django and the libraries see behind our own proxies (hall.middleware.forwarded_for); the
rule itself is tested in tests/hall/test_client_ip.py."""

from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from hall.middleware import forwarded_for


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
