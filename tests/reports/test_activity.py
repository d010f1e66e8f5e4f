"""9 销售顾问访问活动日报表: every figure of a hand-built month per consultant per day — follow-ups by
channel, invitations, customers received, test drives, tasks due against done on time — its scoping,
its filters, its Excel file and print view."""

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import translation
from freezegun import freeze_time

from accounts.models import Membership, Role
from leads.models import FollowUp, Task
from reports import summary
from reports.base import DASH, display
from reports.charts import render
from reports.library.activity import ActivityReport
from reports.query import ReportQuery
from tests.factories import UserFactory
from tests.reports import builders as b

pytestmark = pytest.mark.django_db

NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
CHANNELS = ["phone", "sms", "wechat", "email", "visit", "test_drive"]
FIGURES = ["follow_ups", "invitations", "visits", "test_drives", "tasks_due", "tasks_on_time", "punctuality"]
Ch = FollowUp.Channel


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def month(store, other_store, users, other_users):
    """November in store A for the consultant (a) and the supervisor (s), noise around it."""
    a, s = users.consultant, users.sales_supervisor
    lead = b.lead(store, a, b.at("2026-10-20"))
    lead2 = b.lead(store, a, b.at("2026-10-20"))
    online = b.lead(store, a, b.at("2026-10-20"), src=b.source("online-test", "online"))
    theirs = b.lead(store, s, b.at("2026-10-20"))
    b.follow_up(lead, a, b.at("2026-11-01", "00:00"), channel=Ch.PHONE)  # the first minute counts
    b.follow_up(lead, a, b.at("2026-11-01", "09:00"), channel=Ch.WECHAT)
    b.follow_up(lead, a, b.at("2026-11-01", "15:00"), channel=Ch.PHONE)
    b.follow_up(lead, a, b.at("2026-11-02"), channel=Ch.SMS)
    b.follow_up(lead, a, b.at("2026-11-02", "11:00"), channel=Ch.VISIT)
    b.follow_up(online, a, b.at("2026-11-02", "12:00"), channel=Ch.PHONE)  # another source
    b.follow_up(lead, a, b.at("2026-11-03"), channel=Ch.TEST_DRIVE)
    b.follow_up(lead, a, b.at("2026-11-03", "16:00"), channel=Ch.EMAIL)
    b.follow_up(theirs, s, b.at("2026-11-02"), channel=Ch.PHONE)
    b.follow_up(theirs, s, b.at("2026-11-30", "23:59"), channel=Ch.WECHAT)  # the last minute counts
    b.follow_up(lead, a, b.at("2026-10-31", "23:59"), channel=Ch.PHONE)  # October
    b.follow_up(lead, a, b.at("2026-12-01", "00:00"), channel=Ch.PHONE)  # December
    b.appointment(lead, a, b.at("2026-11-01", "15:05"), b.at("2026-11-03"))
    b.appointment(theirs, s, b.at("2026-11-02", "10:00"), b.at("2026-11-05"))
    b.visit(store, a, b.at("2026-11-03", "10:00"), lead_row=lead)
    b.visit(store, s, b.at("2026-11-02", "14:00"), lead_row=theirs)
    b.test_drive(lead, a, b.at("2026-11-03", "10:30"))
    # Tasks: due on a Beijing day, on time when done by the end of it.
    b.task(lead, a, b.at("2026-11-01", "09:00"), done=b.at("2026-11-01", "23:59"))  # on time
    b.task(lead2, a, b.at("2026-11-01", "09:00"), done=b.at("2026-11-02", "00:00"))  # a minute late
    b.task(online, a, b.at("2026-11-01", "09:00"))  # never done
    b.task(lead, a, b.at("2026-11-02", "09:00"), done=b.at("2026-11-02", "08:00"))  # on time
    b.task(online, a, b.at("2026-11-02", "09:00"))  # open, another source
    cancelled = b.task(lead2, a, b.at("2026-11-02", "09:00"))
    Task.objects.filter(pk=cancelled.pk).update(status=Task.Status.CANCELLED)  # called off: not due
    b.task(theirs, s, b.at("2026-11-04", "09:00"), done=b.at("2026-11-03", "17:00"))  # early is on time
    b.task(lead, a, b.at("2026-11-05", "09:00"))  # a day with only a task due
    b.task(lead2, a, b.at("2026-10-31", "09:00"), done=b.at("2026-11-01", "10:00"))  # due in October, late
    foreign = b.lead(other_store, other_users.consultant, b.at("2026-10-20"))
    b.follow_up(foreign, other_users.consultant, b.at("2026-11-02"))
    b.task(foreign, other_users.consultant, b.at("2026-11-02"), done=b.at("2026-11-02", "11:00"))
    return {"a": str(a), "s": str(s)}


def run(user, stores, first="2026-11-01", last="2026-11-30", **kwargs):
    query = ReportQuery(
        user=user,
        stores=tuple(stores),
        first=dt.date.fromisoformat(first),
        last=dt.date.fromisoformat(last),
        **kwargs,
    )
    return ActivityReport(query).run()


def figures(result):
    return {
        (r["day"].strftime("%m-%d"), r["consultant"]): (
            [r[f"channel_{c}"] for c in CHANNELS],
            [r[k] for k in FIGURES],
        )
        for r in result.rows
    }


def test_manager_sees_every_consultant_every_day(store, users, month):
    a, s = month["a"], month["s"]
    result = run(users.sales_manager, [store])
    assert figures(result) == {
        ("11-01", a): ([2, 0, 1, 0, 0, 0], [3, 1, 0, 0, 3, 1, pytest.approx(1 / 3)]),
        ("11-02", a): ([1, 1, 0, 0, 1, 0], [3, 0, 0, 0, 2, 1, 0.5]),
        ("11-02", s): ([1, 0, 0, 0, 0, 0], [1, 1, 1, 0, 0, 0, None]),  # no task due: no punctuality
        ("11-03", a): ([0, 0, 0, 1, 0, 1], [2, 0, 1, 1, 0, 0, None]),
        ("11-04", s): ([0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1.0]),
        ("11-05", a): ([0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0, 0.0]),
        ("11-30", s): ([0, 0, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0, None]),
    }
    assert [r["day"] for r in result.rows] == sorted(r["day"] for r in result.rows)
    totals = result.totals
    assert [totals[f"channel_{c}"] for c in CHANNELS] == [4, 1, 2, 1, 1, 1]
    assert [totals[k] for k in FIGURES] == [10, 2, 2, 1, 7, 3, pytest.approx(3 / 7)]
    punctuality = next(c for c in result.columns if c.key == "punctuality")
    assert display(punctuality, figures(result)[("11-02", s)][1][-1]) == DASH


def test_consultant_sees_only_own_days(store, users, month):
    result = run(users.consultant, [store])
    assert {r["consultant"] for r in result.rows} == {month["a"]}
    assert [result.totals[k] for k in FIGURES] == [8, 1, 1, 1, 6, 2, pytest.approx(2 / 6)]


def test_source_filter_narrows_follow_ups_and_tasks(store, users, month):
    walk_in = b.source()
    result = run(users.sales_manager, [store], source_ids=(walk_in.pk,))
    assert figures(result)[("11-02", month["a"])] == ([0, 1, 0, 0, 1, 0], [2, 0, 0, 0, 1, 1, 1.0])
    assert figures(result)[("11-01", month["a"])][1][4:6] == [2, 1]


def test_chosen_consultant(store, users, month):
    result = run(users.sales_manager, [store], consultant=users.sales_supervisor)
    assert {r["consultant"] for r in result.rows} == {month["s"]}
    assert result.totals["follow_ups"] == 2


def test_comparison_with_october(store, users, month):
    result = run(users.sales_manager, [store])
    by_key = {item.column.key: item for item in result.comparisons}
    assert (by_key["follow_ups"].current, by_key["follow_ups"].previous) == (10, 1)
    assert by_key["follow_ups"].previous_change == pytest.approx(900.0)
    punctuality = by_key["punctuality"]
    assert (punctuality.current, punctuality.previous, punctuality.last_year) == (pytest.approx(3 / 7), 0.0, None)
    assert punctuality.previous_change == pytest.approx(300 / 7)  # percentage points
    assert punctuality.last_year_change is None


def test_totals_without_the_rows_are_the_sum_of_the_rows(store, users, month):
    result = run(users.sales_manager, [store])
    assert ActivityReport(result.query).compute_totals() == result.totals


@pytest.mark.parametrize("who", ["manager", "consultant", "source"])
def test_the_same_figures_live_and_from_the_daily_summaries(store, other_store, users, month, who):
    kwargs = {"source": {"source_ids": (b.source().pk,)}}.get(who, {})
    user = users.consultant if who == "consultant" else users.sales_manager
    with freeze_time("2026-12-03 04:00:00"):  # noon in Beijing: November is over
        with summary.live_only():
            live = run(user, [store], **kwargs)
        for each in (store, other_store):
            summary.summary_backfill(store=each, first=dt.date(2025, 10, 1), last=dt.date(2026, 12, 3))
        summarised = run(user, [store], **kwargs)
        assert (summary._plan(summarised.query)[0] is None) == (who == "source")  # a source filter is live
    assert summarised.rows == live.rows
    assert summarised.totals == live.totals
    assert [(c.current, c.previous, c.last_year) for c in summarised.comparisons] == [
        (c.current, c.previous, c.last_year) for c in live.comparisons
    ]
    assert live.totals["follow_ups"] == {"manager": 10, "consultant": 8, "source": 9}[who]


def test_chart_by_day(store, users, month):
    result = run(users.sales_manager, [store])
    chart = result.chart
    assert chart.kind == "line"
    assert chart.labels == ["11-01", "11-02", "11-03", "11-04", "11-05", "11-30"]
    assert list(chart.series.values()) == [
        [3, 4, 2, 0, 0, 1],
        [1, 1, 0, 0, 0, 0],
        [0, 1, 1, 0, 0, 0],
        [0, 0, 1, 0, 0, 0],
    ]
    assert "Customers received" in str(render(chart))


def test_row_estimate_bounds_the_rows(store, users, month):
    manager_query = ReportQuery(
        user=users.sales_manager, stores=(store,), first=dt.date(2026, 11, 1), last=dt.date(2026, 11, 30)
    )
    people = Membership.objects.filter(store=store).values("user").distinct().count()
    assert ActivityReport(manager_query).row_estimate() == 30 * people
    own = ReportQuery(user=users.consultant, stores=(store,), first=dt.date(2026, 11, 1), last=dt.date(2026, 11, 30))
    assert ActivityReport(own).row_estimate() == 30
    assert len(list(ActivityReport(own).rows())) <= 30


def test_nothing_in_the_period(store, users, month):
    result = run(users.sales_manager, [store], "2026-09-01", "2026-09-30")
    assert result.rows == []
    assert result.totals["punctuality"] is None
    assert result.chart.labels == []


def test_screen_excel_and_print_agree(store, users, month, client_for):
    from reports.xlsx import write_report

    manager = users.sales_manager
    result = run(manager, [store])
    buffer = io.BytesIO()
    write_report(ActivityReport(result.query), buffer)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(values) if row[0] == "Day")
    assert values[header][2:8] == [
        "Phone follow-ups",
        "SMS follow-ups",
        "WeChat follow-ups",
        "Email follow-ups",
        "Store-visit follow-ups",
        "Test-drive follow-ups",
    ]
    assert values[header][11] == "Test drives given"
    keys = [c.key for c in result.columns]
    data = values[header + 1 : header + 1 + len(result.rows)]
    assert [row[1:] for row in data] == [[r[k] for k in keys[1:]] for r in result.rows]
    assert [row[0].date() for row in data] == [r["day"] for r in result.rows]  # typed as dates
    totals = values[header + 1 + len(result.rows)]
    assert totals[2:] == [4, 1, 2, 1, 1, 1, 10, 2, 2, 1, 7, 3, pytest.approx(3 / 7)]
    response = client_for(manager).get("/reports/r/activity/print/", NOVEMBER)
    assert response.status_code == 200
    assert response.context["result"].totals == result.totals
    assert "42.9%" in response.content.decode()


@pytest.mark.parametrize("role", ["consultant", "sales_supervisor", "sales_manager", "dcc_agent", "gm"])
def test_sales_floor_may_open_it(users, client_for, month, role):
    response = client_for(users[role], language="en").get("/reports/r/activity/", NOVEMBER)
    assert response.status_code == 200
    assert "Consultant activity daily report" in response.content.decode()


@pytest.mark.parametrize("role", ["reception", "cs_agent", "admin"])
def test_roles_without_reports_are_refused(users, client_for, role):
    client = client_for(users[role])
    assert client.get("/reports/r/activity/", NOVEMBER).status_code == 403
    assert client.get("/reports/r/activity/print/", NOVEMBER).status_code == 403


def test_other_store_counts_only_its_own(store, other_users, client_for, month):
    response = client_for(other_users.sales_manager).get("/reports/r/activity/", {**NOVEMBER, "stores": [store.pk]})
    totals = response.context["result"].totals
    assert (totals["follow_ups"], totals["tasks_due"], totals["tasks_on_time"]) == (1, 1, 1)


def test_group_user_chooses_two_stores(group, store, other_store, client_for, month):
    gm = UserFactory(username="group_gm")
    Membership.objects.create(user=gm, group=group, role=Role.objects.get(store=None, code="gm"))
    response = client_for(gm).get("/reports/r/activity/", {**NOVEMBER, "stores": [store.pk, other_store.pk]})
    totals = response.context["result"].totals
    assert (totals["follow_ups"], totals["tasks_due"], totals["tasks_on_time"]) == (11, 8, 4)
