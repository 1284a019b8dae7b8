"""Staff sign-in: the password step (throttled by django-axes and hall/signin_throttle.py), then the second
factor (a TOTP code from an authenticator app) for the roles that need it, with enrolment the first time
(hall/security.py), which needs a one-time enrolment code from an administrator (hall/enrolment_codes.py)."""

import math
from base64 import b32encode
from urllib.parse import urlencode

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from hall import audit, enrolment_codes, navigation, security, signin_throttle
from hall.models import AuditAction
from hall.redirects import path_on_this_site

LOCKED_OUT = _(
    "Too many failed sign-ins for this user name from this computer. Sign-in is locked for %(minutes)s "
    "minutes; try again later, or ask an administrator to unlock it."
)
CODE_FORMAT = _("Enter the 6 digits that your authenticator app shows, for example 123456.")
WRONG_CODE = _("This code is not right. Enter the 6 digits that your authenticator app shows now.")
WAIT_FOR_CODE = _("Too many wrong codes. Please wait %(seconds)s s, then enter the code your app shows now.")
ENTER_ENROLMENT_CODE = _("Enter the enrolment code that an administrator gave you.")
ENROLLED = _("Two-step sign-in is set up. From now on, enter a code from your app after your password.")


class StaffLoginView(auth_views.LoginView):
    template_name = "hall/login.html"

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        if refused := signin_throttle.refusal(request, username):  # spraying (hall/signin_throttle.py)
            signin_throttle.record_refusal(request, username, refused)
            return sign_in_refused(request, refused.message)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)  # signing in starts the idle clock (security.on_signed_in)
        if security.needs_second_factor(self.request.user):
            response = redirect(security.second_factor_url(self.request.user, self.get_success_url()))
        signin_throttle.remember_device(self.request, response, form.get_user().get_username())
        return response


def admin_login(request):
    """The admin signs in through the staff sign-in page, so that throttling and the second factor apply.
    Staff signed in without admin rights (window staff) are told so, with a link to their own home."""
    next_url = path_on_this_site(request, request.GET.get("next") or "") or reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to(reverse("login"), next_url)
    if admin.site.has_permission(request):
        return redirect(next_url)
    context = {"home": navigation.home_url(request.user)}
    return render(request, "hall/admin_refused.html", context, status=403)


@login_required
def staff_home(request):
    """Where each role lands after signing in (hall/navigation.py home_url)."""
    return redirect(navigation.home_url(request.user))


class PasswordChangeView(auth_views.PasswordChangeView):
    """Every staff member changes their own password; Django's AUTH_PASSWORD_VALIDATORS apply."""

    template_name = "hall/password_change.html"


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "hall/password_change_done.html"


def redirect_to(url: str, next_url: str):
    return redirect(f"{url}?{urlencode({'next': next_url})}")


def locked_out(request, *args, **kwargs):
    """django-axes' answer to a locked-out user name and address: the sign-in page with the reason."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return sign_in_refused(request, LOCKED_OUT % {"minutes": minutes})


def sign_in_refused(request, reason: str):
    """The sign-in page with the reason why signing in is refused for now (429 Too Many Requests)."""
    context = {
        "form": AuthenticationForm(request),
        "locked_out": reason,
        "next": _safe_next(request, request.POST.get("next") or ""),
    }
    return render(request, "hall/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=20,
        error_messages={"required": CODE_FORMAT, "max_length": CODE_FORMAT},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError(CODE_FORMAT)
        return code


def _safe_next(request, url: str) -> str:
    return path_on_this_site(request, url) or resolve_url(settings.LOGIN_REDIRECT_URL)


def _check_code(request, device: TOTPDevice, form: CodeForm, *, confirm: bool = False) -> bool:
    """Verify the form's code on the device (throttled by django-otp); on success the session is verified,
    and with `confirm` a device being enrolled becomes the user's device."""
    allowed, info = device.verify_is_allowed()
    if not allowed:
        seconds = math.ceil((info["locked_until"] - timezone.now()).total_seconds())
        form.add_error("code", WAIT_FOR_CODE % {"seconds": max(seconds, 1)})
        return False
    # Locks the device row, so that one code cannot be used twice by simultaneous requests.
    verified = django_otp.verify_token(request.user, device.persistent_id, form.cleaned_data["code"])
    if verified is None:
        form.add_error("code", WRONG_CODE)
        audit.record_request(request, action=AuditAction.OTP_FAILED, hall=audit.staff_hall(request.user))
        return False
    if confirm:
        TOTPDevice.objects.filter(pk=verified.pk).update(confirmed=True)
        verified.confirmed = True
        audit.record_request(request, action=AuditAction.OTP_ENROLLED, hall=audit.staff_hall(request.user))
    django_otp.login(request, verified)
    security.record_activity(request)
    return True


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next") or "")
    if not security.needs_second_factor(request.user) or security.is_verified(request.user):
        return redirect(next_url)
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return redirect_to(reverse("otp_enrol"), next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _check_code(request, device, form):
        return redirect(next_url)
    return render(request, "hall/otp_verify.html", {"form": form, "next": next_url})


WRONG_ENROLMENT_CODE = enrolment_codes.MESSAGES[enrolment_codes.WRONG]


class EnrolmentCodeForm(forms.Form):
    enrolment_code = forms.CharField(
        label=_("Enrolment code"),
        max_length=40,
        error_messages={"required": ENTER_ENROLMENT_CODE, "max_length": WRONG_ENROLMENT_CODE},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def otp_enrol(request):
    """Set up an authenticator app: first the enrolment code that an administrator issued, then scan the QR
    code (or type the key) and confirm with one code."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next") or "")
    if not security.needs_second_factor(request.user) or security.is_verified(request.user):
        return redirect(next_url)
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect_to(reverse("otp_verify"), next_url)
    device = enrolment_codes.device_to_set_up(request)
    if device is None:
        return _enrolment_code_step(request, next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _check_code(request, device, form, confirm=True):
        enrolment_codes.finished(request)
        messages.success(request, ENROLLED)
        return redirect(next_url)
    secret = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": next_url,
        "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return render(request, "hall/otp_enrol.html", context)


def _enrolment_code_step(request, next_url: str):
    """No key without an enrolment code: ask for it; a valid one opens the key on the same page."""
    form = EnrolmentCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        refusal = enrolment_codes.redeem(request, form.cleaned_data["enrolment_code"])
        if refusal is None:
            return redirect_to(reverse("otp_enrol"), next_url)
        form.add_error("enrolment_code", refusal)
    context = {"form": form, "next": next_url, "hours": settings.ENROLMENT_CODE_HOURS}
    return render(request, "hall/otp_enrolment_code.html", context)
