"""7 有望客户跟踪进度: which leads are prospects, every cell of their rows, the period's counts, overdue
days as of today, scoping, totals by aggregate, Excel and print, and the background threshold."""

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import translation
from freezegun import freeze_time

from leads.models import FollowUp, LeadStatus, Source
from reports.library.prospects import ProspectsReport
from reports.models import ExportJob
from reports.query import ReportQuery
from tests.reports import builders as b

pytestmark = pytest.mark.django_db

NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
TODAY = "2026-12-03 15:00:00+08:00"


@pytest.fixture
def today():
    with freeze_time(TODAY):
        yield


@pytest.fixture
def prospects(today, store, other_store, users, other_users):
    """Five open prospects in store A (three of the consultant's, two of the manager's), closed leads
    around them, and work on them inside and outside November 2026."""
    a, m, agent = users.consultant, users.sales_manager, users.dcc_agent
    online = b.source("t-online", Source.Category.ONLINE)
    autohome = b.source("t-autohome", Source.Category.ONLINE, parent=online)
    lavida = b.series("朗逸")
    p = {}
    p["h"] = b.lead(
        store,
        a,
        b.at("2026-09-01"),  # captured long before the period: still a prospect now
        cust=b.customer(store, "张三", "13912345678"),
        grade="H",
        status=LeadStatus.FOLLOWING,
        last_follow_up_at=b.at("2026-11-30", "23:59"),
        next_follow_up_at=b.at("2026-12-02", "10:00"),
        first_visit_at=b.at("2026-09-02"),
    )
    p["a"] = b.lead(
        store,
        a,
        b.at("2026-11-05"),
        cust=b.customer(store, "李四", "13800001111"),
        src=autohome,
        series_row=lavida,
        grade="A",
        status=LeadStatus.INVITED,
        next_follow_up_at=b.at("2026-12-03", "09:00"),  # due today: not overdue yet
    )
    p["b_new"] = b.lead(store, m, b.at("2026-11-20"), cust=b.customer(store, "王五", "13700002222"), status="new")
    p["c"] = b.lead(
        store,
        m,
        b.at("2026-10-01"),
        cust=b.customer(store, "赵六", "13600003333"),
        grade="C",
        status=LeadStatus.VISITED,
        next_follow_up_at=b.at("2026-11-23", "16:00"),
    )
    p["b_later"] = b.lead(
        store,
        a,
        b.at("2026-11-25"),
        cust=b.customer(store, "钱七", "13500004444"),
        next_follow_up_at=b.at("2026-12-05"),
    )
    # Work on the prospects: three follow-ups in the period on "h" (one by a DCC agent), two outside.
    b.follow_up(p["h"], a, b.at("2026-11-01", "00:00"))
    b.follow_up(p["h"], agent, b.at("2026-11-10"))
    b.follow_up(p["h"], a, b.at("2026-11-30", "23:59"))
    b.follow_up(p["h"], a, b.at("2026-10-31", "23:59"))
    b.follow_up(p["h"], a, b.at("2026-12-01", "00:00"))
    b.follow_up(p["c"], m, b.at("2026-11-15"))
    b.appointment(p["h"], a, b.at("2026-11-18"), b.at("2026-11-20"))
    b.appointment(p["h"], a, b.at("2026-10-20"), b.at("2026-10-22"))
    b.appointment(p["a"], a, b.at("2026-11-05"), b.at("2026-12-06"))
    # Not prospects: ordered, delivered, lost, invalid, merged; and store B's.
    closed = []
    for status in (LeadStatus.ORDERED, LeadStatus.DELIVERED, LeadStatus.MERGED):
        closed.append(b.lead(store, a, b.at("2026-11-02"), status=status, next_follow_up_at=b.at("2026-11-03")))
    lost = b.lead(store, a, b.at("2026-11-02"))
    b.closed(lost, a, m, b.at("2026-11-04"))
    invalid = b.lead(store, a, b.at("2026-11-02"))
    b.closed(invalid, a, m, b.at("2026-11-04"), kind="invalid")
    for lead in [*closed, lost, invalid]:
        b.follow_up(lead, a, b.at("2026-11-03"))
        b.appointment(lead, a, b.at("2026-11-03"), b.at("2026-11-04"))
    b.lead(other_store, other_users.consultant, b.at("2026-11-02"), next_follow_up_at=b.at("2026-11-03"))
    return p


def run(user, store, first="2026-11-01", last="2026-11-30", **kwargs):
    query = ReportQuery(
        user=user, stores=(store,), first=dt.date.fromisoformat(first), last=dt.date.fromisoformat(last), **kwargs
    )
    with translation.override("en"):
        return ProspectsReport(query).run()


def test_manager_sees_every_open_prospect_with_every_cell(store, users, prospects):
    a, m = users.consultant, users.sales_manager
    result = run(m, store)
    # Most overdue first; none planned last.
    assert [row["customer"] for row in result.rows] == ["赵六", "张三", "李四", "钱七", "王五"]
    rows = {row["customer"]: row for row in result.rows}
    assert rows["张三"] == {
        "customer": "张三",
        "phone": "139****5678",  # the consultant's customer: masked for the manager
        "owner": str(a),
        "grade": "H",
        "source": "walk-in-test",
        "series": "",
        "captured_on": dt.date(2026, 9, 1),
        "last_follow_up": b.at("2026-11-30", "23:59"),
        "next_follow_up": b.at("2026-12-02", "10:00"),
        "days_overdue": 1,
        "follow_ups": 3,  # 1 November 00:00, the DCC agent's, 30 November 23:59
        "invitations": 1,
        "visited": True,
    }
    assert rows["李四"]["source"] == "t-online · t-autohome"
    assert rows["李四"]["series"] == "大众 朗逸"
    assert (rows["李四"]["days_overdue"], rows["李四"]["invitations"], rows["李四"]["visited"]) == (0, 1, False)
    assert rows["赵六"]["phone"] == "13600003333"  # the manager's own customer
    assert (rows["赵六"]["days_overdue"], rows["赵六"]["follow_ups"]) == (10, 1)
    assert rows["钱七"]["days_overdue"] == 0  # due in two days
    assert rows["王五"]["days_overdue"] is None  # nothing planned: shown as —
    assert rows["王五"]["last_follow_up"] is None
    assert result.totals == {"follow_ups": 4, "invitations": 2}
    assert result.row_count == 5


def test_consultant_sees_own_prospects_with_full_numbers(store, users, prospects):
    result = run(users.consultant, store)
    assert [row["customer"] for row in result.rows] == ["张三", "李四", "钱七"]
    assert result.rows[0]["phone"] == "13912345678"
    assert result.totals == {"follow_ups": 3, "invitations": 2}


def test_user_granted_full_numbers_sees_them(store, users, prospects):
    manager = users.sales_manager
    manager.can_see_full_phone = True
    manager.save(update_fields=["can_see_full_phone"])
    rows = {row["customer"]: row for row in run(manager, store).rows}
    assert rows["张三"]["phone"] == "13912345678"


def test_filters_narrow_the_prospects(store, users, prospects):
    online = Source.objects.get(code="t-online")
    by_source = run(users.sales_manager, store, source_ids=(online.pk, *online.children.values_list("pk", flat=True)))
    assert [row["customer"] for row in by_source.rows] == ["李四"]
    by_person = run(users.sales_manager, store, consultant=users.sales_manager)
    assert [row["customer"] for row in by_person.rows] == ["赵六", "王五"]
    assert by_person.totals == {"follow_ups": 1, "invitations": 0}


def test_period_moves_the_counts_not_the_prospects(store, users, prospects):
    october = run(users.sales_manager, store, first="2026-10-01", last="2026-10-31")
    assert len(october.rows) == 5
    assert october.totals == {"follow_ups": 1, "invitations": 1}
    result = run(users.sales_manager, store)
    by_key = {item.column.key: item for item in result.comparisons}
    assert set(by_key) == {"follow_ups", "invitations"}
    assert (by_key["follow_ups"].current, by_key["follow_ups"].previous, by_key["follow_ups"].last_year) == (4, 1, 0)
    assert by_key["follow_ups"].previous_change == pytest.approx(300.0)
    assert by_key["follow_ups"].last_year_change is None


def test_chart_counts_overdue_on_time_and_unplanned_by_grade(store, users, prospects):
    chart = run(users.sales_manager, store).chart
    assert chart.labels == ["H", "A", "B", "C"]
    assert chart.series == {
        "Overdue": [1, 0, 0, 1],
        "On time": [0, 1, 1, 0],
        "No follow-up planned": [0, 0, 1, 0],
    }


def test_totals_come_from_the_aggregate_when_the_screen_is_cut(store, users, prospects, monkeypatch):
    monkeypatch.setattr(ProspectsReport, "screen_row_limit", 2)
    result = run(users.sales_manager, store)
    assert result.truncated
    assert len(result.rows) == 2
    assert result.row_count == 5
    assert result.totals == {"follow_ups": 4, "invitations": 2}


def test_other_store_prospects_never_show(store, other_store, users, other_users, prospects):
    assert run(other_users.sales_manager, other_store).row_count == 1
    assert run(users.sales_manager, store).row_count == 5


def test_screen_excel_and_print_agree(store, users, prospects, client_for):
    manager = users.sales_manager
    manager.can_export = True
    manager.save(update_fields=["can_export"])
    client = client_for(manager, language="en")
    page = client.get("/reports/r/prospects/", NOVEMBER)
    assert page.status_code == 200
    screen = page.context["result"]
    content = page.content.decode()
    assert "139****5678" in content and "13912345678" not in content
    assert "<svg" in content
    printed = client.get("/reports/r/prospects/print/", NOVEMBER)
    assert printed.context["result"].rows == screen.rows
    assert printed.context["result"].totals == screen.totals

    response = client.post("/reports/r/prospects/export/?date_from=2026-11-01&date_to=2026-11-30")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(values) if row[0] == "Customer")
    data = values[header + 1 : header + 6]
    assert [row[0] for row in data] == [row["customer"] for row in screen.rows]
    zhang = data[1]
    assert zhang[1] == "139****5678"
    assert zhang[6] == dt.datetime(2026, 9, 1)  # a date cell
    assert zhang[7] == dt.datetime(2026, 11, 30, 23, 59)  # Beijing wall-clock time
    assert zhang[9:13] == [1, 3, 1, "Yes"]
    assert data[4][9] is None  # no follow-up planned: an empty cell
    totals = values[header + 6]
    assert totals[0] == "Total"
    assert totals[9:12] == [None, 4, 2]


def test_large_export_goes_to_the_background(store, users, prospects, client_for, settings):
    settings.REPORT_EXPORT_BACKGROUND_ROWS = 4
    manager = users.sales_manager
    manager.can_export = True
    manager.save(update_fields=["can_export"])
    response = client_for(manager).post("/reports/r/prospects/export/?date_from=2026-11-01&date_to=2026-11-30")
    assert response.status_code == 302
    assert response["Location"].endswith("/reports/exports/")
    job = ExportJob.objects.get(user=manager)
    assert job.report == "prospects"
    assert job.params["first"] == "2026-11-01"


def test_follow_up_by_someone_other_than_the_owner_counts(store, users, prospects):
    # The counts are the lead's: the consultant's follow-up on the manager's lead counts for the lead.
    lead = prospects["b_new"]
    FollowUp.objects.filter(lead=lead).delete()
    b.follow_up(lead, users.consultant, b.at("2026-11-21"))
    rows = {row["customer"]: row for row in run(users.sales_manager, store).rows}
    assert rows["王五"]["follow_ups"] == 1
    assert run(users.sales_manager, store).totals["follow_ups"] == 5


@pytest.mark.parametrize(("role", "status"), [("consultant", 200), ("sales_manager", 200), ("reception", 403)])
def test_who_may_run_it(users, client_for, role, status):
    assert client_for(users[role]).get("/reports/r/prospects/", NOVEMBER).status_code == status


def test_a_file_for_nobody_in_particular_masks_every_number(store, users, prospects):
    query = ReportQuery(
        user=None, stores=(store,), first=dt.date(2026, 11, 1), last=dt.date(2026, 11, 30), whole_store=True
    )
    rows = list(ProspectsReport(query).iterate())
    assert len(rows) == 5
    assert {row["phone"] for row in rows} == {"139****5678", "138****1111", "137****2222", "136****3333", "135****4444"}


def test_rows_read_a_chunk_at_a_time_are_the_same_rows(store, users, prospects, monkeypatch):
    import reports.library.prospects as module

    whole = run(users.sales_manager, store).rows
    monkeypatch.setattr(module, "CHUNK", 2)
    assert run(users.sales_manager, store).rows == whole
    query = ReportQuery(
        user=users.sales_manager, stores=(store,), first=dt.date(2026, 11, 1), last=dt.date(2026, 11, 30)
    )
    with translation.override("en"):
        shown, count = ProspectsReport(query).screen_rows(3)
    assert [row["customer"] for row in shown] == [row["customer"] for row in whole[:3]]
    assert count == 5


def test_group_user_gets_the_most_overdue_of_all_chosen_stores_first(
    group, store, other_store, prospects, client_for, monkeypatch
):
    from accounts.models import Membership, Role
    from tests.factories import UserFactory

    gm = UserFactory(username="group_gm7")
    Membership.objects.create(user=gm, group=group, role=Role.objects.get(store=None, code="gm"))
    query = ReportQuery(user=gm, stores=(store, other_store), first=dt.date(2026, 11, 1), last=dt.date(2026, 11, 30))
    whole = list(ProspectsReport(query).iterate())
    assert len(whole) == 6
    assert whole[0]["next_follow_up"] == b.at("2026-11-03")  # store B's, the most overdue
    assert [row["customer"] for row in whole[1:]] == ["赵六", "张三", "李四", "钱七", "王五"]
    monkeypatch.setattr(ProspectsReport, "screen_row_limit", 2)
    result = ProspectsReport(query).run()
    assert result.rows == whole[:2]
    assert (result.row_count, result.truncated) == (6, True)
    assert result.totals == {"follow_ups": 4, "invitations": 2}


def group_gm(group):
    from accounts.models import Membership, Role
    from tests.factories import UserFactory

    gm = UserFactory(username="group_gm7b")
    Membership.objects.create(user=gm, group=group, role=Role.objects.get(store=None, code="gm"))
    return gm


def test_adjoining_periods_are_read_as_one_range():
    from reports.library.prospects import adjoining

    month = ReportQuery(user=None, stores=(), first=dt.date(2026, 11, 1), last=dt.date(2026, 11, 30))
    runs = adjoining([month, month.previous_period(), month.last_year()])
    # This month and the one before adjoin; November last year stands apart.
    assert [(run.first, run.last) for run in runs] == [
        (dt.date(2025, 11, 1), dt.date(2025, 11, 30)),
        (dt.date(2026, 10, 1), dt.date(2026, 11, 30)),
    ]
    year = ReportQuery(user=None, stores=(), first=dt.date(2026, 1, 1), last=dt.date(2026, 12, 31))
    runs = adjoining([year, year.previous_period(), year.last_year()])
    assert [(run.first, run.last) for run in runs] == [(dt.date(2025, 1, 1), dt.date(2026, 12, 31))]
    days = ReportQuery(user=None, stores=(), first=dt.date(2026, 11, 11), last=dt.date(2026, 11, 20))
    runs = adjoining([days, days.previous_period(), days.last_year()])
    assert [(run.first, run.last) for run in runs] == [
        (dt.date(2025, 11, 11), dt.date(2025, 11, 20)),
        (dt.date(2026, 11, 1), dt.date(2026, 11, 20)),
    ]


def test_group_period_counts_add_each_stores_work_on_its_own_prospects(
    group, store, other_store, other_users, prospects
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from leads.models import Lead

    other = other_users.consultant
    lead_b = Lead.objects.get(store=other_store)
    b.follow_up(lead_b, other, b.at("2026-11-30", "23:59"))  # this period
    b.follow_up(lead_b, other, b.at("2026-10-01", "00:00"))  # the period before
    b.follow_up(lead_b, other, b.at("2025-11-30", "23:59"))  # last year
    b.follow_up(lead_b, other, b.at("2025-10-31", "23:59"))  # none of the three
    b.appointment(lead_b, other, b.at("2025-11-01", "00:00"), b.at("2025-11-03"))  # last year
    ordered = b.lead(other_store, other, b.at("2026-11-02"), status=LeadStatus.ORDERED)
    b.follow_up(ordered, other, b.at("2026-11-10"))  # not a prospect's
    b.appointment(ordered, other, b.at("2026-11-10"), b.at("2026-11-12"))
    query = ReportQuery(
        user=group_gm(group), stores=(store, other_store), first=dt.date(2026, 11, 1), last=dt.date(2026, 11, 30)
    )
    report = ProspectsReport(query)
    with CaptureQueriesContext(connection) as queries:
        result = report.run()
    # Store A: 4 and 2 in November, 1 and 1 in October, none in November 2025.
    assert result.totals == {"follow_ups": 5, "invitations": 2}
    figures = {c.column.key: (c.current, c.previous, c.last_year) for c in result.comparisons}
    assert figures == {"follow_ups": (5, 2, 1), "invitations": (2, 1, 1)}
    # Both stores, both tables and all three periods in one query.
    assert (
        sum(
            "COUNT" in q["sql"] and "leads_followup" in q["sql"] and 'lead_id" IN' not in q["sql"]
            for q in queries.captured_queries
        )
        == 1
    )


def test_a_year_counts_the_year_before_once_per_comparison(store, users, prospects):
    lead = prospects["c"]
    m = users.sales_manager
    b.follow_up(lead, m, b.at("2025-01-01", "00:00"))  # the year before, first minute
    b.follow_up(lead, m, b.at("2025-12-31", "23:59"))  # the year before, last minute
    b.follow_up(lead, m, b.at("2024-12-31", "23:59"))  # two years before: not counted
    result = run(m, store, first="2026-01-01", last="2026-12-31")
    # 2026: five on 张三 (with 31 October and 1 December) and one on 赵六.
    assert result.totals == {"follow_ups": 6, "invitations": 3}
    figures = {c.column.key: (c.current, c.previous, c.last_year) for c in result.comparisons}
    assert figures == {"follow_ups": (6, 2, 2), "invitations": (3, 0, 0)}


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 8, 13, 14, 30])
def test_page_merges_the_stores_queues_in_page_order(group, store, other_store, users, other_users, limit, today):
    """Ties on the next follow-up, unplanned prospects and stores that supply most of the page:
    the page's ids are the first of all the prospects in order, however the stores' queues are read."""
    tie = b.at("2026-11-20", "09:00")
    for index in range(9):
        b.lead(store, users.consultant, b.at("2026-10-01"), next_follow_up_at=tie if index % 2 else None)
    for index in range(4):
        b.lead(other_store, other_users.consultant, b.at("2026-10-01"), next_follow_up_at=tie)
    b.lead(other_store, other_users.consultant, b.at("2026-10-01"), next_follow_up_at=b.at("2026-11-01"))
    b.lead(other_store, other_users.consultant, b.at("2026-10-01"))
    query = ReportQuery(
        user=group_gm(group), stores=(store, other_store), first=dt.date(2026, 11, 1), last=dt.date(2026, 11, 30)
    )
    report = ProspectsReport(query)
    everyone = [record[0] for record in report.records()]
    assert len(everyone) == 15
    assert report.page_ids(limit) == everyone[:limit]
