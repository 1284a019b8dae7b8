"""The screen side of pairing, for the views of the hall's screens (the kiosk, the board, a window display).

A screen's page asks `device_for(request, hall, kind)`; without a paired device it answers with
`not_set_up(...)`: the page "this screen is not set up" with its pairing code and QR code, which polls
`pairing_status` (static/js/pairing.js) and reloads once a supervisor has paired it; the reload claims the
device's key. The cookies are HttpOnly, SameSite=Lax, Secure where session cookies are, and sent only to
the hall's own pages (/h/<hall>/).
"""

import segno
from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from hall import audit, devices
from hall.devices import DeviceError
from hall.models import Device, DeviceKind, Hall

KEY_MAX_AGE = 400 * 24 * 3600  # browsers keep a cookie at most 400 days; each use renews it
POLL_SECONDS = 3


def key_cookie(kind: str) -> str:
    return f"ck_screen_{kind}"


def claim_cookie(kind: str) -> str:
    return f"ck_pairing_{kind}"


def _cookie_path(hall: Hall) -> str:
    return f"/h/{hall.slug}/"


def _set_cookie(response, hall: Hall, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=_cookie_path(hall),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def device_for(request, hall: Hall, kind: str) -> Device | None:
    """The paired device this browser holds for the hall's screen of this kind (also on request.device)."""
    device = devices.authenticate(
        hall=hall, kind=kind, key=request.COOKIES.get(key_cookie(kind)), now=timezone.now()
    )
    request.device = device
    return device


def renew(response, request, hall: Hall, kind: str) -> HttpResponse:
    """Keep a paired screen's cookie alive while the screen is in use."""
    device = getattr(request, "device", None)
    if device is not None and getattr(device, "seen_now", False):
        _set_cookie(response, hall, key_cookie(kind), request.COOKIES[key_cookie(kind)], KEY_MAX_AGE)
    return response


def pairing_url(hall: Hall, code: str) -> str:
    """Where the supervisor's phone goes when it scans the screen's QR code."""
    return f"{settings.SITE_URL}{reverse('reports:devices', args=[hall.slug])}?code={code}"


def _qr(url: str) -> str:
    svg = segno.make(url, error="m").svg_inline(
        scale=5, border=2, omitsize=True, svgclass="qr-code", title=_("QR code for the supervisor's phone")
    )
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308 - segno's markup of our own URL


def not_set_up(request, hall: Hall, kind: str) -> HttpResponse:
    """The screen is not paired: claim the device if a supervisor has just paired it, else show the code.
    A POST (a ticket, a check-in) is refused (403) and audited."""
    now = timezone.now()
    secret = request.COOKIES.get(claim_cookie(kind))
    if request.method == "GET" and (claimed := devices.claim(hall=hall, kind=kind, secret=secret, now=now)):
        _device, key = claimed
        response = redirect(request.get_full_path())
        _set_cookie(response, hall, key_cookie(kind), key, KEY_MAX_AGE)
        response.delete_cookie(claim_cookie(kind), path=_cookie_path(hall))
        return response
    context = {"hall": hall, "kind": DeviceKind(kind)}
    if request.method not in ("GET", "HEAD"):  # a ticket or a check-in without the device: no new code
        devices.record_refusal(hall=hall, kind=kind, what="post", ip=audit.client_ip(request), now=now)
        return _no_cache(render(request, "hall/screen_pairing.html", context, status=403))
    try:
        started = devices.start_pairing(
            hall=hall, kind=kind, address=request.path, secret=secret, ip=audit.client_ip(request), now=now
        )
    except DeviceError as busy:
        return _no_cache(render(request, "hall/screen_pairing.html", {**context, "busy": busy.message}))
    pairing = started.request
    context |= {
        "pairing": pairing,
        "valid_until": timezone.localtime(pairing.expires_at, hall.tz),
        "qr_svg": _qr(pairing_url(hall, pairing.code)),
        "status_url": reverse("hall:screen_pairing", args=[hall.slug, kind]),
        "poll_seconds": POLL_SECONDS,
    }
    response = render(request, "hall/screen_pairing.html", context)
    if started.secret is not None:
        max_age = int((pairing.expires_at - now).total_seconds())
        _set_cookie(response, hall, claim_cookie(kind), started.secret, max_age)
    return _no_cache(response)


def _no_cache(response):
    add_never_cache_headers(response)
    return response


def _kind(kind: str) -> str:
    if kind not in DeviceKind.values:
        raise Http404
    return kind


@require_GET
def pairing_status(request, slug, kind):
    """What the pairing page polls: "paired" (reload to claim), "waiting" or "expired" (reload for a new
    code). Read-only: the reload claims."""
    hall = get_object_or_404(Hall, slug=slug)
    now = timezone.now()
    secret = request.COOKIES.get(claim_cookie(_kind(kind)))
    found = devices.pending_request(hall=hall, kind=kind, secret=secret, now=now)
    state = "expired" if found is None else "paired" if found.device_id else "waiting"
    return _no_cache(JsonResponse({"state": state}))


@require_GET
def pairing_link(request, slug, kind, secret):
    """A one-time link that seed_demo prints for development: this browser becomes the device it names."""
    hall = get_object_or_404(Hall, slug=slug)
    found = devices.pending_request(hall=hall, kind=_kind(kind), secret=secret, now=timezone.now())
    if found is None or found.device_id is None:
        raise Http404
    address = found.address if url_has_allowed_host_and_scheme(found.address, None) else "/"
    response = redirect(address)
    remaining = int((found.expires_at - timezone.now()).total_seconds())
    _set_cookie(response, hall, claim_cookie(kind), secret, max(remaining, 1))
    return response
