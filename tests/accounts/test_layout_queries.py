"""The shared layout (menu, badges, store switcher, role names) reads the database a bounded number of
times on every page: the memberships once, each badge once, nothing per menu entry."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, Role
from accounts.permissions import ALL_ROLES
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def layout_queries(client) -> int:
    client.get(reverse("accounts:workbench"))  # the session and the language settle first
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("accounts:workbench")).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_roles_workbench_reads_the_database_a_bounded_number_of_times(client_for, users, role):
    # Session, user, memberships, their permissions, active stores, the current store, the unread
    # notifications and the latest ones (the bell): 8. Then one count per badge the role sees, and a
    # supervisor's team for their approvals badge: at most 14. Before the menu asked once per entry
    # (a DCC check each, the group twice, the role names and the store list again), a sales manager's
    # page read the database 25 times.
    assert layout_queries(client_for(users[role])) <= 14, role


def test_a_store_version_of_a_role_is_named_as_the_store_named_it(client_for, store):
    standard = Role.objects.get(store=None, code="consultant")
    own = Role.objects.create(store=store, code="consultant", name="销售顾问（本店）")
    own.permissions.set(standard.permissions.all())
    user = make_member(store, "reception")
    Membership.objects.create(user=user, store=store, role=own)
    html = client_for(user).get(reverse("accounts:workbench")).content.decode()
    assert "销售顾问（本店）" in html
