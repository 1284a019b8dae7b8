from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments.forms import ID_REQUIRED, LANGUAGE_CHOICES, NAME_REQUIRED, _clean_mobile, _mobile_field
from hall.privacy import validate_id_number
from postal.services import Address, Applicant

SERVICE_REQUIRED = _("Choose the service.")
RECIPIENT_REQUIRED = _("Enter the name of the person who receives the post.")
PROVINCE_REQUIRED = _("Enter the province.")
CITY_REQUIRED = _("Enter the city.")
DISTRICT_REQUIRED = _("Enter the district or county.")
STREET_REQUIRED = _("Enter the street, house number and flat.")
COURIER_REQUIRED = _("Enter the courier, for example EMS.")
TRACKING_NUMBER_REQUIRED = _("Enter the tracking number from the waybill.")
SEARCH_REQUIRED = _("Enter a pickup code, an ID number or a name.")


def _text(label, required_message, max_length, **kwargs):
    return forms.CharField(
        label=label, max_length=max_length, error_messages={"required": required_message}, **kwargs
    )


class AddressForm(forms.Form):
    recipient = _text(
        _("Recipient"), RECIPIENT_REQUIRED, 60, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    recipient_phone = _mobile_field(help_text=_("The courier calls this number."))
    province = _text(
        _("Province"), PROVINCE_REQUIRED, 30, widget=forms.TextInput(attrs={"autocomplete": "address-level1"})
    )
    city = _text(
        _("City"), CITY_REQUIRED, 30, widget=forms.TextInput(attrs={"autocomplete": "address-level2"})
    )
    district = _text(
        _("District or county"),
        DISTRICT_REQUIRED,
        30,
        widget=forms.TextInput(attrs={"autocomplete": "address-level3"}),
    )
    street = _text(
        _("Street address"),
        STREET_REQUIRED,
        200,
        help_text=_("Street, house number, building and flat."),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )

    def clean_recipient_phone(self):
        return _clean_mobile(self.cleaned_data["recipient_phone"])

    def address(self) -> Address:
        data = self.cleaned_data
        return Address(
            data["recipient"].strip(),
            data["recipient_phone"],
            data["province"].strip(),
            data["city"].strip(),
            data["district"].strip(),
            data["street"].strip(),
        )


class ApplicantFields(forms.Form):
    name = _text(
        _("Full name"),
        NAME_REQUIRED,
        60,
        help_text=_("As printed on your ID card."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = _mobile_field(help_text=_("We text you at each step."))
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
        initial="zh-hans",
        widget=forms.RadioSelect,
    )

    def clean_phone(self):
        return _clean_mobile(self.cleaned_data["phone"])

    def clean_id_number(self):
        value = self.cleaned_data["id_number"]
        return validate_id_number(value, today=timezone.localdate()) if value else ""

    def applicant(self, known: Applicant | None = None) -> Applicant:
        """The applicant; a booking's hashed ID number stands in when none was typed."""
        data = self.cleaned_data
        name, phone, language = data["name"].strip(), data["phone"], data["language"]
        if data.get("id_number") or known is None:
            return Applicant.with_id_number(
                name=name, phone=phone, id_number=data["id_number"], language=language
            )
        return Applicant(name, phone, known.id_hash, known.id_masked, language)


def _service_field(services):
    field = forms.ModelChoiceField(
        label=_("Service"),
        queryset=services,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": SERVICE_REQUIRED, "invalid_choice": SERVICE_REQUIRED},
    )
    field.label_from_instance = lambda service: service.name
    return field


class ApplyForm(ApplicantFields, AddressForm):
    """A citizen's application to finish a service by post."""

    field_order = ["service", "name", "phone", "id_number", "language"]

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"] = _service_field(services)
        self.order_fields(self.field_order)


class StaffPostalForm(ApplyForm):
    """Staff open a postal item for a citizen at the counter, usually prefilled from a ticket."""

    materials_in_hand = forms.BooleanField(
        label=_("The materials were handed in at the window"),
        help_text=_("Leave unticked when the citizen still has to post missing materials."),
        required=False,
    )
    missing_note = forms.CharField(
        label=_("Materials the citizen must post"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, id_known: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].help_text = ""
        self.fields["phone"].help_text = ""
        if id_known:
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = _("Leave empty to keep the ID number of the booking.")


class SendForm(forms.Form):
    courier = _text(_("Courier"), COURIER_REQUIRED, 40)
    tracking_number = _text(_("Tracking number"), TRACKING_NUMBER_REQUIRED, 40)


class ReturnForm(forms.Form):
    note = forms.CharField(label=_("Why it came back"), max_length=300, required=False)


class PickupForm(ApplicantFields):
    """Staff record a finished document that waits for pickup."""

    note = forms.CharField(
        label=_("Document"),
        help_text=_("For example: resident ID card. Shown to staff only."),
        max_length=200,
        required=False,
    )
    field_order = ["service", "note", "name", "phone", "id_number", "language"]

    def __init__(self, *args, services, id_known: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"] = _service_field(services)
        self.fields["service"].label = _("Service that made the document")
        self.fields["service"].widget = forms.Select()
        self.order_fields(self.field_order)
        self.fields["phone"].help_text = ""
        if id_known:
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = _("Leave empty to keep the ID number of the booking.")


class PickupSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Pickup code, ID number or name"),
        help_text=_(
            "The full ID number from the card, its last 4 characters, the 6-character code or the name."
        ),
        max_length=40,
        error_messages={"required": SEARCH_REQUIRED},
    )
