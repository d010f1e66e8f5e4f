"""Reads for the catalog pages: brands with their counts, a series with its models and trims."""

from __future__ import annotations

from django.db.models import Count, Min, Prefetch, Q, QuerySet

from .models import Brand, Series, Trim, VehicleModel


def brand_overview() -> QuerySet[Brand]:
    """Every brand with how many series it has (on sale and in all)."""
    return Brand.objects.annotate(
        series_count=Count("series", distinct=True),
        active_series_count=Count("series", filter=Q(series__is_active=True), distinct=True),
    )


def brand_series(brand: Brand) -> QuerySet[Series]:
    """A brand's series with their model and trim counts and the lowest guide price on sale."""
    return brand.series.annotate(
        model_count=Count("models", distinct=True),
        trim_count=Count("models__trims", distinct=True),
        lowest_price=Min("models__trims__guide_price", filter=Q(models__trims__is_active=True)),
    ).order_by("-is_active", "name")


def series_models(series: Series) -> QuerySet[VehicleModel]:
    """A series' models, newest year first, each with its trims by price."""
    return series.models.prefetch_related(
        Prefetch("trims", queryset=Trim.objects.order_by("-is_active", "guide_price", "name"))
    ).order_by("-model_year", "name")
