"""The hall's side: the supervisor decides and schedules; the two staff members (or the supervisor) record
the outcome. Every view loads the visit through homevisits.access."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from hall import access, audit
from hall.models import AuditAction
from homevisits import services
from homevisits.access import access_visit, access_visit_as_supervisor
from homevisits.forms import OutcomeForm, ReasonForm, ScheduleForm
from homevisits.models import HomeVisit
from homevisits.services import VisitError
from homevisits.views import visit_context


def _actor(request) -> services.Actor:
    return services.Actor("staff", request.user)


@login_required
def visit_list(request, slug):
    staff = access.staff_in_hall(request.user, slug)
    hall, is_supervisor = staff.hall, staff.is_supervisor
    visits = HomeVisit.objects.filter(hall=hall).select_related("service").pending_first()
    if not is_supervisor:
        visits = visits.for_staff_member(request.user)
    now = timezone.now()
    rows = [(visit, now - visit.created_at) for visit in visits[:200]]
    return render(
        request,
        "homevisits/staff_list.html",
        {"hall": hall, "rows": rows, "is_supervisor": is_supervisor},
    )


@login_required
def detail(request, slug, visit_id):
    return _detail_page(request, access_visit(request.user, slug, visit_id))


@login_required
@require_POST
def reveal_mobile(request, slug, visit_id):
    """Show the full mobile number to call the citizen before the visit, and log that it was shown."""
    visit = access_visit(request.user, slug, visit_id)
    audit.record_request(request, action=AuditAction.PHONE_REVEALED, hall=visit.hall, obj=visit)
    return _detail_page(request, visit, revealed_phone=visit.phone)


def _detail_page(request, visit, revealed_phone=None):
    context = {
        **visit_context(visit),
        "is_supervisor": access.own_staff(request.user).is_supervisor,
        "absences": visit.absences.select_related("counter"),
        "staff_members": visit.staff.all(),
        "revealed_phone": revealed_phone,
    }
    return render(request, "homevisits/staff_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def schedule(request, slug, visit_id):
    visit = access_visit_as_supervisor(request.user, slug, visit_id)
    form = ScheduleForm(request.POST or None, visit=visit)
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_visit(
                visit=visit,
                start=form.start_at(),
                minutes=form.cleaned_data["minutes"],
                staff=list(form.cleaned_data["staff"]),
                counters=list(form.cleaned_data["counters"]),
                actor=_actor(request),
                now=timezone.now(),
            )
        except VisitError as refusal:
            refusal.add_to(form)
        else:
            messages.success(request, _("The visit is scheduled and the citizen is told."))
            return redirect("homevisits:detail", slug, visit.pk)
    return render(request, "homevisits/staff_schedule.html", {**visit_context(visit), "form": form})


def _with_reason(request, slug, visit_id, *, template: str, act, done_message: str):
    visit = access_visit_as_supervisor(request.user, slug, visit_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            act(visit=visit, reason=form.cleaned_data["reason"], actor=_actor(request), now=timezone.now())
        except VisitError as refusal:
            refusal.add_to(form)
        else:
            messages.success(request, done_message)
            return redirect("homevisits:detail", slug, visit.pk)
    return render(request, template, {**visit_context(visit), "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def decline(request, slug, visit_id):
    return _with_reason(
        request,
        slug,
        visit_id,
        template="homevisits/staff_decline.html",
        act=services.decline_visit,
        done_message=_("The request is declined and the citizen is told why."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request, slug, visit_id):
    return _with_reason(
        request,
        slug,
        visit_id,
        template="homevisits/staff_cancel.html",
        act=services.cancel_visit,
        done_message=_("The visit is cancelled and the citizen is told why."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def outcome(request, slug, visit_id):
    visit = access_visit(request.user, slug, visit_id)
    form = OutcomeForm(request.POST or None, visit=visit)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = data["outcome"] == "done"
        try:
            services.record_outcome(
                visit=visit,
                done=done,
                missing=[] if done else list(data["missing"]),
                missing_note="" if done else data["missing_note"],
                actor=_actor(request),
                now=timezone.now(),
            )
        except VisitError as refusal:
            refusal.add_to(form)
        else:
            messages.success(request, _("The outcome is recorded and the citizen is told."))
            return redirect("homevisits:detail", slug, visit.pk)
    return render(request, "homevisits/staff_outcome.html", {**visit_context(visit), "form": form})
