"""The desk through its pages: registering new, returning and anonymous visitors, the phone look-up,
departure, corrections and reassignment, the rotation, the board's figures and its query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog
from leads.models import Customer, Lead, LeadStatus
from showroom import selectors, services
from showroom.models import RotationEntry, Visit
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def local_input(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def register(client, **data):
    payload = {"phone": "", "visitor_name": "", "party_size": 1, "arrived_at": local_input(timezone.now())}
    payload.update(data)
    return client.post(reverse("showroom:visit_register"), payload)


def test_register_new_then_returning_visitor(client_for, store, users, consultants):
    first, second = consultants
    desk = client_for(users.reception)
    response = register(desk, phone="139 0000 1111", visitor_name="王先生", party_size=2)
    assert response.status_code == 302 and response.url == reverse("showroom:visit_register")
    visit = Visit.objects.get()
    assert visit.is_first_visit and visit.filed and visit.party_size == 2 and visit.consultant == first
    assert Customer.objects.get(phone="13900001111").leads.get().status == LeadStatus.VISITED
    assert RotationEntry.objects.get(consultant=first).state == RotationEntry.State.WITH_CUSTOMER
    message = desk.get(reverse("showroom:visit_register")).content.decode()
    assert "王先生" in message

    services.visit_depart(actor=users.reception, visit=visit)
    response = register(desk, phone="13900001111")
    again = Visit.objects.latest("id")
    assert response.status_code == 302
    assert not again.is_first_visit and again.consultant == first and again.lead == visit.lead
    assert again.visitor_name == "王先生"


def test_visitor_without_phone_is_registered_not_filed(client_for, users, consultants):
    response = register(client_for(users.reception), visitor_name="李女士")
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert not visit.filed and visit.customer is None and visit.lead is None and visit.consultant == consultants[0]


def test_bad_phone_is_explained_and_the_form_keeps_the_input(client_for, users, consultants):
    response = register(client_for(users.reception), phone="12345", visitor_name="赵先生", note="看SUV")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="error-phone"' in html and 'value="12345"' in html and 'value="赵先生"' in html and "看SUV" in html
    assert not Visit.objects.exists()


def test_future_arrival_is_refused(client_for, users, consultants):
    response = register(client_for(users.reception), arrived_at=local_input(timezone.now() + dt.timedelta(hours=2)))
    assert response.status_code == 200 and 'id="error-arrived_at"' in response.content.decode()


def test_explicit_consultant_from_the_rotation(client_for, users, consultants):
    first, second = consultants
    register(client_for(users.reception), phone="13900002222", consultant=second.pk)
    assert Visit.objects.get().consultant == second
    assert [e.consultant for e in selectors.rotation_queue(users.reception.memberships.first().store)] == [first]


def test_phone_lookup_tells_owner_grade_last_visit_and_kind(client_for, store, users, consultants):
    first, second = consultants
    desk = client_for(users.reception)
    url = reverse("showroom:visitor_lookup")
    html = desk.get(url, {"phone": "1390000"}).content.decode()
    assert 'id="lookup-error"' in html
    html = desk.get(url, {"phone": "13900003333"}).content.decode()
    assert 'id="lookup-new"' in html and first.display_name in html
    visit = services.visit_register(actor=users.reception, store=store, phone="13900003333", visitor_name="孙先生")
    services.visit_depart(actor=users.reception, visit=visit)
    html = desk.get(url, {"phone": "139-0000-3333"}).content.decode()
    assert 'id="lookup-known"' in html and "孙先生" in html
    assert 'id="lookup-last-visit"' in html and f"<strong>{visit.lead.grade}</strong>" in html
    assert first.display_name in html  # the owner receives
    assert "Return visit" in html or "再次到店" in html or "回访" in html or 'id="lookup-kind"' in html
    html = desk.get(url, {"phone": ""}).content.decode()
    assert 'id="lookup-none"' in html


def test_departure_by_htmx_returns_the_board(client_for, store, users, consultants):
    visit = services.visit_register(actor=users.reception, store=store, visitor_name="周先生")
    desk = client_for(users.reception)
    response = desk.post(reverse("showroom:visit_depart", args=[visit.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="board"' in html and f'id="party-{visit.pk}"' not in html
    visit.refresh_from_db()
    assert visit.departed_at is not None
    # Twice: the board says so instead of failing.
    response = desk.post(reverse("showroom:visit_depart", args=[visit.pk]), HTTP_HX_REQUEST="true")
    assert 'id="board-error"' in response.content.decode()
    # A consultant does not record departures.
    assert client_for(consultants[0]).post(reverse("showroom:visit_depart", args=[visit.pk])).status_code == 403


def test_correcting_a_registration_and_departure_before_arrival(client_for, store, users, consultants):
    visit = services.visit_register(actor=users.reception, store=store, visitor_name="吴先生")
    desk = client_for(users.reception)
    url = reverse("showroom:visit_correct", args=[visit.pk])
    form = {
        "visitor_name": "吴先生",
        "party_size": 3,
        "arrived_at": local_input(visit.arrived_at),
        "departed_at": local_input(visit.arrived_at - dt.timedelta(minutes=30)),
        "source": visit.source_id,
        "note": "",
    }
    response = desk.post(url, form)
    assert response.status_code == 200 and 'id="error-departed_at"' in response.content.decode()
    form["departed_at"] = ""
    response = desk.post(url, form)
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.party_size == 3 and visit.corrected_at is not None
    assert AuditLog.objects.filter(action="visit.correct", object_id=str(visit.pk)).exists()


def test_reassigning_a_visit(client_for, store, users, consultants):
    first, second = consultants
    visit = services.visit_register(actor=users.reception, store=store, visitor_name="郑先生")
    assert visit.consultant == first
    url = reverse("showroom:visit_reassign", args=[visit.pk])
    assert client_for(first).get(url).status_code == 403
    response = client_for(users.reception).post(url, {"consultant": second.pk, "reason": "顾问在忙"})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.consultant == second
    response = client_for(users.sales_manager).post(url, {"consultant": users.cs_agent.pk})
    assert response.status_code == 200  # not a consultant of the store: the form says so


# --- Rotation through the pages ----------------------------------------------------------------


def test_rotation_fairness_and_manager_override_through_the_pages(client_for, store, users):
    first = users.consultant
    second = make_member(store, "consultant", username="a_c2", full_name="乙顾问")
    third = make_member(store, "consultant", username="a_c3", full_name="丙顾问")
    for person in (first, second, third):
        response = client_for(person).post(reverse("showroom:rotation_state"), {"state": "available"})
        assert response.status_code == 302
    desk = client_for(users.reception)
    register(desk, visitor_name="甲")
    register(desk, visitor_name="乙")
    assert list(Visit.objects.order_by("id").values_list("consultant", flat=True)) == [first.pk, second.pk]
    assert [e.consultant for e in selectors.rotation_queue(store)] == [third]
    for visit in Visit.objects.all():
        services.visit_depart(actor=users.reception, visit=visit)
    # Fairness: the one who waited longest first, then by when they last received.
    assert [e.consultant for e in selectors.rotation_queue(store)] == [third, first, second]

    # A consultant cannot reorder; a manager can, and the page shows it.
    assert client_for(first).post(reverse("showroom:rotation_front"), {"consultant": second.pk}).status_code == 403
    manager = client_for(users.sales_manager)
    response = manager.post(reverse("showroom:rotation_front"), {"consultant": second.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="rotation"' in response.content.decode()
    assert selectors.rotation_queue(store)[0].consultant == second
    register(desk, visitor_name="丙")
    assert Visit.objects.latest("id").consultant == second
    # A consultant sets only their own state.
    assert (
        client_for(first)
        .post(reverse("showroom:rotation_state"), {"state": "away", "consultant": third.pk})
        .status_code
        == 403
    )
    response = client_for(first).post(
        reverse("showroom:rotation_state"), {"state": "away", "panel": "widget"}, HTTP_HX_REQUEST="true"
    )
    assert 'id="rotation-widget"' in response.content.decode()
    assert RotationEntry.objects.get(consultant=first).state == RotationEntry.State.AWAY


def test_rotation_page_lists_every_consultant(client_for, store, users, consultants):
    html = client_for(users.reception).get(reverse("showroom:rotation")).content.decode()
    for person in consultants:
        assert f'id="rotation-{person.pk}"' in html
    assert 'id="my-state"' not in html  # the desk is not in the rotation
    html = client_for(users.sales_manager).get(reverse("showroom:rotation")).content.decode()
    assert f'id="front-{consultants[1].pk}"' in html


# --- The board -------------------------------------------------------------------------------


def test_board_figures_of_the_day(client_for, store, users, consultants, trim):
    """3 first visits (2 with a phone, 1 without) + 1 return; one first-visit deal the same day."""
    first, _second = consultants
    desk = users.reception
    deal = services.visit_register(actor=desk, store=store, phone="13900004441", visitor_name="成交客户")
    filed = services.visit_register(actor=desk, store=store, phone="13900004442", visitor_name="留档客户")
    services.visit_register(actor=desk, store=store, visitor_name="未留档客户")
    services.visit_depart(actor=desk, visit=filed)
    services.visit_register(actor=desk, store=store, phone="13900004442")  # return visit
    order = services.order_create(actor=first, lead=deal.lead, trim=trim, price=Decimal("119900"))
    services.order_confirm(actor=first, order=order)

    figures = selectors.day_figures(store, timezone.localdate())
    assert (figures.visits, figures.first_visits, figures.first_visit_no_deal, figures.retained) == (4, 3, 2, 1)
    assert figures.retention_rate == 0.5 and figures.orders == 1
    response = client_for(users.reception).get(reverse("showroom:board"))
    html = response.content.decode()
    assert response.context["figures"] == figures
    assert 'id="fig-retention">50.0%' in html and "1 ÷ 2" in html
    assert 'id="fig-first">3<' in html and 'id="fig-orders">1<' in html


def test_board_partial_for_htmx_refresh(client_for, users, consultants):
    response = client_for(users.reception).get(reverse("showroom:board"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="board"') and "<html" not in html


def test_board_queries_stay_fixed_with_200_visits_today(client_for, store, users, consultants):
    """200 visits today (40 still in the store): a fixed number of queries, no N+1."""
    first, second = consultants
    customers = [Customer(store=store, name=f"客户{i}", phone=f"1360000{i:04d}") for i in range(200)]
    Customer.objects.bulk_create(customers)
    walk_in = services.Source.objects.get(code="walk_in")
    leads = Lead.objects.bulk_create(
        Lead(store=store, customer=c, owner=first if i % 2 else second, source=walk_in, grade="HABC"[i % 4])
        for i, c in enumerate(customers)
    )
    start = timezone.now() - dt.timedelta(hours=5)
    Visit.objects.bulk_create(
        Visit(
            store=store,
            customer=lead.customer,
            lead=lead,
            visitor_name=lead.customer.name,
            phone=lead.customer.phone,
            arrived_at=start + dt.timedelta(minutes=i),
            departed_at=None if i >= 160 else start + dt.timedelta(minutes=i + 30),
            consultant=lead.owner,
            source=walk_in,
            filed=True,
            is_first_visit=i % 3 != 0,
            registered_by=users.reception,
        )
        for i, lead in enumerate(leads)
    )
    client = client_for(users.reception)
    client.get(reverse("showroom:board"))  # warm up (session, templates)
    with CaptureQueriesContext(connection) as partial:
        response = client.get(reverse("showroom:board"), HTTP_HX_REQUEST="true")
    assert (
        response.status_code == 200
        and response.content.decode().count('class="btn btn-sm btn-success depart-button"') == 40
    )
    with CaptureQueriesContext(connection) as full:
        response = client.get(reverse("showroom:board"))
    assert response.status_code == 200
    # 6 for the session, the user, their grants and the store; 7 for the board itself.
    assert len(partial) <= 13, [q["sql"][:120] for q in partial.captured_queries]
    assert len(full) <= 20, [q["sql"][:120] for q in full.captured_queries]
    # Its time is measured in bench/run.py ("desk: board with 200+ visits today"), not here.


# --- Visit register, export, cross-check ----------------------------------------------------------


def test_visit_list_filters(client_for, store, users, consultants):
    first, second = consultants
    services.visit_register(actor=users.reception, store=store, phone="13900005551", visitor_name="有电话")
    services.visit_register(actor=users.reception, store=store, visitor_name="无电话", consultant=second)
    old = services.visit_register(actor=users.reception, store=store, visitor_name="上月客户")
    Visit.objects.filter(pk=old.pk).update(arrived_at=timezone.now() - dt.timedelta(days=30))
    client = client_for(users.reception)
    url = reverse("showroom:visit_list")
    html = client.get(url).content.decode()
    assert "有电话" in html and "无电话" in html and "上月客户" not in html  # the last 7 days by default
    html = client.get(url, {"filed": "0"}).content.decode()
    assert "无电话" in html and "有电话" not in html
    html = client.get(url, {"consultant": second.pk}).content.decode()
    assert "无电话" in html and "有电话" not in html
    html = client.get(url, {"first": "0"}).content.decode()
    assert "有电话" not in html
    today = timezone.localdate()
    html = client.get(url, {"date_from": (today - dt.timedelta(days=40)).isoformat()}).content.decode()
    assert "上月客户" in html
    html = client.get(url, {"q": "5551"}).content.decode()
    assert "有电话" in html and "无电话" not in html


def test_export_needs_the_grant_and_is_audited(client_for, store, users, consultants):
    from io import BytesIO

    from openpyxl import load_workbook

    services.visit_register(actor=users.reception, store=store, phone="13900006661", visitor_name="导出客户")
    services.visit_register(actor=users.reception, store=store, visitor_name="匿名客户")
    url = reverse("showroom:visit_export") + "?filed=1"
    assert client_for(users.reception).post(url).status_code == 403
    html = client_for(users.reception).get(reverse("showroom:visit_list")).content.decode()
    assert 'id="export-xlsx"' not in html
    users.reception.can_export = True
    users.reception.save()
    response = client_for(users.reception).post(url)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert len(rows) == 2  # header + the filed visit only
    row = dict(zip(rows[0], rows[1], strict=True))
    assert "导出客户" in rows[1] and "139****6661" in rows[1]
    arrived = next(v for v in rows[1] if isinstance(v, dt.datetime))
    assert arrived.tzinfo is None and abs(arrived - timezone.localtime().replace(tzinfo=None)) < dt.timedelta(minutes=5)
    assert len(row) == len(rows[0])
    entry = AuditLog.objects.get(action="showroom.export")
    assert entry.changes["rows"] == 1 and entry.changes["filters"] == {"filed": "1"}
    # Allowed to see numbers: the full number.
    users.reception.can_see_full_phone = True
    users.reception.save()
    response = client_for(users.reception).post(url)
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert "13900006661" in list(workbook.active.iter_rows(values_only=True))[1]


def test_cross_check_flags_walk_ins_without_follow_up_once(client_for, store, users, consultants):
    from accounts.models import Notification
    from showroom import tasks

    visit = services.visit_register(actor=users.reception, store=store, phone="13900007771", visitor_name="冷落客户")
    followed = services.visit_register(actor=users.reception, store=store, phone="13900007772", visitor_name="跟进客户")
    two_days_ago = timezone.now() - dt.timedelta(days=2)
    Visit.objects.filter(pk__in=[visit.pk, followed.pk]).update(arrived_at=two_days_ago)
    from leads import services as lead_services
    from leads.models import FollowUp

    lead_services.followup_log(
        actor=followed.consultant,
        lead=followed.lead,
        channel=FollowUp.Channel.PHONE,
        content="回访",
        result=FollowUp.Result.CONTACTED,
    )
    assert tasks.cross_check_all.delay().get() == 1
    assert tasks.cross_check_store(store.pk) == 0  # idempotent
    visit.refresh_from_db()
    assert visit.follow_up_flagged_at is not None
    note = Notification.objects.get(recipient=users.sales_manager)
    assert "1" in note.title and note.url == "/showroom/visits/?unfollowed=1"
    html = client_for(users.sales_manager).get(note.url).content.decode()
    assert "冷落客户" in html and "跟进客户" not in html


def test_beat_runs_the_cross_check():
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["showroom-cross-check"]["task"] == "showroom.tasks.cross_check_all"


# --- Clerk figures, timeline, merge ---------------------------------------------------------------


def test_clerk_figures_page(client_for, store, users, consultants):
    visit = services.visit_register(actor=users.reception, store=store, phone="13900008881")
    services.visit_register(actor=users.reception, store=store)
    late = services.visit_register(
        actor=users.reception, store=store, arrived_at=timezone.now() - dt.timedelta(hours=1)
    )
    services.visit_correct(actor=users.sales_manager, visit=visit, party_size=4)
    rows = selectors.clerk_figures(store, timezone.localdate(), timezone.localdate())
    assert len(rows) == 1
    row = rows[0]
    assert (row.registrations, row.leads_captured, row.accurate, row.timely) == (3, 1, 2, 2)
    assert late.registered_by == users.reception
    response = client_for(users.reception).get(reverse("showroom:clerk_figures"))
    html = response.content.decode()
    assert response.status_code == 200 and "66.7%" in html and users.reception.display_name in html
    assert reverse("leads:customer_create") in html


def test_clerk_day_with_phone_in_leads_only_counts(store, users, consultants):
    from leads import services as lead_services

    services.visit_register(actor=users.reception, store=store, arrived_at=timezone.now() - dt.timedelta(days=1))
    lead_services.customer_with_lead_create(
        actor=users.reception,
        store=store,
        customer_data={"name": "来电客户", "phone": "13900008882"},
        lead_data={"source": lead_services.Source.objects.get(code="showroom_phone")},
        owner=consultants[0],
    )
    today = timezone.localdate()
    rows = selectors.clerk_figures(store, today - dt.timedelta(days=1), today)
    assert [(r.day, r.registrations, r.leads_captured) for r in rows] == [
        (today - dt.timedelta(days=1), 1, 0),
        (today, 0, 1),
    ]


def test_customer_timeline_has_visits_test_drives_and_orders(store, users, consultants, demo_car, trim):
    from leads.selectors import customer_timeline

    visit = services.visit_register(actor=users.reception, store=store, phone="13900009991", visitor_name="时间线")
    services.test_drive_record(
        actor=consultants[0],
        lead=visit.lead,
        vehicle=demo_car,
        route="市区环线",
        licence_checked=True,
        vehicle_checked=True,
        started_at=timezone.now(),
    )
    order = services.order_create(actor=consultants[0], lead=visit.lead, trim=trim, price=Decimal("119900"))
    kinds = {entry.kind: entry for entry in customer_timeline(visit.customer)}
    assert {"visit", "test_drive", "order"} <= set(kinds)
    assert kinds["order"].url == reverse("showroom:order_detail", args=[order.pk])


def test_merged_customers_take_their_visits_along(store, users, consultants):
    from leads import services as lead_services

    keep = services.visit_register(actor=users.reception, store=store, phone="13900009992", visitor_name="合并甲")
    gone = services.visit_register(actor=users.reception, store=store, phone="13900009993", visitor_name="合并乙")
    lead_services.customer_merge(actor=users.sales_manager, survivor=keep.customer, absorbed=[gone.customer])
    gone.refresh_from_db()
    assert gone.customer == keep.customer and gone.lead == keep.lead
