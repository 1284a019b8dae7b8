from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from hall.privacy import mask_phone, validate_id_number
from postal.forms import AddressForm

ID_READ_ALOUD_REQUIRED = _("Type the ID number the citizen reads aloud.")
BOOKING_PHONE_HELP = _("Leave empty to use the booking's mobile, %(phone)s. The courier calls this number.")


class IdentityForm(forms.Form):
    """The clerk's checklist. The ID number is checked against the booking's HMAC and never kept: the form
    is never shown again with what was typed (the views answer with a message, not the bound form)."""

    face_matches = forms.BooleanField(
        label=_("The face matches the photo on the ID card held to the camera"), required=False
    )
    id_number = forms.CharField(
        label=_("ID number read aloud by the citizen"),
        max_length=30,
        error_messages={"required": ID_READ_ALOUD_REQUIRED},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "text"}),
    )
    questions_answered = forms.BooleanField(
        label=_("The citizen answered the service's questions"), required=False
    )

    def clean_id_number(self):
        try:
            return validate_id_number(self.cleaned_data["id_number"])
        except ValidationError as error:
            raise ValidationError(error.messages) from None


class CompleteForm(AddressForm):
    """Complete the matter; with "by post" ticked, the address the document goes to."""

    by_post = forms.BooleanField(label=_("Send the document by post (free)"), required=False)

    def __init__(self, *args, booking_phone=None, **kwargs):
        """`booking_phone`: the mobile the booking was made with, used when the clerk leaves the field empty
        (the page shows it masked, never in full)."""
        super().__init__(*args, **kwargs)
        self.booking_phone = booking_phone
        for name in AddressForm.base_fields:
            self.fields[name].required = False
        if booking_phone:
            masked = mask_phone(booking_phone)
            self.fields["recipient_phone"].help_text = BOOKING_PHONE_HELP % {"phone": masked}

    def clean(self):
        data = super().clean()
        if data.get("by_post") and not data.get("recipient_phone") and "recipient_phone" not in self.errors:
            data["recipient_phone"] = self.booking_phone
        if data.get("by_post"):
            for name, field in AddressForm.base_fields.items():
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, field.error_messages["required"])
        return data
