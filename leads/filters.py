"""One FilterSet per list, shared by the HTML list, the API and the Excel export."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget as _BooleanWidget

from accounts.dates import day_start
from accounts.models import User

from .models import OPEN_STATUSES, FollowUp, Grade, Lead, LeadStatus, Source, Task
from .phones import normalize_phone


class BooleanWidget(_BooleanWidget):
    """Yes / no / any; accepts 1/0 and true/false (links in notifications use ``?overdue=1``)."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", _("Any")), ("true", _("Yes")), ("false", _("No"))]


class LeadFilterSet(django_filters.FilterSet):
    """Filters of "my leads" and the manager's lead list (``owner`` only matters on the latter)."""

    q = django_filters.CharFilter(method="filter_q", label=_("Name or phone"))
    grade = django_filters.MultipleChoiceFilter(choices=Grade.choices, label=_("Grade"))
    status = django_filters.MultipleChoiceFilter(choices=LeadStatus.choices, label=_("Status"))
    open = django_filters.BooleanFilter(widget=BooleanWidget, method="filter_open", label=_("Open leads only"))
    source = django_filters.ModelChoiceFilter(
        queryset=Source.objects.filter(is_active=True).select_related("parent"),
        method="filter_source",
        label=_("Source"),
    )
    series = django_filters.NumberFilter(field_name="series_id", label=_("Intended series"))
    owner = django_filters.ModelChoiceFilter(queryset=User.objects.filter(is_active=True), label=_("Owner"))
    overdue = django_filters.BooleanFilter(widget=BooleanWidget, method="filter_overdue", label=_("Follow-up overdue"))
    created_after = django_filters.DateFilter(method="filter_created_after", label=_("Created from"))
    created_before = django_filters.DateFilter(method="filter_created_before", label=_("Created until"))
    in_pool = django_filters.BooleanFilter(widget=BooleanWidget, method="filter_in_pool", label=_("In the shared pool"))
    is_fleet = django_filters.BooleanFilter(widget=BooleanWidget, field_name="is_fleet", label=_("Fleet"))
    with_dcc = django_filters.BooleanFilter(widget=BooleanWidget, field_name="with_dcc", label=_("Handed to DCC"))

    class Meta:
        model = Lead
        fields = [
            "q",
            "grade",
            "status",
            "open",
            "source",
            "series",
            "owner",
            "overdue",
            "created_after",
            "created_before",
        ]

    def __init__(self, *args, store=None, **kwargs):
        super().__init__(*args, **kwargs)
        if store is not None:
            self.filters["owner"].queryset = User.objects.filter(
                is_active=True, memberships__store=store, memberships__role__permissions__code="leads.own"
            ).distinct()

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q(customer__name__icontains=value)
        try:
            condition |= Q(customer__phone=normalize_phone(value))
        except Exception:  # noqa: BLE001 - not a full number: match on its digits
            digits = "".join(ch for ch in value if ch.isdigit())
            if len(digits) >= 4:
                condition |= Q(customer__phone__endswith=digits)
        return queryset.filter(condition)

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(status__in=OPEN_STATUSES) if value else queryset.exclude(status__in=OPEN_STATUSES)

    def filter_source(self, queryset, name, value):
        return queryset.filter(Q(source=value) | Q(source__parent=value)) if value else queryset

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = Q(next_follow_up_at__lt=day_start(timezone.localdate()), status__in=OPEN_STATUSES)
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_created_after(self, queryset, name, value):
        return queryset.filter(created_at__gte=day_start(value))

    def filter_created_before(self, queryset, name, value):
        return queryset.filter(created_at__lt=day_start(value + dt.timedelta(days=1)))

    def filter_in_pool(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(in_pool_since__isnull=not value)


class FollowUpFilterSet(django_filters.FilterSet):
    """Follow-up records (跟进活动) by consultant and date, for supervisors and managers."""

    author = django_filters.ModelChoiceFilter(queryset=User.objects.filter(is_active=True), label=_("Consultant"))
    date_from = django_filters.DateFilter(method="filter_from", label=_("From"))
    date_to = django_filters.DateFilter(method="filter_to", label=_("To"))
    channel = django_filters.ChoiceFilter(choices=FollowUp.Channel.choices, label=_("Channel"))
    result = django_filters.ChoiceFilter(choices=FollowUp.Result.choices, label=_("Result"))
    uncommented = django_filters.BooleanFilter(
        widget=BooleanWidget, method="filter_uncommented", label=_("Without comment")
    )

    class Meta:
        model = FollowUp
        fields = ["author", "date_from", "date_to", "channel", "result"]

    def filter_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=day_start(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=day_start(value + dt.timedelta(days=1)))

    def filter_uncommented(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(comments__isnull=True) if value else queryset.filter(comments__isnull=False).distinct()


class TaskFilterSet(django_filters.FilterSet):
    WHEN = [("today", _("Today")), ("overdue", _("Overdue")), ("upcoming", _("Upcoming"))]

    when = django_filters.ChoiceFilter(choices=WHEN, method="filter_when", label=_("When"))
    kind = django_filters.ChoiceFilter(choices=Task.Kind.choices, label=_("Kind"))

    class Meta:
        model = Task
        fields = ["when", "kind"]

    def filter_when(self, queryset, name, value):
        today = timezone.localdate()
        return {
            "today": queryset.filter(due_date=today),
            "overdue": queryset.filter(due_date__lt=today),
            "upcoming": queryset.filter(due_date__gt=today),
        }.get(value, queryset)
