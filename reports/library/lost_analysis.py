"""5 战败分析表 — lost analysis: why leads were lost, to which competitor brands, at which stage.

One table in sections: the lost leads of the period by reason, by competitor brand and by the stage
the lead had reached, each section adding up to every lost lead (its shares to 100%); invalid leads
are not lost and come last, in a section of their own with their own count and shares.
"""

from __future__ import annotations

from collections import Counter

from django.utils.translation import gettext_lazy as _

from leads.models import LeadStatus, LostReason

from .. import metrics
from ..base import Chart, Column, Report, ReportResult
from ..registry import register

# The stages a lead passes before it can be lost, in funnel order; always shown, even at zero.
STAGES = [LeadStatus.NEW, LeadStatus.FOLLOWING, LeadStatus.INVITED, LeadStatus.VISITED]
CHART_REASONS = 8


def reason_names(ids) -> dict[int, tuple[int, str]]:
    """reason id → (sort order, name)."""
    return {
        reason.pk: (reason.sort_order, reason.name)
        for reason in LostReason.objects.filter(pk__in=[i for i in ids if i is not None])
    }


def ranked_reasons(counts: Counter) -> list[tuple[str, int]]:
    """(name, count), most frequent first; ties in the admin's order of the reasons."""
    names = reason_names(counts)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], *names.get(item[0], (0, ""))))
    return [(names.get(pk, (0, "—"))[1], n) for pk, n in ranked]


def ranked_brands(counts: Counter) -> list[tuple[str, int]]:
    """Competitor brands as typed, spaces and letter case aside; most frequent first, the lost
    leads without a named competitor last."""
    merged: Counter = Counter()
    spelling: dict[str, str] = {}
    for brand, n in sorted(counts.items(), key=lambda item: -item[1]):
        key = (brand or "").strip().casefold()
        spelling.setdefault(key, (brand or "").strip())
        merged[key] += n
    unnamed = merged.pop("", 0)
    ranked = [(spelling[key], n) for key, n in sorted(merged.items(), key=lambda item: (-item[1], item[0]))]
    if unnamed:
        ranked.append((str(_("No competitor named")), unnamed))
    return ranked


@register
class LostAnalysisReport(Report):
    identifier = "lost_analysis"
    number = 5
    verbose_name = _("Lost analysis")
    description = _(
        "Lost leads approved in the period by reason, competitor brand and the stage the lead had reached, "
        "with each one's share of all lost leads. Invalid leads are not lost: their reasons are listed apart."
    )
    columns = [
        Column("section", _("Analysed by"), "text", 16),
        Column("item", _("Item"), "text", 22),
        Column(
            "lost",
            _("Lost"),
            "int",
            10,
            formula=_("Lost requests approved in the period (invalid leads are not lost)."),
            compare=True,
        ),
        Column("all_lost", _("All lost"), "int", hidden=True),
        Column(
            "lost_share",
            _("Share of lost"),
            "percent",
            12,
            formula=_("Lost ÷ all lost leads of the period; each section adds up to 100%."),
            ratio=("lost", "all_lost"),
        ),
        Column(
            "invalid",
            _("Invalid"),
            "int",
            10,
            formula=_("Invalid requests approved in the period, kept apart from lost."),
            compare=True,
        ),
        Column("all_invalid", _("All invalid"), "int", hidden=True),
        Column(
            "invalid_share",
            _("Share of invalid"),
            "percent",
            12,
            formula=_("Invalid ÷ all invalid leads of the period."),
            ratio=("invalid", "all_invalid"),
        ),
    ]

    def figures(self) -> dict:
        lost = metrics.lost(self.query)
        invalid = metrics.invalid(self.query)
        return {
            "reasons": metrics.by_value(lost, "reason_id"),
            "brands": metrics.by_value(lost, "competitor_brand"),
            "stages": metrics.by_value(lost, "previous_status"),
            "invalid_reasons": metrics.by_value(invalid, "reason_id"),
        }

    def rows(self):
        figures = self.figures()
        all_lost = sum(figures["reasons"].values())
        all_invalid = sum(figures["invalid_reasons"].values())

        def lost_row(key, section, item, n):
            return {"key": key, "section": section, "item": item, "lost": n, "all_lost": all_lost, "invalid": None}

        for name, n in ranked_reasons(figures["reasons"]):
            yield lost_row("reason", _("Reason"), name, n)
        for brand, n in ranked_brands(figures["brands"]):
            yield lost_row("brand", _("Competitor brand"), brand, n)
        stages = figures["stages"]
        labels = dict(LeadStatus.choices)
        for stage in [*STAGES, *sorted(set(stages) - set(STAGES))]:
            if stage in STAGES or stages[stage]:
                yield lost_row("stage", _("Stage where lost"), labels.get(stage, stage), stages[stage])
        for name, n in ranked_reasons(figures["invalid_reasons"]):
            yield {
                "key": "invalid_reason",
                "section": _("Invalid: reason"),
                "item": name,
                "lost": None,
                "invalid": n,
                "all_invalid": all_invalid,
            }

    def totals(self, rows):
        """Every lost and every invalid lead once (each section adds up to them; a sum of the
        rows would count a lead once per section)."""
        lost = metrics.lost(self.query).count()
        invalid = metrics.invalid(self.query).count()
        return {"lost": lost, "all_lost": lost, "invalid": invalid, "all_invalid": invalid}

    def chart(self, result: ReportResult):
        reasons = [row for row in result.rows if row["key"] == "reason"]
        shown = reasons[:CHART_REASONS]
        rest = sum(row["lost"] for row in reasons[CHART_REASONS:])
        labels = [row["item"] for row in shown]
        values = [row["lost_share"] for row in shown]
        if rest:
            labels.append(str(_("Other reasons")))
            values.append(rest / reasons[0]["all_lost"])
        return Chart(
            "share", _("Share of lost leads by reason"), labels, {str(_("Share of lost")): values}, percent=True
        )
