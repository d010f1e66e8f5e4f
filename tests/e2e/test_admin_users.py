"""An administrator creates a user, gives them a role, and the new user signs in to that role's page."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Membership, User
from tests.e2e.conftest import expected_nav_keys, landing_path

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "Xiaoshou-2025!"


def test_admin_creates_a_user_and_gives_a_role(page, live_server, store, known_users, sign_in, shot):
    sign_in(page, "a_admin")
    response = page.goto(f"{live_server.url}/manage/users/new/")
    assert response.status == 200, "the user-creation page /manage/users/new/ is missing"
    shot(page, "new-user-form")

    page.fill("#id_username", "wang.fang")
    page.fill("#id_full_name", "王芳")
    page.locator("#id_password1, #id_password").first.fill(NEW_PASSWORD)
    if page.locator("#id_password2").count():
        page.fill("#id_password2", NEW_PASSWORD)
    submit = page.locator("#create-user")
    if not submit.count():
        submit = page.locator("#id_username").locator("xpath=ancestor::form").locator("button[type=submit], button")
    with page.expect_navigation():
        submit.first.click()
    shot(page, "user-created")

    user = User.objects.get(username="wang.fang")
    assert user.full_name == "王芳"
    assert user.check_password(NEW_PASSWORD)
    assert not user.memberships.exists()

    grant = page.locator("#grant-form") if page.locator("#grant-form").count() else page
    grant.locator("select[name=store]").select_option(str(store.pk))
    grant.locator("select[name=role]").select_option("consultant")
    with page.expect_navigation():
        page.click("#grant-role")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("main")).to_contain_text("王芳")
    shot(page, "role-given")
    membership = Membership.objects.get(user=user)
    assert (membership.store, membership.role.code) == (store, "consultant")

    # The new user signs in and lands on a consultant's page with a consultant's menu.
    page.click("#user-menu")
    with page.expect_navigation():
        page.click("#logout")
    sign_in(page, "wang.fang", NEW_PASSWORD)
    assert page.url == f"{live_server.url}{landing_path('consultant')}"
    keys = set(page.locator("#main-nav a[data-nav]").evaluate_all("links => links.map(a => a.dataset.nav)"))
    assert keys == expected_nav_keys("consultant")
    expect(page.locator("#user-menu")).to_contain_text("王芳")
    shot(page, "new-user-landing")


def test_admin_sees_only_own_store_users(page, live_server, known_users, other_users, sign_in, shot):
    sign_in(page, "a_admin")
    page.goto(f"{live_server.url}{reverse('accounts:user_list')}")
    expect(page.locator("main")).to_contain_text("a_consultant")
    expect(page.locator("main")).not_to_contain_text("b_consultant")
    shot(page, "user-list")
    assert re.search(r"/manage/users/\d+/", page.content())
