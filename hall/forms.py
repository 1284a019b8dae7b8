"""The one form for a year's State Council holiday schedule (the staff page and the admin use it)."""

import datetime as dt
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from hall import calendar

DATE_SEPARATORS = re.compile(r"[\s,，、;；]+")


def _festival_field(name: str, which: str) -> str:
    return f"{calendar.FESTIVALS.index(name)}_{which}"


class HolidayScheduleForm(forms.Form):
    """One pair of dates per festival of the notice (leave a festival empty when it merges into another,
    e.g. Mid-Autumn into National Day) and the make-up workdays (调休)."""

    workdays = forms.CharField(
        label=_("Make-up workdays"),
        required=False,
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Weekend days worked instead, as 2027-02-20, one or more separated by spaces or commas."),
    )

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year
        for name in calendar.FESTIVALS:
            label = calendar.HOLIDAY_NAMES[name]
            for which, text in (("first", _("first day off")), ("last", _("last day off"))):
                self.fields[_festival_field(name, which)] = forms.DateField(
                    label=f"{label}: {text}", required=False, widget=forms.DateInput(attrs={"type": "date"})
                )
        self.order_fields([*(f for f in self.fields if f != "workdays"), "workdays"])

    @classmethod
    def initial_for(cls, national: calendar.NationalYear | None) -> dict:
        if national is None:
            return {}
        initial = {"workdays": " ".join(d.isoformat() for d in sorted(national.workdays))}
        for r in national.holidays:
            initial[_festival_field(r.name, "first")] = r.first
            initial[_festival_field(r.name, "last")] = r.last
        return initial

    def festival_rows(self):
        return [
            (self[_festival_field(n, "first")], self[_festival_field(n, "last")]) for n in calendar.FESTIVALS
        ]

    def clean_workdays(self) -> frozenset[dt.date]:
        found = set()
        for word in DATE_SEPARATORS.split(self.cleaned_data["workdays"].strip()):
            if not word:
                continue
            try:
                found.add(dt.date.fromisoformat(word))
            except ValueError:
                raise forms.ValidationError(
                    _("“%(value)s” is not a date; write it as 2027-02-20."), params={"value": word[:20]}
                ) from None
        return frozenset(found)

    def clean(self):
        data = super().clean()
        ranges = []
        for name in calendar.FESTIVALS:
            first, last = (data.get(_festival_field(name, w)) for w in ("first", "last"))
            if first and last:
                ranges.append(calendar.HolidayRange(first, last, name))
            elif first or last:
                missing = _festival_field(name, "last" if first else "first")
                if missing not in self.errors:
                    self.add_error(missing, _("Enter both the first and the last day off."))
        if not ranges and not self.errors:
            raise forms.ValidationError(_("Enter at least one holiday."))
        if "workdays" in self.errors:
            return data
        data["national"] = calendar.NationalYear(self.year, tuple(ranges), data.get("workdays", frozenset()))
        for field, message in calendar.schedule_problems(data["national"]):
            self.add_error(field if field == "workdays" else _festival_field(field, "first"), message)
        return data
