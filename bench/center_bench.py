"""The report center's morning build on the benchmark dataset (see bench/README.md): how long one
store's files take (every registered report, the day and the month to date, with the comparisons),
per report and in all, and so what the morning job costs a group of N stores on one worker.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dealercrm_bench python -m bench.center_bench \
        [--stores 1] [--day 2026-11-03]

Nothing is kept: the files go to a temporary folder and every row is rolled back.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time

from bench.djangoenv import django_setup


class _RollBack(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=1, help="how many benchmark stores to build")
    parser.add_argument("--day", default=None, help="the day reported on (default: yesterday)")
    args = parser.parse_args()
    django_setup()

    from django.conf import settings
    from django.db import transaction
    from django.test.utils import override_settings
    from django.utils import timezone

    from accounts.models import Store
    from reports import registry, services
    from reports.registry import ordered

    day = dt.date.fromisoformat(args.day) if args.day else timezone.localdate() - dt.timedelta(days=1)
    stores = list(Store.objects.filter(code__startswith="bench-").order_by("code")[: args.stores])
    if not stores:
        raise SystemExit("No benchmark dataset: run python -m bench.generate first.")
    reports = ordered()
    print(f"{len(reports)} reports × 2 periods for {day}, {settings.DATABASES['default']['NAME']}")
    print(f"{'store':<16}{'report':<18}{'rows (day / mtd)':>18}{'seconds':>10}")
    totals = []
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        for store in stores:
            store_start = time.perf_counter()
            try:
                with transaction.atomic():
                    for report in reports:
                        # One report at a time (the registry narrowed to it) for the breakdown.
                        started = time.perf_counter()
                        saved = dict(registry.REPORTS)
                        registry.REPORTS.clear()
                        registry.REPORTS[report.identifier] = report
                        try:
                            files = services.report_center_build(store=store, day=day)
                        finally:
                            registry.REPORTS.clear()
                            registry.REPORTS.update(saved)
                        rows = " / ".join(str(f.rows) for f in files) or "failed"
                        print(
                            f"{store.code:<16}{report.identifier:<18}{rows:>18}{time.perf_counter() - started:>10.2f}"
                        )
                    raise _RollBack
            except _RollBack:
                pass
            totals.append(time.perf_counter() - store_start)
            print(f"{store.code:<16}{'all':<18}{'':>18}{totals[-1]:>10.2f}")
    if totals:
        print(f"median per store {sorted(totals)[len(totals) // 2]:.2f} s")


if __name__ == "__main__":
    main()
