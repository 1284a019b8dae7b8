"""The supervisor's consultation figures, on their own page beside the report (the counting is in
consultations.figures)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from consultations import figures
from hall import access
from reports.periods import PeriodError, parse_period


@login_required
def consultations_page(request, slug):
    hall = access.supervisor_in_hall(request.user, slug).hall
    today, error = hall.local_date(timezone.now()), None
    try:
        first, last = parse_period(request.GET, today)
    except PeriodError as refusal:
        (first, last), error = (today, today), refusal.message
    context = {
        "hall": hall,
        "nav": "consultations",
        "figures": figures.build(hall, first, last, timezone.now()),
        "error": error,
        "is_day": first == last,
    }
    return render(request, "reports/consultations.html", context)
