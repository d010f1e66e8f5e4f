"""Reads for the DCC: who holds which DCC rights, agents and skills, call lists, the live queue, and
the figures kept for reports (calls per agent, connect rate, invitations and their arrival rate,
DCC-sourced orders and deliveries per month, first-call SLA compliance, campaign reach)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from accounts.dates import day_range
from accounts.models import Store, User
from accounts.selectors import store_users_with_perm, store_users_with_role
from leads.models import WORKING_STATUSES, Appointment, Customer, Lead, LeadStatus
from leads.selectors import TimelineEntry, lead_owners

from .defaults import DEFAULT_SCRIPT_NAME, DEFAULT_SCRIPT_STEPS
from .models import (
    CONNECTED_OUTCOMES,
    AgentProfile,
    Call,
    CallScript,
    CallScriptStep,
    CallTask,
    Campaign,
    DccSettings,
    Outcome,
    Rule,
)

WORK_CALLS = "dcc.work_calls"
MANAGE = "dcc.manage"
VIEW_FIGURES = "dcc.view_figures"
# In a version-2 store the sales manager holds the DCC manager's rights (DESIGN: roles).
DCC_MANAGER_PERMS = frozenset({WORK_CALLS, MANAGE, VIEW_FIGURES})


# --- Settings and rights ---------------------------------------------------------------------


def dcc_settings(store: Store | int) -> DccSettings:
    store_id = store if isinstance(store, int) else store.pk
    settings, _ = DccSettings.objects.get_or_create(store_id=store_id)
    return settings


def dcc_perms(user: User, store: Store | int | None) -> frozenset[str]:
    """The user's permissions in ``store`` plus, in a version-2 store, the DCC manager's for its
    sales managers."""
    if store is None or not user.is_authenticated:
        return frozenset()
    perms = frozenset(user.perms_in(store))
    store_id = store if isinstance(store, int) else store.pk
    if (
        "sales_manager" in user.roles_in(store)
        and not perms >= DCC_MANAGER_PERMS
        and DccSettings.objects.filter(store_id=store_id, version=2).exists()
    ):
        perms = perms | DCC_MANAGER_PERMS
    return perms


def has_dcc_perm(user: User, store: Store | int | None, code: str) -> bool:
    return user.is_active and code in dcc_perms(user, store)


def store_ids_with_dcc_perm(user: User, code: str) -> list[int]:
    """Stores where ``user`` holds the DCC permission ``code`` (version-2 sales managers included)."""
    if not user.is_authenticated:
        return []
    ids = set(user.store_ids_with_perm(code))
    if code in DCC_MANAGER_PERMS:
        managed = [store_id for store_id in user.store_ids() if "sales_manager" in user.roles_in(store_id)]
        if managed:
            ids |= set(DccSettings.objects.filter(store_id__in=managed, version=2).values_list("store_id", flat=True))
    return sorted(ids)


def dcc_managers(store: Store) -> list[User]:
    """Who hears about the call centre: DCC managers, and a version-2 store's sales managers."""
    people = {u.pk: u for u in store_users_with_perm(store, MANAGE)}
    if dcc_settings(store).version == 2:
        for user in store_users_with_role(store, "sales_manager"):
            people.setdefault(user.pk, user)
    return list(people.values())


# --- Agents ----------------------------------------------------------------------------------


def agent_users(store: Store) -> QuerySet[User]:
    """Active people holding the DCC agent role in the store."""
    return store_users_with_role(store, "dcc_agent")


def agent_profiles(store: Store) -> QuerySet[AgentProfile]:
    """A profile for every agent of the store (missing ones made with the version's default
    skills: outbound in version 1, all three in version 2)."""
    users = list(agent_users(store))
    have = set(AgentProfile.objects.filter(store=store).values_list("user_id", flat=True))
    missing = [u for u in users if u.pk not in have]
    if missing:
        all_skills = dcc_settings(store).version == 2
        AgentProfile.objects.bulk_create(
            [
                AgentProfile(
                    store=store,
                    user=u,
                    skill_inbound=all_skills,
                    skill_outbound=True,
                    skill_direct=all_skills,
                )
                for u in missing
            ],
            ignore_conflicts=True,
        )
    return (
        AgentProfile.objects.filter(store=store, user__in=[u.pk for u in users])
        .select_related("user")
        .order_by("user__full_name", "user__username")
    )


def agent_profile(store: Store, user: User) -> AgentProfile | None:
    """The user's agent profile in the store, or None when they are not a DCC agent there."""
    if "dcc_agent" not in user.roles_in(store):
        return None
    profile = AgentProfile.objects.filter(store=store, user=user).select_related("user").first()
    return profile or agent_profiles(store).filter(user=user).first()


def agents_with_skill(store: Store, skill: str, *, on_duty: bool = True) -> list[AgentProfile]:
    """Agents with ``skill`` ("IB", "OB", "direct"), on duty unless asked otherwise, in id order."""
    field_name = {"IB": "skill_inbound", "OB": "skill_outbound", "direct": "skill_direct"}[skill]
    profiles = agent_profiles(store).filter(**{field_name: True})
    if on_duty:
        profiles = profiles.filter(on_duty=True)
    return sorted(profiles, key=lambda p: p.user_id)


def user_has_skill(store: Store, user: User, skill: str) -> bool:
    profile = agent_profile(store, user)
    return profile is not None and skill in profile.skills


def receivers_for(store: Store) -> QuerySet[User]:
    """Who may receive an invited customer: the store's consultants and managers (who own leads),
    and DCC agents with the direct-sales skill."""
    direct = [p.user_id for p in agent_profiles(store).filter(skill_direct=True)]
    agents = [u.pk for u in agent_users(store)]
    return lead_owners(store).filter(Q(pk__in=direct) | ~Q(pk__in=agents)).order_by("full_name", "username")


# --- Scripts ---------------------------------------------------------------------------------


def script_for(store: Store) -> CallScript:
    """The store's invitation script; a store without one gets a copy of the default."""
    script = CallScript.objects.filter(store=store).first()
    if script is None:
        script, created = CallScript.objects.get_or_create(store=store, defaults={"name": DEFAULT_SCRIPT_NAME})
        if created:
            CallScriptStep.objects.bulk_create(
                CallScriptStep(script=script, position=i, title=title, guidance=guidance)
                for i, (title, guidance) in enumerate(DEFAULT_SCRIPT_STEPS, start=1)
            )
    return script


# --- Call lists ------------------------------------------------------------------------------


def live_task_condition() -> Q:
    """Open tasks still worth calling: the lead is worked (or lost, for reactivation) and the
    customer has not asked not to be disturbed."""
    return (Q(lead__status__in=WORKING_STATUSES) | Q(rule=Rule.REACTIVATION, lead__status=LeadStatus.LOST)) & Q(
        lead__customer__do_not_disturb=False
    )


def call_list(user: User, store: Store) -> QuerySet[CallTask]:
    """An agent's call list: their open tasks by priority, then due time."""
    return (
        CallTask.objects.filter(store=store, agent=user, status=CallTask.Status.OPEN)
        .filter(live_task_condition())
        .select_related("lead__customer", "lead__source", "lead__series")
        .order_by("priority", "due_at", "id")
    )


@dataclass
class CallListIndex:
    """An agent's list as task ids in call order, per tab, with the counts (what the page needs)."""

    due: list[int] = field(default_factory=list)
    later: list[int] = field(default_factory=list)
    everything: list[int] = field(default_factory=list)
    sla: int = 0

    def ids(self, tab: str) -> list[int]:
        return {"due": self.due, "later": self.later}.get(tab, self.everything)

    @property
    def counts(self) -> dict[str, int]:
        return {"due": len(self.due), "later": len(self.later), "all": len(self.everything), "sla": self.sla}


def call_list_index(user: User, store: Store, now: dt.datetime | None = None) -> CallListIndex:
    """The agent's live open tasks in call order, split into due now and later.

    Two plain queries instead of one join over the whole list: the open tasks straight from the
    agent's queue index, then the status of their leads by primary key. The page then loads only
    the tasks it shows. (The ``call_list`` queryset answers the same with joins, for the API.)
    """
    now = now or timezone.now()
    rows = list(
        CallTask.objects.filter(store=store, agent=user, status=CallTask.Status.OPEN)
        .order_by("priority", "due_at", "id")
        .values_list("id", "lead_id", "rule", "due_at", "sla_due_at", "first_call_at")
    )
    leads = {
        pk: (status, quiet)
        for pk, status, quiet in Lead.objects.filter(pk__in={r[1] for r in rows})
        .order_by()
        .values_list("pk", "status", "customer__do_not_disturb")
    }
    index = CallListIndex()
    for pk, lead_id, rule, due_at, sla_due_at, first_call_at in rows:
        status, quiet = leads.get(lead_id, ("", True))
        if quiet or not (status in WORKING_STATUSES or (rule == Rule.REACTIVATION and status == LeadStatus.LOST)):
            continue  # the same test as live_task_condition()
        index.everything.append(pk)
        (index.due if due_at <= now else index.later).append(pk)
        index.sla += sla_due_at is not None and first_call_at is None
    return index


def call_list_counts(user: User, store: Store, now: dt.datetime | None = None) -> dict[str, int]:
    """Due now, later and all of an agent's list, and how many await their first call in an SLA."""
    return call_list_index(user, store, now).counts


def tasks_visible_to(user: User, store: Store | None = None) -> QuerySet[CallTask]:
    """Call tasks the user may see: every task of stores they manage, their own elsewhere."""
    return _scoped(CallTask.objects.all(), user, store, own_field="agent")


def calls_visible_to(user: User, store: Store | None = None) -> QuerySet[Call]:
    return _scoped(Call.objects.all(), user, store, own_field="agent")


def campaigns_visible_to(user: User, store: Store | None = None) -> QuerySet[Campaign]:
    managed = store_ids_with_dcc_perm(user, MANAGE)
    if store is not None:
        managed = [s for s in managed if s == store.pk]
    return Campaign.objects.filter(store_id__in=managed)


def _scoped(qs: QuerySet, user: User, store: Store | None, *, own_field: str) -> QuerySet:
    if not user.is_authenticated:
        return qs.none()
    managed = set(store_ids_with_dcc_perm(user, MANAGE))
    working = set(store_ids_with_dcc_perm(user, WORK_CALLS))
    if store is not None:
        managed &= {store.pk}
        working &= {store.pk}
    condition = Q(store_id__in=managed) | Q(store_id__in=working - managed, **{own_field: user})
    return qs.filter(condition)


@dataclass
class AgentQueue:
    profile: AgentProfile | None
    user: User | None
    open: int = 0
    due: int = 0
    past_sla: int = 0
    calls_today: int = 0
    invited_today: int = 0


def queue_overview(store: Store, now: dt.datetime | None = None) -> tuple[list[AgentQueue], AgentQueue]:
    """The live view: each agent's open tasks, due now, past SLA and today's calls; plus the
    unassigned queue."""
    now = now or timezone.now()
    profiles = list(agent_profiles(store))
    rows = {p.user_id: AgentQueue(profile=p, user=p.user) for p in profiles}
    unassigned = AgentQueue(profile=None, user=None)
    tasks = (
        CallTask.objects.filter(store=store, status=CallTask.Status.OPEN)
        .filter(live_task_condition())
        .values("agent_id")
        .annotate(
            n=Count("id"),
            due=Count("id", filter=Q(due_at__lte=now)),
            past_sla=Count("id", filter=Q(sla_due_at__lt=now, first_call_at__isnull=True)),
        )
    )
    for row in tasks:
        target = rows.get(row["agent_id"]) if row["agent_id"] else unassigned
        if target is None:  # a former agent still holding tasks
            user = User.objects.filter(pk=row["agent_id"]).first()
            target = rows[row["agent_id"]] = AgentQueue(profile=None, user=user)
        target.open, target.due, target.past_sla = row["n"], row["due"], row["past_sla"]
    start, end = day_range(timezone.localdate(now))
    for row in (
        Call.objects.filter(store=store, started_at__gte=start, started_at__lt=end)
        .values("agent_id")
        .annotate(n=Count("id"), invited=Count("id", filter=Q(outcome=Outcome.INVITED)))
    ):
        target = rows.get(row["agent_id"])
        if target is not None:
            target.calls_today, target.invited_today = row["n"], row["invited"]
    return list(rows.values()), unassigned


def tasks_past_sla(store: Store, now: dt.datetime | None = None) -> QuerySet[CallTask]:
    now = now or timezone.now()
    return (
        CallTask.objects.filter(
            store=store, status=CallTask.Status.OPEN, first_call_at__isnull=True, sla_due_at__lt=now
        )
        .filter(live_task_condition())
        .select_related("lead__customer", "agent")
        .order_by("sla_due_at")
    )


def dcc_invitations(store: Store) -> QuerySet[Appointment]:
    """Appointments the DCC made, newest first."""
    return (
        Appointment.objects.filter(store=store, origin=Appointment.Origin.DCC)
        .select_related("lead__customer", "receiver", "created_by")
        .order_by("-scheduled_at", "-id")
    )


# --- The customer page: calls in the timeline ------------------------------------------------


def customer_call_entries(customer: Customer) -> list[TimelineEntry]:
    from django.utils.translation import gettext as _

    entries = []
    for call in Call.objects.filter(lead__customer=customer).select_related("agent").order_by("-started_at")[:200]:
        title = _("DCC call (%(direction)s): %(outcome)s") % {
            "direction": call.get_direction_display(),
            "outcome": call.get_outcome_display(),
        }
        entries.append(TimelineEntry(call.started_at, "dcc_call", title, call.note, str(call.agent), call.lead_id))
    return entries


# --- Figures kept for reports ----------------------------------------------------------------


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class AgentFigures:
    agent: User
    calls: int = 0
    outbound: int = 0
    inbound: int = 0
    connected: int = 0
    invitations: int = 0
    talk_seconds: int = 0

    @property
    def connect_rate(self) -> float | None:
        return ratio(self.connected, self.calls)


def calls_per_agent(store: Store, first: dt.date, last: dt.date) -> list[AgentFigures]:
    """Calls per agent in [first, last]: all, outbound, inbound, connected (the customer was
    reached), invitations, talk time (when the telephony hook gave durations)."""
    start, end = day_range(first, last)
    rows = (
        Call.objects.filter(store=store, started_at__gte=start, started_at__lt=end)
        .values("agent_id")
        .annotate(
            calls=Count("id"),
            outbound=Count("id", filter=Q(direction=Call.Direction.OUTBOUND)),
            inbound=Count("id", filter=Q(direction=Call.Direction.INBOUND)),
            connected=Count("id", filter=Q(outcome__in=CONNECTED_OUTCOMES)),
            invitations=Count("id", filter=Q(outcome=Outcome.INVITED)),
        )
    )
    talk = dict(
        Call.objects.filter(store=store, started_at__gte=start, started_at__lt=end, duration_seconds__isnull=False)
        .values("agent_id")
        .annotate(total=Sum("duration_seconds"))
        .values_list("agent_id", "total")
    )
    users = User.objects.in_bulk([r["agent_id"] for r in rows])
    result = [
        AgentFigures(
            agent=users[r["agent_id"]],
            calls=r["calls"],
            outbound=r["outbound"],
            inbound=r["inbound"],
            connected=r["connected"],
            invitations=r["invitations"],
            talk_seconds=talk.get(r["agent_id"]) or 0,
        )
        for r in rows
    ]
    return sorted(result, key=lambda f: (-f.calls, f.agent.username))


@dataclass
class CallTotals:
    calls: int
    connected: int
    invitations: int

    @property
    def connect_rate(self) -> float | None:
        return ratio(self.connected, self.calls)


def call_totals(store: Store, first: dt.date, last: dt.date) -> CallTotals:
    start, end = day_range(first, last)
    agg = Call.objects.filter(store=store, started_at__gte=start, started_at__lt=end).aggregate(
        calls=Count("id"),
        connected=Count("id", filter=Q(outcome__in=CONNECTED_OUTCOMES)),
        invitations=Count("id", filter=Q(outcome=Outcome.INVITED)),
    )
    return CallTotals(agg["calls"], agg["connected"], agg["invitations"])


@dataclass
class ArrivalFigures:
    appointments: int
    arrived: int
    by_agent: dict[int, tuple[int, int]] = field(default_factory=dict)  # created_by id → (appointments, arrived)

    @property
    def rate(self) -> float | None:
        return ratio(self.arrived, self.appointments)


def invitation_arrival(store: Store, first: dt.date, last: dt.date) -> ArrivalFigures:
    """Invitation arrival rate (DESIGN.md): DCC appointments scheduled in [first, last] whose customer
    visited the store on the appointment day ÷ those appointments. Cancelled appointments are not
    counted (they were called off, not missed)."""
    from showroom.models import Visit

    start, end = day_range(first, last)
    appointments = list(
        Appointment.objects.filter(
            store=store, origin=Appointment.Origin.DCC, scheduled_at__gte=start, scheduled_at__lt=end
        )
        .exclude(status=Appointment.Status.CANCELLED)
        .values_list("id", "lead__customer_id", "scheduled_at", "created_by_id", "status")
    )
    visit_days: dict[int, set[dt.date]] = defaultdict(set)
    customer_ids = {a[1] for a in appointments}
    for customer_id, arrived_at in Visit.objects.filter(
        store=store, customer_id__in=customer_ids, arrived_at__gte=start, arrived_at__lt=end
    ).values_list("customer_id", "arrived_at"):
        visit_days[customer_id].add(timezone.localtime(arrived_at).date())
    arrived = 0
    by_agent: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for _id, customer_id, scheduled_at, agent_id, status in appointments:
        came = (
            timezone.localtime(scheduled_at).date() in visit_days[customer_id] or status == Appointment.Status.ARRIVED
        )
        arrived += came
        by_agent[agent_id][0] += 1
        by_agent[agent_id][1] += came
    return ArrivalFigures(len(appointments), arrived, {k: (v[0], v[1]) for k, v in by_agent.items()})


def dcc_lead_condition(prefix: str = "") -> Q:
    """A lead "from the DCC": handed to or worked by the call centre, or invited by it."""
    dcc_appointment = Appointment.objects.filter(lead_id=OuterRef(f"{prefix}pk" if prefix else "pk"))
    dcc_appointment = dcc_appointment.filter(origin=Appointment.Origin.DCC)
    return Q(**{f"{prefix}with_dcc": True}) | Q(Exists(dcc_appointment))


def dcc_orders(store: Store):
    """Orders counted as DCC sales (单列): sold by a DCC agent (``is_dcc_sale``) or on a lead from
    the DCC."""
    from showroom.models import Order

    dcc_appointment = Appointment.objects.filter(lead_id=OuterRef("lead_id"), origin=Appointment.Origin.DCC)
    return Order.objects.filter(store=store).filter(
        Q(is_dcc_sale=True) | Q(lead__with_dcc=True) | Q(Exists(dcc_appointment))
    )


@dataclass
class MonthFigures:
    month: dt.date  # first day
    orders: int = 0
    deliveries: int = 0
    direct_sales: int = 0  # of the orders, sold by DCC agents themselves


def dcc_sales_by_month(store: Store, first: dt.date, last: dt.date) -> list[MonthFigures]:
    """DCC-sourced orders (confirmed in the month, not cancelled) and deliveries per month."""
    from showroom.models import Order

    start, end = day_range(first, last)
    months: dict[dt.date, MonthFigures] = {}
    day = first.replace(day=1)
    while day <= last:
        months[day] = MonthFigures(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    orders = dcc_orders(store)
    for confirmed_at, is_dcc_sale in orders.filter(
        confirmed_at__gte=start, confirmed_at__lt=end, status__in=[Order.Status.CONFIRMED, Order.Status.DELIVERED]
    ).values_list("confirmed_at", "is_dcc_sale"):
        month = timezone.localtime(confirmed_at).date().replace(day=1)
        if month in months:
            months[month].orders += 1
            months[month].direct_sales += bool(is_dcc_sale)
    for (delivered_at,) in orders.filter(
        delivered_at__gte=start, delivered_at__lt=end, status=Order.Status.DELIVERED
    ).values_list("delivered_at"):
        month = timezone.localtime(delivered_at).date().replace(day=1)
        if month in months:
            months[month].deliveries += 1
    return list(months.values())


@dataclass
class SlaFigures:
    due: int
    met: int
    late: int
    missed_open: int

    @property
    def compliance(self) -> float | None:
        return ratio(self.met, self.due)


def first_call_sla(store: Store, first: dt.date, last: dt.date, now: dt.datetime | None = None) -> SlaFigures:
    """First-call SLA compliance: first-call tasks whose deadline fell in [first, last] and passed,
    called by the deadline ÷ all of them. Deadlines still ahead are not counted yet."""
    now = now or timezone.now()
    start, end = day_range(first, last)
    end = min(end, now)
    agg = CallTask.objects.filter(
        store=store, rule=Rule.FIRST_CALL, sla_due_at__gte=start, sla_due_at__lt=end
    ).aggregate(
        due=Count("id"),
        met=Count("id", filter=Q(first_call_at__lte=F("sla_due_at"))),
        late=Count("id", filter=Q(first_call_at__gt=F("sla_due_at"))),
        missed_open=Count("id", filter=Q(first_call_at__isnull=True)),
    )
    return SlaFigures(agg["due"], agg["met"], agg["late"], agg["missed_open"])


@dataclass
class CampaignReach:
    campaigns: int
    matched: int
    excluded: int
    sent: int
    failed: int

    @property
    def reach(self) -> float | None:
        return ratio(self.sent, self.matched)


def campaign_reach(store: Store, first: dt.date, last: dt.date) -> CampaignReach:
    """Campaigns queued in [first, last]: leads matched, left out (consent, do-not-disturb, no
    address), messages sent and failed; reach = sent ÷ matched."""
    start, end = day_range(first, last)
    agg = Campaign.objects.filter(store=store, queued_at__gte=start, queued_at__lt=end).aggregate(
        campaigns=Count("id"),
        matched=Sum("audience_count"),
        excluded=Sum("excluded_count"),
        sent=Sum("sent_count"),
        failed=Sum("failed_count"),
    )
    return CampaignReach(
        agg["campaigns"], agg["matched"] or 0, agg["excluded"] or 0, agg["sent"] or 0, agg["failed"] or 0
    )


@dataclass
class DccFigures:
    first: dt.date
    last: dt.date
    totals: CallTotals
    agents: list[AgentFigures]
    invitations: int
    arrival: ArrivalFigures
    sales: list[MonthFigures]
    sla: SlaFigures
    campaigns: CampaignReach


def dcc_figures(store: Store, first: dt.date, last: dt.date) -> DccFigures:
    """Every DCC figure for one store and period (the figures page; the reports call the parts)."""
    start, end = day_range(first, last)
    invitations = Appointment.objects.filter(
        store=store, origin=Appointment.Origin.DCC, created_at__gte=start, created_at__lt=end
    ).count()
    return DccFigures(
        first=first,
        last=last,
        totals=call_totals(store, first, last),
        agents=calls_per_agent(store, first, last),
        invitations=invitations,
        arrival=invitation_arrival(store, first, last),
        sales=dcc_sales_by_month(store, first, last),
        sla=first_call_sla(store, first, last),
        campaigns=campaign_reach(store, first, last),
    )


def last_call_at(lead_ids) -> dict[int, dt.datetime]:
    return dict(
        Call.objects.filter(lead_id__in=list(lead_ids))
        .values("lead_id")
        .annotate(at=Max("started_at"))
        .values_list("lead_id", "at")
    )


def open_task_for(lead: Lead) -> CallTask | None:
    return CallTask.objects.filter(lead=lead, status=CallTask.Status.OPEN).select_related("agent").first()
