import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.widgets import RegionalPhoneNumberWidget

from appointments.models import GreenChannel
from hall.privacy import validate_id_number

# Each language named in itself, so that a citizen finds their own.
LANGUAGE_CHOICES = [("zh-hans", "简体中文"), ("en", "English")]

NAME_REQUIRED = _("Enter your full name, as on your ID card.")
PHONE_REQUIRED = _("Enter your mobile number.")
PHONE_INVALID = _("Enter a mobile number with 11 digits, like 138 0013 8000.")
ID_REQUIRED = _("Enter your resident ID number.")
PERSONS_INVALID = _("Enter how many people need to be served: a number from 1 to 5.")
GREEN_NOTE_REQUIRED = _("Tell us briefly what is urgent, so that staff can help you first.")
CODE_REQUIRED = _("Enter the booking code.")
CODE_INVALID = _("Enter the 6 digits from the text message.")
SLOT_REQUIRED = _("Choose an arrival time.")
TOO_MANY_SERVICES = _("Choose at most two more services.")


def _mobile_field(**kwargs) -> PhoneNumberField:
    return PhoneNumberField(
        region="CN",
        label=_("Mobile number"),
        error_messages={"required": PHONE_REQUIRED, "invalid": PHONE_INVALID},
        widget=RegionalPhoneNumberWidget(region="CN", attrs={"autocomplete": "tel", "inputmode": "tel"}),
        **kwargs,
    )


def _clean_mobile(phone):
    """A Chinese number must be a mobile: the booking code is sent by text message."""
    if (
        phone
        and phone.country_code == 86
        and phonenumbers.number_type(phone)
        not in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        )
    ):
        raise ValidationError(PHONE_INVALID, code="not_mobile")
    return phone


class CitizenForm(forms.Form):
    """Who is coming: name, mobile and resident ID number."""

    name = forms.CharField(
        label=_("Full name"),
        max_length=60,
        help_text=_("As printed on your ID card."),
        error_messages={"required": NAME_REQUIRED},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = _mobile_field(help_text=_("We send your booking code to this number."))
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=30,
        help_text=_("18 characters: 17 digits and a last digit or X."),
        error_messages={"required": ID_REQUIRED},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    language = forms.ChoiceField(
        label=_("Language for text messages"),
        choices=LANGUAGE_CHOICES,
        widget=forms.RadioSelect,
    )

    def clean_phone(self):
        return _clean_mobile(self.cleaned_data["phone"])

    def clean_id_number(self):
        return validate_id_number(self.cleaned_data["id_number"], today=timezone.localdate())


class KeepsIdNumber:
    """An ID number field that may stay empty to keep the number already given in this booking (the draft
    keeps no clear number, only its masked form `id_masked`, shown in the hint)."""

    def __init__(self, *args, id_masked: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.id_masked = id_masked
        if id_masked:
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = _(
                "Leave empty to keep the number you gave: %(masked)s. Or enter it again: 18 characters."
            ) % {"masked": id_masked}

    def clean_id_number(self):
        if self.id_masked and not self.cleaned_data["id_number"].strip():
            return ""
        return validate_id_number(self.cleaned_data["id_number"], today=timezone.localdate())


class AsksGreenNote:
    """An urgent matter needs a word on what is urgent."""

    def clean(self):
        data = super().clean()
        if data.get("green_channel") == GreenChannel.URGENT and not data.get("green_note", "").strip():
            self.add_error("green_note", GREEN_NOTE_REQUIRED)
        return data


class PartyForm(AsksGreenNote, forms.Form):
    """The web booking's third question page: how many, the green channel, the language of the texts."""

    persons = forms.IntegerField(
        label=_("How many people need to be served?"),
        help_text=_("Each person takes one place. Count everyone who applies, children too."),
        min_value=1,
        max_value=5,
        initial=1,
        error_messages={
            "required": PERSONS_INVALID,
            "invalid": PERSONS_INVALID,
            "min_value": PERSONS_INVALID,
            "max_value": PERSONS_INVALID,
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    green_channel = forms.ChoiceField(
        label=_("Do you need the green channel?"),
        help_text=_("Priority service for the elderly, the disabled, pregnant women and urgent matters."),
        choices=[("", _("No"))] + list(GreenChannel.choices),
        required=False,
        widget=forms.RadioSelect,
    )
    green_note = forms.CharField(
        label=_("Why do you need it? (optional)"),
        help_text=_("For an urgent matter, say what it is, for example an exam that needs the ID card."),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    language = CitizenForm.base_fields["language"]


class NameForm(forms.Form):
    """The web booking's first question page: who is coming and where the code goes."""

    name = CitizenForm.base_fields["name"]
    phone = CitizenForm.base_fields["phone"]

    def clean_phone(self):
        return _clean_mobile(self.cleaned_data["phone"])


class IdNumberForm(KeepsIdNumber, forms.Form):
    """The web booking's second question page."""

    id_number = CitizenForm.base_fields["id_number"]


class BookingForm(KeepsIdNumber, AsksGreenNote, CitizenForm):
    """All the booking's questions on one page, for staff who book for a citizen."""

    persons = PartyForm.base_fields["persons"]
    green_channel = PartyForm.base_fields["green_channel"]
    green_note = PartyForm.base_fields["green_note"]

    field_order = ["name", "phone", "id_number", "persons", "green_channel", "green_note", "language"]


class AlsoForm(forms.Form):
    """Further services to do at the same visit, in the same arrival window (at most two)."""

    services = forms.MultipleChoiceField(
        label=_("What else do you want to do at the same visit?"),
        help_text=_("You can add up to two more services. Each needs a place in this arrival window."),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].choices = choices

    def clean_services(self):
        chosen = self.cleaned_data["services"]
        if len(chosen) > 2:
            raise ValidationError(TOO_MANY_SERVICES, code="too_many")
        return chosen


class StaffBookingForm(BookingForm):
    slot = forms.ModelChoiceField(
        label=_("Arrival time"),
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": SLOT_REQUIRED, "invalid_choice": SLOT_REQUIRED},
    )
    use_held_back = forms.BooleanField(
        label=_("Use a held-back place"),
        help_text=_("Places held back for the green channel and walk-ins; only staff can book them."),
        required=False,
    )
    also = forms.ModelMultipleChoiceField(
        label=_("Also at the same visit"),
        help_text=_("Up to two more services, booked for the same arrival time."),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    field_order = ["slot", "use_held_back", "also", *BookingForm.field_order]

    def __init__(self, *args, slots, others=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = slots
        if others is None or not others.exists():
            del self.fields["also"]
        else:
            self.fields["also"].queryset = others
        self.fields["slot"].label_from_instance = self.slot_label
        self.fields["name"].help_text = ""
        self.fields["phone"].help_text = ""

    def clean_also(self):
        chosen = list(self.cleaned_data["also"])
        if len(chosen) > 2:
            raise ValidationError(TOO_MANY_SERVICES, code="too_many")
        return chosen

    @staticmethod
    def slot_label(slot):
        start = timezone.localtime(slot.start, slot.hall.tz)
        end = timezone.localtime(slot.end, slot.hall.tz)
        return _("%(start)s–%(end)s: %(online)s online, %(held)s held back") % {
            "start": f"{start:%H:%M}",
            "end": f"{end:%H:%M}",
            "online": slot.remaining,
            "held": 0 if slot.closed else slot.held_back - slot.taken_held_back,
        }


class VerifyForm(forms.Form):
    code = forms.RegexField(
        label=_("Code from the text message"),
        regex=r"^\d{6}$",
        max_length=6,
        help_text=_("6 digits."),
        error_messages={"required": CODE_INVALID, "invalid": CODE_INVALID},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean_code(self):
        return self.cleaned_data["code"].strip()


class FindBookingForm(forms.Form):
    code = forms.CharField(
        label=_("Booking code"),
        max_length=20,
        help_text=_("8 letters and digits, from your confirmation."),
        error_messages={"required": CODE_REQUIRED},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    phone = _mobile_field(help_text=_("The number you booked with."))

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).upper()


class WaitlistForm(forms.Form):
    phone = _mobile_field(help_text=_("We text you when a place becomes free."))
    language = CitizenForm.base_fields["language"]

    def clean_phone(self):
        return _clean_mobile(self.cleaned_data["phone"])


class NoEchoTextInput(forms.TextInput):
    """A text box that never writes back what was typed: an ID number is not shown in full, not even to
    the supervisor who typed it."""

    def format_value(self, value):
        return None


class PersonLookupForm(forms.Form):
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=30,
        help_text=_("18 characters: 17 digits and a last digit or X. Only its keyed hash is compared."),
        error_messages={"required": _("Enter the person's resident ID number.")},
        widget=NoEchoTextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )

    def clean_id_number(self):
        return validate_id_number(self.cleaned_data["id_number"], today=timezone.localdate())


class LiftBlockForm(forms.Form):
    person = forms.CharField(widget=forms.HiddenInput, max_length=400)
    reason = forms.CharField(
        label=_("Why is the block lifted?"),
        max_length=200,
        help_text=_("For example: the appointments were booked by someone else; in hospital on those days."),
        error_messages={"required": _("Write why the block is lifted: it is kept in the audit log.")},
    )
