"""The leads API: scoped like the pages, thin over the services, 400 with field errors, never 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Team
from leads import services
from leads.models import (
    Appointment,
    Customer,
    Grade,
    Lead,
    LeadStatus,
    LostReason,
    LostRequest,
    Source,
    Task,
)
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def new_lead(store, owner, phone, name="张三", purchase_time="15d") -> Lead:
    _customer, lead = services.customer_with_lead_create(
        actor=owner,
        store=store,
        customer_data={"name": name, "phone": phone},
        lead_data={"source": Source.objects.get(code="walk_in"), "purchase_time": purchase_time},
        owner=owner,
    )
    return lead


@pytest.fixture
def colleague(store):
    return make_member(store, "consultant", username="a_consultant_2", full_name="李顾问")


@pytest.fixture
def leads(store, other_store, users, other_users, colleague):
    return {
        "mine": new_lead(store, users.consultant, "13800000001", "张三", "7d"),
        "colleague": new_lead(store, colleague, "13800000002", "李四"),
        "other_store": new_lead(other_store, other_users.consultant, "13800000003", "王五"),
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- Scoping ----------------------------------------------------------------------------------


def test_leads_are_scoped_like_the_pages(users, other_users, leads, colleague, store):
    mine, colleagues, other = leads["mine"], leads["colleague"], leads["other_store"]
    consultant = api(users.consultant)
    assert ids(consultant.get("/api/v1/leads/")) == {mine.pk}
    assert consultant.get(f"/api/v1/leads/{colleagues.pk}/").status_code == 404
    assert consultant.get(f"/api/v1/leads/{other.pk}/").status_code == 404
    assert ids(api(users.sales_manager).get("/api/v1/leads/")) == {mine.pk, colleagues.pk}
    assert api(other_users.sales_manager).get(f"/api/v1/leads/{mine.pk}/").status_code == 404
    # A supervisor sees the team's leads and their own, not the others'.
    team = Team.objects.create(store=store, name="一组", supervisor=users.sales_supervisor)
    team.members.add(colleague)
    assert ids(api(users.sales_supervisor).get("/api/v1/leads/")) == {colleagues.pk}


def test_related_lists_follow_the_leads(users, other_users, leads):
    mine, colleagues = leads["mine"], leads["colleague"]
    consultant = api(users.consultant)
    own_task = Task.objects.get(lead=mine)
    assert ids(consultant.get("/api/v1/tasks/")) == {own_task.pk}
    assert consultant.get(f"/api/v1/tasks/{Task.objects.get(lead=colleagues).pk}/").status_code == 404
    assert api(other_users.sales_manager).get(f"/api/v1/tasks/{own_task.pk}/").status_code == 404
    assert ids(consultant.get("/api/v1/customers/")) == {mine.customer_id}
    assert consultant.get(f"/api/v1/customers/{colleagues.customer_id}/").status_code == 404
    assert api(other_users.sales_manager).get(f"/api/v1/customers/{mine.customer_id}/").status_code == 404
    assert ids(api(users.sales_manager).get("/api/v1/customers/")) == {mine.customer_id, colleagues.customer_id}


def test_phones_are_masked_unless_owned_or_allowed(users, leads):
    mine = leads["mine"]
    lead_json = api(users.consultant).get(f"/api/v1/leads/{mine.pk}/").json()
    assert lead_json["customer"]["phone"] == "13800000001"
    assert api(users.consultant).get(f"/api/v1/customers/{mine.customer_id}/").json()["phone"] == "13800000001"
    manager = api(users.sales_manager)
    assert manager.get(f"/api/v1/leads/{mine.pk}/").json()["customer"]["phone"] == "138****0001"
    rows = manager.get("/api/v1/customers/").json()["results"]
    assert {row["phone"] for row in rows} == {"138****0001", "138****0002"}
    assert manager.get("/api/v1/tasks/").status_code == 200
    users.sales_manager.can_see_full_phone = True
    users.sales_manager.save()
    assert manager.get(f"/api/v1/customers/{mine.customer_id}/").json()["phone"] == "13800000001"


def test_anonymous_and_storeless_callers(db, leads):
    assert APIClient().get("/api/v1/leads/").status_code == 401
    assert APIClient().post("/api/v1/leads/ingest/", {}).status_code == 401
    from tests.factories import UserFactory

    nobody = api(UserFactory())
    assert ids(nobody.get("/api/v1/leads/")) == set()
    assert nobody.post("/api/v1/customers/", {}, format="json").status_code == 403


def test_lead_list_uses_the_lead_filterset(users, leads):
    manager = api(users.sales_manager)
    assert ids(manager.get("/api/v1/leads/", {"grade": "H"})) == {leads["mine"].pk}
    assert ids(manager.get("/api/v1/leads/", {"q": "0002"})) == {leads["colleague"].pk}
    assert ids(manager.get("/api/v1/leads/", {"q": "李四"})) == {leads["colleague"].pk}
    assert manager.get("/api/v1/leads/", {"created_after": "not a date"}).status_code == 400


# --- Customers and leads ---------------------------------------------------------------------


def test_create_customer_and_duplicate(users, store, colleague, leads):
    consultant = api(users.consultant)
    response = consultant.post(
        "/api/v1/customers/",
        {"name": "赵六", "phone": "+86 139-0000-0009", "source": "walk_in", "purchase_time": "30d"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "13900000009" and body["open_lead"]["owner"] == users.consultant.pk
    assert Lead.objects.get(customer_id=body["id"]).grade == Grade.B

    duplicate = consultant.post(
        "/api/v1/customers/", {"name": "李四", "phone": "13800000002", "source": "walk_in"}, format="json"
    )
    assert duplicate.status_code == 400
    assert "李顾问" in duplicate.json()["errors"]["phone"][0]  # who owns the open lead

    bad = consultant.post("/api/v1/customers/", {"name": "", "phone": "12345", "source": "nope"}, format="json")
    assert bad.status_code == 400 and {"name", "phone", "source"} <= set(bad.json()["errors"])
    assert api(users.cs_agent).post("/api/v1/customers/", {}, format="json").status_code == 403


def test_customer_update(users, leads):
    mine = leads["mine"]
    consultant = api(users.consultant)
    response = consultant.patch(f"/api/v1/customers/{mine.customer_id}/", {"wechat": "zs_wx"}, format="json")
    assert response.status_code == 200 and response.json()["wechat"] == "zs_wx"
    clash = consultant.patch(f"/api/v1/customers/{mine.customer_id}/", {"phone": "13800000002"}, format="json")
    assert clash.status_code == 400 and "phone" in clash.json()["errors"]
    assert consultant.patch(f"/api/v1/customers/{leads['colleague'].customer_id}/", {}).status_code == 404


def test_new_enquiry_attaches_to_the_open_lead(users, leads):
    mine = leads["mine"]
    consultant = api(users.consultant)
    response = consultant.post("/api/v1/leads/", {"customer": mine.customer_id, "source": "autohome"}, format="json")
    assert response.status_code == 200 and response.json()["id"] == mine.pk
    assert Lead.objects.filter(customer_id=mine.customer_id).count() == 1


def test_lead_update(users, leads):
    consultant = api(users.consultant)
    response = consultant.patch(
        f"/api/v1/leads/{leads['mine'].pk}/", {"budget": "15-20万", "need_confirmed": True}, format="json"
    )
    assert response.status_code == 200 and response.json()["budget"] == "15-20万"
    assert consultant.patch(f"/api/v1/leads/{leads['mine'].pk}/", {"payment": "bitcoin"}).status_code == 400


# --- Follow-ups, tasks, appointments --------------------------------------------------------


def test_follow_up_through_the_api_plans_the_next_task(users, leads):
    lead = leads["mine"]
    consultant = api(users.consultant)
    response = consultant.post(
        f"/api/v1/leads/{lead.pk}/follow-up/",
        {"channel": "phone", "content": "想周末看车", "result": "contacted", "grade": "A"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["grade_before"] == "H" and body["grade_after"] == "A"
    next_task = body["next_task"]
    assert next_task["kind"] == "follow_up" and next_task["assignee"] == users.consultant.pk
    # A cadence: next contact in 3 days; the first-contact task is done by this follow-up.
    assert next_task["due_date"] == str(timezone.localdate() + dt.timedelta(days=3))
    assert Task.objects.get(lead=lead, kind=Task.Kind.FIRST_CONTACT).status == Task.Status.DONE
    lead.refresh_from_db()
    assert lead.status == LeadStatus.FOLLOWING and lead.grade == "A"
    assert ids(consultant.get("/api/v1/follow-ups/")) == {body["id"]}
    assert ids(consultant.get("/api/v1/tasks/", {"status": "open", "mine": "true"})) == {next_task["id"]}


def test_follow_up_bad_input_is_400_with_field_errors(users, leads):
    url = f"/api/v1/leads/{leads['mine'].pk}/follow-up/"
    consultant = api(users.consultant)
    response = consultant.post(url, {"channel": "pigeon", "content": "", "grade": "F"}, format="json")
    assert response.status_code == 400
    assert {"channel", "content", "result", "grade"} <= set(response.json()["errors"])
    past = (timezone.now() - dt.timedelta(days=2)).isoformat()
    response = consultant.post(
        url, {"channel": "phone", "content": "x", "result": "contacted", "next_follow_up_at": past}, format="json"
    )
    assert response.status_code == 400 and "next_follow_up_at" in response.json()["errors"]
    assert consultant.post(url, "not json", content_type="application/json").status_code == 400
    assert consultant.post(url, ["a", "list"], format="json").status_code == 400
    # Another consultant's lead is not there at all.
    assert consultant.post(f"/api/v1/leads/{leads['colleague'].pk}/follow-up/", {}).status_code == 404
    # Someone who may not work leads.
    assert api(users.reception).post(url, {}, format="json").status_code == 403


def test_appointments(users, leads, colleague):
    lead = leads["mine"]
    consultant = api(users.consultant)
    when = (timezone.now() + dt.timedelta(days=2)).isoformat()
    response = consultant.post(
        "/api/v1/appointments/", {"lead": lead.pk, "scheduled_at": when, "purpose": "test_drive"}, format="json"
    )
    assert response.status_code == 201, response.content
    appointment = response.json()
    assert appointment["receiver"] == users.consultant.pk and appointment["status"] == "scheduled"
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INVITED
    # Someone else's lead cannot be given an appointment.
    response = consultant.post(
        "/api/v1/appointments/", {"lead": leads["colleague"].pk, "scheduled_at": when}, format="json"
    )
    assert response.status_code == 400 and "lead" in response.json()["errors"]
    assert api(colleague).get(f"/api/v1/appointments/{appointment['id']}/").status_code == 404
    response = consultant.post(f"/api/v1/appointments/{appointment['id']}/cancel/", {"reason": "改期"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    again = consultant.post(f"/api/v1/appointments/{appointment['id']}/cancel/", {}, format="json")
    assert again.status_code == 400
    assert Appointment.objects.get().status == Appointment.Status.CANCELLED


# --- Approvals --------------------------------------------------------------------------------


def _request_lost(users, lead):
    response = api(users.consultant).post(
        "/api/v1/lost-requests/",
        {"lead": lead.pk, "kind": "lost", "reason": LostReason.objects.get(code="price").pk, "note": "嫌贵"},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_lost_request_approval_by_the_right_role_only(users, other_users, leads):
    lead = leads["mine"]
    request = _request_lost(users, lead)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.LOST_REQUESTED
    approve = f"/api/v1/lost-requests/{request['id']}/approve/"
    assert api(users.consultant).post(approve, {}, format="json").status_code == 403
    assert api(other_users.sales_manager).post(approve, {}, format="json").status_code == 404
    manager = api(users.sales_manager)
    assert ids(manager.get("/api/v1/lost-requests/", {"decidable": "true"})) == {request["id"]}
    response = manager.post(approve, {"comment": "同意"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    lead.refresh_from_db()
    assert lead.status == LeadStatus.LOST and lead.grade == Grade.F
    assert manager.post(approve, {}, format="json").status_code == 400  # already decided
    assert ids(manager.get("/api/v1/lost-requests/", {"decidable": "true"})) == set()


def test_lost_request_reject_needs_a_comment(users, leads):
    lead = leads["mine"]
    request = _request_lost(users, lead)
    reject = f"/api/v1/lost-requests/{request['id']}/reject/"
    manager = api(users.sales_manager)
    response = manager.post(reject, {"comment": " "}, format="json")
    assert response.status_code == 400 and "comment" in response.json()["errors"]
    response = manager.post(reject, {"comment": "再跟一次"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    assert Task.objects.filter(lead=lead, kind=Task.Kind.LOST_REJECTED, status="open").exists()


def test_lost_request_bad_input(users, leads):
    consultant = api(users.consultant)
    response = consultant.post(
        "/api/v1/lost-requests/",
        {"lead": leads["mine"].pk, "kind": "lost", "reason": LostReason.objects.get(code="other_brand").pk},
        format="json",
    )
    assert response.status_code == 400 and "competitor_brand" in response.json()["errors"]
    response = consultant.post(
        "/api/v1/lost-requests/",
        {"lead": leads["mine"].pk, "kind": "invalid", "reason": LostReason.objects.get(code="price").pk},
        format="json",
    )
    assert response.status_code == 400 and "reason" in response.json()["errors"]


def test_a_supervisor_cannot_decide_for_another_team(users, store, leads, colleague):
    Team.objects.create(store=store, name="二组", supervisor=users.sales_supervisor).members.add(colleague)
    request = _request_lost(users, leads["mine"])  # users.consultant is not in the team
    response = api(users.sales_supervisor).post(f"/api/v1/lost-requests/{request['id']}/approve/", {}, format="json")
    assert response.status_code == 404
    assert LostRequest.objects.get(pk=request["id"]).status == LostRequest.Status.PENDING


# --- Reassignment and merge ------------------------------------------------------------------


def test_reassignment(users, other_users, leads, colleague):
    mine, colleagues = leads["mine"], leads["colleague"]
    url = f"/api/v1/leads/{mine.pk}/reassign/"
    payload = {"to_user": colleague.pk, "reason": "休假"}
    assert api(users.consultant).post(url, payload, format="json").status_code == 403
    manager = api(users.sales_manager)
    assert manager.post(url, {"to_user": colleague.pk}, format="json").status_code == 400
    outsider = manager.post(url, {"to_user": other_users.consultant.pk, "reason": "x"}, format="json")
    assert outsider.status_code == 400 and "to_user" in outsider.json()["errors"]
    response = manager.post(url, payload, format="json")
    assert response.status_code == 200 and response.json()["owner"] == colleague.pk
    assert Task.objects.get(lead=mine, status="open").assignee == colleague

    bulk = manager.post(
        "/api/v1/leads/reassign/",
        {"leads": [mine.pk, colleagues.pk], "to_user": users.consultant.pk, "reason": "调整"},
        format="json",
    )
    assert bulk.status_code == 200 and bulk.json() == {"moved": 2}
    other = manager.post(
        "/api/v1/leads/reassign/",
        {"leads": [leads["other_store"].pk], "to_user": users.consultant.pk, "reason": "x"},
        format="json",
    )
    assert other.status_code == 400 and "leads" in other.json()["errors"]


def test_merge(users, other_users, store, leads):
    duplicate = new_lead(store, users.consultant, "13800000011", "张三")
    survivor, absorbed = leads["mine"].customer, duplicate.customer
    payload = {"survivor": survivor.pk, "absorbed": [absorbed.pk], "values": {"phone": absorbed.pk}}
    assert api(users.consultant).post("/api/v1/customers/merge/", payload, format="json").status_code == 403
    manager = api(users.sales_manager)
    foreign = {**payload, "absorbed": [leads["other_store"].customer_id]}
    response = manager.post("/api/v1/customers/merge/", foreign, format="json")
    assert response.status_code == 400 and "absorbed" in response.json()["errors"]
    same = manager.post("/api/v1/customers/merge/", {**payload, "absorbed": [survivor.pk]}, format="json")
    assert same.status_code == 400
    response = manager.post("/api/v1/customers/merge/", payload, format="json")
    assert response.status_code == 200, response.content
    assert Customer.objects.get(pk=absorbed.pk).merged_into_id == survivor.pk
    survivor.refresh_from_db()
    assert survivor.phone == "13800000011"
    assert Lead.objects.filter(customer=survivor, status__in=["new"]).count() == 1
    assert absorbed.pk not in ids(manager.get("/api/v1/customers/"))
    assert absorbed.pk in ids(manager.get("/api/v1/customers/", {"include_merged": "true"}))


def test_schema_documents_the_leads_api(users, client_for):
    schema = client_for(users.admin).get("/api/schema/", {"format": "json"}).json()
    for path in [
        "/api/v1/customers/",
        "/api/v1/customers/merge/",
        "/api/v1/leads/{id}/follow-up/",
        "/api/v1/leads/{id}/reassign/",
        "/api/v1/leads/reassign/",
        "/api/v1/lost-requests/{id}/approve/",
        "/api/v1/leads/ingest/",
        "/api/v1/leads/ingest/outcomes/",
    ]:
        assert path in schema["paths"], path
    lead_params = {p["name"] for p in schema["paths"]["/api/v1/leads/"]["get"]["parameters"]}
    assert {"grade", "status", "q", "overdue", "owner"} <= lead_params
    assert {"400", "403", "404"} <= set(schema["paths"]["/api/v1/leads/{id}/follow-up/"]["post"]["responses"])


def test_schema_has_no_warnings_about_leads(db):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    from leads.api import serializers as leads_serializers

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    messages = [
        message
        for cache in (GENERATOR_STATS._warn_cache, GENERATOR_STATS._error_cache)
        for message in cache
        if "leads" in message.lower()
    ]
    assert messages == []
    # Enum-naming warnings name no component, so check ours directly: every choice field of the
    # leads API is its own named enum, never one drf-spectacular names (and collides) by field name.
    ours = {
        name
        for name, value in vars(leads_serializers).items()
        if isinstance(value, type) and issubclass(value, leads_serializers.serializers.Serializer)
    }
    ours = {name.removesuffix("Serializer") for name in ours}
    named = set()
    for component, body in schema["components"]["schemas"].items():
        if component not in ours and component.removesuffix("Request").removeprefix("Patched") not in ours:
            continue
        for prop in (body.get("properties") or {}).values():
            text = str(prop)
            if "Enum'" in text:
                named.add(text.split("#/components/schemas/")[1].split("'")[0])
    assert named and all(
        name.startswith(("Lead", "Customer", "FollowUp", "Task", "Appointment", "Lost")) for name in named
    )
    assert {"LeadStatusEnum", "TaskStatusEnum", "AppointmentStatusEnum", "LostRequestStatusEnum"} <= named


GARBAGE = [
    {},
    [],
    "text",
    {"lead": "abc", "to_user": [], "leads": "1", "survivor": {"x": 1}, "absorbed": [None]},
    {"lead": 10**30, "customer": -1, "to_user": 10**30, "leads": [10**30], "reason": 10**30},
    {"scheduled_at": "tomorrow", "next_follow_up_at": "soon", "kind": None, "values": {"bogus": 1}},
    {"values": {"phone": "x"}, "channel": {"a": 1}, "content": ["x"], "result": 3, "grade": "Z"},
    {"name": "x" * 500, "phone": "1" * 500, "source": ["walk_in"], "store": "a", "series": "大众"},
]


def test_garbage_never_makes_a_500(users, leads):
    lead = leads["mine"]
    request = _request_lost(users, lead)
    appointment_lead = leads["colleague"]
    appointment = services.appointment_create(
        actor=users.sales_manager,
        lead=appointment_lead,
        scheduled_at=timezone.now() + dt.timedelta(days=1),
        receiver=users.sales_manager,
    )
    posts = [
        "/api/v1/customers/",
        "/api/v1/customers/merge/",
        "/api/v1/leads/",
        f"/api/v1/leads/{lead.pk}/follow-up/",
        f"/api/v1/leads/{lead.pk}/reassign/",
        "/api/v1/leads/reassign/",
        "/api/v1/appointments/",
        f"/api/v1/appointments/{appointment.pk}/cancel/",
        "/api/v1/lost-requests/",
        f"/api/v1/lost-requests/{request['id']}/approve/",
        f"/api/v1/lost-requests/{request['id']}/reject/",
        "/api/v1/leads/ingest/",
    ]
    for user in (users.admin, users.sales_manager, users.consultant):
        client = api(user)
        for url in posts:
            for body in GARBAGE:
                response = client.post(url, body, format="json")
                assert response.status_code < 500, (user, url, body, response.content)
                assert response.status_code in (200, 201, 400, 403, 404), (url, body, response.status_code)
        for url in [f"/api/v1/customers/{lead.customer_id}/", f"/api/v1/leads/{lead.pk}/"]:
            for body in GARBAGE:
                assert client.patch(url, body, format="json").status_code < 500, (url, body)
        for url in ["/api/v1/leads/", "/api/v1/tasks/", "/api/v1/follow-ups/", "/api/v1/lost-requests/"]:
            bad_query = {"grade": "Z", "when": "never", "owner": "x", "decidable": "maybe", "cursor": "%%%"}
            assert client.get(url, bad_query).status_code < 500, url
        assert client.get(f"/api/v1/leads/{10**30}/").status_code == 404
