"""bench/oracle.py's reading at each issue (bench/simulate.py --oracle, --before): it reads beside the day and
leaves it as it was; an alternative with the switches as they are reads the live estimate itself, and one
with issue 19's switches off (the estimate before the hall's record) reads its own figures, on the same
tickets."""

import pytest

from bench import oracle
from queueing import estimates
from simulation import api
from tests.simulation.test_simulation import SHORT

SAME = {"estimates.WORK": True}  # as it is
BEFORE = {f"estimates.{name}": False for name in ("PUNCTUAL", "WORK", "MIXED", "ALIKE")}


@pytest.fixture
def observed(monkeypatch):
    monkeypatch.setattr(oracle.Observed, "plays", 3)
    monkeypatch.setattr(oracle.Observed, "oracles", {"ceiling": oracle.FULL})
    monkeypatch.setattr(oracle.Observed, "alternatives", {"same": SAME, "before": BEFORE})


def test_the_oracle_and_the_alternatives_read_beside_the_day_without_changing_it(
    demo_hall, observed, monkeypatch
):
    plain = api.simulate_day(demo_hall, SHORT, seed=3)
    monkeypatch.setattr(api, "Hallday", oracle.Observed)

    seen = api.simulate_day(demo_hall, SHORT, seed=3)

    assert seen.timeline() == plain.timeline()
    at_issue = {pk: t.readings[0].minutes for pk, t in seen.tickets.items() if t.readings}
    assert at_issue and seen.oracle["same"] == at_issue
    assert set(seen.oracle["before"]) == set(at_issue)
    assert set(seen.oracle["ceiling"]) <= set(at_issue) and seen.oracle["ceiling"]
    assert (estimates.PUNCTUAL, estimates.WORK, estimates.MIXED, estimates.ALIKE) == (True,) * 4  # put back
