"""1 展厅流量分析表: every figure of a hand-built showroom month by day, by hour of arrival and by
consultant, Beijing-time boundaries, the retention rate's definition, scoping, and the screen,
Excel and print agreeing."""

import datetime as dt
import io

import openpyxl
import pytest

from accounts.models import Membership, Role
from reports import metrics
from reports.library.traffic import NOT_ASSIGNED, TrafficReport
from reports.query import ReportQuery
from tests.factories import UserFactory
from tests.reports import builders as b

pytestmark = pytest.mark.django_db

NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
FIGURES = ("visits", "people", "first_visits", "return_visits", "filed", "no_deal", "retained", "retention", "stay")


@pytest.fixture
def month(store, other_store, users, other_users):
    """Six parties in store A's November, one the evening before, one the minute after, one in B."""
    a, m = users.consultant, users.sales_manager
    l1 = b.lead(store, a, b.at("2026-10-20"))
    # The month's first minute; an order that day makes it a first-visit deal, not a no-deal party.
    b.visit(store, a, b.at("2026-11-01", "00:00"), lead_row=l1, party=2, left=b.at("2026-11-01", "00:30"))
    b.order(l1, a, b.at("2026-11-01", "00:20"), first_visit_deal=True)
    l2 = b.lead(store, a, b.at("2026-10-21"))
    b.visit(store, a, b.at("2026-11-01", "10:15"), lead_row=l2, filed=False, left=b.at("2026-11-01", "11:00"))
    b.order(l2, a, b.at("2026-11-01", "10:50"), first_visit_deal=True, cancelled=True)  # cancelled: still no deal
    b.visit(store, m, b.at("2026-11-01", "10:40"), party=3)  # filed, no lead yet, still in the showroom
    b.visit(store, a, b.at("2026-11-02", "14:05"), first=False, left=b.at("2026-11-02", "15:05"))
    b.visit(store, None, b.at("2026-11-02", "14:30"), filed=False, left=b.at("2026-11-02", "14:50"), registered_by=m)
    b.visit(store, m, b.at("2026-11-30", "23:59"), party=2)  # the month's last minute
    b.visit(store, a, b.at("2026-10-31", "23:59"))  # the minute before the month
    b.visit(store, a, b.at("2026-12-01", "00:00"))  # the minute after
    b.visit(other_store, other_users.consultant, b.at("2026-11-01", "10:00"), party=4)
    return a, m


def run(user, stores, first="2026-11-01", last="2026-11-30", group="day", **kwargs):
    query = ReportQuery(
        user=user,
        stores=tuple(stores),
        first=dt.date.fromisoformat(first),
        last=dt.date.fromisoformat(last),
        extra=TrafficReport.option_extra({"group": group}),
        **kwargs,
    )
    return TrafficReport(query).run()


def figures(row):
    return tuple(row[key] for key in FIGURES)


def test_rows_by_day_every_figure(store, users, month):
    result = run(users.sales_manager, [store])
    assert len(result.rows) == 30  # every day of the month, quiet days included
    rows = {row["group"]: row for row in result.rows}
    assert figures(rows[dt.date(2026, 11, 1)]) == (3, 6, 3, 0, 2, 2, 1, 0.5, 37.5)
    assert rows[dt.date(2026, 11, 1)]["party_size"] == 2.0
    assert figures(rows[dt.date(2026, 11, 2)]) == (2, 2, 1, 1, 1, 1, 0, 0.0, 40.0)
    assert figures(rows[dt.date(2026, 11, 30)]) == (1, 2, 1, 0, 1, 1, 1, 1.0, None)  # nobody left yet: —
    quiet = rows[dt.date(2026, 11, 15)]
    assert figures(quiet) == (0, 0, 0, 0, 0, 0, 0, None, None)
    assert quiet["party_size"] is None
    assert figures(result.totals) == (6, 10, 5, 1, 4, 4, 2, 0.5, 38.75)
    assert result.totals["party_size"] == pytest.approx(10 / 6)
    # The no-deal parties are the metric's, counted in the same pass as the rest.
    assert result.totals["no_deal"] == metrics.first_visits_no_deal(result.query).count()


def test_rows_by_hour_of_arrival_in_beijing_time(store, users, month):
    result = run(users.sales_manager, [store], group="hour")
    # From the first hour with a visit to the last, 00:00 (Beijing midnight, not UTC) to 23:00.
    assert [row["group"] for row in result.rows] == [f"{hour:02d}:00" for hour in range(24)]
    rows = {row["group"]: row for row in result.rows}
    assert figures(rows["00:00"]) == (1, 2, 1, 0, 1, 0, 0, None, 30.0)
    assert figures(rows["10:00"]) == (2, 4, 2, 0, 1, 2, 1, 0.5, 45.0)
    assert figures(rows["14:00"]) == (2, 2, 1, 1, 1, 1, 0, 0.0, 40.0)
    assert figures(rows["23:00"]) == (1, 2, 1, 0, 1, 1, 1, 1.0, None)
    assert rows["12:00"]["visits"] == 0
    assert figures(result.totals) == (6, 10, 5, 1, 4, 4, 2, 0.5, 38.75)


def test_rows_by_consultant(store, users, month):
    a, m = month
    result = run(users.sales_manager, [store], group="consultant")
    rows = {row["group"]: row for row in result.rows}
    assert figures(rows[str(a)]) == (3, 4, 2, 1, 2, 1, 0, 0.0, 45.0)
    assert figures(rows[str(m)]) == (2, 5, 2, 0, 2, 2, 2, 1.0, None)
    assert figures(rows[str(NOT_ASSIGNED)]) == (1, 1, 1, 0, 0, 1, 0, 0.0, 20.0)
    assert result.rows[-1]["group"] == str(NOT_ASSIGNED)  # parties nobody received come last
    assert result.totals["visits"] == 6


def test_consultant_sees_only_the_parties_they_received(store, users, month):
    result = run(users.consultant, [store], group="consultant")
    assert [row["group"] for row in result.rows] == [str(users.consultant)]
    assert figures(result.totals) == (3, 4, 2, 1, 2, 1, 0, 0.0, 45.0)


def test_reception_sees_the_whole_store(store, users, month):
    assert run(users.reception, [store]).totals["visits"] == 6


def test_comparison(store, users, month):
    by_key = {item.column.key: item for item in run(users.sales_manager, [store]).comparisons}
    assert (by_key["visits"].current, by_key["visits"].previous) == (6, 1)  # 31 October 23:59
    assert by_key["visits"].previous_change == pytest.approx(500.0)
    assert by_key["retention"].previous == 1.0
    assert by_key["retention"].previous_change == pytest.approx(-50.0)  # points, not percent
    assert by_key["visits"].last_year == 0
    assert by_key["visits"].last_year_change is None
    assert by_key["retention"].last_year is None  # no first visits a year earlier: —


def test_charts_show_what_the_rows_do_not(store, users, month):
    by_day = run(users.sales_manager, [store]).chart
    assert (by_day.kind, by_day.labels) == ("bar", [f"{hour:02d}" for hour in range(24)])
    first, returning = by_day.series.values()
    assert (first[0], first[10], first[14], first[23], sum(first)) == (1, 2, 1, 1, 5)
    assert (returning[14], sum(returning)) == (1, 1)
    by_hour = run(users.sales_manager, [store], group="hour").chart
    assert by_hour.kind == "line"
    assert by_hour.labels[0] == "11-01" and len(by_hour.labels) == 30
    assert list(by_hour.series.values())[0][:3] == [3, 2, 0]


def test_empty_period(store, users, month):
    result = run(users.sales_manager, [store], first="2025-02-01", last="2025-02-28", group="hour")
    assert result.rows == []
    assert result.chart is None
    assert result.totals["retention"] is None


def test_screen_excel_and_print_agree(store, users, month, client_for):
    from reports.xlsx import write_report

    result = run(users.sales_manager, [store], group="consultant")
    buffer = io.BytesIO()
    write_report(TrafficReport(result.query), buffer)
    values = [[cell.value for cell in row] for row in openpyxl.load_workbook(buffer).worksheets[0].iter_rows()]
    keys = [column.key for column in result.columns]
    assert "stay_total" not in keys and "departed" not in keys
    header = next(i for i, row in enumerate(values) if row[0] == str(result.columns[0].header))
    assert values[header][0] == str(TrafficReport.options[0].choice_label("consultant"))
    data = values[header + 1 : header + 1 + len(result.rows)]
    totals = values[header + 1 + len(result.rows)]
    for key in ("visits", "people", "no_deal", "retention", "stay"):
        index = keys.index(key)
        assert [row[index] for row in data] == [row[key] for row in result.rows]
        assert totals[index] == result.totals[key]
    conditions = {row[0]: row[1] for row in values[1:header]}
    assert conditions[str(TrafficReport.options[0].label)] == str(TrafficReport.options[0].choice_label("consultant"))
    response = client_for(users.sales_manager).get("/reports/r/traffic/print/", {**NOVEMBER, "group": "consultant"})
    assert response.status_code == 200
    assert response.context["result"].rows == result.rows
    assert response.context["result"].totals == result.totals


def test_page_in_english(users, client_for, month):
    response = client_for(users.sales_manager, language="en").get("/reports/r/traffic/", {**NOVEMBER, "group": "hour"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Showroom traffic analysis" in html
    assert "Hour of arrival" in html
    assert "50.0%" in html  # the retention rate of the month
    assert "<svg" in html


@pytest.mark.parametrize("role", ["reception", "consultant", "gm"])
def test_roles_with_the_traffic_permission_may_open_it(users, client_for, month, role):
    assert client_for(users[role]).get("/reports/r/traffic/", NOVEMBER).status_code == 200


@pytest.mark.parametrize("role", ["cs_agent", "cs_manager", "admin"])
def test_roles_without_it_are_refused(users, client_for, role):
    client = client_for(users[role])
    assert client.get("/reports/r/traffic/", NOVEMBER).status_code == 403
    assert client.get("/reports/r/traffic/print/", NOVEMBER).status_code == 403


def test_other_store_sees_only_its_own(other_users, client_for, month):
    response = client_for(other_users.reception).get("/reports/r/traffic/", NOVEMBER)
    assert (response.context["result"].totals["visits"], response.context["result"].totals["people"]) == (1, 4)


def test_group_user_picks_both_stores(group, store, other_store, client_for, month):
    user = UserFactory(username="group_gm")
    Membership.objects.create(user=user, group=group, role=Role.objects.get(store=None, code="gm"))
    response = client_for(user).get("/reports/r/traffic/", {**NOVEMBER, "stores": [store.pk, other_store.pk]})
    assert response.status_code == 200
    assert response.context["result"].totals["visits"] == 7
    assert response.context["result"].rows[0]["people"] == 10  # 1 November: 6 in A, 4 in B
