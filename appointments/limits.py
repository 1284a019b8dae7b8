"""Anti-abuse rules: per-person booking limits, the no-show policy and rate limits."""

import datetime as dt
import logging

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Q
from django.utils.translation import gettext_lazy as _

from appointments.models import BlockLift, Booking, BookingRules, BookingState

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
    """Bookings made by this ID number or mobile today, in the last 7 and in the last 30 days (calendar days
    in the hall's time zone), cancelled ones included, so that booking and cancelling cannot be used to
    hoard or trade places."""
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
        Booking.objects.for_person(id_hash, phone_hash)
        .filter(created_at__gte=since[30])
        .aggregate(
            **{f"days_{d}": Count("pk", filter=Q(created_at__gte=start)) for d, start in since.items()}
        )
    )
    for days, limit, message in periods:
        if made[f"days_{days}"] >= limit:
            return str(message % {"n": limit})
    return None


def _no_shows(rules: BookingRules, id_hash: str, phone_hash: str, since: dt.datetime):
    lifted = BlockLift.objects.filter(hall=rules.hall, id_hash=id_hash).aggregate(m=Max("at"))["m"]
    qs = Booking.objects.for_person(id_hash, phone_hash).filter(
        hall=rules.hall, state=BookingState.NO_SHOW, slot__start__gte=since
    )
    return qs.filter(slot__start__gt=lifted) if lifted else qs


def no_show_refusal(rules: BookingRules, id_hash: str, phone_hash: str, now: dt.datetime) -> str | None:
    """Blocked for `block_days` after the no-show that made `no_show_block_count` within the window."""
    starts = sorted(
        _no_shows(
            rules, id_hash, phone_hash, now - dt.timedelta(days=rules.block_days + rules.no_show_window_days)
        ).values_list("slot__start", flat=True)
    )
    window = dt.timedelta(days=rules.no_show_window_days)
    n = rules.no_show_block_count
    for i in range(len(starts) - n + 1):
        if starts[i + n - 1] - starts[i] <= window:
            until = starts[i + n - 1] + dt.timedelta(days=rules.block_days)
            if until > now:
                local = until.astimezone(rules.hall.tz).date()
                return str(BLOCKED % {"until": local.isoformat(), "count": n})
    return None


def no_show_warning(rules: BookingRules, id_hash: str, phone_hash: str, now: dt.datetime) -> str | None:
    if _no_shows(rules, id_hash, phone_hash, now - dt.timedelta(days=rules.no_show_window_days)).exists():
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
