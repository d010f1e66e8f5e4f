"""DCC timings on the benchmark dataset (see bench/README.md), printed as a table.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dealercrm_bench python manage.py migrate
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dealercrm_bench python -m bench.dcc_bench [--repeat 20]

1. The daily call-list building for the whole dealer group (every ``bench-`` store, one after the
   other, as the beat job's per-store tasks would on one worker), from no open tasks: target < 20 s.
2. An agent's call list (the page, through Django's test client, queries and template included),
   for the agent with the longest list: target < 50 ms median.
3. Queueing a 10,000-lead campaign (the lead filter, the consent check, 10,000 message rows, the
   sending handed to Celery): target < 5 s. Then the sending of 1,000 of them in-process, for the
   record. The campaign runs in a transaction that is rolled back, so the dataset stays as it was.

The first run prepares the dataset once: five DCC agents per store (one inbound, one direct sales)
and showroom invitations 31–90 days old for the 30-day rule (marked by their note).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import random
import statistics
import time

from bench.djangoenv import django_setup

LIST_TARGET_S = 20
AGENT_LIST_TARGET_MS = 50
CAMPAIGN_TARGET_S = 5
CAMPAIGN_SIZE = 10_000
AGENTS_PER_STORE = 5
INVITATIONS_PER_STORE = 600
BENCH_NOTE = "bench-dcc"


def _time(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def prepare(stores) -> None:
    """DCC agents and old showroom invitations, once (idempotent)."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Membership, Role, User
    from dcc.models import AgentProfile
    from dcc.selectors import agent_profiles, dcc_settings
    from leads.models import Appointment, Lead

    role = Role.objects.get(store=None, code="dcc_agent")
    rng = random.Random(2026)
    now = timezone.now()
    for store in stores:
        with transaction.atomic():
            dcc_settings(store)
            for n in range(1, AGENTS_PER_STORE + 1):
                user, created = User.objects.get_or_create(
                    username=f"{store.code.replace('bench-', 'bench')}_dcc{n}", defaults={"full_name": f"专员{n}"}
                )
                if created:
                    user.set_unusable_password()
                    user.save(update_fields=["password"])
                Membership.objects.get_or_create(user=user, store=store, role=role)
            for index, profile in enumerate(agent_profiles(store)):
                AgentProfile.objects.filter(pk=profile.pk).update(
                    on_duty=True, skill_inbound=index == 0, skill_outbound=True, skill_direct=index == 1
                )
            if Appointment.objects.filter(store=store, note=BENCH_NOTE).exists():
                continue
            receiver_ids = list(
                User.objects.filter(memberships__store=store, memberships__role__code="consultant").values_list(
                    "pk", flat=True
                )[:20]
            )
            lead_ids = list(
                Lead.objects.filter(store=store, status__in=["following", "invited"], first_visit_at__isnull=True)
                .order_by("pk")
                .values_list("pk", "owner_id")[: INVITATIONS_PER_STORE * 3 : 3]
            )
            rows = []
            for lead_id, owner_id in lead_ids:
                created = now - dt.timedelta(days=rng.randint(31, 90), hours=rng.randint(0, 8))
                receiver = owner_id or rng.choice(receiver_ids)
                rows.append(
                    Appointment(
                        store=store,
                        lead_id=lead_id,
                        scheduled_at=created + dt.timedelta(days=2),
                        receiver_id=receiver,
                        created_by_id=receiver,
                        origin=Appointment.Origin.SHOWROOM,
                        status=Appointment.Status.NO_SHOW,
                        note=BENCH_NOTE,
                    )
                )
            made = Appointment.objects.bulk_create(rows, batch_size=1000)
            # auto_now_add set "now": the invitations were made weeks ago.
            for appointment in made:
                Appointment.objects.filter(pk=appointment.pk).update(
                    created_at=appointment.scheduled_at - dt.timedelta(days=2)
                )


def bench_list_building(stores) -> tuple[float, dict]:
    from django.db import connection

    from dcc import services
    from dcc.models import CallTask

    store_ids = [s.pk for s in stores]
    # From no open tasks, so the rules do their whole work (history of earlier runs goes too).
    CallTask.objects.filter(store_id__in=store_ids).delete()
    with connection.cursor() as cursor:
        # A day's real run meets no mass of just-deleted rows: clean them out of the indexes first.
        cursor.execute("VACUUM ANALYZE dcc_calltask")
    totals: dict[str, int] = {}
    start = time.perf_counter()
    for store in stores:
        for key, value in services.call_lists_build(store=store).items():
            totals[key] = totals.get(key, 0) + value
    return time.perf_counter() - start, totals


def bench_agent_list(store, repeat: int) -> tuple[float, float, int, float]:
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from dcc.models import CallTask
    from dcc.selectors import call_list

    busiest = (
        CallTask.objects.filter(store=store, status="open", agent__isnull=False)
        .values("agent_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    agent = User.objects.get(pk=busiest["agent_id"])
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(agent)
    client.post(reverse("accounts:switch_store"), {"store": store.pk})
    url = reverse("dcc:my_list") + "?when=all"

    def page():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")

    median, worst = _time(page, repeat)
    layout = reverse("accounts:workbench")  # the shared layout alone (menu, badges), for comparison
    base, _worst = _time(lambda: client.get(layout), repeat)
    return median, worst, call_list(agent, store).count(), base


def bench_campaign(store) -> tuple[float, int, int, float, int]:
    """Queue a campaign to the store's leads being followed, of whom exactly CAMPAIGN_SIZE agreed to
    marketing; then send 1,000. All in a transaction that is rolled back."""
    from django.db import transaction

    from accounts.models import User
    from dcc import services
    from dcc.models import Campaign, DccSettings
    from leads.models import Customer, Lead

    manager = User.objects.filter(memberships__store=store, memberships__role__code="sales_manager").first()
    logging.getLogger("dcc.messages").setLevel(logging.WARNING)
    with transaction.atomic():
        # For the run the store is a version-2 one: its sales manager runs the DCC.
        DccSettings.objects.filter(store=store).update(version=2)
        manager.clear_grant_cache()
        following = Lead.objects.filter(store=store, status="following").order_by("pk")
        customer_ids = list(following.values_list("customer_id", flat=True))
        Customer.objects.filter(pk__in=customer_ids[:CAMPAIGN_SIZE]).update(
            consent_marketing=True, do_not_disturb=False
        )
        Customer.objects.filter(pk__in=customer_ids[CAMPAIGN_SIZE:]).update(consent_marketing=False)
        campaign = services.campaign_create(
            actor=manager,
            store=store,
            name="基准：跟进中客户试驾邀请",
            kind=Campaign.Kind.SMS,
            body="【{store}】{name}您好，本周末到店试驾有礼。",
            filter_params={"status": ["following"]},
        )
        start = time.perf_counter()
        campaign = services.campaign_queue(actor=manager, campaign=campaign)
        queue_seconds = time.perf_counter() - start
        start = time.perf_counter()
        sent = 0
        while sent < 1000:
            handled = services.campaign_send_batch(campaign_id=campaign.pk)
            if not handled:
                break
            sent += handled
        send_seconds = time.perf_counter() - start
        transaction.set_rollback(True)  # the dataset stays as it was; on_commit sends nothing
    return queue_seconds, campaign.audience_count, campaign.queued_count, send_seconds, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    django_setup()

    from django.db import connection

    from accounts.models import Store

    if connection.vendor != "postgresql":
        raise SystemExit("Run against the PostgreSQL benchmark database (DATABASE_URL=postgresql://…).")
    stores = list(Store.objects.filter(code__startswith="bench-").order_by("code"))
    if not stores:
        raise SystemExit("No benchmark dataset: run python -m bench.generate first.")
    prepare(stores)

    rows = []
    seconds, totals = bench_list_building(stores)
    rows.append((f"call lists, {len(stores)} stores (s)", seconds, LIST_TARGET_S, seconds < LIST_TARGET_S))
    print("call lists: " + ", ".join(f"{k} {v:,}" for k, v in sorted(totals.items())))

    median, worst, size, base = bench_agent_list(stores[0], args.repeat)
    rows.append(
        (
            f"agent's call list page, {size} open tasks (ms, median; max {worst:.1f})",
            median,
            AGENT_LIST_TARGET_MS,
            median < AGENT_LIST_TARGET_MS,
        )
    )
    rows.append(("  the workbench page for comparison: layout and menu only (ms)", base, None, True))

    queue_seconds, matched, queued, send_seconds, sent = bench_campaign(stores[1])
    rows.append(
        (
            f"campaign queued: {queued:,} messages of {matched:,} leads matched (s)",
            queue_seconds,
            CAMPAIGN_TARGET_S,
            queue_seconds < CAMPAIGN_TARGET_S,
        )
    )
    rate = sent / send_seconds if send_seconds else 0
    rows.append((f"campaign sending, {sent:,} messages in-process (msg/s)", rate, None, True))

    width = max(len(r[0]) for r in rows)
    print(f"\n{'case':<{width}}  {'measured':>10}  {'target':>8}  verdict")
    for label, value, target, ok in rows:
        target_text = f"< {target}" if target is not None else "–"
        print(f"{label:<{width}}  {value:>10.2f}  {target_text:>8}  {'ok' if ok else 'SLOW'}")


if __name__ == "__main__":
    main()
