"""Staff pages for postal items and pickups, for the staff of the item's own hall; the overdue list is
the supervisor's. Each action is a POST that calls one service and redirects back."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from appointments.services import Actor
from hall import access as hall_access
from hall.net import client_ip
from hall.privacy import hash_id_number, normalize_id_number
from postal import access, services
from postal.forms import PickupForm, PickupSearchForm, ReturnForm, SendForm, StaffPostalForm
from postal.models import OPEN_POSTAL_STATES, Pickup, PickupState, PostalItem, PostalOrigin, PostalState
from postal.services import Applicant, PostalError

MOVED = _("%(reference)s: %(state)s.")
OPENED = _("Postal item %(reference)s opened; the citizen has been sent the tracking link.")
PICKUP_READY = _("Pickup code %(code)s: the citizen has been told that the document is ready.")
COLLECTED = _("%(code)s marked as collected.")
REMINDED = _("%(code)s: the citizen has been reminded.")
SHOWN = 200

ACTIONS = {
    "receive": services.receive_materials,
    "process": services.mark_processed,
    "deliver": services.confirm_delivery,
    "cancel": services.cancel_postal,
}


def staff_actor(request) -> Actor:
    return Actor("staff", user=request.user, ip=client_ip(request))


def with_due_dates(items, today):
    """(item, due date, overdue) for each item."""
    rows = []
    for item in items:
        due = services.due_date(item)
        rows.append((item, due, due is not None and today > due))
    return rows


@login_required
def item_list(request):
    staff = hall_access.own_staff(request.user)
    hall = staff.hall
    state = request.GET.get("state", "")
    if state and state not in PostalState.values:
        raise Http404
    items = PostalItem.objects.for_hall(hall).select_related("hall", "service")
    items = items.filter(state=state) if state else items.open()
    counts = dict(
        PostalItem.objects.for_hall(hall)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    today = hall.local_date(timezone.now())
    return render(
        request,
        "postal/staff_list.html",
        {
            "hall": hall,
            "staff": staff,
            "nav": "items",
            "state": state,
            "states": [(value, label, counts.get(value, 0)) for value, label in PostalState.choices],
            "rows": with_due_dates(items.order_by("state_changed_at")[:SHOWN], today),
        },
    )


@login_required
def overdue(request):
    staff = hall_access.own_supervisor(request.user)
    hall = staff.hall
    today = hall.local_date(timezone.now())
    items = (
        PostalItem.objects.for_hall(hall)
        .open()
        .select_related("hall", "service")
        .order_by("state_changed_at")
    )
    rows = [row for row in with_due_dates(items, today) if row[2]]
    return render(
        request, "postal/staff_overdue.html", {"hall": hall, "staff": staff, "nav": "overdue", "rows": rows}
    )


def _prefill_from_ticket(ticket, hall) -> dict:
    if ticket is None:
        return {"language": "zh-hans"}
    booking = ticket.booking
    phone = ticket.phone or (booking.phone if booking else "")
    name = booking.name if booking else ""
    missing = [m.name for m in ticket.missing.all()] + ([ticket.missing_note] if ticket.missing_note else [])
    return {
        "service": ticket.service if ticket.service.by_post else None,
        "name": name,
        "phone": phone,
        "language": ticket.language,
        "recipient": name,
        "recipient_phone": phone,
        "missing_note": "\n".join(missing),
        "materials_in_hand": not missing,
    }


def _known_applicant(ticket) -> Applicant | None:
    booking = ticket.booking if ticket else None
    if booking is None or not booking.id_hash:
        return None
    return Applicant(booking.name, booking.phone, booking.id_hash, booking.id_masked, booking.language)


@login_required
def new_item(request):
    staff = hall_access.own_staff(request.user)
    hall = staff.hall
    ticket = access.ticket_to_prefill(request.user, request.GET.get("ticket"))
    known = _known_applicant(ticket)
    form = StaffPostalForm(
        request.POST if request.method == "POST" else None,
        services=hall.services.active().filter(by_post=True),
        initial=_prefill_from_ticket(ticket, hall),
        id_known=known is not None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            item = services.apply_by_post(
                service=form.cleaned_data["service"],
                applicant=form.applicant(known),
                address=form.address(),
                actor=staff_actor(request),
                origin=PostalOrigin.COUNTER,
                materials_in_hand=form.cleaned_data["materials_in_hand"],
                missing_note=form.cleaned_data["missing_note"],
                ticket=ticket,
                booking=ticket.booking if ticket else None,
            )
        except PostalError as refusal:
            refusal.add_to(form)
        else:
            messages.success(request, OPENED % {"reference": item.reference})
            return redirect("postal:staff_item", item.pk)
    return render(
        request,
        "postal/staff_new.html",
        {"hall": hall, "staff": staff, "nav": "items", "form": form, "ticket": ticket, "known": known},
    )


@login_required
def item_detail(request, item_id):
    item = access.access_postal_item(request.user, item_id)
    return _detail(request, item, SendForm(), ReturnForm())


def _detail(request, item, send_form, return_form, status=200):
    staff = hall_access.own_staff(request.user)
    today = item.hall.local_date(timezone.now())
    due = services.due_date(item)
    return render(
        request,
        "postal/staff_item.html",
        {
            "hall": item.hall,
            "staff": staff,
            "nav": "items",
            "item": item,
            "events": item.events.select_related("actor"),
            "due": due,
            "overdue": due is not None and today > due,
            "send_form": send_form,
            "return_form": return_form,
            "open_states": OPEN_POSTAL_STATES,
        },
        status=status,
    )


def _moved(request, item):
    messages.success(request, MOVED % {"reference": item.reference, "state": item.get_state_display()})
    return redirect("postal:staff_item", item.pk)


@login_required
@require_POST
def item_action(request, item_id, action):
    item = access.access_postal_item(request.user, item_id)
    if action not in ACTIONS:
        raise Http404
    try:
        item = ACTIONS[action](item=item, actor=staff_actor(request))
    except PostalError as refusal:
        messages.error(request, refusal.message)
        return redirect("postal:staff_item", item.pk)
    return _moved(request, item)


@login_required
@require_POST
def send(request, item_id):
    item = access.access_postal_item(request.user, item_id)
    form = SendForm(request.POST)
    if not form.is_valid():
        return _detail(request, item, form, ReturnForm(), status=400)
    try:
        item = services.send_document(item=item, actor=staff_actor(request), **form.cleaned_data)
    except PostalError as refusal:
        form.add_error(None, refusal.message)
        return _detail(request, item, form, ReturnForm(), status=400)
    return _moved(request, item)


@login_required
@require_POST
def returned(request, item_id):
    item = access.access_postal_item(request.user, item_id)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _detail(request, item, SendForm(), form, status=400)
    try:
        item = services.mark_returned(item=item, actor=staff_actor(request), note=form.cleaned_data["note"])
    except PostalError as refusal:
        messages.error(request, refusal.message)
        return redirect("postal:staff_item", item.pk)
    return _moved(request, item)


def search_pickups(pickups, query: str):
    """By pickup code, full ID number (matched by its hash), the ID number's last 4 characters, or name."""
    text = normalize_id_number(query)
    if len(text) == 18:
        return pickups.filter(id_hash=hash_id_number(text))
    if len(text) == 6 and pickups.filter(code=text).exists():
        return pickups.filter(code=text)
    if len(text) == 4:
        return pickups.filter(id_masked__endswith=text)
    return pickups.filter(name__icontains=query.strip())


@login_required
def pickup_list(request):
    staff = hall_access.own_staff(request.user)
    hall = staff.hall
    now = timezone.now()
    pickups = Pickup.objects.for_hall(hall).select_related("service")
    form = PickupSearchForm(request.GET or None)
    found = None
    if form.is_valid():
        found = list(search_pickups(pickups, form.cleaned_data["q"]).order_by("-ready_at")[:50])
    before = services.follow_up_before(now)
    return render(
        request,
        "postal/staff_pickups.html",
        {
            "hall": hall,
            "staff": staff,
            "nav": "pickups",
            "form": form,
            "found": found,
            "waiting": pickups.waiting().filter(ready_at__gte=before).order_by("ready_at")[:SHOWN],
            "follow_up": pickups.uncollected_since(before).order_by("ready_at")[:SHOWN],
            "follow_up_days": settings.PICKUP_FOLLOW_UP_DAYS,
        },
    )


@login_required
def new_pickup(request):
    staff = hall_access.own_staff(request.user)
    hall = staff.hall
    ticket = access.ticket_to_prefill(request.user, request.GET.get("ticket"))
    known = _known_applicant(ticket)
    initial = {"language": "zh-hans"}
    if ticket is not None:
        prefill = _prefill_from_ticket(ticket, hall)
        initial.update(
            service=ticket.service, name=prefill["name"], phone=prefill["phone"], language=ticket.language
        )
    form = PickupForm(
        request.POST if request.method == "POST" else None,
        services=hall.services.active(),
        initial=initial,
        id_known=known is not None,
    )
    if request.method == "POST" and form.is_valid():
        found = services.make_ready(
            service=form.cleaned_data["service"],
            applicant=form.applicant(known),
            actor=staff_actor(request),
            note=form.cleaned_data["note"],
            ticket=ticket,
            booking=ticket.booking if ticket else None,
        )
        messages.success(request, PICKUP_READY % {"code": found.code})
        return redirect("postal:staff_pickup", found.pk)
    return render(
        request,
        "postal/staff_pickup_new.html",
        {"hall": hall, "staff": staff, "nav": "pickups", "form": form, "ticket": ticket, "known": known},
    )


@login_required
def pickup_detail(request, pickup_id):
    found = access.access_pickup(request.user, pickup_id)
    return render(
        request,
        "postal/staff_pickup.html",
        {
            "hall": found.hall,
            "staff": hall_access.own_staff(request.user),
            "nav": "pickups",
            "pickup": found,
            "events": found.events.select_related("actor"),
            "waiting": found.state == PickupState.READY,
        },
    )


PICKUP_ACTIONS = {
    "collect": (services.collect_pickup, COLLECTED),
    "remind": (services.remind_pickup, REMINDED),
}


@login_required
@require_POST
def pickup_action(request, pickup_id, action):
    found = access.access_pickup(request.user, pickup_id)
    if action not in PICKUP_ACTIONS:
        raise Http404
    service, done = PICKUP_ACTIONS[action]
    try:
        service(pickup=found, actor=staff_actor(request))
    except PostalError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, done % {"code": found.code})
    if request.POST.get("next") == "list":
        return redirect("postal:staff_pickups")
    return redirect("postal:staff_pickup", found.pk)
