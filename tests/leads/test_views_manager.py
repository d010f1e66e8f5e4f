"""The supervisors' and managers' lead pages: list and bulk actions, export, approvals, reopening,
merge, follow-up comments, the shared pool and the lead settings."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Notification, Team
from leads import services
from leads.models import (
    Appointment,
    Customer,
    FollowUp,
    FollowUpComment,
    Lead,
    LeadEvent,
    LeadStatus,
    LostReason,
    LostRequest,
    Source,
    Task,
)
from leads.selectors import lead_settings
from tests.factories import make_member

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


# --- helpers and fixtures ------------------------------------------------------------------


def new_lead(store, owner, name="张三", phone="13800000001", purchase_time="15d", source="walk_in") -> Lead:
    _customer, lead = services.customer_with_lead_create(
        actor=owner,
        store=store,
        customer_data={"name": name, "phone": phone},
        lead_data={"source": Source.objects.get(code=source), "purchase_time": purchase_time},
        owner=owner,
    )
    return lead


def log_follow_up(lead, author, content="电话沟通，客户想周末来看车", grade=None):
    return services.followup_log(
        actor=author, lead=lead, channel="phone", content=content, result=FollowUp.Result.CONTACTED, grade=grade
    )


def request_lost(lead, consultant, code="price", **extra):
    return services.lost_request_create(
        actor=consultant, lead=lead, kind="lost", reason=LostReason.objects.get(code=code), **extra
    )


def make_lost(lead, consultant, manager):
    services.lost_request_approve(actor=manager, request=request_lost(lead, consultant), comment="同意")
    lead.refresh_from_db()
    return lead


@pytest.fixture
def team(store, users):
    """The supervisor's team: the supervisor and ``users.consultant``."""
    team = Team.objects.create(store=store, name="一组", supervisor=users.sales_supervisor)
    team.members.add(users.consultant)
    return team


@pytest.fixture
def outside_consultant(store):
    """A consultant of the same store who is not in the supervisor's team."""
    return make_member(store, "consultant", username="a_consultant_outside")


@pytest.fixture
def team_lead(store, users, team):
    return new_lead(store, users.consultant, "王五", "13800000011")


@pytest.fixture
def outside_lead(store, outside_consultant):
    return new_lead(store, outside_consultant, "赵六", "13800000022")


def html(response) -> str:
    return response.content.decode()


# --- access per page ---------------------------------------------------------------------------

PAGES = {
    # url name: (roles that open it, roles refused)
    "leads:lead_list": (["sales_manager", "sales_supervisor"], ["consultant", "reception", "cs_agent"]),
    "leads:approvals": (["sales_manager", "sales_supervisor", "gm"], ["consultant", "reception"]),
    "leads:merge_suggestions": (["sales_manager"], ["sales_supervisor", "consultant"]),
    "leads:followup_list": (["sales_manager", "sales_supervisor", "gm"], ["consultant", "dcc_agent"]),
    "leads:pool": (["consultant", "sales_supervisor", "dcc_agent"], ["reception", "cs_agent"]),
    "leads:settings": (["sales_manager", "admin"], ["sales_supervisor", "consultant"]),
    # Sources and reasons are shared by every store: only administrators edit them.
    "leads:settings_sources": (["admin"], ["sales_manager", "consultant"]),
    "leads:settings_reasons": (["admin"], ["sales_manager", "consultant"]),
}


@pytest.mark.parametrize("url_name", PAGES)
def test_each_page_opens_for_its_roles_and_refuses_the_others(url_name, users, team, client_for):
    allowed, refused = PAGES[url_name]
    for role in allowed:
        response = client_for(users[role]).get(reverse(url_name))
        assert response.status_code == 200, (role, url_name, response.status_code)
    for role in refused:
        assert client_for(users[role]).get(reverse(url_name)).status_code == 403, (role, url_name)


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("leads:lead_list"))
    assert response.status_code == 302 and "/login/" in response.url


def test_objects_of_another_store_are_404(store, users, other_users, team_lead, client_for):
    manager_b = client_for(other_users.sales_manager)
    lost = make_lost(new_lead(store, users.consultant, "李四", "13800000033"), users.consultant, users.sales_manager)
    request = request_lost(team_lead, users.consultant)
    fu = log_follow_up(new_lead(store, users.consultant, "周七", "13800000044"), users.consultant)
    Lead.objects.filter(pk=team_lead.pk).update(in_pool_since=timezone.now())
    a, b = Customer.objects.filter(store=store)[:2]

    assert manager_b.get(reverse("leads:lead_reopen", args=[lost.pk])).status_code == 404
    assert manager_b.post(reverse("leads:lead_reopen", args=[lost.pk]), {"reason": "x"}).status_code == 404
    assert manager_b.post(reverse("leads:approval_decide", args=[request.pk]), {}).status_code == 404
    assert manager_b.post(reverse("leads:followup_comment", args=[fu.pk]), {}).status_code == 404
    assert client_for(other_users.consultant).post(reverse("leads:pool_claim", args=[team_lead.pk])).status_code == 404
    assert manager_b.get(reverse("leads:merge_pick") + f"?ids={a.pk},{b.pk}").status_code == 404
    # And their lists do not show store A's records.
    assert "王五" not in html(manager_b.get(reverse("leads:lead_list")))
    assert "王五" not in html(client_for(other_users.consultant).get(reverse("leads:pool")))
    request.refresh_from_db()
    assert request.status == LostRequest.Status.PENDING


# --- lead list -----------------------------------------------------------------------------------


def test_supervisor_sees_the_team_and_manager_the_store(users, team_lead, outside_lead, client_for):
    supervisor_page = html(client_for(users.sales_supervisor).get(reverse("leads:lead_list")))
    assert f'id="lead-{team_lead.pk}"' in supervisor_page
    assert f'id="lead-{outside_lead.pk}"' not in supervisor_page
    manager_page = html(client_for(users.sales_manager).get(reverse("leads:lead_list")))
    assert f'id="lead-{team_lead.pk}"' in manager_page and f'id="lead-{outside_lead.pk}"' in manager_page
    assert 'id="lead-table"' in manager_page and 'id="bulk-reassign"' in manager_page
    # Phones are masked for a manager who is not the owner.
    assert "138****0011" in manager_page and "13800000011" not in manager_page


def test_filters_owner_grade_and_overdue_link(store, users, team_lead, outside_lead, outside_consultant, client_for):
    client = client_for(users.sales_manager)
    page = html(client.get(reverse("leads:lead_list"), {"owner": outside_consultant.pk}))
    assert f'id="lead-{outside_lead.pk}"' in page and f'id="lead-{team_lead.pk}"' not in page
    Lead.objects.filter(pk=team_lead.pk).update(next_follow_up_at=timezone.now() - dt.timedelta(days=3))
    # Notifications link to ?overdue=1: 1 must mean yes.
    page = html(client.get("/leads/list/?overdue=1"))
    assert f'id="lead-{team_lead.pk}"' in page and f'id="lead-{outside_lead.pk}"' not in page
    # Grade counts come from one aggregate over open leads; each chip links to its grade.
    page = html(client.get(reverse("leads:lead_list")))
    assert 'id="grade-A"' in page


def test_list_pages_with_a_keyset_and_never_counts_the_whole_store(store, users, client_for):
    for i in range(53):
        new_lead(store, users.consultant, f"客户{i:02d}", f"139{i:08d}")
    client = client_for(users.sales_manager)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(reverse("leads:lead_list"))
    page = html(first)
    assert page.count('class="form-check-input lead-check"') == 50
    # Counts whose main table is the lead table (sub-queries get an alias such as U0).
    lead_counts = [
        q["sql"]
        for q in queries.captured_queries
        if "COUNT(" in q["sql"] and re.search(r'FROM "leads_lead"(?! U)', q["sql"])
    ]
    assert lead_counts and all('"status" IN' in sql for sql in lead_counts), lead_counts
    next_url = first.context["next_url"]
    assert next_url
    more = client.get(reverse("leads:lead_list") + next_url, **HTMX)
    rows = html(more)
    assert "<html" not in rows and rows.count('class="form-check-input lead-check"') == 3
    assert 'id="load-more"' not in rows
    shown = {lead.pk for lead in first.context["rows"]} | {lead.pk for lead in more.context["rows"]}
    assert shown == set(Lead.objects.values_list("pk", flat=True))


def test_bulk_reassign_moves_leads_with_history_and_tells_both_sides(
    store, users, team_lead, outside_lead, outside_consultant, client_for
):
    response = client_for(users.sales_manager).post(
        reverse("leads:lead_bulk_reassign") + "?grade=A",
        {"leads": [team_lead.pk, outside_lead.pk], "to_user": users.sales_supervisor.pk, "reason": "顾问离职"},
    )
    assert response.status_code == 302 and response.url.endswith("/leads/list/?grade=A")
    for lead in (team_lead, outside_lead):
        lead.refresh_from_db()
        assert lead.owner == users.sales_supervisor
        event = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.REASSIGNED)
        assert event.note == "顾问离职"
    assert Notification.objects.filter(recipient=users.sales_supervisor, title__contains="2").exists()
    assert Notification.objects.filter(recipient=users.consultant).exists()
    assert Notification.objects.filter(recipient=outside_consultant).exists()


def test_bulk_reassign_without_reason_keeps_the_input(users, team_lead, client_for):
    response = client_for(users.sales_manager).post(
        reverse("leads:lead_bulk_reassign"), {"leads": [team_lead.pk], "to_user": users.sales_supervisor.pk}
    )
    assert response.status_code == 200
    page = html(response)
    assert f'value="{team_lead.pk}" form="bulk-form" id="check-{team_lead.pk}" aria-label="王五" checked' in page
    assert "invalid-feedback" in page
    team_lead.refresh_from_db()
    assert team_lead.owner == users.consultant


def test_supervisor_cannot_reassign_outside_the_team(
    users, team, team_lead, outside_lead, outside_consultant, client_for
):
    client = client_for(users.sales_supervisor)
    # A lead of another team: refused, nothing moves.
    response = client.post(
        reverse("leads:lead_bulk_reassign"),
        {"leads": [outside_lead.pk], "to_user": users.consultant.pk, "reason": "调整"},
    )
    assert response.status_code == 200 and 'id="leads-error"' in html(response)
    outside_lead.refresh_from_db()
    assert outside_lead.owner == outside_consultant
    # Nor may a team lead go to someone outside the team.
    response = client.post(
        reverse("leads:lead_bulk_reassign"),
        {"leads": [team_lead.pk], "to_user": outside_consultant.pk, "reason": "调整"},
    )
    assert response.status_code == 200
    team_lead.refresh_from_db()
    assert team_lead.owner == users.consultant
    # Within the team it works.
    response = client.post(
        reverse("leads:lead_bulk_reassign"),
        {"leads": [team_lead.pk], "to_user": users.sales_supervisor.pk, "reason": "主管接手"},
    )
    assert response.status_code == 302
    team_lead.refresh_from_db()
    assert team_lead.owner == users.sales_supervisor


def test_fleet_and_dcc_bulk_actions(users, team_lead, outside_lead, client_for):
    manager = client_for(users.sales_manager)
    response = manager.post(reverse("leads:lead_bulk_fleet"), {"leads": [team_lead.pk], "company_name": "某某物流"})
    assert response.status_code == 302
    team_lead.refresh_from_db()
    assert team_lead.is_fleet and team_lead.customer.is_fleet and team_lead.customer.company_name == "某某物流"
    response = manager.post(reverse("leads:lead_bulk_dcc"), {"leads": [team_lead.pk, outside_lead.pk], "note": "OB"})
    assert response.status_code == 302
    assert Lead.objects.filter(pk__in=[team_lead.pk, outside_lead.pk], with_dcc=True).count() == 2
    # A supervisor may hand to the DCC but not upgrade to fleet.
    supervisor = client_for(users.sales_supervisor)
    assert supervisor.post(reverse("leads:lead_bulk_fleet"), {"leads": [team_lead.pk]}).status_code == 403
    page = html(supervisor.get(reverse("leads:lead_list")))
    assert 'id="bulk-dcc"' in page and 'id="bulk-fleet"' not in page


# --- export --------------------------------------------------------------------------------------


def read_xlsx(response):
    content = b"".join(response.streaming_content)
    book = openpyxl.load_workbook(io.BytesIO(content))
    return list(book.active.iter_rows(values_only=True))


def test_export_needs_the_per_user_grant(users, team_lead, client_for):
    client = client_for(users.sales_manager)
    assert 'id="export-xlsx"' not in html(client.get(reverse("leads:lead_list")))
    assert client.post(reverse("leads:lead_export")).status_code == 403
    # The grant alone is not enough: the list permission is needed too.
    users.consultant.can_export = True
    users.consultant.save()
    assert client_for(users.consultant).post(reverse("leads:lead_export")).status_code == 403
    assert not AuditLog.objects.filter(action="leads.export").exists()


def test_export_matches_the_filtered_list_masks_phones_and_is_audited(
    store, users, team_lead, outside_lead, client_for
):
    new_lead(store, users.consultant, "=HYPERLINK(1)", "13800000055", purchase_time="7d")
    users.sales_manager.can_export = True
    users.sales_manager.save()
    client = client_for(users.sales_manager)
    assert 'id="export-xlsx"' in html(client.get(reverse("leads:lead_list")))

    response = client.post(reverse("leads:lead_export") + "?grade=A&open=1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert ".xlsx" in response["Content-Disposition"]
    rows = read_xlsx(response)
    header, data = rows[0], rows[1:]
    assert header[1] == str(Lead._meta.get_field("customer").verbose_name)
    on_screen = client.get(reverse("leads:lead_list"), {"grade": "A", "open": "1"}).context["rows"]
    assert [row[0] for row in data] == [lead.pk for lead in on_screen]
    assert {row[1] for row in data} == {"王五", "赵六"}
    assert {row[2] for row in data} == {"138****0011", "138****0022"}
    created = data[0][9]
    assert isinstance(created, dt.datetime) and created.tzinfo is None
    lead = Lead.objects.get(pk=data[0][0])
    assert created.replace(microsecond=0) == timezone.localtime(lead.created_at).replace(tzinfo=None, microsecond=0)
    entry = AuditLog.objects.get(action="leads.export")
    assert entry.actor == users.sales_manager and entry.changes["rows"] == 2
    assert entry.changes["filters"] == {"grade": "A", "open": "true"}

    # A formula-looking name stays text; a user allowed full numbers gets them.
    users.sales_manager.can_see_full_phone = True
    users.sales_manager.save()
    rows = read_xlsx(client_for(users.sales_manager).post(reverse("leads:lead_export") + "?grade=H"))
    assert rows[1][1] == "=HYPERLINK(1)" and rows[1][2] == "13800000055"


# --- approvals and reopening -------------------------------------------------------------------------


def test_manager_approves_a_lost_request(users, team_lead, client_for):
    request = request_lost(team_lead, users.consultant, code="other_brand", competitor_brand="丰田")
    client = client_for(users.sales_manager)
    page = html(client.get(reverse("leads:approvals")))
    assert f'id="approve-{request.pk}"' in page and f'id="reject-{request.pk}"' in page
    assert "丰田" in page and f"/leads/customers/{team_lead.customer_id}/" in page

    response = client.post(
        reverse("leads:approval_decide", args=[request.pk]), {f"r{request.pk}-decision": "approve"}, **HTMX
    )
    assert response.status_code == 200 and f'id="request-{request.pk}"' in html(response)
    team_lead.refresh_from_db()
    request.refresh_from_db()
    assert team_lead.status == LeadStatus.LOST and request.decided_by == users.sales_manager
    assert request.decision_time is not None

    decided = client.get(reverse("leads:approvals"), {"tab": "decided"})
    assert f'id="decided-{request.pk}"' in html(decided)
    assert f'id="reopen-{team_lead.pk}"' in html(decided)


def test_reject_needs_a_comment_and_sends_the_lead_back_with_a_task(users, team_lead, client_for):
    log_follow_up(team_lead, users.consultant)
    request = request_lost(team_lead, users.consultant)
    client = client_for(users.sales_supervisor)
    url = reverse("leads:approval_decide", args=[request.pk])
    response = client.post(url, {f"r{request.pk}-decision": "reject", f"r{request.pk}-comment": ""})
    assert response.status_code == 200 and "invalid-feedback" in html(response)
    team_lead.refresh_from_db()
    assert team_lead.status == LeadStatus.LOST_REQUESTED

    response = client.post(url, {f"r{request.pk}-decision": "reject", f"r{request.pk}-comment": "再跟一次"})
    assert response.status_code == 302
    team_lead.refresh_from_db()
    assert team_lead.status == LeadStatus.FOLLOWING
    task = Task.objects.get(lead=team_lead, kind=Task.Kind.LOST_REJECTED)
    assert task.assignee == users.consultant and task.status == Task.Status.OPEN
    # Deciding twice says so instead of failing.
    response = client.post(url, {f"r{request.pk}-decision": "approve"}, follow=True)
    assert response.status_code == 200


def test_supervisor_cannot_decide_for_another_team(users, team, outside_lead, outside_consultant, client_for):
    request = request_lost(outside_lead, outside_consultant)
    client = client_for(users.sales_supervisor)
    assert f'id="approve-{request.pk}"' not in html(client.get(reverse("leads:approvals")))
    response = client.post(reverse("leads:approval_decide", args=[request.pk]), {f"r{request.pk}-decision": "approve"})
    assert response.status_code == 404


def test_reopen_a_lost_lead_from_the_lost_list(users, team_lead, client_for):
    make_lost(team_lead, users.consultant, users.sales_manager)
    client = client_for(users.sales_manager)
    page = html(client.get(reverse("leads:lead_list"), {"status": "lost"}))
    assert f'id="reopen-{team_lead.pk}"' in page and 'id="reopen-hint"' in page
    url = reverse("leads:lead_reopen", args=[team_lead.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"to_user": users.sales_supervisor.pk, "reason": "客户重新询价"})
    assert response.status_code == 302
    team_lead.refresh_from_db()
    assert team_lead.status == LeadStatus.FOLLOWING and team_lead.owner == users.sales_supervisor
    assert Task.objects.filter(lead=team_lead, assignee=users.sales_supervisor, status="open").exists()
    # Reopening an open lead is refused with the service's message, on the form.
    response = client.post(url, {"to_user": users.sales_supervisor.pk, "reason": "again"})
    assert response.status_code == 200 and 'id="form-errors"' in html(response)


# --- merge -------------------------------------------------------------------------------------------


def test_merge_moves_everything_and_keeps_the_absorbed_as_merged(store, users, client_for):
    keep = new_lead(store, users.consultant, "陈一", "13811112222")
    gone = new_lead(store, users.consultant, "陈一", "13811112223")
    log_follow_up(gone, users.consultant)
    appointment = services.appointment_create(
        actor=users.consultant,
        lead=gone,
        scheduled_at=timezone.now() + dt.timedelta(days=1),
        receiver=users.consultant,
    )
    Customer.objects.filter(pk=gone.customer_id).update(wechat="chen_yi")
    client = client_for(users.sales_manager)
    page = html(client.get(reverse("leads:merge_suggestions")))
    assert (
        f"?ids={keep.customer_id},{gone.customer_id}" in page or f"?ids={gone.customer_id},{keep.customer_id}" in page
    )

    url = reverse("leads:merge_pick") + f"?ids={keep.customer_id},{gone.customer_id}"
    page = html(client.get(url))
    assert 'id="merge-form"' in page and "chen_yi" in page
    data = {"survivor": keep.customer_id}
    data.update({f"value_{f}": keep.customer_id for f in services.MERGEABLE_FIELDS})
    data["value_wechat"] = gone.customer_id
    response = client.post(url, data)
    assert response.status_code == 302

    survivor = Customer.objects.get(pk=keep.customer_id)
    absorbed = Customer.objects.get(pk=gone.customer_id)
    assert absorbed.merged_into == survivor and survivor.wechat == "chen_yi"
    assert set(Lead.objects.filter(pk__in=[keep.pk, gone.pk]).values_list("customer_id", flat=True)) == {survivor.pk}
    gone.refresh_from_db()
    assert gone.status == LeadStatus.MERGED and gone.merged_into_id == keep.pk
    assert FollowUp.objects.filter(lead=keep).count() == 1
    assert Appointment.objects.get(pk=appointment.pk).lead_id == keep.pk
    assert not Task.objects.filter(lead=gone).exists() and Task.objects.filter(lead=keep).exists()
    assert AuditLog.objects.filter(action="customer.merge", actor=users.sales_manager).exists()
    # The merged lead is only a pointer now: the list leaves it out unless asked for.
    assert f'id="lead-{gone.pk}"' not in html(client.get(reverse("leads:lead_list")))
    assert f'id="lead-{gone.pk}"' in html(client.get(reverse("leads:lead_list"), {"status": "merged"}))


@pytest.mark.parametrize("blocker", ["fleet", "ordered"])
def test_merge_refuses_fleet_and_ordered_customers(store, users, client_for, blocker):
    a = new_lead(store, users.consultant, "刘二", "13822223333")
    b = new_lead(store, users.consultant, "刘二", "13822223334")
    if blocker == "fleet":
        Customer.objects.filter(pk=b.customer_id).update(is_fleet=True)
    else:
        Lead.objects.filter(pk=b.pk).update(status=LeadStatus.ORDERED)
    client = client_for(users.sales_manager, language="en")
    url = reverse("leads:merge_pick") + f"?ids={a.customer_id},{b.customer_id}"
    assert 'id="merge-blocked"' in html(client.get(url))
    data = {"survivor": a.customer_id, **{f"value_{f}": a.customer_id for f in services.MERGEABLE_FIELDS}}
    response = client.post(url, data)
    assert response.status_code == 200
    page = html(response)
    expected = "fleet customer and cannot be merged" if blocker == "fleet" else "has an order and cannot be merged"
    assert expected in page and 'id="merge-form"' in page
    assert not Customer.objects.filter(merged_into__isnull=False).exists()


def test_merge_search_and_bad_ids(store, users, client_for):
    new_lead(store, users.consultant, "孙八", "13833334444")
    client = client_for(users.sales_manager)
    assert "孙八" in html(client.get(reverse("leads:merge_suggestions"), {"q": "4444"}))
    assert client.get(reverse("leads:merge_pick") + "?ids=abc").status_code == 404
    assert client.get(reverse("leads:merge_pick") + "?ids=1").status_code == 302


# --- follow-up records ---------------------------------------------------------------------------------


def test_comment_on_a_follow_up_notifies_the_consultant(users, team_lead, outside_lead, outside_consultant, client_for):
    fu = log_follow_up(team_lead, users.consultant)
    other = log_follow_up(outside_lead, outside_consultant, content="别组的跟进")
    client = client_for(users.sales_supervisor)
    page = html(client.get(reverse("leads:followup_list"), {"author": users.consultant.pk}))
    assert f'id="followup-{fu.pk}"' in page and f'id="followup-{other.pk}"' not in page

    response = client.post(
        reverse("leads:followup_comment", args=[fu.pk]), {f"c{fu.pk}-body": "周末前再约一次试驾"}, **HTMX
    )
    assert response.status_code == 200 and "周末前再约一次试驾" in html(response)
    comment = FollowUpComment.objects.get(follow_up=fu)
    assert comment.author == users.sales_supervisor and comment.read_at is None
    assert Notification.objects.filter(recipient=users.consultant, body="周末前再约一次试驾").exists()
    # Empty comment: the form says so; another team's follow-up is out of reach.
    response = client.post(reverse("leads:followup_comment", args=[fu.pk]), {f"c{fu.pk}-body": ""})
    assert response.status_code == 200 and "invalid-feedback" in html(response)
    assert client.post(reverse("leads:followup_comment", args=[other.pk]), {"body": "x"}).status_code == 404
    # Read state is shown.
    services.followup_comments_mark_read(actor=users.consultant)
    page = html(client.get(reverse("leads:followup_list")))
    assert f'id="comment-{comment.pk}"' in page


# --- shared pool ---------------------------------------------------------------------------------------


def test_pool_claim_cap_and_double_claim(store, users, team, outside_consultant, client_for):
    first = new_lead(store, users.consultant, "池一", "13844440001")
    second = new_lead(store, users.consultant, "池二", "13844440002")
    Lead.objects.filter(pk__in=[first.pk, second.pk]).update(in_pool_since=timezone.now(), owner=None)
    settings = lead_settings(store)
    settings.pool_claim_daily_cap = 1
    settings.save()

    client = client_for(outside_consultant, language="en")
    page = html(client.get(reverse("leads:pool")))
    assert f'id="claim-{first.pk}"' in page and "138****0001" in page
    response = client.post(reverse("leads:pool_claim", args=[first.pk]), follow=True)
    first.refresh_from_db()
    assert first.owner == outside_consultant and first.in_pool_since is None
    assert 'id="cap-reached"' in html(response)
    response = client.post(reverse("leads:pool_claim", args=[second.pk]), follow=True)
    assert "the most allowed" in html(response)
    second.refresh_from_db()
    assert second.owner is None and second.in_pool_since is not None

    # Someone else is too late for the first one.
    response = client_for(users.consultant, language="en").post(
        reverse("leads:pool_claim", args=[first.pk]), follow=True
    )
    assert "Someone else has just claimed this lead." in html(response)
    first.refresh_from_db()
    assert first.owner == outside_consultant


# --- settings ----------------------------------------------------------------------------------------------


def test_settings_change_the_cadence_used_by_follow_ups(store, users, team_lead, client_for):
    client = client_for(users.sales_manager)
    data = {
        "cadence_h_days": 1,
        "cadence_a_days": 3,
        "cadence_b_days": 5,
        "cadence_c_days": 15,
        "overdue_alert_days": 3,
        "pool_return_days": 7,
        "pool_claim_daily_cap": 10,
        "ingest_assignment": "round_robin",
    }
    assert client.post(reverse("leads:settings"), {**data, "cadence_b_days": 0}).status_code == 200
    response = client.post(reverse("leads:settings"), data)
    assert response.status_code == 302
    assert lead_settings(store).cadence_b_days == 5
    assert AuditLog.objects.filter(action="leads.settings", store=store).exists()
    fu = log_follow_up(team_lead, users.consultant, grade="B")
    assert timezone.localtime(fu.next_follow_up_at).date() == timezone.localdate() + dt.timedelta(days=5)


def test_sources_add_rename_subchannel_and_deactivate(users, client_for):
    client = client_for(users.admin)
    online = Source.objects.get(code="online")
    response = client.post(
        reverse("leads:settings_source_create"),
        {
            "code": "xiaohongshu",
            "name": "小红书",
            "category": "online",
            "parent": online.pk,
            "sort_order": 60,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    source = Source.objects.get(code="xiaohongshu")
    assert source.parent == online and source.is_active
    url = reverse("leads:settings_source_edit", args=[source.pk])
    response = client.post(url, {"name": "小红书笔记", "category": "online", "parent": online.pk, "sort_order": 60})
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.name == "小红书笔记" and not source.is_active and source.code == "xiaohongshu"
    # A sub-channel cannot take a sub-channel as parent.
    response = client.post(
        reverse("leads:settings_source_create"),
        {"code": "deep", "name": "深层", "category": "online", "parent": source.pk, "sort_order": 1},
    )
    assert response.status_code == 200 and not Source.objects.filter(code="deep").exists()
    assert "小红书笔记" in html(client.get(reverse("leads:settings_sources")))
    assert AuditLog.objects.filter(action="leads.source.update").exists()


def test_reasons_add_and_rules(users, client_for):
    client = client_for(users.admin)
    response = client.post(
        reverse("leads:settings_reason_create"),
        {
            "kind": "lost",
            "code": "bought_used",
            "name": "买了二手车",
            "needs_competitor": "on",
            "sort_order": 5,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    reason = LostReason.objects.get(code="bought_used")
    assert reason.needs_competitor and reason.is_active
    response = client.post(
        reverse("leads:settings_reason_create"),
        {"kind": "invalid", "code": "robot", "name": "机器人", "needs_competitor": "on", "sort_order": 5},
    )
    assert response.status_code == 200 and not LostReason.objects.filter(code="robot").exists()
    response = client.post(
        reverse("leads:settings_reason_edit", args=[reason.pk]),
        {"name": "购买二手车", "sort_order": 5, "is_active": ""},
    )
    assert response.status_code == 302
    reason.refresh_from_db()
    assert reason.name == "购买二手车" and not reason.is_active and reason.kind == "lost"


# --- bad input is a message or a 404, never a 500 -----------------------------------------------------


def test_bad_input_never_fails_with_a_server_error(store, users, team_lead, client_for):
    client = client_for(users.sales_manager)
    for query in ("?after=garbage", "?after=n_x", "?owner=abc&grade=Z&status=nope", "?created_after=2025-13-45"):
        assert client.get(reverse("leads:lead_list") + query).status_code == 200, query
        assert client.get(reverse("leads:lead_list") + query, **HTMX).status_code == 200, query
    assert client.get(reverse("leads:followup_list") + "?after=1_2&author=x").status_code == 200
    assert client.get(reverse("leads:approvals") + "?page=99").status_code == 404
    response = client.post(reverse("leads:lead_bulk_reassign"), {"leads": ["abc", "999999"], "reason": "x"})
    assert response.status_code == 200 and 'id="leads-error"' in html(response)
    other = new_lead(store, users.consultant, "钱九", "13855556666")
    url = reverse("leads:merge_pick") + f"?ids={team_lead.customer_id},{other.customer_id}"
    assert client.post(url, {"survivor": "999999"}).status_code == 200
    assert client.post(reverse("leads:pool_claim", args=[team_lead.pk]), follow=True).status_code == 403
