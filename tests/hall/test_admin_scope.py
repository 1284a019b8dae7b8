"""In the admin a supervisor sees and changes only their own hall; administrators see every hall."""

import pytest
from django.contrib.auth.models import Permission, User

from hall.models import Closure, Hall
from tests.makers import make_counter, make_hall, make_service, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def halls():
    own, other = make_hall("north"), make_hall("south", name_zh_hans="南区户政大厅", name_en="South Hall")
    for hall in (own, other):
        make_counter(hall, 1, [make_service(hall)])
    return own, other


@pytest.fixture
def supervisor(halls, client):
    user = make_staff(halls[0], "boss", role="supervisor")
    user.is_staff = True
    user.save()
    client.force_login(user)
    return client


def _listed(client, url, field):
    return sorted(str(getattr(row, field)) for row in client.get(url).context["cl"].result_list)


def test_supervisor_lists_only_their_own_hall_and_its_services_and_counters(supervisor, halls):
    assert _listed(supervisor, "/admin/hall/hall/", "slug") == ["north"]
    for url in ("/admin/hall/service/", "/admin/hall/counter/"):
        assert [row.hall.slug for row in supervisor.get(url).context["cl"].result_list] == ["north"]


def test_supervisor_cannot_open_or_add_closures_to_another_hall(supervisor, halls):
    other = halls[1]

    page = supervisor.get(f"/admin/hall/hall/{other.pk}/change/")
    posted = supervisor.post(
        f"/admin/hall/hall/{other.pk}/change/",
        {"closures-TOTAL_FORMS": "1", "closures-INITIAL_FORMS": "0", "closures-0-date": "2026-12-01"},
    )

    assert (page.status_code, page.url) == (302, "/admin/")  # "doesn't exist. Perhaps it was deleted?"
    assert posted.status_code == 403  # a supervisor may only view a hall's page; closures go inline
    assert not Closure.objects.filter(hall=other).exists()


def test_supervisor_opens_their_own_hall(supervisor, halls):
    assert supervisor.get(f"/admin/hall/hall/{halls[0].pk}/change/").status_code == 200


def test_administrator_sees_every_hall(client, halls):
    client.force_login(User.objects.create(username="root", is_staff=True, is_superuser=True))

    assert _listed(client, "/admin/hall/hall/", "slug") == ["north", "south"]


def test_staff_account_without_a_hall_sees_no_hall(client, halls):
    user = User.objects.create(username="stray", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_hall"))
    client.force_login(user)

    assert _listed(client, "/admin/hall/hall/", "slug") == []
    assert Hall.objects.count() == 2
