"""The web booking's draft: what the citizen answered on the question pages, kept in the session.

The session (a database row, signed but not encrypted) never holds the ID number itself: its question
page keeps only its HMAC and masked form. The draft fills up page by page (name and mobile, then the ID
number, then the party); `missing_step` says which question page still has to be answered.
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

DRAFT = "booking_draft"
VERIFIED_PHONE = "booking_verified_phone"

# The question pages in their order (URL names) and the draft keys each one fills.
STEPS = [
    ("appointments:details", ("name", "phone")),
    ("appointments:details_id", ("id_hash", "id_masked")),
    ("appointments:details_more", ("persons", "green_channel", "green_note", "language")),
]


def any_draft(request) -> dict:
    """This session's draft, for any arrival time ({} when none; one from before the draft kept hashes
    only, holding a number in clear, is dropped)."""
    draft = request.session.get(DRAFT) or {}
    if "id_number" in draft:
        request.session.pop(DRAFT)
        return {}
    return draft


def draft_for(request, slot) -> dict | None:
    draft = any_draft(request)
    return draft if draft.get("slot") == slot.pk and "phone" in draft else None


def save_answers(request, slot, answers: dict) -> dict:
    """Add one question page's answers to the draft for `slot` and return it. A draft begun for another
    arrival time keeps its answers but not the further services chosen for that time."""
    earlier = any_draft(request)
    if earlier.get("slot") != slot.pk:
        earlier = {**earlier, "slot": slot.pk, "also": []}
    draft = {**earlier, **answers}
    request.session[DRAFT] = draft
    if not request.user.is_authenticated:
        # The draft holds the name and mobile until the booking is made: an abandoned one
        # goes BOOKING_DRAFT_MINUTES after the last step (erased nightly with the expired sessions).
        request.session.set_expiry(settings.BOOKING_DRAFT_MINUTES * 60)
    return draft


def missing_step(draft: dict) -> str | None:
    """The URL name of the first question page not yet answered (None: all are)."""
    for name, keys in STEPS:
        if any(key not in draft for key in keys):
            return name
    return None


def step_after(name: str) -> str:
    names = [step for step, _keys in STEPS]
    index = names.index(name) + 1
    return names[index] if index < len(names) else "appointments:confirm"


def needs_phone_code(request, draft: dict) -> bool:
    return settings.BOOKING_SMS_CODE and request.session.get(VERIFIED_PHONE) != draft["phone"]


BOOKED = "booking_booked_slots"


def restart(request, slot, args):
    """The draft is gone: the booking was made (back button) or the session expired."""
    token = request.session.get(BOOKED, {}).get(str(slot.pk))
    if token:
        return redirect("appointments:booked", token)
    messages.info(request, _("Please enter your details again."))
    return redirect("appointments:details", *args)
