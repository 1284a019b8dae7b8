"""The citizen's online consultation (网上咨询): ask a question, get a call back from one owner (首问责任)
at a time the citizen chose. No account and no link to keep: the confirmation page is this browser's."""

from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from appointments.limits import hit_rate_limit
from consultations import messages, services
from consultations.forms import AskForm
from consultations.models import CallBack
from hall.models import Hall
from hall.net import client_ip
from hall.privacy import hash_phone

TOO_MANY = _(
    "Too many questions from this mobile number or network today. Please try again tomorrow or call the hall."
)
# Each question sends a text message and gives staff a call to make: the limits keep the form from being
# used to flood a number or the hall's call-back list.
ASKS_PER_ADDRESS_HOUR = 10
ASKS_PER_MOBILE_DAY = 3
ASKED = "consultations.asked"  # session key: the call-back this browser asked for last


def _over_limit(request, mobile) -> bool:
    by_address = hit_rate_limit("ask-ip", client_ip(request), ASKS_PER_ADDRESS_HOUR)
    by_mobile = hit_rate_limit("ask-phone", hash_phone(mobile), ASKS_PER_MOBILE_DAY, 24 * 3600)
    return by_address or by_mobile


def ask(request, slug):
    hall = get_object_or_404(Hall, slug=slug)
    now = timezone.now()
    form = AskForm(request.POST if request.method == "POST" else None, hall=hall, now=now)
    status = 200
    if request.method == "POST" and form.is_valid():
        if _over_limit(request, form.cleaned_data["mobile"]):
            form.add_error(None, TOO_MANY)
            status = 429
        else:
            try:
                call_back = services.ask_online(
                    hall=hall, language=get_language(), now=now, **form.cleaned_data
                )
            except services.ConsultationError as refusal:
                form.add_error(None, refusal.message)
            else:
                request.session[ASKED] = call_back.pk
                return redirect("consultations:asked", hall.slug)
    return render(request, "consultations/ask.html", {"hall": hall, "form": form}, status=status)


def asked(request, slug):
    hall = get_object_or_404(Hall, slug=slug)
    call_back = (
        CallBack.objects.select_related("hall", "consultation__service")
        .filter(hall=hall, pk=request.session.get(ASKED))
        .first()
    )
    if call_back is None:
        return redirect("consultations:ask", hall.slug)
    context = {"hall": hall, "call_back": call_back, "when": messages.call_time(call_back)}
    return render(request, "consultations/asked.html", context)
