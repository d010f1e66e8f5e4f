"""One FilterSet per list, shared by the HTML list and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.dates import day_start

from .models import Callback, Complaint, ComplaintStatus, Enquiry, Scorecard, ServiceReminder


class ComplaintFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Number or customer"))
    status = django_filters.ChoiceFilter(choices=ComplaintStatus.choices, label=_("Status"))
    category = django_filters.ChoiceFilter(choices=Complaint.Category.choices, label=_("Category"))
    breached = django_filters.BooleanFilter(label=_("Handling time breached"))
    media_or_legal = django_filters.BooleanFilter(label=_("Media or legal background"))
    registered_from = django_filters.DateFilter(method="registered_after", label=_("Registered from"))
    registered_to = django_filters.DateFilter(method="registered_before", label=_("Registered to"))

    class Meta:
        model = Complaint
        fields = ["q", "status", "category", "breached", "media_or_legal", "registered_from", "registered_to"]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(customer__name__icontains=value))

    def registered_after(self, queryset, name, value):
        return queryset.filter(registered_at__gte=day_start(value))

    def registered_before(self, queryset, name, value):
        import datetime as dt

        return queryset.filter(registered_at__lt=day_start(value + dt.timedelta(days=1)))


class CallbackFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Callback.Kind.choices, label=_("Callback"))
    due_from = django_filters.DateFilter(field_name="due_date", lookup_expr="gte", label=_("Due from"))
    due_to = django_filters.DateFilter(field_name="due_date", lookup_expr="lte", label=_("Due to"))

    class Meta:
        model = Callback
        fields = ["kind", "assignee", "due_from", "due_to"]


class ServiceReminderFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ServiceReminder.Kind.choices, label=_("Reminder"))
    open = django_filters.BooleanFilter(field_name="done_at", lookup_expr="isnull", label=_("Still open"))
    due_from = django_filters.DateFilter(field_name="due_date", lookup_expr="gte", label=_("Due from"))
    due_to = django_filters.DateFilter(field_name="due_date", lookup_expr="lte", label=_("Due to"))

    class Meta:
        model = ServiceReminder
        fields = ["store", "kind", "open", "due_from", "due_to"]


class EnquiryFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Enquiry.Kind.choices, label=_("Kind"))
    open = django_filters.BooleanFilter(field_name="handled_at", lookup_expr="isnull", label=_("Still open"))

    class Meta:
        model = Enquiry
        fields = ["store", "kind", "open", "passed_to"]


class ScorecardFilterSet(django_filters.FilterSet):
    approved = django_filters.BooleanFilter(
        field_name="approved_at", lookup_expr="isnull", exclude=True, label=_("Approved")
    )
    month_from = django_filters.DateFilter(field_name="month", lookup_expr="gte", label=_("Month from"))
    month_to = django_filters.DateFilter(field_name="month", lookup_expr="lte", label=_("Month to"))

    class Meta:
        model = Scorecard
        fields = ["store", "approved", "month_from", "month_to"]
