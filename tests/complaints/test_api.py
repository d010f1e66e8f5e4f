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


def test_callbacks_through_the_api(store, users, other_users, trim, django_capture_on_commit_callbacks):
    from complaints import services
    from complaints.models import Callback

    from .conftest import deliver_order

    with django_capture_on_commit_callbacks(execute=True):
        order = deliver_order(store, users, trim)
    questions = services.survey_questions_ensure(store)
    mine = api(users.consultant).get("/api/v1/callbacks/").json()["results"]
    assert {c["kind"] for c in mine} == {k for k in Callback.Kind.values if k != "satisfaction"}
    assert len(api(users.cs_agent).get("/api/v1/callbacks/").json()["results"]) == 8
    assert api(other_users.cs_agent).get("/api/v1/callbacks/").json()["results"] == []
    same_day = Callback.objects.get(order=order, kind="same_day")
    url = f"/api/v1/callbacks/{same_day.pk}/record/"
    assert api(other_users.consultant).post(url, {"reached": True, "result": "x"}, format="json").status_code == 404
    assert api(users.consultant).post(url, {"reached": "maybe"}, format="json").status_code == 400
    response = api(users.consultant).post(url, {"reached": True, "result": "用车正常"}, format="json")
    assert response.status_code == 200 and response.json()["reached"] is True
    assert api(users.consultant).post(url, {"reached": True, "result": "again"}, format="json").status_code == 400
    check = f"/api/v1/callbacks/{same_day.pk}/check/"
    assert api(users.cs_agent).post(check, {"note": "已核实"}, format="json").status_code == 200
    survey = Callback.objects.get(order=order, kind="satisfaction")
    url = f"/api/v1/callbacks/{survey.pk}/record/"
    assert api(users.consultant).post(url, {"reached": True, "result": "x"}, format="json").status_code == 404
    body = {"reached": True, "result": "满意", "scores": {str(q.pk): 10 for q in questions}}
    response = api(users.cs_agent).post(url, body, format="json")
    assert response.status_code == 200 and response.json()["score"] == 100
