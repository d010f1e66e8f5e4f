"""6 展厅来源分析表: every figure of a hand-built store month per source channel, sub-channels rolled
up, its scoping, its comparison, and the screen, Excel and print agreeing."""

import datetime as dt
import io

import openpyxl
import pytest

from accounts.models import Membership, Role
from leads.models import Source
from reports.library.sources import NOT_RECORDED, SourceReport
from reports.query import ReportQuery
from tests.factories import UserFactory
from tests.reports import builders as b

pytestmark = pytest.mark.django_db

NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


@pytest.fixture
def sources():
    return {code: Source.objects.get(code=code) for code in ("walk_in", "online", "autohome")}


@pytest.fixture
def month(store, other_store, users, other_users, sources):
    """November in store A: walk-ins, leads from 汽车之家 (a child of 网络平台) and from 网络平台 itself,
    a visit with no source, and noise outside the month, in store B, merged and cancelled rows."""
    a, m = users.consultant, users.sales_manager
    walk_in, online, autohome = sources["walk_in"], sources["online"], sources["autohome"]
    l1 = b.lead(store, a, b.at("2026-11-01", "00:00"), src=walk_in)  # the month's first minute counts
    b.visit(store, a, b.at("2026-11-01", "10:00"), lead_row=l1, first=True, filed=True)
    b.order(l1, a, b.at("2026-11-01", "11:00"), first_visit_deal=True)
    l2 = b.lead(store, a, b.at("2026-11-05"), src=autohome)
    b.visit(store, a, b.at("2026-11-06"), lead_row=l2, first=True, filed=False)
    b.lead(store, m, b.at("2026-11-30", "23:59"), src=online)  # the month's last minute counts
    l4 = b.lead(store, m, b.at("2026-11-10"), src=autohome)
    b.closed(l4, m, m, b.at("2026-11-11"), kind="invalid")  # captured, but not a valid lead
    b.lead(store, m, b.at("2026-11-10"), src=autohome, status="merged")  # a merged duplicate is not captured
    l6 = b.lead(store, a, b.at("2026-10-31", "23:59"), src=walk_in)  # October's lead, November's return visit
    b.visit(store, a, b.at("2026-11-02"), lead_row=l6, first=False, filed=True)
    b.order(l6, a, b.at("2026-11-02", "12:00"))
    b.order(l6, a, b.at("2026-11-02", "12:30"), cancelled=True)  # cancelled: not an order
    l7 = b.lead(store, m, b.at("2026-11-12"), src=walk_in)
    b.closed(l7, m, m, b.at("2026-11-13"))  # lost is still a valid lead
    b.visit(store, m, b.at("2026-11-15"), first=True, filed=False)  # nobody recorded a source
    b.visit(store, a, b.at("2026-12-01", "00:00"), src=walk_in)  # the next month
    other = b.lead(other_store, other_users.consultant, b.at("2026-11-03"), src=walk_in)
    b.visit(other_store, other_users.consultant, b.at("2026-11-03"), lead_row=other)
    b.order(other, other_users.consultant, b.at("2026-11-03", "11:00"))
    return a, m


def run(user, stores, first="2026-11-01", last="2026-11-30", **kwargs):
    query = ReportQuery(
        user=user,
        stores=tuple(stores),
        first=dt.date.fromisoformat(first),
        last=dt.date.fromisoformat(last),
        **kwargs,
    )
    return SourceReport(query).run()


FIGURES = ("visits", "visit_share", "first_visits", "filed", "leads", "orders", "conversion", "valid_rate")


def figures(row):
    return tuple(row[key] for key in FIGURES)


def test_manager_sees_every_source_with_exact_figures(store, users, month):
    result = run(users.sales_manager, [store])
    rows = {row["source"]: figures(row) for row in result.rows}
    assert list(rows) == ["自然到店", "网络平台", str(NOT_RECORDED)]  # admin order; no source last
    assert rows["自然到店"] == (2, 0.5, 1, 2, 2, 2, 1.0, 1.0)
    # 汽车之家 rolls up into 网络平台: three leads (the merged one is not captured), one invalid.
    assert rows["网络平台"] == (1, 0.25, 1, 0, 3, 0, 0.0, pytest.approx(2 / 3))
    assert rows[str(NOT_RECORDED)] == (1, 0.25, 1, 0, 0, 0, None, None)  # no leads: rates are —
    assert figures(result.totals) == (4, 1.0, 3, 2, 5, 2, 0.4, 0.8)


def test_consultant_sees_only_own_figures(store, users, month):
    result = run(users.consultant, [store])
    rows = {row["source"]: figures(row) for row in result.rows}
    # The October lead's order counts in November: conversion compares the period's orders with
    # the period's leads, so it can pass 100%.
    assert rows == {
        "自然到店": (2, pytest.approx(2 / 3), 1, 2, 1, 2, 2.0, 1.0),
        "网络平台": (1, pytest.approx(1 / 3), 1, 0, 1, 0, 0.0, 1.0),
    }


def test_choosing_a_source_includes_its_children(store, users, month, sources):
    online = sources["online"]
    source_ids = (online.pk, *online.children.values_list("pk", flat=True))
    result = run(users.sales_manager, [store], source_ids=source_ids)
    assert [(row["source"], row["visits"], row["leads"]) for row in result.rows] == [("网络平台", 1, 3)]


def test_comparison_rates_in_points_counts_in_percent(store, users, month):
    result = run(users.sales_manager, [store])
    by_key = {item.column.key: item for item in result.comparisons}
    assert (by_key["leads"].current, by_key["leads"].previous) == (5, 1)  # the lead of 31 October 23:59
    assert by_key["leads"].previous_change == pytest.approx(400.0)
    assert (by_key["conversion"].previous, by_key["conversion"].previous_change) == (0.0, pytest.approx(40.0))
    assert by_key["valid_rate"].previous_change == pytest.approx(-20.0)
    assert by_key["conversion"].last_year is None  # no leads a year earlier: — not an error
    assert by_key["conversion"].last_year_change is None


def test_empty_period_has_no_rows_and_no_chart(store, users, month):
    result = run(users.sales_manager, [store], first="2025-01-01", last="2025-01-31")
    assert result.rows == []
    assert result.totals["conversion"] is None
    assert result.chart is None


def test_chart_shows_visit_shares_largest_first(store, users, month):
    chart = run(users.sales_manager, [store]).chart
    assert chart.kind == "share"
    assert chart.labels[0] == "自然到店"
    assert list(chart.series.values())[0] == [0.5, 0.25, 0.25]


def test_screen_excel_and_print_agree(store, users, month, client_for):
    from reports.xlsx import write_report

    result = run(users.sales_manager, [store])
    buffer = io.BytesIO()
    write_report(SourceReport(result.query), buffer)
    values = [[cell.value for cell in row] for row in openpyxl.load_workbook(buffer).worksheets[0].iter_rows()]
    header = next(i for i, row in enumerate(values) if row[0] == str(result.columns[0].header))
    keys = [column.key for column in result.columns]
    assert "all_visits" not in keys and "valid_leads" not in keys  # helpers stay hidden
    data = values[header + 1 : header + 1 + len(result.rows)]
    assert [row[0] for row in data] == [row["source"] for row in result.rows]
    for key in ("visits", "leads", "orders", "conversion", "valid_rate"):
        index = keys.index(key)
        assert [row[index] for row in data] == [row[key] for row in result.rows]
        assert values[header + 1 + len(result.rows)][index] == result.totals[key]
    response = client_for(users.sales_manager).get("/reports/r/sources/print/", NOVEMBER)
    assert response.status_code == 200
    assert response.context["result"].totals == result.totals
    assert response.context["result"].rows == result.rows


def test_page_shows_dash_for_no_denominator(users, client_for, month):
    response = client_for(users.sales_manager, language="en").get("/reports/r/sources/", NOVEMBER)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Showroom source analysis" in html
    assert "40.0%" in html and "80.0%" in html  # the totals' conversion and valid-lead rate
    assert "—" in html
    assert "<svg" in html


@pytest.mark.parametrize("role", ["cs_agent", "admin"])
def test_roles_without_the_report_are_refused(users, client_for, role):
    assert client_for(users[role]).get("/reports/r/sources/", NOVEMBER).status_code == 403


def test_other_store_sees_only_its_own(other_users, client_for, month):
    response = client_for(other_users.sales_manager).get("/reports/r/sources/", NOVEMBER)
    assert response.status_code == 200
    totals = response.context["result"].totals
    assert (totals["visits"], totals["leads"], totals["orders"]) == (1, 1, 1)


def test_group_user_picks_both_stores(group, store, other_store, client_for, month):
    user = UserFactory(username="group_gm")
    Membership.objects.create(user=user, group=group, role=Role.objects.get(store=None, code="gm"))
    response = client_for(user).get("/reports/r/sources/", {**NOVEMBER, "stores": [store.pk, other_store.pk]})
    assert response.status_code == 200
    rows = {row["source"]: row for row in response.context["result"].rows}
    assert (rows["自然到店"]["visits"], rows["自然到店"]["leads"], rows["自然到店"]["orders"]) == (3, 3, 3)
    assert response.context["result"].totals["visits"] == 5
