"""Demo sales targets for ``seed_demo``: for this month and the two before, each store's target and
each seller's, set by the general manager through the service (so the audit log has them).

A store's target is its average monthly orders of the three months before, plus a tenth, rounded
up (at least 5); a seller's is their share of those orders of the store target, rounded up (at least
1 for anyone who sold). Deterministic and idempotent: a month that has a store target is left alone.
Runs after the showroom's demo (the orders) — INSTALLED_APPS order.

Then what the morning jobs would have left, so a new installation's reports and report center are
not empty until the next morning: the daily summaries of every day since the store's first lead, and
the report center's files of yesterday and of last month's last day (the whole month), each built
only when that day has none.
"""

from __future__ import annotations

import datetime as dt
import math

from django.db.models import Count
from django.utils import timezone

from accounts.dates import day_range
from accounts.models import Store
from accounts.selectors import store_users_with_role
from leads.models import Lead
from showroom.models import Order

from . import services, summary
from .models import ReportFile, SalesTarget
from .query import _add_months


def seed(ctx: dict) -> None:
    stores = ctx.get("stores") or list(Store.objects.filter(is_active=True))
    out = ctx.get("stdout")
    this_month = timezone.localdate().replace(day=1)
    for store in stores:
        actor = store_users_with_role(store, "gm").first() or store_users_with_role(store, "sales_manager").first()
        if actor is None:
            continue
        made = 0
        for back in (2, 1, 0):
            month = _add_months(this_month, -back)
            if SalesTarget.objects.filter(store=store, month=month, consultant__isnull=True).exists():
                continue
            store_units, people = targets_for(store, month)
            services.target_set(actor=actor, store=store, month=month, store_units=store_units, consultant_units=people)
            made += 1
        if out is not None and made:
            out.write(f"  {store.code}: sales targets for {made} months")
        days, files = morning_jobs(store)
        if out is not None:
            out.write(f"  {store.code}: daily summaries of {days} days, {files} report-center files")


def morning_jobs(store: Store) -> tuple[int, int]:
    """The summaries and report-center files the morning jobs would have built; returns how many
    days were summarised and files built."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    first_lead = Lead.objects.filter(store=store).order_by("created_at").values_list("created_at", flat=True).first()
    days = 0
    if first_lead is not None:
        days = summary.summary_backfill(store=store, first=timezone.localdate(first_lead), last=yesterday)
    files = 0
    for day in sorted({yesterday, timezone.localdate().replace(day=1) - dt.timedelta(days=1)}):
        if not ReportFile.objects.filter(store=store, day=day).exists():
            files += len(services.report_center_build(store=store, day=day))
    return days, files


def targets_for(store: Store, month: dt.date) -> tuple[int, dict]:
    """The demo's targets for ``month`` from the orders of the three months before it."""
    start, end = day_range(_add_months(month, -3), month - dt.timedelta(days=1))
    orders = Order.objects.filter(store=store, confirmed_at__gte=start, confirmed_at__lt=end).exclude(
        status=Order.Status.CANCELLED
    )
    by_seller = dict(orders.values("seller").annotate(n=Count("pk")).values_list("seller", "n").order_by())
    total = sum(by_seller.values())
    store_units = max(5, math.ceil(total / 3 * 1.1))
    sellers = list(services.target_people(store, month))
    people = {
        person: max(1, math.ceil(store_units * by_seller[person.pk] / total))
        for person in sellers
        if by_seller.get(person.pk)
    }
    return store_units, people
