"""The reports app on a real worker against the test database: the morning job fans out to every
store and builds the report center (a rerun replaces the files and mails nobody twice), and a large
export queued from the export button is written by the worker and downloaded by its owner."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from reports import services, tasks
from reports.library.visit_register import VisitRegisterReport
from reports.models import ExportJob, Period, ReportFile, ReportSubscription
from reports.registry import REPORTS
from tests.reports import builders as b

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DAY = "2026-11-03"


def worker_media(worker) -> Path:
    """Where the worker's storage writes (its own var folder, as the fixture starts it)."""
    return Path(worker.env.get("MEDIA_ROOT") or Path(worker.env["DEALERCRM_VAR_DIR"]) / "media")


def totals_row(path: Path, rows: int) -> list:
    sheet = openpyxl.load_workbook(io.BytesIO(path.read_bytes())).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(values) if row[0] == "日期")
    return values[header + 1 + rows]


@pytest.fixture
def manager(users):
    user = users.sales_manager
    user.can_export = True
    user.save(update_fields=["can_export"])
    return user


def test_the_morning_job_builds_every_stores_center_once(celery_worker_proc, store, other_store, users, manager):
    b.lead(store, users.consultant, b.at(DAY, "00:00"))
    b.lead(store, users.sales_manager, b.at(DAY, "23:59"))
    b.lead(store, users.consultant, b.at("2026-11-04", "00:00"))  # the next day
    services.report_subscriptions_set(user=manager, store=store, wanted={("daily_work", Period.DAY)})
    media = worker_media(celery_worker_proc)

    assert celery_worker_proc.run("reports.tasks.build_report_center_all", args=[DAY]) == 2
    celery_worker_proc.drain(timeout=300)  # the per-store builds it queued

    for each in (store, other_store):
        assert ReportFile.objects.filter(store=each, day=dt.date(2026, 11, 3)).count() == 2 * len(REPORTS)
    day_file = ReportFile.objects.get(store=store, report="daily_work", period=Period.DAY)
    assert totals_row(media / day_file.file.name, day_file.rows)[2] == 2
    assert ReportSubscription.objects.get().last_sent_on == timezone.localdate()

    # A rerun on the same morning replaces the files (the old ones leave storage) and mails nobody again.
    again = celery_worker_proc.run("reports.tasks.build_report_center_store", args=[store.pk, DAY], timeout=300)

    assert again == {"files": 2 * len(REPORTS), "emails": 0}
    assert ReportFile.objects.filter(store=store).count() == 2 * len(REPORTS)
    replaced = ReportFile.objects.get(pk=day_file.pk)
    assert replaced.file.name != day_file.file.name
    assert not (media / day_file.file.name).exists() and (media / replaced.file.name).exists()


def test_a_large_export_is_written_by_the_worker(
    celery_worker_proc, store, users, manager, client_for, settings, monkeypatch
):
    for hour in ("09:00", "10:00", "11:00"):
        b.visit(store, users.consultant, b.at("2026-11-15", hour))
    settings.REPORT_EXPORT_BACKGROUND_ROWS = 2
    settings.MEDIA_ROOT = worker_media(celery_worker_proc)  # the web side reads what the worker wrote
    sent = []
    monkeypatch.setattr(
        tasks.run_export,
        "delay",
        lambda job_id: sent.append(celery_worker_proc.send("reports.tasks.run_export", [job_id])),
    )
    client = client_for(manager)

    response = client.post("/reports/r/visit_register/export/?date_from=2026-11-01&date_to=2026-11-30")

    assert response.status_code == 302 and response.url == reverse("reports:exports")
    [result] = sent  # queued once the job was committed
    assert celery_worker_proc.wait(result, timeout=120) == 3
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.DONE and job.rows == 3
    download = client.get(f"/reports/exports/{job.pk}/download/")
    assert download.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    with translation.override(manager.language):
        headers = [str(column.header) for column in VisitRegisterReport.visible_columns()]
    first = next(i for i, row in enumerate(values) if row[: len(headers)] == headers) + 1
    assert [row[0] for row in values[first : first + 3]] == [dt.datetime(2026, 11, 15, h) for h in (9, 10, 11)]
