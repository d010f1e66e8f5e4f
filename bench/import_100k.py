"""Time the lead import of a 100,000-row .xlsx against the configured database.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dealercrm_bench_import \\
        .venv/bin/python bench/import_100k.py [--rows 100000] [--assignment round_robin|owner|dcc]

The database must be migrated. Each run makes its own store (``bench-<timestamp>``) with a sales
manager and five consultants, writes the workbook to a temporary file, then times:
the upload (header detection and row estimate), the commit (reading, checking and writing every
row in checkpointed chunks, and the problem file). About 1% of the rows have a bad phone number and
1% repeat an earlier phone, so those paths are exercised too. Not run by the test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealercrm.settings")

import django  # noqa: E402

django.setup()

import xlsxwriter  # noqa: E402
from django.core.files import File  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import DealerGroup, Membership, Role, Store, User  # noqa: E402
from catalog.models import Brand, Series  # noqa: E402
from leads import importing  # noqa: E402
from leads.models import Customer, Lead, LeadEvent, Source, Task  # noqa: E402

HEADERS = ["客户姓名", "手机号码", "意向车型", "意向级别", "预计购车时间", "备注", "微信", "地址"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
TIMES = ["7天内", "半个月", "1个月内", "3个月内", "半年", ""]


def write_workbook(path: Path, rows: int, series_names: list[str]) -> None:
    rng = random.Random(42)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("名单")
    sheet.write_row(0, 0, HEADERS)
    for n in range(1, rows + 1):
        phone = f"13{n:09d}"
        if n % 100 == 7:
            phone = phone[:7]  # a bad number
        elif n % 100 == 13:
            phone = f"13{n - 1:09d}"  # repeats the phone of the row before
        sheet.write_row(
            n,
            0,
            [
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                phone,
                rng.choice(series_names),
                rng.choice("HABC"),
                rng.choice(TIMES),
                "车展登记" if n % 3 == 0 else "",
                f"wx{n}" if n % 4 == 0 else "",
                "上海市浦东新区" if n % 5 == 0 else "",
            ],
        )
    workbook.close()


def make_store() -> tuple[Store, User, list[User]]:
    stamp = time.strftime("%Y%m%d%H%M%S")
    group, _ = DealerGroup.objects.get_or_create(code="bench", defaults={"name": "基准测试集团"})
    store = Store.objects.create(group=group, code=f"bench-{stamp}", name=f"基准门店 {stamp}")
    manager = User.objects.create_user(f"bench_mgr_{stamp}", full_name="基准经理")
    Membership.objects.create(user=manager, store=store, role=Role.objects.get(store=None, code="sales_manager"))
    consultants = []
    for i in range(5):
        user = User.objects.create_user(f"bench_c{i}_{stamp}", full_name=f"顾问{i}")
        Membership.objects.create(user=user, store=store, role=Role.objects.get(store=None, code="consultant"))
        consultants.append(user)
    return store, manager, consultants


def catalog_series() -> list[str]:
    brand, _ = Brand.objects.get_or_create(name="基准品牌", defaults={"code": "bench-brand"})
    names = ["朗逸基准", "帕萨特基准", "途观基准", "速腾基准", "迈腾基准"]
    for name in names:
        Series.objects.get_or_create(brand=brand, name=name)
    return names


def backend_cpu_seconds() -> float | None:
    """CPU time used so far by this connection's PostgreSQL backend (a local server only)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--assignment", choices=["round_robin", "owner", "dcc"], default="round_robin")
    args = parser.parse_args()

    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}; load average {os.getloadavg()}")
    store, manager, consultants = make_store()
    series_names = catalog_series()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-100k.xlsx"
        started = time.perf_counter()
        write_workbook(path, args.rows, series_names)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s ({path.stat().st_size:,} bytes)")

        started = time.perf_counter()
        with path.open("rb") as handle:
            batch = importing.batch_create(
                actor=manager,
                store=store,
                upload=File(handle, name=path.name),
                source=Source.objects.get(code="purchased_list"),
                assignment=args.assignment,
                owner=consultants[0] if args.assignment == "owner" else None,
            )
        upload_seconds = time.perf_counter() - started
        print(f"upload (store the file, find the header, estimate rows): {upload_seconds:.1f} s")

    backend_started = backend_cpu_seconds()
    started, cpu_started = time.perf_counter(), time.process_time()
    batch = importing.batch_run(batch.pk)
    commit_seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    backend_seconds = backend_cpu_seconds()
    print(f"commit: {commit_seconds:.1f} s wall — {batch.total_rows / commit_seconds:,.0f} rows/s")
    print(f"  CPU: this process {cpu_seconds:.1f} s", end="")
    if backend_started is not None and backend_seconds is not None:
        print(f", the database backend {backend_seconds - backend_started:.1f} s", end="")
    print(f"; load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"  rows {batch.total_rows:,}: leads created {batch.created_rows:,}, duplicates {batch.duplicate_rows:,}, "
        f"not imported {batch.bad_rows:,}; status {batch.status}"
    )
    print(
        f"  in the store: customers {Customer.objects.filter(store=store).count():,}, "
        f"leads {Lead.objects.filter(store=store).count():,}, "
        f"events {LeadEvent.objects.filter(store=store).count():,}, "
        f"tasks {Task.objects.filter(store=store).count():,}"
    )
    print(f"total (upload + commit): {upload_seconds + commit_seconds:.1f} s")


if __name__ == "__main__":
    main()
