"""Audit log pages (filters, readable changes) and the system status page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import AuditLog, SchedulerHeartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def url(name, *args):
    return reverse(f"accounts:{name}", args=args)


@pytest.fixture
def entries(users, other_users, store, other_store):
    """Entries in both stores, by different people, on different days."""
    a1 = services.audit_record(actor=users.admin, action="store.update", obj=store, changes={"name": ["旧", "新"]})
    a2 = services.audit_record(
        actor=users.sales_manager, action="team.set_members", store=store, changes={"members": [["a"], ["a", "b"]]}
    )
    a3 = services.audit_record(actor=users.admin, action="holiday.add_range", obj=store, changes={"added": 7})
    b1 = services.audit_record(actor=other_users.admin, action="store.update", obj=other_store)
    AuditLog.objects.filter(pk=a3.pk).update(created_at=timezone.now() - dt.timedelta(days=10))
    return {"a1": a1, "a2": a2, "a3": a3, "b1": b1}


@pytest.mark.parametrize("role", ["admin", "gm"])
def test_admin_and_gm_read_the_audit_log(users, entries, client_for, role):
    client = client_for(users[role])
    response = client.get(url("audit_list"))
    assert response.status_code == 200
    assert set(response.context["entries"]) == {entries["a1"], entries["a2"], entries["a3"]}
    assert client.get(url("audit_detail", entries["a1"].pk)).status_code == 200


@pytest.mark.parametrize("role", ["consultant", "sales_manager", "reception"])
def test_other_roles_get_403(users, entries, client_for, role):
    client = client_for(users[role])
    assert client.get(url("audit_list")).status_code == 403
    assert client.get(url("audit_detail", entries["a1"].pk)).status_code == 403


def test_other_store_gets_404_on_this_stores_entries(other_users, entries, client_for):
    client = client_for(other_users.gm)
    assert client.get(url("audit_detail", entries["a1"].pk)).status_code == 404
    assert list(client.get(url("audit_list")).context["entries"]) == [entries["b1"]]


def test_filters(users, entries, store, client_for):
    client = client_for(users.admin)

    def listed(**params):
        return set(client.get(url("audit_list"), params).context["entries"])

    assert listed(action="store.update") == {entries["a1"]}
    assert listed(actor=users.sales_manager.pk) == {entries["a2"]}
    assert listed(object_type="accounts.store") == {entries["a1"], entries["a3"]}
    assert listed(store=store.pk) == {entries["a1"], entries["a2"], entries["a3"]}
    today = timezone.localdate()
    assert listed(date_from=today.isoformat()) == {entries["a1"], entries["a2"]}
    assert listed(date_to=(today - dt.timedelta(days=5)).isoformat()) == {entries["a3"]}


def test_filter_choices_come_from_what_the_viewer_may_see(users, entries, other_store, client_for):
    form = client_for(users.admin).get(url("audit_list")).context["filter"].form
    assert {v for v, _ in form.fields["action"].choices} == {
        "",
        "store.update",
        "team.set_members",
        "holiday.add_range",
    }
    assert other_store not in form.fields["store"].queryset
    # a store the viewer may not read is not a valid choice: the filter refuses it instead of leaking
    response = client_for(users.admin).get(url("audit_list"), {"store": other_store.pk})
    assert response.context["filter"].errors
    assert entries["b1"] not in response.context["entries"]


def test_detail_shows_changes_as_a_table(users, entries, client_for):
    response = client_for(users.admin).get(url("audit_detail", entries["a2"].pk))
    rows = response.context["change_rows"]
    assert rows == [{"field": "members", "old": "a", "new": "a, b", "is_diff": True}]
    html = response.content.decode()
    assert 'id="changes-table"' in html and "a, b" in html

    rows = client_for(users.admin).get(url("audit_detail", entries["a3"].pk)).context["change_rows"]
    assert rows == [{"field": "added", "old": None, "new": "7", "is_diff": False}]


def test_pages_write_audit_entries_visible_in_the_log(users, store, client_for):
    client = client_for(users.admin)
    client.post(
        url("holiday_add", store.pk),
        {"holiday-date": "2027-05-01", "holiday-name": "劳动节", "holiday-kind": "closed"},
    )
    client.post(
        url("user_create"),
        {
            "username": "newbie",
            "full_name": "新人",
            "language": "zh-hans",
            "password1": "Qiche-2027-haoyun",
            "password2": "Qiche-2027-haoyun",
            "store": str(store.pk),
            "role": "reception",
        },
    )
    actions = {e.action for e in client.get(url("audit_list")).context["entries"]}
    assert {"holiday.add", "user.create", "membership.grant"} <= actions


# --- system status ------------------------------------------------------------------------


def test_system_status_for_admin_only(users, client_for):
    assert client_for(users.admin).get(url("system_status")).status_code == 200
    for role in ("consultant", "gm"):
        assert client_for(users[role]).get(url("system_status")).status_code == 403


def test_missing_heartbeat_warns(users, client_for):
    response = client_for(users.admin).get(url("system_status"))
    assert response.context["scheduler_running"] is False
    assert b'id="scheduler-warning"' in response.content


def test_fresh_heartbeat_is_fine_and_stale_one_warns(users, client_for):
    services.scheduler_heartbeat_record()
    response = client_for(users.admin).get(url("system_status"))
    assert response.context["scheduler_running"] is True
    assert b'id="scheduler-warning"' not in response.content
    SchedulerHeartbeat.objects.update(last_run_at=timezone.now() - dt.timedelta(minutes=6))
    response = client_for(users.admin).get(url("system_status"))
    assert response.context["scheduler_running"] is False
    assert b'id="scheduler-warning"' in response.content


def test_counts_engine_and_broker_without_secrets(users, store, client_for, settings):
    settings.CELERY_BROKER_URL = "redis://:s3cret-pass@redis.internal:6379/0"
    response = client_for(users.admin).get(url("system_status"))
    ctx = response.context
    assert (ctx["store_count"], ctx["active_store_count"]) == (1, 1)
    assert ctx["user_count"] == len(users)
    assert ctx["database_engine"] in {"sqlite3", "postgresql"}
    assert ctx["broker"] == "redis"
    html = response.content.decode()
    assert "s3cret" not in html and "redis.internal" not in html
