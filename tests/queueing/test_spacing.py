"""Pure tests of seat spacing (no database)."""

from queueing.spacing import choose_seat, must_wait_outside, neighbours, parse_seat, seat_label


def fill(rows, per_row, out=(), count=100):
    taken = []
    for _ in range(count):
        seat = choose_seat(rows, per_row, out, taken)
        if seat is None:
            break
        taken.append(seat)
    return taken


def side_by_side(taken):
    occupied = set(taken)
    return sum(1 for seat in taken for n in neighbours(seat) if n in occupied) // 2


def test_choose_seat_never_side_by_side_while_possible():
    taken = fill(4, 8, count=16)  # half of 32 seats: alternate seats suffice

    assert len(set(taken)) == 16
    assert side_by_side(taken) == 0


def test_choose_seat_fewest_neighbours_when_full():
    taken = fill(1, 5, count=5)

    assert sorted(taken) == [(1, s) for s in range(1, 6)]
    # the first three take 1, 3, 5 (no neighbours); then 2 and 4 each sit between two
    assert set(taken[:3]) == {(1, 1), (1, 3), (1, 5)}


def test_choose_seat_skips_seats_out_of_use():
    taken = fill(1, 3, out=[(1, 2)])

    assert sorted(taken) == [(1, 1), (1, 3)]


def test_choose_seat_none_when_all_taken():
    assert choose_seat(1, 2, [], [(1, 1), (1, 2)]) is None


def test_choose_seat_spreads_people_out():
    first = choose_seat(4, 8, [], [])
    second = choose_seat(4, 8, [], [first])

    assert first == (1, 1)
    assert second == (4, 8)


def test_seat_labels_round_trip():
    assert parse_seat(seat_label((3, 7))) == (3, 7)


def test_must_wait_outside_at_the_limit():
    assert [must_wait_outside(n, 30) for n in (29, 30, 31)] == [False, True, True]
