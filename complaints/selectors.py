"""Reads of customer service: store settings, what waits for whose signature, ticket clocks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Store, User
from accounts.selectors import store_users_with_role

from .models import (
    Callback,
    CallbackSettings,
    Complaint,
    ComplaintSettings,
    ComplaintStatus,
    FirstServiceInterval,
    SsiRole,
    SsiRoleRule,
    SsiSettings,
)

# Which permission signs a ticket in each state (the consultant only the ones dispatched to them).
SIGNER_PERMISSION = {
    ComplaintStatus.REGISTERED: "complaints.give_opinion",
    ComplaintStatus.OPINION_GIVEN: "complaints.approve_opinion",
    ComplaintStatus.OPINION_APPROVED: "complaints.dispatch",
    ComplaintStatus.DISPATCHED: "complaints.handle",
    ComplaintStatus.HANDLED: "complaints.confirm",
    ComplaintStatus.CONFIRMED: "complaints.sign_off",
    ComplaintStatus.CLOSED: "complaints.archive",
}


def complaint_settings(store: Store) -> ComplaintSettings:
    """The store's complaint rules (the defaults, unsaved, until someone saves them)."""
    found = ComplaintSettings.objects.filter(store=store).first()
    return found if found is not None else ComplaintSettings(store=store)


def waiting_for(user: User, store: Store) -> QuerySet[Complaint]:
    """Tickets of ``store`` that wait for ``user``'s signature."""
    perms = user.perms_in(store)
    statuses = [
        status for status, code in SIGNER_PERMISSION.items() if code in perms and status != ComplaintStatus.DISPATCHED
    ]
    condition = Q(status__in=statuses)
    if "complaints.handle" in perms:
        condition |= Q(status=ComplaintStatus.DISPATCHED, handler=user)
    qs = Complaint.objects.filter(condition, store=store)
    return qs.select_related("customer", "handler").order_by("due_at", "id")


def can_sign(user: User, complaint: Complaint) -> bool:
    code = SIGNER_PERMISSION.get(complaint.status)
    if code is None or not user.has_store_perm(complaint.store_id, code):
        return False
    return complaint.status != ComplaintStatus.DISPATCHED or complaint.handler_id == user.pk


@dataclass(frozen=True)
class Clock:
    due_at: dt.datetime
    remaining: dt.timedelta
    waiting: dt.timedelta
    at_risk: bool
    overdue: bool


def complaint_clock(complaint: Complaint, *, now: dt.datetime | None = None) -> Clock:
    """The ticket's handling clock: time left until the handled form is due, how long its current step
    has waited, and whether it is at risk (the store's share of the time gone) or past due."""
    now = now or timezone.now()
    settings = complaint_settings(complaint.store)
    total = complaint.due_at - complaint.registered_at
    at_risk_from = complaint.registered_at + total * settings.at_risk_percent / 100
    on_clock = complaint.is_on_the_clock
    return Clock(
        due_at=complaint.due_at,
        remaining=complaint.due_at - now,
        waiting=now - complaint.step_started_at,
        at_risk=on_clock and at_risk_from <= now < complaint.due_at,
        overdue=on_clock and now >= complaint.due_at,
    )


def escalation_recipients(store: Store) -> list[User]:
    """Who hears of a ticket at risk or past due: the store's sales managers and general managers."""
    return list(store_users_with_role(store, "sales_manager")) + list(store_users_with_role(store, "gm"))


def dispatchable_handlers(store: Store) -> QuerySet[User]:
    return store_users_with_role(store, "consultant") | store_users_with_role(store, "sales_supervisor")


def complaint_figures(store: Store, first: dt.date | None = None, last: dt.date | None = None) -> dict[str, int]:
    from accounts.dates import day_range

    qs = Complaint.objects.filter(store=store)
    if first:
        start, end = day_range(first, last)
        qs = qs.filter(registered_at__gte=start, registered_at__lt=end)
    return {
        "total": qs.count(),
        "open": qs.open().count(),
        "breached": qs.filter(breached=True).count(),
        "media_or_legal": qs.filter(media_or_legal=True).count(),
    }


def automatic_messages_allowed(customer) -> bool:
    """False for a customer with a media or legal background on any complaint: no automatic message
    (reminder, campaign, survey link) may go to them; people call them instead."""
    return not Complaint.objects.filter(customer=customer, media_or_legal=True).exists()


def callback_settings(store: Store) -> CallbackSettings:
    """The store's callback intervals (the defaults, unsaved, until someone saves them)."""
    found = CallbackSettings.objects.filter(store=store).first()
    return found if found is not None else CallbackSettings(store=store)


def first_service_after(order, rules: CallbackSettings | None = None) -> int:
    """Days from delivery to the first service (首保) of ``order``'s car: its catalog model's interval
    in the store when one is set, else the store default."""
    days = (
        FirstServiceInterval.objects.filter(store_id=order.store_id, vehicle_model__trims=order.trim_id)
        .values_list("days", flat=True)
        .first()
    )
    if days is not None:
        return days
    return (rules or callback_settings(order.store)).first_service_after


def first_service_overrides(store: Store | None = None) -> dict[tuple[int, int], int]:
    """Every (store id, catalog model id) → first-service days override, for jobs that go through
    many orders at once."""
    qs = FirstServiceInterval.objects.all()
    if store is not None:
        qs = qs.filter(store=store)
    return {(s, m): days for s, m, days in qs.values_list("store_id", "vehicle_model_id", "days")}


def my_callbacks(user: User, store: Store, today: dt.date | None = None) -> QuerySet[Callback]:
    """The consultant's open callbacks due today or earlier."""
    today = today or timezone.localdate()
    return (
        Callback.objects.filter(store=store, assignee=user, done_at__isnull=True, due_date__lte=today)
        .exclude(kind=Callback.Kind.SATISFACTION)
        .select_related("customer", "order")
        .order_by("due_date", "id")
    )


CALLBACK_TASKS_LIMIT = 100


def callback_tasks(user: User, store: Store, day: dt.date) -> list:
    """The consultant's open callbacks due on or before ``day``, as rows of their "My tasks" page
    (registered with ``leads.selectors.register_task_provider``); one query."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from leads.selectors import ProvidedTask

    if not user.has_store_perm(store, "callbacks.work"):
        return []
    return [
        ProvidedTask(
            key=f"callback-{callback.pk}",
            kind="callback",
            label=_("Callback"),
            title=f"{callback.get_kind_display()} · {callback.order.number}",
            customer=callback.customer.name,
            due=callback.due_date,
            url=reverse("complaints:callback", args=[callback.pk]),
            overdue=callback.due_date < day,
        )
        for callback in my_callbacks(user, store, day)[:CALLBACK_TASKS_LIMIT]
    ]


def callback_task_count(user: User, store: Store, day: dt.date) -> int:
    """How many open callbacks the consultant has due on or before ``day``: the "My callbacks" badge
    and their share of the "My tasks" badge, counted once per request (kept on the user object,
    which lives as long as the request)."""
    if not user.has_store_perm(store, "callbacks.work"):
        return 0
    counted = user.__dict__.setdefault("_callback_counts", {})
    key = (store.pk, day)
    if key not in counted:
        counted[key] = my_callbacks(user, store, day).count()
    return counted[key]


def callback_state(callback: Callback, today: dt.date) -> str:
    """on_time, late (done after its day), missed (not done, its day gone), due (today) or upcoming."""
    if callback.done_at is not None:
        return "on_time" if timezone.localdate(callback.done_at) <= callback.due_date else "late"
    if callback.due_date < today:
        return "missed"
    return "due" if callback.due_date == today else "upcoming"


@dataclass
class SupervisionRow:
    consultant: User
    due: int = 0
    on_time: int = 0
    late: int = 0
    missed: int = 0
    open: int = 0


def supervision_board(store: Store, first: dt.date, last: dt.date, today: dt.date | None = None):
    """Every consultant's callbacks due in [first, last]: how many, done on time, late, missed, still open."""
    today = today or timezone.localdate()
    callbacks = list(
        Callback.objects.filter(store=store, due_date__gte=first, due_date__lte=last)
        .exclude(kind=Callback.Kind.SATISFACTION)
        .select_related("assignee", "customer", "order")
        .order_by("due_date", "id")
    )
    rows: dict[int, SupervisionRow] = {}
    listed = []
    for callback in callbacks:
        if callback.assignee is None:
            continue
        row = rows.setdefault(callback.assignee_id, SupervisionRow(consultant=callback.assignee))
        state = callback_state(callback, today)
        row.due += 1
        if state in ("on_time", "late", "missed"):
            setattr(row, state, getattr(row, state) + 1)
        else:
            row.open += 1
        listed.append((callback, state))
    return sorted(rows.values(), key=lambda r: r.consultant.display_name), listed


def satisfaction_overview(store: Store, today: dt.date | None = None) -> dict:
    """Customer service's satisfaction callbacks: open ones (due first), and deliveries without one
    made in time (the 100% rule)."""
    today = today or timezone.localdate()
    qs = Callback.objects.filter(store=store, kind=Callback.Kind.SATISFACTION).select_related("customer", "order")
    open_ = qs.filter(done_at__isnull=True).order_by("due_date", "id")
    flagged = [c for c in qs.order_by("-due_date", "-id")[:500] if callback_state(c, today) in ("missed", "late")]
    return {"open": open_, "flagged": flagged, "today": today}


def dissatisfied_without_complaint(store: Store) -> QuerySet[Callback]:
    return Callback.objects.filter(store=store, dissatisfied=True, complaints__isnull=True).select_related(
        "customer", "order"
    )


def ssi_settings(store: Store) -> SsiSettings:
    """The store's SSI thresholds (the defaults, unsaved, until someone saves them)."""
    found = SsiSettings.objects.filter(store=store).first()
    return found if found is not None else SsiSettings(store=store)


def ssi_role_rules(store: Store) -> dict[str, SsiRoleRule]:
    """The store's reward and penalty line for each scored role, in the roles' order; a role the
    store has not set yet has the default line (unsaved)."""
    from decimal import Decimal

    from .defaults import SSI_ROLE_DEFAULTS

    saved = {rule.role: rule for rule in SsiRoleRule.objects.filter(store=store)}
    rules = {}
    for role in SsiRole.values:
        if role in saved:
            rules[role] = saved[role]
            continue
        reward_amount, reward_note, penalty_amount, penalty_note = SSI_ROLE_DEFAULTS[role]
        rules[role] = SsiRoleRule(
            store=store,
            role=role,
            reward_amount=Decimal(reward_amount).quantize(Decimal("0.01")),
            reward_note=reward_note,
            penalty_amount=Decimal(penalty_amount).quantize(Decimal("0.01")),
            penalty_note=penalty_note,
        )
    return rules


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, 3 * (quarter - 1) + 1, 1)
    next_first = dt.date(year + (quarter == 4), 1 if quarter == 4 else first.month + 3, 1)
    return first, next_first - dt.timedelta(days=1)


def quarter_feedback(store: Store, year: int, quarter: int) -> list[list]:
    """The quarter's feedback for the manufacturer, by category: complaints (registered, closed,
    breached), callbacks by rung (due, on time, late, missed) and satisfaction (surveyed, average
    score, dissatisfied). One list of rows for the page and the Excel file alike:
    [section, category, count, done, on time, late or breached, missed, average score]."""
    from django.db.models import Avg, Count, Q

    from accounts.dates import day_range

    first, last = quarter_bounds(year, quarter)
    start, end = day_range(first, last)
    today = timezone.localdate()
    rows: list[list] = []
    complaints = Complaint.objects.filter(store=store, registered_at__gte=start, registered_at__lt=end)
    counted = {
        c["category"]: c
        for c in complaints.values("category").annotate(
            n=Count("id"),
            closed=Count("id", filter=Q(status__in=[ComplaintStatus.CLOSED, ComplaintStatus.ARCHIVED])),
            breached=Count("id", filter=Q(breached=True)),
        )
    }
    section = str(Complaint._meta.verbose_name_plural)
    for value, label in Complaint.Category.choices:
        c = counted.get(value, {})
        rows.append([section, str(label), c.get("n", 0), c.get("closed", 0), None, c.get("breached", 0), None, None])
    callbacks = Callback.objects.filter(store=store, due_date__gte=first, due_date__lte=last)
    section = str(Callback._meta.verbose_name_plural)
    by_kind: dict[str, list[int]] = {}
    for callback in callbacks.only("kind", "due_date", "done_at"):
        state = callback_state(callback, today)
        counts = by_kind.setdefault(callback.kind, [0, 0, 0, 0, 0])
        counts[0] += 1
        if state in ("on_time", "late"):
            counts[1] += 1
        if state == "on_time":
            counts[2] += 1
        elif state == "late":
            counts[3] += 1
        elif state == "missed":
            counts[4] += 1
    for value, label in Callback.Kind.choices:
        n, done, on_time, late, missed = by_kind.get(value, [0, 0, 0, 0, 0])
        rows.append([section, str(label), n, done, on_time, late, missed, None])
    surveys = callbacks.filter(kind=Callback.Kind.SATISFACTION, score__isnull=False).aggregate(
        n=Count("id"), avg=Avg("score"), unhappy=Count("id", filter=Q(dissatisfied=True))
    )
    from django.utils.translation import gettext as _

    rows.append(
        [
            _("Satisfaction"),
            _("Surveyed buyers"),
            surveys["n"],
            surveys["unhappy"],
            None,
            None,
            None,
            round(surveys["avg"], 1) if surveys["avg"] is not None else None,
        ]
    )
    return rows
