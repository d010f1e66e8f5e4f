"""9 销售顾问访问活动日报表 — consultant activity daily report: per consultant per day, the contacts
made by channel, the invitations, the customers received and the test drives, and the planned
follow-up tasks of the day against those done on time (follow-up punctuality)."""

from __future__ import annotations

from collections import Counter

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership
from leads.models import FollowUp

from .. import metrics
from ..base import Chart, Column, Report, ReportResult
from ..registry import register
from .common import person_names

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

ACTIVITIES = {
    # key: (metric, date field, person field)
    "invitations": (metrics.invitations, "created_at", "created_by_id"),
    "visits": (metrics.visits, "arrived_at", "consultant_id"),
    "test_drives": (metrics.test_drives, "started_at", "consultant_id"),
}


def channel_key(channel: str) -> str:
    return f"channel_{channel}"


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

    def counts(self) -> dict[str, Counter]:
        """Each column's counts per (Beijing day, person id)."""
        q = self.query
        counts: dict[str, Counter] = {}
        by_channel = metrics.follow_ups_by_channel(q)
        for value, _header, _formula in CHANNELS:
            counts[channel_key(value)] = by_channel.get(value, Counter())
        counts["follow_ups"] = sum(by_channel.values(), Counter())
        for key, (function, date_field, person_field) in ACTIVITIES.items():
            counts[key] = metrics.by_day_and_person(function(q), date_field, person_field)
        # Tasks belong to a lead: the source and series filters narrow them like the rest.
        lead_filter = (q.sources("lead__source_id"), q.series("lead__series_id"))
        counts["tasks_due"] = by_due_date(metrics.tasks_due(q).filter(*lead_filter))
        counts["tasks_on_time"] = by_due_date(metrics.tasks_on_time(q).filter(*lead_filter))
        return counts

    def rows(self):
        counts = self.counts()
        cells = {cell for counter in counts.values() for cell, n in counter.items() if n}
        names = person_names(person for _day, person in cells)
        for day, person in sorted(cells, key=lambda cell: (cell[0], names.get(cell[1], ""), cell[1] or 0)):
            row = {"day": day, "consultant": names.get(person, "—")}
            for key, counter in counts.items():
                row[key] = counter.get((day, person), 0)
            yield row

    def row_estimate(self) -> int:
        """At most one row per day per person who may appear (those the user sees in the stores)."""
        q = self.query
        people: set[int] = set()
        for store_id in q.store_ids:
            scope = q.scope(store_id)
            if scope is None:
                people |= set(Membership.objects.filter(store_id=store_id).values_list("user_id", flat=True))
            else:
                people |= scope
        if q.consultant is not None:
            people &= {q.consultant.pk}
        return q.days * len(people)

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


def by_due_date(tasks) -> Counter:
    """Task counts per (due date, assignee id): the due date is already a Beijing day."""
    counts: Counter = Counter()
    rows = tasks.values("due_date", "assignee_id").annotate(n=Count("pk")).values_list("due_date", "assignee_id", "n")
    for day, person, n in rows.order_by():
        counts[(day, person)] += n
    return counts
