"""2 工作日报表: every figure of a hand-built store month, its scoping, its Excel file and print view."""

import datetime as dt
import io

import openpyxl
import pytest

from reports.library.daily_work import DailyWorkReport
from reports.query import ReportQuery
from tests.reports import builders as b

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(store, users, other_users):
    """Two consultants' November in store A, plus noise outside the period and in store B."""
    a, m = users.consultant, users.sales_manager
    first = b.lead(store, a, b.at("2026-11-01", "00:00"))  # the first minute of the month counts
    b.lead(store, a, b.at("2026-10-31", "23:59"))  # the minute before does not
    b.lead(store, m, b.at("2026-11-30", "23:59"))  # the last minute counts
    b.lead(store, a, b.at("2026-11-02"), status="merged")  # a merged duplicate is not captured
    b.follow_up(first, a, b.at("2026-11-01", "09:00"))
    b.follow_up(first, a, b.at("2026-11-01", "15:00"))
    b.appointment(first, a, b.at("2026-11-01", "15:05"), b.at("2026-11-03"))
    b.visit(store, a, b.at("2026-11-03", "10:00"), lead_row=first)
    b.test_drive(first, a, b.at("2026-11-03", "10:30"))
    b.order(first, a, b.at("2026-11-03", "11:00"), first_visit_deal=False)
    b.order(first, a, b.at("2026-11-03", "11:30"), cancelled=True)  # cancelled: not an order
    lost_lead = b.lead(store, m, b.at("2026-11-05"))
    b.closed(lost_lead, m, users.sales_manager, b.at("2026-11-06"))
    invalid_lead = b.lead(store, m, b.at("2026-11-05"))
    b.closed(invalid_lead, m, users.sales_manager, b.at("2026-11-06"), kind="invalid")  # not lost
    b.lead(
        other_users.store if hasattr(other_users, "store") else other_users.consultant.memberships.first().store,
        other_users.consultant,
        b.at("2026-11-01"),
    )
    return a, m


def run(user, store, first="2026-11-01", last="2026-11-30", **kwargs):
    query = ReportQuery(
        user=user, stores=(store,), first=dt.date.fromisoformat(first), last=dt.date.fromisoformat(last), **kwargs
    )
    return DailyWorkReport(query).run()


def test_manager_sees_every_consultant_with_exact_figures(store, users, month):
    a, m = month
    result = run(users.sales_manager, store)
    rows = {(r["day"], r["consultant"]): r for r in result.rows}
    nov1 = rows[(dt.date(2026, 11, 1), str(a))]
    assert (nov1["new_leads"], nov1["follow_ups"], nov1["invitations"]) == (1, 2, 1)
    nov3 = rows[(dt.date(2026, 11, 3), str(a))]
    assert (nov3["arrivals"], nov3["test_drives"], nov3["orders"]) == (1, 1, 1)
    assert rows[(dt.date(2026, 11, 6), str(m))]["lost"] == 1
    assert result.totals["new_leads"] == 4  # 1 + last-minute + lost + invalid leads of the manager
    assert result.totals["lost"] == 1
    assert result.totals["orders"] == 1


def test_consultant_sees_only_own_figures(store, users, month):
    a, _m = month
    result = run(users.consultant, store)
    assert {r["consultant"] for r in result.rows} == {str(a)}
    assert result.totals["new_leads"] == 1


def test_comparison_with_previous_month(store, users, month):
    result = run(users.sales_manager, store)
    by_key = {item.column.key: item for item in result.comparisons}
    assert by_key["new_leads"].current == 4
    assert by_key["new_leads"].previous == 1  # the lead of 31 October 23:59
    assert by_key["new_leads"].previous_change == pytest.approx(300.0)
    assert by_key["new_leads"].last_year == 0
    assert by_key["new_leads"].last_year_change is None  # no base: shown as —


def test_screen_excel_and_print_agree(store, users, month, client_for):
    from reports.xlsx import write_report

    result = run(users.sales_manager, store)
    buffer = io.BytesIO()
    query = result.query
    write_report(DailyWorkReport(query), buffer)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header_index = next(i for i, row in enumerate(values) if row[0] == "日期" or row[0] == "Day")
    data = values[header_index + 1 : header_index + 1 + len(result.rows)]
    assert [row[2] for row in data] == [r["new_leads"] for r in result.rows]
    totals = values[header_index + 1 + len(result.rows)]
    assert totals[2] == result.totals["new_leads"]
    assert isinstance(data[0][0], dt.datetime)  # typed as a date, not text
    user = users.sales_manager
    response = client_for(user).get(
        "/reports/r/daily_work/print/", {"date_from": "2026-11-01", "date_to": "2026-11-30"}
    )
    assert response.status_code == 200
    assert response.context["result"].totals == result.totals
