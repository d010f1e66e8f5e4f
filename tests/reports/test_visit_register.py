"""8 到店客户登记: each registered party as a row with every field exact, masked phones, the store's
own "on time" minutes, totals from one aggregate (right when the screen shows only the first rows),
and the screen, Excel (inline and in the background) and print agreeing."""

import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditLog
from leads.models import Source
from reports.library.visit_register import VisitRegisterReport
from reports.models import ExportJob
from reports.query import ReportQuery
from showroom.models import ShowroomSettings, Visit
from tests.reports import builders as b

pytestmark = pytest.mark.django_db

NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
EXPORT_URL = "/reports/r/visit_register/export/?date_from=2026-11-01&date_to=2026-11-30"


@pytest.fixture
def month(store, other_store, users, other_users):
    """Three parties in store A's November (its desk allows 15 minutes), noise around them."""
    a, m, desk = users.consultant, users.sales_manager, users.reception
    ShowroomSettings.objects.create(store=store, timely_minutes=15)
    walk_in, autohome = Source.objects.get(code="walk_in"), Source.objects.get(code="autohome")
    l1 = b.lead(store, a, b.at("2026-10-20"), src=walk_in, cust=b.customer(store, "张三", "13900000001"))
    b.visit(
        store,
        a,
        b.at("2026-11-01", "00:00"),
        lead_row=l1,
        party=2,
        series_row=b.series(),
        test_drive=True,
        left=b.at("2026-11-01", "00:30"),
        registered_by=desk,
        registered_at=b.at("2026-11-01", "00:15"),  # exactly the store's 15 minutes: on time
    )
    b.order(l1, a, b.at("2026-11-01", "00:20"), first_visit_deal=True)
    l2 = b.lead(store, m, b.at("2026-10-25"), src=autohome, cust=b.customer(store, "王五", "13700005678"))
    second = b.visit(
        store,
        m,
        b.at("2026-11-01", "10:15"),
        lead_row=l2,
        first=False,
        left=b.at("2026-11-01", "11:00"),
        registered_by=desk,
        registered_at=b.at("2026-11-01", "10:31"),  # 16 minutes: late
    )
    Visit.objects.filter(pk=second.pk).update(corrected_at=b.at("2026-11-01", "12:00"))
    b.order(l2, m, b.at("2026-11-01", "10:50"), cancelled=True)  # cancelled: not ordered
    b.order(l2, m, b.at("2026-11-02", "09:00"))  # the next day: not "ordered that day"
    third = b.visit(store, None, b.at("2026-11-30", "23:59"), party=3, registered_by=desk)  # the last minute
    Visit.objects.filter(pk=third.pk).update(visitor_name="李四", phone="13800001234")
    b.visit(store, a, b.at("2026-10-31", "23:59"), registered_by=desk)
    b.visit(store, a, b.at("2026-12-01", "00:00"), registered_by=desk)
    b.visit(other_store, other_users.consultant, b.at("2026-11-01", "10:00"), registered_by=other_users.reception)
    return a, m, desk


def run(user, stores=None, first="2026-11-01", last="2026-11-30", **kwargs):
    query = ReportQuery(
        user=user,
        stores=tuple(stores),
        first=dt.date.fromisoformat(first),
        last=dt.date.fromisoformat(last),
        **kwargs,
    )
    return VisitRegisterReport(query).run()


def test_every_field_of_every_row(store, users, month):
    a, m, desk = month
    result = run(m, [store])
    assert [row["visitor"] for row in result.rows] == ["张三", "王五", "李四"]  # in order of arrival
    first, second, third = result.rows
    assert first == {
        "arrived_at": b.at("2026-11-01", "00:00"),
        "visitor": "张三",
        "phone": "139****0001",  # not the manager's lead: masked
        "party": 2,
        "first_visit": 1,
        "consultant": str(a),
        "source": "自然到店",
        "series": "大众 朗逸",
        "test_drive": 1,
        "departed_at": b.at("2026-11-01", "00:30"),
        "departed": 1,
        "stay_total": 30.0,
        "stay": 30.0,
        "filed": 1,
        "ordered": 1,
        "registered_by": str(desk),
        "visits": 1,
        "delay_total": 15.0,
        "delay": 15.0,
        "late": 0,
        "corrected": 0,
    }
    assert second["phone"] == "13700005678"  # the manager owns this lead
    assert (second["first_visit"], second["source"], second["series"], second["stay"]) == (
        0,
        "网络平台 · 汽车之家",
        "",
        45.0,
    )
    assert (second["ordered"], second["delay"], second["late"], second["corrected"]) == (0, 16.0, 1, 1)
    assert (third["phone"], third["consultant"], third["departed_at"], third["stay"]) == ("138****1234", "", None, None)
    assert (third["party"], third["filed"], third["ordered"], third["late"]) == (3, 1, 0, 0)


def test_totals_count_the_flags_and_average_the_minutes(store, users, month):
    result = run(users.sales_manager, [store])
    totals = result.totals
    assert (totals["visits"], totals["party"], totals["first_visit"], totals["test_drive"]) == (3, 6, 2, 1)
    assert (totals["filed"], totals["ordered"], totals["late"], totals["corrected"]) == (3, 1, 1, 1)
    assert totals["stay"] == 37.5  # of the two parties that left
    assert totals["delay"] == pytest.approx(31 / 3)
    summed = {key: sum(row[key] for row in result.rows) for key in ("party", "filed", "ordered", "late", "corrected")}
    assert summed == {key: totals[key] for key in summed}  # the aggregate agrees with the rows


def test_totals_stay_right_when_the_screen_shows_the_first_rows(store, users, month, monkeypatch):
    monkeypatch.setattr(VisitRegisterReport, "screen_row_limit", 2)
    with CaptureQueriesContext(connection) as queries:
        result = run(users.sales_manager, [store])
    assert (len(result.rows), result.row_count, result.truncated) == (2, 3, True)
    # Only the rows shown and one more are read; the count and the totals are aggregates.
    assert any(query["sql"].rstrip().endswith("LIMIT 3") for query in queries.captured_queries)
    assert (result.totals["visits"], result.totals["party"], result.totals["stay"]) == (3, 6, 37.5)


def test_first_rows_of_several_stores_come_in_order_of_arrival(store, other_store, users, month, monkeypatch):
    monkeypatch.setattr(VisitRegisterReport, "screen_row_limit", 2)
    result = run(None, [store, other_store], whole_store=True)
    # 1 November 00:00 in store A, then 10:00 in store B (before A's 10:15).
    assert [row["arrived_at"] for row in result.rows] == [b.at("2026-11-01", "00:00"), b.at("2026-11-01", "10:00")]
    assert (result.row_count, result.totals["visits"], result.totals["party"]) == (4, 4, 7)


def test_the_store_setting_decides_what_is_late(store, users, month):
    ShowroomSettings.objects.filter(store=store).update(timely_minutes=10)
    result = run(users.sales_manager, [store])
    assert [row["late"] for row in result.rows] == [1, 1, 0]
    assert result.totals["late"] == 2


def test_consultant_sees_the_parties_they_received_with_their_own_phones(store, users, month):
    result = run(users.consultant, [store])
    assert [(row["visitor"], row["phone"]) for row in result.rows] == [("张三", "13900000001")]
    assert result.totals["visits"] == 1


def test_phones_in_full_only_with_the_grant(store, users, month):
    desk = users.reception
    assert [row["phone"] for row in run(desk, [store]).rows] == ["139****0001", "137****5678", "138****1234"]
    desk.can_see_full_phone = True
    assert [row["phone"] for row in run(desk, [store]).rows] == ["13900000001", "13700005678", "13800001234"]


def test_files_built_for_nobody_mask_every_phone(store, month):
    result = run(None, [store], whole_store=True)
    assert [row["phone"] for row in result.rows] == ["139****0001", "137****5678", "138****1234"]


def test_comparison_and_empty_period(store, users, month):
    result = run(users.sales_manager, [store])
    by_key = {item.column.key: item for item in result.comparisons}
    assert (by_key["visits"].current, by_key["visits"].previous, by_key["visits"].previous_change) == (3, 1, 200.0)
    assert by_key["late"].last_year_change is None
    empty = run(users.sales_manager, [store], first="2025-01-01", last="2025-01-31")
    assert (empty.rows, empty.totals["visits"], empty.totals["stay"], empty.totals["delay"]) == ([], 0, None, None)


def test_row_estimate_counts_the_visits(store, users, month):
    query = run(users.sales_manager, [store]).query
    assert VisitRegisterReport(query).row_estimate() == 3


def test_screen_excel_and_print_agree(store, users, month, client_for):
    desk = users.reception
    desk.can_export = True
    desk.save(update_fields=["can_export"])
    result = run(desk, [store])
    client = client_for(desk)
    response = client.post(EXPORT_URL)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    keys = [column.key for column in result.columns]
    header = next(i for i, row in enumerate(values) if row[0] == str(result.columns[0].header))
    data = values[header + 1 : header + 4]
    assert data[0][0] == dt.datetime(2026, 11, 1, 0, 0)  # Beijing wall-clock time, typed
    assert [row[keys.index("phone")] for row in data] == ["139****0001", "137****5678", "138****1234"]
    assert [row[keys.index("late")] for row in data] == [0, 1, 0]
    assert data[2][keys.index("stay")] is None
    totals = values[header + 4]
    for key in ("party", "filed", "ordered", "late", "stay", "delay"):
        assert totals[keys.index(key)] == pytest.approx(result.totals[key])
    assert AuditLog.objects.get(action="reports.export").changes["rows"] == 3
    printed = client.get("/reports/r/visit_register/print/", NOVEMBER)
    assert printed.status_code == 200
    assert printed.context["result"].rows == result.rows
    assert printed.context["result"].totals == result.totals
    assert "137****5678" in printed.content.decode() and "13700005678" not in printed.content.decode()


def test_a_large_register_exports_in_the_background(
    users, month, client_for, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_EXPORT_BACKGROUND_ROWS = 2
    desk = users.reception
    desk.can_export = True
    desk.save(update_fields=["can_export"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(desk).post(EXPORT_URL)
    assert response.status_code == 302
    job = ExportJob.objects.get(user=desk, report="visit_register")
    assert (job.status, job.rows) == (ExportJob.Status.DONE, 3)


def test_page_in_english(users, client_for, month):
    response = client_for(users.reception, language="en").get("/reports/r/visit_register/", NOVEMBER)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Store-visit register" in html and "Ordered that day" in html
    assert "2026-11-30 23:59" in html and "138****1234" in html


@pytest.mark.parametrize("role", ["reception", "consultant", "sales_manager"])
def test_roles_with_the_traffic_permission_may_open_it(users, client_for, month, role):
    assert client_for(users[role]).get("/reports/r/visit_register/", NOVEMBER).status_code == 200


@pytest.mark.parametrize("role", ["cs_agent", "cs_manager", "admin"])
def test_roles_without_it_are_refused(users, client_for, role):
    client = client_for(users[role])
    assert client.get("/reports/r/visit_register/", NOVEMBER).status_code == 403
    assert client.post(EXPORT_URL).status_code == 403


def test_other_store_sees_only_its_own(other_users, client_for, month):
    response = client_for(other_users.reception).get("/reports/r/visit_register/", NOVEMBER)
    assert [row["registered_by"] for row in response.context["result"].rows] == [str(other_users.reception)]
