"""HTTP SMS gateways: Alibaba Cloud SMS (Dysmsapi SendSms) and Tencent Cloud SMS (SendSms, API 3.0).

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

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from notifications.sms import Backend, Message, PermanentError, TemporaryError

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

    def params(self, message: Message, *, now: dt.datetime, nonce: str) -> dict[str, str]:
        return {
            "AccessKeyId": self.key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": message.reference,
            "PhoneNumbers": aliyun_phone(message.phone),
            "RegionId": "cn-hangzhou",
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce,
            "SignatureVersion": "1.0",
            "TemplateCode": template_for(message.kind),
            "TemplateParam": json.dumps({"content": message.text}, ensure_ascii=False),
            "Timestamp": now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }

    def send(self, message: Message) -> str:
        params = self.params(message, now=dt.datetime.now(dt.UTC), nonce=str(uuid.uuid4()))
        params["Signature"] = aliyun_signature(self.secret, "POST", params)
        body = "&".join(f"{aliyun_percent_encode(k)}={aliyun_percent_encode(v)}" for k, v in params.items())
        status, raw = _post(
            self.url,
            body.encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Accept": "application/json",
            },
        )
        data = _json(status, raw)
        code = str(data.get("Code", ""))
        if code == "OK":
            return str(data.get("BizId", ""))
        error = PermanentError if code in ALIYUN_PERMANENT else TemporaryError
        raise error(f"Alibaba Cloud SMS refused: {code}", code=code)


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

    def headers(self, payload: bytes, timestamp: int) -> dict:
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
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": TENCENT_VERSION,
            "X-TC-Region": self.region,
        }

    def send(self, message: Message) -> str:
        payload = self.payload(message)
        timestamp = int(dt.datetime.now(dt.UTC).timestamp())
        status, raw = _post(self.url, payload, self.headers(payload, timestamp))
        response = _json(status, raw).get("Response") or {}
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
