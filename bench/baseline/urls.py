"""The floor's addresses are those of Chuangkou's API where the same client code drives both."""

from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from . import views

urlpatterns = [
    path("ping", views.ping),
    path("book", csrf_exempt(views.book)),
    path("api/v1/counters/<int:counter>/open", csrf_exempt(views.ping)),
    path("api/v1/halls/<slug:hall>/queue", views.ping),
    path("api/v1/counters/<int:counter>/call-next", csrf_exempt(views.call_next)),
    path("api/v1/tickets/<int:ticket>/complete", csrf_exempt(views.complete)),
]
