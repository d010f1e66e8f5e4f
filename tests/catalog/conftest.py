"""Catalog fixtures: a small catalog tree and a builder for .xlsx uploads."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from catalog.models import Brand, EnergyType, Segment, Series, Trim, VehicleModel

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHINESE_HEADERS = ["品牌", "车系", "车型", "年款", "配置", "指导价"]
ENGLISH_HEADERS = ["Brand", "Series", "Model", "Year", "Trim", "Guide price"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The shared ``users`` fixture hashes a password per role; a fast hasher keeps this suite quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def catalog_tree(db):
    """大众 朗逸 2025 (two trims, one off sale) and 比亚迪 汉 2025 (one trim)."""
    vw = Brand.objects.create(name="大众", name_en="Volkswagen", code="volkswagen", country="德国")
    lavida = Series.objects.create(brand=vw, name="朗逸", segment=Segment.SEDAN, energy_type=EnergyType.FUEL)
    lavida_2025 = VehicleModel.objects.create(series=lavida, name="朗逸", model_year=2025)
    manyi = Trim.objects.create(model=lavida_2025, name="1.5L 自动满逸版", guide_price=Decimal("125900"))
    old = Trim.objects.create(model=lavida_2025, name="1.5L 手动风尚版", guide_price=Decimal("99900"), is_active=False)
    byd = Brand.objects.create(name="比亚迪", name_en="BYD", code="byd", country="中国")
    han = Series.objects.create(brand=byd, name="汉", segment=Segment.SEDAN, energy_type=EnergyType.ELECTRIC)
    han_2025 = VehicleModel.objects.create(series=han, name="汉 EV", model_year=2025)
    han_trim = Trim.objects.create(model=han_2025, name="605KM 尊贵型", guide_price=Decimal("179800"))
    return {
        "vw": vw,
        "lavida": lavida,
        "lavida_2025": lavida_2025,
        "manyi": manyi,
        "old": old,
        "byd": byd,
        "han": han,
        "han_2025": han_2025,
        "han_trim": han_trim,
    }


def build_xlsx(rows, headers=CHINESE_HEADERS, name="price-list.xlsx", preamble=()) -> SimpleUploadedFile:
    """An uploaded .xlsx whose first sheet holds ``preamble`` rows, the header row, then ``rows``."""
    workbook = Workbook()
    sheet = workbook.active
    for line in preamble:
        sheet.append(list(line))
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=XLSX)


@pytest.fixture
def xlsx():
    return build_xlsx
