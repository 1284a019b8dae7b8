from django.urls import path

from queueing import closing_views, console_views, display_views, register_views, views

app_name = "queueing"
urlpatterns = [
    path("h/<slug:slug>/kiosk/", views.kiosk, name="kiosk"),
    path("h/<slug:slug>/kiosk/booking/", views.kiosk_check_in, name="kiosk_check_in"),
    path("h/<slug:slug>/kiosk/walk-in/", views.kiosk_walk_in, name="kiosk_walk_in"),
    path("h/<slug:slug>/kiosk/guide/", views.kiosk_guide, name="kiosk_guide"),
    path("h/<slug:slug>/kiosk/printer/", views.kiosk_printer, name="kiosk_printer"),
    path("h/<slug:slug>/kiosk/t/<str:token>/", views.kiosk_ticket, name="kiosk_ticket"),
    path("h/<slug:slug>/board/", display_views.board_page, name="board"),
    path(
        "h/<slug:slug>/counter/<int:number>/display/", display_views.counter_display, name="counter_display"
    ),
    path("h/<slug:slug>/register/", register_views.register_page, name="register"),
    path("t/<str:token>/", display_views.ticket, name="ticket"),
    path("t/<str:token>/print/", views.ticket_print, name="ticket_print"),
    path("h/<slug:slug>/closing/", closing_views.closing_page, name="closing"),
    path("h/<slug:slug>/closing/extend/", closing_views.extend_closing, name="extend_closing"),
    path("h/<slug:slug>/closing/after-hours/", closing_views.after_hours, name="closing_after_hours"),
    path("h/<slug:slug>/closing/rebook/", closing_views.rebook_all, name="closing_rebook_all"),
    path("h/<slug:slug>/closing/t/<int:ticket_id>/rebook/", closing_views.rebook, name="closing_rebook"),
    path("console/", console_views.console, name="console"),
    path("console/<int:counter_id>/", console_views.counter_page, name="counter"),
    path("console/<int:counter_id>/open/", console_views.open_counter, name="open_counter"),
    path("console/<int:counter_id>/state/", console_views.counter_state, name="counter_state"),
    path("console/<int:counter_id>/call-next/", console_views.call_next, name="call_next"),
    path("console/<int:counter_id>/call/<int:ticket_id>/", console_views.call_ticket, name="call_ticket"),
    path("console/<int:counter_id>/t/<int:ticket_id>/transfer/", console_views.transfer, name="transfer"),
    path(
        "console/<int:counter_id>/t/<int:ticket_id>/missing/",
        console_views.missing_materials,
        name="missing_materials",
    ),
    path("console/<int:counter_id>/t/<int:ticket_id>/slip/", console_views.slip, name="slip"),
    path(
        "console/<int:counter_id>/t/<int:ticket_id>/<slug:action>/",
        console_views.ticket_action,
        name="ticket_action",
    ),
]
