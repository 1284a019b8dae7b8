"""Documents by post (预约邮寄) and pickup of finished documents (领证).

A postal item follows one matter both ways: the citizen's materials posted to the hall, then the finished
document posted back. A pickup is a finished document waiting at the hall. Both keep personal data like
bookings: the ID number only as an HMAC plus a masked form, the mobile for messages, shown masked.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from appointments.models import Booking
from hall.models import Hall, Service
from hall.privacy import mask_phone
from queueing.models import Ticket


class PostalState(models.TextChoices):
    APPLIED = "applied", _("waiting for the materials")
    MATERIALS_RECEIVED = "materials_received", _("materials received")
    PROCESSED = "processed", _("document ready to send")
    SENT = "sent", _("sent by post")
    DELIVERED = "delivered", _("delivered")
    RETURNED = "returned", _("returned undelivered")
    CANCELLED = "cancelled", _("cancelled")


# The states a staff member must still act on, in the order of the work.
OPEN_POSTAL_STATES = (
    PostalState.APPLIED,
    PostalState.MATERIALS_RECEIVED,
    PostalState.PROCESSED,
    PostalState.SENT,
    PostalState.RETURNED,
)


class PostalOrigin(models.TextChoices):
    ONLINE = "online", _("applied online")
    COUNTER = "counter", _("chosen at the counter")
    PICKUP = "pickup", _("pickup posted on request")
    VIDEO = "video", _("done by video, sent by post")


class PostalItemQuerySet(models.QuerySet):
    def for_hall(self, hall):
        return self.filter(hall=hall)

    def open(self):
        return self.filter(state__in=OPEN_POSTAL_STATES)


class PostalItem(models.Model):
    hall = models.ForeignKey(
        Hall, on_delete=models.CASCADE, related_name="postal_items", verbose_name=_("hall")
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="postal_items", verbose_name=_("service")
    )
    reference = models.CharField(_("reference"), max_length=12, unique=True)
    token = models.CharField(max_length=64, unique=True)
    origin = models.CharField(_("origin"), max_length=10, choices=PostalOrigin.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=PostalState.choices, default=PostalState.APPLIED
    )
    # The applicant.
    name = models.CharField(_("name"), max_length=60)
    phone = PhoneNumberField(_("mobile"), region="CN")
    id_hash = models.CharField(max_length=64, db_index=True, blank=True)
    id_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    # Where the document goes.
    recipient = models.CharField(_("recipient"), max_length=60)
    recipient_phone = PhoneNumberField(_("recipient's mobile"), region="CN")
    province = models.CharField(_("province"), max_length=30)
    city = models.CharField(_("city"), max_length=30)
    district = models.CharField(_("district or county"), max_length=30)
    street = models.CharField(_("street address"), max_length=200)
    missing_note = models.TextField(_("materials to post"), blank=True)
    courier = models.CharField(_("courier"), max_length=40, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("ticket")
    )
    booking = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("booking")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    state_changed_at = models.DateTimeField(_("state since"), default=timezone.now)

    objects = PostalItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("postal item")
        verbose_name_plural = _("postal items")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["hall", "state"], name="postal_item_hall_state")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state__in=["sent", "delivered"]) | (~Q(courier="") & ~Q(tracking_number="")),
                name="postal_item_sent_has_tracking",
            )
        ]

    def __str__(self):
        return self.reference

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def recipient_phone_masked(self) -> str:
        return mask_phone(self.recipient_phone)

    @property
    def address(self) -> str:
        return f"{self.province}{self.city}{self.district}{self.street}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_POSTAL_STATES


class Event(models.Model):
    """One state change: who, when, from where, from which state to which."""

    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    source = models.CharField(max_length=20)  # web (citizen), staff, system
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["at", "id"]


class PostalEvent(Event):
    item = models.ForeignKey(PostalItem, on_delete=models.CASCADE, related_name="events")

    def __str__(self):
        return f"{self.item_id}: {self.from_state or '-'} -> {self.to_state}"

    def get_from_state_display(self):
        return PostalState(self.from_state).label if self.from_state else ""

    def get_to_state_display(self):
        return PostalState(self.to_state).label


class PickupState(models.TextChoices):
    READY = "ready", _("ready for pickup")
    COLLECTED = "collected", _("collected")
    POSTED = "posted", _("to be posted")


class PickupQuerySet(models.QuerySet):
    def for_hall(self, hall):
        return self.filter(hall=hall)

    def waiting(self):
        return self.filter(state=PickupState.READY)

    def uncollected_since(self, before):
        return self.waiting().filter(ready_at__lt=before)


class Pickup(models.Model):
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="pickups", verbose_name=_("hall"))
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        related_name="pickups",
        verbose_name=_("service"),
        help_text=_("The service that made the document, e.g. ID card renewal."),
    )
    code = models.CharField(_("pickup code"), max_length=12, unique=True)
    token = models.CharField(max_length=64, unique=True)
    state = models.CharField(
        _("state"), max_length=12, choices=PickupState.choices, default=PickupState.READY
    )
    name = models.CharField(_("name"), max_length=60)
    phone = PhoneNumberField(_("mobile"), region="CN")
    id_hash = models.CharField(max_length=64, db_index=True)
    id_masked = models.CharField(_("ID number"), max_length=18)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    note = models.CharField(_("note"), max_length=200, blank=True)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("ticket")
    )
    booking = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("booking")
    )
    postal_item = models.OneToOneField(
        PostalItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pickup",
        verbose_name=_("postal item"),
    )
    ready_at = models.DateTimeField(_("ready since"), default=timezone.now)
    collected_at = models.DateTimeField(_("collected"), null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_told_at = models.DateTimeField(_("citizen last told"), default=timezone.now)

    objects = PickupQuerySet.as_manager()

    class Meta:
        verbose_name = _("document for pickup")
        verbose_name_plural = _("documents for pickup")
        ordering = ["ready_at", "id"]
        indexes = [models.Index(fields=["hall", "state", "ready_at"], name="pickup_hall_state")]

    def __str__(self):
        return self.code

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class PickupEvent(Event):
    pickup = models.ForeignKey(Pickup, on_delete=models.CASCADE, related_name="events")

    def __str__(self):
        return f"{self.pickup_id}: {self.from_state or '-'} -> {self.to_state}"

    def get_from_state_display(self):
        return PickupState(self.from_state).label if self.from_state else ""

    def get_to_state_display(self):
        return PickupState(self.to_state).label
