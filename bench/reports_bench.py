"""Report timings on the benchmark dataset (see bench/README.md), and the Excel writer against raw
xlsxwriter, printed as tables.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dealercrm_bench python -m bench.reports_bench \
        [--repeat 5] [--reports daily_work,activity] [--mode both|live|summary] [--skip-excel]

1. Every registered report (``reports.registry.REPORTS``) for four scopes — one store for the month
   to date, one store for the last twelve months, all stores of the group for each — run as the
   report page runs it (``Report(query).run()``, with the comparison with the previous period and
   last year), as a group GM who sees whole stores. Median of ``--repeat`` runs after a warm-up.
   ``--mode both`` times each case twice: with the daily summaries (as production does) and with
   every figure computed from the raw rows (``reports.summary.live_only``); a report that reads no
   summaries is timed once ("(same)").
   Targets: store-month < 300 ms, store-year < 1 s, group-month < 2 s, group-year < 3 s.
2. A 100,000-row × 20-column export through ``reports.xlsx.write_report`` (a synthetic report whose
   rows are prepared values, so only the writer is measured) against raw xlsxwriter in
   constant_memory mode writing the same typed cells, each in its own process, alternating: CPU and
   wall time (medians of ``--excel-repeat``), peak Python memory (tracemalloc, a separate run), the
   growth of the process's peak resident set while writing and that peak (Django loaded).
   Targets: ≤ 1.5× raw (CPU time, which the machine's other load disturbs least), < 100 MB.

``--add-activity`` first adds, once, what the generator leaves out and the reports count: showroom
visits (first and return), invitations, test drives, orders and deliveries, lost and invalid
requests, all derived from the generated leads' dates in a few set-based statements (PostgreSQL).
``--backfill`` builds the daily summaries of the whole dataset before timing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench.djangoenv import django_setup

TARGETS_MS = {"store-month": 300, "store-year": 1000, "group-month": 2000, "group-year": 3000}
EXCEL_RATIO_TARGET = 1.5
EXCEL_MEMORY_TARGET_MB = 100
GM_USERNAME = "bench_group_gm"


# --- the dataset ----------------------------------------------------------------------------------


def bench_stores():
    from accounts.models import Store

    stores = list(Store.objects.filter(code__startswith="bench-").order_by("code"))
    if not stores:
        raise SystemExit("No benchmark dataset: run python -m bench.generate first.")
    return stores


def group_viewer(stores):
    """A GM of the whole benchmark group: every store, whole-store figures."""
    from accounts.models import Membership, Role, User

    user, _ = User.objects.get_or_create(username=GM_USERNAME, defaults={"full_name": "集团总经理"})
    Membership.objects.get_or_create(user=user, group=stores[0].group, role=Role.objects.get(store=None, code="gm"))
    user.clear_grant_cache()
    missing = [s.code for s in stores if "reports.view" not in user.perms_in(s)]
    if missing:
        raise SystemExit(f"The group GM lacks reports.view in {missing}")
    return user


ACTIVITY_SQL = [
    # One demo car per store for the test drives.
    """
    INSERT INTO showroom_demovehicle (store_id, trim_id, plate, vin, is_active)
    SELECT s.id, (SELECT min(id) FROM catalog_trim), '沪B' || lpad(s.id::text, 5, '0'), 'LSVAU2180N2183294', true
    FROM accounts_store s
    WHERE s.code LIKE 'bench-%%' AND NOT EXISTS (SELECT 1 FROM showroom_demovehicle d WHERE d.store_id = s.id)
    """,
    # The first visit of every lead that visited (up to now); 90% left a phone number (留档).
    """
    INSERT INTO showroom_visit (store_id, customer_id, lead_id, visitor_name, phone, arrived_at, departed_at,
        party_size, is_first_visit, consultant_id, source_id, series_id, test_drive, filed, note,
        registered_by_id, registered_at)
    SELECT l.store_id, l.customer_id, l.id, '', '', l.first_visit_at,
        l.first_visit_at + interval '1 minute' * (20 + l.id %% 100), 1 + (l.id %% 3), true,
        l.owner_id, l.source_id, l.series_id, l.id %% 5 < 2, l.id %% 10 <> 0, %(note)s,
        COALESCE(l.owner_id, %(fallback_user)s), l.first_visit_at
    FROM leads_lead l JOIN accounts_store s ON s.id = l.store_id
    WHERE s.code LIKE 'bench-%%' AND l.first_visit_at IS NOT NULL AND l.first_visit_at < now()
    """,
    # A return visit for a third of them, two to ten days later.
    """
    INSERT INTO showroom_visit (store_id, customer_id, lead_id, visitor_name, phone, arrived_at, departed_at,
        party_size, is_first_visit, consultant_id, source_id, series_id, test_drive, filed, note,
        registered_by_id, registered_at)
    SELECT l.store_id, l.customer_id, l.id, '', '', v.at, v.at + interval '45 minutes', 2, false,
        l.owner_id, l.source_id, l.series_id, false, true, %(note)s, COALESCE(l.owner_id, %(fallback_user)s), v.at
    FROM leads_lead l JOIN accounts_store s ON s.id = l.store_id,
        LATERAL (SELECT l.first_visit_at + interval '1 day' * (2 + l.id %% 9) + interval '1 hour' AS at) v
    WHERE s.code LIKE 'bench-%%' AND l.first_visit_at IS NOT NULL AND l.id %% 3 = 0 AND v.at < now()
    """,
    # An invitation (appointment) made a day after capture for the leads that were invited or came.
    """
    INSERT INTO leads_appointment (store_id, lead_id, scheduled_at, purpose, receiver_id, created_by_id, origin,
        status, arrived_at, note, created_at)
    SELECT l.store_id, l.id, a.scheduled, 'view', COALESCE(l.owner_id, %(fallback_user)s),
        COALESCE(l.owner_id, %(fallback_user)s), CASE WHEN l.id %% 7 = 0 THEN 'dcc' ELSE 'showroom' END,
        CASE WHEN l.first_visit_at IS NOT NULL AND l.first_visit_at < now() THEN 'arrived'
             WHEN a.scheduled < now() THEN 'no_show' ELSE 'scheduled' END,
        CASE WHEN l.first_visit_at < now() THEN l.first_visit_at END, %(note)s, a.made
    FROM leads_lead l JOIN accounts_store s ON s.id = l.store_id,
        LATERAL (SELECT l.created_at + interval '1 day' AS made,
                        COALESCE(l.first_visit_at, l.created_at + interval '3 days') AS scheduled) a
    WHERE s.code LIKE 'bench-%%' AND a.made < now()
      AND (l.status IN ('invited', 'visited', 'ordered', 'delivered') OR l.first_visit_at IS NOT NULL)
    """,
    # A test drive on two in five first visits.
    """
    INSERT INTO showroom_testdrive (store_id, lead_id, vehicle_id, consultant_id, route, licence_checked,
        vehicle_checked, started_at, ended_at, feedback, created_at)
    SELECT v.store_id, v.lead_id, d.id, v.consultant_id, 'A', true, true, v.arrived_at + interval '10 minutes',
        v.arrived_at + interval '40 minutes', '', v.arrived_at + interval '40 minutes'
    FROM showroom_visit v JOIN showroom_demovehicle d ON d.store_id = v.store_id
    WHERE v.note = %(note)s AND v.test_drive AND v.consultant_id IS NOT NULL
    """,
    # Orders of the ordered and delivered leads: on the first-visit day for half of them.
    """
    INSERT INTO showroom_order (store_id, number, lead_id, customer_id, seller_id, is_dcc_sale, trim_id, vin,
        colour, price, discount, deposit, payment, trade_in, status, is_first_visit_deal, cancel_reason,
        confirmed_at, delivered_at, delivered_vin, cancelled_at, created_at)
    SELECT l.store_id, 'B' || l.id, l.id, l.customer_id, COALESCE(l.owner_id, %(fallback_user)s), l.with_dcc,
        (SELECT min(id) FROM catalog_trim), '', '', 119900, 0, 5000, 'full', '',
        CASE WHEN l.status = 'delivered' AND o.delivered < now() THEN 'delivered' ELSE 'confirmed' END,
        l.id %% 2 = 0, '', o.confirmed, CASE WHEN l.status = 'delivered' AND o.delivered < now() THEN o.delivered END,
        '', NULL, o.confirmed
    FROM leads_lead l JOIN accounts_store s ON s.id = l.store_id,
        LATERAL (SELECT l.first_visit_at + CASE WHEN l.id %% 2 = 0 THEN interval '1 hour'
                                                ELSE interval '1 day' * (1 + l.id %% 10) END AS confirmed,
                        l.first_visit_at + interval '1 day' * (20 + l.id %% 20) AS delivered) o
    WHERE s.code LIKE 'bench-%%' AND l.status IN ('ordered', 'delivered') AND o.confirmed < now()
    """,
    # Approved lost and invalid requests of the closed leads.
    """
    INSERT INTO leads_lostrequest (store_id, lead_id, kind, reason_id, competitor_brand, competitor_model, note,
        previous_status, status, requested_by_id, requested_at, decided_by_id, decided_at, decision_comment)
    SELECT l.store_id, l.id, r.kind, r.id, '', '', '', 'following', 'approved', COALESCE(l.owner_id, %(fallback_user)s),
        c.decided - interval '1 hour', %(fallback_user)s, c.decided, ''
    FROM leads_lead l JOIN accounts_store s ON s.id = l.store_id,
        LATERAL (SELECT LEAST(l.closed_at, now() - interval '1 hour') AS decided) c,
        LATERAL (SELECT id, kind FROM leads_lostreason
                 WHERE kind = CASE WHEN l.status = 'invalid' THEN 'invalid' ELSE 'lost' END
                 ORDER BY (id + l.id) %% 7 LIMIT 1) r
    WHERE s.code LIKE 'bench-%%' AND l.status IN ('lost', 'invalid') AND l.closed_at IS NOT NULL
    """,
]
ACTIVITY_NOTE = "bench-reports"


def add_activity(stores) -> None:
    """Visits, invitations, test drives, orders and lost requests derived from the leads, once."""
    from django.db import connection, transaction

    from showroom.models import Visit

    if Visit.objects.filter(note=ACTIVITY_NOTE).exists():
        print("activity: already added")
        return
    started = time.perf_counter()
    fallback_user = group_viewer(stores).pk
    counts = []
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in ACTIVITY_SQL:
            cursor.execute(statement, {"note": ACTIVITY_NOTE, "fallback_user": fallback_user})
            counts.append(cursor.rowcount)
        cursor.execute("ANALYZE")
    labels = ["demo cars", "first visits", "return visits", "invitations", "test drives", "orders", "lost/invalid"]
    print(
        f"activity added in {time.perf_counter() - started:.0f}s: "
        + ", ".join(f"{label} {n:,}" for label, n in zip(labels, counts, strict=True))
    )


# --- report timings -------------------------------------------------------------------------------


def scopes(stores, today: dt.date) -> list[tuple[str, tuple, dt.date, dt.date]]:
    month_first = today.replace(day=1)
    year_first = today - dt.timedelta(days=364)
    one, group = (stores[0],), tuple(stores)
    return [
        ("store-month", one, month_first, today),
        ("store-year", one, year_first, today),
        ("group-month", group, month_first, today),
        ("group-year", group, year_first, today),
    ]


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def time_reports(args, stores) -> list[tuple]:
    from django.utils import timezone

    from reports import summary
    from reports.library import load
    from reports.query import ReportQuery
    from reports.registry import ordered

    load()
    viewer = group_viewer(stores)
    today = timezone.localdate()
    wanted = set(args.reports.split(",")) if args.reports else None
    modes = ["summary", "live"] if args.mode == "both" else [args.mode]
    # Which reports read the summaries at all: the others need no second, live timing.
    reads = {"summary": 0}
    plan = summary._plan

    def counting_plan(q):
        condition, live = plan(q)
        reads["summary"] += condition is not None
        return condition, live

    summary._plan = counting_plan
    results = []
    for report_class in ordered():
        if wanted and report_class.identifier not in wanted:
            continue
        for scope, chosen, first, last in scopes(stores, today):
            query = ReportQuery(user=viewer, stores=chosen, first=first, last=last)
            row: list = [f"{report_class.number} {report_class.identifier}", scope]
            for mode in modes:

                def run(query=query, mode=mode, report_class=report_class):
                    if mode == "live":
                        with summary.live_only():
                            return report_class(query).run()
                    return report_class(query).run()

                if mode == "live" and "summary" in modes and not reads["summary"]:
                    row.append("(same)")
                    continue
                reads["summary"] = 0
                row.append(_median_ms(run, args.repeat))
            target = TARGETS_MS[scope]
            results.append((*row, target, "ok" if row[2] < target else "SLOW"))
            print("  " + "  ".join(f"{c:.0f}" if isinstance(c, float) else str(c) for c in row), flush=True)
    summary._plan = plan
    return [("report", "scope", *[f"{m} ms" for m in modes], "target ms", ""), *results]


# --- the Excel writer ------------------------------------------------------------------------------

EXCEL_KINDS = ["text", "text", "int", "int", "int", "int", "percent", "percent", "decimal", "decimal"]
EXCEL_KINDS += ["date", "datetime", "text", "int", "int", "minutes", "bool", "text", "int", "decimal"]


def _excel_values(n_rows: int):
    """``n_rows`` prepared rows (a pool of 1,000 distinct ones, repeated), as report rows hold them."""
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    base = dt.datetime(2026, 11, 1, 9, 0, tzinfo=tz)
    pool = []
    for i in range(1000):
        values = {}
        for col, kind in enumerate(EXCEL_KINDS):
            key = f"c{col:02d}"
            if kind == "text":
                values[key] = f"顾问{i % 40:02d}-{col}" if col else f"客户{i:04d}"
            elif kind in ("int", "minutes"):
                values[key] = (i * (col + 3)) % 997
            elif kind == "percent":
                values[key] = (i % 100) / 100
            elif kind == "decimal":
                values[key] = Decimal(119900 + i) / 1
            elif kind == "date":
                values[key] = (base + dt.timedelta(days=i % 30)).date()
            elif kind == "datetime":
                values[key] = base + dt.timedelta(minutes=i * 7)
            else:
                values[key] = i % 2 == 0
        pool.append(values)
    for index in range(n_rows):
        yield pool[index % 1000]


def _excel_report(n_rows: int):
    from reports.base import Column, Report
    from reports.query import ReportQuery

    class SyntheticReport(Report):
        identifier = "bench_synthetic"
        number = 99
        verbose_name = "基准导出"
        columns = [Column(f"c{col:02d}", f"列{col:02d}", kind, 12) for col, kind in enumerate(EXCEL_KINDS)]

        def rows(self):
            return _excel_values(n_rows)

        def totals(self, rows):
            # A record list's totals come from an aggregate query, not from a second pass.
            return {column.key: 1 for column in self.columns if column.numeric}

    class Store:
        pk, name = 1, "基准门店00"

    query = ReportQuery(user=None, stores=(Store(),), first=dt.date(2026, 11, 1), last=dt.date(2026, 11, 30))
    return SyntheticReport(query)


def _write_raw(path: str, n_rows: int) -> int:
    """The same typed cells with the same formats, straight through xlsxwriter."""
    import xlsxwriter
    from django.utils import timezone

    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False})
    formats = {
        "int": workbook.add_format({"num_format": "#,##0"}),
        "percent": workbook.add_format({"num_format": "0.0%"}),
        "minutes": workbook.add_format({"num_format": "0"}),
        "decimal": workbook.add_format({"num_format": "#,##0.00"}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
    }
    sheet = workbook.add_worksheet("基准导出")
    sheet.write_row(0, 0, [f"列{col:02d}" for col in range(len(EXCEL_KINDS))])
    keys = [(f"c{col:02d}", kind, formats.get(kind)) for col, kind in enumerate(EXCEL_KINDS)]
    row_index = 0
    for row in _excel_values(n_rows):
        row_index += 1
        for col, (key, kind, fmt) in enumerate(keys):
            value = row[key]
            if kind in ("int", "percent", "minutes", "decimal"):
                sheet.write_number(row_index, col, float(value), fmt)
            elif kind == "datetime":
                sheet.write_datetime(row_index, col, timezone.localtime(value).replace(tzinfo=None), fmt)
            elif kind == "date":
                sheet.write_datetime(row_index, col, dt.datetime.combine(value, dt.time.min), fmt)
            elif kind == "bool":
                sheet.write_string(row_index, col, "是" if value else "否")
            else:
                sheet.write_string(row_index, col, value)
    workbook.close()
    return row_index


def _peak_rss_kb() -> int:
    """This process's peak resident set in kB: VmHWM, which starts afresh at exec (ru_maxrss would
    carry the parent's, which is large after the report timings)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def excel_worker(writer: str, n_rows: int, memory: bool) -> None:
    """Run one writer in this process and print its figures as JSON (called by ``excel_bench``)."""
    import tracemalloc

    from django.utils import translation

    from reports.xlsx import write_report

    translation.activate("zh-hans")
    report = _excel_report(n_rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "out.xlsx")
        rss_before = _peak_rss_kb()
        if memory:
            tracemalloc.start()
        start, cpu_start = time.perf_counter(), time.process_time()
        rows = write_report(report, path) if writer == "report" else _write_raw(path, n_rows)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        peak = tracemalloc.get_traced_memory()[1] if memory else 0
        rss_after = _peak_rss_kb()
        size = os.path.getsize(path)
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "peak_mb": peak / 2**20,
                "rss_growth_mb": (rss_after - rss_before) / 1024,
                "rss_mb": rss_after / 1024,
                "size_mb": size / 2**20,
            }
        )
    )


def _excel_run(writer: str, n_rows: int, memory: bool) -> dict:
    command = [sys.executable, "-m", "bench.reports_bench", "--excel-worker", writer, "--excel-rows", str(n_rows)]
    if memory:
        command.append("--memory")
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def excel_bench(args) -> list[tuple]:
    """Raw and report runs alternate, so both meet the same load; the ratio is of CPU seconds
    (what the writer itself spends), the wall-clock medians are shown beside them."""
    runs: dict[str, list[dict]] = {"raw": [], "report": []}
    for _ in range(args.excel_repeat):
        for writer in ("raw", "report"):
            runs[writer].append(_excel_run(writer, args.excel_rows, memory=False))
            print(f"  {writer}: {runs[writer][-1]}", flush=True)
    figures = {}
    for writer, times in runs.items():
        memory = _excel_run(writer, args.excel_rows, memory=True)
        figures[writer] = {
            "seconds": statistics.median(t["seconds"] for t in times),
            "cpu_seconds": statistics.median(t["cpu_seconds"] for t in times),
            "rss_growth_mb": max(t["rss_growth_mb"] for t in times),
            "rss_mb": max(t["rss_mb"] for t in times),
            "peak_mb": memory["peak_mb"],
            "size_mb": times[0]["size_mb"],
            "rows": times[0]["rows"],
        }
    raw = figures["raw"]
    ratio = figures["report"]["cpu_seconds"] / raw["cpu_seconds"]
    rows = [
        (
            "writer",
            "rows",
            "median CPU s",
            "× raw (CPU)",
            "median wall s",
            "× raw (wall)",
            "tracemalloc peak MB",
            "RSS growth MB",
            "max RSS MB",
            "file MB",
        )
    ]
    for writer, label in (("raw", "xlsxwriter constant_memory"), ("report", "reports.xlsx.write_report")):
        f = figures[writer]
        rows.append(
            (
                label,
                f"{f['rows']:,}",
                f"{f['cpu_seconds']:.2f}",
                f"{f['cpu_seconds'] / raw['cpu_seconds']:.2f}",
                f"{f['seconds']:.2f}",
                f"{f['seconds'] / raw['seconds']:.2f}",
                f"{f['peak_mb']:.1f}",
                f"{f['rss_growth_mb']:.1f}",
                f"{f['rss_mb']:.0f}",
                f"{f['size_mb']:.1f}",
            )
        )
    verdict = "ok" if ratio <= EXCEL_RATIO_TARGET and figures["report"]["peak_mb"] < EXCEL_MEMORY_TARGET_MB else "SLOW"
    rows.append(("target", "", "", f"≤ {EXCEL_RATIO_TARGET}", "", "", f"< {EXCEL_MEMORY_TARGET_MB}", "", "", verdict))
    return rows


# --- output ----------------------------------------------------------------------------------------


def print_table(rows: list[tuple]) -> None:
    def cell(value):
        return f"{value:.0f}" if isinstance(value, float) else str(value)

    text = [[cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in text) for i in range(len(text[0]))]
    for row in text:
        print("  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths, strict=True))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reports", default="", help="comma-separated identifiers (default: all)")
    parser.add_argument("--mode", choices=["both", "summary", "live"], default="both")
    parser.add_argument("--add-activity", action="store_true")
    parser.add_argument("--backfill", action="store_true")
    parser.add_argument("--skip-reports", action="store_true")
    parser.add_argument("--skip-excel", action="store_true")
    parser.add_argument("--excel-rows", type=int, default=100_000)
    parser.add_argument("--excel-repeat", type=int, default=3)
    parser.add_argument("--excel-worker", choices=["raw", "report"], help=argparse.SUPPRESS)
    parser.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    django_setup()
    if args.excel_worker:
        excel_worker(args.excel_worker, args.excel_rows, args.memory)
        return

    tables = []
    if not args.skip_reports:
        stores = bench_stores()
        if args.add_activity:
            add_activity(stores)
        if args.backfill:
            backfill(stores)
        print("reports (median ms):", flush=True)
        tables.append(time_reports(args, stores))
    if not args.skip_excel:
        print(f"Excel, {args.excel_rows:,} rows × {len(EXCEL_KINDS)} columns:", flush=True)
        tables.append(excel_bench(args))
    for table in tables:
        print()
        print_table(table)


def backfill(stores) -> None:
    from django.utils import timezone

    from reports import summary

    today = timezone.localdate()
    started = time.perf_counter()
    days = 0
    for store in stores:
        days += summary.summary_backfill(store=store, first=today - dt.timedelta(days=400), last=today)
    print(f"summaries: {days:,} store-days built in {time.perf_counter() - started:.1f}s", flush=True)


if __name__ == "__main__":
    main()
