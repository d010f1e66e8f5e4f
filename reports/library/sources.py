"""6 展厅来源分析表 — the showroom source analysis: per source channel, the traffic it brings and
how its leads convert. Sub-channels (汽车之家 under 网络平台) roll up into their top-level source."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from leads.models import Source

from .. import metrics
from ..base import Chart, Column, Report, ReportResult
from ..registry import register

NOT_RECORDED = _("Not recorded")


def top_level_sources() -> tuple[dict[int, int], dict[int, tuple[int, str, str]]]:
    """(source id → its top-level source id, top-level id → (sort order, code, name))."""
    rows = {
        pk: (parent, order, code, name)
        for pk, parent, order, code, name in Source.objects.values_list("pk", "parent_id", "sort_order", "code", "name")
    }

    def top(pk: int) -> int:
        seen = set()
        while rows[pk][0] is not None and pk not in seen:
            seen.add(pk)
            pk = rows[pk][0]
        return pk

    tops = {pk: top(pk) for pk in rows}
    return tops, {pk: rows[pk][1:] for pk in set(tops.values())}


@register
class SourceReport(Report):
    identifier = "sources"
    number = 6
    verbose_name = _("Showroom source analysis")
    description = _(
        "Per source channel (sub-channels rolled up): showroom visits, first visits, contact details filed, "
        "leads captured, orders, conversion and valid-lead rate."
    )
    columns = [
        Column("source", _("Source"), "text", 18),
        Column(
            "visits", _("Visits"), "int", 9, formula=_("Showroom parties that arrived in the period."), compare=True
        ),
        Column(
            "visit_share",
            _("Share of visits"),
            "percent",
            10,
            formula=_("This source's visits ÷ all visits in the table."),
            ratio=("visits", "all_visits"),
        ),
        Column("all_visits", _("All visits"), "int", hidden=True, total=False),
        Column("first_visits", _("First visits"), "int", 9, formula=_("Visits marked as first visits."), compare=True),
        Column(
            "filed", _("Filed"), "int", 9, formula=_("Visits where a valid phone number was left (留档)."), compare=True
        ),
        Column(
            "leads",
            _("Leads captured"),
            "int",
            10,
            formula=_("Leads created in the period, merged duplicates excluded."),
            compare=True,
        ),
        Column(
            "orders",
            _("Orders"),
            "int",
            9,
            formula=_("Orders confirmed in the period on this source's leads, cancelled ones excluded."),
            compare=True,
        ),
        Column(
            "conversion",
            _("Conversion"),
            "percent",
            10,
            formula=_("Orders ÷ leads captured."),
            ratio=("orders", "leads"),
            compare=True,
        ),
        Column("valid_leads", _("Valid leads"), "int", hidden=True),
        Column(
            "valid_rate",
            _("Valid-lead rate"),
            "percent",
            10,
            formula=_("Leads captured that were not closed as invalid ÷ leads captured."),
            ratio=("valid_leads", "leads"),
            compare=True,
        ),
    ]

    def rows(self):
        q = self.query
        tops, described = top_level_sources()
        counts: dict[int | None, dict[str, int]] = {}

        def add(source_id, key, n):
            top = tops.get(source_id) if source_id is not None else None
            cell = counts.setdefault(
                top, dict.fromkeys(("visits", "first_visits", "filed", "leads", "orders", "valid_leads"), 0)
            )
            cell[key] += n

        visits = (
            metrics.visits(q)
            .values("source_id")
            .annotate(
                n=Count("pk"),
                first=Count("pk", filter=Q(is_first_visit=True)),
                filed=Count("pk", filter=Q(filed=True)),
            )
            .values_list("source_id", "n", "first", "filed")
            .order_by()
        )
        for source_id, n, first, filed in visits:
            add(source_id, "visits", n)
            add(source_id, "first_visits", first)
            add(source_id, "filed", filed)
        leads = (
            metrics.captured_leads(q)
            .values("source_id")
            .annotate(n=Count("pk"), valid=Count("pk", filter=metrics.valid_lead()))
            .values_list("source_id", "n", "valid")
            .order_by()
        )
        for source_id, n, valid in leads:
            add(source_id, "leads", n)
            add(source_id, "valid_leads", valid)
        for source_id, n in metrics.by_value(metrics.orders(q), "lead__source_id").items():
            add(source_id, "orders", n)
        all_visits = sum(cell["visits"] for cell in counts.values())

        def order(top):
            # Sources in their admin order; visits without a recorded source last.
            return (1, 0, "") if top is None else (0, *described[top][:2])

        for top in sorted(counts, key=order):
            name = str(NOT_RECORDED) if top is None else described[top][2]
            yield {"source": name, **counts[top], "all_visits": all_visits}

    def totals(self, rows):
        sums = super().totals(rows)
        sums["all_visits"] = sums["visits"]
        return sums

    def chart(self, result: ReportResult):
        shares = sorted(
            ((row["source"], row["visit_share"]) for row in result.rows if row["visits"]),
            key=lambda pair: -pair[1],
        )
        if not shares:
            return None
        return Chart(
            "share",
            _("Share of showroom visits by source"),
            [name for name, _share in shares],
            {str(_("Share of visits")): [share for _name, share in shares]},
            percent=True,
        )
