"""A complaint in the browser, from registration to archive, signed by five different people:
the agent registers it from a delivered order, the customer-service manager gives the opinion, the
GM approves, the sales manager dispatches, the consultant returns the handling form, the
customer-service manager confirms, the GM signs off, the agent files it. Screenshots through ``shot``."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from complaints.models import Complaint, ComplaintStatus
from tests.complaints.conftest import deliver_order
from tests.complaints.conftest import trim as _trim_fixture  # noqa: F401 - the fixture, re-exported

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

trim = _trim_fixture


def sign_as(page, sign_in, live_server, user, complaint_id, action, fields, shot, name):
    page.context.clear_cookies()
    sign_in(page, user.username)
    page.goto(f"{live_server.url}{reverse('complaints:queue')}")
    expect(page.locator(f"#queue-{complaint_id}")).to_be_visible()
    page.click(f"#queue-{complaint_id} a")
    for selector, value in fields.items():
        if selector.endswith("handler"):
            page.select_option(selector, str(value))
        else:
            page.fill(selector, value)
    shot(page, f"{name}-form")
    with page.expect_navigation():
        page.click(f"#submit-{action}")
    expect(page.locator(".alert-success")).to_be_visible()
    shot(page, name)


def test_complaint_from_registration_to_archive(page, live_server, sign_in, shot, store, known_users, trim):  # noqa: F811
    users = known_users
    order = deliver_order(store, users, trim, name="投诉客户刘女士")
    sign_in(page, users.cs_agent.username)
    page.goto(f"{live_server.url}{reverse('complaints:create')}?order={order.pk}")
    page.select_option("#id_category", "delivery")
    page.select_option("#id_touchpoint", "delivery")
    page.select_option("#id_temperament", "emotional")
    page.fill("#id_facts", "交车时发现右后门有划痕，顾问承诺补漆但三天未处理。")
    page.fill("#id_emotion", "非常生气")
    page.fill("#id_demand", "免费补漆并道歉")
    shot(page, "register-form")
    with page.expect_navigation():
        page.click("#complaint-save")
    expect(page.locator("#complaint-status")).to_have_attribute("data-status", "registered")
    expect(page.locator("#temperament-guidance")).to_be_visible()
    shot(page, "registered")
    complaint = Complaint.objects.get()

    steps = [
        (
            users.cs_manager,
            "give_opinion",
            {"#id_give_opinion-cause": "交车检查不仔细", "#id_give_opinion-countermeasure": "免费补漆，赠送一次保养"},
        ),
        (users.gm, "approve", {}),
        (users.sales_manager, "dispatch", {"#id_dispatch-handler": users.consultant.pk}),
        (users.consultant, "handle", {"#id_handle-handling_result": "已约客户周六补漆，当面道歉"}),
        (users.cs_manager, "confirm", {"#id_confirm-confirmation": "客户表示满意"}),
        (users.gm, "sign_off", {}),
        (users.cs_agent, "archive", {}),
    ]
    for user, action, fields in steps:
        sign_as(page, sign_in, live_server, user, complaint.pk, action, fields, shot, action)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ARCHIVED
    signers = {step.actor_id for step in complaint.steps.all()}
    assert len(signers) == 5
    expect(page.locator("#complaint-history tbody tr")).to_have_count(8)
    page.goto(f"{live_server.url}{reverse('complaints:print', args=[complaint.pk])}")
    expect(page.locator("#print-signatures tbody tr")).to_have_count(8)
    shot(page, "print")


def test_consultant_makes_todays_callback_from_my_tasks(page, live_server, sign_in, shot, store, known_users, trim):  # noqa: F811
    """A delivery puts the same-day callback on the consultant's "My tasks"; opened from there and
    recorded, it leaves the list."""
    from complaints.models import Callback

    users = known_users
    order = deliver_order(store, users, trim)
    callback = Callback.objects.get(order=order, kind=Callback.Kind.SAME_DAY)
    sign_in(page, users.consultant.username)
    page.goto(f"{live_server.url}{reverse('leads:my_tasks')}")
    row = page.locator(f"#provided-callback-{callback.pk}")
    expect(row).to_be_visible()
    expect(row).to_contain_text(order.customer.name)
    shot(page, "my-tasks-callback")
    with page.expect_navigation():
        row.locator("a").click()
    page.check("#id_reached_0")
    page.fill("#id_result", "客户用车正常，对交车很满意")
    shot(page, "callback-form")
    with page.expect_navigation():
        page.click("#callback-save")
    expect(page.locator(".alert-success")).to_be_visible()
    page.goto(f"{live_server.url}{reverse('leads:my_tasks')}")
    expect(page.locator(f"#provided-callback-{callback.pk}")).to_have_count(0)
    shot(page, "my-tasks-done")
    callback.refresh_from_db()
    assert callback.done_by == users.consultant and callback.reached is True
