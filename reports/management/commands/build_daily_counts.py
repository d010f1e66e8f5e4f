"""Backfill the reports' daily summaries for a range of days (the morning job keeps them current).

python manage.py build_daily_counts --from 2026-01-01 [--to 2026-11-26] [--store CODE ...]
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Store
from reports.summary import summary_backfill


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}") from error


class Command(BaseCommand):
    help = "Build the daily summaries of the reports for every day of a range that is over."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="last", help="Last day, YYYY-MM-DD (default: yesterday).")
        parser.add_argument("--store", action="append", default=[], help="Store code (repeatable; default: all).")

    def handle(self, *args, **options):
        first = _date(options["first"])
        last = _date(options["last"]) if options["last"] else timezone.localdate() - dt.timedelta(days=1)
        if first > last:
            raise CommandError("--from comes after --to.")
        stores = Store.objects.filter(is_active=True).order_by("code")
        if options["store"]:
            stores = stores.filter(code__in=options["store"])
            missing = set(options["store"]) - set(stores.values_list("code", flat=True))
            if missing:
                raise CommandError(f"Unknown or inactive store: {', '.join(sorted(missing))}")
        total = 0
        for store in stores:
            started = time.perf_counter()
            days = summary_backfill(store=store, first=first, last=last)
            total += days
            self.stdout.write(f"{store.code}: {days} days in {time.perf_counter() - started:.1f}s")
        self.stdout.write(self.style.SUCCESS(f"{total} store-days built."))
