"""One FilterSet per catalog list, shared by the HTML browser and the API so both filter alike."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Brand, EnergyType, Segment, Series, Trim, VehicleModel


class CatalogFilterSet(django_filters.FilterSet):
    """Bootstrap classes on the filter form, so the HTML list renders it as is."""

    @property
    def form(self):
        form = super().form
        for field in form.fields.values():
            widget = field.widget
            if "class" not in widget.attrs:
                widget.attrs["class"] = "form-select" if isinstance(widget, forms.Select) else "form-control"
        return form


class BrandFilterSet(CatalogFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))

    class Meta:
        model = Brand
        fields = ["q", "country"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


class SeriesFilterSet(CatalogFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    brand = django_filters.ModelChoiceFilter(queryset=Brand.objects.all(), label=_("Brand"))
    segment = django_filters.ChoiceFilter(choices=Segment.choices, label=_("Segment"))
    energy_type = django_filters.ChoiceFilter(choices=EnergyType.choices, label=_("Energy type"))
    is_active = django_filters.BooleanFilter(label=_("On sale"))

    class Meta:
        model = Series
        fields = ["q", "brand", "segment", "energy_type", "is_active"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


class VehicleModelFilterSet(CatalogFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    brand = django_filters.ModelChoiceFilter(field_name="series__brand", queryset=Brand.objects.all(), label=_("Brand"))
    series = django_filters.ModelChoiceFilter(queryset=Series.objects.all(), label=_("Series"))
    year = django_filters.NumberFilter(field_name="model_year", label=_("Model year"))

    class Meta:
        model = VehicleModel
        fields = ["q", "brand", "series", "year"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


class TrimFilterSet(CatalogFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    brand = django_filters.ModelChoiceFilter(
        field_name="model__series__brand", queryset=Brand.objects.all(), label=_("Brand")
    )
    series = django_filters.ModelChoiceFilter(
        field_name="model__series", queryset=Series.objects.select_related("brand"), label=_("Series")
    )
    model = django_filters.ModelChoiceFilter(queryset=VehicleModel.objects.all(), label=_("Model"))
    year = django_filters.NumberFilter(field_name="model__model_year", label=_("Model year"))
    energy_type = django_filters.ChoiceFilter(
        field_name="model__series__energy_type", choices=EnergyType.choices, label=_("Energy type")
    )
    min_price = django_filters.NumberFilter(field_name="guide_price", lookup_expr="gte", label=_("Lowest price"))
    max_price = django_filters.NumberFilter(field_name="guide_price", lookup_expr="lte", label=_("Highest price"))
    is_active = django_filters.BooleanFilter(label=_("On sale"))

    class Meta:
        model = Trim
        fields = ["q", "brand", "series", "model", "year", "energy_type", "min_price", "max_price", "is_active"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)
