"""Staff sessions: the idle time-out, the second factor (TOTP), the superuser-only RQ dashboard and the
throttle on wrong API tokens. docs/production.md ("Security") lists the settings.

Idle time-out. A signed-in session records when its user last did something; a request that comes more
than STAFF_IDLE_MINUTES later signs the user out and, for a page, goes to the sign-in page with a message.
Only what a person does counts as activity: a page they open (a navigation) or a form they send. Requests
that pages make by themselves do not, so that a console or a report left open cannot keep a session alive:
- anything under /api/ (the live event stream, the board's polling fallback, JSON reads),
- requests made by scripts (Sec-Fetch-Mode other than "navigate": fetch, EventSource, images) and
  prefetches (Sec-Purpose or Purpose: prefetch),
- page reloads of auto-refreshing pages, whose refresh address carries ?refresh=auto (the supervisor's
  "Now" page).
The last activity is written at most once a minute (ACTIVITY_PRECISION), so a session is not saved on every
request; the time-out therefore falls between STAFF_IDLE_MINUTES - 1 and STAFF_IDLE_MINUTES after the last
activity.

Second factor. With STAFF_OTP_REQUIRED, a user whose role is in STAFF_OTP_ROLES and who has not entered a
code in this session is sent to the code page (or to enrolment, without a confirmed device) from every page
except signing in and out and choosing a language; their API calls count as anonymous.
"""

import logging
import time
from functools import wraps
from urllib.parse import urlencode

import redis
from asgiref.sync import iscoroutinefunction, sync_to_async
from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import URLPattern, reverse
from django.utils.decorators import sync_and_async_middleware
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from hall.cache import count
from hall.net import client_ip

log = logging.getLogger(__name__)

LAST_ACTIVITY = "last_activity"
ACTIVITY_PRECISION = 60  # seconds
AUTO_REFRESH = ("refresh", "auto")  # query parameter of auto-refreshing pages' reload address
SIGNED_OUT_IDLE = _(
    "You were signed out because there was no activity for %(minutes)s minutes. Please sign in again."
)
OTP_EXEMPT_URL_NAMES = ("login", "logout", "otp_verify", "otp_enrol", "set_language")
SAFE_METHODS = ("GET", "HEAD")


def clock() -> float:
    """Seconds since the epoch; tests replace it to move time on."""
    return time.time()


def made_by_script(request) -> bool:
    """An API call, or a request that a script or the browser itself makes rather than a page load."""
    if request.path_info.startswith("/api/"):
        return True
    headers = request.headers
    if headers.get("Sec-Fetch-Mode", "navigate") != "navigate":
        return True
    return "prefetch" in headers.get("Sec-Purpose", "") or "prefetch" in headers.get("Purpose", "")


def is_background(request) -> bool:
    """A request that a page makes by itself, not something its user did (see the module's docstring)."""
    return made_by_script(request) or request.GET.get(AUTO_REFRESH[0]) == AUTO_REFRESH[1]


def record_activity(request) -> None:
    request.session[LAST_ACTIVITY] = int(clock())


def on_signed_in(sender, request, user, **kwargs):
    """Signing in is activity: the idle clock starts (also for the admin's and tests' logins)."""
    if request is not None and hasattr(request, "session"):
        record_activity(request)


def needs_second_factor(user) -> bool:
    """Whether this user must enter a TOTP code after the password (STAFF_OTP_REQUIRED, STAFF_OTP_ROLES)."""
    if not settings.STAFF_OTP_REQUIRED or not user.is_authenticated:
        return False
    roles = settings.STAFF_OTP_ROLES
    if "admin" in roles and (user.is_superuser or user.is_staff):
        return True
    staff = getattr(user, "staff", None)
    return staff is not None and staff.role in roles


def is_verified(user) -> bool:
    return getattr(user, "is_verified", lambda: False)()


def second_factor_url(user, next_url: str | None) -> str:
    """The code page, or enrolment for a user without a confirmed device, returning to `next_url`."""
    enrolled = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    url = reverse("otp_verify" if enrolled else "otp_enrol")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _idle_time_out(request):
    minutes = settings.STAFF_IDLE_MINUTES
    if minutes <= 0:
        return None
    now = clock()
    last = request.session.get(LAST_ACTIVITY)
    if last is not None and now - last > minutes * 60:
        logout(request)
        if made_by_script(request):
            return None  # carries on signed out: a staff API call answers 401, a public one still works
        messages.info(request, SIGNED_OUT_IDLE % {"minutes": minutes})
        if request.method in SAFE_METHODS:
            return redirect_to_login(request.get_full_path())
        return redirect(settings.LOGIN_URL)  # a form post is not repeated after signing in
    if last is None or (not is_background(request) and now - last >= ACTIVITY_PRECISION):
        record_activity(request)
    return None


async def _anonymous():
    return AnonymousUser()


def _second_factor(request):
    user = request.user
    if is_verified(user) or not needs_second_factor(user):
        return None
    path = request.path_info
    if path.startswith(settings.STATIC_URL) or path in {reverse(name) for name in OTP_EXEMPT_URL_NAMES}:
        return None
    if path.startswith("/api/"):
        request.user, request.auser = AnonymousUser(), _anonymous
        return None
    next_url = request.get_full_path() if request.method in SAFE_METHODS else None
    return redirect(second_factor_url(user, next_url))


def _guard(request):
    if not request.user.is_authenticated:
        return None
    response = _idle_time_out(request)
    if response is not None or not request.user.is_authenticated:
        return response
    return _second_factor(request)


@sync_and_async_middleware
def staff_sessions(get_response):
    """The idle time-out and the second factor, for requests that carry a session cookie."""
    if iscoroutinefunction(get_response):

        async def middleware(request):
            if settings.SESSION_COOKIE_NAME in request.COOKIES:
                response = await sync_to_async(_guard)(request)
                if response is not None:
                    return response
            return await get_response(request)

    else:

        def middleware(request):
            if settings.SESSION_COOKIE_NAME in request.COOKIES:
                response = _guard(request)
                if response is not None:
                    return response
            return get_response(request)

    return middleware


def superuser_only(view):
    """For the RQ dashboard: its jobs' arguments and the power to delete or requeue jobs are for superusers;
    others are asked to sign in, or refused."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_superuser:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


# django-rq's templates carry inline <script> and <style> blocks: its pages alone get a policy that allows
# them. They are for superusers who passed the second factor, and Django escapes what the pages show.
RQ_DASHBOARD_CSP = {"script-src": [SELF, UNSAFE_INLINE], "style-src": [SELF, UNSAFE_INLINE]}


def rq_dashboard_patterns(patterns) -> list[URLPattern]:
    """django-rq's URL patterns for superusers only, under the dashboard's own policy."""
    policy = csp_replace(RQ_DASHBOARD_CSP)
    return [
        URLPattern(url.pattern, policy(superuser_only(url.callback)), url.default_args, url.name)
        for url in patterns
    ]


def _token_failures_key(request) -> str:
    return f"api-token-failures:{client_ip(request)}"


def token_failures_exceeded(request) -> bool:
    """Too many wrong API tokens from this address lately (off with RATE_LIMITS=off)."""
    if not settings.RATE_LIMITS:
        return False
    try:
        return (cache.get(_token_failures_key(request)) or 0) >= settings.API_TOKEN_FAILURE_LIMIT
    except redis.RedisError as error:
        # Redis down: a hall's kiosks and displays keep working on their valid tokens; the count of wrong
        # ones resumes when Redis is back (docs/faults.md).
        log.warning("API token failures not read: %s", type(error).__name__)
        return False


def record_token_failure(request) -> None:
    if not settings.RATE_LIMITS:
        return
    try:
        count(_token_failures_key(request), int(settings.AXES_COOLOFF_TIME.total_seconds()))
    except redis.RedisError as error:
        log.warning("API token failure not counted: %s", type(error).__name__)
