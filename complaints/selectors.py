"""Reads of customer service: store settings, what waits for whose signature, ticket clocks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Store, User
from accounts.selectors import store_users_with_role

from .models import Callback, CallbackSettings, Complaint, ComplaintSettings, ComplaintStatus

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


def my_callbacks(user: User, store: Store, today: dt.date | None = None) -> QuerySet[Callback]:
    """The consultant's open callbacks due today or earlier."""
    today = today or timezone.localdate()
    return (
        Callback.objects.filter(store=store, assignee=user, done_at__isnull=True, due_date__lte=today)
        .exclude(kind=Callback.Kind.SATISFACTION)
        .select_related("customer", "order")
        .order_by("due_date", "id")
    )


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
