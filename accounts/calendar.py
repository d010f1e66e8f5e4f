"""Opening-hours arithmetic: SLAs such as "first call within 15 minutes" count only open time.

Times are aware datetimes; a store's hours are wall-clock times in the project's time zone.
Holidays close a day; make-up working days (调休) open with the hours of the weekday they replace.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

from .models import Holiday, Store

# Look this far ahead for an opening before giving up (a store with no hours at all).
_MAX_DAYS = 370


class StoreCalendar:
    """A store's opening intervals, loaded once, for repeated SLA computations."""

    def __init__(self, store: Store):
        self.tz = ZoneInfo(settings.TIME_ZONE)
        hours: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for row in store.opening_hours.all().order_by("weekday", "opens_at"):
            hours.setdefault(row.weekday, []).append((row.opens_at, row.closes_at))
        self.hours = {weekday: _merged(intervals) for weekday, intervals in hours.items()}
        self.exceptions: dict[dt.date, Holiday] = {h.date: h for h in store.holidays.all()}

    def intervals_on(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """Opening intervals of ``day`` as aware datetimes, in order."""
        exception = self.exceptions.get(day)
        weekday = day.weekday()
        if exception is not None:
            if exception.kind == Holiday.Kind.CLOSED:
                return []
            weekday = exception.works_as_weekday if exception.works_as_weekday is not None else 0
        return [
            (dt.datetime.combine(day, opens, self.tz), dt.datetime.combine(day, closes, self.tz))
            for opens, closes in self.hours.get(weekday, [])
        ]

    def is_open(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(self.tz)
        return any(start <= local < end for start, end in self.intervals_on(local.date()))

    def add_open_minutes(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The moment when ``minutes`` of opening time have passed since ``start``.

        With ``minutes`` 0 this is ``start`` itself when the store is open, else its next opening.
        """
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        remaining = dt.timedelta(minutes=minutes)
        local = start.astimezone(self.tz)
        day = local.date()
        closed_days = 0
        # Give up only after a year without a single opening, however far the deadline lies.
        while closed_days < _MAX_DAYS:
            intervals = self.intervals_on(day)
            closed_days = 0 if intervals else closed_days + 1
            for opens, closes in intervals:
                if closes <= local:
                    continue
                # Durations in UTC: wall-clock subtraction would be wrong across a DST change.
                begin = max(opens, local).astimezone(dt.UTC)
                available = closes.astimezone(dt.UTC) - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(self.tz)
                remaining -= available
            day += dt.timedelta(days=1)
        raise ValueError("The store has no opening hours within a year.")

    def open_minutes_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Minutes of opening time between two moments (0 when ``end`` is not after ``start``)."""
        if end <= start:
            return 0.0
        start_local, end_local = start.astimezone(self.tz), end.astimezone(self.tz)
        total = dt.timedelta()
        day = start_local.date()
        while day <= end_local.date():
            for opens, closes in self.intervals_on(day):
                begin, finish = max(opens, start_local), min(closes, end_local)
                if finish > begin:
                    total += finish.astimezone(dt.UTC) - begin.astimezone(dt.UTC)
            day += dt.timedelta(days=1)
        return total.total_seconds() / 60


def _merged(intervals: list[tuple[dt.time, dt.time]]) -> list[tuple[dt.time, dt.time]]:
    """Sorted intervals with overlapping or touching ones joined, so no minute counts twice.

    The administration pages refuse overlaps, but rows entered elsewhere (Django admin, imports)
    are only held to "closes after opens" by the database.
    """
    merged: list[tuple[dt.time, dt.time]] = []
    for opens, closes in sorted(intervals):
        if closes <= opens:
            continue
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged
