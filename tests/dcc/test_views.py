"""The DCC pages: who opens what (wrong role 403, another store 404), forms keep their input and show
errors next to their fields, and the main actions work through the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dcc import services
from dcc.models import AgentProfile, Call, CallScript, CallTask, Campaign, DccSettings, MessageTemplate
from leads.models import Appointment, Source
from tests.dcc.conftest import make_agent, new_lead
from tests.leads.factories import make_lead, next_phone

pytestmark = pytest.mark.django_db

AGENT_PAGES = ["dcc:my_list", "dcc:inbound", "dcc:invitations"]
MANAGER_PAGES = [
    "dcc:queue",
    "dcc:task_list",
    "dcc:task_add",
    "dcc:campaign_list",
    "dcc:campaign_create",
    "dcc:agents",
    "dcc:script",
    "dcc:templates",
    "dcc:template_create",
    "dcc:settings",
]


@pytest.fixture
def task(dcc_store, users):
    lead = new_lead(dcc_store, source_code="autohome", name="刘洋")
    services.call_lists_build(store=dcc_store)
    return CallTask.objects.get(lead=lead)


def future_local(days=1, hour=11) -> str:
    day = timezone.localdate() + dt.timedelta(days=days)
    return f"{day:%Y-%m-%d}T{hour:02d}:00"


@pytest.mark.parametrize("name", AGENT_PAGES + MANAGER_PAGES + ["dcc:figures"])
def test_dcc_manager_opens_every_page(dcc_store, users, client_for, name):
    assert client_for(users.dcc_manager).get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", AGENT_PAGES)
def test_agent_opens_the_agent_pages(dcc_store, users, client_for, name):
    assert client_for(users.dcc_agent).get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", MANAGER_PAGES + ["dcc:figures"])
def test_agent_cannot_open_manager_pages(dcc_store, users, client_for, name):
    assert client_for(users.dcc_agent).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("role", ["consultant", "reception", "cs_agent", "sales_manager"])
def test_other_roles_are_refused(dcc_store, users, client_for, role):
    client = client_for(users[role])
    for name in AGENT_PAGES + MANAGER_PAGES:
        assert client.get(reverse(name)).status_code == 403, name


def test_gm_sees_the_figures_only(dcc_store, users, client_for):
    client = client_for(users.gm)
    assert client.get(reverse("dcc:figures")).status_code == 200
    assert client.get(reverse("dcc:queue")).status_code == 403


def test_version_2_sales_manager_runs_the_dcc_pages(dcc_store, users, client_for):
    DccSettings.objects.filter(store=dcc_store).update(version=2)
    client = client_for(users.sales_manager)
    for name in MANAGER_PAGES + ["dcc:figures", "dcc:my_list"]:
        assert client.get(reverse(name)).status_code == 200, name
    html = client.get(reverse("dcc:queue")).content.decode()
    assert 'data-nav="dcc-queue-v2"' in html


def test_landing_pages(dcc_store, users, client_for):
    assert client_for(users.dcc_agent).get(reverse("accounts:home")).url == reverse("dcc:my_list")
    assert client_for(users.dcc_manager).get(reverse("accounts:home")).url == reverse("dcc:queue")


def test_anonymous_goes_to_sign_in(client):
    response = client.get(reverse("dcc:my_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_my_list_shows_my_tasks_only(dcc_store, users, client_for, task):
    other = make_agent(dcc_store, "other_agent")
    html = client_for(users.dcc_agent).get(reverse("dcc:my_list")).content.decode()
    assert f'id="task-{task.pk}"' in html and "刘洋" in html
    assert "刘洋" not in client_for(other).get(reverse("dcc:my_list")).content.decode()
    # Another agent's task is a 404 for me.
    assert client_for(other).get(reverse("dcc:task_work", args=[task.pk])).status_code == 404


def test_other_store_task_is_a_404(dcc_store, users, other_users, client_for, task):
    for user in (other_users.dcc_manager, other_users.dcc_agent):
        assert client_for(user).get(reverse("dcc:task_work", args=[task.pk])).status_code == 404
        assert client_for(user).post(reverse("dcc:task_cancel", args=[task.pk])).status_code in (403, 404)


def test_call_screen_shows_the_customer_the_script_and_a_tel_link(dcc_store, users, client_for, task):
    html = client_for(users.dcc_agent).get(reverse("dcc:task_work", args=[task.pk])).content.decode()
    assert f'href="tel:{task.lead.customer.phone}"' in html
    assert 'id="script-steps"' in html and "问候并表明身份" in html and "发送跟进信息" in html
    assert html.count('name="script_steps"') == 7
    # A manager looking at another's task sees the number too; a masked number elsewhere.
    assert "tel:" in client_for(users.dcc_manager).get(reverse("dcc:task_work", args=[task.pk])).content.decode()


def test_call_screen_keeps_input_and_shows_field_errors(dcc_store, users, client_for, task):
    client = client_for(users.dcc_agent)
    response = client.post(
        reverse("dcc:task_work", args=[task.pk]),
        {"outcome": "invited", "note": "客户想周末来", "scheduled_at": future_local(1, 22), "script_steps": ["1"]},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "客户想周末来" in html  # the note is kept
    assert 'id="error-scheduled-at"' in html and 'id="error-receiver"' in html
    assert not Call.objects.exists()


def test_call_screen_records_an_invitation(dcc_store, users, client_for, task):
    client = client_for(users.dcc_agent)
    from dcc.selectors import script_for

    steps = list(script_for(dcc_store).steps.values_list("pk", flat=True))
    response = client.post(
        reverse("dcc:task_work", args=[task.pk]),
        {
            "outcome": "invited",
            "note": "约好周六试驾",
            "scheduled_at": future_local(2, 10),
            "receiver": users.consultant.pk,
            "purpose": "test_drive",
            "grade": "H",
            "script_steps": [str(s) for s in steps[:5]],
            "started_at": timezone.now().isoformat(),
        },
    )
    assert response.status_code == 302 and response.url == reverse("dcc:my_list")
    call = Call.objects.get()
    assert call.outcome == "invited" and call.script_steps == steps[:5]
    assert call.appointment.purpose == "test_drive" and call.appointment.origin == Appointment.Origin.DCC


def test_inbound_form(dcc_store, users, client_for):
    client = client_for(users.dcc_agent)
    response = client.post(reverse("dcc:inbound"), {"phone": "123", "name": "", "outcome": "talked"})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="error-phone"' in html and 'id="error-name"' in html
    phone = next_phone()
    response = client.post(
        reverse("dcc:inbound"),
        {
            "phone": phone,
            "name": "钱七",
            "source": Source.objects.get(code="hotline_400").pk,
            "outcome": "talked",
            "note": "问了朗逸价格",
            "purpose": "view",
        },
    )
    assert response.status_code == 302
    call = Call.objects.get()
    assert call.direction == "IB" and call.lead.customer.phone == phone
    lookup = client.get(reverse("dcc:inbound_lookup"), {"phone": phone}).content.decode()
    assert 'id="lookup-known"' in lookup and "钱七" in lookup


def test_queue_shows_agents_and_late_tasks_and_refreshes_by_htmx(dcc_store, users, client_for, task):
    CallTask.objects.filter(pk=task.pk).update(sla_due_at=timezone.now() - dt.timedelta(minutes=5))
    client = client_for(users.dcc_manager)
    html = client.get(reverse("dcc:queue")).content.decode()
    assert f'id="queue-agent-{users.dcc_agent.pk}"' in html and f'id="late-task-{task.pk}"' in html
    partial = client.get(reverse("dcc:queue"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'id="queue-table"' in partial


def test_manager_assigns_tasks_by_hand(dcc_store, users, client_for, task):
    other = make_agent(dcc_store, "second_agent")
    response = client_for(users.dcc_manager).post(
        reverse("dcc:task_assign"), {"assign-agent": other.pk, "tasks": [task.pk], "assign-note": "请跟进"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.agent == other


def test_manager_adds_a_customer_by_phone(dcc_store, users, client_for):
    lead = make_lead(dcc_store, users.consultant)
    client = client_for(users.dcc_manager)
    response = client.post(reverse("dcc:task_add"), {"phone": "13000000000", "note": "x"})
    assert 'id="error-phone"' in response.content.decode()
    response = client.post(reverse("dcc:task_add"), {"phone": lead.customer.phone, "agent": users.dcc_agent.pk})
    assert response.status_code == 302
    assert CallTask.objects.get(lead=lead).agent == users.dcc_agent
    again = client.post(reverse("dcc:task_add"), {"phone": lead.customer.phone}).content.decode()
    assert 'id="error-phone"' in again


def test_settings_page_keeps_input_and_shows_errors(dcc_store, users, client_for):
    client = client_for(users.dcc_manager)
    data = {
        "version": "1",
        "distribution": "by_load",
        "first_call_sla_minutes": "0",
        "uninvited_days": "30",
        "reactivation_quiet_days": "45",
        "lookback_days": "90",
        "max_attempts": "3",
        "retry_minutes": "120",
        "reminder_day_before_hour": "10",
        "reminder_same_day_hour": "8",
        "rule_uninvited": "on",
    }
    html = client.post(reverse("dcc:settings"), data).content.decode()
    assert 'id="error-first-call-sla-minutes"' in html and 'value="45"' in html
    assert DccSettings.objects.get(store=dcc_store).reactivation_quiet_days == 60
    data["first_call_sla_minutes"] = "20"
    assert client.post(reverse("dcc:settings"), data).status_code == 302
    settings = DccSettings.objects.get(store=dcc_store)
    assert (settings.first_call_sla_minutes, settings.distribution, settings.rule_handover) == (20, "by_load", False)


def test_script_page_edits_the_steps(dcc_store, users, client_for):
    client = client_for(users.dcc_manager)
    assert "问候并表明身份" in client.get(reverse("dcc:script")).content.decode()
    data = {
        "name": "我们的话术",
        "steps-TOTAL_FORMS": "3",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "30",
        "steps-0-title": "问候",
        "steps-0-guidance": "您好",
        "steps-1-title": "邀约",
        "steps-2-title": "删掉我",
        "steps-2-DELETE": "on",
    }
    assert client.post(reverse("dcc:script"), data).status_code == 302
    script = CallScript.objects.get(store=dcc_store)
    assert script.name == "我们的话术"
    assert list(script.steps.values_list("title", flat=True)) == ["问候", "邀约"]
    data.update({"steps-0-title": "", "steps-1-title": "", "steps-2-DELETE": "on"})
    html = client.post(reverse("dcc:script"), data).content.decode()
    assert "at least one step" in html or "至少" in html


def test_template_and_campaign_pages(dcc_store, users, client_for):
    client = client_for(users.dcc_manager)
    html = client.post(
        reverse("dcc:template_create"), {"name": "", "kind": "campaign", "channel": "sms"}
    ).content.decode()
    assert 'id="error-name"' in html and 'id="error-body"' in html
    response = client.post(
        reverse("dcc:template_create"),
        {"name": "试驾邀请", "kind": "campaign", "channel": "sms", "body": "{name}您好", "is_active": "on"},
    )
    assert response.status_code == 302
    template = MessageTemplate.objects.get(store=dcc_store)
    page = client.get(reverse("dcc:campaign_create"), {"grade": "A"}).content.decode()
    assert 'id="count-matched"' in page
    response = client.post(
        reverse("dcc:campaign_create"),
        {"name": "三月活动", "kind": "sms", "template": template.pk, "filter_params": '{"grade": ["A"]}'},
    )
    campaign = Campaign.objects.get(store=dcc_store)
    assert response.status_code == 302 and response.url == reverse("dcc:campaign_detail", args=[campaign.pk])
    assert campaign.body == "{name}您好" and campaign.filter_params == {"grade": ["A"]}
    assert client.post(reverse("dcc:campaign_send", args=[campaign.pk])).status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE  # nobody matched
    progress = client.get(reverse("dcc:campaign_detail", args=[campaign.pk]), HTTP_HX_REQUEST="true")
    assert 'id="campaign-status"' in progress.content.decode()


def test_campaign_form_keeps_input_on_errors(dcc_store, users, client_for):
    html = (
        client_for(users.dcc_manager)
        .post(reverse("dcc:campaign_create"), {"name": "无正文", "kind": "email", "filter_params": "not json"})
        .content.decode()
    )
    assert 'value="无正文"' in html and 'id="error-body"' in html


def test_agents_page_edits_skills(dcc_store, users, client_for):
    profile = AgentProfile.objects.get(store=dcc_store, user=users.dcc_agent)
    client = client_for(users.dcc_manager)
    assert (
        f'href="{reverse("dcc:agent_edit", args=[profile.pk])}"' in client.get(reverse("dcc:agents")).content.decode()
    )
    html = client.post(reverse("dcc:agent_edit", args=[profile.pk]), {}).content.decode()
    assert 'id="error-skill-outbound"' in html
    response = client.post(reverse("dcc:agent_edit", args=[profile.pk]), {"skill_inbound": "on", "on_duty": "on"})
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.skills == ["IB"]


def test_agent_goes_off_duty(dcc_store, users, client_for):
    client = client_for(users.dcc_agent)
    assert client.post(reverse("dcc:duty"), {"on_duty": "0"}).status_code == 302
    assert not AgentProfile.objects.get(store=dcc_store, user=users.dcc_agent).on_duty
    assert 'id="duty-toggle"' in client.get(reverse("dcc:my_list")).content.decode()


def test_export_needs_the_export_grant(dcc_store, users, client_for, task):
    client = client_for(users.dcc_manager)
    assert client.get(reverse("dcc:call_export")).status_code == 403
    users.dcc_manager.can_export = True
    users.dcc_manager.save()
    services.call_record(actor=users.dcc_agent, task=task, data=services.CallInput(outcome="no_answer"))
    response = client.get(reverse("dcc:call_export"), {"outcome": "no_answer"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body[:2] == b"PK"


def test_figures_page_shows_the_period(dcc_store, users, client_for):
    client = client_for(users.dcc_manager)
    html = client.get(reverse("dcc:figures"), {"date_from": "2027-01-01", "date_to": "2027-03-31"}).content.decode()
    assert 'id="fig-calls"' in html and "2027-01" in html and "2027-03" in html
    bad = client.get(reverse("dcc:figures"), {"date_from": "2027-03-31", "date_to": "2027-01-01"})
    assert bad.status_code == 200 and 'id="error-date-to"' in bad.content.decode()


def test_invitations_page_lists_dcc_invitations(dcc_store, users, client_for, task):
    services.call_record(
        actor=users.dcc_agent,
        task=task,
        data=services.CallInput(
            outcome="invited",
            scheduled_at=timezone.make_aware(
                dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(11))
            ),
            receiver=users.consultant,
        ),
    )
    appointment = Appointment.objects.get()
    for user in (users.dcc_agent, users.dcc_manager):
        html = client_for(user).get(reverse("dcc:invitations")).content.decode()
        assert f'id="appointment-{appointment.pk}"' in html
    # Another agent neither invited nor receives them.
    html = client_for(make_agent(dcc_store, "x_agent")).get(reverse("dcc:invitations")).content.decode()
    assert f'id="appointment-{appointment.pk}"' not in html and 'id="no-invitations"' in html
