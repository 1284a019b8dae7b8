"""The web booking's question pages (GOV.UK "one thing per page"): name and mobile, then (the code sent
by text message and checked) the resident ID number, then the party: how many, green channel, language.

Each page adds its answers to the session draft (appointments/drafts.py); a page reached from the check
page's "Change" link (`?change=1`) returns there once the draft is complete. Back links and the pages'
initial values come from the draft, so going back keeps every answer (the ID number as its masked form).
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from phonenumber_field.phonenumber import PhoneNumber

from appointments import verification
from appointments.drafts import (
    STEPS,
    VERIFIED_PHONE,
    any_draft,
    draft_for,
    missing_step,
    needs_phone_code,
    restart,
    save_answers,
    step_after,
)
from appointments.forms import IdNumberForm, NameForm, PartyForm, VerifyForm
from appointments.models import Mode
from appointments.views import client_ip, flow, posted, slot_refusal
from hall.privacy import hash_id_number, mask_id_number

CODE_NONCE = "booking_code_nonce"
CODES_SENT = "booking_codes_sent"  # when this session asked for codes (timestamps), against SMS pumping
CODES_PER_SESSION_HOUR = 5

HEADINGS = {
    "appointments:details": _("Your name and mobile number"),
    "appointments:details_id": _("Your resident ID number"),
    "appointments:details_more": _("About your visit"),
}
INTROS = {
    "appointments:details": _("We need these to book your place. We text a code to the mobile number."),
    "appointments:details_id": _("Staff check your ID card at the window."),
    "appointments:details_more": "",
}
VIDEO_INTROS = {  # a video appointment never comes to a window: the online room's clerk checks the card
    "appointments:details_id": _("The clerk checks your ID card on camera during the video call."),
}


def _changing(request) -> bool:
    return request.GET.get("change") == "1"


def _go_on(request, step: str, draft: dict, args):
    """After a question page: the next one, or back to the check page when changing an answer."""
    if _changing(request):
        return redirect(missing_step(draft) or "appointments:confirm", *args)
    return redirect(step_after(step), *args)


def _back_url(request, step: str, args) -> str:
    if _changing(request):
        return reverse("appointments:confirm", args=args)
    names = [name for name, _keys in STEPS]
    if step == names[0]:
        return reverse("appointments:choose_time", args=args[:3])
    return reverse(names[names.index(step) - 1], args=args)


def _question(request, step: str, form, service, slot, args):
    context = {
        "hall": service.hall,
        "service": service,
        "slot": slot,
        "form": form,
        "args": args,
        "heading": HEADINGS[step],
        "intro": VIDEO_INTROS.get(step, INTROS[step]) if slot.mode == Mode.VIDEO else INTROS[step],
        "step_number": [name for name, _keys in STEPS].index(step) + 1,
        "steps": len(STEPS),
        "back_url": _back_url(request, step, args),
    }
    return render(request, "appointments/details.html", context)


@require_http_methods(["GET", "POST"])
def details(request, slug, code, date, slot_id):
    """Question page 1: name and mobile; a code goes to a mobile not yet checked in this session."""
    service, slot, args = flow(slug, code, date, slot_id)
    if refusal := slot_refusal(slot):
        messages.error(request, refusal)
        return redirect("appointments:choose_time", slug, code, date)
    form = NameForm(posted(request), initial=any_draft(request))
    if request.method == "POST" and form.is_valid():
        answers = {"name": form.cleaned_data["name"], "phone": str(form.cleaned_data["phone"])}
        draft = save_answers(request, slot, answers)
        if needs_phone_code(request, draft):
            return _send_phone_code(request, service, draft, args)
        return _go_on(request, "appointments:details", draft, args)
    return _question(request, "appointments:details", form, service, slot, args)


def _answered_draft(request, step: str, slot, args):
    """The draft of a page after the first: (draft, None), or (None, where to go instead: the first
    page, the code page, or an earlier page not yet answered)."""
    draft = draft_for(request, slot)
    if draft is None:
        return None, restart(request, slot, args)
    if needs_phone_code(request, draft):
        return None, redirect("appointments:verify", *args)
    names = [name for name, _keys in STEPS]
    missing = missing_step(draft)
    if missing and names.index(missing) < names.index(step):
        return None, redirect(missing, *args)
    return draft, None


@require_http_methods(["GET", "POST"])
def details_id(request, slug, code, date, slot_id):
    """Question page 2: the resident ID number; the draft keeps only its HMAC and masked form."""
    service, slot, args = flow(slug, code, date, slot_id)
    draft, elsewhere = _answered_draft(request, "appointments:details_id", slot, args)
    if elsewhere:
        return elsewhere
    form = IdNumberForm(posted(request), id_masked=draft.get("id_masked", ""))
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["id_number"]
        answers = {"id_hash": hash_id_number(number), "id_masked": mask_id_number(number)} if number else {}
        draft = save_answers(request, slot, answers)
        return _go_on(request, "appointments:details_id", draft, args)
    return _question(request, "appointments:details_id", form, service, slot, args)


@require_http_methods(["GET", "POST"])
def details_more(request, slug, code, date, slot_id):
    """Question page 3: how many people, the green channel, the language of the text messages."""
    service, slot, args = flow(slug, code, date, slot_id)
    draft, elsewhere = _answered_draft(request, "appointments:details_more", slot, args)
    if elsewhere:
        return elsewhere
    initial = {"persons": 1, "language": get_language(), **draft}
    form = PartyForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        draft = save_answers(request, slot, form.cleaned_data)
        return _go_on(request, "appointments:details_more", draft, args)
    return _question(request, "appointments:details_more", form, service, slot, args)


def _send_phone_code(request, service, draft: dict, args):
    sent = _codes_sent_in_this_session(request)
    if len(sent) >= CODES_PER_SESSION_HOUR:
        messages.error(request, str(verification.TOO_MANY_FROM_HERE))
        return redirect("appointments:verify", *args)
    try:
        request.session[CODE_NONCE] = verification.send_code(
            hall=service.hall,
            phone=PhoneNumber.from_string(draft["phone"]),
            language=draft.get("language") or get_language(),
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


@require_http_methods(["GET", "POST"])
def verify(request, slug, code, date, slot_id):
    """The code texted after question page 1; then on to the first page not yet answered."""
    service, slot, args = flow(slug, code, date, slot_id)
    draft = draft_for(request, slot)
    if draft is None:
        return restart(request, slot, args)
    if not needs_phone_code(request, draft):
        return redirect(missing_step(draft) or "appointments:confirm", *args)
    if request.method == "POST" and "resend" in request.POST:
        return _send_phone_code(request, service, draft, args)
    form = VerifyForm(posted(request))
    if request.method == "POST" and form.is_valid():
        refusal = verification.check_code(
            nonce=request.session.get(CODE_NONCE, ""), phone=draft["phone"], code=form.cleaned_data["code"]
        )
        if refusal is None:
            request.session[VERIFIED_PHONE] = draft["phone"]
            return redirect(missing_step(draft) or "appointments:confirm", *args)
        form.add_error("code", refusal)
    phone = PhoneNumber.from_string(draft["phone"])
    context = {"hall": service.hall, "service": service, "slot": slot, "form": form, "args": args}
    context |= {"phone": phone, "next_send_at": verification.next_send_at(phone)}
    return render(request, "appointments/verify.html", context)
