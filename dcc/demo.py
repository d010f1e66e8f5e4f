"""Demo data of the DCC for ``seed_demo``: agents and skills, templates, 90 days of call-centre work.

Store 1 runs version 1 (separate inbound, outbound and direct-sales agents), store 2 version 2 (one
person does all three, the sales manager runs the DCC). About 80 DCC leads per store (online, OEM,
purchased lists, outreach and events) live their story through the services, each step at its
own moment of the past (a simulated clock stands in for ``timezone.now`` while seeding): listed by
the rules, called (no answer, call back, not interested, wrong number, invited), invited customers
arriving at the desk or not (no-shows come back and are invited again), orders and deliveries,
inbound calls, and two campaigns. Then today's lists are built on the real clock. Deterministic
(``random.Random`` seeded per store) and idempotent: a store that has DCC calls is left alone.
Runs after the leads and showroom demos (INSTALLED_APPS order).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Notification, Role, Store, User
from leads import services as lead_services
from leads.models import Appointment, Customer, Lead, LeadStatus, Source

from . import selectors, services
from .models import AgentProfile, Call, CallTask, DccSettings, MessageTemplate
from .services import CallInput, InboundInput

DAYS = 90
LEADS_PER_STORE = 80
INBOUND_PER_STORE = 20
SOURCE_WEIGHTS = {
    "autohome": 28,
    "dongchedi": 18,
    "yiche": 10,
    "brand_site": 6,
    "oem": 10,
    "purchased_list": 14,
    "outreach": 8,
    "offline_event": 6,
}
FIRST_OUTCOMES = {"no_answer": 24, "busy": 5, "wrong_number": 4, "not_interested": 14, "call_back": 18, "invited": 35}
LATER_OUTCOMES = {"no_answer": 20, "busy": 4, "not_interested": 16, "call_back": 10, "invited": 50}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欣晨阳佳怡雪慧"
NOTES = {
    "no_answer": ["电话未接通", "无人接听，稍后再拨", "关机"],
    "busy": ["占线", "客户在开会，挂断"],
    "wrong_number": ["空号", "号码错误，不是本人"],
    "not_interested": ["客户说暂时不考虑", "已经在别家订车了", "只是随便看看"],
    "call_back": ["客户在开车，约明天下午再打", "客户要和家人商量，后天回电", "客户出差，下周再联系"],
    "invited": ["客户同意周末到店试驾", "邀约成功，客户带家人来看车", "客户答应到店谈价格", "约好到店看现车颜色"],
    "talked": ["询问车型配置和价格", "了解贷款政策", "咨询置换补贴"],
}
TEMPLATES = [
    (
        MessageTemplate.Kind.CONFIRMATION,
        "邀约确认短信",
        "【{store}】{name}您好，感谢您接受邀约，我们将于{time}在店内恭候，接待顾问{receiver}。地址：{address}，电话：{phone}。",
    ),
    (
        MessageTemplate.Kind.DAY_BEFORE,
        "到店前一天提醒",
        "【{store}】{name}您好，提醒您明天{time}到店，接待顾问{receiver}已为您预留试驾车。地址：{address}。",
    ),
    (MessageTemplate.Kind.SAME_DAY, "到店当天提醒", "【{store}】{name}您好，今天{time}我们在店里等您，路上注意安全。"),
    (
        MessageTemplate.Kind.CAMPAIGN,
        "周末试驾邀请",
        "【{store}】{name}您好，本周末到店试驾即送精美礼品，更有置换补贴，回复1预约。",
    ),
]


class _Clock:
    """Stands in for ``timezone.now`` while seeding; each reading advances a microsecond."""

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


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _member(store: Store, role: str, username: str, full_name: str) -> User:
    from accounts.demo import DEMO_PASSWORD

    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, full_name=full_name, email=f"{username}@demo.dealercrm.local")
        user.set_password(DEMO_PASSWORD)
        user.save()
    Membership.objects.get_or_create(user=user, store=store, role=Role.objects.get(store=None, code=role))
    return user


class _StoreDcc:
    def __init__(self, store: Store, index: int, clock: _Clock, now: dt.datetime):
        self.store = store
        self.clock = clock
        self.now = now
        self.rng = random.Random(f"dealercrm-demo-dcc-{store.code}")
        self.stats: dict[str, int] = {}
        self.version = 1 if index == 1 else 2
        self.manager = selectors.dcc_managers(store)[0] if selectors.dcc_managers(store) else None
        self.consultants = list(
            User.objects.filter(is_active=True, memberships__store=store, memberships__role__code="consultant")
            .distinct()
            .order_by("username")
        )
        self.reception = (
            User.objects.filter(memberships__store=store, memberships__role__code="reception").order_by("pk").first()
        )
        self.sources = {s.code: s for s in Source.objects.filter(code__in=[*SOURCE_WEIGHTS, "hotline_400"])}
        self.trims = self._trims()

    def count(self, key: str, n: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + n

    def _trims(self):
        from catalog.models import Trim

        return list(Trim.objects.filter(is_active=True).select_related("model__series")[:40])

    # --- staff and settings ------------------------------------------------------------------

    def staff(self) -> None:
        settings = selectors.dcc_settings(self.store)
        DccSettings.objects.filter(pk=settings.pk).update(version=self.version)
        code = self.store.code.split("-")[0]
        prefix = f"s{1 if self.version == 1 else 2}"
        if self.version == 1:
            _member(self.store, "dcc_agent", f"{prefix}_dcc_ib", "苏晴" if code == "sh" else "沈悦")
            _member(self.store, "dcc_agent", f"{prefix}_dcc_sales", "方正" if code == "sh" else "蒋涛")
        profiles = list(selectors.agent_profiles(self.store))
        for profile in profiles:
            name = profile.user.username
            if self.version == 2:
                skills = {"skill_inbound": True, "skill_outbound": True, "skill_direct": True}
            elif name.endswith("_dcc_ib"):
                skills = {"skill_inbound": True, "skill_outbound": True, "skill_direct": False}
            elif name.endswith("_dcc_sales"):
                skills = {"skill_inbound": False, "skill_outbound": True, "skill_direct": True}
            else:
                skills = {"skill_inbound": False, "skill_outbound": True, "skill_direct": False}
            AgentProfile.objects.filter(pk=profile.pk).update(on_duty=True, **skills)
        self.agents = [p.user for p in selectors.agent_profiles(self.store)]
        self.direct_agents = [p.user for p in selectors.agent_profiles(self.store).filter(skill_direct=True)]
        for kind, name, body in TEMPLATES:
            if not MessageTemplate.objects.filter(store=self.store, kind=kind).exists():
                MessageTemplate.objects.create(store=self.store, kind=kind, name=name, body=body)
        selectors.script_for(self.store)

    # --- one DCC lead's story ----------------------------------------------------------------

    def _phone(self) -> str:
        while True:
            phone = self.rng.choice(["138", "139", "150", "151", "186", "187", "188", "199"]) + (
                f"{self.rng.randint(0, 99_999_999):08d}"
            )
            if not Customer.objects.filter(store=self.store, phone=phone).exists():
                return phone

    def _name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice([1, 2])))

    def _moment(self, day: dt.date) -> dt.datetime:
        return _local(day, self.rng.randint(9, 16), self.rng.randint(0, 59))

    def lead(self) -> None:
        day = (self.now - dt.timedelta(days=self.rng.randint(1, DAYS))).date()
        start = self._moment(day)
        self.clock.set(start)
        source = self.sources[_pick(self.rng, SOURCE_WEIGHTS)]
        customer = lead_services.customer_create(
            actor=None,
            store=self.store,
            name=self._name(),
            phone=self._phone(),
            consent_marketing=self.rng.random() < 0.6,
            gender=self.rng.choice(["m", "f"]),
        )
        series = self.rng.choice(self.trims).model.series if self.trims else None
        lead, _created = lead_services.lead_create(
            actor=None,
            customer=customer,
            owner=None,
            source=source,
            with_dcc=True,
            purchase_time=self.rng.choice(["7d", "15d", "30d", "90d"]),
            **({"series": series} if series else {}),
        )
        self.count("leads")
        task = services.call_tasks_for_lead(lead_id=lead.pk, now=start)
        if task is None:
            return
        # Most first calls within minutes; some late (the SLA figures need both).
        at = start + dt.timedelta(minutes=self.rng.choice([3, 5, 8, 11, 13, 14, 22, 40, 95]))
        self.work(task, at, first=True)

    def _ensure_agent(self, task: CallTask) -> User | None:
        if task.agent_id is None and self.agents and self.manager is not None:
            services.call_tasks_assign(
                actor=self.manager, store=self.store, tasks=[task], agent=self.rng.choice(self.agents)
            )
            task.refresh_from_db()
        return task.agent

    def work(self, task: CallTask, at: dt.datetime, first: bool = False) -> None:
        """Call the task until it closes or the calls reach today."""
        for _attempt in range(6):
            if at >= self.now - dt.timedelta(minutes=30):
                return
            task.refresh_from_db()
            if task.status != CallTask.Status.OPEN:
                return
            agent = self._ensure_agent(task)
            if agent is None:
                return
            self.clock.set(at)
            outcome = _pick(self.rng, FIRST_OUTCOMES if first else LATER_OUTCOMES)
            first = False
            data = CallInput(outcome=outcome, note=self.rng.choice(NOTES[outcome]), started_at=at)
            if outcome == "call_back":
                data.callback_at = self._moment(
                    timezone.localtime(at).date() + dt.timedelta(days=self.rng.randint(1, 3))
                )
            elif outcome == "invited":
                data.scheduled_at = _local(
                    timezone.localtime(at).date() + dt.timedelta(days=self.rng.randint(1, 5)), self.rng.randint(10, 16)
                )
                # A version-1 direct-sales agent receives most of their invitees; one person (version 2) some.
                direct = agent in self.direct_agents and self.rng.random() < (0.8 if self.version == 1 else 0.4)
                data.receiver = agent if direct else self.rng.choice(self.consultants)
                data.purpose = self.rng.choice(["view", "test_drive", "test_drive", "negotiate"])
                data.script_steps = tuple(
                    selectors.script_for(self.store).steps.values_list("pk", flat=True)[: self.rng.randint(5, 7)]
                )
            try:
                call = services.call_record(actor=agent, task=task, data=data)
            except ValidationError:
                return
            self.count(f"call_{outcome}")
            if outcome == "invited" and call.appointment is not None:
                self.arrival(call.appointment)
                return
            task.refresh_from_db()
            at = max(task.due_at, at + dt.timedelta(minutes=20)) + dt.timedelta(minutes=self.rng.randint(0, 30))

    def arrival(self, appointment: Appointment) -> None:
        """Two in three invited customers come; the others are no-shows, called and invited again."""
        if appointment.scheduled_at >= self.now:
            self.count("invitations_ahead")
            return
        day = timezone.localtime(appointment.scheduled_at).date()
        if self.rng.random() < 0.66 and self.reception is not None:
            arrived = appointment.scheduled_at + dt.timedelta(minutes=self.rng.randint(-20, 25))
            self.clock.set(arrived)
            from showroom import services as showroom_services

            visit = showroom_services.visit_register(
                actor=self.reception, store=self.store, phone=appointment.lead.customer.phone, party_size=2
            )
            self.count("arrived")
            departed = arrived + dt.timedelta(minutes=self.rng.randint(30, 120))
            if departed < self.now:
                self.clock.set(departed)
                showroom_services.visit_depart(actor=self.reception, visit=visit)
            if self.rng.random() < 0.35:
                self.order(appointment, departed)
            return
        next_morning = _local(day + dt.timedelta(days=1), 7, 30)
        if next_morning >= self.now:
            return
        self.clock.set(next_morning)
        lead_services.appointments_mark_no_shows(store=self.store, day=day)
        self.count("no_shows")
        task = services.call_tasks_for_lead(lead_id=appointment.lead_id, now=next_morning, rules=("no_show",))
        if task is not None:
            self.work(task, _local(day + dt.timedelta(days=1), 10, self.rng.randint(0, 59)))

    def order(self, appointment: Appointment, at: dt.datetime) -> None:
        from showroom import services as showroom_services
        from showroom.demo import make_vin

        lead = Lead.objects.get(pk=appointment.lead_id)
        seller = appointment.receiver
        trims = [t for t in self.trims if lead.series_id is None or t.model.series_id == lead.series_id] or self.trims
        if not trims or lead.status not in (LeadStatus.VISITED, LeadStatus.INVITED, LeadStatus.FOLLOWING):
            return
        self.clock.set(at)
        trim = self.rng.choice(trims)
        try:
            order = showroom_services.order_create(
                actor=seller,
                lead=lead,
                trim=trim,
                price=trim.guide_price,
                discount=Decimal(self.rng.choice([0, 3000, 5000])),
            )
            showroom_services.order_confirm(actor=seller, order=order)
        except ValidationError:
            return
        self.count("orders")
        self.count("direct_sales", int(order.is_dcc_sale))
        delivered = at + dt.timedelta(days=self.rng.randint(7, 20))
        if delivered < self.now:
            self.clock.set(_local(timezone.localtime(delivered).date(), 15))
            try:
                showroom_services.order_deliver(actor=seller, order=order, vin=make_vin(self.rng))
            except ValidationError:
                return
            self.count("deliveries")

    def inbound(self) -> None:
        agents = [p.user for p in selectors.agent_profiles(self.store).filter(skill_inbound=True)] or self.agents
        if not agents:
            return
        at = self._moment((self.now - dt.timedelta(days=self.rng.randint(1, DAYS))).date())
        self.clock.set(at)
        outcome = self.rng.choice(["talked", "talked", "invited", "call_back"])
        call = CallInput(outcome=outcome, note=self.rng.choice(NOTES[outcome]), started_at=at)
        if outcome == "invited":
            call.scheduled_at = _local(timezone.localtime(at).date() + dt.timedelta(days=self.rng.randint(1, 4)), 11)
            call.receiver = self.rng.choice(self.consultants)
        elif outcome == "call_back":
            call.callback_at = self._moment(timezone.localtime(at).date() + dt.timedelta(days=1))
        data = InboundInput(
            phone=self._phone(),
            name=self._name(),
            source=self.sources["hotline_400"],
            call=call,
            purchase_time=self.rng.choice(["7d", "15d", "30d"]),
            consent_marketing=self.rng.random() < 0.5,
        )
        try:
            logged = services.inbound_call_log(actor=self.rng.choice(agents), store=self.store, data=data)
        except ValidationError:
            return
        self.count("inbound")
        if logged.appointment is not None:
            self.arrival(logged.appointment)

    def campaigns(self) -> None:
        if self.manager is None:
            return
        for days_ago, name, kind, extra in (
            (25, "春季试驾邀请", "sms", {"filter_params": {"grade": ["H", "A"]}}),
            (
                6,
                "新车品鉴会邀请",
                "event",
                {
                    "filter_params": {"grade": ["A", "B"]},
                    "event_name": "新车品鉴会",
                    "event_at": _local((self.now + dt.timedelta(days=4)).date(), 14),
                },
            ),
        ):
            self.clock.set(_local((self.now - dt.timedelta(days=days_ago)).date(), 10))
            template = MessageTemplate.objects.filter(store=self.store, kind=MessageTemplate.Kind.CAMPAIGN).first()
            body = (
                template.body
                if kind == "sms"
                else "【{store}】{name}您好，诚邀您参加{event}（{event_time}），到场有礼。"
            )
            campaign = services.campaign_create(
                actor=self.manager, store=self.store, name=name, kind=kind, body=body, template=template, **extra
            )
            campaign = services.campaign_queue(actor=self.manager, campaign=campaign)
            while services.campaign_send_batch(campaign_id=campaign.pk):
                pass
            self.count("campaigns")
        self.clock.set(self.now - dt.timedelta(hours=2))
        services.campaign_create(
            actor=self.manager,
            store=self.store,
            name="老客户转介绍活动（草稿）",
            kind="sms",
            body="【{store}】{name}您好，推荐亲友购车，双方均可获赠保养一次。",
            filter_params={"status": ["visited"]},
        )

    def run(self) -> None:
        self.staff()
        if not self.consultants or not self.agents:
            return
        for _ in range(LEADS_PER_STORE):
            self.lead()
        for _ in range(INBOUND_PER_STORE):
            self.inbound()
        self.campaigns()


def seed(ctx: dict) -> None:
    import logging

    stores = ctx.get("stores") or list(Store.objects.filter(is_active=True).order_by("pk"))
    out = ctx.get("stdout")
    # The log backend would print every demo campaign message.
    message_log = logging.getLogger("dcc.messages")
    level = message_log.level
    message_log.setLevel(logging.WARNING)
    try:
        _seed(stores, out)
    finally:
        message_log.setLevel(level)


def _seed(stores: list[Store], out) -> None:
    for index, store in enumerate(stores, start=1):
        if Call.objects.filter(store=store).exists():
            continue
        now = timezone.now()
        clock = _Clock()
        with transaction.atomic():
            with _simulated(clock):
                seeder = _StoreDcc(store, index, clock, now)
                seeder.run()
            # This morning's lists on the real clock: reactivations, uninvited showroom leads, no-shows.
            built = services.call_lists_build(store=store, now=now)
            seeder.count("listed_today", built["created"])
            Notification.objects.filter(
                store=store, read_at__isnull=True, created_at__lt=now - dt.timedelta(days=2)
            ).update(read_at=now)
        if out is not None:
            out.write(f"  {store.code}: " + ", ".join(f"{k} {v}" for k, v in sorted(seeder.stats.items())))
