"""A real worker and a real beat against the test database: tasks run out of process, schedules fire."""

import time

import pytest

from accounts.channels import configured_channels
from accounts.models import Notification, NotificationDelivery, SchedulerHeartbeat
from tests.factories import UserFactory

# serialized_rollback: after each test's flush the migrations' rows (roles, content types, …) come back
# from the serialized copy rather than from post_migrate, so serialized tests that follow stay consistent.
pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_notification_is_delivered_by_the_worker(celery_worker_proc):
    user = UserFactory(username="worker_recipient", email="worker@example.com", notify_by_email=True)
    notification = Notification.objects.create(recipient=user, title="新线索", body="请在 30 分钟内跟进")

    result = celery_worker_proc.run("accounts.tasks.deliver_notification", args=[notification.pk])

    deliveries = dict(NotificationDelivery.objects.filter(notification=notification).values_list("channel", "status"))
    assert set(deliveries) == {channel.code for channel in configured_channels()}
    assert result == deliveries
    # Sending it again delivers nothing twice.
    assert celery_worker_proc.run("accounts.tasks.deliver_notification", args=[notification.pk]) == {}
    assert NotificationDelivery.objects.filter(notification=notification).count() == len(deliveries)


def test_heartbeat_task_writes_to_the_test_database(celery_worker_proc):
    assert not SchedulerHeartbeat.objects.exists()

    runs = celery_worker_proc.run("accounts.tasks.scheduler_heartbeat")

    beat = SchedulerHeartbeat.objects.get(name="beat")
    assert runs == beat.runs == 1


def test_beat_sends_the_scheduled_heartbeat(celery_worker_proc, celery_beat_proc):
    deadline = time.monotonic() + 45
    runs = 0
    while runs < 2:
        if celery_beat_proc.process.poll() is not None:
            pytest.fail(
                f"celery beat exited with code {celery_beat_proc.process.returncode}:\n{celery_beat_proc.log()}"
            )
        if time.monotonic() > deadline:
            pytest.fail(
                f"the heartbeat ran {runs} times in 45 s\n--- beat log ---\n{celery_beat_proc.log()}"
                f"\n--- worker log ---\n{celery_worker_proc.log()}"
            )
        time.sleep(0.5)
        runs = SchedulerHeartbeat.objects.filter(name="beat").values_list("runs", flat=True).first() or 0

    first = SchedulerHeartbeat.objects.get(name="beat")
    assert "Sending due task scheduler-heartbeat" in celery_beat_proc.log(last_lines=500)
    time.sleep(2.5)  # HEARTBEAT_SECONDS=1: it keeps firing
    again = SchedulerHeartbeat.objects.get(name="beat")
    assert again.runs > first.runs
    assert again.last_run_at > first.last_run_at
