"""2 工作日报表 — the daily work report: per consultant per day, what the sales floor did.

The counts come from ``reports.summary``: the days that are over from the daily summaries, today
(and anything the summaries cannot answer) from the raw rows, with the same metric definitions."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .. import summary
from ..base import Chart, Column, Report, ReportResult
from ..registry import register
from .common import person_day_estimate, person_names

METRICS = [
    # key, header, formula, the summary's column (a metric of ``reports.metrics``)
    ("new_leads", _("New leads"), _("Leads captured that day (merged duplicates excluded)."), "captured_leads"),
    ("follow_ups", _("Follow-ups"), _("Follow-up records logged that day."), "follow_ups"),
    ("invitations", _("Invitations"), _("Appointments made that day."), "invitations"),
    ("arrivals", _("Arrivals"), _("Showroom visits received that day."), "visits"),
    ("test_drives", _("Test drives"), _("Test drives started that day."), "test_drives"),
    ("orders", _("Orders"), _("Orders confirmed that day, cancelled ones excluded."), "orders"),
    ("deliveries", _("Deliveries"), _("Cars delivered that day."), "deliveries"),
    ("lost", _("Lost"), _("Lost requests approved that day (invalid leads are not lost)."), "lost"),
]
SUMMARY_COLUMNS = {key: column for key, _header, _formula, column in METRICS}


@register
class DailyWorkReport(Report):
    identifier = "daily_work"
    number = 2
    verbose_name = _("Daily work report")
    description = _(
        "Per consultant per day: new leads, follow-ups, invitations, arrivals, test drives, orders, deliveries, lost."
    )
    columns = [
        Column("day", _("Day"), "date", 12),
        Column("consultant", _("Consultant"), "text", 14),
        *[Column(key, header, "int", 10, formula=formula, compare=True) for key, header, formula, _col in METRICS],
    ]

    def rows(self):
        counts, cells = self.cells()
        return self.rows_of(counts, cells)

    def cells(self) -> tuple[dict, list]:
        """The counts per (day, person id), and those keys in the order of the rows."""
        counts = summary.table(self.query, SUMMARY_COLUMNS.values())
        return counts, sorted(counts, key=lambda cell: (cell[0], cell[1] or 0))

    def rows_of(self, counts: dict, cells: list):
        keys = list(SUMMARY_COLUMNS)
        names = person_names(person for _day, person in cells)
        for day, person in cells:
            row = dict(zip(keys, counts[(day, person)], strict=True))
            row["day"] = day
            row["consultant"] = names.get(person, "—")
            yield row

    def screen_rows(self, limit: int) -> tuple[list[dict], int]:
        """A group's year is some 150,000 rows: only the first ``limit`` are made into rows."""
        counts, cells = self.cells()
        return [self.complete(row) for row in self.rows_of(counts, cells[:limit])], len(cells)

    def totals(self, rows):
        if rows is not None:
            return super().totals(rows)
        # Without the rows at hand (the comparison, a long period): one sum per figure.
        sums = summary.totals(self.query, SUMMARY_COLUMNS.values())
        return {key: sums[column] for key, column in SUMMARY_COLUMNS.items()}

    def row_estimate(self) -> int:
        return person_day_estimate(self.query)

    def chart(self, result: ReportResult):
        per_day: dict = {}
        for row in result.rows:
            day = per_day.setdefault(row["day"], [0, 0, 0])
            day[0] += row["new_leads"]
            day[1] += row["arrivals"]
            day[2] += row["orders"]
        days = sorted(per_day)
        return Chart(
            "line",
            _("New leads, arrivals and orders by day"),
            [f"{day:%m-%d}" for day in days],
            {
                str(_("New leads")): [per_day[d][0] for d in days],
                str(_("Arrivals")): [per_day[d][1] for d in days],
                str(_("Orders")): [per_day[d][2] for d in days],
            },
        )
