"""The supervisor's what-if pages: the form (starting from the staffing plan), a run's progress and its
result as charts, and the progress as JSON for the page's script. Supervisors of the hall only: another
hall's run is a 404 (hall.access)."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from hall import access
from reports import charts
from reports.plan import build_plan
from simulation import whatif
from simulation.job_models import JobState
from simulation.scenario import DAY_TYPES
from simulation.whatif_forms import DAY_TYPE_LABELS, StartForm, WhatIfForm
from simulation.whatif_models import WhatIfRun

DEFAULT_DAY = whatif.DEFAULT_DAY
KNOWN_DAYS = (whatif.PLAN, *DAY_TYPES)
RUNS_LISTED = 10
POLL_SECONDS = 2
REFRESH_SECONDS = 5
FAILURES = {
    whatif.NO_WORKER: _("The background worker could not be reached. Please try again later."),
    whatif.STOPPED: _("The simulation stopped before it finished. Please try again."),
    whatif.CLOSED: _("The hall opens on no day like this one to simulate."),
    whatif.CRASHED: _("The simulation failed. Please try again; if it fails again, tell the administrator."),
}


def _labelled(runs):
    runs = list(runs)
    for run in runs:
        run.day_label = DAY_TYPE_LABELS.get(run.day_type, run.day_type)
    return runs


def _page(request, hall, *, start: StartForm, form: WhatIfForm, plan: dict, date, day, demand, status=200):
    context = {
        "demand": demand,
        "hall": hall,
        "nav": "whatif",
        "start_form": start,
        "form": form,
        "plan": plan,
        "date": date,
        "day_label": DAY_TYPE_LABELS.get(day, day),
        "day": day,
        "runs": _labelled(WhatIfRun.objects.filter(hall=hall, date=date)[:RUNS_LISTED]),
        "counter_rows": [(field, plan.get(int(field.name[1:]))) for field in form.counter_fields()],
    }
    return render(request, "simulation/whatif.html", context, status=status)


@login_required
def what_if(request, slug):
    hall = access.supervisor_in_hall(request.user, slug).hall
    today = hall.local_date(timezone.now())
    params = request.POST if request.method == "POST" else request.GET
    tomorrow = today + dt.timedelta(days=1)
    start = StartForm(
        {"date": params.get("date") or tomorrow.isoformat(), "day": params.get("day") or DEFAULT_DAY}
    )
    valid = start.is_valid()
    date, day = (start.cleaned_data["date"], start.cleaned_data["day"]) if valid else (tomorrow, DEFAULT_DAY)
    built = build_plan(hall, date)
    if valid and not params.get("day"):  # unless chosen: the plan's own demand (with a history)
        day = whatif.default_day(built)
        start = StartForm({"date": date.isoformat(), "day": day})
        start.is_valid()
    plan = whatif.planned_counters(hall, date, day, built)
    demand = whatif.plan_demand(built) if day == whatif.PLAN else None
    kwargs = {"hall": hall, "hours": sorted(plan), "today": today}
    if request.method == "POST":
        form = WhatIfForm(request.POST, **kwargs)
        if valid and form.is_valid():
            run = whatif.start(hall=hall, user=request.user, inputs=form.inputs(), plan_counters=plan)
            return redirect("whatif:run", hall.slug, run.pk)
        return _page(
            request, hall, start=start, form=form, plan=plan, date=date, day=day, demand=demand, status=400
        )
    initial = {"date": date, "day": day, **{f"c{hour}": count for hour, count in plan.items()}}
    form = WhatIfForm(initial=initial, **kwargs)
    return _page(
        request,
        hall,
        start=start,
        form=form,
        plan=plan,
        date=date,
        day=day,
        demand=demand,
        status=200 if valid else 400,
    )


def _access_run(request, slug: str, run_id: int) -> WhatIfRun:
    return access.in_hall_named(
        request.user, slug, WhatIfRun.objects.select_related("hall"), supervisor=True, pk=run_id
    )


def run_charts(run: WhatIfRun) -> list[charts.Chart]:
    result = run.result
    hours = result["hours"]
    labels = [f"{h['hour']:02d}" for h in hours]
    served = [h for h in hours if h["within_target"] is not None]  # hours in which someone arrived
    return [
        charts.bar_chart(
            _("Predicted wait per hour of arrival (minutes)"),
            labels,
            [
                (str(_("mean")), [h["mean_wait"] or 0 for h in hours]),
                (str(_("90th percentile")), [h["p90_wait"] or 0 for h in hours]),
            ],
        ),
        charts.line_chart(
            _("People waiting inside and outside (most in the hour)"),
            labels,
            [
                (str(_("inside")), [h["inside"] for h in hours]),
                (str(_("outside")), [h["outside"] for h in hours]),
                (str(_("limit inside")), [result["cap_inside"]] * len(hours)),
            ],
            whole=True,
        ),
        charts.bar_chart(
            _("Called within %(target)s minutes (%% of those who arrived in the hour)")
            % {"target": result["target_minutes"]},
            [f"{h['hour']:02d}" for h in served],
            [(str(_("within the target")), [round(100 * h["within_target"]) for h in served])],
        ),
        charts.bar_chart(
            _("Counters per hour"),
            labels,
            [
                (str(_("Plan")), [run.plan_counters.get(str(h["hour"]), 0) for h in hours]),
                (str(_("what-if")), [h["counters"] for h in hours]),
            ],
            whole=True,
        ),
    ]


def _progress_label(run: WhatIfRun, percent: int | None) -> str:
    if run.state == JobState.QUEUED:
        return str(_("Waiting for the background worker…"))
    if run.state == JobState.RUNNING:
        return str(_("Simulating the day: %(percent)s %% done") % {"percent": percent or 0})
    return str(run.get_state_display())


@login_required
def run_page(request, slug, run_id):
    run = _access_run(request, slug, run_id)
    percent = whatif.progress_of(run)
    result = run.result if run.state == JobState.DONE else None
    context = {
        "hall": run.hall,
        "nav": "whatif",
        "run": run,
        "day_label": DAY_TYPE_LABELS.get(run.day_type, run.day_type),
        "percent": percent or 0,
        "progress_label": _progress_label(run, percent),
        "failure": FAILURES.get(run.error, FAILURES[whatif.CRASHED])
        if run.state == JobState.FAILED
        else None,
        "result": result,
        "charts": run_charts(run) if result else [],
        "status_url": reverse("whatif:status", args=[run.hall.slug, run.pk]),
        "poll": POLL_SECONDS,
        "refresh": REFRESH_SECONDS,
        "again_url": reverse("whatif:start", args=[run.hall.slug])
        + f"?date={run.date.isoformat()}&day={run.day_type if run.day_type in KNOWN_DAYS else DEFAULT_DAY}",
    }
    return render(request, "simulation/whatif_run.html", context)


@require_GET
@login_required
def run_status(request, slug, run_id):
    run = _access_run(request, slug, run_id)
    percent = whatif.progress_of(run)
    return JsonResponse(
        {
            "state": run.state,
            "finished": run.finished,
            "progress": percent,
            "label": _progress_label(run, percent),
        }
    )
