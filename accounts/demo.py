"""Demo dealer group for ``seed_demo``: two stores, a user for every role in each, a group GM."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from .models import DealerGroup, Holiday, Membership, OpeningHours, Role, Store, Team, User

DEMO_PASSWORD = "demo12345"

STORES = [
    ("sh-pudong", "上海浦东 4S 店", "上海市浦东新区张杨路 1888 号", "021-58881234"),
    ("hz-xihu", "杭州西湖 4S 店", "杭州市西湖区文三路 520 号", "0571-88765432"),
]

# (role code, username suffix, Chinese name per store)
PEOPLE = [
    ("reception", "reception", ["陈静", "周婷"]),
    ("consultant", "consultant", ["李明", "王强"]),
    ("consultant", "consultant2", ["张伟", "刘洋"]),
    ("consultant", "consultant3", ["赵磊", "孙悦"]),
    ("consultant", "consultant4", ["黄敏", "吴昊"]),
    ("sales_supervisor", "supervisor", ["郑凯", "冯刚"]),
    ("sales_manager", "manager", ["马俊", "朱晨"]),
    ("dcc_agent", "dcc", ["何佳", "林晓"]),
    ("dcc_manager", "dccmanager", ["郭涛", "罗兰"]),
    ("cs_agent", "cs", ["梁雪", "宋琳"]),
    ("cs_manager", "csmanager", ["谢芳", "韩梅"]),
    ("gm", "gm", ["唐建国", "曹志远"]),
    ("admin", "admin", ["许峰", "邓超"]),
]

HOLIDAYS = [
    (dt.date(2027, 1, 1), "元旦", Holiday.Kind.CLOSED, None),
    (dt.date(2027, 2, 6), "春节", Holiday.Kind.CLOSED, None),
    (dt.date(2027, 2, 7), "春节", Holiday.Kind.CLOSED, None),
    (dt.date(2027, 2, 8), "春节", Holiday.Kind.CLOSED, None),
]


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, role, store code) for every demo account, for ``make run`` to print."""
    rows = []
    for index, (code, _prefix, _host, _phone) in enumerate(STORES, start=1):
        for role, suffix, _names in PEOPLE:
            rows.append((f"s{index}_{suffix}", role, code))
    rows.append(("group_gm", "gm", "group"))
    return rows


@transaction.atomic
def seed(ctx: dict) -> None:
    group, _ = DealerGroup.objects.get_or_create(code="huadong", defaults={"name": "华东汽车集团"})
    roles = {r.code: r for r in Role.objects.filter(store=None)}
    stores = []
    for index, (code, name, address, phone) in enumerate(STORES, start=1):
        store, _ = Store.objects.get_or_create(
            code=code, defaults={"group": group, "name": name, "address": address, "phone": phone}
        )
        stores.append(store)
        if not store.opening_hours.exists():
            OpeningHours.objects.bulk_create(
                OpeningHours(store=store, weekday=day, opens_at=dt.time(8, 30), closes_at=dt.time(18, 0))
                for day in range(7)
            )
        for day, label, kind, works_as in HOLIDAYS:
            Holiday.objects.get_or_create(
                store=store, date=day, defaults={"name": label, "kind": kind, "works_as_weekday": works_as}
            )
        users = {}
        for role, suffix, names in PEOPLE:
            user = _demo_user(
                f"s{index}_{suffix}", names[index - 1], can_export=role in {"sales_manager", "gm", "admin"}
            )
            Membership.objects.get_or_create(user=user, role=roles[role], store=store)
            users[suffix] = user
        team, _ = Team.objects.get_or_create(store=store, name="销售一组", defaults={"supervisor": users["supervisor"]})
        team.members.add(users["consultant"], users["consultant2"])
        team2, _ = Team.objects.get_or_create(store=store, name="销售二组", defaults={"supervisor": users["manager"]})
        team2.members.add(users["consultant3"], users["consultant4"])
    group_gm = _demo_user("group_gm", "钱振华", can_export=True)
    Membership.objects.get_or_create(user=group_gm, role=roles["gm"], group=group)
    ctx["group"] = group
    ctx["stores"] = stores


def _demo_user(username: str, full_name: str, can_export: bool) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username,
            full_name=full_name,
            email=f"{username}@demo.dealercrm.local",
            can_export=can_export,
            can_see_full_phone=can_export,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user
