"""The cache is an optimisation, never a dependency: while Redis is down a read computes its answer.

Answers kept by `cached` are Python objects (pickled by Django's Redis cache), and their classes change with
the code: while a deploy replaces the web's processes one by one (gunicorn's reload, max_requests), or after
it, a process of one release would unpickle an object another release kept, and fail, or worse, get an
object missing a field its code reads (seen in bench/province_day.py: 500s on every ticket read across a
change of `queueing.estimates.Snapshot`). So their keys carry the release (`release`: a fingerprint of the
project's code), and a kept answer that cannot be read back is computed again, never a 500."""

import hashlib
import logging
import pickle
import time
from collections.abc import Callable
from functools import cache as once
from pathlib import Path

import redis
from django.apps import apps
from django.conf import settings
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


@once
def release() -> str:
    """A fingerprint of the code this process runs: the Python source of the project's own apps, read once
    per process (about 1.6 MB, some milliseconds). Two processes of one release agree; any change differs."""
    digest = hashlib.blake2b(digest_size=8)
    base = Path(settings.BASE_DIR).resolve()
    roots = sorted(
        {
            Path(c.path).resolve()
            for c in apps.get_app_configs()
            if Path(c.path).resolve().is_relative_to(base)
        }
    )
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(base)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def of_release(key: str) -> str:
    """The key `cached` keeps an answer under: `key` of this release."""
    return f"{key}:{release()}"


def forget(key: str) -> None:
    """Drop what `cached` keeps under `key` (this release's), so that the next read computes it."""
    cache.delete(of_release(key))


# What reading back an object kept by another release can raise (a class or module gone or renamed, a
# changed signature); Django's serializer tries int() first, hence ValueError.
UNREADABLE = (
    pickle.UnpicklingError,
    AttributeError,
    ImportError,
    EOFError,
    TypeError,
    ValueError,
    IndexError,
)


def cached(key: str, seconds: int, compute: Callable, *, fresh: bool = False):
    """compute(), kept under `key` (and this release, see above) for `seconds` (0: not kept). A Redis error
    on the read or the write is logged and the answer computed, so that a Redis outage costs time, not
    availability (docs/faults.md); so is a kept answer that cannot be read back.
    `fresh`: compute now and keep that answer, whatever is kept (the caller knows it is out of date)."""
    if not seconds:
        return compute()
    name, key = key.split(":", 1)[0], of_release(key)
    try:
        found = None if fresh else cache.get(key)
    except redis.RedisError as error:
        log.warning("cache not read (%s): %s", name, type(error).__name__)
        return compute()
    except UNREADABLE as error:
        log.warning("cache not readable (%s): %s", name, type(error).__name__)
        found = None
    if found is None:
        found = compute()
        try:
            cache.set(key, found, seconds)
        except redis.RedisError as error:
            log.warning("cache not written (%s): %s", name, type(error).__name__)
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
