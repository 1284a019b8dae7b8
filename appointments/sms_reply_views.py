"""The gateways' callbacks for replies to reminders (docs/sms-replies.md): Aliyun's SmsUp HTTP batch push
and Tencent Cloud's SMS reply callback, each at its own address with a secret token in the path.

Neither gateway signs these callbacks, so the check is what a gateway can carry: the token configured in
its callback address (SMS_REPLY_TOKENS, one per gateway), compared in constant time. A wrong token is
answered 403 and changes nothing; a gateway without a token has no endpoint (404).
"""

import datetime as dt
import hmac
import json
import logging
import zoneinfo

import phonenumbers
from django.conf import settings
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from appointments.sms_replies import Reply, handle
from hall.net import client_ip

log = logging.getLogger(__name__)

CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")  # Aliyun's send_time has no zone: it is Beijing time
ANSWERS = {  # what each gateway expects back: (accepted, refused)
    "aliyun": ({"code": 0, "msg": "接收成功"}, {"code": 1, "msg": "refused"}),
    "tencent": ({"result": 0, "errmsg": "OK"}, {"result": 1, "errmsg": "refused"}),
}


class BadCallback(ValueError):
    pass


def _phone(number: str, region_or_code: str = "CN"):
    text = str(number or "").strip()
    try:
        if region_or_code.isdigit():
            parsed = phonenumbers.parse(f"+{region_or_code}{text}")
        else:
            parsed = phonenumbers.parse(text, region_or_code)
    except phonenumbers.NumberParseException as error:
        raise BadCallback("not a phone number") from error
    if not phonenumbers.is_valid_number(parsed):
        raise BadCallback("not a valid phone number")
    return parsed


def _aliyun_time(text: str) -> dt.datetime:
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S"):
        try:
            return dt.datetime.strptime(str(text), pattern).replace(tzinfo=CHINA)
        except ValueError:
            continue
    raise BadCallback("send_time")


def parse_aliyun(body) -> list[Reply]:
    """[{"phone_number", "content", "send_time", "dest_code", "sign_name", "sequence_id"}, …]"""
    if not isinstance(body, list):
        raise BadCallback("a JSON array is expected")
    replies = []
    for item in body:  # one bad item does not refuse the batch: Aliyun would push the good ones again
        try:
            if not isinstance(item, dict):
                raise BadCallback("not an object")
            phone, at = _phone(item.get("phone_number")), _aliyun_time(item.get("send_time"))
        except BadCallback as error:
            log.warning("an Aliyun SmsUp item was skipped: %s", error)
            continue
        replies.append(Reply("aliyun", phone, str(item.get("content") or ""), at))
    return replies


def parse_tencent(body) -> list[Reply]:
    """{"mobile", "nationcode", "text", "time" (Unix seconds), "sign", "extend"}"""
    if not isinstance(body, dict):
        raise BadCallback("a JSON object is expected")
    moment = body.get("time", body.get("reply_time"))
    if not isinstance(moment, int | float) or isinstance(moment, bool):
        raise BadCallback("time")
    phone = _phone(body.get("mobile"), str(body.get("nationcode") or "86"))
    return [Reply("tencent", phone, str(body.get("text") or ""), dt.datetime.fromtimestamp(moment, dt.UTC))]


PARSERS = {"aliyun": parse_aliyun, "tencent": parse_tencent}


def clock() -> dt.datetime:
    """The endpoint's time (a function, so that tests can set the evening a reminder went out)."""
    return timezone.now()


@csrf_exempt
@require_POST
def sms_reply(request, gateway: str, token: str):
    expected = settings.SMS_REPLY_TOKENS.get(gateway, "")
    if gateway not in PARSERS or not expected:
        raise Http404
    accepted, refused = ANSWERS[gateway]
    if not hmac.compare_digest(token.encode(), expected.encode()):
        log.warning("SMS reply callback for %s refused from %s: wrong token", gateway, client_ip(request))
        return JsonResponse(refused, status=403)
    try:
        replies = PARSERS[gateway](json.loads(request.body))
    except (ValueError, UnicodeDecodeError) as error:  # BadCallback and JSONDecodeError are ValueErrors
        log.warning("SMS reply callback for %s refused: %s", gateway, error)
        return JsonResponse(refused, status=400)
    now = clock()
    for reply in replies:
        handle(reply, now=now)
    return JsonResponse(accepted, json_dumps_params={"ensure_ascii": False})
