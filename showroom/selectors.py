"""Reads of the showroom: the rotation queue, the live board, the info clerk's figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.dates import day_range
from accounts.models import Store
from leads.models import Customer, Lead

from .models import DemoVehicle, Order, RotationEntry, ShowroomSettings, TestDrive, Visit


def showroom_settings(store: Store) -> ShowroomSettings:
    settings, _ = ShowroomSettings.objects.get_or_create(store=store)
    return settings


def rotation_queue(store: Store) -> list[RotationEntry]:
    """Available consultants in the order they receive the next party: a manager's override first,
    then whoever received a customer longest ago (never first)."""
    entries = RotationEntry.objects.filter(
        store=store, state=RotationEntry.State.AVAILABLE, consultant__is_active=True
    ).select_related("consultant")
    return sorted(
        entries,
        key=lambda e: (
            e.priority,
            e.last_assigned_at is not None,
            e.last_assigned_at or dt.datetime.min.replace(tzinfo=dt.UTC),
            e.pk,
        ),
    )


def ratio(numerator: int, denominator: int) -> float | None:
    """A rate, or None when there is nothing to divide by (shown as "—")."""
    return numerator / denominator if denominator else None


@dataclass
class DayFigures:
    visits: int
    first_visits: int
    first_visit_no_deal: int
    retained: int
    retention_rate: float | None
    test_drives: int
    orders: int
    parties_in_store: int


def orders_on_day(store: Store, day: dt.date):
    start, end = day_range(day)
    return Order.objects.filter(store=store, confirmed_at__gte=start, confirmed_at__lt=end).exclude(
        status=Order.Status.CANCELLED
    )


def day_figures(store: Store, day: dt.date) -> DayFigures:
    """The board's totals for one day, with DESIGN.md's definitions:
    first-visit no-deal parties = first visits of the day whose lead placed no order that day;
    retention rate = those among them with a valid phone filed ÷ first-visit no-deal parties."""
    start, end = day_range(day)
    visits = Visit.objects.filter(store=store, arrived_at__gte=start, arrived_at__lt=end)
    ordered_that_day = Order.objects.filter(
        lead=OuterRef("lead"), confirmed_at__gte=start, confirmed_at__lt=end
    ).exclude(status=Order.Status.CANCELLED)
    first_no_deal = visits.filter(is_first_visit=True).exclude(Exists(ordered_that_day) & Q(lead__isnull=False))
    totals = visits.aggregate(
        visits=Count("id"),
        first_visits=Count("id", filter=Q(is_first_visit=True)),
        in_store=Count("id", filter=Q(departed_at__isnull=True)),
        test_drive_flags=Count("id", filter=Q(test_drive=True)),
    )
    no_deal = first_no_deal.aggregate(n=Count("id"), filed=Count("id", filter=Q(filed=True)))
    drives = TestDrive.objects.filter(store=store, started_at__gte=start, started_at__lt=end).count()
    return DayFigures(
        visits=totals["visits"],
        first_visits=totals["first_visits"],
        first_visit_no_deal=no_deal["n"],
        retained=no_deal["filed"],
        retention_rate=ratio(no_deal["filed"], no_deal["n"]),
        test_drives=max(drives, totals["test_drive_flags"]),
        orders=orders_on_day(store, day).count(),
        parties_in_store=totals["in_store"],
    )


def parties_in_store(store: Store):
    start, _end = day_range(timezone.localdate())
    return (
        Visit.objects.filter(store=store, departed_at__isnull=True, arrived_at__gte=start - dt.timedelta(days=1))
        .select_related("consultant", "lead", "customer")
        .order_by("arrived_at")
    )


def grade_counts_today(store: Store) -> dict[str, int]:
    start, end = day_range(timezone.localdate())
    rows = (
        Lead.objects.filter(visits__store=store, visits__arrived_at__gte=start, visits__arrived_at__lt=end)
        .values("grade")
        .annotate(n=Count("id", distinct=True))
    )
    return {row["grade"]: row["n"] for row in rows}


@dataclass
class ClerkDay:
    clerk_id: int
    clerk: str
    day: dt.date
    registrations: int
    leads_captured: int
    accurate: int
    timely: int

    @property
    def accuracy(self) -> float | None:
        return ratio(self.accurate, self.registrations)

    @property
    def timeliness(self) -> float | None:
        return ratio(self.timely, self.registrations)


def clerk_figures(store: Store, first: dt.date, last: dt.date) -> list[ClerkDay]:
    """The info clerk's figures per clerk per day: registrations, leads captured (leads the clerk
    created), accuracy (share never corrected) and timeliness (share entered within the store's
    minutes of arrival)."""
    start, end = day_range(first, last)
    minutes = showroom_settings(store).timely_minutes
    rows: dict[tuple[int, dt.date], ClerkDay] = {}
    visits = Visit.objects.filter(store=store, arrived_at__gte=start, arrived_at__lt=end).select_related(
        "registered_by"
    )
    for visit in visits.only(
        "arrived_at", "registered_at", "corrected_at", "registered_by__full_name", "registered_by__username"
    ):
        day = timezone.localtime(visit.arrived_at).date()
        key = (visit.registered_by_id, day)
        row = rows.setdefault(key, ClerkDay(visit.registered_by_id, str(visit.registered_by), day, 0, 0, 0, 0))
        row.registrations += 1
        row.accurate += visit.corrected_at is None
        row.timely += (visit.registered_at - visit.arrived_at) <= dt.timedelta(minutes=minutes)
    leads = Lead.objects.filter(
        store=store, created_at__gte=start, created_at__lt=end, created_by__in={k[0] for k in rows}
    )
    names = {clerk_id: row.clerk for (clerk_id, _day), row in rows.items()}
    for lead in leads.only("created_at", "created_by_id"):
        key = (lead.created_by_id, timezone.localtime(lead.created_at).date())
        # A day of phone-in leads only (no visit registered) still counts for the clerk.
        row = rows.setdefault(key, ClerkDay(key[0], names[key[0]], key[1], 0, 0, 0, 0))
        row.leads_captured += 1
    return sorted(rows.values(), key=lambda r: (r.day, r.clerk))


# --- Scoping: which visits, orders and test drives a user sees ------------------------------------
# The brief's rule, in one place for pages, API and export: store-wide with ``showroom.view_visits``
# or ``leads.view_all``; otherwise only one's own. Orders are also store-wide for the read-only
# roles that hold ``showroom.view_orders`` without selling (gm, customer service).

STORE_WIDE = frozenset({"showroom.view_visits", "leads.view_all"})


def _scope(
    user, store: Store | None, *, any_of: set[str], own: Callable[[int], Q], sellers_only_own: bool = False
) -> Q:
    condition = Q(pk__in=[])
    if not user or not user.is_authenticated:
        return condition
    store_ids = [store.pk] if store is not None else user.store_ids()
    for store_id in store_ids:
        perms = user.perms_in(store_id)
        if not perms & any_of:
            continue
        store_wide = bool(perms & STORE_WIDE) or (sellers_only_own and "leads.own" not in perms)
        condition |= Q(store_id=store_id) if store_wide else Q(store_id=store_id) & own(user.pk)
    return condition


def visits_visible_to(user, store: Store | None = None) -> QuerySet[Visit]:
    """Visits of ``store`` (or of every store of the user) the user may see: the store's register
    for the desk and managers, the parties they received for consultants."""
    return Visit.objects.filter(
        _scope(
            user,
            store,
            any_of={"showroom.view_board", "showroom.view_visits"},
            own=lambda pk: Q(consultant_id=pk),
        )
    )


def orders_visible_to(user, store: Store | None = None) -> QuerySet[Order]:
    """Orders the user may see: their own sales and orders on leads they own, or the store's."""
    return Order.objects.filter(
        _scope(
            user,
            store,
            any_of={"showroom.view_orders"},
            own=lambda pk: Q(seller_id=pk) | Q(lead__owner_id=pk),
            sellers_only_own=True,
        )
    )


def drives_visible_to(user, store: Store | None = None) -> QuerySet[TestDrive]:
    return TestDrive.objects.filter(
        _scope(
            user,
            store,
            any_of={"showroom.test_drive", "showroom.view_visits", "leads.view_all"},
            own=lambda pk: Q(consultant_id=pk) | Q(lead__owner_id=pk),
        )
    )


# --- The desk's phone look-up ----------------------------------------------------------------------


def next_receiver(store: Store):
    """Who receives the next party without an owner: the head of the rotation, or nobody."""
    queue = rotation_queue(store)
    return queue[0].consultant if queue else None


@dataclass
class VisitorLookup:
    """What the desk learns while typing a phone number (before the visit is registered)."""

    phone: str
    customer: Customer | None = None
    lead: Lead | None = None
    last_visit: Visit | None = None
    is_first_visit: bool = True
    receiver: object = None
    receiver_is_owner: bool = False


def visitor_lookup(store: Store, phone: str) -> VisitorLookup:
    """The customer with this (normalised) number, their open lead and last visit, and who will
    receive them — the same decisions ``visit_register`` makes."""
    result = VisitorLookup(phone=phone)
    customer = Customer.objects.filter(store=store, phone=phone, merged_into__isnull=True).first() if phone else None
    if customer is not None:
        result.customer = customer
        result.lead = customer.leads.open().select_related("owner").first()
        result.last_visit = (
            Visit.objects.filter(customer=customer).select_related("consultant").order_by("-arrived_at").first()
        )
        result.is_first_visit = result.last_visit is None
        owner = result.lead.owner if result.lead else None
        if owner is not None and owner.is_active:
            result.receiver, result.receiver_is_owner = owner, True
    if result.receiver is None:
        result.receiver = next_receiver(store)
    return result


def rotation_board(store: Store, consultants) -> list[dict]:
    """Every consultant of the store with their rotation state and place in the queue (None when
    not available), in queue order first; one query for the entries."""
    entries = {e.consultant_id: e for e in RotationEntry.objects.filter(store=store)}
    queue = rotation_queue(store)
    place = {e.consultant_id: index for index, e in enumerate(queue, start=1)}
    rows = []
    for consultant in consultants:
        entry = entries.get(consultant.pk)
        rows.append(
            {
                "consultant": consultant,
                "state": entry.state if entry else RotationEntry.State.AWAY,
                "since": entry.state_changed_at if entry else None,
                "last_assigned_at": entry.last_assigned_at if entry else None,
                "place": place.get(consultant.pk),
                "overridden": bool(entry and entry.priority < 0),
            }
        )
    rows.sort(key=lambda r: (r["place"] is None, r["place"] or 0, r["consultant"].display_name))
    return rows


def known_vin_trim(store: Store, vin: str):
    """The trim of a car the store already knows by its VIN (a demo car or an earlier order), or None."""
    if not vin:
        return None
    vehicle = DemoVehicle.objects.filter(store=store, vin=vin).select_related("trim").first()
    if vehicle is not None:
        return vehicle.trim
    order = Order.objects.filter(store=store, vin=vin).select_related("trim").order_by("-created_at").first()
    return order.trim if order else None


def vin_in_use(store: Store, vin: str, exclude_order_id: int | None = None) -> Order | None:
    """A live (not cancelled) order of the store for this car, other than ``exclude_order_id``."""
    if not vin:
        return None
    orders = Order.objects.filter(store=store).exclude(status=Order.Status.CANCELLED)
    orders = orders.filter(Q(vin=vin) | Q(delivered_vin=vin))
    if exclude_order_id is not None:
        orders = orders.exclude(pk=exclude_order_id)
    return orders.first()


# --- Customer timeline (registered in ShowroomConfig.ready) ----------------------------------------


def customer_timeline_entries(customer: Customer) -> list:
    """Visits, test drives and orders of a customer for the customer page's timeline (3 queries)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from leads.selectors import TimelineEntry

    entries = []
    for visit in Visit.objects.filter(customer=customer).select_related("consultant"):
        kind = _("First visit") if visit.is_first_visit else _("Return visit")
        detail = _("Party of %(size)d, received by %(consultant)s") % {
            "size": visit.party_size,
            "consultant": visit.consultant or "—",
        }
        if visit.stay_minutes is not None:
            detail += " · " + _("stayed %(minutes)d min") % {"minutes": visit.stay_minutes}
        if visit.note:
            detail += " · " + visit.note
        entries.append(TimelineEntry(visit.arrived_at, "visit", kind, detail, "", visit.lead_id))
    drives = TestDrive.objects.filter(lead__customer=customer).select_related("vehicle__trim__model__series__brand")
    for drive in drives.select_related("consultant"):
        entries.append(
            TimelineEntry(
                drive.started_at,
                "test_drive",
                _("Test drive: %(car)s") % {"car": drive.vehicle},
                drive.feedback or drive.route,
                str(drive.consultant),
                drive.lead_id,
            )
        )
    for order in Order.objects.filter(customer=customer).select_related("seller", "trim__model__series__brand"):
        entries.append(
            TimelineEntry(
                order.created_at,
                "order",
                _("Order %(number)s: %(status)s") % {"number": order.number, "status": order.get_status_display()},
                str(order.trim),
                str(order.seller),
                order.lead_id,
                reverse("showroom:order_detail", args=[order.pk]),
            )
        )
    return entries


def visitor_phone(user, visit: Visit) -> str:
    """The visit's number as ``user`` may see it: in full for the lead's owner and users allowed to
    see numbers, 138****1234 for everyone else (needs ``visit.lead`` loaded, no query)."""
    from leads.phones import mask_phone
    from leads.selectors import can_see_full_phone

    if not visit.phone:
        return ""
    if user.can_see_full_phone or (visit.lead is not None and can_see_full_phone(user, visit.lead)):
        return visit.phone
    return mask_phone(visit.phone)


# What the board shows of each party, read as plain values (no model instances).
BOARD_PARTY_FIELDS = (
    "id",
    "arrived_at",
    "visitor_name",
    "phone",
    "party_size",
    "is_first_visit",
    "filed",
    "lead_id",
    "lead__grade",
    "lead__owner_id",
    "consultant_id",
    "consultant__full_name",
    "consultant__username",
)


def board_parties(store: Store, *, user, now: dt.datetime) -> list[dict]:
    """``parties_in_store`` as rows, in one light query whatever the traffic, with what the board
    shows worked out once: the stay so far in minutes, the local arrival time, the consultant's
    name and the number as ``user`` may see it (the rule of ``visitor_phone``)."""
    from leads.phones import mask_phone

    current_tz = timezone.get_current_timezone()
    rows = list(parties_in_store(store).values(*BOARD_PARTY_FIELDS))
    for row in rows:
        phone = row["phone"]
        full = user.can_see_full_phone or (row["lead_id"] is not None and row["lead__owner_id"] == user.pk)
        row.update(
            pk=row["id"],
            key=str(row["id"]),  # numbers placed as text: no localisation per number in the template
            size=str(row["party_size"]),
            arrived=row["arrived_at"].astimezone(current_tz).strftime("%H:%M"),
            elapsed=max(int((now - row["arrived_at"]).total_seconds() // 60), 0),
            visitor=row["visitor_name"] or "—",
            consultant=row["consultant__full_name"] or row["consultant__username"] or "—",
            phone_display=phone if full or not phone else mask_phone(phone),
        )
    return rows


def lead_page_actions(request, lead) -> list:
    """ "New order" and "Test drive" buttons on the customer page of a lead being worked."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from leads.selectors import LeadAction

    actions = []
    if "showroom.sell" in request.perms:
        actions.append(LeadAction("order", _("New order"), f"{reverse('showroom:order_create')}?lead={lead.pk}"))
    if "showroom.test_drive" in request.perms:
        actions.append(
            LeadAction("test-drive", _("Test drive"), f"{reverse('showroom:test_drive_create')}?lead={lead.pk}")
        )
    return actions
