"""Pairing the hall's screens from the supervisor's screens page (hall.devices, hall.screens)."""

import datetime as dt
import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from hall import devices
from hall.models import AuditAction, AuditEntry, Device, DeviceKind, PairingRequest
from hall.screens import claim_cookie, key_cookie
from tests.makers import make_counter, make_service, make_staff
from tests.queueing.helpers import make_hall_open_today

pytestmark = pytest.mark.django_db
NOT_SET_UP = "This screen is not set up"


def english(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def hall():
    hall = make_hall_open_today()
    make_counter(hall, 1, [make_service(hall)])
    return hall


@pytest.fixture
def supervisor(hall):
    client = english(Client())
    client.force_login(make_staff(hall, "boss", role="supervisor"))
    return client


@pytest.fixture
def screen():
    return english(Client())


def shown_code(response) -> str:
    return re.search(r"data-pairing-code>([A-Z0-9]+)<", response.content.decode()).group(1)


def add(supervisor, hall, kind="kiosk", name="Kiosk 1", place="main door"):
    response = supervisor.post(
        reverse("reports:device_add", args=[hall.slug]), {"kind": kind, "name": name, "place": place}
    )
    assert response.status_code == 302, response.content[:500]
    return Device.objects.get(hall=hall, kind=kind, name=name)


def pair(supervisor, hall, code, device):
    return supervisor.post(
        reverse("reports:device_pair", args=[hall.slug]), {"code": code, "device": device.pk}
    )


def status(screen, hall, kind="kiosk"):
    return screen.get(reverse("hall:screen_pairing", args=[hall.slug, kind])).json()["state"]


def test_pairing_a_kiosk_from_the_supervisors_page(screen, supervisor, hall):
    device = add(supervisor, hall)
    kiosk_url = reverse("queueing:kiosk", args=[hall.slug])
    first = screen.get(kiosk_url)
    code = shown_code(first)

    waiting = status(screen, hall)
    paired = pair(supervisor, hall, code.lower(), device)
    ready = status(screen, hall)
    claimed = screen.get(kiosk_url)
    page = screen.get(kiosk_url)

    assertContains(first, NOT_SET_UP)
    assert (waiting, paired.status_code, ready) == ("waiting", 302, "paired")
    assert claimed.status_code == 302 and claimed["Location"] == kiosk_url
    cookie = claimed.cookies[key_cookie(DeviceKind.KIOSK)]
    assert (cookie["httponly"], cookie["samesite"], cookie["path"]) == (True, "Lax", f"/h/{hall.slug}/")
    device.refresh_from_db()
    assert device.key_hash == devices.ApiToken.hash_key(cookie.value)  # only the hash is kept
    assertContains(page, "Take a ticket")
    assert not PairingRequest.objects.exists()
    actions = AuditEntry.objects.filter(hall=hall).exclude(action=AuditAction.SIGNED_IN)
    assert sorted(actions.values_list("action", flat=True)) == ["device_added", "device_paired"]


def test_the_qr_code_opens_the_pair_form_with_the_code_and_the_screens_kind(screen, supervisor, hall):
    add(supervisor, hall, kind="board", name="Board 1")
    add(supervisor, hall, kind="kiosk", name="Kiosk 1")
    code = shown_code(screen.get(reverse("queueing:board", args=[hall.slug])))

    page = supervisor.get(reverse("reports:devices", args=[hall.slug]) + f"?code={code}")

    assertContains(page, f'value="{code}"')
    assertContains(page, "A display board is showing this code")
    assertContains(page, "display board: Board 1 (main door)</label>")
    assertNotContains(page, "kiosk: Kiosk 1 (main door)</label>")


def test_a_code_for_a_board_cannot_pair_a_kiosk(screen, supervisor, hall):
    kiosk = add(supervisor, hall)
    code = shown_code(screen.get(reverse("queueing:board", args=[hall.slug])))

    response = pair(supervisor, hall, code, kiosk)

    assertContains(response, "This code is shown by a display board", status_code=400)
    assert status(screen, hall, "board") == "waiting"


def test_an_expired_code_is_refused_and_audited(screen, supervisor, hall):
    kiosk = add(supervisor, hall)
    code = shown_code(screen.get(reverse("queueing:kiosk", args=[hall.slug])))
    PairingRequest.objects.update(
        expires_at=PairingRequest.objects.get().created_at - dt.timedelta(seconds=1)
    )

    response = pair(supervisor, hall, code, kiosk)

    assertContains(response, "No screen is showing this code", status_code=400)
    assert AuditEntry.objects.filter(
        action=AuditAction.DEVICE_REFUSED, detail=f"unknown code {code}"
    ).exists()
    assert status(screen, hall) == "expired"


def test_the_screen_keeps_its_code_while_it_is_valid(screen, hall):
    url = reverse("queueing:kiosk", args=[hall.slug])

    assert shown_code(screen.get(url)) == shown_code(screen.get(url))
    assert PairingRequest.objects.count() == 1


def test_another_browser_cannot_claim_a_paired_screens_key(screen, supervisor, hall):
    device = add(supervisor, hall)
    url = reverse("queueing:kiosk", args=[hall.slug])
    pair(supervisor, hall, shown_code(screen.get(url)), device)
    intruder = english(Client())

    response = intruder.get(url)

    assertContains(response, NOT_SET_UP)
    assert key_cookie(DeviceKind.KIOSK) not in response.cookies
    assert claim_cookie(DeviceKind.KIOSK) in response.cookies  # a code of its own instead


def test_unpairing_sends_the_screen_back_to_not_set_up(screen, supervisor, hall):
    device = add(supervisor, hall)
    url = reverse("queueing:kiosk", args=[hall.slug])
    pair(supervisor, hall, shown_code(screen.get(url)), device)
    screen.get(url)

    supervisor.post(reverse("reports:device_revoke", args=[hall.slug, device.pk]))

    assertContains(screen.get(url), NOT_SET_UP)
    device.refresh_from_db()
    assert (device.key_hash, device.revoked_at is not None) == (None, True)
    assert AuditEntry.objects.filter(action=AuditAction.DEVICE_REVOKED, object_id=str(device.pk)).exists()


def test_the_device_list_shows_kind_place_last_seen_and_unpair(screen, supervisor, hall):
    device = add(supervisor, hall, place="main door")
    url = reverse("queueing:kiosk", args=[hall.slug])
    pair(supervisor, hall, shown_code(screen.get(url)), device)
    screen.get(url)

    page = supervisor.get(reverse("reports:devices", args=[hall.slug]))

    row = re.search(rf'<tr data-device="{device.pk}">(.*?)</tr>', page.content.decode(), re.S).group(1)
    assert "kiosk" in row and "main door" in row and "paired" in row and "Unpair Kiosk 1" in row
    assert re.search(r"<td>\d{4}-\d{2}-\d{2} \d{2}:\d{2}</td>", row)


def test_an_unpaired_board_shows_no_calls_unless_the_hall_allows_it(screen, hall):
    url = reverse("queueing:board", args=[hall.slug])
    display = reverse("queueing:counter_display", args=[hall.slug, 1])
    before = screen.get(url)
    hall.unpaired_boards_show_calls = True
    hall.save()

    assertContains(before, NOT_SET_UP)
    assertNotContains(screen.get(url), NOT_SET_UP)
    assertNotContains(screen.get(display), NOT_SET_UP)


def test_a_one_time_link_pairs_the_browser_that_opens_it(screen, hall):
    device = Device.objects.create(hall=hall, kind=DeviceKind.BOARD, name="Board 1")
    board = reverse("queueing:board", args=[hall.slug])
    secret = devices.approved_link(
        device=device, address=board, now=device.created_at, valid=dt.timedelta(hours=1)
    )

    link = screen.get(reverse("hall:screen_link", args=[hall.slug, "board", secret]))
    claimed = screen.get(link["Location"])
    opened = screen.get(claimed["Location"])
    again = english(Client()).get(reverse("hall:screen_link", args=[hall.slug, "board", secret]))

    assert (link["Location"], claimed["Location"]) == (board, board)
    assertNotContains(opened, NOT_SET_UP)
    assert again.status_code == 404


def test_a_browser_without_cookies_cannot_use_up_the_halls_codes(hall, settings):
    url = reverse("queueing:kiosk", args=[hall.slug])
    for _ in range(devices.NEW_CODES_PER_ADDRESS):
        english(Client()).get(url)

    refused = english(Client()).get(url)
    other_address = english(Client(REMOTE_ADDR="10.0.0.9")).get(url)

    assertContains(refused, "Too many screens are waiting to be set up")
    assertNotContains(refused, "data-pairing-code")
    assertContains(other_address, "data-pairing-code")
    assert PairingRequest.objects.count() == devices.NEW_CODES_PER_ADDRESS + 1
