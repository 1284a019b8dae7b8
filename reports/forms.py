from django import forms
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.widgets import RegionalPhoneNumberWidget

from reports.models import Score
from reports.services import COMMENT_MAX

SCORE_REQUIRED = _("Choose how satisfied you are.")
NOTE_REQUIRED = _("Write a note: what was said or done.")


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with the service?"),
        choices=Score.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": SCORE_REQUIRED, "invalid_choice": SCORE_REQUIRED},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        help_text=_("Do not write your name, ID number or phone number here."),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": NOTE_REQUIRED},
    )


class ModerationForm(forms.Form):
    published = forms.BooleanField(label=_("Show in the comment book"), required=False)
    reply = forms.CharField(
        label=_("The hall's reply (shown with the comment)"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


COMMENT_REQUIRED = _("Write your comment.")


class WrittenCommentForm(forms.Form):
    """The comment book's form for anyone, with or without a ticket."""

    text = forms.CharField(
        label=_("Your comment"),
        help_text=_("Praise, a complaint or a suggestion. Do not write your name or ID number here."),
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": COMMENT_REQUIRED},
    )
    phone = PhoneNumberField(
        label=_("Mobile number (optional)"),
        help_text=_("If you want us to call you back. Only the hall's supervisor sees it, to call you."),
        region="CN",
        required=False,
        error_messages={"invalid": _("Enter a mobile number with 11 digits, like 138 0013 8000.")},
        widget=RegionalPhoneNumberWidget(region="CN", attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
