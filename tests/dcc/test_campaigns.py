"""Campaign messages (多媒体沟通): the lead filter, consent and do-not-disturb, sending in batches, each
send logged on the lead, progress counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from freezegun import freeze_time

from accounts.models import Notification
from dcc import services
from dcc.messaging import MemoryBackend, SendResult
from dcc.models import Campaign, CampaignMessage
from leads.models import FollowUp, Lead, Task
from tests.dcc.conftest import local
from tests.leads.factories import make_lead

pytestmark = pytest.mark.django_db

NOW = local(dt.date(2027, 3, 10), 10)


@pytest.fixture
def audience(dcc_store, users):
    """Grade-A leads: two who agreed to marketing, one without consent, one do-not-disturb, one B."""
    with freeze_time(NOW):
        leads = {
            "yes1": make_lead(dcc_store, users.consultant, grade="A"),
            "yes2": make_lead(dcc_store, users.consultant, grade="A"),
            "no_consent": make_lead(dcc_store, users.consultant, grade="A"),
            "quiet": make_lead(dcc_store, users.consultant, grade="A"),
            "grade_b": make_lead(dcc_store, users.consultant, grade="B"),
        }
    for key in ("yes1", "yes2", "quiet", "grade_b"):
        leads[key].customer.consent_marketing = True
        leads[key].customer.email = f"{key}@example.com"
        leads[key].customer.save()
    leads["quiet"].customer.do_not_disturb = True
    leads["quiet"].customer.save()
    return leads


def make_campaign(store, actor, **fields):
    data = {
        "name": "三月试驾周",
        "kind": "sms",
        "body": "{name}您好，{store}本周末试驾有礼。",
        "filter_params": {"grade": ["A"]},
    }
    data.update(fields)
    with freeze_time(NOW):
        return services.campaign_create(actor=actor, store=store, **data)


def send(campaign, actor, django_capture_on_commit_callbacks):
    with freeze_time(NOW), django_capture_on_commit_callbacks(execute=True):
        campaign = services.campaign_queue(actor=actor, campaign=campaign)
    campaign.refresh_from_db()
    return campaign


def test_campaign_reaches_only_consenting_customers_and_logs_each_send(
    dcc_store, users, audience, outbox, django_capture_on_commit_callbacks
):
    tasks_before = set(Task.objects.filter(status="open").values_list("pk", "due_date"))
    campaign = send(make_campaign(dcc_store, users.dcc_manager), users.dcc_manager, django_capture_on_commit_callbacks)
    assert campaign.status == Campaign.Status.DONE
    assert (campaign.audience_count, campaign.excluded_count, campaign.queued_count) == (4, 2, 2)
    assert (campaign.sent_count, campaign.failed_count, campaign.skipped_count) == (2, 0, 0)
    assert campaign.progress_percent == 100
    sent_to = {m.to for m in outbox}
    assert sent_to == {audience["yes1"].customer.phone, audience["yes2"].customer.phone}
    assert any(audience["yes1"].customer.name in m.body and dcc_store.name in m.body for m in outbox)
    for key in ("yes1", "yes2"):
        follow_up = FollowUp.objects.get(lead=audience[key])
        assert follow_up.channel == FollowUp.Channel.SMS and follow_up.author == users.dcc_manager
        assert CampaignMessage.objects.get(campaign=campaign, lead=audience[key]).follow_up == follow_up
    assert not FollowUp.objects.filter(lead__in=[audience["no_consent"], audience["quiet"], audience["grade_b"]])
    # A message is not a follow-up result: the consultants' planned tasks are untouched.
    assert set(Task.objects.filter(status="open").values_list("pk", "due_date")) == tasks_before
    assert Notification.objects.filter(recipient=users.dcc_manager, title__contains="三月试驾周").exists()


def test_a_campaign_is_queued_once(dcc_store, users, audience, outbox, django_capture_on_commit_callbacks):
    campaign = send(make_campaign(dcc_store, users.dcc_manager), users.dcc_manager, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError, match="queued"):
        services.campaign_queue(actor=users.dcc_manager, campaign=campaign)
    # A stray second sender finds nothing left to send.
    assert services.campaign_send_batch(campaign_id=campaign.pk) == 0
    assert len(outbox) == 2 and CampaignMessage.objects.filter(campaign=campaign).count() == 2


def test_email_campaign_uses_email_addresses(dcc_store, users, audience, outbox, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError) as excinfo:
        make_campaign(dcc_store, users.dcc_manager, kind="email")
    assert "subject" in excinfo.value.message_dict
    campaign = make_campaign(dcc_store, users.dcc_manager, kind="email", subject="{name}，邀您试驾")
    campaign = send(campaign, users.dcc_manager, django_capture_on_commit_callbacks)
    assert {m.to for m in outbox} == {"yes1@example.com", "yes2@example.com"}
    assert all(m.channel == "email" and m.subject.endswith("邀您试驾") for m in outbox)
    assert FollowUp.objects.filter(lead=audience["yes1"]).get().channel == FollowUp.Channel.EMAIL


def test_event_invitation_fills_the_event(dcc_store, users, audience, outbox, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError) as excinfo:
        make_campaign(dcc_store, users.dcc_manager, kind="event")
    assert {"event_name", "event_at"} <= set(excinfo.value.message_dict)
    campaign = make_campaign(
        dcc_store,
        users.dcc_manager,
        kind="event",
        event_name="新车品鉴会",
        event_at=local(dt.date(2027, 3, 13), 14),
        body="{name}您好，诚邀您参加{event}（{event_time}）。",
    )
    send(campaign, users.dcc_manager, django_capture_on_commit_callbacks)
    assert all("新车品鉴会（2027-03-13 14:00）" in m.body for m in outbox) and len(outbox) == 2


def test_a_customer_who_asks_for_quiet_after_queueing_is_skipped(dcc_store, users, audience, outbox):
    campaign = make_campaign(dcc_store, users.dcc_manager)
    with freeze_time(NOW):
        services.campaign_queue(actor=users.dcc_manager, campaign=campaign)  # nothing sent yet (no commit)
    customer = audience["yes1"].customer
    customer.do_not_disturb = True
    customer.save()
    assert services.campaign_send_batch(campaign_id=campaign.pk) == 2
    assert services.campaign_send_batch(campaign_id=campaign.pk) == 0
    campaign.refresh_from_db()
    assert (campaign.sent_count, campaign.skipped_count, campaign.status) == (1, 1, Campaign.Status.DONE)
    assert [m.to for m in outbox] == [audience["yes2"].customer.phone]


def test_gateway_failures_are_counted_not_raised(dcc_store, users, audience, settings, outbox):
    settings.DCC_MESSAGE_BACKEND = "tests.dcc.test_campaigns.BrokenBackend"
    campaign = make_campaign(dcc_store, users.dcc_manager)
    with freeze_time(NOW):
        services.campaign_queue(actor=users.dcc_manager, campaign=campaign)
    services.campaign_send_batch(campaign_id=campaign.pk)
    services.campaign_send_batch(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert (campaign.sent_count, campaign.failed_count) == (0, 2)
    assert set(CampaignMessage.objects.values_list("detail", flat=True)) == {"gateway down"}


class BrokenBackend(MemoryBackend):
    def send(self, message):
        raise OSError("gateway down")


def test_small_batches_show_progress(dcc_store, users, audience, outbox):
    campaign = make_campaign(dcc_store, users.dcc_manager)
    with freeze_time(NOW):
        services.campaign_queue(actor=users.dcc_manager, campaign=campaign)
    assert services.campaign_send_batch(campaign_id=campaign.pk, limit=1) == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING and campaign.progress_percent == 50
    services.campaign_send_batch(campaign_id=campaign.pk, limit=1)
    services.campaign_send_batch(campaign_id=campaign.pk, limit=1)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE and campaign.progress_percent == 100


def test_stopping_a_campaign_skips_what_is_left(dcc_store, users, audience, outbox):
    campaign = make_campaign(dcc_store, users.dcc_manager)
    with freeze_time(NOW):
        services.campaign_queue(actor=users.dcc_manager, campaign=campaign)
    services.campaign_cancel(actor=users.dcc_manager, campaign=campaign)
    assert services.campaign_send_batch(campaign_id=campaign.pk) == 0
    campaign.refresh_from_db()
    assert (campaign.status, campaign.skipped_count, campaign.sent_count) == ("cancelled", 2, 0)
    assert outbox == []


def test_only_the_dcc_manager_runs_campaigns(dcc_store, users, other_users):
    for actor in (users.dcc_agent, users.consultant, other_users.dcc_manager):
        with pytest.raises(ValidationError, match="DCC manager"):
            make_campaign(dcc_store, actor)


def test_bad_filters_and_templates_are_field_errors(dcc_store, users, other_store, other_users):
    with pytest.raises(ValidationError) as excinfo:
        make_campaign(dcc_store, users.dcc_manager, filter_params={"grade": ["Z"]})
    assert "filter_params" in excinfo.value.message_dict
    foreign = services.template_save(
        actor=other_users.dcc_manager, store=other_store, kind="campaign", channel="sms", name="乙店", body="x"
    )
    with pytest.raises(ValidationError) as excinfo:
        make_campaign(dcc_store, users.dcc_manager, template=foreign)
    assert "template" in excinfo.value.message_dict
    assert not Campaign.objects.filter(store=dcc_store).exists()


def test_the_send_never_reaches_closed_leads(dcc_store, users, audience, outbox):
    campaign = make_campaign(dcc_store, users.dcc_manager)
    Lead.objects.filter(pk=audience["yes2"].pk).update(status="lost")
    with freeze_time(NOW):
        campaign = services.campaign_queue(actor=users.dcc_manager, campaign=campaign)
    assert campaign.queued_count == 1


def test_send_result_is_a_value(dcc_store):
    assert SendResult(ok=True).ok
