from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from hall import views
from hall.api_v1 import api
from queueing import live_views

hall_patterns = (
    [
        path("", views.index, name="index"),
        path("h/<slug:slug>/", views.home, name="home"),
        path("h/<slug:slug>/services/", views.service_list, name="service_list"),
        path("h/<slug:slug>/services/<slug:code>/", views.service_detail, name="service_detail"),
        path("prefs/large-text/", views.toggle_large_text, name="toggle_large_text"),
    ],
    "hall",
)

urlpatterns = [
    path("", include(hall_patterns)),
    path("", include("appointments.urls")),
    path("", include("queueing.urls")),
    path("", include("reports.urls")),
    path("api/v1/halls/<slug:slug>/events", live_views.hall_events, name="hall_events"),
    path("api/v1/halls/<slug:slug>/board", live_views.board_json, name="board_json"),
    path("api/v1/", api.urls),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="hall/login.html"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/django-rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
]
