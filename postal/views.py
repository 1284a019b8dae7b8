"""Citizens' pages: apply to finish a service by post, follow a postal item, have a finished document
posted. No account: the links carry unguessable tokens."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from appointments.limits import hit_rate_limit
from appointments.services import Actor
from hall.models import Hall
from hall.net import client_ip
from hall.privacy import hash_phone
from postal import access, services
from postal.forms import AddressForm, ApplyForm
from postal.messages import opening_hours
from postal.models import PickupState, PostalState
from postal.services import PostalError

CANCELLED = _("Your postal application is cancelled.")
POSTING_REQUESTED = _("We will post your document to this address.")
TOO_MANY = _("Too many applications from this mobile number or network today. Please try again tomorrow.")
# Each application sends a text message: limits keep the form from being used to flood a number.
APPLICATIONS_PER_ADDRESS_HOUR = 20
APPLICATIONS_PER_MOBILE_DAY = 3


def _over_limit(request, phone) -> bool:
    by_address = hit_rate_limit("postal-ip", client_ip(request), APPLICATIONS_PER_ADDRESS_HOUR)
    by_mobile = hit_rate_limit("postal-phone", hash_phone(phone), APPLICATIONS_PER_MOBILE_DAY, 24 * 3600)
    return by_address or by_mobile


def citizen_actor(request) -> Actor:
    return Actor("web", ip=client_ip(request))


def apply(request, slug):
    hall = get_object_or_404(Hall, slug=slug)
    by_post = hall.services.active().filter(by_post=True)
    if not by_post.exists():
        return render(request, "postal/apply.html", {"hall": hall, "form": None}, status=404)
    initial = {"service": by_post.filter(code=request.GET.get("service", "")).first(), "language": "zh-hans"}
    form = ApplyForm(request.POST if request.method == "POST" else None, services=by_post, initial=initial)
    if request.method == "POST" and form.is_valid():
        if _over_limit(request, form.cleaned_data["phone"]):
            form.add_error(None, TOO_MANY)
            return render(request, "postal/apply.html", {"hall": hall, "form": form}, status=429)
        try:
            item = services.apply_by_post(
                service=form.cleaned_data["service"],
                applicant=form.applicant(),
                address=form.address(),
                actor=citizen_actor(request),
            )
        except PostalError as refusal:
            refusal.add_to(form)
        else:
            return redirect("postal:track", item.token)
    return render(request, "postal/apply.html", {"hall": hall, "form": form})


def track(request, token):
    item = access.get_item_by_token(token)
    return render(
        request,
        "postal/track.html",
        {
            "hall": item.hall,
            "item": item,
            "events": item.events.all(),
            "can_cancel": item.state == PostalState.APPLIED,
        },
    )


@require_POST
def cancel(request, token):
    item = access.get_item_by_token(token)
    try:
        services.cancel_postal(item=item, actor=citizen_actor(request))
    except PostalError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, CANCELLED)
    return redirect("postal:track", item.token)


def pickup(request, token):
    found = access.get_pickup_by_token(token)
    return render(
        request,
        "postal/pickup.html",
        {
            "hall": found.hall,
            "pickup": found,
            "hours": opening_hours(found.hall),
            "can_post": found.state == PickupState.READY and found.service.by_post,
        },
    )


def pickup_post(request, token):
    found = access.get_pickup_by_token(token)
    if found.state != PickupState.READY or not found.service.by_post:
        return redirect("postal:pickup", found.token)
    initial = {"recipient": found.name, "recipient_phone": found.phone}
    form = AddressForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.post_pickup(pickup=found, address=form.address(), actor=citizen_actor(request))
        except PostalError as refusal:
            messages.error(request, refusal.message)
            return redirect("postal:pickup", found.token)
        messages.success(request, POSTING_REQUESTED)
        return redirect("postal:track", item.token)
    return render(request, "postal/pickup_post.html", {"hall": found.hall, "pickup": found, "form": form})
