"""Numbers beyond every column, in every place a request can carry one: each field of every form (the table of
tests/test_fuzz_forms.py and the forms the crawler finds), each query string a page reads, each path part,
and the API's integer inputs. Unlike the hypothesis search, this tries every value in every place, so that a
number that overflows SQLite (64 bits) or a PostgreSQL integer (32 bits) cannot hide behind a random draw.

The answer must be what any other wrong value gets (a page with the error in Chinese, a 404, a redirect),
never a 500, and nothing may be half-written (the invariants hold).
"""

import pytest
from django.urls import reverse

# world and more_world are the fuzz tests' fixtures, imported so that pytest finds them here.
from tests.test_fuzz_forms import (  # noqa: F401
    AFTER_DETAILS,
    CRAWL_SEEDS,
    FORMS,
    PATHS,
    QUERY_PAGES,
    QUESTION_PAGES,
    _booking_args,
    answer_question_pages_before,
    assert_answer,
    assert_invariants,
    crawl,
    encode,
    more_world,
    world,
)

pytestmark = pytest.mark.django_db

# Past a PostgreSQL integer, at and past a bigint (SQLite's limit too), below the smallest, past everything.
HUGE = [str(2**31), str(2**63), str(-(2**63) - 1), "9" * 40]


def _sweep(client, action: str, valid: dict, where: str) -> None:
    """Each field in turn gets each huge number while the others keep their valid values."""
    for name in valid:
        for number in HUGE:
            pairs = []
            for other, good in valid.items():
                goods = good if isinstance(good, list) else [good]
                pairs += [(other, number)] if other == name else [(other, g) for g in goods]
            response = client.post(action, encode(pairs), content_type="application/x-www-form-urlencoded")
            assert_answer(response, f"{where}: {name}={number}")
        assert_invariants()


@pytest.mark.parametrize("target", FORMS, ids=str)
def test_huge_number_in_any_field_of_a_form_is_an_ordinary_error(more_world, target):
    world, _seeds = more_world
    client = world.client(target.persona)
    if target.name in (*QUESTION_PAGES, *AFTER_DETAILS):
        answer_question_pages_before(client, world, target.name)
    _sweep(client, target.url(world), target.valid(world), f"POST {target.name}")


@pytest.mark.parametrize("persona", list(CRAWL_SEEDS))
def test_huge_number_in_any_field_of_a_crawled_form_is_an_ordinary_error(more_world, persona):
    world, extra = more_world
    client = world.client(persona)
    forms = crawl(client, CRAWL_SEEDS[persona](world) + (extra if persona == "citizen" else []))
    assert len(forms) >= 3, forms
    for (name, _fields), (action, fields) in sorted(forms.items()):
        if name not in ("logout", "set_language", "hall:toggle_large_text"):
            valid = {field: next((o for o in offered if o), "") for field, offered in fields.items()}
            _sweep(client, action, valid, f"{persona} POST {action} ({name})")


@pytest.mark.parametrize("persona, url, names", QUERY_PAGES, ids=[f"q{i}" for i in range(len(QUERY_PAGES))])
def test_huge_number_in_a_query_string_is_an_ordinary_answer(world, persona, url, names):
    client = world.client(persona)
    path = url(world)
    for name in names:
        for number in HUGE:
            response = client.get(f"{path}?{name}={number}")
            if response["Content-Type"].startswith("text/html") or response.status_code >= 400:
                assert_answer(response, f"GET {path}?{name}={number}")
            else:
                assert response.status_code == 200, f"GET {path}?{name}={number}"


NUMBERED_PATHS = [(persona, template) for persona, template in PATHS if "{n}" in template]


@pytest.mark.parametrize("persona, template", NUMBERED_PATHS, ids=[t for _p, t in NUMBERED_PATHS])
def test_huge_number_in_a_path_is_not_found(world, persona, template):
    client = world.client(persona)
    for number in [n for n in HUGE if not n.startswith("-")]:
        path = template.format(
            slug=world.hall.slug,
            service=world.service.code,
            day=world.day.isoformat(),
            counter=world.counter.pk,
            x="x",
            n=number,
        )
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code in (404, 405), f"{method.upper()} {path}: {response.status_code}"
            if response.status_code == 404:
                assert "找不到这个页面" in response.content.decode(), path
    assert_invariants()


def test_missing_materials_naming_a_material_beyond_the_column_are_refused_as_a_wrong_choice(world):
    """The 500 a newcomer's first test run met: a huge id among the ticket's missing materials."""
    client = world.client("clerk")
    ticket = world.waiting
    client.post(reverse("queueing:open_counter", args=[world.counter.pk]))
    client.post(reverse("queueing:call_ticket", args=[world.counter.pk, ticket.pk]))
    url = reverse("queueing:missing_materials", args=[world.counter.pk, ticket.pk])

    response = client.post(url, {"missing": [str(2**64)], "missing_note": ""})

    assert response.status_code == 200
    errors = response.context["form"].errors["missing"]
    assert errors == [f"选择一个有效的选项。 {2**64} 不在可用的选项中。"]
    ticket.refresh_from_db()
    assert ticket.state == "called"


def _integer_inputs(schema: dict):
    """(operation, where, name, schema) of every integer a client sends: path, query and body fields."""
    components = schema.get("components", {}).get("schemas", {})

    def resolve(node):
        while isinstance(node, dict) and "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[1]]
        return node

    def walk(node, name):
        node = resolve(node)
        if not isinstance(node, dict):
            return
        if node.get("type") == "integer":
            yield name, node
        for key in ("anyOf", "oneOf", "allOf"):
            for option in node.get(key, []):
                yield from walk(option, name)
        if "items" in node:
            yield from walk(node["items"], f"{name}[]")
        for prop, sub in node.get("properties", {}).items():
            yield from walk(sub, f"{name}.{prop}" if name else prop)

    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                for name, node in walk(parameter.get("schema", {}), parameter["name"]):
                    yield f"{method.upper()} {path}", parameter["in"], name, node
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            for name, node in walk(body.get("schema", {}), ""):
                yield f"{method.upper()} {path}", "body", name, node


def test_every_integer_the_api_takes_has_bounds_a_bigint_holds(client):
    schema = client.get("/api/v1/openapi.json").json()
    found = list(_integer_inputs(schema))
    unbounded = [
        (operation, where, name)
        for operation, where, name, node in found
        if not (node.get("minimum", -(2**64)) >= -(2**63) and node.get("maximum", 2**64) <= 2**63 - 1)
    ]

    assert len(found) >= 10, found
    assert unbounded == []


def test_api_list_of_materials_at_the_largest_id_is_a_wrong_choice_not_an_error(world, client):
    from hall.models import ApiToken

    token = ApiToken.objects.issue(user=world.clerk, hall=world.hall, name="huge")[1]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ACCEPT_LANGUAGE": "en"}
    client.post(f"/api/v1/counters/{world.counter.pk}/open", **headers)
    called = client.post(f"/api/v1/counters/{world.counter.pk}/call-next", **headers).json()

    response = client.post(
        f"/api/v1/tickets/{called['ticket']['id']}/complete",
        {"outcome": "materials_missing", "missing": [2**63 - 1]},
        content_type="application/json",
        **headers,
    )

    assert (response.status_code, response.json()["error"]) == (422, "invalid")
    assert str(2**63 - 1) in response.json()["fields"]["missing"]
