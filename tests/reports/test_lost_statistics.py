"""4 战败统计表: every figure of a hand-built month spread over weeks, months and series, the lost
rate with invalid leads kept out, scoping, Excel and print."""

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import translation
from freezegun import freeze_time

from accounts.models import Membership, Role
from reports import summary
from reports.base import DASH, display
from reports.charts import render
from reports.library import lost_statistics
from reports.library.lost_statistics import LostStatisticsReport, periods
from reports.query import ReportQuery
from tests.factories import UserFactory
from tests.reports import builders as b

pytestmark = pytest.mark.django_db

NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
FIGURES = ["lost", "orders", "lost_rate", "invalid"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def month(store, other_store, users, other_users):
    """November in store A. Lost: the consultant 3 (two 朗逸, one 帕萨特), the supervisor 1 (no series);
    orders: consultant 1, supervisor 2, manager 1; invalid: consultant, supervisor, DCC agent one each."""
    a, s, m, d = users.consultant, users.sales_supervisor, users.sales_manager, users.dcc_agent
    lavida, passat = b.series("朗逸"), b.series("帕萨特")

    def lost(owner, when, series_row=None, **kwargs):
        lead = b.lead(store, owner, b.at("2026-10-01"), series_row=series_row)
        return b.closed(lead, owner, m, when, **kwargs)

    def order(seller, when, series_row, **kwargs):
        return b.order(b.lead(store, seller, b.at("2026-10-01")), seller, when, trim_row=b.trim(series_row), **kwargs)

    lost(a, b.at("2026-11-01", "00:00"), lavida)  # the first minute of November (a Sunday: week one)
    lost(a, b.at("2026-11-10"), lavida)
    lost(a, b.at("2026-11-10", "18:00"), passat)
    lost(s, b.at("2026-11-30", "23:59"))  # the last minute; no series chosen on the lead
    lost(a, b.at("2026-10-31", "23:59"), lavida)  # October
    lost(a, b.at("2026-12-01", "00:00"), lavida)  # December
    order(a, b.at("2026-11-03"), lavida)
    order(s, b.at("2026-11-04"), passat)
    order(s, b.at("2026-11-20"), passat)
    order(s, b.at("2026-11-21"), passat, cancelled=True)  # cancelled: not an order
    order(m, b.at("2026-11-05"), lavida)
    lost(a, b.at("2026-11-06"), lavida, kind="invalid")  # invalid leads are not lost
    lost(s, b.at("2026-11-07"), kind="invalid")
    lost(d, b.at("2026-11-08"), kind="invalid")  # only an invalid lead: no lost rate
    other = b.lead(other_store, other_users.consultant, b.at("2026-10-01"))
    b.closed(other, other_users.consultant, other_users.sales_manager, b.at("2026-11-12"))
    return {"a": str(a), "s": str(s), "m": str(m), "d": str(d)}


def run(user, stores, first="2026-11-01", last="2026-11-30", spread="period", consultant=None):
    query = ReportQuery(
        user=user,
        stores=tuple(stores),
        first=dt.date.fromisoformat(first),
        last=dt.date.fromisoformat(last),
        consultant=consultant,
        extra=LostStatisticsReport.option_extra({"spread": spread}),
    )
    return LostStatisticsReport(query).run()


def by_person(result):
    spread = [c.key for c in result.columns[1:-4]]
    return {r["consultant"]: ([r[k] for k in spread], [r[k] for k in FIGURES]) for r in result.rows}


def test_periods_are_weeks_up_to_a_month_and_months_beyond():
    assert periods(dt.date(2026, 11, 1), dt.date(2026, 11, 30)) == [
        (dt.date(2026, 11, 1), dt.date(2026, 11, 1)),
        (dt.date(2026, 11, 2), dt.date(2026, 11, 8)),
        (dt.date(2026, 11, 9), dt.date(2026, 11, 15)),
        (dt.date(2026, 11, 16), dt.date(2026, 11, 22)),
        (dt.date(2026, 11, 23), dt.date(2026, 11, 29)),
        (dt.date(2026, 11, 30), dt.date(2026, 11, 30)),
    ]
    assert periods(dt.date(2026, 10, 15), dt.date(2026, 12, 2)) == [
        (dt.date(2026, 10, 15), dt.date(2026, 10, 31)),
        (dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
        (dt.date(2026, 12, 1), dt.date(2026, 12, 2)),
    ]


def test_manager_sees_each_consultant_by_week(store, users, month):
    result = run(users.sales_manager, [store])
    assert [str(c.header) for c in result.columns] == [
        "Consultant",
        "11-01",  # a week of one day
        "11-02–11-08",
        "11-09–11-15",
        "11-16–11-22",
        "11-23–11-29",
        "11-30",
        "Lost",
        "Orders",
        "Lost rate",
        "Invalid",
    ]
    assert by_person(result) == {
        month["a"]: ([1, 0, 2, 0, 0, 0], [3, 1, 0.75, 1]),
        month["s"]: ([0, 0, 0, 0, 0, 1], [1, 2, pytest.approx(1 / 3), 1]),
        month["m"]: ([0, 0, 0, 0, 0, 0], [0, 1, 0.0, 0]),
        month["d"]: ([0, 0, 0, 0, 0, 0], [0, 0, None, 1]),  # no lost and no order: no rate ("—")
    }
    totals = result.totals
    assert [totals[f"period_{i}"] for i in range(6)] == [1, 0, 2, 0, 0, 1]
    assert [totals[k] for k in FIGURES] == [4, 4, 0.5, 3]
    rate = next(c for c in result.columns if c.key == "lost_rate")
    assert display(rate, result.rows[[r["consultant"] for r in result.rows].index(month["d"])]["lost_rate"]) == DASH


def test_longer_periods_spread_over_months(store, users, month):
    result = run(users.sales_manager, [store], "2026-10-01", "2026-12-31")
    assert [str(c.header) for c in result.columns[1:4]] == ["2026-10", "2026-11", "2026-12"]
    assert by_person(result)[month["a"]] == ([1, 3, 1], [5, 1, pytest.approx(5 / 6), 1])
    assert result.chart.kind == "bar"
    assert result.chart.labels == ["2026-10", "2026-11", "2026-12"]
    assert list(result.chart.series.values()) == [[1, 4, 1]]


def test_spread_by_series(store, users, month):
    result = run(users.sales_manager, [store], spread="series")
    assert [str(c.header) for c in result.columns[1:-4]] == ["大众 朗逸", "大众 帕萨特", "No series chosen"]
    assert by_person(result) == {
        month["a"]: ([2, 1, 0], [3, 1, 0.75, 1]),
        month["s"]: ([0, 0, 1], [1, 2, pytest.approx(1 / 3), 1]),
        month["m"]: ([0, 0, 0], [0, 1, 0.0, 0]),
        month["d"]: ([0, 0, 0], [0, 0, None, 1]),
    }
    assert result.chart.kind == "share"
    assert list(result.chart.series.values()) == [[0.5, 0.25, 0.25]]
    assert "50%" in str(render(result.chart))


def test_series_beyond_the_cap_share_a_column(store, users, month, monkeypatch):
    monkeypatch.setattr(lost_statistics, "SERIES_COLUMNS", 1)
    result = run(users.sales_manager, [store], spread="series")
    assert [str(c.header) for c in result.columns[1:-4]] == ["大众 朗逸", "Other series"]
    assert by_person(result)[month["a"]] == ([2, 1], [3, 1, 0.75, 1])
    assert by_person(result)[month["s"]] == ([0, 1], [1, 2, pytest.approx(1 / 3), 1])


def test_series_filter_narrows_lost_and_orders(store, users, month):
    query = ReportQuery(
        user=users.sales_manager,
        stores=(store,),
        first=dt.date(2026, 11, 1),
        last=dt.date(2026, 11, 30),
        series_id=b.series("帕萨特").pk,
    )
    result = LostStatisticsReport(query).run()
    assert [result.totals[k] for k in FIGURES] == [1, 2, pytest.approx(1 / 3), 0]


def test_consultant_sees_only_own_row(store, users, month):
    result = run(users.consultant, [store])
    assert by_person(result) == {month["a"]: ([1, 0, 2, 0, 0, 0], [3, 1, 0.75, 1])}


def test_chosen_consultant(store, users, month):
    result = run(users.sales_manager, [store], consultant=users.sales_supervisor)
    assert list(by_person(result)) == [month["s"]]


@pytest.mark.parametrize("spread", ["period", "series"])
@pytest.mark.parametrize("who", ["sales_manager", "consultant"])
def test_the_same_figures_live_and_from_the_daily_summaries(store, other_store, users, month, spread, who):
    with freeze_time("2026-12-03 04:00:00"):  # noon in Beijing: November is over
        with summary.live_only():
            live = run(users[who], [store], "2026-10-01", "2026-11-30", spread=spread)
        for each in (store, other_store):
            summary.summary_backfill(store=each, first=dt.date(2025, 9, 1), last=dt.date(2026, 12, 3))
        summarised = run(users[who], [store], "2026-10-01", "2026-11-30", spread=spread)
        assert summary._plan(summarised.query)[0] is not None
    assert summarised.rows == live.rows
    assert summarised.totals == live.totals
    assert [(c.current, c.previous, c.last_year) for c in summarised.comparisons] == [
        (c.current, c.previous, c.last_year) for c in live.comparisons
    ]
    assert live.totals["lost"] == {"sales_manager": 5, "consultant": 4}[who]


def test_comparison_in_points_and_percent(store, users, month):
    result = run(users.sales_manager, [store])
    by_key = {item.column.key: item for item in result.comparisons}
    lost, rate = by_key["lost"], by_key["lost_rate"]
    assert (lost.current, lost.previous, lost.last_year) == (4, 1, 0)
    assert lost.previous_change == pytest.approx(300.0)
    assert (rate.current, rate.previous, rate.last_year) == (0.5, 1.0, None)  # October: 1 lost, no orders
    assert rate.previous_change == pytest.approx(-50.0)  # percentage points
    assert rate.last_year_change is None


def test_nothing_in_the_period(store, users, month):
    result = run(users.sales_manager, [store], "2026-09-01", "2026-09-30")
    assert result.rows == []
    assert result.totals["lost_rate"] is None


def test_screen_excel_and_print_agree(store, users, month, client_for):
    from reports.xlsx import write_report

    manager = users.sales_manager
    result = run(manager, [store])
    buffer = io.BytesIO()
    write_report(LostStatisticsReport(result.query), buffer)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(values) if row[0] == "Consultant")
    assert values[header] == [str(c.header) for c in result.columns]
    keys = [c.key for c in result.columns]
    data = values[header + 1 : header + 1 + len(result.rows)]
    assert [dict(zip(keys, row, strict=True)) for row in data] == [{k: r[k] for k in keys} for r in result.rows]
    assert values[header + 1 + len(result.rows)][1:] == [1, 0, 2, 0, 0, 1, 4, 4, 0.5, 3]
    response = client_for(manager).get("/reports/r/lost_statistics/print/", NOVEMBER)
    assert response.status_code == 200
    assert response.context["result"].totals == result.totals
    assert "11-02–11-08" in response.content.decode()


def test_the_columns_option_from_the_page(users, client_for, month):
    response = client_for(users.sales_manager, language="en").get(
        "/reports/r/lost_statistics/", {**NOVEMBER, "spread": "series"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "大众 帕萨特" in html and "Share of lost leads by series" in html
    assert response.context["result"].totals["series_0"] == 1


@pytest.mark.parametrize("role", ["consultant", "sales_supervisor", "sales_manager", "dcc_manager", "gm"])
def test_sales_floor_may_open_it(users, client_for, month, role):
    response = client_for(users[role], language="en").get("/reports/r/lost_statistics/", NOVEMBER)
    assert response.status_code == 200
    assert "Lost statistics" in response.content.decode()


@pytest.mark.parametrize("role", ["reception", "cs_agent", "cs_manager"])
def test_roles_without_reports_are_refused(users, client_for, role):
    client = client_for(users[role])
    assert client.get("/reports/r/lost_statistics/", NOVEMBER).status_code == 403
    assert client.post("/reports/r/lost_statistics/export/?date_from=2026-11-01&date_to=2026-11-30").status_code == 403


def test_other_store_counts_only_its_own(store, other_users, client_for, month):
    response = client_for(other_users.sales_manager).get(
        "/reports/r/lost_statistics/", {**NOVEMBER, "stores": [store.pk]}
    )
    assert response.status_code == 200
    assert response.context["result"].totals["lost"] == 1
    assert response.context["result"].totals["orders"] == 0


def test_group_user_chooses_two_stores(group, store, other_store, client_for, month):
    gm = UserFactory(username="group_gm")
    Membership.objects.create(user=gm, group=group, role=Role.objects.get(store=None, code="gm"))
    response = client_for(gm).get("/reports/r/lost_statistics/", {**NOVEMBER, "stores": [store.pk, other_store.pk]})
    totals = response.context["result"].totals
    assert (totals["lost"], totals["orders"], totals["invalid"]) == (5, 4, 3)
    assert len(response.context["result"].rows) == 5
