"""The morning job (daily_maintenance): today's tasks, overdue marks, alerts, pool returns, no-shows.

Every rule once, then the whole job twice: the second run must create nothing (idempotent by data).
Time moves with ``now=`` or freezegun; the world is built today (day 0) and the job runs on day 7.
"""

import datetime as dt

import pytest
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import Notification
from leads import services, tasks
from leads.models import Appointment, Lead, LeadEvent, LeadSettings, LeadStatus, Task
from tests.factories import StoreFactory
from tests.leads.factories import (
    build_daily_world,
    local_dt,
    make_lead,
)

pytestmark = pytest.mark.django_db


def _counts():
    return {
        "tasks": Task.objects.count(),
        "open_tasks": Task.objects.filter(status=Task.Status.OPEN).count(),
        "notifications": Notification.objects.count(),
        "events": LeadEvent.objects.count(),
        "overdue_marked": Task.objects.filter(overdue_marked_at__isnull=False).count(),
        "escalated": Task.objects.filter(escalated_at__isnull=False).count(),
        "in_pool": Lead.objects.filter(in_pool_since__isnull=False).count(),
        "no_shows": Appointment.objects.filter(status=Appointment.Status.NO_SHOW).count(),
    }


def _titles(user):
    return list(Notification.objects.filter(recipient=user).values_list("title", flat=True))


@pytest.fixture
def world(users, store):
    return build_daily_world(store, users)


def test_the_whole_job_and_a_second_run(users, store, world):
    before = Notification.objects.count()
    result = services.daily_maintenance(store=store, now=world["run_at"])
    assert result == {
        "tasks_created": 1,
        "no_shows": 1,
        "overdue_marked": 4,  # pooled, outsider_pooled, escalated, overdue
        "escalated": 3,  # pooled, outsider_pooled, escalated (≥ 3 days)
        "returned_to_pool": 2,  # pooled, outsider_pooled (≥ 7 days)
    }
    # Notifications: overdue per assignee (2), escalations to two supervisors and the manager (3),
    # pool returns per owner (2).
    assert Notification.objects.count() - before == 7

    after_first = _counts()
    again = services.daily_maintenance(store=store, now=world["run_at"])
    assert again == dict.fromkeys(result, 0)
    assert _counts() == after_first
    # An hour later (a retried worker) nothing changes either.
    services.daily_maintenance(store=store, now=world["run_at"] + dt.timedelta(hours=1))
    assert _counts() == after_first


def test_creates_todays_task_for_a_lead_due_today(users, store, world):
    day7 = world["run_at"].date()
    services.daily_maintenance(store=store, now=world["run_at"])
    task = Task.objects.get(lead=world["due_today"], status=Task.Status.OPEN)
    assert task.kind == Task.Kind.FOLLOW_UP and task.due_date == day7 and task.assignee == users.consultant
    assert task.due_at == world["due_today"].next_follow_up_at
    # Leads with an open follow-up task for another day get none; nor do leads due another day.
    assert Task.objects.filter(due_date=day7, kind=Task.Kind.FOLLOW_UP).count() == 1


def test_no_task_without_an_owner_or_when_one_is_open(users, store):
    today = timezone.localdate()
    unowned = make_lead(store, None, actor=users.reception)  # due now, nobody owns it
    owned = make_lead(store, users.consultant)  # due now, its first-contact task is open
    assert services.tasks_create_due(store=store, day=today) == 0
    assert not Task.objects.filter(lead=unowned).exists()
    assert Task.objects.filter(lead=owned).count() == 1


def test_an_open_appointment_task_does_not_hide_a_due_follow_up(users, store):
    """The lead has a done first-contact task and an open appointment task: the follow-up is still due."""
    lead = make_lead(store, users.consultant)
    services.appointment_create(
        actor=users.consultant,
        lead=lead,
        scheduled_at=local_dt(timezone.localdate() + dt.timedelta(days=3), 15),
        receiver=users.consultant,
    )
    Task.objects.filter(lead=lead, kind=Task.Kind.FIRST_CONTACT).update(status=Task.Status.DONE)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    Lead.objects.filter(pk=lead.pk).update(next_follow_up_at=local_dt(tomorrow, 10))
    assert services.tasks_create_due(store=store, day=tomorrow) == 1
    assert Task.objects.filter(lead=lead, kind=Task.Kind.FOLLOW_UP, due_date=tomorrow).count() == 1


def test_overdue_is_marked_once_and_each_assignee_told_once(users, store, world):
    Notification.objects.all().delete()
    services.tasks_mark_overdue(store=store, today=world["run_at"].date())
    overdue = Task.objects.filter(overdue_marked_at__isnull=False)
    assert set(overdue.values_list("lead_id", flat=True)) == {
        world["pooled"].pk,
        world["outsider_pooled"].pk,
        world["escalated"].pk,
        world["overdue"].pk,
        world["no_show"].pk,  # the appointment task: the no-show job has not run in this test
    }
    assert len(_titles(users.consultant)) == 1 and "4" in _titles(users.consultant)[0]
    assert len(_titles(world["outsider"])) == 1 and "1" in _titles(world["outsider"])[0]
    marked_at = dict(overdue.values_list("pk", "overdue_marked_at"))
    assert services.tasks_mark_overdue(store=store, today=world["run_at"].date()) == 0
    assert (
        dict(Task.objects.filter(overdue_marked_at__isnull=False).values_list("pk", "overdue_marked_at")) == marked_at
    )
    assert Notification.objects.count() == 2


def test_no_show_closes_the_receiving_task(users, store, world):
    services.daily_maintenance(store=store, now=world["run_at"])
    lead = Lead.objects.get(pk=world["no_show"].pk)
    assert lead.status == LeadStatus.FOLLOWING
    assert Appointment.objects.get(lead=lead).status == Appointment.Status.NO_SHOW
    receive = Task.objects.get(lead=lead, kind=Task.Kind.APPOINTMENT)
    assert receive.status == Task.Status.CANCELLED and receive.overdue_marked_at is None
    # Its regular follow-up task is untouched.
    assert Task.objects.filter(lead=lead, kind=Task.Kind.FOLLOW_UP, status=Task.Status.OPEN).count() == 1


def test_escalation_goes_to_the_team_supervisor_and_managers_once(users, store, world):
    Notification.objects.all().delete()
    today = world["run_at"].date()
    assert services.tasks_escalate_overdue(store=store, today=today) == 3
    supervisor1, supervisor2 = _titles(users.sales_supervisor), _titles(world["supervisor2"])
    manager = _titles(users.sales_manager)
    assert len(supervisor1) == len(supervisor2) == len(manager) == 1
    assert supervisor1[0].startswith("2") and supervisor2[0].startswith("1") and manager[0].startswith("3")
    # Each supervisor hears about their own team only.
    body1 = Notification.objects.get(recipient=users.sales_supervisor).body
    body2 = Notification.objects.get(recipient=world["supervisor2"]).body
    assert world["outsider_pooled"].customer.name in body2 and str(world["outsider"]) in body2
    assert str(world["outsider"]) not in body1 and str(users.consultant) in body1
    assert not _titles(users.consultant) and not _titles(users.gm)
    assert services.tasks_escalate_overdue(store=store, today=today) == 0
    assert Notification.objects.count() == 3


def test_escalation_limit_is_the_store_setting(users, store, world):
    LeadSettings.objects.filter(store=store).update(overdue_alert_days=1)
    assert services.tasks_escalate_overdue(store=store, today=world["run_at"].date()) == 4


def test_pool_return_in_the_morning_job(users, store, world):
    services.daily_maintenance(store=store, now=world["run_at"])
    for key in ("pooled", "outsider_pooled"):
        lead = Lead.objects.get(pk=world[key].pk)
        assert lead.owner is None and lead.in_pool_since == world["run_at"]
        assert not Task.objects.filter(lead=lead, status=Task.Status.OPEN).exists()
    assert Lead.objects.get(pk=world["escalated"].pk).owner == users.consultant
    pool_notices = Notification.objects.filter(title__contains="公海") | Notification.objects.filter(url="/leads/pool/")
    assert set(pool_notices.values_list("recipient_id", flat=True)) == {users.consultant.pk, world["outsider"].pk}


def test_with_freezegun_day_by_day(users, store, world):
    """The same job driven by the clock: run every morning from day 1 to day 8, then day 8 again."""
    for offset in range(1, 9):
        with freeze_time(local_dt(world["day0"] + dt.timedelta(days=offset), 7)):
            services.daily_maintenance(store=store)
    snapshot = _counts()
    with freeze_time(local_dt(world["day0"] + dt.timedelta(days=8), 7, 30)):
        services.daily_maintenance(store=store)
    assert _counts() == snapshot
    assert snapshot["in_pool"] == 2 and snapshot["no_shows"] == 1
    # Each overdue task was marked and escalated once, whatever the number of mornings.
    assert Notification.objects.filter(recipient=users.sales_manager).count() >= 1
    for task in Task.objects.filter(escalated_at__isnull=False):
        assert task.overdue_marked_at is not None and task.overdue_marked_at <= task.escalated_at


def test_celery_task_runs_every_active_store(users, store, other_users, other_store, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    closed = StoreFactory(group=store.group, code="closed", name="已停业门店", is_active=False)
    ours = make_lead(store, None, actor=users.reception)
    services.lead_reassign(actor=users.sales_manager, leads=[ours], to_user=users.consultant, reason="分配")
    theirs = make_lead(other_store, None, actor=other_users.reception)
    services.lead_reassign(
        actor=other_users.sales_manager, leads=[theirs], to_user=other_users.consultant, reason="分配"
    )
    assert tasks.daily_maintenance_all.delay().get() == 2
    assert Task.objects.get(lead=ours).due_date == timezone.localdate()
    assert Task.objects.get(lead=theirs).due_date == timezone.localdate()
    # Twice is once.
    tasks.daily_maintenance_all.delay()
    assert Task.objects.count() == 2
    assert tasks.daily_maintenance_store(closed.pk) == {}
    assert tasks.daily_maintenance_store(999999) == {}


def test_marking_and_escalation_cost_the_same_queries_for_many_tasks(users, store, world):
    """Set-based: one grouped read and one update per step, one notice per person, however many
    tasks are overdue (no query per task)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    today = world["run_at"].date()

    def run():
        Task.objects.update(overdue_marked_at=None, escalated_at=None)
        with CaptureQueriesContext(connection) as marked:
            services.tasks_mark_overdue(store=store, today=today)
        with CaptureQueriesContext(connection) as escalated:
            services.tasks_escalate_overdue(store=store, today=today)
        return len(marked), len(escalated)

    few = run()
    for _n in range(20):  # twenty more overdue leads of the same two consultants
        for owner in (users.consultant, world["outsider"]):
            lead = make_lead(store, owner)
            Task.objects.filter(lead=lead).update(due_date=world["day0"], due_at=world["run_at"] - dt.timedelta(days=7))
    assert Task.objects.filter(status=Task.Status.OPEN, due_date__lt=today).count() >= 45
    assert run() == few
