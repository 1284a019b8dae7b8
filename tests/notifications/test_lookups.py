"""Asking a backend what became of a message whose worker died mid-send: each backend's answer, and the
parsing of Alibaba's QuerySendDetails and Tencent's PullSmsSendStatusByPhoneNumber, errors included."""

import datetime as dt
import json
import urllib.parse

import phonenumbers
import pytest

from notifications import gateways, sms
from notifications.sms import Answer, Fate
from tests.notifications.fakegateway import CHINA, tencent_error

PHONE = phonenumbers.parse("13800138000", "CN")
OTHER_PHONE = phonenumbers.parse("13900139000", "CN")
NO_REPORT = "no delivery report for it yet"


def message(reference="ref-0007", phone=PHONE):
    return sms.Message(
        notification_id=7, phone=phone, text="【北区户政大厅】已预约", kind="booking_confirmed",
        language="zh-hans", reference=reference,
    )  # fmt: skip


def just_now():
    return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)


def test_memory_backend_finds_a_message_in_its_outbox_by_reference():
    backend = sms.MemoryBackend()
    backend.send(message("ref-a"))
    backend.send(message("ref-b"))

    fates = [backend.lookup(message(ref), since=just_now()) for ref in ("ref-b", "ref-c")]

    assert fates == [Fate.taken("memory-2"), Fate.not_taken()]


@pytest.mark.parametrize("backend", [sms.ConsoleBackend(), sms.DatabaseBackend()])
def test_local_backends_that_deliver_nothing_answer_not_taken(backend):
    assert backend.lookup(message(), since=just_now()).answer == Answer.NOT_TAKEN


def test_a_backend_without_lookup_cannot_tell():
    class Plain(sms.Backend):
        def send(self, message):
            return "x"

    fate = Plain().lookup(message(), since=just_now())

    assert (fate.answer, fate.answered) == (Answer.UNKNOWN, True)


# Alibaba Cloud: QuerySendDetails


def aliyun_query_params(aliyun) -> list[dict]:
    return [dict(urllib.parse.parse_qsl(body.decode())) for body in aliyun.queries]


def test_aliyun_lookup_finds_a_message_it_took_by_out_id(aliyun):
    backend = sms.get_backend()
    since = just_now()
    backend.send(message("ref-other"))
    backend.send(message("ref-0007"))

    fate = backend.lookup(message("ref-0007"), since=since)

    query = aliyun_query_params(aliyun)[0]
    assert fate == Fate.taken("", detail="SendStatus 3 DELIVERED")
    assert {k: query[k] for k in ("Action", "PhoneNumber", "SendDate", "PageSize", "CurrentPage")} == {
        "Action": "QuerySendDetails",
        "PhoneNumber": "13800138000",
        "SendDate": since.astimezone(CHINA).strftime("%Y%m%d"),
        "PageSize": "50",
        "CurrentPage": "1",
    }


def test_aliyun_lookup_of_a_message_it_never_took_is_not_taken(aliyun):
    backend = sms.get_backend()
    backend.send(message("ref-other"))
    backend.send(message("ref-0007", phone=OTHER_PHONE))  # same reference, another number

    fate = backend.lookup(message("ref-0007"), since=just_now())

    assert fate.answer == Answer.NOT_TAKEN


def test_aliyun_lookup_reads_every_page(aliyun):
    backend = sms.get_backend()
    for n in range(60):
        backend.send(message(f"ref-{n:04}"))

    fate = backend.lookup(message("ref-0055"), since=just_now())

    pages = [params["CurrentPage"] for params in aliyun_query_params(aliyun)]
    assert (fate.answer, pages) == (Answer.TAKEN, ["1", "2"])


def test_aliyun_lookup_asks_both_days_when_the_attempt_spans_midnight(aliyun, settings):
    settings.NOTIFY_SENDING_TIMEOUT = 120
    since = dt.datetime(2026, 12, 6, 23, 59, 30, tzinfo=CHINA)

    fate = sms.get_backend().lookup(message(), since=since)

    days = [params["SendDate"] for params in aliyun_query_params(aliyun)]
    assert (fate.answer, days) == (Answer.NOT_TAKEN, ["20261206", "20261207"])


@pytest.mark.parametrize(
    ("reply", "detail"),
    [
        ((500, {"Code": "isp.SYSTEM_ERROR"}), "QuerySendDetails: gateway answered HTTP 500"),
        ((200, {"Code": "isv.BUSINESS_LIMIT_CONTROL"}), "refused the query: isv.BUSINESS_LIMIT_CONTROL"),
        ((403, {"Code": "Forbidden.RAM"}), "refused the query: Forbidden.RAM"),  # no dysms:QuerySendDetails
        ((200, {"Code": "OK", "SmsSendDetailDTOs": {"SmsSendDetailDTO": "x"}}), "without a list of records"),
        ((200, {"Code": "OK", "SmsSendDetailDTOs": ["x"]}), "without a list of records"),
        ((200, {"Code": "OK", "TotalCount": "many"}), "without a TotalCount"),
    ],
)
def test_aliyun_lookup_errors_cannot_tell(aliyun, reply, detail):
    aliyun.query_replies.append(reply)

    fate = sms.get_backend().lookup(message(), since=just_now())

    assert (fate.answer, fate.answered) == (Answer.UNKNOWN, False)
    assert detail in fate.detail


def test_aliyun_lookup_gateway_unreachable_cannot_tell(settings):
    settings.SMS_BACKEND = "aliyun"
    settings.SMS_ALIYUN_URL = "http://127.0.0.1:9/"  # discard port: connection refused
    settings.SMS_ALIYUN_ACCESS_KEY_ID, settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "id", "secret"
    settings.SMS_SIGN_NAME, settings.SMS_TEMPLATES = "户政服务", {"default": "SMS_0001"}

    fate = sms.get_backend().lookup(message(), since=just_now())

    assert (fate.answer, fate.answered) == (Answer.UNKNOWN, False)


def aliyun_page(details, total):
    return {"Code": "OK", "TotalCount": str(total), "SmsSendDetailDTOs": {"SmsSendDetailDTO": details}}


@pytest.mark.parametrize(
    ("data", "page", "expected"),
    [
        (aliyun_page([{"OutId": "ref", "SendStatus": 1}], 1), 1, (Fate.taken("", "SendStatus 1"), False)),
        (
            aliyun_page([{"OutId": "ref", "SendStatus": 2, "ErrCode": "MK:0001"}], 1),
            1,
            (Fate.taken("", "SendStatus 2 MK:0001"), False),  # taken, then the carrier failed it
        ),
        (aliyun_page([{"OutId": "other"}] * 50, 51), 1, (None, True)),
        (aliyun_page([{"OutId": "other"}], 51), 2, (None, False)),
        (aliyun_page([], 0), 1, (None, False)),
        ({"Code": "OK", "TotalCount": 0}, 1, (None, False)),  # no SmsSendDetailDTOs at all
    ],
)
def test_aliyun_page_fate(data, page, expected):
    assert gateways.aliyun_page_fate(data, "ref", page=page) == expected


# Tencent Cloud: PullSmsSendStatusByPhoneNumber


def test_tencent_lookup_finds_a_message_it_took_by_session_context(tencent, settings):
    backend = sms.get_backend()
    since = just_now()
    backend.send(message("ref-other"))
    backend.send(message("ref-0007"))

    fate = backend.lookup(message("ref-0007"), since=since)

    headers, body = tencent.requests[-1]
    pull = json.loads(body)
    assert fate == Fate.taken("serial-2", detail="ReportStatus SUCCESS DELIVRD")
    assert headers["X-TC-Action"] == "PullSmsSendStatusByPhoneNumber"
    assert {k: pull[k] for k in ("Offset", "Limit", "PhoneNumber", "SmsSdkAppId")} == {
        "Offset": 0,
        "Limit": 100,
        "PhoneNumber": "+8613800138000",
        "SmsSdkAppId": "1400000000",
    }
    assert pull["BeginTime"] == int((since - gateways.TENCENT_CLOCK_MARGIN).timestamp())


def test_tencent_lookup_without_a_report_cannot_tell(tencent):
    backend = sms.get_backend()
    backend.send(message("ref-0007"))
    tencent.reports = False  # taken, but the carrier's report has not come back yet

    fate = backend.lookup(message("ref-0007"), since=just_now())

    assert (fate.answer, fate.answered, fate.detail) == (
        Answer.UNKNOWN,
        True,
        "no delivery report for it yet",
    )


@pytest.mark.parametrize(
    "reply",
    [
        (502, {}),
        tencent_error("InternalError.Timeout"),
        tencent_error("UnauthorizedOperation.SmsSdkAppIdVerifyFail"),
        (200, {"Response": {"PullSmsSendStatusSet": None, "RequestId": "r"}}),
        (200, {"Nothing": {}}),
    ],
)
def test_tencent_lookup_errors_cannot_tell(tencent, reply):
    tencent.query_replies.append(reply)

    fate = sms.get_backend().lookup(message(), since=just_now())

    assert (fate.answer, fate.answered) == (Answer.UNKNOWN, False)


@pytest.mark.parametrize(
    ("reports", "expected"),
    [
        (
            [{"SessionContext": "ref", "SerialNo": "5000:1", "ReportStatus": "FAIL", "Description": "MK:1"}],
            Fate.taken("5000:1", "ReportStatus FAIL MK:1"),
        ),
        ([{"SessionContext": "", "SerialNo": "5000:2"}, "junk"], Fate.unknown(NO_REPORT)),
        ([], Fate.unknown(NO_REPORT)),
    ],
)
def test_tencent_pull_fate(reports, expected):
    response = {"PullSmsSendStatusSet": reports, "RequestId": "r"}

    assert gateways.tencent_pull_fate(response, "ref") == expected


def test_tencent_send_carries_the_reference_as_session_context(tencent):
    sms.get_backend().send(message("ref-0007"))

    assert tencent.references() == ["ref-0007"]
