"""Each of the ten roles signs in through the form, lands on its page and sees exactly its menu."""

import re

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from accounts.forms import LoginForm
from accounts.permissions import ALL_ROLES
from tests.e2e.conftest import expected_nav_keys, landing_path

pytestmark = pytest.mark.e2e

ADMINISTRATION = {"admin-stores", "admin-users", "admin-teams", "admin-roles", "admin-audit", "admin-system"}


def menu_keys(page) -> set[str]:
    return set(page.locator("#main-nav a[data-nav]").evaluate_all("links => links.map(a => a.dataset.nav)"))


@pytest.mark.parametrize("role", ALL_ROLES)
def test_role_signs_in_lands_on_its_page_and_sees_its_menu(page, live_server, known_users, sign_in, shot, role):
    page.goto(f"{live_server.url}{reverse('accounts:login')}")
    shot(page, "login")
    sign_in(page, f"a_{role}")

    assert page.url == f"{live_server.url}{landing_path(role)}"
    expect(page.locator("#main-nav")).to_be_visible()
    expect(page.locator("#user-menu")).to_contain_text(known_users[role].full_name)
    keys = menu_keys(page)
    assert keys == expected_nav_keys(role)
    assert "workbench" in keys
    if role == "admin":
        assert keys >= ADMINISTRATION
    else:
        assert not {"admin-stores", "admin-users", "admin-roles", "admin-system"} & keys
    assert ("admin-audit" in keys) == (role in ("admin", "gm"))
    assert ("admin-teams" in keys) == (role in ("admin", "sales_manager"))
    shot(page, "landing")

    # Every menu entry opens (the menu never offers a page that would answer 403).
    for key in sorted(keys):
        link = page.locator(f'#main-nav a[data-nav="{key}"]')
        href = link.get_attribute("href")
        response = page.goto(f"{live_server.url}{href}")
        assert response.status == 200, f"{role}: {key} → {href} answered {response.status}"
        expect(page.locator(f'#main-nav a[data-nav="{key}"]')).to_have_class(re.compile(r"\bactive\b"))
        shot(page, f"menu-{key}")


def test_wrong_password_shows_the_error(page, live_server, known_users, sign_in, shot):
    sign_in(page, "a_consultant", "wrong-password")
    error = page.locator("#login-error")
    expect(error).to_be_visible()
    with translation.override("zh-hans"):
        message = str(LoginForm.error_messages["invalid_login"])
    expect(error).to_have_text(message)
    assert page.url.startswith(f"{live_server.url}{reverse('accounts:login')}")
    expect(page.locator("#main-nav")).to_have_count(0)
    shot(page, "wrong-password")


def test_switching_to_english_in_the_user_menu(page, live_server, known_users, sign_in, shot):
    sign_in(page, "a_gm")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.click("#user-menu")
    expect(page.locator("#lang-switch")).to_be_visible()
    shot(page, "user-menu")
    with page.expect_navigation():
        page.click("#lang-switch")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator('#main-nav a[data-nav="workbench"]')).to_have_text("My workbench")
    page.click("#user-menu")
    expect(page.locator("#logout")).to_have_text("Sign out")
    shot(page, "english")
    known_users.gm.refresh_from_db()
    assert known_users.gm.language == "en"

    # The choice survives signing out and in again (it is on the profile).
    with page.expect_navigation():
        page.click("#logout")
    sign_in(page, "a_gm")
    assert page.locator("html").get_attribute("lang") == "en"
