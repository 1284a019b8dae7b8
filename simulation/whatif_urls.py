from django.urls import path

from simulation import whatif_views

app_name = "whatif"
urlpatterns = [
    path("h/<slug:slug>/reports/what-if/", whatif_views.what_if, name="start"),
    path("h/<slug:slug>/reports/what-if/<int:run_id>/", whatif_views.run_page, name="run"),
    path("h/<slug:slug>/reports/what-if/<int:run_id>/status.json", whatif_views.run_status, name="status"),
]
