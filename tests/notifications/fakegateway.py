"""Loopback stand-ins for Alibaba Cloud and Tencent Cloud SMS (127.0.0.1, any process can reach them).

Each checks every request's signature with its own implementation of the provider's documented algorithm,
answers queued replies in order and then success, and keeps what it took: every message it accepted, with
our reference (Alibaba OutId, Tencent SessionContext), so that it answers Alibaba's QuerySendDetails and
Tencent's PullSmsSendStatusByPhoneNumber from that record, as the providers do.

`hold` makes the next SendSms wait for `release` (set `held` first), either after the message was taken
("after taking": the worst moment to lose the worker) or before ("before taking": it is then dropped).
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import urllib.parse
import zoneinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ALIYUN_SECRET = "alibaba-secret-for-tests"
TENCENT_SECRET = "tencent-secret-for-tests"
CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")
HOLD_LIMIT_SECONDS = 30
AFTER_TAKING, BEFORE_TAKING = "after taking", "before taking"


def verify_aliyun(headers, body: bytes) -> str | None:
    """The provider's check, written independently: RFC 3986 encoding, sorted, HMAC-SHA1 under secret&."""
    params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
    signature = params.pop("Signature", "")

    def encode(value):
        return urllib.parse.quote_plus(value).replace("+", "%20").replace("*", "%2A").replace("%7E", "~")

    query = "&".join(f"{encode(k)}={encode(params[k])}" for k in sorted(params))
    to_sign = "POST&%2F&" + encode(query)
    expected = base64.b64encode(
        hmac.new((ALIYUN_SECRET + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    ).decode()
    sent_at = dt.datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    if signature != expected or abs(dt.datetime.now(dt.UTC) - sent_at) > dt.timedelta(minutes=15):
        return "SignatureDoesNotMatch"
    if not params.get("SignatureNonce"):
        return "MissingSignatureNonce"
    return None


TENCENT_ACTIONS = ("SendSms", "PullSmsSendStatusByPhoneNumber")


def verify_tencent(headers, body: bytes) -> str | None:
    content_type, host, timestamp = headers["Content-Type"], headers["Host"], headers["X-TC-Timestamp"]
    canonical = f"POST\n/\n\ncontent-type:{content_type}\nhost:{host}\n\ncontent-type;host\n"
    canonical += hashlib.sha256(body).hexdigest()
    date = dt.datetime.fromtimestamp(int(timestamp), dt.UTC).date().isoformat()
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{date}/sms/tc3_request\n"
    to_sign += hashlib.sha256(canonical.encode()).hexdigest()
    key = ("TC3" + TENCENT_SECRET).encode()
    for part in (date, "sms", "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    expected = (
        f"TC3-HMAC-SHA256 Credential=tencent-id/{date}/sms/tc3_request, SignedHeaders=content-type;host, "
    )
    expected += f"Signature={signature}"
    if headers["Authorization"] != expected:
        return "AuthFailure.SignatureFailure"
    if headers["X-TC-Action"] not in TENCENT_ACTIONS or headers["X-TC-Version"] != "2021-01-11":
        return "InvalidAction"
    return None


def tencent_error(code):
    return 200, {"Response": {"Error": {"Code": code, "Message": "refused"}, "RequestId": "r"}}


def tencent_status(code, serial="serial-1"):
    status = {"SerialNo": serial, "PhoneNumber": "+8613800138000", "Code": code, "Message": code}
    return 200, {"Response": {"SendStatusSet": [status], "RequestId": "r"}}


class FakeGateway:
    """Answers queued replies in order, then success; a request with a bad signature gets the provider's
    signature error instead. Queries are answered from `taken`, or from `query_replies` when queued."""

    def __init__(self):
        self.replies: list[tuple[int, dict]] = []
        self.query_replies: list[tuple[int, dict]] = []
        self.requests: list[tuple[dict, bytes]] = []
        self.taken: list[dict] = []  # {"reference", "phone", "id", "at"}
        self.hold: str | None = None
        self.held, self.release = threading.Event(), threading.Event()
        self.lock = threading.Lock()

    def answer(self, headers, body) -> tuple[int, dict]:
        with self.lock:
            self.requests.append((headers, body))
            problem = self.verify(headers, body)
            if problem:
                return self.signature_error(problem)
            if self.is_query(headers, body):
                return self.query_replies.pop(0) if self.query_replies else self.query(headers, body)
            if self.replies:
                return self.replies.pop(0)
            hold, self.hold = self.hold, None
            if hold != BEFORE_TAKING:
                record = self.take(body)
        if hold:
            self.held.set()
            self.release.wait(HOLD_LIMIT_SECONDS)
            if hold == BEFORE_TAKING:
                return 503, {}
        return self.success(record)

    def take(self, body) -> dict:
        reference, phone = self.reference_and_phone(body)
        number = len(self.taken) + 1
        record = {"reference": reference, "phone": phone, "id": self.id_for(number), "at": self.now()}
        self.taken.append(record)
        return record

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def references(self) -> list[str]:
        return [record["reference"] for record in self.taken]

    @property
    def bodies(self):
        return [body for _headers, body in self.requests]

    @property
    def queries(self):
        return [body for headers, body in self.requests if self.is_query(headers, body)]


class AliyunGateway(FakeGateway):
    verify = staticmethod(verify_aliyun)

    @staticmethod
    def params(body) -> dict:
        return dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))

    def is_query(self, headers, body) -> bool:
        return self.params(body).get("Action") == "QuerySendDetails"

    def reference_and_phone(self, body) -> tuple[str, str]:
        params = self.params(body)
        return params["OutId"], params["PhoneNumbers"]

    def id_for(self, number: int) -> str:
        return f"biz-{number}"

    def success(self, record) -> tuple[int, dict]:
        return 200, {"Code": "OK", "Message": "OK", "BizId": record["id"], "RequestId": "r"}

    def signature_error(self, code) -> tuple[int, dict]:
        return 400, {"Code": code, "Message": "bad signature", "RequestId": "r"}

    def query(self, headers, body) -> tuple[int, dict]:
        params = self.params(body)
        size, page = int(params["PageSize"]), int(params["CurrentPage"])
        if not 1 <= size <= 50:
            return 200, {"Code": "isv.INVALID_PARAMETERS", "Message": "PageSize", "RequestId": "r"}
        found = [
            record
            for record in self.taken
            if record["phone"] == params["PhoneNumber"]
            and record["at"].astimezone(CHINA).strftime("%Y%m%d") == params["SendDate"]
        ]
        details = [
            {
                "PhoneNum": record["phone"],
                "SendStatus": 3,
                "ErrCode": "DELIVERED",
                "TemplateCode": "SMS_0001",
                "Content": "【户政服务】…",
                "SendDate": record["at"].astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
                "ReceiveDate": record["at"].astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
                "OutId": record["reference"],
            }
            for record in found[(page - 1) * size : page * size]
        ]
        return 200, {
            "Code": "OK",
            "Message": "OK",
            "RequestId": "r",
            "TotalCount": str(len(found)),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": details},
        }


class TencentGateway(FakeGateway):
    """Its reports (PullSmsSendStatusByPhoneNumber) list what it took once `reports` is True, as after the
    carriers' delivery reports have come back; False stands for a message whose report is late."""

    verify = staticmethod(verify_tencent)
    reports = True

    def is_query(self, headers, body) -> bool:
        return headers["X-TC-Action"] == "PullSmsSendStatusByPhoneNumber"

    def reference_and_phone(self, body) -> tuple[str, str]:
        payload = json.loads(body)
        return payload.get("SessionContext", ""), payload["PhoneNumberSet"][0]

    def id_for(self, number: int) -> str:
        return f"serial-{number}"

    def success(self, record) -> tuple[int, dict]:
        return tencent_status("Ok", serial=record["id"])

    def signature_error(self, code) -> tuple[int, dict]:
        return tencent_error(code)

    def query(self, headers, body) -> tuple[int, dict]:
        payload = json.loads(body)
        if payload["Offset"] != 0 or not 1 <= payload["Limit"] <= 100:
            return tencent_error("InvalidParameterValue")
        begin = dt.datetime.fromtimestamp(payload["BeginTime"], dt.UTC)
        end = dt.datetime.fromtimestamp(payload.get("EndTime", 2**31), dt.UTC)
        reports = [
            {
                "UserReceiveTime": record["at"].astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
                "CountryCode": "86",
                "SubscriberNumber": record["phone"][3:],
                "PhoneNumber": record["phone"],
                "SerialNo": record["id"],
                "ReportStatus": "SUCCESS",
                "Description": "DELIVRD",
                "SessionContext": record["reference"],
            }
            for record in self.taken
            if self.reports
            and record["phone"] == payload["PhoneNumber"]
            and begin <= record["at"].replace(microsecond=0) <= end
        ]
        return 200, {"Response": {"PullSmsSendStatusSet": reports[: payload["Limit"]], "RequestId": "r"}}


def serve(gateway: FakeGateway) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status, data = gateway.answer(self.headers, body)
            raw = json.dumps(data).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except OSError:
                pass  # the sender was killed while the gateway held its answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def aliyun_settings(port: int) -> dict:
    return {
        "SMS_BACKEND": "aliyun",
        "SMS_ALIYUN_URL": f"http://127.0.0.1:{port}/",
        "SMS_ALIYUN_ACCESS_KEY_ID": "alibaba-id",
        "SMS_ALIYUN_ACCESS_KEY_SECRET": ALIYUN_SECRET,
        "SMS_SIGN_NAME": "户政服务",
    }


def tencent_settings(port: int) -> dict:
    return {
        "SMS_BACKEND": "tencent",
        "SMS_TENCENT_URL": f"http://127.0.0.1:{port}/",
        "SMS_TENCENT_SECRET_ID": "tencent-id",
        "SMS_TENCENT_SECRET_KEY": TENCENT_SECRET,
        "SMS_TENCENT_SDK_APP_ID": "1400000000",
        "SMS_SIGN_NAME": "户政服务",
    }
