"""9 销售顾问访问活动日报表 — consultant activity daily report: per consultant per day, the contacts
made by channel, the invitations, the customers received and the test drives, and the planned
follow-up tasks of the day against those done on time (follow-up punctuality).

The activities come from ``reports.summary`` (days that are over from the daily summaries, the rest
live, with the same metric definitions); the tasks are counted live."""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from leads.models import FollowUp

from .. import metrics, summary
from ..base import Chart, Column, Report, ReportResult
from ..registry import register
from .common import person_day_estimate, person_names

CHANNELS = [
    # FollowUp.Channel value, the column's header and formula (headers name the follow-up: a
    # "test drive" channel column is not the test drives given)
    (FollowUp.Channel.PHONE, _("Phone follow-ups"), _("Follow-ups logged that day by phone.")),
    (FollowUp.Channel.SMS, _("SMS follow-ups"), _("Follow-ups logged that day by SMS.")),
    (FollowUp.Channel.WECHAT, _("WeChat follow-ups"), _("Follow-ups logged that day by WeChat.")),
    (FollowUp.Channel.EMAIL, _("Email follow-ups"), _("Follow-ups logged that day by email.")),
    (FollowUp.Channel.VISIT, _("Store-visit follow-ups"), _("Follow-ups logged that day during a store visit.")),
    (FollowUp.Channel.TEST_DRIVE, _("Test-drive follow-ups"), _("Follow-ups logged that day during a test drive.")),
]


def channel_key(channel: str) -> str:
    return f"channel_{channel}"


# Each count column and the summary's column it reads.
SUMMARY_COLUMNS = {
    **{channel_key(value): f"follow_ups_{value}" for value, _header, _formula in CHANNELS},
    "follow_ups": "follow_ups",
    "invitations": "invitations",
    "visits": "visits",
    "test_drives": "test_drives",
}


class Cells(NamedTuple):
    activities: dict  # (day, person id) → [count per summary column]
    due: Counter  # (day, person id) → tasks due
    on_time: Counter  # (day, person id) → of those, done on time
    names: dict  # person id → name
    order: list  # the cells in the order of the rows: day, then name


@register
class ActivityReport(Report):
    identifier = "activity"
    number = 9
    verbose_name = _("Consultant activity daily report")
    description = _(
        "Per consultant per day: follow-ups by channel, invitations, customers received, test drives, "
        "and the follow-up tasks due that day against those done on time."
    )
    columns = [
        Column("day", _("Day"), "date", 12),
        Column("consultant", _("Consultant"), "text", 14),
        *[Column(channel_key(value), header, "int", 9, formula=formula) for value, header, formula in CHANNELS],
        Column(
            "follow_ups",
            _("Follow-ups"),
            "int",
            10,
            formula=_("Follow-ups logged that day, all channels."),
            compare=True,
        ),
        Column("invitations", _("Invitations"), "int", 10, formula=_("Appointments made that day."), compare=True),
        Column(
            "visits",
            _("Customers received"),
            "int",
            10,
            formula=_("Showroom visits received that day."),
            compare=True,
        ),
        Column(
            "test_drives", _("Test drives given"), "int", 10, formula=_("Test drives started that day."), compare=True
        ),
        Column(
            "tasks_due",
            _("Tasks due"),
            "int",
            10,
            formula=_("Follow-up tasks planned for that day (cancelled ones excluded)."),
            compare=True,
        ),
        Column(
            "tasks_on_time",
            _("Done on time"),
            "int",
            10,
            formula=_("Of the tasks due that day, those done by the end of the day (Beijing time)."),
        ),
        Column(
            "punctuality",
            _("Follow-up punctuality"),
            "percent",
            12,
            formula=_("Tasks done on time ÷ tasks due."),
            ratio=("tasks_on_time", "tasks_due"),
            compare=True,
        ),
    ]

    def tasks(self):
        """The tasks due; a task belongs to a lead, so the source and series filters narrow them like
        the rest. Those done on time are counted in the same pass (``metrics.on_time``)."""
        q = self.query
        return metrics.tasks_due(q).filter(q.sources("lead__source_id"), q.series("lead__series_id"))

    def cells(self) -> Cells:
        """Every count per (Beijing day, person id), and those cells in the order of the rows."""
        activities = summary.table(self.query, SUMMARY_COLUMNS.values())
        due, on_time = by_due_date(self.tasks())  # a task done on time is a task due: its cell is there
        found = set(activities) | set(due)
        names = person_names({person for _day, person in found})
        order = sorted(found, key=lambda cell: (cell[0], names.get(cell[1], ""), cell[1] or 0))
        return Cells(activities, due, on_time, names, order)

    def rows_of(self, cells: Cells, order: list):
        keys = list(SUMMARY_COLUMNS)
        none = [0] * len(keys)
        for cell in order:
            day, person = cell
            row = dict(zip(keys, cells.activities.get(cell, none), strict=True))
            row.update(day=day, consultant=cells.names.get(person, "—"))
            row.update(tasks_due=cells.due[cell], tasks_on_time=cells.on_time[cell])
            yield row

    def rows(self):
        cells = self.cells()
        return self.rows_of(cells, cells.order)

    def screen_rows(self, limit: int) -> tuple[list[dict], int]:
        """A group's year is some 150,000 rows: only the first ``limit`` are made into rows."""
        cells = self.cells()
        return [self.complete(row) for row in self.rows_of(cells, cells.order[:limit])], len(cells.order)

    def totals(self, rows):
        if rows is not None:
            return super().totals(rows)
        # Without the rows at hand (the comparison, a long period): one sum per figure.
        sums = summary.totals(self.query, SUMMARY_COLUMNS.values())
        tasks = self.tasks().aggregate(due=Count("pk"), on_time=Count("pk", filter=metrics.on_time()))
        return {
            **{key: sums[column] for key, column in SUMMARY_COLUMNS.items()},
            "tasks_due": tasks["due"],
            "tasks_on_time": tasks["on_time"],
        }

    def row_estimate(self) -> int:
        return person_day_estimate(self.query)

    def chart(self, result: ReportResult):
        keys = ["follow_ups", "invitations", "visits", "test_drives"]
        per_day: dict = {}
        for row in result.rows:
            day = per_day.setdefault(row["day"], dict.fromkeys(keys, 0))
            for key in keys:
                day[key] += row[key]
        days = sorted(per_day)
        headers = {column.key: str(column.header) for column in self.columns}
        return Chart(
            "line",
            _("Activities by day"),
            [f"{day:%m-%d}" for day in days],
            {headers[key]: [per_day[day][key] for day in days] for key in keys},
        )


def by_due_date(tasks) -> tuple[Counter, Counter]:
    """The tasks due and those done on time per (due date, assignee id), in one pass: the due date is
    already a Beijing day."""
    due: Counter = Counter()
    done: Counter = Counter()
    rows = (
        tasks.values("due_date", "assignee_id")
        .annotate(n=Count("pk"), on_time=Count("pk", filter=metrics.on_time()))
        .values_list("due_date", "assignee_id", "n", "on_time")
    )
    for day, person, n, in_time in rows.order_by():
        due[(day, person)] += n
        done[(day, person)] += in_time
    return due, done
