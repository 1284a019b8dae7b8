"""The supervisor's page for no-show blocks: look a person up by ID number, lift a block with a reason.

A refused citizen is told to call the hall for exactly this (appointments/limits.py). Only the hall's
supervisors: window staff get 403, anyone else (another hall's supervisor included) 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from appointments import people, services
from appointments.forms import LiftBlockForm, PersonLookupForm
from hall import access, audit
from hall.models import AuditAction, Hall

LIFT_EXPIRED = gettext_lazy("The lookup has expired. Look the person up again, then lift the block.")


def get_hall_for_supervisor(user, slug: str) -> Hall:
    return access.supervisor_in_hall(user, slug).hall


def _lift_forms(record, posted: LiftBlockForm | None) -> list:
    """Each mobile of the person with its own lift form (the posted one, with its error, where it was)."""
    rows = []
    for n, mobile in enumerate(record.mobiles if record else []):
        if posted is not None and posted.data.get("person") == mobile.token:
            form = posted
        else:
            form = LiftBlockForm(auto_id=f"id_lift{n}_%s", initial={"person": mobile.token})
        rows.append((mobile, form))
    return rows


def _page(request, hall, lookup_form, record=None, lift_form=None, error=None, status=200):
    context = {
        "hall": hall,
        "nav": "people",
        "form": lookup_form,
        "record": record,
        "mobiles": _lift_forms(record, lift_form),
        "lift_form": lift_form,
        "error": error,
    }
    return render(request, "appointments/people.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def person_lookup(request, slug):
    """POST, not GET: an ID number must not travel in an address (it would be logged)."""
    hall = get_hall_for_supervisor(request.user, slug)
    form = PersonLookupForm(request.POST if request.method == "POST" else None)
    record = None
    if form.is_valid():
        record = people.look_up(hall=hall, id_number=form.cleaned_data["id_number"], now=timezone.now())
        detail = f"{len(record.recent)} bookings, {len(record.mobiles)} mobiles"
        audit.record_request(request, action=AuditAction.PERSON_LOOKED_UP, hall=hall, detail=detail)
        form = PersonLookupForm()
    return _page(request, hall, form, record)


@login_required
@require_POST
def lift_block(request, slug):
    hall = get_hall_for_supervisor(request.user, slug)
    form = LiftBlockForm(request.POST)
    person = people.read_lift_token(request.POST.get("person", ""), hall)
    if person is None:
        return _page(request, hall, PersonLookupForm(), error=str(LIFT_EXPIRED), status=400)
    id_hash, phone_hash = person
    if not form.is_valid():  # the same person again, with the error
        record = people.look_up_hash(hall=hall, id_hash=id_hash, now=timezone.now())
        return _page(request, hall, PersonLookupForm(), record, lift_form=form, status=400)
    services.lift_block(
        hall=hall,
        id_hash=id_hash,
        phone_hash=phone_hash,
        user=request.user,
        reason=form.cleaned_data["reason"],
    )
    messages.success(request, _("The block is lifted. The person can book online again."))
    return redirect("appointments:person_lookup", slug=hall.slug)
