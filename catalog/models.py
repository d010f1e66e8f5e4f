"""The vehicle catalog every store sells from: brand → series → model (per model year) → trim.

The catalog is shared by the whole installation, not owned by a store: leads, visits and orders
in every store point at the same series and trims, so group reports can add them up.
"""

from __future__ import annotations

from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .validators import normalize_vin, validate_model_year, validate_vin


class Segment(models.TextChoices):
    SEDAN = "sedan", _("Sedan")
    HATCHBACK = "hatchback", _("Hatchback")
    SUV = "suv", _("SUV")
    MPV = "mpv", _("MPV")
    WAGON = "wagon", _("Estate")
    COUPE = "coupe", _("Coupé or convertible")
    PICKUP = "pickup", _("Pickup")
    OTHER = "other", _("Other")


class EnergyType(models.TextChoices):
    FUEL = "fuel", _("Petrol or diesel")
    HYBRID = "hybrid", _("Hybrid (HEV)")
    PLUGIN_HYBRID = "phev", _("Plug-in or range-extender hybrid")
    ELECTRIC = "ev", _("Battery electric (EV)")


class BrandQuerySet(models.QuerySet):
    def search(self, query: str) -> BrandQuerySet:
        query = (query or "").strip()
        if not query:
            return self
        return self.filter(Q(name__icontains=query) | Q(name_en__icontains=query) | Q(code__icontains=query))


class Brand(models.Model):
    """A make such as 大众 (Volkswagen) or 比亚迪 (BYD)."""

    name = models.CharField(_("name"), max_length=60, help_text=_("The name customers know, e.g. 大众."))
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    code = models.SlugField(
        _("code"), max_length=32, blank=True, help_text=_("A short code for interfaces, e.g. volkswagen (optional).")
    )
    country = models.CharField(_("country of origin"), max_length=40, blank=True)

    objects = BrandQuerySet.as_manager()

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="catalog_brand_unique_name"),
            models.UniqueConstraint(fields=["code"], condition=~Q(code=""), name="catalog_brand_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:brand_detail", args=[self.pk])


class SeriesQuerySet(models.QuerySet):
    def active(self) -> SeriesQuerySet:
        return self.filter(is_active=True)

    def search(self, query: str) -> SeriesQuerySet:
        query = (query or "").strip()
        if not query:
            return self
        return self.filter(
            Q(name__icontains=query) | Q(brand__name__icontains=query) | Q(brand__name_en__icontains=query)
        )


class Series(models.Model):
    """A model line of a brand such as 朗逸 or 汉: what a customer says they are interested in."""

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="series", verbose_name=_("brand"))
    name = models.CharField(_("name"), max_length=60)
    segment = models.CharField(_("segment"), max_length=12, choices=Segment.choices, blank=True)
    energy_type = models.CharField(_("energy type"), max_length=8, choices=EnergyType.choices, blank=True)
    is_active = models.BooleanField(
        _("on sale"), default=True, help_text=_("Series no longer sold are kept for history but not offered.")
    )

    objects = SeriesQuerySet.as_manager()

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")
        ordering = ["brand__name", "name"]
        constraints = [models.UniqueConstraint(fields=["brand", "name"], name="catalog_series_unique_brand_name")]

    def __str__(self) -> str:
        return f"{self.brand} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("catalog:series_detail", args=[self.pk])


class VehicleModelQuerySet(models.QuerySet):
    def search(self, query: str) -> VehicleModelQuerySet:
        query = (query or "").strip()
        if not query:
            return self
        return self.filter(
            Q(name__icontains=query) | Q(series__name__icontains=query) | Q(series__brand__name__icontains=query)
        )


class VehicleModel(models.Model):
    """One model year of a series (e.g. the 2025 朗逸); its trims carry the prices."""

    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="models", verbose_name=_("series"))
    name = models.CharField(_("name"), max_length=80)
    model_year = models.PositiveSmallIntegerField(_("model year"), validators=[validate_model_year])

    objects = VehicleModelQuerySet.as_manager()

    class Meta:
        verbose_name = _("model")
        verbose_name_plural = _("models")
        ordering = ["series__brand__name", "series__name", "-model_year", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "name", "model_year"], name="catalog_vehiclemodel_unique_series_name_year"
            )
        ]

    def __str__(self) -> str:
        return _("%(year)s %(name)s") % {"year": self.model_year, "name": self.name}

    def get_absolute_url(self) -> str:
        return f"{self.series.get_absolute_url()}#model-{self.pk}"


class TrimQuerySet(models.QuerySet):
    def active(self) -> TrimQuerySet:
        return self.filter(is_active=True)

    def search(self, query: str) -> TrimQuerySet:
        """Trims whose own, model, series or brand name contains every word of ``query``."""
        trims = self
        for word in (query or "").split():
            trims = trims.filter(
                Q(name__icontains=word)
                | Q(model__name__icontains=word)
                | Q(model__series__name__icontains=word)
                | Q(model__series__brand__name__icontains=word)
                | Q(model__series__brand__name_en__icontains=word)
            )
        return trims

    def with_tree(self) -> TrimQuerySet:
        return self.select_related("model__series__brand")


class Trim(models.Model):
    """A configuration customers order (e.g. 1.5L 自动满逸版) with its manufacturer's guide price."""

    model = models.ForeignKey(VehicleModel, on_delete=models.PROTECT, related_name="trims", verbose_name=_("model"))
    name = models.CharField(_("name"), max_length=100)
    guide_price = models.DecimalField(
        _("guide price (yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("The manufacturer's suggested retail price (指导价) in yuan."),
    )
    is_active = models.BooleanField(_("on sale"), default=True)

    objects = TrimQuerySet.as_manager()

    class Meta:
        verbose_name = _("trim")
        verbose_name_plural = _("trims")
        ordering = ["model", "guide_price", "name"]
        constraints = [
            models.UniqueConstraint(fields=["model", "name"], name="catalog_trim_unique_model_name"),
            models.CheckConstraint(condition=Q(guide_price__gte=0), name="catalog_trim_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.model.series.brand} {self.model} {self.name}"

    def get_absolute_url(self) -> str:
        return f"{self.model.series.get_absolute_url()}#trim-{self.pk}"


class VINField(models.CharField):
    """A model field for a VIN: 17 characters, normalised to upper case, checked by ``validate_vin``.

    For the apps that record vehicles (orders, deliveries, service reminders).
    """

    default_validators = [validate_vin]
    description = _("Vehicle identification number (VIN)")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 17)
        kwargs.setdefault("verbose_name", _("VIN"))
        super().__init__(*args, **kwargs)
        # validate_vin already reports a wrong length, saying how many characters were given.
        self.validators[:] = [v for v in self.validators if not isinstance(v, MaxLengthValidator)]

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 17:
            del kwargs["max_length"]
        return name, path, args, kwargs

    def to_python(self, value):
        value = super().to_python(value)
        return value if value is None else normalize_vin(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None else normalize_vin(value)

    def formfield(self, **kwargs):
        from .forms import VINFormField

        return super().formfield(**{"form_class": VINFormField, **kwargs})
