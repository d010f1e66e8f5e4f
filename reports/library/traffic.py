"""1 展厅流量分析表 — showroom traffic analysis: the parties that came, when (by day or by hour of
arrival), first or return visits, how many people, how long they stayed, whether they left a phone
number, and the first-visit retention rate; rows by day, by hour of arrival or by consultant."""

from __future__ import annotations

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import ExtractHour, TruncDate
from django.utils.translation import gettext_lazy as _

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


def grouped(queryset: QuerySet, key, **aggregates) -> dict:
    """``aggregates`` of ``queryset`` per value of the ``key`` expression."""
    rows = queryset.annotate(_key=key).values("_key").annotate(**aggregates).order_by()
    return {row.pop("_key"): row for row in rows}


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
    options = (Option("group", _("Rows"), GROUPS, "day"),)
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

    @staticmethod
    def key_expression(group: str):
        return {"day": TruncDate("arrived_at"), "hour": ExtractHour("arrived_at"), "consultant": F("consultant_id")}[
            group
        ]

    def figures(self, group: str) -> dict:
        """Every figure per value of the grouping (a day, an hour 0–23, a consultant id)."""
        key = self.key_expression(group)
        visits = grouped(
            metrics.visits(self.query),
            key,
            visits=Count("pk"),
            people=Sum("party_size"),
            first_visits=Count("pk", filter=Q(is_first_visit=True)),
            filed=Count("pk", filter=Q(filed=True)),
            departed=Count("pk", filter=Q(departed_at__isnull=False)),
            stay=Sum(stay_length()),
        )
        no_deal = grouped(
            metrics.first_visits_no_deal(self.query),
            key,
            no_deal=Count("pk"),
            retained=Count("pk", filter=Q(filed=True)),
        )
        figures = {}
        for value in visits.keys() | no_deal.keys():
            row = dict(ZERO)
            found = visits.get(value)
            if found:
                stay = found.pop("stay")
                row.update(found)
                row["return_visits"] = row["visits"] - row["first_visits"]
                row["stay_total"] = stay.total_seconds() / 60 if stay is not None else 0
            row.update(no_deal.get(value, {}))
            figures[value] = row
        return figures

    def rows(self):
        figures = self.figures(self.group)
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

    # -- chart: the dimension the rows do not show ------------------------------------------------------

    def chart(self, result: ReportResult):
        if not result.row_count or not (result.totals or {}).get("visits"):
            return None
        if self.group == "hour":
            per_day = self.figures("day")
            days = days_between(self.query.first, self.query.last)
            return Chart(
                "line",
                _("Visits by day"),
                [f"{day:%m-%d}" for day in days],
                {
                    str(_("Visits")): [per_day.get(day, ZERO)["visits"] for day in days],
                    str(_("First visits")): [per_day.get(day, ZERO)["first_visits"] for day in days],
                    str(_("Filed")): [per_day.get(day, ZERO)["filed"] for day in days],
                },
            )
        per_hour = self.figures("hour")
        hours = list(range(min(per_hour), max(per_hour) + 1))
        return Chart(
            "bar",
            _("Visits by hour of arrival"),
            [f"{hour:02d}" for hour in hours],
            {
                str(_("First visits")): [per_hour.get(hour, ZERO)["first_visits"] for hour in hours],
                str(_("Return visits")): [per_hour.get(hour, ZERO)["return_visits"] for hour in hours],
            },
        )
