from django.urls import path

from consultations import ask_views, escalation_views, views

app_name = "consultations"
urlpatterns = [
    path("h/<slug:slug>/ask/", ask_views.ask, name="ask"),
    path("h/<slug:slug>/ask/sent/", ask_views.asked, name="asked"),
    path("h/<slug:slug>/consultations/new/", views.log_consultation, name="log"),
    path("h/<slug:slug>/call-backs/", views.my_call_backs, name="mine"),
    path("h/<slug:slug>/call-backs/all/", views.hall_call_backs, name="hall"),
    path("h/<slug:slug>/call-backs/<int:call_back_id>/", views.call_back_detail, name="call_back"),
    path("h/<slug:slug>/call-backs/<int:call_back_id>/reveal/", views.reveal_mobile, name="reveal"),
    path("h/<slug:slug>/call-backs/<int:call_back_id>/attempt/", views.record_attempt, name="attempt"),
    path(
        "h/<slug:slug>/call-backs/<int:call_back_id>/unreachable/", views.mark_unreachable, name="unreachable"
    ),
    path("h/<slug:slug>/call-backs/<int:call_back_id>/close/", views.close_call_back, name="close"),
    path("h/<slug:slug>/call-backs/<int:call_back_id>/reassign/", views.reassign_call_back, name="reassign"),
    path("h/<slug:slug>/call-backs/<int:call_back_id>/escalate/", escalation_views.escalate, name="escalate"),
    path("h/<slug:slug>/escalations/", escalation_views.hall_escalations, name="escalations"),
    path(
        "h/<slug:slug>/escalations/<int:escalation_id>/",
        escalation_views.escalation_detail,
        name="escalation",
    ),
    path(
        "h/<slug:slug>/escalations/<int:escalation_id>/further/",
        escalation_views.escalate_further,
        name="escalate_further",
    ),
    path(
        "h/<slug:slug>/escalations/<int:escalation_id>/answer/", escalation_views.record_answer, name="answer"
    ),
    path("h/<slug:slug>/escalations/<int:escalation_id>/pass-on/", escalation_views.pass_on, name="pass_on"),
]
