"""Writes of the reports app: exports (inline or in the background), with their audit entries."""

from __future__ import annotations

import datetime as dt
import logging
import os

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from accounts.models import Store, User
from accounts.services import audit_record

from .base import Report
from .models import ExportJob
from .query import ReportQuery
from .registry import REPORTS

log = logging.getLogger(__name__)


def query_to_params(query: ReportQuery) -> dict:
    return {
        "first": query.first.isoformat(),
        "last": query.last.isoformat(),
        "stores": query.store_ids,
        "consultant": query.consultant.pk if query.consultant else None,
        "source_ids": list(query.source_ids),
        "series": query.series_id,
        "options": dict(query.extra.get("options", {})),
    }


def query_from_params(user: User, report: type[Report], params: dict) -> ReportQuery:
    """Rebuild a query, keeping only the stores where the user still may run the report."""
    allowed = set(user.store_ids_with_perm(report.required_permission))
    stores = tuple(
        Store.objects.filter(pk__in=[pk for pk in params.get("stores", []) if pk in allowed]).order_by("name")
    )
    consultant = User.objects.filter(pk=params["consultant"]).first() if params.get("consultant") else None
    return ReportQuery(
        user=user,
        stores=stores,
        first=dt.date.fromisoformat(params["first"]),
        last=dt.date.fromisoformat(params["last"]),
        consultant=consultant,
        source_ids=tuple(params.get("source_ids") or ()),
        series_id=params.get("series"),
        extra=report.option_extra(params.get("options") or {}),
    )


def describe(query: ReportQuery) -> str:
    return "; ".join(f"{label}: {value}" for label, value in query.describe())[:300]


def export_audit(*, user: User, store: Store, report: Report, rows: int | None, background: bool) -> None:
    audit_record(
        actor=user,
        action="reports.export",
        store=store,
        changes={
            "report": report.identifier,
            "query": describe(report.query),
            "rows": rows,
            "background": background,
        },
    )


@transaction.atomic
def export_request(*, user: User, store: Store, report: Report) -> ExportJob:
    """Queue a background export of ``report`` for ``user``; the worker writes the file."""
    from . import tasks

    job = ExportJob.objects.create(
        store=store,
        user=user,
        report=report.identifier,
        params=query_to_params(report.query),
        description=describe(report.query),
        expires_at=timezone.now() + dt.timedelta(hours=settings.REPORT_EXPORT_EXPIRY_HOURS),
    )
    export_audit(user=user, store=store, report=report, rows=None, background=True)
    transaction.on_commit(lambda: tasks.run_export.delay(job.pk))
    return job


def export_run(*, job_id: int) -> ExportJob | None:
    """Write the export's file. Claims the job first, so two workers never both write it."""
    from .xlsx import filename, write_report

    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.PENDING).update(
        status=ExportJob.Status.RUNNING
    )
    if not claimed:
        return None
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    report_class = REPORTS.get(job.report)
    try:
        if report_class is None:
            raise ValueError(f"unknown report {job.report}")
        report = report_class(query_from_params(job.user, report_class, job.params))
        if not report.query.stores:
            raise PermissionError("the user may no longer run this report in these stores")
        tmp_dir = settings.VAR_DIR / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        path = tmp_dir / f"export-{job.pk}.xlsx"
        from django.utils import translation

        with translation.override(job.user.language or settings.LANGUAGE_CODE):
            rows = write_report(report, str(path))
            name = filename(report)
        with open(path, "rb") as handle:
            job.file.save(f"export-{job.pk}.xlsx", File(handle), save=False)
        os.unlink(path)
        job.filename, job.rows, job.status = name, rows, ExportJob.Status.DONE
    except Exception as error:  # the user sees that it failed; the log has the details
        log.exception("export %s failed", job_id)
        job.status, job.error = ExportJob.Status.FAILED, str(error)[:500]
    job.finished_at = timezone.now()
    job.save(update_fields=["file", "filename", "rows", "status", "error", "finished_at"])
    return job


def exports_purge(*, now: dt.datetime | None = None) -> int:
    """Delete expired exports and their files."""
    now = now or timezone.now()
    count = 0
    for job in ExportJob.objects.filter(expires_at__lt=now):
        if job.file:
            job.file.delete(save=False)
        job.delete()
        count += 1
    return count
