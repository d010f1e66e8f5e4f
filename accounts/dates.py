"""Local-day boundaries. Filter "on a day" with a range on aware datetimes, never ``__date``:
the range uses an index, ``__date`` casts every row (see the performance notes in the README)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the project's time zone, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def day_range(first: dt.date, last: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """[start of ``first``, start of the day after ``last``) — use with ``__gte`` and ``__lt``."""
    return day_start(first), day_start((last or first) + dt.timedelta(days=1))
