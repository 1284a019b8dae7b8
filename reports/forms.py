from django import forms
from django.utils.translation import gettext_lazy as _

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
