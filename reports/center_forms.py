"""The report center's list filter and the subscription form."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Max, Min
from django.utils.translation import gettext_lazy as _

from dcc.forms import style_fields

from .base import Report
from .models import Period, ReportFile
from .query import month_ends


class ReportFileFilterSet(django_filters.FilterSet):
    """The report center's files: by report, period and day."""

    report = django_filters.ChoiceFilter(label=_("Report"), choices=(), empty_label=_("Every report"))
    period = django_filters.ChoiceFilter(label=_("Period"), choices=Period.choices, empty_label=_("Both periods"))
    day = django_filters.DateFilter(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    whole_months = django_filters.BooleanFilter(
        label=_("Whole months only"),
        method="filter_whole_months",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = ReportFile
        fields = ["report", "period", "day", "whole_months"]

    def __init__(self, *args, reports: list[type[Report]], **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["report"].extra["choices"] = [(r.identifier, f"{r.number} {r.verbose_name}") for r in reports]
        style_fields(self.form, small=True)

    def filter_whole_months(self, queryset, name, value):
        """The month-to-date files of a month's last day: each month whole (kept the longest)."""
        if not value:
            return queryset
        span = queryset.aggregate(first=Min("day"), last=Max("day"))
        if span["first"] is None:
            return queryset.none()
        return queryset.filter(period=Period.MONTH_TO_DATE, day__in=month_ends(span["first"], span["last"]))


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
