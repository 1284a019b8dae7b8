from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from appointments.booking_rules import BookingRules, CapacityOverride  # noqa: F401 - models of this app
from hall.models import Hall, Service
from hall.privacy import mask_name, mask_phone


class Mode(models.TextChoices):
    """How the citizen is served: at the hall, or by video with the online room (网上户籍室)."""

    HALL = "hall", _("at the hall")
    VIDEO = "video", _("by video")


class SlotQuerySet(models.QuerySet):
    def on(self, service, date, mode=Mode.HALL):
        return self.filter(service=service, date=date, mode=mode).order_by("start")


class Slot(models.Model):
    """A bookable arrival window. `taken` counts places held by bookings, including cancelled places
    that have not yet been released and places offered to the waiting list."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="slots", verbose_name=_("hall"))
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="slots", verbose_name=_("service")
    )
    date = models.DateField(_("date"))
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    capacity = models.PositiveIntegerField(_("places online"))
    held_back = models.PositiveIntegerField(_("places held back"), default=0)
    taken = models.PositiveIntegerField(_("places taken"), default=0)
    taken_held_back = models.PositiveIntegerField(_("held-back places taken"), default=0)
    closed = models.BooleanField(_("closed"), default=False)
    # Video slots count the service's online-room counters, hall slots its windows (availability.py).
    mode = models.CharField(_("how"), max_length=5, choices=Mode.choices, default=Mode.HALL)

    objects = SlotQuerySet.as_manager()

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["start"]
        constraints = [
            models.UniqueConstraint(fields=["service", "mode", "start"], name="slot_unique_mode_start"),
            models.CheckConstraint(condition=Q(taken__lte=F("capacity")), name="slot_never_overbooked"),
            models.CheckConstraint(
                condition=Q(taken_held_back__lte=F("held_back")), name="slot_held_back_limit"
            ),
        ]
        indexes = [
            models.Index(fields=["service", "date"], name="slot_service_date"),
            # A hall's day of bookings is found through its slots (BookingQuerySet.of_day): bookings are
            # kept after their day (erased of personal data, counted by the reports), so reading them by
            # the booking's hall walks every booking the hall ever had.
            models.Index(fields=["hall", "date"], name="slot_hall_date"),
        ]

    def __str__(self):
        video = " video" if self.mode == Mode.VIDEO else ""
        return f"{self.service} {self.start:%Y-%m-%d %H:%M}{video}"

    @property
    def remaining(self) -> int:
        return 0 if self.closed else max(0, self.capacity - self.taken)


class BookingState(models.TextChoices):
    BOOKED = "booked", _("booked")
    CANCELLED = "cancelled", _("cancelled")
    CHECKED_IN = "checked_in", _("checked in")
    NO_SHOW = "no_show", _("no-show")
    SERVED = "served", _("served")
    # Checked in, but its ticket was still open when the hall's day ended (queueing/dayend.py): no longer
    # active, and not a no-show.
    UNFINISHED = "unfinished", _("not finished")


ACTIVE_STATES = (BookingState.BOOKED, BookingState.CHECKED_IN)


class GreenChannel(models.TextChoices):
    ELDERLY = "elderly", _("elderly (70 or older)")
    DISABLED = "disabled", _("disabled")
    PREGNANT = "pregnant", _("pregnant")
    MIGRANT_WORKER = "migrant_worker", _("migrant worker going home")
    URGENT = "urgent", _("urgent matter")


class Channel(models.TextChoices):
    ONLINE = "online", _("online")
    STAFF = "staff", _("by staff")
    API = "api", _("API")


class BookingQuerySet(models.QuerySet):
    def active(self):
        return self.filter(state__in=ACTIVE_STATES)

    def of_day(self, hall, dates):
        """The hall's bookings of a day (or of several: a list of dates), through the slots of that day
        (index slot_hall_date). Not `filter(hall=hall, slot__date=date)`: PostgreSQL answers that through
        the booking's hall index, every booking the hall ever had (bench/day_of_bookings.py)."""
        if isinstance(dates, list | tuple):
            return self.filter(slot__hall=hall, slot__date__in=dates)
        return self.filter(slot__hall=hall, slot__date=dates)

    def made_with(self, phone_hash: str):
        """Bookings made with this mobile: what a booker proves (a code texted to it), unlike the ID number
        they type. Per-person limits and the no-show block count these (appointments/limits.py)."""
        return self.filter(phone_hash=phone_hash)


class Booking(models.Model):
    code = models.CharField(_("booking code"), max_length=12, unique=True)
    manage_token = models.CharField(_("manage token"), max_length=64, unique=True)
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="bookings", verbose_name=_("hall"))
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("service")
    )
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("slot"))
    persons = models.PositiveSmallIntegerField(
        _("persons"), default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    uses_held_back = models.BooleanField(_("uses a held-back place"), default=False)
    state = models.CharField(
        _("state"), max_length=12, choices=BookingState.choices, default=BookingState.BOOKED
    )
    # Personal data: erased after the retention period (erase_expired_personal_data).
    name = models.CharField(_("name"), max_length=60)
    phone = PhoneNumberField(_("mobile"), region="CN", blank=True)
    phone_hash = models.CharField(max_length=64, db_index=True)
    id_hash = models.CharField(max_length=64, db_index=True)
    id_masked = models.CharField(_("ID number"), max_length=18)
    green_channel = models.CharField(
        _("green channel"), max_length=20, choices=GreenChannel.choices, blank=True
    )
    green_note = models.CharField(_("green channel note"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    mode = models.CharField(_("how"), max_length=5, choices=Mode.choices, default=Mode.HALL)  # its slot's
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("booked by staff"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "id_hash"],
                condition=Q(state__in=["booked", "checked_in"]),
                name="one_active_booking_per_id_per_service",
            ),
            models.CheckConstraint(
                condition=Q(persons__gte=1, persons__lte=5), name="booking_persons_1_to_5"
            ),
        ]
        indexes = [models.Index(fields=["created_at"], name="booking_created")]

    def __str__(self):
        return self.code

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def can_change(self) -> bool:
        return self.state == BookingState.BOOKED

    @property
    def by_video(self) -> bool:
        return self.mode == Mode.VIDEO

    @property
    def name_masked(self) -> str:
        return mask_name(self.name)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


MAX_MATTERS = 3  # services a booking may hold: the first (Booking.service) and up to two more


class BookingMatterQuerySet(models.QuerySet):
    def active_for(self, id_hash: str):
        return self.filter(active_id_hash=id_hash)


class BookingMatter(models.Model):
    """A further service done at the same visit (positions 2 and 3; the first is Booking.service/slot), with
    the places it takes in that service's slot for the same arrival window."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="matters")
    position = models.PositiveSmallIntegerField(_("position"))
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="booking_matters", verbose_name=_("service")
    )
    slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, related_name="booking_matters", verbose_name=_("slot")
    )
    uses_held_back = models.BooleanField(_("uses a held-back place"), default=False)
    # The person's ID hash while the booking is active, NULL afterwards: the partial unique index below then
    # holds "one active booking per ID number and service" for further matters too, and no copy of the hash
    # outlives the booking.
    active_id_hash = models.CharField(max_length=64, null=True, blank=True)

    objects = BookingMatterQuerySet.as_manager()

    class Meta:
        verbose_name = _("further matter")
        verbose_name_plural = _("further matters")
        ordering = ["booking", "position"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "position"], name="booking_matter_position_once"),
            models.UniqueConstraint(fields=["booking", "service"], name="booking_matter_service_once"),
            models.UniqueConstraint(
                fields=["service", "active_id_hash"], name="one_active_matter_per_id_per_service"
            ),
            models.CheckConstraint(
                condition=Q(position__gte=2, position__lte=MAX_MATTERS), name="booking_matter_position_2_to_3"
            ),
        ]

    def __str__(self):
        return f"{self.booking_id} #{self.position} {self.service_id}"


class HoldReason(models.TextChoices):
    CANCELLED = "cancelled", _("cancelled, not yet back on sale")
    MOVED = "moved", _("rescheduled away, not yet back on sale")
    OFFER = "offer", _("offered to the waiting list")


class PlaceHold(models.Model):
    """Places that no booking holds but that are not yet back on sale: a cancelled or moved-away booking's
    places (released after a delay, so that places cannot be traded) and waiting-list offers."""

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="holds")
    persons = models.PositiveSmallIntegerField(default=1)
    held_back = models.BooleanField(default=False)
    reason = models.CharField(max_length=10, choices=HoldReason.choices)
    release_at = models.DateTimeField(db_index=True)
    waitlist_entry = models.OneToOneField(
        "WaitlistEntry", on_delete=models.CASCADE, null=True, blank=True, related_name="hold"
    )

    class Meta:
        verbose_name = _("place on hold")
        verbose_name_plural = _("places on hold")

    def __str__(self):
        return f"{self.slot_id} ×{self.persons} until {self.release_at:%H:%M}"


class BookingEvent(models.Model):
    """Every state change of a booking: who, when, from where."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    note = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    source = models.CharField(max_length=20)  # web, api, staff, system
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("booking event")
        verbose_name_plural = _("booking events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.booking_id}: {self.from_state} → {self.to_state}"


class BlockLift(models.Model):
    """A supervisor lifted a no-show block: no-shows before `at` of bookings made with this mobile no longer
    count. `id_hash` is the ID number the supervisor looked the person up by; rows from before blocks
    followed the mobile have no `phone_hash` and lift the block of that ID number's bookings."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="block_lifts")
    id_hash = models.CharField(max_length=64, db_index=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    reason = models.CharField(_("reason"), max_length=200)
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.hall_id} {self.at:%Y-%m-%d}"


class WaitlistState(models.TextChoices):
    WAITING = "waiting", _("waiting")
    OFFERED = "offered", _("place offered")
    ACCEPTED = "accepted", _("accepted")
    EXPIRED = "expired", _("expired")
    CANCELLED = "cancelled", _("cancelled")


class WaitlistEntry(models.Model):
    token = models.CharField(max_length=64, unique=True)
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="waitlist")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="waitlist")
    date = models.DateField(_("date"))
    phone = PhoneNumberField(_("mobile"), region="CN")
    language = models.CharField(max_length=10, default="zh-hans")
    state = models.CharField(max_length=10, choices=WaitlistState.choices, default=WaitlistState.WAITING)
    offered_slot = models.ForeignKey(Slot, on_delete=models.SET_NULL, null=True, blank=True)
    booking = models.OneToOneField(Booking, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("waiting-list entry")
        verbose_name_plural = _("waiting list")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["service", "date", "state"], name="waitlist_queue")]

    def __str__(self):
        return f"{self.service_id} {self.date} {self.state}"


class PhoneCode(models.Model):
    """A one-time code texted to a mobile before booking (appointments/verification.py).

    Kept in PostgreSQL, not in the cache, so that booking with codes on keeps working while Redis is down.
    Only keyed hashes are stored: neither the code nor the mobile. Rows go after an hour (the send limit's
    window) with the nightly erasure.
    """

    nonce = models.CharField(max_length=32, unique=True)
    digest = models.CharField(max_length=64)
    phone_hash = models.CharField(max_length=64)
    tries = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = pgettext_lazy("a code sent by text message to confirm a booking", "booking code")
        verbose_name_plural = _("booking codes")
        indexes = [models.Index(fields=["phone_hash", "created_at"], name="phone_code_sends")]

    def __str__(self):
        return f"{self.nonce[:6]}… {self.created_at:%Y-%m-%d %H:%M}"
