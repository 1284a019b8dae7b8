import datetime as dt

import pytest
from django.utils import timezone

from appointments.availability import rules_for
from tests.makers import make_hall
from webhooks import housekeeping
from webhooks.models import Delivery, DeliveryState, Subscriber

pytestmark = pytest.mark.django_db


def test_finished_deliveries_older_than_the_retention_period_are_deleted():
    hall = make_hall()
    subscriber = Subscriber.objects.create(hall=hall, name="dw", url="https://dw.example/", events=[])
    now = timezone.now()
    old = now - dt.timedelta(days=rules_for(hall).retention_days, seconds=1)

    def delivery(state, created_at):
        return Delivery.objects.create(
            subscriber=subscriber, event="ticket.called", payload={}, state=state, created_at=created_at
        )

    delivery(DeliveryState.SENT, old)
    delivery(DeliveryState.DEAD, old)
    still_tried = delivery(DeliveryState.FAILED, old)
    recent = delivery(DeliveryState.SENT, now)

    erased = housekeeping.erase_expired_personal_data(now=now)

    assert (erased, list(Delivery.objects.order_by("pk"))) == (2, [still_tried, recent])
