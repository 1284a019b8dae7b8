import datetime as dt

import pytest
from django.db import IntegrityError

from appointments.services import Actor
from notifications.models import Notification
from postal import services
from postal.models import PickupState, PostalEvent, PostalItem, PostalOrigin, PostalState
from postal.services import PostalError
from tests.postal.conftest import ID_NUMBER, MONDAY, address, applicant

pytestmark = pytest.mark.django_db
CITIZEN = Actor("web")


def make_item(service, state=PostalState.APPLIED, actor=CITIZEN, language="en"):
    """An item walked through the real transitions up to `state`."""
    item = services.apply_by_post(
        service=service, applicant=applicant(language), address=address(), actor=actor, now=MONDAY
    )
    steps = {
        PostalState.MATERIALS_RECEIVED: [services.receive_materials],
        PostalState.PROCESSED: [services.receive_materials, services.mark_processed],
        PostalState.SENT: [services.receive_materials, services.mark_processed, _send],
        PostalState.DELIVERED: [
            services.receive_materials,
            services.mark_processed,
            _send,
            services.confirm_delivery,
        ],
        PostalState.RETURNED: [
            services.receive_materials,
            services.mark_processed,
            _send,
            services.mark_returned,
        ],
        PostalState.CANCELLED: [services.cancel_postal],
    }
    for step in steps.get(state, []):
        item = step(item=item, actor=actor, now=MONDAY)
    return item


def _send(*, item, actor, now):
    return services.send_document(
        item=item, courier="EMS", tracking_number="1234 5678 9012", actor=actor, now=now
    )


def texts(item):
    return list(
        Notification.objects.for_subject("postal", item.pk)
        .order_by("created_at", "pk")
        .values_list("kind", "text")
    )


def test_apply_keeps_only_hashed_and_masked_id_and_tells_the_citizen(service, staff_actor):
    item = make_item(service)

    item.refresh_from_db()
    assert (item.state, item.origin, item.id_masked) == (
        PostalState.APPLIED,
        PostalOrigin.ONLINE,
        "110***********" + ID_NUMBER[-4:],
    )
    assert ID_NUMBER not in str(PostalItem.objects.filter(pk=item.pk).values().get())
    assert len(item.token) >= 32
    [(kind, text)] = texts(item)
    assert kind == "postal_applied"
    assert text == (
        f"[North District Hall] Application {item.reference} received. Where to post the materials: "
        f"https://hall.example/post/{item.token}/"
    )
    assert "13800138000" not in text and ID_NUMBER not in text


def test_apply_refuses_a_service_not_by_post(desk_service):
    with pytest.raises(PostalError) as refusal:
        services.apply_by_post(service=desk_service, applicant=applicant(), address=address(), actor=CITIZEN)
    assert (refusal.value.code, refusal.value.field) == ("not_by_post", "service")
    assert PostalItem.objects.count() == 0


def test_materials_in_hand_start_as_received(service, staff_actor):
    item = services.apply_by_post(
        service=service,
        applicant=applicant(),
        address=address(),
        actor=staff_actor,
        origin=PostalOrigin.COUNTER,
        materials_in_hand=True,
    )
    assert item.state == PostalState.MATERIALS_RECEIVED
    assert [k for k, _ in texts(item)] == ["postal_materials_received"]


def test_full_journey_records_every_transition_and_message(service, staff_actor):
    item = make_item(service, PostalState.DELIVERED, actor=staff_actor)

    events = list(
        PostalEvent.objects.filter(item=item).values_list(
            "from_state", "to_state", "actor__username", "source"
        )
    )
    assert events == [
        ("", "applied", "clerk", "staff"),
        ("applied", "materials_received", "clerk", "staff"),
        ("materials_received", "processed", "clerk", "staff"),
        ("processed", "sent", "clerk", "staff"),
        ("sent", "delivered", "clerk", "staff"),
    ]
    assert [k for k, _ in texts(item)] == [
        "postal_applied",
        "postal_materials_received",
        "postal_processed",
        "postal_sent",
        "postal_delivered",
    ]
    sent_text = texts(item)[3][1]
    assert sent_text == (
        f"[North District Hall] Document {item.reference} sent: EMS 123456789012. "
        f"Track: https://hall.example/post/{item.token}/"
    )
    assert (item.courier, item.tracking_number) == ("EMS", "123456789012")


def test_messages_are_in_the_citizens_language(service):
    item = make_item(service, language="zh-hans")
    [(_, text)] = texts(item)
    assert text == (
        f"【北区户政大厅】已收到邮寄办理申请{item.reference}，请按此页所列材料和地址寄送："
        f"https://hall.example/post/{item.token}/"
    )


ALLOWED = [
    (PostalState.APPLIED, services.receive_materials, PostalState.MATERIALS_RECEIVED),
    (PostalState.APPLIED, services.cancel_postal, PostalState.CANCELLED),
    (PostalState.MATERIALS_RECEIVED, services.mark_processed, PostalState.PROCESSED),
    (PostalState.PROCESSED, _send, PostalState.SENT),
    (PostalState.SENT, services.confirm_delivery, PostalState.DELIVERED),
    (PostalState.SENT, services.mark_returned, PostalState.RETURNED),
    (PostalState.RETURNED, _send, PostalState.SENT),
]


@pytest.mark.parametrize(
    ("start", "transition", "end"), ALLOWED, ids=lambda v: getattr(v, "__name__", str(v))
)
def test_allowed_transition(service, staff_actor, start, transition, end):
    item = make_item(service, start, actor=staff_actor)
    before = Notification.objects.count()

    moved = transition(item=item, actor=staff_actor, now=MONDAY + dt.timedelta(hours=1))

    item.refresh_from_db()
    assert (moved.state, item.state, item.state_changed_at) == (end, end, MONDAY + dt.timedelta(hours=1))
    assert list(item.events.values_list("from_state", "to_state"))[-1] == (start, end)
    assert Notification.objects.count() == before + 1
    assert Notification.objects.order_by("-pk").first().kind == services.KIND_POSTAL[end]


TRANSITIONS = {
    services.receive_materials: {PostalState.APPLIED},
    services.cancel_postal: {PostalState.APPLIED},
    services.mark_processed: {PostalState.MATERIALS_RECEIVED},
    _send: {PostalState.PROCESSED, PostalState.RETURNED},
    services.confirm_delivery: {PostalState.SENT},
    services.mark_returned: {PostalState.SENT},
}
REFUSED = [
    (state, fn) for fn, allowed in TRANSITIONS.items() for state in PostalState.values if state not in allowed
]


@pytest.mark.parametrize(("start", "transition"), REFUSED, ids=lambda v: getattr(v, "__name__", str(v)))
def test_refused_transition_changes_nothing(service, staff_actor, start, transition):
    item = make_item(service, start, actor=staff_actor)
    events, notes = item.events.count(), Notification.objects.count()

    with pytest.raises(PostalError) as refusal:
        transition(item=item, actor=staff_actor, now=MONDAY)

    item.refresh_from_db()
    assert (item.state, refusal.value.code) == (start, "wrong_state")
    assert (item.events.count(), Notification.objects.count()) == (events, notes)


@pytest.mark.parametrize(("courier", "tracking"), [("", "123"), ("EMS", " "), ("", "")])
def test_send_needs_courier_and_tracking_number(service, staff_actor, courier, tracking):
    item = make_item(service, PostalState.PROCESSED, actor=staff_actor)
    with pytest.raises(PostalError) as refusal:
        services.send_document(item=item, courier=courier, tracking_number=tracking, actor=staff_actor)
    item.refresh_from_db()
    assert (item.state, refusal.value.code) == (PostalState.PROCESSED, "tracking_required")


def test_database_refuses_a_sent_item_without_tracking_number(service):
    item = make_item(service)
    with pytest.raises(IntegrityError):
        PostalItem.objects.filter(pk=item.pk).update(state=PostalState.SENT)


def test_returned_item_sent_again_gets_a_second_message(service, staff_actor):
    item = make_item(service, PostalState.RETURNED, actor=staff_actor)
    item = services.send_document(item=item, courier="SF", tracking_number="SF999", actor=staff_actor)
    kinds = [k for k, _ in texts(item)]
    assert kinds.count("postal_sent") == 2
    assert (item.courier, item.tracking_number) == ("SF", "SF999")


# Deadlines


def test_due_dates_per_state_follow_working_days_and_legal_limit(service, settings):
    settings.POSTAL_MATERIALS_WORKING_DAYS = 3
    settings.POSTAL_PROCESS_WORKING_DAYS = 5
    settings.POSTAL_SEND_WORKING_DAYS = 2
    item = make_item(service)  # Monday 2026-03-02
    assert services.due_date(item) == dt.date(2026, 3, 5)
    item = make_item(service, PostalState.MATERIALS_RECEIVED)
    assert services.due_date(item) == dt.date(2026, 3, 9)  # 5 working days: over the weekend
    service.time_limit_days = 15
    service.save()
    item.refresh_from_db()
    assert services.due_date(item) == dt.date(2026, 3, 17)  # the legal limit, in calendar days
    assert services.due_date(make_item(service, PostalState.PROCESSED)) == dt.date(2026, 3, 4)
    assert services.due_date(make_item(service, PostalState.DELIVERED)) is None


# Pickups


def ready(service, actor, language="en"):
    return services.make_ready(
        service=service, applicant=applicant(language), actor=actor, note="ID card", now=MONDAY
    )


def pickup_texts(pickup):
    return list(
        Notification.objects.for_subject("pickup", pickup.pk)
        .order_by("pk")
        .values_list("kind", "key", "text")
    )


def test_ready_tells_citizen_code_what_to_bring_and_hours(service, staff_actor):
    pickup = ready(service, staff_actor)

    [(kind, key, text)] = pickup_texts(pickup)
    assert (kind, key, pickup.state) == ("pickup_ready", "", PickupState.READY)
    assert text == (
        f"[North District Hall] Your document for Household certificate is ready, pickup code {pickup.code}. "
        "Take a ticket for pickup at the kiosk and bring the acceptance receipt and your household register; "
        "someone collecting for you also brings their own ID card. Hours: Mon-Fri 08:30-17:30. "
        f"Or have it posted: https://hall.example/pickup/{pickup.token}/"
    )
    assert list(pickup.events.values_list("from_state", "to_state")) == [("", "ready")]


def test_collect_records_and_tells(service, staff_actor):
    pickup = ready(service, staff_actor)
    pickup = services.collect_pickup(pickup=pickup, actor=staff_actor, now=MONDAY + dt.timedelta(days=1))

    assert (pickup.state, pickup.collected_at) == (PickupState.COLLECTED, MONDAY + dt.timedelta(days=1))
    assert pickup_texts(pickup)[-1][0] == "pickup_collected"
    assert "collected on 2026-03-03 at 10:00" in pickup_texts(pickup)[-1][2]
    assert list(pickup.events.values_list("from_state", "to_state", "actor__username")) == [
        ("", "ready", "clerk"),
        ("ready", "collected", "clerk"),
    ]


def test_post_pickup_opens_an_outbound_item_ready_to_send(service, staff_actor):
    pickup = ready(service, staff_actor)
    item = services.post_pickup(pickup=pickup, address=address(), actor=CITIZEN)

    pickup.refresh_from_db()
    assert (pickup.state, pickup.postal_item) == (PickupState.POSTED, item)
    assert (item.state, item.origin, item.id_masked, item.name) == (
        PostalState.PROCESSED,
        PostalOrigin.PICKUP,
        pickup.id_masked,
        "张三",
    )
    assert [k for k, _ in texts(item)] == ["postal_processed"]


def test_post_pickup_refused_when_service_not_by_post(desk_service, staff_actor):
    pickup = ready(desk_service, staff_actor)
    with pytest.raises(PostalError):
        services.post_pickup(pickup=pickup, address=address(), actor=CITIZEN)
    pickup.refresh_from_db()
    assert (pickup.state, PostalItem.objects.count()) == (PickupState.READY, 0)


def test_remind_sends_a_new_message_each_time(service, staff_actor):
    pickup = ready(service, staff_actor)
    services.remind_pickup(pickup=pickup, actor=staff_actor)
    pickup = services.remind_pickup(pickup=pickup, actor=staff_actor)

    assert pickup.reminders == 2
    assert [(k, key) for k, key, _ in pickup_texts(pickup)] == [
        ("pickup_ready", ""),
        ("pickup_reminder", "1"),
        ("pickup_reminder", "2"),
    ]
    assert pickup_texts(pickup)[-1][2].startswith("[North District Hall] Reminder: your document")


PICKUP_TRANSITIONS = [
    lambda pickup, actor: services.collect_pickup(pickup=pickup, actor=actor),
    lambda pickup, actor: services.remind_pickup(pickup=pickup, actor=actor),
    lambda pickup, actor: services.post_pickup(pickup=pickup, address=address(), actor=actor),
]


@pytest.mark.parametrize("finish", ["collect", "post"])
@pytest.mark.parametrize("transition", PICKUP_TRANSITIONS, ids=["collect", "remind", "post"])
def test_finished_pickup_refuses_every_transition(service, staff_actor, finish, transition):
    pickup = ready(service, staff_actor)
    if finish == "collect":
        services.collect_pickup(pickup=pickup, actor=staff_actor)
    else:
        services.post_pickup(pickup=pickup, address=address(), actor=staff_actor)
    pickup.refresh_from_db()
    state, events, notes = pickup.state, pickup.events.count(), Notification.objects.count()

    with pytest.raises(PostalError) as refusal:
        transition(pickup, staff_actor)

    pickup.refresh_from_db()
    assert (pickup.state, pickup.events.count(), Notification.objects.count()) == (state, events, notes)
    assert refusal.value.message == str(services.PICKUP_NOT_WAITING)
