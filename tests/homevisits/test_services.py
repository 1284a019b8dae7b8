"""The home visit state machine, transition by transition, with the refused ones; events and messages."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from homevisits import services
from homevisits.models import HomeVisit, HomeVisitEvent, VisitState
from homevisits.services import Actor, VisitError
from notifications.models import Kind, Notification
from tests.homevisits.helpers import NOW, TUESDAY, at, make_setting, make_visit, schedule, visit_request

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def setting():
    return make_setting()


def events(visit) -> list[tuple]:
    return [
        (e.from_state, e.to_state, e.source, e.actor.username if e.actor else None)
        for e in HomeVisitEvent.objects.filter(visit=visit)
    ]


def messages(visit) -> list[tuple[str, str]]:
    rows = Notification.objects.filter(subject_type="home_visit", subject_id=visit.pk).order_by("id")
    assert {r.kind for r in rows} <= {Kind.HOME_VISIT}
    return [(r.key, r.text) for r in rows]


def url(visit) -> str:
    return f"http://127.0.0.1:8000/v/{visit.token}/"


def supervisor(setting):
    return Actor("staff", setting.supervisor)


# requested


def test_request_keeps_only_a_hash_and_masked_id_and_tells_the_citizen(setting):
    visit = make_visit(setting)

    visit.refresh_from_db()
    assert visit.state == VisitState.REQUESTED
    assert visit.id_masked == "110***********" + visit_request().id_number[-4:]
    assert visit_request().id_number not in str(HomeVisit.objects.values().get())
    assert visit.preferred_dates == [TUESDAY, dt.date(2026, 11, 25)]
    assert len(visit.token) >= 32
    assert events(visit) == [("", "requested", "web", None)]
    assert messages(visit) == [
        (
            "requested",
            "[North District Hall] Home visit for ID card renewal requested; we will text you. "
            f"Status: {url(visit)}",
        )
    ]


def test_request_with_invalid_id_number_is_refused_and_stores_nothing(setting):
    with pytest.raises(ValidationError):
        services.request_visit(service=setting.service, request=visit_request(id_number="110105193002150010"))

    assert HomeVisit.objects.count() == 0


def test_request_for_a_service_without_home_visits_is_refused(setting):
    with pytest.raises(VisitError) as error:
        services.request_visit(service=setting.other, request=visit_request())

    assert error.value.message == "This service cannot be done by a home visit."
    assert HomeVisit.objects.count() == 0


# requested → scheduled


def test_schedule_moves_to_scheduled_with_two_staff_and_tells_date_and_time(setting):
    visit = make_visit(setting)

    schedule(setting, visit)

    visit.refresh_from_db()
    assert visit.state == VisitState.SCHEDULED
    assert (visit.start, visit.end) == (at(10), at(11, 30))
    assert sorted(u.username for u in visit.staff.all()) == ["clerk1", "clerk2"]
    assert sorted(a.counter.number for a in visit.absences.all()) == [1, 2]
    assert {(a.start, a.end) for a in visit.absences.all()} == {(at(10), at(11, 30))}
    assert events(visit)[-1] == ("requested", "scheduled", "staff", "supervisor")
    assert messages(visit)[-1] == (
        "scheduled",
        "[North District Hall] Home visit for ID card renewal approved: 2026-11-24 10:00-11:30. "
        f"Status: {url(visit)}",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start": NOW - dt.timedelta(minutes=1)}, "The visit must start in the future."),
        ({"minutes": 20}, "A visit, travel included, takes from 30 to 480 minutes."),
        ({"minutes": 481}, "A visit, travel included, takes from 30 to 480 minutes."),
    ],
)
def test_schedule_with_bad_time_is_refused(setting, change, message):
    visit = make_visit(setting)

    with pytest.raises(VisitError) as error:
        services.schedule_visit(
            visit=visit,
            start=change.get("start", at(10)),
            minutes=change.get("minutes", 90),
            staff=[setting.clerk1, setting.clerk2],
            counters=[],
            actor=supervisor(setting),
            now=NOW,
        )

    assert error.value.message == message
    visit.refresh_from_db()
    assert visit.state == VisitState.REQUESTED


def test_schedule_needs_two_different_staff_of_the_hall(setting):
    other = make_setting("south", prefix="s-")
    visit = make_visit(setting)
    refused = []
    for staff in ([setting.clerk1], [setting.clerk1, setting.clerk1], [setting.clerk1, other.clerk1]):
        with pytest.raises(VisitError) as error:
            services.schedule_visit(
                visit=visit,
                start=at(10),
                minutes=90,
                staff=staff,
                counters=[],
                actor=supervisor(setting),
                now=NOW,
            )
        refused.append(error.value.message)

    assert refused == ["Choose two different staff members of this hall."] * 3


def test_schedule_refuses_another_halls_window(setting):
    other = make_setting("south", prefix="s-")
    visit = make_visit(setting)

    with pytest.raises(VisitError) as error:
        schedule(setting, visit, counters=[other.counters[0]])

    assert error.value.message == "Choose only windows of this hall."


@pytest.mark.parametrize("state", ["scheduled", "declined", "cancelled", "done", "materials_missing"])
def test_schedule_refused_unless_requested(setting, state):
    visit = make_visit(setting)
    HomeVisit.objects.filter(pk=visit.pk).update(state=state)

    with pytest.raises(VisitError) as error:
        schedule(setting, visit)

    label = dict(VisitState.choices)[state]
    assert error.value.message == (
        "Only a request that is still waiting for a decision can be approved or declined; "
        f"this one is {label}."
    )
    assert events(visit) == [("", "requested", "web", None)]
    assert list(visit.absences.all()) == []


# requested → declined


def test_decline_records_the_reason_and_tells_it(setting):
    visit = make_visit(setting)

    services.decline_visit(
        visit=visit,
        reason="The service needs the person's fingerprints at the hall",
        actor=supervisor(setting),
        now=NOW,
    )

    visit.refresh_from_db()
    assert (visit.state, visit.decision_note) == (
        VisitState.DECLINED,
        "The service needs the person's fingerprints at the hall",
    )
    assert events(visit)[-1] == ("requested", "declined", "staff", "supervisor")
    assert messages(visit)[-1] == (
        "declined",
        "[North District Hall] Home visit for ID card renewal declined "
        f"(The service needs the person's finger...). Status: {url(visit)}",
    )


def test_decline_without_reason_is_refused(setting):
    visit = make_visit(setting)

    with pytest.raises(VisitError) as error:
        services.decline_visit(visit=visit, reason="  ", actor=supervisor(setting), now=NOW)

    assert error.value.message == "Give the reason: the citizen is told it."
    visit.refresh_from_db()
    assert visit.state == VisitState.REQUESTED


@pytest.mark.parametrize("state", ["scheduled", "declined", "cancelled", "done", "materials_missing"])
def test_decline_refused_unless_requested(setting, state):
    visit = make_visit(setting)
    HomeVisit.objects.filter(pk=visit.pk).update(state=state)

    with pytest.raises(VisitError) as error:
        services.decline_visit(visit=visit, reason="No", actor=supervisor(setting), now=NOW)

    assert error.value.code == "not_pending"
    visit.refresh_from_db()
    assert (visit.state, visit.decision_note) == (state, "")


# requested / scheduled → cancelled


def test_citizen_cancels_a_request_without_reason_and_gets_no_message(setting):
    visit = make_visit(setting)

    services.cancel_visit(visit=visit, actor=Actor("web"), now=NOW)

    visit.refresh_from_db()
    assert visit.state == VisitState.CANCELLED
    assert events(visit)[-1] == ("requested", "cancelled", "web", None)
    assert [key for key, _text in messages(visit)] == ["requested"]


def test_supervisor_cancels_a_scheduled_visit_with_reason_and_the_windows_come_back(setting):
    visit = make_visit(setting)
    schedule(setting, visit)

    services.cancel_visit(visit=visit, actor=supervisor(setting), reason="Staff needed in the hall", now=NOW)

    visit.refresh_from_db()
    assert visit.state == VisitState.CANCELLED
    assert list(visit.absences.all()) == []
    assert events(visit)[-1] == ("scheduled", "cancelled", "staff", "supervisor")
    assert messages(visit)[-1] == (
        "cancelled",
        "[North District Hall] Home visit for ID card renewal cancelled (Staff needed in the hall). "
        f"Status: {url(visit)}",
    )


def test_staff_cancel_without_reason_is_refused(setting):
    visit = make_visit(setting)

    with pytest.raises(VisitError) as error:
        services.cancel_visit(visit=visit, actor=supervisor(setting), now=NOW)

    assert error.value.message == "Give the reason: the citizen is told it."
    visit.refresh_from_db()
    assert visit.state == VisitState.REQUESTED


@pytest.mark.parametrize("state", ["declined", "cancelled", "done", "materials_missing"])
def test_cancel_refused_once_finished(setting, state):
    visit = make_visit(setting)
    HomeVisit.objects.filter(pk=visit.pk).update(state=state)

    with pytest.raises(VisitError) as error:
        services.cancel_visit(visit=visit, actor=Actor("web"), now=NOW)

    label = dict(VisitState.choices)[state]
    assert error.value.message == f"This visit can no longer be cancelled: it is {label}."


# scheduled → done / materials missing


def test_done_by_one_of_the_staff_tells_the_citizen(setting):
    visit = make_visit(setting)
    schedule(setting, visit)

    services.record_outcome(visit=visit, done=True, actor=Actor("staff", setting.clerk2), now=NOW)

    visit.refresh_from_db()
    assert (visit.state, visit.finished_at) == (VisitState.DONE, NOW)
    assert events(visit)[-1] == ("scheduled", "done", "staff", "clerk2")
    assert messages(visit)[-1] == (
        "done",
        "[North District Hall] Home visit for ID card renewal done. Thank you.",
    )


def test_materials_missing_keeps_the_list_from_the_guide_and_tells_it_at_once(setting):
    visit = make_visit(setting)
    schedule(setting, visit)
    booklet, card = setting.service.materials.order_by("position")

    services.record_outcome(
        visit=visit,
        done=False,
        missing=[card],
        missing_note="Marriage certificate",
        actor=Actor("staff", setting.clerk1),
        now=NOW,
    )

    visit.refresh_from_db()
    assert visit.state == VisitState.MATERIALS_MISSING
    assert list(visit.missing.all()) == [card]
    assert visit.missing_note == "Marriage certificate"
    assert events(visit)[-1] == ("scheduled", "materials_missing", "staff", "clerk1")
    assert messages(visit)[-1] == (
        "materials_missing",
        "[North District Hall] Home visit for ID card renewal: still missing (Resident ID card; Marriage "
        f"certificate). Status: {url(visit)}",
    )


def test_materials_missing_without_a_list_is_refused(setting):
    visit = make_visit(setting)
    schedule(setting, visit)

    with pytest.raises(VisitError) as error:
        services.record_outcome(visit=visit, done=False, missing_note=" ", actor=supervisor(setting), now=NOW)

    assert error.value.message == "Tick what is missing, or write it in the box."
    visit.refresh_from_db()
    assert visit.state == VisitState.SCHEDULED


@pytest.mark.parametrize("done", [True, False])
@pytest.mark.parametrize("state", ["requested", "declined", "cancelled", "done", "materials_missing"])
def test_outcome_refused_unless_scheduled(setting, state, done):
    visit = make_visit(setting)
    HomeVisit.objects.filter(pk=visit.pk).update(state=state)

    with pytest.raises(VisitError) as error:
        services.record_outcome(visit=visit, done=done, missing_note="x", actor=supervisor(setting), now=NOW)

    label = dict(VisitState.choices)[state]
    assert (
        error.value.message == f"An outcome can only be recorded for a scheduled visit; this one is {label}."
    )
    assert len(events(visit)) == 1


def test_messages_never_hold_the_id_number_mobile_or_address(setting):
    visit = make_visit(setting)
    schedule(setting, visit)
    services.record_outcome(visit=visit, done=True, actor=supervisor(setting), now=NOW)

    texts = " ".join(text for _key, text in messages(visit))
    for secret in (visit_request().id_number, "13912345678", "幸福路", "王秀英"):
        assert secret not in texts


def test_messages_in_chinese_for_a_chinese_request_whatever_the_staff_language(setting):
    visit = make_visit(setting, language="zh-hans")

    ((_key, text),) = messages(visit)

    assert text.startswith("【北区户政大厅】")


def test_schedule_refused_when_a_staff_member_is_out_on_another_visit_then(setting):
    schedule(setting, make_visit(setting, 1), start=at(10), minutes=90, counters=[])
    setting.clerk2.first_name = "磊"
    setting.clerk2.last_name = "王"
    setting.clerk2.save()
    second = make_visit(setting, 2)

    with pytest.raises(VisitError) as error:
        services.schedule_visit(
            visit=second,
            start=at(11),
            minutes=60,
            staff=[setting.clerk3, setting.clerk2],
            counters=[],
            actor=supervisor(setting),
            now=NOW,
        )
    services.schedule_visit(
        visit=second,
        start=at(11, 30),
        minutes=60,
        staff=[setting.clerk3, setting.clerk2],
        counters=[],
        actor=supervisor(setting),
        now=NOW,
    )

    assert error.value.message == "磊 王 is already out on another home visit at that time."
    second.refresh_from_db()
    assert (second.state, second.start) == (VisitState.SCHEDULED, at(11, 30))
