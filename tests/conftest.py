"""Fixtures shared by the whole suite: two stores of one group, a user per role in each."""

import os

# Playwright's sync API runs an event loop in the test thread; Django would refuse ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from django.test import Client

from accounts.permissions import ALL_ROLES
from tests.factories import DealerGroupFactory, StoreFactory, make_member

PASSWORD = "pass-12345"


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LANGUAGE_CODE = "zh-hans"
    # Hashing every fixture user's password with PBKDF2 would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A cache of its own per test: option lists kept for a minute must not outlive the test's rows
    # (and clearing a shared Redis would empty the broker's queues too).
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)}
    }


@pytest.fixture
def group(db):
    return DealerGroupFactory(code="testgroup", name="测试集团")


@pytest.fixture
def store(group):
    return StoreFactory(group=group, code="store-a", name="甲店")


@pytest.fixture
def other_store(group):
    """A second store of the same group: its users must never see the first store's records."""
    return StoreFactory(group=group, code="store-b", name="乙店")


class RoleUsers(dict):
    """role code → a user holding that role in the store (``users.consultant`` works too)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


@pytest.fixture
def users(store):
    return RoleUsers({role: make_member(store, role, username=f"a_{role}") for role in ALL_ROLES})


@pytest.fixture
def other_users(other_store):
    return RoleUsers({role: make_member(other_store, role, username=f"b_{role}") for role in ALL_ROLES})


def login(user, language: str | None = None) -> Client:
    """A client signed in as ``user``; ``language="en"`` for tests that read English messages."""
    if language is not None and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for():
    """``client_for(user)`` → a test client signed in as that user."""
    return login


def pytest_collection_modifyitems(config, items):
    """Every transactional test (threads, a live server, a real worker) restores the seeded data.

    Roles, permissions and sources are seeded by migrations: a transactional test's flush wipes
    them, and a flush without serialized rollback also re-creates content types that the next
    serialized test would load a second time. So all transactional tests roll back by
    serialization, whatever order the workers run them in.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker else {}
        fixtures = getattr(item, "fixturenames", ())
        transactional = kwargs.get("transaction") or "transactional_db" in fixtures or "live_server" in fixtures
        if transactional and not kwargs.get("serialized_rollback"):
            kwargs.update(transaction=True, serialized_rollback=True)
            item.add_marker(pytest.mark.django_db(*(marker.args if marker else ()), **kwargs))
