"""Every write of the showroom: visits, rotation, test drives, orders and delivery."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.dates import day_range
from accounts.models import Store, User
from accounts.services import audit_record, diff_fields, notify, update_with_audit
from catalog.models import Trim
from catalog.validators import normalize_vin, validate_vin
from leads import services as lead_services
from leads.models import Appointment, Customer, FollowUp, Lead, LeadStatus, Source
from leads.phones import normalize_phone
from leads.selectors import lead_owners

from . import signals
from .models import DemoVehicle, Order, RotationEntry, ShowroomSettings, TestDrive, Visit
from .selectors import rotation_queue, showroom_settings, vin_in_use

ARRIVAL_SLACK = dt.timedelta(minutes=5)


# --- Rotation ----------------------------------------------------------------------------------


def _rotation_entry(store: Store, consultant: User) -> RotationEntry:
    entry, _ = RotationEntry.objects.get_or_create(store=store, consultant=consultant)
    return entry


@transaction.atomic
def rotation_set_state(*, actor: User, store: Store, consultant: User, state: str) -> RotationEntry:
    """A consultant marks themself available, with a customer or away; a manager may do it for them."""
    if actor.pk != consultant.pk and not actor.has_store_perm(store.pk, "showroom.manage_rotation"):
        raise ValidationError(_("You may only change your own rotation state."), code="forbidden")
    if not lead_owners(store).filter(pk=consultant.pk).exists():
        raise ValidationError(
            _("%(user)s does not receive customers in this store.") % {"user": consultant}, code="invalid"
        )
    entry = RotationEntry.objects.select_for_update().get(pk=_rotation_entry(store, consultant).pk)
    if entry.state != state:
        before = entry.state
        entry.state = state
        entry.state_changed_at = timezone.now()
        entry.save(update_fields=["state", "state_changed_at"])
        audit_record(
            actor=actor, action="rotation.state", obj=consultant, store=store, changes={"state": [before, state]}
        )
    return entry


@transaction.atomic
def rotation_move_to_front(*, actor: User, store: Store, consultant: User) -> RotationEntry:
    """A manager's override: this consultant receives the next customer."""
    if not actor.has_store_perm(store.pk, "showroom.manage_rotation"):
        raise ValidationError(_("Only a manager can change the rotation order."), code="forbidden")
    entries = list(RotationEntry.objects.select_for_update().filter(store=store))
    lowest = min((e.priority for e in entries), default=0)
    entry = _rotation_entry(store, consultant)
    entry.priority = lowest - 1
    entry.save(update_fields=["priority"])
    audit_record(actor=actor, action="rotation.move_to_front", obj=consultant, store=store)
    return entry


def _rotation_assigned(store: Store, consultant: User, at: dt.datetime) -> None:
    """Receiving a party moves the consultant to "with customer" and to the back of the queue."""
    entry = _rotation_entry(store, consultant)
    RotationEntry.objects.filter(pk=entry.pk).update(
        state=RotationEntry.State.WITH_CUSTOMER, last_assigned_at=at, priority=0, state_changed_at=at
    )


# --- Visits ------------------------------------------------------------------------------------


def _appointment_for(lead: Lead, arrived_at: dt.datetime) -> Appointment | None:
    start, end = day_range(timezone.localtime(arrived_at).date())
    return (
        lead.appointments.filter(
            status__in=[Appointment.Status.SCHEDULED, Appointment.Status.NO_SHOW],
            scheduled_at__gte=start,
            scheduled_at__lt=end,
        )
        .order_by("scheduled_at")
        .first()
    )


@transaction.atomic
def visit_register(
    *,
    actor: User,
    store: Store,
    phone: str = "",
    visitor_name: str = "",
    arrived_at: dt.datetime | None = None,
    party_size: int = 1,
    consultant: User | None = None,
    source: Source | None = None,
    series=None,
    test_drive: bool = False,
    note: str = "",
) -> Visit:
    """Register an arriving party (新建展厅流量记录).

    A known phone finds the customer: return visit when they came before, the open lead's owner
    receives them, an appointment of the day is marked arrived. A new phone files a customer and a
    lead. No phone: the visit is still registered, not filed (留档 = no). The receiving consultant
    defaults to the owner, else the next in the rotation.
    """
    now = timezone.now()
    arrived_at = arrived_at or now
    if arrived_at > now + ARRIVAL_SLACK:
        raise ValidationError({"arrived_at": [_("The arrival time cannot be in the future.")]}, code="future")
    if party_size < 1:
        raise ValidationError({"party_size": [_("A party has at least one person.")]}, code="invalid")
    normalized = normalize_phone(phone) if phone.strip() else ""
    customer = lead = None
    is_first = True
    if normalized:
        customer = lead_services.customer_find_by_phone(store, normalized)
        if customer is not None:
            is_first = not Visit.objects.filter(customer=customer).exists()
            lead = customer.leads.open().select_related("owner").first()
    if consultant is None and lead is not None and lead.owner and lead.owner.is_active:
        consultant = lead.owner
    if consultant is None:
        queue = rotation_queue(store)
        consultant = queue[0].consultant if queue else None
    if consultant is not None and not lead_owners(store).filter(pk=consultant.pk).exists():
        raise ValidationError({"consultant": [_("Choose a consultant of this store.")]}, code="invalid")
    source = source or Source.objects.get(code="walk_in")
    if normalized and customer is None:
        customer = lead_services.customer_create(
            actor=actor, store=store, name=visitor_name.strip() or _("Walk-in customer"), phone=normalized
        )
    if customer is not None and lead is None:
        lead, _created = lead_services.lead_create(
            actor=actor, customer=customer, owner=consultant, source=source, series=series
        )
    visit = Visit.objects.create(
        store=store,
        customer=customer,
        lead=lead,
        visitor_name=visitor_name.strip() or (customer.name if customer else ""),
        phone=normalized,
        arrived_at=arrived_at,
        party_size=party_size,
        is_first_visit=is_first,
        consultant=consultant,
        source=source,
        series=series,
        test_drive=test_drive,
        filed=bool(normalized),
        note=note.strip(),
        registered_by=actor,
    )
    if lead is not None:
        lead_services.lead_touch_first_visit(lead=lead, at=arrived_at)
        lead.refresh_from_db(fields=["first_visit_at"])
        if lead.status in (LeadStatus.NEW, LeadStatus.FOLLOWING, LeadStatus.INVITED):
            lead_services.lead_set_status(lead=lead, to=LeadStatus.VISITED, actor=actor)
        appointment = _appointment_for(lead, arrived_at)
        if appointment is not None:
            lead_services.appointment_mark_arrived(actor=actor, appointment=appointment, at=arrived_at)
            visit.appointment = appointment
            visit.save(update_fields=["appointment"])
    if consultant is not None:
        _rotation_assigned(store, consultant, now)
        if consultant.pk != actor.pk:
            notify(
                recipients=[consultant],
                store=store,
                level="warning",
                title=_("Please receive %(name)s at the desk") % {"name": visit.visitor_name or _("a visitor")},
                body=_("Party of %(size)d, %(kind)s.")
                % {"size": party_size, "kind": _("first visit") if is_first else _("return visit")},
            )
    audit_record(
        actor=actor, action="visit.register", obj=visit, store=store, changes={"first": is_first, "filed": visit.filed}
    )
    return visit


@transaction.atomic
def visit_depart(*, actor: User, visit: Visit, at: dt.datetime | None = None) -> Visit:
    """Record when the party left (stay length); the consultant is available again."""
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    at = at or timezone.now()
    if visit.departed_at is not None:
        raise ValidationError(_("This party's departure is already recorded."), code="departed")
    if at < visit.arrived_at:
        raise ValidationError(
            {"departed_at": [_("The departure cannot be before the arrival.")]}, code="before_arrival"
        )
    visit.departed_at = at
    visit.save(update_fields=["departed_at"])
    if (
        visit.consultant_id
        and not Visit.objects.filter(
            store=visit.store, consultant_id=visit.consultant_id, departed_at__isnull=True
        ).exists()
    ):
        RotationEntry.objects.filter(
            store=visit.store, consultant_id=visit.consultant_id, state=RotationEntry.State.WITH_CUSTOMER
        ).update(state=RotationEntry.State.AVAILABLE, state_changed_at=at)
    audit_record(actor=actor, action="visit.depart", obj=visit, store=visit.store)
    return visit


VISIT_EDITABLE = {"visitor_name", "party_size", "source", "series", "test_drive", "note", "arrived_at", "departed_at"}


@transaction.atomic
def visit_correct(*, actor: User, visit: Visit, **fields: Any) -> Visit:
    """Correct a registration; corrected registrations count against the clerk's accuracy."""
    unknown = set(fields) - VISIT_EDITABLE
    if unknown:
        raise TypeError(f"Unknown visit fields: {sorted(unknown)}")
    changes = diff_fields(visit, fields)
    if not changes:
        return visit
    arrived = fields.get("arrived_at", visit.arrived_at)
    departed = fields.get("departed_at", visit.departed_at)
    if departed is not None and departed < arrived:
        raise ValidationError(
            {"departed_at": [_("The departure cannot be before the arrival.")]}, code="before_arrival"
        )
    for key, value in fields.items():
        setattr(visit, key, value)
    visit.corrected_at = timezone.now()
    visit.save()
    audit_record(actor=actor, action="visit.correct", obj=visit, store=visit.store, changes=changes)
    return visit


@transaction.atomic
def visit_reassign(*, actor: User, visit: Visit, consultant: User, reason: str = "") -> Visit:
    """Give a visit to another consultant.

    The receiving consultant owns the lead of a first visit (DESIGN: showroom), so a first visit's
    lead that was the previous consultant's moves with it. A return visit leaves the lead with its
    owner: whoever received them today, the customer stays the consultant's who has been following.
    """
    if not lead_owners(visit.store).filter(pk=consultant.pk).exists():
        raise ValidationError({"consultant": [_("Choose a consultant of this store.")]}, code="invalid")
    before = visit.consultant
    if before and before.pk == consultant.pk:
        return visit
    visit.consultant = consultant
    visit.corrected_at = timezone.now()
    visit.save(update_fields=["consultant", "corrected_at"])
    if visit.is_first_visit and visit.lead_id is not None and before is not None:
        lead_services.lead_follow_first_visit(
            actor=actor, lead=visit.lead, from_user=before, to_user=consultant, reason=reason
        )
    _rotation_assigned(visit.store, consultant, timezone.now())
    audit_record(
        actor=actor,
        action="visit.reassign",
        obj=visit,
        store=visit.store,
        changes={"consultant": [str(before or ""), str(consultant)], "reason": reason},
    )
    notify(recipients=[consultant], store=visit.store, title=_("A showroom visit was assigned to you"), body=reason)
    return visit


def visits_flag_without_follow_up(*, store: Store, now: dt.datetime | None = None) -> int:
    """Cross-check: walk-ins with no follow-up by their consultant within the store's hours are flagged
    to the sales manager, once per visit."""
    now = now or timezone.now()
    hours = showroom_settings(store).cross_check_hours
    cutoff = now - dt.timedelta(hours=hours)
    flagged = []
    candidates = (
        Visit.objects.filter(
            store=store,
            follow_up_flagged_at__isnull=True,
            arrived_at__lt=cutoff,
            arrived_at__gte=cutoff - dt.timedelta(days=7),
        )
        .exclude(lead__isnull=True)
        .select_related("lead__customer", "consultant")
    )
    for visit in candidates:
        done = FollowUp.objects.filter(
            lead_id=visit.lead_id, author_id=visit.consultant_id, created_at__gte=visit.arrived_at
        ).exists()
        if done:
            Visit.objects.filter(pk=visit.pk).update(follow_up_flagged_at=visit.arrived_at)  # checked: nothing to flag
            continue
        if Visit.objects.filter(pk=visit.pk, follow_up_flagged_at__isnull=True).update(follow_up_flagged_at=now):
            flagged.append(visit)
    if flagged:
        from leads.selectors import store_managers

        names = ", ".join(f"{v.visitor_name}（{v.consultant or '-'}）" for v in flagged[:20])
        notify(
            recipients=store_managers(store),
            store=store,
            level="warning",
            title=_("%(count)d walk-ins had no follow-up within %(hours)d hours")
            % {"count": len(flagged), "hours": hours},
            body=names,
            url="/showroom/visits/?unfollowed=1",
        )
    return len(flagged)


# --- Test drives -------------------------------------------------------------------------------


@transaction.atomic
def test_drive_record(
    *,
    actor: User,
    lead: Lead,
    vehicle: DemoVehicle,
    route: str,
    licence_checked: bool,
    vehicle_checked: bool,
    started_at: dt.datetime,
    ended_at: dt.datetime | None = None,
    feedback: str = "",
) -> TestDrive:
    """A test drive; it also counts as a follow-up of the lead (channel: test drive)."""
    errors = {}
    if not licence_checked:
        errors["licence_checked"] = [_("Check the customer's driving licence before the drive.")]
    if not vehicle_checked:
        errors["vehicle_checked"] = [_("Check the car's condition before the drive.")]
    if vehicle.store_id != lead.store_id or not vehicle.is_active:
        errors["vehicle"] = [_("Choose a demo car of this store that is in service.")]
    if ended_at is not None and ended_at < started_at:
        errors["ended_at"] = [_("The drive cannot end before it starts.")]
    if errors:
        raise ValidationError(errors)
    follow_up = lead_services.followup_log(
        actor=actor,
        lead=lead,
        channel=FollowUp.Channel.TEST_DRIVE,
        content=feedback.strip() or _("Test drive: %(route)s") % {"route": route},
        result=FollowUp.Result.CONTACTED,
    )
    drive = TestDrive.objects.create(
        store_id=lead.store_id,
        lead=lead,
        vehicle=vehicle,
        consultant=actor,
        route=route.strip(),
        licence_checked=True,
        vehicle_checked=True,
        started_at=started_at,
        ended_at=ended_at,
        feedback=feedback.strip(),
        follow_up=follow_up,
    )
    audit_record(actor=actor, action="test_drive.record", obj=drive, store=lead.store)
    return drive


# --- Orders and delivery -----------------------------------------------------------------------


def _next_order_number(store: Store) -> str:
    """SO + date + a running number per store and day, serialised on the store's settings row."""
    settings = ShowroomSettings.objects.select_for_update().get(pk=showroom_settings(store).pk)
    today = timezone.localdate()
    prefix = f"{settings.order_prefix}{today:%Y%m%d}"
    last = (
        Order.objects.filter(store=store, number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{sequence:04d}"


def _is_dcc_seller(store: Store, user: User) -> bool:
    roles = user.roles_in(store)
    return "dcc_agent" in roles and "consultant" not in roles


@transaction.atomic
def order_create(
    *,
    actor: User,
    lead: Lead,
    trim: Trim,
    price: Decimal,
    vin: str = "",
    colour: str = "",
    discount: Decimal = Decimal(0),
    deposit: Decimal = Decimal(0),
    payment: str = Order.Payment.FULL,
    trade_in: str = "",
    expected_delivery: dt.date | None = None,
) -> Order:
    """A draft order for a lead; sales by DCC agents count as DCC sales (单列)."""
    if not actor.has_store_perm(lead.store_id, "showroom.sell"):
        raise ValidationError(_("You may not place orders."), code="forbidden")
    if lead.status not in (LeadStatus.NEW, LeadStatus.FOLLOWING, LeadStatus.INVITED, LeadStatus.VISITED):
        raise ValidationError(
            _("A lead that is “%(status)s” cannot take a new order.") % {"status": lead.get_status_display()},
            code="closed",
        )
    errors = {}
    vin = normalize_vin(vin) if vin else ""
    if vin:
        try:
            validate_vin(vin)
        except ValidationError as exc:
            errors["vin"] = exc.messages
        else:
            taken = vin_in_use(lead.store, vin)
            if taken is not None:
                errors["vin"] = [_("This car is already on order %(number)s.") % {"number": taken.number}]
    if price is None or price <= 0:
        errors["price"] = [_("Enter the price.")]
    elif discount > price:
        errors["discount"] = [_("The discount cannot exceed the price.")]
    if deposit < 0:
        errors["deposit"] = [_("The deposit cannot be negative.")]
    if errors:
        raise ValidationError(errors)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    store_id=lead.store_id,
                    number=_next_order_number(lead.store),
                    lead=lead,
                    customer=lead.customer,
                    seller=actor,
                    is_dcc_sale=_is_dcc_seller(lead.store, actor),
                    trim=trim,
                    vin=vin,
                    colour=colour.strip(),
                    price=price,
                    discount=discount,
                    deposit=deposit,
                    payment=payment,
                    trade_in=trade_in.strip(),
                    expected_delivery=expected_delivery,
                )
            break
        except IntegrityError:
            continue
    else:
        raise ValidationError(_("Could not number the order; please try again."), code="number")
    audit_record(
        actor=actor,
        action="order.create",
        obj=order,
        store=lead.store,
        changes={"trim": str(trim), "price": str(price)},
    )
    return order


@transaction.atomic
def order_confirm(*, actor: User, order: Order) -> Order:
    """Confirm a draft: the lead is ordered (grade O) and its open tasks close.

    An order confirmed on the day of the lead's first visit is a first-visit deal (首洽成交).
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != Order.Status.DRAFT:
        raise ValidationError(_("Only a draft order can be confirmed."), code="invalid_transition")
    now = timezone.now()
    lead = order.lead
    order.status = Order.Status.CONFIRMED
    order.confirmed_at = now
    order.is_first_visit_deal = bool(
        lead.first_visit_at and timezone.localtime(lead.first_visit_at).date() == timezone.localtime(now).date()
    )
    order.save(update_fields=["status", "confirmed_at", "is_first_visit_deal"])
    lead_services.lead_mark_ordered(actor=actor, lead=lead)
    audit_record(actor=actor, action="order.confirm", obj=order, store=order.store)
    return order


@transaction.atomic
def order_cancel(*, actor: User, order: Order, reason: str) -> Order:
    """Cancel with a reason; a confirmed order's lead goes back to being followed."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for the cancellation.")]}, code="required")
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in (Order.Status.DRAFT, Order.Status.CONFIRMED):
        raise ValidationError(_("A delivered or cancelled order cannot be cancelled."), code="invalid_transition")
    was_confirmed = order.status == Order.Status.CONFIRMED
    order.status = Order.Status.CANCELLED
    order.cancel_reason = reason.strip()
    order.cancelled_at = timezone.now()
    order.save(update_fields=["status", "cancel_reason", "cancelled_at"])
    if was_confirmed:
        lead_services.lead_order_cancelled(actor=actor, lead=order.lead, reason=reason)
    audit_record(actor=actor, action="order.cancel", obj=order, store=order.store, changes={"reason": reason})
    return order


@transaction.atomic
def order_deliver(*, actor: User, order: Order, vin: str, at: dt.datetime | None = None) -> Order:
    """Hand the car over (交车) with its VIN; the lead is delivered and customer service starts the
    callback ladder (through the ``order_delivered`` signal)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != Order.Status.CONFIRMED:
        raise ValidationError(_("Only a confirmed order can be delivered."), code="invalid_transition")
    vin = normalize_vin(vin)
    try:
        validate_vin(vin)
    except ValidationError as exc:
        raise ValidationError({"vin": exc.messages})
    if order.vin and order.vin != vin:
        raise ValidationError(
            {"vin": [_("The order is for VIN %(vin)s; check the car being handed over.") % {"vin": order.vin}]},
            code="vin_mismatch",
        )
    taken = vin_in_use(order.store, vin, exclude_order_id=order.pk)
    if taken is not None:
        raise ValidationError(
            {"vin": [_("This car is already on order %(number)s.") % {"number": taken.number}]}, code="vin_taken"
        )
    at = at or timezone.now()
    order.status = Order.Status.DELIVERED
    order.delivered_at = at
    order.delivered_vin = vin
    if not order.vin:
        order.vin = vin
    order.save(update_fields=["status", "delivered_at", "delivered_vin", "vin"])
    lead_services.lead_mark_delivered(actor=actor, lead=order.lead)
    audit_record(actor=actor, action="order.deliver", obj=order, store=order.store, changes={"vin": vin})
    transaction.on_commit(lambda: signals.order_delivered.send(sender=Order, order=order, actor=actor))
    return order


def customer_for_walk_in_buyer(
    *, actor: User, store: Store, name: str, phone: str, **fields: Any
) -> tuple[Customer, Lead]:
    """A buyer who orders on the spot: find or create the customer and an open lead to order on."""
    customer = lead_services.customer_find_by_phone(store, phone)
    if customer is None:
        customer = lead_services.customer_create(
            actor=actor, store=store, name=name, phone=normalize_phone(phone), **fields
        )
    elif fields or name:
        lead_services.customer_update(actor=actor, customer=customer, name=name or customer.name, **fields)
    lead, _created = lead_services.lead_create(
        actor=actor, customer=customer, owner=actor, source=Source.objects.get(code="walk_in")
    )
    return customer, lead


# --- Demo cars, settings, merged customers -----------------------------------------------------

DEMO_VEHICLE_FIELDS = {"trim", "plate", "vin", "is_active"}


@transaction.atomic
def demo_vehicle_save(*, actor: User, store: Store, vehicle: DemoVehicle | None = None, **fields: Any) -> DemoVehicle:
    """Add a demo car to the store or edit one (taking it out of service keeps its test drives)."""
    if not actor.has_store_perm(store.pk, "showroom.manage_demo_cars"):
        raise ValidationError(_("You may not manage demo cars."), code="forbidden")
    unknown = set(fields) - DEMO_VEHICLE_FIELDS
    if unknown:
        raise TypeError(f"Unknown demo vehicle fields: {sorted(unknown)}")
    if "vin" in fields:
        fields["vin"] = normalize_vin(fields["vin"])
        try:
            validate_vin(fields["vin"])
        except ValidationError as exc:
            raise ValidationError({"vin": exc.messages})
    if "plate" in fields:
        fields["plate"] = fields["plate"].strip().upper()
        clash = DemoVehicle.objects.filter(store=store, plate=fields["plate"])
        if vehicle is not None:
            clash = clash.exclude(pk=vehicle.pk)
        if clash.exists():
            raise ValidationError({"plate": [_("Another demo car of this store has this plate.")]}, code="duplicate")
    if vehicle is None:
        vehicle = DemoVehicle.objects.create(store=store, **fields)
        audit_record(actor=actor, action="demo_vehicle.create", obj=vehicle, store=store)
        return vehicle
    if vehicle.store_id != store.pk:
        raise ValidationError(_("This demo car belongs to another store."), code="forbidden")
    update_with_audit(actor=actor, obj=vehicle, fields=fields, action="demo_vehicle.update", store=store)
    return vehicle


SETTINGS_FIELDS = {"timely_minutes", "cross_check_hours", "order_prefix"}


@transaction.atomic
def showroom_settings_update(*, actor: User, store: Store, **fields: Any) -> ShowroomSettings:
    """The desk's rules of a store: timeliness, the cross-check window, the order number prefix."""
    if not actor.has_store_perm(store.pk, "showroom.manage_demo_cars"):
        raise ValidationError(_("You may not change the showroom settings."), code="forbidden")
    unknown = set(fields) - SETTINGS_FIELDS
    if unknown:
        raise TypeError(f"Unknown showroom settings: {sorted(unknown)}")
    settings = ShowroomSettings.objects.select_for_update().get(pk=showroom_settings(store).pk)
    update_with_audit(actor=actor, obj=settings, fields=fields, action="showroom.settings", store=store)
    return settings


@transaction.atomic
def visits_follow_merged_customers(
    *, survivor: Customer, absorbed: list[Customer], lead_map: dict[int, int], actor: User | None = None
) -> int:
    """After a merge of customers (``leads.signals.customers_merged``) the showroom's rows follow:
    visits and orders of the absorbed customers, and visits and test drives of merged leads."""
    absorbed_ids = [c.pk for c in absorbed]
    moved = Visit.objects.filter(customer_id__in=absorbed_ids).update(customer=survivor)
    Order.objects.filter(customer_id__in=absorbed_ids).update(customer=survivor)
    for old_id, kept_id in lead_map.items():
        moved += Visit.objects.filter(lead_id=old_id).update(lead_id=kept_id)
        TestDrive.objects.filter(lead_id=old_id).update(lead_id=kept_id)
    # ``is_first_visit`` stays as registered: the day's figures were right for what the desk knew.
    return moved
