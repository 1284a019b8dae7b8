"""Typed readers for environment variables that fail loudly on malformed values."""

import ipaddress
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of on/off/true/false/1/0, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_header(name: str, default: str) -> tuple[str, str] | None:
    """'X-Forwarded-Proto: https' → ("HTTP_X_FORWARDED_PROTO", "https"), the header as request.META names
    it, and its value; "off" or empty → None."""
    raw = os.environ.get(name, default)
    if raw.strip().lower() in ("", "off"):
        return None
    header, sep, value = raw.partition(":")
    if not sep or not header.strip() or not value.strip():
        raise ImproperlyConfigured(f"{name} must look like 'X-Forwarded-Proto: https', not {raw!r}")
    return "HTTP_" + header.strip().upper().replace("-", "_"), value.strip()


def env_secret(name: str, required: bool) -> str | None:
    """A secret from the environment; when `required` (production) and missing, the server will not start."""
    value = env_str(name)
    if not value and required:
        raise ImproperlyConfigured(f"{name} is required when DEPLOYMENT=production")
    return value or None


def local_secret(path: Path) -> str:
    """A development secret kept in a file of its own (made once, readable by its owner only)."""
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def env_networks(name: str) -> list[str]:
    """A comma-separated list of addresses or networks (10.0.0.0/8); a wrong entry stops the server."""
    entries = env_list(name, [])
    try:
        [ipaddress.ip_network(entry, strict=False) for entry in entries]
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}: {error}") from error
    return entries


def env_mapping(name: str) -> dict[str, str]:
    """NAME="a=1,b=2" → {"a": "1", "b": "2"}."""
    pairs = [item.partition("=") for item in env_list(name, [])]
    if any(not sep or not key.strip() or not value.strip() for key, sep, value in pairs):
        raise ImproperlyConfigured(f"{name} must look like key=value,key=value")
    return {key.strip(): value.strip() for key, _sep, value in pairs}


def ascending(settings: dict, *names: str) -> None:
    """Stop the server unless the settings `names`, in this order, each stay below the next (time-outs that
    must nest: an HTTP call inside a job inside a lease)."""
    values = [settings[name] for name in names]
    if any(low >= high for low, high in zip(values, values[1:], strict=False)):
        raise ImproperlyConfigured("need " + " < ".join(names))


def video_settings() -> dict:
    """Video appointments (video/): the browsers' STUN and TURN servers and the call's timings.

    VIDEO_STUN_URLS and VIDEO_TURN_URLS are comma-separated (stun:host:3478, turn:host:3478?transport=udp,
    turns:host:5349); the TURN server's user name and password are VIDEO_TURN_USERNAME and
    VIDEO_TURN_PASSWORD (coturn's static user: deploy/coturn/turnserver.conf). No STUN or TURN at all: only
    browsers that reach each other directly (the same network) can talk."""
    servers = []
    stun = env_list("VIDEO_STUN_URLS", [])
    if stun:
        servers.append({"urls": stun})
    turn = env_list("VIDEO_TURN_URLS", [])
    if turn:
        user, password = env_str("VIDEO_TURN_USERNAME", ""), env_str("VIDEO_TURN_PASSWORD", "")
        if not (user and password):
            raise ImproperlyConfigured("VIDEO_TURN_URLS needs VIDEO_TURN_USERNAME and VIDEO_TURN_PASSWORD")
        servers.append({"urls": turn, "username": user, "credential": password})
    values = {
        "ICE_SERVERS": servers,
        # Signalling messages are deleted after this many seconds (video/signalling.py).
        "SIGNAL_SECONDS": env_int("VIDEO_SIGNAL_SECONDS", 600),
        # The citizen may join from this long before the booked time until this long after its end.
        "JOIN_EARLY_MINUTES": env_int("VIDEO_JOIN_EARLY_MINUTES", 15),
        "JOIN_LATE_MINUTES": env_int("VIDEO_JOIN_LATE_MINUTES", 60),
    }
    if min(values["SIGNAL_SECONDS"], values["JOIN_EARLY_MINUTES"], values["JOIN_LATE_MINUTES"]) < 0:
        raise ImproperlyConfigured("VIDEO_* timings must not be negative")
    return values
