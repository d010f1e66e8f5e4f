"""Helpers the report modules share: person names, totals over per-person rows, day labels."""

from __future__ import annotations

import datetime as dt

from accounts.models import User


def person_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    return {user.pk: str(user) for user in User.objects.filter(pk__in=ids).only("pk", "full_name", "username")}


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]
