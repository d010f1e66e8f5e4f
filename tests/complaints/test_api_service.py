"""Vehicle-service reminders, enquiries and SSI scorecards through the API: scoped by store and role
(right role 200/201, wrong role 403, another store 404), bad input 400 with field errors, every write
through its service; the schema names the new endpoints and enums."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AuditLog, Notification
from complaints import services
from complaints.models import Enquiry, Scorecard, ServiceReminder

from .conftest import deliver_order
from .test_ssi import survey

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def errors(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content
    return response.json()["errors"]


# --- Vehicle-service reminders ------------------------------------------------------------------


@pytest.fixture
def reminders(store, other_store, users, other_users, trim):
    order = deliver_order(store, users, trim)
    other_order = deliver_order(other_store, other_users, trim)
    today = dt.date.today()
    return {
        "insurance": ServiceReminder.objects.create(
            store=store, customer=order.customer, order=order, kind="insurance", due_date=today
        ),
        "birthday": ServiceReminder.objects.create(
            store=store, customer=order.customer, kind="birthday", due_date=today + dt.timedelta(days=2)
        ),
        "other": ServiceReminder.objects.create(
            store=other_store, customer=other_order.customer, order=other_order, kind="insurance", due_date=today
        ),
    }


def test_reminders_are_listed_by_store_and_role(store, users, other_users, reminders):
    listed = api(users.cs_agent).get("/api/v1/service-reminders/").json()["results"]
    assert [r["id"] for r in listed] == [reminders["insurance"].pk, reminders["birthday"].pk]
    assert listed[0]["customer_name"] and listed[0]["order_number"] and listed[1]["order_number"] is None
    only = api(users.cs_manager).get("/api/v1/service-reminders/", {"kind": "birthday"}).json()["results"]
    assert [r["id"] for r in only] == [reminders["birthday"].pk]
    assert api(users.cs_agent).get("/api/v1/service-reminders/", {"kind": "oil"}).status_code == 400
    assert api(users.consultant).get("/api/v1/service-reminders/").status_code == 403
    url = f"/api/v1/service-reminders/{reminders['insurance'].pk}/"
    assert api(users.cs_agent).get(url).json()["kind"] == "insurance"
    assert api(other_users.cs_agent).get(url).status_code == 404
    assert [r["id"] for r in api(other_users.cs_agent).get("/api/v1/service-reminders/").json()["results"]] == [
        reminders["other"].pk
    ]


def test_a_reminder_is_done_or_skipped_once(store, users, other_users, reminders):
    done = f"/api/v1/service-reminders/{reminders['insurance'].pk}/done/"
    assert api(users.consultant).post(done, {"result": "x"}, format="json").status_code == 403
    assert api(other_users.cs_agent).post(done, {"result": "x"}, format="json").status_code == 404
    assert "result" in errors(api(users.cs_agent).post(done, {"result": ""}, format="json"))
    response = api(users.cs_agent).post(done, {"result": "客户已在本店续保"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["done_by"] == users.cs_agent.pk and body["skipped"] is False and body["done_at"]
    assert "non_field_errors" in errors(api(users.cs_agent).post(done, {"result": "again"}, format="json"))

    skip = f"/api/v1/service-reminders/{reminders['birthday'].pk}/skip/"
    assert "reason" in errors(api(users.cs_manager).post(skip, {}, format="json"))
    assert api(other_users.cs_manager).post(skip, {"reason": "x"}, format="json").status_code == 404
    response = api(users.cs_manager).post(skip, {"reason": "客户要求不再来电"}, format="json")
    assert response.status_code == 200 and response.json()["skipped"] is True
    reminder = ServiceReminder.objects.get(pk=reminders["birthday"].pk)
    assert reminder.result == "客户要求不再来电" and reminder.done_by == users.cs_manager
    assert AuditLog.objects.filter(action="reminder.skip", object_id=str(reminder.pk)).exists()
    assert api(users.cs_agent).post(skip, {"reason": "again"}, format="json").status_code == 400
    still_open = api(users.cs_agent).get("/api/v1/service-reminders/", {"open": "true"}).json()["results"]
    assert still_open == []


# --- Enquiries and help calls ---------------------------------------------------------------------


def test_an_enquiry_is_logged_and_answered(store, other_store, users, other_users, trim):
    order = deliver_order(store, users, trim)
    other_customer = deliver_order(other_store, other_users, trim).customer
    body = {"store": store.pk, "caller_name": "陈先生", "phone": "13900001111", "kind": "help", "summary": "车辆抛锚"}
    assert api(users.consultant).post("/api/v1/enquiries/", body, format="json").status_code == 403
    assert "kind" in errors(api(users.cs_agent).post("/api/v1/enquiries/", {**body, "kind": "x"}, format="json"))
    assert "caller_name" in errors(
        api(users.cs_agent).post("/api/v1/enquiries/", {**body, "caller_name": ""}, format="json")
    )
    assert "store" in errors(
        api(users.cs_agent).post("/api/v1/enquiries/", {**body, "store": other_store.pk}, format="json")
    )
    assert "customer" in errors(
        api(users.cs_agent).post("/api/v1/enquiries/", {**body, "customer": other_customer.pk}, format="json")
    )
    response = api(users.cs_agent).post("/api/v1/enquiries/", {**body, "customer": order.customer_id}, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["customer"] == order.customer_id and created["created_by"] == users.cs_agent.pk
    assert created["handled_at"] is None
    pk = created["id"]
    assert api(other_users.cs_agent).get(f"/api/v1/enquiries/{pk}/").status_code == 404
    assert api(other_users.cs_agent).get("/api/v1/enquiries/").json()["results"] == []
    assert [e["id"] for e in api(users.cs_manager).get("/api/v1/enquiries/", {"open": "true"}).json()["results"]] == [
        pk
    ]

    handle = f"/api/v1/enquiries/{pk}/handle/"
    assert api(users.consultant).post(handle, {"result": "x"}, format="json").status_code == 403
    assert api(other_users.cs_agent).post(handle, {"result": "x"}, format="json").status_code == 404
    assert "result" in errors(api(users.cs_agent).post(handle, {"result": ""}, format="json"))
    response = api(users.cs_agent).post(handle, {"result": "已联系道路救援"}, format="json")
    assert response.status_code == 200 and response.json()["handled_by"] == users.cs_agent.pk
    assert response.json()["passed_to"] is None
    assert "non_field_errors" in errors(api(users.cs_agent).post(handle, {"result": "again"}, format="json"))
    assert api(users.cs_agent).get("/api/v1/enquiries/", {"open": "true"}).json()["results"] == []


def test_an_enquiry_is_passed_to_a_colleague(store, users, other_users):
    enquiry = services.enquiry_log(actor=users.cs_agent, store=store, caller_name="李女士", summary="想了解置换政策")
    url = f"/api/v1/enquiries/{enquiry.pk}/pass/"
    assert "passed_to" in errors(api(users.cs_agent).post(url, {"result": "转销售经理"}, format="json"))
    outsider = {"passed_to": other_users.sales_manager.pk, "result": "转销售经理"}
    assert "passed_to" in errors(api(users.cs_agent).post(url, outsider, format="json"))
    assert "passed_to" in errors(api(users.cs_agent).post(url, {**outsider, "passed_to": 999999}, format="json"))
    assert Enquiry.objects.get(pk=enquiry.pk).handled_at is None
    response = api(users.cs_agent).post(url, {**outsider, "passed_to": users.sales_manager.pk}, format="json")
    assert response.status_code == 200 and response.json()["passed_to"] == users.sales_manager.pk
    assert Notification.objects.filter(recipient=users.sales_manager, title__contains="李女士").exists()
    passed = api(users.cs_manager).get("/api/v1/enquiries/", {"passed_to": users.sales_manager.pk}).json()
    assert [e["id"] for e in passed["results"]] == [enquiry.pk]


# --- SSI scorecards ----------------------------------------------------------------------------------


def test_scorecards_built_approved_and_exported(
    store, other_store, users, other_users, trim, django_capture_on_commit_callbacks
):
    survey(store, users, trim, django_capture_on_commit_callbacks, 10)  # March 2026
    body = {"store": store.pk, "month": "2026-03"}
    assert api(users.cs_agent).post("/api/v1/scorecards/", body, format="json").status_code == 403
    assert "month" in errors(api(users.cs_manager).post("/api/v1/scorecards/", {**body, "month": "March"}))
    assert "store" in errors(
        api(users.cs_manager).post("/api/v1/scorecards/", {**body, "store": other_store.pk}, format="json")
    )
    response = api(users.cs_manager).post("/api/v1/scorecards/", body, format="json")
    assert response.status_code == 201, response.content
    card = response.json()
    assert card["month"] == "2026-03-01" and card["approved_at"] is None
    mine = next(line for line in card["lines"] if line["person"] == users.consultant.pk)
    assert (mine["role"], mine["surveys"], mine["score"], mine["outcome"]) == ("consultant", 1, "100.0", "reward")
    assert mine["amount"] == "300.00" and mine["consequence"]
    pk = card["id"]
    assert api(other_users.gm).get(f"/api/v1/scorecards/{pk}/").status_code == 404
    assert api(users.consultant).get("/api/v1/scorecards/").status_code == 403
    assert api(other_users.cs_manager).get("/api/v1/scorecards/").json()["results"] == []

    approve = f"/api/v1/scorecards/{pk}/approve/"
    assert api(users.cs_manager).post(approve).status_code == 403
    assert api(other_users.gm).post(approve).status_code == 404
    response = api(users.gm).post(approve)
    assert response.status_code == 200 and response.json()["approved_by"] == users.gm.pk
    assert "non_field_errors" in errors(api(users.gm).post(approve))
    assert "non_field_errors" in errors(api(users.gm).post("/api/v1/scorecards/", body, format="json"))
    assert [c["id"] for c in api(users.gm).get("/api/v1/scorecards/", {"approved": "true"}).json()["results"]] == [pk]
    assert api(users.gm).get("/api/v1/scorecards/", {"approved": "false"}).json()["results"] == []

    export = f"/api/v1/scorecards/{pk}/export/"
    assert api(users.gm).get(export).status_code == 403  # no Excel grant
    assert api(other_users.gm).get(export).status_code == 404
    users.gm.can_export = True
    users.gm.save(update_fields=["can_export"])
    response = api(users.gm).get(export)
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert b"".join(response.streaming_content)[:2] == b"PK"
    entry = AuditLog.objects.filter(action="complaints.export").latest("pk")
    assert entry.store_id == store.pk and entry.changes["exporter"] == "ssi_scorecard"
    assert Scorecard.objects.get(pk=pk).lines.count() == len(card["lines"])


def test_schema_names_the_new_endpoints_and_enums(client_for, users):
    schema = yaml.safe_load(client_for(users.consultant).get(reverse("api-schema")).content)
    for path in (
        "/api/v1/service-reminders/",
        "/api/v1/service-reminders/{id}/done/",
        "/api/v1/service-reminders/{id}/skip/",
        "/api/v1/enquiries/",
        "/api/v1/enquiries/{id}/handle/",
        "/api/v1/enquiries/{id}/pass/",
        "/api/v1/scorecards/",
        "/api/v1/scorecards/{id}/approve/",
        "/api/v1/scorecards/{id}/export/",
    ):
        assert path in schema["paths"], path
    components = schema["components"]["schemas"]
    for name in ("ServiceReminderKindEnum", "EnquiryKindEnum", "ScorecardOutcomeEnum", "OutcomeEnum"):
        assert name in components, name
    assert set(components["ServiceReminderKindEnum"]["enum"]) == set(ServiceReminder.Kind.values)
    skip = schema["paths"]["/api/v1/service-reminders/{id}/skip/"]["post"]
    assert skip["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ReminderSkipRequest")
