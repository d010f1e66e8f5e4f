"""5 战败分析表: every figure of a hand-built month, invalid leads apart, scoping, Excel and print."""

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import translation

from accounts.models import Membership, Role
from leads.models import LostRequest
from reports.base import DASH, display
from reports.charts import render
from reports.library.lost_analysis import LostAnalysisReport
from reports.query import ReportQuery
from tests.factories import UserFactory
from tests.reports import builders as b

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Labels (stages, "No competitor named") are compared in English."""
    with translation.override("en"):
        yield


NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


@pytest.fixture
def reasons():
    return {
        "price": b.reason("t-price", name="价格", competitor=False),
        "rival": b.reason("t-rival", name="购买竞品", competitor=True),
        "empty": b.reason("t-empty", kind="invalid", name="空号"),
        "dupe": b.reason("t-dupe", kind="invalid", name="重复"),
    }


@pytest.fixture
def month(store, other_store, users, other_users, reasons):
    """November in store A: four lost (three the consultant's), three invalid; noise around it."""
    a, s, m = users.consultant, users.sales_supervisor, users.sales_manager

    def closed(owner, when, **kwargs):
        return b.closed(b.lead(store, owner, b.at("2026-10-01")), owner, m, when, **kwargs)

    # The first and the last minute of November count; the minutes either side do not.
    closed(a, b.at("2026-11-01", "00:00"), reason_row=reasons["rival"], brand="丰田", previous="following")
    closed(a, b.at("2026-11-10"), reason_row=reasons["rival"], brand=" 丰田 ", previous="visited")
    closed(a, b.at("2026-11-15"), reason_row=reasons["rival"], brand="本田", previous="invited")
    closed(s, b.at("2026-11-30", "23:59"), reason_row=reasons["price"], previous="following")
    closed(a, b.at("2026-10-31", "23:59"), reason_row=reasons["price"], previous="new")
    closed(a, b.at("2026-12-01", "00:00"), reason_row=reasons["price"], previous="new")
    # Invalid leads: not lost, counted apart.
    closed(a, b.at("2026-11-05"), kind="invalid", reason_row=reasons["empty"], previous="new")
    closed(s, b.at("2026-11-06"), kind="invalid", reason_row=reasons["dupe"], previous="following")
    closed(a, b.at("2026-11-07"), kind="invalid", reason_row=reasons["empty"], previous="new")
    # Requests not approved are not lost.
    for status in (LostRequest.Status.PENDING, LostRequest.Status.REJECTED):
        LostRequest.objects.create(
            store=store,
            lead=b.lead(store, a, b.at("2026-11-02")),
            kind="lost",
            reason=reasons["price"],
            previous_status="following",
            status=status,
            requested_by=a,
            decided_at=b.at("2026-11-20") if status == LostRequest.Status.REJECTED else None,
        )
    # The other store's lost lead never shows in store A.
    b.closed(
        b.lead(other_store, other_users.consultant, b.at("2026-10-01")),
        other_users.consultant,
        other_users.sales_manager,
        b.at("2026-11-12"),
        reason_row=reasons["price"],
    )


def run(user, stores, first="2026-11-01", last="2026-11-30"):
    query = ReportQuery(
        user=user, stores=tuple(stores), first=dt.date.fromisoformat(first), last=dt.date.fromisoformat(last)
    )
    return LostAnalysisReport(query).run()


def table(result):
    return [
        (r["key"], str(r["item"]), r.get("lost"), r.get("lost_share"), r.get("invalid"), r.get("invalid_share"))
        for r in result.rows
    ]


def test_manager_sees_every_section_with_exact_figures(store, users, month):
    result = run(users.sales_manager, [store])
    assert table(result) == [
        ("reason", "购买竞品", 3, 0.75, None, None),
        ("reason", "价格", 1, 0.25, None, None),
        ("brand", "丰田", 2, 0.5, None, None),  # " 丰田 " is the same brand
        ("brand", "本田", 1, 0.25, None, None),
        ("brand", "No competitor named", 1, 0.25, None, None),
        ("stage", "New", 0, 0.0, None, None),
        ("stage", "Following up", 2, 0.5, None, None),
        ("stage", "Invited", 1, 0.25, None, None),
        ("stage", "Visited", 1, 0.25, None, None),
        ("invalid_reason", "空号", None, None, 2, pytest.approx(2 / 3)),
        ("invalid_reason", "重复", None, None, 1, pytest.approx(1 / 3)),
    ]
    totals = result.totals
    assert (totals["lost"], totals["lost_share"], totals["invalid"], totals["invalid_share"]) == (4, 1.0, 3, 1.0)


def test_each_section_adds_up_to_all_lost(store, users, month):
    result = run(users.sales_manager, [store])
    for section in ("reason", "brand", "stage"):
        rows = [r for r in result.rows if r["key"] == section]
        assert sum(r["lost"] for r in rows) == result.totals["lost"]
        assert sum(r["lost_share"] for r in rows) == pytest.approx(1.0)


def test_consultant_sees_only_own_lost_leads(store, users, month):
    result = run(users.consultant, [store])
    assert table(result) == [
        ("reason", "购买竞品", 3, 1.0, None, None),
        ("brand", "丰田", 2, pytest.approx(2 / 3), None, None),
        ("brand", "本田", 1, pytest.approx(1 / 3), None, None),
        ("stage", "New", 0, 0.0, None, None),
        ("stage", "Following up", 1, pytest.approx(1 / 3), None, None),
        ("stage", "Invited", 1, pytest.approx(1 / 3), None, None),
        ("stage", "Visited", 1, pytest.approx(1 / 3), None, None),
        ("invalid_reason", "空号", None, None, 2, 1.0),
    ]
    assert (result.totals["lost"], result.totals["invalid"]) == (3, 2)


def test_nothing_lost_gives_dashes_not_errors(store, users, month):
    result = run(users.sales_manager, [store], "2026-09-01", "2026-09-30")
    assert [(r["key"], r["lost"], r["lost_share"]) for r in result.rows] == [
        ("stage", 0, None),
        ("stage", 0, None),
        ("stage", 0, None),
        ("stage", 0, None),
    ]
    assert result.totals["lost_share"] is None
    share = next(c for c in LostAnalysisReport.columns if c.key == "lost_share")
    assert display(share, result.totals["lost_share"]) == DASH
    assert result.chart.labels == []


def test_comparison_with_october_and_last_year(store, users, month):
    result = run(users.sales_manager, [store])
    by_key = {item.column.key: item for item in result.comparisons}
    assert (by_key["lost"].current, by_key["lost"].previous, by_key["lost"].last_year) == (4, 1, 0)
    assert by_key["lost"].previous_change == pytest.approx(300.0)
    assert by_key["lost"].last_year_change is None
    assert (by_key["invalid"].current, by_key["invalid"].previous) == (3, 0)
    assert by_key["invalid"].previous_change is None


def test_share_chart_of_reasons(store, users, month):
    result = run(users.sales_manager, [store])
    assert result.chart.kind == "share"
    assert result.chart.labels == ["购买竞品", "价格"]
    assert list(result.chart.series.values()) == [[0.75, 0.25]]
    svg = str(render(result.chart))
    assert "购买竞品" in svg and "75%" in svg


def test_screen_excel_and_print_agree(store, users, month, client_for):
    from reports.xlsx import write_report

    manager = users.sales_manager
    result = run(manager, [store])
    buffer = io.BytesIO()
    write_report(LostAnalysisReport(result.query), buffer)
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    values = [[cell.value for cell in row] for row in book.worksheets[0].iter_rows()]
    header = next(i for i, row in enumerate(values) if row[0] == "Analysed by")
    data = values[header + 1 : header + 1 + len(result.rows)]
    assert [(row[1], row[2], row[3], row[4], row[5]) for row in data] == [
        (str(r["item"]), r.get("lost"), r.get("lost_share"), r.get("invalid"), r.get("invalid_share"))
        for r in result.rows
    ]
    totals = values[header + 1 + len(result.rows)]
    assert totals[2:6] == [4, 1, 3, 1]
    share_cell = book.worksheets[0].cell(row=header + 2, column=4)
    assert share_cell.number_format == "0.0%"
    response = client_for(manager).get("/reports/r/lost_analysis/print/", NOVEMBER)
    assert response.status_code == 200
    assert response.context["result"].totals == result.totals
    printed = response.context["result"]
    assert [(r["key"], r["lost"], r["invalid"]) for r in printed.rows] == [
        (r["key"], r["lost"], r["invalid"]) for r in result.rows
    ]
    html = response.content.decode()
    assert "75.0%" in html and "66.7%" in html


@pytest.mark.parametrize("role", ["consultant", "sales_supervisor", "sales_manager", "gm"])
def test_sales_floor_may_open_it(users, client_for, month, role):
    response = client_for(users[role], language="en").get("/reports/r/lost_analysis/", NOVEMBER)
    assert response.status_code == 200
    assert "Lost analysis" in response.content.decode()
    assert "Share of lost leads by reason" in response.content.decode()


@pytest.mark.parametrize("role", ["reception", "cs_agent", "admin"])
def test_roles_without_reports_are_refused(users, client_for, role):
    client = client_for(users[role])
    assert client.get("/reports/r/lost_analysis/", NOVEMBER).status_code == 403
    assert client.get("/reports/r/lost_analysis/print/", NOVEMBER).status_code == 403


def test_other_store_counts_only_its_own(store, other_users, client_for, month):
    response = client_for(other_users.sales_manager).get(
        "/reports/r/lost_analysis/", {**NOVEMBER, "stores": [store.pk]}
    )
    assert response.status_code == 200
    assert response.context["result"].query.store_ids != [store.pk]
    assert response.context["result"].totals["lost"] == 1


def test_group_user_chooses_two_stores(group, store, other_store, client_for, month):
    gm = UserFactory(username="group_gm")
    Membership.objects.create(user=gm, group=group, role=Role.objects.get(store=None, code="gm"))
    client = client_for(gm)
    both = client.get("/reports/r/lost_analysis/", {**NOVEMBER, "stores": [store.pk, other_store.pk]})
    assert both.context["result"].totals["lost"] == 5
    assert both.context["result"].totals["invalid"] == 3
    one = client.get("/reports/r/lost_analysis/", {**NOVEMBER, "stores": [other_store.pk]})
    assert one.context["result"].totals["lost"] == 1
