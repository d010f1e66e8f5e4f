"""Background exports end to end: above REPORT_EXPORT_BACKGROUND_ROWS the export button queues a job
and sends the user to My exports, the job writes the file, only its owner downloads it, and expired
jobs disappear with their files."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import AuditLog, Membership
from reports import services, tasks
from reports.library.visit_register import VisitRegisterReport
from reports.models import ExportJob
from reports.query import ReportQuery
from tests.reports import builders as b

pytestmark = pytest.mark.django_db

EXPORT = "/reports/r/visit_register/export/?date_from=2026-11-01&date_to=2026-11-30"
EXPORTS = "/reports/exports/"


@pytest.fixture
def visits(store, other_store, users, other_users):
    """Three parties in store A's November (the first and last minute included), one outside it, one in store B."""
    b.visit(store, users.consultant, b.at("2026-11-01", "00:00"))
    b.visit(store, users.consultant, b.at("2026-11-15", "10:00"))
    b.visit(store, users.sales_manager, b.at("2026-11-30", "23:59"))
    b.visit(store, users.consultant, b.at("2026-12-01", "00:00"))
    b.visit(other_store, other_users.consultant, b.at("2026-11-15"))


def granted(user, language=None):
    user.can_export = True
    if language:
        user.language = language
    user.save(update_fields=["can_export", "language"])
    return user


@pytest.fixture
def manager(users):
    return granted(users.sales_manager)


def header_index(values: list[list], language: str) -> int:
    with translation.override(language):
        headers = [str(column.header) for column in VisitRegisterReport.visible_columns()]
    return next(i for i, row in enumerate(values) if row[: len(headers)] == headers)


def data_rows(content: bytes, rows: int, language: str = "zh-hans") -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    start = header_index(values, language) + 1
    return values[start : start + rows]


def queue(user, store, first="2026-11-01", last="2026-11-30") -> ExportJob:
    """A background export as the export button makes it (run only when the caller lets on_commit run)."""
    query = ReportQuery(
        user=user, stores=(store,), first=dt.date.fromisoformat(first), last=dt.date.fromisoformat(last)
    )
    return services.export_request(user=user, store=store, report=VisitRegisterReport(query))


def test_a_large_export_is_prepared_in_the_background_and_downloaded(
    store, manager, visits, client_for, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_EXPORT_BACKGROUND_ROWS = 2  # three parties: above it
    client = client_for(manager)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(EXPORT)

    assert response.status_code == 302 and response.url == reverse("reports:exports")
    assert len(callbacks) == 1  # the worker is asked only once the job is committed
    job = ExportJob.objects.get()
    assert (job.user, job.store, job.report, job.status) == (manager, store, "visit_register", ExportJob.Status.DONE)
    assert job.rows == 3 and job.filename.endswith("-20261101-20261130.xlsx")
    assert job.params["first"] == "2026-11-01" and job.params["stores"] == [store.pk]
    expected_expiry = timezone.now() + dt.timedelta(hours=settings.REPORT_EXPORT_EXPIRY_HOURS)
    assert abs(job.expires_at - expected_expiry) < dt.timedelta(minutes=1)
    entry = AuditLog.objects.get(action="reports.export")
    assert entry.actor == manager
    assert (entry.changes["background"], entry.changes["rows"]) == (True, None)

    listing = client.get(EXPORTS)
    assert [j.pk for j in listing.context["jobs"]] == [job.pk]
    assert f'href="/reports/exports/{job.pk}/download/"' in listing.content.decode()
    download = client.get(f"/reports/exports/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    content = b"".join(download.streaming_content)
    rows = data_rows(content, 3)
    assert [row[0] for row in rows] == [
        dt.datetime(2026, 11, 1, 0, 0),
        dt.datetime(2026, 11, 15, 10, 0),
        dt.datetime(2026, 11, 30, 23, 59),
    ]


def test_at_the_threshold_the_file_comes_at_once(store, manager, visits, client_for, settings):
    settings.REPORT_EXPORT_BACKGROUND_ROWS = 3  # three parties: not above it

    response = client_for(manager).post(EXPORT)

    assert response.status_code == 200
    assert len(data_rows(b"".join(response.streaming_content), 3)) == 3
    assert not ExportJob.objects.exists()
    entry = AuditLog.objects.get(action="reports.export")
    assert (entry.changes["background"], entry.changes["rows"]) == (False, 3)


def test_only_the_requester_downloads(
    store, users, other_users, manager, visits, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = queue(manager, store)
    path = f"/reports/exports/{job.pk}/download/"
    colleague = granted(users.gm)  # same store, export grant, every report: still not theirs
    outsider = granted(other_users.gm)

    assert client_for(colleague).get(path).status_code == 404
    assert job.pk not in [j.pk for j in client_for(colleague).get(EXPORTS).context["jobs"]]
    assert client_for(outsider).get(path).status_code == 404
    without_grant = client_for(users.consultant)
    assert without_grant.get(path).status_code == 403
    assert without_grant.get(EXPORTS).status_code == 403
    assert client_for(manager).get(path).status_code == 200


def test_expired_exports_are_hidden_and_purged_with_their_files(
    store, manager, visits, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        old = queue(manager, store)
        fresh = queue(manager, store, last="2026-11-15")
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert default_storage.exists(old.file.name) and default_storage.exists(fresh.file.name)
    ExportJob.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    client = client_for(manager)

    assert [j.pk for j in client.get(EXPORTS).context["jobs"]] == [fresh.pk]
    assert client.get(f"/reports/exports/{old.pk}/download/").status_code == 404

    assert tasks.purge_exports.delay().get() == 1

    assert list(ExportJob.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not default_storage.exists(old.file.name)
    assert default_storage.exists(fresh.file.name)
    assert client.get(f"/reports/exports/{fresh.pk}/download/").status_code == 200


def test_a_job_is_written_once(store, manager, visits, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = queue(manager, store)
    job.refresh_from_db()

    assert services.export_run(job_id=job.pk) is None  # already done: a second delivery does nothing
    assert tasks.run_export.delay(job.pk).get() is None
    again = ExportJob.objects.get(pk=job.pk)
    assert (again.file.name, again.finished_at) == (job.file.name, job.finished_at)


def test_a_job_whose_user_lost_the_permission_fails_without_a_file(store, manager, visits, client_for):
    job = queue(manager, store)  # queued; the worker has not run it yet
    Membership.objects.filter(user=manager).delete()
    manager.clear_grant_cache()

    assert tasks.run_export.delay(job.pk).get() == 0

    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert job.error and not job.file
    assert job.finished_at is not None


def test_the_file_is_written_in_the_requesters_language(
    store, users, visits, client_for, django_capture_on_commit_callbacks
):
    english = granted(users.sales_manager, language="en")

    with django_capture_on_commit_callbacks(execute=True):
        job = queue(english, store)

    job.refresh_from_db()
    with job.file.open("rb") as handle:
        content = handle.read()
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet["A1"].value == "Store-visit register"
    assert len(data_rows(content, job.rows, language="en")) == 3
