"""Reads of the showroom: the rotation queue, the live board, the info clerk's figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from accounts.dates import day_range
from accounts.models import Store
from leads.models import Lead

from .models import Order, RotationEntry, ShowroomSettings, TestDrive, Visit


def showroom_settings(store: Store) -> ShowroomSettings:
    settings, _ = ShowroomSettings.objects.get_or_create(store=store)
    return settings


def rotation_queue(store: Store) -> list[RotationEntry]:
    """Available consultants in the order they receive the next party: a manager's override first,
    then whoever received a customer longest ago (never first)."""
    entries = RotationEntry.objects.filter(
        store=store, state=RotationEntry.State.AVAILABLE, consultant__is_active=True
    ).select_related("consultant")
    return sorted(
        entries,
        key=lambda e: (
            e.priority,
            e.last_assigned_at is not None,
            e.last_assigned_at or dt.datetime.min.replace(tzinfo=dt.UTC),
            e.pk,
        ),
    )


def ratio(numerator: int, denominator: int) -> float | None:
    """A rate, or None when there is nothing to divide by (shown as "—")."""
    return numerator / denominator if denominator else None


@dataclass
class DayFigures:
    visits: int
    first_visits: int
    first_visit_no_deal: int
    retained: int
    retention_rate: float | None
    test_drives: int
    orders: int
    parties_in_store: int


def orders_on_day(store: Store, day: dt.date):
    start, end = day_range(day)
    return Order.objects.filter(store=store, confirmed_at__gte=start, confirmed_at__lt=end).exclude(
        status=Order.Status.CANCELLED
    )


def day_figures(store: Store, day: dt.date) -> DayFigures:
    """The board's totals for one day, with DESIGN.md's definitions:
    first-visit no-deal parties = first visits of the day whose lead placed no order that day;
    retention rate = those among them with a valid phone filed ÷ first-visit no-deal parties."""
    start, end = day_range(day)
    visits = Visit.objects.filter(store=store, arrived_at__gte=start, arrived_at__lt=end)
    ordered_that_day = Order.objects.filter(
        lead=OuterRef("lead"), confirmed_at__gte=start, confirmed_at__lt=end
    ).exclude(status=Order.Status.CANCELLED)
    first_no_deal = visits.filter(is_first_visit=True).exclude(Exists(ordered_that_day) & Q(lead__isnull=False))
    totals = visits.aggregate(
        visits=Count("id"),
        first_visits=Count("id", filter=Q(is_first_visit=True)),
        in_store=Count("id", filter=Q(departed_at__isnull=True)),
        test_drive_flags=Count("id", filter=Q(test_drive=True)),
    )
    no_deal = first_no_deal.aggregate(n=Count("id"), filed=Count("id", filter=Q(filed=True)))
    drives = TestDrive.objects.filter(store=store, started_at__gte=start, started_at__lt=end).count()
    return DayFigures(
        visits=totals["visits"],
        first_visits=totals["first_visits"],
        first_visit_no_deal=no_deal["n"],
        retained=no_deal["filed"],
        retention_rate=ratio(no_deal["filed"], no_deal["n"]),
        test_drives=max(drives, totals["test_drive_flags"]),
        orders=orders_on_day(store, day).count(),
        parties_in_store=totals["in_store"],
    )


def parties_in_store(store: Store):
    start, _end = day_range(timezone.localdate())
    return (
        Visit.objects.filter(store=store, departed_at__isnull=True, arrived_at__gte=start - dt.timedelta(days=1))
        .select_related("consultant", "lead", "customer")
        .order_by("arrived_at")
    )


def grade_counts_today(store: Store) -> dict[str, int]:
    start, end = day_range(timezone.localdate())
    rows = (
        Lead.objects.filter(visits__store=store, visits__arrived_at__gte=start, visits__arrived_at__lt=end)
        .values("grade")
        .annotate(n=Count("id", distinct=True))
    )
    return {row["grade"]: row["n"] for row in rows}


@dataclass
class ClerkDay:
    clerk_id: int
    clerk: str
    day: dt.date
    registrations: int
    leads_captured: int
    accurate: int
    timely: int

    @property
    def accuracy(self) -> float | None:
        return ratio(self.accurate, self.registrations)

    @property
    def timeliness(self) -> float | None:
        return ratio(self.timely, self.registrations)


def clerk_figures(store: Store, first: dt.date, last: dt.date) -> list[ClerkDay]:
    """The info clerk's figures per clerk per day: registrations, leads captured (leads the clerk
    created), accuracy (share never corrected) and timeliness (share entered within the store's
    minutes of arrival)."""
    start, end = day_range(first, last)
    minutes = showroom_settings(store).timely_minutes
    rows: dict[tuple[int, dt.date], ClerkDay] = {}
    visits = Visit.objects.filter(store=store, arrived_at__gte=start, arrived_at__lt=end).select_related(
        "registered_by"
    )
    for visit in visits.only(
        "arrived_at", "registered_at", "corrected_at", "registered_by__full_name", "registered_by__username"
    ):
        day = timezone.localtime(visit.arrived_at).date()
        key = (visit.registered_by_id, day)
        row = rows.setdefault(key, ClerkDay(visit.registered_by_id, str(visit.registered_by), day, 0, 0, 0, 0))
        row.registrations += 1
        row.accurate += visit.corrected_at is None
        row.timely += (visit.registered_at - visit.arrived_at) <= dt.timedelta(minutes=minutes)
    leads = Lead.objects.filter(
        store=store, created_at__gte=start, created_at__lt=end, created_by__in={k[0] for k in rows}
    )
    for lead in leads.only("created_at", "created_by_id"):
        key = (lead.created_by_id, timezone.localtime(lead.created_at).date())
        if key in rows:
            rows[key].leads_captured += 1
    return sorted(rows.values(), key=lambda r: (r.day, r.clerk))
