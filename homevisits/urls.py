from django.urls import path

from homevisits import staff_views, views

app_name = "homevisits"
urlpatterns = [
    path("h/<slug:slug>/home-visits/", views.choose_service, name="choose_service"),
    path("h/<slug:slug>/home-visits/<slug:code>/", views.request_visit, name="request"),
    path("v/<str:token>/", views.status, name="status"),
    path("v/<str:token>/cancel/", views.cancel, name="cancel"),
    path("h/<slug:slug>/staff/home-visits/", staff_views.visit_list, name="list"),
    path("h/<slug:slug>/staff/home-visits/<int:visit_id>/", staff_views.detail, name="detail"),
    path(
        "h/<slug:slug>/staff/home-visits/<int:visit_id>/mobile/",
        staff_views.reveal_mobile,
        name="reveal_mobile",
    ),
    path("h/<slug:slug>/staff/home-visits/<int:visit_id>/schedule/", staff_views.schedule, name="schedule"),
    path("h/<slug:slug>/staff/home-visits/<int:visit_id>/decline/", staff_views.decline, name="decline"),
    path("h/<slug:slug>/staff/home-visits/<int:visit_id>/cancel/", staff_views.cancel, name="staff_cancel"),
    path("h/<slug:slug>/staff/home-visits/<int:visit_id>/outcome/", staff_views.outcome, name="outcome"),
]
