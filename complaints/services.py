"""Writes of customer service. Every complaint transition is checked against ``TRANSITIONS`` (state
and signing permission), runs in one transaction on a locked row, leaves a ``ComplaintStep`` and an
audit entry, and tells whoever signs next."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import Notification, Store, User
from accounts.selectors import store_users_with_perm, store_users_with_role
from accounts.services import audit_record, diff_fields, notify, update_with_audit

from . import selectors
from .models import (
    Callback,
    CallbackSettings,
    Complaint,
    ComplaintSettings,
    ComplaintStatus,
    ComplaintStep,
    Enquiry,
    FirstServiceInterval,
    Scorecard,
    ScorecardLine,
    ServiceReminder,
    SsiRole,
    SsiRoleRule,
    SsiSettings,
    SurveyAnswer,
    SurveyQuestion,
)

S = ComplaintStatus


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    permission: str


# action → (from state, to state, signing permission). The only table of allowed moves.
TRANSITIONS: dict[str, Transition] = {
    ComplaintStep.Action.GIVE_OPINION: Transition(S.REGISTERED, S.OPINION_GIVEN, "complaints.give_opinion"),
    ComplaintStep.Action.APPROVE: Transition(S.OPINION_GIVEN, S.OPINION_APPROVED, "complaints.approve_opinion"),
    ComplaintStep.Action.SEND_BACK: Transition(S.OPINION_GIVEN, S.REGISTERED, "complaints.approve_opinion"),
    ComplaintStep.Action.DISPATCH: Transition(S.OPINION_APPROVED, S.DISPATCHED, "complaints.dispatch"),
    ComplaintStep.Action.HANDLE: Transition(S.DISPATCHED, S.HANDLED, "complaints.handle"),
    ComplaintStep.Action.CONFIRM: Transition(S.HANDLED, S.CONFIRMED, "complaints.confirm"),
    ComplaintStep.Action.REOPEN: Transition(S.HANDLED, S.DISPATCHED, "complaints.confirm"),
    ComplaintStep.Action.SIGN_OFF: Transition(S.CONFIRMED, S.CLOSED, "complaints.sign_off"),
    ComplaintStep.Action.ARCHIVE: Transition(S.CLOSED, S.ARCHIVED, "complaints.archive"),
}


def actions_for(user: User, complaint: Complaint) -> list[str]:
    """The actions ``user`` may take on ``complaint`` now, in table order."""
    found = []
    for action, transition in TRANSITIONS.items():
        if transition.source != complaint.status or not user.has_store_perm(complaint.store_id, transition.permission):
            continue
        if action == ComplaintStep.Action.HANDLE and complaint.handler_id != user.pk:
            continue
        found.append(action)
    return found


def _url(complaint: Complaint) -> str:
    return reverse("complaints:detail", args=[complaint.pk])


def _tell(users, complaint: Complaint, title: str, level: str = Notification.Level.INFO) -> None:
    notify(
        recipients=users,
        title=f"{complaint.number} {complaint.customer.name}: {title}",
        url=_url(complaint),
        level=level,
        store=complaint.store,
    )


def _tell_next_signer(complaint: Complaint) -> None:
    code = selectors.SIGNER_PERMISSION.get(complaint.status)
    if code is None:
        return
    if complaint.status == S.DISPATCHED:
        recipients = [complaint.handler] if complaint.handler else []
    else:
        recipients = list(store_users_with_perm(complaint.store, code))
    with override(django_settings.LANGUAGE_CODE):
        _tell(
            recipients,
            complaint,
            _("waits for your signature (%(status)s)") % {"status": complaint.get_status_display()},
        )


def _next_number(store: Store, now: dt.datetime) -> str:
    day = timezone.localtime(now).date()
    prefix = f"TS{day:%Y%m%d}"
    taken = Complaint.objects.filter(store=store, number__startswith=prefix).count()
    return f"{prefix}{taken + 1:03d}"


@transaction.atomic
def complaint_register(
    *,
    actor: User,
    store: Store,
    customer,
    category: str,
    touchpoint: str,
    facts: str,
    order=None,
    vehicle: str = "",
    emotion: str = "",
    demand: str = "",
    temperament: str = "",
    media_or_legal: bool = False,
    callback=None,
    now: dt.datetime | None = None,
) -> Complaint:
    """Customer service fills the complaint form; the handling clock starts now."""
    if not actor.has_store_perm(store, "complaints.register"):
        raise PermissionDenied
    errors = {}
    if customer is None or customer.store_id != store.pk:
        errors["customer"] = _("Choose a customer of this store.")
    if order is not None and (
        order.store_id != store.pk or (customer is not None and order.customer_id != customer.pk)
    ):
        errors["order"] = _("Choose an order of this customer in this store.")
    if category not in Complaint.Category.values:
        errors["category"] = _("Choose a category.")
    if callback is not None and callback.store_id != store.pk:
        errors["callback"] = _("Choose a callback of this store.")
    if touchpoint not in Complaint.Touchpoint.values:
        errors["touchpoint"] = _("Choose where it arose.")
    if temperament and temperament not in Complaint.Temperament.values:
        errors["temperament"] = _("Choose a temperament.")
    if not (facts or "").strip():
        errors["facts"] = _("Write down the facts.")
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    rules = selectors.complaint_settings(store)
    if order is not None and not vehicle:
        vehicle = " ".join(filter(None, [str(order.trim), order.delivered_vin or order.vin]))
    media_or_legal = bool(media_or_legal or temperament == Complaint.Temperament.MEDIA_LEGAL)
    complaint = None
    for _attempt in range(5):
        try:
            with transaction.atomic():
                complaint = Complaint.objects.create(
                    store=store,
                    number=_next_number(store, now),
                    customer=customer,
                    order=order,
                    vehicle=vehicle[:120],
                    category=category,
                    touchpoint=touchpoint,
                    facts=facts.strip(),
                    emotion=emotion.strip(),
                    demand=demand.strip(),
                    temperament=temperament,
                    media_or_legal=media_or_legal,
                    registered_by=actor,
                    registered_at=now,
                    step_started_at=now,
                    due_at=now + dt.timedelta(hours=rules.handling_hours),
                    callback=callback,
                )
            break
        except IntegrityError:
            continue
    if complaint is None:
        raise ValidationError(_("Could not number the complaint; please try again."))
    ComplaintStep.objects.create(
        complaint=complaint,
        action=ComplaintStep.Action.REGISTER,
        from_status="",
        to_status=S.REGISTERED,
        actor=actor,
        signed_at=now,
    )
    audit_record(
        actor=actor,
        action="complaint.register",
        obj=complaint,
        changes={"category": category, "media_or_legal": media_or_legal, "due_at": complaint.due_at},
    )
    if media_or_legal:
        with override(django_settings.LANGUAGE_CODE):
            _tell(
                store_users_with_role(store, "gm"),
                complaint,
                _("customer with a media or legal background: no automatic messages; please take the lead"),
                Notification.Level.WARNING,
            )
    _tell_next_signer(complaint)
    return complaint


def _sign(
    *,
    actor: User,
    complaint: Complaint,
    action: str,
    note: str = "",
    updates: dict | None = None,
    now: dt.datetime | None = None,
) -> Complaint:
    transition = TRANSITIONS[action]
    complaint = Complaint.objects.select_for_update().select_related("store", "customer").get(pk=complaint.pk)
    if not actor.has_store_perm(complaint.store_id, transition.permission):
        raise PermissionDenied
    if complaint.status != transition.source:
        raise ValidationError(
            _("This complaint is %(status)s; it cannot be signed this way.")
            % {"status": complaint.get_status_display()}
        )
    now = now or timezone.now()
    updates = dict(updates or {})
    changes = dict(updates)
    waited = now - complaint.step_started_at
    previous = complaint.status
    for field, value in updates.items():
        setattr(complaint, field, value)
    complaint.status = transition.target
    complaint.step_started_at = now
    complaint.save()
    ComplaintStep.objects.create(
        complaint=complaint,
        action=action,
        from_status=previous,
        to_status=transition.target,
        actor=actor,
        note=note.strip(),
        signed_at=now,
        waited=max(waited, dt.timedelta()),
    )
    audit_record(
        actor=actor,
        action=f"complaint.{action}",
        obj=complaint,
        changes={"status": [previous, transition.target], **changes, **({"note": note} if note else {})},
    )
    _tell_next_signer(complaint)
    return complaint


def _may(actor: User, complaint: Complaint, action: str) -> None:
    """Refuse the wrong role before looking at the input (a refusal is a 403, not a form error)."""
    if not actor.has_store_perm(complaint.store_id, TRANSITIONS[action].permission):
        raise PermissionDenied


def _required(value: str, field: str, message) -> str:
    if not (value or "").strip():
        raise ValidationError({field: message})
    return value.strip()


@transaction.atomic
def complaint_give_opinion(
    *, actor: User, complaint: Complaint, cause: str, countermeasure: str, note: str = "", now=None
) -> Complaint:
    """The customer-service manager signs with a handling opinion: cause and countermeasure."""
    _may(actor, complaint, ComplaintStep.Action.GIVE_OPINION)
    cause = _required(cause, "cause", _("Write down the cause."))
    countermeasure = _required(countermeasure, "countermeasure", _("Write down the countermeasure."))
    return _sign(
        actor=actor,
        complaint=complaint,
        action=ComplaintStep.Action.GIVE_OPINION,
        note=note,
        updates={"cause": cause, "countermeasure": countermeasure},
        now=now,
    )


@transaction.atomic
def complaint_approve_opinion(*, actor: User, complaint: Complaint, note: str = "", now=None) -> Complaint:
    """The general manager approves the handling opinion."""
    return _sign(actor=actor, complaint=complaint, action=ComplaintStep.Action.APPROVE, note=note, now=now)


@transaction.atomic
def complaint_send_back(*, actor: User, complaint: Complaint, note: str, now=None) -> Complaint:
    """The general manager sends the opinion back to customer service, saying why."""
    _may(actor, complaint, ComplaintStep.Action.SEND_BACK)
    note = _required(note, "note", _("Say why the opinion goes back."))
    return _sign(actor=actor, complaint=complaint, action=ComplaintStep.Action.SEND_BACK, note=note, now=now)


@transaction.atomic
def complaint_dispatch(*, actor: User, complaint: Complaint, handler: User, note: str = "", now=None) -> Complaint:
    """The sales manager assigns a consultant to handle the complaint."""
    _may(actor, complaint, ComplaintStep.Action.DISPATCH)
    if handler is None or not selectors.dispatchable_handlers(complaint.store).filter(pk=handler.pk).exists():
        raise ValidationError({"handler": _("Choose a consultant of this store.")})
    return _sign(
        actor=actor,
        complaint=complaint,
        action=ComplaintStep.Action.DISPATCH,
        note=note,
        updates={"handler": handler},
        now=now,
    )


@transaction.atomic
def complaint_handle(*, actor: User, complaint: Complaint, handling_result: str, now=None) -> Complaint:
    """The dispatched consultant returns the handling form to customer service; a late one is a breach."""
    _may(actor, complaint, ComplaintStep.Action.HANDLE)
    if complaint.handler_id != actor.pk:
        raise PermissionDenied
    handling_result = _required(handling_result, "handling_result", _("Write down how it was handled."))
    now = now or timezone.now()
    updates = {"handling_result": handling_result, "handled_at": now}
    if now > complaint.due_at:
        updates["breached"] = True
    return _sign(actor=actor, complaint=complaint, action=ComplaintStep.Action.HANDLE, updates=updates, now=now)


@transaction.atomic
def complaint_confirm(*, actor: User, complaint: Complaint, confirmation: str, now=None) -> Complaint:
    """The customer-service manager called the customer back and confirms the resolution."""
    _may(actor, complaint, ComplaintStep.Action.CONFIRM)
    confirmation = _required(confirmation, "confirmation", _("Write down what the customer said."))
    return _sign(
        actor=actor,
        complaint=complaint,
        action=ComplaintStep.Action.CONFIRM,
        updates={"confirmation": confirmation},
        now=now,
    )


@transaction.atomic
def complaint_reopen(*, actor: User, complaint: Complaint, note: str, now=None) -> Complaint:
    """The customer is not satisfied: back to the consultant it was dispatched to."""
    _may(actor, complaint, ComplaintStep.Action.REOPEN)
    note = _required(note, "note", _("Say what the customer still expects."))
    return _sign(
        actor=actor,
        complaint=complaint,
        action=ComplaintStep.Action.REOPEN,
        note=note,
        updates={"handled_at": None},
        now=now,
    )


@transaction.atomic
def complaint_sign_off(*, actor: User, complaint: Complaint, note: str = "", now=None) -> Complaint:
    """The general manager signs the complaint off: it is closed."""
    now = now or timezone.now()
    return _sign(
        actor=actor,
        complaint=complaint,
        action=ComplaintStep.Action.SIGN_OFF,
        note=note,
        updates={"closed_at": now},
        now=now,
    )


@transaction.atomic
def complaint_archive(*, actor: User, complaint: Complaint, note: str = "", now=None) -> Complaint:
    """Customer service files the closed complaint."""
    return _sign(actor=actor, complaint=complaint, action=ComplaintStep.Action.ARCHIVE, note=note, now=now)


@transaction.atomic
def complaint_settings_save(
    *, actor: User, store: Store, handling_hours: int, at_risk_percent: int
) -> ComplaintSettings:
    """Change the store's handling time and at-risk share (tickets already registered keep their due time)."""
    if not actor.has_store_perm(store, "complaints.manage_settings"):
        raise PermissionDenied
    errors = {}
    if not 1 <= int(handling_hours) <= 720:
        errors["handling_hours"] = _("Between 1 and 720 hours.")
    if not 1 <= int(at_risk_percent) <= 99:
        errors["at_risk_percent"] = _("Between 1 and 99.")
    if errors:
        raise ValidationError(errors)
    rules, _created = ComplaintSettings.objects.select_for_update().get_or_create(store=store)
    changes = {}
    for field, value in (("handling_hours", int(handling_hours)), ("at_risk_percent", int(at_risk_percent))):
        if getattr(rules, field) != value:
            changes[field] = [getattr(rules, field), value]
            setattr(rules, field, value)
    rules.save()
    if changes:
        audit_record(actor=actor, action="complaint.settings", obj=rules, store=store, changes=changes)
    return rules


def complaints_escalate(*, store: Store | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Tell the sales managers and the GM of tickets at risk or past due — once each.

    Idempotent by the data: each ticket is claimed with an update that only matches while its
    escalation time is still empty, so a second run (or a second worker) finds nothing to claim.
    A ticket past due counts as breached.
    """
    now = now or timezone.now()
    counts = {"at_risk": 0, "overdue": 0}
    stores = [store] if store is not None else Store.objects.filter(is_active=True)
    for one in stores:
        rules = selectors.complaint_settings(one)
        open_tickets = Complaint.objects.filter(store=one).on_the_clock()
        overdue = list(
            open_tickets.filter(due_at__lte=now, overdue_escalated_at__isnull=True).values_list("pk", flat=True)
        )
        for pk in overdue:
            with transaction.atomic():
                claimed = Complaint.objects.filter(pk=pk, overdue_escalated_at__isnull=True).update(
                    overdue_escalated_at=now, breached=True
                )
                if claimed:
                    counts["overdue"] += 1
                    complaint = Complaint.objects.select_related("customer", "store").get(pk=pk)
                    audit_record(
                        actor=None, action="complaint.overdue", obj=complaint, changes={"due_at": complaint.due_at}
                    )
                    with override(django_settings.LANGUAGE_CODE):
                        _tell(
                            selectors.escalation_recipients(one),
                            complaint,
                            _("past due: the handled form is not back with customer service"),
                            Notification.Level.URGENT,
                        )
        candidates = open_tickets.filter(at_risk_escalated_at__isnull=True, due_at__gt=now).only(
            "pk", "registered_at", "due_at"
        )
        for complaint in candidates:
            total = complaint.due_at - complaint.registered_at
            if complaint.registered_at + total * rules.at_risk_percent / 100 > now:
                continue
            with transaction.atomic():
                claimed = Complaint.objects.filter(pk=complaint.pk, at_risk_escalated_at__isnull=True).update(
                    at_risk_escalated_at=now
                )
                if claimed:
                    counts["at_risk"] += 1
                    full = Complaint.objects.select_related("customer", "store").get(pk=complaint.pk)
                    audit_record(actor=None, action="complaint.at_risk", obj=full, changes={"due_at": full.due_at})
                    with override(django_settings.LANGUAGE_CODE):
                        _tell(
                            selectors.escalation_recipients(one),
                            full,
                            _("at risk: the handled form is due at %(due)s")
                            % {"due": timezone.localtime(full.due_at).strftime("%Y-%m-%d %H:%M")},
                            Notification.Level.WARNING,
                        )
    return counts


def complaint_sign(*, actor: User, complaint: Complaint, action: str, data: dict) -> Complaint:
    """One signature by name, for the page and the API: ``data`` holds the fields the action asks for."""
    A = ComplaintStep.Action
    note = data.get("note") or ""
    if action == A.GIVE_OPINION:
        return complaint_give_opinion(
            actor=actor,
            complaint=complaint,
            cause=data.get("cause") or "",
            countermeasure=data.get("countermeasure") or "",
            note=note,
        )
    if action == A.APPROVE:
        return complaint_approve_opinion(actor=actor, complaint=complaint, note=note)
    if action == A.SEND_BACK:
        return complaint_send_back(actor=actor, complaint=complaint, note=note)
    if action == A.DISPATCH:
        return complaint_dispatch(actor=actor, complaint=complaint, handler=data.get("handler"), note=note)
    if action == A.HANDLE:
        return complaint_handle(actor=actor, complaint=complaint, handling_result=data.get("handling_result") or "")
    if action == A.CONFIRM:
        return complaint_confirm(actor=actor, complaint=complaint, confirmation=data.get("confirmation") or "")
    if action == A.REOPEN:
        return complaint_reopen(actor=actor, complaint=complaint, note=note)
    if action == A.SIGN_OFF:
        return complaint_sign_off(actor=actor, complaint=complaint, note=note)
    if action == A.ARCHIVE:
        return complaint_archive(actor=actor, complaint=complaint, note=note)
    raise ValidationError({"action": _("Unknown signature.")})


# --- The callback ladder -------------------------------------------------------------------

LADDER = [
    Callback.Kind.SAME_DAY,
    Callback.Kind.DAY_3,
    Callback.Kind.DAY_7,
    Callback.Kind.DAY_15,
    Callback.Kind.ONGOING,
    Callback.Kind.FIRST_SERVICE,
    Callback.Kind.REPEAT_PURCHASE,
]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months; the 29th–31st fall back to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def ladder_dates(
    delivered_on: dt.date, rules: CallbackSettings, first_service_after: int | None = None
) -> list[tuple[str, dt.date]]:
    """The first due date of each rung, and customer service's satisfaction callback. The first
    service comes ``first_service_after`` days on (the car model's interval), else the store's."""
    day = dt.timedelta(days=1)
    if first_service_after is None:
        first_service_after = rules.first_service_after
    return [
        (Callback.Kind.SAME_DAY, delivered_on),
        (Callback.Kind.DAY_3, delivered_on + rules.day_3 * day),
        (Callback.Kind.DAY_7, delivered_on + rules.day_7 * day),
        (Callback.Kind.DAY_15, delivered_on + rules.day_15 * day),
        (Callback.Kind.ONGOING, delivered_on + rules.ongoing_every * day),
        (Callback.Kind.FIRST_SERVICE, delivered_on + first_service_after * day),
        (Callback.Kind.REPEAT_PURCHASE, add_months(delivered_on, rules.repeat_purchase_every_months)),
        (Callback.Kind.SATISFACTION, delivered_on + rules.satisfaction_within * day),
    ]


@transaction.atomic
def callbacks_schedule(*, order, actor: User | None = None) -> int:
    """A delivery schedules the buyer's callbacks: the consultant's ladder and customer service's
    satisfaction callback. Dates count from the delivery day in the store's time zone. Running it
    twice creates nothing twice (unique on order, kind and due date; a rung already scheduled is left
    as it is, even if the store's intervals changed since); returns how many were created."""
    if order.delivered_at is None:
        return 0
    rules = selectors.callback_settings(order.store)
    delivered_on = timezone.localdate(order.delivered_at)
    scheduled = set(Callback.objects.filter(order=order).values_list("kind", flat=True))
    rows = [
        Callback(
            store=order.store,
            order=order,
            customer=order.customer,
            kind=kind,
            due_date=due,
            assignee=None if kind == Callback.Kind.SATISFACTION else order.seller,
        )
        for kind, due in ladder_dates(delivered_on, rules, selectors.first_service_after(order, rules))
        if kind not in scheduled
    ]
    if not rows:
        return 0
    before = Callback.objects.filter(order=order).count()
    Callback.objects.bulk_create(rows, ignore_conflicts=True)
    created = Callback.objects.filter(order=order).count() - before
    if created:
        audit_record(
            actor=actor, action="callback.schedule", obj=order, store=order.store, changes={"created": created}
        )
    return created


CATCH_UP_DAYS = 30  # deliveries this recent get a ladder the daily job finds missing


def callbacks_schedule_missing(*, today: dt.date | None = None, store: Store | None = None) -> int:
    """Daily: schedule the ladder of every delivery of the last ``CATCH_UP_DAYS`` days that has no
    callback at all (its delivery signal was lost: a failed receiver, an import). Idempotent: a
    delivery with callbacks is skipped, and ``callbacks_schedule`` is unique by order, kind and day."""
    from django.db.models import Exists, OuterRef

    from accounts.dates import day_start
    from showroom.models import Order

    today = today or timezone.localdate()
    orders = Order.objects.filter(
        status=Order.Status.DELIVERED,
        delivered_at__gte=day_start(today - dt.timedelta(days=CATCH_UP_DAYS)),
        delivered_at__lt=day_start(today + dt.timedelta(days=1)),
    ).filter(~Exists(Callback.objects.filter(order=OuterRef("pk"))))
    if store is not None:
        orders = orders.filter(store=store)
    created = 0
    for order in orders.select_related("store", "customer", "seller").order_by("pk"):
        created += callbacks_schedule(order=order)
    return created


def callbacks_create_daily(*, today: dt.date | None = None, store: Store | None = None) -> dict[str, int]:
    """The day's callbacks: ladders missing from recent deliveries, and the next ongoing and
    repeat-purchase rungs that came due. Running it twice creates nothing twice."""
    return {
        "scheduled": callbacks_schedule_missing(today=today, store=store),
        "extended": callbacks_extend(today=today, store=store),
    }


def callbacks_extend(*, today: dt.date | None = None, store: Store | None = None) -> int:
    """Daily: the ongoing and repeat-purchase rungs repeat — once a rung's latest callback is due,
    its next one is scheduled. Idempotent by the unique (order, kind, due date)."""
    today = today or timezone.localdate()
    created = 0
    qs = Callback.objects.filter(kind__in=[Callback.Kind.ONGOING, Callback.Kind.REPEAT_PURCHASE])
    if store is not None:
        qs = qs.filter(store=store)
    latest: dict[tuple[int, str], Callback] = {}
    for callback in qs.select_related("store", "order").order_by("order_id", "kind", "due_date"):
        latest[(callback.order_id, callback.kind)] = callback
    for callback in latest.values():
        if callback.due_date > today:
            continue
        rules = selectors.callback_settings(callback.store)
        if callback.kind == Callback.Kind.ONGOING:
            due = callback.due_date + dt.timedelta(days=rules.ongoing_every)
        else:
            due = add_months(callback.due_date, rules.repeat_purchase_every_months)
        _obj, was_created = Callback.objects.get_or_create(
            order=callback.order,
            kind=callback.kind,
            due_date=due,
            defaults={
                "store": callback.store,
                "customer_id": callback.customer_id,
                "assignee_id": callback.assignee_id,
            },
        )
        created += int(was_created)
    return created


def survey_questions_ensure(store: Store) -> list[SurveyQuestion]:
    """The store's active survey questions, starting it with the default survey if it has none."""
    from .defaults import DEFAULT_QUESTIONS

    if not SurveyQuestion.objects.filter(store=store).exists():
        SurveyQuestion.objects.bulk_create(
            SurveyQuestion(store=store, text=text, position=i) for i, text in enumerate(DEFAULT_QUESTIONS, start=1)
        )
    return list(SurveyQuestion.objects.filter(store=store, is_active=True))


@transaction.atomic
def callback_record(
    *,
    actor: User,
    callback: Callback,
    reached: bool,
    result: str = "",
    scores: dict[int, int] | None = None,
    dissatisfied: bool = False,
    now: dt.datetime | None = None,
) -> Callback:
    """Record a callback: reached or not, and the result. The consultant's rungs are theirs to make;
    the satisfaction callback is customer service's, with a score per survey question (0–10)."""
    callback = Callback.objects.select_for_update().select_related("store").get(pk=callback.pk)
    if callback.kind == Callback.Kind.SATISFACTION:
        if not actor.has_store_perm(callback.store_id, "callbacks.satisfaction"):
            raise PermissionDenied
    elif callback.assignee_id != actor.pk or not actor.has_store_perm(callback.store_id, "callbacks.work"):
        raise PermissionDenied
    if callback.done_at is not None:
        raise ValidationError(_("This callback has already been recorded."))
    result = (result or "").strip()
    if not reached and not result:
        raise ValidationError({"result": _("Say why the customer could not be reached (no answer, wrong number …).")})
    if reached and not result:
        raise ValidationError({"result": _("Write down what the customer said.")})
    now = now or timezone.now()
    answers = []
    if callback.kind == Callback.Kind.SATISFACTION and reached:
        questions = {q.pk: q for q in SurveyQuestion.objects.filter(store=callback.store, is_active=True)}
        scores = {int(k): v for k, v in (scores or {}).items() if v is not None}
        missing = [pk for pk in questions if pk not in scores]
        bad = [pk for pk, v in scores.items() if pk not in questions or not 0 <= int(v) <= 10]
        if missing or bad:
            raise ValidationError({"scores": _("Give every question a score from 0 to 10.")})
        answers = [SurveyAnswer(callback=callback, question=questions[pk], score=int(v)) for pk, v in scores.items()]
        if answers:
            callback.score = round(sum(a.score for a in answers) * 10 / len(answers))
            dissatisfied = dissatisfied or any(a.score == 0 for a in answers)
    callback.reached = reached
    callback.result = result
    callback.done_at = now
    callback.done_by = actor
    callback.dissatisfied = bool(dissatisfied and reached)
    callback.save()
    SurveyAnswer.objects.bulk_create(answers)
    audit_record(
        actor=actor,
        action="callback.record",
        obj=callback,
        changes={
            "kind": callback.kind,
            "reached": reached,
            "score": callback.score,
            "dissatisfied": callback.dissatisfied,
        },
    )
    return callback


@transaction.atomic
def callback_check(*, actor: User, callback: Callback, note: str, now: dt.datetime | None = None) -> Callback:
    """Customer service checked a consultant's callback by calling the customer (回访监督)."""
    callback = Callback.objects.select_for_update().get(pk=callback.pk)
    if not actor.has_store_perm(callback.store_id, "callbacks.supervise"):
        raise PermissionDenied
    note = _required(note, "check_note", _("Write down what the customer said."))
    callback.checked_at = now or timezone.now()
    callback.checked_by = actor
    callback.check_note = note
    callback.save(update_fields=["checked_at", "checked_by", "check_note"])
    audit_record(actor=actor, action="callback.check", obj=callback, changes={"note": note})
    return callback


INTERVAL_FIELDS = [
    "day_3",
    "day_7",
    "day_15",
    "ongoing_every",
    "first_service_after",
    "repeat_purchase_every_months",
    "satisfaction_within",
]


@transaction.atomic
def callback_settings_save(*, actor: User, store: Store, **intervals: int) -> CallbackSettings:
    """Change the store's callback intervals (callbacks already scheduled keep their dates)."""
    if not actor.has_store_perm(store, "complaints.manage_settings"):
        raise PermissionDenied
    unknown = set(intervals) - set(INTERVAL_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown setting."))
    errors = {field: _("Between 1 and 730.") for field, value in intervals.items() if not 1 <= int(value) <= 730}
    if errors:
        raise ValidationError(errors)
    rules, _created = CallbackSettings.objects.select_for_update().get_or_create(store=store)
    changes = {}
    for field, value in intervals.items():
        if getattr(rules, field) != int(value):
            changes[field] = [getattr(rules, field), int(value)]
            setattr(rules, field, int(value))
    rules.save()
    if changes:
        audit_record(actor=actor, action="callback.settings", obj=rules, store=store, changes=changes)
    return rules


@transaction.atomic
def first_service_intervals_set(*, actor: User, store: Store, intervals: dict) -> list[FirstServiceInterval]:
    """Make ``intervals`` ({catalog model: days}) the store's first-service table (首保 per model);
    models left out go back to the store default. Callbacks already scheduled keep their dates."""
    if not actor.has_store_perm(store, "complaints.manage_settings"):
        raise PermissionDenied
    if any(not 1 <= int(days) <= 730 for days in intervals.values()):
        raise ValidationError({"first_service_intervals": _("Between 1 and 730.")})
    existing = {
        row.vehicle_model_id: row
        for row in FirstServiceInterval.objects.select_for_update().filter(store=store).select_related("vehicle_model")
    }
    changes: dict[str, list] = {}
    kept = []
    for vehicle_model, days in intervals.items():
        days = int(days)
        row = existing.pop(vehicle_model.pk, None)
        if row is None:
            row = FirstServiceInterval.objects.create(store=store, vehicle_model=vehicle_model, days=days)
            changes[str(vehicle_model)] = [None, days]
        elif row.days != days:
            changes[str(vehicle_model)] = [row.days, days]
            row.days = days
            row.save(update_fields=["days"])
        kept.append(row)
    for row in existing.values():
        changes[str(row.vehicle_model)] = [row.days, None]
    FirstServiceInterval.objects.filter(pk__in=[row.pk for row in existing.values()]).delete()
    if changes:
        audit_record(actor=actor, action="callback.first_service", obj=store, store=store, changes=changes)
    return kept


@transaction.atomic
def survey_questions_set(*, actor: User, store: Store, texts: list[str]) -> list[SurveyQuestion]:
    """Make ``texts`` the store's survey, in that order. Questions no longer asked are kept (past
    answers refer to them) but retired; a retired question asked again comes back."""
    if not actor.has_store_perm(store, "complaints.manage_settings"):
        raise PermissionDenied
    texts = [t.strip()[:200] for t in texts if t.strip()]
    if not texts:
        raise ValidationError({"questions": _("The survey needs at least one question.")})
    if len(set(texts)) != len(texts):
        raise ValidationError({"questions": _("A question is listed twice.")})
    existing = {q.text: q for q in SurveyQuestion.objects.select_for_update().filter(store=store)}
    kept = []
    for position, text in enumerate(texts, start=1):
        question = existing.pop(text, None) or SurveyQuestion(store=store, text=text)
        question.position, question.is_active = position, True
        question.save()
        kept.append(question)
    SurveyQuestion.objects.filter(pk__in=[q.pk for q in existing.values()]).update(is_active=False)
    audit_record(actor=actor, action="survey.questions", obj=store, store=store, changes={"questions": texts})
    return kept


# --- Vehicle-service reminders and enquiries --------------------------------------------------

REMINDER_HORIZON_DAYS = 7
INSURANCE_NOTICE_DAYS = 30  # call this long before the policy's anniversary
INSPECTION_EVERY_YEARS = 2  # the inspection-free sticker of a new car is collected every two years


def _anniversaries(start: dt.date, years_step: int, first: dt.date, last: dt.date) -> list[dt.date]:
    found, years = [], years_step
    while True:
        day = add_months(start, 12 * years)
        if day > last:
            return found
        if day >= first:
            found.append(day)
        years += years_step


def reminders_create(*, today: dt.date | None = None, store: Store | None = None) -> int:
    """Daily: the reminders due in the coming week — first service, insurance renewal (a month before
    each delivery anniversary), annual inspection (every two years), birthdays. Idempotent by the
    unique (customer, kind, due date)."""
    from leads.models import Customer
    from showroom.models import Order

    today = today or timezone.localdate()
    last = today + dt.timedelta(days=REMINDER_HORIZON_DAYS)
    orders = Order.objects.filter(status=Order.Status.DELIVERED, delivered_at__isnull=False).select_related(
        "store", "trim"
    )
    if store is not None:
        orders = orders.filter(store=store)
    overrides = selectors.first_service_overrides(store)
    store_rules: dict[int, CallbackSettings] = {}
    rows = []
    for order in orders.iterator():
        delivered_on = timezone.localdate(order.delivered_at)
        rules = store_rules.get(order.store_id)
        if rules is None:
            rules = store_rules[order.store_id] = selectors.callback_settings(order.store)
        base = {"store_id": order.store_id, "customer_id": order.customer_id, "order_id": order.pk}
        days = overrides.get((order.store_id, order.trim.model_id), rules.first_service_after)
        first_service = delivered_on + dt.timedelta(days=days)
        if today <= first_service <= last:
            rows.append(ServiceReminder(kind=ServiceReminder.Kind.FIRST_SERVICE, due_date=first_service, **base))
        notice = dt.timedelta(days=INSURANCE_NOTICE_DAYS)
        for day in _anniversaries(delivered_on, 1, today + notice, last + notice):
            rows.append(ServiceReminder(kind=ServiceReminder.Kind.INSURANCE, due_date=day - notice, **base))
        for day in _anniversaries(delivered_on, INSPECTION_EVERY_YEARS, today, last):
            rows.append(ServiceReminder(kind=ServiceReminder.Kind.INSPECTION, due_date=day, **base))
    buyers = Customer.objects.filter(birthday__isnull=False, orders__status=Order.Status.DELIVERED).distinct()
    if store is not None:
        buyers = buyers.filter(store=store)
    for customer in buyers.only("id", "store_id", "birthday"):
        for year in {today.year, last.year}:
            try:
                day = customer.birthday.replace(year=year)
            except ValueError:  # 29 February in a common year
                day = dt.date(year, 2, 28)
            if today <= day <= last:
                rows.append(
                    ServiceReminder(
                        store_id=customer.store_id,
                        customer_id=customer.pk,
                        kind=ServiceReminder.Kind.BIRTHDAY,
                        due_date=day,
                    )
                )
    before = ServiceReminder.objects.count()
    ServiceReminder.objects.bulk_create(rows, ignore_conflicts=True)
    return ServiceReminder.objects.count() - before


@transaction.atomic
def reminder_done(*, actor: User, reminder: ServiceReminder, result: str, now: dt.datetime | None = None):
    """Customer service called the customer about the reminder."""
    reminder = ServiceReminder.objects.select_for_update().get(pk=reminder.pk)
    if not actor.has_store_perm(reminder.store_id, "callbacks.reminders"):
        raise PermissionDenied
    if reminder.done_at is not None:
        raise ValidationError(_("This reminder has already been done."))
    reminder.result = _required(result, "result", _("Write down what the customer said."))
    reminder.done_at = now or timezone.now()
    reminder.done_by = actor
    reminder.save(update_fields=["result", "done_at", "done_by"])
    audit_record(actor=actor, action="reminder.done", obj=reminder, changes={"kind": reminder.kind})
    return reminder


@transaction.atomic
def reminder_skip(*, actor: User, reminder: ServiceReminder, reason: str, now: dt.datetime | None = None):
    """Close a reminder without calling (the customer services the car elsewhere, sold it, asked
    not to be called …), saying why."""
    reminder = ServiceReminder.objects.select_for_update().get(pk=reminder.pk)
    if not actor.has_store_perm(reminder.store_id, "callbacks.reminders"):
        raise PermissionDenied
    if reminder.done_at is not None:
        raise ValidationError(_("This reminder has already been done."))
    reminder.result = _required(reason, "reason", _("Say why the reminder is skipped."))
    reminder.skipped = True
    reminder.done_at = now or timezone.now()
    reminder.done_by = actor
    reminder.save(update_fields=["result", "skipped", "done_at", "done_by"])
    audit_record(
        actor=actor, action="reminder.skip", obj=reminder, changes={"kind": reminder.kind, "reason": reminder.result}
    )
    return reminder


@transaction.atomic
def enquiry_log(
    *,
    actor: User,
    store: Store,
    caller_name: str,
    summary: str,
    kind: str = Enquiry.Kind.ENQUIRY,
    phone: str = "",
    customer=None,
) -> Enquiry:
    """Log an enquiry or help call from a customer."""
    if not actor.has_store_perm(store, "callbacks.reminders"):
        raise PermissionDenied
    errors = {}
    if not (caller_name or "").strip():
        errors["caller_name"] = _("Who called?")
    if not (summary or "").strip():
        errors["summary"] = _("Write down what the customer asked.")
    if kind not in Enquiry.Kind.values:
        errors["kind"] = _("Choose a kind.")
    if customer is not None and customer.store_id != store.pk:
        errors["customer"] = _("Choose a customer of this store.")
    if errors:
        raise ValidationError(errors)
    enquiry = Enquiry.objects.create(
        store=store,
        customer=customer,
        caller_name=caller_name.strip(),
        phone=(phone or "").strip(),
        kind=kind,
        summary=summary.strip(),
        created_by=actor,
    )
    audit_record(actor=actor, action="enquiry.log", obj=enquiry, changes={"kind": kind})
    return enquiry


@transaction.atomic
def enquiry_handle(*, actor: User, enquiry: Enquiry, result: str, passed_to: User | None = None) -> Enquiry:
    """Answer the enquiry, or pass it to the right person (who is told)."""
    enquiry = Enquiry.objects.select_for_update().select_related("store").get(pk=enquiry.pk)
    if not actor.has_store_perm(enquiry.store_id, "callbacks.reminders"):
        raise PermissionDenied
    if enquiry.handled_at is not None:
        raise ValidationError(_("This enquiry has already been handled."))
    result = _required(result, "result", _("Write down the answer or why it is passed on."))
    if passed_to is not None and enquiry.store_id not in passed_to.store_ids():
        raise ValidationError({"passed_to": _("Choose a colleague of this store.")})
    enquiry.result, enquiry.passed_to = result, passed_to
    enquiry.handled_at, enquiry.handled_by = timezone.now(), actor
    enquiry.save(update_fields=["result", "passed_to", "handled_at", "handled_by"])
    audit_record(
        actor=actor, action="enquiry.handle", obj=enquiry, changes={"passed_to": passed_to.pk if passed_to else None}
    )
    if passed_to is not None:
        with override(django_settings.LANGUAGE_CODE):
            notify(
                recipients=[passed_to],
                title=_("A customer enquiry was passed to you: %(caller)s") % {"caller": enquiry.caller_name},
                body=f"{enquiry.summary}\n{result}",
                url=reverse("complaints:enquiries"),
                store=enquiry.store,
            )
    return enquiry


# --- SSI scorecards --------------------------------------------------------------------------

# Roles scored on the store's overall satisfaction (consultants on their own buyers' surveys).
STORE_SCORED_ROLES = [SsiRole.SALES_MANAGER, SsiRole.CS_MANAGER, SsiRole.CS_AGENT, SsiRole.RECEPTION]
SSI_AMOUNT_MAX = Decimal("1000000")
SSI_RULE_FIELDS = ["reward_amount", "reward_note", "penalty_amount", "penalty_note"]


def ssi_settings(store: Store) -> SsiSettings:
    """The store's SSI thresholds (the defaults, unsaved, until someone saves them)."""
    return selectors.ssi_settings(store)


@transaction.atomic
def ssi_settings_save(
    *, actor: User, store: Store, penalty_below: int, reward_from: int, penalty_on_zero_item: bool
) -> SsiSettings:
    """Change the store's SSI thresholds; scorecards built from now on use them (an approved one is final)."""
    if not actor.has_store_perm(store, "ssi.manage_settings"):
        raise PermissionDenied
    errors = {}
    for field, value in (("penalty_below", penalty_below), ("reward_from", reward_from)):
        if not 0 <= int(value) <= 100:
            errors[field] = _("Between 0 and 100.")
    if not errors and int(reward_from) < int(penalty_below):
        errors["reward_from"] = _("The reward threshold cannot be under the penalty threshold.")
    if errors:
        raise ValidationError(errors)
    rules, _created = SsiSettings.objects.select_for_update().get_or_create(store=store)
    update_with_audit(
        actor=actor,
        obj=rules,
        store=store,
        action="ssi.settings",
        fields={
            "penalty_below": int(penalty_below),
            "reward_from": int(reward_from),
            "penalty_on_zero_item": bool(penalty_on_zero_item),
        },
    )
    return rules


@transaction.atomic
def ssi_role_rules_set(*, actor: User, store: Store, rules: dict[str, dict]) -> list[SsiRoleRule]:
    """Set the store's reward and penalty tables: ``rules`` maps a scored role to its
    ``reward_amount``, ``reward_note``, ``penalty_amount`` and ``penalty_note``. Roles left out
    keep their line. Audited as one entry with every change."""
    if not actor.has_store_perm(store, "ssi.manage_settings"):
        raise PermissionDenied
    errors = {}
    cleaned: dict[str, dict] = {}
    for role, values in rules.items():
        if role not in SsiRole.values:
            errors["role"] = _("Unknown role.")
            continue
        row = {}
        for field in ("reward_amount", "penalty_amount"):
            try:
                amount = Decimal(str(values.get(field, 0))).quantize(Decimal("0.01"))
            except ArithmeticError:
                amount = None
            if amount is None or not 0 <= amount <= SSI_AMOUNT_MAX:
                errors[f"{role}-{field}"] = _("An amount between 0 and 1,000,000 yuan.")
            row[field] = amount
        for field in ("reward_note", "penalty_note"):
            row[field] = (values.get(field) or "").strip()[:200]
        cleaned[role] = row
    if errors:
        raise ValidationError(errors)
    existing = {r.role: r for r in SsiRoleRule.objects.select_for_update().filter(store=store)}
    changes: dict[str, dict] = {}
    saved = []
    for role, row in cleaned.items():
        rule = existing.get(role) or SsiRoleRule(store=store, role=role)
        diff = diff_fields(rule, row) if rule.pk else {f: [None, v] for f, v in row.items()}
        for field, value in row.items():
            setattr(rule, field, value)
        if diff:
            rule.save()
            changes[role] = diff
        saved.append(rule)
    if changes:
        audit_record(actor=actor, action="ssi.rules", obj=store, store=store, changes=changes)
    return saved


def _outcome(rules: SsiSettings, score, zero_items: int) -> str:
    if score is None:
        return ScorecardLine.Outcome.NONE
    if score < rules.penalty_below or (zero_items and rules.penalty_on_zero_item):
        return ScorecardLine.Outcome.PENALTY
    if score >= rules.reward_from:
        return ScorecardLine.Outcome.REWARD
    return ScorecardLine.Outcome.NONE


@transaction.atomic
def scorecard_build(*, actor: User, store: Store, month: dt.date) -> Scorecard:
    """(Re)build the month's scorecard from the satisfaction callbacks done that month: each
    consultant on their own buyers, the other scored roles on the store's average; each line's
    reward or penalty comes from the store's thresholds and its role's line in the tables. An
    approved scorecard is final."""
    from accounts.dates import day_range

    if not actor.has_store_perm(store, "ssi.view"):
        raise PermissionDenied
    month = month.replace(day=1)
    scorecard, _created = Scorecard.objects.select_for_update().get_or_create(store=store, month=month)
    if scorecard.approved_at is not None:
        raise ValidationError(_("This scorecard is approved; it cannot be rebuilt."))
    start, end = day_range(month, add_months(month, 1) - dt.timedelta(days=1))
    surveys = list(
        Callback.objects.filter(
            store=store, kind=Callback.Kind.SATISFACTION, score__isnull=False, done_at__gte=start, done_at__lt=end
        ).select_related("order__seller")
    )
    zeros = dict.fromkeys((c.pk for c in surveys), 0)
    for callback_id in SurveyAnswer.objects.filter(callback_id__in=list(zeros), score=0).values_list(
        "callback_id", flat=True
    ):
        zeros[callback_id] += 1
    rules = ssi_settings(store)
    tables = selectors.ssi_role_rules(store)

    def line(person, role, mine):
        score = Decimal(sum(c.score for c in mine) / len(mine)).quantize(Decimal("0.1")) if mine else None
        zero_items = sum(zeros[c.pk] for c in mine)
        outcome = _outcome(rules, score, zero_items)
        amount, consequence = None, ""
        if outcome == ScorecardLine.Outcome.REWARD:
            amount, consequence = tables[role].reward_amount, tables[role].reward_note
        elif outcome == ScorecardLine.Outcome.PENALTY:
            amount, consequence = tables[role].penalty_amount, tables[role].penalty_note
        return ScorecardLine(
            scorecard=scorecard,
            person=person,
            role=role,
            surveys=len(mine),
            score=score,
            zero_items=zero_items,
            outcome=outcome,
            amount=amount,
            consequence=consequence,
        )

    lines = []
    by_seller: dict[int, list] = {}
    for callback in surveys:
        by_seller.setdefault(callback.order.seller_id, []).append(callback)
    for consultant in store_users_with_role(store, SsiRole.CONSULTANT):
        lines.append(line(consultant, SsiRole.CONSULTANT, by_seller.get(consultant.pk, [])))
    for role in STORE_SCORED_ROLES:
        for person in store_users_with_role(store, role):
            lines.append(line(person, role, surveys))
    scorecard.lines.all().delete()
    ScorecardLine.objects.bulk_create(lines)
    scorecard.built_at = timezone.now()
    scorecard.save(update_fields=["built_at"])
    audit_record(actor=actor, action="ssi.build", obj=scorecard, changes={"month": month, "lines": len(lines)})
    return scorecard


@transaction.atomic
def scorecard_approve(*, actor: User, scorecard: Scorecard) -> Scorecard:
    """The GM approves the month's rewards and penalties."""
    scorecard = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    if not actor.has_store_perm(scorecard.store_id, "ssi.approve"):
        raise PermissionDenied
    if scorecard.approved_at is not None:
        raise ValidationError(_("This scorecard is already approved."))
    scorecard.approved_at, scorecard.approved_by = timezone.now(), actor
    scorecard.save(update_fields=["approved_at", "approved_by"])
    audit_record(actor=actor, action="ssi.approve", obj=scorecard)
    return scorecard
