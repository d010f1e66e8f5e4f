"""The daily job on the benchmark dataset, all stores, with the time of each step.

Run it twice to see the first run over a year's backlog and an ordinary morning after it:

    python -m bench.daily [--runs 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from bench.djangoenv import django_setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    django_setup()

    from django.utils import timezone

    from accounts.models import Store
    from leads import services

    stores = list(Store.objects.filter(code__startswith="bench-").order_by("code"))
    if not stores:
        raise SystemExit("No benchmark dataset: run python -m bench.generate first.")
    steps = {
        "tasks_created": lambda store, now, today: services.tasks_create_due(store=store, day=today),
        "no_shows": lambda store, now, today: services.appointments_mark_no_shows(
            store=store, day=today - dt.timedelta(days=1)
        ),
        "overdue_marked": lambda store, now, today: services.tasks_mark_overdue(store=store, today=today),
        "escalated": lambda store, now, today: services.tasks_escalate_overdue(store=store, today=today),
        "returned_to_pool": lambda store, now, today: services.pool_return_overdue(store=store, now=now),
    }
    for run in range(1, args.runs + 1):
        seconds = dict.fromkeys(steps, 0.0)
        counts = dict.fromkeys(steps, 0)
        started = time.perf_counter()
        for store in stores:
            now = timezone.now()
            today = timezone.localdate(now)
            for name, step in steps.items():
                t0 = time.perf_counter()
                counts[name] += step(store, now, today)
                seconds[name] += time.perf_counter() - t0
        total = time.perf_counter() - started
        print(f"run {run}: {total:.1f}s for {len(stores)} stores ({'ok' if total < 20 else 'SLOW'}, target < 20 s)")
        for name in steps:
            print(f"  {name:<18} {counts[name]:>9,}  {seconds[name]:7.1f}s")


if __name__ == "__main__":
    main()
