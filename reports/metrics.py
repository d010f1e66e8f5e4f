"""The metric definitions of DESIGN.md, once, as querysets narrowed by a ``ReportQuery``.

Every report and the dashboard count through these functions, so "leads captured" or "orders"
means the same everywhere: merged leads are not captured (their survivor is), cancelled orders are
not orders, invalid leads are kept apart from lost ones, days are Beijing days.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from leads.models import (
    WORKING_STATUSES,
    Appointment,
    FollowUp,
    Lead,
    LeadStatus,
    LostReason,
    LostRequest,
    Source,
    Task,
)
from showroom.models import Order, TestDrive, Visit

from .query import ReportQuery


def captured(q: ReportQuery, prefix: str = "") -> Q:
    """A lead captured (集客量): created in the period, not a merged duplicate. ``prefix`` reaches
    the lead from another model (``"lead__"``)."""
    return (
        q.between(f"{prefix}created_at")
        & q.people(f"{prefix}store_id", f"{prefix}owner_id")
        & q.sources(f"{prefix}source_id")
        & q.series(f"{prefix}series_id")
        & ~Q(**{f"{prefix}status": LeadStatus.MERGED})
    )


def captured_leads(q: ReportQuery) -> QuerySet[Lead]:
    """Leads captured (集客量): leads created in the period, merged duplicates excluded."""
    return Lead.objects.filter(captured(q))


def orders(q: ReportQuery) -> QuerySet[Order]:
    """Orders placed (confirmed) in the period and not cancelled."""
    return (
        Order.objects.filter(q.between("confirmed_at"), q.people("store_id", "seller_id"), q.sources("lead__source_id"))
        .filter(q.series("trim__model__series_id"))
        .exclude(status=Order.Status.CANCELLED)
    )


def deliveries(q: ReportQuery) -> QuerySet[Order]:
    return Order.objects.filter(
        q.between("delivered_at"),
        q.people("store_id", "seller_id"),
        q.sources("lead__source_id"),
        status=Order.Status.DELIVERED,
    ).filter(q.series("trim__model__series_id"))


def visits(q: ReportQuery) -> QuerySet[Visit]:
    """Showroom visits (parties) that arrived in the period."""
    return Visit.objects.filter(
        q.between("arrived_at"), q.people("store_id", "consultant_id"), q.sources("source_id")
    ).filter(q.series("series_id"))


def first_visit_deal_exists() -> Exists:
    return Exists(
        Order.objects.filter(lead_id=OuterRef("lead_id"), is_first_visit_deal=True).exclude(
            status=Order.Status.CANCELLED
        )
    )


def first_visits_no_deal(q: ReportQuery) -> QuerySet[Visit]:
    """首洽未成交批次: first visits in the period with no order on that day."""
    return visits(q).filter(is_first_visit=True).exclude(first_visit_deal_exists())


def follow_ups(q: ReportQuery) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(
        q.between("created_at"), q.people("store_id", "author_id"), q.sources("lead__source_id")
    ).filter(q.series("lead__series_id"))


def invitations(q: ReportQuery) -> QuerySet[Appointment]:
    """Invitations made (appointments created) in the period, by who made them."""
    return Appointment.objects.filter(
        q.between("created_at"), q.people("store_id", "created_by_id"), q.sources("lead__source_id")
    ).filter(q.series("lead__series_id"))


def appointments_due(q: ReportQuery) -> QuerySet[Appointment]:
    """Appointments scheduled in the period (cancelled ones were called off, not missed)."""
    return (
        Appointment.objects.filter(
            q.between("scheduled_at"), q.people("store_id", "created_by_id"), q.sources("lead__source_id")
        )
        .filter(q.series("lead__series_id"))
        .exclude(status=Appointment.Status.CANCELLED)
    )


def arrived_on_the_day(appointments: QuerySet[Appointment]) -> int:
    """Of ``appointments``, those whose customer visited the store on the appointment day."""
    rows = list(appointments.values_list("pk", "lead__customer_id", "scheduled_at", "status", "store_id"))
    if not rows:
        return 0
    first = min(timezone.localtime(r[2]).date() for r in rows)
    last = max(timezone.localtime(r[2]).date() for r in rows)
    from accounts.dates import day_range

    start, end = day_range(first, last)
    days: dict[int, set[dt.date]] = defaultdict(set)
    for customer_id, arrived_at in Visit.objects.filter(
        store_id__in={r[4] for r in rows},
        customer_id__in={r[1] for r in rows},
        arrived_at__gte=start,
        arrived_at__lt=end,
    ).values_list("customer_id", "arrived_at"):
        days[customer_id].add(timezone.localtime(arrived_at).date())
    return sum(
        1
        for _pk, customer_id, scheduled_at, status, _store in rows
        if status == Appointment.Status.ARRIVED or timezone.localtime(scheduled_at).date() in days[customer_id]
    )


def test_drives(q: ReportQuery) -> QuerySet[TestDrive]:
    return TestDrive.objects.filter(
        q.between("started_at"), q.people("store_id", "consultant_id"), q.sources("lead__source_id")
    ).filter(q.series("lead__series_id"))


def closed_requests(q: ReportQuery, kind: str) -> QuerySet[LostRequest]:
    """Lost (or invalid) requests approved in the period, counted for the consultant who asked."""
    return LostRequest.objects.filter(
        q.between("decided_at"),
        q.people("store_id", "requested_by_id"),
        q.sources("lead__source_id"),
        kind=kind,
        status=LostRequest.Status.APPROVED,
    ).filter(q.series("lead__series_id"))


def lost(q: ReportQuery) -> QuerySet[LostRequest]:
    return closed_requests(q, LostReason.Kind.LOST)


def invalid(q: ReportQuery) -> QuerySet[LostRequest]:
    return closed_requests(q, LostReason.Kind.INVALID)


def tasks_due(q: ReportQuery) -> QuerySet[Task]:
    """Follow-up tasks due in the period and not cancelled."""
    return Task.objects.filter(
        q.people("store_id", "assignee_id"), due_date__gte=q.first, due_date__lte=q.last
    ).exclude(status=Task.Status.CANCELLED)


def on_time() -> Q:
    """A task done by the end of its due day (Beijing time)."""
    return Q(status=Task.Status.DONE, done_at__isnull=False) & Q(done_at__date__lte=F("due_date"))


def tasks_on_time(q: ReportQuery) -> QuerySet[Task]:
    """Of the tasks due, those done by the end of their due day (Beijing time)."""
    return tasks_due(q).filter(on_time())


def by_day_and_person(queryset: QuerySet, date_field: str, person_field: str) -> Counter:
    """Counts per (Beijing day, person id)."""
    counts: Counter = Counter()
    rows = (
        queryset.annotate(_day=TruncDate(date_field))
        .values("_day", person_field)
        .annotate(n=Count("pk"))
        .values_list("_day", person_field, "n")
        .order_by()
    )
    for day, person, n in rows:
        counts[(day, person)] += n
    return counts


def by_value(queryset: QuerySet, field: str) -> Counter:
    counts: Counter = Counter()
    for value, n in queryset.values(field).annotate(n=Count("pk")).values_list(field, "n").order_by():
        counts[value] += n
    return counts


# -- leads by what they are now (customer analysis, prospect progress) --------------------------------


def value_tier(prefix: str = "") -> Case:
    """The value tier of a lead as a database expression — the rule of ``Lead.value_tier``: high =
    visited the store; value = talked to the store without visiting (a source where the customer
    contacts the store, or a follow-up logged); general = no contact yet. ``prefix`` reaches the
    lead from another model (``"lead__"``)."""
    return Case(
        When(**{f"{prefix}first_visit_at__isnull": False}, then=Value("high")),
        When(
            Q(**{f"{prefix}source__category__in": Source.INTERACTED})
            | Q(**{f"{prefix}last_follow_up_at__isnull": False}),
            then=Value("value"),
        ),
        default=Value("general"),
        output_field=CharField(),
    )


def orders_of_captured(q: ReportQuery) -> QuerySet[Order]:
    """The orders, not cancelled, of the leads captured in the period, whenever they were placed."""
    # The order's own store narrows the scan; it is always its lead's.
    return Order.objects.filter(captured(q, "lead__"), store_id__in=q.store_ids).exclude(status=Order.Status.CANCELLED)


def prospect(q: ReportQuery, prefix: str = "") -> Q:
    """有望客户: a lead being worked now (new, following up, invited, visited) of the people the user
    may see, whatever the period; the source and series filters apply. ``prefix`` reaches the lead
    from a follow-up or an appointment (``"lead__"``)."""
    return (
        q.people(f"{prefix}store_id", f"{prefix}owner_id")
        & q.sources(f"{prefix}source_id")
        & q.series(f"{prefix}series_id")
        & Q(**{f"{prefix}status__in": WORKING_STATUSES})
    )


def open_prospects(q: ReportQuery) -> QuerySet[Lead]:
    return Lead.objects.filter(prospect(q))


def _any_period(q: ReportQuery, periods, field_name: str) -> Q:
    condition = Q(pk__in=[])
    for period in periods or [q]:
        condition |= period.between(field_name)
    return condition


def follow_ups_on_prospects(q: ReportQuery, periods: list[ReportQuery] | None = None) -> QuerySet[FollowUp]:
    """Follow-ups logged in the period on open prospects, whoever logged them (or in any of
    ``periods``, to count several periods in one pass)."""
    # The follow-up's own store narrows the scan; it is always its lead's.
    return FollowUp.objects.filter(
        _any_period(q, periods, "created_at"), prospect(q, "lead__"), store_id__in=q.store_ids
    )


def invitations_on_prospects(q: ReportQuery, periods: list[ReportQuery] | None = None) -> QuerySet[Appointment]:
    """Invitations made (appointments created) in the period on open prospects, whoever made them."""
    return Appointment.objects.filter(
        _any_period(q, periods, "created_at"), prospect(q, "lead__"), store_id__in=q.store_ids
    )


def valid_lead() -> Q:
    """A lead not closed as invalid, as a condition (to count valid leads beside all leads in one query)."""
    return ~Q(status=LeadStatus.INVALID)


def valid_leads(q: ReportQuery) -> QuerySet[Lead]:
    """Of the leads captured, those not closed as invalid (valid-lead rate = valid ÷ captured)."""
    return captured_leads(q).filter(valid_lead())


# -- the dashboard: the funnel's steps, DCC sales, customer service, the info clerks ----------------


def filed_lead() -> Q:
    """留档: the lead's customer left a phone number, as a condition (to count beside all leads)."""
    return ~Q(customer__phone="")


def filed_leads(q: ReportQuery) -> QuerySet[Lead]:
    """Of the leads captured, those whose customer left a phone number."""
    return captured_leads(q).filter(filed_lead())


def first_visit_deal() -> Q:
    """首洽成交: an order placed on the day of the lead's first visit (``Order.is_first_visit_deal``)."""
    return Q(is_first_visit_deal=True)


def first_visit_deals(q: ReportQuery) -> QuerySet[Order]:
    return orders(q).filter(first_visit_deal())


def follow_up_deals(q: ReportQuery) -> QuerySet[Order]:
    """跟踪回访成交: the other orders (closing rate = first-visit deals + follow-up deals ÷ leads)."""
    return orders(q).exclude(first_visit_deal())


def dcc_sale(store_ids: list[int] | None = None) -> Q:
    """A DCC-sourced order (单列), the DCC's rule (``dcc.selectors.dcc_orders``): sold by a DCC agent,
    or on a lead handed to the DCC or invited by it. Two EXISTS on the order's lead, so the database
    probes each order's lead instead of joining every lead of the group. ``store_ids``: the orders'
    stores, which are their leads' and their invitations' — the database may then hash those
    stores' DCC leads and invitations instead of reading every store's."""
    handed = Lead.objects.filter(pk=OuterRef("lead_id"), with_dcc=True)
    invited = Appointment.objects.filter(lead_id=OuterRef("lead_id"), origin=Appointment.Origin.DCC)
    if store_ids is not None:
        handed = handed.filter(store_id__in=store_ids)
        invited = invited.filter(store_id__in=store_ids)
    return Q(is_dcc_sale=True) | Exists(handed) | Exists(invited)


def dcc_orders(q: ReportQuery) -> QuerySet[Order]:
    return orders(q).filter(dcc_sale(q.store_ids))


def dcc_appointments_due(q: ReportQuery) -> QuerySet[Appointment]:
    """Appointments the DCC made, scheduled in the period (see ``appointments_due``)."""
    return appointments_due(q).filter(origin=Appointment.Origin.DCC)


def showroom_appointments_due(q: ReportQuery) -> QuerySet[Appointment]:
    """Appointments the showroom's staff made, scheduled in the period."""
    return appointments_due(q).exclude(origin=Appointment.Origin.DCC)


def complaints_registered(q: ReportQuery):
    """Complaints registered in the period (a complaint's person is the consultant handling it)."""
    from complaints.models import Complaint

    return Complaint.objects.filter(q.between("registered_at"), q.people("store_id", "handler_id"))


def complaints_handled_in_time(q: ReportQuery):
    """Of the complaints registered, those whose handled form came back by its due time
    (complaint SLA compliance = these ÷ complaints registered)."""
    return complaints_registered(q).filter(handled_at__isnull=False, handled_at__lte=F("due_at"))


def callbacks_due(q: ReportQuery):
    """Post-sale callbacks due in the period: the consultants' ladder and customer service's
    satisfaction callbacks (callback completion = done ÷ due)."""
    from complaints.models import Callback

    return Callback.objects.filter(q.people("store_id", "assignee_id"), due_date__gte=q.first, due_date__lte=q.last)


def callback_done() -> Q:
    """A callback that was made (on time or late), as a condition."""
    return Q(done_at__isnull=False)


def callbacks_done(q: ReportQuery):
    """Of the callbacks due, those done."""
    return callbacks_due(q).filter(callback_done())


def satisfaction_surveys(q: ReportQuery):
    """Satisfaction callbacks done in the period with a score: the SSI is their average score, as
    on the month's scorecard."""
    from complaints.models import Callback

    return Callback.objects.filter(
        q.between("done_at"),
        q.people("store_id", "assignee_id"),
        kind=Callback.Kind.SATISFACTION,
        score__isnull=False,
    )


def with_appointment_day(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """``appointments`` with their Beijing day, which ``arrived_on_the_day_condition`` compares to."""
    return appointments.annotate(_scheduled_day=TruncDate("scheduled_at"))


def arrived_on_the_day_condition() -> Q:
    """``arrived_on_the_day``'s rule as a condition on ``with_appointment_day`` rows: marked
    arrived, or the customer visited the store on the appointment's Beijing day."""
    # Through the lead's customer inside the subquery: the outer query then joins no lead at all.
    visited_that_day = (
        Visit.objects.filter(store_id=OuterRef("store_id"), customer__leads=OuterRef("lead_id"))
        .annotate(_day=TruncDate("arrived_at"))
        .filter(_day=OuterRef("_scheduled_day"))
    )
    return Q(status=Appointment.Status.ARRIVED) | Exists(visited_that_day)


def arrived_on_the_day_by_store(appointments: QuerySet[Appointment]) -> Counter:
    """``arrived_on_the_day`` per store, counted by the database."""
    return by_value(with_appointment_day(appointments).filter(arrived_on_the_day_condition()), "store_id")


def clerk_totals(q: ReportQuery) -> dict[tuple[int, int], dict]:
    """The info clerks' figures for the period per (store, clerk), by the rules of
    ``showroom.selectors.clerk_figures`` counted in the database: visits registered, accurate
    (never corrected), timely (entered within the store's minutes of arrival), and leads captured
    (created in the period by a clerk who registered visits in it). Clerks the user may see."""
    import datetime as dt

    from showroom.models import ShowroomSettings

    default = ShowroomSettings._meta.get_field("timely_minutes").default
    minutes = dict(ShowroomSettings.objects.filter(store_id__in=q.store_ids).values_list("store_id", "timely_minutes"))
    timely = Q(pk__in=[])
    for store_id in q.store_ids:
        limit = F("arrived_at") + dt.timedelta(minutes=minutes.get(store_id, default))
        timely |= Q(store_id=store_id, registered_at__lte=limit)
    scope = Q(pk__in=[])
    for store_id in q.store_ids:
        people = q.scope(store_id)
        scope |= Q(store_id=store_id) if people is None else Q(store_id=store_id, registered_by_id__in=people)
    rows = (
        Visit.objects.filter(q.between("arrived_at"), scope)
        .values("store_id", "registered_by_id")
        .annotate(
            registrations=Count("pk"),
            accurate=Count("pk", filter=Q(corrected_at__isnull=True)),
            timely=Count("pk", filter=timely),
        )
        .order_by()
    )
    found = {
        (row["store_id"], row["registered_by_id"]): {
            "registrations": row["registrations"],
            "accurate": row["accurate"],
            "timely": row["timely"],
            "leads_captured": 0,
        }
        for row in rows
    }
    leads = (
        Lead.objects.filter(q.between("created_at"), store_id__in=q.store_ids, created_by_id__in={k[1] for k in found})
        .values("store_id", "created_by_id")
        .annotate(n=Count("pk"))
        .values_list("store_id", "created_by_id", "n")
        .order_by()
    )
    for store_id, clerk_id, n in leads:
        if (store_id, clerk_id) in found:
            found[(store_id, clerk_id)]["leads_captured"] += n
    return found


# -- showroom traffic counted in one pass over the visits --------------------------------------------


def first_visit_deal_leads(q: ReportQuery) -> QuerySet[Order]:
    """Ids of the leads of the chosen stores with a first-visit deal (an order, not cancelled,
    marked as one): what ``first_visit_deal_exists`` looks for (a lead's orders are its store's),
    as a set the database hashes once, where a correlated EXISTS inside an aggregate is costed per row."""
    return (
        Order.objects.filter(store_id__in=q.store_ids, is_first_visit_deal=True)
        .exclude(status=Order.Status.CANCELLED)
        .values("lead_id")
    )


def first_visit_no_deal(q: ReportQuery) -> Q:
    """A visit that ``first_visits_no_deal`` counts, as a condition, to count it beside other
    figures in the same pass over the visits."""
    return Q(is_first_visit=True) & ~Q(lead_id__in=first_visit_deal_leads(q))
