"""The report definition every report of the report center follows, modelled on pretix's exporters.

A report is a class with an identifier, a translated name, the permission it needs, the filters it
offers, its columns (header, cell type, formula) and a generator of rows. ``run`` turns a query into
a ``ReportResult`` — rows with every ratio computed by one rule, the totals row, the comparison with
the previous period and the same period last year — and the screen, the print view and the Excel
file all render that one result, so their numbers cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .query import ReportQuery

NUMERIC_KINDS = {"int", "percent", "minutes", "decimal"}
DASH = "—"


@dataclass(frozen=True)
class Column:
    """One column. A ``ratio`` column's cells are numerator ÷ denominator of two other columns,
    computed the same way in rows and in the totals row; a zero denominator gives ``None`` (—)."""

    key: str
    header: str | Promise
    kind: str = "int"  # text | int | percent | minutes | decimal | date | datetime | bool
    width: int = 12
    formula: str | Promise = ""
    ratio: tuple[str, str] | None = None
    hidden: bool = False  # a numerator or denominator needed for a ratio, not shown
    total: bool = True  # numeric columns are summed into the totals row unless False
    compare: bool = False  # shown in the comparison with earlier periods

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    @property
    def is_rate(self) -> bool:
        return self.kind == "percent"


@dataclass(frozen=True)
class Option:
    """A report's own query condition: one value among fixed choices (e.g. what the rows are).
    The query form offers it, ``ReportQuery.extra["options"]`` carries it to the print view, the
    Excel file and background exports, and the described conditions name the choice."""

    key: str
    label: str | Promise
    choices: tuple[tuple[str, str | Promise], ...]
    default: str

    def clean(self, value) -> str:
        return value if value in dict(self.choices) else self.default

    def choice_label(self, value) -> str | Promise:
        return dict(self.choices)[self.clean(value)]


def divide(numerator, denominator) -> float | None:
    if not denominator or numerator is None:
        return None
    return float(numerator) / float(denominator)


@dataclass
class Comparison:
    """One figure now, in the period before and in the same period last year, with the changes:
    rates in percentage points, counts in percent."""

    column: Column
    current: Any
    previous: Any
    last_year: Any

    @staticmethod
    def change(column: Column, now, then) -> float | None:
        if now is None or then is None:
            return None
        if column.is_rate:
            return (float(now) - float(then)) * 100
        if not then:
            return None
        return (float(now) - float(then)) / float(then) * 100

    @property
    def previous_change(self) -> float | None:
        return self.change(self.column, self.current, self.previous)

    @property
    def last_year_change(self) -> float | None:
        return self.change(self.column, self.current, self.last_year)


@dataclass
class Chart:
    """What to draw; ``reports.charts`` turns it into SVG. ``series`` maps a label to values
    aligned with ``labels``."""

    kind: str  # bar | line | funnel | pie
    title: str | Promise
    labels: list[str]
    series: dict[str, list[float]]
    percent: bool = False


@dataclass
class ReportResult:
    report: Report
    query: ReportQuery
    rows: list[dict]
    totals: dict | None
    row_count: int
    truncated: bool = False
    comparisons: list[Comparison] = field(default_factory=list)
    chart: Chart | None = None

    @property
    def columns(self) -> list[Column]:
        return self.report.visible_columns()

    def cells(self, row: dict) -> list[tuple[Column, Any]]:
        return [(column, row.get(column.key)) for column in self.columns]


class Report:
    """Base class of the nine reports (see ``reports.library``)."""

    identifier: ClassVar[str]
    number: ClassVar[int]
    verbose_name: ClassVar[str | Promise]
    description: ClassVar[str | Promise] = ""
    required_permission: ClassVar[str] = "reports.view"
    filters: ClassVar[tuple[str, ...]] = ("consultant", "source", "series")
    options: ClassVar[tuple[Option, ...]] = ()
    columns: ClassVar[list[Column]]
    # Reports that list records (not figures) show the first rows on screen; Excel has them all.
    screen_row_limit: ClassVar[int] = 1000
    totals_label: ClassVar[str | Promise] = _("Total")
    do_not_call_in_templates = True  # templates receive the class itself

    def __init__(self, query: ReportQuery):
        self.query = query

    # -- what a report implements ------------------------------------------------------------------

    def rows(self) -> Iterable[dict]:
        """Raw rows: a dict per row with the values of the non-ratio columns."""
        raise NotImplementedError

    def totals(self, rows: list[dict] | None) -> dict | None:
        """The totals row's raw values. By default the sums of the rows (``rows`` is None when
        only totals are wanted, e.g. for the comparison). Record lists override this with an
        aggregate so the total is right even where the screen shows only the first rows."""
        if rows is None:
            rows = list(self.rows())
        sums: dict[str, Any] = {}
        for column in self.columns:
            if column.numeric and column.total and column.ratio is None:
                sums[column.key] = sum((row.get(column.key) or 0) for row in rows)
        return sums

    def chart(self, result: ReportResult) -> Chart | None:
        return None

    def row_estimate(self) -> int:
        """How many rows an export will have, to decide whether it runs in the background."""
        return 0

    @classmethod
    def option_extra(cls, values: dict) -> dict:
        """``ReportQuery.extra`` for chosen option values: each option's value (its default when
        missing or unknown) and the (label, choice) pairs the described conditions show."""
        chosen = {option.key: option.clean(values.get(option.key)) for option in cls.options}
        described = [(option.label, option.choice_label(chosen[option.key])) for option in cls.options]
        return {"options": chosen, "described": described}

    def option(self, key: str) -> str:
        """The chosen value of one of this report's options."""
        for option in self.options:
            if option.key == key:
                return option.clean(self.query.extra.get("options", {}).get(key))
        raise KeyError(key)

    # -- the one path every renderer takes -----------------------------------------------------------

    @classmethod
    def visible_columns(cls) -> list[Column]:
        return [column for column in cls.columns if not column.hidden]

    @classmethod
    def formulas(cls) -> list[Column]:
        return [column for column in cls.visible_columns() if column.formula]

    @classmethod
    def is_allowed(cls, perms) -> bool:
        return cls.required_permission in perms

    def complete(self, row: dict) -> dict:
        for column in self.columns:
            if column.ratio is not None:
                numerator, denominator = column.ratio
                row[column.key] = divide(row.get(numerator), row.get(denominator))
        return row

    def iterate(self) -> Iterator[dict]:
        """Every row, ratios computed: what Excel writes."""
        for row in self.rows():
            yield self.complete(row)

    def compute_totals(self, rows: list[dict] | None = None) -> dict | None:
        totals = self.totals(rows)
        return self.complete(dict(totals)) if totals is not None else None

    def screen_rows(self, limit: int) -> tuple[list[dict], int]:
        """The first ``limit`` rows (ratios computed) and how many rows there are in all. A record
        list of many rows overrides this to read only the rows shown and count the rest."""
        rows: list[dict] = []
        count = 0
        for row in self.iterate():
            count += 1
            if count <= limit:
                rows.append(row)
        return rows, count

    def run(self, *, with_comparison: bool = True, limit: int | None = None) -> ReportResult:
        limit = self.screen_row_limit if limit is None else limit
        rows, count = self.screen_rows(limit)
        truncated = count > limit
        totals = self.compute_totals(None if truncated else rows)
        result = ReportResult(self, self.query, rows, totals, count, truncated)
        if with_comparison and totals is not None:
            result.comparisons = self.compare(totals)
        result.chart = self.chart(result)
        return result

    def compare(self, totals: dict) -> list[Comparison]:
        columns = [column for column in self.columns if column.compare]
        if not columns:
            return []
        previous = type(self)(self.query.previous_period()).compute_totals() or {}
        last_year = type(self)(self.query.last_year()).compute_totals() or {}
        return [
            Comparison(column, totals.get(column.key), previous.get(column.key), last_year.get(column.key))
            for column in columns
        ]


def display(column: Column, value) -> str:
    """A cell as the screen and the print view show it."""
    if value is None or value == "":
        return DASH if column.numeric else ""
    if column.kind == "percent":
        return f"{value * 100:.1f}%"
    if column.kind == "minutes":
        return f"{value:.0f}" if isinstance(value, (int, float, Decimal)) else str(value)
    if column.kind == "decimal":
        return f"{value:,.2f}"
    if column.kind == "int":
        return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
    if column.kind == "datetime" and isinstance(value, dt.datetime):
        from django.utils import timezone

        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
            if timezone.is_aware(value)
            else f"{value:%Y-%m-%d %H:%M}"
        )
    if column.kind == "date" and isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if column.kind == "bool":
        from django.utils.translation import gettext

        return gettext("Yes") if value else gettext("No")
    return str(value)


def display_change(column: Column, change: float | None) -> str:
    if change is None:
        return DASH
    if column.is_rate:
        return f"{change:+.1f} pt"
    return f"{change:+.1f}%"
