"""The DCC in the browser: an agent works an outbound call from their list to an invitation (the
script ticked, the consultant chosen); the customer arrives at the desk the same day and the
invitation shows "arrived"; the manager's live queue. Screenshots through ``shot``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from playwright.sync_api import expect

from dcc import services
from dcc.models import Call, CallTask
from leads.models import Appointment, Lead, LeadStatus
from showroom import services as showroom_services
from tests.conftest import PASSWORD
from tests.dcc.conftest import new_lead, open_every_day
from tests.e2e.conftest import PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def settle(page) -> None:
    """Wait until htmx has swapped what it was loading."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    page.wait_for_timeout(50)


@pytest.fixture
def listed(store, known_users):
    """An online lead on the agent's list (the store open all day, so any time today may be booked)."""
    open_every_day(store, dt.time(0), dt.time(23, 59))
    lead = new_lead(store, source_code="autohome", name="陈晓")
    services.call_lists_build(store=store)
    task = CallTask.objects.get(lead=lead)
    assert task.agent == known_users.dcc_agent
    return task


def desk_available() -> bool:
    try:
        reverse("showroom:visit_register")
    except NoReverseMatch:
        return False
    return True


def test_agent_invites_from_the_call_list_and_the_customer_arrives(
    browser, live_server, known_users, store, listed, sign_in, shot
):
    agent, consultant = known_users.dcc_agent, known_users.consultant
    page = browser.new_page()
    sign_in(page, agent.username)
    # The agent lands on their call list, the new online lead first with its SLA clock.
    assert page.url == f"{live_server.url}{reverse('dcc:my_list')}"
    row = page.locator(f"#task-{listed.pk}")
    expect(row).to_contain_text("陈晓")
    expect(row.locator(".sla")).to_be_visible()
    shot(page, "call-list")

    with page.expect_navigation():
        row.click()
    expect(page.locator("#customer-name")).to_contain_text("陈晓")
    expect(page.locator("#script-steps li")).to_have_count(7)
    dial = page.locator("#dial")
    assert dial.get_attribute("href") == f"tel:{listed.lead.customer.phone}"
    # Click to call: the phone dials (here nothing leaves the browser) and the call start is kept.
    page.evaluate("document.getElementById('dial').addEventListener('click', e => e.preventDefault())")
    dial.click()
    assert page.locator("input[name=started_at]").input_value()
    expect(page.locator("#invitation-fields")).to_be_hidden()
    shot(page, "call-screen")

    for position in range(1, 6):
        page.check(f"#step-{position}")
    page.check("input[name=outcome][value=invited]")
    expect(page.locator("#invitation-fields")).to_be_visible()
    # The appointment: this very minute today, so the desk can receive the customer today.
    when = timezone.localtime().replace(second=0, microsecond=0)
    page.fill("#id_scheduled_at", when.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#id_receiver", str(consultant.pk))
    page.select_option("#id_purpose", "test_drive")
    page.select_option("#id_grade", "H")
    page.fill("#id_note", "客户很感兴趣，今天就来试驾")
    shot(page, "invitation-filled")
    with page.expect_navigation():
        page.click("#save-call")
    expect(page.locator(".alert-success")).to_contain_text("陈晓")
    expect(page.locator("#no-tasks")).to_be_visible()
    shot(page, "list-after-call")

    call = Call.objects.get()
    appointment = call.appointment
    assert call.outcome == "invited" and len(call.script_steps) == 5 and call.started_at is not None
    assert appointment.origin == Appointment.Origin.DCC and appointment.receiver == consultant
    assert Lead.objects.get(pk=listed.lead_id).owner == consultant

    # The customer arrives: the receptionist registers the visit at the desk.
    phone = listed.lead.customer.phone
    if desk_available():
        desk = browser.new_page()
        sign_in(desk, known_users.reception.username, PASSWORD)
        desk.goto(f"{live_server.url}{reverse('showroom:visit_register')}")
        desk.fill("#id_phone", phone)
        settle(desk)
        shot(desk, "desk-visitor-found")
        with desk.expect_navigation():
            desk.click("#save-visit")
        expect(desk.locator(".alert-success")).to_be_visible()
        shot(desk, "desk-registered")
    else:  # the showroom pages are not in the URLconf of this checkout: the desk's service
        showroom_services.visit_register(actor=known_users.reception, store=store, phone=phone)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED
    assert Lead.objects.get(pk=listed.lead_id).status == LeadStatus.VISITED

    # The agent's invitations show the arrival.
    page.goto(f"{live_server.url}{reverse('dcc:invitations')}")
    status = page.locator(f"#appointment-{appointment.pk} .appointment-status")
    expect(status).to_have_attribute("data-status", "arrived")
    shot(page, "invitation-arrived")

    # The same list fits a phone.
    phone_page = browser.new_page(viewport=PHONE)
    sign_in(phone_page, agent.username)
    phone_page.goto(f"{live_server.url}{reverse('dcc:invitations')}")
    expect(phone_page.locator(f"#appointment-{appointment.pk}")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(phone_page, "invitation-arrived-phone")


def test_manager_sees_the_live_queue_and_assigns_by_hand(
    browser, live_server, known_users, store, listed, sign_in, shot
):
    from tests.dcc.conftest import make_agent

    late = CallTask.objects.filter(pk=listed.pk)
    late.update(sla_due_at=timezone.now() - dt.timedelta(minutes=3))
    second = make_agent(store, "a_dcc_second")
    second.full_name = "第二专员"
    second.save(update_fields=["full_name"])
    page = browser.new_page()
    sign_in(page, known_users.dcc_manager.username)
    assert page.url == f"{live_server.url}{reverse('dcc:queue')}"
    expect(page.locator(f"#queue-agent-{known_users.dcc_agent.pk}")).to_be_visible()
    expect(page.locator(f"#late-task-{listed.pk}")).to_contain_text("陈晓")
    shot(page, "live-queue")

    page.goto(f"{live_server.url}{reverse('dcc:task_list')}")
    page.check(f"#row-task-{listed.pk} input.task-check")
    page.select_option("#id_assign-agent", str(second.pk))
    with page.expect_navigation():
        page.click("#assign-selected")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(f"#row-task-{listed.pk}")).to_contain_text("第二专员")
    shot(page, "assigned")
    assert CallTask.objects.get(pk=listed.pk).agent == second

    phone_page = browser.new_page(viewport=PHONE)
    sign_in(phone_page, known_users.dcc_manager.username)
    expect(phone_page.locator("#queue-table")).to_be_visible()
    shot(phone_page, "live-queue-phone")
