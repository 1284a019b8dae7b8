"""Anti-abuse rules: per-person booking limits, the no-show policy and rate limits."""

import datetime as dt
import logging
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from appointments import noshow
from appointments.models import (
    ACTIVE_STATES,
    BlockLift,
    Booking,
    BookingMatter,
    BookingRules,
    BookingState,
    Slot,
)
from hall import rows
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

    One statement takes every key's lock, in the keys' sorted order (PostgreSQL evaluates a select list
    left to right), so that two bookings sharing a key never wait for each other in opposite orders.
    On SQLite the IMMEDIATE transaction already serialises every writer.
    """
    if connection.vendor != "postgresql":
        return
    keys = sorted(keys)
    locks = ", ".join(["pg_advisory_xact_lock(hashtextextended(%s, 0))"] * len(keys))
    with rows.cursor() as cursor:
        cursor.execute(f"SELECT {locks}", keys)  # noqa: S608 - placeholders only


@dataclass(frozen=True)
class Standing:
    """What one query tells of a person about to book: whether they already hold an active booking of one
    of the services (`duplicate`), and the refusal of their limits or no-show block as (code, message)."""

    duplicate: bool
    refusal: tuple[str, str] | None = None


def standing(
    rules: BookingRules,
    id_hash: str,
    phone_hash: str,
    service_ids: list[int],
    now: dt.datetime,
    *,
    limits: bool = True,
    no_shows: bool = True,
) -> Standing:
    """The duplicate check, the booking limits (`limits`) and the no-show block (`no_shows`) in one query
    over the person's bookings: it runs inside every booking's transaction, under the person's lock. Only
    someone with enough no-shows since the last lift to be blocked costs a second look (`no_show_refusal`).

    One active booking per ID number and service, whether the service is a booking's first matter or a
    further one (the partial unique indexes back it up).

    The limits count the bookings made with this verified mobile today, in the last 7 and in the last 30
    days (calendar days in the hall's time zone), cancelled ones included, so that booking and cancelling
    cannot be used to hoard or trade places. Counted by what the booker proved, not by the ID number they
    typed: anyone can type another person's ID number, so counting by it would let a stranger use up that
    person's bookings (docs/decisions.md)."""
    periods = _periods(rules) if limits else ()
    found = _person_counts(rules, id_hash, phone_hash, service_ids, now, periods, no_shows)
    if found["duplicate"]:
        return Standing(duplicate=True)
    for days, limit, message in periods:
        if found[f"days_{days}"] >= limit:
            return Standing(False, ("limit_reached", str(message % {"n": limit})))
    if no_shows and found["no_shows"] >= rules.no_show_block_count:
        refusal = no_show_refusal(rules, id_hash, phone_hash, now)
        if refusal:
            return Standing(False, ("blocked", refusal))
    return Standing(False)


def _person_counts(rules, id_hash, phone_hash, service_ids, now, periods, no_shows: bool) -> dict[str, int]:
    """One statement over the bookings of this ID number or made with this mobile: their active bookings of
    the services (as first or further matter), those made since the start of each period, and the no-shows
    that could make a running block (lifts not subtracted: an over-count only costs the precise look of
    `no_show_refusal`). Plain SQL: composing this aggregate with the ORM cost more CPU than all the rest
    of a booking's statements."""
    quote, adapt = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
    ids, active = (", ".join(["%s"] * len(values)) for values in (service_ids, ACTIVE_STATES))
    # Table and column names and placeholders only: every value is a parameter.
    columns = [
        f"COUNT(CASE WHEN b.id_hash = %s AND b.state IN ({active}) AND (b.service_id IN ({ids}) OR EXISTS "  # noqa: S608
        f"(SELECT 1 FROM {BookingMatter._meta.db_table} m WHERE m.booking_id = b.id AND m.service_id IN "
        f"({ids}))) THEN 1 END)"
    ]
    params = [id_hash, *ACTIVE_STATES, *service_ids, *service_ids]
    names = ["duplicate"]
    for days, _limit, _message in periods:
        columns.append("COUNT(CASE WHEN b.phone_hash = %s AND b.created_at >= %s THEN 1 END)")
        params += [phone_hash, adapt(_day_start(rules, now, days - 1))]
        names.append(f"days_{days}")
    if no_shows:
        columns.append(
            f"COUNT(CASE WHEN b.phone_hash = %s AND b.hall_id = %s AND s.{quote('start')} >= %s AND "
            f"(b.state = %s OR (b.state = %s AND s.{quote('end')} < %s)) THEN 1 END)"
        )
        past_rule = noshow.rule_of(rules).windows_ended_before(now)
        params += [phone_hash, rules.hall_id, adapt(_block_span(rules, now))]
        params += [BookingState.NO_SHOW, BookingState.BOOKED, adapt(past_rule)]
        names.append("no_shows")
    sql = (
        f"SELECT {', '.join(columns)} FROM {Booking._meta.db_table} b "  # noqa: S608
        f"JOIN {Slot._meta.db_table} s ON s.id = b.slot_id WHERE b.id_hash = %s OR b.phone_hash = %s"
    )
    with rows.cursor() as cursor:
        cursor.execute(sql, [*params, id_hash, phone_hash])
        return dict(zip(names, cursor.fetchone(), strict=True))


def _periods(rules: BookingRules) -> tuple:
    return (
        (1, rules.max_per_day, LIMIT_DAY),
        (7, rules.max_per_week, LIMIT_WEEK),
        (30, rules.max_per_month, LIMIT_MONTH),
    )


def _day_start(rules: BookingRules, now: dt.datetime, days_before: int) -> dt.datetime:
    """Midnight `days_before` days before today, in the hall's time zone."""
    midnight = now.astimezone(rules.hall.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - dt.timedelta(days=days_before)


def _no_shows(rules: BookingRules, id_hash: str, phone_hash: str, since: dt.datetime, now: dt.datetime):
    """The no-shows since `since` of bookings made with this mobile at this hall, by the hall's no-show rule
    (a booking past it counts before the sweep has marked it), unless the block on this mobile was lifted
    at or after its time: only no-shows after the latest lift count."""
    lifted = BlockLift.objects.filter(
        Q(phone_hash=phone_hash) | Q(id_hash=id_hash, phone_hash=""),
        hall=rules.hall,
        at__gte=OuterRef("slot__start"),
    )
    past_rule = noshow.rule_of(rules).windows_ended_before(now)
    return Booking.objects.made_with(phone_hash).filter(
        Q(state=BookingState.NO_SHOW) | Q(state=BookingState.BOOKED, slot__end__lt=past_rule),
        ~Q(Exists(lifted)),
        hall=rules.hall,
        slot__start__gte=since,
    )


def _block_span(rules: BookingRules, now: dt.datetime) -> dt.datetime:
    """How far back a no-show can still make a block that runs now."""
    return now - dt.timedelta(days=rules.block_days + rules.no_show_window_days)


def blocked_until(rules: BookingRules, id_hash: str, phone_hash: str, now: dt.datetime) -> dt.datetime | None:
    """The end of the block `block_days` after the no-show that made `no_show_block_count` within the
    window, if it is still running."""
    starts = sorted(
        _no_shows(rules, id_hash, phone_hash, _block_span(rules, now), now).values_list(
            "slot__start", flat=True
        )
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


def seconds_left(scope: str, key: str, window: int) -> int:
    """How long until the fixed window of hit_rate_limit(scope, key) ends, for Retry-After: the key's time to
    live in Redis, or the whole window when it cannot be read."""
    try:
        cache_key = cache.make_and_validate_key(f"rate:{scope}:{key}")
        ttl = cache._cache.get_client(cache_key).ttl(cache_key)  # Django's RedisCache: its redis client
    except (redis.RedisError, AttributeError):
        return window
    return ttl if isinstance(ttl, int) and 0 < ttl <= window else window


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
