"""Dashboard timings on the benchmark dataset (see bench/README.md): the store dashboard for one
store over a month and a year, and the group dashboard over every store for a month and a year.

The selectors are timed (every query of the page; the template adds a few milliseconds), inside a
transaction that is rolled back, so the dataset is left as it was (a selector may create a store's
default settings row). Medians of ``--repeat`` runs after one warm-up.

    python -m bench.dashboard_bench [--repeat 3] [--last 2026-11-26]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from bench.djangoenv import django_setup


def _time(fn, repeat: int) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--last", help="the period's last day (default: the last order's day)")
    args = parser.parse_args()
    django_setup()

    from django.db import connection, transaction
    from django.db.models import Count, Max
    from django.utils import timezone

    from accounts.models import Store
    from reports.dashboard import group_dashboard, store_dashboard
    from reports.query import ReportQuery
    from showroom.models import Order

    last = (
        dt.date.fromisoformat(args.last)
        if args.last
        else timezone.localtime(Order.objects.aggregate(m=Max("confirmed_at"))["m"]).date()
    )
    busiest = Order.objects.values("store_id").annotate(n=Count("pk")).order_by("-n").first()
    store = Store.objects.get(pk=busiest["store_id"])
    stores = tuple(Store.objects.filter(group_id=store.group_id, is_active=True).order_by("name"))
    month_first = last.replace(day=1)
    year_first = last - dt.timedelta(days=364)

    def whole(stores_, first):
        return ReportQuery(user=None, stores=stores_, first=first, last=last, whole_store=True)

    cases = [
        ("store dashboard, 1 store, month to date", lambda: store_dashboard(whole((store,), month_first), store)),
        ("store dashboard, 1 store, one year", lambda: store_dashboard(whole((store,), year_first), store)),
        (
            f"group dashboard, {len(stores)} stores, month to date",
            lambda: group_dashboard(whole(stores, month_first), lambda ids: ""),
        ),
        (
            f"group dashboard, {len(stores)} stores, one year",
            lambda: group_dashboard(whole(stores, year_first), lambda ids: ""),
        ),
    ]
    print(f"{connection.vendor}, period ending {last:%Y-%m-%d}, store {store.code}, repeat {args.repeat}")
    print(f"{'case':<48} {'median ms':>10} {'max ms':>10} {'queries':>8}")
    for name, fn in cases:
        with transaction.atomic():
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as captured:
                fn()
            queries = len(captured.captured_queries)
            median, worst = _time(fn, args.repeat)
            transaction.set_rollback(True)
        print(f"{name:<48} {median:>10.0f} {worst:>10.0f} {queries:>8}")


if __name__ == "__main__":
    main()
