"""The cache is an optimisation, never a dependency: while Redis is down a read computes its answer."""

import logging
import time
from collections.abc import Callable

import redis
from django.core.cache import cache

log = logging.getLogger(__name__)


def count(key: str, seconds: int) -> int:
    """Add one to the counter under `key`, which starts at the first count and lasts `seconds`; the new
    value. Redis errors are the caller's to handle: a limit decides itself whether to fail open."""
    if cache.add(key, 1, timeout=seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds)
        return 1


def cached(key: str, seconds: int, compute: Callable, *, fresh: bool = False):
    """compute(), kept under `key` for `seconds` (0: not kept). A Redis error on the read or the write is
    logged and the answer computed, so that a Redis outage costs time, not availability (docs/faults.md).
    `fresh`: compute now and keep that answer, whatever is kept (the caller knows it is out of date)."""
    if not seconds:
        return compute()
    try:
        found = None if fresh else cache.get(key)
    except redis.RedisError as error:
        log.warning("cache not read (%s): %s", key.split(":", 1)[0], type(error).__name__)
        return compute()
    if found is None:
        found = compute()
        try:
            cache.set(key, found, seconds)
        except redis.RedisError as error:
            log.warning("cache not written (%s): %s", key.split(":", 1)[0], type(error).__name__)
    return found


# Answers kept in this process's memory: (value, time.monotonic() when computed), by key.
_memory: dict[str, tuple[object, float]] = {}


def remembered(key: str, seconds: float, compute: Callable):
    """compute(), kept in this process's memory for `seconds`: for a flag asked on every request, where even
    a round trip to Redis costs more than the work it guards. Each process may see a change `seconds` late;
    `forget_remembered` makes this one see it at once."""
    now = time.monotonic()
    kept = _memory.get(key)
    if kept is not None and now - kept[1] < seconds:
        return kept[0]
    value = compute()
    _memory[key] = (value, now)
    return value


def forget_remembered(key: str | None = None) -> None:
    """Forget `key` (every key: None) in this process's memory."""
    if key is None:
        _memory.clear()
    else:
        _memory.pop(key, None)
