"""The DCC API: scoped lists, 404 for another store, 403 for the wrong role, 400 with field messages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from dcc import services
from dcc.models import Call, CallTask, Campaign
from tests.dcc.conftest import make_agent, new_lead
from tests.leads.factories import make_lead, next_phone

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def task(dcc_store, users):
    lead = new_lead(dcc_store, source_code="autohome", name="周杰")
    services.call_lists_build(store=dcc_store)
    return CallTask.objects.get(lead=lead)


def tomorrow_at(hour: int) -> str:
    day = timezone.localdate() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour))).isoformat()


def test_call_tasks_are_scoped(dcc_store, users, other_users, task):
    other_agent = make_agent(dcc_store, "api_other")
    assert [r["id"] for r in rows(api(users.dcc_agent).get("/api/v1/dcc/call-tasks/"))] == [task.pk]
    assert rows(api(other_agent).get("/api/v1/dcc/call-tasks/")) == []
    assert [r["id"] for r in rows(api(users.dcc_manager).get("/api/v1/dcc/call-tasks/"))] == [task.pk]
    assert rows(api(other_users.dcc_manager).get("/api/v1/dcc/call-tasks/")) == []
    detail = api(users.dcc_agent).get(f"/api/v1/dcc/call-tasks/{task.pk}/").json()
    assert detail["rule"] == "first_call" and detail["customer"]["name"] == "周杰"
    assert detail["customer"]["phone"] == task.lead.customer.phone[:3] + "****" + task.lead.customer.phone[-4:]
    assert api(other_users.dcc_manager).get(f"/api/v1/dcc/call-tasks/{task.pk}/").status_code == 404
    assert api(other_agent).get(f"/api/v1/dcc/call-tasks/{task.pk}/").status_code == 404


def test_wrong_role_is_403(dcc_store, users, task):
    for url in ("/api/v1/dcc/call-tasks/", "/api/v1/dcc/calls/", "/api/v1/dcc/campaigns/", "/api/v1/dcc/scripts/"):
        response = api(users.consultant).get(url)
        assert response.status_code == 403 and response.json()["code"] == "permission_denied", url
    assert api(users.dcc_agent).get("/api/v1/dcc/campaigns/").status_code == 403
    response = api(users.dcc_agent).post(f"/api/v1/dcc/call-tasks/{task.pk}/assign/", {"agent": users.dcc_agent.pk})
    assert response.status_code == 403


def test_filters_are_the_pages_filters(dcc_store, users, task):
    client = api(users.dcc_manager)
    assert [r["id"] for r in rows(client.get("/api/v1/dcc/call-tasks/", {"rule": "first_call"}))] == [task.pk]
    assert rows(client.get("/api/v1/dcc/call-tasks/", {"rule": "reactivation"})) == []
    assert [r["id"] for r in rows(client.get("/api/v1/dcc/call-tasks/", {"q": "周杰"}))] == [task.pk]


def test_record_a_call_through_the_api(dcc_store, users, task):
    client = api(users.dcc_agent)
    response = client.post(f"/api/v1/dcc/call-tasks/{task.pk}/calls/", {"outcome": "maybe"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "outcome" in body["errors"] and body["detail"]
    response = client.post(f"/api/v1/dcc/call-tasks/{task.pk}/calls/", {"outcome": "invited"}, format="json")
    assert response.status_code == 400 and {"scheduled_at", "receiver"} <= set(response.json()["errors"])
    response = client.post(
        f"/api/v1/dcc/call-tasks/{task.pk}/calls/",
        {
            "outcome": "invited",
            "scheduled_at": tomorrow_at(11),
            "receiver": users.consultant.pk,
            "note": "API 邀约",
            "duration_seconds": 180,
            "recording_ref": "cti://rec/1",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    call = Call.objects.get()
    assert response.json()["id"] == call.pk and call.appointment is not None
    assert (call.duration_seconds, call.recording_ref) == (180, "cti://rec/1")
    # The task is done: another call is refused with a message, not an error page.
    again = client.post(f"/api/v1/dcc/call-tasks/{task.pk}/calls/", {"outcome": "no_answer"}, format="json")
    assert again.status_code == 400 and again.json()["errors"]["non_field_errors"]
    assert [r["id"] for r in rows(client.get("/api/v1/dcc/calls/"))] == [call.pk]


def test_manager_adds_and_assigns_tasks(dcc_store, users, other_users):
    lead = make_lead(dcc_store, users.consultant)
    other = make_agent(dcc_store, "api_assignee")
    client = api(users.dcc_manager)
    response = client.post("/api/v1/dcc/call-tasks/", {"lead": lead.pk, "agent": other.pk}, format="json")
    assert response.status_code == 201, response.content
    task_id = response.json()["id"]
    duplicate = client.post("/api/v1/dcc/call-tasks/", {"lead": lead.pk}, format="json")
    assert duplicate.status_code == 400 and "lead" in duplicate.json()["errors"]
    response = client.post(f"/api/v1/dcc/call-tasks/{task_id}/assign/", {"agent": users.dcc_agent.pk}, format="json")
    assert response.status_code == 200 and response.json()["agent"] == users.dcc_agent.pk
    bad = client.post(f"/api/v1/dcc/call-tasks/{task_id}/assign/", {"agent": other_users.dcc_agent.pk}, format="json")
    assert bad.status_code == 400 and "agent" in bad.json()["errors"]
    foreign = other_users.dcc_manager
    response = api(foreign).post("/api/v1/dcc/call-tasks/", {"lead": lead.pk}, format="json")
    assert response.status_code == 400 and "lead" in response.json()["errors"]


def test_inbound_call_through_the_api(dcc_store, users, other_store):
    client = api(users.dcc_agent)
    phone = next_phone()
    payload = {"store": dcc_store.pk, "phone": phone, "name": "吴九", "source": "hotline_400", "outcome": "talked"}
    response = client.post("/api/v1/dcc/calls/inbound/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["direction"] == "IB"
    bad = client.post("/api/v1/dcc/calls/inbound/", {**payload, "phone": "abc"}, format="json")
    assert bad.status_code == 400 and "phone" in bad.json()["errors"]
    elsewhere = client.post("/api/v1/dcc/calls/inbound/", {**payload, "store": other_store.pk}, format="json")
    assert elsewhere.status_code == 400 and "store" in elsewhere.json()["errors"]


def test_scripts(dcc_store, users, other_users):
    [script] = rows(api(users.dcc_agent).get("/api/v1/dcc/scripts/"))
    assert len(script["steps"]) == 7 and script["steps"][0]["title"] == "问候并表明身份"
    url = f"/api/v1/dcc/scripts/{script['id']}/"
    new_steps = {"name": "精简版", "steps": [{"title": "问候"}, {"title": "邀约", "guidance": "周末有空吗？"}]}
    assert api(users.dcc_agent).put(url, new_steps, format="json").status_code == 403
    assert api(other_users.dcc_manager).put(url, new_steps, format="json").status_code == 404
    empty = api(users.dcc_manager).put(url, {"name": "空", "steps": []}, format="json")
    assert empty.status_code == 400 and "steps" in empty.json()["errors"]
    response = api(users.dcc_manager).put(url, new_steps, format="json")
    assert response.status_code == 200
    assert [s["title"] for s in response.json()["steps"]] == ["问候", "邀约"]


def test_campaigns_through_the_api(dcc_store, users, other_store, django_capture_on_commit_callbacks):
    client = api(users.dcc_manager)
    bad = client.post("/api/v1/dcc/campaigns/", {"store": dcc_store.pk, "name": "", "kind": "fax"}, format="json")
    assert bad.status_code == 400 and {"name", "kind"} <= set(bad.json()["errors"])
    elsewhere = client.post(
        "/api/v1/dcc/campaigns/", {"store": other_store.pk, "name": "x", "kind": "sms", "body": "x"}, format="json"
    )
    assert elsewhere.status_code == 400 and "store" in elsewhere.json()["errors"]
    response = client.post(
        "/api/v1/dcc/campaigns/",
        {
            "store": dcc_store.pk,
            "name": "API 活动",
            "kind": "sms",
            "body": "{name}您好",
            "filter_params": {"grade": ["H"]},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    campaign_id = response.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"/api/v1/dcc/campaigns/{campaign_id}/send/")
    assert sent.status_code == 200 and sent.json()["status"] == "done"
    again = client.post(f"/api/v1/dcc/campaigns/{campaign_id}/send/")
    assert again.status_code == 400
    assert Campaign.objects.get(pk=campaign_id).queued_at is not None


def test_figures_endpoint(dcc_store, users, other_store):
    today = timezone.localdate()
    client = api(users.gm)
    response = client.get("/api/v1/dcc/figures/", {"store": dcc_store.pk, "date_from": today, "date_to": today})
    assert response.status_code == 200
    assert {"calls", "connect_rate", "invitation_arrival_rate", "first_call_sla", "sales_by_month"} <= set(
        response.json()
    )
    bad = client.get(
        "/api/v1/dcc/figures/", {"store": dcc_store.pk, "date_from": today, "date_to": today - dt.timedelta(1)}
    )
    assert bad.status_code == 400 and "date_to" in bad.json()["errors"]
    elsewhere = client.get("/api/v1/dcc/figures/", {"store": other_store.pk, "date_from": today, "date_to": today})
    assert elsewhere.status_code == 403
    assert api(users.dcc_agent).get("/api/v1/dcc/figures/", {"store": dcc_store.pk}).status_code == 403


def test_anonymous_is_refused(client):
    assert client.get("/api/v1/dcc/call-tasks/").status_code in (401, 403)
