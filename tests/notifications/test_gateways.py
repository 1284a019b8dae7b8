"""Alibaba Cloud and Tencent Cloud SMS against the providers' documented signature examples, and against a
local fake gateway (127.0.0.1, tests/notifications/fakegateway.py) that checks each request's signature the
way the provider describes it, with its own code, and answers success, 5xx or a permanent error."""

import datetime as dt
import json
import urllib.parse

import phonenumbers
import pytest

from notifications import delivery, gateways, sms
from notifications.models import Kind, Notification, State
from tests.makers import make_hall
from tests.notifications.fakegateway import tencent_error, tencent_status

PHONE = phonenumbers.parse("13800138000", "CN")


def message(text="【北区户政大厅】提醒：明天09:00", kind=Kind.REMINDER_DAY_BEFORE):
    return sms.Message(
        notification_id=7, phone=PHONE, text=text, kind=kind, language="zh-hans", reference="ref-0007"
    )


def test_aliyun_signature_matches_documented_example():
    # The worked example of Alibaba Cloud's SMS API signature document (testId / testSecret).
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }

    assert gateways.aliyun_string_to_sign("GET", params).startswith(
        "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers"
    )
    assert gateways.aliyun_signature("testSecret", "GET", params) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [("a b", "a%20b"), ("a*b", "a%2Ab"), ("a~b", "a~b"), ("a+b", "a%2Bb"), ("中", "%E4%B8%AD"), ("/", "%2F")],
)
def test_aliyun_percent_encoding(raw, encoded):
    assert gateways.aliyun_percent_encode(raw) == encoded


def test_tencent_tc3_matches_documented_example():
    # The worked example of Tencent Cloud API 3.0's signature document (CVM DescribeInstances).
    payload = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'

    authorization = gateways.tc3_authorization(
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
        secret_key="Gu5t9xGARNpq86cd98joQYCN3*******",
        service="cvm",
        host="cvm.tencentcloudapi.com",
        payload=payload,
        timestamp=1551113065,
    )

    assert authorization == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, "
        "SignedHeaders=content-type;host, "
        "Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
    )


def test_aliyun_send_signed_request_returns_biz_id(aliyun):
    gateway_id = sms.get_backend().send(message())

    params = dict(urllib.parse.parse_qsl(aliyun.bodies[0].decode()))
    assert gateway_id == "biz-1"
    assert {k: params[k] for k in ("Action", "PhoneNumbers", "SignName", "TemplateCode", "OutId")} == {
        "Action": "SendSms",
        "PhoneNumbers": "13800138000",
        "SignName": "户政服务",
        "TemplateCode": "SMS_0002",
        "OutId": "ref-0007",
    }
    assert json.loads(params["TemplateParam"]) == {"content": "【北区户政大厅】提醒：明天09:00"}


def test_aliyun_wrong_secret_is_a_temporary_error(aliyun, settings):
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "not-the-secret"

    with pytest.raises(sms.TemporaryError) as error:
        sms.get_backend().send(message())

    assert error.value.code == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    ("reply", "error_class", "code"),
    [
        ((500, {"Code": "isp.SYSTEM_ERROR"}), sms.TemporaryError, "500"),
        ((503, {}), sms.TemporaryError, "503"),
        ((200, {"Code": "isv.BUSINESS_LIMIT_CONTROL"}), sms.TemporaryError, "isv.BUSINESS_LIMIT_CONTROL"),
        ((200, {"Code": "isv.AMOUNT_NOT_ENOUGH"}), sms.TemporaryError, "isv.AMOUNT_NOT_ENOUGH"),
        ((200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL"}), sms.PermanentError, "isv.MOBILE_NUMBER_ILLEGAL"),
        ((200, {"Code": "isv.BLACK_KEY_CONTROL_LIMIT"}), sms.PermanentError, "isv.BLACK_KEY_CONTROL_LIMIT"),
    ],
)
def test_aliyun_errors_say_whether_a_retry_helps(aliyun, reply, error_class, code):
    aliyun.replies.append(reply)

    with pytest.raises(sms.SmsError) as error:
        sms.get_backend().send(message())

    assert (type(error.value), error.value.code) == (error_class, code)


def test_gateway_unreachable_is_a_temporary_error(settings):
    settings.SMS_BACKEND = "aliyun"
    settings.SMS_ALIYUN_URL = "http://127.0.0.1:9/"  # discard port: connection refused
    settings.SMS_ALIYUN_ACCESS_KEY_ID, settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "id", "secret"
    settings.SMS_SIGN_NAME, settings.SMS_TEMPLATES = "户政服务", {"default": "SMS_0001"}

    with pytest.raises(sms.TemporaryError):
        sms.get_backend().send(message())


def test_tencent_send_signed_request_returns_serial_number(tencent):
    gateway_id = sms.get_backend().send(message())

    headers, body = tencent.requests[0]
    assert gateway_id == "serial-1"
    assert (headers["X-TC-Action"], headers["X-TC-Region"]) == ("SendSms", "ap-guangzhou")
    assert json.loads(body) == {
        "PhoneNumberSet": ["+8613800138000"],
        "SmsSdkAppId": "1400000000",
        "SignName": "户政服务",
        "TemplateId": "100001",
        "TemplateParamSet": ["【北区户政大厅】提醒：明天09:00"],
        "SessionContext": "ref-0007",
    }


def test_tencent_wrong_secret_is_a_temporary_error(tencent, settings):
    settings.SMS_TENCENT_SECRET_KEY = "not-the-secret"

    with pytest.raises(sms.TemporaryError) as error:
        sms.get_backend().send(message())

    assert error.value.code == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize(
    ("reply", "error_class", "code"),
    [
        ((502, {}), sms.TemporaryError, "502"),
        (tencent_error("InternalError.Timeout"), sms.TemporaryError, "InternalError.Timeout"),
        (tencent_error("RequestLimitExceeded"), sms.TemporaryError, "RequestLimitExceeded"),
        (
            tencent_status("LimitExceeded.PhoneNumberThirtySecondLimit"),
            sms.TemporaryError,
            "LimitExceeded.PhoneNumberThirtySecondLimit",
        ),
        (
            tencent_status("FailedOperation.PhoneNumberInBlacklist"),
            sms.PermanentError,
            "FailedOperation.PhoneNumberInBlacklist",
        ),
        (
            tencent_error("InvalidParameterValue.IncorrectPhoneNumber"),
            sms.PermanentError,
            "InvalidParameterValue.IncorrectPhoneNumber",
        ),
    ],
)
def test_tencent_errors_say_whether_a_retry_helps(tencent, reply, error_class, code):
    tencent.replies.append(reply)

    with pytest.raises(sms.SmsError) as error:
        sms.get_backend().send(message())

    assert (type(error.value), error.value.code) == (error_class, code)


def make_row(**fields):
    return Notification.objects.create(
        hall=make_hall(),
        kind=Kind.BOOKING_CONFIRMED,
        subject_type="booking",
        subject_id=1,
        phone=PHONE,
        text="【北区户政大厅】已预约",
        next_attempt_at=dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC),
        **fields,
    )


@pytest.mark.django_db
def test_three_500s_then_200_sent_once_after_four_attempts(aliyun, django_capture_on_commit_callbacks):
    aliyun.replies += [(500, {"Code": "isp.SYSTEM_ERROR"})] * 3
    row = make_row()
    t0 = row.next_attempt_at
    outcomes, times = [], []

    with django_capture_on_commit_callbacks() as retries:
        for minutes in (0, 1, 3, 7):  # back-off: 1, 2 then 4 minutes
            outcomes.append(delivery.deliver(row.pk, now=t0 + dt.timedelta(minutes=minutes)))
            row.refresh_from_db()
            times.append(row.next_attempt_at - t0)

    assert outcomes == [State.QUEUED, State.QUEUED, State.QUEUED, State.SENT]
    assert times[:3] == [dt.timedelta(minutes=m) for m in (1, 3, 7)]
    # biz-1: the first message the gateway took
    assert (row.state, row.attempts, row.gateway_id, row.last_error) == (State.SENT, 4, "biz-1", "")
    assert len(aliyun.requests) == 4
    assert len(retries) == 3  # each back-off was handed to RQ's scheduler after commit


@pytest.mark.django_db
def test_a_retry_before_its_time_sends_nothing(aliyun):
    aliyun.replies.append((500, {}))
    row = make_row()
    delivery.deliver(row.pk, now=row.next_attempt_at)

    outcome = delivery.deliver(row.pk, now=row.next_attempt_at + dt.timedelta(seconds=59))

    assert (outcome, len(aliyun.requests)) == (None, 1)


@pytest.mark.django_db
def test_permanent_error_refused_and_never_retried(tencent):
    tencent.replies.append(tencent_error("InvalidParameterValue.IncorrectPhoneNumber"))
    row = make_row()
    later = row.next_attempt_at + dt.timedelta(days=1)

    outcomes = [delivery.deliver(row.pk, now=row.next_attempt_at), delivery.deliver(row.pk, now=later)]

    row.refresh_from_db()
    assert outcomes == [State.REFUSED, None]
    assert (row.state, row.attempts, len(tencent.requests)) == (State.REFUSED, 1, 1)
    assert row.last_error == "Tencent Cloud SMS refused: InvalidParameterValue.IncorrectPhoneNumber"


@pytest.mark.django_db
def test_temporary_errors_fail_after_max_attempts(aliyun, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    aliyun.replies += [(500, {})] * 5
    row = make_row()
    t0 = row.next_attempt_at

    outcomes = [delivery.deliver(row.pk, now=t0 + dt.timedelta(minutes=m)) for m in (0, 1, 3, 7)]

    row.refresh_from_db()
    assert outcomes == [State.QUEUED, State.QUEUED, State.FAILED, None]
    assert (row.state, row.attempts, len(aliyun.requests)) == (State.FAILED, 3, 3)
