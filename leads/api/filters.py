"""API-only filters. Leads, follow-ups and tasks use the pages' FilterSets from ``leads.filters``
(tasks add the two filters a client needs beyond the page: status and "mine")."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..filters import TaskFilterSet
from ..models import Customer, Lead, LostReason, LostRequest, Task
from ..phones import normalize_phone
from ..selectors import pending_requests_for


class CustomerFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Name or phone"))
    store = django_filters.NumberFilter(field_name="store_id", label=_("Store"))
    is_fleet = django_filters.BooleanFilter(field_name="is_fleet", label=_("Fleet"))
    include_merged = django_filters.BooleanFilter(method="filter_merged", label=_("Include merged customers"))

    class Meta:
        model = Customer
        fields = ["q", "store", "is_fleet", "include_merged"]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("include_merged"):
            queryset = queryset.filter(merged_into__isnull=True)
        return queryset

    def filter_merged(self, queryset, name, value):
        return queryset  # applied in filter_queryset, where its absence matters too

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q(name__icontains=value) | Q(wechat=value)
        try:
            condition |= Q(phone=normalize_phone(value))
        except Exception:  # noqa: BLE001 - not a whole number: match the digits at its end
            digits = "".join(ch for ch in value if ch.isdigit())
            if len(digits) >= 4:
                condition |= Q(phone__endswith=digits)
        return queryset.filter(condition)


class TaskApiFilterSet(TaskFilterSet):
    status = django_filters.ChoiceFilter(choices=Task.Status.choices, label=_("Status"))
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Assigned to me"))

    class Meta(TaskFilterSet.Meta):
        fields = [*TaskFilterSet.Meta.fields, "status", "mine"]

    def filter_mine(self, queryset, name, value):
        if value is None or self.request is None:
            return queryset
        return queryset.filter(assignee=self.request.user) if value else queryset.exclude(assignee=self.request.user)


class LostRequestFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=LostRequest.Status.choices, label=_("Status"))
    kind = django_filters.ChoiceFilter(choices=LostReason.Kind.choices, label=_("Kind"))
    decidable = django_filters.BooleanFilter(method="filter_decidable", label=_("Waiting for my decision"))

    class Meta:
        model = LostRequest
        fields = ["status", "kind", "decidable"]

    def filter_decidable(self, queryset, name, value):
        if not value or self.request is None:
            return queryset
        return queryset.filter(pk__in=pending_requests_for(self.request.user).values("pk"))


class OutcomeFilterSet(django_filters.FilterSet):
    """Which ingested leads to report back: by source, store and time."""

    source = django_filters.CharFilter(method="filter_source", label=_("Source code (its sub-channels included)"))
    store = django_filters.CharFilter(field_name="store__code", label=_("Store code"))
    since = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("Leads received at or after (ISO 8601)")
    )
    changed_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label=_("Leads changed at or after (ISO 8601)")
    )

    class Meta:
        model = Lead
        fields = ["source", "store", "since", "changed_since"]

    def filter_source(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(source__code=value) | Q(source__parent__code=value))
