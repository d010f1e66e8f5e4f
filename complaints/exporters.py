"""Excel exporters of customer service, on the leads app's exporter base and its one xlsx renderer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_lazy as _

from leads.exporters import XLSX_CONTENT_TYPE, BaseExporter, Column, write_xlsx

from . import selectors

__all__ = ["XLSX_CONTENT_TYPE", "QuarterFeedbackExporter", "write_xlsx"]

QUARTER_COLUMNS = [
    Column(_("Section"), "text", 16),
    Column(_("Category"), "text", 22),
    Column(_("Count"), "int", 10),
    Column(_("Closed, done or dissatisfied"), "int", 14),
    Column(_("On time"), "int", 10),
    Column(_("Late or breached"), "int", 12),
    Column(_("Missed"), "int", 10),
    Column(_("Average score"), "text", 12),
]


class QuarterFeedbackExporter(BaseExporter):
    """The quarter's complaints, callbacks and satisfaction by category, for the manufacturer."""

    identifier = "quarter_feedback"
    verbose_name = _("Quarterly customer service feedback")
    required_permission = "complaints.view"
    columns = QUARTER_COLUMNS

    def __init__(self, *, user, store, year: int, quarter: int):
        super().__init__(user=user, queryset=None)
        self.store, self.year, self.quarter = store, year, quarter

    def iterate_rows(self) -> Iterator[list[Any]]:
        for row in selectors.quarter_feedback(self.store, self.year, self.quarter):
            yield [*row[:7], "" if row[7] is None else str(row[7])]

    def filename(self) -> str:
        return f"{self.verbose_name}-{self.year}Q{self.quarter}.xlsx"


class ScorecardExporter(BaseExporter):
    """The month's SSI scorecard: who earns a reward or a penalty."""

    identifier = "ssi_scorecard"
    verbose_name = _("SSI scorecard")
    required_permission = "ssi.view"
    columns = [
        Column(_("Person"), "text", 14),
        Column(_("Role"), "text", 14),
        Column(_("Surveys"), "int", 8),
        Column(_("Score"), "text", 8),
        Column(_("Zero-score items"), "int", 10),
        Column(_("Outcome"), "text", 10),
        Column(_("Amount (yuan)"), "text", 12),
        Column(_("Reward or penalty"), "text", 30),
    ]

    def __init__(self, *, user, scorecard):
        super().__init__(user=user, queryset=scorecard.lines.select_related("person"))
        self.scorecard = scorecard

    def iterate_rows(self) -> Iterator[list[Any]]:
        from .models import SsiRole

        roles = dict(SsiRole.choices)
        for line in self.queryset:
            yield [
                line.person.display_name,
                str(roles.get(line.role, line.role)),
                line.surveys,
                "" if line.score is None else str(line.score),
                line.zero_items,
                str(line.get_outcome_display()),
                "" if line.amount is None else str(line.amount),
                line.consequence,
            ]

    def filename(self) -> str:
        return f"{self.verbose_name}-{self.scorecard.month:%Y-%m}.xlsx"
