from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.widgets import RegionalPhoneNumberWidget

from appointments.models import GreenChannel
from hall.models import Counter, Service
from hall.privacy import validate_id_number

CODE_REQUIRED = _("Enter the booking code from your text message or booking page.")
SERVICE_REQUIRED = _("Choose what you have come for.")
PHONE_INVALID = _("Enter a mobile number with 11 digits, like 138 0013 8000.")
TRANSFER_TARGET_REQUIRED = _("Choose the service or the window to send the citizen to.")
COUNTER_DOES_NOT_SERVE = _(
    "Window %(counter)s does not handle %(service)s. Choose another window or service."
)
MISSING_REQUIRED = _("Tick what is missing, or write it in the box.")


class CheckInForm(forms.Form):
    code = forms.CharField(
        label=_("Booking code"),
        max_length=12,
        help_text=_("8 letters and digits, for example KT7QH4MC."),
        error_messages={"required": CODE_REQUIRED},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "autocorrect": "off",
                "spellcheck": "false",
                "class": "code-input",
            }
        ),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).upper()


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class WalkInForm(forms.Form):
    """The public kiosk: a walk-in ticket needs nothing but the service."""

    service = ServiceChoiceField(
        label=_("What have you come for?"),
        queryset=Service.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": SERVICE_REQUIRED, "invalid_choice": SERVICE_REQUIRED},
    )

    def __init__(self, *args, hall, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = hall.services.active()


class GuideWalkInForm(WalkInForm):
    """The 导办 desk: a staff member issues the ticket and may add the green channel, the citizen's ID
    number (one open ticket a person) and a mobile number for "come in" and "your turn" messages."""

    green_channel = forms.ChoiceField(
        label=_("Green channel"),
        choices=[("", _("No"))] + GreenChannel.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Served first: only for citizens who qualify."),
    )
    id_number = forms.CharField(
        label=_("Resident ID number (optional)"),
        max_length=30,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    phone = PhoneNumberField(
        label=_("Mobile number (optional)"),
        region="CN",
        required=False,
        help_text=_("We send a text message when it is their turn."),
        error_messages={"invalid": PHONE_INVALID},
        widget=RegionalPhoneNumberWidget(region="CN", attrs={"autocomplete": "off", "inputmode": "tel"}),
    )

    def clean_id_number(self):
        value = self.cleaned_data["id_number"]
        return validate_id_number(value, today=timezone.localdate()) if value.strip() else ""


class CounterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj) + (f" {obj.label}" if obj.label else "")


class TransferForm(forms.Form):
    service = ServiceChoiceField(
        label=_("To the queue of"),
        queryset=Service.objects.none(),
        required=False,
        empty_label=_("the same service"),
        widget=forms.RadioSelect,
    )
    counter = CounterChoiceField(
        label=_("Only at window"),
        queryset=Counter.objects.none(),
        required=False,
        empty_label=_("any window"),
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note for the next window"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.fields["service"].queryset = ticket.hall.services.active()
        self.fields["counter"].queryset = Counter.objects.active().filter(hall=ticket.hall)

    def clean(self):
        data = super().clean()
        service, counter = data.get("service"), data.get("counter")
        if self.errors:
            return data
        if service is None and counter is None:
            raise ValidationError(TRANSFER_TARGET_REQUIRED)
        target = service or self.ticket.service
        if counter is not None and not counter.services.filter(pk=target.pk).exists():
            self.add_error(
                "counter", COUNTER_DOES_NOT_SERVE % {"counter": counter.number, "service": target.name}
            )
        return data


class MaterialChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class MissingMaterialsForm(forms.Form):
    """一次性告知: everything missing, told at once."""

    missing = MaterialChoiceField(
        label=_("Missing from the guide"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    missing_note = forms.CharField(
        label=_("Also missing"),
        max_length=1000,
        required=False,
        help_text=_("Anything not in the guide, in words the citizen understands."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["missing"].queryset = ticket.service.materials.all()

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("missing") and not data.get("missing_note", "").strip():
            raise ValidationError(MISSING_REQUIRED)
        return data


class ExtendClosingForm(forms.Form):
    """延时服务: today's new closing time."""

    until = forms.TimeField(
        label=_("Keep the hall open today until"),
        error_messages={
            "required": _("Enter the new closing time, like 18:30."),
            "invalid": _("Enter a time like 18:30."),
        },
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )


class AfterHoursForm(forms.Form):
    """Waiting tickets to serve after hours: the ticked ones, or all of them. The choices are the waiting
    tickets themselves, so that a posted id is never looked up as such (a huge number overflows SQLite)."""

    tickets = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)
    all = forms.BooleanField(required=False)

    def __init__(self, *args, waiting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tickets"].choices = [(str(t.pk), t.number) for t in waiting]

    def clean(self):
        data = super().clean()
        if not data.get("all") and not data.get("tickets"):
            raise ValidationError(_("Tick the tickets to serve after hours, or choose all of them."))
        return data


class RebookForm(forms.Form):
    """The citizen's details for a priority booking, needed when their ticket came without a booking."""

    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    phone = PhoneNumberField(
        label=_("Mobile number"),
        region="CN",
        required=False,
        error_messages={"invalid": PHONE_INVALID},
        widget=RegionalPhoneNumberWidget(region="CN", attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_id_number(self):
        value = self.cleaned_data["id_number"]
        return validate_id_number(value, today=timezone.localdate()) if value.strip() else ""
