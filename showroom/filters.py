"""One FilterSet per showroom list, shared by the HTML list, the API and the Excel export."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.dates import day_start
from accounts.models import User
from leads.models import Source
from leads.phones import normalize_phone

from .models import Order, TestDrive, Visit

YES_NO = [("1", _("Yes")), ("0", _("No"))]


def _phone_or_digits(value: str) -> tuple[str, str]:
    """(the normalised phone, or "") and (4+ trailing digits to match on, or "")."""
    try:
        return normalize_phone(value), ""
    except ValidationError:
        digits = "".join(ch for ch in value if ch.isdigit())
        return "", digits if len(digits) >= 4 else ""


def style_form(form: forms.Form) -> forms.Form:
    """Bootstrap classes on the filter form's widgets (once per form)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.Select):
            css = "form-select"
        elif isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        else:
            css = "form-control"
        if css not in widget.attrs.get("class", ""):
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
    return form


class DateRangeMixin:
    """``date_from`` / ``date_to`` as local days on one datetime field (a range, so the index serves)."""

    date_field = "arrived_at"

    def filter_from(self, queryset, name, value):
        return queryset.filter(**{f"{self.date_field}__gte": day_start(value)}) if value else queryset

    def filter_to(self, queryset, name, value):
        return (
            queryset.filter(**{f"{self.date_field}__lt": day_start(value + dt.timedelta(days=1))})
            if value
            else queryset
        )


def _store_staff(store):
    return (
        User.objects.filter(is_active=True, memberships__store=store, memberships__role__permissions__code="leads.own")
        .distinct()
        .order_by("full_name", "username")
    )


class VisitFilterSet(DateRangeMixin, django_filters.FilterSet):
    """The visit register (到店客户登记): by day, consultant, first or return, source, 留档, cross-check."""

    date_from = django_filters.DateFilter(
        method="filter_from", label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        method="filter_to", label=_("To"), widget=forms.DateInput(attrs={"type": "date"})
    )
    consultant = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(is_active=True), label=_("Consultant"), empty_label=_("All consultants")
    )
    first = django_filters.ChoiceFilter(
        choices=[("1", _("First visits")), ("0", _("Return visits"))],
        method="filter_first",
        label=_("First or return"),
        empty_label=_("Both"),
    )
    source = django_filters.ModelChoiceFilter(
        queryset=Source.objects.filter(is_active=True, parent__isnull=True),
        method="filter_source",
        label=_("Source"),
        empty_label=_("All sources"),
    )
    filed = django_filters.ChoiceFilter(
        choices=[("1", _("Filed")), ("0", _("Not filed"))],
        method="filter_filed",
        label=_("Contact filed"),
        empty_label=_("Both"),
    )
    unfollowed = django_filters.ChoiceFilter(
        choices=[("1", _("Missed (flagged)"))],
        method="filter_unfollowed",
        label=_("Follow-up"),
        empty_label=_("All"),
    )
    q = django_filters.CharFilter(method="filter_q", label=_("Name or phone"))
    store = django_filters.NumberFilter(field_name="store_id", label=_("Store"))

    class Meta:
        model = Visit
        fields = ["date_from", "date_to", "consultant", "first", "source", "filed", "unfollowed", "q", "store"]

    def __init__(self, *args, store=None, **kwargs):
        super().__init__(*args, **kwargs)
        if store is not None:
            self.filters["consultant"].queryset = _store_staff(store)
            self.filters.pop("store")

    def filter_first(self, queryset, name, value):
        return queryset.filter(is_first_visit=value == "1") if value else queryset

    def filter_filed(self, queryset, name, value):
        return queryset.filter(filed=value == "1") if value else queryset

    def filter_source(self, queryset, name, value):
        return queryset.filter(Q(source=value) | Q(source__parent=value)) if value else queryset

    def filter_unfollowed(self, queryset, name, value):
        # The cross-check marks a visit it checked and found followed with its own arrival time.
        if value != "1":
            return queryset
        return queryset.filter(follow_up_flagged_at__isnull=False).exclude(follow_up_flagged_at=F("arrived_at"))

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        phone, digits = _phone_or_digits(value)
        condition = Q(visitor_name__icontains=value) | Q(customer__name__icontains=value)
        if phone:
            condition |= Q(phone=phone)
        elif digits:
            condition |= Q(phone__endswith=digits)
        return queryset.filter(condition)


class OrderFilterSet(DateRangeMixin, django_filters.FilterSet):
    """Sales orders: search by order number, customer (name or phone) or VIN; status, seller, dates."""

    DATE_FIELDS = {"created": "created_at", "confirmed": "confirmed_at", "delivered": "delivered_at"}
    NOT_CANCELLED = "live"

    q = django_filters.CharFilter(method="filter_q", label=_("Order number, customer or VIN"))
    status = django_filters.ChoiceFilter(
        choices=[(NOT_CANCELLED, _("All but cancelled")), *Order.Status.choices],
        method="filter_status",
        label=_("Status"),
        empty_label=_("All"),
    )
    seller = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(is_active=True), label=_("Sold by"), empty_label=_("Everyone")
    )
    dcc = django_filters.ChoiceFilter(choices=YES_NO, method="filter_dcc", label=_("DCC sale"), empty_label=_("Both"))
    dates = django_filters.ChoiceFilter(
        # The order's own field names: 创建时间, 确认时间, 交车时间 (the list's date column says the same).
        choices=[(key, capfirst(Order._meta.get_field(field).verbose_name)) for key, field in DATE_FIELDS.items()],
        method="filter_dates",
        label=_("Dates are"),
        empty_label=None,
    )
    date_from = django_filters.DateFilter(
        method="filter_from", label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        method="filter_to", label=_("Until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    store = django_filters.NumberFilter(field_name="store_id", label=_("Store"))

    class Meta:
        model = Order
        fields = ["q", "status", "seller", "dcc", "dates", "date_from", "date_to", "store"]

    def __init__(self, *args, store=None, **kwargs):
        super().__init__(*args, **kwargs)
        if store is not None:
            self.filters["seller"].queryset = _store_staff(store)
            self.filters.pop("store")

    @property
    def date_field(self) -> str:
        """The field the date range is on: when the order was created (default), confirmed or delivered."""
        chosen = self.form.cleaned_data.get("dates") if self.is_bound and not self.form["dates"].errors else None
        return self.DATE_FIELDS.get(chosen or "created", "created_at")

    def filter_dates(self, queryset, name, value):
        return queryset  # not a filter of its own: it says which field date_from and date_to are on

    def filter_status(self, queryset, name, value):
        if value == self.NOT_CANCELLED:
            return queryset.exclude(status=Order.Status.CANCELLED)
        return queryset.filter(status=value) if value else queryset

    def filter_dcc(self, queryset, name, value):
        return queryset.filter(is_dcc_sale=value == "1") if value else queryset

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        upper = value.upper()
        condition = Q(number__icontains=upper) | Q(customer__name__icontains=value)
        if len(upper) >= 6:
            condition |= Q(vin__icontains=upper) | Q(delivered_vin__icontains=upper)
        phone, digits = _phone_or_digits(value)
        if phone:
            condition |= Q(customer__phone=phone)
        elif digits:
            condition |= Q(customer__phone__endswith=digits)
        return queryset.filter(condition)


class TestDriveFilterSet(DateRangeMixin, django_filters.FilterSet):
    """Test drives by lead, demo car and day."""

    date_field = "started_at"

    lead = django_filters.NumberFilter(field_name="lead_id", label=_("Lead"))
    vehicle = django_filters.NumberFilter(field_name="vehicle_id", label=_("Demo vehicle"))
    date_from = django_filters.DateFilter(method="filter_from", label=_("From"))
    date_to = django_filters.DateFilter(method="filter_to", label=_("To"))
    store = django_filters.NumberFilter(field_name="store_id", label=_("Store"))

    class Meta:
        model = TestDrive
        fields = ["lead", "vehicle", "date_from", "date_to", "store"]
