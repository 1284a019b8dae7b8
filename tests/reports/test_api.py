import pytest
from django.utils import translation

from reports.api import SUPERVISORS_ONLY
from tests.makers import make_hall, make_reports_key, make_staff
from tests.reports.day import DAY, build_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    return build_day()


def _bearer(user, hall) -> dict:
    key = make_reports_key(user, hall)
    return {"HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_ACCEPT_LANGUAGE": "en"}


def test_stats_of_a_day_for_the_supervisor_with_a_token(client, day):
    response = client.get(f"/api/v1/halls/north/stats?date={DAY}", **_bearer(day.supervisor, day.hall))

    body = response.json()
    assert response.status_code == 200
    assert {
        k: body[k] for k in ("from", "to", "issued", "served", "no_show", "cancelled", "sla_percent")
    } == {
        "from": "2026-11-24",
        "to": "2026-11-24",
        "issued": 7,
        "served": 5,
        "no_show": 2,
        "cancelled": 1,
        "sla_percent": 57.1,
    }
    assert (body["appointments"], body["walk_ins"], body["green_channel"]) == (2, 5, 1)
    assert body["wait"] == {"mean": 15.4, "p50": 12.0, "p90": 27.6}
    assert body["handling"] == {"mean": 13.0, "p50": 10.0, "p90": 20.4}
    assert [(s["name"], s["issued"], s["served"], s["wait"]) for s in body["by_service"]] == [
        ("B Household certificate", 4, 3, {"mean": 20.0, "p50": 26.0, "p90": 29.2}),
        ("A ID card renewal", 4, 2, {"mean": 12.0, "p50": 11.0, "p90": 17.6}),
    ]
    assert [(c["id"], c["open_minutes"], c["idle_minutes"]) for c in body["by_counter"]] == [
        (day.c1.pk, 30.0, 14.0),
        (day.c2.pk, 72.0, 23.0),
    ]
    assert sorted((s["name"], s["served"]) for s in body["by_staff"]) == [
        ("north-clerk1", 3),
        ("north-clerk2", 2),
    ]
    assert (body["ratings"], body["rating_average"]) == (3, 3.67)


def test_stats_of_a_range_with_the_session(client, day):
    client.force_login(day.supervisor)

    response = client.get("/api/v1/halls/north/stats?from=2026-11-23&to=2026-11-24")

    assert (response.status_code, response.json()["issued"], response.json()["served"]) == (200, 8, 6)


def test_stats_refuse_window_staff(client, day):
    client.force_login(day.clerk1)  # window staff have no reports token (tests/hall/test_token_scopes.py)

    response = client.get(f"/api/v1/halls/north/stats?date={DAY}", HTTP_ACCEPT_LANGUAGE="en")

    with translation.override("en"):
        expected = {"error": "forbidden", "message": str(SUPERVISORS_ONLY), "fields": {}}
    assert (response.status_code, response.json()) == (403, expected)


def test_stats_of_another_hall_are_not_found(client, day):
    other = make_hall("south", name_zh_hans="南区户政大厅", name_en="South District Hall")
    supervisor = make_staff(other, "south-supervisor", role="supervisor")

    response = client.get(f"/api/v1/halls/north/stats?date={DAY}", **_bearer(supervisor, other))

    assert (response.status_code, response.json()["error"]) == (404, "not_found")


def test_stats_need_authentication(client, day):
    response = client.get(f"/api/v1/halls/north/stats?date={DAY}")

    assert (response.status_code, response.json()["error"]) == (401, "unauthorized")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date=2026-02-30", "date"),
        ("from=2026-11-24", None),
        ("from=2026-11-24&to=2026-11-01", None),
        ("from=2025-01-01&to=2026-11-24", None),
    ],
)
def test_stats_refuse_bad_periods(client, day, query, field):
    response = client.get(f"/api/v1/halls/north/stats?{query}", **_bearer(day.supervisor, day.hall))

    body = response.json()
    assert (response.status_code, body["error"], list(body["fields"])) == (
        422,
        "invalid",
        [field] if field else [],
    )
