"""Complaints through the API: register, sign, scoped reads; 400/403/404 answers, never 500."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from complaints.models import ComplaintStatus

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_register_and_sign_through_the_api(store, users, other_users, delivered_order):
    body = {
        "store": store.pk,
        "customer": delivered_order.customer_id,
        "order": delivered_order.pk,
        "category": "attitude",
        "touchpoint": "reception",
        "facts": "接待冷淡",
    }
    assert api(users.consultant).post("/api/v1/complaints/", body, format="json").status_code == 403
    assert api(users.cs_agent).post("/api/v1/complaints/", {**body, "category": "x"}, format="json").status_code == 400
    response = api(users.cs_agent).post("/api/v1/complaints/", body, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    sign = f"/api/v1/complaints/{pk}/sign/"
    assert api(users.gm).post(sign, {"action": "give_opinion"}, format="json").status_code == 403
    response = api(users.cs_manager).post(sign, {"action": "give_opinion", "cause": ""}, format="json")
    assert response.status_code == 400 and "cause" in response.json()["errors"]
    response = api(users.cs_manager).post(
        sign, {"action": "give_opinion", "cause": "态度", "countermeasure": "培训"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == ComplaintStatus.OPINION_GIVEN
    assert [s["action"] for s in response.json()["steps"]] == ["register", "give_opinion"]
    assert api(other_users.cs_manager).get(f"/api/v1/complaints/{pk}/").status_code == 404
    assert api(other_users.cs_manager).get("/api/v1/complaints/").json()["results"] == []
    assert len(api(users.cs_agent).get("/api/v1/complaints/?status=opinion_given").json()["results"]) == 1
    assert api(users.consultant).get(f"/api/v1/complaints/{pk}/").status_code == 404
