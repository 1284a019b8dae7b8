"""The day's register (预约登记簿) for the staff of a hall: a list page to read and print."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from hall import access
from hall.calendar import open_day_near
from queueing import register


@login_required
def register_page(request, slug):
    hall = access.staff_in_hall(request.user, slug).hall
    today, error = hall.local_date(timezone.now()), None
    try:
        date = register.parse_date(request.GET.get("date"), today)
    except register.DateError as refusal:
        date, error = today, refusal.message
    schedule = hall.schedule()
    context = {
        "hall": hall,
        "register": register.build(hall, date),
        "today": today,
        # Steps over days the hall is closed (weekends, holidays, closures): nobody is booked there.
        "previous_day": open_day_near(schedule, date, -1) or date - dt.timedelta(days=1),
        "next_day": open_day_near(schedule, date, 1) or date + dt.timedelta(days=1),
        "error": error,
    }
    return render(request, "queueing/register.html", context)
