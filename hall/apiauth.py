"""Who calls the staff API: a bearer token of a scope (hall.models.TokenScope) or a staff member's session,
as a Principal acting for one hall. Each endpoint family names its scopes (DEVICE_AUTH, STAFF_AUTH,
REPORTS_AUTH); see docs/api.md."""

import datetime as dt
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from ninja.security import APIKeyCookie, HttpBearer

from hall import rows, security
from hall.apikit import RATE_LIMITED, ApiError
from hall.models import ApiToken, Hall, Staff, TokenScope

User = get_user_model()

TOKEN_EXPIRED = _("This API token has expired. Ask the hall's administrator for a new one.")
TOKEN_SCOPE = _("This API token's scope is “%(scope)s”; this operation needs a token of scope: %(scopes)s.")
SECOND_FACTOR_REQUIRED = _(
    "A reports token works only while its account has two-step sign-in set up. Set up the authenticator "
    "app at your next sign-in, then try again."
)


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

    def __init__(self, *scopes: str, read=None):
        super().__init__()
        self.scopes = tuple(str(scope) for scope in scopes)
        self.reader = read

    def authenticate(self, request, token: str) -> Principal | None:
        found = None
        if token.startswith(ApiToken.KEY_START) and len(token) <= 100:
            key_hash = ApiToken.hash_key(token)
            found = self.reader(request, key_hash) if self.reader else active_token(key_hash)
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


_KEY_LOOKUP_SQL = (
    "SELECT {token}, {hall}, {user}, {staff} FROM {tokens} t INNER JOIN {halls} h ON t.hall_id = h.id "
    "INNER JOIN {users} u ON t.user_id = u.id LEFT OUTER JOIN {staff_rows} s ON s.user_id = u.id "
    "WHERE t.key_hash = %s AND t.revoked_at IS NULL AND u.is_active"
)


# The columns of the token and its user that requests use (issue 20: fewer values to convert and set on
# every API request); the others stay deferred, read on first use as with QuerySet.only. The password's
# hash is not read.
_TOKEN_FIELDS = frozenset({"id", "hall_id", "user_id", "scope", "expires_at", "last_used_at"})
_USER_FIELDS = frozenset(
    {"id", "username", "first_name", "last_name", "is_active", "is_staff", "is_superuser"}
)
_READ = {ApiToken: _TOKEN_FIELDS, User: _USER_FIELDS}


@cache
def _token_sql() -> str:
    """Names of tables and columns only go into the text; the key's hash is a parameter."""
    return _KEY_LOOKUP_SQL.format(
        token=rows.columns(ApiToken, "t", _TOKEN_FIELDS),
        hall=rows.columns(Hall, "h"),
        halls=rows.table(Hall),
        user=rows.columns(User, "u", _USER_FIELDS),
        staff=rows.columns(Staff, "s"),
        tokens=rows.table(ApiToken),
        users=rows.table(User),
        staff_rows=rows.table(Staff),
    )


@cache
def token_sql_with(columns: str, joined: str) -> str:
    """The token's statement (`active_token`) with more `columns` after its own, from `joined` (a join of
    its FROM, e.g. a sub-select of its own): one round trip for the token and an operation's first read
    (issue 20). The key's hash stays the last parameter; the row gives the token to `token_in`, and the
    other columns from `TOKEN_WIDTH` on."""
    head, where = _token_sql().split(" WHERE ", 1)
    selected, tables = head.split(" FROM ", 1)
    return f"{selected}, {columns} FROM {tables} {joined} WHERE {where}"  # noqa: S608 - names only


_TOKEN_MODELS = (ApiToken, Hall, User, Staff)


@cache
def token_width() -> int:
    """How many columns of a row of `token_sql_with` are the token's."""
    return sum(rows.width(model, _READ.get(model)) for model in _TOKEN_MODELS)


def active_token(key_hash: str) -> ApiToken | None:
    """The active token with this key's hash, with its hall, its user and the user's staff row (None for a
    device account), in one written-out statement (hall/rows.py): it runs on every API request of a window."""
    found = rows.fetch(_token_sql(), [key_hash])
    return token_in(found[0]) if found else None


def token_in(row) -> ApiToken:
    """The token of a row of the token's statement, with its hall, user and staff row attached."""
    token, hall, user, staff = rows.load_all(_TOKEN_MODELS, row, _READ)
    rows.attach(token, "hall", hall)
    rows.attach(token, "user", user)
    rows.attach(user, "staff", staff)  # None for a device account
    if staff is not None:
        rows.attach(staff, "user", user)
    return token


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


def staff_auth(*scopes: str, read=None) -> list:
    """A token of one of these scopes, or a signed-in staff member's session (scopes are for tokens only).
    `read(request, key_hash)`: what reads the active token (`active_token`'s answer) for an operation that
    reads its first rows in the same statement (`token_sql_with`)."""
    return [TokenAuth(*scopes, read=read), StaffSessionAuth()]


# Kiosks and displays (and staff guiding citizens): issue tickets, read the queue and the day's bookings.
DEVICE_AUTH = staff_auth(TokenScope.DEVICE, TokenScope.COUNTER)
# A window's calls, and any other staff operation.
STAFF_AUTH = staff_auth(TokenScope.COUNTER)
REPORTS_AUTH = staff_auth(TokenScope.REPORTS)
