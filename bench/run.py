"""Server-side timings on the benchmark dataset (see bench/README.md), printed as a table.

Each page is requested through Django's test client (no network), signed in as a real user of
the dataset; the time is the view's whole server time, queries and template included. Medians
of ``--repeat`` runs after one warm-up, with this process's CPU time beside them (the Python side
alone, which other work on a shared machine disturbs less than the wall time), and the load
average. The lead tables are vacuumed first, as autovacuum would after an earlier run's writes.

    python -m bench.run [--repeat 20] [--skip-daily] [--no-vacuum]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from html import unescape

from bench.djangoenv import django_setup

TARGET_MS = 50
BOARD_PARTIES = 200


def _time(fn, repeat: int) -> tuple[float, float, float]:
    """Median and worst wall time of ``fn`` in ms, and the median CPU time this process spent in it
    (the Python side alone: steadier than the wall time on a machine other work shares)."""
    fn()  # warm-up: connection, caches, template loading
    samples, cpu = [], []
    for _ in range(repeat):
        start, cpu_start = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - cpu_start) * 1000)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples), statistics.median(cpu)


def _get(client, url: str):
    def call():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        return response

    return call


def _deep_url(client, url: str, pages: int) -> str:
    """Follow the page's own link to the next rows ``pages`` times and return the last URL: the lead
    list's "Load more" (a keyset cursor), or the pager's link to the following page."""
    for _ in range(pages):
        nxt = _next_link(client.get(url).content.decode())
        if not nxt:
            break
        url = nxt if nxt.startswith("/") else url.split("?")[0] + nxt
    return url


def _next_link(html: str) -> str:
    more = re.search(r'id="load-more" href="([^"]+)"', html)
    if more:
        return unescape(more.group(1))
    pages = [(int(number), href) for href, number in re.findall(r'href="([^"]*[?&]page=(\d+)[^"]*)"', html)]
    return unescape(max(pages)[1]) if pages else ""


def _vacuum() -> None:
    """VACUUM (ANALYZE) the tables the pages read, as autovacuum would after a morning job's updates:
    until then PostgreSQL cannot count from the indexes alone, and every run after the first would
    time a database the earlier run left behind."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("leads_lead", "leads_task", "leads_customer", "leads_leadevent", "showroom_visit"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--deep-pages", type=int, default=20)
    parser.add_argument("--skip-daily", action="store_true")
    parser.add_argument("--no-vacuum", action="store_true", help="time the tables as they are")
    args = parser.parse_args()
    django_setup()
    if not args.no_vacuum:
        _vacuum()

    from django.conf import settings
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from accounts.models import Store, User
    from leads import services
    from leads.models import Customer, Lead

    # No setup_test_environment(): its template instrumentation would be measured along with the page.
    settings.ALLOWED_HOSTS = ["*"]
    store = Store.objects.filter(code__startswith="bench-").order_by("code").first()
    if store is None:
        raise SystemExit("No benchmark dataset: run python -m bench.generate first.")
    consultant = User.objects.filter(owned_leads__store=store).annotate(n=Count("owned_leads")).order_by("-n").first()
    manager = User.objects.get(username=f"{store.code.replace('bench-', 'bench')}_manager")
    phone = Customer.objects.filter(store=store).order_by("-id").values_list("phone", flat=True)[1000]
    counts = {
        "customers": Customer.objects.count(),
        "leads": Lead.objects.count(),
        "consultant's leads": Lead.objects.filter(owner=consultant).count(),
        "store's leads": Lead.objects.filter(store=store).count(),
    }
    print("dataset: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the start")

    c_client, m_client = Client(), Client()
    c_client.force_login(consultant)
    m_client.force_login(manager)
    for client in (c_client, m_client):
        client.post(reverse("accounts:switch_store"), {"store": store.pk})

    rows = []
    my_leads = reverse("leads:my_leads")
    lead_list = reverse("leads:lead_list")
    my_leads_deep = _deep_url(c_client, my_leads, args.deep_pages)
    lead_list_deep = _deep_url(m_client, lead_list, args.deep_pages)
    print(f"deep pages ({args.deep_pages} pages on): {my_leads_deep} and {lead_list_deep}")
    cases = [
        ("consultant: my leads, first page", c_client, my_leads),
        ("consultant: my leads, grade H + open", c_client, my_leads + "?grade=H&open=true"),
        ("consultant: my leads, deep page", c_client, my_leads_deep),
        ("consultant: my tasks", c_client, reverse("leads:my_tasks")),
        ("manager: lead list, first page", m_client, lead_list),
        ("manager: lead list, overdue", m_client, lead_list + "?overdue=true"),
        ("manager: lead list, deep page", m_client, lead_list_deep),
        ("phone lookup (desk)", m_client, reverse("leads:phone_check") + f"?phone={phone}"),
        ("  for comparison: the layout alone (consultant)", c_client, reverse("accounts:workbench")),
        ("  for comparison: the layout alone (manager)", m_client, reverse("accounts:workbench")),
    ]
    for label, client, url in cases:
        median, worst, cpu = _time(_get(client, url), args.repeat)
        verdict = "–" if label.startswith("  ") else "ok" if median < TARGET_MS else "SLOW"
        rows.append((label, median, worst, cpu, verdict))

    rows.extend(_showroom_cases(store, args.repeat))

    if not args.skip_daily:
        start = time.perf_counter()
        totals: dict[str, int] = {}
        for each in Store.objects.filter(code__startswith="bench-"):
            for key, value in services.daily_maintenance(store=each).items():
                totals[key] = totals.get(key, 0) + value
        seconds = time.perf_counter() - start
        rows.append(
            ("daily job, all stores (ms)", seconds * 1000, seconds * 1000, None, "ok" if seconds < 20 else "SLOW")
        )
        print("daily job: " + ", ".join(f"{k} {v:,}" for k, v in totals.items()))

    width = max(len(r[0]) for r in rows)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end")
    print(f"\n{'case':<{width}}  {'median ms':>10}  {'max ms':>10}  {'CPU ms':>10}  target")
    for label, median, worst, cpu, verdict in rows:
        cpu_text = "" if cpu is None else f"{cpu:.1f}"
        print(f"{label:<{width}}  {median:>10.1f}  {worst:>10.1f}  {cpu_text:>10}  {verdict}")


def _showroom_cases(store, repeat: int) -> list[tuple]:
    """The desk: registering a visit (phone lookup + create) and the board with 200 visits today."""
    import itertools

    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import Membership, Role, User
    from leads.models import Customer
    from showroom.models import RotationEntry, Visit

    clerk, _ = User.objects.get_or_create(
        username=f"{store.code.replace('bench-', 'bench')}_reception", defaults={"full_name": "接待"}
    )
    Membership.objects.get_or_create(user=clerk, store=store, role=Role.objects.get(store=None, code="reception"))
    for consultant in User.objects.filter(memberships__store=store, memberships__role__code="consultant"):
        RotationEntry.objects.update_or_create(store=store, consultant=consultant, defaults={"state": "available"})
    client = Client()
    client.force_login(clerk)
    client.post(reverse("accounts:switch_store"), {"store": store.pk})
    url = reverse("showroom:visit_register")
    fresh = (f"1990{n:07d}" for n in itertools.count(int(time.time()) % 1_000_000))
    known = iter(Customer.objects.filter(store=store).order_by("?").values_list("phone", flat=True)[: repeat * 3])

    def register(phone):
        def call():
            response = client.post(
                url, {"phone": phone(), "party_size": 1, "arrived_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
            )
            if response.status_code != 302:
                raise SystemExit(f"visit registration answered {response.status_code}")

        return call

    rows = []
    for label, phones in (("desk: register a new visitor", fresh), ("desk: register a returning customer", known)):
        median, worst, cpu = _time(register(lambda phones=phones: next(phones)), repeat)
        rows.append((label, median, worst, cpu, "ok" if median < TARGET_MS else "SLOW"))
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    missing = BOARD_PARTIES - Visit.objects.filter(store=store, arrived_at__gte=start).count()
    for _n in range(max(missing, 0)):
        register(lambda: next(fresh))()
    # The busiest board: 200 parties in the showroom at once. Earlier runs' visitors (and the ones
    # just registered above) beyond that have left.
    in_store = Visit.objects.filter(store=store, departed_at__isnull=True).order_by("-arrived_at", "-id")
    Visit.objects.filter(pk__in=list(in_store.values_list("pk", flat=True)[BOARD_PARTIES:])).update(
        departed_at=timezone.now()
    )
    parties = in_store.count()
    median, worst, cpu = _time(_get(client, reverse("showroom:board")), repeat)
    label = f"desk: board, {parties} parties in the store"
    rows.append((label, median, worst, cpu, "ok" if median < TARGET_MS else "SLOW"))
    return rows


if __name__ == "__main__":
    main()
