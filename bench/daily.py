"""The daily job on the benchmark dataset, all stores, with the time of each step.

Run it twice to see the first run over a year's backlog and an ordinary morning after it:

    python -m bench.daily [--runs 2] [--workers 1]

``--workers N`` runs the stores N at a time in separate processes, as the beat task's one Celery
task per store does on N workers; the step times are then summed over the workers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from concurrent.futures import ProcessPoolExecutor

from bench.djangoenv import django_setup

STEPS = ("tasks_created", "no_shows", "overdue_marked", "escalated", "returned_to_pool")


def run_store(store_id: int) -> tuple[dict[str, int], dict[str, float]]:
    """The morning job's steps for one store, as ``services.daily_maintenance`` runs them, timed."""
    django_setup()
    from django.utils import timezone

    from accounts.models import Store
    from leads import services

    store = Store.objects.get(pk=store_id)
    now = timezone.now()
    today = timezone.localdate(now)
    steps = {
        "tasks_created": lambda: services.tasks_create_due(store=store, day=today),
        "no_shows": lambda: services.appointments_mark_no_shows(store=store, day=today - dt.timedelta(days=1)),
        "overdue_marked": lambda: services.tasks_mark_overdue(store=store, today=today),
        "escalated": lambda: services.tasks_escalate_overdue(store=store, today=today),
        "returned_to_pool": lambda: services.pool_return_overdue(store=store, now=now),
    }
    counts, seconds = {}, {}
    for name in STEPS:
        started = time.perf_counter()
        counts[name] = steps[name]()
        seconds[name] = time.perf_counter() - started
    return counts, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    django_setup()

    from django.db import connections

    from accounts.models import Store

    store_ids = list(Store.objects.filter(code__startswith="bench-").order_by("code").values_list("pk", flat=True))
    if not store_ids:
        raise SystemExit("No benchmark dataset: run python -m bench.generate first.")
    connections.close_all()  # worker processes open their own
    for run in range(1, args.runs + 1):
        seconds = dict.fromkeys(STEPS, 0.0)
        counts = dict.fromkeys(STEPS, 0)
        started = time.perf_counter()
        if args.workers > 1:
            with ProcessPoolExecutor(max_workers=args.workers) as pool:
                results = list(pool.map(run_store, store_ids))
        else:
            results = [run_store(store_id) for store_id in store_ids]
        total = time.perf_counter() - started
        for store_counts, store_seconds in results:
            for name in STEPS:
                counts[name] += store_counts[name]
                seconds[name] += store_seconds[name]
        verdict = "ok" if total < 20 else "SLOW"
        print(
            f"run {run}: {total:.1f}s for {len(store_ids)} stores on {args.workers} worker(s) ({verdict}, target < 20 s)"
        )
        for name in STEPS:
            print(f"  {name:<18} {counts[name]:>9,}  {seconds[name]:7.1f}s")


if __name__ == "__main__":
    main()
