"""`dev.py run` prints where each seat opens, at the address it really serves (HOST/PORT), and every printed
address opens."""

import pytest
from django.test import Client

import dev
from hall import demo_data
from hall.management.commands.seed_demo import Command as SeedDemo

pytestmark = pytest.mark.django_db


def test_every_seat_is_printed_with_the_port_served():
    lines = dev.seat_addresses(f"http://{dev.browsable('0.0.0.0')}:8080")  # noqa: S104 - not binding

    assert [line.split(":", 1)[0] for line in lines] == [
        "citizen site",
        "kiosk",
        "display board",
        "counter display",
        "staff sign-in",
        "console",
        "supervisor",
        "admin",
    ]
    assert all("http://127.0.0.1:8080/" in line for line in lines)
    assert demo_data.HALLS[0]["slug"] == dev.DEMO_HALL


def test_every_printed_address_opens_on_the_demo_hall(settings):
    SeedDemo().handle(quiet=True)
    client = Client()

    answers = {}
    for line in dev.seat_addresses("http://testserver"):
        path = line.split("http://testserver", 1)[1].split()[0]
        answers[path] = client.get(path).status_code

    # Staff seats send an anonymous visitor to the sign-in page; the others open.
    assert answers == {
        "/h/wangchuan/": 200,
        "/h/wangchuan/kiosk/": 200,
        "/h/wangchuan/board/": 200,
        "/h/wangchuan/counter/1/display/": 200,
        "/accounts/login/": 200,
        "/console/": 302,
        "/h/wangchuan/reports/": 302,
        "/admin/": 302,
    }
