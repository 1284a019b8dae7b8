"""What the apps above the outbox tell it, so that `notifications` imports no app but `hall`.

The outbox sends messages; what a message is about (a booking, a ticket, a home visit) belongs to the app
that wrote it. Each app registers, in its AppConfig.ready():
- `periodic(name, task, before_enqueue=False)`: a task the sweep runs every NOTIFY_SWEEP_INTERVAL seconds,
  called as task(now=...) and answering a count (or a list, counted). Tasks that record messages (the
  reminders) run before the sweep enqueues due rows, so that they go out in the same sweep;
- `still_applies(subject_type, check)`: asked by the send job just before sending a row of that subject:
  check(notification) -> bool; False withdraws the row (a reminder of a booking since cancelled or moved).

As PERSONAL_DATA_ERASERS does for erasure, the registry keeps the order of registration.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    name: str
    task: Callable
    before_enqueue: bool


PERIODIC: list[Periodic] = []
STILL_APPLIES: dict[str, list[Callable]] = {}


def periodic(name: str, task: Callable, *, before_enqueue: bool = False) -> None:
    if any(p.name == name for p in PERIODIC):
        return  # ready() may run twice (tests, autoreload): register once
    PERIODIC.append(Periodic(name, task, before_enqueue))


def still_applies(subject_type: str, check: Callable) -> None:
    checks = STILL_APPLIES.setdefault(subject_type, [])
    if check not in checks:
        checks.append(check)


def applies(notification) -> bool:
    """Every check registered for the row's subject agrees that it should still be sent."""
    return all(check(notification) for check in STILL_APPLIES.get(notification.subject_type, []))
