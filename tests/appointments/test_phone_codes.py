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
    nonce, later = send(hall), send(hall, phone=OTHER)

    at(sent_at + dt.timedelta(minutes=9, seconds=59), monkeypatch)
    in_time = check(later, texted_code(later), phone=OTHER)
    at(sent_at + dt.timedelta(minutes=10, seconds=1), monkeypatch)
    too_late = check(nonce, texted_code(nonce))

    assert (in_time, too_late) == (None, expired())


@pytest.mark.parametrize("nonce", ["", "short", "x" * 33, "abc\x00defghijklmnopq", "../../etc/passwd!!"])
def test_a_nonce_that_we_never_gave_is_refused_without_a_query(hall, nonce, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert check(nonce, "123456") == expired()


def test_five_codes_an_hour_go_to_one_number(hall, monkeypatch):
    start = timezone.now()
    for minute in range(5):
        at(start + dt.timedelta(minutes=minute), monkeypatch)
        send(hall)

    at(start + dt.timedelta(minutes=5), monkeypatch)
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


# Against SMS pumping (issue 17, item 2): a resend delay, a limit per address, a daily budget per hall.


def test_a_new_code_goes_to_a_number_only_a_minute_after_the_last(hall, monkeypatch):
    start = timezone.now()
    at(start, monkeypatch)
    send(hall)

    at(start + dt.timedelta(seconds=45), monkeypatch)
    with pytest.raises(verification.CodeRefused) as refused:
        send(hall)
    waiting = verification.next_send_at(PHONE)
    at(start + dt.timedelta(seconds=60), monkeypatch)
    send(hall)

    assert str(refused.value) == str(verification.TOO_SOON % {"seconds": 15})
    assert waiting == start + dt.timedelta(seconds=60)
    assert verification.next_send_at(OTHER) is None


def test_one_address_asks_for_at_most_twenty_codes_an_hour_whatever_the_numbers(hall):
    for n in range(verification.SENDS_PER_ADDRESS_HOUR):
        verification.send_code(
            hall=hall, phone=PhoneNumber.from_string(f"+86139{n:08d}"), language="en", ip="203.0.113.9"
        )

    with pytest.raises(verification.CodeRefused) as refused:
        verification.send_code(hall=hall, phone=OTHER, language="en", ip="203.0.113.9")
    verification.send_code(hall=hall, phone=OTHER, language="en", ip="203.0.113.10")

    assert str(refused.value) == str(verification.TOO_MANY_FROM_HERE)
    assert Notification.objects.filter(kind=Kind.VERIFICATION_CODE).count() == 21


def test_the_halls_daily_budget_of_codes_stops_sending_and_warns_at_eighty_percent(hall, settings):
    settings.SMS_CODES_PER_HALL_DAY = 5
    now = timezone.now()
    for n in range(3):
        send(hall, phone=PhoneNumber.from_string(f"+86139{n:08d}"))
    quiet = verification.budget_warning(hall, now)
    send(hall, phone=PhoneNumber.from_string("+8613900000003"))
    warned = verification.budget_warning(hall, now)
    send(hall, phone=PhoneNumber.from_string("+8613900000004"))

    with pytest.raises(verification.CodeRefused) as refused:
        send(hall, phone=OTHER)

    assert (quiet, warned) == (None, (4, 5))
    assert str(refused.value) == str(verification.BUDGET_USED)
    assert Notification.objects.filter(kind=Kind.VERIFICATION_CODE).count() == 5
