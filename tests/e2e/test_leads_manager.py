"""A sales manager in the browser: approves a lost request, merges two customers, reassigns a lead;
a supervisor comments on a follow-up and a consultant claims from the shared pool.

Browser, sign-in and screenshot fixtures come from tests/e2e/conftest.py; every screen is saved
with ``shot`` so a person can look at it.
"""

from __future__ import annotations

import re

import pytest

from accounts.models import Team
from leads import services
from leads.models import Customer, FollowUp, Lead, LeadEvent, LeadStatus, LostReason, Source
from tests.factories import make_member

pytestmark = pytest.mark.e2e


def new_lead(store, owner, name, phone) -> Lead:
    _customer, lead = services.customer_with_lead_create(
        actor=owner,
        store=store,
        customer_data={"name": name, "phone": phone},
        lead_data={"source": Source.objects.get(code="walk_in"), "purchase_time": "15d"},
        owner=owner,
    )
    return lead


@pytest.fixture
def scene(store, users):
    team = Team.objects.create(store=store, name="一组", supervisor=users.sales_supervisor)
    team.members.add(users.consultant)
    second = make_member(store, "consultant", username="a_consultant_2", full_name="李顾问")
    lost = new_lead(store, users.consultant, "王战败", "13900000001")
    services.followup_log(
        actor=users.consultant,
        lead=lost,
        channel="phone",
        content="客户说已经在别家订车",
        result=FollowUp.Result.CONTACTED,
    )
    request = services.lost_request_create(
        actor=users.consultant,
        lead=lost,
        kind="lost",
        reason=LostReason.objects.get(code="other_brand"),
        competitor_brand="丰田",
        competitor_model="凯美瑞",
        note="价格差一万",
    )
    keep = new_lead(store, users.consultant, "陈重复", "13911112222")
    gone = new_lead(store, second, "陈重复", "13911112223")
    Customer.objects.filter(pk=gone.customer_id).update(wechat="chen_dup")
    moving = new_lead(store, users.consultant, "赵换人", "13933334444")
    return {"request": request, "lost": lost, "keep": keep, "gone": gone, "moving": moving, "second": second}


def test_manager_approves_merges_and_reassigns(page, live_server, sign_in, users, scene, shot):
    manager = users.sales_manager
    sign_in(page, manager.username)

    # 1. Approve the lost request, with a comment, from the approvals queue (htmx swaps the card).
    request = scene["request"]
    page.goto(f"{live_server.url}/leads/approvals/")
    card = page.locator(f"#request-{request.pk}")
    card.wait_for()
    assert "丰田" in card.inner_text() and "价格差一万" in card.inner_text()
    shot(page, "approvals")
    card.locator("textarea").fill("同意，记得登记竞品")
    page.click(f"#approve-{request.pk}")
    page.locator(f"#decided-text-{request.pk}").wait_for()
    shot(page, "approved")
    lost = Lead.objects.get(pk=scene["lost"].pk)
    assert lost.status == LeadStatus.LOST
    page.click("#tab-decided")
    page.locator(f"#decided-{request.pk}").wait_for()
    shot(page, "decided_tab")

    # 2. Merge the two customers suggested as duplicates, keeping the WeChat id of the second.
    keep, gone = scene["keep"], scene["gone"]
    page.goto(f"{live_server.url}/leads/merge/")
    page.locator("#suggestions a[id^=merge-pair-]").first.click()
    page.locator("#merge-form").wait_for()
    page.check(f"#merge-row-value_wechat input[value='{gone.customer_id}']")
    page.check(f"#merge-table thead input[value='{keep.customer_id}']")
    shot(page, "merge_pick")
    page.click("#merge-submit")
    page.locator(".alert-success").wait_for()
    shot(page, "merged")
    survivor = Customer.objects.get(pk=keep.customer_id)
    assert Customer.objects.get(pk=gone.customer_id).merged_into_id == survivor.pk
    assert survivor.wechat == "chen_dup"
    assert Lead.objects.get(pk=gone.pk).customer_id == survivor.pk

    # 3. Reassign a lead from the lead list to the other consultant, with a reason.
    moving, second = scene["moving"], scene["second"]
    page.goto(f"{live_server.url}/leads/list/")
    page.locator("#lead-table").wait_for()
    page.check(f"#check-{moving.pk}")
    page.select_option("#id_to_user", str(second.pk))
    page.fill("#id_reason", "顾问休假，临时接手")
    shot(page, "lead_list_selected")
    page.click("#bulk-reassign")
    page.locator(".alert-success").wait_for()
    assert re.search(r"/leads/list/", page.url)
    moving.refresh_from_db()
    assert moving.owner_id == second.pk
    assert LeadEvent.objects.filter(lead=moving, kind=LeadEvent.Kind.REASSIGNED, note="顾问休假，临时接手").exists()
    shot(page, "reassigned")

    # The same list on a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/leads/list/")
    page.locator("#lead-table").wait_for()
    shot(page, "lead_list_phone")


def test_supervisor_comments_and_consultant_claims_from_the_pool(page, live_server, sign_in, store, users, shot):
    team = Team.objects.create(store=store, name="一组", supervisor=users.sales_supervisor)
    team.members.add(users.consultant)
    lead = new_lead(store, users.consultant, "钱跟进", "13955556666")
    fu = services.followup_log(
        actor=users.consultant, lead=lead, channel="wechat", content="发了报价单", result=FollowUp.Result.CONTACTED
    )
    pooled = new_lead(store, users.consultant, "孙公海", "13977778888")
    Lead.objects.filter(pk=pooled.pk).update(in_pool_since=pooled.created_at, owner=None)

    # The supervisor comments on the follow-up; htmx replaces the comment block in place.
    sign_in(page, users.sales_supervisor.username)
    page.goto(f"{live_server.url}/leads/followups/")
    page.fill(f"#comment-form-{fu.pk} textarea", "明天电话确认是否收到报价")
    page.click(f"#comment-{fu.pk}-submit")
    page.locator(f"#comments-{fu.pk} .alert-success").wait_for()
    assert "明天电话确认是否收到报价" in page.locator(f"#comments-{fu.pk}").inner_text()
    shot(page, "followup_comment")

    # A consultant claims the pooled lead.
    page.context.clear_cookies()
    sign_in(page, users.consultant.username)
    page.goto(f"{live_server.url}/leads/pool/")
    shot(page, "pool")
    page.click(f"#claim-{pooled.pk}")
    page.locator(".alert-success").wait_for()
    pooled.refresh_from_db()
    assert pooled.owner_id == users.consultant.pk and pooled.in_pool_since is None
