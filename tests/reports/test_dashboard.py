"""The store dashboard and the group dashboard: every figure of a hand-built November, its
boundaries in Beijing time, zero denominators, the links to the records behind each figure, who
may open the pages, and that another store's rows are never counted."""

import datetime as dt
import itertools

import pytest
from django.urls import reverse

from accounts.models import Membership, Role
from complaints.models import Callback, Complaint
from leads.models import Customer, Lead, LostReason, Source, Task
from reports.dashboard import Links, group_dashboard, store_dashboard
from reports.models import SalesTarget
from reports.query import ReportQuery
from tests.factories import make_member
from tests.reports import builders as b

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


def complaint(store, registered, due, *, handled=None, category="delivery", touchpoint="delivery", by=None):
    customer = b.customer(store, "投诉客户")
    return Complaint.objects.create(
        store=store,
        number=f"TS{next(_numbers):05d}",
        customer=customer,
        category=category,
        touchpoint=touchpoint,
        facts="事实",
        registered_by=by,
        registered_at=registered,
        due_at=due,
        handled_at=handled,
    )


def callback(order, kind, due, *, done=None, score=None, assignee="seller"):
    return Callback.objects.create(
        store=order.store,
        order=order,
        customer=order.customer,
        assignee=order.seller if assignee == "seller" else assignee,
        kind=kind,
        due_date=dt.date.fromisoformat(due),
        done_at=done,
        score=score,
    )


@pytest.fixture
def november(store, other_store, users, other_users):
    """Store A's November 2026, its months before (for the recent closing rate and the trends), and
    noise in store B and just outside the period."""
    a, m, dcc, clerk, cs = users.consultant, users.sales_manager, users.dcc_agent, users.reception, users.cs_agent
    walk_in = b.source("walk-in-dash")
    online = b.source("online-dash", Source.Category.ONLINE)
    autohome = b.source("autohome-dash", Source.Category.ONLINE, parent=online)
    repurchase = b.source("repurchase-dash", Source.Category.REPURCHASE)
    price = b.reason("price-dash", name="价格")
    rival = b.reason("rival-dash", name="竞品")

    # Leads captured in November: 9 (L3 is merged; L0, the old ones and store B's are not November's).
    l1 = b.lead(store, a, b.at("2026-11-01", "00:00"), src=walk_in, created_by=clerk)  # the first minute counts
    l0 = b.lead(store, a, b.at("2026-10-31", "23:59"), src=walk_in)  # the minute before does not
    l2 = b.lead(store, m, b.at("2026-11-30", "23:59"), src=autohome)  # the last minute counts
    b.lead(store, a, b.at("2026-11-02"), src=walk_in, status="merged")
    l4 = b.lead(store, m, b.at("2026-11-05", "10:00"), src=walk_in)
    l5 = b.lead(store, m, b.at("2026-11-05", "11:00"), src=online)
    no_phone = Customer.objects.create(store=store, name="没留电话", phone="")
    l6 = b.lead(store, a, b.at("2026-11-10", "09:00"), src=walk_in, cust=no_phone)  # captured, not filed
    l8 = b.lead(store, a, b.at("2026-11-08"), src=walk_in)
    l9 = b.lead(store, a, b.at("2026-11-09"), src=walk_in)
    l10 = b.lead(store, dcc, b.at("2026-11-15", "09:00"), src=autohome)
    old = b.lead(store, a, b.at("2026-08-01"), src=walk_in)
    old_lost = b.lead(store, a, b.at("2026-10-20"), src=walk_in)
    old_dcc = b.lead(store, dcc, b.at("2026-10-01"), src=online)

    # Orders: four in November (O2 is cancelled), two in the three months before.
    o1 = b.order(l1, a, b.at("2026-11-03", "11:00"), first_visit_deal=True, delivered=b.at("2026-11-25", "15:00"))
    b.order(l1, a, b.at("2026-11-03", "11:30"), cancelled=True)
    o3 = b.order(l0, a, b.at("2026-11-10", "16:00"))
    b.order(l4, m, b.at("2026-11-12", "16:00"))  # DCC-sourced: the DCC invited this lead
    b.order(l10, dcc, b.at("2026-11-16", "11:00"), dcc=True)  # sold by a DCC agent
    b.order(old_dcc, dcc, b.at("2026-10-15"), dcc=True)
    b.order(old, a, b.at("2026-09-10"))
    l7 = b.lead(store, a, b.at("2026-11-12", "09:00"), src=repurchase, repurchase_of=l1)  # a repurchase is a lead

    # Invitations (appointments made in November: 5) and appointments due in November.
    b.appointment(l1, a, b.at("2026-11-01", "15:05"), b.at("2026-11-03", "10:00"))
    b.appointment(l0, a, b.at("2026-10-31", "23:59"), b.at("2026-11-01", "09:00"))  # due in Nov, made in Oct
    b.appointment(l4, dcc, b.at("2026-11-05", "11:00"), b.at("2026-11-07", "10:00"), origin="dcc")
    b.appointment(l6, dcc, b.at("2026-11-10", "12:00"), b.at("2026-11-11", "10:00"), origin="dcc")  # no show
    b.appointment(l7, a, b.at("2026-11-12", "10:00"), b.at("2026-11-14", "10:00"), status="cancelled")
    b.appointment(l8, dcc, b.at("2026-11-25"), b.at("2026-12-01", "10:00"), origin="dcc")  # due in December

    # Visits: six in November, all registered by the info clerk.
    b.visit(store, a, b.at("2026-11-01", "09:10"), lead_row=l0, registered_by=clerk)  # first, no deal that day
    b.visit(
        store,
        a,
        b.at("2026-11-03", "10:00"),
        lead_row=l1,
        registered_by=clerk,
        registered_at=b.at("2026-11-03", "12:00"),
    )  # first, deal that day; entered two hours late
    v2 = b.visit(store, m, b.at("2026-11-07", "10:05"), lead_row=l4, registered_by=clerk)  # first, no deal
    b.visit(store, a, b.at("2026-11-15", "10:00"), lead_row=l6, filed=False, registered_by=clerk)  # not filed
    b.visit(store, a, b.at("2026-11-20", "10:00"), lead_row=l1, first=False, registered_by=clerk)  # return visit
    b.visit(store, a, b.at("2026-11-30", "23:59"), filed=False, registered_by=clerk)  # walk-in, no phone
    b.visit(store, a, b.at("2026-10-31", "23:59"), lead_row=old, registered_by=clerk)  # October
    type(v2).objects.filter(pk=v2.pk).update(corrected_at=b.at("2026-11-08"))  # corrected: not accurate

    # Lost (3, two for price) and invalid (not lost).
    b.closed(l8, a, m, b.at("2026-11-20"), reason_row=price)
    b.closed(l9, a, m, b.at("2026-11-21"), reason_row=rival)
    b.closed(old_lost, a, m, b.at("2026-11-22"), reason_row=price)
    b.closed(l5, m, m, b.at("2026-11-06"), kind=LostReason.Kind.INVALID)
    b.closed(l2, m, m, b.at("2026-12-01", "00:00"), reason_row=price)  # December

    # Follow-up tasks due in November: 4, two done by the end of their day.
    b.task(l1, a, b.at("2026-11-02", "10:00"), done=b.at("2026-11-02", "16:00"))
    b.task(l4, m, b.at("2026-11-06", "10:00"), done=b.at("2026-11-07", "09:00"))  # late
    b.task(l6, a, b.at("2026-11-30", "10:00"))  # open
    b.task(l8, a, b.at("2026-11-30", "10:00"), done=b.at("2026-11-30", "23:30"))  # on time, Beijing day
    b.task(l9, a, b.at("2026-12-01", "10:00"))  # December
    cancelled = b.task(l9, a, b.at("2026-11-15", "10:00"))
    Task.objects.filter(pk=cancelled.pk).update(status=Task.Status.CANCELLED)

    # Complaints: three registered in November (one handled in time), one in September.
    complaint(
        store, b.at("2026-11-05", "10:00"), b.at("2026-11-06", "10:00"), handled=b.at("2026-11-05", "18:00"), by=cs
    )
    complaint(
        store,
        b.at("2026-11-10", "10:00"),
        b.at("2026-11-11", "10:00"),
        handled=b.at("2026-11-12"),
        category="attitude",
        touchpoint="reception",
        by=cs,
    )
    complaint(store, b.at("2026-11-28"), b.at("2026-11-29"), touchpoint="follow_up", by=cs)
    complaint(
        store,
        b.at("2026-09-15"),
        b.at("2026-09-16"),
        handled=b.at("2026-09-15", "12:00"),
        category="price_fees",
        touchpoint="during_work",
        by=cs,
    )

    # Callbacks due in November: 4, three done; two satisfaction surveys (90 and 70) done in November.
    callback(o1, Callback.Kind.SAME_DAY, "2026-11-25", done=b.at("2026-11-25", "18:00"))
    callback(o1, Callback.Kind.DAY_3, "2026-11-28")
    callback(o1, Callback.Kind.SATISFACTION, "2026-11-27", done=b.at("2026-11-26"), score=90, assignee=None)
    callback(o3, Callback.Kind.SATISFACTION, "2026-11-12", done=b.at("2026-11-13"), score=70, assignee=None)
    callback(o3, Callback.Kind.DAY_3, "2026-12-01")
    callback(o3, Callback.Kind.DAY_7, "2026-10-30", done=b.at("2026-10-31"), score=10)

    # Targets for November: the store's and two consultants'.
    SalesTarget.objects.create(store=store, month=dt.date(2026, 11, 1), units=10, set_by=m)
    SalesTarget.objects.create(store=store, month=dt.date(2026, 11, 1), consultant=a, units=3, set_by=m)
    SalesTarget.objects.create(store=store, month=dt.date(2026, 11, 1), consultant=m, units=2, set_by=m)

    # Store B: a lead, a visit, an order, a complaint and a target of its own.
    other = other_users.consultant
    lb = b.lead(other_store, other, b.at("2026-11-01", "10:00"), src=walk_in)
    b.visit(other_store, other, b.at("2026-11-02", "10:00"), lead_row=lb, registered_by=other_users.reception)
    b.order(lb, other, b.at("2026-11-02", "11:00"), first_visit_deal=True)
    complaint(other_store, b.at("2026-11-03"), b.at("2026-11-04"), handled=b.at("2026-11-03", "12:00"), by=cs)
    SalesTarget.objects.create(store=other_store, month=dt.date(2026, 11, 1), units=5, set_by=other_users.gm)
    return users


def query(user, stores, first="2026-11-01", last="2026-11-30"):
    return ReportQuery(
        user=user, stores=tuple(stores), first=dt.date.fromisoformat(first), last=dt.date.fromisoformat(last)
    )


def values(dashboard):
    return {key: figure.value for key, figure in dashboard.figures.items()}


EXPECTED = {
    "captured": 9,
    "filed": 8,
    "invited": 5,
    "arrived": 6,
    "orders": 4,
    "deliveries": 1,
    "first_visit_deals": 1,
    "follow_up_deals": 3,
    "first_visits_no_deal": 4,
    "retained": 2,
    "tasks_due": 4,
    "tasks_on_time": 2,
    "lost": 3,
    "valid": 8,
    "dcc_appointments": 2,
    "dcc_arrived": 1,
    "showroom_appointments": 2,
    "showroom_arrived": 2,
    "dcc_orders": 2,
    "complaints": 3,
    "complaints_in_time": 1,
    "callbacks_due": 4,
    "callbacks_done": 3,
    "surveys": 2,
    "registrations": 6,
    "clerk_leads": 1,
}
EXPECTED_RATES = {
    "closing_rate": 4 / 9,
    "first_visit_deal_rate": 1 / 9,
    "follow_up_deal_rate": 3 / 9,
    "retention_rate": 2 / 4,
    "punctuality": 2 / 4,
    "lost_rate": 3 / 7,
    "valid_rate": 8 / 9,
    "dcc_arrival_rate": 1 / 2,
    "showroom_arrival_rate": 2 / 2,
    "dcc_share": 2 / 4,
    "complaint_sla": 1 / 3,
    "callback_completion": 3 / 4,
    "ssi": 80.0,
    "clerk_accuracy": 5 / 6,
    "clerk_timeliness": 5 / 6,
}


def test_every_figure_of_the_month(store, november):
    found = values(store_dashboard(query(november.sales_manager, [store]), store))
    assert {key: found[key] for key in EXPECTED} == EXPECTED
    for key, expected in EXPECTED_RATES.items():
        assert found[key] == pytest.approx(expected), key
    # 销量 = 集客量 × 成交率 = 首洽成交 + 跟踪回访成交
    assert found["orders"] == found["first_visit_deals"] + found["follow_up_deals"]
    assert found["closing_rate"] == pytest.approx(found["first_visit_deal_rate"] + found["follow_up_deal_rate"])


def test_the_gm_sees_the_same_figures(store, november):
    manager = values(store_dashboard(query(november.sales_manager, [store]), store))
    gm = values(store_dashboard(query(november.gm, [store]), store))
    assert gm == manager


def test_funnel_steps_and_chart(store, november):
    dashboard = store_dashboard(query(november.sales_manager, [store]), store)
    steps = [(figure.key, figure.value, rate) for figure, rate in dashboard.funnel]
    assert [(key, value) for key, value, _rate in steps] == [
        ("captured", 9),
        ("filed", 8),
        ("invited", 5),
        ("arrived", 6),
        ("orders", 4),
        ("deliveries", 1),
    ]
    assert steps[0][2] is None
    assert [rate for _key, _value, rate in steps[1:]] == pytest.approx([8 / 9, 5 / 8, 6 / 5, 4 / 6, 1 / 4])
    assert dashboard.funnel_chart.kind == "funnel"
    assert list(dashboard.funnel_chart.series.values()) == [[9, 8, 5, 6, 4, 1]]


def test_lost_reasons_and_valid_leads_by_source(store, november):
    dashboard = store_dashboard(query(november.sales_manager, [store]), store)
    assert [(r["reason"], r["count"]) for r in dashboard.lost_reasons] == [("价格", 2), ("竞品", 1)]
    assert [r["share"] for r in dashboard.lost_reasons] == pytest.approx([2 / 3, 1 / 3])
    by_source = {row["source"]: row for row in dashboard.sources}
    # The online sub-channel (汽车之家) counts for its parent: 2 + 1 leads, one of them invalid.
    assert {name: (r["captured"], r["invalid"]) for name, r in by_source.items()} == {
        "walk-in-dash": (5, 0),
        "online-dash": (3, 1),
        "repurchase-dash": (1, 0),
    }
    assert sum(r["captured"] for r in dashboard.sources) == 9
    assert by_source["online-dash"]["rate"] == pytest.approx(2 / 3)
    assert by_source["walk-in-dash"]["rate"] == 1.0


def test_dcc_figures_agree_with_the_dcc_pages(store, november):
    from dcc.selectors import dcc_sales_by_month, invitation_arrival

    dashboard = store_dashboard(query(november.sales_manager, [store]), store)
    arrival = invitation_arrival(store, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert (dashboard.figures["dcc_appointments"].value, dashboard.figures["dcc_arrived"].value) == (
        arrival.appointments,
        arrival.arrived,
    )
    months = {row["month"]: row for row in dashboard.sales_by_month}
    assert [f"{m:%Y-%m}" for m in months] == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    dcc = {f.month: f for f in dcc_sales_by_month(store, dt.date(2026, 6, 1), dt.date(2026, 11, 30))}
    for month, row in months.items():
        assert row["dcc"] == dcc[month].orders
        assert row["direct"] == dcc[month].direct_sales
    nov, oct_, sep = months[dt.date(2026, 11, 1)], months[dt.date(2026, 10, 1)], months[dt.date(2026, 9, 1)]
    assert (nov["orders"], nov["dcc"], nov["direct"], nov["showroom"], nov["share"]) == (4, 2, 1, 2, 0.5)
    assert (oct_["orders"], oct_["dcc"], oct_["showroom"], oct_["share"]) == (1, 1, 0, 1.0)
    assert (sep["orders"], sep["dcc"], sep["showroom"]) == (1, 0, 1)
    assert months[dt.date(2026, 7, 1)]["share"] is None  # no orders: —


def test_complaints_by_category_and_touchpoint_over_time(store, november):
    dashboard = store_dashboard(query(november.sales_manager, [store]), store)
    categories = {row["key"]: row["months"] for row in dashboard.complaints_by_category}
    assert categories == {
        "price_fees": [0, 0, 0, 1, 0, 0],
        "delivery": [0, 0, 0, 0, 0, 2],
        "attitude": [0, 0, 0, 0, 0, 1],
    }
    touchpoints = {row["key"]: row["months"] for row in dashboard.complaints_by_touchpoint}
    assert touchpoints == {
        "reception": [0, 0, 0, 0, 0, 1],
        "during_work": [0, 0, 0, 1, 0, 0],
        "delivery": [0, 0, 0, 0, 0, 1],
        "follow_up": [0, 0, 0, 0, 0, 1],
    }


def test_info_clerks(store, november):
    dashboard = store_dashboard(query(november.sales_manager, [store]), store)
    assert [
        (r["clerk"], r["registrations"], r["leads_captured"], r["accurate"], r["timely"]) for r in dashboard.clerks
    ] == [(str(november.reception), 6, 1, 5, 5)]


def test_targets_against_orders_and_leads_needed(store, november):
    (status,) = store_dashboard(query(november.sales_manager, [store]), store).targets
    assert (status.month, status.as_of) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert (status.store.target, status.store.orders, status.store.remaining) == (10, 4, 6)
    assert status.store.attainment == pytest.approx(0.4)
    # Closing rate of August–October: 2 orders ÷ 4 leads captured; 6 more orders need 6 ÷ 0.5 = 12 leads.
    assert (status.recent_first, status.recent_last) == (dt.date(2026, 8, 1), dt.date(2026, 10, 31))
    assert (status.recent_orders, status.recent_leads) == (2, 4)
    assert status.leads_needed == 12
    people = {line.person_id: line for line in status.consultants}
    a, m, dcc = november.consultant, november.sales_manager, november.dcc_agent
    assert (people[a.pk].target, people[a.pk].orders, people[a.pk].remaining) == (3, 2, 1)
    assert (people[m.pk].target, people[m.pk].orders, people[m.pk].remaining) == (2, 1, 1)
    assert (people[dcc.pk].target, people[dcc.pk].orders, people[dcc.pk].remaining) == (None, 1, None)
    assert people[november.sales_supervisor.pk].orders == 0
    assert november.gm.pk not in people  # the GM does not sell
    assert status.consultant_targets == 5


def test_targets_mid_month_count_orders_to_date_only(store, november):
    (status,) = store_dashboard(query(november.sales_manager, [store], "2026-11-01", "2026-11-10"), store).targets
    assert (status.store.orders, status.store.remaining) == (2, 8)  # O1 (3rd) and O3 (10th)
    assert status.leads_needed == 16


def test_leads_needed_rounds_up_and_is_zero_once_the_target_is_met(store, november):
    SalesTarget.objects.filter(store=store, consultant=None).update(units=7)
    (status,) = store_dashboard(query(november.sales_manager, [store]), store).targets
    assert status.leads_needed == 6  # 3 ÷ 0.5
    SalesTarget.objects.filter(store=store, consultant=None).update(units=3)
    (status,) = store_dashboard(query(november.sales_manager, [store]), store).targets
    assert (status.store.remaining, status.leads_needed) == (0, 0)


def test_leads_needed_rounds_up_an_inexact_rate(store, users):
    b.order(b.lead(store, users.consultant, b.at("2026-10-02")), users.consultant, b.at("2026-10-05"))
    b.lead(store, users.consultant, b.at("2026-10-03"))
    b.lead(store, users.consultant, b.at("2026-09-03"))  # 1 order ÷ 3 leads
    SalesTarget.objects.create(store=store, month=dt.date(2026, 11, 1), units=5, set_by=users.gm)
    (status,) = store_dashboard(query(users.gm, [store]), store).targets
    assert status.recent_rate == pytest.approx(1 / 3)
    assert status.leads_needed == 15


def test_an_empty_period_divides_by_nothing(store, users):
    SalesTarget.objects.create(store=store, month=dt.date(2027, 1, 1), units=5, set_by=users.gm)
    dashboard = store_dashboard(query(users.gm, [store], "2027-01-01", "2027-01-31"), store)
    for key in EXPECTED_RATES:
        assert dashboard.figures[key].value is None, key
        assert dashboard.figures[key].text == "—", key
    assert dashboard.figures["captured"].text == "0"
    (status,) = dashboard.targets
    assert (status.store.remaining, status.recent_rate, status.leads_needed) == (5, None, None)
    assert all(rate is None for _figure, rate in dashboard.funnel)


def test_no_target_means_no_remaining(store, users):
    (status,) = store_dashboard(query(users.gm, [store]), store).targets
    assert (status.store.target, status.store.remaining, status.store.attainment, status.leads_needed) == (
        None,
        None,
        None,
        None,
    )


def test_other_stores_rows_are_never_counted(store, other_store, other_users, november):
    found = values(store_dashboard(query(november.sales_manager, [store]), store))
    assert found["captured"] == 9 and found["orders"] == 4 and found["complaints"] == 3
    only_b = values(store_dashboard(query(other_users.gm, [other_store]), other_store))
    assert (only_b["captured"], only_b["orders"], only_b["complaints"], only_b["first_visit_deals"]) == (1, 1, 1, 1)


def test_links_go_to_the_lists_behind_the_figures(store, november, client_for):
    dashboard = store_dashboard(query(november.sales_manager, [store]), store)
    urls = {key: figure.url for key, figure in dashboard.figures.items()}
    assert urls["captured"] == "/leads/list/?created_after=2026-11-01&created_before=2026-11-30"
    assert urls["arrived"] == "/showroom/visits/?date_from=2026-11-01&date_to=2026-11-30"
    assert urls["orders"] == "/showroom/orders/?status=live&dates=confirmed&date_from=2026-11-01&date_to=2026-11-30"
    assert urls["complaint_sla"] == "/service/complaints/?registered_from=2026-11-01&registered_to=2026-11-30"
    assert urls["registrations"] == "/showroom/clerks/?date_from=2026-11-01&date_to=2026-11-30"
    assert urls["deliveries"] == (
        "/showroom/orders/?status=delivered&dates=delivered&date_from=2026-11-01&date_to=2026-11-30"
    )
    by_source = {row["source"]: row for row in dashboard.sources}
    online = Source.objects.get(code="online-dash")
    assert by_source["online-dash"]["invalid_url"] == (
        f"/leads/list/?created_after=2026-11-01&created_before=2026-11-30&source={online.pk}&status=invalid"
    )
    client = client_for(november.sales_manager)
    visits = client.get(urls["arrived"])
    assert visits.status_code == 200
    assert visits.context["paginator"].count == 6
    complaints = client.get(urls["complaint_sla"])
    assert complaints.status_code == 200
    assert complaints.context["paginator"].count == 3
    invalid = client.get(by_source["online-dash"]["invalid_url"])
    assert invalid.status_code == 200
    invalid_lead = Lead.objects.get(store=store, status="invalid")
    assert [lead.pk for lead in invalid.context["rows"]] == [invalid_lead.pk]


def test_the_order_lists_behind_the_figures_hold_exactly_the_orders_counted(store, november, client_for):
    """Orders count by confirmation day without the cancelled; every order here was created today, so a
    list by creation day would hold the September and October orders and the cancelled one too."""
    dashboard = store_dashboard(query(november.sales_manager, [store]), store)
    client = client_for(november.sales_manager)
    for key in ("orders", "deliveries"):
        figure = dashboard.figures[key]
        page = client.get(figure.url)
        assert page.status_code == 200
        assert page.context["paginator"].count == figure.value, key
        assert all(order.status != "cancelled" for order in page.context["orders"])
    assert dashboard.figures["orders"].value == 4  # of seven orders in the store: two older, one cancelled
    assert dashboard.figures["deliveries"].value == 1


def test_links_follow_what_the_user_may_open(store, other_store, november):
    gm = store_dashboard(query(november.gm, [store]), store)
    # The GM may not open the manager's lead list: the report that counts the leads instead.
    assert not gm.figures["captured"].url.startswith("/leads/")
    assert gm.figures["captured"].url.startswith("/reports/r/")
    assert gm.figures["callback_completion"].url == "/service/supervision/?first=2026-11-01&last=2026-11-30"
    assert gm.figures["ssi"].url == "/service/ssi/?month=2026-11"
    # Another store than the one worked in: no list links (they would show the current store).
    elsewhere = Links(query(november.gm, [other_store]), store)
    assert elsewhere.figure("arrived") == "" or elsewhere.figure("arrived").startswith("/reports/r/")
    assert elsewhere.figure("complaint_sla") == ""


def test_group_dashboard_side_by_side_with_a_total(store, other_store, november):
    group_gm = make_member(store, "reception", username="group_gm")
    Membership.objects.create(user=group_gm, group=store.group, role=Role.objects.get(store=None, code="gm"))
    columns, rows = group_dashboard(query(group_gm, [store, other_store]), lambda ids: f"/d/{ids}")
    assert [store_row.pk for store_row, _url in columns] == [store.pk, other_store.pk]
    by_key = {row.key: [cell.value for cell in row.cells] for row in rows}
    assert by_key["captured"] == [9, 1, 10]
    assert by_key["orders"] == [4, 1, 5]
    assert by_key["closing_rate"] == pytest.approx([4 / 9, 1.0, 5 / 10])  # the total divides the sums
    assert by_key["complaint_sla"] == pytest.approx([1 / 3, 1.0, 2 / 4])
    assert by_key["target"] == [10, 5, 15]
    assert by_key["orders_mtd"] == [4, 1, 5]
    assert by_key["remaining"] == [6, 4, 10]
    assert by_key["leads_needed"] == [12, None, None]  # store B has no closing rate before November
    texts = {row.key: [cell.text for cell in row.cells] for row in rows}
    assert texts["leads_needed"] == ["12", "—", "—"]
    assert texts["closing_rate"] == ["44.4%", "100.0%", "50.0%"]
    urls = {row.key: [cell.url for cell in row.cells] for row in rows}
    assert urls["captured"] == [f"/d/{[store.pk]}", f"/d/{[other_store.pk]}", f"/d/{[store.pk, other_store.pk]}"]


# -- the pages ----------------------------------------------------------------------------------


def test_dashboard_page_for_the_manager_and_the_gm(store, november, client_for):
    for user in (november.sales_manager, november.gm):
        response = client_for(user, language="en").get(
            reverse("reports:dashboard"), {"date_from": "2026-11-01", "date_to": "2026-11-30"}
        )
        assert response.status_code == 200
        assert response.context["dashboard"].figures["captured"].value == 9
        html = response.content.decode()
        assert 'data-figure="closing_rate"' in html and "44.4%" in html
        assert 'title="Orders ÷ leads captured."' in html  # the formula on hover
        assert "<svg" in html  # the funnel
        assert 'id="dashboard-formulas"' in html


def test_dashboard_defaults_to_the_month_to_date(store, users, client_for):
    from django.utils import timezone

    response = client_for(users.gm).get(reverse("reports:dashboard"))
    assert response.status_code == 200
    today = timezone.localdate()
    assert (response.context["dashboard"].query.first, response.context["dashboard"].query.last) == (
        today.replace(day=1),
        today,
    )


def test_dashboard_shows_dashes_for_zero_denominators(store, users, client_for):
    response = client_for(users.gm).get(
        reverse("reports:dashboard"), {"date_from": "2027-01-01", "date_to": "2027-01-31"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'title="Orders ÷ leads captured." data-figure="closing_rate" class="dashboard-figure">—<' in html or (
        'data-figure="closing_rate" class="dashboard-figure text-decoration-none">—<' in html
    )


def test_dashboard_bad_dates_keep_what_was_typed(store, users, client_for):
    response = client_for(users.gm, language="en").get(
        reverse("reports:dashboard"), {"date_from": "2026-11-30", "date_to": "2026-11-01"}
    )
    assert response.status_code == 200
    assert "dashboard" not in response.context
    assert "The end date is before the start date." in response.content.decode()
    assert 'value="2026-11-30"' in response.content.decode()


@pytest.mark.parametrize("role", ["consultant", "reception", "sales_supervisor", "dcc_agent", "cs_manager"])
def test_dashboard_is_refused_without_the_permission(store, users, client_for, role):
    assert client_for(users[role]).get(reverse("reports:dashboard")).status_code == 403


def test_dashboard_asks_anonymous_to_sign_in(client, store):
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_store_b_manager_cannot_pick_store_a(store, other_store, november, client_for):
    response = client_for(november.sales_manager).get(
        reverse("reports:dashboard"), {"date_from": "2026-11-01", "date_to": "2026-11-30", "stores": [other_store.pk]}
    )
    # The store choice offers only the stores where the user may see the dashboard: store B is not one.
    assert response.status_code == 200
    assert response.context["dashboard"].query.stores == (store,)


def test_group_dashboard_page(store, other_store, november, client_for):
    group_gm = make_member(store, "reception", username="group_gm")
    Membership.objects.create(user=group_gm, group=store.group, role=Role.objects.get(store=None, code="gm"))
    response = client_for(group_gm, language="en").get(
        reverse("reports:group_dashboard"), {"date_from": "2026-11-01", "date_to": "2026-11-30"}
    )
    assert response.status_code == 200
    # Every store where the group user may see the dashboard, by name (乙店 before 甲店).
    assert [s.pk for s, _url in response.context["columns"]] == [other_store.pk, store.pk]
    rows = {row.key: [cell.text for cell in row.cells] for row in response.context["rows"]}
    assert rows["captured"] == ["1", "9", "10"]
    html = response.content.decode()
    assert f"stores={other_store.pk}" in html
    # Two stores chosen of two; one chosen: one column and the total.
    one = client_for(group_gm).get(
        reverse("reports:group_dashboard"), {"date_from": "2026-11-01", "date_to": "2026-11-30", "stores": [store.pk]}
    )
    assert [s.pk for s, _url in one.context["columns"]] == [store.pk]
    # The group user's store dashboard of store B alone, reached from its column.
    b_only = client_for(group_gm).get(
        reverse("reports:dashboard"), {"date_from": "2026-11-01", "date_to": "2026-11-30", "stores": [other_store.pk]}
    )
    assert b_only.context["dashboard"].figures["captured"].value == 1
    # Not the store worked in: no link to a list (it would show the current store), at most a report of store B.
    arrived_url = b_only.context["dashboard"].figures["arrived"].url
    assert not arrived_url.startswith("/showroom/")
    assert arrived_url == "" or arrived_url.endswith(f"&stores={other_store.pk}")


def test_group_dashboard_is_for_group_users(store, users, client_for):
    assert client_for(users.gm).get(reverse("reports:group_dashboard")).status_code == 403
    assert client_for(users.sales_manager).get(reverse("reports:group_dashboard")).status_code == 403


def test_group_dashboard_menu_entry(store, users, client_for):
    group_gm = make_member(store, "reception", username="group_gm")
    Membership.objects.create(user=group_gm, group=store.group, role=Role.objects.get(store=None, code="gm"))
    html = client_for(group_gm).get(reverse("reports:dashboard")).content.decode()
    assert 'data-nav="group-dashboard"' in html
    html = client_for(users.gm).get(reverse("reports:dashboard")).content.decode()
    assert 'data-nav="group-dashboard"' not in html
    assert 'data-nav="dashboard"' in html


def test_counts_in_the_database_agree_with_the_reference_rules(store, november):
    """The dashboard counts arrivals and the clerks' figures in the database; the rules they follow
    are ``metrics.arrived_on_the_day`` and ``showroom.selectors.clerk_figures``."""
    from reports import metrics
    from showroom.selectors import clerk_figures

    q = query(november.sales_manager, [store])
    for appointments in (metrics.dcc_appointments_due(q), metrics.showroom_appointments_due(q)):
        assert metrics.arrived_on_the_day_by_store(appointments).get(store.pk, 0) == metrics.arrived_on_the_day(
            appointments
        )
    reference: dict = {}
    for day in clerk_figures(store, q.first, q.last):
        row = reference.setdefault((store.pk, day.clerk_id), dict.fromkeys(("registrations", "accurate", "timely"), 0))
        row["leads_captured"] = row.get("leads_captured", 0) + day.leads_captured
        for key in ("registrations", "accurate", "timely"):
            row[key] += getattr(day, key)
    assert metrics.clerk_totals(q) == reference


def group_member(store, username="group_gm"):
    user = make_member(store, "reception", username=username)
    Membership.objects.create(user=user, group=store.group, role=Role.objects.get(store=None, code="gm"))
    return user


def test_group_columns_are_the_stores_own_dashboards(store, other_store, november):
    """The group dashboard counts leads captured from the daily summaries and filed and valid ones
    from the few leads that are not; each store's column is still its own dashboard's figures."""
    from reports.dashboard import HEADLINE

    group_gm = group_member(store)
    _columns, rows = group_dashboard(query(group_gm, [store, other_store]), lambda ids: "")
    by_key = {row.key: [cell.value for cell in row.cells] for row in rows}
    assert (by_key["filed"], by_key["valid_rate"]) == ([8, 1, 9], [8 / 9, 1.0, 9 / 10])
    for index, each in enumerate((store, other_store)):
        alone = values(store_dashboard(query(group_gm, [each]), each))
        assert {key: by_key[key][index] for key in HEADLINE} == {key: alone[key] for key in HEADLINE}


def targets(dashboard):
    return [
        (t.store.orders, t.recent_orders, t.recent_leads, sorted((c.person_id, c.orders) for c in t.consultants))
        for t in dashboard.targets
    ]


@pytest.mark.parametrize("who", ["sales_manager", "consultant"])
def test_the_same_dashboards_live_and_from_the_daily_summaries(store, other_store, november, who):
    from freezegun import freeze_time

    from reports import summary

    group_gm = group_member(store)
    with freeze_time("2026-12-03 04:00:00"):  # noon in Beijing: November is over
        q = query(november[who], [store])
        group_q = query(group_gm, [store, other_store])
        with summary.live_only():
            live = store_dashboard(q, store)
            live_group = group_dashboard(group_q, lambda ids: "")
        for each in (store, other_store):
            summary.summary_backfill(store=each, first=dt.date(2026, 7, 1), last=dt.date(2026, 12, 2))
        assert summary._plan(q)[0] is not None  # November is read from the summaries
        summarised = store_dashboard(q, store)
        summarised_group = group_dashboard(group_q, lambda ids: "")
    assert values(summarised) == values(live)
    assert summarised.sales_by_month == live.sales_by_month  # June is live, July on from the summaries
    assert targets(summarised) == targets(live)
    assert [[c.value for c in row.cells] for row in summarised_group[1]] == [
        [c.value for c in row.cells] for row in live_group[1]
    ]
    if who == "consultant":  # the consultant's own figures only, summarised or not
        assert (values(live)["captured"], values(live)["orders"], values(live)["arrived"]) == (5, 2, 5)
    else:
        assert sum(row["orders"] for row in live.sales_by_month) == 6
