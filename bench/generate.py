"""Generate a realistic dealer-group dataset in PostgreSQL with COPY.

20 stores, 1,000,000 customers with one lead each, 3,000,000 follow-ups, open tasks for every
worked lead, a year of dates with weekend peaks, Chinese names and valid, unique mobile numbers.

    python -m bench.generate --stores 20 --customers 1000000 --follow-ups 3000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from zoneinfo import ZoneInfo

from bench.djangoenv import django_setup

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强文辉鹏飞宇浩然子涵欣怡梓萱一诺思远晨阳俊杰佳怡雨桐诗涵博文天佑嘉豪"
CONTENT = [
    "电话沟通，客户关注油耗和保养费用",
    "微信发送了车型配置和优惠政策",
    "客户在对比竞品，价格敏感",
    "邀约周末到店试驾，客户考虑中",
    "客户表示近期工作忙，下周再联系",
    "介绍了置换补贴和金融方案",
    "客户家人也想一起来看车",
    "未接通，稍后再拨",
]
STATUS_WEIGHTS = [
    ("new", 5),
    ("following", 45),
    ("invited", 5),
    ("visited", 8),
    ("ordered", 3),
    ("delivered", 10),
    ("lost", 17),
    ("invalid", 5),
    ("lost_requested", 2),
]
WORKING = {"new", "following", "invited", "visited"}
OPEN = WORKING | {"ordered", "lost_requested"}
GRADE_FOR = {"ordered": "O", "delivered": "O", "lost": "F"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--follow-ups", type=int, default=3_000_000)
    parser.add_argument("--consultants-per-store", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    django_setup()
    generate(args)


def _copy(cursor, model, columns: list[str], rows) -> int:
    """COPY rows into the model's table; ``columns`` are attnames (``store_id`` for FKs)."""
    table = model._meta.db_table
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _reset_sequence(cursor, model) -> None:
    table = model._meta.db_table
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1)) FROM {table}")


def generate(args) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from accounts.models import DealerGroup, Membership, Role, Store, Team, User
    from catalog.models import Series
    from leads.models import Customer, FollowUp, Lead, LeadSettings, Source, Task

    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark dataset needs PostgreSQL: set DATABASE_URL.")
    rng = random.Random(args.seed)
    tz = ZoneInfo("Asia/Shanghai")
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()

    series_ids = list(Series.objects.values_list("id", flat=True))
    if not series_ids:
        from catalog import demo as catalog_demo

        catalog_demo.seed({})
        series_ids = list(Series.objects.values_list("id", flat=True))
    source_ids = {s.code: s.pk for s in Source.objects.all()}
    source_pool = (
        ["walk_in"] * 30
        + ["autohome"] * 15
        + ["dongchedi"] * 12
        + ["yiche"] * 8
        + ["showroom_phone"] * 8
        + ["hotline_400"] * 5
        + ["customer_referral"] * 6
        + ["outreach"] * 5
        + ["purchased_list"] * 6
        + ["oem"] * 5
    )
    roles = {r.code: r for r in Role.objects.filter(store=None)}
    password = make_password("bench12345")

    # --- group, stores, people (ORM: a few hundred rows) -----------------------------------
    with transaction.atomic():
        group, _ = DealerGroup.objects.get_or_create(code="bench", defaults={"name": "基准测试集团"})
        stores, consultants_by_store, managers = [], {}, {}
        for index in range(args.stores):
            store, _ = Store.objects.get_or_create(
                code=f"bench-{index:02d}", defaults={"group": group, "name": f"基准门店{index:02d}"}
            )
            LeadSettings.objects.get_or_create(store=store)
            stores.append(store)
            people = []
            for n in range(args.consultants_per_store):
                user, created = User.objects.get_or_create(
                    username=f"bench{index:02d}_c{n:02d}",
                    defaults={"full_name": f"顾问{index:02d}-{n:02d}", "password": password},
                )
                Membership.objects.get_or_create(user=user, store=store, role=roles["consultant"])
                people.append(user)
            manager, _ = User.objects.get_or_create(
                username=f"bench{index:02d}_manager",
                defaults={"full_name": f"经理{index:02d}", "password": password, "can_export": True},
            )
            Membership.objects.get_or_create(user=manager, store=store, role=roles["sales_manager"])
            supervisor, _ = User.objects.get_or_create(
                username=f"bench{index:02d}_supervisor",
                defaults={"full_name": f"主管{index:02d}", "password": password},
            )
            Membership.objects.get_or_create(user=supervisor, store=store, role=roles["sales_supervisor"])
            team, _ = Team.objects.get_or_create(store=store, name="一组", defaults={"supervisor": supervisor})
            team.members.set(people[: len(people) // 2])
            consultants_by_store[store.pk] = [u.pk for u in people]
            managers[store.pk] = manager.pk
    print(f"people ready in {time.perf_counter() - started:.1f}s")

    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM leads_customer")
        customer_base = cur.fetchone()[0]
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM leads_lead")
        lead_base = cur.fetchone()[0]
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM leads_followup")
        followup_base = cur.fetchone()[0]
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM leads_task")
        task_base = cur.fetchone()[0]

    # Day weights over the last year: weekends bring twice the traffic.
    days = [(now - dt.timedelta(days=d)) for d in range(365)]
    day_weights = [2.0 if d.astimezone(tz).weekday() >= 5 else 1.0 for d in days]

    per_customer_fu = args.follow_ups / max(args.customers, 1)
    status_names = [s for s, _ in STATUS_WEIGHTS]
    status_weights = [w for _, w in STATUS_WEIGHTS]
    phone_prefixes = [
        "138",
        "139",
        "135",
        "136",
        "137",
        "150",
        "151",
        "152",
        "158",
        "159",
        "182",
        "187",
        "188",
        "133",
        "153",
        "180",
        "189",
        "166",
        "177",
        "199",
    ]

    customers, leads, follow_ups, tasks = [], [], [], []
    phones_seen: set[str] = set()
    fu_id = followup_base
    task_id = task_base
    for i in range(args.customers):
        store = stores[i % len(stores)]
        cid = customer_base + i + 1
        lid = lead_base + i + 1
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
        while True:
            phone = rng.choice(phone_prefixes) + f"{rng.randrange(10**8):08d}"
            if phone not in phones_seen:
                phones_seen.add(phone)
                break
        created = rng.choices(days, day_weights)[0].replace(hour=rng.randrange(1, 12), minute=rng.randrange(60))
        owner = rng.choice(consultants_by_store[store.pk])
        status = rng.choices(status_names, status_weights)[0]
        grade = GRADE_FOR.get(status) or rng.choice("HAABBBCCCC")
        next_at = None
        if status in WORKING:
            next_at = now + dt.timedelta(days=rng.randint(-10, 30), hours=rng.randint(-3, 3))
        closed = created + dt.timedelta(days=rng.randint(1, 60)) if status in {"delivered", "lost", "invalid"} else None
        visited = (
            created + dt.timedelta(days=rng.randint(0, 20))
            if status in {"visited", "ordered", "delivered"} or rng.random() < 0.2
            else None
        )
        customers.append(
            (
                cid,
                store.pk,
                name,
                rng.choice("mf"),
                phone,
                "",
                "",
                "",
                "",
                "",
                "",
                None,
                rng.random() < 0.4,
                rng.random() < 0.03,
                False,
                "",
                "",
                "",
                "",
                "",
                None,
                None,
                created,
                created,
            )
        )
        leads.append(
            (
                lid,
                store.pk,
                cid,
                owner,
                source_ids[rng.choice(source_pool)],
                "",
                "",
                None,
                None,
                rng.choice(series_ids),
                "",
                "",
                "",
                False,
                "",
                False,
                False,
                False,
                grade,
                status,
                False,
                False,
                None,
                None,
                next_at,
                None,
                visited,
                None,
                closed,
                None,
                created,
                created,
            )
        )
        n_fu = int(per_customer_fu) + (1 if rng.random() < per_customer_fu - int(per_customer_fu) else 0)
        last_fu = None
        for k in range(n_fu):
            fu_id += 1
            at = created + dt.timedelta(days=k * rng.randint(1, 7), hours=rng.randint(0, 6))
            if at > now:
                at = now - dt.timedelta(minutes=rng.randrange(600))
            last_fu = at
            follow_ups.append(
                (
                    fu_id,
                    store.pk,
                    lid,
                    owner,
                    rng.choice(["phone", "phone", "wechat", "sms", "visit"]),
                    rng.choice(CONTENT),
                    rng.choice(["contacted", "contacted", "no_answer", "declined", "invited"]),
                    grade if grade in "HABC" else "C",
                    grade if grade in "HABC" else "C",
                    None,
                    False,
                    at,
                )
            )
        if last_fu is not None:
            leads[-1] = leads[-1][:25] + (last_fu,) + leads[-1][26:]
        if next_at is not None:
            task_id += 1
            due_local = next_at.astimezone(tz).date()
            tasks.append(
                (
                    task_id,
                    store.pk,
                    lid,
                    owner,
                    "follow_up",
                    "",
                    next_at,
                    due_local,
                    "open",
                    None,
                    None,
                    None,
                    None,
                    created,
                )
            )
        if len(customers) >= 50_000:
            _flush(connection, Customer, Lead, FollowUp, Task, customers, leads, follow_ups, tasks)
            print(f"  {i + 1:,} customers written ({time.perf_counter() - started:.0f}s)")
    _flush(connection, Customer, Lead, FollowUp, Task, customers, leads, follow_ups, tasks)
    with connection.cursor() as cur:
        for model in (Customer, Lead, FollowUp, Task):
            _reset_sequence(cur, model)
    # VACUUM sets the visibility map, so counts can be answered from indexes alone (as on a live
    # database, where autovacuum keeps it current).
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    print(
        f"done in {time.perf_counter() - started:.1f}s: {args.customers:,} customers and leads, {fu_id - followup_base:,} follow-ups, {task_id - task_base:,} open tasks"
    )


CUSTOMER_COLUMNS = [
    "id",
    "store_id",
    "name",
    "gender",
    "phone",
    "phone2",
    "wechat",
    "email",
    "address",
    "household",
    "best_time_to_call",
    "birthday",
    "consent_marketing",
    "do_not_disturb",
    "is_fleet",
    "company_name",
    "industry",
    "company_size",
    "postcode",
    "contact_person",
    "merged_into_id",
    "created_by_id",
    "created_at",
    "updated_at",
]
LEAD_COLUMNS = [
    "id",
    "store_id",
    "customer_id",
    "owner_id",
    "source_id",
    "campaign",
    "external_id",
    "referred_by_customer_id",
    "referred_by_user_id",
    "series_id",
    "budget",
    "purchase_time",
    "payment",
    "has_trade_in",
    "current_car",
    "need_confirmed",
    "budget_confirmed",
    "decision_maker_confirmed",
    "grade",
    "status",
    "is_fleet",
    "with_dcc",
    "repurchase_of_id",
    "merged_into_id",
    "next_follow_up_at",
    "last_follow_up_at",
    "first_visit_at",
    "in_pool_since",
    "closed_at",
    "created_by_id",
    "created_at",
    "updated_at",
]
FOLLOWUP_COLUMNS = [
    "id",
    "store_id",
    "lead_id",
    "author_id",
    "channel",
    "content",
    "result",
    "grade_before",
    "grade_after",
    "next_follow_up_at",
    "custom_plan",
    "created_at",
]
TASK_COLUMNS = [
    "id",
    "store_id",
    "lead_id",
    "assignee_id",
    "kind",
    "title",
    "due_at",
    "due_date",
    "status",
    "overdue_marked_at",
    "escalated_at",
    "done_at",
    "follow_up_id",
    "created_at",
]


def _flush(connection, Customer, Lead, FollowUp, Task, customers, leads, follow_ups, tasks) -> None:
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cur:
        raw = cur.cursor
        _copy(raw, Customer, CUSTOMER_COLUMNS, customers)
        _copy(raw, Lead, LEAD_COLUMNS, leads)
        _copy(raw, FollowUp, FOLLOWUP_COLUMNS, follow_ups)
        _copy(raw, Task, TASK_COLUMNS, tasks)
    customers.clear()
    leads.clear()
    follow_ups.clear()
    tasks.clear()


if __name__ == "__main__":
    main()
