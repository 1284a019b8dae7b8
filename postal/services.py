"""Postal items and pickups: each transition is one function that locks the row, checks the current
state, records who moved it from which state to which, and writes the citizen's message to the outbox in
the same transaction."""

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments.services import CODE_ALPHABET, Actor
from hall.errors import DomainError
from hall.privacy import hash_id_number, mask_id_number
from notifications import services as notify
from postal import deadlines, messages
from postal.models import (
    Pickup,
    PickupEvent,
    PickupState,
    PostalEvent,
    PostalItem,
    PostalOrigin,
    PostalState,
)

log = logging.getLogger(__name__)

NOT_BY_POST = _("This service cannot be finished by post. Please come to the hall.")
WRONG_HALL = _("This service belongs to another hall.")
NOT_WAITING_FOR_MATERIALS = _("The materials can only be received while the application waits for them.")
NOT_RECEIVED = _("Only an application whose materials have been received can be marked as processed.")
NOT_READY_TO_SEND = _("Only a processed or returned document can be sent.")
TRACKING_REQUIRED = _("Enter the courier and the tracking number.")
NOT_SENT = _("Only a document that has been sent can be delivered or returned.")
NOT_CANCELLABLE = _("Only an application still waiting for its materials can be cancelled.")
PICKUP_NOT_WAITING = _("This document is no longer waiting for pickup.")
PICKUP_NOT_BY_POST = _("This document can only be collected at the hall.")

# Message kinds in the outbox (notifications.Notification.kind); subjects "postal" and "pickup".
KIND_POSTAL = {
    PostalState.APPLIED: "postal_applied",
    PostalState.MATERIALS_RECEIVED: "postal_materials_received",
    PostalState.PROCESSED: "postal_processed",
    PostalState.SENT: "postal_sent",
    PostalState.DELIVERED: "postal_delivered",
    PostalState.RETURNED: "postal_returned",
    PostalState.CANCELLED: "postal_cancelled",
}
KIND_PICKUP_READY = "pickup_ready"
KIND_PICKUP_REMINDER = "pickup_reminder"
KIND_PICKUP_COLLECTED = "pickup_collected"


class PostalError(DomainError):
    """A refused transition or request, with a message staff or citizens can act on."""


@dataclass(frozen=True)
class Applicant:
    name: str
    phone: object  # phonenumbers.PhoneNumber
    id_hash: str
    id_masked: str
    language: str = "zh-hans"

    @classmethod
    def with_id_number(cls, *, name, phone, id_number: str, language: str = "zh-hans") -> "Applicant":
        """From a validated ID number, which is kept only as a hash and a masked form."""
        return cls(name, phone, hash_id_number(id_number), mask_id_number(id_number), language)


@dataclass(frozen=True)
class Address:
    recipient: str
    recipient_phone: object
    province: str
    city: str
    district: str
    street: str


def rules() -> deadlines.Rules:
    return deadlines.Rules(
        materials_working_days=settings.POSTAL_MATERIALS_WORKING_DAYS,
        process_working_days=settings.POSTAL_PROCESS_WORKING_DAYS,
        send_working_days=settings.POSTAL_SEND_WORKING_DAYS,
        delivery_working_days=settings.POSTAL_DELIVERY_WORKING_DAYS,
    )


def due_date(item: PostalItem) -> dt.date | None:
    since = item.hall.local_date(item.state_changed_at)
    return deadlines.due_date(rules(), item.state, since, item.service.time_limit_days)


def _new_code(model, field: str, prefix: str, length: int) -> str:
    while True:
        code = prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
        if not model.objects.filter(**{field: code}).exists():
            return code


def _actor_user(actor: Actor):
    return actor.user if getattr(actor.user, "is_authenticated", False) else None


def _tell_postal(item: PostalItem, event: PostalEvent, now: dt.datetime) -> None:
    notify.record(
        hall=item.hall,
        kind=KIND_POSTAL[item.state],
        subject_type="postal",
        subject_id=item.pk,
        key=str(event.pk),
        phone=item.phone,
        language=item.language,
        render=lambda: messages.postal_text(item),
        now=now,
    )


def _record_postal(item: PostalItem, from_state: str, actor: Actor, now: dt.datetime, note="") -> None:
    event = PostalEvent.objects.create(
        item=item,
        from_state=from_state,
        to_state=item.state,
        actor=_actor_user(actor),
        source=actor.source,
        note=note,
        at=now,
    )
    _tell_postal(item, event, now)
    log.info("postal item %s: %s -> %s (%s)", item.pk, from_state or "-", item.state, actor.source)


def apply_by_post(
    *,
    service,
    applicant: Applicant,
    address: Address,
    actor: Actor,
    origin: str = PostalOrigin.ONLINE,
    materials_in_hand: bool = False,
    missing_note: str = "",
    ticket=None,
    booking=None,
    now: dt.datetime | None = None,
) -> PostalItem:
    """Open a postal item: waiting for the citizen's materials, or already holding them (handed in at the
    counter)."""
    now = now or timezone.now()
    if not (service.by_post and service.active):
        raise PostalError("not_by_post", NOT_BY_POST, field="service")
    state = PostalState.MATERIALS_RECEIVED if materials_in_hand else PostalState.APPLIED
    with transaction.atomic():
        item = _create_item(service, applicant, address, origin, state, now, missing_note, ticket, booking)
        _record_postal(item, "", actor, now)
    return item


def _create_item(service, applicant, address, origin, state, now, missing_note="", ticket=None, booking=None):
    return PostalItem.objects.create(
        hall=service.hall,
        service=service,
        reference=_new_code(PostalItem, "reference", "P", 7),
        token=secrets.token_urlsafe(24),
        origin=origin,
        state=state,
        name=applicant.name,
        phone=applicant.phone,
        id_hash=applicant.id_hash,
        id_masked=applicant.id_masked,
        language=applicant.language,
        recipient=address.recipient,
        recipient_phone=address.recipient_phone,
        province=address.province,
        city=address.city,
        district=address.district,
        street=address.street,
        missing_note=missing_note,
        ticket=ticket,
        booking=booking,
        created_at=now,
        state_changed_at=now,
    )


def _move(item, allowed_from, to_state, refusal, actor, now, note="", **fields) -> PostalItem:
    """Lock the row, refuse unless it is in one of `allowed_from`, then move, record and tell."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            PostalItem.objects.select_for_update(of=("self",))
            .select_related("hall", "service")
            .get(pk=item.pk)
        )
        if locked.state not in allowed_from:
            raise PostalError("wrong_state", refusal)
        from_state = locked.state
        locked.state, locked.state_changed_at = to_state, now
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["state", "state_changed_at", *fields])
        _record_postal(locked, from_state, actor, now, note)
    return locked


def receive_materials(*, item: PostalItem, actor: Actor, now: dt.datetime | None = None) -> PostalItem:
    return _move(
        item, {PostalState.APPLIED}, PostalState.MATERIALS_RECEIVED, NOT_WAITING_FOR_MATERIALS, actor, now
    )


def mark_processed(*, item: PostalItem, actor: Actor, now: dt.datetime | None = None) -> PostalItem:
    return _move(item, {PostalState.MATERIALS_RECEIVED}, PostalState.PROCESSED, NOT_RECEIVED, actor, now)


def send_document(
    *, item: PostalItem, courier: str, tracking_number: str, actor: Actor, now: dt.datetime | None = None
) -> PostalItem:
    courier, tracking_number = courier.strip(), "".join(tracking_number.split())
    if not courier or not tracking_number:
        raise PostalError("tracking_required", TRACKING_REQUIRED, field="tracking_number")
    return _move(
        item,
        {PostalState.PROCESSED, PostalState.RETURNED},
        PostalState.SENT,
        NOT_READY_TO_SEND,
        actor,
        now,
        courier=courier,
        tracking_number=tracking_number,
    )


def confirm_delivery(*, item: PostalItem, actor: Actor, now: dt.datetime | None = None) -> PostalItem:
    return _move(item, {PostalState.SENT}, PostalState.DELIVERED, NOT_SENT, actor, now)


def mark_returned(
    *, item: PostalItem, actor: Actor, note: str = "", now: dt.datetime | None = None
) -> PostalItem:
    """The courier brought the document back (wrong address, nobody home): it is sent again later."""
    return _move(item, {PostalState.SENT}, PostalState.RETURNED, NOT_SENT, actor, now, note=note[:300])


def cancel_postal(*, item: PostalItem, actor: Actor, now: dt.datetime | None = None) -> PostalItem:
    return _move(item, {PostalState.APPLIED}, PostalState.CANCELLED, NOT_CANCELLABLE, actor, now)


def _record_pickup(pickup: Pickup, from_state: str, actor: Actor, now: dt.datetime, note="") -> PickupEvent:
    event = PickupEvent.objects.create(
        pickup=pickup,
        from_state=from_state,
        to_state=pickup.state,
        actor=_actor_user(actor),
        source=actor.source,
        note=note,
        at=now,
    )
    log.info("pickup %s: %s -> %s (%s) %s", pickup.pk, from_state or "-", pickup.state, actor.source, note)
    return event


def _tell_pickup(pickup: Pickup, kind: str, key: str, render, now: dt.datetime) -> None:
    notify.record(
        hall=pickup.hall,
        kind=kind,
        subject_type="pickup",
        subject_id=pickup.pk,
        key=key,
        phone=pickup.phone,
        language=pickup.language,
        render=render,
        now=now,
    )


def make_ready(
    *,
    service,
    applicant: Applicant,
    actor: Actor,
    note: str = "",
    ticket=None,
    booking=None,
    now: dt.datetime | None = None,
) -> Pickup:
    """A finished document is at the hall: tell the citizen what to bring and when to come."""
    now = now or timezone.now()
    with transaction.atomic():
        pickup = Pickup.objects.create(
            hall=service.hall,
            service=service,
            code=_new_code(Pickup, "code", "", 6),
            token=secrets.token_urlsafe(24),
            name=applicant.name,
            phone=applicant.phone,
            id_hash=applicant.id_hash,
            id_masked=applicant.id_masked,
            language=applicant.language,
            note=note,
            ticket=ticket,
            booking=booking,
            ready_at=now,
            last_told_at=now,
        )
        _record_pickup(pickup, "", actor, now)
        _tell_pickup(pickup, KIND_PICKUP_READY, "", lambda: messages.pickup_ready_text(pickup), now)
    return pickup


def _locked_pickup(pickup: Pickup) -> Pickup:
    locked = (
        Pickup.objects.select_for_update(of=("self",)).select_related("hall", "service").get(pk=pickup.pk)
    )
    if locked.state != PickupState.READY:
        raise PostalError("wrong_state", PICKUP_NOT_WAITING)
    return locked


def collect_pickup(*, pickup: Pickup, actor: Actor, now: dt.datetime | None = None) -> Pickup:
    """The citizen (or someone for them) took the document at the counter."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_pickup(pickup)
        locked.state, locked.collected_at = PickupState.COLLECTED, now
        locked.save(update_fields=["state", "collected_at"])
        _record_pickup(locked, PickupState.READY, actor, now)
        _tell_pickup(locked, KIND_PICKUP_COLLECTED, "", lambda: messages.pickup_collected_text(locked), now)
    return locked


def post_pickup(
    *, pickup: Pickup, address: Address, actor: Actor, now: dt.datetime | None = None
) -> PostalItem:
    """The citizen asks for the finished document to be posted: an outbound postal item, ready to send."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_pickup(pickup)
        if not locked.service.by_post:
            raise PostalError("not_by_post", PICKUP_NOT_BY_POST)
        applicant = Applicant(locked.name, locked.phone, locked.id_hash, locked.id_masked, locked.language)
        item = _create_item(
            locked.service,
            applicant,
            address,
            PostalOrigin.PICKUP,
            PostalState.PROCESSED,
            now,
            ticket=locked.ticket,
            booking=locked.booking,
        )
        _record_postal(item, "", actor, now)
        locked.state, locked.postal_item = PickupState.POSTED, item
        locked.save(update_fields=["state", "postal_item"])
        _record_pickup(locked, PickupState.READY, actor, now, note=item.reference)
    return item


def remind_pickup(*, pickup: Pickup, actor: Actor, now: dt.datetime | None = None) -> Pickup:
    """Tell the citizen again that their document is waiting (the follow-up list)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_pickup(pickup)
        locked.reminders += 1
        locked.last_told_at = now
        locked.save(update_fields=["reminders", "last_told_at"])
        _record_pickup(locked, PickupState.READY, actor, now, note=f"reminder {locked.reminders}")
        _tell_pickup(
            locked,
            KIND_PICKUP_REMINDER,
            str(locked.reminders),
            lambda: messages.pickup_ready_text(locked, reminder=True),
            now,
        )
    return locked


def follow_up_before(now: dt.datetime) -> dt.datetime:
    """Documents ready before this instant and still uncollected are listed for follow-up."""
    return now - dt.timedelta(days=settings.PICKUP_FOLLOW_UP_DAYS)
