"""The audit log: who did what to which record, in which store, from which address and browser."""

import datetime as dt

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from accounts import services
from accounts.middleware import AuditContextMiddleware
from accounts.models import AuditLog, Team

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) DealerCRM-test"


def switch_to_english(client, **meta):
    return client.post(reverse("accounts:set_language"), {"language": "en", "next": "/workbench/"}, **meta)


def test_a_view_that_writes_records_actor_object_changes_address_and_browser(client_for, users):
    user = users.consultant
    response = switch_to_english(client_for(user), REMOTE_ADDR="10.20.30.40", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302

    entry = AuditLog.objects.get(action="user.update")
    assert entry.actor == user
    assert entry.object_type == "accounts.user"
    assert entry.object_id == str(user.pk)
    assert entry.object_repr == str(user)
    assert entry.changes == {"language": ["zh-hans", "en"]}
    assert entry.ip_address == "10.20.30.40"
    assert entry.user_agent == BROWSER


def test_a_view_that_writes_files_the_entry_under_the_current_store(client_for, store, users):
    """Store admins read the audit log of their store only: an entry without a store is seen by nobody."""
    switch_to_english(client_for(users.consultant))
    entry = AuditLog.objects.get(action="user.update")
    assert entry.store == store
    assert AuditLog.objects.visible_to(users.admin).filter(pk=entry.pk).exists()


def test_behind_a_trusted_proxy_the_forwarded_address_wins(client_for, users, settings):
    settings.TRUSTED_PROXIES = 1
    switch_to_english(client_for(users.consultant), REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert AuditLog.objects.get(action="user.update").ip_address == "203.0.113.7"


def test_behind_a_trusted_proxy_a_forged_forwarded_entry_is_ignored(client_for, users, settings):
    # The client wrote "1.2.3.4" itself; the one proxy appended the address it really saw.
    settings.TRUSTED_PROXIES = 1
    switch_to_english(client_for(users.consultant), REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert AuditLog.objects.get(action="user.update").ip_address == "203.0.113.7"


def test_without_a_proxy_the_forwarded_header_is_not_trusted(client_for, users, settings):
    settings.TRUSTED_PROXIES = 0
    switch_to_english(client_for(users.consultant), REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert AuditLog.objects.get(action="user.update").ip_address == "198.51.100.9"


def test_nothing_is_recorded_when_nothing_changes(client_for, users):
    users.consultant.language = "en"
    users.consultant.save()
    switch_to_english(client_for(users.consultant))
    assert not AuditLog.objects.filter(action="user.update").exists()


def _through_middleware(write, **meta):
    """Run ``write`` inside a request passing the audit middleware, as a view would."""
    request = RequestFactory().post("/anything/", **meta)
    AuditContextMiddleware(lambda req: HttpResponse(write()))(request)


def test_store_is_taken_from_the_object_or_given(store, other_store, users):
    team = Team.objects.create(store=store, name="一组")
    _through_middleware(
        lambda: services.audit_record(actor=users.admin, action="team.probe", obj=team, changes={"n": 1}),
        REMOTE_ADDR="192.0.2.1",
        HTTP_USER_AGENT="x" * 300,
    )
    entry = AuditLog.objects.get(action="team.probe")
    assert entry.store == store
    assert entry.object_type == "accounts.team" and entry.object_id == str(team.pk)
    assert entry.ip_address == "192.0.2.1"
    assert entry.user_agent == "x" * 200

    services.audit_record(actor=users.admin, action="store.probe", obj=other_store)
    assert AuditLog.objects.get(action="store.probe").store == other_store
    services.audit_record(actor=users.admin, action="explicit.probe", obj=users.gm, store=other_store)
    assert AuditLog.objects.get(action="explicit.probe").store == other_store


def test_outside_a_request_there_is_no_address(users):
    services.audit_record(actor=None, action="job.probe", changes={"when": dt.date(2025, 1, 2)})
    entry = AuditLog.objects.get(action="job.probe")
    assert entry.actor is None
    assert entry.ip_address is None and entry.user_agent == ""
    assert entry.changes == {"when": "2025-01-02"}


def test_context_does_not_leak_into_the_next_request(users):
    _through_middleware(lambda: "", REMOTE_ADDR="198.51.100.9")
    services.audit_record(actor=None, action="after.probe")
    assert AuditLog.objects.get(action="after.probe").ip_address is None


def test_store_scoped_reading(store, other_store, users, other_users):
    mine = services.audit_record(actor=users.admin, action="a", store=store)
    theirs = services.audit_record(actor=other_users.admin, action="b", store=other_store)
    visible = set(AuditLog.objects.visible_to(users.admin, "accounts.view_audit_log"))
    assert mine in visible and theirs not in visible
    assert not AuditLog.objects.visible_to(users.consultant, "accounts.view_audit_log").exists()


def test_update_with_audit_sees_changes_a_form_already_wrote_into_the_object(users):
    from accounts.services import update_with_audit

    user = users.consultant
    before = user.full_name
    user.full_name = "新名字"  # as a ModelForm does before the service runs
    changes = update_with_audit(actor=users.admin, obj=user, fields={"full_name": "新名字"}, action="user.update")
    assert changes == {"full_name": [before, "新名字"]}
    user.refresh_from_db()
    assert user.full_name == "新名字"
    entry = AuditLog.objects.get(action="user.update")
    assert entry.changes["full_name"][1] == "新名字" and entry.changes["full_name"][0] != "新名字"
