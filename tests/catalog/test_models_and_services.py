"""Natural-key constraints, display names, the VIN model and form fields, and the write services."""

from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import translation

from accounts.models import AuditLog
from catalog import services
from catalog.forms import VINFormField
from catalog.models import Brand, Series, Trim, VehicleModel, VINField

pytestmark = pytest.mark.django_db


def test_natural_keys_are_unique(catalog_tree):
    with transaction.atomic(), pytest.raises(IntegrityError):
        Brand.objects.create(name="大众")
    with transaction.atomic(), pytest.raises(IntegrityError):
        Series.objects.create(brand=catalog_tree["vw"], name="朗逸")
    with transaction.atomic(), pytest.raises(IntegrityError):
        VehicleModel.objects.create(series=catalog_tree["lavida"], name="朗逸", model_year=2025)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Trim.objects.create(model=catalog_tree["lavida_2025"], name="1.5L 自动满逸版", guide_price=1)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Trim.objects.create(model=catalog_tree["lavida_2025"], name="负价", guide_price=-1)


def test_same_names_are_fine_under_another_parent(catalog_tree):
    Series.objects.create(brand=catalog_tree["byd"], name="朗逸")
    VehicleModel.objects.create(series=catalog_tree["lavida"], name="朗逸", model_year=2026)
    Trim.objects.create(model=catalog_tree["han_2025"], name="1.5L 自动满逸版", guide_price=1)
    # Brands without a code do not collide on the empty code.
    Brand.objects.create(name="无代码一")
    Brand.objects.create(name="无代码二")


def test_display_names(catalog_tree):
    with translation.override("en"):
        assert str(catalog_tree["lavida"]) == "大众 朗逸"
        assert str(catalog_tree["lavida_2025"]) == "2025 朗逸"
        assert str(catalog_tree["manyi"]) == "大众 2025 朗逸 1.5L 自动满逸版"


def test_search_matches_every_word_across_levels(catalog_tree):
    assert list(Trim.objects.search("大众 满逸")) == [catalog_tree["manyi"]]
    assert list(Trim.objects.search("byd")) == [catalog_tree["han_trim"]]
    assert Trim.objects.search("").count() == 3
    assert list(Brand.objects.search("volks")) == [catalog_tree["vw"]]
    assert list(Series.objects.search("比亚迪")) == [catalog_tree["han"]]


def test_vin_model_field_normalises_and_validates():
    # A bare field: registering a test model in the catalog app would leak into migration checks.
    field = VINField()
    field.set_attributes_from_name("vin")
    assert field.max_length == 17
    assert field.clean(" lrbfx2sa0jd026226 ", None) == "LRBFX2SA0JD026226"
    with translation.override("en"):
        with pytest.raises(ValidationError) as exc_info:
            field.clean("LRBFX2SA0JD0262261", None)
        # One clear message about the length, not Django's generic max-length one besides it.
        assert exc_info.value.messages == ["A VIN has exactly 17 characters, but 18 characters were given."]
    assert isinstance(field.formfield(), VINFormField)
    name, path, args, kwargs = field.deconstruct()
    assert path == "catalog.models.VINField" and "max_length" not in kwargs


def test_vin_form_field():
    class Form(forms.Form):
        vin = VINFormField()

    form = Form(data={"vin": "lfv2a11k8f4192886"})
    assert form.is_valid()
    assert form.cleaned_data["vin"] == "LFV2A11K8F4192886"
    with translation.override("en"):
        form = Form(data={"vin": "LSVAU033512345678"})
        assert not form.is_valid()
        assert '"6" was expected' in form.errors["vin"][0]


def test_services_create_update_and_audit(users):
    admin = users.admin
    brand = services.brand_create(actor=admin, name="红旗", name_en="Hongqi", code="hongqi", country="中国")
    series = services.series_create(actor=admin, brand=brand, name="H5", segment="sedan", energy_type="fuel")
    model = services.vehicle_model_create(actor=admin, series=series, name="H5", model_year=2025)
    trim = services.trim_create(actor=admin, model=model, name="1.5T 智联旗畅版", guide_price=Decimal("159800"))
    services.trim_update(actor=admin, trim=trim, guide_price=Decimal("149800"))
    trim.refresh_from_db()
    assert trim.guide_price == Decimal("149800")

    actions = list(AuditLog.objects.filter(actor=admin).order_by("id").values_list("action", flat=True))
    assert actions == ["brand.create", "series.create", "vehicle_model.create", "trim.create", "trim.update"]
    update = AuditLog.objects.get(action="trim.update")
    old, new = update.changes["guide_price"]
    assert (Decimal(old), Decimal(new)) == (Decimal("159800"), Decimal("149800"))
    assert update.object_id == str(trim.pk) and update.store is None


def test_update_without_changes_writes_no_audit(catalog_tree, users):
    services.brand_update(actor=users.admin, brand=catalog_tree["vw"], name="大众")
    assert not AuditLog.objects.filter(action="brand.update").exists()


def test_services_validate(catalog_tree, users):
    with pytest.raises(ValidationError) as exc_info:
        services.brand_create(actor=users.admin, name="大众")
    assert "name" in exc_info.value.message_dict or "__all__" in exc_info.value.message_dict
    with pytest.raises(ValidationError) as exc_info:
        services.trim_create(actor=users.admin, model=catalog_tree["han_2025"], name="负价", guide_price=Decimal(-1))
    assert "guide_price" in exc_info.value.message_dict
    with pytest.raises(ValidationError) as exc_info:
        services.vehicle_model_create(actor=users.admin, series=catalog_tree["han"], name="汉", model_year=1900)
    assert "model_year" in exc_info.value.message_dict


def test_delete_service_audits_and_respects_protection(catalog_tree, users):
    services.catalog_entry_delete(actor=users.admin, instance=catalog_tree["han_trim"])
    assert not Trim.objects.filter(pk=catalog_tree["han_trim"].pk).exists()
    assert AuditLog.objects.filter(action="trim.delete").exists()
    with pytest.raises(models.ProtectedError):
        services.catalog_entry_delete(actor=users.admin, instance=catalog_tree["vw"])
