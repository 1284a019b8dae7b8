"""The supervisor's audit log page."""

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hall import access
from reports import audit
from reports.periods import PeriodError, parse_period

PAGE_SIZE = 50
UNKNOWN_CHOICE = _("Choose one of the listed values.")


class AuditFilterForm(forms.Form):
    staff = forms.TypedChoiceField(
        label=_("Staff member"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": UNKNOWN_CHOICE},
    )
    action = forms.ChoiceField(
        label=_("Action"), required=False, error_messages={"invalid_choice": UNKNOWN_CHOICE}
    )

    def __init__(self, data, *, hall):
        super().__init__(data)
        self.fields["staff"].choices = [("", _("everyone")), *audit.staff_choices(hall)]
        self.fields["action"].choices = [("", _("all actions")), *audit.ACTIONS.items()]


def _day_bounds(hall, first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(first, dt.time(0), tzinfo=hall.tz)
    return start, dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=hall.tz)


@login_required
def audit_log(request, slug):
    hall = access.supervisor_in_hall(request.user, slug).hall
    today = hall.local_date(timezone.now())
    error = None
    try:
        first, last = parse_period(request.GET, today)
    except PeriodError as refusal:
        (first, last), error = (today, today), refusal.message
    form = AuditFilterForm(request.GET, hall=hall)
    chosen = form.cleaned_data if form.is_valid() else {}
    filters = audit.Filters(first, last, chosen.get("staff"), chosen.get("action") or "")
    rows = audit.lines(hall, filters, *_day_bounds(hall, first, last))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "hall": hall,
        "nav": "audit",
        "form": form,
        "error": error,
        "first": first,
        "last": last,
        "page": page,
        "lines": audit.present(page.object_list, hall),
        "query": query.urlencode(),
    }
    return render(request, "reports/audit_log.html", context)
