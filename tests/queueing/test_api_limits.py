"""Rate limits of the citizens' ticket page: per ticket, so that a hall full of phones behind one Wi-Fi
address keeps working."""

import pytest

from queueing import walkins
from queueing.services import Actor
from tests.makers import make_service
from tests.queueing.helpers import make_hall_open_today

pytestmark = pytest.mark.django_db


def test_ticket_reads_limited_per_ticket_not_per_address(client, settings):
    settings.RATE_LIMITS = True
    hall = make_hall_open_today()
    service = make_service(hall)
    tickets = [
        walkins.issue_walk_in(hall=hall, service=service, actor=Actor("kiosk")).ticket for _ in range(3)
    ]

    # 750 reads from one address: more than the 600 per 10 minutes allowed for other public reads
    phones = [client.get(f"/api/v1/tickets/{t.token}").status_code for t in tickets for _ in range(250)]
    one_page = [client.get(f"/api/v1/tickets/{tickets[0].token}") for _ in range(51)]

    assert set(phones) == {200}
    assert [r.status_code for r in one_page] == [200] * 50 + [429]  # one ticket: 300 reads per 10 minutes
    # The refusal says when to come back: what is left of the 10-minute window (begun at the first read).
    assert 0 < int(one_page[-1]["Retry-After"]) < 600
