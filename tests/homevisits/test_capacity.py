"""A scheduled home visit takes its windows out of the hall's slots: exactly the counters it takes, for
every service those counters serve, and never below what citizens have already booked."""

import datetime as dt

import phonenumbers
import pytest
from django.utils import translation

from appointments import availability
from appointments import services as booking_services
from appointments.models import Slot
from hall.models import CounterAbsence
from homevisits import services
from homevisits.models import VisitState
from homevisits.services import Actor, VisitError
from tests.homevisits.helpers import NOW, TUESDAY, at, make_setting, make_visit, schedule, window
from tests.makers import make_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():
    return make_setting()


def capacities(service, date=TUESDAY) -> dict:
    """(places online, held back) per window start of the stored slots, after syncing them."""
    availability.sync_slots(service=service, date=date)
    return {
        s.start.astimezone(at(0).tzinfo).time(): (s.capacity, s.held_back, s.closed)
        for s in Slot.objects.on(service, date)
    }


AWAY = [dt.time(10), dt.time(10, 30), dt.time(11)]  # the windows of a visit from 10:00 to 11:30


def book(slot, n: int):
    citizen = booking_services.Citizen(
        name="张三", phone=phonenumbers.parse(f"1380000{n:04d}", "CN"), id_number=make_id_number(n)
    )
    return booking_services.book(slot=slot, citizen=citizen, actor=booking_services.Actor("web"), now=NOW)


def slot_at(service, time) -> Slot:
    availability.sync_slots(service=service, date=TUESDAY)
    return Slot.objects.select_related("hall", "service").get(
        service=service, start=at(time.hour, time.minute)
    )


def test_visit_lowers_every_affected_slot_by_exactly_the_counters_it_takes(setting):
    before = {"service": capacities(setting.service), "other": capacities(setting.other)}
    assert before["service"][dt.time(10)] == window(3)
    assert before["other"][dt.time(10)] == window(2)

    # Windows 1 and 2 closed: the service (windows 1-3) keeps one, the other service (windows 1, 3) keeps one.
    schedule(setting, make_visit(setting), start=at(10), minutes=90)

    after = {"service": capacities(setting.service), "other": capacities(setting.other)}
    for name, present in (("service", 1), ("other", 1)):
        assert {t: after[name][t] for t in AWAY} == dict.fromkeys(AWAY, window(present))
        assert {t: c for t, c in after[name].items() if t not in AWAY} == {
            t: c for t, c in before[name].items() if t not in AWAY
        }


def test_visit_taking_one_window_lowers_by_one_counter(setting):
    schedule(setting, make_visit(setting), start=at(14), minutes=30, counters=[setting.counters[1]])

    assert capacities(setting.service)[dt.time(14)] == window(2)
    assert capacities(setting.other)[dt.time(14)] == window(2)  # window 2 does not serve it


def test_visit_taking_no_window_changes_no_slot(setting):
    before = capacities(setting.service)

    schedule(setting, make_visit(setting), counters=[])

    assert capacities(setting.service) == before
    assert CounterAbsence.objects.count() == 0


def test_cancelling_a_scheduled_visit_gives_the_capacity_back(setting):
    before = capacities(setting.service), capacities(setting.other)
    visit = schedule(setting, make_visit(setting))

    services.cancel_visit(
        visit=visit, actor=Actor("staff", setting.supervisor), reason="Car broke down", now=NOW
    )

    assert (capacities(setting.service), capacities(setting.other)) == before
    assert CounterAbsence.objects.count() == 0


def test_a_done_visit_keeps_its_windows_away_in_the_records(setting):
    visit = schedule(setting, make_visit(setting))

    services.record_outcome(visit=visit, done=True, actor=Actor("staff", setting.clerk1), now=NOW)

    assert capacities(setting.service)[dt.time(10)] == window(1)
    assert CounterAbsence.objects.count() == 2


def test_schedule_refused_when_a_window_holds_more_bookings_than_it_could_keep(setting):
    slot = slot_at(setting.service, dt.time(10, 30))
    for n in range(1, 4):  # 3 booked; with one counter left the window offers window(1)[0] = 1 place
        book(slot, n)
    before = capacities(setting.service), capacities(setting.other)
    visit = make_visit(setting)

    with translation.override("en"), pytest.raises(VisitError) as error:
        schedule(setting, visit)

    assert error.value.message == (
        "The windows left open cannot serve the citizens already booked for "
        "ID card renewal 11-24 10:30–11:00. Leave fewer windows closed, or choose another time."
    )
    visit.refresh_from_db()
    assert visit.state == VisitState.REQUESTED
    assert (capacities(setting.service), capacities(setting.other)) == before
    assert CounterAbsence.objects.count() == 0
    assert Slot.objects.get(pk=slot.pk).taken == 3


def test_schedule_allowed_when_the_bookings_fit_what_is_left(setting):
    slot = slot_at(setting.service, dt.time(10, 30))
    book(slot, 1)  # one place: one counter still offers one

    schedule(setting, make_visit(setting))

    slot.refresh_from_db()
    assert (slot.taken, slot.capacity) == (1, window(1)[0])


def test_a_booking_after_the_visit_meets_the_lowered_capacity(setting):
    schedule(setting, make_visit(setting))
    slot = slot_at(setting.service, dt.time(10))
    book(slot, 1)

    with pytest.raises(booking_services.BookingError) as error:
        book(slot, 2)

    assert error.value.code == "slot_full"
    assert Slot.objects.get(pk=slot.pk).taken == window(1)[0] == 1


def test_two_visits_at_once_take_both_their_windows(setting):
    schedule(setting, make_visit(setting, 1), counters=[setting.counters[0]])
    second = make_visit(setting, 2)
    services.schedule_visit(
        visit=second,
        start=at(10, 30),
        minutes=60,
        staff=[setting.clerk3, setting.supervisor],
        counters=[setting.counters[1]],
        actor=Actor("staff", setting.supervisor),
        now=NOW,
    )

    result = capacities(setting.service)

    assert result[dt.time(10)] == window(2)
    assert result[dt.time(10, 30)] == result[dt.time(11)] == window(1)
    assert result[dt.time(11, 30)] == window(3)
