from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django_rq.urls import urlpatterns as rq_patterns

from hall import auth_views as staff_auth
from hall import screens, views
from hall.api import method_not_allowed_as_error as api_errors
from hall.api_v1 import api
from hall.security import rq_dashboard_patterns
from queueing import live_views

hall_patterns = (
    [
        path("", views.index, name="index"),
        path("h/<slug:slug>/", views.home, name="home"),
        path("h/<slug:slug>/services/", views.service_list, name="service_list"),
        path("h/<slug:slug>/services/<slug:code>/", views.service_detail, name="service_detail"),
        path("staff/holidays/", views.holiday_schedules, name="holiday_schedules"),
        path("staff/holidays/<int:year>/", views.holiday_schedule, name="holiday_schedule"),
        path("prefs/large-text/", views.toggle_large_text, name="toggle_large_text"),
        path("h/<slug:slug>/screen/<slug:kind>/pairing/", screens.pairing_status, name="screen_pairing"),
        path("h/<slug:slug>/screen/<slug:kind>/link/<str:secret>/", screens.pairing_link, name="screen_link"),
    ],
    "hall",
)

urlpatterns = [
    # The API first: its requests (the windows' calls, bookings) are the busiest, and Django tries the
    # patterns in order (the 130 of the pages before it cost 0.2 ms a request). No page's pattern matches an
    # address under api/ (tests/test_urls.py).
    path("api/v1/halls/<slug:slug>/events", api_errors(live_views.hall_events), name="hall_events"),
    path("api/v1/halls/<slug:slug>/board", api_errors(live_views.board_json), name="board_json"),
    path("api/v1/", api.urls),
    path("", include(hall_patterns)),
    path("", include("appointments.urls")),
    path("", include("queueing.urls")),
    path("", include("homevisits.urls")),
    path("", include("postal.urls")),
    path("", include("video.urls")),
    path("", include("reports.urls")),
    path("", include("consultations.urls")),
    path("", include("simulation.whatif_urls")),
    path("", include("simulation.plan_check_urls")),
    path("accounts/login/", staff_auth.StaffLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/home/", staff_auth.staff_home, name="staff_home"),
    path("accounts/password/", staff_auth.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", staff_auth.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/code/", staff_auth.otp_verify, name="otp_verify"),
    path("accounts/code/set-up/", staff_auth.otp_enrol, name="otp_enrol"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("favicon.ico", views.favicon, name="favicon"),
    path("admin/django-rq/", include((rq_dashboard_patterns(rq_patterns), "django_rq"))),
    path("admin/login/", staff_auth.admin_login),
    path("admin/", admin.site.urls),
]

# Under /api/ the API's error format, elsewhere templates/404.html (only when DEBUG is off).
handler404 = "hall.api.not_found"
handler500 = "hall.outage.server_error"  # an outage met outside a view is a 503 too
