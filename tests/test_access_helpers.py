"""Each app's access helpers (one per object type, all built on hall/access.py): the staff member's own
hall gets the object; staff of another hall get 404 as for an object that does not exist, and the object's
hall sees the attempt in its audit log; window staff asking a supervisors' helper get 403.

The objects are tests/test_access.py's World (hall "north"); "other" is a supervisor of hall "south"."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from appointments.access import access_bookable_service
from consultations.access import access_call_back
from hall import access as hall_access
from hall.models import AuditAction, AuditEntry, Staff
from homevisits.access import access_visit, access_visit_as_supervisor
from postal.access import access_pickup, access_postal_item, ticket_to_prefill
from queueing import access as queue_access
from reports.access import access_device, access_follow_up, access_rating
from tests.makers import make_counter, make_staff
from tests.test_access import World

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Case:
    """`find(world, user, slug)` asks the helper for `target(world)`; `slug` is the user's own hall's."""

    find: Callable
    target: Callable
    supervisors_only: bool = False
    asks_the_user: bool = True  # False: the helper trusts a counter already checked as the user's


def _south_counter(w, user):
    return make_counter(Staff.objects.get(user=user).hall, 9)


CASES = {
    "access_counter": Case(lambda w, u, s: queue_access.access_counter(u, w.counter.pk), lambda w: w.counter),
    "access_ticket": Case(lambda w, u, s: queue_access.access_ticket(u, w.ticket.pk), lambda w: w.ticket),
    "access_ticket_for_counter": Case(
        lambda w, u, s: queue_access.access_ticket_for_counter(
            u, w.counter if s == "north" else _south_counter(w, u), w.ticket.pk
        ),
        lambda w: w.ticket,
        asks_the_user=False,
    ),
    "access_postal_item": Case(
        lambda w, u, s: access_postal_item(u, w.postal_item.pk), lambda w: w.postal_item
    ),
    "access_pickup": Case(lambda w, u, s: access_pickup(u, w.pickup.pk), lambda w: w.pickup),
    "access_visit": Case(
        lambda w, u, s: access_visit(u, s, w.home_visit.pk), lambda w: w.home_visit, supervisors_only=True
    ),
    "access_visit_as_supervisor": Case(
        lambda w, u, s: access_visit_as_supervisor(u, s, w.home_visit.pk),
        lambda w: w.home_visit,
        supervisors_only=True,
    ),
    "access_call_back": Case(
        lambda w, u, s: access_call_back(u, s, w.call_back.pk)[1], lambda w: w.call_back
    ),
    "access_follow_up": Case(
        lambda w, u, s: access_follow_up(u, s, w.case.pk), lambda w: w.case, supervisors_only=True
    ),
    "access_rating": Case(
        lambda w, u, s: access_rating(u, s, w.rating.pk), lambda w: w.rating, supervisors_only=True
    ),
    "access_device": Case(
        lambda w, u, s: access_device(u, s, w.device.pk), lambda w: w.device, supervisors_only=True
    ),
}


@pytest.fixture
def world():
    return World()


def _refusals():
    return AuditEntry.objects.filter(action=AuditAction.OTHER_HALL_REFUSED)


@pytest.mark.parametrize("name", CASES)
def test_own_hall_gets_the_object(world, name):
    case = CASES[name]
    expected = case.target(world)
    assert case.find(world, world.supervisor, "north") == expected
    if not case.supervisors_only:
        assert case.find(world, world.clerk, "north") == expected
    assert not _refusals().exists()


@pytest.mark.parametrize("name", CASES)
def test_another_halls_staff_get_404_and_the_hall_sees_the_attempt(world, name):
    case = CASES[name]
    target = case.target(world)
    with pytest.raises(Http404):
        case.find(world, world.other_hall_staff, "south")
    entry = _refusals().get()
    assert (entry.hall, entry.actor, entry.object_id) == (world.hall, world.other_hall_staff, str(target.pk))
    assert entry.object_type == target._meta.label_lower


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case.supervisors_only])
def test_window_staff_get_403_from_a_supervisors_helper(world, name):
    case = CASES[name]
    case.target(world)
    with pytest.raises(PermissionDenied):
        case.find(world, world.clerk, "north")


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case.asks_the_user])
def test_someone_who_is_not_staff_gets_404_and_nothing_is_audited(world, name):
    case = CASES[name]
    case.target(world)
    with pytest.raises(Http404):
        case.find(world, world.admin, "north")
    assert not _refusals().exists()


def test_a_visit_is_open_to_the_window_staff_who_go_on_it(world):
    world.home_visit.staff.add(world.clerk)
    assert access_visit(world.clerk, "north", world.home_visit.pk) == world.home_visit
    with pytest.raises(PermissionDenied):
        access_visit_as_supervisor(world.clerk, "north", world.home_visit.pk)


def test_window_staff_reach_only_their_own_call_backs(world):
    colleague = make_staff(world.hall, "colleague")
    with pytest.raises(Http404):
        access_call_back(colleague, "north", world.call_back.pk)
    assert not _refusals().exists()  # their own hall's: not a cross-hall attempt


def test_a_ticket_to_prefill_from_another_hall_is_none_and_audited(world):
    assert ticket_to_prefill(world.clerk, str(world.ticket.pk)) == world.ticket
    assert ticket_to_prefill(world.other_hall_staff, str(world.ticket.pk)) is None
    assert _refusals().get().object_id == str(world.ticket.pk)
    assert ticket_to_prefill(world.clerk, "12a") is None
    assert ticket_to_prefill(world.clerk, None) is None


def test_a_bookable_service_of_another_hall_is_404_and_audited(world):
    assert access_bookable_service(world.clerk, "north", world.service.code) == world.service
    with pytest.raises(Http404):
        access_bookable_service(world.other_hall_staff, "north", world.service.code)
    assert _refusals().get().hall == world.hall


def test_another_halls_object_is_audited_only_once_it_exists(world):
    with pytest.raises(Http404):
        hall_access.in_own_hall(world.clerk, type(world.counter).objects.all(), pk=world.counter.pk + 1000)
    assert not _refusals().exists()
