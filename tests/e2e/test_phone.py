"""At phone width (390×844) pages fit the screen and the menu hides behind the toggler."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, landing_path

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield context.new_page()
    context.close()


def assert_no_horizontal_scroll(page):
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: content {widths[0]}px wide, screen {widths[1]}px"


@pytest.mark.parametrize("role", ["consultant", "admin", "gm"])
def test_phone_menu_behind_the_toggler(phone, live_server, known_users, sign_in, shot, role):
    page = phone
    page.goto(f"{live_server.url}{reverse('accounts:login')}")
    assert_no_horizontal_scroll(page)
    shot(page, "login")

    sign_in(page, f"a_{role}")
    assert page.url == f"{live_server.url}{landing_path(role)}"
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    expect(page.locator("#main-nav")).to_be_hidden()
    assert_no_horizontal_scroll(page)
    shot(page, "landing")

    toggler.click()
    sidebar = page.locator("#sidebar")
    expect(sidebar).to_have_class(re.compile(r"\bshow\b"))
    expect(page.locator('#main-nav a[data-nav="workbench"]')).to_be_visible()
    shot(page, "menu-open")

    # A menu entry works from the open menu.
    with page.expect_navigation():
        page.locator('#main-nav a[data-nav="workbench"]').click()
    assert page.url == f"{live_server.url}{reverse('accounts:workbench')}"
    expect(page.locator("#main-nav")).to_be_hidden()
    assert_no_horizontal_scroll(page)

    # The pages every role has: notifications, and the user menu with its language switch.
    page.goto(f"{live_server.url}{reverse('accounts:notification_list')}")
    assert_no_horizontal_scroll(page)
    page.click("#user-menu")
    expect(page.locator("#lang-switch")).to_be_visible()
    expect(page.locator("#logout")).to_be_visible()
    assert_no_horizontal_scroll(page)
    shot(page, "user-menu")


def test_phone_admin_pages_fit(phone, live_server, known_users, sign_in, shot):
    page = phone
    sign_in(page, "a_admin")
    for name in ("store_list", "user_list", "user_create", "role_list", "audit_list", "system_status"):
        page.goto(f"{live_server.url}{reverse(f'accounts:{name}')}")
        shot(page, name)
        assert_no_horizontal_scroll(page)
