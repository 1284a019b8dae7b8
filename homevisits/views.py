"""The citizen's side: request a home visit (no account, no JavaScript needed) and follow it by its link."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from appointments import limits
from hall.models import Hall, Service
from hall.net import client_ip
from homevisits import services
from homevisits.access import get_visit_by_token
from homevisits.forms import RequestForm, local_today
from homevisits.services import VisitError

REQUESTS_PER_IP_HOUR = 10


def choose_service(request, slug):
    hall = get_object_or_404(Hall, slug=slug)
    offered = hall.services.active().filter(home_visit=True)
    return render(request, "homevisits/choose_service.html", {"hall": hall, "services": offered})


@require_http_methods(["GET", "POST"])
def request_visit(request, slug, code):
    service = get_object_or_404(
        Service.objects.active().select_related("hall"), hall__slug=slug, code=code, home_visit=True
    )
    hall = service.hall
    initial = {"language": "en" if get_language() == "en" else "zh-hans"}
    form = RequestForm(request.POST or None, initial=initial, today=local_today(hall))
    error = None
    if request.method == "POST" and form.is_valid():
        if limits.hit_rate_limit("visit-ip", client_ip(request), REQUESTS_PER_IP_HOUR):
            error = limits.RATE_LIMITED
        else:
            try:
                visit = services.request_visit(service=service, request=_request(form), now=timezone.now())
            except VisitError as refusal:
                error = refusal.message
            else:
                messages.success(
                    request, _("Your request has been sent. Keep this page's address to follow it.")
                )
                return redirect("homevisits:status", visit.token)
    return render(
        request, "homevisits/request.html", {"hall": hall, "service": service, "form": form, "error": error}
    )


def _request(form) -> services.Request:
    data = form.cleaned_data
    return services.Request(
        person_name=data["person_name"],
        id_number=data["id_number"],
        requester_name=data["requester_name"],
        relationship=data["relationship"],
        phone=data["phone"],
        reason=data["reason"],
        reason_note=data["reason_note"],
        address=data["address"],
        preferred_dates=form.preferred_dates,
        contact_notes=data["contact_notes"],
        language=data["language"],
    )


def visit_context(visit) -> dict:
    return {
        "visit": visit,
        "hall": visit.hall,
        "service": visit.service,
        "events": visit.events.all(),
        "missing": visit.missing.all(),
    }


def status(request, token):
    visit = get_visit_by_token(token)
    return render(request, "homevisits/status.html", visit_context(visit))


@require_http_methods(["GET", "POST"])
def cancel(request, token):
    visit = get_visit_by_token(token)
    error = None
    if request.method == "POST":
        try:
            services.cancel_visit(visit=visit, actor=services.Actor("web"), now=timezone.now())
        except VisitError as refusal:
            error = refusal.message
        else:
            messages.success(request, _("Your request has been cancelled."))
            return redirect("homevisits:status", token)
    return render(request, "homevisits/cancel.html", {**visit_context(visit), "error": error})
