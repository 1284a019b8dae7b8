"""The race benchmark's own checks (bench/call_race.py): its figures are read from these, so they must be
right; no timing is asserted here."""

from bench.call_race import Burst, Round, given_twice, summary


def make_round(tickets: list[int]) -> Round:
    burst = Burst(latencies=[0.01], answers=[], cpu=0.0, database=0.0, around=0.0)
    return Round(call=burst, complete=burst, tickets=tickets, load=0.0)


def test_given_twice_finds_a_ticket_given_to_two_windows_in_different_rounds():
    rounds = [make_round([1, 2, 3]), make_round([4, 2, 5]), make_round([6, 7, 7])]

    assert given_twice(rounds) == [2, 7]


def test_given_twice_is_empty_when_every_ticket_went_to_one_window():
    assert given_twice([make_round([1, 2]), make_round([3, 4])]) == []


def test_summary_of_a_round_of_twenty_puts_p99_between_the_two_slowest():
    latencies = [n / 1000 for n in range(1, 21)]  # 1 ms to 20 ms

    figures = summary(latencies)

    assert round(figures["p50"], 6) == 10.5
    assert round(figures["p99"], 6) == 19.81
    assert figures["max"] == 20.0
