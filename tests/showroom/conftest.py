"""Showroom fixtures: a small catalog, two available consultants, a demo car, valid VINs."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from catalog.models import Brand, Series, Trim, VehicleModel
from catalog.validators import vin_check_digit
from showroom import services
from showroom.models import DemoVehicle, RotationEntry
from tests.factories import make_member

_serials = itertools.count(1)
_phones = itertools.count(1)


def make_vin(serial: int | None = None) -> str:
    """A valid VIN (check digit computed) with a fresh serial number."""
    serial = next(_serials) if serial is None else serial
    body = f"LSVAU033X N2{serial:06d}".replace(" ", "")
    digit = vin_check_digit(body[:8] + "0" + body[9:])
    return body[:8] + digit + body[9:]


def wrong_check_digit(vin: str) -> str:
    digit = "0" if vin[8] != "0" else "1"
    return vin[:8] + digit + vin[9:]


def next_phone() -> str:
    return f"137{next(_phones):08d}"


@pytest.fixture
def trim(db):
    brand = Brand.objects.create(name="大众", code="vw")
    series = Series.objects.create(brand=brand, name="朗逸")
    model = VehicleModel.objects.create(series=series, name="朗逸 2026款", model_year=2026)
    return Trim.objects.create(model=model, name="1.5L 自动舒适版", guide_price=Decimal("119900"))


@pytest.fixture
def consultants(store, users):
    """The store's consultant and a second one, both available (the first is first in line)."""
    second = make_member(store, "consultant", username="a_consultant2", full_name="第二顾问")
    for user in (users.consultant, second):
        services.rotation_set_state(actor=user, store=store, consultant=user, state=RotationEntry.State.AVAILABLE)
    return users.consultant, second


@pytest.fixture
def demo_car(store, users, trim):
    return services.demo_vehicle_save(
        actor=users.sales_manager, store=store, trim=trim, plate="沪A·D0001", vin=make_vin(), is_active=True
    )


@pytest.fixture
def other_demo_car(other_store, other_users, trim):
    return DemoVehicle.objects.create(store=other_store, trim=trim, plate="浙A·D0001", vin=make_vin())
