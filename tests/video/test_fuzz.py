"""Hostile input to the video pages' forms (the clerk's checklist and completion) and to the signalling
endpoints: never a 5xx, and never the typed number stored."""

import json

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.makers import make_id_number
from tests.test_fuzz_forms import FUZZ, encode, form_pairs
from tests.video.helpers import ID_SERIAL, join_call, video_booking, video_setup
from video.models import IdentityCheck, Signal

pytestmark = pytest.mark.django_db
FORMS = {
    "video:identity": lambda: {
        "face_matches": "on",
        "questions_answered": "on",
        "id_number": make_id_number(ID_SERIAL),
    },
    "video:complete": lambda: {
        "by_post": "on",
        "recipient": "王五",
        "recipient_phone": "13900000007",
        "province": "甘肃省",
        "city": "兰州市",
        "district": "城关区",
        "street": "东岗西路1号",
    },
}


@pytest.fixture
def call():
    _hall, service, clerk = video_setup()
    return video_booking(service), clerk


@pytest.mark.parametrize("name", FORMS)
def test_hostile_posts_to_the_clerks_forms_never_fail(client, call, name):
    booking, clerk = call
    client.force_login(clerk)
    url = reverse(name, args=[booking.pk])

    @FUZZ
    @given(pairs=form_pairs(FORMS[name]()))
    def post(pairs):
        for accept in ("application/json", "text/html"):
            response = client.post(url, encode(pairs), content_type="application/x-www-form-urlencoded",
                                   HTTP_ACCEPT=accept)  # fmt: skip
            assert response.status_code < 500, (pairs, response.status_code)

    post()
    number = make_id_number(ID_SERIAL)
    assert not any(number in json.dumps(row, default=str) for row in IdentityCheck.objects.values())


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def test_hostile_signalling_messages_never_fail(client, call):
    booking, clerk = call
    join_call(client, booking)
    urls = [reverse("video:citizen_signal", args=[booking.manage_token])]
    client.force_login(clerk)
    urls.append(reverse("video:clerk_signal", args=[booking.pk]))

    @FUZZ
    @given(
        body=st.one_of(JSON_VALUES.map(json.dumps), st.binary(max_size=60)),
        after=st.text(max_size=25),
    )
    def exchange(body, after):
        for url in urls:
            posted = client.post(url, body, content_type="application/json")
            read = client.get(url, {"after": after})
            assert posted.status_code in (200, 400, 429), (body, posted.status_code)
            assert read.status_code == 200, (after, read.status_code)
        Signal.objects.all().delete()

    exchange()
