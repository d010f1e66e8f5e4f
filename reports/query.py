"""What a report is asked: the period, the stores, and the optional narrowing filters.

A ``ReportQuery`` also carries whose figures the asking user may see in each store (the same rule
as the lead lists: the whole store with ``leads.view_all`` or ``reports.view_store``, the team's with
``leads.view_team``, otherwise one's own), so every report scopes through one method. A query with
``whole_store=True`` (the report center's files, built for nobody in particular) sees everybody's.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field, replace

from django.db.models import Q

from accounts.dates import day_range
from accounts.models import Store, User

WHOLE_STORE_PERMS = ("leads.view_all", "reports.view_store")


def people_scope(user: User, store_id: int) -> frozenset[int] | None:
    """User ids whose figures ``user`` may see in the store; ``None`` means everybody's."""
    perms = user.perms_in(store_id)
    if any(code in perms for code in WHOLE_STORE_PERMS):
        return None
    ids = {user.pk}
    if "leads.view_team" in perms:
        ids |= set(user.supervised_teams.filter(store_id=store_id).values_list("members__id", flat=True)) - {None}
    return frozenset(ids)


def shift_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier or later; 29 February becomes 28 February."""
    year = day.year + years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


@dataclass(frozen=True)
class ReportQuery:
    """One question to a report. ``first`` and ``last`` are inclusive local (Beijing) dates."""

    user: User | None
    stores: tuple[Store, ...]
    first: dt.date
    last: dt.date
    consultant: User | None = None
    source_ids: tuple[int, ...] = ()  # the chosen source and its children
    series_id: int | None = None
    extra: dict = field(default_factory=dict, compare=False)
    whole_store: bool = False  # every person's figures, whoever (if anyone) asks

    def scope(self, store_id: int) -> frozenset[int] | None:
        """User ids whose figures this query counts in the store; ``None`` means everybody's."""
        return None if self.whole_store else people_scope(self.user, store_id)

    @property
    def store_ids(self) -> list[int]:
        return [store.pk for store in self.stores]

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start of ``first``, start of the day after ``last``) as aware datetimes."""
        return day_range(self.first, self.last)

    def between(self, field_name: str) -> Q:
        start, end = self.bounds()
        return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})

    def people(self, store_field: str, person_field: str) -> Q:
        """Rows of the chosen stores that belong to people the user may see (and to the chosen
        consultant, if any). A row without a person is visible only to whole-store viewers."""
        condition = Q(pk__in=[])
        for store_id in self.store_ids:
            scope = self.scope(store_id)
            part = Q(**{store_field: store_id})
            if scope is not None:
                part &= Q(**{f"{person_field}__in": scope})
            condition |= part
        if self.consultant is not None:
            condition &= Q(**{person_field: self.consultant.pk})
        return condition

    def sources(self, field_name: str) -> Q:
        return Q(**{f"{field_name}__in": self.source_ids}) if self.source_ids else Q()

    def series(self, field_name: str) -> Q:
        return Q(**{field_name: self.series_id}) if self.series_id else Q()

    def previous_period(self) -> ReportQuery:
        """The period of the same length just before (a whole month compares with the month before)."""
        if self.first.day == 1 and (self.last + dt.timedelta(days=1)).day == 1:
            months = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
            first = _add_months(self.first, -months)
            last = self.first - dt.timedelta(days=1)
            return replace(self, first=first, last=last)
        return replace(self, first=self.first - dt.timedelta(days=self.days), last=self.first - dt.timedelta(days=1))

    def last_year(self) -> ReportQuery:
        first = shift_years(self.first, -1)
        last = shift_years(self.last, -1)
        # A period ending on the last day of February ends on the last day of February a year earlier.
        if (self.last + dt.timedelta(days=1)).day == 1:
            last = dt.date(last.year, last.month, calendar.monthrange(last.year, last.month)[1])
        return replace(self, first=first, last=last)

    def describe(self) -> list[tuple[str, str]]:
        """The query conditions as (label, value) pairs, for the screen, the print and the Excel file."""
        from django.utils.translation import gettext as _

        pairs = [
            (_("Period"), f"{self.first:%Y-%m-%d} – {self.last:%Y-%m-%d}"),
            (_("Stores"), "、".join(store.name for store in self.stores)),
        ]
        if self.consultant is not None:
            pairs.append((_("Consultant"), str(self.consultant)))
        if self.source_ids:
            from leads.models import Source

            pairs.append((_("Source"), "、".join(str(s) for s in Source.objects.filter(pk__in=self.source_ids[:1]))))
        if self.series_id:
            from catalog.models import Series

            pairs.append((_("Series"), str(Series.objects.filter(pk=self.series_id).first() or "")))
        for label, value in self.extra.get("described", []):
            pairs.append((label, value))
        return pairs


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """The last day of every month from ``first``'s to ``last``'s."""
    ends, month = [], first.replace(day=1)
    while month <= last:
        month = _add_months(month, 1)
        ends.append(month - dt.timedelta(days=1))
    return ends


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])
