"""Booking codes (appointments/verification.py) live in PostgreSQL, not in Redis: they work while Redis is
down, a right code is used once even when sent twice at once, five codes an hour go to one number, and
nothing but keyed hashes is kept, for an hour."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber

from appointments import verification
from appointments.housekeeping import erase_expired_personal_data
from appointments.models import PhoneCode
from notifications.models import Kind, Notification
from tests.makers import make_hall
from tests.races import all_at_once

PHONE = PhoneNumber.from_string("+8613800138000")
OTHER = PhoneNumber.from_string("+8613900139000")


@pytest.fixture
def hall(db):
    return make_hall()


def send(hall, phone=PHONE) -> str:
    return verification.send_code(hall=hall, phone=phone, language="en")


def texted_code(nonce: str) -> str:
    return re.search(r"\b(\d{6})\b", Notification.objects.get(key=nonce).text).group(1)


def expired() -> str:
    return str(verification.CODE_EXPIRED)  # in the language active now


def check(nonce, code, phone=PHONE):
    return verification.check_code(nonce=nonce, phone=phone, code=code)


def at(moment, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_the_right_code_proves_the_mobile_once(hall):
    nonce = send(hall)
    code = texted_code(nonce)

    assert [check(nonce, code), check(nonce, code)] == [None, expired()]


def test_a_code_does_not_prove_another_mobile(hall):
    nonce = send(hall)

    assert check(nonce, texted_code(nonce), phone=OTHER) == expired()


def test_wrong_tries_are_counted_and_the_sixth_try_is_refused_even_when_right(hall):
    nonce = send(hall)
    code = texted_code(nonce)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    answers = [check(nonce, wrong) for _ in range(5)] + [check(nonce, code)]

    assert answers == [str(verification.CODE_WRONG)] * 4 + [expired(), expired()]
    assert PhoneCode.objects.get(nonce=nonce).tries == 5


def test_a_code_expires_after_ten_minutes(hall, monkeypatch):
    sent_at = timezone.now()
    at(sent_at, monkeypatch)
    nonce, later = send(hall), send(hall)

    at(sent_at + dt.timedelta(minutes=9, seconds=59), monkeypatch)
    in_time = check(later, texted_code(later))
    at(sent_at + dt.timedelta(minutes=10, seconds=1), monkeypatch)
    too_late = check(nonce, texted_code(nonce))

    assert (in_time, too_late) == (None, expired())


@pytest.mark.parametrize("nonce", ["", "short", "x" * 33, "abc\x00defghijklmnopq", "../../etc/passwd!!"])
def test_a_nonce_that_we_never_gave_is_refused_without_a_query(hall, nonce, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert check(nonce, "123456") == expired()


def test_five_codes_an_hour_go_to_one_number(hall, monkeypatch):
    start = timezone.now()
    at(start, monkeypatch)
    for _ in range(5):
        send(hall)

    with pytest.raises(ValueError) as refused:
        send(hall)
    send(hall, phone=OTHER)  # another number has its own five
    at(start + dt.timedelta(hours=1, seconds=1), monkeypatch)
    send(hall)

    assert str(refused.value) == str(verification.TOO_MANY_CODES)
    assert Notification.objects.filter(kind=Kind.VERIFICATION_CODE).count() == 7


def test_codes_work_while_redis_is_unreachable(hall, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on the discard port
        }
    }
    nonce = send(hall)

    assert check(nonce, texted_code(nonce)) is None


def test_only_keyed_hashes_are_kept_and_for_an_hour(hall):
    old = send(hall)
    PhoneCode.objects.filter(nonce=old).update(created_at=timezone.now() - dt.timedelta(minutes=61))
    kept = send(hall)
    code = texted_code(kept)

    erase_expired_personal_data()

    row = PhoneCode.objects.get()
    stored = " ".join([row.nonce, row.digest, row.phone_hash])
    assert row.nonce == kept
    assert "13800138000" not in stored and code not in stored


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_right_code_sent_at_once_by_ten_clients_is_used_once():
    hall = make_hall()
    nonce = send(hall)
    code = texted_code(nonce)
    answers = all_at_once(lambda _i: check(nonce, code), 10)

    assert len(answers) == 10
    assert answers.count(None) == 1  # the other nine: refused
