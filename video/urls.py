from django.urls import path

from video import staff_views, views

app_name = "video"
urlpatterns = [
    path("booking/<str:token>/video/", views.waiting_room, name="waiting_room"),
    path("booking/<str:token>/video/signal/", views.citizen_signal, name="citizen_signal"),
    path("console/video/", staff_views.today, name="today"),
    path("console/video/<int:booking_id>/", staff_views.call, name="call"),
    path("console/video/<int:booking_id>/signal/", staff_views.clerk_signal, name="clerk_signal"),
    path("console/video/<int:booking_id>/identity/", staff_views.identity, name="identity"),
    path("console/video/<int:booking_id>/complete/", staff_views.complete, name="complete"),
]
