"""The JSON API v1: the one NinjaAPI instance, its error format, staff/device authentication and the hall
routes. Other apps add their routers in hall/api_v1.py, so that this module imports no other app."""

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from functools import wraps
from typing import Annotated

import phonenumbers
import redis
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import re_path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from django_otp.plugins.otp_totp.models import TOTPDevice
from ninja import NinjaAPI, Router, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import AfterValidator, BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

from hall import audit, security
from hall.models import ApiToken, Hall, Service, TokenScope
from hall.privacy import validate_id_number

log = logging.getLogger(__name__)

INVALID = _("Some of the information sent is not valid: %(fields)s.")
INVALID_JSON = _("The request body is not valid JSON.")
NOT_AN_OBJECT = _("Send a JSON object.")
NUL_CHARACTER = _("Remove the invisible NUL character from this text.")
REQUIRED = _("This field is required.")
TOO_LONG = _("Use at most %(max)s characters.")
NOT_TEXT = _("Enter text.")
NOT_INTEGER = _("Enter a whole number.")
NOT_BOOLEAN = _("Enter true or false.")
AT_LEAST = _("Enter a number of at least %(min)s.")
AT_MOST = _("Enter a number of at most %(max)s.")
CHOOSE_ONE = _("Choose one of: %(choices)s.")
NOT_DATE = _("Enter a real date as YYYY-MM-DD, for example 2026-11-24.")
NOT_VALID = _("This value is not valid.")
NOT_MOBILE = _("Enter a mobile number that can receive text messages, for example 13800138000.")
NOT_FOUND = _("Not found. Please check the address.")
METHOD_NOT_ALLOWED = _("This address does not accept %(method)s. It accepts: %(allowed)s.")
HALL_NOT_FOUND = _("There is no hall with this short name.")
UNAUTHORIZED = _("Sign in, or send a valid API token as 'Authorization: Bearer <token>'.")
TOKEN_EXPIRED = _("This API token has expired. Ask the hall's administrator for a new one.")
TOKEN_SCOPE = _("This API token's scope is “%(scope)s”; this operation needs a token of scope: %(scopes)s.")
SECOND_FACTOR_REQUIRED = _(
    "A reports token works only while its account has two-step sign-in set up. Set up the authenticator "
    "app at your next sign-in, then try again."
)
CSRF_FAILED = _("The security check of this form failed. Reload the page and try again.")
FORBIDDEN = _("You are not allowed to do this.")
RATE_LIMITED = _("Too many attempts. Please wait a few minutes and try again.")
TOO_LARGE = _("The request is too large.")
BAD_REQUEST = _("The request could not be understood.")
UNAVAILABLE = _("The service is temporarily unavailable. Please try again in a few minutes.")
SERVER_ERROR = _("Something went wrong on our side. Please try again later.")

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    422: "invalid",
    429: "rate_limited",
}
STATUS_MESSAGES = {401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND, 429: RATE_LIMITED}

MAX_ID = 2**63 - 1  # a bigint primary key; larger numbers would make the database raise
HALL_SLUG_LENGTH = Hall._meta.get_field("slug").max_length
ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ApiError(Exception):
    """An error answer: `code` is the stable machine word, `message` a sentence for people."""

    def __init__(self, status: int, code: str, message, fields: dict | None = None):
        super().__init__(str(message))
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


class ErrorOut(Schema):
    error: str
    message: str
    fields: dict[str, str]


ERRORS = {400: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
AUTH_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class MalformedBody(ValueError):
    pass


class NotAnObject(ValueError):
    pass


class NulCharacter(ValueError):
    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


def _nul_field(value, path: str = "") -> str | None:
    """The dotted name of the first text holding a NUL character (PostgreSQL cannot store or compare it)."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return path
        if (found := _nul_field(item, f"{path}.{key}" if path else str(key))) is not None:
            return found
    return None


class JsonParser(Parser):
    """Every v1 request body is a JSON object without NUL characters; anything else is refused before
    validation."""

    def parse_body(self, request: HttpRequest):
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError) as error:
            raise MalformedBody from error
        if not isinstance(data, dict):
            raise NotAnObject
        if (field := _nul_field(data)) is not None:
            raise NulCharacter(field)
        return data


class Utf8JsonRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


class ChuangkouAPI(NinjaAPI):
    """The API's URLs answer in the error format also where no operation does: a method that no operation
    of the path takes (405, not ninja's plain text) and an address that no operation has (404, not the
    site's HTML page)."""

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            pattern.callback = method_not_allowed_as_error(pattern.callback)
        return [*patterns, re_path(r"", unknown_address, name="unknown")], app_name, namespace

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        # Any operation may answer 400 in the error format: a NUL byte in its address or query
        # (hall.middleware.reject_nul_bytes) is refused before the operation runs.
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        schema = ScopedOpenAPISchema(self, path_prefix)
        for operations in schema["paths"].values():
            for operation in operations.values():
                operation["responses"].setdefault(400, BAD_REQUEST_RESPONSE)
        return schema


class ScopedOpenAPISchema(OpenAPISchema):
    """States the token scopes each operation accepts in its security requirement (OpenAPI 3.1 lets a
    scheme that is not OAuth2 list role names there)."""

    def operation_security(self, operation):
        security = super().operation_security(operation)
        for requirement, auth in zip(security or [], operation.auth_callbacks, strict=False):
            for name in requirement:
                requirement[name] = list(getattr(auth, "scopes", []))
        return security


BAD_REQUEST_RESPONSE = {
    "description": "Bad Request",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
}


api = ChuangkouAPI(
    title="Chuangkou API",
    version="1",
    description=(
        "Integration API of the household-registration service hall: halls, service guides, availability "
        "and bookings. Errors are `{error, message, fields}`; messages follow `Accept-Language` "
        "(zh-hans by default, en). See docs/api.md."
    ),
    urls_namespace="api-v1",
    parser=JsonParser(),
    renderer=Utf8JsonRenderer(),
)


def error_response(request, status: int, code: str, message, fields: dict | None = None) -> HttpResponse:
    # Lazy messages are rendered here, inside the language LocaleMiddleware chose for this request.
    body = {
        "error": code,
        "message": str(message),
        "fields": {name: str(text) for name, text in (fields or {}).items()},
    }
    return api.create_response(request, body, status=status)


def method_not_allowed_as_error(view):
    """Wrap a view under /api/ so that its 405 (ninja's plain text, or require_GET's empty page) is in the
    error format, with the same Allow header; sync and async views alike."""

    def as_error(request, response):
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        allowed = response["Allow"]
        message = METHOD_NOT_ALLOWED % {"method": request.method, "allowed": allowed}
        answer = error_response(request, 405, "method_not_allowed", message)
        answer["Allow"] = allowed
        return answer

    if iscoroutinefunction(view):

        @wraps(view)
        async def checked_async(request, *args, **kwargs):
            return as_error(request, await view(request, *args, **kwargs))

        return checked_async

    @wraps(view)
    def checked(request, *args, **kwargs):
        return as_error(request, view(request, *args, **kwargs))

    return checked


@csrf_exempt
def unknown_address(request, *args, **kwargs):
    return error_response(request, 404, "not_found", NOT_FOUND)


def not_found(request, exception=None):
    """handler404: an address under the API answers in its error format, any other the site's page."""
    if request.path.startswith("/api/"):
        return unknown_address(request)
    return defaults.page_not_found(request, exception)


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return error_response(request, exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, MalformedBody):
        return error_response(request, 422, "invalid_json", INVALID_JSON)
    if isinstance(exc.__cause__, NotAnObject):
        return error_response(request, 422, "invalid", NOT_AN_OBJECT)
    if isinstance(exc.__cause__, NulCharacter):
        field = exc.__cause__.field
        return error_response(request, 422, "invalid", NUL_CHARACTER, {field: NUL_CHARACTER} if field else {})
    if exc.status_code == 403 and "CSRF" in exc.message:
        return error_response(request, 403, "csrf_failed", CSRF_FAILED)
    status = exc.status_code
    return error_response(
        request, status, STATUS_CODES.get(status, "error"), STATUS_MESSAGES.get(status, exc)
    )


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(request, 404, "not_found", NOT_FOUND)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    fields = {}
    for error in exc.errors:
        name = _field_name(error["loc"])
        # Nothing or not an object where the body's fields were expected.
        message = NOT_AN_OBJECT if not name and error["loc"][0] == "body" else _field_message(error)
        fields.setdefault(name, message)
    named = {name: text for name, text in fields.items() if name}
    if not named:
        return error_response(request, 422, "invalid", fields.get("", NOT_VALID))
    message = next(iter(named.values())) if len(named) == 1 else INVALID % {"fields": ", ".join(named)}
    return error_response(request, 422, "invalid", message, named)


@api.exception_handler(DjangoValidationError)
def _django_validation_error(request, exc: DjangoValidationError):
    return error_response(request, 422, "invalid", exc.messages[0])


@api.exception_handler(RequestDataTooBig)
def _too_large(request, exc):
    return error_response(request, 413, "too_large", TOO_LARGE)


@api.exception_handler(SuspiciousOperation)
def _suspicious(request, exc):
    return error_response(request, 400, "bad_request", BAD_REQUEST)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)  # a connection PostgreSQL closed
@api.exception_handler(redis.RedisError)
def _unavailable(request, exc):
    log.exception("API %s %s: backend unavailable", request.method, request.path)
    return error_response(request, 503, "unavailable", UNAVAILABLE)


@api.exception_handler(Exception)
def _server_error(request, exc):
    log.error("API %s %s failed", request.method, request.path, exc_info=exc)
    return error_response(request, 500, "server_error", SERVER_ERROR)


def _field_name(loc) -> str:
    # ("body", "<parameter>", "phone"), ("query", "date"), ("path", "hall")
    parts = loc[2:] if loc and loc[0] == "body" else loc[1:]
    return ".".join(str(part) for part in parts)


def _field_message(error: dict):
    kind, ctx = error["type"], error.get("ctx", {})
    if kind.startswith("ck_"):  # raised by our own validators, already in the request's language
        return error["msg"]
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return REQUIRED
    if kind == "string_too_long":
        return TOO_LONG % {"max": ctx["max_length"]}
    if kind == "greater_than_equal":
        return AT_LEAST % {"min": ctx["ge"]}
    if kind == "less_than_equal":
        return AT_MOST % {"max": ctx["le"]}
    if kind in ("enum", "literal_error"):
        return CHOOSE_ONE % {"choices": str(ctx["expected"]).replace(" or ", ", ")}
    prefixes = {
        "string_": NOT_TEXT,
        "int_": NOT_INTEGER,
        "bool_": NOT_BOOLEAN,
        "date_": NOT_DATE,
        "model_": NOT_AN_OBJECT,
        "dict_": NOT_AN_OBJECT,
    }
    return next((text for prefix, text in prefixes.items() if kind.startswith(prefix)), NOT_VALID)


def _invalid(message) -> PydanticCustomError:
    return PydanticCustomError("ck_invalid", str(message).replace("{", "(").replace("}", ")"))


def _mobile(value: str) -> str:
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        raise _invalid(NOT_MOBILE) from None
    mobile = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in mobile:
        raise _invalid(NOT_MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _id_number(value: str) -> str:
    try:
        return validate_id_number(value, today=timezone.localdate())
    except DjangoValidationError as error:
        raise _invalid(error.messages[0]) from None


def _iso_date(value):
    if isinstance(value, str) and ISO_DATE_RE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _invalid(NOT_DATE)


# Field types shared by the apps' schemas; each answers a citizen with a message they can act on.
Mobile = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30), AfterValidator(_mobile)
]
IdNumber = Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(_id_number)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
HallSlug = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=HALL_SLUG_LENGTH)]


def client_ip(request: HttpRequest) -> str:
    # Only the address of the connection: X-Forwarded-For is not trusted unless a proxy rewrites it.
    return request.META.get("REMOTE_ADDR") or "unknown"


def get_hall(slug: str) -> Hall:
    hall = Hall.objects.filter(slug=slug).first() if len(slug) <= HALL_SLUG_LENGTH else None
    if hall is None:
        raise ApiError(404, "not_found", HALL_NOT_FOUND, {"hall": HALL_NOT_FOUND})
    return hall


@dataclass(frozen=True)
class Principal:
    """Who calls with a token or a session: a user acting for one hall."""

    user: AbstractBaseUser
    hall: Hall
    token: ApiToken | None = None

    @property
    def is_hall_staff(self) -> bool:
        staff = getattr(self.user, "staff", None)
        return staff is not None and staff.hall_id == self.hall.pk


def _staff_hall_id(user) -> int | None:
    staff = getattr(user, "staff", None)
    return staff.hall_id if staff is not None else None


class TokenAuth(HttpBearer):
    """A bearer token of one of `scopes` (hall.models.TokenScope): another scope is 403, an expired token 401,
    and a reports token works only while its user has a confirmed second factor."""

    openapi_description = (
        "An API token: `Authorization: Bearer ck_…`. Each token has one scope, and each operation lists the "
        "scopes it accepts: `device` (kiosks and displays: issue tickets, read the board), `counter` (a "
        "window's calls), `reports` (read-only reports; the supervisor's account needs a confirmed second "
        "factor). A token outside its scopes answers 403 `token_scope`, an expired one 401 `token_expired`."
    )

    def __init__(self, *scopes: str):
        super().__init__()
        self.scopes = tuple(str(scope) for scope in scopes)

    def authenticate(self, request, token: str) -> Principal | None:
        found = None
        if token.startswith(ApiToken.KEY_START) and len(token) <= 100:
            found = (
                ApiToken.objects.active()
                .select_related("hall", "user", "user__staff")
                .filter(key_hash=ApiToken.hash_key(token))
                .first()
            )
        # A staff member moved to another hall keeps no access to the old one; device users have no staff row.
        if found is None or _staff_hall_id(found.user) not in (None, found.hall_id):
            # Too many wrong tokens from an address answer 429. A valid token still works: a hall's devices
            # share one address, and one with a revoked token must not lock the others out (keys have 240
            # random bits, so guessing is no risk).
            if security.token_failures_exceeded(request):
                raise ApiError(429, "rate_limited", RATE_LIMITED)
            security.record_token_failure(request)
            return None
        now = timezone.now()
        self._check_scope(found, now)
        found.touch(now)
        return Principal(user=found.user, hall=found.hall, token=found)

    def _check_scope(self, token: ApiToken, now: dt.datetime) -> None:
        if token.is_expired(now):
            raise ApiError(401, "token_expired", TOKEN_EXPIRED)
        if token.scope not in self.scopes:
            scopes = ", ".join(self.scopes)
            raise ApiError(403, "token_scope", TOKEN_SCOPE % {"scope": token.scope, "scopes": scopes})
        if token.scope == TokenScope.REPORTS and not has_second_factor(token.user):
            raise ApiError(403, "second_factor_required", SECOND_FACTOR_REQUIRED)


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


class StaffSessionAuth(APIKeyCookie):
    """A signed-in staff member's browser session; unsafe methods need the CSRF token, as in Django forms."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        if not request.user.is_authenticated:
            return None  # anonymous: nothing to protect, so no CSRF refusal either (401 follows)
        return super()._get_key(request)

    def authenticate(self, request, key) -> Principal | None:
        staff = getattr(request.user, "staff", None) if request.user.is_authenticated else None
        return Principal(user=request.user, hall=staff.hall) if staff is not None else None


def staff_auth(*scopes: str) -> list:
    """A token of one of these scopes, or a signed-in staff member's session (scopes are for tokens only)."""
    return [TokenAuth(*scopes), StaffSessionAuth()]


# Kiosks and displays (and staff guiding citizens): issue tickets, read the queue and the day's bookings.
DEVICE_AUTH = staff_auth(TokenScope.DEVICE, TokenScope.COUNTER)
# A window's calls, and any other staff operation.
STAFF_AUTH = staff_auth(TokenScope.COUNTER)
REPORTS_AUTH = staff_auth(TokenScope.REPORTS)


def get_hall_for_staff(principal: Principal, slug: str) -> Hall:
    """The hall named in the address, if the caller acts for it; another hall's data is 'not found'."""
    if principal.hall.slug != slug:
        audit.other_hall_refused(principal.user, principal.hall, slug)
        raise ApiError(404, "not_found", HALL_NOT_FOUND, {"hall": HALL_NOT_FOUND})
    return principal.hall


router = Router(tags=["halls"])


class HallOut(Schema):
    slug: str
    name: str
    address: str
    timezone: str
    consultation_phone: str
    supervision_phone: str


class MaterialOut(Schema):
    name: str
    note: str
    required: bool


class GuideOut(Schema):
    materials: list[MaterialOut]
    fees: str
    time_limit: str
    steps: list[str]
    eligibility: str
    notes: str
    online_url: str
    by_post: bool
    home_visit: bool


class ServiceOut(Schema):
    code: str
    name: str
    prefix: str
    summary: str
    bookable: bool
    average_handling_minutes: int
    guide: GuideOut


@router.get("/halls", response={200: list[HallOut], 429: ErrorOut})
def list_halls(request):
    return [
        {
            "slug": hall.slug,
            "name": hall.name,
            "address": hall.address,
            "timezone": hall.timezone,
            "consultation_phone": hall.consultation_phone,
            "supervision_phone": hall.supervision_phone,
        }
        for hall in Hall.objects.all()
    ]


def service_out(service: Service) -> dict:
    return {
        "code": service.code,
        "name": service.name,
        "prefix": service.prefix,
        "summary": service.summary,
        "bookable": service.bookable,
        "average_handling_minutes": service.average_handling_minutes,
        "guide": {
            "materials": [
                {"name": m.name, "note": m.note, "required": m.required} for m in service.materials.all()
            ],
            "fees": service.fees,
            "time_limit": service.time_limit,
            "steps": service.step_list,
            "eligibility": service.eligibility,
            "notes": service.notes,
            "online_url": service.online_url,
            "by_post": service.by_post,
            "home_visit": service.home_visit,
        },
    }


@router.get("/halls/{hall}/services", response={200: list[ServiceOut], 404: ErrorOut, 429: ErrorOut})
def list_services(request, hall: str):
    services = get_hall(hall).services.active().prefetch_related("materials")
    return [service_out(service) for service in services]
