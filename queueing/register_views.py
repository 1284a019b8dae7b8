"""The day's register (预约登记簿) for the staff of a hall: a list page to read and print."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from hall import access
from queueing import register


@login_required
def register_page(request, slug):
    hall = access.staff_in_hall(request.user, slug).hall
    today, error = hall.local_date(timezone.now()), None
    try:
        date = register.parse_date(request.GET.get("date"), today)
    except register.DateError as refusal:
        date, error = today, refusal.message
    context = {
        "hall": hall,
        "register": register.build(hall, date),
        "today": today,
        "previous_day": date - dt.timedelta(days=1),
        "next_day": date + dt.timedelta(days=1),
        "error": error,
    }
    return render(request, "queueing/register.html", context)
