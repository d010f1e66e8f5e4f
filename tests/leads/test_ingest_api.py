"""Ingest API for online platforms and the OEM, and the outcomes reported back."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.models import AuditLog, Membership, Role
from catalog.models import Brand, Series
from leads import services
from leads.models import IngestRecord, Lead, LeadEvent, LeadSettings, LeadStatus, LostReason, Source, Task
from tests.factories import UserFactory, make_member

pytestmark = pytest.mark.django_db
URL = "/api/v1/leads/ingest/"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def series(db):
    return Series.objects.create(brand=Brand.objects.create(name="大众", code="vw"), name="朗逸")


@pytest.fixture
def platform(users):
    """The integration account: the store's admin role holds ``leads.ingest``."""
    client = APIClient()
    client.force_authenticate(users.admin)
    return client


def payload(**overrides):
    return {
        "platform": "autohome",
        "campaign": "双十一",
        "external_id": "AH-1001",
        "name": "张三",
        "phone": "138-0000-0001",
        "series": "朗逸",
        "purchase_time": "一周内",
        **overrides,
    }


def test_same_key_twice_makes_one_lead_and_the_same_answer(platform, users, series):
    first = platform.post(URL, payload(), format="json", headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.content
    second = platform.post(URL, payload(name="改了名字"), format="json", headers={"Idempotency-Key": "k-1"})
    assert second.status_code == 200
    assert first.json() == second.json()
    body = first.json()
    assert body["created"] is True and body["store"] == "store-a" and body["idempotency_key"] == "k-1"
    lead = Lead.objects.get()
    assert body["lead"] == lead.pk
    assert lead.source.code == "autohome" and lead.campaign == "双十一" and lead.external_id == "AH-1001"
    assert lead.series == series and lead.purchase_time == "7d" and lead.grade == "H"
    assert lead.customer.phone == "13800000001" and lead.customer.name == "张三"
    assert IngestRecord.objects.count() == 1


def test_key_in_the_body_or_from_the_external_id(platform, series):
    assert platform.post(URL, payload(idempotency_key="body-key"), format="json").status_code == 201
    again = platform.post(URL, payload(idempotency_key="body-key"), format="json")
    assert again.status_code == 200 and again.json()["idempotency_key"] == "body-key"
    # No key at all: the platform and its lead id make one.
    response = platform.post(URL, payload(phone="13800000002", external_id="AH-2"), format="json")
    assert response.status_code == 201 and response.json()["idempotency_key"] == "autohome:AH-2"
    assert platform.post(URL, payload(phone="13800000002", external_id="AH-2"), format="json").status_code == 200
    missing = platform.post(URL, payload(phone="13800000003", external_id=""), format="json")
    assert missing.status_code == 400 and "idempotency_key" in missing.json()["errors"]
    assert Lead.objects.count() == 2


def test_a_known_phone_joins_the_open_lead(platform, users, store, series):
    _customer, lead = services.customer_with_lead_create(
        actor=users.consultant,
        store=store,
        customer_data={"name": "老客户", "phone": "13800000001"},
        lead_data={"source": Source.objects.get(code="walk_in")},
        owner=users.consultant,
    )
    response = platform.post(URL, payload(), format="json", headers={"Idempotency-Key": "k-2"})
    assert response.status_code == 200
    assert response.json()["lead"] == lead.pk and response.json()["created"] is False
    assert Lead.objects.count() == 1
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.ENQUIRY).count() == 1
    lead.refresh_from_db()
    assert lead.owner == users.consultant


def test_round_robin_or_the_dcc_queue(platform, users, store, series):
    second = make_member(store, "consultant", username="a_consultant_2")
    owners = []
    for n in range(4):
        response = platform.post(URL, payload(phone=f"1390000000{n}", external_id=f"R{n}"), format="json")
        assert response.status_code == 201
        owners.append(Lead.objects.get(pk=response.json()["lead"]).owner)
    assert owners == [users.consultant, second, users.consultant, second]
    assert Task.objects.filter(kind=Task.Kind.FIRST_CONTACT).count() == 4

    LeadSettings.objects.filter(store=store).update(ingest_assignment="dcc")
    response = platform.post(URL, payload(phone="13900000099", external_id="D1"), format="json")
    lead = Lead.objects.get(pk=response.json()["lead"])
    assert lead.owner is None and lead.with_dcc


def test_bad_input_is_400_with_field_errors(platform, series):
    response = platform.post(URL, {"platform": "autohome", "external_id": "x"}, format="json")
    assert response.status_code == 400 and "phone" in response.json()["errors"]
    response = platform.post(URL, payload(phone="1380000"), format="json")
    assert response.status_code == 400 and "phone" in response.json()["errors"]
    response = platform.post(
        URL, payload(platform="tiktok", series="宝马X5", purchase_time="某天", store="nowhere"), format="json"
    )
    errors = response.json()["errors"]
    assert response.status_code == 400 and {"platform", "series", "purchase_time", "store"} <= set(errors)
    assert platform.post(URL, "[]", content_type="application/json").status_code == 400
    assert platform.post(URL, payload(series=str(series.pk)), format="json").status_code == 201
    assert not Lead.objects.exclude(series=series).exists()


def test_permission(users, other_users, store, other_store, series):
    client = APIClient()
    client.force_authenticate(users.consultant)
    assert client.post(URL, payload(), format="json").status_code == 403
    assert APIClient().post(URL, payload(), format="json").status_code == 401
    # Someone who sends to two stores says which one; a store they do not serve is refused.
    both = UserFactory()
    for target in (store, other_store):
        Membership.objects.create(user=both, store=target, role=Role.objects.get(store=None, code="admin"))
    client.force_authenticate(both)
    response = client.post(URL, payload(), format="json")
    assert response.status_code == 400 and "store" in response.json()["errors"]
    assert client.post(URL, payload(store="store-b"), format="json").json()["store"] == "store-b"
    client.force_authenticate(users.admin)
    assert client.post(URL, payload(store="store-b", external_id="B2"), format="json").status_code == 400
    assert Lead.objects.get().store == other_store


# --- Outcomes -----------------------------------------------------------------------------------


@pytest.fixture
def oem_leads(platform, users, store, series):
    """Three OEM leads: one lost (approved), one visited and ordered, one untouched; one autohome lead."""
    made = {}
    for key, phone in (("lost", "13700000001"), ("ordered", "13700000002"), ("new", "13700000003")):
        response = platform.post(
            URL, payload(platform="oem", external_id=f"OEM-{key}", phone=phone, campaign="厂家活动"), format="json"
        )
        made[key] = Lead.objects.get(pk=response.json()["lead"])
    platform.post(URL, payload(external_id="AH-9", phone="13700000009"), format="json")
    lost = made["lost"]
    request = services.lost_request_create(
        actor=lost.owner, lead=lost, kind="lost", reason=LostReason.objects.get(code="price")
    )
    services.lost_request_approve(actor=users.sales_manager, request=request)
    ordered = made["ordered"]
    services.lead_touch_first_visit(lead=ordered, at=timezone.now())
    Lead.objects.filter(pk=ordered.pk).update(status=LeadStatus.ORDERED)
    return made


def test_outcomes(platform, users, other_users, oem_leads):
    response = platform.get("/api/v1/leads/ingest/outcomes/", {"source": "oem"})
    assert response.status_code == 200
    rows = {row["external_id"]: row for row in response.json()["results"]}
    assert set(rows) == {"OEM-lost", "OEM-ordered", "OEM-new"}
    assert rows["OEM-lost"]["status"] == "lost" and rows["OEM-lost"]["lost_reason"] == "价格原因"
    assert rows["OEM-ordered"]["visited"] is True and rows["OEM-ordered"]["ordered"] is True
    assert rows["OEM-new"]["visited"] is False and rows["OEM-new"]["lost_reason"] is None
    assert rows["OEM-new"]["owner_name"] and rows["OEM-new"]["store"] == "store-a"
    later = (timezone.now() + timezone.timedelta(minutes=1)).isoformat()
    assert platform.get("/api/v1/leads/ingest/outcomes/", {"source": "oem", "since": later}).json()["results"] == []
    assert platform.get("/api/v1/leads/ingest/outcomes/", {"since": "yesterday"}).status_code == 400
    # The store's manager may read them too; a consultant may not; another store sees none.
    manager = APIClient()
    manager.force_authenticate(users.sales_manager)
    assert len(manager.get("/api/v1/leads/ingest/outcomes/", {"source": "oem"}).json()["results"]) == 3
    manager.force_authenticate(users.consultant)
    assert manager.get("/api/v1/leads/ingest/outcomes/").status_code == 403
    manager.force_authenticate(other_users.admin)
    assert manager.get("/api/v1/leads/ingest/outcomes/").json()["results"] == []


def test_outcomes_as_excel_for_users_who_may_export(platform, users, oem_leads):
    url = "/api/v1/leads/ingest/outcomes/export/"
    assert platform.get(url, {"source": "oem"}).status_code == 403  # may not export to Excel
    users.admin.can_export = True
    users.admin.save()
    response = platform.get(url, {"source": "oem"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert len(rows) == 4
    by_id = {row[0]: row for row in rows[1:]}
    assert set(by_id) == {"OEM-lost", "OEM-ordered", "OEM-new"}
    assert by_id["OEM-lost"][11] == "价格原因"
    entry = AuditLog.objects.get(action="leads.ingest_outcomes.export")
    assert entry.actor == users.admin and entry.changes["rows"] == 3 and entry.changes["filters"] == {"source": "oem"}
