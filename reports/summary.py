"""Daily summaries: each store's per-day, per-person counts of the per-day metrics, kept in
``DailyCount`` so that a report over months or years adds up thousands of rows, not millions.

The counts are the metric definitions of ``reports.metrics`` themselves: a day is summarised by
running those querysets for the whole store and grouping them by Beijing day and person in the
database (one INSERT … SELECT), and a report reads the days that are over from the summary and
the rest live through the same querysets — today, days not summarised yet, and days whose rows
changed since the summaries were last checked (a lead reassigned, returned to the pool, claimed or
merged; an order cancelled or a delivery entered late; a visit registered late or corrected; a test
drive entered late), as the leads' history and the audit log record them. A query with a filter the
summary has no column for (source, series) is answered live throughout. Either way the figures are
the same. Rows written around the services (bulk loads) are counted by a rebuild or backfill.

The morning job (``summary_refresh``) rebuilds the last few days and every day changed since its
previous run, then moves the store's check mark; ``manage.py build_daily_counts`` backfills a range.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Store
from leads.models import FollowUp, LeadEvent
from showroom.models import Order, TestDrive, Visit

from . import metrics
from .models import DailyCount, SummaryDay, SummaryState
from .query import ReportQuery

# A change committed up to this long after it was stamped is still found by the next check.
SETTLE = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Figure:
    """A ``DailyCount`` column: the metric's rows (optionally narrowed), by day and person."""

    column: str
    metric: Callable[[ReportQuery], QuerySet]
    date_field: str
    person_field: str
    condition: Q | None = None


FIGURES: dict[str, Figure] = {
    figure.column: figure
    for figure in [
        Figure("captured_leads", metrics.captured_leads, "created_at", "owner_id"),
        Figure("follow_ups", metrics.follow_ups, "created_at", "author_id"),
        *[
            Figure(f"follow_ups_{channel}", metrics.follow_ups, "created_at", "author_id", Q(channel=channel))
            for channel in FollowUp.Channel.values
        ],
        Figure("invitations", metrics.invitations, "created_at", "created_by_id"),
        Figure("visits", metrics.visits, "arrived_at", "consultant_id"),
        Figure("first_visits", metrics.visits, "arrived_at", "consultant_id", Q(is_first_visit=True)),
        Figure("test_drives", metrics.test_drives, "started_at", "consultant_id"),
        Figure("orders", metrics.orders, "confirmed_at", "seller_id"),
        Figure("deliveries", metrics.deliveries, "delivered_at", "seller_id"),
        Figure("lost", metrics.lost, "decided_at", "requested_by_id"),
        Figure("invalid", metrics.invalid, "decided_at", "requested_by_id"),
    ]
}

# Lead history entries that change whose lead it is, or whether it counts (merged); the lead
# counts on the day it was captured.
OWNER_EVENTS = [
    LeadEvent.Kind.REASSIGNED,
    LeadEvent.Kind.POOL_RETURNED,
    LeadEvent.Kind.CLAIMED,
    LeadEvent.Kind.MERGED,
    LeadEvent.Kind.DCC,
]

_live_only = contextvars.ContextVar("reports_summary_live_only", default=False)


@contextlib.contextmanager
def live_only() -> Iterator[None]:
    """Compute every figure from the raw rows inside this block (benchmarks, comparisons)."""
    token = _live_only.set(True)
    try:
        yield
    finally:
        _live_only.reset(token)


def _groups(columns: Iterable[str]) -> list[list[Figure]]:
    """The figures of ``columns``, grouped by the query that counts them (one scan per group)."""
    groups: dict[tuple, list[Figure]] = {}
    for column in columns:
        figure = FIGURES[column]
        groups.setdefault((figure.metric, figure.date_field, figure.person_field), []).append(figure)
    return list(groups.values())


def _counts(figures: list[Figure]) -> dict:
    return {f.column: Count("pk", filter=f.condition) if f.condition is not None else Count("pk") for f in figures}


def _live_grouped(q: ReportQuery, figures: list[Figure], by: tuple[str, ...]) -> QuerySet:
    """The group's counts from the raw rows, per ``by`` (day, person, store)."""
    first = figures[0]
    keys = {
        "day": TruncDate(first.date_field),
        "person": F(first.person_field),
        "store": F("store_id"),
    }
    return first.metric(q).values(**{f"_{k}": keys[k] for k in by}).annotate(**_counts(figures)).order_by()


# --- building ---------------------------------------------------------------------------------------


def _insert_sql(store: Store, first: dt.date, last: dt.date) -> tuple[str, list]:
    """INSERT … SELECT of the store's ``DailyCount`` rows for [first, last], every figure's
    grouped query side by side in one UNION ALL. Only quoted names and Django's own compiled
    queries go into the text; every value is a parameter."""
    quote = connection.ops.quote_name
    query = ReportQuery(user=None, stores=(store,), first=first, last=last, whole_store=True)
    columns = list(FIGURES)
    parts, params = [], []
    for index, figures in enumerate(_groups(columns)):
        sql, part_params = _live_grouped(query, figures, ("day", "person")).query.sql_with_params()
        alias = quote(f"s{index}")
        own = {figure.column for figure in figures}
        cells = [f"{alias}.{quote(c)} AS {quote(c)}" if c in own else f"0 AS {quote(c)}" for c in columns]
        select = f"SELECT {alias}.{quote('_day')} AS day, {alias}.{quote('_person')} AS person, {', '.join(cells)}"
        parts.append(f"{select} FROM ({sql}) {alias}")  # noqa: S608
        params.extend(part_params)
    table = quote(DailyCount._meta.db_table)
    targets = ", ".join(quote(c) for c in columns)
    sums = ", ".join(f"SUM(u.{quote(c)})" for c in columns)
    union = " UNION ALL ".join(parts)
    sql = f"INSERT INTO {table} (store_id, day, person_id, {targets}) SELECT %s, u.day, u.person, {sums} "  # noqa: S608
    sql += f"FROM ({union}) u GROUP BY u.day, u.person"
    return sql, [store.pk, *params]


def _lock(store: Store) -> SummaryState:
    """The store's summary state, locked: one build of a store's summaries at a time."""
    SummaryState.objects.get_or_create(store=store)
    return SummaryState.objects.select_for_update().get(store=store)


def _build(store: Store, first: dt.date, last: dt.date, now: dt.datetime) -> int:
    DailyCount.objects.filter(store=store, day__gte=first, day__lte=last).delete()
    sql, params = _insert_sql(store, first, last)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    SummaryDay.objects.filter(store=store, day__gte=first, day__lte=last).delete()
    days = _days(first, last)
    SummaryDay.objects.bulk_create(SummaryDay(store=store, day=day, built_at=now) for day in days)
    return len(days)


def _check_days(first: dt.date, last: dt.date, now: dt.datetime) -> None:
    if last >= timezone.localdate(now):
        raise ValueError("Only days that are over can be summarised.")
    if first > last:
        raise ValueError("The first day comes after the last.")


@transaction.atomic
def summary_rebuild(
    *, store: Store, first: dt.date, last: dt.date | None = None, now: dt.datetime | None = None
) -> int:
    """Count the store's days [first, last] (days already over) afresh; returns how many days.
    Derived data written by the system: not audited."""
    now = now or timezone.now()
    last = last or first
    _check_days(first, last, now)
    _lock(store)
    return _build(store, first, last, now)


def _initial_mark(store: Store, now: dt.datetime) -> dt.datetime:
    """For a store checked for the first time: changes since its oldest summarised day was built
    (or since now) are not in the summaries yet."""
    oldest = SummaryDay.objects.filter(store=store).order_by("built_at").values_list("built_at", flat=True).first()
    mark = now - SETTLE
    return min(mark, oldest) if oldest else mark


@transaction.atomic
def summary_backfill(*, store: Store, first: dt.date, last: dt.date, now: dt.datetime | None = None) -> int:
    """Build every day of [first, last] that is over, a month per statement; returns how many days."""
    now = now or timezone.now()
    last = min(last, timezone.localdate(now) - dt.timedelta(days=1))
    if first > last:
        return 0
    state = _lock(store)
    mark = state.changes_checked_at or _initial_mark(store, now)
    built = 0
    start = first
    while start <= last:
        end = min(last, (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1))
        built += _build(store, start, end, now)
        start = end + dt.timedelta(days=1)
    if state.changes_checked_at is None:
        state.changes_checked_at = mark
        state.save(update_fields=["changes_checked_at"])
    return built


@transaction.atomic
def summary_refresh(*, store: Store, now: dt.datetime | None = None, days: int | None = None) -> int:
    """The morning job: rebuild the store's last ``days`` days and every summarised day changed
    since the previous check, then move the check mark. Idempotent; returns how many days."""
    now = now or timezone.now()
    days = settings.REPORT_SUMMARY_REFRESH_DAYS if days is None else days
    today = timezone.localdate(now)
    state = _lock(store)
    wanted = {today - dt.timedelta(days=n) for n in range(1, days + 1)}
    if state.changes_checked_at is not None:
        changed = {day for _store, day in changed_days([store.pk], state.changes_checked_at, today)}
        summarised = set(SummaryDay.objects.filter(store=store, day__in=changed).values_list("day", flat=True))
        wanted |= summarised
        mark = now - SETTLE
    else:
        mark = _initial_mark(store, now)
    built = sum(_build(store, first, last, now) for first, last in _ranges(sorted(wanted)))
    state.changes_checked_at = mark
    state.save(update_fields=["changes_checked_at"])
    return built


# Audited writes that can put a row on a day that is already over (a late entry, a backdated
# delivery, a correction, a cancellation), by the model they write.
LATE_WRITES = {
    "showroom.visit": (Visit, ["arrived_at"], ["visit.register", "visit.correct", "visit.reassign"]),
    "showroom.testdrive": (TestDrive, ["started_at"], ["test_drive.record"]),
    "showroom.order": (Order, ["confirmed_at", "delivered_at"], ["order.cancel", "order.deliver"]),
}


def changed_days(store_ids: list[int], since: dt.datetime, today: dt.date) -> set[tuple[int, dt.date]]:
    """(store id, day) of days before ``today`` whose per-day figures may have changed since ``since``.

    The changes are read where the services record them — the leads' history and the audit log,
    both indexed by time — so the look-up costs a few milliseconds however large the tables."""
    from accounts.models import AuditLog

    found: set[tuple[int, dt.date]] = set()

    def add(store_id: int, at: dt.datetime | None) -> None:
        if at is not None:
            day = timezone.localtime(at).date()
            if day < today:
                found.add((store_id, day))

    for store_id, created_at in LeadEvent.objects.filter(
        store_id__in=store_ids, created_at__gte=since, kind__in=OWNER_EVENTS
    ).values_list("lead__store_id", "lead__created_at"):
        add(store_id, created_at)
    ids: dict[str, set[int]] = defaultdict(set)
    actions = [action for _model, _fields, names in LATE_WRITES.values() for action in names]
    for store_id, object_type, object_id, action, changes in AuditLog.objects.filter(
        store_id__in=store_ids, created_at__gte=since, action__in=actions
    ).values_list("store_id", "object_type", "object_id", "action", "changes"):
        ids[object_type].add(int(object_id))
        moved = (changes or {}).get("arrived_at") if action == "visit.correct" else None
        if moved and moved[0]:  # the day a corrected arrival no longer counts on
            add(store_id, dt.datetime.fromisoformat(moved[0]))
    for object_type, (model, fields, _actions) in LATE_WRITES.items():
        if ids[object_type]:
            for store_id, *moments in model.objects.filter(pk__in=ids[object_type]).values_list("store_id", *fields):
                for at in moments:
                    add(store_id, at)
    return found


# --- reading ----------------------------------------------------------------------------------------


def _plan(q: ReportQuery) -> tuple[Q | None, list[ReportQuery]]:
    """Which ``DailyCount`` rows answer ``q`` (None: none), and the live queries for the rest."""
    if _live_only.get() or q.source_ids or q.series_id:
        return None, [q]
    today = timezone.localdate()
    last_over = min(q.last, today - dt.timedelta(days=1))
    summarised: dict[int, set[dt.date]] = defaultdict(set)
    if q.first <= last_over:
        marks = dict(
            SummaryState.objects.filter(store_id__in=q.store_ids, changes_checked_at__isnull=False).values_list(
                "store_id", "changes_checked_at"
            )
        )
        if marks:
            for store_id, day in SummaryDay.objects.filter(
                store_id__in=list(marks), day__gte=q.first, day__lte=last_over
            ).values_list("store_id", "day"):
                summarised[store_id].add(day)
        if summarised:
            for store_id, day in changed_days(list(summarised), min(marks.values()), today):
                summarised[store_id].discard(day)
    condition: Q | None = None
    live: dict[tuple, list[Store]] = defaultdict(list)
    every_day = _days(q.first, q.last)
    for store in q.stores:
        days = summarised.get(store.pk, set())
        for first, last in _ranges(sorted(days)):
            part = Q(store_id=store.pk, day__gte=first, day__lte=last)
            condition = part if condition is None else condition | part
        live[tuple(_ranges([day for day in every_day if day not in days]))].append(store)
    queries = [
        replace(q, stores=tuple(stores), first=first, last=last)
        for ranges, stores in live.items()
        for first, last in ranges
    ]
    return condition, queries


KEY_FIELDS = {"day": "day", "person": "person_id", "store": "store_id"}


def table(q: ReportQuery, columns: Iterable[str], by: tuple[str, ...] = ("day", "person")) -> dict[tuple, list[int]]:
    """The counts of ``columns`` (``DailyCount`` fields) per key of ``by`` — (Beijing day, person
    id) by default, as ``metrics.by_day_and_person`` counts — as {key: [count per column]}, only
    the keys that count something."""
    columns = list(columns)
    width = len(columns)
    result: dict[tuple, list[int]] = {}
    condition, live = _plan(q)
    if condition is not None:
        fields = [KEY_FIELDS[k] for k in by]
        rows = DailyCount.objects.filter(condition).filter(q.people("store_id", "person_id"))
        if {"day", "person"} <= set(by):
            # A row is already one person's day in one store: no grouping to do in the database but
            # for someone working in two stores (added up below).
            rows = rows.values_list(*fields, *columns)
        else:
            rows = (
                rows.values(*fields)
                .annotate(**{f"_{c}": Sum(c) for c in columns})
                .values_list(*fields, *[f"_{c}" for c in columns])
            )
        # A year of a dealer group is some 150,000 rows: read them as plain tuples.
        sql, params = rows.order_by().query.sql_with_params()
        day_at = by.index("day") if "day" in by else None
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                values = row[len(by) :]
                if not any(values):
                    continue
                key = row[: len(by)]
                if day_at is not None and isinstance(key[day_at], str):  # SQLite answers text
                    key = (*key[:day_at], dt.date.fromisoformat(key[day_at]), *key[day_at + 1 :])
                known = result.get(key)
                if known is None:
                    result[key] = list(values)
                else:
                    for index, n in enumerate(values):
                        known[index] += n
    positions = {column: index for index, column in enumerate(columns)}
    for part in live:
        for figures in _groups(columns):
            for row in _live_grouped(part, figures, by):
                key = tuple(row[f"_{k}"] for k in by)
                for figure in figures:
                    if row[figure.column]:
                        result.setdefault(key, [0] * width)[positions[figure.column]] += row[figure.column]
    return result


def counts(q: ReportQuery, columns: Iterable[str], by: tuple[str, ...] = ("day", "person")) -> dict[str, Counter]:
    """``table`` as a Counter per column (keyed like ``metrics.by_day_and_person``'s)."""
    columns = list(columns)
    counted = table(q, columns, by)
    return {
        column: Counter({key: values[index] for key, values in counted.items() if values[index]})
        for index, column in enumerate(columns)
    }


def totals(q: ReportQuery, columns: Iterable[str]) -> dict[str, int]:
    """Each of ``columns`` over the whole query, as ``metric(q).count()`` would count it."""
    columns = list(columns)
    sums = dict.fromkeys(columns, 0)
    condition, live = _plan(q)
    if condition is not None:
        aggregate = (
            DailyCount.objects.filter(condition)
            .filter(q.people("store_id", "person_id"))
            .aggregate(**{f"_{c}": Sum(c) for c in columns})
        )
        for column in columns:
            sums[column] += aggregate[f"_{column}"] or 0
    for part in live:
        for figures in _groups(columns):
            aggregate = figures[0].metric(part).aggregate(**_counts(figures))
            for figure in figures:
                sums[figure.column] += aggregate[figure.column] or 0
    return sums


# --- days and ranges --------------------------------------------------------------------------------


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _ranges(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Sorted days as runs of consecutive days: [(first, last), …]."""
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in days:
        if ranges and day == ranges[-1][1] + dt.timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges
