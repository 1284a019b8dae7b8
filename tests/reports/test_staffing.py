"""Erlang C against published worked examples (no database)."""

import math

import pytest

from reports import staffing


def test_two_agents_one_erlang_wait_with_probability_one_third():
    # By hand: (A²/2!·c/(c−A)) / (1 + A + A²/2!·c/(c−A)) = 1 / 3.
    assert staffing.erlang_c(1, 2) == pytest.approx(1 / 3, abs=1e-12)


def test_call_centre_textbook_example():
    # 360 calls per half hour, 4-minute calls (A = 48 Erlangs), 55 agents, 15-second target:
    # probability of waiting 23.9%, mean wait 8.2 s, service level 84.6%.
    traffic, handling = 360 * 4 / 30, 240
    assert traffic == 48
    assert round(staffing.erlang_c(traffic, 55), 4) == 0.2387
    assert round(staffing.mean_wait(traffic, 55, handling), 1) == 8.2
    assert round(staffing.service_level(traffic, 55, 15, handling), 3) == 0.846


@pytest.mark.parametrize(
    ("agents", "waiting", "level"),
    # 100 calls in 30 minutes of 180 s (A = 10 Erlangs), 20-second target: the well-known table.
    [(11, 0.6821, 0.3896), (12, 0.4494, 0.6402), (13, 0.2853, 0.7956), (14, 0.1741, 0.8884)],
)
def test_ten_erlangs_table(agents, waiting, level):
    assert round(staffing.erlang_c(10, agents), 4) == waiting
    assert round(staffing.service_level(10, agents, 20, 180), 4) == level


def test_agents_needed_is_the_first_that_reaches_the_goal():
    assert staffing.agents_needed(10, 180, 20, 0.80) == 14
    assert staffing.agents_needed(10, 180, 20, 0.79) == 13
    assert staffing.agents_needed(48, 240, 15, 0.80) == 55


def test_overload_and_no_traffic():
    assert (staffing.erlang_c(5, 5), staffing.service_level(5, 4, 15, 10)) == (1.0, 0.0)
    assert staffing.mean_wait(6, 5, 10) == math.inf
    assert (staffing.erlang_c(0, 3), staffing.agents_needed(0, 10, 15, 0.8)) == (0.0, 0)


def test_large_halls_stay_numerically_stable():
    # Factorials of 300 overflow floats; the Erlang B recursion does not.
    assert 0 < staffing.erlang_c(280, 300) < 1
