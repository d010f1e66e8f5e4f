"""Demo customer service for ``seed_demo``: the callback ladder of every delivered order, worked as
a real store works it (most on time, some late, a few missed), satisfaction callbacks with survey
scores, and complaints at every step of the signed chain — one past due, one from a customer with a
media background.

Everything goes through the services with the time it happened (``now=``). Deterministic
(``random.Random`` per store) and idempotent: a store with a recorded callback or a complaint is
left alone. Runs after ``showroom.demo`` (the deliveries) and does nothing without deliveries.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from django.db import transaction
from django.utils import timezone

from accounts.models import Notification, Store
from accounts.selectors import store_users_with_role
from showroom.models import Order

from . import services
from .models import Callback, Complaint, ComplaintStatus, ComplaintStep

RESULTS_REACHED = [
    "客户用车正常，对顾问服务满意",
    "客户询问首保时间，已告知并约定提前提醒",
    "客户反映油耗偏高，已讲解磨合期驾驶注意事项",
    "客户介绍一位朋友看车，已登记转介绍",
    "客户对交车仪式很满意，愿意推荐",
    "客户咨询车机互联设置，已远程指导完成",
]
RESULTS_MISSED = ["无人接听", "客户正在开会，约定稍后再打", "电话关机"]
COMPLAINTS = [
    ("delivery", "delivery", "交车时右后门有划痕，顾问承诺补漆但一周未处理。", "非常生气", "免费补漆并道歉"),
    ("price_fees", "during_work", "上牌服务费比签约时口头说的高了800元。", "觉得被骗", "退还多收的费用"),
    ("attitude", "reception", "到店咨询时接待人员态度冷淡，等了20分钟没人理。", "失望", "希望门店道歉"),
    ("product_quality", "follow_up", "新车一个月后空调异响，维修站说要等配件。", "焦虑", "尽快修好，给代步车"),
    ("paperwork", "delivery", "发票开错抬头，无法报销。", "着急", "三天内重开发票"),
    ("sales_process", "during_work", "顾问承诺的赠品（脚垫、行车记录仪）交车时没有。", "不满", "补齐赠品"),
]
# How far along the chain each demo complaint gets.
STOP_AT = [
    ComplaintStatus.ARCHIVED,
    ComplaintStatus.CLOSED,
    ComplaintStatus.CONFIRMED,
    ComplaintStatus.HANDLED,
    ComplaintStatus.DISPATCHED,
    ComplaintStatus.OPINION_GIVEN,
]


def _first(store: Store, role: str):
    return store_users_with_role(store, role).first()


def seed(ctx: dict) -> None:
    stores = ctx.get("stores") or list(Store.objects.filter(is_active=True))
    out = ctx.get("stdout")
    for store in stores:
        if (
            Callback.objects.filter(store=store, done_at__isnull=False).exists()
            or Complaint.objects.filter(store=store).exists()
        ):
            continue
        staff = {role: _first(store, role) for role in ("cs_agent", "cs_manager", "gm", "sales_manager", "consultant")}
        if any(user is None for user in staff.values()):
            continue
        with transaction.atomic():
            stats = _seed_store(store, staff, random.Random(f"complaints-{store.code}"))
            Notification.objects.filter(
                store=store, read_at__isnull=True, created_at__lt=timezone.now() - dt.timedelta(minutes=1)
            ).filter(url__startswith="/service/").exclude(level=Notification.Level.URGENT).update(
                read_at=timezone.now()
            )
        if out is not None:
            out.write(f"  {store.code}: " + ", ".join(f"{k} {v}" for k, v in stats.items()))


def _seed_store(store: Store, staff: dict, rng: random.Random) -> dict[str, int]:
    now = timezone.now()
    today = timezone.localdate()
    orders = list(
        Order.objects.filter(store=store, status=Order.Status.DELIVERED).select_related(
            "seller", "customer", "trim__model"
        )
    )
    stats = {"callbacks": 0, "recorded": 0, "complaints": 0}
    # The store's best-selling model has a shorter first service (首保) than the store default.
    models = Counter(order.trim.model for order in orders)
    if models:
        top = models.most_common(1)[0][0]
        services.first_service_intervals_set(actor=staff["gm"], store=store, intervals={top: 60})
    for order in orders:
        stats["callbacks"] += services.callbacks_schedule(order=order)
    questions = services.survey_questions_ensure(store)
    dissatisfied = []
    due = Callback.objects.filter(store=store, due_date__lt=today, done_at__isnull=True).select_related(
        "assignee", "order"
    )
    for callback in due.order_by("due_date", "id"):
        roll = rng.random()
        if roll < 0.08:
            continue  # missed
        late_days = rng.randint(1, 3) if roll < 0.18 else 0
        at = timezone.make_aware(
            dt.datetime.combine(
                callback.due_date + dt.timedelta(days=late_days), dt.time(rng.randint(9, 17), rng.randint(0, 59))
            )
        )
        if at >= now:
            continue
        reached = rng.random() > 0.15
        result = rng.choice(RESULTS_REACHED if reached else RESULTS_MISSED)
        if callback.kind == Callback.Kind.SATISFACTION:
            actor = staff["cs_agent"]
            unhappy = reached and rng.random() < 0.08
            scores = {q.pk: (rng.randint(3, 6) if unhappy else rng.randint(8, 10)) for q in questions}
            if unhappy:
                result = "客户对交车流程不满意：" + rng.choice(COMPLAINTS)[2]
            done = services.callback_record(
                actor=actor,
                callback=callback,
                reached=reached,
                result=result,
                scores=scores if reached else None,
                dissatisfied=unhappy,
                now=at,
            )
            if done.dissatisfied:
                dissatisfied.append(done)
        elif callback.assignee is not None and callback.assignee.has_store_perm(store, "callbacks.work"):
            services.callback_record(actor=callback.assignee, callback=callback, reached=reached, result=result, now=at)
        else:
            continue
        stats["recorded"] += 1
    # Complaints: from the dissatisfied callbacks first, then a few more from recent deliveries.
    sources = [(o, None) for o in rng.sample(orders, min(len(orders), len(STOP_AT) + 2))]
    sources[2:2] = [(c.order, c) for c in dissatisfied[:3]]
    for index, (order, callback) in enumerate(sources):
        category, touchpoint, facts, emotion, demand = COMPLAINTS[index % len(COMPLAINTS)]
        registered_at = callback.done_at if callback else now - dt.timedelta(days=rng.randint(2, 20), hours=3)
        registered_at = min(registered_at, now - dt.timedelta(hours=2))
        stop = STOP_AT[index % len(STOP_AT)]
        media = index == 0  # registered this morning, a customer with a media background
        if media:
            registered_at, stop = now - dt.timedelta(hours=3), ComplaintStatus.OPINION_GIVEN
        if index == 1:  # registered yesterday, still waiting for the GM: past due
            registered_at, stop = now - dt.timedelta(hours=30), ComplaintStatus.OPINION_GIVEN
        complaint = services.complaint_register(
            actor=staff["cs_agent"],
            store=store,
            customer=order.customer,
            order=order,
            category=category,
            touchpoint=Complaint.Touchpoint.FOLLOW_UP if callback else touchpoint,
            facts=facts,
            emotion=emotion,
            demand=demand,
            temperament=rng.choice([t for t in Complaint.Temperament.values if t != "media_legal"])
            if not media
            else Complaint.Temperament.MEDIA_LEGAL,
            callback=callback,
            now=registered_at,
        )
        _walk(complaint, stop, staff, order.seller, registered_at, rng)
        stats["complaints"] += 1
    services.complaints_escalate(store=store, now=now)
    # SSI: the store's thresholds and tables saved; last month's scorecard approved, this month's built.
    services.ssi_settings_save(
        actor=staff["gm"], store=store, penalty_below=80, reward_from=95, penalty_on_zero_item=True
    )
    tables = services.selectors.ssi_role_rules(store)
    services.ssi_role_rules_set(
        actor=staff["gm"],
        store=store,
        rules={role: {f: getattr(rule, f) for f in services.SSI_RULE_FIELDS} for role, rule in tables.items()},
    )
    this_month = today.replace(day=1)
    last_month = services.scorecard_build(
        actor=staff["cs_manager"], store=store, month=services.add_months(this_month, -1)
    )
    services.scorecard_approve(actor=staff["gm"], scorecard=last_month)
    stats["scorecard lines"] = services.scorecard_build(
        actor=staff["cs_manager"], store=store, month=this_month
    ).lines.count()
    return stats


def _walk(complaint, stop, staff, handler, at, rng) -> None:
    A = ComplaintStep.Action
    plan = [
        (
            A.GIVE_OPINION,
            "cs_manager",
            {"cause": "交车前检查流程执行不到位", "countermeasure": "当面致歉，免费处理，赠送一次保养"},
        ),
        (A.APPROVE, "gm", {}),
        (A.DISPATCH, "sales_manager", {"handler": handler}),
        (A.HANDLE, None, {"handling_result": "已与客户见面处理完毕，客户接受方案"}),
        (A.CONFIRM, "cs_manager", {"confirmation": "回访客户，表示问题已解决，满意"}),
        (A.SIGN_OFF, "gm", {}),
        (A.ARCHIVE, "cs_agent", {}),
    ]
    now = timezone.now()
    for action, role, data in plan:
        if complaint.status == stop:
            return
        at = at + dt.timedelta(hours=rng.uniform(0.5, 3.5))
        if at >= now:
            return
        actor = handler if role is None else staff[role]
        if (
            action == A.DISPATCH
            and not services.selectors.dispatchable_handlers(complaint.store).filter(pk=handler.pk).exists()
        ):
            data = {"handler": staff["consultant"]}
            handler = staff["consultant"]
        complaint = _sign(actor, complaint, action, data, at)


def _sign(actor, complaint, action, data, at):
    A = ComplaintStep.Action
    if action == A.GIVE_OPINION:
        return services.complaint_give_opinion(actor=actor, complaint=complaint, now=at, **data)
    if action == A.APPROVE:
        return services.complaint_approve_opinion(actor=actor, complaint=complaint, now=at)
    if action == A.DISPATCH:
        return services.complaint_dispatch(actor=actor, complaint=complaint, now=at, **data)
    if action == A.HANDLE:
        return services.complaint_handle(actor=actor, complaint=complaint, now=at, **data)
    if action == A.CONFIRM:
        return services.complaint_confirm(actor=actor, complaint=complaint, now=at, **data)
    if action == A.SIGN_OFF:
        return services.complaint_sign_off(actor=actor, complaint=complaint, now=at)
    return services.complaint_archive(actor=actor, complaint=complaint, now=at)
