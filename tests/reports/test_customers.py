"""3 客户分析: every figure of a hand-built store month in each breakdown, scoping, the option carried
to the print view, the Excel file and background exports."""

import datetime as dt
import io

import openpyxl
import pytest
from django.conf import settings
from django.utils import translation

from accounts.models import Membership, Role
from leads.models import Lead, LeadStatus, Source
from reports import services
from reports.base import DASH, display
from reports.library.customers import TIERS, CustomersReport
from reports.models import ExportJob
from reports.query import ReportQuery
from tests.factories import UserFactory
from tests.reports import builders as b

pytestmark = pytest.mark.django_db

NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


@pytest.fixture
def month(store, other_store, users, other_users):
    """Seven leads captured in store A in November 2026, and noise around them."""
    a, m = users.consultant, users.sales_manager
    walkin = b.source("t-walkin", Source.Category.WALK_IN)
    online = b.source("t-online", Source.Category.ONLINE)
    autohome = b.source("t-autohome", Source.Category.ONLINE, parent=online)
    phone = b.source("t-phone", Source.Category.PHONE)
    repurchase = b.source("t-repurchase", Source.Category.REPURCHASE)
    lavida, tiguan = b.series("朗逸"), b.series("途观")
    leads = {}
    # The first minute of the month: visited and ordered.
    leads["won"] = b.lead(
        store,
        a,
        b.at("2026-11-01", "00:00"),
        src=walkin,
        series_row=lavida,
        grade="O",
        status=LeadStatus.ORDERED,
        first_visit_at=b.at("2026-11-01", "10:00"),
    )
    b.order(leads["won"], a, b.at("2026-11-01", "11:00"), first_visit_deal=True)
    b.order(leads["won"], a, b.at("2026-11-02"))  # a second car: still one ordered lead
    # Online (a sub-channel counts under its parent), followed up: tier "value".
    leads["followed"] = b.lead(
        store, a, b.at("2026-11-10"), src=autohome, series_row=lavida, grade="A", last_follow_up_at=b.at("2026-11-11")
    )
    # Online, never contacted, no series: tier "general".
    leads["untouched"] = b.lead(store, a, b.at("2026-11-11"), src=autohome, grade="C", status=LeadStatus.NEW)
    # Showroom phone: tier "value" without a follow-up; its only order was cancelled.
    leads["phoned"] = b.lead(store, m, b.at("2026-11-12"), src=phone, series_row=tiguan, grade="B")
    b.order(leads["phoned"], m, b.at("2026-11-20"), cancelled=True)
    leads["lost"] = b.lead(store, m, b.at("2026-11-13"), src=online, series_row=tiguan, grade="F")
    b.closed(leads["lost"], m, m, b.at("2026-11-15"))
    leads["invalid"] = b.lead(store, m, b.at("2026-11-14"), src=online, grade="C")
    b.closed(leads["invalid"], m, m, b.at("2026-11-15"), kind="invalid")
    # The last minute of the month: a repurchase that visited, ordered in December (counts: "so far").
    leads["repurchase"] = b.lead(
        store,
        a,
        b.at("2026-11-30", "23:59"),
        src=repurchase,
        series_row=lavida,
        grade="H",
        repurchase_of=leads["won"],
        first_visit_at=b.at("2026-12-01", "10:00"),
    )
    b.order(leads["repurchase"], a, b.at("2026-12-02"))
    # Noise: the minute before and after the month, a merged duplicate, store B, last year.
    b.lead(store, a, b.at("2026-10-31", "23:59"), src=walkin)
    b.lead(store, a, b.at("2026-12-01", "00:00"), src=walkin)
    b.lead(store, a, b.at("2026-11-05"), src=walkin, status=LeadStatus.MERGED)
    b.lead(other_store, other_users.consultant, b.at("2026-11-05"), src=walkin)
    b.lead(store, m, b.at("2025-11-15"), src=phone)
    return leads


def query(user, stores, first="2026-11-01", last="2026-11-30", dimension=None, **kwargs):
    return ReportQuery(
        user=user,
        stores=tuple(stores),
        first=dt.date.fromisoformat(first),
        last=dt.date.fromisoformat(last),
        extra=CustomersReport.option_extra({"dimension": dimension}),
        **kwargs,
    )


def run(user, store, **kwargs):
    with translation.override("en"):  # the labels below are the English ones
        return CustomersReport(query(user, [store], **kwargs)).run()


FIGURES = ("leads", "share", "visited", "ordered", "conversion", "lost", "invalid", "valid_rate")


def table(result):
    return {row["label"]: tuple(row[key] for key in FIGURES) for row in result.rows}


def test_by_source_with_every_figure(store, users, month):
    result = run(users.sales_manager, store)
    assert [row["label"] for row in result.rows] == ["t-online", "t-phone", "t-repurchase", "t-walkin"]
    assert table(result) == {
        # leads, share, visited, ordered, conversion, lost, invalid, valid-lead rate
        "t-online": (4, 4 / 7, 0, 0, 0.0, 1, 1, 3 / 4),
        "t-phone": (1, 1 / 7, 0, 0, 0.0, 0, 0, 1.0),
        "t-repurchase": (1, 1 / 7, 1, 1, 1.0, 0, 0, 1.0),
        "t-walkin": (1, 1 / 7, 1, 1, 1.0, 0, 0, 1.0),
    }
    assert tuple(result.totals[key] for key in FIGURES) == (7, 1.0, 2, 2, 2 / 7, 1, 1, 6 / 7)


def test_by_grade_in_grade_order(store, users, month):
    result = run(users.sales_manager, store, dimension="grade")
    labels = [row["label"] for row in result.rows]
    assert [label[0] for label in labels] == ["H", "A", "B", "C", "O", "F"]
    assert [row["leads"] for row in result.rows] == [1, 1, 1, 2, 1, 1]
    c_row = result.rows[3]
    assert (c_row["invalid"], c_row["valid_rate"], c_row["conversion"]) == (1, 0.5, 0.0)
    assert result.totals["leads"] == 7


def test_by_value_tier_agrees_with_the_lead_rule(store, users, month):
    result = run(users.sales_manager, store, dimension="tier")
    assert [(row["label"], row["leads"], row["visited"], row["ordered"]) for row in result.rows] == [
        ("High value (visited the store)", 2, 2, 2),
        ("Value (talked, not visited)", 2, 0, 0),
        ("General (no contact yet)", 3, 0, 0),
    ]
    tiers = {key: Lead.objects.get(pk=lead.pk).value_tier for key, lead in month.items()}
    assert tiers == {
        "won": "high",
        "followed": "value",
        "untouched": "general",
        "phoned": "value",
        "lost": "general",
        "invalid": "general",
        "repurchase": "high",
    }


def test_by_status_keeps_lost_and_invalid_apart(store, users, month):
    result = run(users.sales_manager, store, dimension="status")
    assert {row["label"]: (row["leads"], row["lost"], row["invalid"]) for row in result.rows} == {
        "New": (1, 0, 0),
        "Following up": (3, 0, 0),
        "Ordered": (1, 0, 0),
        "Lost": (1, 1, 0),
        "Invalid": (1, 0, 1),
    }
    assert [row["label"] for row in result.rows] == ["New", "Following up", "Ordered", "Lost", "Invalid"]


def test_by_series_with_leads_without_one_last(store, users, month):
    result = run(users.sales_manager, store, dimension="series")
    assert [(row["label"], row["leads"], row["ordered"]) for row in result.rows] == [
        ("大众 朗逸", 3, 2),
        ("大众 途观", 2, 0),
        ("No series chosen", 2, 0),
    ]


def test_source_filter_takes_the_sub_channels(store, users, month):
    online = Source.objects.get(code="t-online")
    source_ids = (online.pk, *Source.objects.filter(parent=online).values_list("pk", flat=True))
    result = run(users.sales_manager, store, source_ids=source_ids)
    assert table(result) == {"t-online": (4, 1.0, 0, 0, 0.0, 1, 1, 3 / 4)}


def test_consultant_sees_only_own_leads(store, users, month):
    result = run(users.consultant, store)
    assert result.totals["leads"] == 4  # won, followed, untouched, repurchase
    assert {row["label"]: row["leads"] for row in result.rows} == {"t-online": 2, "t-repurchase": 1, "t-walkin": 1}


def test_comparison_with_previous_month_and_last_year(store, users, month):
    result = run(users.sales_manager, store)
    by_key = {item.column.key: item for item in result.comparisons}
    assert (by_key["leads"].current, by_key["leads"].previous, by_key["leads"].last_year) == (7, 1, 1)
    assert by_key["leads"].previous_change == pytest.approx(600.0)
    conversion = by_key["conversion"]
    assert (conversion.current, conversion.previous, conversion.last_year) == (2 / 7, 0.0, 0.0)
    assert conversion.previous_change == pytest.approx(200 / 7)  # percentage points
    assert by_key["valid_rate"].previous == 1.0


def test_empty_period_gives_dashes_not_errors(store, users, month, client_for):
    result = run(users.sales_manager, store, first="2027-01-01", last="2027-01-31")
    assert result.rows == []
    assert result.totals["leads"] == 0
    assert result.totals["conversion"] is None
    assert result.totals["valid_rate"] is None
    assert display(CustomersReport.columns[5], result.totals["conversion"]) == DASH
    page = client_for(users.sales_manager, language="en").get(
        "/reports/r/customers/", {"date_from": "2027-01-01", "date_to": "2027-01-31", "dimension": "grade"}
    )
    assert page.status_code == 200
    assert "Nothing in this period." in page.content.decode()


def test_group_user_counts_the_chosen_stores(group, store, other_store, month, client_for):
    gm = UserFactory(username="group_gm3")
    Membership.objects.create(user=gm, group=group, role=Role.objects.get(store=None, code="gm"))
    both = client_for(gm).get("/reports/r/customers/", {**NOVEMBER, "stores": [store.pk, other_store.pk]})
    assert both.status_code == 200
    assert both.context["result"].totals["leads"] == 8
    assert {row["label"]: row["leads"] for row in both.context["result"].rows}["t-walkin"] == 2


def test_page_offers_the_rows_option_and_print_and_excel_follow_it(store, users, month, client_for):
    manager = users.sales_manager
    manager.can_export = True
    manager.save(update_fields=["can_export"])
    client = client_for(manager, language="en")
    params = {**NOVEMBER, "dimension": "grade"}
    page = client.get("/reports/r/customers/", params)
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="dimension"' in content
    assert '<option value="grade" selected>' in content
    assert ("Rows by", "Grade") in [(str(label), str(value)) for label, value in page.context["conditions"]]
    screen = page.context["result"]
    assert [column.header for column in screen.columns][0] == "Grade"
    assert "<svg" in content  # the share chart

    printed = client.get("/reports/r/customers/print/", params)
    assert printed.status_code == 200
    assert printed.context["result"].rows == screen.rows
    assert printed.context["result"].totals == screen.totals

    response = client.post("/reports/r/customers/export/?date_from=2026-11-01&date_to=2026-11-30&dimension=grade")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert ["Rows by", "Grade"] in [row[:2] for row in values]
    header = next(i for i, row in enumerate(values) if row[0] == "Grade")
    assert values[header][:4] == ["Grade", "Leads", "Share", "Visited"]
    data = values[header + 1 : header + 1 + len(screen.rows)]
    assert [row[1] for row in data] == [row["leads"] for row in screen.rows]
    assert [row[8] for row in data] == [row["valid_rate"] for row in screen.rows]
    totals = values[header + 1 + len(screen.rows)]
    assert totals[0] == "Total"
    assert totals[1:8] == [7, 1, 2, 2, pytest.approx(2 / 7), 1, 1]
    assert totals[8] == pytest.approx(6 / 7)


def test_background_export_keeps_the_option(store, users, month):
    report = CustomersReport(query(users.sales_manager, [store], dimension="tier"))
    params = services.query_to_params(report.query)
    assert params["options"] == {"dimension": "tier"}
    rebuilt = services.query_from_params(users.sales_manager, CustomersReport, params)
    assert CustomersReport(rebuilt).option("dimension") == "tier"
    job = ExportJob.objects.create(
        store=store,
        user=users.sales_manager,
        report="customers",
        params=params,
        expires_at=b.at("2099-01-01"),
    )
    services.export_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert job.rows == 3  # the three tiers
    with job.file.open("rb") as handle:
        sheet = openpyxl.load_workbook(io.BytesIO(handle.read())).worksheets[0]
    labels = [row[0].value for row in sheet.iter_rows()]
    with translation.override(users.sales_manager.language or settings.LANGUAGE_CODE):
        expected = [str(label) for _key, label in TIERS]
    first = labels.index(expected[0])
    assert labels[first : first + 3] == expected


def test_unknown_option_value_is_a_form_error(users, client_for):
    response = client_for(users.sales_manager).get("/reports/r/customers/", {**NOVEMBER, "dimension": "colour"})
    assert response.status_code == 200
    assert "dimension" in response.context["form"].errors
    assert "result" not in response.context


@pytest.mark.parametrize(("role", "status"), [("consultant", 200), ("gm", 200), ("reception", 403), ("cs_agent", 403)])
def test_who_may_run_it(users, client_for, role, status):
    response = client_for(users[role]).get("/reports/r/customers/", NOVEMBER)
    assert response.status_code == status
