"""The supervisor's pages: the report of a day or range (with CSV and XLSX), the staffing plan and today's
live view. Every view loads the hall through reports.access."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments import verification
from hall import access, audit, calendar
from hall.models import AuditAction, Device, HolidaySchedule
from queueing import closing
from queueing.forms import ExtendClosingForm
from queueing.models import Ticket
from reports import charts, exports, live, plan, plan_sections, report
from reports.figures import Report
from reports.periods import PeriodError, parse_period

COMPARISON_LABELS = {
    "issued": _("Tickets issued"),
    "served": _("Served"),
    "no_show": _("No-shows"),
    "cancelled": _("Bookings cancelled"),
    "wait_mean": _("Mean wait (min)"),
    "wait_p90": _("90th percentile wait (min)"),
    "handling_mean": _("Mean handling (min)"),
    "sla_percent": _("Waited less than the target (%)"),
    "rating": _("Average rating"),
}
LIVE_REFRESH_SECONDS = 10


def _period(request, hall):
    today = hall.local_date(timezone.now())
    try:
        return parse_period(request.GET, today), None
    except PeriodError as error:
        return (today, today), error.message


def report_charts(result: Report) -> list[charts.Chart]:
    hours = [f"{h:02d}" for h, _a, _s in result.hours]
    found = [
        charts.bar_chart(
            _("Arrivals and tickets served per hour"),
            hours,
            [
                (str(_("arrivals")), [a for _h, a, _s in result.hours]),
                (str(_("served")), [s for _h, _a, s in result.hours]),
            ],
            whole=True,
        ),
        charts.bar_chart(
            _("Wait per service (minutes)"),
            [r.label.split(" ", 1)[0] for r in result.by_service],  # the prefix letter; names are below
            [
                (str(_("mean")), [r.wait.mean or 0 for r in result.by_service]),
                (str(_("90th percentile")), [r.wait.p90 or 0 for r in result.by_service]),
            ],
        ),
    ]
    if result.days > 1:
        days = [r.key.strftime("%m-%d") for r in result.by_day]
        found.append(
            charts.line_chart(
                _("Tickets issued and served per day"),
                days,
                [
                    (str(_("issued")), [r.issued for r in result.by_day]),
                    (str(_("served")), [r.served for r in result.by_day]),
                ],
                whole=True,
            )
        )
    return found


@login_required
def dashboard(request, slug):
    hall = access.supervisor_in_hall(request.user, slug).hall
    (first, last), error = _period(request, hall)
    result = report.build(hall, first, last)
    comparison = [
        (COMPARISON_LABELS[name], now, before, change) for name, now, before, change in result.comparison()
    ]
    context = {
        "hall": hall,
        "nav": "dashboard",
        "report": result,
        "error": error,
        "charts": report_charts(result),
        "comparison": comparison,
        "query": request.GET.urlencode(),
        "previous": (result.previous.first, result.previous.last),
        "is_day": first == last,
        # A day without tickets (today before opening, a closed day): where the last day with tickets is.
        "last_day": _last_day_with_tickets(hall, first) if first == last and not result.issued else None,
        # The day links step over days the hall is closed (a Monday's "previous" is Saturday or Friday).
        "day_before": result.previous.first,
        "day_after": (calendar.open_day_near(hall.schedule(), first, 1) or first + dt.timedelta(days=1))
        if first == last
        else None,
        "printer_trouble": Device.objects.with_printer_trouble().filter(hall=hall),
        "code_budget": verification.budget_warning(hall, timezone.now()),
        "holidays_due": calendar.schedule_warning_due(
            hall.local_date(timezone.now()), HolidaySchedule.entered()
        ),
    }
    return render(request, "reports/dashboard.html", context)


def _last_day_with_tickets(hall, before: dt.date) -> dt.date | None:
    found = Ticket.objects.filter(hall=hall, date__lt=before).order_by("-date").values_list("date", flat=True)
    return found.first()


def _export(request, slug, extension: str, content_type: str, write):
    hall = access.supervisor_in_hall(request.user, slug).hall
    (first, last), _error = _period(request, hall)
    result = report.build(hall, first, last, compare=False)
    # The export names staff members beside their figures (no citizen's data): logged as a staff action.
    detail = f"{extension} {first.isoformat()}..{last.isoformat()}"
    audit.record_request(request, action=AuditAction.REPORT_EXPORTED, hall=hall, detail=detail)
    response = HttpResponse(write(result), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(result, extension)}"'
    return response


@login_required
def export_csv(request, slug):
    return _export(request, slug, "csv", "text/csv; charset=utf-8", exports.to_csv)


@login_required
def export_xlsx(request, slug):
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _export(request, slug, "xlsx", xlsx, exports.to_xlsx)


@login_required
def staffing(request, slug):
    hall = access.supervisor_in_hall(request.user, slug).hall
    today = hall.local_date(timezone.now())
    error = None
    try:
        date = parse_period(request.GET, today + dt.timedelta(days=1))[0]
    except PeriodError as refusal:
        date, error = today + dt.timedelta(days=1), refusal.message
    day_plan = plan.build_plan(hall, date)
    schedule = hall.schedule()
    context = {
        "hall": hall,
        "nav": "staffing",
        "plan": day_plan,
        "sections": plan_sections.render(request, day_plan),
        "error": error,
        # A plan is for a day the hall is open: the links step over closed days.
        "day_before": calendar.open_day_near(schedule, date, -1) or date - dt.timedelta(days=1),
        "day_after": calendar.open_day_near(schedule, date, 1) or date + dt.timedelta(days=1),
    }
    return render(request, "reports/staffing.html", context)


@login_required
def live_view(request, slug):
    hall = access.supervisor_in_hall(request.user, slug).hall
    now = timezone.now()
    view = live.live_view(hall, now)
    context = {
        "hall": hall,
        "nav": "live",
        "live": view,
        "refresh": LIVE_REFRESH_SECONDS,
        "closing": closing.closing_of(hall, now),
        "extend_form": ExtendClosingForm(),
    }
    return render(request, "reports/live.html", context)
