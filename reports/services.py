"""Writes of the reports app: exports (inline or in the background), the report center's files and
the subscriptions that mail them, with their audit entries."""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from collections.abc import Iterable
from functools import partial
from itertools import groupby

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Store, User
from accounts.services import audit_record

from .base import Report
from .models import ExportJob, Period, ReportFile, ReportSubscription
from .query import ReportQuery, _add_months, month_ends
from .registry import REPORTS, ordered

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


# -- The report center: the morning's files, and the subscriptions that mail them ------------------

CENTER_PERMISSION = "reports.center"


def center_periods(day: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The report center's periods for ``day``: (period, first, last) for the day and the month to it."""
    return [(Period.DAY, day, day), (Period.MONTH_TO_DATE, day.replace(day=1), day)]


def center_filename(report_file: ReportFile) -> str:
    """The name of a downloaded or mailed file, in the language the files are built in."""
    report_class = REPORTS.get(report_file.report)
    with translation.override(settings.LANGUAGE_CODE):
        name = str(report_class.verbose_name) if report_class else report_file.report
        period = str(Period(report_file.period).label)
        return f"{name}-{report_file.store.name}-{period}-{report_file.first:%Y%m%d}-{report_file.day:%Y%m%d}.xlsx"


def center_may_receive(user: User, store: Store) -> bool:
    """Whether ``user`` may have the store's report-center files: the permission there and the
    user's Excel export grant, like every export."""
    return bool(user.is_active and user.can_export and CENTER_PERMISSION in user.perms_in(store))


def report_center_build(*, store: Store, day: dt.date) -> list[ReportFile]:
    """Write the store's report-center files for ``day``: every registered report for that day and
    for the month to it, with the whole store's figures (``whole_store``: built for nobody in
    particular, so ``query.user`` is None), in the installation's language (Chinese).

    Each file is recorded in a transaction of its own (not one for the lot), so the morning job holds
    no lock while it writes, and a report that fails is logged without costing the store its other
    files. A rerun replaces each file and deletes the old one from storage: one row per store,
    report, period and day, never two.
    """
    from .xlsx import write_report

    built = []
    for report_class in ordered():
        try:
            for period, first, last in center_periods(day):
                query = ReportQuery(
                    user=None,
                    stores=(store,),
                    first=first,
                    last=last,
                    extra=report_class.option_extra({}),  # each option at its default
                    whole_store=True,
                )
                with tempfile.TemporaryFile() as handle:
                    with translation.override(settings.LANGUAGE_CODE):
                        rows = write_report(report_class(query), handle)
                    built.append(
                        _center_file_save(
                            store=store,
                            report=report_class.identifier,
                            period=period,
                            day=day,
                            first=first,
                            content=handle,
                            rows=rows,
                        )
                    )
        except Exception:
            log.exception("report center: %s of store %s for %s failed", report_class.identifier, store.pk, day)
    return built


def _center_file_save(*, store: Store, report: str, period: str, day: dt.date, first: dt.date, content, rows: int):
    """Record one file, replacing the row's old file; a row created meanwhile by a concurrent run
    (the unique key says so) is replaced on the second attempt."""
    upload_name = f"{store.code}-{report}-{period}-{day:%Y%m%d}.xlsx"
    for _attempt in range(2):
        new_name = ""
        try:
            with transaction.atomic():
                row = (
                    ReportFile.objects.select_for_update()
                    .filter(store=store, report=report, period=period, day=day)
                    .first()
                )
                old_name = row.file.name if row is not None else ""
                if row is None:
                    row = ReportFile(store=store, report=report, period=period, day=day)
                content.seek(0)
                row.file.save(upload_name, File(content), save=False)
                new_name = row.file.name
                row.first, row.rows = first, rows
                row.save()
                if old_name and old_name != new_name:
                    transaction.on_commit(partial(row.file.storage.delete, old_name))
        except IntegrityError:
            if new_name:
                ReportFile.file.field.storage.delete(new_name)
            continue
        return row
    raise IntegrityError(f"report file {store.pk}/{report}/{period}/{day} could not be recorded")


def center_kept_from(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first day whose files the report center still keeps, and the first month whose whole-month
    file (the month to date of its last day) it keeps."""
    return (
        today - dt.timedelta(days=settings.REPORT_CENTER_KEEP_DAYS),
        _add_months(today.replace(day=1), -settings.REPORT_CENTER_KEEP_MONTHS),
    )


def report_center_purge(*, today: dt.date | None = None) -> int:
    """Delete the report-center files past their keeping time, rows and stored files: every file of a
    day before ``REPORT_CENTER_KEEP_DAYS``, except each month's whole-month file (the month to date
    of its last day), kept ``REPORT_CENTER_KEEP_MONTHS``. Returns how many were deleted."""
    today = today or timezone.localdate()
    keep_from, months_from = center_kept_from(today)
    whole_months = month_ends(months_from, keep_from - dt.timedelta(days=1))
    expired = ReportFile.objects.filter(day__lt=keep_from).exclude(period=Period.MONTH_TO_DATE, day__in=whole_months)
    storage, count = ReportFile.file.field.storage, 0
    while batch := list(expired.values_list("pk", "file")[:500]):
        ReportFile.objects.filter(pk__in=[pk for pk, _name in batch]).delete()
        for _pk, name in batch:
            if name:
                storage.delete(name)
        count += len(batch)
    return count


def report_file_download(*, user: User, report_file: ReportFile) -> None:
    """Record a download of a report-center file: an export like any other."""
    audit_record(
        actor=user,
        action="reports.export",
        obj=report_file,
        changes={
            "report": report_file.report,
            "period": report_file.period,
            "day": report_file.day.isoformat(),
            "rows": report_file.rows,
            "center": True,
        },
    )


@transaction.atomic
def report_subscriptions_set(*, user: User, store: Store, wanted: Iterable[tuple[str, str]]) -> dict:
    """Make the user's subscriptions in the store exactly ``wanted`` — (report identifier, period)
    pairs of reports the user may run there. Returns what was added and removed."""
    if not center_may_receive(user, store):
        raise PermissionDenied
    perms = user.perms_in(store)
    wanted = set(wanted)
    unknown = [
        key
        for key in wanted
        if key[0] not in REPORTS or not REPORTS[key[0]].is_allowed(perms) or key[1] not in Period.values
    ]
    if unknown:
        raise ValidationError(_("Choose among the reports offered."))
    current = {(s.report, s.period): s.pk for s in ReportSubscription.objects.filter(user=user, store=store)}
    removed = sorted(key for key in current if key not in wanted)
    added = sorted(wanted - current.keys())
    ReportSubscription.objects.filter(pk__in=[current[key] for key in removed]).delete()
    ReportSubscription.objects.bulk_create(
        [ReportSubscription(store=store, user=user, report=report, period=period) for report, period in added]
    )
    if added or removed:
        audit_record(
            actor=user,
            action="reports.subscribe",
            store=store,
            changes={"added": [list(key) for key in added], "removed": [list(key) for key in removed]},
        )
    return {"added": added, "removed": removed}


def _claim(subscription: ReportSubscription, today: dt.date) -> bool:
    """Compare and set: only one run a day marks a subscription sent, however many run at once."""
    return bool(
        ReportSubscription.objects.filter(pk=subscription.pk)
        .filter(Q(last_sent_on__isnull=True) | Q(last_sent_on__lt=today))
        .update(last_sent_on=today)
    )


def _release(subscription: ReportSubscription, today: dt.date) -> None:
    """Undo a claim whose email did not go out, so the next run tries again."""
    ReportSubscription.objects.filter(pk=subscription.pk, last_sent_on=today).update(
        last_sent_on=subscription.last_sent_on
    )


def report_subscriptions_send(*, store: Store, day: dt.date, today: dt.date | None = None) -> int:
    """Mail each subscriber the store's files of ``day`` they chose, one email per person with the
    files attached; at most once a day per subscription, and only while the person may still have
    them (the report center's permission there, the export grant, the report's own permission).
    Returns the number of emails sent."""
    today = today or timezone.localdate()
    files = {(f.report, f.period): f for f in ReportFile.objects.filter(store=store, day=day).select_related("store")}
    subscriptions = (
        ReportSubscription.objects.filter(store=store, user__is_active=True)
        .exclude(user__email="")
        .filter(Q(last_sent_on__isnull=True) | Q(last_sent_on__lt=today))
        .select_related("user")
        .order_by("user_id", "pk")
    )
    sent = 0
    for user, group in groupby(subscriptions, key=lambda subscription: subscription.user):
        if not center_may_receive(user, store):
            continue
        perms = user.perms_in(store)
        due = [
            s
            for s in group
            if (s.report, s.period) in files and s.report in REPORTS and REPORTS[s.report].is_allowed(perms)
        ]
        claimed = [s for s in due if _claim(s, today)]
        if not claimed:
            continue
        chosen = [files[(s.report, s.period)] for s in claimed]
        try:
            _subscription_email(user, store, day, chosen).send()
        except Exception:  # one bad address or a mail-server hiccup must not stop the others' emails
            log.exception("report-center email to user %s failed", user.pk)
            for subscription in claimed:
                _release(subscription, today)
            continue
        audit_record(
            actor=user,
            action="reports.export",
            store=store,
            changes={
                "channel": "email",
                "day": day.isoformat(),
                "files": [f"{f.report}/{f.period}" for f in chosen],
                "rows": sum(f.rows for f in chosen),
            },
        )
        sent += 1
    return sent


def _subscription_email(user: User, store: Store, day: dt.date, files: list[ReportFile]) -> EmailMessage:
    from .xlsx import XLSX_CONTENT_TYPE

    names = [center_filename(f) for f in files]
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("Report center: %(store)s, %(day)s") % {"store": store.name, "day": f"{day:%Y-%m-%d}"}
        body = "\n".join(
            [
                _("Good morning. The reports you subscribed to are attached:"),
                "",
                *[f"- {name}" for name in names],
                "",
                _("Change your subscriptions on the report center page."),
            ]
        )
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    for report_file, name in zip(files, names, strict=True):
        with report_file.file.open("rb") as handle:
            message.attach(name, handle.read(), XLSX_CONTENT_TYPE)
    return message


# -- Sales targets ----------------------------------------------------------------------------------


def target_people(store: Store, month: dt.date):
    """Who may have a target in the store that month: the people who sell there, and anyone who
    already has one (so that a target of someone who moved on can still be cleared)."""
    from django.db.models import Q

    from accounts.selectors import store_users_with_perm

    from .models import SalesTarget

    holders = SalesTarget.objects.filter(store=store, month=month.replace(day=1), consultant__isnull=False)
    return (
        User.objects.filter(
            Q(pk__in=store_users_with_perm(store, "showroom.sell").values("pk"))
            | Q(pk__in=holders.values("consultant_id"))
        )
        .distinct()
        .order_by("full_name", "username")
    )


@transaction.atomic
def target_set(
    *, actor: User, store: Store, month: dt.date, store_units: int | None, consultant_units: dict | None = None
) -> dict:
    """Make the month's sales targets (orders) of ``store`` these: the store's own and, in
    ``consultant_units`` ({user: units}), each consultant's; ``None`` removes a target. People left
    out of ``consultant_units`` keep theirs. One audit entry lists what changed; returns it."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.utils.translation import gettext as _

    from .models import SalesTarget

    if not actor.has_store_perm(store, "reports.set_targets"):
        raise PermissionDenied
    month = month.replace(day=1)
    consultant_units = consultant_units or {}
    wanted = {None: store_units, **{person.pk: units for person, units in consultant_units.items()}}
    if any(units is not None and not 0 <= int(units) <= 100_000 for units in wanted.values()):
        raise ValidationError(_("A target is a number of orders from 0 to 100,000."))
    Store.objects.select_for_update().filter(pk=store.pk).first()  # one save of a store's targets at a time
    allowed = set(target_people(store, month).values_list("pk", flat=True))
    if any(pk is not None and pk not in allowed for pk in wanted):
        raise ValidationError(_("Targets can be set only for people who sell in this store."))
    existing = {row.consultant_id: row for row in SalesTarget.objects.filter(store=store, month=month)}
    names = {person.pk: person.username for person in consultant_units}
    changes: dict[str, list] = {}
    for person_id, units in wanted.items():
        label = names[person_id] if person_id is not None else "store"
        row = existing.get(person_id)
        if units is None:
            if row is not None:
                changes[label] = [row.units, None]
                row.delete()
        elif row is None:
            SalesTarget.objects.create(store=store, month=month, consultant_id=person_id, units=units, set_by=actor)
            changes[label] = [None, int(units)]
        elif row.units != units:
            changes[label] = [row.units, int(units)]
            row.units, row.set_by = units, actor
            row.save(update_fields=["units", "set_by", "updated_at"])
    if changes:
        audit_record(
            actor=actor, action="reports.targets", store=store, changes={"month": f"{month:%Y-%m}", "targets": changes}
        )
    return changes
