"""Staff pages: log a consultation, my call-backs, the hall's call-backs (supervisors), one call-back with its
actions. Every view loads through consultations.access and changes state only through services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consultations import services
from consultations.access import access_call_back
from consultations.escalation import levels_shown as escalation_levels
from consultations.escalation_forms import EscalateForm
from consultations.forms import AttemptForm, ConsultationForm, ReassignForm
from consultations.models import CallBack, CallBackState, Escalation
from hall import access, audit
from hall.models import AuditAction
from hall.redirects import path_on_this_site


def _next_url(request) -> str | None:
    return path_on_this_site(request, request.POST.get("next") or request.GET.get("next") or "")


@login_required
def log_consultation(request, slug):
    staff = access.staff_in_hall(request.user, slug)
    hall = staff.hall
    form = ConsultationForm(request.POST or None, hall=hall)
    if request.method == "POST" and form.is_valid():
        try:
            consultation = services.log_consultation(hall=hall, user=request.user, **form.cleaned_data)
        except services.ConsultationError as error:
            form.add_error(None, error.message)
        else:
            call_back = getattr(consultation, "call_back", None)
            if call_back is None:
                messages.success(request, _("Consultation logged."))
            else:
                due = timezone.localtime(call_back.due_at, hall.tz)
                messages.success(
                    request,
                    _("Consultation logged. You call back on %(date)s from %(time)s.")
                    % {"date": due.strftime("%Y-%m-%d"), "time": due.strftime("%H:%M")},
                )
            return redirect(_next_url(request) or reverse("consultations:log", args=[hall.slug]))
    context = {"hall": hall, "staff": staff, "form": form, "next": _next_url(request) or ""}
    return render(request, "consultations/log.html", context)


def _rows(call_backs, hall, now):
    today = hall.local_date(now)
    return [
        {
            "call_back": cb,
            "overdue": cb.is_overdue(now),
            "due_today": hall.local_date(cb.due_at) == today,
        }
        for cb in call_backs
    ]


def _listed(queryset):
    return queryset.select_related(
        "owner", "consultation__service", "consultation__escalation__level"
    ).in_order()


@login_required
def my_call_backs(request, slug):
    staff = access.staff_in_hall(request.user, slug)
    now = timezone.now()
    call_backs = _listed(CallBack.objects.filter(hall=staff.hall).owned_by(request.user).open())
    to_pass_on = Escalation.objects.filter(hall=staff.hall, first_taker=request.user).to_pass_on()
    context = {
        "hall": staff.hall,
        "staff": staff,
        "rows": _rows(call_backs, staff.hall, now),
        "now": now,
        "to_pass_on": to_pass_on.select_related("level", "consultation").order_by("answered_at", "id"),
    }
    return render(request, "consultations/my_call_backs.html", context)


@login_required
def hall_call_backs(request, slug):
    staff = access.supervisor_in_hall(request.user, slug)
    now = timezone.now()
    overdue_only = request.GET.get("show") == "overdue"
    open_ones = CallBack.objects.filter(hall=staff.hall)
    open_ones = open_ones.overdue(now) if overdue_only else open_ones.open()
    to_close = CallBack.objects.filter(
        hall=staff.hall, state__in=[CallBackState.DONE, CallBackState.UNREACHABLE]
    )
    context = {
        "hall": staff.hall,
        "staff": staff,
        "rows": _rows(_listed(open_ones), staff.hall, now),
        "to_close": _rows(_listed(to_close), staff.hall, now),
        "overdue_only": overdue_only,
        "overdue_count": CallBack.objects.filter(hall=staff.hall).overdue(now).count(),
    }
    return render(request, "consultations/hall_call_backs.html", context)


def call_back_page(request, staff, call_back, *, revealed=False, status=200, escalate_form=None):
    """One call-back with its actions; its escalation, or the form to escalate its question."""
    escalation = Escalation.objects.filter(consultation_id=call_back.consultation_id).first()
    context = {
        "hall": staff.hall,
        "staff": staff,
        "call_back": call_back,
        "overdue": call_back.is_overdue(timezone.now()),
        "attempts": call_back.attempts.select_related("by"),
        "events": call_back.events.select_related("by", "from_owner", "to_owner"),
        "is_owner": call_back.owner_id == request.user.pk,
        "revealed": revealed,
        "attempt_form": AttemptForm(),
        "reassign_form": ReassignForm(hall=staff.hall) if staff.is_supervisor else None,
        "escalation": escalation,
        "escalate_form": escalate_form or EscalateForm(),
        "form": escalate_form,  # for the error summary
        "first_level": escalation_levels(staff.hall)[0] if escalation is None else None,
    }
    return render(request, "consultations/call_back.html", context, status=status)


@login_required
def call_back_detail(request, slug, call_back_id):
    staff, call_back = access_call_back(request.user, slug, call_back_id)
    return call_back_page(request, staff, call_back)


@login_required
@require_POST
def reveal_mobile(request, slug, call_back_id):
    """The owner, about to call, sees the whole number; each time is in the audit log."""
    staff, call_back = access_call_back(request.user, slug, call_back_id)
    refusal = None
    if call_back.state != CallBackState.OPEN:
        refusal = services.NOT_OPEN % {"state": call_back.get_state_display()}
    elif call_back.owner_id != request.user.pk:
        refusal = services.NOT_OWNER
    if refusal is not None:
        messages.error(request, refusal)
        return redirect("consultations:call_back", slug, call_back.pk)
    audit.record_request(request, action=AuditAction.PHONE_REVEALED, hall=staff.hall, obj=call_back)
    return call_back_page(request, staff, call_back, revealed=True)


def _act(request, slug, call_back_id, action, done_message):
    staff, call_back = access_call_back(request.user, slug, call_back_id)
    try:
        action(staff, call_back)
    except services.ConsultationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done_message)
    return redirect("consultations:call_back", slug, call_back.pk)


@login_required
@require_POST
def record_attempt(request, slug, call_back_id):
    form = AttemptForm(request.POST)

    def attempt(staff, call_back):
        if not form.is_valid():
            raise services.ConsultationError("bad_result", _("Choose how the call went."))
        services.record_attempt(call_back=call_back, user=request.user, result=form.cleaned_data["result"])

    return _act(request, slug, call_back_id, attempt, _("Call recorded."))


@login_required
@require_POST
def mark_unreachable(request, slug, call_back_id):
    def give_up(staff, call_back):
        services.mark_unreachable(call_back=call_back, user=request.user)

    return _act(request, slug, call_back_id, give_up, _("Marked unreachable."))


@login_required
@require_POST
def close_call_back(request, slug, call_back_id):
    def close(staff, call_back):
        services.close_call_back(call_back=call_back, user=request.user)

    return _act(request, slug, call_back_id, close, _("Call-back closed."))


@login_required
@require_POST
def reassign_call_back(request, slug, call_back_id):
    def reassign(staff, call_back):
        form = ReassignForm(request.POST, hall=staff.hall)
        if not form.is_valid():
            raise services.ConsultationError("owner_not_in_hall", services.OWNER_NOT_IN_HALL)
        services.reassign_call_back(call_back=call_back, user=request.user, owner=form.cleaned_data["owner"])

    return _act(request, slug, call_back_id, reassign, _("Call-back handed over."))
