"""The showroom API: scoped like the pages, input → service → output, 400 with field errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from showroom import services
from showroom.models import Order, RotationEntry, Visit
from tests.showroom.conftest import make_vin, next_phone, wrong_check_digit

pytestmark = pytest.mark.django_db

API = "/api/v1/showroom"


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_anonymous_is_refused(trim):
    response = APIClient().get(f"{API}/visits/")
    assert response.status_code in (401, 403)


def test_register_list_depart_and_reassign_visits(store, users, consultants):
    first, second = consultants
    desk = api_for(users.reception)
    response = desk.post(f"{API}/visits/", {"phone": "139 0000 2222", "visitor_name": "韩先生", "party_size": 2})
    assert response.status_code == 201, response.data
    data = response.data
    assert data["is_first_visit"] and data["filed"] and data["consultant"] == first.pk
    assert data["phone"] == "139****2222"  # the desk sees the number masked
    visit_id = data["id"]

    response = desk.post(f"{API}/visits/", {"visitor_name": "无名"})
    assert response.status_code == 201 and not response.data["filed"] and response.data["consultant"] == second.pk

    ids = [row["id"] for row in desk.get(f"{API}/visits/").data["results"]]
    assert visit_id in ids and len(ids) == 2
    assert [row["id"] for row in desk.get(f"{API}/visits/", {"filed": "0"}).data["results"]] != [visit_id]

    # A consultant sees only the parties they received, and cannot record departures.
    consultant = api_for(first)
    assert [row["id"] for row in consultant.get(f"{API}/visits/").data["results"]] == [visit_id]
    assert consultant.post(f"{API}/visits/{visit_id}/depart/").status_code == 403
    assert consultant.get(f"{API}/visits/{ids[0] if ids[0] != visit_id else ids[1]}/").status_code == 404

    arrived = Visit.objects.get(pk=visit_id).arrived_at
    response = desk.post(
        f"{API}/visits/{visit_id}/depart/", {"departed_at": (arrived - dt.timedelta(hours=1)).isoformat()}
    )
    assert response.status_code == 400
    assert response.data["code"] == "invalid" and "departed_at" in response.data["errors"]
    response = desk.post(f"{API}/visits/{visit_id}/depart/")
    assert response.status_code == 200 and response.data["departed_at"] and response.data["stay_minutes"] == 0

    response = desk.post(f"{API}/visits/{visit_id}/reassign/", {"consultant": second.pk, "reason": "顾问休息"})
    assert response.status_code == 200 and response.data["consultant"] == second.pk
    response = desk.post(f"{API}/visits/{visit_id}/reassign/", {"consultant": users.cs_agent.pk})
    assert response.status_code == 400 and "consultant" in response.data["errors"]


def test_visit_400_shapes(store, users, consultants):
    desk = api_for(users.reception)
    response = desk.post(f"{API}/visits/", {"phone": "12345", "party_size": 0})
    assert response.status_code == 400
    assert set(response.data) == {"detail", "code", "errors"} and "party_size" in response.data["errors"]
    response = desk.post(f"{API}/visits/", {"phone": "12345"})
    assert response.status_code == 400 and "phone" in response.data["errors"]
    future = (timezone.now() + dt.timedelta(hours=3)).isoformat()
    response = desk.post(f"{API}/visits/", {"arrived_at": future})
    assert response.status_code == 400 and "arrived_at" in response.data["errors"]
    assert api_for(users.consultant).post(f"{API}/visits/", {"visitor_name": "x"}).status_code == 403


def test_other_store_visits_and_orders_are_404(store, users, other_store, other_users, trim):
    theirs = services.visit_register(actor=other_users.reception, store=other_store, phone=next_phone())
    order = services.order_create(actor=other_users.consultant, lead=theirs.lead, trim=trim, price=Decimal("90000"))
    for role in ("reception", "sales_manager", "gm"):
        client = api_for(users[role])
        assert client.get(f"{API}/visits/{theirs.pk}/").status_code == 404
        assert client.post(f"{API}/visits/{theirs.pk}/depart/").status_code in (403, 404)
        assert theirs.pk not in [row["id"] for row in client.get(f"{API}/visits/").data["results"]]
    manager = api_for(users.sales_manager)
    assert manager.get(f"{API}/orders/{order.pk}/").status_code == 404
    assert manager.post(f"{API}/orders/{order.pk}/confirm/").status_code == 404
    assert order.pk not in [row["id"] for row in manager.get(f"{API}/orders/").data["results"]]
    # Writing into another store is refused.
    response = api_for(users.reception).post(f"{API}/visits/", {"store": other_store.pk, "visitor_name": "x"})
    assert response.status_code == 400 and "store" in response.data["errors"]


def test_rotation_through_the_api(store, users, consultants):
    first, second = consultants
    response = api_for(second).get(f"{API}/rotation/")
    assert response.status_code == 200
    assert [(row["consultant"], row["place"]) for row in response.data] == [(first.pk, 1), (second.pk, 2)]
    response = api_for(first).post(f"{API}/rotation/state/", {"state": "away"})
    assert response.status_code == 200
    assert RotationEntry.objects.get(consultant=first).state == RotationEntry.State.AWAY
    assert api_for(first).post(f"{API}/rotation/state/", {"state": "away", "consultant": second.pk}).status_code == 403
    assert api_for(first).post(f"{API}/rotation/state/", {"state": "lunch"}).status_code == 400
    assert api_for(first).post(f"{API}/rotation/move-to-front/", {"consultant": first.pk}).status_code == 403
    api_for(first).post(f"{API}/rotation/state/", {"state": "available"})
    response = api_for(users.sales_manager).post(f"{API}/rotation/move-to-front/", {"consultant": first.pk})
    assert response.status_code == 200 and response.data[0]["consultant"] == first.pk


def test_test_drives_through_the_api(store, users, consultants, demo_car, other_demo_car):
    first, _second = consultants
    visit = services.visit_register(actor=users.reception, store=store, phone=next_phone())
    client = api_for(first)
    cars = client.get(f"{API}/demo-vehicles/").data["results"]
    assert [car["id"] for car in cars] == [demo_car.pk]
    payload = {
        "lead": visit.lead_id,
        "vehicle": demo_car.pk,
        "route": "市区环线",
        "licence_checked": False,
        "vehicle_checked": True,
        "started_at": timezone.now().isoformat(),
    }
    response = client.post(f"{API}/test-drives/", payload, format="json")
    assert response.status_code == 400 and "licence_checked" in response.data["errors"]
    response = client.post(f"{API}/test-drives/", {**payload, "vehicle": other_demo_car.pk}, format="json")
    assert response.status_code == 400 and "vehicle" in response.data["errors"]
    response = client.post(f"{API}/test-drives/", {**payload, "licence_checked": True}, format="json")
    assert response.status_code == 201 and response.data["vehicle_plate"] == demo_car.plate
    assert [row["id"] for row in client.get(f"{API}/test-drives/").data["results"]] == [response.data["id"]]
    assert api_for(consultants[1]).get(f"{API}/test-drives/").data["results"] == []


def test_orders_through_the_api(store, users, consultants, trim):
    first, second = consultants
    visit = services.visit_register(actor=users.reception, store=store, phone=next_phone())
    client = api_for(first)
    vin = make_vin()
    payload = {"lead": visit.lead_id, "trim": trim.pk, "price": "119900.00", "vin": wrong_check_digit(vin)}
    response = client.post(f"{API}/orders/", payload, format="json")
    assert response.status_code == 400 and "vin" in response.data["errors"]
    response = client.post(f"{API}/orders/", {**payload, "vin": vin}, format="json")
    assert response.status_code == 201, response.data
    order_id = response.data["id"]
    assert response.data["status"] == "draft" and response.data["number"].endswith("0001")
    # Another consultant cannot order on this lead, nor see the order.
    assert api_for(second).post(f"{API}/orders/", {**payload, "vin": ""}, format="json").status_code == 400
    assert api_for(second).get(f"{API}/orders/{order_id}/").status_code == 404

    response = client.post(f"{API}/orders/{order_id}/confirm/")
    assert response.status_code == 200 and response.data["is_first_visit_deal"]
    response = client.post(f"{API}/orders/{order_id}/confirm/")
    assert response.status_code == 400 and response.data["errors"]["non_field_errors"]
    response = client.post(f"{API}/orders/{order_id}/deliver/", {"vin": make_vin()})
    assert response.status_code == 400 and "vin" in response.data["errors"]
    response = client.post(f"{API}/orders/{order_id}/deliver/", {"vin": vin})
    assert response.status_code == 200 and response.data["status"] == "delivered"
    response = client.post(f"{API}/orders/{order_id}/cancel/", {"reason": "x"})
    assert response.status_code == 400
    assert api_for(users.reception).get(f"{API}/orders/").status_code == 403


def test_walk_in_buyer_and_dcc_sale_through_the_api(store, users, consultants, trim):
    phone = next_phone()
    response = api_for(users.dcc_agent).post(
        f"{API}/orders/",
        {"buyer": {"phone": phone, "name": "卫先生"}, "trim": trim.pk, "price": "99000"},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["is_dcc_sale"] and response.data["customer_name"] == "卫先生"
    order = Order.objects.get()
    response = api_for(users.dcc_agent).post(f"{API}/orders/{order.pk}/cancel/", {"reason": ""})
    assert response.status_code == 400 and "reason" in response.data["errors"]
    response = api_for(users.consultant).post(
        f"{API}/orders/",
        {"buyer": {"phone": phone, "name": "卫先生"}, "trim": trim.pk, "price": "99000"},
        format="json",
    )
    assert response.status_code == 400 and "buyer" in response.data["errors"]
    response = api_for(users.dcc_agent).post(
        f"{API}/orders/", {"buyer": {"phone": "1234", "name": "x"}, "trim": trim.pk, "price": "1"}, format="json"
    )
    assert response.status_code == 400 and "phone" in response.data["errors"]["buyer"]
    response = api_for(users.consultant).post(f"{API}/orders/", {"trim": trim.pk, "price": "99000"}, format="json")
    assert response.status_code == 400 and "lead" in response.data["errors"]
