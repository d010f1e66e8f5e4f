"""Customer-service fixtures: a delivered order of store A's consultant, a registered complaint."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from catalog.models import Brand, Series, Trim, VehicleModel
from complaints import services
from complaints.models import Complaint
from showroom import services as showroom_services
from showroom.models import RotationEntry
from tests.showroom.conftest import make_vin

_phones = itertools.count(1)


@pytest.fixture
def trim(db):
    brand = Brand.objects.create(name="大众", code="vw")
    series = Series.objects.create(brand=brand, name="朗逸")
    model = VehicleModel.objects.create(series=series, name="朗逸 2026款", model_year=2026)
    return Trim.objects.create(model=model, name="1.5L 自动舒适版", guide_price=Decimal("119900"))


def deliver_order(store, users, trim, *, at=None, name="王先生", capture=None):
    """A buyer visits, orders and takes delivery from ``users.consultant``."""
    showroom_services.rotation_set_state(
        actor=users.consultant, store=store, consultant=users.consultant, state=RotationEntry.State.AVAILABLE
    )
    visit = showroom_services.visit_register(
        actor=users.reception,
        store=store,
        phone=f"136{next(_phones):08d}",
        visitor_name=name,
        consultant=users.consultant,
    )
    order = showroom_services.order_create(
        actor=users.consultant, lead=visit.lead, trim=trim, price=Decimal("119900"), vin=make_vin()
    )
    showroom_services.order_confirm(actor=users.consultant, order=order)
    return showroom_services.order_deliver(actor=users.consultant, order=order, vin=order.vin, at=at)


@pytest.fixture
def delivered_order(store, users, trim):
    return deliver_order(store, users, trim)


def register(store, users, order, **fields) -> Complaint:
    data = {
        "category": Complaint.Category.DELIVERY,
        "touchpoint": Complaint.Touchpoint.DELIVERY,
        "facts": "交车时发现右后门有划痕，顾问答应补漆但至今未处理。",
        "emotion": "很生气，说再不处理就投诉到厂家。",
        "demand": "三天内免费补漆并赔偿误工。",
        "temperament": Complaint.Temperament.EMOTIONAL,
    }
    data.update(fields)
    return services.complaint_register(actor=users.cs_agent, store=store, customer=order.customer, order=order, **data)


@pytest.fixture
def complaint(store, users, delivered_order):
    return register(store, users, delivered_order)
