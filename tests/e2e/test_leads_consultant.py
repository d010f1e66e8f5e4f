"""A consultant in the browser: creates a customer, is stopped on a duplicate phone, logs a
follow-up with a regrade and finds the next task, invites the customer.

Screenshots of each screen land in ``$DEALERCRM_TEST_ARTIFACTS/screenshots`` (default
``test-artifacts/screenshots``) so a person can look at them.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from leads import services
from leads.models import Appointment, Customer, FollowUp, Lead, LeadStatus, Source, Task
from tests.conftest import PASSWORD
from tests.factories import make_member

# serialized_rollback: live_server needs a transactional database, whose flush would also remove
# the roles, sources and reasons the migrations seed; this puts them back for each test.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCREENSHOTS = (
    Path(os.environ.get("DEALERCRM_TEST_ARTIFACTS", django_settings.BASE_DIR / "test-artifacts")) / "screenshots"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium (``playwright install`` cannot download here)."""
    executable = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


def save_screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"leads_consultant_{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def shoot(request):
    """The suite's ``shot(page, name)`` fixture from tests/e2e/conftest.py when there is one."""
    try:
        return request.getfixturevalue("shot")
    except pytest.FixtureLookupError:
        return save_screenshot


@pytest.fixture
def taken(store):
    """A customer already owned by another consultant."""
    other = make_member(store, "consultant", username="a_consultant_li", full_name="李顾问")
    customer, _lead = services.customer_with_lead_create(
        actor=other,
        store=store,
        customer_data={"name": "周已有", "phone": "13900000001"},
        lead_data={"source": Source.objects.get(code="walk_in")},
        owner=other,
    )
    return customer


def test_consultant_creates_follows_up_and_invites(page, live_server, users, store, taken, shoot):
    consultant = users.consultant
    consultant.full_name = "王顾问"
    consultant.language = "en"
    consultant.save()
    today = timezone.localdate()

    # Sign in: a consultant lands on their tasks.
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", consultant.username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.locator("#task-tabs").wait_for()
    assert page.url.endswith("/leads/tasks/")

    # 1. New customer: the number is checked as it is typed, then the customer is created.
    page.click("[data-nav=customer-new]")
    page.locator("#customer-form").wait_for()
    assert page.evaluate("document.activeElement.id") == "id_phone"
    page.fill("#id_phone", "+86 138-0013-8000")
    page.locator("#phone-check-ok").wait_for()
    assert "13800138000" in page.inner_text("#phone-check")
    page.fill("#id_name", "陈新客")
    page.select_option("#id_source", label="— 汽车之家")
    page.select_option("#id_purchase_time", "30d")
    page.fill("#id_budget", "15-20万")
    page.fill("#id_household", "三口之家，太太拍板")
    page.check("#id_need_confirmed")
    shoot(page, "1_new_customer")
    page.click("#save-customer")
    page.locator("#followup-form").wait_for()
    customer = Customer.objects.get(phone="13800138000")
    lead = customer.leads.get()
    assert lead.owner == consultant and lead.grade == "B" and lead.source.code == "autohome"
    assert f"/leads/customers/{customer.pk}/" in page.url

    # 2. Another customer with a number that exists: stopped, told whose customer it is.
    page.goto(f"{live_server.url}/leads/customers/new/")
    page.fill("#id_phone", "139 0000 0001")
    page.locator("#phone-check #duplicate-customer").wait_for()
    assert "李顾问" in page.inner_text("#phone-check")
    page.fill("#id_name", "周重复")
    page.select_option("#id_source", label="自然到店")
    page.click("#save-customer")
    page.locator("form #duplicate-customer").wait_for()
    assert "李顾问" in page.inner_text("#duplicate-owner")
    assert page.locator("#duplicate-open").count() == 0  # taken: no way into its details
    assert page.input_value("#id_name") == "周重复"  # what was typed stays
    assert Customer.objects.filter(phone="13900000001").count() == 1
    shoot(page, "2_duplicate_phone")

    # 3. Follow-up with a regrade: the suggested next contact follows the grade's cadence.
    page.goto(f"{live_server.url}/leads/customers/{customer.pk}/")
    form = page.locator("#followup-form")
    form.wait_for()
    assert page.input_value("#id_next_contact") == (today + dt.timedelta(days=7)).isoformat()  # B
    page.select_option("#id_result", FollowUp.Result.INVITED)
    assert page.locator("#invitation-fields").is_visible()
    page.select_option("#id_result", FollowUp.Result.CONTACTED)
    assert not page.locator("#invitation-fields").is_visible()
    page.select_option("#id_channel", FollowUp.Channel.PHONE)
    page.fill("#id_content", "问了落地价，想周末带太太来看车")
    page.select_option("#id_grade", "H")
    assert page.input_value("#id_next_contact") == (today + dt.timedelta(days=1)).isoformat()
    shoot(page, "3_follow_up")
    page.click("#save-followup")
    page.locator(".alert-success").wait_for()
    lead.refresh_from_db()
    assert lead.grade == "H" and lead.status == LeadStatus.FOLLOWING
    assert page.inner_text("#lead-grade") == "H"
    assert "问了落地价" in page.inner_text("#timeline")
    task = Task.objects.get(lead=lead, status=Task.Status.OPEN)
    assert task.due_date == today + dt.timedelta(days=1)
    shoot(page, "4_after_follow_up")

    # 4. The next task is waiting among the upcoming ones, and on the calendar.
    page.goto(f"{live_server.url}/leads/tasks/?when=upcoming")
    page.locator(f"#task-{task.pk}").wait_for()
    assert "陈新客" in page.inner_text(f"#task-{task.pk}")
    shoot(page, "5_my_tasks")
    page.click("#open-calendar")
    cell = page.locator(f"#day-{task.due_date.isoformat()}")
    if task.due_date.month != today.month:
        page.click("#next-month")
    cell.wait_for()
    assert "陈新客" in cell.inner_text()
    shoot(page, "6_calendar")

    # 5. Invite the customer to the store.
    page.goto(f"{live_server.url}/leads/customers/{customer.pk}/")
    page.click("#show-invite")
    invite = page.locator("#invite-form")
    invite.wait_for(state="visible")
    visit_day = today + dt.timedelta(days=2)
    page.fill("#invite-appointment_date", visit_day.isoformat())
    page.fill("#invite-appointment_time", "14:30")
    page.select_option("#invite-purpose", Appointment.Purpose.TEST_DRIVE)
    page.select_option("#invite-receiver", str(consultant.pk))
    page.fill("#invite-note", "带太太一起来试驾")
    shoot(page, "7_invite")
    page.click("#save-invite")
    page.locator("#appointments").wait_for()
    appointment = Appointment.objects.get(lead=lead)
    local = timezone.localtime(appointment.scheduled_at)
    assert (local.date(), local.hour, local.minute) == (visit_day, 14, 30)
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.INVITED
    assert page.inner_text("#lead-status")  # the badge shows the new status
    shoot(page, "8_invited")

    # My leads: counts per grade, the new customer on top (next contact first).
    page.goto(f"{live_server.url}/leads/mine/")
    page.locator("#lead-table").wait_for()
    assert page.inner_text("#grade-counts [data-grade=H] .count") == "1"
    assert "陈新客" in page.inner_text(f"#lead-{lead.pk}")
    shoot(page, "9_my_leads")

    # The same pages on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/leads/customers/{customer.pk}/")
    page.locator("#followup-form").wait_for()
    shoot(page, "10_customer_phone")
    page.goto(f"{live_server.url}/leads/mine/")
    page.locator("#lead-table").wait_for()
    shoot(page, "11_my_leads_phone")
