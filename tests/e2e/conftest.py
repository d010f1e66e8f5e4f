"""Browser tests: headless Debian Chromium against pytest-django's live server.

Every test here is marked ``e2e`` (run with ``pytest -m e2e tests/e2e -p no:xdist``). Screenshots
go to ``$TEST_ARTIFACTS_DIR`` (default ``test-artifacts/`` at the repository root) through ``shot``.
"""

import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connections
from django.urls import NoReverseMatch, reverse

from accounts import navigation
from accounts.models import Role
from tests.conftest import PASSWORD

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(os.environ.get("TEST_ARTIFACTS_DIR") or REPO_ROOT / "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def shot(artifacts_dir, request):
    """``shot(page, name)`` saves a full-page PNG named after the test and ``name``."""
    test_name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    counter = iter(range(1, 100))

    def take(page, name: str) -> Path:
        path = artifacts_dir / f"{test_name}--{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(scope="session", autouse=True)
def _serialized_db_contents(django_db_setup):
    """The seeded rows (roles, permissions, sources …) Django serialized when it built the test database.

    Taken before Playwright starts: see ``_serialized_rollback_under_playwright``.
    """
    return {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }


@pytest.fixture(scope="session", autouse=True)
def _serialized_rollback_under_playwright(_serialized_db_contents, playwright):
    """Make ``serialized_rollback`` work in browser tests.

    Playwright's sync API marks an event loop as running in the test thread; from then on asgiref's
    ``Local`` (which holds ``django.db.connections``) hands out new connection wrappers, which lack
    the serialized copy Django keeps on the wrappers it created the test database with. Without it
    each test after the first would start from an empty database (no roles, no permissions).
    """
    for alias, contents in _serialized_db_contents.items():
        if not hasattr(connections[alias], "_test_serialized_contents"):
            connections[alias]._test_serialized_contents = contents


@pytest.fixture(autouse=True)
def _e2e_database(transactional_db, django_db_serialized_rollback):
    """The live server needs a transactional database; its flush after each test also removes the
    rows the migrations seeded, so they are restored from the serialized copy before each test."""


@pytest.fixture
def known_users(users):
    """``a_<role>`` of store A for each of the ten roles, with full names, password ``PASSWORD``."""
    for role, user in users.items():
        user.full_name = f"{Role.objects.get(store=None, code=role).display_name}·甲"
        user.save(update_fields=["full_name"])
    return users


@pytest.fixture
def sign_in(live_server):
    def go(page, username: str, password: str = PASSWORD):
        page.goto(f"{live_server.url}{reverse('accounts:login')}")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.click("#login-submit")
        return page

    return go


def landing_path(role_code: str) -> str:
    """The page a role lands on: its role's own landing page, the one apps registered, else the workbench."""
    role = Role.objects.get(store=None, code=role_code)
    for url_name in (role.landing_url, navigation._landings.get(role_code), "accounts:workbench"):
        if url_name:
            try:
                return reverse(url_name)
            except NoReverseMatch:
                continue
    raise AssertionError("no landing page")


GROUP_ONLY_ITEMS = {"group", "group-dashboard"}


def expected_nav_keys(role_code: str) -> set[str]:
    """Menu items a store user with only this role may use (the dealer-group item needs a group role)."""
    perms = set(Role.objects.get(store=None, code=role_code).permissions.values_list("code", flat=True))
    # Items with a condition are judged on the role's permissions; the group items need a group role.
    request = SimpleNamespace(perms=frozenset(perms))
    return {
        key
        for key, item in navigation._items.items()
        if key not in GROUP_ONLY_ITEMS
        and (item.check is None or item.check(request))
        and (item.permission is None or item.permission in perms)
        and navigation._reversible(item.url_name)
    }
