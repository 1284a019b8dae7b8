import datetime as dt

import pytest

from homevisits import housekeeping, services
from homevisits.models import HomeVisit
from homevisits.services import Actor
from tests.homevisits.helpers import NOW, make_setting, make_visit

pytestmark = pytest.mark.django_db


def test_erases_personal_data_of_visits_finished_before_the_retention_period():
    setting = make_setting()
    old, recent, pending = make_visit(setting, 1), make_visit(setting, 2), make_visit(setting, 3)
    supervisor = Actor("staff", setting.supervisor)
    services.decline_visit(
        visit=old, reason="Outside our area", actor=supervisor, now=NOW - dt.timedelta(days=91)
    )
    services.decline_visit(
        visit=recent, reason="Outside our area", actor=supervisor, now=NOW - dt.timedelta(days=89)
    )

    erased = housekeeping.erase_expired_personal_data(now=NOW)

    assert erased == 1
    rows = HomeVisit.objects.order_by("id").values_list(
        "person_name", "requester_name", "phone", "id_masked", "id_hash", "address", "decision_note", "state"
    )
    assert rows[0] == ("", "", "", "", "", "", "", "declined")
    assert [row[0] for row in rows[1:]] == ["王秀英", "王秀英"]
    assert old.events.get(to_state="declined").note == ""
    assert recent.events.get(to_state="declined").note == "Outside our area"
    assert pending.state == "requested"
    assert housekeeping.erase_expired_personal_data(now=NOW) == 0
