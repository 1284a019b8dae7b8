from django.urls import path

from postal import staff_views, views

app_name = "postal"
urlpatterns = [
    path("h/<slug:slug>/post/", views.apply, name="apply"),
    path("post/<str:token>/", views.track, name="track"),
    path("post/<str:token>/cancel/", views.cancel, name="cancel"),
    path("pickup/<str:token>/", views.pickup, name="pickup"),
    path("pickup/<str:token>/post/", views.pickup_post, name="pickup_post"),
    path("staff/post/", staff_views.item_list, name="staff_items"),
    path("staff/post/overdue/", staff_views.overdue, name="staff_overdue"),
    path("staff/post/new/", staff_views.new_item, name="staff_new"),
    path("staff/post/<int:item_id>/", staff_views.item_detail, name="staff_item"),
    path("staff/post/<int:item_id>/send/", staff_views.send, name="staff_send"),
    path("staff/post/<int:item_id>/returned/", staff_views.returned, name="staff_returned"),
    path("staff/post/<int:item_id>/<slug:action>/", staff_views.item_action, name="staff_action"),
    path("staff/pickups/", staff_views.pickup_list, name="staff_pickups"),
    path("staff/pickups/new/", staff_views.new_pickup, name="staff_pickup_new"),
    path("staff/pickups/<int:pickup_id>/", staff_views.pickup_detail, name="staff_pickup"),
    path(
        "staff/pickups/<int:pickup_id>/<slug:action>/", staff_views.pickup_action, name="staff_pickup_action"
    ),
]
