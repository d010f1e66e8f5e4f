"""4 战败统计表 — lost statistics: per consultant, the leads lost in the period spread over columns by
period (weeks for a period of up to a month, months beyond) or by series, then the period's lost,
orders, lost rate (lost ÷ (lost + orders)) and, apart, the invalid leads.

Lost, orders and invalid per day come from ``reports.summary``; lost by series is counted live."""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
from collections import Counter

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from catalog.models import Series

from .. import metrics, summary
from ..base import Chart, Column, Option, Report, ReportResult
from ..registry import register
from .common import person_names

SPREADS = (
    ("period", _("Weeks or months")),
    ("series", _("Series")),
)
WEEKS_UP_TO_DAYS = 31  # a period of up to a month is spread over weeks, a longer one over months
SERIES_COLUMNS = 12  # the series lost most get a column each; the rest share one

FIGURES = [
    Column(
        "lost",
        _("Lost"),
        "int",
        9,
        formula=_("Lost requests approved in the period, counted for the consultant who asked."),
        compare=True,
    ),
    Column(
        "orders",
        _("Orders"),
        "int",
        9,
        formula=_("Orders confirmed in the period, cancelled ones excluded."),
        compare=True,
    ),
    Column("closed", "", "int", hidden=True),
    Column(
        "lost_rate",
        _("Lost rate"),
        "percent",
        10,
        formula=_("Lost ÷ (lost + orders); invalid leads are not counted."),
        ratio=("lost", "closed"),
        compare=True,
    ),
    Column(
        "invalid",
        _("Invalid"),
        "int",
        9,
        formula=_("Invalid requests approved in the period, kept apart from lost."),
        compare=True,
    ),
]


def periods(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The weeks (Monday to Sunday) or calendar months covering [first, last], cut to it."""
    spans = []
    start = first
    weekly = (last - first).days + 1 <= WEEKS_UP_TO_DAYS
    while start <= last:
        if weekly:
            end = start + dt.timedelta(days=6 - start.weekday())
        else:
            end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        end = min(end, last)
        spans.append((start, end))
        start = end + dt.timedelta(days=1)
    return spans


def period_header(start: dt.date, end: dt.date, weekly: bool) -> str:
    if not weekly:
        return f"{start:%Y-%m}"
    return f"{start:%m-%d}" if start == end else f"{start:%m-%d}–{end:%m-%d}"


@register
class LostStatisticsReport(Report):
    identifier = "lost_statistics"
    number = 4
    verbose_name = _("Lost statistics")
    description = _(
        "Per consultant: the leads lost in the period, spread over weeks (a period of up to a month), months or "
        "series, then lost, orders and the lost rate. Invalid leads are not lost: they are counted apart."
    )
    options = (Option("spread", _("Spread lost leads over"), SPREADS, "period"),)
    columns = [Column("consultant", _("Consultant"), "text", 14), *FIGURES]

    def __init__(self, query):
        super().__init__(query)
        self.spread = self.option("spread")
        self.spans = periods(query.first, query.last)
        self.weekly = (query.last - query.first).days + 1 <= WEEKS_UP_TO_DAYS
        self._lost_by_series: Counter | None = None
        if self.spread == "series":
            spread_columns = self.series_columns()
        else:
            spread_columns = [
                Column(f"period_{index}", period_header(start, end, self.weekly), "int", 9)
                for index, (start, end) in enumerate(self.spans)
            ]
        # Per query: the spread columns depend on the period or on the series lost in it.
        self.columns = [Column("consultant", _("Consultant"), "text", 14), *spread_columns, *FIGURES]

    def visible_columns(self) -> list[Column]:  # type: ignore[override]
        return [column for column in self.columns if not column.hidden]

    def formulas(self) -> list[Column]:  # type: ignore[override]
        return [column for column in self.visible_columns() if column.formula]

    # -- the spread --------------------------------------------------------------------------------------

    def lost_by_series(self) -> Counter:
        """Lost per (series id or None, consultant id)."""
        if self._lost_by_series is None:
            rows = (
                metrics.lost(self.query)
                .values("lead__series_id", "requested_by_id")
                .annotate(n=Count("pk"))
                .values_list("lead__series_id", "requested_by_id", "n")
                .order_by()
            )
            self._lost_by_series = Counter({(series, person): n for series, person, n in rows})
        return self._lost_by_series

    def series_columns(self) -> list[Column]:
        per_series: Counter = Counter()
        for (series, _person), n in self.lost_by_series().items():
            per_series[series] += n
        names = {
            row.pk: str(row)
            for row in Series.objects.filter(pk__in=[k for k in per_series if k]).select_related("brand")
        }
        names[None] = str(_("No series chosen"))
        ranked = sorted(per_series, key=lambda key: (-per_series[key], key is None, names.get(key, "")))
        self.series_keys = {key: f"series_{key or 0}" for key in ranked[:SERIES_COLUMNS]}
        columns = [Column(self.series_keys[key], names.get(key, "—"), "int", 9) for key in ranked[:SERIES_COLUMNS]]
        if len(ranked) > SERIES_COLUMNS:
            columns.append(Column("series_other", _("Other series"), "int", 9))
        return columns

    def spread_counts(self, lost_by_day: Counter) -> Counter:
        """Lost per (spread column key, consultant id)."""
        counts: Counter = Counter()
        if self.spread == "series":
            for (series, person), n in self.lost_by_series().items():
                counts[(self.series_keys.get(series, "series_other"), person)] += n
            return counts
        starts = [start for start, _end in self.spans]
        for (day, person), n in lost_by_day.items():
            counts[(f"period_{bisect.bisect_right(starts, day) - 1}", person)] += n
        return counts

    # -- rows ----------------------------------------------------------------------------------------------

    def rows(self):
        # Lost, orders and invalid per (day, person) from the daily summaries (the days that are
        # over; the rest live, with the same metric definitions).
        figures = summary.counts(self.query, ["lost", "orders", "invalid"])
        spread = self.spread_counts(figures["lost"])
        per_person = {key: Counter() for key in ("lost", "orders", "invalid")}
        for (_key, person), n in spread.items():
            per_person["lost"][person] += n
        for key in ("orders", "invalid"):
            for (_day, person), n in figures[key].items():
                per_person[key][person] += n
        lost, orders, invalid = per_person["lost"], per_person["orders"], per_person["invalid"]
        people = {person for counter in per_person.values() for person, n in counter.items() if n}
        names = person_names(people)
        spread_keys = [column.key for column in self.columns[1 : -len(FIGURES)]]
        for person in sorted(people, key=lambda p: (names.get(p, ""), p or 0)):
            row = {"consultant": names.get(person, "—")}
            for key in spread_keys:
                row[key] = spread.get((key, person), 0)
            row.update(
                lost=lost[person],
                orders=orders[person],
                closed=lost[person] + orders[person],
                invalid=invalid[person],
            )
            yield row

    def chart(self, result: ReportResult):
        totals = result.totals or {}
        spread = self.columns[1 : -len(FIGURES)]
        if self.spread == "series":
            all_lost = totals.get("lost") or 0
            return Chart(
                "share",
                _("Share of lost leads by series"),
                [str(column.header) for column in spread],
                {str(_("Lost")): [(totals.get(column.key) or 0) / all_lost if all_lost else 0 for column in spread]},
                percent=True,
            )
        return Chart(
            "bar",
            _("Lost leads by week") if self.weekly else _("Lost leads by month"),
            [str(column.header) for column in spread],
            {str(_("Lost")): [totals.get(column.key) or 0 for column in spread]},
        )
