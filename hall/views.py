from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hall import audit, calendar, home_sections, services
from hall.context_processors import LARGE_TEXT_COOKIE
from hall.forms import HolidayScheduleForm
from hall.models import Hall, HolidaySchedule, Notice, Service, Staff
from hall.redirects import path_on_this_site


def _hall(slug: str) -> Hall:
    return get_object_or_404(Hall, slug=slug)


def index(request):
    halls = list(Hall.objects.all())
    if len(halls) == 1:
        return redirect("hall:home", slug=halls[0].slug)
    return render(request, "hall/index.html", {"halls": halls})


def home(request, slug):
    hall = _hall(slug)
    today = hall.local_date(timezone.now())
    hall_schedule = hall.schedule()
    return render(
        request,
        "hall/home.html",
        {
            "hall": hall,
            "today": today,
            "week": calendar.week(hall_schedule, today),
            "open_now": calendar.is_open_at(hall_schedule, timezone.now()),
            "services": hall.services.active(),
            "notices": hall.notices.current(timezone.now()).prefetch_related("services"),
            "sections": home_sections.render(request, hall),
        },
    )


def service_list(request, slug):
    hall = _hall(slug)
    return render(request, "hall/service_list.html", {"hall": hall, "services": hall.services.active()})


def service_detail(request, slug, code):
    hall = _hall(slug)
    service = get_object_or_404(Service.objects.active().prefetch_related("materials"), hall=hall, code=code)
    notices = Notice.objects.filter(hall=hall).current(timezone.now()).for_service(service)
    return render(request, "hall/service_detail.html", {"hall": hall, "service": service, "notices": notices})


@require_GET
def favicon(request):
    """/favicon.ico, which browsers ask for whatever the page links: the static icon (a day in caches)."""
    response = HttpResponseRedirect(static("favicon.ico"))
    patch_cache_control(response, public=True, max_age=24 * 3600)
    return response


@require_POST
def toggle_large_text(request):
    target = path_on_this_site(request, request.POST.get("next", "/")) or "/"
    response = HttpResponseRedirect(target)
    if request.COOKIES.get(LARGE_TEXT_COOKIE) == "1":
        response.delete_cookie(LARGE_TEXT_COOKIE)
    else:
        response.set_cookie(LARGE_TEXT_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax")
    return response


FIRST_HOLIDAY_YEAR = 2004  # chinese-calendar's first year


def require_holiday_editor(user) -> Hall | None:
    """Supervisors of any hall and administrators enter the national holiday schedule; window staff get
    403, anyone else 404. Returns the supervisor's hall (None for an administrator)."""
    if user.is_superuser:
        return audit.staff_hall(user)
    staff = Staff.objects.select_related("hall").filter(user_id=user.pk).first()
    if staff is None:
        raise Http404
    if not staff.is_supervisor:
        raise PermissionDenied
    return staff.hall


@login_required
def holiday_schedules(request):
    """The years a supervisor or administrator may enter (this year and the next two): which are entered,
    which the holiday library knows, and which are provisional."""
    hall = require_holiday_editor(request.user)
    this_year = timezone.localdate().year
    entered = set(HolidaySchedule.objects.values_list("year", flat=True))
    years = [
        {"year": year, "entered": year in entered, "library_knows": calendar.library_knows(year)}
        for year in range(max(FIRST_HOLIDAY_YEAR, this_year), this_year + 3)
    ]
    return render(request, "hall/holiday_schedules.html", {"hall": hall, "years": years})


@login_required
@require_http_methods(["GET", "POST"])
def holiday_schedule(request, year):
    hall = require_holiday_editor(request.user)
    if not FIRST_HOLIDAY_YEAR <= year <= timezone.localdate().year + 2:
        raise Http404
    entered = HolidaySchedule.objects.filter(year=year).select_related("entered_by").first()
    initial = HolidayScheduleForm.initial_for(entered.as_calendar() if entered else None)
    form = HolidayScheduleForm(request.POST if request.method == "POST" else None, year=year, initial=initial)
    if form.is_valid():
        national = form.cleaned_data["national"]
        services.enter_holiday_schedule(national=national, user=request.user, ip=audit.client_ip(request))
        messages.success(request, _("The holiday schedule for %(year)s is saved.") % {"year": year})
        return redirect("hall:holiday_schedule", year=year)
    known = calendar.library_knows(year)
    computed = sorted(calendar.statutory_holidays(year).items()) if not known else []
    return render(
        request,
        "hall/holiday_schedule.html",
        {
            "hall": hall,
            "year": year,
            "form": form,
            "entered": entered,
            "library_knows": known,
            "computed": [(date, calendar.HOLIDAY_NAMES.get(name, name)) for date, name in computed],
        },
    )
