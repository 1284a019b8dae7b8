"""The JSON API v1 as the other apps use it, and the hall's own routes (halls, services).

The plumbing lives beside it: hall.apikit (the one NinjaAPI instance, the error format, the body parser, the
OpenAPI schema), hall.apifields (field types shared by the apps' schemas) and hall.apiauth (tokens of a
scope, staff sessions). This module re-exports their names, so that `from hall.api import ApiError,
STAFF_AUTH, Mobile` works as before. Other apps add their routers in hall/api_v1.py, so that this module
imports no other app."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema

from hall import access
from hall.apiauth import (
    DEVICE_AUTH,
    REPORTS_AUTH,
    SECOND_FACTOR_REQUIRED,
    STAFF_AUTH,
    TOKEN_EXPIRED,
    TOKEN_SCOPE,
    Principal,
    StaffSessionAuth,
    TokenAuth,
    has_second_factor,
    staff_auth,
)
from hall.apifields import (
    HALL_SLUG_LENGTH,
    ISO_DATE_RE,
    MAX_ID,
    NOT_MOBILE,
    HallSlug,
    IdNumber,
    IsoDate,
    Mobile,
)
from hall.apikit import (
    AT_LEAST,
    AT_MOST,
    AUTH_ERRORS,
    BAD_REQUEST,
    BAD_REQUEST_RESPONSE,
    CHOOSE_ONE,
    CSRF_FAILED,
    ERRORS,
    FORBIDDEN,
    INVALID,
    INVALID_JSON,
    METHOD_NOT_ALLOWED,
    NOT_AN_OBJECT,
    NOT_BOOLEAN,
    NOT_DATE,
    NOT_FOUND,
    NOT_INTEGER,
    NOT_TEXT,
    NOT_VALID,
    NUL_CHARACTER,
    RATE_LIMITED,
    REQUIRED,
    SERVER_ERROR,
    STATUS_CODES,
    STATUS_MESSAGES,
    TOO_LARGE,
    TOO_LONG,
    UNAUTHORIZED,
    UNAVAILABLE,
    ApiError,
    ChuangkouAPI,
    ErrorOut,
    JsonParser,
    MalformedBody,
    NotAnObject,
    NulCharacter,
    ScopedOpenAPISchema,
    Utf8JsonRenderer,
    api,
    error_response,
    method_not_allowed_as_error,
    not_found,
    unknown_address,
)
from hall.models import Hall, Service

HALL_NOT_FOUND = _("There is no hall with this short name.")


from hall.net import client_ip  # noqa: E402, F401 - the one client_ip (hall/net.py), kept importable here


def get_hall(slug: str) -> Hall:
    hall = Hall.objects.filter(slug=slug).first() if len(slug) <= HALL_SLUG_LENGTH else None
    if hall is None:
        raise ApiError(404, "not_found", HALL_NOT_FOUND, {"hall": HALL_NOT_FOUND})
    return hall


def get_hall_for_staff(principal: Principal, slug: str) -> Hall:
    """The hall named in the address, if the caller acts for it; another hall's data is 'not found'."""
    try:
        return access.hall_named(principal.user, principal.hall, slug)
    except Http404:
        raise ApiError(404, "not_found", HALL_NOT_FOUND, {"hall": HALL_NOT_FOUND}) from None


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
    by_video: bool = Field(description="Can be done by video with the hall's online room (网上户籍室).")
    video_needs: list[str] = Field(description="What to have at hand for the video call.")


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
            "by_video": service.by_video,
            "video_needs": service.video_needs_list if service.by_video else [],
        },
    }


@router.get("/halls/{hall}/services", response={200: list[ServiceOut], 404: ErrorOut, 429: ErrorOut})
def list_services(request, hall: str):
    services = get_hall(hall).services.active().prefetch_related("materials")
    return [service_out(service) for service in services]


__all__ = [
    "api",
    "ApiError",
    "AT_LEAST",
    "AT_MOST",
    "AUTH_ERRORS",
    "BAD_REQUEST",
    "BAD_REQUEST_RESPONSE",
    "CHOOSE_ONE",
    "ChuangkouAPI",
    "client_ip",
    "CSRF_FAILED",
    "DEVICE_AUTH",
    "error_response",
    "ErrorOut",
    "ERRORS",
    "FORBIDDEN",
    "get_hall",
    "get_hall_for_staff",
    "GuideOut",
    "HALL_NOT_FOUND",
    "HALL_SLUG_LENGTH",
    "HallOut",
    "HallSlug",
    "has_second_factor",
    "IdNumber",
    "INVALID",
    "INVALID_JSON",
    "ISO_DATE_RE",
    "IsoDate",
    "JsonParser",
    "list_halls",
    "list_services",
    "MalformedBody",
    "MaterialOut",
    "MAX_ID",
    "METHOD_NOT_ALLOWED",
    "method_not_allowed_as_error",
    "Mobile",
    "NOT_AN_OBJECT",
    "NOT_BOOLEAN",
    "NOT_DATE",
    "not_found",
    "NOT_FOUND",
    "NOT_INTEGER",
    "NOT_MOBILE",
    "NOT_TEXT",
    "NOT_VALID",
    "NotAnObject",
    "NUL_CHARACTER",
    "NulCharacter",
    "Principal",
    "RATE_LIMITED",
    "REPORTS_AUTH",
    "REQUIRED",
    "router",
    "ScopedOpenAPISchema",
    "SECOND_FACTOR_REQUIRED",
    "SERVER_ERROR",
    "service_out",
    "ServiceOut",
    "STAFF_AUTH",
    "staff_auth",
    "StaffSessionAuth",
    "STATUS_CODES",
    "STATUS_MESSAGES",
    "TOKEN_EXPIRED",
    "TOKEN_SCOPE",
    "TokenAuth",
    "TOO_LARGE",
    "TOO_LONG",
    "UNAUTHORIZED",
    "UNAVAILABLE",
    "unknown_address",
    "Utf8JsonRenderer",
]
