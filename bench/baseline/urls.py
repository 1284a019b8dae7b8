from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from . import views

urlpatterns = [
    path("ping", views.ping),
    path("book", csrf_exempt(views.book)),
    path("counters/<int:counter>/call-next", csrf_exempt(views.call_next)),
    path("tickets/<int:ticket>/complete", csrf_exempt(views.complete)),
]
