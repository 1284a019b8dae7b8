"""The plan page's "Checked by simulation" section (drawn through reports.plan_sections) and the button
that asks for a check: a supervisor of the hall posts the plan's day, a PlanCheck row is queued and its
RQ job enqueued after commit (simulation/plan_check_jobs.py)."""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hall import access
from reports.plan import Plan
from simulation import plan_check, plan_check_jobs, plan_demand
from simulation.job_models import JobState
from simulation.plan_check_models import PlanCheck


def _rows(result: dict, available: int) -> list[dict]:
    """Per hour: Erlang C's counters and the checked plan's (`short`: more than the hall's `available`
    windows, as the plan's own table says of its hours)."""
    start = result["start"]["counters"]
    checked = (result.get("checked") or {}).get("counters", {})
    return [
        {
            "hour": int(h),
            "erlang": n,
            "checked": checked.get(h),
            "changed": checked.get(h, n) != n,
            "short": (checked.get(h) or 0) > available,
        }
        for h, n in sorted(start.items(), key=lambda item: int(item[0]))
    ]


def _summary(result: dict) -> list[dict]:
    rows = [("erlang", _("Erlang C (this page)"), result["start"])]
    if result.get("checked"):
        rows.append(("checked", _("Checked plan"), result["checked"]))
    return [
        {
            "key": key,
            "label": label,
            "counter_hours": trial["counter_hours"],
            "percent": 100 * trial["share"],
            "worst": 100 * min(trial["seed_shares"], default=trial["share"]),
            "meets": trial["meets"],
        }
        for key, label, trial in rows
    ]


def plan_section(request: HttpRequest, plan: Plan) -> SafeString:
    checks = PlanCheck.objects.filter(hall=plan.hall, date=plan.date).order_by("-requested_at", "-pk")
    latest = checks.first()
    done = checks.filter(state=JobState.DONE).first()  # shown while a newer one runs or failed
    result = done.result if done else None
    context = {
        "plan": plan,
        "check": latest,
        "busy": plan_check_jobs.busy(latest),
        "result": result,
        "rows": _rows(result, plan.available) if result else [],
        "summary": _summary(result) if result else [],
        "finished": done.finished_at if done else None,
        "result_seeds": len(result["seeds"]) if result else 0,
        "outdated": bool(result)
        and (
            {str(h): n for h, n in plan_demand.plan_counters(plan).items()} != result["start"]["counters"]
            or round(100 * result["goal"]) != plan.goal
        ),
        "can_check": plan.expects_anyone,
        "goal_percent": plan.goal,  # the plan's, which the check checks (plan_check_jobs.check)
        "seeds": len(plan_check.SEEDS),
        "max_plans": plan_check.MAX_PLANS,
    }
    return render_to_string("simulation/plan_check.html", context, request=request)


@login_required
@require_POST
def start(request: HttpRequest, slug: str):
    hall = access.supervisor_in_hall(request.user, slug).hall
    staffing = reverse("reports:staffing", args=[hall.slug])
    try:
        date = dt.date.fromisoformat(request.POST.get("date", "").strip())
    except ValueError:
        messages.error(request, _("Choose a valid day (YYYY-MM-DD) to check its plan."))
        return redirect(staffing)
    back = f"{staffing}?{urlencode({'date': date.isoformat()})}#plan-check"
    if plan_check_jobs.request(hall, date, request.user) is None:
        messages.info(request, _("This plan is already being checked."))
        return redirect(back)
    messages.success(request, _("The check has started. It takes a few minutes; reload this page to see it."))
    return redirect(back)
