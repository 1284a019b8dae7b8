"""Staff pages of the escalation chain: escalate a call-back's question, one escalation with its actions, and
the hall's escalations (answers to pass on, questions waiting at a level). Loads go through
consultations.access; changes only through consultations.escalation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consultations import escalation as chain
from consultations.access import access_call_back, access_escalation
from consultations.escalation_forms import AnswerForm, EscalateForm, FurtherForm, PassOnForm
from consultations.models import Escalation
from consultations.services import ConsultationError
from consultations.views import call_back_page
from hall import access


def _rows(escalations, now):
    return [{"escalation": e, "overdue": e.is_overdue(now)} for e in escalations]


def _listed(queryset):
    return queryset.select_related("level", "first_taker", "consultation__service").order_by("deadline", "id")


@login_required
@require_POST
def escalate(request, slug, call_back_id):
    staff, call_back = access_call_back(request.user, slug, call_back_id)
    form = EscalateForm(request.POST)
    if form.is_valid():
        try:
            escalation = chain.escalate(call_back=call_back, user=request.user, **form.cleaned_data)
        except ConsultationError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(
                request,
                _("Escalated to %(level)s; the answer is due by %(deadline)s.")
                % {"level": escalation.level.name, "deadline": _local(escalation.deadline, staff.hall)},
            )
            return redirect("consultations:escalation", slug, escalation.pk)
    return call_back_page(request, staff, call_back, escalate_form=form, status=400)


def _local(instant, hall) -> str:
    return timezone.localtime(instant, hall.tz).strftime("%Y-%m-%d %H:%M")


def _detail(request, staff, escalation, *, status=200, **forms):
    now = timezone.now()
    is_first_taker = escalation.first_taker_id == request.user.pk
    may_decide = is_first_taker or staff.is_supervisor
    context = {
        "hall": staff.hall,
        "staff": staff,
        "escalation": escalation,
        "overdue": escalation.is_overdue(now),
        "levels": chain.levels(staff.hall),
        "next_level": chain.next_level(escalation) if escalation.state == "open" else None,
        "events": escalation.events.select_related("actor", "level"),
        "call_back": getattr(escalation.consultation, "call_back", None) if escalation.consultation else None,
        "is_first_taker": is_first_taker,
        "may_decide": may_decide,
        "further_form": forms.get("further_form") or FurtherForm(),
        "answer_form": forms.get("answer_form") or AnswerForm(),
        "pass_on_form": forms.get("pass_on_form") or PassOnForm(),
        "form": next(iter(forms.values()), None),  # the one with errors, for the error summary
    }
    return render(request, "consultations/escalation.html", context, status=status)


@login_required
def escalation_detail(request, slug, escalation_id):
    staff, escalation = access_escalation(request.user, slug, escalation_id)
    return _detail(request, staff, escalation)


def _act(request, slug, escalation_id, form_class, name, action, done_message):
    staff, escalation = access_escalation(request.user, slug, escalation_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(escalation, form.cleaned_data)
        except ConsultationError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, done_message)
            return redirect("consultations:escalation", slug, escalation.pk)
    return _detail(request, staff, escalation, status=400, **{name: form})


@login_required
@require_POST
def escalate_further(request, slug, escalation_id):
    def further(escalation, data):
        chain.escalate_further(
            escalation=escalation, user=request.user, owner_name=data["owner_name"], to_rank=data["to_rank"]
        )

    return _act(request, slug, escalation_id, FurtherForm, "further_form", further, _("Escalated further."))


@login_required
@require_POST
def record_answer(request, slug, escalation_id):
    def answer(escalation, data):
        chain.record_answer(escalation=escalation, user=request.user, answer=data["answer"])

    done = _("Answer recorded; it is with the first taker to pass on.")
    return _act(request, slug, escalation_id, AnswerForm, "answer_form", answer, done)


@login_required
@require_POST
def pass_on(request, slug, escalation_id):
    def passed(escalation, data):
        chain.pass_on(escalation=escalation, user=request.user, how=data["how"])

    done = _("Answer passed on; the question is closed.")
    return _act(request, slug, escalation_id, PassOnForm, "pass_on_form", passed, done)


@login_required
def hall_escalations(request, slug):
    """Answers to pass on (the first taker's own; a supervisor sees all) and the questions waiting at a
    level (all of the hall's: whoever receives an answer records it), earliest deadline first."""
    staff = access.staff_in_hall(request.user, slug)
    now = timezone.now()
    escalations = Escalation.objects.filter(hall=staff.hall)
    to_pass_on = escalations.to_pass_on()
    if not staff.is_supervisor:
        to_pass_on = to_pass_on.filter(first_taker=request.user)
    context = {
        "hall": staff.hall,
        "staff": staff,
        "to_pass_on": _rows(_listed(to_pass_on), now),
        "waiting": _rows(_listed(escalations.open()), now),
    }
    return render(request, "consultations/escalations.html", context)
