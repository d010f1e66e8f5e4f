"""3 客户分析 — customer analysis: the leads captured in the period, broken down by grade, source,
series, value tier or status, with what has become of them so far."""

from __future__ import annotations

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog.models import Series
from leads.models import Grade, LeadStatus, Source

from .. import metrics
from ..base import Chart, Column, Option, Report, ReportResult
from ..registry import register

DIMENSIONS = (
    ("source", _("Source")),
    ("grade", _("Grade")),
    ("series", _("Series")),
    ("tier", _("Value tier")),
    ("status", _("Status")),
)

TIERS = (
    ("high", _("High value (visited the store)")),
    ("value", _("Value (talked, not visited)")),
    ("general", _("General (no contact yet)")),
)

COLUMNS = [
    Column("leads", _("Leads"), "int", 9, _("Leads captured in the period, merged duplicates excluded."), compare=True),
    Column("all_leads", "", "int", hidden=True),
    Column("share", _("Share"), "percent", 9, _("Leads of this row ÷ all leads."), ratio=("leads", "all_leads")),
    Column("visited", _("Visited"), "int", 9, _("Of these leads, those that have visited the store."), compare=True),
    Column("ordered", _("Ordered"), "int", 9, _("Of these leads, those with an order not cancelled."), compare=True),
    Column(
        "conversion",
        _("Conversion"),
        "percent",
        11,
        _("Ordered ÷ leads: the share of these leads that became orders so far."),
        ratio=("ordered", "leads"),
        compare=True,
    ),
    Column("lost", _("Lost"), "int", 9, _("Of these leads, those closed as lost (approved)."), compare=True),
    Column(
        "invalid",
        _("Invalid"),
        "int",
        9,
        _("Of these leads, those closed as invalid (approved); kept apart from lost."),
        compare=True,
    ),
    Column("valid", "", "int", hidden=True),
    Column(
        "valid_rate",
        _("Valid-lead rate"),
        "percent",
        11,
        _("Leads not invalid ÷ leads."),
        ratio=("valid", "leads"),
        compare=True,
    ),
]


def _choice_order(choices) -> dict:
    return {value: index for index, (value, _label) in enumerate(choices)}


@register
class CustomersReport(Report):
    identifier = "customers"
    number = 3
    verbose_name = _("Customer analysis")
    description = _(
        "The leads captured in the period by source, grade, series, value tier or status: their share, how many "
        "have visited, ordered, been lost or found invalid so far, the conversion and the valid-lead rate. "
        "Grade, tier and status are the leads' present ones."
    )
    options = (Option("dimension", pgettext_lazy("report option", "Rows by"), DIMENSIONS, "source"),)
    columns = [Column("label", _("Source"), "text", 24), *COLUMNS]

    def __init__(self, query):
        super().__init__(query)
        self.dimension = self.option("dimension")
        header = dict(DIMENSIONS)[self.dimension]
        # The first column is named after the chosen rows; the rest are the class's columns.
        self.columns = [Column("label", header, "text", 24), *COLUMNS]

    def visible_columns(self) -> list[Column]:  # type: ignore[override]
        return [column for column in self.columns if not column.hidden]

    def formulas(self) -> list[Column]:  # type: ignore[override]
        return [column for column in self.visible_columns() if column.formula]

    # -- rows -----------------------------------------------------------------------------------------

    def key(self, prefix: str = ""):
        """The chosen dimension's value of a lead (reached through ``prefix`` from another model)."""
        if self.dimension == "source":
            return Coalesce(f"{prefix}source__parent_id", f"{prefix}source_id")
        if self.dimension == "series":
            return Coalesce(f"{prefix}series_id", 0)
        if self.dimension == "tier":
            return metrics.value_tier(prefix)
        return F(f"{prefix}{self.dimension}")

    def counts(self) -> dict:
        """Per value of the chosen dimension: leads, visited, ordered, lost, invalid."""
        leads = metrics.captured_leads(self.query)
        counts = {
            row.pop("_key"): {**row, "ordered": 0}
            for row in leads.annotate(_key=self.key())
            .values("_key")
            .annotate(
                leads=Count("pk"),
                visited=Count("pk", filter=Q(first_visit_at__isnull=False)),
                lost=Count("pk", filter=Q(status=LeadStatus.LOST)),
                invalid=Count("pk", filter=Q(status=LeadStatus.INVALID)),
            )
            .order_by()
        }
        # Ordered leads from the orders' side: one join, not a look-up per lead.
        ordered = (
            metrics.orders_of_captured(self.query)
            .annotate(_key=self.key("lead__"))
            .values("_key")
            .annotate(n=Count("lead_id", distinct=True))
            .values_list("_key", "n")
            .order_by()
        )
        for key, n in ordered:
            counts[key]["ordered"] = n
        return counts

    def labelled(self, keys) -> list[tuple[object, str]]:
        """The keys in the dimension's natural order, with their labels."""
        if self.dimension == "grade":
            order, labels = _choice_order(Grade.choices), dict(Grade.choices)
        elif self.dimension == "status":
            order, labels = _choice_order(LeadStatus.choices), dict(LeadStatus.choices)
        elif self.dimension == "tier":
            order, labels = _choice_order(TIERS), dict(TIERS)
        elif self.dimension == "source":
            sources = Source.objects.filter(pk__in=keys).order_by("sort_order", "name")
            order = {source.pk: index for index, source in enumerate(sources)}
            labels = {source.pk: source.name for source in sources}
        else:
            series = Series.objects.filter(pk__in=keys).select_related("brand").order_by("brand__name", "name")
            order = {row.pk: index for index, row in enumerate(series)}
            labels = {row.pk: str(row) for row in series}
            order[0], labels[0] = len(order), _("No series chosen")
        return [(key, str(labels.get(key, key))) for key in sorted(keys, key=lambda k: (order.get(k, len(order)), k))]

    def rows(self):
        counts = self.counts()
        total = sum(row["leads"] for row in counts.values())
        for key, label in self.labelled(counts):
            figures = counts[key]
            yield {"label": label, "all_leads": total, "valid": figures["leads"] - figures["invalid"], **figures}

    def totals(self, rows):
        sums = super().totals(rows)
        sums["all_leads"] = sums.get("leads", 0)
        return sums

    def chart(self, result: ReportResult):
        header = dict(DIMENSIONS)[self.dimension]
        return Chart(
            "share",
            _("Share of leads by %(dimension)s") % {"dimension": str(header).lower()},
            [row["label"] for row in result.rows],
            {str(_("Share")): [row["share"] or 0 for row in result.rows]},
            percent=True,
        )
