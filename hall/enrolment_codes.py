"""Issuing and redeeming one-time enrolment codes (the model: hall/enrolment.py; issue 17).

An administrator issues a code for one user (the admin's user list, or `manage.py issue_enrolment_code`
for the first administrator); the code is shown once. The user enters it on the set-up page, which only
then creates an authenticator device and shows its key; the session is bound to the code used. Every issue,
use and refusal (wrong, expired, already used, too many tries) is an audit entry, in the hall of the user
the code is for, so that their supervisor sees it on the audit page.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from hall import audit
from hall.enrolment import EnrolmentCode, hash_code, new_code
from hall.models import AuditAction, AuditEntry

SESSION_KEY = "enrolment_code"
DEVICE_NAME = "authenticator app"
THROTTLE_WINDOW = dt.timedelta(hours=1)
# Why a code was refused: the audit entry's detail (no personal data, never the code typed) → the message.
WRONG, EXPIRED, USED, TOO_MANY = "wrong", "expired", "already used", "too many tries"
MESSAGES = {
    WRONG: _("This enrolment code is not right. Check it, or ask an administrator for a new enrolment code."),
    EXPIRED: _("This enrolment code has expired. Ask an administrator for a new enrolment code."),
    USED: _("This enrolment code has already been used. Ask an administrator for a new enrolment code."),
    TOO_MANY: _(
        "Too many wrong enrolment codes. Try again in an hour, or ask an administrator for a new enrolment "
        "code."
    ),
}


def issue(user, *, by=None, ip: str | None = None, how: str = "", now: dt.datetime | None = None) -> str:
    """A new code for `user` (their earlier codes stop working); returns the code, which is not kept."""
    now = now or timezone.now()
    code = new_code()
    hours = settings.ENROLMENT_CODE_HOURS
    with transaction.atomic():
        EnrolmentCode.objects.filter(user=user).delete()
        row = EnrolmentCode.objects.create(
            user=user,
            code_hash=hash_code(code),
            issued_by=by if getattr(by, "is_authenticated", False) else None,
            issued_at=now,
            expires_at=now + dt.timedelta(hours=hours),
        )
    detail = f"code {row.pk} for user {user.pk}, valid {hours} h{how}"
    audit.record(
        action=AuditAction.ENROLMENT_ISSUED,
        hall=audit.staff_hall(user),
        actor=by,
        obj=row,
        detail=detail,
        ip=ip,
    )
    return code


def _throttled(user, now: dt.datetime) -> bool:
    since = now - THROTTLE_WINDOW
    last_issued = EnrolmentCode.objects.filter(user=user).values_list("issued_at", flat=True).first()
    if last_issued is not None and last_issued > since:
        since = last_issued  # a new code from an administrator is a fresh start
    failures = AuditEntry.objects.filter(
        action=AuditAction.ENROLMENT_REFUSED, actor=user, at__gte=since
    ).exclude(detail=TOO_MANY)
    return failures.count() >= settings.ENROLMENT_CODE_FAILURE_LIMIT


def _check(user, typed: str, now: dt.datetime) -> tuple[EnrolmentCode | None, str | None]:
    """The user's code if `typed` is it and it can be used now, else the reason it cannot."""
    if _throttled(user, now):
        return None, TOO_MANY
    row = EnrolmentCode.objects.filter(user=user).first()
    if row is None or not row.matches(typed):
        return None, WRONG
    if row.used_at is not None:
        return row, USED
    if row.expires_at <= now:
        return row, EXPIRED
    # Claimed in one statement, so that two simultaneous requests cannot both use it.
    claimed = EnrolmentCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now)
    return (row, None) if claimed else (row, USED)


def redeem(request, typed: str) -> str | None:
    """Use `typed` as the signed-in user's enrolment code: on success the session may set up a new device
    (None is returned); otherwise the message to show, and the refusal is audited."""
    user, now = request.user, timezone.now()
    row, refusal = _check(user, typed, now)
    hall = audit.staff_hall(user)
    if refusal is not None:
        refused = AuditAction.ENROLMENT_REFUSED
        audit.record_request(request, action=refused, hall=hall, obj=row, detail=refusal)
        return MESSAGES[refusal]
    audit.record_request(
        request, action=AuditAction.ENROLMENT_USED, hall=hall, obj=row, detail=f"code {row.pk}"
    )
    # A key shown before (for instance before enrolment codes existed) cannot be confirmed any more.
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    request.session[SESSION_KEY] = row.pk
    return None


def device_to_set_up(request) -> TOTPDevice | None:
    """The device whose key this session may see and confirm: only after an enrolment code was used in it,
    and only while that code is the user's latest (a reset issues a new one)."""
    pk = request.session.get(SESSION_KEY)
    if (
        pk is None
        or not EnrolmentCode.objects.filter(pk=pk, user=request.user, used_at__isnull=False).exists()
    ):
        return None
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=request.user, name=DEVICE_NAME, confirmed=False)


def finished(request) -> None:
    request.session.pop(SESSION_KEY, None)
