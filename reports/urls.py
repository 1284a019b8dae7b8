from django.urls import path

from reports import audit_views, device_views, rating_views, views
from reports.consultations import consultations_page

app_name = "reports"
urlpatterns = [
    path("h/<slug:slug>/reports/", views.dashboard, name="dashboard"),
    path("h/<slug:slug>/reports/export.csv", views.export_csv, name="export_csv"),
    path("h/<slug:slug>/reports/export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("h/<slug:slug>/reports/staffing/", views.staffing, name="staffing"),
    path("h/<slug:slug>/reports/live/", views.live_view, name="live"),
    path("h/<slug:slug>/reports/consultations/", consultations_page, name="consultations"),
    path("h/<slug:slug>/reports/ranking/", rating_views.ranking, name="ranking"),
    path("h/<slug:slug>/reports/comments/", rating_views.comments, name="comments"),
    path("h/<slug:slug>/reports/comments/<int:rating_id>/", rating_views.moderate, name="moderate"),
    path(
        "h/<slug:slug>/reports/comments/written/<int:comment_id>/",
        rating_views.moderate_written,
        name="moderate_written",
    ),
    path(
        "h/<slug:slug>/reports/comments/written/<int:comment_id>/mobile/",
        rating_views.reveal_written_mobile,
        name="reveal_written_mobile",
    ),
    path("h/<slug:slug>/reports/follow-ups/", rating_views.follow_ups, name="follow_ups"),
    path("h/<slug:slug>/reports/follow-ups/<int:case_id>/", rating_views.follow_up, name="follow_up"),
    path(
        "h/<slug:slug>/reports/follow-ups/<int:case_id>/mobile/",
        rating_views.reveal_mobile,
        name="reveal_mobile",
    ),
    path("h/<slug:slug>/reports/audit/", audit_views.audit_log, name="audit_log"),
    path("h/<slug:slug>/reports/screens/", device_views.device_list, name="devices"),
    path("h/<slug:slug>/reports/screens/add/", device_views.add_device, name="device_add"),
    path("h/<slug:slug>/reports/screens/pair/", device_views.pair_device, name="device_pair"),
    path(
        "h/<slug:slug>/reports/screens/<int:device_id>/unpair/",
        device_views.revoke_device,
        name="device_revoke",
    ),
    path(
        "h/<slug:slug>/reports/screens/<int:device_id>/printer-fixed/",
        device_views.printer_fixed,
        name="device_printer_fixed",
    ),
    path("h/<slug:slug>/comment-book/", rating_views.comment_book, name="comment_book"),
    path("h/<slug:slug>/comment-book/thanks/", rating_views.comment_written, name="comment_written"),
    path("t/<str:token>/rate/", rating_views.rate, name="rate"),
]
