"""Replies to reminders by SMS: each gateway's callback with its documented sample (and the token in the
address), forged ones refused with nothing changed; 1 confirms, 2 cancels, anything else and strangers'
texts are ignored."""

import datetime as dt
import json
import logging

import pytest
from django.utils import translation

from appointments import reminders, services, sms_replies, sms_reply_views
from appointments.booking_rules import BookingRules
from appointments.citizens import Actor
from appointments.models import Booking, BookingEvent, BookingState, PlaceHold
from appointments.sms_replies import meaning
from hall.models import AuditAction, AuditEntry
from notifications import delivery, messages
from notifications.models import Kind, Notification, State
from tests.notifications.helpers import MONDAY_9, TZ, book, slots

pytestmark = pytest.mark.django_db
TOKENS = {"aliyun": "aliyun-reply-token-0001", "tencent": "tencent-reply-token-0002"}
GATEWAYS = ["aliyun", "tencent"]
ACCEPTED = {"aliyun": {"code": 0, "msg": "接收成功"}, "tencent": {"result": 0, "errmsg": "OK"}}


MONDAY_20 = dt.datetime(2026, 11, 23, 20, 0, tzinfo=TZ)  # the evening the day-before reminders went out


@pytest.fixture(autouse=True)
def _reply_tokens(settings, monkeypatch):
    settings.SMS_REPLY_TOKENS = dict(TOKENS)
    monkeypatch.setattr(sms_reply_views, "clock", lambda: MONDAY_20)


def reminded(service, phone="13800138000", n=1, slot=None, sent_ago=dt.timedelta(hours=1)):
    """A booking whose day-before reminder was sent `sent_ago` before Monday 20:00 (the endpoint's time)."""
    booking = book(service, n=n, phone=phone, slot=slot)
    told = Notification.objects.filter(subject_id=booking.pk, kind=Kind.BOOKING_CONFIRMED)
    eve = dt.datetime.combine(booking.slot.date - dt.timedelta(days=1), dt.time(18), tzinfo=TZ)
    told.update(created_at=eve - dt.timedelta(hours=9))  # confirmed the morning before
    reminders.record_due(now=eve)
    row = Notification.objects.get(kind=Kind.REMINDER_DAY_BEFORE, subject_id=booking.pk)
    assert delivery.deliver(row.pk, now=eve) == State.SENT
    Notification.objects.filter(pk=row.pk).update(sent_at=MONDAY_20 - sent_ago)
    return booking, row


def sample(gateway: str, text: str, phone="13800138000"):
    """The gateways' own documented shapes: Aliyun's SmsUp batch push, Tencent Cloud's reply callback."""
    if gateway == "aliyun":
        sent = MONDAY_20.strftime("%Y-%m-%d %H:%M:%S")
        return [
            {
                "phone_number": phone,
                "content": text,
                "send_time": sent,
                "dest_code": "1234",
                "sign_name": "北区政务服务中心",
                "sequence_id": 1234567890,
            }
        ]
    return {
        "extend": "",
        "mobile": phone,
        "nationcode": "86",
        "sign": "北区政务服务中心",
        "text": text,
        "time": int(MONDAY_20.timestamp()),
    }


def reply(client, gateway, text, phone="13800138000", token=None, body=None):
    return client.post(
        f"/sms/replies/{gateway}/{token or TOKENS[gateway]}/",
        json.dumps(sample(gateway, text, phone) if body is None else body, ensure_ascii=False),
        content_type="application/json",
    )


def state_of_everything():
    return (
        list(BookingEvent.objects.values_list("booking_id", "from_state", "to_state", "source")),
        list(Notification.objects.values_list("kind", "subject_id")),
        AuditEntry.objects.count(),
        PlaceHold.objects.count(),
    )


def test_the_reminder_tells_how_to_reply_in_the_citizens_language(service, settings):
    booking, row = reminded(service)

    assert row.text.endswith("回复1确认，2取消。")
    with translation.override("en"):
        english = messages.reminder_text(booking, url="https://x/", soon=True)
    settings.SMS_REPLY_TOKENS = {}  # no gateway passes replies on: the reminder does not offer them
    assert english.endswith(" Reply 1 to confirm, 2 to cancel.")
    assert "回复" not in messages.reminder_text(booking, url="https://x/", soon=True)


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_reply_1_confirms_the_booking_answers_by_sms_and_is_audited_once(client, service, gateway):
    booking, reminder = reminded(service)

    answer = reply(client, gateway, "1")
    again = reply(client, gateway, " １。")  # the gateway pushes again; a full-width 1 means the same

    booking.refresh_from_db()
    confirmed = BookingEvent.objects.filter(booking=booking, source="sms")
    [answered] = Notification.objects.filter(kind=Kind.REPLY_CONFIRMED)
    assert (answer.status_code, answer.json(), again.status_code) == (200, ACCEPTED[gateway], 200)
    assert booking.state == BookingState.BOOKED
    assert [(e.from_state, e.to_state) for e in confirmed] == [("booked", "booked")]
    assert (answered.subject_id, str(answered.phone), answered.key) == (
        booking.pk,
        "+8613800138000",
        str(reminder.pk),
    )
    assert booking.code in answered.text and "已确认" in answered.text
    [entry] = AuditEntry.objects.filter(action=AuditAction.SMS_REPLY)
    assert (entry.hall_id, entry.detail) == (booking.hall_id, f"{booking.code} confirmed")


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_reply_2_cancels_through_the_booking_service(client, service, gateway):
    booking, _reminder = reminded(service)

    answer = reply(client, gateway, "2")

    booking.refresh_from_db()
    assert (answer.status_code, booking.state) == (200, BookingState.CANCELLED)
    assert PlaceHold.objects.filter(slot=booking.slot).exists()  # the place returns to sale after the delay
    assert Notification.objects.filter(kind=Kind.BOOKING_CANCELLED, subject_id=booking.pk).exists()
    assert BookingEvent.objects.filter(booking=booking, to_state="cancelled", source="sms").exists()
    assert AuditEntry.objects.get(action=AuditAction.SMS_REPLY).detail == f"{booking.code} cancelled"


def test_a_1_read_before_a_cancel_that_commits_first_does_not_confirm_the_cancelled_booking(service):
    """The reply's booking was read while still booked, then cancelled (on the web) before the
    confirmation took its lock: the citizen is not told a cancelled booking is confirmed."""
    booking, reminder = reminded(service)
    services.cancel_booking(booking=Booking.objects.get(pk=booking.pk), actor=Actor("online"), now=MONDAY_20)

    outcome = sms_replies._confirm(booking, reminder, MONDAY_20)  # `booking`: as read before the cancel

    assert outcome == "not_changeable"
    assert not Notification.objects.filter(kind=Kind.REPLY_CONFIRMED).exists()
    assert not BookingEvent.objects.filter(booking=booking, source="sms").exists()
    assert not AuditEntry.objects.filter(action=AuditAction.SMS_REPLY).exists()


def test_the_latest_reminder_to_the_mobile_is_the_one_answered(client, service):
    earlier, _row = reminded(service, sent_ago=dt.timedelta(hours=3))
    BookingRules.objects.update_or_create(hall=service.hall, defaults={"max_per_day": 2})
    wednesday = MONDAY_9.date() + dt.timedelta(days=2)
    later, _row = reminded(
        service, n=2, slot=slots(service, date=wednesday)[2], sent_ago=dt.timedelta(minutes=5)
    )

    reply(client, "tencent", "2")

    earlier.refresh_from_db()
    later.refresh_from_db()
    assert (earlier.state, later.state) == (BookingState.BOOKED, BookingState.CANCELLED)


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_forged_callbacks_are_refused_and_change_nothing(client, service, gateway, settings):
    booking, _reminder = reminded(service)
    before = state_of_everything()
    other = "tencent" if gateway == "aliyun" else "aliyun"

    wrong = reply(client, gateway, "2", token="guessed-token-000000000")
    swapped = reply(client, gateway, "2", token=TOKENS[other])
    settings.SMS_REPLY_TOKENS = {other: TOKENS[other]}
    unconfigured = reply(client, gateway, "2", token=TOKENS[gateway])

    booking.refresh_from_db()
    assert (wrong.status_code, swapped.status_code, unconfigured.status_code) == (403, 403, 404)
    assert wrong.json() != ACCEPTED[gateway]
    assert (booking.state, state_of_everything()) == (BookingState.BOOKED, before)


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_a_reply_that_is_neither_1_nor_2_is_logged_masked_and_ignored(client, service, gateway, caplog):
    booking, _reminder = reminded(service)
    before = state_of_everything()

    with caplog.at_level(logging.INFO, logger="appointments.sms_replies"):
        answer = reply(client, gateway, "好的，谢谢")

    assert (answer.status_code, state_of_everything()) == (200, before)
    assert "138****8000" in caplog.text and "13800138000" not in caplog.text


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_a_reply_from_a_mobile_with_no_reminder_is_ignored(client, service, gateway):
    booking, _reminder = reminded(service)
    before = state_of_everything()

    answer = reply(client, gateway, "2", phone="13700137000")

    booking.refresh_from_db()
    assert (answer.status_code, booking.state, state_of_everything()) == (200, BookingState.BOOKED, before)


def test_a_reply_after_the_window_does_not_cancel_a_missed_booking(client, service, monkeypatch):
    booking, _reminder = reminded(service)
    monkeypatch.setattr(sms_reply_views, "clock", lambda: booking.slot.end + dt.timedelta(minutes=1))

    reply(client, "tencent", "2")

    booking.refresh_from_db()
    assert booking.state == BookingState.BOOKED  # the no-show rule still sees it


def test_a_reply_to_an_old_reminder_is_ignored(client, service):
    booking, _reminder = reminded(service, sent_ago=dt.timedelta(days=3))

    reply(client, "aliyun", "2")

    booking.refresh_from_db()
    assert booking.state == BookingState.BOOKED


@pytest.mark.parametrize(
    ("gateway", "body"),
    [
        ("aliyun", {"phone_number": "13800138000"}),  # not the batch array
        ("tencent", [{"mobile": "13800138000"}]),
        ("tencent", {"mobile": "13800138000", "nationcode": "86", "text": "2", "time": "soon"}),
        ("tencent", {"mobile": "not a number", "nationcode": "86", "text": "2", "time": 1}),
    ],
)
def test_a_malformed_callback_is_refused_in_the_gateways_terms(client, service, gateway, body):
    booking, _reminder = reminded(service)

    answer = reply(client, gateway, "", body=body)

    booking.refresh_from_db()
    assert (answer.status_code, booking.state) == (400, BookingState.BOOKED)
    assert answer.json() in ({"code": 1, "msg": "refused"}, {"result": 1, "errmsg": "refused"})


def test_a_bad_item_does_not_refuse_the_rest_of_an_aliyun_batch(client, service):
    booking, _reminder = reminded(service)
    good = sample("aliyun", "2")

    answer = reply(client, "aliyun", "", body=[{"phone_number": "x", "send_time": "never"}, *good])

    booking.refresh_from_db()
    assert (answer.status_code, booking.state) == (200, BookingState.CANCELLED)


@pytest.mark.parametrize(
    ("text", "means"),
    [("1", "confirm"), ("１", "confirm"), ("1。", "confirm"), ("确认", "confirm"), (" 2 ", "cancel")]
    + [("取消", "cancel"), ("12", None), ("", None), ("好的", None), ("3", None)],
)
def test_what_a_reply_means(text, means):
    assert meaning(text) == means


def test_the_reply_offer_costs_the_day_before_reminder_one_part_more_and_the_other_nothing():
    """docs/sms-replies.md: with replies set up, the day-before reminder takes 3 parts in Chinese (2
    without) and 2 in English (1 without); the reminder two hours before still takes one."""
    from notifications.timing import segments
    from tests.notifications.test_sms_length import EN, SMS, ZH

    zh_hint, en_hint = " 回复1确认，2取消。", " Reply 1 to confirm, 2 to cancel."
    day_before = next(e for e in SMS if e.msgid.startswith("[%(hall)s] Reminder: %(service)s"))
    soon = next(e for e in SMS if e.msgid.startswith("[%(hall)s] Today %(start)s"))

    assert (segments(day_before.msgstr % ZH + zh_hint), segments(day_before.msgid % EN + en_hint)) == (3, 2)
    assert (segments(soon.msgstr % ZH + zh_hint), segments(soon.msgid % EN + en_hint)) == (1, 1)
