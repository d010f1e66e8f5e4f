"""Every write on customers and leads. Each checks its rule, records who/when/why, and is atomic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.dates import day_range
from accounts.models import Store, Team, User
from accounts.services import audit_record, diff_fields, notify, update_with_audit

from . import signals
from .models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    WORKING_STATUSES,
    Appointment,
    Customer,
    FollowUp,
    FollowUpComment,
    Grade,
    IngestRecord,
    Lead,
    LeadEvent,
    LeadStatus,
    LostReason,
    LostRequest,
    PoolClaim,
    Source,
    Task,
)
from .phones import normalize_phone
from .selectors import (
    SOURCE_CHOICES_KEY,
    SOURCE_LABELS_KEY,
    can_work_lead,
    grade_for_purchase_time,
    lead_approvers,
    lead_owners,
    lead_settings,
    next_contact_default,
)

# status → statuses it may move to (the *_requested states return to the status they came from).
TRANSITIONS: dict[str, set[str]] = {
    LeadStatus.NEW: {
        LeadStatus.FOLLOWING,
        LeadStatus.INVITED,
        LeadStatus.VISITED,
        LeadStatus.ORDERED,
        LeadStatus.LOST_REQUESTED,
        LeadStatus.INVALID_REQUESTED,
        LeadStatus.MERGED,
    },
    LeadStatus.FOLLOWING: {
        LeadStatus.INVITED,
        LeadStatus.VISITED,
        LeadStatus.ORDERED,
        LeadStatus.LOST_REQUESTED,
        LeadStatus.INVALID_REQUESTED,
        LeadStatus.MERGED,
    },
    LeadStatus.INVITED: {
        LeadStatus.FOLLOWING,
        LeadStatus.VISITED,
        LeadStatus.ORDERED,
        LeadStatus.LOST_REQUESTED,
        LeadStatus.INVALID_REQUESTED,
        LeadStatus.MERGED,
    },
    LeadStatus.VISITED: {
        LeadStatus.FOLLOWING,
        LeadStatus.INVITED,
        LeadStatus.ORDERED,
        LeadStatus.LOST_REQUESTED,
        LeadStatus.INVALID_REQUESTED,
        LeadStatus.MERGED,
    },
    LeadStatus.ORDERED: {LeadStatus.DELIVERED, LeadStatus.FOLLOWING},
    LeadStatus.LOST_REQUESTED: {LeadStatus.LOST, *WORKING_STATUSES},
    LeadStatus.INVALID_REQUESTED: {LeadStatus.INVALID, *WORKING_STATUSES},
    LeadStatus.LOST: {LeadStatus.FOLLOWING},
    LeadStatus.INVALID: set(),
    LeadStatus.DELIVERED: set(),
    LeadStatus.MERGED: set(),
}


class DuplicateCustomer(ValidationError):
    """The phone number already belongs to a customer of this store."""

    def __init__(self, customer: Customer):
        self.customer = customer
        lead = customer.leads.open().select_related("owner").first()
        if lead and lead.owner:
            message = _(
                "This phone number belongs to the existing customer %(name)s, whose open lead is owned by %(owner)s."
            ) % {
                "name": customer.name,
                "owner": lead.owner,
            }
        else:
            message = _("This phone number belongs to the existing customer %(name)s.") % {"name": customer.name}
        super().__init__({"phone": [message]}, code="duplicate")


def _require_can_work(actor: User, lead: Lead) -> None:
    if not can_work_lead(actor, lead):
        raise ValidationError(_("You may not work on this lead."), code="forbidden")


def _event(lead: Lead, kind: str, actor: User | None, from_value: Any = "", to_value: Any = "", note: str = "") -> None:
    LeadEvent.objects.create(
        store_id=lead.store_id,
        lead=lead,
        kind=kind,
        actor=actor,
        from_value=str(from_value)[:60],
        to_value=str(to_value)[:60],
        note=note,
    )


def lead_set_status(*, lead: Lead, to: str, actor: User | None, note: str = "") -> Lead:
    """Move a lead to ``to`` if the transition is allowed; history and audit in the same transaction."""
    if to not in TRANSITIONS.get(lead.status, set()):
        raise ValidationError(
            _("A lead cannot go from “%(from)s” to “%(to)s”.")
            % {"from": LeadStatus(lead.status).label, "to": LeadStatus(to).label},
            code="invalid_transition",
        )
    before = lead.status
    lead.status = to
    fields = ["status", "updated_at"]
    if to in CLOSED_STATUSES:
        lead.closed_at = timezone.now()
        fields.append("closed_at")
    elif lead.closed_at:
        lead.closed_at = None
        fields.append("closed_at")
    lead.save(update_fields=fields)
    _event(lead, LeadEvent.Kind.STATUS, actor, LeadStatus(before).label, LeadStatus(to).label, note)
    audit_record(actor=actor, action="lead.status", obj=lead, changes={"status": [before, to]})
    return lead


def _close_open_tasks(
    lead: Lead, *, status: str = Task.Status.CANCELLED, follow_up: FollowUp | None = None, kinds=None
) -> int:
    tasks = Task.objects.filter(lead=lead, status=Task.Status.OPEN)
    if kinds:
        tasks = tasks.filter(kind__in=kinds)
    return tasks.update(status=status, done_at=timezone.now(), follow_up=follow_up)


def _schedule_task(lead: Lead, *, assignee: User, kind: str, due_at: dt.datetime, title: str = "") -> Task:
    """One open task per lead, kind and day: scheduling twice returns the existing one."""
    due_date = timezone.localtime(due_at).date()
    task = Task.objects.filter(lead=lead, kind=kind, due_date=due_date, status=Task.Status.OPEN).first()
    if task:
        return task
    try:
        with transaction.atomic():
            return Task.objects.create(
                store_id=lead.store_id,
                lead=lead,
                assignee=assignee,
                kind=kind,
                due_at=due_at,
                due_date=due_date,
                title=title,
            )
    except IntegrityError:
        return Task.objects.get(lead=lead, kind=kind, due_date=due_date, status=Task.Status.OPEN)


# --- Customers and leads -----------------------------------------------------------------------

CUSTOMER_FIELDS = {
    "name",
    "gender",
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
}
LEAD_FIELDS = {
    "campaign",
    "external_id",
    "referred_by_customer",
    "referred_by_user",
    "series",
    "budget",
    "purchase_time",
    "payment",
    "has_trade_in",
    "current_car",
    "need_confirmed",
    "budget_confirmed",
    "decision_maker_confirmed",
    "is_fleet",
}


def customer_find_by_phone(store: Store, phone: str) -> Customer | None:
    """The active customer of ``store`` with this number (any accepted spelling), or None."""
    try:
        normalized = normalize_phone(phone)
    except ValidationError:
        return None
    return Customer.objects.filter(store=store, phone=normalized, merged_into__isnull=True).first()


def customer_create(*, actor: User | None, store: Store, name: str, phone: str, **fields: Any) -> Customer:
    """Create a customer; a phone number that exists in the store raises ``DuplicateCustomer``.

    An empty phone is allowed (a showroom visitor who left no number). The database constraint
    decides races: the loser of two concurrent creates gets the winner as ``DuplicateCustomer``.
    """
    normalized = normalize_phone(phone) if phone else ""
    if normalized:
        existing = Customer.objects.filter(store=store, phone=normalized, merged_into__isnull=True).first()
        if existing:
            raise DuplicateCustomer(existing)
    unknown = set(fields) - CUSTOMER_FIELDS
    if unknown:
        raise TypeError(f"Unknown customer fields: {sorted(unknown)}")
    if fields.get("phone2"):
        fields["phone2"] = normalize_phone(fields["phone2"])
    try:
        with transaction.atomic():
            customer = Customer.objects.create(
                store=store, name=name.strip(), phone=normalized, created_by=actor, **fields
            )
    except IntegrityError:
        existing = Customer.objects.filter(store=store, phone=normalized, merged_into__isnull=True).first()
        if existing is None:
            raise
        raise DuplicateCustomer(existing)
    audit_record(actor=actor, action="customer.create", obj=customer, changes={"name": customer.name})
    return customer


@transaction.atomic
def customer_update(*, actor: User, customer: Customer, **fields: Any) -> Customer:
    """Edit a customer's profile; a phone change is re-normalised and checked for duplicates."""
    unknown = set(fields) - CUSTOMER_FIELDS - {"phone"}
    if unknown:
        raise TypeError(f"Unknown customer fields: {sorted(unknown)}")
    if "phone" in fields:
        fields["phone"] = normalize_phone(fields["phone"]) if fields["phone"] else ""
        if fields["phone"] and fields["phone"] != customer.phone:
            clash = (
                Customer.objects.filter(store=customer.store, phone=fields["phone"], merged_into__isnull=True)
                .exclude(pk=customer.pk)
                .first()
            )
            if clash:
                raise DuplicateCustomer(clash)
    if fields.get("phone2"):
        fields["phone2"] = normalize_phone(fields["phone2"])
    update_with_audit(actor=actor, obj=customer, fields=fields, action="customer.update")
    return customer


def _repurchase_source() -> Source:
    source, _ = Source.objects.get_or_create(
        code="repurchase", defaults={"name": "续购", "category": Source.Category.REPURCHASE, "sort_order": 900}
    )
    return source


def lead_create(
    *,
    actor: User | None,
    customer: Customer,
    owner: User | None,
    source: Source,
    grade: str | None = None,
    with_dcc: bool = False,
    first_contact_due: dt.datetime | None = None,
    **fields: Any,
) -> tuple[Lead, bool]:
    """Open a lead for ``customer``, or attach the enquiry to the open one. Returns (lead, created).

    After a delivery the new lead is a repurchase (续购) linked to the delivered lead; after a lost
    or invalid lead a fresh lead opens.
    """
    unknown = set(fields) - LEAD_FIELDS
    if unknown:
        raise TypeError(f"Unknown lead fields: {sorted(unknown)}")
    with transaction.atomic():
        open_lead = Lead.objects.select_for_update().filter(customer=customer, status__in=OPEN_STATUSES).first()
        if open_lead:
            _event(open_lead, LeadEvent.Kind.ENQUIRY, actor, "", str(source), fields.get("campaign", ""))
            return open_lead, False
        previous = customer.leads.order_by("-created_at", "-id").first()
        repurchase_of = None
        if previous is not None and previous.status == LeadStatus.DELIVERED:
            source = _repurchase_source()
            repurchase_of = previous
        if grade is None:
            grade = grade_for_purchase_time(fields.get("purchase_time", ""))
        now = timezone.now()
        try:
            with transaction.atomic():
                lead = Lead.objects.create(
                    store=customer.store,
                    customer=customer,
                    owner=owner,
                    source=source,
                    grade=grade,
                    with_dcc=with_dcc,
                    repurchase_of=repurchase_of,
                    next_follow_up_at=first_contact_due or now,
                    created_by=actor,
                    **fields,
                )
        except IntegrityError:
            # A concurrent create opened one first: attach to it instead.
            open_lead = Lead.objects.get(customer=customer, status__in=OPEN_STATUSES)
            _event(open_lead, LeadEvent.Kind.ENQUIRY, actor, "", str(source))
            return open_lead, False
        if customer.is_fleet and not lead.is_fleet:
            lead.is_fleet = True
            lead.save(update_fields=["is_fleet"])
        _event(lead, LeadEvent.Kind.CREATED, actor, "", str(source))
        if owner is not None:
            _schedule_task(lead, assignee=owner, kind=Task.Kind.FIRST_CONTACT, due_at=first_contact_due or now)
        audit_record(
            actor=actor, action="lead.create", obj=lead, changes={"source": source.code, "owner": str(owner or "")}
        )
        transaction.on_commit(lambda: signals.lead_created.send(sender=Lead, lead=lead, actor=actor))
    return lead, True


@transaction.atomic
def lead_update(*, actor: User, lead: Lead, **fields: Any) -> Lead:
    """Edit a lead's purchase details and qualification (not its status, owner or grade)."""
    _require_can_work(actor, lead)
    if lead.status in CLOSED_STATUSES:
        raise ValidationError(
            _("A lead that is “%(status)s” can no longer be edited.") % {"status": lead.get_status_display()},
            code="closed",
        )
    unknown = set(fields) - LEAD_FIELDS - {"source"}
    if unknown:
        raise TypeError(f"Unknown lead fields: {sorted(unknown)}")
    update_with_audit(actor=actor, obj=lead, fields=fields, action="lead.update")
    return lead


@transaction.atomic
def customer_with_lead_create(
    *, actor: User, store: Store, customer_data: dict, lead_data: dict, owner: User | None
) -> tuple[Customer, Lead]:
    """The desk's "new customer" action: the customer and its first lead in one transaction."""
    customer_data = dict(customer_data)
    name, phone = customer_data.pop("name"), customer_data.pop("phone", "")
    customer = customer_create(actor=actor, store=store, name=name, phone=phone, **customer_data)
    lead_data = dict(lead_data)
    source = lead_data.pop("source")
    grade = lead_data.pop("grade", None)
    lead, _created = lead_create(actor=actor, customer=customer, owner=owner, source=source, grade=grade, **lead_data)
    return customer, lead


# --- Follow-ups, tasks, invitations --------------------------------------------------------------


@transaction.atomic
def followup_log(
    *,
    actor: User,
    lead: Lead,
    channel: str,
    content: str,
    result: str,
    grade: str | None = None,
    next_follow_up_at: dt.datetime | None = None,
) -> FollowUp:
    """Log a contact with its result, regrade, and plan the next contact as a task.

    Without ``next_follow_up_at`` the next contact follows the grade's cadence; a chosen date is a
    custom plan. The lead's open follow-up tasks are done by this follow-up.
    """
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    _require_can_work(actor, lead)
    if lead.status not in WORKING_STATUSES:
        raise ValidationError(
            _("This lead is “%(status)s”: follow-ups are logged on leads still being worked.")
            % {"status": lead.get_status_display()},
            code="closed",
        )
    if not result:
        raise ValidationError({"result": [_("A follow-up needs its result.")]}, code="required")
    if not (content or "").strip():
        raise ValidationError({"content": [_("Write down what was said.")]}, code="required")
    grade = grade or lead.grade
    if grade not in {g.value for g in (Grade.H, Grade.A, Grade.B, Grade.C)}:
        raise ValidationError({"grade": [_("Choose grade H, A, B or C for a lead being followed.")]}, code="invalid")
    now = timezone.now()
    default_next = next_contact_default(lead.store, grade, now=now)
    custom_plan = next_follow_up_at is not None and (
        default_next is None or timezone.localtime(next_follow_up_at).date() != timezone.localtime(default_next).date()
    )
    if next_follow_up_at is not None and next_follow_up_at < now - dt.timedelta(minutes=5):
        raise ValidationError({"next_follow_up_at": [_("The next contact must be in the future.")]}, code="past")
    next_at = next_follow_up_at or default_next
    follow_up = FollowUp.objects.create(
        store_id=lead.store_id,
        lead=lead,
        author=actor,
        channel=channel,
        content=content.strip(),
        result=result,
        grade_before=lead.grade,
        grade_after=grade,
        next_follow_up_at=next_at,
        custom_plan=custom_plan,
    )
    if grade != lead.grade:
        _event(lead, LeadEvent.Kind.GRADED, actor, lead.grade, grade)
    lead.grade = grade
    lead.last_follow_up_at = now
    lead.next_follow_up_at = next_at
    lead.save(update_fields=["grade", "last_follow_up_at", "next_follow_up_at", "updated_at"])
    if lead.status == LeadStatus.NEW:
        lead_set_status(lead=lead, to=LeadStatus.FOLLOWING, actor=actor)
    elif lead.status == LeadStatus.INVITED and result == FollowUp.Result.DECLINED:
        lead_set_status(lead=lead, to=LeadStatus.FOLLOWING, actor=actor, note=_("Invitation declined"))
    _close_open_tasks(
        lead,
        status=Task.Status.DONE,
        follow_up=follow_up,
        kinds=[Task.Kind.FOLLOW_UP, Task.Kind.FIRST_CONTACT, Task.Kind.LOST_REJECTED],
    )
    if next_at is not None and lead.owner is not None:
        _schedule_task(lead, assignee=lead.owner, kind=Task.Kind.FOLLOW_UP, due_at=next_at)
    audit_record(actor=actor, action="followup.log", obj=lead, changes={"result": result, "grade": grade})
    return follow_up


@transaction.atomic
def appointment_create(
    *,
    actor: User,
    lead: Lead,
    scheduled_at: dt.datetime,
    receiver: User,
    purpose: str = Appointment.Purpose.VIEW,
    note: str = "",
    origin: str | None = None,
) -> Appointment:
    """An accepted invitation (邀约): the lead is invited, the receiver gets a task and a notice."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    _require_can_work(actor, lead)
    if lead.status not in WORKING_STATUSES:
        raise ValidationError(_("Only a lead still being worked can be invited."), code="closed")
    if scheduled_at < timezone.now() - dt.timedelta(minutes=5):
        raise ValidationError({"scheduled_at": [_("The appointment must be in the future.")]}, code="past")
    if not lead_owners(lead.store).filter(pk=receiver.pk).exists():
        raise ValidationError({"receiver": [_("The receiving consultant must work in this store.")]}, code="invalid")
    if origin is None:
        roles = actor.roles_in(lead.store_id)
        origin = (
            Appointment.Origin.DCC
            if "dcc_agent" in roles and "consultant" not in roles
            else Appointment.Origin.SHOWROOM
        )
    appointment = Appointment.objects.create(
        store_id=lead.store_id,
        lead=lead,
        scheduled_at=scheduled_at,
        purpose=purpose,
        receiver=receiver,
        created_by=actor,
        origin=origin,
        note=note,
    )
    if lead.status != LeadStatus.INVITED:
        lead_set_status(lead=lead, to=LeadStatus.INVITED, actor=actor)
    _schedule_task(
        lead,
        assignee=receiver,
        kind=Task.Kind.APPOINTMENT,
        due_at=scheduled_at,
        title=_("Receive %(name)s (%(purpose)s)")
        % {"name": lead.customer.name, "purpose": appointment.get_purpose_display()},
    )
    if receiver.pk != actor.pk:
        notify(
            recipients=[receiver],
            store=lead.store,
            title=_("%(name)s will come on %(when)s")
            % {
                "name": lead.customer.name,
                "when": timezone.localtime(scheduled_at).strftime("%m-%d %H:%M"),
            },
            body=_("Invited by %(user)s: %(purpose)s.") % {"user": actor, "purpose": appointment.get_purpose_display()},
            url=f"/leads/customers/{lead.customer_id}/",
        )
    audit_record(actor=actor, action="appointment.create", obj=appointment, store=lead.store)
    return appointment


@transaction.atomic
def appointment_mark_arrived(*, actor: User | None, appointment: Appointment, at: dt.datetime | None = None) -> bool:
    """The invited customer came. Compare-and-set: a second call changes nothing and answers False."""
    at = at or timezone.now()
    changed = Appointment.objects.filter(
        pk=appointment.pk, status__in=[Appointment.Status.SCHEDULED, Appointment.Status.NO_SHOW]
    ).update(status=Appointment.Status.ARRIVED, arrived_at=at)
    if changed:
        appointment.refresh_from_db()
        Task.objects.filter(
            lead_id=appointment.lead_id,
            kind=Task.Kind.APPOINTMENT,
            status=Task.Status.OPEN,
            due_date=timezone.localtime(appointment.scheduled_at).date(),
        ).update(status=Task.Status.DONE, done_at=at)
        audit_record(actor=actor, action="appointment.arrived", obj=appointment, store=appointment.store)
    return bool(changed)


@transaction.atomic
def appointment_cancel(*, actor: User, appointment: Appointment, reason: str = "") -> Appointment:
    if appointment.status != Appointment.Status.SCHEDULED:
        raise ValidationError(_("Only a scheduled appointment can be cancelled."), code="invalid_transition")
    _require_can_work(actor, appointment.lead)
    appointment.status = Appointment.Status.CANCELLED
    appointment.note = (appointment.note + " " + reason).strip()[:200]
    appointment.save(update_fields=["status", "note"])
    Task.objects.filter(lead_id=appointment.lead_id, kind=Task.Kind.APPOINTMENT, status=Task.Status.OPEN).update(
        status=Task.Status.CANCELLED, done_at=timezone.now()
    )
    lead = appointment.lead
    if lead.status == LeadStatus.INVITED and not lead.appointments.filter(status=Appointment.Status.SCHEDULED).exists():
        lead_set_status(lead=lead, to=LeadStatus.FOLLOWING, actor=actor, note=_("Appointment cancelled"))
    audit_record(
        actor=actor, action="appointment.cancel", obj=appointment, store=appointment.store, changes={"reason": reason}
    )
    return appointment


def appointments_mark_no_shows(*, store: Store, day: dt.date) -> int:
    """Appointments of ``day`` nobody arrived for become no-shows; invited leads go back to following."""
    start, end = day_range(day)
    count = 0
    for appointment in Appointment.objects.filter(
        store=store, status=Appointment.Status.SCHEDULED, scheduled_at__gte=start, scheduled_at__lt=end
    ).select_related("lead"):
        with transaction.atomic():
            if not Appointment.objects.filter(pk=appointment.pk, status=Appointment.Status.SCHEDULED).update(
                status=Appointment.Status.NO_SHOW
            ):
                continue
            count += 1
            # Nobody is left to receive: the receiver's task for that day ends (it would stay overdue forever).
            Task.objects.filter(
                lead_id=appointment.lead_id, kind=Task.Kind.APPOINTMENT, status=Task.Status.OPEN, due_date=day
            ).update(status=Task.Status.CANCELLED, done_at=timezone.now())
            lead = Lead.objects.select_for_update().get(pk=appointment.lead_id)
            if (
                lead.status == LeadStatus.INVITED
                and not lead.appointments.filter(status=Appointment.Status.SCHEDULED).exists()
            ):
                lead_set_status(
                    lead=lead, to=LeadStatus.FOLLOWING, actor=None, note=_("Did not come to the appointment")
                )
    return count


# --- Lost and invalid --------------------------------------------------------------------------


@transaction.atomic
def lost_request_create(
    *,
    actor: User,
    lead: Lead,
    kind: str,
    reason: LostReason,
    competitor_brand: str = "",
    competitor_model: str = "",
    note: str = "",
) -> LostRequest:
    """Ask to close a lead as lost (申请战败) or invalid; it stays the consultant's until decided."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    _require_can_work(actor, lead)
    if lead.status not in WORKING_STATUSES:
        raise ValidationError(
            _("A lead that is “%(status)s” cannot be closed as lost or invalid.")
            % {"status": lead.get_status_display()},
            code="invalid_transition",
        )
    if reason.kind != kind:
        raise ValidationError({"reason": [_("That reason does not fit this kind of request.")]}, code="invalid")
    if kind == LostReason.Kind.LOST and reason.needs_competitor and not competitor_brand.strip():
        raise ValidationError({"competitor_brand": [_("Which brand did the customer buy?")]}, code="required")
    request = LostRequest.objects.create(
        store_id=lead.store_id,
        lead=lead,
        kind=kind,
        reason=reason,
        competitor_brand=competitor_brand.strip(),
        competitor_model=competitor_model.strip(),
        note=note.strip(),
        previous_status=lead.status,
        requested_by=actor,
    )
    to = LeadStatus.LOST_REQUESTED if kind == LostReason.Kind.LOST else LeadStatus.INVALID_REQUESTED
    lead_set_status(lead=lead, to=to, actor=actor, note=str(reason))
    # No follow-up is due while a manager decides; a rejection brings a task of its own.
    _close_open_tasks(lead, kinds=[Task.Kind.FOLLOW_UP, Task.Kind.FIRST_CONTACT, Task.Kind.LOST_REJECTED])
    notify(
        recipients=lead_approvers(lead),
        store=lead.store,
        level="warning",
        title=_("%(user)s asks to close %(name)s as %(kind)s")
        % {
            "user": actor,
            "name": lead.customer.name,
            "kind": request.get_kind_display(),
        },
        body=str(reason),
        url="/leads/approvals/",
    )
    return request


def _require_can_decide(actor: User, request: LostRequest) -> None:
    from .selectors import pending_requests_for

    if request.status != LostRequest.Status.PENDING:
        raise ValidationError(_("This request has already been decided."), code="decided")
    if not pending_requests_for(actor).filter(pk=request.pk).exists():
        raise ValidationError(_("You may not decide this request."), code="forbidden")


@transaction.atomic
def lost_request_approve(*, actor: User, request: LostRequest, comment: str = "") -> LostRequest:
    """Close the lead as lost (grade F) or invalid; its open tasks and appointments end."""
    request = LostRequest.objects.select_for_update().get(pk=request.pk)
    _require_can_decide(actor, request)
    lead = Lead.objects.select_for_update().get(pk=request.lead_id)
    request.status = LostRequest.Status.APPROVED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_comment = comment.strip()
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    if request.kind == LostReason.Kind.LOST:
        lead_set_status(lead=lead, to=LeadStatus.LOST, actor=actor, note=comment)
        lead.grade = Grade.F
    else:
        lead_set_status(lead=lead, to=LeadStatus.INVALID, actor=actor, note=comment)
    lead.next_follow_up_at = None
    lead.save(update_fields=["grade", "next_follow_up_at", "updated_at"])
    _close_open_tasks(lead)
    Appointment.objects.filter(lead=lead, status=Appointment.Status.SCHEDULED).update(
        status=Appointment.Status.CANCELLED
    )
    notify(
        recipients=[request.requested_by],
        store=lead.store,
        title=_("Approved: %(name)s closed as %(kind)s")
        % {"name": lead.customer.name, "kind": request.get_kind_display()},
        body=comment,
        url=f"/leads/customers/{lead.customer_id}/",
    )
    audit_record(
        actor=actor, action="lost_request.approve", obj=request, store=lead.store, changes={"comment": comment}
    )
    return request


@transaction.atomic
def lost_request_reject(*, actor: User, request: LostRequest, comment: str) -> LostRequest:
    """Send the lead back to its consultant, with the manager's comment and a task for today."""
    if not comment.strip():
        raise ValidationError({"comment": [_("Tell the consultant why the request is rejected.")]}, code="required")
    request = LostRequest.objects.select_for_update().get(pk=request.pk)
    _require_can_decide(actor, request)
    lead = Lead.objects.select_for_update().get(pk=request.lead_id)
    request.status = LostRequest.Status.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_comment = comment.strip()
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    lead_set_status(lead=lead, to=request.previous_status, actor=actor, note=comment)
    if lead.owner is not None:
        _schedule_task(
            lead,
            assignee=lead.owner,
            kind=Task.Kind.LOST_REJECTED,
            due_at=timezone.now(),
            title=_("Rejected: %(comment)s") % {"comment": comment.strip()[:150]},
        )
    notify(
        recipients=[request.requested_by],
        store=lead.store,
        level="warning",
        title=_("Rejected: keep following %(name)s") % {"name": lead.customer.name},
        body=comment,
        url=f"/leads/customers/{lead.customer_id}/",
    )
    audit_record(actor=actor, action="lost_request.reject", obj=request, store=lead.store, changes={"comment": comment})
    return request


# --- Reassignment, reopening, fleet, DCC ---------------------------------------------------------


@transaction.atomic
def lead_reassign(*, actor: User, leads: Iterable[Lead], to_user: User, reason: str) -> int:
    """Give leads to another owner, with a reason; history kept, both sides told. Returns how many."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Give a reason for the reassignment.")]}, code="required")
    leads = list(
        # of=self: PostgreSQL refuses FOR UPDATE on the nullable side of the outer join to owner.
        Lead.objects.select_for_update(of=("self",))
        .filter(pk__in=[lead.pk for lead in leads])
        .select_related("owner", "customer")
    )
    allowed = set(
        Lead.objects.visible_to(actor, "leads.reassign")
        .filter(pk__in=[lead.pk for lead in leads])
        .values_list("pk", flat=True)
    )
    if len(allowed) != len(leads):
        raise ValidationError(_("You may not reassign some of these leads."), code="forbidden")
    previous_owners: dict[int, tuple[User, list[Lead]]] = {}
    moved = 0
    for lead in leads:
        if not lead_owners(lead.store).filter(pk=to_user.pk).exists():
            raise ValidationError(
                {"to_user": [_("%(user)s cannot own leads in %(store)s.") % {"user": to_user, "store": lead.store}]}
            )
        # A supervisor (no store-wide view) reassigns within the team only (DESIGN: roles).
        if (
            "leads.view_all" not in actor.perms_in(lead.store_id)
            and to_user.pk != actor.pk
            and not actor.supervised_teams.filter(store_id=lead.store_id, members=to_user).exists()
        ):
            raise ValidationError({"to_user": [_("You may reassign leads only within your team.")]}, code="forbidden")
        if lead.status in (LeadStatus.DELIVERED, LeadStatus.INVALID, LeadStatus.MERGED):
            raise ValidationError(
                _("%(name)s is “%(status)s” and cannot be reassigned.")
                % {"name": lead.customer.name, "status": lead.get_status_display()}
            )
        if lead.owner_id == to_user.pk:
            continue
        before = lead.owner
        lead.owner = to_user
        lead.in_pool_since = None
        lead.save(update_fields=["owner", "in_pool_since", "updated_at"])
        Task.objects.filter(lead=lead, status=Task.Status.OPEN).exclude(kind=Task.Kind.APPOINTMENT).update(
            assignee=to_user
        )
        _event(lead, LeadEvent.Kind.REASSIGNED, actor, before or _("shared pool"), to_user, reason)
        audit_record(
            actor=actor,
            action="lead.reassign",
            obj=lead,
            changes={"owner": [str(before or ""), str(to_user)], "reason": reason},
        )
        if before is not None:
            previous_owners.setdefault(before.pk, (before, []))[1].append(lead)
        moved += 1
    if moved:
        store = leads[0].store
        notify(
            recipients=[to_user],
            store=store,
            title=_("%(count)d leads were assigned to you") % {"count": moved},
            body=reason,
            url="/leads/mine/",
        )
        for before, owner_leads in previous_owners.values():
            notify(
                recipients=[before],
                store=store,
                title=_("%(count)d of your leads went to %(user)s") % {"count": len(owner_leads), "user": to_user},
                body=reason,
            )
    return moved


@transaction.atomic
def lead_follow_first_visit(*, actor: User, lead: Lead, from_user: User, to_user: User, reason: str = "") -> bool:
    """The consultant who receives a customer's first visit owns its lead: when that visit is given
    to another consultant, the lead goes along (open tasks follow, history kept, the previous owner
    told). Only a lead still worked and still owned by ``from_user`` moves; the showroom decides
    which visits qualify and who may give them away. Returns whether the lead moved."""
    lead = Lead.objects.select_for_update(of=("self",)).select_related("customer").get(pk=lead.pk)
    if lead.owner_id != from_user.pk or lead.owner_id == to_user.pk or lead.status not in WORKING_STATUSES:
        return False
    if not lead_owners(lead.store).filter(pk=to_user.pk).exists():
        raise ValidationError(
            {"to_user": [_("%(user)s cannot own leads in %(store)s.") % {"user": to_user, "store": lead.store}]},
            code="invalid",
        )
    lead.owner = to_user
    lead.in_pool_since = None
    lead.save(update_fields=["owner", "in_pool_since", "updated_at"])
    Task.objects.filter(lead=lead, status=Task.Status.OPEN).exclude(kind=Task.Kind.APPOINTMENT).update(assignee=to_user)
    _event(lead, LeadEvent.Kind.REASSIGNED, actor, from_user, to_user, reason)
    audit_record(
        actor=actor,
        action="lead.reassign",
        obj=lead,
        changes={"owner": [str(from_user), str(to_user)], "reason": reason},
    )
    if from_user.pk != actor.pk:
        notify(
            recipients=[from_user],
            store=lead.store,
            title=_("%(name)s is now worked by %(user)s") % {"name": lead.customer.name, "user": to_user},
            body=reason,
            url=f"/leads/customers/{lead.customer_id}/",
        )
    return True


@transaction.atomic
def lead_reopen(*, actor: User, lead: Lead, to_user: User, reason: str) -> Lead:
    """Reactivate an approved-lost lead (战败激活) under a new or the same owner."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status != LeadStatus.LOST:
        raise ValidationError(_("Only a lost lead can be reopened."), code="invalid_transition")
    if not Lead.objects.visible_to(actor, "leads.reassign").filter(pk=lead.pk).exists():
        raise ValidationError(_("You may not reopen this lead."), code="forbidden")
    if lead.customer.leads.open().exists():
        raise ValidationError(_("The customer already has an open lead."), code="open_lead")
    lead_set_status(lead=lead, to=LeadStatus.FOLLOWING, actor=actor, note=reason)
    lead.grade = Grade.C
    lead.next_follow_up_at = timezone.now()
    lead.save(update_fields=["grade", "next_follow_up_at", "updated_at"])
    if lead.owner_id != to_user.pk:
        lead_reassign(actor=actor, leads=[lead], to_user=to_user, reason=reason or _("Reopened"))
        lead.refresh_from_db()
    _schedule_task(lead, assignee=to_user, kind=Task.Kind.FOLLOW_UP, due_at=timezone.now())
    return lead


@transaction.atomic
def lead_upgrade_fleet(*, actor: User, lead: Lead, company_name: str = "") -> Lead:
    """Make the lead a fleet (批售) deal and its customer a fleet customer."""
    if not Lead.objects.visible_to(actor, "leads.fleet").filter(pk=lead.pk).exists():
        raise ValidationError(_("You may not upgrade this lead to fleet."), code="forbidden")
    if lead.status in (LeadStatus.INVALID, LeadStatus.MERGED):
        raise ValidationError(
            _("A lead that is “%(status)s” cannot become a fleet deal.") % {"status": lead.get_status_display()},
            code="invalid_transition",
        )
    if lead.is_fleet:
        return lead
    lead.is_fleet = True
    lead.save(update_fields=["is_fleet", "updated_at"])
    customer = lead.customer
    customer.is_fleet = True
    if company_name:
        customer.company_name = company_name
    customer.save(update_fields=["is_fleet", "company_name", "updated_at"])
    _event(lead, LeadEvent.Kind.FLEET, actor, "", company_name)
    audit_record(actor=actor, action="lead.fleet", obj=lead)
    return lead


@transaction.atomic
def lead_hand_to_dcc(*, actor: User, leads: Iterable[Lead], note: str = "") -> int:
    """Ask the call centre to work these leads; the DCC app builds call tasks from the signal."""
    leads = list(leads)
    allowed = set(
        Lead.objects.visible_to(actor, "leads.hand_to_dcc")
        .filter(pk__in=[lead.pk for lead in leads])
        .values_list("pk", flat=True)
    )
    if len(allowed) != len(leads):
        raise ValidationError(_("You may not hand some of these leads to the DCC."), code="forbidden")
    count = 0
    for lead in leads:
        if lead.with_dcc or lead.status not in WORKING_STATUSES + [LeadStatus.LOST]:
            continue
        Lead.objects.filter(pk=lead.pk).update(with_dcc=True)
        lead.with_dcc = True
        _event(lead, LeadEvent.Kind.DCC, actor, "", "", note)
        audit_record(actor=actor, action="lead.hand_to_dcc", obj=lead, changes={"note": note})
        transaction.on_commit(lambda lead=lead: signals.lead_handed_to_dcc.send(sender=Lead, lead=lead, actor=actor))
        count += 1
    return count


# --- Comments ----------------------------------------------------------------------------------


@transaction.atomic
def followup_comment_add(*, actor: User, follow_up: FollowUp, body: str) -> FollowUpComment:
    """A manager's guidance on a follow-up (批复); the consultant sees it until they read it."""
    if not body.strip():
        raise ValidationError({"body": [_("Write a comment.")]}, code="required")
    if not Lead.objects.visible_to(actor, "leads.comment").filter(pk=follow_up.lead_id).exists():
        raise ValidationError(_("You may not comment on this follow-up."), code="forbidden")
    comment = FollowUpComment.objects.create(follow_up=follow_up, author=actor, body=body.strip())
    notify(
        recipients=[follow_up.author],
        store=follow_up.store,
        title=_("%(user)s commented on your follow-up with %(name)s")
        % {"user": actor, "name": follow_up.lead.customer.name},
        body=comment.body,
        url="/leads/tasks/",
    )
    audit_record(actor=actor, action="followup.comment", obj=follow_up.lead, changes={"comment": comment.body})
    return comment


def followup_comments_mark_read(*, actor: User, comment_ids: Iterable[int] | None = None) -> int:
    qs = FollowUpComment.objects.filter(follow_up__author=actor, read_at__isnull=True)
    if comment_ids is not None:
        qs = qs.filter(pk__in=list(comment_ids))
    return qs.update(read_at=timezone.now())


# --- Shared pool -------------------------------------------------------------------------------

# Rows per statement in the morning job's bulk writes (a first run over a year's backlog moves tens of
# thousands of leads and tasks per store).
JOB_CHUNK = 5000


@transaction.atomic
def pool_claim(*, actor: User, lead: Lead) -> Lead:
    """Take a lead from the shared pool; at most the store's daily cap per person."""
    if not actor.has_store_perm(lead.store_id, "leads.claim_pool"):
        raise ValidationError(_("You may not claim leads from the shared pool."), code="forbidden")
    settings = lead_settings(lead.store)
    today = timezone.localdate()
    # Lock the claimant's row so two claims at once by one person cannot both pass the cap.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    claimed_today = PoolClaim.objects.filter(user=actor, claimed_on=today).count()
    if claimed_today >= settings.pool_claim_daily_cap:
        raise ValidationError(
            _("You have claimed %(count)d leads today, the most allowed.") % {"count": claimed_today}, code="cap"
        )
    # Compare-and-set: of two people claiming at once, exactly one wins.
    won = Lead.objects.filter(pk=lead.pk, in_pool_since__isnull=False, status__in=WORKING_STATUSES).update(
        owner=actor, in_pool_since=None, updated_at=timezone.now()
    )
    if not won:
        raise ValidationError(_("Someone else has just claimed this lead."), code="taken")
    lead.refresh_from_db()
    PoolClaim.objects.create(store_id=lead.store_id, lead=lead, user=actor, claimed_on=today)
    _event(lead, LeadEvent.Kind.CLAIMED, actor, "", actor)
    _schedule_task(lead, assignee=actor, kind=Task.Kind.FOLLOW_UP, due_at=timezone.now())
    audit_record(actor=actor, action="lead.claim", obj=lead)
    return lead


@transaction.atomic
def pool_return_overdue(*, store: Store, now: dt.datetime | None = None) -> int:
    """Leads whose follow-up is overdue past the store's limit go to the shared pool (公海)."""
    now = now or timezone.now()
    settings = lead_settings(store)
    cutoff = timezone.localdate(now) - dt.timedelta(days=settings.pool_return_days)
    # The ids first, as a list: given a sub-query instead, PostgreSQL reads the whole store's leads.
    lead_ids = set(
        Task.objects.filter(store=store, status=Task.Status.OPEN, due_date__lte=cutoff)
        .exclude(kind=Task.Kind.APPOINTMENT)
        .values_list("lead_id", flat=True)
    )
    if not lead_ids:
        return 0
    # Locked for the whole run: a second worker waits, then finds them in the pool (one notice per owner).
    # Set-based in chunks: a first run over a large backlog moves tens of thousands of leads.
    rows = list(
        Lead.objects.select_for_update(of=("self",))
        .filter(pk__in=lead_ids, in_pool_since__isnull=True, status__in=WORKING_STATUSES)
        .order_by("pk")
        .values_list("pk", "owner_id")
    )
    if not rows:
        return 0
    owner_names = {u.pk: str(u)[:60] for u in User.objects.filter(pk__in={owner for _pk, owner in rows if owner})}
    pool_label = str(_("shared pool"))
    notices: dict[int, int] = {}
    for start in range(0, len(rows), JOB_CHUNK):
        chunk = rows[start : start + JOB_CHUNK]
        ids = [pk for pk, _owner in chunk]
        Lead.objects.filter(pk__in=ids).update(in_pool_since=now, owner=None, updated_at=now)
        Task.objects.filter(lead_id__in=ids, status=Task.Status.OPEN).update(status=Task.Status.CANCELLED, done_at=now)
        LeadEvent.objects.bulk_create(
            LeadEvent(
                store_id=store.pk,
                lead_id=pk,
                kind=LeadEvent.Kind.POOL_RETURNED,
                from_value=owner_names.get(owner, ""),
                to_value=pool_label,
            )
            for pk, owner in chunk
        )
        for _pk, owner in chunk:
            if owner:
                notices[owner] = notices.get(owner, 0) + 1
    owners = User.objects.in_bulk(notices)
    for owner_id, count in notices.items():
        notify(
            recipients=[owners[owner_id]],
            store=store,
            level="warning",
            title=_("%(count)d of your leads went back to the shared pool") % {"count": count},
            body=_("Their follow-ups were overdue for %(days)d days.") % {"days": settings.pool_return_days},
            url="/leads/pool/",
        )
    return len(rows)


# --- Daily maintenance ---------------------------------------------------------------------------


def _lock_store_jobs(store: Store):
    """One morning job per store at a time: lock the store's lead settings row (and return it).

    A second worker waits here, then finds the rows already claimed, so its counts and notices are
    its own (zero) rather than a repeat of the first worker's.
    """
    settings = lead_settings(store)
    return type(settings).objects.select_for_update().get(pk=settings.pk)


@transaction.atomic
def tasks_create_due(*, store: Store, day: dt.date) -> int:
    """A follow-up task for every worked lead whose next contact falls on ``day`` and has none.

    Idempotent by the unique (lead, kind, due date) key of open tasks: two runs, or two workers at
    once, create each task once.
    """
    # The unique key keeps each task single; this lock (one run per store at a time) keeps the
    # returned count this run's own rather than the other worker's too.
    _lock_store_jobs(store)
    start, end = day_range(day)
    leads = (
        Lead.objects.filter(
            store=store,
            status__in=WORKING_STATUSES,
            owner__isnull=False,
            next_follow_up_at__gte=start,
            next_follow_up_at__lt=end,
        )
        # Per lead, not exclude(tasks__…, tasks__…): on a to-many relation that would exclude leads
        # with *any* open task (say an appointment) and *any* follow-up task (say a done one).
        .exclude(
            Exists(
                Task.objects.filter(
                    lead=OuterRef("pk"),
                    status=Task.Status.OPEN,
                    kind__in=[Task.Kind.FOLLOW_UP, Task.Kind.FIRST_CONTACT],
                )
            )
        )
        .values_list("id", "owner_id", "next_follow_up_at")
    )
    tasks = [
        Task(store=store, lead_id=lead_id, assignee_id=owner_id, kind=Task.Kind.FOLLOW_UP, due_at=due_at, due_date=day)
        for lead_id, owner_id, due_at in leads
    ]
    if not tasks:
        return 0
    due_that_day = Task.objects.filter(
        lead_id__in=[task.lead_id for task in tasks], kind=Task.Kind.FOLLOW_UP, due_date=day
    )
    before = due_that_day.count()
    Task.objects.bulk_create(tasks, batch_size=1000, ignore_conflicts=True)
    return due_that_day.count() - before


@transaction.atomic
def tasks_mark_overdue(*, store: Store, today: dt.date) -> int:
    """Mark open tasks due before today overdue, once, and tell each assignee how many."""
    _lock_store_jobs(store)
    now = timezone.now()
    due = Task.objects.filter(store=store, status=Task.Status.OPEN, due_date__lt=today, overdue_marked_at__isnull=True)
    per_user = dict(due.order_by().values_list("assignee_id").annotate(n=Count("id")).values_list("assignee_id", "n"))
    if not per_user:
        return 0
    marked = due.update(overdue_marked_at=now)
    assignees = User.objects.in_bulk(per_user)
    for assignee_id, count in per_user.items():
        notify(
            recipients=[assignees[assignee_id]],
            store=store,
            level="warning",
            title=_("%(count)d follow-up tasks are overdue") % {"count": count},
            url="/leads/tasks/?when=overdue",
        )
    return marked


@transaction.atomic
def tasks_escalate_overdue(*, store: Store, today: dt.date) -> int:
    """Tell supervisors and managers about tasks overdue past the store's alert limit, once each."""
    settings = _lock_store_jobs(store)
    cutoff = today - dt.timedelta(days=settings.overdue_alert_days)
    due = Task.objects.filter(
        store=store, status=Task.Status.OPEN, due_date__lte=cutoff, escalated_at__isnull=True
    ).exclude(kind=Task.Kind.APPOINTMENT)
    rows = list(due.order_by().values_list("lead_id", "assignee_id", "lead__customer__name"))
    if not rows:
        return 0
    escalated = due.update(escalated_at=timezone.now())
    from .selectors import store_managers

    assignees = {u.pk: str(u) for u in User.objects.filter(pk__in={assignee for _lead, assignee, _name in rows})}
    managers = store_managers(store)
    recipients: dict[int, User] = {u.pk: u for u in managers}
    # Managers hear of every task; a supervisor only of the team's.
    supervisors_of: dict[int, set[int]] = {}
    for member_id, supervisor_id in Team.objects.filter(
        store=store, supervisor__isnull=False, members__isnull=False
    ).values_list("members", "supervisor_id"):
        supervisors_of.setdefault(member_id, set()).add(supervisor_id)
    recipients.update(User.objects.in_bulk({pk for ids in supervisors_of.values() for pk in ids}))
    per_recipient: dict[int, list[tuple[int, str]]] = {}
    for lead_id, assignee_id, customer_name in rows:
        line = (lead_id, f"{customer_name}（{assignees[assignee_id]}）")
        for user_id in [*(m.pk for m in managers), *supervisors_of.get(assignee_id, ())]:
            per_recipient.setdefault(user_id, []).append(line)
    for user_id, lines in per_recipient.items():
        names = ", ".join(sorted({name for _lead, name in lines})[:10])
        notify(
            recipients=[recipients[user_id]],
            store=store,
            level="warning",
            title=_("%(count)d leads have follow-ups overdue for %(days)d days or more")
            % {"count": len({lead for lead, _name in lines}), "days": settings.overdue_alert_days},
            body=names,
            url="/leads/list/?overdue=1",
        )
    return escalated


def daily_maintenance(*, store: Store, now: dt.datetime | None = None) -> dict[str, int]:
    """The morning job for one store: today's tasks, overdue marks, alerts, pool returns, no-shows."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return {
        "tasks_created": tasks_create_due(store=store, day=today),
        "no_shows": appointments_mark_no_shows(store=store, day=today - dt.timedelta(days=1)),
        "overdue_marked": tasks_mark_overdue(store=store, today=today),
        "escalated": tasks_escalate_overdue(store=store, today=today),
        "returned_to_pool": pool_return_overdue(store=store, now=now),
    }


# --- Merge -------------------------------------------------------------------------------------

MERGEABLE_FIELDS = [
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
]


@transaction.atomic
def customer_merge(
    *, actor: User, survivor: Customer, absorbed: list[Customer], values: dict[str, int] | None = None
) -> Customer:
    """Merge duplicates into ``survivor``: every lead and its work moves; the absorbed stay as merged.

    ``values`` picks, per field, the customer whose value the survivor keeps. Fleet customers and
    customers with an order are never merged. When several have an open lead, the survivor's (or
    the most advanced) stays open and the others become ``merged`` into it.
    """
    customers = [survivor, *absorbed]
    ids = [c.pk for c in customers]
    if len(set(ids)) != len(ids) or not absorbed:
        raise ValidationError(_("Choose at least two different customers."), code="invalid")
    locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=ids)}
    if len({c.store_id for c in locked.values()}) != 1:
        raise ValidationError(_("Only customers of the same store can be merged."), code="invalid")
    store = survivor.store
    if not actor.has_store_perm(store.pk, "leads.merge"):
        raise ValidationError(_("You may not merge customers."), code="forbidden")
    for customer in locked.values():
        if customer.merged_into_id:
            raise ValidationError(_("%(name)s has already been merged.") % {"name": customer.name}, code="merged")
        if customer.is_fleet:
            raise ValidationError(
                _("%(name)s is a fleet customer and cannot be merged.") % {"name": customer.name}, code="fleet"
            )
        if customer.leads.filter(status__in=[LeadStatus.ORDERED, LeadStatus.DELIVERED]).exists():
            raise ValidationError(
                _("%(name)s has an order and cannot be merged.") % {"name": customer.name}, code="ordered"
            )
    survivor = locked[survivor.pk]
    absorbed = [locked[c.pk] for c in absorbed]
    chosen = {}
    for field, source_id in (values or {}).items():
        if field not in MERGEABLE_FIELDS or source_id not in locked:
            raise ValidationError(_("Invalid merge choice for %(field)s.") % {"field": field}, code="invalid")
        chosen[field] = getattr(locked[source_id], field)

    # Open leads: keep one, merge the others into it.
    rank = {
        s: i
        for i, s in enumerate(
            [
                LeadStatus.NEW,
                LeadStatus.FOLLOWING,
                LeadStatus.INVITED,
                LeadStatus.VISITED,
                LeadStatus.LOST_REQUESTED,
                LeadStatus.INVALID_REQUESTED,
            ]
        )
    }
    open_leads = list(Lead.objects.select_for_update().filter(customer_id__in=ids, status__in=OPEN_STATUSES))
    lead_map: dict[int, int] = {}
    if len(open_leads) > 1:
        open_leads.sort(key=lambda lead: (lead.customer_id != survivor.pk, -rank.get(lead.status, 0), lead.created_at))
        kept, others = open_leads[0], open_leads[1:]
        for other in others:
            FollowUp.objects.filter(lead=other).update(lead=kept)
            Appointment.objects.filter(lead=other).update(lead=kept)
            LostRequest.objects.filter(lead=other, status=LostRequest.Status.PENDING).update(
                status=LostRequest.Status.REJECTED,
                decided_by=actor,
                decided_at=timezone.now(),
                decision_comment=_("Merged"),
            )
            LostRequest.objects.filter(lead=other).update(lead=kept)
            Task.objects.filter(lead=other, status=Task.Status.OPEN).update(
                status=Task.Status.CANCELLED, done_at=timezone.now()
            )
            Task.objects.filter(lead=other).update(lead=kept)
            other.status = LeadStatus.MERGED
            other.merged_into = kept
            other.closed_at = timezone.now()
            other.save(update_fields=["status", "merged_into", "closed_at", "updated_at"])
            _event(other, LeadEvent.Kind.MERGED, actor, "", f"#{kept.pk}")
            lead_map[other.pk] = kept.pk
    # Everything of the absorbed customers moves to the survivor.
    absorbed_ids = [c.pk for c in absorbed]
    Lead.objects.filter(customer_id__in=absorbed_ids).update(customer=survivor)
    Lead.objects.filter(referred_by_customer_id__in=absorbed_ids).update(referred_by_customer=survivor)
    now = timezone.now()
    for customer in absorbed:
        customer.merged_into = survivor
        customer.save(update_fields=["merged_into", "updated_at"])
    for field, value in chosen.items():
        setattr(survivor, field, value)
    if chosen:
        survivor.save()
    for lead in Lead.objects.filter(customer=survivor, status__in=OPEN_STATUSES):
        _event(lead, LeadEvent.Kind.MERGED, actor, ", ".join(c.name for c in absorbed), survivor.name)
    signals.customers_merged.send(sender=Customer, survivor=survivor, absorbed=absorbed, lead_map=lead_map, actor=actor)
    audit_record(
        actor=actor,
        action="customer.merge",
        obj=survivor,
        changes={
            "absorbed": [f"{c.pk} {c.name}" for c in absorbed],
            "kept_values": {k: str(v) for k, v in chosen.items()},
            "at": now.isoformat(),
        },
    )
    return survivor


# --- Ingest ------------------------------------------------------------------------------------


def _round_robin_owner(store: Store) -> User | None:
    """The next consultant in turn for online leads (the one after the last one served)."""
    from .selectors import lead_settings as get_settings

    settings = get_settings(store)
    settings = type(settings).objects.select_for_update().get(pk=settings.pk)
    consultants = list(
        User.objects.filter(is_active=True, memberships__store=store, memberships__role__code="consultant")
        .distinct()
        .order_by("id")
    )
    if not consultants:
        return None
    last = settings.round_robin_last_user_id
    later = [u for u in consultants if last is None or u.pk > last]
    chosen = later[0] if later else consultants[0]
    settings.round_robin_last_user = chosen
    settings.save(update_fields=["round_robin_last_user"])
    return chosen


def lead_ingest(*, actor: User, store: Store, idempotency_key: str, data: dict) -> tuple[Lead, bool]:
    """Take a lead from an online platform or the OEM. The same key answers the same lead again.

    Returns (lead, created). Dedupe by phone: an existing customer's open lead absorbs the enquiry.
    """
    existing = IngestRecord.objects.filter(store=store, idempotency_key=idempotency_key).select_related("lead").first()
    if existing:
        return existing.lead, False
    try:
        with transaction.atomic():
            customer = customer_find_by_phone(store, data["phone"])
            if customer is None:
                try:
                    customer = customer_create(
                        actor=actor,
                        store=store,
                        name=data.get("name") or _("Online customer"),
                        phone=data["phone"],
                        consent_marketing=bool(data.get("consent_marketing", False)),
                    )
                except DuplicateCustomer as exc:
                    customer = exc.customer
            settings = lead_settings(store)
            to_dcc = settings.ingest_assignment == settings.IngestAssignment.DCC
            # An enquiry that attaches to an open lead keeps its owner: it must not use up a turn.
            owner = None if to_dcc or customer.leads.open().exists() else _round_robin_owner(store)
            lead, created = lead_create(
                actor=actor,
                customer=customer,
                owner=owner,
                source=data["source"],
                with_dcc=to_dcc,
                campaign=data.get("campaign", ""),
                external_id=data.get("external_id", ""),
                series=data.get("series"),
                purchase_time=data.get("purchase_time", ""),
            )
            IngestRecord.objects.create(
                store=store,
                idempotency_key=idempotency_key,
                lead=lead,
                created_lead=created,
                payload={k: str(v) for k, v in data.items()},
            )
    except IntegrityError:
        # The same key arrived twice at once: the first one's answer stands.
        record = IngestRecord.objects.select_related("lead").get(store=store, idempotency_key=idempotency_key)
        return record.lead, False
    return lead, created


def lead_touch_first_visit(*, lead: Lead, at: dt.datetime) -> None:
    """Record the first store visit of a lead (value tier "high"); later visits change nothing."""
    Lead.objects.filter(pk=lead.pk, first_visit_at__isnull=True).update(first_visit_at=at)
    Lead.objects.filter(pk=lead.pk, first_visit_at__gt=at).update(first_visit_at=at)


# --- Follow-up with an accepted invitation ----------------------------------------------------


@transaction.atomic
def followup_log_with_invitation(
    *,
    actor: User,
    lead: Lead,
    channel: str,
    content: str,
    result: str,
    grade: str | None = None,
    next_follow_up_at: dt.datetime | None = None,
    scheduled_at: dt.datetime | None = None,
    receiver: User | None = None,
    purpose: str = Appointment.Purpose.VIEW,
    note: str = "",
) -> tuple[FollowUp, Appointment | None]:
    """The consultant's one action: log the call and, when the customer accepted the invitation,
    book the appointment in the same transaction (neither is saved without the other)."""
    follow_up = followup_log(
        actor=actor,
        lead=lead,
        channel=channel,
        content=content,
        result=result,
        grade=grade,
        next_follow_up_at=next_follow_up_at,
    )
    if result != FollowUp.Result.INVITED:
        return follow_up, None
    errors = {}
    if scheduled_at is None:
        errors["scheduled_at"] = [_("When will the customer come?")]
    if receiver is None:
        errors["receiver"] = [_("Who receives the customer?")]
    if errors:
        raise ValidationError(errors, code="required")
    appointment = appointment_create(
        actor=actor, lead=lead, scheduled_at=scheduled_at, receiver=receiver, purpose=purpose, note=note
    )
    return follow_up, appointment


# --- Lead settings, sources and reasons ----------------------------------------------------------

LEAD_SETTINGS_FIELDS = {
    "cadence_h_days",
    "cadence_a_days",
    "cadence_b_days",
    "cadence_c_days",
    "overdue_alert_days",
    "pool_return_days",
    "pool_claim_daily_cap",
    "ingest_assignment",
}
SOURCE_FIELDS = {"code", "name", "category", "parent", "is_active", "sort_order"}
LOST_REASON_FIELDS = {"kind", "code", "name", "needs_competitor", "is_active", "sort_order"}


def _require_manage_settings(actor: User, store: Store, permission: str = "leads.manage_settings") -> None:
    if not actor.has_store_perm(store, permission):
        raise ValidationError(_("You may not change the lead settings."), code="forbidden")


@transaction.atomic
def lead_settings_update(*, actor: User, store: Store, **fields: Any):
    """Change a store's follow-up cadence, alert and pool limits and how online leads are assigned."""
    from .models import LeadSettings

    _require_manage_settings(actor, store)
    unknown = set(fields) - LEAD_SETTINGS_FIELDS
    if unknown:
        raise TypeError(f"Unknown lead settings fields: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    for name in ("cadence_h_days", "cadence_a_days", "cadence_b_days", "cadence_c_days"):
        if name in fields and not 1 <= int(fields[name]) <= 365:
            errors[name] = [_("Between 1 and 365 days.")]
    for name in ("overdue_alert_days", "pool_return_days"):
        if name in fields and not 1 <= int(fields[name]) <= 365:
            errors[name] = [_("Between 1 and 365 days.")]
    if "pool_claim_daily_cap" in fields and not 0 <= int(fields["pool_claim_daily_cap"]) <= 1000:
        errors["pool_claim_daily_cap"] = [_("Between 0 and 1000 leads.")]
    if "ingest_assignment" in fields and fields["ingest_assignment"] not in LeadSettings.IngestAssignment.values:
        errors["ingest_assignment"] = [_("Choose how online leads are assigned.")]
    if errors:
        raise ValidationError(errors, code="invalid")
    settings = LeadSettings.objects.select_for_update().get(pk=lead_settings(store).pk)
    changes = diff_fields(settings, fields)
    for key, value in fields.items():
        setattr(settings, key, value)
    if changes:
        settings.save(update_fields=list(changes))
        audit_record(actor=actor, action="leads.settings", obj=settings, store=store, changes=changes)
    return settings


@transaction.atomic
def source_save(*, actor: User, store: Store, source: Source | None = None, **fields: Any) -> Source:
    """Add a lead source or change one (rename, move under a parent, deactivate).

    Sources are shared by every store; the code is fixed once created because code refers to some
    (``repurchase``). Sub-channels are one level deep: a parent has no parent itself.
    """
    _require_manage_settings(actor, store, "leads.manage_sources")
    unknown = set(fields) - SOURCE_FIELDS
    if unknown:
        raise TypeError(f"Unknown source fields: {sorted(unknown)}")
    if source is not None:
        # The caller's object may hold unsaved edits (a ModelForm writes into its instance).
        source = Source.objects.select_for_update().get(pk=source.pk)
    if source is not None and "code" in fields and fields["code"] != source.code:
        raise ValidationError({"code": [_("The code of a source cannot change.")]}, code="invalid")
    errors: dict[str, list[str]] = {}
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            errors["name"] = [_("Give the source a name.")]
    if source is None:
        code = (fields.get("code") or "").strip()
        if not code:
            errors["code"] = [_("Give the source a code.")]
        elif Source.objects.filter(code=code).exists():
            errors["code"] = [_("A source with this code exists already.")]
        fields["code"] = code
    parent = fields.get("parent")
    if parent is not None:
        if source is not None and parent.pk == source.pk:
            errors["parent"] = [_("A source cannot be its own parent.")]
        elif parent.parent_id is not None:
            errors["parent"] = [_("Choose a main source as parent: sub-channels are one level deep.")]
        elif source is not None and source.children.exists():
            errors["parent"] = [_("This source has sub-channels of its own, so it cannot become one.")]
    if errors:
        raise ValidationError(errors, code="invalid")
    # The lead lists' source filter and labels are drawn from a short-lived cache: show the change at once.
    transaction.on_commit(lambda: cache.delete_many([SOURCE_CHOICES_KEY, SOURCE_LABELS_KEY]))
    if source is None:
        source = Source.objects.create(**fields)
        audit_record(actor=actor, action="leads.source.create", obj=source, store=store, changes=fields)
        return source
    update_with_audit(actor=actor, obj=source, fields=fields, action="leads.source.update", store=store)
    return source


@transaction.atomic
def lost_reason_save(*, actor: User, store: Store, reason: LostReason | None = None, **fields: Any) -> LostReason:
    """Add a lost or invalid reason or change one (rename, ask for the competitor, deactivate).

    Reasons are shared by every store; code and kind are fixed once created, so requests and
    reports already made keep their meaning.
    """
    _require_manage_settings(actor, store, "leads.manage_sources")
    unknown = set(fields) - LOST_REASON_FIELDS
    if unknown:
        raise TypeError(f"Unknown reason fields: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    if reason is not None:
        reason = LostReason.objects.select_for_update().get(pk=reason.pk)
        for fixed in ("code", "kind"):
            if fixed in fields and fields[fixed] != getattr(reason, fixed):
                errors[fixed] = [_("This cannot change once the reason exists.")]
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            errors["name"] = [_("Give the reason a name.")]
    if reason is None:
        code = (fields.get("code") or "").strip()
        if not code:
            errors["code"] = [_("Give the reason a code.")]
        elif LostReason.objects.filter(code=code).exists():
            errors["code"] = [_("A reason with this code exists already.")]
        fields["code"] = code
        if fields.get("kind") not in LostReason.Kind.values:
            errors["kind"] = [_("Choose lost or invalid.")]
    kind = fields.get("kind", reason.kind if reason else None)
    if fields.get("needs_competitor") and kind == LostReason.Kind.INVALID:
        errors["needs_competitor"] = [_("Only a lost reason can ask which competitor.")]
    if errors:
        raise ValidationError(errors, code="invalid")
    if reason is None:
        reason = LostReason.objects.create(**fields)
        audit_record(actor=actor, action="leads.reason.create", obj=reason, store=store, changes=fields)
        return reason
    update_with_audit(actor=actor, obj=reason, fields=fields, action="leads.reason.update", store=store)
    return reason


# --- Called by the showroom when an order moves ------------------------------------------------


@transaction.atomic
def lead_mark_ordered(*, actor: User, lead: Lead) -> Lead:
    """A confirmed order: the lead is ordered (grade O) and its open follow-up work ends."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    lead_set_status(lead=lead, to=LeadStatus.ORDERED, actor=actor)
    if lead.grade != Grade.O:
        _event(lead, LeadEvent.Kind.GRADED, actor, lead.grade, Grade.O)
    lead.grade = Grade.O
    lead.next_follow_up_at = None
    lead.save(update_fields=["grade", "next_follow_up_at", "updated_at"])
    _close_open_tasks(lead, status=Task.Status.DONE)
    return lead


@transaction.atomic
def lead_mark_delivered(*, actor: User, lead: Lead) -> Lead:
    """The car was handed over: the lead is closed won."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    lead_set_status(lead=lead, to=LeadStatus.DELIVERED, actor=actor)
    return lead


@transaction.atomic
def lead_order_cancelled(*, actor: User, lead: Lead, reason: str) -> Lead:
    """A confirmed order was cancelled: the lead is followed again (grade H), with a task today."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    lead_set_status(lead=lead, to=LeadStatus.FOLLOWING, actor=actor, note=reason)
    lead.grade = Grade.H
    lead.next_follow_up_at = timezone.now()
    lead.save(update_fields=["grade", "next_follow_up_at", "updated_at"])
    if lead.owner is not None:
        _schedule_task(lead, assignee=lead.owner, kind=Task.Kind.FOLLOW_UP, due_at=lead.next_follow_up_at)
    return lead


# --- Called by the DCC (the call centre decides who; these record it on the lead) -----------------


@transaction.atomic
def lead_assign_for_dcc(*, actor: User | None, lead: Lead, to_user: User, note: str = "", reopen: bool = False) -> Lead:
    """The call centre's hand-over of a lead: ``to_user`` owns it from now on.

    Used when a DCC agent starts working a lead from the call list, and when the agent's invitation
    hands the customer to the consultant who receives them. The DCC app decides who may (its call
    tasks); here the lead is marked as worked by the DCC (``with_dcc``), its open follow-up tasks
    follow the new owner, the history says why and the previous owner is told. ``reopen``: an
    approved-lost lead is reactivated (战败激活) first, unless the customer has another open lead.
    """
    lead = Lead.objects.select_for_update().select_related("customer").get(pk=lead.pk)
    if not lead_owners(lead.store).filter(pk=to_user.pk).exists():
        raise ValidationError(
            {"to_user": [_("%(user)s cannot own leads in %(store)s.") % {"user": to_user, "store": lead.store}]},
            code="invalid",
        )
    if reopen and lead.status == LeadStatus.LOST:
        if lead.customer.leads.open().exclude(pk=lead.pk).exists():
            raise ValidationError(_("The customer already has an open lead."), code="open_lead")
        lead_set_status(lead=lead, to=LeadStatus.FOLLOWING, actor=actor, note=note or _("Reactivated by the DCC"))
        lead.grade = Grade.C
        lead.next_follow_up_at = timezone.now()
        lead.save(update_fields=["grade", "next_follow_up_at", "updated_at"])
    if lead.status not in WORKING_STATUSES:
        raise ValidationError(
            _("%(name)s is “%(status)s” and cannot be handed over.")
            % {"name": lead.customer.name, "status": lead.get_status_display()},
            code="invalid_transition",
        )
    before = lead.owner
    if lead.owner_id == to_user.pk and lead.with_dcc and lead.in_pool_since is None:
        return lead
    lead.owner = to_user
    lead.with_dcc = True
    lead.in_pool_since = None
    lead.save(update_fields=["owner", "with_dcc", "in_pool_since", "updated_at"])
    if before is None or before.pk != to_user.pk:
        Task.objects.filter(lead=lead, status=Task.Status.OPEN).exclude(kind=Task.Kind.APPOINTMENT).update(
            assignee=to_user
        )
        _event(lead, LeadEvent.Kind.REASSIGNED, actor, before or _("nobody"), to_user, note)
        if before is not None and before.pk != getattr(actor, "pk", None):
            notify(
                recipients=[before],
                store=lead.store,
                title=_("%(name)s is now worked by %(user)s") % {"name": lead.customer.name, "user": to_user},
                body=note,
                url=f"/leads/customers/{lead.customer_id}/",
            )
    audit_record(
        actor=actor,
        action="lead.dcc_assign",
        obj=lead,
        changes={"owner": [str(before or ""), str(to_user)], "note": note, "reopened": reopen},
    )
    return lead


@transaction.atomic
def followups_record_messages(
    *, actor: User, store: Store, channel: str, contents: dict[int, str]
) -> dict[int, FollowUp]:
    """One-way messages (a campaign SMS, email or event invitation) logged on each lead as a follow-up.

    Only a record of the contact: grade, next planned contact and the owner's tasks stay as they are
    (a message the customer has not answered gives no result to plan from). Leads no longer being
    worked are left out. ``contents``: lead id → the text sent. Returns lead id → follow-up.
    """
    rows = list(
        Lead.objects.filter(store=store, pk__in=list(contents), status__in=WORKING_STATUSES).values_list(
            "pk", "grade", "next_follow_up_at"
        )
    )
    if not rows:
        return {}
    follow_ups = FollowUp.objects.bulk_create(
        [
            FollowUp(
                store=store,
                lead_id=pk,
                author=actor,
                channel=channel,
                content=contents[pk].strip() or "-",
                result=FollowUp.Result.CONTACTED,
                grade_before=grade,
                grade_after=grade,
                next_follow_up_at=next_at,
            )
            for pk, grade, next_at in rows
        ],
        batch_size=500,
    )
    Lead.objects.filter(pk__in=[pk for pk, _grade, _next in rows]).update(last_follow_up_at=timezone.now())
    audit_record(actor=actor, action="followup.messages", store=store, changes={"channel": channel, "count": len(rows)})
    return {fu.lead_id: fu for fu in follow_ups}
