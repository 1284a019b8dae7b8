"""The clerk's forms of an escalation: who answers at the next level (a person or a unit outside the hall's
software), the answer recorded on their behalf, and how the first taker told the citizen."""

from django import forms
from django.utils.translation import gettext_lazy as _

from consultations.escalation import ANSWER_REQUIRED, OWNER_REQUIRED
from consultations.models import PassedOnBy

OWNER_TOO_LONG = _("Write the owner in %(limit_value)s characters or fewer (you wrote %(show_value)s).")
QUESTION_TOO_LONG = _("Write the question in %(limit_value)s characters or fewer (you wrote %(show_value)s).")
ANSWER_TOO_LONG = _("Write the answer in %(limit_value)s characters or fewer (you wrote %(show_value)s).")
HOW_REQUIRED = _("Choose how you told the citizen.")


def _owner_field():
    return forms.CharField(
        label=_("Who answers at this level"),
        max_length=60,
        help_text=_("A person or a unit, for example “治安大队 王副大队长”."),
        error_messages={"required": OWNER_REQUIRED, "max_length": OWNER_TOO_LONG},
    )


class EscalateForm(forms.Form):
    owner_name = _owner_field()
    question = forms.CharField(
        label=_("The question as you put it (optional)"),
        max_length=300,
        required=False,
        help_text=_("Empty: the consultation's topic. No personal data."),
        error_messages={"max_length": QUESTION_TOO_LONG},
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FurtherForm(forms.Form):
    owner_name = _owner_field()
    # The level the button named: a second click must not send the question up twice.
    to_rank = forms.IntegerField(required=False, min_value=1, max_value=100, widget=forms.HiddenInput)


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("The answer"),
        max_length=1000,
        help_text=_("As the level gave it, for the first taker to pass on. No personal data."),
        error_messages={"required": ANSWER_REQUIRED, "max_length": ANSWER_TOO_LONG},
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class PassOnForm(forms.Form):
    how = forms.ChoiceField(
        label=_("How did you tell the citizen?"),
        choices=PassedOnBy.choices,
        widget=forms.RadioSelect,
        error_messages={"required": HOW_REQUIRED, "invalid_choice": HOW_REQUIRED},
    )
