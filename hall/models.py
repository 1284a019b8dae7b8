import datetime as dt
import hashlib
import re
import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hall import calendar


def validate_timezone(value):
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Unknown time zone: %(value)s"), params={"value": value}) from None


SEAT_RE = re.compile(r"^(\d+)-(\d+)$")


def validate_seat_list(value):
    if not isinstance(value, list) or not all(isinstance(s, str) and SEAT_RE.match(s) for s in value):
        raise ValidationError(_('Write seats as a list like ["1-2", "3-4"] (row-seat).'))


class Hall(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("short name in links"), unique=True)
    address = models.CharField(_("address"), max_length=200)
    consultation_phone = models.CharField(_("24-hour consultation line"), max_length=40, blank=True)
    supervision_phone = models.CharField(_("supervision line"), max_length=40, blank=True)
    timezone = models.CharField(
        _("time zone"), max_length=50, default="Asia/Shanghai", validators=[validate_timezone]
    )
    max_waiting_inside = models.PositiveIntegerField(
        _("most citizens waiting inside"),
        default=30,
        help_text=_("When this many wait inside, new tickets wait outside until called in."),
    )
    seat_rows = models.PositiveSmallIntegerField(_("seat rows"), default=4)
    seats_per_row = models.PositiveSmallIntegerField(_("seats per row"), default=8)
    seats_out_of_use = models.JSONField(
        _("seats out of use"),
        default=list,
        blank=True,
        validators=[validate_seat_list],
        help_text=_('Row-seat pairs, for example ["1-1", "2-4"].'),
    )
    notice = models.TextField(_("notice"), blank=True, help_text=_("Shown on the home page."))
    # The hall's screens (kiosks, boards, window displays): see hall.devices and docs/display.md.
    kiosk_tickets_per_minute = models.PositiveSmallIntegerField(
        _("tickets a kiosk may issue a minute"), default=20, validators=[MinValueValidator(1)]
    )
    kiosk_wrong_codes_per_minute = models.PositiveSmallIntegerField(
        _("wrong booking codes a kiosk takes a minute"),
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_("After this many, the kiosk pauses check-in for a minute."),
    )
    unpaired_boards_show_calls = models.BooleanField(
        _("screens that are not set up show calls"),
        default=False,
        help_text=_("Off: only paired boards and window displays show the calls."),
    )

    class Meta:
        verbose_name = _("hall")
        verbose_name_plural = _("halls")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def local_date(self, instant: dt.datetime) -> dt.date:
        return instant.astimezone(self.tz).date()

    def schedule(self) -> calendar.Schedule:
        """The hall's hours as plain data for the pure functions in hall.calendar."""
        return calendar.Schedule(
            timezone=self.timezone,
            weekly=[s.as_calendar() for s in self.weekly_sessions.all()],
            closures=[c.as_calendar() for c in self.closures.all()],
            extra=[e.as_calendar() for e in self.extra_sessions.all()],
            national=HolidaySchedule.entered(),
        )


class ServiceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def bookable(self):
        return self.active().filter(bookable=True)


class Service(models.Model):
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="services", verbose_name=_("hall"))
    code = models.SlugField(_("code"), max_length=40)
    prefix = models.CharField(
        _("ticket prefix"),
        max_length=1,
        validators=[RegexValidator(r"^[A-Z]$", _("Use one capital letter A–Z."))],
    )
    name = models.CharField(_("name"), max_length=100)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    average_handling_minutes = models.PositiveSmallIntegerField(
        _("average handling minutes"), default=10, validators=[MinValueValidator(1)]
    )
    slot_minutes = models.PositiveSmallIntegerField(
        _("arrival window minutes"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )
    bookable = models.BooleanField(_("bookable online"), default=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # The guide (办事指南).
    eligibility = models.TextField(_("who can apply"), blank=True)
    fees = models.TextField(_("fees"), blank=True)
    time_limit = models.CharField(_("legal time limit"), max_length=200, blank=True)
    time_limit_days = models.PositiveSmallIntegerField(
        _("legal time limit in days"),
        null=True,
        blank=True,
        help_text=_("Calendar days from acceptance; empty: the hall's default number of working days."),
    )
    steps = models.TextField(_("steps"), blank=True, help_text=_("One step per line."))
    notes = models.TextField(_("notes"), blank=True)
    online_url = models.URLField(_("online application link"), blank=True)
    by_post = models.BooleanField(_("can be finished by post"), default=False)
    home_visit = models.BooleanField(_("home visits possible"), default=False)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["hall", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "code"], name="service_code_unique_per_hall"),
            models.UniqueConstraint(fields=["hall", "prefix"], name="service_prefix_unique_per_hall"),
        ]

    def __str__(self):
        return f"{self.prefix} {self.name}"

    @property
    def step_list(self) -> list[str]:
        return [line.strip() for line in self.steps.splitlines() if line.strip()]


class Material(models.Model):
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="materials", verbose_name=_("service")
    )
    name = models.CharField(_("material"), max_length=200)
    note = models.CharField(
        pgettext_lazy("remark on a required document", "note"), max_length=300, blank=True
    )
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["service", "position", "id"]

    def __str__(self):
        return self.name


class NoticeQuerySet(models.QuerySet):
    def current(self, now: dt.datetime):
        """Notices valid at `now`: an expired one drops out on the next read, no restart needed."""
        return self.filter(valid_from__lte=now, valid_until__gt=now)

    def for_service(self, service: "Service"):
        """Notices about this service, and hall-wide ones (no services chosen)."""
        return self.filter(Q(services=service) | Q(services__isnull=True)).distinct()


class Notice(models.Model):
    """A temporary notice about documents or arrangements (公告), e.g. certificates valid longer during an
    emergency; shown on the affected services' guides, the hall's home page and the board while valid."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="notices", verbose_name=_("hall"))
    title = models.CharField(_("title"), max_length=120, help_text=_("Short: the board shows it from afar."))
    body = models.TextField(_("text"), blank=True)
    services = models.ManyToManyField(
        Service,
        related_name="notices",
        blank=True,
        verbose_name=_("affected services"),
        help_text=_("None: the notice concerns the whole hall."),
    )
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("published by"),
    )

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["hall", "-valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__lt=F("valid_until")), name="notice_valid_from_before_until"
            )
        ]

    def __str__(self):
        return self.title

    def clean(self):
        if self.valid_from and self.valid_until and self.valid_from >= self.valid_until:
            raise ValidationError({"valid_until": _("The end of validity must be later than its start.")})

    def is_current(self, now: dt.datetime) -> bool:
        return self.valid_from <= now < self.valid_until


class CounterQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def serving(self, service):
        return self.active().filter(services=service)


class Counter(models.Model):
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="counters", verbose_name=_("hall"))
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    label = models.CharField(_("label"), max_length=100, blank=True)
    services = models.ManyToManyField(
        Service, related_name="counters", blank=True, verbose_name=_("services")
    )
    active = models.BooleanField(_("active"), default=True)

    objects = CounterQuerySet.as_manager()

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        ordering = ["hall", "number"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "number"], name="counter_number_unique_per_hall")
        ]

    def __str__(self):
        return _("Window %(number)s") % {"number": self.number}

    def clean(self):
        if self.pk and self.services.exclude(hall_id=self.hall_id).exists():
            raise ValidationError(_("A counter can only serve services of its own hall."))


class CounterAbsenceQuerySet(models.QuerySet):
    def overlapping(self, start: dt.datetime, end: dt.datetime):
        return self.filter(start__lt=end, end__gt=start)


class CounterAbsence(models.Model):
    """A period when a counter is unstaffed (its staff are out on a home visit, for example): the arrival
    windows of the services it serves do not count it during that period."""

    hall = models.ForeignKey(
        Hall, on_delete=models.CASCADE, related_name="counter_absences", verbose_name=_("hall")
    )
    counter = models.ForeignKey(
        Counter, on_delete=models.CASCADE, related_name="absences", verbose_name=_("counter")
    )
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200)

    objects = CounterAbsenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("counter absence")
        verbose_name_plural = _("counter absences")
        ordering = ["hall", "start", "counter"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="counter_absence_start_before_end")
        ]
        indexes = [models.Index(fields=["counter", "start"], name="counter_absence_counter_start")]

    def __str__(self):
        return f"{self.counter} {self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M}"


class SessionKind(models.TextChoices):
    REGULAR = "regular", _("regular hours")
    EXTENDED = "extended", _("extended hours")
    WEEKEND_DUTY = "weekend_duty", _("weekend duty")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class TimeRange(models.Model):
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        abstract = True

    def clean(self):
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValidationError(_("The end must be later than the start."))


class WeeklySession(TimeRange):
    hall = models.ForeignKey(
        Hall, on_delete=models.CASCADE, related_name="weekly_sessions", verbose_name=_("hall")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    kind = models.CharField(
        _("kind"), max_length=20, choices=SessionKind.choices, default=SessionKind.REGULAR
    )

    class Meta:
        verbose_name = _("weekly session")
        verbose_name_plural = _("weekly sessions")
        ordering = ["hall", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="weekly_session_start_before_end")
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def as_calendar(self):
        return calendar.WeeklySession(self.weekday, self.start, self.end, self.kind)


class Closure(models.Model):
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="closures", verbose_name=_("hall"))
    date = models.DateField(_("date"))
    start = models.TimeField(_("from"), null=True, blank=True, help_text=_("Empty: the whole day."))
    end = models.TimeField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["hall", "date", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True) | Q(start__lt=F("end")),
                name="closure_whole_day_or_range",
            )
        ]

    def __str__(self):
        return f"{self.date} {self.reason}"

    def clean(self):
        if (self.start is None) != (self.end is None):
            raise ValidationError(_("Give both a start and an end, or neither for the whole day."))
        if self.start is not None and self.start >= self.end:
            raise ValidationError(_("The end must be later than the start."))

    def as_calendar(self):
        return calendar.Closure(self.date, self.start, self.end, self.reason)


class ExtraSession(TimeRange):
    hall = models.ForeignKey(
        Hall, on_delete=models.CASCADE, related_name="extra_sessions", verbose_name=_("hall")
    )
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("extra session")
        verbose_name_plural = _("extra sessions")
        ordering = ["hall", "date", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="extra_session_start_before_end")
        ]

    def __str__(self):
        return f"{self.date} {self.start:%H:%M}–{self.end:%H:%M}"

    def as_calendar(self):
        return calendar.ExtraSession(self.date, self.start, self.end, self.reason)


class StaffRole(models.TextChoices):
    CLERK = "clerk", _("window staff")
    SUPERVISOR = "supervisor", _("supervisor")


class Staff(models.Model):
    """Scopes a user to one hall; the role's permissions come from the group of the same name."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff", verbose_name=_("user")
    )
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="staff", verbose_name=_("hall"))
    role = models.CharField(_("role"), max_length=20, choices=StaffRole.choices)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}, {self.hall})"

    @property
    def is_supervisor(self) -> bool:
        return self.role == StaffRole.SUPERVISOR


class TokenScope(models.TextChoices):
    """What an API token may do; each endpoint family names the scopes it accepts (hall.api)."""

    DEVICE = "device", _("device: issue tickets, read the board")
    COUNTER = "counter", _("counter: a window's calls")
    REPORTS = "reports", _("reports: read only")


def default_scope(user) -> str:
    """A device account (no staff row) gets a device token, a staff member a counter token."""
    return TokenScope.COUNTER if Staff.objects.filter(user_id=user.pk).exists() else TokenScope.DEVICE


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True, user__is_active=True)

    def revoke(self, now: dt.datetime) -> int:
        return self.filter(revoked_at__isnull=True).update(revoked_at=now)

    def issue(
        self, *, user, hall: Hall, name: str, scope: str | None = None, days: int | None = None
    ) -> tuple["ApiToken", str]:
        """Create a token and return it with its key, which is not stored and cannot be shown again.
        Without a scope, the user's default (default_scope); without days, the scope's lifetime."""
        token = self.model(user=user, hall=hall, name=name, scope=scope or default_scope(user))
        if days is not None:
            token.expires_at = timezone.now() + dt.timedelta(days=days)
        key = token.set_new_key()
        token.full_clean()
        token.save()
        return token, key


class ApiToken(models.Model):
    """A bearer key for a device (kiosk, ticket printer, display) or a staff member's tool, scoped to one
    hall. Only a SHA-256 hash of the key is kept; the key is shown once, when it is issued."""

    KEY_START = "ck_"
    PREFIX_LENGTH = 10
    LAST_USED_PRECISION = dt.timedelta(minutes=1)

    hall = models.ForeignKey(
        Hall, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("hall")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
        help_text=_("The staff member, or the user account of the device."),
    )
    name = models.CharField(_("device or purpose"), max_length=100)
    scope = models.CharField(_("scope"), max_length=10, choices=TokenScope.choices)
    expires_at = models.DateTimeField(
        _("expires"), blank=True, help_text=_("Empty: the scope's usual lifetime from now.")
    )
    prefix = models.CharField(_("key starts with"), max_length=PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["hall", "-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def save(self, *args, **kwargs):
        if self.expires_at is None and self.scope:
            self.expires_at = timezone.now() + self.lifetime(self.scope)
        super().save(*args, **kwargs)

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def set_new_key(self) -> str:
        """Draw a new key, keep only its hash and prefix, and return it to be shown once."""
        key = self.KEY_START + secrets.token_urlsafe(30)
        self.prefix, self.key_hash = key[: self.PREFIX_LENGTH], self.hash_key(key)
        return key

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def is_expired(self, now: dt.datetime) -> bool:
        return self.expires_at <= now

    @staticmethod
    def lifetime(scope: str) -> dt.timedelta:
        return dt.timedelta(days=settings.API_TOKEN_DAYS[scope])

    def clean(self):
        staff = Staff.objects.filter(user_id=self.user_id).first() if self.user_id else None
        if staff and self.hall_id and staff.hall_id != self.hall_id:
            raise ValidationError(
                _("%(user)s is staff of %(hall)s: a token can only be for their own hall.")
                % {"user": staff.user, "hall": staff.hall}
            )
        if self.scope == TokenScope.COUNTER and staff is None:
            raise ValidationError(
                {"scope": _("Only staff of the hall work at a window: choose another scope.")}
            )
        if self.scope == TokenScope.REPORTS and not (staff and staff.is_supervisor):
            raise ValidationError({"scope": _("Only supervisors of the hall read reports.")})
        if self.pk is None and self.expires_at is not None and self.expires_at <= timezone.now():
            raise ValidationError({"expires_at": _("The expiry must be in the future.")})

    def touch(self, now: dt.datetime) -> None:
        """Record use, at most once a minute, so that busy devices do not write on every request."""
        stale = now - self.LAST_USED_PRECISION
        if self.last_used_at is not None and self.last_used_at >= stale:
            return
        ApiToken.objects.filter(pk=self.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)
        ).update(last_used_at=now)


class AuditAction(models.TextChoices):
    SIGNED_IN = "signed_in", _("signed in")
    SIGNED_OUT = "signed_out", _("signed out")
    SIGN_IN_FAILED = "sign_in_failed", _("sign-in refused")
    COUNTER_OPENED = "counter_opened", _("window opened")
    COUNTER_PAUSED = "counter_paused", _("window paused")
    COUNTER_RESUMED = "counter_resumed", _("window resumed")
    COUNTER_CLOSED = "counter_closed", _("window closed")
    PHONE_REVEALED = "phone_revealed", _("full mobile number shown")
    REPORT_EXPORTED = "report_exported", _("report exported")
    DEVICE_ADDED = "device_added", _("screen added")
    DEVICE_PAIRED = "device_paired", _("screen paired")
    DEVICE_REVOKED = "device_revoked", _("screen unpaired")
    DEVICE_REFUSED = "device_refused", _("screen refused")
    PRINTER_TROUBLE = "printer_trouble", _("kiosk printer trouble")
    PRINTER_FIXED = "printer_fixed", _("kiosk printer fixed")
    HOLIDAYS_ENTERED = "holidays_entered", _("holiday schedule entered")
    PERSON_LOOKED_UP = "person_looked_up", _("person looked up by ID number")
    TOKEN_ISSUED = "token_issued", _("API token issued")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    OTP_ENROLLED = "otp_enrolled", _("authenticator app set up")
    OTP_RESET = "otp_reset", _("two-step sign-in reset")
    OTP_FAILED = "otp_failed", _("wrong sign-in code")
    OTHER_HALL_REFUSED = "other_hall_refused", _("refused: another hall")
    HOURS_EXTENDED = "hours_extended", _("closing time extended")


class AuditEntry(models.Model):
    """A staff action or a reveal of personal data that no booking or ticket event records (those are
    read beside these entries on the audit page). `detail` never holds personal data: ids and codes only."""

    hall = models.ForeignKey(
        Hall,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("hall"),
        help_text=_("Empty for people who are not staff of a hall, and for unknown user names."),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
        verbose_name=_("staff member"),
    )
    action = models.CharField(_("action"), max_length=30, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_id = models.CharField(_("object"), max_length=40, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["hall", "at"], name="audit_hall_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_id}"


class DeviceKind(models.TextChoices):
    KIOSK = "kiosk", _("kiosk")
    BOARD = "board", _("display board")
    COUNTER_DISPLAY = "counter_display", _("window display")


class PrinterTrouble(models.TextChoices):
    PRINT_FAILED = "print_failed", _("printing failed")
    NOT_PRINTED = "not_printed", _("printing was cancelled or never finished")


class DeviceQuerySet(models.QuerySet):
    def paired(self):
        return self.filter(key_hash__isnull=False)

    def with_printer_trouble(self):
        return self.paired().exclude(printer_trouble="")


class Device(models.Model):
    """A screen of the hall (kiosk, board, window display), paired by a supervisor. The screen's browser
    keeps a key in an HttpOnly cookie; like an API token's, only its SHA-256 hash is stored
    (ApiToken.hash_key). Revoking forgets the hash: the screen shows "not set up" again until it is paired
    anew."""

    KEY_START = "ckd_"
    LAST_SEEN_PRECISION = dt.timedelta(minutes=1)

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="devices", verbose_name=_("hall"))
    kind = models.CharField(_("kind"), max_length=20, choices=DeviceKind.choices)
    name = models.CharField(_("name"), max_length=100)
    place = models.CharField(_("place"), max_length=100, blank=True, help_text=_("Where it stands."))
    key_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    paired_at = models.DateTimeField(_("paired"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("unpaired"), null=True, blank=True, editable=False)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True, editable=False)
    printer_trouble = models.CharField(
        _("printer trouble"), max_length=20, choices=PrinterTrouble.choices, blank=True, editable=False
    )
    printer_trouble_at = models.DateTimeField(
        _("printer trouble since"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now, editable=False)

    objects = DeviceQuerySet.as_manager()

    class Meta:
        verbose_name = _("screen")
        verbose_name_plural = _("screens")
        ordering = ["hall", "kind", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "kind", "name"], name="device_name_unique_per_hall_kind")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.name}"

    @property
    def is_paired(self) -> bool:
        return self.key_hash is not None

    def set_new_key(self) -> str:
        """Draw a new key, keep only its hash, and return it for the screen's cookie."""
        key = self.KEY_START + secrets.token_urlsafe(30)
        self.key_hash = ApiToken.hash_key(key)
        return key


class PairingRequest(models.Model):
    """A screen that is not set up asks to be paired: it shows `code` (valid a few minutes) and keeps a claim
    secret in a cookie (only its hash is here). A supervisor enters the code and names the device; the screen
    then claims the device's key with its secret, and this row is deleted."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="+", verbose_name=_("hall"))
    kind = models.CharField(_("kind"), max_length=20, choices=DeviceKind.choices)
    code = models.CharField(_("pairing code"), max_length=10)
    claim_hash = models.CharField(max_length=64, unique=True)
    address = models.CharField(_("address"), max_length=200, help_text=_("The screen's page."))
    device = models.ForeignKey(Device, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("pairing request")
        verbose_name_plural = _("pairing requests")
        constraints = [models.UniqueConstraint(fields=["hall", "code"], name="pairing_code_unique_per_hall")]

    def __str__(self):
        return f"{self.kind} {self.code}"


class HolidaySchedule(models.Model):
    """A year's State Council holiday schedule, entered by a supervisor or administrator
    (hall.services.enter_holiday_schedule); it wins over the holiday libraries for that year."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    # [{"name": a festival key of hall.calendar.FESTIVALS, "first": "2027-01-01", "last": "2027-01-03"}]
    holidays = models.JSONField(_("holidays"), default=list)
    workdays = models.JSONField(_("make-up workdays"), default=list)  # ["2027-02-20", ...]
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("entered by"),
    )
    entered_at = models.DateTimeField(_("entered"), default=timezone.now)

    class Meta:
        verbose_name = _("holiday schedule")
        verbose_name_plural = _("holiday schedules")
        ordering = ["-year"]

    def __str__(self):
        return str(self.year)

    def as_calendar(self) -> calendar.NationalYear:
        return calendar.NationalYear(
            year=self.year,
            holidays=tuple(
                calendar.HolidayRange(
                    dt.date.fromisoformat(h["first"]), dt.date.fromisoformat(h["last"]), h["name"]
                )
                for h in self.holidays
            ),
            workdays=frozenset(dt.date.fromisoformat(d) for d in self.workdays),
        )

    @classmethod
    def entered(cls) -> dict[int, calendar.NationalYear]:
        return {s.year: s.as_calendar() for s in cls.objects.all()}
