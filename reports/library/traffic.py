"""1 展厅流量分析表 — showroom traffic analysis: the parties that came, when (by day or by hour of
arrival), first or return visits, how many people, how long they stayed, whether they left a phone
number, and the first-visit retention rate; rows by day, by hour of arrival or by consultant."""

from __future__ import annotations

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import ExtractHour, TruncHour
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .. import metrics
from ..base import Chart, Column, Option, Report, ReportResult
from ..registry import register
from .common import days_between, person_names

GROUPS = (("day", _("Day")), ("hour", _("Hour of arrival")), ("consultant", _("Consultant")))
NOT_ASSIGNED = _("Not assigned")

KEY_COLUMNS = {
    "day": Column("group", _("Day"), "date", 12),
    "hour": Column("group", _("Hour of arrival"), "text", 12),
    "consultant": Column("group", _("Consultant"), "text", 14),
}

FIGURES = [
    Column(
        "visits", _("Visits"), "int", 8, _("Parties that arrived in the period (one registration each)."), compare=True
    ),
    Column("people", _("People"), "int", 8, _("The parties' sizes added up."), compare=True),
    Column("party_size", _("Average party"), "decimal", 9, _("People ÷ visits."), ratio=("people", "visits")),
    Column("first_visits", _("First visits"), "int", 8, _("Visits marked as first visits."), compare=True),
    Column("return_visits", _("Return visits"), "int", 8, _("Visits that are not first visits."), compare=True),
    Column("filed", _("Filed"), "int", 8, _("Visits where a valid phone number was left (留档)."), compare=True),
    Column(
        "no_deal",
        _("First-visit no-deal parties"),
        "int",
        11,
        _("First visits in the period with no order that day (首洽未成交批次)."),
        compare=True,
    ),
    Column("retained", _("Of which filed"), "int", 9, _("First-visit no-deal parties that left a valid phone number.")),
    Column(
        "retention",
        _("First-visit retention rate"),
        "percent",
        11,
        _("Filed first-visit no-deal parties ÷ first-visit no-deal parties (首洽客户信息留存率)."),
        ratio=("retained", "no_deal"),
        compare=True,
    ),
    Column("departed", "", "int", hidden=True),
    Column("stay_total", "", "minutes", hidden=True),
    Column(
        "stay",
        _("Average stay (min)"),
        "minutes",
        10,
        _("Minutes from arrival to departure, averaged over the visits whose departure was recorded."),
        ratio=("stay_total", "departed"),
        compare=True,
    ),
]

ZERO = dict.fromkeys(
    ("visits", "people", "first_visits", "return_visits", "filed", "no_deal", "retained", "departed", "stay_total"), 0
)


def stay_length() -> ExpressionWrapper:
    return ExpressionWrapper(F("departed_at") - F("arrived_at"), output_field=DurationField())


def aggregates(query) -> dict:
    """Every figure of a set of visits, counted in one pass over them. (The names carry a prefix:
    an aggregate named ``filed`` would shadow the field in the conditions.)"""
    no_deal = metrics.first_visit_no_deal(query)
    return {
        "n_visits": Count("pk"),
        "n_people": Sum("party_size"),
        "n_first_visits": Count("pk", filter=Q(is_first_visit=True)),
        "n_filed": Count("pk", filter=Q(filed=True)),
        "n_no_deal": Count("pk", filter=no_deal),
        "n_retained": Count("pk", filter=no_deal & Q(filed=True)),
        "n_departed": Count("pk", filter=Q(departed_at__isnull=False)),
        "n_stay": Sum(stay_length()),
    }


def finish(found: dict) -> dict:
    """Raw aggregates → a row's figures (return visits, stay in minutes, zeros for nothing)."""
    row = dict(ZERO)
    figures = {key.removeprefix("n_"): value for key, value in found.items() if key.startswith("n_")}
    stay = figures.pop("stay", None)
    row.update({key: value or 0 for key, value in figures.items()})
    row["return_visits"] = row["visits"] - row["first_visits"]
    row["stay_total"] = stay.total_seconds() / 60 if stay is not None else 0
    return row


def add(target: dict, figures: dict) -> None:
    for key, value in figures.items():
        target[key] = target.get(key, 0) + value


@register
class TrafficReport(Report):
    identifier = "traffic"
    number = 1
    verbose_name = _("Showroom traffic analysis")
    description = _(
        "The parties that came to the showroom by day, by hour of arrival or by consultant: first and return "
        "visits, people, average stay, contact details filed and the first-visit retention rate."
    )
    required_permission = "reports.view_traffic"
    options = (Option("group", pgettext_lazy("report option", "Rows by"), GROUPS, "day"),)
    columns = [KEY_COLUMNS["day"], *FIGURES]

    def __init__(self, query):
        super().__init__(query)
        self.group = self.option("group")
        # The first column is named after the chosen rows; the figures are the same for all.
        self.columns = [KEY_COLUMNS[self.group], *FIGURES]

    def visible_columns(self) -> list[Column]:  # type: ignore[override]
        return [column for column in self.columns if not column.hidden]

    def formulas(self) -> list[Column]:  # type: ignore[override]
        return [column for column in self.visible_columns() if column.formula]

    # -- rows -----------------------------------------------------------------------------------------

    def visits(self) -> QuerySet:
        return metrics.visits(self.query)

    def cells(self) -> dict[tuple, dict]:
        """Every figure per (row value, chart value) — a day and an hour, say — from one query, so
        the rows and the chart read the visits once. Kept for ``chart`` after ``rows``."""
        if not hasattr(self, "_cells"):
            # Day and hour come from one grouping expression (the Beijing hour): the database
            # estimates a single expression's groups far better than a pair, and aggregates
            # without sorting a year of visits.
            if self.group == "consultant":
                keys = {"_person": F("consultant_id"), "_hour": ExtractHour("arrived_at")}
            else:
                keys = {"_hour": TruncHour("arrived_at")}
            found = self.visits().annotate(**keys).values(*keys).annotate(**aggregates(self.query)).order_by()
            cells: dict[tuple, dict] = {}
            for row in found:
                if self.group == "consultant":
                    key = (row["_person"], row["_hour"])
                else:
                    moment = timezone.localtime(row["_hour"])
                    day, hour = moment.date(), moment.hour
                    key = (day, hour) if self.group == "day" else (hour, day)
                add(cells.setdefault(key, {}), finish(row))
            self._cells = cells
        return self._cells

    def by(self, position: int) -> dict:
        """The cells added up per row value (``position`` 0) or per chart value (1)."""
        figures: dict = {}
        for key, cell in self.cells().items():
            add(figures.setdefault(key[position], {}), cell)
        return figures

    def rows(self):
        figures = self.by(0)
        if self.group == "day":
            labelled = [(day, day) for day in days_between(self.query.first, self.query.last)]
        elif self.group == "hour":
            hours = sorted(figures)
            labelled = [(hour, f"{hour:02d}:00") for hour in range(hours[0], hours[-1] + 1)] if hours else []
        else:
            names = person_names(figures)
            labelled = sorted(
                ((person, names.get(person, str(NOT_ASSIGNED))) for person in figures),
                key=lambda pair: (pair[0] is None, pair[1]),
            )
        for value, label in labelled:
            yield {"group": label, **figures.get(value, ZERO)}

    def totals(self, rows):
        if rows is not None:
            return super().totals(rows)
        # Only the totals (the comparison with earlier periods): one aggregate, no rows.
        return finish(self.visits().aggregate(**aggregates(self.query)))

    # -- chart: the dimension the rows do not show ------------------------------------------------------

    def chart(self, result: ReportResult):
        if not result.row_count or not (result.totals or {}).get("visits"):
            return None
        figures = self.by(1)
        if self.group == "hour":
            days = days_between(self.query.first, self.query.last)
            return Chart(
                "line",
                _("Visits by day"),
                [f"{day:%m-%d}" for day in days],
                {
                    str(_("Visits")): [figures.get(day, ZERO)["visits"] for day in days],
                    str(_("First visits")): [figures.get(day, ZERO)["first_visits"] for day in days],
                    str(_("Filed")): [figures.get(day, ZERO)["filed"] for day in days],
                },
            )
        hours = list(range(min(figures), max(figures) + 1))
        return Chart(
            "bar",
            _("Visits by hour of arrival"),
            [f"{hour:02d}" for hour in hours],
            {
                str(_("First visits")): [figures.get(hour, ZERO)["first_visits"] for hour in hours],
                str(_("Return visits")): [figures.get(hour, ZERO)["return_visits"] for hour in hours],
            },
        )
