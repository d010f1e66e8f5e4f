"""Demo customers and leads for ``seed_demo``: about 250 per store over the last 90 days.

Every lead lives its story through the services (create, follow up, invite, arrive or not, lose,
approve, return to the pool …) so the rules hold, each step at its own moment of the past: while
the demo is seeded a simulated clock stands in for ``django.utils.timezone.now`` and is set before
each step, so created-at times, due dates, events, audit entries and notifications all tell the
same 90 days. Deterministic (``random.Random`` seeded per store) and idempotent: a store that
already has customers created by its own staff is left alone.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts.models import Notification, Store, Team, User

from . import services
from .models import Appointment, Customer, FollowUp, Lead, LostReason, Source
from .selectors import lead_settings

DAYS = 90
CUSTOMERS_PER_STORE = 250

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欣晨阳建国志文博鸿峰海"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英萍红梅琳颖婷雪慧洁倩佳瑶怡璐露晶蕾燕悦琪楠薇月"
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152"]
MOBILE_PREFIXES += ["155", "156", "157", "158", "159", "166", "176", "177", "180", "181", "185", "186"]
MOBILE_PREFIXES += ["187", "188", "189", "198", "199"]
DISTRICTS = {
    "sh": ["浦东新区", "徐汇区", "闵行区", "静安区", "长宁区", "杨浦区", "宝山区", "松江区", "嘉定区"],
    "hz": ["西湖区", "拱墅区", "上城区", "滨江区", "余杭区", "萧山区", "临平区", "钱塘区"],
}
ROADS = ["世纪大道", "张杨路", "锦绣路", "文三路", "古墩路", "江南大道", "人民路", "中山路", "建设路", "解放路"]
BUDGETS = ["10–15万", "15–20万", "20–25万", "25–30万", "30–40万", "40万以上"]
CURRENT_CARS = ["2014款 大众朗逸", "2016款 丰田卡罗拉", "2015款 本田思域", "2017款 日产轩逸", "2013款 别克英朗"]
CURRENT_CARS += ["2018款 吉利帝豪", "2016款 长安CS35", "2012款 福特福克斯", "2019款 哈弗H6", "无"]
COMPETITORS = {
    "丰田": ["凯美瑞", "RAV4荣放", "卡罗拉"],
    "本田": ["雅阁", "CR-V", "思域"],
    "比亚迪": ["秦PLUS", "宋PLUS", "汉", "海豹"],
    "特斯拉": ["Model 3", "Model Y"],
    "吉利": ["星越L", "博越L"],
    "理想": ["L6", "L7"],
    "问界": ["M5", "M7"],
    "日产": ["轩逸", "天籁"],
    "别克": ["君威", "GL8"],
    "长安": ["CS75 PLUS", "UNI-V"],
}

# source code → weight: walk-ins first, then the online platforms, the phone, referrals, outreach, lists.
SOURCE_WEIGHTS = {
    "walk_in": 30,
    "autohome": 12,
    "dongchedi": 10,
    "yiche": 7,
    "showroom_phone": 8,
    "hotline_400": 4,
    "brand_site": 3,
    "customer_referral": 6,
    "employee_referral": 2,
    "outreach": 5,
    "offline_event": 4,
    "purchased_list": 5,
    "oem": 4,
}
ONLINE = {"autohome", "dongchedi", "yiche", "brand_site", "oem"}
DESK = {"walk_in", "showroom_phone", "hotline_400"}
# story → weight (see ``_Plan.story``).
STORY_WEIGHTS = {
    "new": 6,
    "following": 40,
    "invited": 9,
    "no_show": 3,
    "visited": 9,
    "lost": 12,
    "reopened": 1,
    "invalid": 4,
    "pending_lost": 3,
    "rejected": 2,
    "pool": 5,
}
GRADE_WEIGHTS = {"H": 12, "A": 28, "B": 35, "C": 25}
PURCHASE_TIME = {"H": "7d", "A": "15d", "B": "30d", "C": "90d"}
CADENCE = {"H": 1, "A": 3, "B": 7, "C": 15}
LOST_REASONS = {
    "other_brand": 35,
    "price": 20,
    "same_brand_elsewhere": 10,
    "financing": 5,
    "postponed": 15,
    "no_longer_needed": 5,
    "unreachable": 7,
    "other": 3,
}
INVALID_REASONS = {"wrong_number": 6, "not_prospect": 4, "test_entry": 1}

CONTENT = {
    FollowUp.Result.CONTACTED: [
        "电话沟通，客户关注油耗，计划周末带家人来店看车",
        "客户对{series}的配置比较满意，关心贷款政策和首付比例",
        "询问置换补贴，已约二手车评估师上门看车",
        "客户在对比{competitor}，强调我们的保养套餐和质保政策",
        "客户预算{budget}，推荐{series}中配车型，发送了报价单",
        "客户关心提车时间和现车颜色，已查询库存回复",
        "客户家人希望空间大一些，介绍了{series}的后排和后备箱",
        "回访客户，了解到还在等年终奖，预计下月决定",
    ],
    FollowUp.Result.NO_ANSWER: ["电话未接通，稍后再联系", "客户在开会，约定明天再打", "电话无人接听，已发短信留言"],
    FollowUp.Result.DECLINED: ["邀约到店试驾，客户说最近太忙，下周再说", "客户周末要加班，暂不到店，保持联系"],
    FollowUp.Result.INVITED: ["客户同意周末到店试驾{series}", "邀约成功，客户带家人到店看车", "客户答应到店谈价格"],
    FollowUp.Result.VISITED: ["客户到店看车，试坐{series}，对空间满意", "到店试驾{series}，客户对动力和静谧性评价不错"],
    FollowUp.Result.WANTS_ORDER: ["客户基本确定{series}，准备周末来交定金", "价格基本谈妥，客户回家和家人商量后下定"],
    FollowUp.Result.NOT_INTERESTED: ["客户表示暂时不考虑购车", "客户说先看看，近期没有购车计划"],
}
WECHAT_CONTENT = ["微信发送{series}配置表和最新报价，客户已读", "微信回复：下周出差回来再约看车", "微信发了试驾视频"]
COMMENTS = [
    "这个客户意向很强，本周内一定约到店",
    "注意跟进节奏，不要超过三天不联系",
    "可以用置换补贴打动客户",
    "报价前先和我确认一下底价",
    "客户在对比竞品，把我们的保养优惠讲清楚",
    "周末试驾车要提前预约好",
]
REJECT_COMMENTS = ["客户预算还在，周末再约一次试驾", "还没确认客户已经买车，再打一次电话核实"]


class _SimulatedClock:
    """Stands in for ``timezone.now`` while the demo is seeded: each step happens at its moment.

    Each reading advances one microsecond, so rows made in one step keep their order.
    """

    def __init__(self) -> None:
        self.current = timezone.now()
        self._ticks = itertools.count()

    def now(self) -> dt.datetime:
        return self.current + dt.timedelta(microseconds=next(self._ticks))

    def set(self, when: dt.datetime) -> None:
        self.current = when


@contextmanager
def _simulated_time(clock: _SimulatedClock) -> Iterator[None]:
    """Process-wide while it lasts: fine for ``seed_demo``, which runs alone, never in a server."""
    real_now = timezone.now
    timezone.now = clock.now
    try:
        yield
    finally:
        timezone.now = real_now


@dataclass
class _Plan:
    """One customer's story: who they are, where they came from, and what becomes of their lead."""

    created: dt.datetime
    name: str
    gender: str
    phone: str
    source: str
    owner: User
    story: str
    grade: str
    series: object | None
    fields: dict = field(default_factory=dict)


class _StoreSeeder:
    def __init__(self, store: Store, series: list, clock: _SimulatedClock, now: dt.datetime):
        self.store = store
        self.clock = clock
        self.now = now
        self.today = timezone.localdate(now)
        self.rng = random.Random(f"dealercrm-demo-leads-{store.code}")
        self.staff = _store_staff(store)
        self.consultants = self.staff["consultant"]
        team = Team.objects.filter(store=store, supervisor__isnull=False).select_related("supervisor").first()
        self.team_members = set(team.members.values_list("pk", flat=True)) if team else set()
        self.supervisor = team.supervisor if team else None
        self.manager = (self.staff["sales_manager"] or [None])[0]
        self.dcc = (self.staff["dcc_agent"] or [None])[0]
        self.reception = (self.staff["reception"] or self.consultants)[0]
        self.dcc_manager = (self.staff["dcc_manager"] or [self.manager])[0]
        # One instance per person: each caches its grants, which every service call checks.
        self.users = {user.pk: user for people in self.staff.values() for user in people}
        self.sources = {s.code: s for s in Source.objects.filter(code__in=SOURCE_WEIGHTS)}
        self.reasons = {r.code: r for r in LostReason.objects.all()}
        self.series = self._series_for_store(series)
        self.phones: set[str] = set()
        self.customers: list = []
        self.follow_ups: list[FollowUp] = []
        self.stats: dict[str, int] = {}

    # --- helpers ----------------------------------------------------------------------------

    def _series_for_store(self, series: list) -> list:
        """A 4S store sells one brand: mostly that brand's series, a few others for the mix."""
        by_brand: dict[int, list] = {}
        for s in series:
            by_brand.setdefault(s.brand_id, []).append(s)
        if not by_brand:
            return []
        brands = sorted(by_brand)
        index = sum(map(ord, self.store.code)) % len(brands)
        home = by_brand[brands[index]]
        return home * 6 + list(series)

    def at(self, when: dt.datetime) -> dt.datetime:
        when = min(when, self.now - dt.timedelta(minutes=1))
        self.clock.set(when)
        return when

    def moment(self, day: dt.date, first_hour: int = 9, last_hour: int = 19) -> dt.datetime:
        hour = self.rng.randint(first_hour, last_hour - 1)
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, self.rng.randint(0, 59))))

    def pick(self, weights: dict):
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def name(self) -> tuple[str, str]:
        gender = self.rng.choice(["m", "f"])
        given = GIVEN_MALE if gender == "m" else GIVEN_FEMALE
        size = 1 if self.rng.random() < 0.35 else 2
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(given) for _ in range(size)), gender

    def content(self, result: str, series: str = "") -> str:
        text = self.rng.choice(CONTENT.get(result) or CONTENT[FollowUp.Result.CONTACTED])
        return text.format(
            series=series or "这款车", competitor=self.rng.choice(list(COMPETITORS)), budget=self.rng.choice(BUDGETS)
        )

    def owner(self, lead: Lead) -> User:
        return self.users[lead.owner_id]

    def approver_for(self, owner: User) -> User:
        if self.supervisor and owner.pk in self.team_members:
            return self.supervisor
        return self.manager

    def count(self, key: str) -> None:
        self.stats[key] = self.stats.get(key, 0) + 1

    # --- planning ------------------------------------------------------------------------------

    def plan(self) -> list[_Plan]:
        plans = []
        for _ in range(CUSTOMERS_PER_STORE):
            story = self.pick(STORY_WEIGHTS)
            if story == "new":
                age = self.rng.randint(0, 2)
            elif story == "pending_lost":
                age = self.rng.randint(6, 50)
            elif story == "pool":
                age = self.rng.randint(35, DAYS - 1)
            else:
                age = self.rng.randint(3, DAYS - 1)
            created = self.moment(self.today - dt.timedelta(days=age))
            if created > self.now - dt.timedelta(minutes=30):
                created = self.moment(self.today - dt.timedelta(days=1))
            source = self.pick(SOURCE_WEIGHTS)
            if story == "invalid" and self.rng.random() < 0.6:
                source = self.rng.choice(["purchased_list", "autohome", "oem"])
            owner = self.rng.choice(self.consultants)
            if source in ONLINE and self.dcc and self.rng.random() < 0.25:
                owner = self.dcc
            name, gender = self.name()
            series = self.rng.choice(self.series) if self.series else None
            grade = self.pick(GRADE_WEIGHTS)
            fields = {
                "budget": self.rng.choice(BUDGETS),
                "purchase_time": PURCHASE_TIME[grade],
                "payment": self.rng.choice(["full", "loan", "loan", ""]),
            }
            if self.rng.random() < 0.3:
                fields.update(has_trade_in=True, current_car=self.rng.choice(CURRENT_CARS[:-1]))
            if grade in ("H", "A"):
                fields.update(need_confirmed=True, budget_confirmed=self.rng.random() < 0.7)
                fields["decision_maker_confirmed"] = self.rng.random() < 0.6
            plans.append(_Plan(created, name, gender, self.phone(), source, owner, story, grade, series, fields))
        plans.sort(key=lambda p: p.created)
        return plans

    # --- the stories -----------------------------------------------------------------------------

    def create(self, plan: _Plan) -> Lead:
        self.at(plan.created)
        customer_data = {
            "name": plan.name,
            "phone": plan.phone,
            "gender": plan.gender,
            "consent_marketing": self.rng.random() < 0.45,
            "do_not_disturb": self.rng.random() < 0.05,
            "best_time_to_call": self.rng.choice(["", "", "工作日晚上", "周末", "中午12点后"]),
        }
        if self.rng.random() < 0.4:
            customer_data["wechat"] = f"wxid_{self.rng.randint(10**7, 10**8 - 1)}"
        if self.rng.random() < 0.5:
            districts = DISTRICTS.get(self.store.code[:2], DISTRICTS["sh"])
            customer_data["address"] = (
                f"{self.rng.choice(districts)}{self.rng.choice(ROADS)}{self.rng.randint(1, 999)}号"
            )
        lead_data = {"source": self.sources[plan.source], "series": plan.series, **plan.fields}
        if plan.source == "customer_referral" and self.customers:
            lead_data["referred_by_customer"] = self.rng.choice(self.customers[-60:])
        if plan.source == "employee_referral":
            lead_data["referred_by_user"] = self.rng.choice(self.consultants + [self.manager])
        if plan.source in ONLINE and plan.owner != self.dcc:
            lead, _created = services.lead_ingest(
                actor=self.dcc_manager,
                store=self.store,
                idempotency_key=f"demo-{plan.source}-{plan.phone}",
                data={
                    "phone": plan.phone,
                    "name": plan.name,
                    "source": lead_data["source"],
                    "series": lead_data["series"],
                    "purchase_time": plan.fields["purchase_time"],
                    "campaign": self.rng.choice(["", "", "双11购车节", "金九银十"]),
                    "consent_marketing": customer_data["consent_marketing"],
                },
            )
            # An online lead arrives with a name, a number and a series; the rest is learnt by phone.
            plan.owner = self.owner(lead)
        else:
            actor = self.reception if plan.source in DESK else (plan.owner or self.reception)
            if plan.owner == self.dcc:
                actor = self.dcc
                lead_data["with_dcc"] = True
            _customer, lead = services.customer_with_lead_create(
                actor=actor, store=self.store, customer_data=customer_data, lead_data=lead_data, owner=plan.owner
            )
            if plan.source == "walk_in":
                services.lead_touch_first_visit(lead=lead, at=plan.created)
        self.customers.append(lead.customer)
        return lead

    def follow_up(
        self, lead: Lead, when: dt.datetime, *, grade: str, result: str = "", next_at=None, actor=None
    ) -> FollowUp:
        self.at(when)
        result = (
            result
            or self.rng.choices(
                [FollowUp.Result.CONTACTED, FollowUp.Result.NO_ANSWER, FollowUp.Result.DECLINED],
                weights=[75, 15, 10],
            )[0]
        )
        channel = self.rng.choices(
            [FollowUp.Channel.PHONE, FollowUp.Channel.WECHAT, FollowUp.Channel.SMS], weights=[70, 25, 5]
        )[0]
        series = lead.series.name if lead.series_id else ""
        content = self.content(result, series)
        if channel == FollowUp.Channel.WECHAT and result == FollowUp.Result.CONTACTED:
            content = self.rng.choice(WECHAT_CONTENT).format(series=series or "车型")
        if result == FollowUp.Result.VISITED:
            channel = self.rng.choice([FollowUp.Channel.VISIT, FollowUp.Channel.TEST_DRIVE])
        fu = services.followup_log(
            actor=actor or self.owner(lead),
            lead=lead,
            channel=channel,
            content=content,
            result=result,
            grade=grade,
            next_follow_up_at=next_at,
        )
        self.follow_ups.append(fu)
        return fu

    def work(self, lead: Lead, plan: _Plan, until: dt.datetime, start: dt.datetime | None = None) -> dt.datetime:
        """Follow-ups from ``start`` (the first contact) up to ``until``, on the cadence of a warming grade."""
        grades = ["C", "B", "A", "H"]
        grade = grades[max(0, grades.index(plan.grade) - self.rng.randint(0, 2))]
        start = start or plan.created
        when = start + dt.timedelta(minutes=self.rng.randint(20, 600))
        last = start
        for _ in range(self.rng.choices([1, 2, 3], weights=[50, 35, 15])[0]):
            if when >= until:
                break
            self.follow_up(lead, when, grade=grade)
            last = when
            if grades.index(grade) < grades.index(plan.grade) and self.rng.random() < 0.5:
                grade = grades[grades.index(grade) + 1]
            late = self.rng.choices([0, 1, self.rng.randint(2, 4)], weights=[60, 25, 15])[0]
            when = self.moment(timezone.localtime(when).date() + dt.timedelta(days=CADENCE[grade] + late))
        return last

    def next_contact(self) -> dt.datetime:
        """Where the consultant's plan stands today: a little overdue, due today, or coming."""
        state = self.rng.choices(["overdue", "today", "upcoming"], weights=[15, 20, 65])[0]
        offset = {"overdue": -self.rng.randint(1, 4), "today": 0, "upcoming": self.rng.randint(1, 14)}[state]
        return timezone.make_aware(
            dt.datetime.combine(self.today + dt.timedelta(days=offset), dt.time(self.rng.choice([10, 14, 16])))
        )

    def lead_up(self, lead: Lead, plan: _Plan, until: dt.datetime, *, since: dt.datetime | None = None) -> None:
        """Work the lead so that its last follow-up, about one cadence before ``until``, plans the
        next contact for ``until`` (the consultant kept up; only the last gap is what it is)."""
        since = since or plan.created
        last_at = until - dt.timedelta(days=CADENCE[plan.grade], hours=self.rng.randint(0, 6))
        last_at = max(min(last_at, self.now - dt.timedelta(hours=1)), since + dt.timedelta(minutes=10))
        if until <= last_at:
            until = timezone.make_aware(
                dt.datetime.combine(timezone.localdate(last_at) + dt.timedelta(days=CADENCE[plan.grade]), dt.time(10))
            )
        self.work(lead, plan, until=last_at - dt.timedelta(hours=12), start=since)
        self.follow_up(lead, last_at, grade=plan.grade, next_at=until)

    def invite(self, lead: Lead, plan: _Plan, scheduled: dt.datetime, invited_at: dt.datetime) -> Appointment:
        self.work(lead, plan, until=invited_at - dt.timedelta(hours=12))
        self.follow_up(lead, invited_at, grade=plan.grade, result=FollowUp.Result.INVITED)
        owner = self.owner(lead)
        receiver = owner if owner != self.dcc else self.rng.choice(self.consultants)
        self.at(invited_at + dt.timedelta(minutes=2))
        return services.appointment_create(
            actor=owner,
            lead=lead,
            scheduled_at=scheduled,
            receiver=receiver,
            purpose=self.rng.choice(list(Appointment.Purpose.values)[:3]),
        )

    def close(self, lead: Lead, plan: _Plan, when: dt.datetime, *, kind: str, decide: str = "approve"):
        self.at(when)
        reasons = LOST_REASONS if kind == "lost" else INVALID_REASONS
        reason = self.reasons[self.pick(reasons)]
        brand = self.rng.choice(list(COMPETITORS))
        request = services.lost_request_create(
            actor=self.owner(lead),
            lead=lead,
            kind=kind,
            reason=reason,
            competitor_brand=brand if reason.needs_competitor or self.rng.random() < 0.2 else "",
            competitor_model=self.rng.choice(COMPETITORS[brand]) if reason.needs_competitor else "",
            note=self.rng.choice(["", "客户明确表示不再考虑", "多次联系无果"]),
        )
        if decide == "pending":
            return request
        decided = when + dt.timedelta(hours=self.rng.randint(1, 40))
        self.at(decided)
        approver = self.approver_for(self.owner(lead))
        if decide == "reject":
            return services.lost_request_reject(
                actor=approver, request=request, comment=self.rng.choice(REJECT_COMMENTS)
            )
        return services.lost_request_approve(actor=approver, request=request, comment=self.rng.choice(["", "同意"]))

    def run(self, plan: _Plan) -> None:
        lead = self.create(plan)
        self.count(plan.story)
        story, now = plan.story, self.now
        if story == "new":
            return
        if story == "following":
            self.lead_up(lead, plan, self.next_contact())
        elif story == "invited":
            day = self.today + dt.timedelta(days=self.rng.randint(0 if timezone.localtime(now).hour < 15 else 1, 6))
            scheduled = self.moment(day, max(10, timezone.localtime(now).hour + 2) if day == self.today else 10, 18)
            invited_at = max(now - dt.timedelta(days=self.rng.randint(0, 3), hours=2), plan.created)
            self.invite(lead, plan, scheduled, invited_at + dt.timedelta(minutes=30))
        elif story in ("no_show", "visited"):
            span = max(1, (now - plan.created).days - 1)
            scheduled = self.moment(
                timezone.localdate(plan.created) + dt.timedelta(days=self.rng.randint(1, span)), 10, 18
            )
            invited_at = scheduled - dt.timedelta(days=self.rng.randint(1, 3), hours=self.rng.randint(1, 5))
            invited_at = max(invited_at, plan.created + dt.timedelta(minutes=30))
            appointment = self.invite(lead, plan, scheduled, invited_at)
            if story == "visited":
                arrived = self.at(scheduled + dt.timedelta(minutes=self.rng.randint(-15, 30)))
                services.appointment_mark_arrived(actor=self.reception, appointment=appointment, at=arrived)
                lead.refresh_from_db()
                if lead.status != "visited":
                    services.lead_set_status(lead=lead, to="visited", actor=self.reception)
                services.lead_touch_first_visit(lead=lead, at=arrived)
                visit = self.follow_up(
                    lead, arrived + dt.timedelta(hours=1), grade="H" if plan.grade == "H" else "A", result="visited"
                )
                self.lead_up(lead, plan, self.next_contact(), since=visit.created_at)
            else:
                next_morning = timezone.make_aware(
                    dt.datetime.combine(timezone.localdate(scheduled) + dt.timedelta(days=1), dt.time(7))
                )
                self.at(next_morning)
                services.appointments_mark_no_shows(store=self.store, day=timezone.localdate(scheduled))
                self.lead_up(lead, plan, self.next_contact(), since=next_morning)
        elif story in ("lost", "reopened", "invalid"):
            if story == "invalid":
                when = plan.created + dt.timedelta(hours=self.rng.randint(1, 60))
                if self.rng.random() < 0.5:
                    self.follow_up(lead, plan.created + dt.timedelta(minutes=40), grade="C", result="no_answer")
            else:
                when = plan.created + (now - plan.created) * self.rng.uniform(0.3, 0.9)
                self.lead_up(lead, plan, when)
            self.close(lead, plan, when, kind="invalid" if story == "invalid" else "lost")
            lead.refresh_from_db()
            if story == "reopened" and lead.status == "lost":
                reopen_at = self.at(lead.closed_at + (now - lead.closed_at) * 0.5)
                to_user = self.rng.choice([c for c in self.consultants if c.pk != lead.owner_id] or self.consultants)
                services.lead_reopen(actor=self.manager, lead=lead, to_user=to_user, reason="战败激活：客户重新询价")
                lead.refresh_from_db()
                self.lead_up(lead, plan, self.next_contact(), since=reopen_at)
        elif story == "pending_lost":
            requested = now - dt.timedelta(days=self.rng.randint(0, 3), hours=self.rng.randint(1, 8))
            self.lead_up(lead, plan, requested)
            self.close(lead, plan, requested, kind="lost", decide="pending")
        elif story == "rejected":
            requested = now - dt.timedelta(days=self.rng.randint(1, 5), hours=8)
            self.lead_up(lead, plan, requested)
            self.close(lead, plan, requested, kind="lost", decide="reject")
        elif story == "pool":
            last = self.work(lead, plan, until=now - dt.timedelta(days=25))
            lead.refresh_from_db()
            if lead.status == "new":  # never reached: the first-contact task is what goes overdue
                last = plan.created
            days = lead_settings(self.store).pool_return_days
            due = timezone.localdate(lead.next_follow_up_at or last)
            returned_at = timezone.make_aware(dt.datetime.combine(due + dt.timedelta(days=days + 1), dt.time(7)))
            self.at(returned_at)
            services.pool_return_overdue(store=self.store, now=self.clock.now())
            if self.rng.random() < 0.3:  # someone took it back from the pool (公海认领)
                claimed_at = self.at(returned_at + (now - returned_at) * self.rng.uniform(0.2, 0.6))
                claimer = self.rng.choice(self.consultants)
                services.pool_claim(actor=claimer, lead=lead)
                lead.refresh_from_db()
                self.count("claimed")
                self.lead_up(lead, plan, self.next_contact(), since=claimed_at)

    def comment(self) -> None:
        """Managers' and supervisors' comments (批复) on recent follow-ups; most read, a few not."""
        recent = [fu for fu in self.follow_ups if fu.created_at > self.now - dt.timedelta(days=20)]
        for fu in self.rng.sample(recent, min(len(recent), 24)):
            consultant = self.users[fu.author_id]
            author = self.approver_for(consultant) if consultant in self.consultants else self.manager
            when = self.at(fu.created_at + dt.timedelta(hours=self.rng.randint(1, 20)))
            comment = services.followup_comment_add(actor=author, follow_up=fu, body=self.rng.choice(COMMENTS))
            if when < self.now - dt.timedelta(days=5) or self.rng.random() < 0.4:
                self.at(when + dt.timedelta(hours=self.rng.randint(1, 24)))
                services.followup_comments_mark_read(actor=consultant, comment_ids=[comment.pk])

    def duplicates(self) -> None:
        """A couple of suggested duplicates: the same name with a phone one digit apart."""
        for original in self.rng.sample(self.customers[:150], 3):
            phone = original.phone[:-1] + str((int(original.phone[-1]) + 1) % 10)
            if phone in self.phones:
                continue
            self.phones.add(phone)
            self.at(self.now - dt.timedelta(days=self.rng.randint(1, 3), hours=3))
            services.customer_with_lead_create(
                actor=self.reception,
                store=self.store,
                customer_data={"name": original.name, "phone": phone, "gender": original.gender},
                lead_data={"source": self.sources["showroom_phone"], "purchase_time": "30d"},
                owner=self.rng.choice(self.consultants),
            )
            self.count("duplicates")


def _store_staff(store: Store) -> dict[str, list[User]]:
    staff: dict[str, list[User]] = {}
    for role in ("consultant", "sales_supervisor", "sales_manager", "dcc_agent", "dcc_manager", "reception", "gm"):
        staff[role] = list(
            User.objects.filter(is_active=True, memberships__store=store, memberships__role__code=role)
            .distinct()
            .order_by("username")
        )
    return staff


def _already_seeded(store: Store) -> bool:
    """The marker: customers created by the store's own staff (the demo users) already exist."""
    return Customer.objects.filter(store=store, created_by__memberships__store=store).exists()


def seed(ctx: dict) -> None:
    stores = ctx.get("stores") or list(Store.objects.filter(is_active=True))
    series = ctx.get("catalog_series")
    if not series:
        from catalog.models import Series

        series = list(Series.objects.all())
    out = ctx.get("stdout")
    ctx.setdefault("demo_leads", {})
    for store in stores:
        staff = _store_staff(store)
        if not staff["consultant"] or not staff["sales_manager"] or _already_seeded(store):
            continue
        now = timezone.now()
        clock = _SimulatedClock()
        with transaction.atomic():
            with _simulated_time(clock):
                seeder = _StoreSeeder(store, series, clock, now)
                for plan in seeder.plan():
                    seeder.run(plan)
                seeder.comment()
                seeder.duplicates()
            # This morning's job, on the real clock: overdue marks and alerts as the team sees them.
            services.daily_maintenance(store=store, now=now)
            Notification.objects.filter(
                store=store, read_at__isnull=True, created_at__lt=now - dt.timedelta(days=3)
            ).update(read_at=now)
        ctx["demo_leads"][store.pk] = list(Lead.objects.filter(store=store).values_list("pk", flat=True))
        if out is not None:
            stories = ", ".join(f"{k} {v}" for k, v in sorted(seeder.stats.items()))
            out.write(f"  {store.code}: {len(seeder.customers)} customers ({stories})")
