"""Every registered report in the browser: query it, export it to Excel and read the file back,
open its print view; then the store dashboard. Screenshots of each through ``shot``."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from playwright.sync_api import expect

from reports.registry import REPORTS, ordered
from tests.reports import builders as b

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def month(store, known_users):
    """A small November: leads, follow-ups, an invitation, visits, a test drive, an order, a lost lead."""
    users = known_users
    b.small_month(store, users.consultant, users.sales_manager, "walk-in-e2e")
    users.gm.can_export = True
    users.gm.save(update_fields=["can_export"])
    return users


def test_every_report_queries_exports_and_prints(page, live_server, sign_in, shot, month):
    gm = month.gm
    sign_in(page, gm.username)
    page.goto(f"{live_server.url}{reverse('reports:index')}")
    expect(page.locator("#report-list")).to_be_visible()
    shot(page, "index")
    for report in ordered():
        page.goto(f"{live_server.url}{reverse('reports:report', args=[report.identifier])}")
        page.fill("#id_date_from", "2026-11-01")
        page.fill("#id_date_to", "2026-11-30")
        with page.expect_navigation():
            page.click("#report-run")
        expect(page.locator("#report-table")).to_be_visible()
        with translation.override("zh-hans"):
            title = str(report.verbose_name)
        expect(page.locator("#report-title")).to_have_text(title)
        shot(page, f"{report.number}-{report.identifier}")

        with page.expect_download() as download_info:
            page.click("#report-export")
        data = open(download_info.value.path(), "rb").read()  # noqa: SIM115 - read once in a test
        sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
        assert sheet["A1"].value == title

        with page.context.expect_page() as print_info:
            page.click("#report-print")
        printed = print_info.value
        printed.wait_for_load_state()
        expect(printed.locator("#report-print-sheet")).to_be_visible()
        # The print view shows the same rows as the screen.
        assert printed.locator("#report-table tbody tr").count() == page.locator("#report-table tbody tr").count()
        shot(printed, f"{report.number}-{report.identifier}-print")
        printed.close()


def test_dashboard_screenshot(page, live_server, sign_in, shot, month):
    try:
        url = reverse("reports:dashboard")
    except NoReverseMatch:
        pytest.fail("the store dashboard has no URL")
    sign_in(page, month.gm.username)
    page.goto(f"{live_server.url}{url}?date_from=2026-11-01&date_to=2026-11-30")
    expect(page.locator("main")).to_contain_text("2026")
    shot(page, "dashboard")


def test_report_center_lists_filters_downloads_and_subscribes(page, live_server, sign_in, shot, store, month):
    """A manager finds the morning's files, keeps to whole months, downloads one and subscribes to one."""
    import datetime as dt

    from reports import services
    from reports.models import ReportSubscription

    services.report_center_build(store=store, day=dt.date(2026, 11, 6))
    services.report_center_build(store=store, day=dt.date(2026, 10, 31))
    gm = month.gm
    sign_in(page, gm.username)
    page.goto(f"{live_server.url}{reverse('reports:center')}")
    expect(page.locator("section.center-day")).to_have_count(2)
    expect(page.locator("section.center-day").first).to_have_attribute("data-day", "2026-11-06")
    shot(page, "center")

    page.check("#id_whole_months")
    with page.expect_navigation():
        page.click("#center-filter-run")
    expect(page.locator("section.center-day")).to_have_count(1)
    expect(page.locator("section.center-day")).to_have_attribute("data-day", "2026-10-31")
    expect(page.locator("#id_whole_months")).to_be_checked()  # the filter keeps what was chosen
    shot(page, "center-whole-months")

    row = page.locator('tr[data-report="daily_work"]')
    with page.expect_download() as download_info:
        row.locator('a.center-download[data-period="mtd"]').click()
    data = open(download_info.value.path(), "rb").read()  # noqa: SIM115 - read once in a test
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    with translation.override("zh-hans"):
        assert sheet["A1"].value == str(REPORTS["daily_work"].verbose_name)
    assert download_info.value.suggested_filename.endswith("-20261001-20261031.xlsx")

    page.goto(f"{live_server.url}{reverse('reports:center')}")
    page.get_by_label(re.compile(r"^工作日报表 · ")).first.check()
    with page.expect_navigation():
        page.click("#center-subscribe")
    expect(page.locator(".alert-success")).to_be_visible()
    assert ReportSubscription.objects.filter(user=gm, store=store, report="daily_work").count() == 1
    shot(page, "center-subscribed")
