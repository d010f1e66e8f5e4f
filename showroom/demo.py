"""Demo showroom traffic for ``seed_demo``: 90 days of visits per store, with test drives, orders and
deliveries, and a few parties in the showroom right now.

Weekdays bring 15–20 parties, weekends about twice as many; about seven in ten are first visits, a
quarter of those leave no phone (not filed). The main road goes through the services — the desk
registers, consultants record test drives, follow up, place, confirm and deliver orders — each step
at its own moment of the past: while seeding, a simulated clock stands in for
``django.utils.timezone.now`` (so order numbers, audit entries and notifications carry the right
day); registration times are then backdated a few minutes after arrival with ``queryset.update``.

Arrivals the leads demo recorded (appointments marked arrived) get their visit rows too, so the
register and the leads agree. Deterministic (``random.Random`` per store) and idempotent: a store
that already has visits is left alone. Runs after ``leads.demo`` and works without it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Notification, Store, User
from catalog.models import Series, Trim
from catalog.validators import vin_check_digit
from leads import services as lead_services
from leads.models import Appointment, Customer, FollowUp, Lead, LeadStatus, Source

from . import services
from .models import DemoVehicle, Order, RotationEntry, Visit

DAYS = 90
WEEKDAY_PARTIES = (13, 18)
WEEKEND_PARTIES = (26, 34)
FIRST_VISIT_SHARE = 0.7
NO_PHONE_SHARE = 0.25  # of first visits
TEST_DRIVE_SHARE = 0.3
FIRST_VISIT_DEAL_SHARE = 0.06
RETURN_DEAL_SHARE = 0.22
# Before the cross-check the desk runs now, walk-ins were often left alone; lately nearly all are followed.
FOLLOWED_UP_SHARE = 0.9
FOLLOWED_UP_SHARE_BEFORE = 0.4
CROSS_CHECK_SINCE_DAYS = 21
IN_STORE_NOW = 4
CORRECTED_SHARE = 0.04  # registrations the desk fixes later (the clerk's accuracy)
WORKING = [LeadStatus.NEW, LeadStatus.FOLLOWING, LeadStatus.INVITED, LeadStatus.VISITED]

# Arrival hour → weight: mornings from ten, the afternoon peak, few after six.
HOURS = {9: 4, 10: 9, 11: 8, 12: 4, 13: 6, 14: 10, 15: 10, 16: 8, 17: 5, 18: 2}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈"
# Prefixes the leads demo does not use, so a walk-in never hits one of its customers by chance.
PHONE_PREFIXES = ["145", "147", "173", "175", "178", "191", "193", "195", "196"]
COLOURS = ["珍珠白", "曜石黑", "星空灰", "天际蓝", "极光银", "宝石红"]
ROUTES = ["市区环线 8 公里", "高架快速路 12 公里", "园区试驾道 5 公里", "城郊公路 15 公里"]
FEEDBACK = [
    "加速平顺，隔音不错，对后排空间满意",
    "转向偏轻，整体满意，想再对比一下竞品",
    "动力够用，油耗关心，家人觉得乘坐舒适",
    "很喜欢内饰和大屏，价格还要再谈",
    "底盘扎实，刹车脚感好，倾向购买",
]
NOTES = ["看SUV", "带孩子来看车", "比较了竞品", "关心置换补贴", "询问贷款方案", "只是随便看看", ""]
FOLLOW_UPS = [
    "电话回访到店感受，客户对{series}印象不错，约周末再来",
    "微信发送{series}配置表和报价，客户已读",
    "回访：客户还在对比，保持联系",
    "客户询问置换评估，约时间到店评估旧车",
]
TRADE_INS = ["", "", "", "2015款 大众朗逸", "2017款 丰田卡罗拉", "2014款 本田思域"]


class _Clock:
    """Stands in for ``timezone.now`` while seeding; each reading moves on by a microsecond."""

    def __init__(self) -> None:
        self.current = timezone.now()
        self._ticks = itertools.count()

    def now(self) -> dt.datetime:
        return self.current + dt.timedelta(microseconds=next(self._ticks))

    def set(self, when: dt.datetime) -> None:
        self.current = when


@contextmanager
def _simulated(clock: _Clock) -> Iterator[None]:
    real_now = timezone.now
    timezone.now = clock.now
    try:
        yield
    finally:
        timezone.now = real_now


def make_vin(rng: random.Random, wmi: str = "LSV") -> str:
    """A valid VIN: the check digit computed over a random body."""
    alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    vds = "".join(rng.choice(alphabet) for _ in range(5))
    year = rng.choice("PRS")  # 2023–2025
    body = f"{wmi}{vds}0{year}{rng.choice('ABCDEFGH')}{rng.randint(0, 999999):06d}"
    return body[:8] + vin_check_digit(body) + body[9:]


def _plate_prefix(store: Store) -> str:
    for city, prefix in (("上海", "沪A"), ("杭州", "浙A"), ("北京", "京A"), ("广州", "粤A"), ("深圳", "粤B")):
        if city in store.address or city in store.name:
            return prefix
    return "沪A"


class _StoreTraffic:
    def __init__(self, store: Store, clock: _Clock, now: dt.datetime, days: int):
        self.store = store
        self.clock = clock
        self.now = now
        self.days = days
        self.rng = random.Random(f"dealercrm-demo-showroom-{store.code}")
        self.consultants = list(
            User.objects.filter(is_active=True, memberships__store=store, memberships__role__code="consultant")
            .distinct()
            .order_by("username")
        )
        self.desk = (
            User.objects.filter(is_active=True, memberships__store=store, memberships__role__code="reception")
            .order_by("username")
            .first()
        )
        self.manager = (
            User.objects.filter(is_active=True, memberships__store=store, memberships__role__code="sales_manager")
            .order_by("username")
            .first()
        )
        # One instance per person: each caches its grants, which the services check on every call.
        self.users = {u.pk: u for u in [*self.consultants, self.desk, self.manager] if u is not None}
        self.walk_in = Source.objects.get(code="walk_in")
        self.sources = [self.walk_in] * 8 + list(Source.objects.filter(code__in=["customer_referral", "outreach"]))
        self.series = list(Series.objects.filter(is_active=True, models__trims__is_active=True).distinct()[:40])
        self.trims = {
            s.pk: list(Trim.objects.filter(model__series=s, is_active=True).order_by("guide_price"))
            for s in self.series
        }
        self.cars: list[DemoVehicle] = []
        self.returning: list[Visit] = []  # first visits with a lead that may come back
        self.pending: list[Visit] = []  # anonymous visits of earlier days, written in bulk
        self.stats = {"visits": 0, "test_drives": 0, "orders": 0, "delivered": 0, "backfilled": 0}
        self.turn = itertools.cycle(range(max(len(self.consultants), 1)))
        used = Customer.objects.filter(store=store).values_list("phone", flat=True)
        taken = {phone[:3] for phone in used if phone}
        self.prefix = next((p for p in PHONE_PREFIXES if p not in taken), PHONE_PREFIXES[0])
        self.serial = itertools.count(self.rng.randint(1000, 9999) * 10)

    # --- helpers --------------------------------------------------------------------------

    def at(self, when: dt.datetime) -> dt.datetime:
        self.clock.set(when)
        return when

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(["先生", "女士", "先生", "女士", "总"])

    def phone(self) -> str:
        """A fresh number: a prefix no demo customer uses, the store's number and a running count."""
        return f"{self.prefix}{self.store.pk % 100:02d}{next(self.serial):06d}"

    def next_consultant(self) -> User:
        return self.consultants[next(self.turn)]

    def user(self, pk: int | None) -> User | None:
        if pk is None:
            return None
        if pk not in self.users:
            self.users[pk] = User.objects.get(pk=pk)
        return self.users[pk]

    def arrivals(self, day: dt.date) -> list[dt.datetime]:
        low, high = WEEKEND_PARTIES if day.weekday() >= 5 else WEEKDAY_PARTIES
        count = self.rng.randint(low, high)
        hours = self.rng.choices(list(HOURS), weights=list(HOURS.values()), k=count)
        times = sorted(
            timezone.make_aware(dt.datetime.combine(day, dt.time(hour, self.rng.randint(0, 59)))) for hour in hours
        )
        return times

    # --- seeding ----------------------------------------------------------------------------

    def demo_cars(self) -> None:
        prefix = _plate_prefix(self.store)
        picks = [self.trims[s.pk][-1] for s in self.series[:3] if self.trims.get(s.pk)]
        for index, trim in enumerate(picks, start=1):
            self.cars.append(
                services.demo_vehicle_save(
                    actor=self.manager,
                    store=self.store,
                    trim=trim,
                    plate=f"{prefix}·D{index:04d}",
                    vin=make_vin(self.rng),
                    is_active=True,
                )
            )

    def run(self) -> None:
        today = timezone.localdate(self.now)
        self.demo_cars()
        for offset in range(self.days, -1, -1):
            day = today - dt.timedelta(days=offset)
            times = self.arrivals(day)
            if offset == 0:
                times = self.today(times)
            for index, arrived in enumerate(times):
                staying = offset == 0 and index >= len(times) - IN_STORE_NOW
                self.party(arrived, staying=staying, today=offset == 0)
            self.flush()
        self.backfill_appointments()
        self.deliveries()
        self.rotation_now()

    def today(self, times: list[dt.datetime]) -> list[dt.datetime]:
        """Today only up to now, with the last few arrivals within the last hour (still in the store)."""
        earlier = [t for t in times if t < self.now - dt.timedelta(hours=1)]
        recent = sorted(self.now - dt.timedelta(minutes=self.rng.randint(5, 60)) for _ in range(IN_STORE_NOW))
        return earlier + recent

    def party(self, arrived: dt.datetime, *, staying: bool, today: bool) -> None:
        rng = self.rng
        returning = self.returning and rng.random() > FIRST_VISIT_SHARE
        if returning:
            first = self.returning[rng.randrange(len(self.returning))]
            returning = Lead.objects.filter(pk=first.lead_id, status__in=WORKING).exists()
        series = rng.choice(self.series) if self.series and rng.random() < 0.85 else None
        phone = "" if returning or rng.random() < NO_PHONE_SHARE else self.phone()
        if not returning and not phone and not today:
            self.anonymous(arrived, series)
            return
        registered = self.at(arrived + dt.timedelta(minutes=rng.choice([1, 2, 3, 4, 5, 6, 8, 12, 25])))
        test_drive = bool(self.cars) and rng.random() < TEST_DRIVE_SHARE
        if returning:
            visit = services.visit_register(
                actor=self.desk,
                store=self.store,
                phone=first.phone,
                arrived_at=arrived,
                party_size=rng.choice([1, 1, 2, 2, 3]),
                series=first.series or series,
                test_drive=test_drive,
                note=rng.choice(NOTES),
            )
        else:
            visit = services.visit_register(
                actor=self.desk,
                store=self.store,
                phone=phone,
                visitor_name=self.name(),
                arrived_at=arrived,
                party_size=rng.choice([1, 1, 2, 2, 2, 3, 4]),
                consultant=self.next_consultant(),
                source=rng.choice(self.sources),
                series=series,
                test_drive=test_drive,
                note=rng.choice(NOTES),
            )
        self.stats["visits"] += 1
        stay = dt.timedelta(minutes=rng.randint(20, 110))
        if visit.lead_id is not None:
            if visit.is_first_visit:
                self.returning.append(visit)
            if test_drive:
                self.test_drive(visit, arrived + dt.timedelta(minutes=rng.randint(10, 30)), staying)
            deal_share = FIRST_VISIT_DEAL_SHARE if visit.is_first_visit else RETURN_DEAL_SHARE
            if not staying and rng.random() < deal_share and self.order(visit, arrived + stay * 0.8):
                stay += dt.timedelta(minutes=30)
        departed = None if staying else min(arrived + stay, self.now)
        # The desk entered the party a few minutes after it walked in; the departure as it happened.
        Visit.objects.filter(pk=visit.pk).update(registered_at=registered, departed_at=departed)
        if not staying and rng.random() < CORRECTED_SHARE:
            self.at(min(arrived + stay, self.now))
            visit.refresh_from_db()
            services.visit_correct(actor=self.desk, visit=visit, party_size=visit.party_size + 1)
        recent = self.now - arrived < dt.timedelta(days=CROSS_CHECK_SINCE_DAYS)
        share = FOLLOWED_UP_SHARE if recent else FOLLOWED_UP_SHARE_BEFORE
        if visit.lead_id is not None and not staying and rng.random() < share:
            self.follow_up(visit, arrived + stay + dt.timedelta(hours=rng.randint(2, 20)))

    def anonymous(self, arrived: dt.datetime, series) -> None:
        """A visitor of an earlier day who left no number: a register line and nothing else, so it is
        written directly (``visit_register`` would add only a rotation move and a notification)."""
        rng = self.rng
        self.pending.append(
            Visit(
                store=self.store,
                visitor_name=self.name(),
                arrived_at=arrived,
                departed_at=arrived + dt.timedelta(minutes=rng.randint(10, 50)),
                party_size=rng.choice([1, 1, 2, 2, 3]),
                is_first_visit=True,
                consultant=self.next_consultant(),
                source=rng.choice(self.sources),
                series=series,
                filed=False,
                note=rng.choice(NOTES),
                registered_by=self.desk,
            )
        )
        self.stats["visits"] += 1

    def flush(self) -> None:
        if not self.pending:
            return
        created = Visit.objects.bulk_create(self.pending)
        for visit in created:
            # auto_now_add stamped the seeding clock: backdate to a few minutes after arrival.
            Visit.objects.filter(pk=visit.pk).update(registered_at=visit.arrived_at + dt.timedelta(minutes=3))
        self.pending = []

    def test_drive(self, visit: Visit, started: dt.datetime, staying: bool) -> None:
        if started > self.now:
            return
        ended = started + dt.timedelta(minutes=self.rng.randint(15, 35))
        self.at(min(ended, self.now))
        lead = Lead.objects.select_related("store").get(pk=visit.lead_id)
        if lead.status not in WORKING:
            return
        services.test_drive_record(
            actor=self.user(visit.consultant_id),
            lead=lead,
            vehicle=self.rng.choice(self.cars),
            route=self.rng.choice(ROUTES),
            licence_checked=True,
            vehicle_checked=True,
            started_at=started,
            ended_at=None if staying and ended > self.now else min(ended, self.now),
            feedback=self.rng.choice(FEEDBACK),
        )
        self.stats["test_drives"] += 1

    def order(self, visit: Visit, at: dt.datetime) -> bool:
        lead = Lead.objects.select_related("store", "customer", "series").get(pk=visit.lead_id)
        if lead.status not in WORKING:
            return False
        series = lead.series or visit.series
        trims = self.trims.get(series.pk) if series else None
        if not trims or at > self.now:
            return False
        seller = self.user(lead.owner_id or visit.consultant_id)
        if seller is None:
            return False
        trim = self.rng.choice(trims)
        discount = Decimal(self.rng.choice([0, 3000, 5000, 8000, 10000, 12000]))
        self.at(at)
        order = services.order_create(
            actor=seller,
            lead=lead,
            trim=trim,
            price=trim.guide_price,
            vin=make_vin(self.rng) if self.rng.random() < 0.4 else "",
            colour=self.rng.choice(COLOURS),
            discount=min(discount, trim.guide_price),
            deposit=Decimal(self.rng.choice([5000, 10000, 20000])),
            payment=self.rng.choice([Order.Payment.FULL, Order.Payment.LOAN]),
            trade_in=self.rng.choice(TRADE_INS),
            expected_delivery=timezone.localdate(at) + dt.timedelta(days=self.rng.randint(7, 30)),
        )
        self.at(at + dt.timedelta(minutes=20))
        services.order_confirm(actor=seller, order=order)
        self.stats["orders"] += 1
        return True

    def follow_up(self, visit: Visit, at: dt.datetime) -> None:
        if at > self.now:
            return
        lead = Lead.objects.select_related("store", "series").get(pk=visit.lead_id)
        if lead.status not in WORKING:
            return
        actor = self.user(lead.owner_id)
        if actor is None:
            return
        self.at(at)
        series = lead.series.name if lead.series else "新车"
        # The next contact lands in the real future, so the demo's task lists look like a working team's.
        next_contact = self.now + dt.timedelta(days=self.rng.randint(1, 10), hours=self.rng.randint(0, 8))
        lead_services.followup_log(
            actor=actor,
            lead=lead,
            channel=self.rng.choice([FollowUp.Channel.PHONE, FollowUp.Channel.WECHAT]),
            content=self.rng.choice(FOLLOW_UPS).format(series=series),
            result=FollowUp.Result.CONTACTED,
            grade=self.rng.choice(["H", "A", "A", "B", "B", "C"]),
            next_follow_up_at=next_contact,
        )

    def deliveries(self) -> None:
        """Most orders confirmed a week or more ago are delivered; a few are cancelled."""
        orders = Order.objects.filter(store=self.store, status=Order.Status.CONFIRMED)
        for order in orders.order_by("confirmed_at"):
            seller = self.user(order.seller_id)
            age = self.now - order.confirmed_at
            if age < dt.timedelta(days=7):
                continue
            roll = self.rng.random()
            if roll < 0.05:
                self.at(order.confirmed_at + dt.timedelta(days=self.rng.randint(1, 5)))
                services.order_cancel(actor=seller, order=order, reason="客户资金未到位，取消订单")
            elif roll < 0.9:
                at = order.confirmed_at + dt.timedelta(days=self.rng.randint(7, min(age.days, 30)), hours=2)
                self.at(min(at, self.now))
                services.order_deliver(
                    actor=seller, order=order, vin=order.vin or make_vin(self.rng), at=self.clock.current
                )
                self.stats["delivered"] += 1

    def backfill_appointments(self) -> None:
        """Arrivals the leads demo recorded on appointments become visits of the register as well."""
        arrived = (
            Appointment.objects.filter(store=self.store, status=Appointment.Status.ARRIVED, visits__isnull=True)
            .exclude(arrived_at__isnull=True)
            .select_related("lead__customer")
        )
        rows = []
        visited = set(Visit.objects.filter(store=self.store).values_list("customer_id", flat=True))
        for appointment in arrived.order_by("arrived_at"):
            customer = appointment.lead.customer
            rows.append(
                Visit(
                    store=self.store,
                    customer=customer,
                    lead=appointment.lead,
                    appointment=appointment,
                    visitor_name=customer.name,
                    phone=customer.phone,
                    arrived_at=appointment.arrived_at,
                    departed_at=appointment.arrived_at + dt.timedelta(minutes=self.rng.randint(30, 100)),
                    party_size=self.rng.choice([1, 2, 2, 3]),
                    is_first_visit=customer.pk not in visited,
                    consultant=appointment.receiver,
                    source=appointment.lead.source,
                    series=appointment.lead.series,
                    filed=bool(customer.phone),
                    registered_by=self.desk,
                )
            )
            visited.add(customer.pk)
        Visit.objects.bulk_create(rows)
        for visit in Visit.objects.filter(store=self.store, appointment__isnull=False).only("arrived_at"):
            Visit.objects.filter(pk=visit.pk).update(registered_at=visit.arrived_at + dt.timedelta(minutes=3))
        self.stats["backfilled"] = len(rows)

    def rotation_now(self) -> None:
        """Who is with a customer now, who waits, and one consultant away."""
        self.at(self.now)
        busy = set(
            Visit.objects.filter(store=self.store, departed_at__isnull=True).values_list("consultant_id", flat=True)
        )
        for index, consultant in enumerate(self.consultants):
            if consultant.pk in busy:
                state = RotationEntry.State.WITH_CUSTOMER
            elif index == len(self.consultants) - 1 and len(self.consultants) > 2:
                state = RotationEntry.State.AWAY
            else:
                state = RotationEntry.State.AVAILABLE
            services.rotation_set_state(actor=consultant, store=self.store, consultant=consultant, state=state)


def seed(ctx: dict, *, days: int = DAYS) -> None:
    stores = ctx.get("stores") or list(Store.objects.filter(is_active=True))
    out = ctx.get("stdout")
    for store in stores:
        if Visit.objects.filter(store=store).exists():
            continue
        traffic = None
        now = timezone.now()
        clock = _Clock()
        with transaction.atomic():
            with _simulated(clock):
                traffic = _StoreTraffic(store, clock, now, days)
                if not traffic.consultants or traffic.desk is None or traffic.manager is None:
                    continue
                traffic.run()
            # The cross-check as this morning's job sees it, on the real clock.
            services.visits_flag_without_follow_up(store=store, now=now)
            Notification.objects.filter(
                store=store, read_at__isnull=True, created_at__lt=now - dt.timedelta(days=1)
            ).update(read_at=now)
        if out is not None and traffic is not None:
            out.write(f"  {store.code}: " + ", ".join(f"{k} {v}" for k, v in traffic.stats.items()))
