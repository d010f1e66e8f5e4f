"""Forms of the dashboards and of the sales targets page. The dashboards ask the same period
question as the reports (``ReportQueryForm``), without the consultant, source and series filters."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import Report
from .forms import ReportQueryForm

MAX_UNITS = 100_000


class DashboardQuery(Report):
    """What the query form needs to know of the dashboards: the permission that decides which
    stores may be chosen, and that there are no filters. Not a report: never registered."""

    identifier = "dashboard"
    number = 0
    verbose_name = _("Store dashboard")
    required_permission = "reports.dashboard"
    filters = ()
    columns = []


class DashboardForm(ReportQueryForm):
    def __init__(self, data=None, *, user, store, today: dt.date | None = None):
        super().__init__(data, user=user, store=store, report=DashboardQuery, today=today)


class GroupDashboardForm(DashboardForm):
    """The group dashboard's question: every store where the user may see the dashboard, unless
    some are chosen."""

    def chosen_stores(self):
        chosen = list(self.cleaned_data.get("stores") or []) if "stores" in self.fields else []
        return tuple(chosen or self.store_queryset)


class MonthField(forms.DateField):
    """A month as ``YYYY-MM`` (an ``<input type="month">``), cleaned to its first day."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m"])
        super().__init__(**kwargs)

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


class TargetMonthForm(forms.Form):
    month = MonthField(label=_("Month"))

    def __init__(self, data=None, **kwargs):
        kwargs.setdefault("initial", {"month": timezone.localdate().replace(day=1)})
        super().__init__(data, **kwargs)
        self.fields["month"].widget.attrs["class"] = "form-control"

    def chosen(self) -> dt.date:
        if self.is_bound and self.is_valid():
            return self.cleaned_data["month"]
        return self.initial["month"]


def units_field(label) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=MAX_UNITS,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm text-end", "inputmode": "numeric"}),
        help_text=_("Orders; leave empty for no target."),
    )


class StoreTargetForm(forms.Form):
    units = units_field(_("Store target"))


class ConsultantTargetForm(forms.Form):
    """One consultant's target; who it is for travels as a hidden id, checked against the store's
    sellers (and the people who already have a target that month)."""

    consultant = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)
    units = units_field(_("Target"))

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consultant"].queryset = people


class BaseConsultantTargetFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            person = form.cleaned_data.get("consultant")
            if person is None:
                raise forms.ValidationError(_("A row has no consultant; reload the page."))
            if person.pk in seen:
                raise forms.ValidationError(_("A consultant is listed twice."))
            seen.add(person.pk)

    def targets(self) -> dict:
        """{consultant: units or None} of every row."""
        return {form.cleaned_data["consultant"]: form.cleaned_data.get("units") for form in self.forms}


ConsultantTargetFormSet = forms.formset_factory(
    ConsultantTargetForm, formset=BaseConsultantTargetFormSet, extra=0, max_num=1000, validate_max=True
)
