"""Helpers the report modules share: person names, totals over per-person rows, day labels."""

from __future__ import annotations

import datetime as dt

from accounts.models import Membership, User


def person_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    return {user.pk: str(user) for user in User.objects.filter(pk__in=ids).only("pk", "full_name", "username")}


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def person_day_estimate(query) -> int:
    """At most one row per day per person who may appear: those the user sees in the chosen stores
    (everyone there for a whole-store view), or the one consultant asked for."""
    people: set[int] = set()
    for store_id in query.store_ids:
        scope = query.scope(store_id)
        if scope is None:
            people |= set(Membership.objects.filter(store_id=store_id).values_list("user_id", flat=True))
        else:
            people |= scope
    if query.consultant is not None:
        people &= {query.consultant.pk}
    return query.days * len(people)
