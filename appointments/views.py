"""The citizen's booking flow: service → date → arrival window → details → (code) → confirm → booked.

What the citizen typed is kept in the session between steps, never in a URL: the ID number and the mobile
must not end up in logs or browser history. The session (a database row, signed but not encrypted) never
holds the ID number itself: the details step checks it and keeps only its HMAC and masked form.
"""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from phonenumber_field.phonenumber import PhoneNumber

from appointments import availability, limits, matters, services, verification
from appointments.forms import AlsoForm, BookingForm, CitizenForm, VerifyForm, WaitlistForm
from appointments.models import Booking, PlaceHold, Slot, WaitlistEntry, WaitlistState
from appointments.services import Actor, BookingError, Citizen
from hall.models import Service
from hall.net import client_ip
from hall.privacy import hash_id_number, hash_phone, mask_id_number

DRAFT = "booking_draft"
VERIFIED_PHONE = "booking_verified_phone"
CODE_NONCE = "booking_code_nonce"
CODES_SENT = "booking_codes_sent"  # when this session asked for codes (timestamps), against SMS pumping
CODES_PER_SESSION_HOUR = 5
BOOKED = "booking_booked_slots"


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


def choose_date(request, slug, code):
    service = _bookable_service(slug, code)
    return render(
        request,
        "appointments/choose_date.html",
        {
            "hall": service.hall,
            "service": service,
            "materials": service.materials.all(),
            "days": availability.upcoming_days(service=service, now=timezone.now()),
        },
    )


def choose_time(request, slug, code, date):
    service = _bookable_service(slug, code)
    day = availability.day_availability(service=service, date=parse_date(date), now=timezone.now())
    return render(
        request, "appointments/choose_time.html", {"hall": service.hall, "service": service, "day": day}
    )


def _slot_refusal(slot: Slot) -> str | None:
    now = timezone.now()
    rules = availability.rules_for(slot.hall)
    if availability.date_refusal(rules, slot.date, now) or not availability.bookable_slot(rules, slot, now):
        return str(services.SLOT_NOT_BOOKABLE)
    if not slot.remaining:
        return str(services.SLOT_FULL)
    return None


def _flow(slug, code, date, slot_id) -> tuple[Service, Slot, tuple]:
    service = _bookable_service(slug, code)
    slot = _slot(service, parse_date(date), slot_id)
    return service, slot, (slug, code, date, slot_id)


def details(request, slug, code, date, slot_id):
    service, slot, args = _flow(slug, code, date, slot_id)
    if refusal := _slot_refusal(slot):
        messages.error(request, refusal)
        return redirect("appointments:choose_time", slug, code, date)
    draft = _any_draft(request)
    form = BookingForm(
        posted(request),
        initial=draft or {"language": get_language(), "persons": 1},
        id_masked=draft.get("id_masked", ""),
    )
    if request.method == "POST" and form.is_valid():
        data = _draft_data(form.cleaned_data, draft)
        data |= {"slot": slot.pk, "also": (_draft(request, slot) or {}).get("also", [])}
        request.session[DRAFT] = data
        if not request.user.is_authenticated:
            # The draft holds the name and mobile until the booking is made: an abandoned one
            # goes BOOKING_DRAFT_MINUTES after the last step (erased nightly with the expired sessions).
            request.session.set_expiry(settings.BOOKING_DRAFT_MINUTES * 60)
        if _needs_phone_code(request, data):
            return _send_phone_code(request, service, data, args)
        return redirect("appointments:confirm", *args)
    return render(
        request,
        "appointments/details.html",
        {"hall": service.hall, "service": service, "slot": slot, "form": form, "args": args},
    )


def _draft_data(cleaned: dict, earlier: dict) -> dict:
    """What the later steps need, with the ID number replaced by its HMAC and masked form (an empty field
    keeps the earlier draft's)."""
    data = {**cleaned, "phone": str(cleaned["phone"])}
    number = data.pop("id_number")
    if number:
        data |= {"id_hash": hash_id_number(number), "id_masked": mask_id_number(number)}
    else:
        data |= {"id_hash": earlier["id_hash"], "id_masked": earlier["id_masked"]}
    return data


def _needs_phone_code(request, draft: dict) -> bool:
    return settings.BOOKING_SMS_CODE and request.session.get(VERIFIED_PHONE) != draft["phone"]


def _send_phone_code(request, service, draft: dict, args):
    sent = _codes_sent_in_this_session(request)
    if len(sent) >= CODES_PER_SESSION_HOUR:
        messages.error(request, str(verification.TOO_MANY_FROM_HERE))
        return redirect("appointments:verify", *args)
    try:
        request.session[CODE_NONCE] = verification.send_code(
            hall=service.hall,
            phone=PhoneNumber.from_string(draft["phone"]),
            language=draft["language"],
            ip=client_ip(request),
        )
    except ValueError as refusal:
        messages.error(request, str(refusal))
    else:
        request.session[CODES_SENT] = [*sent, timezone.now().timestamp()]
    return redirect("appointments:verify", *args)


def _codes_sent_in_this_session(request) -> list[float]:
    """When this browser session asked for codes in the last hour (any number): a session may not text
    numbers of its choosing one after another (SMS pumping), whatever the address it comes from."""
    hour_ago = timezone.now().timestamp() - 3600
    return [at for at in request.session.get(CODES_SENT, []) if isinstance(at, float) and at > hour_ago]


def _any_draft(request) -> dict:
    """This session's draft, for any arrival time ({} when none; one from before the draft kept hashes
    only, holding a number in clear, is dropped)."""
    draft = request.session.get(DRAFT) or {}
    if draft and "id_hash" not in draft:
        request.session.pop(DRAFT)
        return {}
    return draft


def _draft(request, slot: Slot) -> dict | None:
    draft = _any_draft(request)
    return draft if draft.get("slot") == slot.pk else None


def _restart(request, slot: Slot, args):
    """The draft is gone: the booking was made (back button) or the session expired."""
    token = request.session.get(BOOKED, {}).get(str(slot.pk))
    if token:
        return redirect("appointments:booked", token)
    messages.info(request, _("Please enter your details again."))
    return redirect("appointments:details", *args)


@require_http_methods(["GET", "POST"])
def verify(request, slug, code, date, slot_id):
    service, slot, args = _flow(slug, code, date, slot_id)
    draft = _draft(request, slot)
    if draft is None:
        return _restart(request, slot, args)
    if not _needs_phone_code(request, draft):
        return redirect("appointments:confirm", *args)
    if request.method == "POST" and "resend" in request.POST:
        return _send_phone_code(request, service, draft, args)
    form = VerifyForm(posted(request))
    if request.method == "POST" and form.is_valid():
        refusal = verification.check_code(
            nonce=request.session.get(CODE_NONCE, ""), phone=draft["phone"], code=form.cleaned_data["code"]
        )
        if refusal is None:
            request.session[VERIFIED_PHONE] = draft["phone"]
            return redirect("appointments:confirm", *args)
        form.add_error("code", refusal)
    phone = PhoneNumber.from_string(draft["phone"])
    context = {"hall": service.hall, "service": service, "slot": slot, "form": form, "args": args}
    context |= {"phone": phone, "next_send_at": verification.next_send_at(phone)}
    return render(request, "appointments/verify.html", context)


@require_http_methods(["GET", "POST"])
def confirm(request, slug, code, date, slot_id):
    service, slot, args = _flow(slug, code, date, slot_id)
    draft = _draft(request, slot)
    if draft is None:
        return _restart(request, slot, args)
    if _needs_phone_code(request, draft):
        return redirect("appointments:verify", *args)
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
    service, slot, args = _flow(slug, code, date, slot_id)
    draft = _draft(request, slot)
    if draft is None:
        return _restart(request, slot, args)
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
        "green_channel_label": dict(BookingForm.base_fields["green_channel"].choices).get(
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
