"""Anti-abuse rules: per-person booking limits, the no-show policy and rate limits."""

import datetime as dt
import logging

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils.translation import gettext_lazy as _

from appointments import noshow
from appointments.models import BlockLift, Booking, BookingRules, BookingState
from hall.privacy import hash_id_number, validate_id_number

log = logging.getLogger(__name__)

LIMIT_DAY = _(
    "You can make at most %(n)s booking(s) a day. Please come back tomorrow or change your booking."
)
LIMIT_WEEK = _("You can make at most %(n)s bookings in 7 days.")
LIMIT_MONTH = _("You can make at most %(n)s bookings in 30 days.")
BLOCKED = _(
    "Online booking is blocked until %(until)s because of %(count)s missed appointments. "
    "You can still take a ticket at the hall, or call the hall to ask for the block to be lifted."
)
BLOCKED_CALL = _(
    "Online booking is blocked until %(until)s because of %(count)s missed appointments. "
    "You can still take a ticket at the hall. If these were not your appointments, or you had a good "
    "reason, call the hall on %(phone)s: a supervisor can lift the block."
)
NO_SHOW_WARNING = _(
    "You missed an appointment recently. If you miss another within %(days)s days, online booking will be "
    "blocked for %(block)s days. Please cancel in time if you cannot come."
)
RATE_LIMITED = _("Too many attempts. Please wait a few minutes and try again.")


def lock_person(*keys: str) -> None:
    """Serialise concurrent bookings by one person (PostgreSQL advisory locks, held to commit).

    On SQLite the IMMEDIATE transaction already serialises every writer.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted(keys):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


def booking_limit_refusal(rules: BookingRules, id_hash: str, phone_hash: str, now: dt.datetime) -> str | None:
    """Bookings made with this verified mobile today, in the last 7 and in the last 30 days (calendar days
    in the hall's time zone), cancelled ones included, so that booking and cancelling cannot be used to
    hoard or trade places.

    Counted by what the booker proved, not by the ID number they typed: anyone can type another person's
    ID number, so counting by it would let a stranger use up that person's bookings (docs/decisions.md).
    `id_hash` counts only together with this mobile, which the mobile's count already includes."""
    local = now.astimezone(rules.hall.tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    periods = (
        (1, rules.max_per_day, LIMIT_DAY),
        (7, rules.max_per_week, LIMIT_WEEK),
        (30, rules.max_per_month, LIMIT_MONTH),
    )
    since = {days: midnight - dt.timedelta(days=days - 1) for days, _limit, _message in periods}
    # The three counts in one query: this runs inside every booking's transaction.
    made = (
        Booking.objects.made_with(phone_hash)
        .filter(created_at__gte=since[30])
        .aggregate(
            **{f"days_{d}": Count("pk", filter=Q(created_at__gte=start)) for d, start in since.items()}
        )
    )
    for days, limit, message in periods:
        if made[f"days_{days}"] >= limit:
            return str(message % {"n": limit})
    return None


def _no_shows(rules: BookingRules, id_hash: str, phone_hash: str, since: dt.datetime, now: dt.datetime):
    """No-shows of bookings made with this mobile at this hall, by the hall's no-show rule (a booking past
    it counts before the sweep has marked it), after the latest lift of the block on this mobile."""
    lifts = BlockLift.objects.filter(
        Q(phone_hash=phone_hash) | Q(id_hash=id_hash, phone_hash=""), hall=rules.hall
    )
    lifted = lifts.aggregate(m=Max("at"))["m"]
    past_rule = noshow.rule_of(rules).windows_ended_before(now)
    qs = Booking.objects.made_with(phone_hash).filter(
        Q(state=BookingState.NO_SHOW) | Q(state=BookingState.BOOKED, slot__end__lt=past_rule),
        hall=rules.hall,
        slot__start__gte=since,
    )
    return qs.filter(slot__start__gt=lifted) if lifted else qs


def blocked_until(rules: BookingRules, id_hash: str, phone_hash: str, now: dt.datetime) -> dt.datetime | None:
    """The end of the block `block_days` after the no-show that made `no_show_block_count` within the
    window, if it is still running."""
    starts = sorted(
        _no_shows(
            rules,
            id_hash,
            phone_hash,
            now - dt.timedelta(days=rules.block_days + rules.no_show_window_days),
            now,
        ).values_list("slot__start", flat=True)
    )
    window = dt.timedelta(days=rules.no_show_window_days)
    n = rules.no_show_block_count
    for i in range(len(starts) - n + 1):
        if starts[i + n - 1] - starts[i] <= window:
            until = starts[i + n - 1] + dt.timedelta(days=rules.block_days)
            if until > now:
                return until
    return None


def no_show_refusal(rules: BookingRules, id_hash: str, phone_hash: str, now: dt.datetime) -> str | None:
    until = blocked_until(rules, id_hash, phone_hash, now)
    if until is None:
        return None
    hall = rules.hall
    values = {
        "until": until.astimezone(hall.tz).date().isoformat(),
        "count": rules.no_show_block_count,
        "phone": hall.consultation_phone or hall.supervision_phone,
    }
    return str((BLOCKED_CALL if values["phone"] else BLOCKED) % values)


def no_show_warning(rules: BookingRules, id_hash: str, phone_hash: str, now: dt.datetime) -> str | None:
    if _no_shows(
        rules, id_hash, phone_hash, now - dt.timedelta(days=rules.no_show_window_days), now
    ).exists():
        return str(NO_SHOW_WARNING % {"days": rules.no_show_window_days, "block": rules.block_days})
    return None


def hit_rate_limit(scope: str, key: str, limit: int, seconds: int = 3600) -> bool:
    """Count one attempt in a fixed window in Redis; True when over the limit."""
    if not settings.RATE_LIMITS:
        return False
    cache_key = f"rate:{scope}:{key}"
    try:
        cache.add(cache_key, 0, timeout=seconds)
        try:
            return cache.incr(cache_key) > limit
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=seconds)
            return False
    except redis.RedisError as error:
        # Redis down: let the attempt through rather than refuse every booking in the province for the
        # minutes of the outage; the per-person limits are in PostgreSQL and still hold (docs/faults.md).
        log.warning("rate limit %s not counted: %s", scope, type(error).__name__)
        return False


def lift_block(
    *, hall, user, reason: str, id_number: str = "", id_hash: str = "", phone_hash: str | None = None
) -> BlockLift:
    """A supervisor lifts a no-show block: earlier no-shows of bookings made with the mobile stop counting.

    The person is named by ID number (or its hash, from the supervisor's lookup page) and, since blocks
    follow the mobile a booker proved, by the mobile `phone_hash`; without one, every mobile this ID number
    booked with at the hall is lifted. One BlockLift row per mobile: the audit page lists them."""
    id_hash = hash_id_number(validate_id_number(id_number)) if id_number else id_hash
    if phone_hash is None:
        phones = set(
            Booking.objects.filter(hall=hall, id_hash=id_hash)
            .exclude(phone_hash="")
            .values_list("phone_hash", flat=True)
        )
    else:
        phones = {phone_hash}
    lifts = [
        BlockLift(hall=hall, id_hash=id_hash, phone_hash=phone, lifted_by=user, reason=reason[:200])
        for phone in sorted(phones) or [""]
    ]
    with transaction.atomic():
        for lift in lifts:
            lift.save()
    log.info("no-show block lifted at hall %s (%s mobile(s))", hall.pk, len(lifts))
    return lifts[-1]


def holds_active_booking(id_hash: str, service_ids: list[int]) -> bool:
    """One active booking per ID number and service, whether the service is a booking's first matter or a
    further one. Run under the person's lock; the partial unique indexes back it up."""
    # One statement: an active booking of this person whose first or a further service is one of these.
    return (
        Booking.objects.active()
        .filter(id_hash=id_hash)
        .filter(Q(service__in=service_ids) | Q(matters__service__in=service_ids))
        .exists()
    )
