from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from appointments.models import Booking, GreenChannel
from hall.models import Counter, Hall, Material, Service


class QueueRules(models.Model):
    """A hall's queue rules; a hall without a row uses the defaults below."""

    hall = models.OneToOneField(
        Hall, on_delete=models.CASCADE, related_name="queue_rules", verbose_name=_("hall")
    )
    early_minutes = models.PositiveSmallIntegerField(
        _("check-in opens before the booked window (minutes)"), default=30
    )
    appointments_per_walk_in = models.PositiveSmallIntegerField(
        _("appointments called per walk-in"), default=2, validators=[MinValueValidator(1)]
    )
    recall_limit = models.PositiveSmallIntegerField(
        _("unanswered calls before a no-show"), default=3, validators=[MinValueValidator(1)]
    )
    come_in_at = models.PositiveSmallIntegerField(_("ask to come in when this many are ahead"), default=5)
    last_ticket_minutes = models.PositiveSmallIntegerField(
        _("last walk-in ticket before closing (minutes)"),
        default=30,
        help_text=_("Walk-in tickets stop this long before the hall closes; a service may set its own."),
    )
    stop_by_estimate = models.BooleanField(
        _("stop walk-in tickets by the estimate"),
        default=True,
        help_text=_(
            "Also stop walk-in tickets of a service once the estimated wait says a new ticket would not be "
            "called before closing."
        ),
    )

    class Meta:
        verbose_name = _("queue rules")
        verbose_name_plural = _("queue rules")

    def __str__(self):
        return str(self.hall)


class WalkInQuota(models.Model):
    service = models.OneToOneField(
        Service, on_delete=models.CASCADE, related_name="walk_in_quota", verbose_name=_("service")
    )
    per_day = models.PositiveIntegerField(_("walk-in tickets per day"), default=100)
    per_hour = models.PositiveIntegerField(_("walk-in tickets per hour"), default=30)
    last_ticket_minutes = models.PositiveSmallIntegerField(
        _("last walk-in ticket before closing (minutes)"),
        null=True,
        blank=True,
        help_text=_("Empty: the hall's setting."),
    )

    class Meta:
        verbose_name = _("walk-in quota")
        verbose_name_plural = _("walk-in quotas")

    def __str__(self):
        return f"{self.service}: {self.per_day}/{self.per_hour}"


class DaySequence(models.Model):
    """The last ticket number issued per hall, service and day; locked in the ticket's own transaction."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE)
    service = models.ForeignKey(Service, on_delete=models.CASCADE)
    date = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hall", "service", "date"], name="day_sequence_unique")
        ]

    def __str__(self):
        return f"{self.service_id} {self.date} {self.last}"


class CounterState(models.TextChoices):
    CLOSED = "closed", _("closed")
    OPEN = "open", _("open")
    PAUSED = "paused", _("paused")


class CounterSession(models.Model):
    """Who staffs a counter now and whether it is open; one user per counter at a time."""

    counter = models.OneToOneField(Counter, on_delete=models.CASCADE, related_name="session")
    state = models.CharField(max_length=10, choices=CounterState.choices, default=CounterState.CLOSED)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="counter_session",
    )
    calls_since_walk_in = models.PositiveSmallIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.counter} {self.state}"


class TicketState(models.TextChoices):
    WAITING = "waiting", _("waiting")
    CALLED = "called", _("called")
    SERVING = "serving", _("being served")
    PARKED = "parked", _("fetching papers")
    DONE = "done", _("done")
    NO_SHOW = "no_show", _("no-show")
    TRANSFERRED = "transferred", _("transferred")
    CANCELLED = "cancelled", _("cancelled")
    REBOOKED = "rebooked", _("booked for the next open day")
    # Still open when its day ended (queueing/dayend.py): nobody finished it, which is not the citizen's
    # no-show.
    DAY_ENDED = "day_ended", _("not finished when the day ended")


OPEN_STATES = (TicketState.WAITING, TicketState.CALLED, TicketState.SERVING, TicketState.PARKED)
AT_COUNTER_STATES = (TicketState.CALLED, TicketState.SERVING)


class TicketKind(models.TextChoices):
    APPOINTMENT = "appointment", _("appointment")
    WALK_IN = "walk_in", _("walk-in")


class Outcome(models.TextChoices):
    DONE = "done", _("done")
    MATERIALS_MISSING = "materials_missing", _("materials missing")


class ClosingOutcome(models.TextChoices):
    """What the supervisor decided for a ticket still waiting when the hall closed."""

    AFTER_HOURS = "after_hours", _("served after hours")
    REBOOKED = "rebooked", _("priority booking for the next open day")


class TicketQuerySet(models.QuerySet):
    def today(self, hall, date):
        return self.filter(hall=hall, date=date)

    def waiting(self):
        return self.filter(state=TicketState.WAITING)

    def open(self):
        return self.filter(state__in=OPEN_STATES)


class Ticket(models.Model):
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="tickets", verbose_name=_("hall"))
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("service")
    )
    date = models.DateField(_("date"))
    sequence = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("number"), max_length=8)
    token = models.CharField(max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=TicketKind.choices)
    booking = models.ForeignKey(
        Booking,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("booking"),
    )
    booked_start = models.DateTimeField(_("booked time"), null=True, blank=True)
    green_channel = models.CharField(
        _("green channel"), max_length=20, choices=GreenChannel.choices, blank=True
    )
    green_note = models.CharField(_("green channel note"), max_length=200, blank=True)
    transferred_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="transfers"
    )
    # A ticket transferred to one counter is called only there.
    for_counter = models.ForeignKey(
        Counter, on_delete=models.SET_NULL, null=True, blank=True, related_name="transferred_tickets"
    )
    state = models.CharField(
        _("state"), max_length=12, choices=TicketState.choices, default=TicketState.WAITING
    )
    inside = models.BooleanField(_("waiting inside"), default=True)
    seat = models.CharField(_("seat"), max_length=10, blank=True)
    counter = models.ForeignKey(
        Counter,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("counter"),
    )
    calls = models.PositiveSmallIntegerField(_("calls"), default=0)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_tickets",
        verbose_name=_("first served by"),
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    missing = models.ManyToManyField(Material, blank=True, verbose_name=_("missing materials"))
    missing_note = models.TextField(_("also missing"), blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # Personal data of walk-ins, for the one-open-ticket rule and messages; erased with bookings' data.
    id_hash = models.CharField(max_length=64, blank=True, db_index=True)
    phone = PhoneNumberField(_("mobile"), region="CN", blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    language = models.CharField(max_length=10, default="zh-hans")
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    called_at = models.DateTimeField(_("first called"), null=True, blank=True)
    serving_at = models.DateTimeField(_("service began"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    come_in_sent = models.BooleanField(default=False)
    # Set when a ticket with several matters goes back into the queue for its next one (or is transferred in
    # place): it then waits at the head of that queue, like a transferred ticket, keeping its number.
    requeued_at = models.DateTimeField(_("back in the queue"), null=True, blank=True)
    closing_outcome = models.CharField(
        _("outcome at closing"), max_length=12, choices=ClosingOutcome.choices, blank=True
    )
    rebooking = models.ForeignKey(
        Booking,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("priority booking"),
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["issued_at", "id"]
        constraints = [
            # The number, not (service, sequence): a ticket with several matters keeps its number while
            # `service` follows its current matter. Prefixes are unique per hall, so this is as strict.
            models.UniqueConstraint(fields=["hall", "date", "number"], name="ticket_number_unique_per_day"),
            models.UniqueConstraint(
                fields=["counter"],
                condition=Q(state__in=["called", "serving"]),
                name="counter_serves_one_ticket",
            ),
            models.UniqueConstraint(
                fields=["hall", "date", "seat"],
                condition=Q(state="waiting") & ~Q(seat=""),
                name="seat_holds_one_waiting_ticket",
            ),
        ]
        indexes = [
            models.Index(fields=["hall", "date", "state"], name="ticket_queue"),
            # Call-next reads the first few tickets of each line (queueing/heads.py); without these it read
            # every waiting ticket of the day four times over. A line of one service and kind, in issue order:
            models.Index(
                fields=["hall", "date", "service", "kind", "issued_at", "id"],
                condition=Q(state="waiting"),
                name="ticket_waiting_line",
            ),
            # the few who go first (the green channel, tickets transferred or back for their next matter):
            models.Index(
                fields=["hall", "date", "issued_at", "id"],
                condition=Q(state="waiting")
                & (~Q(green_channel="") | Q(transferred_from__isnull=False) | Q(requeued_at__isnull=False)),
                name="ticket_waiting_first",
            ),
            # and those waiting outside, whom each call may move inside (queueing/inside.py).
            models.Index(
                fields=["hall", "date"], condition=Q(state="waiting", inside=False), name="ticket_outside"
            ),
            # The ticket at a window (called or being served), looked for on every call: without it the
            # window's every ticket of every day was read (1.8 ms of PostgreSQL's CPU a call, and growing).
            models.Index(
                fields=["counter"], condition=Q(state__in=["called", "serving"]), name="ticket_at_counter"
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def visit_matters(self) -> list:
        """The matters this ticket carries, in order (empty for a ticket with one service)."""
        if self.kind != TicketKind.APPOINTMENT:
            return []
        return list(self.matters.select_related("service").order_by("position"))

    @property
    def queued_since(self):
        return self.requeued_at or self.issued_at

    @property
    def waited_minutes(self) -> float | None:
        if self.called_at is None:
            return None
        return (self.called_at - self.issued_at).total_seconds() / 60


class MatterState(models.TextChoices):
    PENDING = "pending", _("to do")
    CURRENT = "current", _("in progress")
    DONE = "done", _("done")
    NOT_SERVED = "not_served", _("not served")


class TicketMatter(models.Model):
    """One service of a ticket that carries several (a booking with several matters). The ticket queues for
    its current matter (Ticket.service is that matter's service); each matter keeps its own counter, clerk,
    times and outcome, which the supervisor's figures count per service."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="matters")
    position = models.PositiveSmallIntegerField(_("position"))
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="ticket_matters", verbose_name=_("service")
    )
    state = models.CharField(
        _("state"), max_length=12, choices=MatterState.choices, default=MatterState.PENDING
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    missing_note = models.TextField(_("also missing"), blank=True)
    counter = models.ForeignKey(
        Counter, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("counter")
    )
    served_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("served by"),
    )
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    called_at = models.DateTimeField(_("called"), null=True, blank=True)
    started_at = models.DateTimeField(_("service began"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("matter of a ticket")
        verbose_name_plural = _("matters of tickets")
        ordering = ["ticket", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "position"], name="ticket_matter_position_once"),
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(state="current"), name="ticket_has_one_current_matter"
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} #{self.position} {self.state}"


class TicketEvent(models.Model):
    """Every state change of a ticket: who, when, at which counter, from which state to which."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    counter = models.ForeignKey(Counter, on_delete=models.SET_NULL, null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    source = models.CharField(max_length=20)  # kiosk, console, api, system
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.ticket_id}: {self.from_state} -> {self.to_state}"
