import statistics
import pytest
from simulation.api import simulate_day
from simulation.scenario import day_type

@pytest.mark.parametrize("name", ["normal", "peak"])
def test_smoke(demo_hall, name):
    log = simulate_day(demo_hall, day_type(name), seed=1)
    called = [x for x in log.tickets.values() if x.called_at]
    print(name, "seconds", log.seconds, "cpu", log.cpu_seconds, "tickets", len(log.tickets), "called", len(called), log.refused)
    errs_new = []; errs_old=[]
    for x in called:
        r = x.readings[0] if x.readings else None
        if r and r.minutes is not None:
            errs_new.append(abs(r.minutes - x.wait())); errs_old.append(abs(r.old - x.wait()))
    print(name, "new within5", sum(e<=5 for e in errs_new)/len(errs_new), "old", sum(e<=5 for e in errs_old)/len(errs_old), len(errs_new))
    print(name, "mean wait", statistics.mean(x.wait() for x in called), "p90", sorted(x.wait() for x in called)[int(.9*len(called))])
    assert False
