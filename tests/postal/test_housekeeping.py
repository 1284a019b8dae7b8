import datetime as dt

import pytest
from django.utils import timezone

from appointments.services import Actor
from postal import housekeeping, services
from postal.models import Pickup, PostalItem
from tests.postal.conftest import address, applicant

pytestmark = pytest.mark.django_db
STAFF = Actor("staff")
PERSONAL = ("name", "phone", "id_hash", "id_masked", "recipient", "recipient_phone", "street")


def test_erases_finished_matters_after_the_retention_period_only(service):
    now = timezone.now()
    old = now - dt.timedelta(days=91)
    delivered = services.apply_by_post(
        service=service,
        applicant=applicant(),
        address=address(),
        actor=STAFF,
        materials_in_hand=True,
        now=old,
    )
    services.mark_processed(item=delivered, actor=STAFF, now=old)
    services.send_document(item=delivered, courier="EMS", tracking_number="1", actor=STAFF, now=old)
    services.confirm_delivery(item=delivered, actor=STAFF, now=old)
    still_open = services.apply_by_post(
        service=service, applicant=applicant(), address=address(), actor=STAFF, now=old
    )
    recent = services.apply_by_post(service=service, applicant=applicant(), address=address(), actor=STAFF)
    services.cancel_postal(item=recent, actor=STAFF)
    collected = services.make_ready(service=service, applicant=applicant(), actor=STAFF, now=old)
    services.collect_pickup(pickup=collected, actor=STAFF, now=old)
    waiting = services.make_ready(service=service, applicant=applicant(), actor=STAFF, now=old)

    assert housekeeping.erase_expired_personal_data(now=now) == 2
    assert housekeeping.erase_expired_personal_data(now=now) == 0

    rows = {row["pk"]: row for row in PostalItem.objects.values("pk", "city", "tracking_number", *PERSONAL)}
    assert [rows[delivered.pk][f] for f in PERSONAL] == ["", "", "", "", "", "", ""]
    assert (rows[delivered.pk]["city"], rows[delivered.pk]["tracking_number"]) == ("望川市", "1")
    assert rows[still_open.pk]["name"] == rows[recent.pk]["name"] == "张三"
    names = dict(Pickup.objects.values_list("pk", "name"))
    assert (names[collected.pk], names[waiting.pk]) == ("", "张三")
