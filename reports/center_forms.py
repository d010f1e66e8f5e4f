"""The report center's list filter and the subscription form."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from dcc.forms import style_fields

from .base import Report
from .models import Period, ReportFile


class ReportFileFilterSet(django_filters.FilterSet):
    """The report center's files: by report, period and day."""

    report = django_filters.ChoiceFilter(label=_("Report"), choices=(), empty_label=_("Every report"))
    period = django_filters.ChoiceFilter(label=_("Period"), choices=Period.choices, empty_label=_("Both periods"))
    day = django_filters.DateFilter(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = ReportFile
        fields = ["report", "period", "day"]

    def __init__(self, *args, reports: list[type[Report]], **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["report"].extra["choices"] = [(r.identifier, f"{r.number} {r.verbose_name}") for r in reports]
        style_fields(self.form, small=True)


def subscription_value(report: str, period: str) -> str:
    return f"{report}:{period}"


class SubscriptionForm(forms.Form):
    """Which of the report center's files the user receives by email each morning."""

    subscriptions = forms.MultipleChoiceField(label=_("Subscriptions"), required=False, choices=())

    def __init__(self, *args, reports: list[type[Report]], **kwargs):
        super().__init__(*args, **kwargs)
        self.reports = reports
        self.fields["subscriptions"].choices = [
            (subscription_value(report.identifier, period), f"{report.verbose_name} · {label}")
            for report in reports
            for period, label in Period.choices
        ]

    def chosen(self) -> set[tuple[str, str]]:
        return {tuple(value.split(":", 1)) for value in self.cleaned_data["subscriptions"]}
