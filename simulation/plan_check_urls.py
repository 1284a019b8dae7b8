from django.urls import path

from simulation import plan_check_views

urlpatterns = [
    path("h/<slug:slug>/reports/staffing/check/", plan_check_views.start, name="plan_check_start"),
]
