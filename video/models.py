"""The video call's signalling messages (kept minutes, not days) and the identity checks made by video.

Neither holds an image, a recording or an ID number: a signalling message carries the browsers' session
descriptions and network candidates, and an identity check records which checks passed, who made them and
when (the ID number read aloud is compared with the booking's HMAC and then forgotten).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments.models import Booking


class Side(models.TextChoices):
    CITIZEN = "citizen", _("citizen")
    CLERK = "clerk", _("clerk")


class Signal(models.Model):
    """One WebRTC signalling message from one side of a booking's call to the other (video/signalling.py)."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="+")
    sender = models.CharField(max_length=7, choices=Side.choices)
    kind = models.CharField(max_length=10)  # hello, offer, answer, candidate, bye
    body = models.TextField(blank=True)  # JSON from the browser, at most signalling.MAX_BODY characters
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["booking", "id"], name="video_signal_booking_id")]

    def __str__(self):
        return f"{self.booking_id} {self.sender} {self.kind}"


class IdentityCheck(models.Model):
    """A clerk's identity check of a video booking's citizen: what was checked, by whom, when."""

    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="identity_checks", verbose_name=_("booking")
    )
    face_matches = models.BooleanField(_("the face matches the ID card held to the camera"))
    id_number_matches = models.BooleanField(_("the ID number read aloud matches the booking"))
    questions_answered = models.BooleanField(_("the service's questions were answered"))
    passed = models.BooleanField(_("identity confirmed"))
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, verbose_name=_("checked by")
    )
    at = models.DateTimeField(_("checked at"), default=timezone.now)

    class Meta:
        verbose_name = _("identity check by video")
        verbose_name_plural = _("identity checks by video")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.booking_id} {'passed' if self.passed else 'failed'} {self.at:%Y-%m-%d %H:%M}"
