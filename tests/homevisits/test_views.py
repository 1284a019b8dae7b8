"""The citizen's pages and the hall's pages for home visits: what each person sees and may do."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hall.models import AuditAction, AuditEntry
from homevisits import services
from homevisits.models import HomeVisit, VisitState
from tests.homevisits.helpers import make_setting, visit_request
from tests.makers import make_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    """A browser that asks for English, so that assertions do not depend on compiled Chinese."""
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def setting():
    return make_setting()


def today(setting):
    return setting.hall.local_date(timezone.now())


def new_visit(setting, n=1):
    day = today(setting) + dt.timedelta(days=3)
    return services.request_visit(service=setting.service, request=visit_request(n, preferred_dates=(day,)))


def url(name, setting, visit=None):
    args = [setting.hall.slug] + ([visit.pk] if visit else [])
    return reverse(f"homevisits:{name}", args=args)


def form_data(setting, **changes):
    data = {
        "person_name": "王秀英",
        "id_number": make_id_number(7, birth="19300215"),
        "requester_name": "李明",
        "relationship": "grandson",
        "phone": "139 1234 5678",
        "reason": "elderly",
        "reason_note": "",
        "address": "北区幸福路8号3单元502",
        "preferred_date_1": (today(setting) + dt.timedelta(days=2)).isoformat(),
        "preferred_date_2": "",
        "preferred_date_3": "",
        "contact_notes": "",
        "language": "zh-hans",
    }
    data.update(changes)
    return data


# The citizen


def test_guide_links_to_the_request_form(client, setting):
    response = client.get(reverse("hall:service_detail", args=[setting.hall.slug, setting.service.code]))

    assert (
        reverse("homevisits:request", args=[setting.hall.slug, setting.service.code])
        in response.content.decode()
    )


def test_request_creates_a_visit_and_shows_its_status_masked(client, setting):
    response = client.post(
        reverse("homevisits:request", args=[setting.hall.slug, setting.service.code]), form_data(setting)
    )

    visit = HomeVisit.objects.get()
    assert (response.status_code, response.url) == (302, f"/v/{visit.token}/")
    assert (visit.state, visit.reason, visit.language, str(visit.phone)) == (
        "requested",
        "elderly",
        "zh-hans",
        "+8613912345678",
    )
    page = client.get(response.url).content.decode()
    assert "Waiting for the hall's decision." in page
    assert "王*英" in page and "110***********" + make_id_number(7, birth="19300215")[-4:] in page
    for secret in ("王秀英", make_id_number(7, birth="19300215"), "13912345678", "幸福路"):
        assert secret not in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"id_number": "110105193002150010"},
            "The last character does not match: please check the number on the card.",
        ),
        ({"reason": "other"}, "Tell us briefly why the person cannot come to the hall."),
        ({"preferred_date_1": "2020-01-01"}, "Choose dates from tomorrow up to 60 days ahead."),
        ({"preferred_date_1": "soon"}, "Enter a date like 2026-12-01."),
        ({"phone": "12345"}, "Enter a mobile number with 11 digits, like 138 0013 8000."),
        ({"address": ""}, "Enter the address where staff should come, with building and room number."),
    ],
)
def test_request_with_bad_input_shows_the_error_and_keeps_what_was_typed(client, setting, changes, message):
    response = client.post(
        reverse("homevisits:request", args=[setting.hall.slug, setting.service.code]),
        form_data(setting, contact_notes="No lift, fourth floor", **changes),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count(message.replace("'", "&#x27;")) == 2  # in the summary and beside the field
    assert "No lift, fourth floor" in page
    assert HomeVisit.objects.count() == 0


def test_request_for_a_service_without_home_visits_is_404(client, setting):
    response = client.get(reverse("homevisits:request", args=[setting.hall.slug, setting.other.code]))

    assert response.status_code == 404


def test_unknown_status_link_is_404(client):
    assert client.get("/v/not-a-token/").status_code == 404


def test_citizen_cancels_by_the_status_link(client, setting):
    visit = new_visit(setting)

    response = client.post(reverse("homevisits:cancel", args=[visit.token]))

    visit.refresh_from_db()
    assert (response.status_code, response.url, visit.state) == (302, f"/v/{visit.token}/", "cancelled")
    page = client.get(response.url).content.decode()
    assert "requested → cancelled" in page
    assert "Cancel the request" not in page


# Access to the hall's pages


def test_anonymous_staff_pages_redirect_to_login(client, setting):
    visit = new_visit(setting)

    for path in (url("list", setting), url("detail", setting, visit), url("schedule", setting, visit)):
        response = client.get(path)
        assert (response.status_code, response.url) == (302, f"/accounts/login/?next={path}")


def test_other_halls_staff_get_404(client, setting):
    other = make_setting("south", prefix="s-")
    visit = new_visit(setting)
    client.force_login(other.supervisor)

    codes = [
        client.get(url(name, setting, visit)).status_code
        for name in ("detail", "schedule", "decline", "staff_cancel", "outcome")
    ]

    assert codes == [404] * 5
    assert client.get(url("list", setting)).status_code == 404


def test_clerks_cannot_approve_decline_or_cancel(client, setting):
    visit = new_visit(setting)
    client.force_login(setting.clerk1)

    codes = [
        client.post(url(name, setting, visit), {"reason": "x"}).status_code
        for name in ("schedule", "decline", "staff_cancel")
    ]

    assert codes == [403, 403, 403]
    visit.refresh_from_db()
    assert visit.state == VisitState.REQUESTED


def test_clerk_not_on_the_visit_cannot_see_it_or_record_its_outcome(client, setting):
    visit = new_visit(setting)
    client.force_login(setting.clerk3)

    assert client.get(url("detail", setting, visit)).status_code == 403
    assert client.post(url("outcome", setting, visit), {"outcome": "done"}).status_code == 403


# The supervisor and the two staff members


def schedule_data(setting, **changes):
    data = {
        "date": (today(setting) + dt.timedelta(days=3)).isoformat(),
        "start": "09:30",
        "minutes": "120",
        "staff": [setting.clerk1.pk, setting.clerk2.pk],
        "counters": [setting.counters[0].pk, setting.counters[1].pk],
    }
    data.update(changes)
    return data


def test_supervisor_schedules_and_the_citizen_sees_the_date(client, setting):
    visit = new_visit(setting)
    client.force_login(setting.supervisor)

    response = client.post(url("schedule", setting, visit), schedule_data(setting))

    visit.refresh_from_db()
    assert (response.status_code, response.url) == (302, url("detail", setting, visit))
    assert visit.state == VisitState.SCHEDULED
    day = today(setting) + dt.timedelta(days=3)
    assert timezone.localtime(visit.start, setting.hall.tz) == dt.datetime.combine(
        day, dt.time(9, 30), setting.hall.tz
    )
    assert sorted(a.counter.number for a in visit.absences.all()) == [1, 2]
    status = client.get(f"/v/{visit.token}/").content.decode()
    assert f"Approved: staff will come on {day.isoformat()} between 09:30 and 11:30." in status


def test_schedule_form_proposes_two_windows_of_the_service_and_the_first_preferred_date(client, setting):
    visit = new_visit(setting)
    client.force_login(setting.supervisor)

    form = client.get(url("schedule", setting, visit)).context["form"]

    assert form["counters"].value() == [setting.counters[0].pk, setting.counters[1].pk]
    assert form["date"].value() == visit.preferred_date_1


def test_schedule_with_one_staff_member_shows_the_error_and_changes_nothing(client, setting):
    visit = new_visit(setting)
    client.force_login(setting.supervisor)

    response = client.post(url("schedule", setting, visit), schedule_data(setting, staff=[setting.clerk1.pk]))

    assert response.status_code == 200
    assert response.content.decode().count("Choose the two staff members who go.") == 2
    visit.refresh_from_db()
    assert visit.state == VisitState.REQUESTED


def test_decline_without_reason_shows_the_error(client, setting):
    visit = new_visit(setting)
    client.force_login(setting.supervisor)

    response = client.post(url("decline", setting, visit), {"reason": "   "})

    assert response.content.decode().count("Give the reason: the citizen is told it.") == 2
    visit.refresh_from_db()
    assert visit.state == VisitState.REQUESTED


def test_decline_twice_shows_the_refusal(client, setting):
    visit = new_visit(setting)
    client.force_login(setting.supervisor)
    client.post(url("decline", setting, visit), {"reason": "Outside our area"})

    response = client.post(url("decline", setting, visit), {"reason": "Again"})

    assert response.status_code == 200
    refusal = "Only a request that is still waiting for a decision can be approved or declined; "
    assert refusal + "this one is declined." in response.content.decode()


def test_assigned_clerk_records_materials_missing(client, setting):
    visit = new_visit(setting)
    client.force_login(setting.supervisor)
    client.post(url("schedule", setting, visit), schedule_data(setting))
    client.force_login(setting.clerk2)
    card = setting.service.materials.get(name_en="Resident ID card")

    refused = client.post(url("outcome", setting, visit), {"outcome": "materials_missing"})
    response = client.post(
        url("outcome", setting, visit),
        {"outcome": "materials_missing", "missing": [card.pk], "missing_note": ""},
    )

    assert refused.content.decode().count("Tick what is missing, or write it in the box.") == 2
    visit.refresh_from_db()
    assert (response.status_code, visit.state) == (302, VisitState.MATERIALS_MISSING)
    assert list(visit.missing.all()) == [card]
    assert "Resident ID card" in client.get(f"/v/{visit.token}/").content.decode()


def test_list_shows_pending_first_with_their_age(client, setting):
    old = new_visit(setting, 1)
    HomeVisit.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=2, hours=1))
    declined = new_visit(setting, 2)
    services.decline_visit(visit=declined, reason="No", actor=services.Actor("staff", setting.supervisor))
    new = new_visit(setting, 3)
    client.force_login(setting.supervisor)

    response = client.get(url("list", setting))

    assert [visit for visit, _age in response.context["rows"]] == [old, new, declined]
    assert "2\xa0days, 1\xa0hour" in response.content.decode()


def test_clerk_list_shows_only_their_visits(client, setting):
    mine, other = new_visit(setting, 1), new_visit(setting, 2)
    client.force_login(setting.supervisor)
    client.post(url("schedule", setting, mine), schedule_data(setting))
    client.force_login(setting.clerk1)

    response = client.get(url("list", setting))

    assert [visit for visit, _age in response.context["rows"]] == [mine]
    assert other.pk != mine.pk


@pytest.mark.parametrize("count", [1, 3])
def test_list_queries_do_not_grow_with_the_visits(client, setting, count):
    for n in range(count):
        new_visit(setting, n + 1)
    client.force_login(setting.supervisor)

    with CaptureQueriesContext(connection) as queries:
        client.get(url("list", setting))

    # session, user, staff with its hall, visits with their services, the staff header's staff row
    assert len(queries) == 5


def test_staff_see_the_mobile_masked_and_reveal_it_with_an_audit_entry(client, setting):
    visit = new_visit(setting)
    client.force_login(setting.supervisor)

    page = client.get(url("detail", setting, visit)).content.decode()
    response = client.post(url("reveal_mobile", setting, visit))

    assert "139****5678" in page and "139 1234 5678" not in page
    assert "139 1234 5678" in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditAction.PHONE_REVEALED)
    assert (entry.actor, entry.hall, entry.object_id, entry.detail) == (
        setting.supervisor,
        setting.hall,
        str(visit.pk),
        "",
    )


def test_clerk_not_on_the_visit_cannot_reveal_the_mobile(client, setting):
    visit = new_visit(setting)
    client.force_login(setting.clerk3)

    response = client.post(url("reveal_mobile", setting, visit))

    assert response.status_code == 403
    assert AuditEntry.objects.filter(action=AuditAction.PHONE_REVEALED).count() == 0
