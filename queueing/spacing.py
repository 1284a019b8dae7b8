"""Keeping waiting citizens apart: pure functions, no database.

Seats are (row, seat) pairs numbered from 1. Neighbours are the seats directly left and right in the same
row; a chosen seat has no waiting neighbour when one exists, otherwise the fewest. Among equals the seat
that spoils the fewest other free-standing seats is taken (so rows fill 1, 3, 5, ... and stay apart for
as long as possible), then the one farthest from the others, then the front-most, left-most one.
"""

from collections.abc import Iterable

Seat = tuple[int, int]


def parse_seat(text: str) -> Seat:
    row, seat = text.split("-")
    return int(row), int(seat)


def seat_label(seat: Seat) -> str:
    return f"{seat[0]}-{seat[1]}"


def neighbours(seat: Seat) -> list[Seat]:
    row, number = seat
    return [(row, number - 1), (row, number + 1)]


def _distance(seat: Seat, occupied: set[Seat]) -> int:
    if not occupied:
        return 0
    return min(abs(seat[0] - r) * 2 + abs(seat[1] - s) for r, s in occupied)


def choose_seat(
    rows: int, seats_per_row: int, out_of_use: Iterable[Seat], occupied: Iterable[Seat]
) -> Seat | None:
    """The best free seat, or None when every usable seat is taken."""
    blocked = set(out_of_use)
    taken = set(occupied)
    free = [
        (r, s)
        for r in range(1, rows + 1)
        for s in range(1, seats_per_row + 1)
        if (r, s) not in blocked and (r, s) not in taken
    ]
    if not free:
        return None
    free_set = set(free)

    def isolated(seat: Seat) -> bool:
        return not any(n in taken for n in neighbours(seat))

    def spoiled(seat: Seat) -> int:
        return sum(1 for n in neighbours(seat) if n in free_set and isolated(n))

    return min(
        free,
        key=lambda seat: (
            sum(n in taken for n in neighbours(seat)),
            spoiled(seat),
            -_distance(seat, taken),
            seat,
        ),
    )


def must_wait_outside(waiting_inside: int, limit: int) -> bool:
    return waiting_inside >= limit
