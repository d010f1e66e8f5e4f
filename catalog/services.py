"""Writes to the catalog: create and change brands, series, models and trims, and import a price list.

Every write validates the row (field validators and unique constraints), saves it and leaves an
audit entry. The catalog belongs to the installation, so its audit entries name no store.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models, transaction

from accounts.models import User
from accounts.services import audit_record, diff_fields

from . import importing
from .importing import ImportResult
from .models import Brand, Series, Trim, VehicleModel

AUDIT_NAMES = {Brand: "brand", Series: "series", VehicleModel: "vehicle_model", Trim: "trim"}


def _create(*, actor: User | None, model: type[models.Model], data: dict[str, Any]) -> models.Model:
    instance = model(**data)
    instance.full_clean()
    instance.save()
    audit_record(actor=actor, action=f"{AUDIT_NAMES[model]}.create", obj=instance, changes=data)
    return instance


def _update(*, actor: User | None, instance: models.Model, data: dict[str, Any]) -> models.Model:
    changes = diff_fields(instance, data)
    if not changes:
        return instance
    for field, value in data.items():
        setattr(instance, field, value)
    instance.full_clean()
    instance.save(update_fields=list(changes))
    audit_record(actor=actor, action=f"{AUDIT_NAMES[type(instance)]}.update", obj=instance, changes=changes)
    return instance


@transaction.atomic
def brand_create(*, actor: User | None, name: str, name_en: str = "", code: str = "", country: str = "") -> Brand:
    """Add a brand to the catalog."""
    return _create(actor=actor, model=Brand, data={"name": name, "name_en": name_en, "code": code, "country": country})


@transaction.atomic
def brand_update(*, actor: User | None, brand: Brand, **data: Any) -> Brand:
    """Change a brand's name, English name, code or country."""
    return _update(actor=actor, instance=brand, data=data)


@transaction.atomic
def series_create(
    *,
    actor: User | None,
    brand: Brand,
    name: str,
    segment: str = "",
    energy_type: str = "",
    is_active: bool = True,
) -> Series:
    """Add a series (车系) to a brand."""
    data = {"brand": brand, "name": name, "segment": segment, "energy_type": energy_type, "is_active": is_active}
    return _create(actor=actor, model=Series, data=data)


@transaction.atomic
def series_update(*, actor: User | None, series: Series, **data: Any) -> Series:
    """Change a series; ``is_active=False`` takes it off sale without losing the leads that name it."""
    return _update(actor=actor, instance=series, data=data)


@transaction.atomic
def vehicle_model_create(*, actor: User | None, series: Series, name: str, model_year: int) -> VehicleModel:
    """Add a model year (车型) to a series."""
    return _create(actor=actor, model=VehicleModel, data={"series": series, "name": name, "model_year": model_year})


@transaction.atomic
def vehicle_model_update(*, actor: User | None, vehicle_model: VehicleModel, **data: Any) -> VehicleModel:
    return _update(actor=actor, instance=vehicle_model, data=data)


@transaction.atomic
def trim_create(
    *, actor: User | None, model: VehicleModel, name: str, guide_price: Decimal, is_active: bool = True
) -> Trim:
    """Add a trim (配置) with its guide price to a model."""
    data = {"model": model, "name": name, "guide_price": guide_price, "is_active": is_active}
    return _create(actor=actor, model=Trim, data=data)


@transaction.atomic
def trim_update(*, actor: User | None, trim: Trim, **data: Any) -> Trim:
    """Change a trim, e.g. a new guide price or taking it off sale."""
    return _update(actor=actor, instance=trim, data=data)


@transaction.atomic
def catalog_entry_delete(*, actor: User | None, instance: Brand | Series | VehicleModel | Trim) -> None:
    """Delete a catalog row that nothing refers to (protected references raise ``ProtectedError``)."""
    audit_record(
        actor=actor, action=f"{AUDIT_NAMES[type(instance)]}.delete", obj=instance, changes={"name": instance.name}
    )
    instance.delete()


@transaction.atomic
def catalog_import(*, actor: User | None, file) -> ImportResult:
    """Upsert a price list from an .xlsx file: good rows are written, bad rows are reported with a reason.

    Everything is written in one transaction, so a failure midway leaves the catalog as it was.
    Raises ``ValidationError`` when the file itself is unusable (not a workbook, no header row).
    """
    sheet = importing.parse_sheet(file)
    result = ImportResult(total_rows=sheet.total, errors=sheet.errors)
    brands: dict[str, Brand] = {}
    series_cache: dict[tuple, Series] = {}
    models_cache: dict[tuple, VehicleModel] = {}
    for row in sheet.rows:
        brand = brands.get(row.brand)
        if brand is None:
            brand, created = Brand.objects.get_or_create(name=row.brand)
            brands[row.brand] = brand
            result.created["brands"] += created

        series = series_cache.get((brand.pk, row.series))
        if series is None:
            series, created = Series.objects.get_or_create(
                brand=brand, name=row.series, defaults={"segment": row.segment, "energy_type": row.energy_type}
            )
            series_cache[(brand.pk, row.series)] = series
            result.created["series"] += created
        changed = {
            field: value
            for field, value in (("segment", row.segment), ("energy_type", row.energy_type))
            if value and getattr(series, field) != value
        }
        if changed:
            for field, value in changed.items():
                setattr(series, field, value)
            series.save(update_fields=list(changed))
            result.updated_series += 1

        model_key = (series.pk, row.model, row.year)
        vehicle_model = models_cache.get(model_key)
        if vehicle_model is None:
            vehicle_model, created = VehicleModel.objects.get_or_create(
                series=series, name=row.model, model_year=row.year
            )
            models_cache[model_key] = vehicle_model
            result.created["models"] += created

        trim, created = Trim.objects.get_or_create(
            model=vehicle_model, name=row.trim, defaults={"guide_price": row.price}
        )
        if created:
            result.created["trims"] += 1
        elif trim.guide_price != row.price:
            trim.guide_price = row.price
            trim.save(update_fields=["guide_price"])
            result.updated_trims += 1
        else:
            result.unchanged_trims += 1
        result.imported_rows += 1
    audit_record(
        actor=actor,
        action="catalog.import",
        changes={"file": getattr(file, "name", ""), **result.summary()},
    )
    return result
