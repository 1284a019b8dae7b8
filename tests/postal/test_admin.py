import pytest
from django.urls import reverse

from appointments.services import Actor
from postal import services
from tests.postal.conftest import ID_NUMBER, address, applicant

pytestmark = pytest.mark.django_db


def test_admin_shows_items_and_pickups_read_only_with_masked_data(client, service, django_user_model):
    item = services.apply_by_post(
        service=service, applicant=applicant(), address=address(), actor=Actor("web")
    )
    pickup = services.make_ready(service=service, applicant=applicant(), actor=Actor("staff"))
    client.force_login(django_user_model.objects.create_superuser("root", password="x"))

    pages = [
        client.get(reverse("admin:postal_postalitem_changelist")),
        client.get(reverse("admin:postal_postalitem_change", args=[item.pk])),
        client.get(reverse("admin:postal_pickup_changelist")),
        client.get(reverse("admin:postal_pickup_change", args=[pickup.pk])),
    ]

    assert [page.status_code for page in pages] == [200, 200, 200, 200]
    text = "".join(page.content.decode() for page in pages)
    assert item.reference in text and pickup.code in text and "138****8000" in text
    assert item.token not in text and pickup.token not in text
    assert ID_NUMBER not in text and item.id_hash not in text and "13800138000" not in text
