"""The what-if form: counters per open hour of the plan's day, the demand to play (the plan's own, or a
standard day type), the walk-in level and the seed. Every refusal says what to enter instead, in the
user's language."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.periods import BAD_DATE, FIRST_DATE, LAST_DATE
from simulation import whatif
from simulation.scenario import DAY_TYPES

DAY_TYPE_LABELS = {
    whatif.PLAN: _("The plan's demand (the day's bookings, walk-ins from the hall's history)"),
    "quiet": _("Quiet day (80 walk-ins)"),
    "normal": _("Normal day (150 walk-ins, two breaks)"),
    "peak": _("Busy day (200 walk-ins, a counter away 10:00–11:00)"),
}
FEWER_THAN_NONE = _("Counters at %(hour)s: enter 0 or more.")
TOO_MANY = _(
    "Counters at %(hour)s: at most %(most)s (three times the hall's %(counters)s counters in service)."
)
NOT_A_NUMBER = _("Counters at %(hour)s: enter a whole number.")
WALK_IN_LEVEL = _("Enter a walk-in level from %(low)s to %(high)s %%.")
SEED_RANGE = _("Enter a seed from 1 to 999999.")
PAST_DAY = _("Choose today or a later day.")
TOO_FAR = _("Choose a day within %(days)s days from today.")
MAX_DAYS_AHEAD = 366
CLOSED_DAY = _("The hall is closed on that day: choose a day it opens.")


def day_choices():
    return [(name, DAY_TYPE_LABELS.get(name, name)) for name in (whatif.PLAN, *DAY_TYPES)]


class StartForm(forms.Form):
    """Which plan to start from (GET): the day and the day type."""

    date = forms.DateField(
        label=_("Day of the plan"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    day = forms.ChoiceField(label=_("Day type"), choices=day_choices)

    def clean_date(self):
        value = self.cleaned_data["date"]
        if not FIRST_DATE <= value <= LAST_DATE:
            raise forms.ValidationError(BAD_DATE)
        return value


class WhatIfForm(forms.Form):
    date = forms.DateField(widget=forms.HiddenInput)
    day = forms.ChoiceField(choices=day_choices, widget=forms.HiddenInput)
    walk_in_percent = forms.IntegerField(
        label=_("Walk-in level, in per cent of the expected walk-ins"),
        initial=100,
        widget=forms.NumberInput(attrs={"min": whatif.WALK_IN_PERCENT[0], "max": whatif.WALK_IN_PERCENT[1]}),
    )
    seed = forms.IntegerField(
        label=_("Seed (the same seed plays the same day)"),
        initial=1,
        widget=forms.NumberInput(attrs={"min": 1, "max": 999999}),
    )

    def __init__(self, *args, hall, hours: list[int], today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.hall, self.hours, self.today = hall, hours, today
        self.counters_in_service = max(1, hall.counters.windows().count())
        self.most = whatif.most_counters(hall)
        for hour in hours:
            self.fields[f"c{hour}"] = forms.CharField(
                label=f"{hour:02d}:00",
                widget=forms.NumberInput(attrs={"min": 0, "max": self.most, "class": "counter-input"}),
            )

    def counter_fields(self):
        return [self[f"c{hour}"] for hour in self.hours]

    def _clean_counter(self, hour: int, raw: str) -> int:
        label = f"{hour:02d}:00"
        try:
            value = int(raw.strip())
        except ValueError:
            raise forms.ValidationError(NOT_A_NUMBER, params={"hour": label}) from None
        if value < 0:
            raise forms.ValidationError(FEWER_THAN_NONE, params={"hour": label})
        if value > self.most:
            raise forms.ValidationError(
                TOO_MANY, params={"hour": label, "most": self.most, "counters": self.counters_in_service}
            )
        return value

    def clean_walk_in_percent(self):
        value = self.cleaned_data["walk_in_percent"]
        low, high = whatif.WALK_IN_PERCENT
        if not low <= value <= high:
            raise forms.ValidationError(WALK_IN_LEVEL, params={"low": low, "high": high})
        return value

    def clean_seed(self):
        value = self.cleaned_data["seed"]
        if not 1 <= value <= 999999:
            raise forms.ValidationError(SEED_RANGE)
        return value

    def clean_date(self):
        value = self.cleaned_data["date"]
        if value < self.today:
            raise forms.ValidationError(PAST_DAY)
        if value > self.today + dt.timedelta(days=MAX_DAYS_AHEAD):
            raise forms.ValidationError(TOO_FAR, params={"days": MAX_DAYS_AHEAD})
        if not self.hours:
            raise forms.ValidationError(CLOSED_DAY)
        return value

    def clean(self):
        data = super().clean()
        counters = {}
        for hour in self.hours:
            name = f"c{hour}"
            if name in self.errors:
                continue
            try:
                counters[hour] = self._clean_counter(hour, data.get(name, ""))
            except forms.ValidationError as error:
                self.add_error(name, error)
        data["counters"] = counters
        return data

    def inputs(self) -> whatif.Inputs:
        data = self.cleaned_data
        return whatif.Inputs(
            data["date"], data["day"], data["walk_in_percent"], data["seed"], data["counters"]
        )
