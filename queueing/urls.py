from django.urls import path

from queueing import views

app_name = "queueing"
urlpatterns = [
    path("h/<slug:slug>/kiosk/", views.kiosk, name="kiosk"),
    path("h/<slug:slug>/kiosk/booking/", views.kiosk_check_in, name="kiosk_check_in"),
    path("h/<slug:slug>/kiosk/walk-in/", views.kiosk_walk_in, name="kiosk_walk_in"),
    path("h/<slug:slug>/kiosk/guide/", views.kiosk_guide, name="kiosk_guide"),
    path("h/<slug:slug>/kiosk/t/<str:token>/", views.kiosk_ticket, name="kiosk_ticket"),
    path("t/<str:token>/", views.ticket, name="ticket"),
    path("t/<str:token>/print/", views.ticket_print, name="ticket_print"),
]
