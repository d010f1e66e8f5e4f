"""Background work of the reports app: exports and the purge of expired ones."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True, max_retries=0)
def run_export(job_id: int) -> int | None:
    job = services.export_run(job_id=job_id)
    return job.rows if job else None


@shared_task
def purge_exports() -> int:
    return services.exports_purge()
