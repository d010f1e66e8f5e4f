"""7 有望客户跟踪进度 — prospect follow-up progress: every lead being worked now, how it is followed up
and whether its next follow-up is overdue; the period counts the work done on it."""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from dataclasses import replace

from django.db.models import Count, F, Q, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.dates import day_range
from leads.models import Grade
from leads.phones import mask_phone

from .. import metrics
from ..base import Chart, Column, Comparison, Report, ReportResult
from ..query import ReportQuery
from ..registry import register
from .common import person_names

CHUNK = 2000
ORDER = (F("next_follow_up_at").asc(nulls_last=True), "pk")  # most overdue first, nothing planned last
EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def adjoining(periods: list[ReportQuery]) -> list[ReportQuery]:
    """The days of ``periods`` as the fewest periods: overlapping or adjoining ones joined."""
    runs: list[ReportQuery] = []
    for period in sorted(periods, key=lambda period: period.first):
        if runs and period.first <= runs[-1].last + dt.timedelta(days=1):
            runs[-1] = replace(runs[-1], last=max(runs[-1].last, period.last))
        else:
            runs.append(period)
    return runs


@register
class ProspectsReport(Report):
    identifier = "prospects"
    number = 7
    verbose_name = _("Prospect follow-up progress")
    description = _(
        "Every prospect open now (new, following up, invited or visited), whenever it was captured: its grade, "
        "last and next follow-up and how many days the next one is overdue as of today. The period counts the "
        "follow-ups and invitations made on each prospect."
    )
    columns = [
        Column("customer", _("Customer"), "text", 14),
        Column("phone", _("Phone"), "text", 14),
        Column("owner", _("Consultant"), "text", 12),
        Column("grade", _("Grade"), "text", 6),
        Column("source", _("Source"), "text", 18),
        Column("series", _("Series"), "text", 16),
        Column("captured_on", _("Captured on"), "date", 12),
        Column("last_follow_up", _("Last follow-up"), "datetime", 17),
        Column("next_follow_up", _("Next follow-up"), "datetime", 17),
        Column(
            "days_overdue",
            _("Days overdue"),
            "int",
            9,
            _(
                "Days from the day of the next follow-up to today (Beijing time); 0 when not yet due, — when none is planned."
            ),
            total=False,
        ),
        Column(
            "follow_ups",
            _("Follow-ups"),
            "int",
            9,
            _("Follow-ups logged on the prospect in the period, by anyone."),
            compare=True,
        ),
        Column(
            "invitations",
            _("Invitations"),
            "int",
            9,
            _("Invitations made (appointments booked) for the prospect in the period."),
            compare=True,
        ),
        Column("visited", _("Visited"), "bool", 8, _("The customer has visited the store.")),
    ]

    def __init__(self, query):
        super().__init__(query)
        self.today = timezone.localdate()
        self._period_totals: list[dict] | None = None
        self._by_grade: list[tuple[str, int, int, int]] | None = None

    def prospects(self):
        return metrics.open_prospects(self.query)

    def records(self):
        return (
            self.prospects()
            .order_by(*ORDER)
            .values_list(
                "pk",
                "customer__name",
                "customer__phone",
                "owner_id",
                "grade",
                "source__name",
                "source__parent__name",
                "series__brand__name",
                "series__name",
                "created_at",
                "last_follow_up_at",
                "next_follow_up_at",
                "first_visit_at",
            )
        )

    def rows(self, limit: int | None = None):
        """Most overdue first, nothing planned last; read and counted a chunk at a time, so a list
        of tens of thousands of prospects never needs a grouped count over all of them."""
        records = self.records()
        if limit is not None:
            records = records.filter(pk__in=self.page_ids(limit))
        names: dict[int, str] = {}
        chunk: list[tuple] = []
        for record in records.iterator(chunk_size=CHUNK):
            chunk.append(record)
            if len(chunk) == CHUNK:
                yield from self.chunk_rows(chunk, names)
                chunk = []
        if chunk:
            yield from self.chunk_rows(chunk, names)

    def chunk_rows(self, chunk: list[tuple], names: dict[int, str]):
        ids = [record[0] for record in chunk]
        follow_ups = metrics.by_value(metrics.follow_ups_on_prospects(self.query).filter(lead_id__in=ids), "lead_id")
        invitations = metrics.by_value(metrics.invitations_on_prospects(self.query).filter(lead_id__in=ids), "lead_id")
        names.update(person_names({record[3] for record in chunk} - names.keys()))
        user = self.query.user
        for (
            pk,
            customer,
            phone,
            owner_id,
            grade,
            source,
            parent_source,
            brand,
            series,
            created_at,
            last_at,
            next_at,
            first_visit_at,
        ) in chunk:
            # Full numbers only to the lead's owner and to users granted them (as on the lead pages);
            # a file built for nobody in particular (the report center's) masks them all.
            full = user is not None and (user.can_see_full_phone or owner_id == user.pk)
            yield {
                "customer": customer,
                "phone": phone if full else mask_phone(phone or ""),
                "owner": names.get(owner_id, "—"),
                "grade": grade,
                "source": f"{parent_source} · {source}" if parent_source else source,
                "series": f"{brand} {series}" if series else "",
                "captured_on": timezone.localtime(created_at).date(),
                "last_follow_up": last_at,
                "next_follow_up": next_at,
                "days_overdue": self.days_overdue(next_at),
                "follow_ups": follow_ups.get(pk, 0),
                "invitations": invitations.get(pk, 0),
                "visited": first_visit_at is not None,
            }

    def page_ids(self, limit: int) -> list[int]:
        """The first ``limit`` prospects' ids, from the leads alone: each store's queue read along
        its index, about the store's share of the page at first and more only while the merge
        (in the same order) still takes from it."""
        share = limit // len(self.query.store_ids) + 1
        queues = [self.queue(store, share) for store in self.query.stores]
        merged = heapq.merge(*queues, key=lambda item: (item[0] is None, item[0] or EARLIEST, item[1]))
        return [pk for _next_at, pk in itertools.islice(merged, limit)]

    def queue(self, store, size: int):
        """(next follow-up, id) of one store's open prospects in page order — planned soonest
        first, then the unplanned — read ``size`` at a time, twice as many each time, each read
        starting where the last stopped (one index range, not an OR)."""
        prospects = metrics.open_prospects(replace(self.query, stores=(store,)))
        after = None
        while True:
            planned = prospects.filter(next_follow_up_at__isnull=False)
            if after is not None:
                planned = planned.filter(next_follow_up_at__gte=after[0]).exclude(
                    next_follow_up_at=after[0], pk__lte=after[1]
                )
            rows = list(planned.order_by(*ORDER).values_list("next_follow_up_at", "pk")[:size])
            yield from rows
            if len(rows) < size:
                break
            after, size = rows[-1], size * 2
        last = 0
        while True:
            unplanned = prospects.filter(next_follow_up_at__isnull=True, pk__gt=last).order_by("pk")
            rows = list(unplanned.values_list("next_follow_up_at", "pk")[:size])
            yield from rows
            if len(rows) < size:
                return
            last, size = rows[-1][1], size * 2

    def screen_rows(self, limit: int) -> tuple[list[dict], int]:
        rows = [self.complete(row) for row in self.rows(limit=limit + 1)]
        # All the prospects are in the chart's counts, which the page draws anyway.
        count = len(rows) if len(rows) <= limit else sum(sum(counts) for _grade, *counts in self.by_grade())
        return rows[:limit], count

    def days_overdue(self, next_at) -> int | None:
        if next_at is None:
            return None
        return max(0, (self.today - timezone.localtime(next_at).date()).days)

    def totals(self, rows):
        # An aggregate, not the sum of the rows: the screen shows only the first of them.
        return self.period_totals()[0]

    def compare(self, totals: dict) -> list[Comparison]:
        _now, previous, last_year = self.period_totals()
        return [
            Comparison(column, totals.get(column.key), previous[column.key], last_year[column.key])
            for column in self.columns
            if column.compare
        ]

    def period_totals(self) -> list[dict]:
        """Follow-ups and invitations on the open prospects in this period, the one before and the
        same period last year, in one query of parts summed here: a part per table, store and run
        of adjoining periods. Each part joins one store's rows to that store's open prospects (a
        store's hash in memory, where a group's hundreds of thousands would spill to disk) and
        reads one range of the table's (store, created) index (a range per part: an OR of the
        periods would scan the store's every row)."""
        if self._period_totals is None:
            periods = [self.query, self.query.previous_period(), self.query.last_year()]
            runs = adjoining(periods)
            # The lead id, not the pk: it is in the index, so no row is read from the table.
            counts = {
                f"p{index}": Count("lead_id", filter=period.between("created_at"))
                for index, period in enumerate(periods)
            }
            parts = [
                function(replace(self.query, stores=(store,)), [run])
                .annotate(_figure=Value(key))
                .values("_figure")
                .annotate(**counts)
                .values_list("_figure", *counts)
                .order_by()
                for key, function in (
                    ("follow_ups", metrics.follow_ups_on_prospects),
                    ("invitations", metrics.invitations_on_prospects),
                )
                for store in self.query.stores
                for run in runs
            ]
            counted = [{"follow_ups": 0, "invitations": 0} for _period in periods]
            for key, *figures in parts[0].union(*parts[1:], all=True):
                for row, n in zip(counted, figures, strict=True):
                    row[key] += n
            self._period_totals = counted
        return self._period_totals

    def row_estimate(self) -> int:
        return self.prospects().count()

    def by_grade(self) -> list[tuple[str, int, int, int]]:
        """(grade, overdue, on time, none planned) for every grade with open prospects."""
        if self._by_grade is not None:
            return self._by_grade
        today_start, _end = day_range(self.today, self.today)
        counts = {
            row["grade"]: row
            for row in self.prospects()
            .values("grade")
            .annotate(
                overdue=Count("pk", filter=Q(next_follow_up_at__lt=today_start)),
                on_time=Count("pk", filter=Q(next_follow_up_at__gte=today_start)),
                unplanned=Count("pk", filter=Q(next_follow_up_at__isnull=True)),
            )
            .order_by()
        }
        self._by_grade = [
            (grade, counts[grade]["overdue"], counts[grade]["on_time"], counts[grade]["unplanned"])
            for grade in Grade.values
            if grade in counts
        ]
        return self._by_grade

    def chart(self, result: ReportResult):
        grades = self.by_grade()
        return Chart(
            "bar",
            _("Open prospects by grade: overdue or on time"),
            [grade for grade, *_counts in grades],
            {
                str(_("Overdue")): [row[1] for row in grades],
                str(_("On time")): [row[2] for row in grades],
                str(_("No follow-up planned")): [row[3] for row in grades],
            },
        )
