"""Distribution among agents on duty by skill and load; by hand; version 1 and version 2 stores."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from freezegun import freeze_time

from accounts.models import Membership, Role
from dcc import services
from dcc.models import AgentProfile, CallTask, DccSettings
from dcc.selectors import agent_profile, dcc_perms, has_dcc_perm, receivers_for
from tests.dcc.conftest import local, make_agent, new_lead, set_profile
from tests.factories import make_member

pytestmark = pytest.mark.django_db

NOW = local(dt.date(2027, 3, 10), 10)


def leads(store, n, source_code="purchased_list"):
    with freeze_time(NOW):
        return [new_lead(store, source_code=source_code) for _ in range(n)]


def build(store):
    with freeze_time(NOW):
        return services.call_lists_build(store=store, now=NOW)


def agents_of(store):
    return Counter(CallTask.objects.filter(store=store).values_list("agent__username", flat=True))


def test_round_robin_among_outbound_agents_on_duty(dcc_store, users):
    set_profile(dcc_store, users.dcc_agent, on_duty=False)
    make_agent(dcc_store, "ob1")
    make_agent(dcc_store, "ob2")
    make_agent(dcc_store, "ib_only", ib=True, ob=False)
    make_agent(dcc_store, "ob_off", on_duty=False)
    leads(dcc_store, 6)
    build(dcc_store)
    assert agents_of(dcc_store) == {"ob1": 3, "ob2": 3}


def test_round_robin_continues_where_it_stopped(dcc_store, users):
    set_profile(dcc_store, users.dcc_agent, on_duty=False)
    make_agent(dcc_store, "ob1")
    make_agent(dcc_store, "ob2")
    leads(dcc_store, 1)
    build(dcc_store)
    leads(dcc_store, 1)
    build(dcc_store)
    assert agents_of(dcc_store) == {"ob1": 1, "ob2": 1}


def test_by_load_fills_the_emptiest_list_first(dcc_store, users):
    DccSettings.objects.filter(store=dcc_store).update(distribution=DccSettings.Distribution.BY_LOAD)
    set_profile(dcc_store, users.dcc_agent, on_duty=False)
    busy = make_agent(dcc_store, "busy")
    make_agent(dcc_store, "idle")
    for lead in leads(dcc_store, 3, "outreach"):
        services.call_task_add(actor=users.dcc_manager, lead=lead, agent=busy)
    leads(dcc_store, 5)
    build(dcc_store)
    # busy had 3; the 5 new ones go 4 to idle and 1 to busy (4 each).
    assert agents_of(dcc_store) == {"busy": 4, "idle": 4}


def test_new_online_leads_go_to_inbound_agents_first(dcc_store, users, django_capture_on_commit_callbacks):
    ib = make_agent(dcc_store, "inbound", ib=True, ob=False)
    with freeze_time(NOW), django_capture_on_commit_callbacks(execute=True):
        online = new_lead(dcc_store, source_code="autohome")
        listed = new_lead(dcc_store, source_code="purchased_list")
    assert CallTask.objects.get(lead=online).agent == ib
    assert CallTask.objects.get(lead=listed).agent == users.dcc_agent
    # With no inbound agent on duty, outbound agents take them.
    set_profile(dcc_store, ib, on_duty=False)
    with freeze_time(NOW), django_capture_on_commit_callbacks(execute=True):
        later = new_lead(dcc_store, source_code="autohome")
    assert CallTask.objects.get(lead=later).agent == users.dcc_agent


def test_manual_mode_leaves_tasks_for_the_manager(dcc_store, users):
    DccSettings.objects.filter(store=dcc_store).update(distribution=DccSettings.Distribution.MANUAL)
    leads(dcc_store, 2)
    build(dcc_store)
    tasks = list(CallTask.objects.filter(store=dcc_store))
    assert [t.agent for t in tasks] == [None, None]
    other = make_agent(dcc_store, "picked")
    assert services.call_tasks_assign(actor=users.dcc_manager, store=dcc_store, tasks=tasks, agent=other) == 2
    assert agents_of(dcc_store) == {"picked": 2}


def test_nobody_on_duty_leaves_tasks_unassigned(dcc_store, users):
    set_profile(dcc_store, users.dcc_agent, on_duty=False)
    leads(dcc_store, 1)
    build(dcc_store)
    assert CallTask.objects.get(store=dcc_store).agent is None


def test_reassigning_needs_the_manager_and_an_agent_of_the_store(dcc_store, users, other_store, other_users):
    leads(dcc_store, 1)
    build(dcc_store)
    task = CallTask.objects.get(store=dcc_store)
    with pytest.raises(Exception, match="DCC manager"):
        services.call_tasks_assign(actor=users.dcc_agent, store=dcc_store, tasks=[task], agent=users.dcc_agent)
    with pytest.raises(Exception) as excinfo:
        services.call_tasks_assign(actor=users.dcc_manager, store=dcc_store, tasks=[task], agent=other_users.dcc_agent)
    assert "agent" in excinfo.value.message_dict


def test_agents_go_on_and_off_duty(dcc_store, users):
    profile = services.agent_set_duty(actor=users.dcc_agent, store=dcc_store, on_duty=False)
    assert profile.on_duty is False
    leads(dcc_store, 1)
    build(dcc_store)
    assert CallTask.objects.get(store=dcc_store).agent is None


# --- version 1 and version 2 -------------------------------------------------------------------------


def test_version_1_agents_start_with_outbound_only(dcc_store, users):
    profile = agent_profile(dcc_store, users.dcc_agent)
    assert profile.skills == ["OB"]
    assert not has_dcc_perm(users.sales_manager, dcc_store, "dcc.manage")
    assert users.dcc_agent not in receivers_for(dcc_store)


def test_version_2_one_person_does_all_three_and_the_sales_manager_runs_the_dcc(dcc_store, users):
    services.dcc_settings_update(actor=users.dcc_manager, store=dcc_store, version=2)
    assert agent_profile(dcc_store, users.dcc_agent).skills == ["IB", "OB", "direct"]
    newcomer = make_member(dcc_store, "dcc_agent", username="v2_newcomer")
    assert agent_profile(dcc_store, newcomer).skills == ["IB", "OB", "direct"]
    assert {"dcc.manage", "dcc.view_figures", "dcc.work_calls"} <= dcc_perms(users.sales_manager, dcc_store)
    assert not has_dcc_perm(users.consultant, dcc_store, "dcc.manage")
    # The agent may receive their own invitees (direct sales).
    assert users.dcc_agent in receivers_for(dcc_store)
    # The sales manager now does what the DCC manager does.
    leads(dcc_store, 1)
    services.dcc_settings_update(actor=users.sales_manager, store=dcc_store, distribution="manual")
    task = CallTask.objects.filter(store=dcc_store).first() or None
    build(dcc_store)
    task = CallTask.objects.get(store=dcc_store)
    assert task.agent is None
    services.call_tasks_assign(actor=users.sales_manager, store=dcc_store, tasks=[task], agent=users.dcc_agent)


def test_version_2_rights_do_not_reach_other_stores(dcc_store, users, other_store, other_users):
    services.dcc_settings_update(actor=users.dcc_manager, store=dcc_store, version=2)
    assert not has_dcc_perm(other_users.sales_manager, other_store, "dcc.manage")
    Membership.objects.create(
        user=users.sales_manager, store=other_store, role=Role.objects.get(store=None, code="consultant")
    )
    users.sales_manager.clear_grant_cache()
    assert not has_dcc_perm(users.sales_manager, other_store, "dcc.manage")


def test_skills_are_set_by_the_manager(dcc_store, users):
    profile = agent_profile(dcc_store, users.dcc_agent)
    services.agent_profile_update(
        actor=users.dcc_manager,
        profile=profile,
        skill_inbound=True,
        skill_outbound=False,
        skill_direct=True,
        on_duty=True,
    )
    profile.refresh_from_db()
    assert profile.skills == ["IB", "direct"]
    with pytest.raises(Exception) as excinfo:
        services.agent_profile_update(
            actor=users.dcc_manager,
            profile=profile,
            skill_inbound=False,
            skill_outbound=False,
            skill_direct=False,
            on_duty=True,
        )
    assert "skill_outbound" in excinfo.value.message_dict
    with pytest.raises(Exception, match="DCC manager"):
        services.agent_profile_update(
            actor=users.dcc_agent,
            profile=profile,
            skill_inbound=True,
            skill_outbound=True,
            skill_direct=True,
            on_duty=True,
        )
    assert AgentProfile.objects.get(pk=profile.pk).skills == ["IB", "direct"]
