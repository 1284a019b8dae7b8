from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from appointments.forms import _clean_mobile, _mobile_field
from consultations import messages
from consultations.models import AttemptResult, Channel, Result
from consultations.services import MOBILE_NEEDED, call_back_times

GENERAL = ""


class ConsultationForm(forms.Form):
    """Short enough to fill in by keyboard during a phone call: two choices, a topic and, for a call back,
    the number."""

    channel = forms.ChoiceField(
        label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE, widget=forms.RadioSelect
    )
    # Focus starts here: the channel is usually the default (phone), the service is the first real choice.
    service = forms.ChoiceField(
        label=_("Service"), required=False, widget=forms.Select(attrs={"autofocus": True})
    )
    topic = forms.CharField(
        label=_("Topic"),
        max_length=200,
        help_text=_(
            "A few words about the question, for example “documents for a move-in”. No personal data."
        ),
    )
    result = forms.ChoiceField(
        label=_("Result"), choices=Result.choices, initial=Result.ANSWERED, widget=forms.RadioSelect
    )
    mobile = PhoneNumberField(
        label=_("Mobile for the call back"),
        region="CN",
        required=False,
        error_messages={"invalid": _("Enter a mobile number like 13800138000.")},
    )
    name = forms.CharField(label=_("Name (optional)"), max_length=50, required=False)

    def __init__(self, *args, hall, **kwargs):
        super().__init__(*args, **kwargs)
        self.services = {str(s.pk): s for s in hall.services.active()}
        self.fields["service"].choices = [
            (GENERAL, _("General question")),
            *[(pk, f"{s.prefix} {s.name}") for pk, s in self.services.items()],
        ]

    def clean_service(self):
        return self.services.get(self.cleaned_data["service"])

    def clean(self):
        data = super().clean()
        if data.get("result") == Result.CALL_BACK and not data.get("mobile") and "mobile" not in self.errors:
            self.add_error("mobile", MOBILE_NEEDED)
        return data


class AttemptForm(forms.Form):
    result = forms.ChoiceField(
        label=_("How did the call go?"), choices=AttemptResult.choices, widget=forms.RadioSelect
    )


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=get_user_model().objects.none())

    def __init__(self, *args, hall, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            get_user_model().objects.filter(staff__hall=hall, is_active=True).order_by("username")
        )
        self.fields["owner"].label_from_instance = lambda user: user.get_full_name() or user.username


SOON = "soon"
QUESTION_REQUIRED = _("Enter your question.")
QUESTION_TOO_LONG = _(
    "Write your question in %(limit_value)s characters or fewer (you wrote %(show_value)s)."
)
TIME_REQUIRED = _("Choose when we may call you back.")
TIME_GONE = _("That time is no longer offered. Choose one of the times below.")


class AskForm(forms.Form):
    """A citizen's question online (网上咨询): about which service, the question, the mobile to call back
    and when. Nothing else about the person: the question is answered by phone."""

    service = forms.ChoiceField(label=_("What is it about? (optional)"), required=False)
    question = forms.CharField(
        label=_("Your question"),
        max_length=200,
        help_text=_("Up to 200 characters. Please do not write your ID number."),
        error_messages={"required": QUESTION_REQUIRED, "max_length": QUESTION_TOO_LONG},
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    mobile = _mobile_field(help_text=_("We call you back on this number and text you to confirm."))
    half_day = forms.ChoiceField(
        label=_("When may we call you back?"),
        widget=forms.RadioSelect,
        error_messages={"required": TIME_REQUIRED, "invalid_choice": TIME_GONE},
    )

    def __init__(self, *args, hall, now, **kwargs):
        super().__init__(*args, **kwargs)
        self.services = {str(s.pk): s for s in hall.services.active()}
        self.fields["service"].choices = [
            (GENERAL, _("General question")),
            *[(pk, s.name) for pk, s in self.services.items()],
        ]
        self.half_days = {f"{h.start:%Y-%m-%dT%H:%M}": h for h in call_back_times(hall=hall, now=now)}
        self.fields["half_day"].choices = [
            (SOON, _("As soon as possible (the next working morning)")),
            *[(key, messages.half_day_label(h)) for key, h in self.half_days.items()],
        ]
        self.fields["half_day"].initial = SOON

    def clean_service(self):
        return self.services.get(self.cleaned_data["service"])

    def clean_mobile(self):
        return _clean_mobile(self.cleaned_data["mobile"])

    def clean_half_day(self):
        return self.half_days.get(self.cleaned_data["half_day"])
