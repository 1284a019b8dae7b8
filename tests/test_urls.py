"""The API's patterns come first in hall/urls.py (the busiest requests try the fewest patterns): that is only
right while no page's pattern matches an address under /api/, which would have been served by the page
before the reordering."""

import re

from django.urls import URLResolver, get_resolver
from django.urls.exceptions import Resolver404

from hall.api_v1 import api


def _sample(converter: re.Match) -> str:
    return "1" if converter.group(1) == "int" else "x1"


def _api_addresses() -> list[str]:
    """Every API operation's address, its converters filled with sample values."""
    found = []

    def walk(patterns, prefix):
        for pattern in patterns:
            text = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, text)
            else:
                found.append(re.sub(r"<(?:(\w+):)?\w+>", _sample, text))

    walk(api.urls[0], "api/v1/")
    return found


def test_no_page_pattern_matches_an_api_address():
    addresses = _api_addresses()
    assert "api/v1/bookings" in addresses and len(addresses) > 30
    pages = [p for p in get_resolver().url_patterns if not str(p.pattern).startswith("api/")]
    assert len(pages) > 20
    matched = []
    for address in addresses:
        for pattern in pages:
            try:
                pattern.resolve(address)
            except Resolver404:
                continue
            if pattern.resolve(address) is not None:
                matched.append((address, str(pattern.pattern)))
    assert matched == []


def test_the_api_is_tried_first():
    first = [str(p.pattern) for p in get_resolver().url_patterns[:3]]
    assert all(p.startswith("api/v1/") for p in first)
