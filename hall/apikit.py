"""The JSON API v1's plumbing: the one NinjaAPI instance, its error format (`{error, message, fields}`) and
the answers to every failure, the JSON body parser and the OpenAPI schema. hall.api re-exports these names;
the endpoints live in each app's api module and are mounted in hall/api_v1.py."""

import json
import logging
from functools import wraps

import redis
from asgiref.sync import iscoroutinefunction
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import re_path
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

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
NOT_FOUND = _("Not found. Please check the address.")
METHOD_NOT_ALLOWED = _("This address does not accept %(method)s. It accepts: %(allowed)s.")
UNAUTHORIZED = _("Sign in, or send a valid API token as 'Authorization: Bearer <token>'.")
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


class ApiError(Exception):
    """An error answer: `code` is the stable machine word, `message` a sentence for people."""

    def __init__(self, status: int, code: str, message, fields: dict | None = None, retry_after: int = 0):
        """`retry_after`: seconds for the Retry-After header (a 429 without it says 60)."""
        super().__init__(str(message))
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}
        self.retry_after = retry_after or (60 if status == 429 else 0)


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
        # (hall.middleware.reject_nul_bytes) is refused before the operation runs. And 503 with Retry-After:
        # `busy` (the server's admission control in a rush, hall/wsgi.py) or `unavailable` (the database or
        # Redis unreachable, hall/outage.py), nothing done, safe to send again.
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        schema = ScopedOpenAPISchema(self, path_prefix)
        for operations in schema["paths"].values():
            for operation in operations.values():
                operation["responses"].setdefault(400, BAD_REQUEST_RESPONSE)
                operation["responses"].setdefault(503, UNAVAILABLE_RESPONSE)
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
UNAVAILABLE_RESPONSE = {
    "description": "Service Unavailable: `busy` (too many requests at once) or `unavailable` (a store is "
    "unreachable). Nothing was done; send the same request again after Retry-After seconds.",
    "headers": {
        "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
    },
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
    response = error_response(request, exc.status, exc.code, exc.message, exc.fields)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


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
