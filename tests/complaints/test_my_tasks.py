"""The consultant's callbacks on their "My tasks" page (leads), added through the leads app's task
registry: due today on the Today tab, earlier ones on Overdue, counted in the tabs and the menu badge,
linking to the callback page; the page's queries do not grow with the rows."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.models import Callback
from leads.selectors import provided_tasks

from .conftest import deliver_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(store, users, trim, django_capture_on_commit_callbacks):
    """A delivery by ``users.consultant`` with its callbacks scheduled (they are, once it commits)."""

    def make(name: str = "王先生"):
        with django_capture_on_commit_callbacks(execute=True):
            return deliver_order(store, users, trim, name=name)

    return make


def page(client, **params) -> str:
    response = client.get(reverse("leads:my_tasks"), params)
    assert response.status_code == 200
    return response.content.decode()


def tab_count(html: str, when: str) -> int:
    tab = html.split(f'data-when="{when}"')[1].split("</a>")[0]
    return int(re.search(r'class="badge[^"]*count">(\d+)</span>', tab).group(1))


def nav_badge(html: str) -> int | None:
    entry = html.split('data-nav="my-tasks"')[1].split("</a>")[0]
    found = re.search(r'<span class="badge text-bg-danger">(\d+)</span>', entry)
    return int(found.group(1)) if found else None


def test_callbacks_due_today_and_overdue_are_my_tasks(client_for, store, users, other_users, deliver):
    today = timezone.localdate()
    order = deliver()
    same_day = Callback.objects.get(order=order, kind=Callback.Kind.SAME_DAY)
    assert same_day.due_date == today and same_day.assignee == users.consultant
    late = Callback.objects.get(order=order, kind=Callback.Kind.DAY_3)
    Callback.objects.filter(pk=late.pk).update(due_date=today - dt.timedelta(days=2))
    client = client_for(users.consultant)

    html = page(client)
    assert f'id="provided-callback-{same_day.pk}"' in html
    assert reverse("complaints:callback", args=[same_day.pk]) in html
    assert f'id="provided-callback-{late.pk}"' not in html  # overdue: its own tab
    assert tab_count(html, "today") == 1 and tab_count(html, "overdue") == 1 and tab_count(html, "all") == 2
    assert nav_badge(html) == 2
    assert 'id="no-tasks"' not in html

    overdue = page(client, when="overdue")
    assert f'id="provided-callback-{late.pk}"' in overdue and f'id="provided-callback-{same_day.pk}"' not in overdue
    assert "list-group-item-danger" in overdue.split(f'id="provided-callback-{late.pk}"')[0].rsplit("<div", 1)[1]
    assert f'id="provided-callback-{same_day.pk}"' in page(client, when="")
    assert "provided-callback-" not in page(client, when="upcoming")

    # The satisfaction callback is customer service's, not the consultant's; another store sees nothing.
    satisfaction = Callback.objects.get(order=order, kind=Callback.Kind.SATISFACTION)
    Callback.objects.filter(pk=satisfaction.pk).update(due_date=today)
    assert f'id="provided-callback-{satisfaction.pk}"' not in page(client, when="")
    assert "provided-callback-" not in page(client_for(other_users.consultant), when="")

    # Recorded, it leaves the list and the counts.
    Callback.objects.filter(pk=same_day.pk).update(done_at=timezone.now(), reached=True, result="好")
    html = page(client)
    assert f'id="provided-callback-{same_day.pk}"' not in html and tab_count(html, "today") == 0
    assert 'id="no-tasks"' in html and nav_badge(html) == 1


def test_only_people_who_make_callbacks_get_them(store, users, deliver):
    order = deliver()
    today = timezone.localdate()
    rows = provided_tasks(users.consultant, store, today)
    assert [(row.kind, row.customer) for row in rows] == [("callback", order.customer.name)]
    # A sales manager owns leads but makes no callbacks (no callbacks.work): nothing provided.
    Callback.objects.filter(order=order).update(assignee=users.sales_manager)
    assert provided_tasks(users.sales_manager, store, today) == []


def test_my_tasks_queries_do_not_grow_with_callbacks(client_for, store, users, deliver):
    client = client_for(users.consultant)
    deliver("一号")
    page(client)  # the first request of a session also writes the session
    with CaptureQueriesContext(connection) as one:
        first = page(client, when="")
    for name in ("二号", "三号", "四号"):
        deliver(name)
    with CaptureQueriesContext(connection) as four:
        html = page(client, when="")
    assert first.count('data-kind="callback"') == 1 and html.count('data-kind="callback"') == 4
    assert len(four.captured_queries) == len(one.captured_queries), [q["sql"] for q in four.captured_queries]


def test_leads_never_imports_customer_service():
    """Layering: complaints imports leads (and registers its provider there), never the reverse."""
    from pathlib import Path

    import leads

    root = Path(leads.__file__).parent
    pattern = re.compile(r"^\s*(from|import)\s+complaints\b", re.MULTILINE)
    assert [str(p) for p in root.rglob("*.py") if pattern.search(p.read_text())] == []
