"""The report pages from the outside: who may open, export and print them, what bad input does,
and how a group user's choice of stores scopes the figures."""

import io

import openpyxl
import pytest

from accounts.models import AuditLog, Membership, Role
from reports.registry import REPORTS
from tests.factories import UserFactory
from tests.reports import builders as b

pytestmark = pytest.mark.django_db

NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


@pytest.fixture
def data(store, other_store, users, other_users):
    b.lead(store, users.consultant, b.at("2026-11-03"))
    b.lead(store, users.sales_manager, b.at("2026-11-04"))
    b.lead(other_store, other_users.consultant, b.at("2026-11-05"))


def test_index_lists_what_the_role_may_run(users, client_for):
    response = client_for(users.consultant).get("/reports/")
    assert response.status_code == 200
    shown = {report.identifier for report in response.context["reports"]}
    assert shown == {
        key
        for key, report in REPORTS.items()
        if report.required_permission in users.consultant.perms_in(users.consultant.store_ids()[0])
    }
    assert "daily_work" in shown


@pytest.mark.parametrize("role", ["cs_agent", "admin"])
def test_roles_without_reports_are_refused(users, client_for, role):
    client = client_for(users[role])
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/r/daily_work/", NOVEMBER).status_code == 403
    assert client.get("/reports/r/daily_work/print/", NOVEMBER).status_code == 403


def test_unknown_report_is_404(users, client_for):
    assert client_for(users.sales_manager).get("/reports/r/no_such_report/").status_code == 404


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/reports/r/daily_work/")
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_no_export_grant_means_no_button_and_403(users, client_for, data):
    manager = users.sales_manager
    manager.can_export = False
    manager.save(update_fields=["can_export"])
    client = client_for(manager)
    page = client.get("/reports/r/daily_work/", NOVEMBER)
    assert page.status_code == 200
    assert b'id="report-export"' not in page.content
    assert client.post("/reports/r/daily_work/export/?date_from=2026-11-01&date_to=2026-11-30").status_code == 403
    assert not AuditLog.objects.filter(action="reports.export").exists()


def test_export_is_a_real_xlsx_and_audited(users, client_for, data):
    manager = users.sales_manager
    manager.can_export = True
    manager.save(update_fields=["can_export"])
    client = client_for(manager)
    page = client.get("/reports/r/daily_work/", NOVEMBER)
    assert b'id="report-export"' in page.content
    response = client.post("/reports/r/daily_work/export/?date_from=2026-11-01&date_to=2026-11-30")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    assert sheet["A1"].value == "工作日报表"
    assert sheet.freeze_panes is not None
    assert len(book.worksheets) == 2  # the comparison and the formulas
    entry = AuditLog.objects.get(action="reports.export")
    assert entry.actor == manager
    assert entry.changes["report"] == "daily_work"
    assert entry.changes["rows"] == 2


def test_reversed_dates_keep_the_input_and_say_why(users, client_for):
    response = client_for(users.sales_manager).get(
        "/reports/r/daily_work/", {"date_from": "2026-11-30", "date_to": "2026-11-01"}
    )
    assert response.status_code == 200
    assert "result" not in response.context
    assert "结束日期早于开始日期" in response.content.decode()
    assert 'value="2026-11-30"' in response.content.decode()


def test_garbage_dates_are_a_message_not_an_error(users, client_for):
    response = client_for(users.sales_manager).get("/reports/r/daily_work/", {"date_from": "yesterday", "date_to": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_english_interface(users, client_for, data):
    response = client_for(users.sales_manager, language="en").get("/reports/r/daily_work/", NOVEMBER)
    assert "Daily work report" in response.content.decode()
    assert "Compared with earlier periods" in response.content.decode()


def test_other_store_figures_never_show(users, other_users, client_for, data):
    response = client_for(other_users.sales_manager).get("/reports/r/daily_work/", NOVEMBER)
    assert response.context["result"].totals["new_leads"] == 1


def test_store_of_another_group_cannot_be_chosen(users, other_store, client_for, data):
    response = client_for(users.sales_manager).get("/reports/r/daily_work/", {**NOVEMBER, "stores": [other_store.pk]})
    # A store-A user has a single store: the store choice is not offered and the figures stay store A's.
    assert response.context["result"].query.store_ids == [users.sales_manager.store_ids()[0]]
    assert response.context["result"].totals["new_leads"] == 2


@pytest.fixture
def group_gm(group):
    user = UserFactory(username="group_gm")
    Membership.objects.create(user=user, group=group, role=Role.objects.get(store=None, code="gm"))
    return user


def test_group_user_picks_several_stores(group_gm, store, other_store, client_for, data):
    client = client_for(group_gm)
    both = client.get("/reports/r/daily_work/", {**NOVEMBER, "stores": [store.pk, other_store.pk]})
    assert both.status_code == 200
    assert both.context["result"].totals["new_leads"] == 3
    assert b'id="report-stores"' in both.content
    one = client.get("/reports/r/daily_work/", {**NOVEMBER, "stores": [other_store.pk]})
    assert one.context["result"].totals["new_leads"] == 1


def test_group_user_cannot_pick_a_store_outside_the_group(group_gm, client_for, data):
    from tests.factories import StoreFactory

    foreign = StoreFactory(code="foreign", name="外店")
    response = client_for(group_gm).get("/reports/r/daily_work/", {**NOVEMBER, "stores": [foreign.pk]})
    assert response.status_code == 200
    assert "stores" in response.context["form"].errors
    assert "result" not in response.context
