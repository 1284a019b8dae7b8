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

    def __init__(self, *scopes: str):
        super().__init__()
        self.scopes = tuple(str(scope) for scope in scopes)

    def authenticate(self, request, token: str) -> Principal | None:
        found = None
        if token.startswith(ApiToken.KEY_START) and len(token) <= 100:
            found = active_token(ApiToken.hash_key(token))
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


def active_token(key_hash: str) -> ApiToken | None:
    """The active token with this key's hash, with its hall, its user and the user's staff row (None for a
    device account), in one written-out statement (hall/rows.py): it runs on every API request of a window."""
    found = rows.fetch(_token_sql(), [key_hash])
    if not found:
        return None
    token, hall, user, staff = rows.load_all((ApiToken, Hall, User, Staff), found[0], _READ)
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


def staff_auth(*scopes: str) -> list:
    """A token of one of these scopes, or a signed-in staff member's session (scopes are for tokens only)."""
    return [TokenAuth(*scopes), StaffSessionAuth()]


# Kiosks and displays (and staff guiding citizens): issue tickets, read the queue and the day's bookings.
DEVICE_AUTH = staff_auth(TokenScope.DEVICE, TokenScope.COUNTER)
# A window's calls, and any other staff operation.
STAFF_AUTH = staff_auth(TokenScope.COUNTER)
REPORTS_AUTH = staff_auth(TokenScope.REPORTS)
