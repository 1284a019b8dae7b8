from asgiref.sync import iscoroutinefunction, sync_to_async
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.decorators import sync_and_async_middleware
from django.views import defaults
from whitenoise.middleware import WhiteNoiseMiddleware

from hall import api
from hall.net import client_ip


@sync_and_async_middleware
def static_files(get_response):
    """WhiteNoise, without its cost for every other request under ASGI.

    WhiteNoiseMiddleware is synchronous only, so under the ASGI server every request would hop to a thread
    and back just to learn that it is not a static file. Here only requests under STATIC_URL go to it.
    """
    whitenoise = WhiteNoiseMiddleware(get_response)
    if not iscoroutinefunction(get_response):
        return whitenoise

    def find(path):
        return whitenoise.find_file(path) if whitenoise.autorefresh else whitenoise.files.get(path)

    async def middleware(request):
        if request.path_info.startswith(whitenoise.static_prefix):
            static_file = await sync_to_async(find, thread_sensitive=False)(request.path_info)
            if static_file is not None:
                return await sync_to_async(whitenoise.serve, thread_sensitive=False)(static_file, request)
        return await get_response(request)

    return middleware


@sync_and_async_middleware
def forwarded_for(get_response):
    """Behind nginx every request comes from the proxy: the address that Django and the libraries see
    (REMOTE_ADDR, e.g. in the admin's log) becomes the client's, as hall.net.client_ip finds it. Only
    proxies named in TRUSTED_PROXIES are believed; client_ip gives the same answer before and after."""

    def rewrite(request):
        request.META["REMOTE_ADDR"] = client_ip(request)

    if iscoroutinefunction(get_response):

        async def middleware(request):
            rewrite(request)
            return await get_response(request)

    else:

        def middleware(request):
            rewrite(request)
            return get_response(request)

    return middleware


def has_nul_byte(request) -> bool:
    """A NUL byte in the path or the query string: it names nothing, and PostgreSQL refuses to even compare
    it with a column, so a lookup by such a token would fail with a 500."""
    return "\x00" in request.path or any(
        "\x00" in key or "\x00" in "".join(values) for key, values in request.GET.lists()
    )


def _bad_request(request):
    if request.path.startswith("/api/"):
        return api.error_response(request, 400, "bad_request", api.BAD_REQUEST)
    return defaults.bad_request(request, SuspiciousOperation("NUL byte in the address"))


@sync_and_async_middleware
def reject_nul_bytes(get_response):
    """Answer 400 (the error page, or the API's error format) before any view sees a NUL byte."""
    if iscoroutinefunction(get_response):

        async def middleware(request):
            return _bad_request(request) if has_nul_byte(request) else await get_response(request)

    else:

        def middleware(request):
            return _bad_request(request) if has_nul_byte(request) else get_response(request)

    return middleware


def _private(response):
    """Every answer is kept by no browser or proxy unless its view says otherwise (static files, the event
    stream): the pages and the API carry names, mobiles and booking codes, and a shared hall PC or a
    proxy must not keep them. The browser features the product uses are the camera (the kiosk's QR scan)
    (nothing else); the others are switched off for every frame."""
    if not response.has_header("Cache-Control"):
        response["Cache-Control"] = "no-store"
    response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
    return response


@sync_and_async_middleware
def private_by_default(get_response):
    if iscoroutinefunction(get_response):

        async def middleware(request):
            return _private(await get_response(request))

    else:

        def middleware(request):
            return _private(get_response(request))

    return middleware


# The attributes by which a view changes the policy of its own response (django-csp's decorators).
_CSP_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


class ContentSecurityPolicy(CSPMiddleware):
    """django-csp's middleware, with the headers of an ordinary response built once: it built them from the
    settings on every response, a tenth of the middleware's CPU on an API request (issue 20). A response
    whose view changed the policy (the decorators), or whose page used the nonce, is built as before."""

    _built: dict[bool, str] = {}

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _CSP_PER_RESPONSE
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        for report_only, header, setting, exempt in (
            (False, HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt"),
            (True, HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro"),
        ):
            policy = self._built.get(report_only)
            if policy is None:
                policy = self._built[report_only] = build_policy(report_only=report_only)
            if not policy or header in response or getattr(response, exempt, False) is not False:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = policy
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


@receiver(setting_changed)
def _policy_changed(setting, **kwargs) -> None:
    if setting in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"):
        ContentSecurityPolicy._built.clear()
