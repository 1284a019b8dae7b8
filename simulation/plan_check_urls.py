from django.urls import path

from simulation import plan_check_views

app_name = "plan_check"
urlpatterns = [
    path("h/<slug:slug>/reports/staffing/check/", plan_check_views.start, name="start"),
]
