"""The citizen's booking flow: service → date → arrival window → question pages (name and mobile, code,
ID number, party: appointments/details_views.py) → check and confirm → booked.

What the citizen typed is kept in the session between steps (appointments/drafts.py), never in a URL: the
ID number and the mobile must not end up in logs or browser history.
"""

import datetime as dt

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from phonenumber_field.phonenumber import PhoneNumber

from appointments import availability, limits, matters, services
from appointments.drafts import BOOKED, DRAFT, draft_for, missing_step, needs_phone_code, restart
from appointments.forms import AlsoForm, CitizenForm, PartyForm, WaitlistForm
from appointments.models import Booking, Mode, PlaceHold, Slot, WaitlistEntry, WaitlistState
from appointments.services import Actor, BookingError, Citizen
from hall.models import Service
from hall.net import client_ip
from hall.privacy import hash_phone


def web_actor(request) -> Actor:
    return Actor("web", ip=client_ip(request))


def _bookable_service(slug: str, code: str) -> Service:
    return get_object_or_404(Service.objects.bookable().select_related("hall"), hall__slug=slug, code=code)


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Http404 from None


def _slot(service: Service, date: dt.date, slot_id: int) -> Slot:
    return get_object_or_404(Slot.objects.select_related("hall"), pk=slot_id, service=service, date=date)


def get_booking(token: str) -> Booking:
    return get_object_or_404(
        Booking.objects.select_related("hall", "service", "slot"), manage_token=token, erased_at=None
    )


def _citizen(data: dict) -> Citizen:
    return Citizen.hashed(
        name=data["name"],
        phone=PhoneNumber.from_string(data["phone"]),
        id_hash=data["id_hash"],
        id_masked=data["id_masked"],
        language=data["language"],
    )


def posted(request):
    return request.POST if request.method == "POST" else None


def booking_context(booking: Booking) -> dict:
    visit = matters.matters_of(booking)
    return {
        "booking": booking,
        "hall": booking.hall,
        "service": booking.service,
        "slot": booking.slot,
        "matters": visit,
        "several": len(visit) > 1,
    }


def chosen_mode(request, service: Service) -> str:
    """`?by=video` books the online room, where the service offers it; anything else books the hall."""
    return Mode.VIDEO if request.GET.get("by") == Mode.VIDEO and service.by_video else Mode.HALL


def choose_date(request, slug, code):
    service = _bookable_service(slug, code)
    mode = chosen_mode(request, service)
    return render(
        request,
        "appointments/choose_date.html",
        {
            "hall": service.hall,
            "service": service,
            "materials": service.materials.all(),
            "days": availability.upcoming_days(service=service, now=timezone.now(), mode=mode),
            "video": mode == Mode.VIDEO,
        },
    )


def choose_time(request, slug, code, date):
    service = _bookable_service(slug, code)
    mode = chosen_mode(request, service)
    day = availability.day_availability(service=service, date=parse_date(date), now=timezone.now(), mode=mode)
    context = {"hall": service.hall, "service": service, "day": day, "video": mode == Mode.VIDEO}
    return render(request, "appointments/choose_time.html", context)


def slot_refusal(slot: Slot) -> str | None:
    now = timezone.now()
    rules = availability.rules_for(slot.hall)
    if availability.date_refusal(rules, slot.date, now) or not availability.bookable_slot(rules, slot, now):
        return str(services.SLOT_NOT_BOOKABLE)
    if not slot.remaining:
        return str(services.SLOT_FULL)
    return None


def flow(slug, code, date, slot_id) -> tuple[Service, Slot, tuple]:
    service = _bookable_service(slug, code)
    slot = _slot(service, parse_date(date), slot_id)
    return service, slot, (slug, code, date, slot_id)


@require_http_methods(["GET", "POST"])
def confirm(request, slug, code, date, slot_id):
    service, slot, args = flow(slug, code, date, slot_id)
    draft = draft_for(request, slot)
    if draft is None:
        return restart(request, slot, args)
    if needs_phone_code(request, draft):
        return redirect("appointments:verify", *args)
    if step := missing_step(draft):
        return redirect(step, *args)
    error = None
    if request.method == "POST":
        try:
            booking = _book(request, slot, draft)
        except BookingError as refusal:
            error = refusal
        else:
            return redirect("appointments:booked", booking.manage_token)
    return render(request, "appointments/confirm.html", _confirm_context(service, slot, draft, error, args))


def _also_services(slot: Slot, draft: dict) -> list[Service]:
    """The further services the citizen chose, in their order (a service no longer bookable drops out)."""
    codes = draft.get("also", [])
    found = {s.code: s for s in matters.candidates(slot).filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


@require_http_methods(["GET", "POST"])
def also(request, slug, code, date, slot_id):
    """Other services to do at the same visit: those with room for everyone in this arrival window."""
    service, slot, args = flow(slug, code, date, slot_id)
    draft = draft_for(request, slot)
    if draft is None:
        return restart(request, slot, args)
    if step := missing_step(draft):
        return redirect(step, *args)
    offered = matters.available_extras(slot, draft["persons"], timezone.now())
    choices = [(m.service.code, _offer_label(m)) for m in offered]
    form = AlsoForm(posted(request), choices=choices, initial={"services": draft.get("also", [])})
    if request.method == "POST" and form.is_valid():
        request.session[DRAFT] = {**draft, "also": form.cleaned_data["services"]}
        return redirect("appointments:confirm", *args)
    context = {"hall": service.hall, "service": service, "slot": slot, "form": form, "args": args}
    return render(request, "appointments/also.html", {**context, "offered": offered})


def _offer_label(matter) -> str:
    return _("%(service)s (places left: %(places)s)") % {
        "service": matter.service.name,
        "places": matter.slot.remaining,
    }


def _book(request, slot: Slot, draft: dict) -> Booking:
    booking = services.book(
        slot=slot,
        also=_also_services(slot, draft),
        citizen=_citizen(draft),
        persons=draft["persons"],
        green_channel=draft["green_channel"],
        green_note=draft["green_note"],
        actor=web_actor(request),
        now=timezone.now(),
    )
    request.session.pop(DRAFT, None)
    request.session[BOOKED] = {**request.session.get(BOOKED, {}), str(slot.pk): booking.manage_token}
    return booking


def _confirm_context(service, slot, draft, error, args) -> dict:
    phone = PhoneNumber.from_string(draft["phone"])
    warning = limits.no_show_warning(
        availability.rules_for(service.hall),
        draft["id_hash"],
        hash_phone(phone),
        timezone.now(),
    )
    return {
        "hall": service.hall,
        "service": service,
        "slot": slot,
        "draft": draft,
        "phone": phone,
        "id_masked": draft["id_masked"],
        "language_name": dict(CitizenForm.base_fields["language"].choices)[draft["language"]],
        "green_channel_label": dict(PartyForm.base_fields["green_channel"].choices).get(
            draft["green_channel"]
        ),
        "error": error,
        "no_show_warning": warning,
        "args": args,
        "also_services": _also_services(slot, draft),
        "can_add": matters.candidates(slot).exists(),
    }


@require_http_methods(["GET", "POST"])
def join_waitlist(request, slug, code, date):
    service = _bookable_service(slug, code)
    day = availability.day_availability(service=service, date=parse_date(date), now=timezone.now())
    if not day.bookable or day.remaining or not day.slots:
        return redirect("appointments:choose_time", slug, code, date)
    form = WaitlistForm(posted(request), initial={"language": get_language()})
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.join_waitlist(
                service=service,
                date=day.date,
                phone=form.cleaned_data["phone"],
                language=form.cleaned_data["language"],
            )
        except BookingError as refusal:
            error = refusal
        else:
            return redirect("appointments:waitlist_offer", entry.token)
    context = {"hall": service.hall, "service": service, "day": day, "form": form, "error": error}
    return render(request, "appointments/join_waitlist.html", context)


@require_http_methods(["GET", "POST"])
def waitlist_offer(request, token):
    entry = get_object_or_404(WaitlistEntry.objects.select_related("hall", "service", "booking"), token=token)
    if entry.state == WaitlistState.ACCEPTED and entry.booking:
        return redirect("appointments:booked", entry.booking.manage_token)
    now = timezone.now()
    hold = PlaceHold.objects.filter(waitlist_entry=entry, release_at__gt=now).select_related("slot").first()
    context = {"entry": entry, "hall": entry.hall, "service": entry.service, "hold": hold, "error": None}
    if entry.state != WaitlistState.OFFERED or hold is None:
        return render(request, "appointments/waitlist_offer.html", context)
    form = CitizenForm(posted(request), initial={"phone": entry.phone, "language": entry.language})
    if request.method == "POST" and form.is_valid():
        citizen = Citizen(**{k: form.cleaned_data[k] for k in ("name", "phone", "id_number", "language")})
        try:
            booking = services.accept_offer(entry=entry, citizen=citizen, actor=web_actor(request), now=now)
        except BookingError as refusal:
            context["error"] = refusal
        else:
            return redirect("appointments:booked", booking.manage_token)
    return render(request, "appointments/waitlist_offer.html", {**context, "form": form, "slot": hold.slot})
