"""2 工作日报表 — the daily work report: per consultant per day, what the sales floor did."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .. import metrics
from ..base import Chart, Column, Report, ReportResult
from ..registry import register
from .common import person_names

METRICS = [
    # key, header, formula, (queryset, date field, person field)
    ("new_leads", _("New leads"), _("Leads captured that day (merged duplicates excluded)."), "captured"),
    ("follow_ups", _("Follow-ups"), _("Follow-up records logged that day."), "follow_ups"),
    ("invitations", _("Invitations"), _("Appointments made that day."), "invitations"),
    ("arrivals", _("Arrivals"), _("Showroom visits received that day."), "visits"),
    ("test_drives", _("Test drives"), _("Test drives started that day."), "test_drives"),
    ("orders", _("Orders"), _("Orders confirmed that day, cancelled ones excluded."), "orders"),
    ("deliveries", _("Deliveries"), _("Cars delivered that day."), "deliveries"),
    ("lost", _("Lost"), _("Lost requests approved that day (invalid leads are not lost)."), "lost"),
]

SOURCES = {
    "captured": (metrics.captured_leads, "created_at", "owner_id"),
    "follow_ups": (metrics.follow_ups, "created_at", "author_id"),
    "invitations": (metrics.invitations, "created_at", "created_by_id"),
    "visits": (metrics.visits, "arrived_at", "consultant_id"),
    "test_drives": (metrics.test_drives, "started_at", "consultant_id"),
    "orders": (metrics.orders, "confirmed_at", "seller_id"),
    "deliveries": (metrics.deliveries, "delivered_at", "seller_id"),
    "lost": (metrics.lost, "decided_at", "requested_by_id"),
}


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
        *[Column(key, header, "int", 10, formula=formula, compare=True) for key, header, formula, _src in METRICS],
    ]

    def rows(self):
        counts = {}
        for key, _header, _formula, source in METRICS:
            function, date_field, person_field = SOURCES[source]
            counts[key] = metrics.by_day_and_person(function(self.query), date_field, person_field)
        keys = sorted({cell for counter in counts.values() for cell in counter}, key=lambda k: (k[0], k[1] or 0))
        names = person_names(person for _day, person in keys)
        for day, person in keys:
            row = {"day": day, "consultant": names.get(person, "—")}
            for key in counts:
                row[key] = counts[key].get((day, person), 0)
            yield row

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
