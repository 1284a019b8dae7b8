import datetime as dt

import phonenumbers
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments.services import Actor
from notifications.models import Notification
from postal import services
from postal.models import Pickup, PickupState, PostalItem, PostalOrigin, PostalState
from tests.makers import make_counter, make_id_number
from tests.postal.conftest import ID_NUMBER, address, applicant
from tests.postal.helpers import served_ticket
from tests.queueing.helpers import book

pytestmark = pytest.mark.django_db
STAFF = Actor("staff")

APPLY_DATA = {
    "name": "张三",
    "phone": "138 0013 8000",
    "id_number": ID_NUMBER,
    "language": "en",
    "recipient": "李四",
    "recipient_phone": "13900139000",
    "province": "浙江省",
    "city": "望川市",
    "district": "城关区",
    "street": "人民路88号3幢201室",
}


def apply_url(hall):
    return reverse("postal:apply", args=[hall.slug])


def new_item(service, state=PostalState.APPLIED):
    item = services.apply_by_post(service=service, applicant=applicant(), address=address(), actor=STAFF)
    steps = {
        PostalState.MATERIALS_RECEIVED: [services.receive_materials],
        PostalState.PROCESSED: [services.receive_materials, services.mark_processed],
    }
    for step in steps.get(state, []):
        item = step(item=item, actor=STAFF)
    return item


# Citizens


def test_apply_form_offers_only_services_by_post(english, service, desk_service):
    response = english.get(apply_url(service.hall) + "?service=hukou-cert")

    form = response.context["form"]
    assert [s.code for s in form.fields["service"].queryset] == ["hukou-cert"]
    assert form["service"].value() == service.pk
    assert "Post your materials to: 1 Renmin Road, North District" in response.content.decode()


def test_apply_creates_item_and_tracking_page_shows_it_without_id_number(english, service):
    response = english.post(apply_url(service.hall), {**APPLY_DATA, "service": service.pk})

    item = PostalItem.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("postal:track", args=[item.token])
    assert (item.state, item.origin, item.name, item.recipient, item.address) == (
        PostalState.APPLIED,
        PostalOrigin.ONLINE,
        "张三",
        "李四",
        "浙江省望川市城关区人民路88号3幢201室",
    )
    page = english.get(response.url).content.decode()
    assert item.reference in page
    assert "Waiting for the materials" in page
    assert "139****9000" in page
    assert ID_NUMBER not in page and "13900139000" not in page
    assert Notification.objects.get().kind == "postal_applied"


def test_apply_with_bad_id_number_says_what_is_wrong_and_keeps_the_rest(english, service):
    bad = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    response = english.post(apply_url(service.hall), {**APPLY_DATA, "service": service.pk, "id_number": bad})

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("The last character does not match: please check the number on the card.") == 2
    assert 'value="人民路88号3幢201室"' in page
    assert PostalItem.objects.count() == 0


def test_apply_with_nothing_filled_in_lists_every_missing_answer(english, service):
    response = english.post(apply_url(service.hall), {})

    errors = {name: list(e) for name, e in response.context["form"].errors.items()}
    assert errors == {
        "service": ["Choose the service."],
        "name": ["Enter your full name, as on your ID card."],
        "phone": ["Enter your mobile number."],
        "id_number": ["Enter your resident ID number."],
        "language": ["This field is required."],
        "recipient": ["Enter the name of the person who receives the post."],
        "recipient_phone": ["Enter your mobile number."],
        "province": ["Enter the province."],
        "city": ["Enter the city."],
        "district": ["Enter the district or county."],
        "street": ["Enter the street, house number and flat."],
    }


def test_apply_refuses_a_service_not_by_post_as_a_form_error(english, service, desk_service):
    response = english.post(apply_url(service.hall), {**APPLY_DATA, "service": desk_service.pk})
    assert list(response.context["form"].errors["service"]) == ["Choose the service."]
    assert PostalItem.objects.count() == 0


def test_apply_in_a_hall_without_postal_services_is_404(english, desk_service):
    response = english.get(apply_url(desk_service.hall))
    assert response.status_code == 404
    assert "No service of this hall can be finished by post." in response.content.decode()


def test_tracking_needs_the_exact_token(client, service):
    item = new_item(service)
    other = item.token[:-1] + ("y" if item.token.endswith("x") else "x")  # one in 64 tokens ends in x
    assert client.get(reverse("postal:track", args=[other])).status_code == 404
    assert client.get(f"/post/{item.pk}/").status_code == 404


def test_citizen_cancels_while_waiting_for_materials_then_cannot_again(english, service):
    item = new_item(service)
    url = reverse("postal:cancel", args=[item.token])

    first = english.post(url, follow=True)
    second = english.post(url, follow=True)

    item.refresh_from_db()
    assert item.state == PostalState.CANCELLED
    assert "Your postal application is cancelled." in first.content.decode()
    assert "Only an application still waiting for its materials can be cancelled." in second.content.decode()
    assert english.get(url).status_code == 405


def test_tracking_page_in_chinese_shows_courier_and_tracking_number(client, service):
    item = new_item(service, PostalState.PROCESSED)
    services.send_document(item=item, courier="EMS", tracking_number="EA123456789CN", actor=STAFF)

    page = client.get(reverse("postal:track", args=[item.token])).content.decode()

    assert "您的邮寄办理申请" in page
    assert '<dd class="postal-tracking">EA123456789CN</dd>' in page
    assert '<dd class="postal-state">已寄出</dd>' in page


def test_pickup_page_shows_code_hours_and_posting_creates_an_item(english, service):
    pickup = services.make_ready(service=service, applicant=applicant(), actor=STAFF)
    page = english.get(reverse("postal:pickup", args=[pickup.token])).content.decode()
    assert pickup.code in page
    assert "Opening hours: Mon-Fri 08:30-17:30" in page

    data = {
        k: APPLY_DATA[k] for k in ("recipient", "recipient_phone", "province", "city", "district", "street")
    }
    response = english.post(reverse("postal:pickup_post", args=[pickup.token]), data)

    pickup.refresh_from_db()
    item = pickup.postal_item
    assert (pickup.state, item.state, item.origin) == (PickupState.POSTED, PostalState.PROCESSED, "pickup")
    assert response.url == reverse("postal:track", args=[item.token])
    again = english.get(reverse("postal:pickup_post", args=[pickup.token]))
    assert again.url == reverse("postal:pickup", args=[pickup.token])


def test_pickup_of_a_desk_only_service_offers_no_posting(english, desk_service):
    pickup = services.make_ready(service=desk_service, applicant=applicant(), actor=STAFF)
    page = english.get(reverse("postal:pickup", args=[pickup.token])).content.decode()
    assert "Post it to me instead" not in page
    response = english.post(reverse("postal:pickup_post", args=[pickup.token]), {})
    assert response.url == reverse("postal:pickup", args=[pickup.token])


# Staff


STAFF_URLS = [
    ("get", "postal:staff_items", False),
    ("get", "postal:staff_new", False),
    ("get", "postal:staff_pickups", False),
    ("get", "postal:staff_pickup_new", False),
]


@pytest.mark.parametrize(("method", "name", "_"), STAFF_URLS)
def test_staff_pages_need_login(client, method, name, _):
    response = client.get(reverse(name))
    assert (response.status_code, response.url.split("?")[0]) == (302, reverse("login"))


def test_citizen_accounts_without_staff_row_get_404(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("someone"))
    assert client.get(reverse("postal:staff_items")).status_code == 404


def test_other_halls_staff_get_404_for_items_and_pickups(client, service, other_clerk):
    item = new_item(service)
    pickup = services.make_ready(service=service, applicant=applicant(), actor=STAFF)
    client.force_login(other_clerk)

    assert client.get(reverse("postal:staff_item", args=[item.pk])).status_code == 404
    assert client.post(reverse("postal:staff_action", args=[item.pk, "receive"])).status_code == 404
    assert client.post(reverse("postal:staff_send", args=[item.pk]), {"courier": "EMS"}).status_code == 404
    assert client.get(reverse("postal:staff_pickup", args=[pickup.pk])).status_code == 404
    assert client.post(reverse("postal:staff_pickup_action", args=[pickup.pk, "collect"])).status_code == 404
    assert client.get(reverse("postal:staff_items")).context["rows"] == []
    item.refresh_from_db()
    pickup.refresh_from_db()
    assert (item.state, pickup.state) == (PostalState.APPLIED, PickupState.READY)


def test_clerk_moves_an_item_from_received_to_delivered(english, service, clerk):
    item = new_item(service)
    english.force_login(clerk)
    for action in ("receive", "process"):
        english.post(reverse("postal:staff_action", args=[item.pk, action]))

    missing = english.post(
        reverse("postal:staff_send", args=[item.pk]), {"courier": "EMS", "tracking_number": ""}
    )
    assert missing.status_code == 400
    assert "Enter the tracking number from the waybill." in missing.content.decode()

    english.post(reverse("postal:staff_send", args=[item.pk]), {"courier": "EMS", "tracking_number": "EA1CN"})
    response = english.post(reverse("postal:staff_action", args=[item.pk, "deliver"]), follow=True)

    item.refresh_from_db()
    assert (item.state, item.tracking_number) == (PostalState.DELIVERED, "EA1CN")
    assert f"{item.reference}: delivered." in response.content.decode()
    assert list(item.events.values_list("to_state", "actor__username")) == [
        ("applied", None),
        ("materials_received", "clerk"),
        ("processed", "clerk"),
        ("sent", "clerk"),
        ("delivered", "clerk"),
    ]


def test_refused_action_is_explained_and_changes_nothing(english, service, clerk):
    item = new_item(service)
    english.force_login(clerk)
    response = english.post(reverse("postal:staff_action", args=[item.pk, "deliver"]), follow=True)
    item.refresh_from_db()
    assert item.state == PostalState.APPLIED
    assert "Only a document that has been sent can be delivered or returned." in response.content.decode()
    assert english.post(reverse("postal:staff_action", args=[item.pk, "explode"])).status_code == 404


def test_returned_item_records_the_reason(english, service, clerk):
    item = new_item(service, PostalState.PROCESSED)
    services.send_document(item=item, courier="EMS", tracking_number="1", actor=STAFF)
    english.force_login(clerk)
    english.post(reverse("postal:staff_returned", args=[item.pk]), {"note": "地址不详"})
    item.refresh_from_db()
    assert (item.state, item.events.last().note) == (PostalState.RETURNED, "地址不详")


def test_list_filters_by_state_and_flags_overdue(english, service, clerk, settings):
    settings.POSTAL_MATERIALS_WORKING_DAYS = 1
    old = new_item(service)
    PostalItem.objects.filter(pk=old.pk).update(state_changed_at=timezone.now() - dt.timedelta(days=10))
    fresh = new_item(service, PostalState.MATERIALS_RECEIVED)
    english.force_login(clerk)

    rows = english.get(reverse("postal:staff_items")).context["rows"]
    assert [(item.pk, late) for item, _, late in rows] == [(old.pk, True), (fresh.pk, False)]
    rows = english.get(reverse("postal:staff_items") + "?state=materials_received").context["rows"]
    assert [item.pk for item, _, _ in rows] == [fresh.pk]
    assert english.get(reverse("postal:staff_items") + "?state=nonsense").status_code == 404


def test_overdue_list_is_the_supervisors(english, service, clerk, supervisor, settings):
    settings.POSTAL_MATERIALS_WORKING_DAYS = 1
    late = new_item(service)
    PostalItem.objects.filter(pk=late.pk).update(state_changed_at=timezone.now() - dt.timedelta(days=10))
    new_item(service)

    english.force_login(clerk)
    assert english.get(reverse("postal:staff_overdue")).status_code == 403
    english.force_login(supervisor)
    response = english.get(reverse("postal:staff_overdue"))
    assert [item.pk for item, _, _ in response.context["rows"]] == [late.pk]
    assert 'class="overdue"' in response.content.decode()


def test_other_halls_supervisor_sees_none_of_our_overdue_items(english, service, other_clerk):
    late = new_item(service)
    PostalItem.objects.filter(pk=late.pk).update(state_changed_at=timezone.now() - dt.timedelta(days=60))
    other_clerk.staff.role = "supervisor"
    other_clerk.staff.save()
    english.force_login(other_clerk)
    assert english.get(reverse("postal:staff_overdue")).context["rows"] == []


def test_counter_opens_item_prefilled_from_a_booked_ticket_with_materials_missing(english, service, clerk):
    booking = book(service, timezone.now())
    material = service.materials.get()
    ticket = served_ticket(service, booking=booking, missing=[material], missing_note="结婚证")
    english.force_login(clerk)
    url = reverse("postal:staff_new") + f"?ticket={ticket.pk}"

    form = english.get(url).context["form"]
    assert {k: form[k].value() for k in ("service", "name", "missing_note", "materials_in_hand")} == {
        "service": service.pk,
        "name": "王五",
        "missing_note": "Household register booklet\n结婚证",
        "materials_in_hand": False,
    }
    assert form.fields["id_number"].required is False

    data = {**APPLY_DATA, "service": service.pk, "id_number": "", "missing_note": "户口簿\n结婚证"}
    response = english.post(url, data)

    item = PostalItem.objects.get()
    assert response.url == reverse("postal:staff_item", args=[item.pk])
    assert (item.origin, item.state, item.ticket, item.booking) == ("counter", "applied", ticket, booking)
    assert (item.id_hash, item.id_masked, item.missing_note) == (
        booking.id_hash,
        booking.id_masked,
        "户口簿\n结婚证",
    )


def test_counter_item_with_materials_in_hand_starts_received(english, service, clerk):
    english.force_login(clerk)
    english.post(
        reverse("postal:staff_new"), {**APPLY_DATA, "service": service.pk, "materials_in_hand": "on"}
    )
    assert PostalItem.objects.get().state == PostalState.MATERIALS_RECEIVED


def test_ticket_of_another_hall_is_not_used(english, service, other_clerk):
    ticket = served_ticket(service, missing_note="户口簿")
    english.force_login(other_clerk)
    response = english.get(reverse("postal:staff_new") + f"?ticket={ticket.pk}")
    assert response.context["ticket"] is None
    assert response.context["form"]["missing_note"].value() is None


def test_console_links_a_served_ticket_of_a_postal_service_to_finish_by_post(
    english, service, desk_service, clerk
):
    counter = make_counter(service.hall, 1, [service, desk_service])
    postal_ticket = served_ticket(service, counter=counter, missing_note="户口簿", n=1)
    desk_ticket = served_ticket(desk_service, counter=counter, n=2)
    english.force_login(clerk)

    page = english.get(reverse("queueing:counter", args=[counter.pk])).content.decode()

    assert f'href="/staff/post/new/?ticket={postal_ticket.pk}"' in page
    assert f"?ticket={desk_ticket.pk}" not in page


def test_list_pages_query_count_does_not_grow(english, service, clerk):
    english.force_login(clerk)

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert english.get(url).status_code == 200
        return len(queries)

    new_item(service)
    services.make_ready(service=service, applicant=applicant(), actor=STAFF)
    english.get(reverse("postal:staff_items"))  # the first request after logging in also saves the session
    one = (count(reverse("postal:staff_items")), count(reverse("postal:staff_pickups")))
    for n in (2, 3):
        new_item(service)
        services.make_ready(service=service, applicant=applicant(n=n), actor=STAFF)
    three = (count(reverse("postal:staff_items")), count(reverse("postal:staff_pickups")))
    assert one == three


# Pickups


def test_clerk_records_a_ready_document_and_the_citizen_is_told(english, service, clerk):
    english.force_login(clerk)
    data = {"service": service.pk, "note": "居民身份证", "name": "张三", "phone": "13800138000"}
    response = english.post(
        reverse("postal:staff_pickup_new"), {**data, "id_number": ID_NUMBER, "language": "en"}
    )

    pickup = Pickup.objects.get()
    assert response.url == reverse("postal:staff_pickup", args=[pickup.pk])
    assert (pickup.state, pickup.id_masked, pickup.note) == (
        PickupState.READY,
        "110***********" + ID_NUMBER[-4:],
        "居民身份证",
    )
    assert Notification.objects.get().kind == "pickup_ready"


@pytest.mark.parametrize("query", ["code", ID_NUMBER, ID_NUMBER[-4:], "张三"])
def test_clerk_finds_a_pickup_by_code_id_number_last_four_or_name(english, service, clerk, query):
    pickup = services.make_ready(service=service, applicant=applicant(), actor=STAFF)
    services.make_ready(
        service=service,
        applicant=services.Applicant.with_id_number(
            name="李四", phone=phonenumbers.parse("13900139000", "CN"), id_number=make_id_number(99)
        ),
        actor=STAFF,
    )
    english.force_login(clerk)
    query = pickup.code if query == "code" else query

    found = english.get(reverse("postal:staff_pickups"), {"q": query}).context["found"]

    assert found == [pickup]


def test_clerk_marks_collected_from_the_list(english, service, clerk):
    pickup = services.make_ready(service=service, applicant=applicant(), actor=STAFF)
    english.force_login(clerk)
    url = reverse("postal:staff_pickup_action", args=[pickup.pk, "collect"])

    response = english.post(url, {"next": "list"})
    again = english.post(url, follow=True)

    pickup.refresh_from_db()
    assert response.url == reverse("postal:staff_pickups")
    assert (pickup.state, pickup.events.last().actor) == (PickupState.COLLECTED, clerk)
    assert "This document is no longer waiting for pickup." in again.content.decode()


def test_uncollected_documents_are_listed_for_follow_up_and_reminded(english, service, clerk, settings):
    settings.PICKUP_FOLLOW_UP_DAYS = 14
    old = services.make_ready(
        service=service, applicant=applicant(), actor=STAFF, now=timezone.now() - dt.timedelta(days=15)
    )
    fresh = services.make_ready(service=service, applicant=applicant(n=8), actor=STAFF)
    english.force_login(clerk)

    page = english.get(reverse("postal:staff_pickups"))
    assert (list(page.context["follow_up"]), list(page.context["waiting"])) == ([old], [fresh])

    english.post(reverse("postal:staff_pickup_action", args=[old.pk, "remind"]), {"next": "list"})
    old.refresh_from_db()
    assert old.reminders == 1
    assert list(
        Notification.objects.for_subject("pickup", old.pk).order_by("pk").values_list("kind", flat=True)
    ) == ["pickup_ready", "pickup_reminder"]


def test_a_mobile_may_apply_three_times_a_day(english, service, settings):
    settings.RATE_LIMITS = True
    data = {**APPLY_DATA, "service": service.pk}
    statuses = [english.post(apply_url(service.hall), data).status_code for _ in range(4)]

    assert statuses == [302, 302, 302, 429]
    assert PostalItem.objects.count() == 3
    refused = english.post(apply_url(service.hall), data)
    assert "Too many applications from this mobile number or network today." in refused.content.decode()
    assert 'value="人民路88号3幢201室"' in refused.content.decode()
