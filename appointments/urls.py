from django.urls import path

from appointments import details_views, manage_views, people_views, sms_reply_views, staff_views, views

app_name = "appointments"
# One arrival window of one service on one day: the booking's question pages hang below it.
SLOT = "h/<slug:slug>/book/<slug:code>/<str:date>/<int:slot_id>/"
urlpatterns = [
    path("sms/replies/<slug:gateway>/<str:token>/", sms_reply_views.sms_reply, name="sms_reply"),
    path("h/<slug:slug>/book/<slug:code>/", views.choose_date, name="choose_date"),
    path("h/<slug:slug>/book/<slug:code>/<str:date>/", views.choose_time, name="choose_time"),
    path(SLOT, details_views.details, name="details"),
    path(SLOT + "id-number/", details_views.details_id, name="details_id"),
    path(SLOT + "visit/", details_views.details_more, name="details_more"),
    path(SLOT + "verify/", details_views.verify, name="verify"),
    path(SLOT + "confirm/", views.confirm, name="confirm"),
    path(SLOT + "also/", views.also, name="also"),
    path("h/<slug:slug>/book/<slug:code>/<str:date>/waitlist/", views.join_waitlist, name="join_waitlist"),
    path("booking/find/", manage_views.find_booking, name="find"),
    path("booking/<str:token>/", manage_views.manage, name="manage"),
    path("booking/<str:token>/booked/", manage_views.booked, name="booked"),
    path("booking/<str:token>/cancel/", manage_views.cancel, name="cancel"),
    path("booking/<str:token>/reschedule/", manage_views.reschedule, name="reschedule"),
    path("booking/<str:token>/booking.ics", manage_views.ics_file, name="ics"),
    path("booking/<str:token>/qr.svg", manage_views.qr, name="qr"),
    path("waitlist/<str:token>/", views.waitlist_offer, name="waitlist_offer"),
    path("staff/book/", staff_views.staff_book, name="staff_book"),
    path("h/<slug:slug>/staff/people/", people_views.person_lookup, name="person_lookup"),
    path("h/<slug:slug>/staff/people/lift/", people_views.lift_block, name="lift_block"),
    path("staff/book/<slug:slug>/<slug:code>/", staff_views.staff_book_service, name="staff_book_service"),
]
