from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_POST

from hall import calendar
from hall.context_processors import LARGE_TEXT_COOKIE
from hall.models import Hall, Notice, Service
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
