import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appointments.forms import LANGUAGE_CHOICES, _clean_mobile, _mobile_field
from hall.models import Counter, Material
from hall.privacy import validate_id_number
from homevisits.models import VisitReason

PERSON_REQUIRED = _("Enter the full name of the person to visit, as on their ID card.")
ID_REQUIRED = _("Enter the resident ID number of the person to visit.")
REQUESTER_REQUIRED = _("Enter your own name.")
RELATIONSHIP_REQUIRED = _("Say how you are related to the person, for example daughter or care home staff.")
REASON_REQUIRED = _("Choose why the person cannot come to the hall.")
REASON_NOTE_REQUIRED = _("Tell us briefly why the person cannot come to the hall.")
ADDRESS_REQUIRED = _("Enter the address where staff should come, with building and room number.")
DATE_REQUIRED = _("Enter at least one date that suits you.")
DATE_INVALID = _("Enter a date like 2026-12-01.")
DATE_RANGE = _("Choose dates from tomorrow up to %(days)s days ahead.")
VISIT_DATE_REQUIRED = _("Enter the date of the visit.")
TIME_REQUIRED = _("Enter when staff leave the hall, like 09:30.")
MINUTES_INVALID = _("Enter the length of the visit in minutes, travel included.")
STAFF_INVALID = _("Choose the two staff members who go.")
DECISION_REASON_REQUIRED = _("Give the reason: the citizen is told it.")
OUTCOME_REQUIRED = _("Choose how the visit ended.")
MISSING_REQUIRED = _("Tick what is missing, or write it in the box.")

MAX_DAYS_AHEAD = 60


def _date_field(label, required=False):
    return forms.DateField(
        label=label,
        required=required,
        error_messages={"required": DATE_REQUIRED, "invalid": DATE_INVALID},
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class RequestForm(forms.Form):
    """One form, in the order a relative thinks: who, who asks, why, where, when."""

    person_name = forms.CharField(
        label=_("Name of the person to visit"),
        max_length=60,
        error_messages={"required": PERSON_REQUIRED},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    id_number = forms.CharField(
        label=_("Their resident ID number"),
        max_length=30,
        help_text=_("18 characters: 17 digits and a last digit or X."),
        error_messages={"required": ID_REQUIRED},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    requester_name = forms.CharField(
        label=_("Your name"),
        help_text=_("If you are the person to visit, enter your name again."),
        max_length=60,
        error_messages={"required": REQUESTER_REQUIRED},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    relationship = forms.CharField(
        label=_("Your relationship to the person"),
        max_length=40,
        help_text=_("For example: self, daughter, grandson, care home staff."),
        error_messages={"required": RELATIONSHIP_REQUIRED},
    )
    phone = _mobile_field(help_text=_("We tell you our decision and the date of the visit by text message."))
    reason = forms.ChoiceField(
        label=_("Why can the person not come to the hall?"),
        choices=VisitReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": REASON_REQUIRED, "invalid_choice": REASON_REQUIRED},
    )
    reason_note = forms.CharField(
        label=_("More about the reason (needed for “other reason”)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    address = forms.CharField(
        label=_("Address for the visit"),
        max_length=300,
        error_messages={"required": ADDRESS_REQUIRED},
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "street-address"}),
    )
    preferred_date_1 = _date_field(_("Preferred date"), required=True)
    preferred_date_2 = _date_field(_("Another date that suits (optional)"))
    preferred_date_3 = _date_field(_("A third date (optional)"))
    contact_notes = forms.CharField(
        label=_("Anything staff should know before they call or come (optional)"),
        help_text=_("For example: best time to call, floor without a lift, a dog."),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    language = forms.ChoiceField(
        label=_("Language for text messages"), choices=LANGUAGE_CHOICES, widget=forms.RadioSelect
    )

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_id_number(self):
        return validate_id_number(self.cleaned_data["id_number"], today=self.today)

    def clean_phone(self):
        return _clean_mobile(self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        if data.get("reason") == VisitReason.OTHER and not data.get("reason_note", "").strip():
            self.add_error("reason_note", REASON_NOTE_REQUIRED)
        last = self.today + dt.timedelta(days=MAX_DAYS_AHEAD)
        for name in ("preferred_date_1", "preferred_date_2", "preferred_date_3"):
            value = data.get(name)
            if value is not None and not self.today < value <= last:
                self.add_error(name, DATE_RANGE % {"days": MAX_DAYS_AHEAD})
        return data

    @property
    def preferred_dates(self) -> tuple[dt.date, ...]:
        dates = [self.cleaned_data.get(f"preferred_date_{n}") for n in (1, 2, 3)]
        return tuple(sorted({d for d in dates if d}))


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class CounterChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return str(obj) + (f" {obj.label}" if obj.label else "")


class ScheduleForm(forms.Form):
    date = forms.DateField(
        label=_("Date of the visit"),
        error_messages={"required": VISIT_DATE_REQUIRED, "invalid": DATE_INVALID},
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    start = forms.TimeField(
        label=_("Staff leave the hall at"),
        error_messages={"required": TIME_REQUIRED, "invalid": TIME_REQUIRED},
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    minutes = forms.IntegerField(
        label=_("Minutes away from the hall, travel included"),
        initial=120,
        min_value=1,
        error_messages={
            "required": MINUTES_INVALID,
            "invalid": MINUTES_INVALID,
            "min_value": MINUTES_INVALID,
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    staff = StaffChoiceField(
        label=_("Two staff members who go"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": STAFF_INVALID, "invalid_choice": STAFF_INVALID},
    )
    counters = CounterChoiceField(
        label=_("Windows left closed while they are away"),
        help_text=_(
            "Bookings for these windows' services are reduced for that time. Usually one per staff member."
        ),
        queryset=Counter.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, visit, **kwargs):
        super().__init__(*args, **kwargs)
        self.visit = visit
        self.fields["staff"].queryset = (
            get_user_model().objects.filter(staff__hall=visit.hall, is_active=True).order_by("username")
        )
        counters = Counter.objects.active().filter(hall=visit.hall)
        self.fields["counters"].queryset = counters
        serving = [c.pk for c in counters.filter(services=visit.service)] or [c.pk for c in counters]
        self.initial.setdefault("counters", serving[:2])  # default: one window per staff member
        if visit.preferred_date_1:
            self.initial.setdefault("date", visit.preferred_date_1)

    def clean_staff(self):
        staff = self.cleaned_data["staff"]
        if len(staff) != 2:
            raise ValidationError(STAFF_INVALID)
        return staff

    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.cleaned_data["date"], self.cleaned_data["start"], self.visit.hall.tz)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the citizen is told it)"),
        max_length=300,
        error_messages={"required": DECISION_REASON_REQUIRED},
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(DECISION_REASON_REQUIRED)
        return reason


class MaterialChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class OutcomeForm(forms.Form):
    OUTCOMES = [("done", _("Done")), ("materials_missing", _("Materials missing"))]

    outcome = forms.ChoiceField(
        label=_("How did the visit end?"),
        choices=OUTCOMES,
        widget=forms.RadioSelect,
        error_messages={"required": OUTCOME_REQUIRED, "invalid_choice": OUTCOME_REQUIRED},
    )
    missing = MaterialChoiceField(
        label=_("Missing from the guide"),
        queryset=Material.objects.none(),
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

    def __init__(self, *args, visit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["missing"].queryset = visit.service.materials.all()

    def clean(self):
        data = super().clean()
        if (
            data.get("outcome") == "materials_missing"
            and not data.get("missing")
            and not data.get("missing_note", "").strip()
        ):
            self.add_error("missing", MISSING_REQUIRED)
        return data


def local_today(hall) -> dt.date:
    return hall.local_date(timezone.now())
