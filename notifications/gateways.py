"""HTTP SMS gateways: Alibaba Cloud SMS (Dysmsapi SendSms) and Tencent Cloud SMS (SendSms, API 3.0).

Each can also be asked whether it took a message whose sending attempt ended unanswered (the worker died):
Alibaba's QuerySendDetails lists what was sent to a number on a day, with our OutId; Tencent's
PullSmsSendStatusByPhoneNumber lists the delivery reports for a number, with our SessionContext.

Both need a template approved in the provider's console. Each message kind maps to a template code
(settings.SMS_TEMPLATES, with a "default"); the rendered text goes in as the template's one variable
(`${content}` at Alibaba, {1} at Tencent). Only the standard library is used (urllib), so that no HTTP
client becomes a dependency for two POST requests.
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from notifications.sms import Backend, Fate, Message, PermanentError, SmsError, TemporaryError

log = logging.getLogger(__name__)


def template_for(kind: str) -> str:
    templates = settings.SMS_TEMPLATES
    template = templates.get(kind) or templates.get("default")
    if not template:
        raise ImproperlyConfigured(f"SMS_TEMPLATES has no template for {kind!r} and no 'default'")
    return template


def _post(url: str, body: bytes, headers: dict) -> tuple[int, bytes]:
    """POST and return (status, body); network failures are temporary errors."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=settings.SMS_HTTP_TIMEOUT) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise TemporaryError(f"gateway unreachable: {type(error).__name__}") from error


def _json(status: int, body: bytes) -> dict:
    if status >= 500 or status == 429:
        raise TemporaryError(f"gateway answered HTTP {status}", code=str(status))
    try:
        data = json.loads(body)
    except ValueError:
        raise TemporaryError(f"gateway answered HTTP {status} without JSON", code=str(status)) from None
    if not isinstance(data, dict):
        raise TemporaryError(f"gateway answered HTTP {status} with unexpected JSON", code=str(status))
    return data


# Codes that mean "this message can never go out"; every other code (throttling, balance, signature or
# template configuration, system errors) may succeed later or once an administrator fixes the account.
ALIYUN_PERMANENT = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.INVALID_JSON_PARAM",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
    }
)


def aliyun_percent_encode(value: str) -> str:
    """RFC 3986 encoding of UTF-8 as Alibaba's RPC signature wants it: only A-Z a-z 0-9 - _ . ~ stay,
    a space is %20 and * is %2A."""
    return urllib.parse.quote(value, safe="~")


def aliyun_string_to_sign(method: str, params: dict[str, str]) -> str:
    canonical = "&".join(
        f"{aliyun_percent_encode(k)}={aliyun_percent_encode(v)}" for k, v in sorted(params.items())
    )
    return f"{method}&{aliyun_percent_encode('/')}&{aliyun_percent_encode(canonical)}"


def aliyun_signature(secret: str, method: str, params: dict[str, str]) -> str:
    """HMAC-SHA1 of the string to sign under "<AccessKeySecret>&", base64-encoded."""
    digest = hmac.new(
        f"{secret}&".encode(), aliyun_string_to_sign(method, params).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


def aliyun_phone(phone) -> str:
    """Mainland numbers as 11 digits, others as country code + number (no +)."""
    if phone.country_code == 86:
        return str(phone.national_number)
    return f"{phone.country_code}{phone.national_number}"


class AliyunBackend(Backend):
    def __init__(self):
        self.url = settings.SMS_ALIYUN_URL
        self.key_id = settings.SMS_ALIYUN_ACCESS_KEY_ID
        self.secret = settings.SMS_ALIYUN_ACCESS_KEY_SECRET
        self.sign_name = settings.SMS_SIGN_NAME
        if not (self.key_id and self.secret and self.sign_name):
            raise ImproperlyConfigured(
                "SMS_BACKEND=aliyun needs SMS_ALIYUN_ACCESS_KEY_ID, _SECRET, SMS_SIGN_NAME"
            )

    def common(self, *, now: dt.datetime, nonce: str) -> dict[str, str]:
        return {
            "AccessKeyId": self.key_id,
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce,
            "SignatureVersion": "1.0",
            "Timestamp": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }

    def params(self, message: Message, *, now: dt.datetime, nonce: str) -> dict[str, str]:
        return {
            **self.common(now=now, nonce=nonce),
            "Action": "SendSms",
            "OutId": message.reference,
            "PhoneNumbers": aliyun_phone(message.phone),
            "SignName": self.sign_name,
            "TemplateCode": template_for(message.kind),
            "TemplateParam": json.dumps({"content": message.text}, ensure_ascii=False),
        }

    def call(self, params: dict[str, str]) -> dict:
        """POST signed parameters; the JSON answer, or TemporaryError when there is none."""
        params = {**params, "Signature": aliyun_signature(self.secret, "POST", params)}
        body = "&".join(f"{aliyun_percent_encode(k)}={aliyun_percent_encode(v)}" for k, v in params.items())
        status, raw = _post(
            self.url,
            body.encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Accept": "application/json",
            },
        )
        return _json(status, raw)

    def send(self, message: Message) -> str:
        data = self.call(self.params(message, now=dt.datetime.now(dt.UTC), nonce=str(uuid.uuid4())))
        code = str(data.get("Code", ""))
        if code == "OK":
            return str(data.get("BizId", ""))
        error = PermanentError if code in ALIYUN_PERMANENT else TemporaryError
        raise error(f"Alibaba Cloud SMS refused: {code}", code=code)

    def lookup(self, message: Message, *, since: dt.datetime) -> Fate:
        """Search the number's send records of the day(s) the attempt ran on for our OutId. Alibaba lists
        a message from the moment it takes it (SendStatus 1, waiting for the receipt), so one that is
        not listed was not taken."""
        until = since + dt.timedelta(seconds=settings.NOTIFY_SENDING_TIMEOUT)
        try:
            for day in aliyun_send_dates(since, until):
                for page in range(1, ALIYUN_MAX_PAGES + 1):
                    data = self.call(self.query(message, day=day, page=page))
                    fate, more = aliyun_page_fate(data, message.reference, page=page)
                    if fate is not None:
                        return fate
                    if not more:
                        break
                else:
                    return Fate.unknown(f"more than {ALIYUN_MAX_PAGES} pages of messages on {day}")
        except SmsError as error:
            return Fate.no_answer(f"QuerySendDetails: {error}")
        return Fate.not_taken("not in QuerySendDetails")

    def query(self, message: Message, *, day: str, page: int) -> dict[str, str]:
        return {
            **self.common(now=dt.datetime.now(dt.UTC), nonce=str(uuid.uuid4())),
            "Action": "QuerySendDetails",
            "PhoneNumber": aliyun_phone(message.phone),
            "SendDate": day,
            "PageSize": str(ALIYUN_PAGE_SIZE),
            "CurrentPage": str(page),
        }


CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")
ALIYUN_PAGE_SIZE = 50  # the most QuerySendDetails allows
ALIYUN_MAX_PAGES = 10


def aliyun_send_dates(since: dt.datetime, until: dt.datetime) -> list[str]:
    """SendDate (yyyyMMdd, China time) of each day the attempt may have reached the gateway on."""
    return sorted({moment.astimezone(CHINA).strftime("%Y%m%d") for moment in (since, until)})


def aliyun_page_fate(data: dict, reference: str, *, page: int) -> tuple[Fate | None, bool]:
    """One page of QuerySendDetails: (a fate if our OutId is on it, whether more pages follow).
    Raises TemporaryError for an answer that is not a list of records."""
    code = str(data.get("Code", ""))
    if code != "OK":
        raise TemporaryError(f"Alibaba Cloud SMS refused the query: {code}", code=code)
    wrapper = data.get("SmsSendDetailDTOs") or {}
    details = wrapper.get("SmsSendDetailDTO") or [] if isinstance(wrapper, dict) else None
    if not isinstance(details, list):
        raise TemporaryError("QuerySendDetails answered without a list of records")
    for record in details:
        if isinstance(record, dict) and record.get("OutId") == reference:
            # QuerySendDetails carries no BizId; the OutId (the row's idempotency key) names the message.
            status = f"SendStatus {record.get('SendStatus')} {record.get('ErrCode') or ''}".strip()
            return Fate.taken("", detail=status), False
    try:
        total = int(data.get("TotalCount") or 0)
    except (TypeError, ValueError):
        raise TemporaryError("QuerySendDetails answered without a TotalCount") from None
    return None, bool(details) and page * ALIYUN_PAGE_SIZE < total


TENCENT_VERSION = "2021-01-11"
TENCENT_PERMANENT = frozenset(
    {
        "FailedOperation.PhoneNumberInBlacklist",
        "FailedOperation.ContainSensitiveWord",
        "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
        "InvalidParameterValue.IncorrectPhoneNumber",
        "InvalidParameterValue.ContentLengthLimit",
        "InvalidParameterValue.TemplateParameterFormatError",
        "InvalidParameterValue.TemplateParameterLengthLimit",
        "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
        "UnsupportedOperation.UnsupportedRegion",
    }
)


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac_sha256(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def tc3_authorization(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    host: str,
    payload: bytes,
    timestamp: int,
    content_type: str = "application/json; charset=utf-8",
) -> str:
    """TC3-HMAC-SHA256 over POST / with the content-type and host headers signed."""
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            _sha256_hex(payload),
        ]
    )
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, _sha256_hex(canonical_request.encode())]
    )
    signing_key = _hmac_sha256(
        _hmac_sha256(_hmac_sha256(f"TC3{secret_key}".encode(), date), service), "tc3_request"
    )
    signature = hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


class TencentBackend(Backend):
    def __init__(self):
        self.url = settings.SMS_TENCENT_URL
        self.host = urllib.parse.urlsplit(self.url).netloc
        self.secret_id = settings.SMS_TENCENT_SECRET_ID
        self.secret_key = settings.SMS_TENCENT_SECRET_KEY
        self.app_id = settings.SMS_TENCENT_SDK_APP_ID
        self.region = settings.SMS_TENCENT_REGION
        self.sign_name = settings.SMS_SIGN_NAME
        if not (self.secret_id and self.secret_key and self.app_id and self.sign_name):
            raise ImproperlyConfigured(
                "SMS_BACKEND=tencent needs SMS_TENCENT_SECRET_ID, _SECRET_KEY, _SDK_APP_ID, SMS_SIGN_NAME"
            )

    def payload(self, message: Message) -> bytes:
        return json.dumps(
            {
                "PhoneNumberSet": [f"+{message.phone.country_code}{message.phone.national_number}"],
                "SmsSdkAppId": self.app_id,
                "SignName": self.sign_name,
                "TemplateId": template_for(message.kind),
                "TemplateParamSet": [message.text],
                "SessionContext": message.reference,
            },
            ensure_ascii=False,
        ).encode()

    def headers(self, payload: bytes, timestamp: int, action: str = "SendSms") -> dict:
        return {
            "Authorization": tc3_authorization(
                secret_id=self.secret_id,
                secret_key=self.secret_key,
                service="sms",
                host=self.host,
                payload=payload,
                timestamp=timestamp,
            ),
            "Content-Type": "application/json; charset=utf-8",
            "Host": self.host,
            "X-TC-Action": action,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": TENCENT_VERSION,
            "X-TC-Region": self.region,
        }

    def call(self, action: str, payload: bytes) -> dict:
        """POST a signed action; the answer's Response, or TemporaryError when there is none."""
        timestamp = int(dt.datetime.now(dt.UTC).timestamp())
        status, raw = _post(self.url, payload, self.headers(payload, timestamp, action))
        response = _json(status, raw).get("Response")
        if not isinstance(response, dict):
            raise TemporaryError("Tencent Cloud SMS answered without a Response")
        return response

    def send(self, message: Message) -> str:
        response = self.call("SendSms", self.payload(message))
        if "Error" in response:
            self._raise(response["Error"].get("Code", ""))
        statuses = response.get("SendStatusSet") or []
        if not statuses:
            raise TemporaryError("Tencent Cloud SMS answered without a send status")
        first = statuses[0]
        if first.get("Code") != "Ok":
            self._raise(first.get("Code", ""))
        return str(first.get("SerialNo", ""))

    def _raise(self, code: str):
        error = PermanentError if code in TENCENT_PERMANENT else TemporaryError
        raise error(f"Tencent Cloud SMS refused: {code}", code=code)

    def lookup(self, message: Message, *, since: dt.datetime) -> Fate:
        """Look for our SessionContext among the number's delivery reports since the attempt began."""
        now = dt.datetime.now(dt.UTC)
        payload = {
            "BeginTime": int((since - TENCENT_CLOCK_MARGIN).timestamp()),
            "EndTime": int(now.timestamp()),
            "Offset": 0,  # "currently fixed at 0"
            "Limit": TENCENT_PULL_LIMIT,
            "PhoneNumber": f"+{message.phone.country_code}{message.phone.national_number}",
            "SmsSdkAppId": self.app_id,
        }
        try:
            response = self.call("PullSmsSendStatusByPhoneNumber", json.dumps(payload).encode())
        except SmsError as error:
            return Fate.no_answer(f"PullSmsSendStatusByPhoneNumber: {error}")
        return tencent_pull_fate(response, message.reference)


TENCENT_CLOCK_MARGIN = dt.timedelta(minutes=5)  # our clock and Tencent's may differ a little
TENCENT_PULL_LIMIT = 100  # the most the pull allows


def tencent_pull_fate(response: dict, reference: str) -> Fate:
    """Tencent lists delivery reports only: a message it took whose report has not come back yet is not
    there, so absence cannot tell (the sweeper's patience decides, docs/notifications.md)."""
    if "Error" in response:
        code = (response["Error"] or {}).get("Code", "")
        return Fate.no_answer(f"PullSmsSendStatusByPhoneNumber refused: {code}")
    reports = response.get("PullSmsSendStatusSet")
    if not isinstance(reports, list):
        return Fate.no_answer("PullSmsSendStatusByPhoneNumber answered without a list of reports")
    for report in reports:
        if isinstance(report, dict) and report.get("SessionContext") == reference:
            detail = f"ReportStatus {report.get('ReportStatus')} {report.get('Description') or ''}".strip()
            return Fate.taken(str(report.get("SerialNo", "")), detail=detail)
    return Fate.unknown("no delivery report for it yet")
