"""A shorter way through Django for the API's bearer-token requests that carry no cookie (issue 20): a
window's call-next and complete, a kiosk's tickets, a display's board. Such a request has no session, so
the middleware that serves sessions and what hangs on them (the session, its CSRF check, the signed-in
user, the second factor, messages, the staff session's idle time-out, django-axes' sign-in lockout) has
nothing to do for it but build and drop empty objects: on these hot paths that was a tenth of the web's CPU
of a unit. Everything else runs as for any request, in the same order: the private and security headers
(Cache-Control, Permissions-Policy, HSTS, nosniff, referrer policy, X-Frame-Options, CSP), the client's
address behind a proxy, the language, admission control, the NUL-byte guard, the database-outage answer.

The API authenticates such a request by its token alone (hall/apiauth.py); `request.user` is the anonymous
user, as the session middleware's would be for a request without a session cookie, so that a wrong token
still answers 401 (the session's way of signing in finds nobody). A request with any cookie, or outside
/api/, takes the whole way.
"""

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject

# Imported by hall/wsgi.py before Django is set up: models (the anonymous user) only once the handler loads
# its middleware.

# The middleware a cookie-less bearer request skips: each serves sessions or what a session carries.
SKIPPED = frozenset(
    {
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django_otp.middleware.OTPMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "hall.security.staff_sessions",
        "axes.middleware.AxesMiddleware",
        "hall.middleware.static_files",  # only static files, never under /api/
    }
)
PREFIX = "/api/"


def anonymous(get_response):
    """What the skipped session and authentication middleware would give a request without cookies: the
    anonymous user, and, once something asked who is signed in, `Vary: Cookie` (the answer would have been
    another with a session's cookie)."""

    from django.contrib.auth.models import AnonymousUser

    def middleware(request):
        asked = []

        def user():
            asked.append(True)
            return AnonymousUser()

        request.user = SimpleLazyObject(user)
        response = get_response(request)
        if asked:
            patch_vary_headers(response, ("Cookie",))
        return response

    return middleware


def lean_middleware(middleware: list[str]) -> list[str]:
    """`middleware` without SKIPPED, with `anonymous` where the session middleware was."""
    lean = []
    for name in middleware:
        if name == "django.contrib.sessions.middleware.SessionMiddleware":
            lean.append("hall.bearer.anonymous")
        elif name not in SKIPPED:
            lean.append(name)
    return lean


def takes_the_short_way(environ) -> bool:
    """A request to the API with a bearer token and no cookie at all."""
    return (
        environ.get("PATH_INFO", "").startswith(PREFIX)
        and environ.get("HTTP_AUTHORIZATION", "")[:7].lower() == "bearer "
        and not environ.get("HTTP_COOKIE")
    )


def wsgi(application):
    """`application` (Django's WSGI handler, as get_wsgi_application builds it) for every request but
    those that `takes_the_short_way`, which a second handler with the lean middleware serves."""
    from django.test.utils import override_settings

    with override_settings(MIDDLEWARE=lean_middleware(settings.MIDDLEWARE)):
        lean = WSGIHandler()

    def app(environ, start_response):
        if takes_the_short_way(environ):
            return lean(environ, start_response)
        return application(environ, start_response)

    app.lean = lean
    return app
