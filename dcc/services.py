"""Every write of the DCC: settings, agents, scripts, templates, call lists and their rules,
distribution, calls and their outcomes, inbound calls, SLA checks, arrival reminders, campaigns.

Each service takes the acting user (None for scheduled jobs), checks its rule, writes the audit
entry and is atomic. Lead, customer, follow-up, appointment and lost-request writes go through
``leads.services``. Scheduled work is idempotent by the data: call tasks carry a unique rule key
and at most one is open per lead; reminders are unique per appointment and kind; campaign
messages are unique per campaign and lead and are claimed before they are sent.
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.calendar import StoreCalendar
from accounts.dates import day_range
from accounts.models import Store, User
from accounts.services import audit_record, diff_fields, notify
from leads import services as lead_services
from leads.filters import LeadFilterSet
from leads.models import (
    OPEN_STATUSES,
    WORKING_GRADES,
    WORKING_STATUSES,
    Appointment,
    FollowUp,
    Lead,
    LeadEvent,
    LeadStatus,
    LostReason,
    Source,
)
from leads.phones import normalize_phone
from leads.selectors import can_work_lead

from . import messaging, telephony
from .defaults import DEFAULT_TEXTS
from .models import (
    RULE_PRIORITY,
    AgentProfile,
    ArrivalReminder,
    Call,
    CallScript,
    CallScriptStep,
    CallTask,
    Campaign,
    CampaignMessage,
    Channel,
    DccSettings,
    MessageTemplate,
    Outcome,
    Rule,
)
from .selectors import (
    MANAGE,
    WORK_CALLS,
    agent_profile,
    agent_profiles,
    agent_users,
    agents_with_skill,
    dcc_managers,
    dcc_settings,
    has_dcc_perm,
    live_task_condition,
    receivers_for,
    script_for,
)

logger = logging.getLogger(__name__)

FIRST_CALL_CATEGORIES = {
    "rule_new_outreach_online": [Source.Category.OUTREACH, Source.Category.EVENT, Source.Category.ONLINE],
    "rule_new_purchased_oem": [Source.Category.PURCHASED, Source.Category.OEM],
}
# New leads from these arrive electronically: their first call has the store's SLA.
SLA_CATEGORIES = {Source.Category.ONLINE, Source.Category.OEM}
# A lead older than this when first listed is backlog, not a "new online lead": no SLA clock.
SLA_MAX_AGE = dt.timedelta(hours=24)
BATCH_SIZE = 2000
ANALYZE_AFTER = 1000
CAMPAIGN_BATCH = 200


def _require(actor: User | None, store: Store | int, code: str, message: str) -> None:
    if actor is None or not has_dcc_perm(actor, store, code):
        raise ValidationError(message, code="forbidden")


def _require_manager(actor: User | None, store: Store | int) -> None:
    _require(actor, store, MANAGE, _("Only the DCC manager may do this."))


class _Calendar:
    """The store's opening hours for SLA and retry times; a store without hours counts clock time."""

    def __init__(self, store: Store):
        self.calendar = StoreCalendar(store)

    def add(self, start: dt.datetime, minutes: float) -> dt.datetime:
        try:
            return self.calendar.add_open_minutes(start, minutes)
        except ValueError:
            return start + dt.timedelta(minutes=minutes)

    def is_open(self, moment: dt.datetime) -> bool:
        return not self.calendar.hours or self.calendar.is_open(moment)


# --- Settings, agents, script, templates ---------------------------------------------------------

SETTINGS_FIELDS = {
    "version",
    "distribution",
    "rule_new_outreach_online",
    "rule_new_purchased_oem",
    "rule_uninvited",
    "rule_reactivation",
    "rule_handover",
    "rule_no_show",
    "first_call_sla_minutes",
    "uninvited_days",
    "reactivation_quiet_days",
    "lookback_days",
    "max_attempts",
    "retry_minutes",
    "reminder_day_before_hour",
    "reminder_same_day_hour",
}
SETTINGS_LIMITS = {
    "first_call_sla_minutes": (1, 24 * 60),
    "uninvited_days": (1, 365),
    "reactivation_quiet_days": (1, 730),
    "lookback_days": (1, 730),
    "max_attempts": (1, 20),
    "retry_minutes": (5, 7 * 24 * 60),
    "reminder_day_before_hour": (0, 23),
    "reminder_same_day_hour": (0, 23),
}


@transaction.atomic
def dcc_settings_update(*, actor: User, store: Store, **fields: Any) -> DccSettings:
    """Change how the store's DCC runs. Switching to version 2 gives every agent all three skills."""
    _require_manager(actor, store)
    unknown = set(fields) - SETTINGS_FIELDS
    if unknown:
        raise TypeError(f"Unknown DCC settings: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    for name, (low, high) in SETTINGS_LIMITS.items():
        if name in fields and not low <= int(fields[name]) <= high:
            errors[name] = [_("Between %(low)d and %(high)d.") % {"low": low, "high": high}]
    if "version" in fields and int(fields["version"]) not in DccSettings.Version.values:
        errors["version"] = [_("Choose version 1 or 2.")]
    if "distribution" in fields and fields["distribution"] not in DccSettings.Distribution.values:
        errors["distribution"] = [_("Choose how call tasks are distributed.")]
    if errors:
        raise ValidationError(errors, code="invalid")
    settings = DccSettings.objects.select_for_update().get(pk=dcc_settings(store).pk)
    changes = diff_fields(settings, fields)
    for key, value in fields.items():
        setattr(settings, key, value)
    if changes:
        settings.save(update_fields=list(changes))
        audit_record(actor=actor, action="dcc.settings", obj=settings, store=store, changes=changes)
        if "version" in changes and int(settings.version) == DccSettings.Version.ONE_PERSON:
            agent_profiles(store).update(skill_inbound=True, skill_outbound=True, skill_direct=True)
    return settings


@transaction.atomic
def agent_profile_update(
    *,
    actor: User,
    profile: AgentProfile,
    skill_inbound: bool,
    skill_outbound: bool,
    skill_direct: bool,
    on_duty: bool,
) -> AgentProfile:
    """The DCC manager sets an agent's skills (which calls reach them) and duty."""
    _require_manager(actor, profile.store_id)
    profile = AgentProfile.objects.select_for_update().get(pk=profile.pk)
    data = {
        "skill_inbound": skill_inbound,
        "skill_outbound": skill_outbound,
        "skill_direct": skill_direct,
        "on_duty": on_duty,
    }
    if not (skill_inbound or skill_outbound or skill_direct):
        raise ValidationError({"skill_outbound": [_("An agent needs at least one skill.")]}, code="invalid")
    changes = diff_fields(profile, data)
    if changes:
        for key, value in data.items():
            setattr(profile, key, value)
        profile.save()
        audit_record(actor=actor, action="dcc.agent", obj=profile, store=profile.store, changes=changes)
    return profile


@transaction.atomic
def agent_set_duty(*, actor: User, store: Store, on_duty: bool, agent: User | None = None) -> AgentProfile:
    """An agent goes on or off duty (a manager may do it for them); off duty, no new tasks arrive."""
    agent = agent or actor
    if agent.pk != actor.pk:
        _require_manager(actor, store)
    profile = agent_profile(store, agent)
    if profile is None:
        raise ValidationError(_("%(user)s is not a DCC agent of this store.") % {"user": agent}, code="invalid")
    if profile.on_duty != on_duty:
        AgentProfile.objects.filter(pk=profile.pk).update(on_duty=on_duty)
        profile.on_duty = on_duty
        audit_record(actor=actor, action="dcc.agent_duty", obj=profile, store=store, changes={"on_duty": on_duty})
    return profile


@transaction.atomic
def script_update(*, actor: User, store: Store, name: str, steps: list[tuple[str, str]]) -> CallScript:
    """Replace the store's invitation script with ``steps`` (title, what to say), in order."""
    _require_manager(actor, store)
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Give the script a name.")]
    steps = [(title.strip(), (guidance or "").strip()) for title, guidance in steps if title and title.strip()]
    if not steps:
        errors["steps"] = [_("A script needs at least one step.")]
    if errors:
        raise ValidationError(errors, code="invalid")
    script = CallScript.objects.select_for_update().get(pk=script_for(store).pk)
    before = list(script.steps.values_list("title", flat=True))
    script.name = name.strip()
    script.updated_by = actor
    script.save()
    script.steps.all().delete()
    CallScriptStep.objects.bulk_create(
        CallScriptStep(script=script, position=i, title=title[:100], guidance=guidance)
        for i, (title, guidance) in enumerate(steps, start=1)
    )
    audit_record(
        actor=actor,
        action="dcc.script",
        obj=script,
        store=store,
        changes={"name": script.name, "steps": [before, [t for t, _g in steps]]},
    )
    return script


TEMPLATE_FIELDS = {"kind", "channel", "name", "subject", "body", "is_active"}


@transaction.atomic
def template_save(*, actor: User, store: Store, template: MessageTemplate | None = None, **fields: Any):
    """Add or change a message template of the store."""
    _require_manager(actor, store)
    unknown = set(fields) - TEMPLATE_FIELDS
    if unknown:
        raise TypeError(f"Unknown template fields: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    for name in ("name", "body"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
            if not fields[name]:
                errors[name] = [_("This field is required.")]
    if "kind" in fields and fields["kind"] not in MessageTemplate.Kind.values:
        errors["kind"] = [_("Choose what the template is for.")]
    if "channel" in fields and fields["channel"] not in Channel.values:
        errors["channel"] = [_("Choose SMS or email.")]
    if errors:
        raise ValidationError(errors, code="invalid")
    if template is None:
        template = MessageTemplate.objects.create(store=store, **fields)
        audit_record(actor=actor, action="dcc.template.create", obj=template, changes={"name": template.name})
        return template
    template = MessageTemplate.objects.select_for_update().get(pk=template.pk, store=store)
    changes = diff_fields(template, fields)
    for key, value in fields.items():
        setattr(template, key, value)
    if changes:
        template.save()
        audit_record(actor=actor, action="dcc.template.update", obj=template, changes=changes)
    return template


# --- Call-list rules ---------------------------------------------------------------------------


@dataclass
class Candidate:
    """A lead a rule wants on a call list."""

    lead_id: int
    rule: str
    rule_key: str
    due_at: dt.datetime
    appointment_id: int | None = None
    sla_due_at: dt.datetime | None = None
    agent_id: int | None = None  # a rule's own choice (no-shows go back to the inviting agent)


def _base_leads(store: Store, lead_ids: Iterable[int] | None):
    # Unordered: the lead list's default order would only add a sort.
    leads = Lead.objects.filter(store=store, customer__do_not_disturb=False).order_by()
    if lead_ids is not None:
        leads = leads.filter(pk__in=list(lead_ids))
    return leads.exclude(Exists(CallTask.objects.filter(lead_id=OuterRef("pk"), status=CallTask.Status.OPEN)))


def _first_call_candidates(store, settings, now, cal: _Calendar, lead_ids=None) -> list[Candidate]:
    categories = [c for flag, cats in FIRST_CALL_CATEGORIES.items() if getattr(settings, flag) for c in cats]
    if not categories:
        return []
    leads = (
        _base_leads(store, lead_ids)
        .filter(
            status=LeadStatus.NEW,
            created_at__gte=now - dt.timedelta(days=settings.lookback_days),
            source__category__in=categories,
        )
        .exclude(Exists(CallTask.objects.filter(lead_id=OuterRef("pk"))))
        .exclude(Exists(Call.objects.filter(lead_id=OuterRef("pk"))))
        .values_list("pk", "created_at", "source__category")
    )
    candidates = []
    for pk, created_at, category in leads:
        sla = None
        if category in SLA_CATEGORIES and now - created_at <= SLA_MAX_AGE:
            sla = cal.add(created_at, settings.first_call_sla_minutes)
        candidates.append(Candidate(pk, Rule.FIRST_CALL, f"first_call:{pk}", now, sla_due_at=sla))
    return candidates


def _uninvited_candidates(store, settings, now, cal, lead_ids=None) -> list[Candidate]:
    """Leads a showroom consultant invited more than ``uninvited_days`` ago that never came, with
    no invitation since."""
    cutoff = now - dt.timedelta(days=settings.uninvited_days)
    oldest = cutoff - dt.timedelta(days=settings.lookback_days)
    old_invitations = Appointment.objects.filter(
        store=store, origin=Appointment.Origin.SHOWROOM, created_at__lte=cutoff, created_at__gte=oldest
    )
    latest = old_invitations.filter(lead_id=OuterRef("pk")).order_by("-created_at", "-id").values("pk")[:1]
    leads = (
        _base_leads(store, lead_ids)
        .filter(
            status__in=WORKING_STATUSES,
            first_visit_at__isnull=True,
            pk__in=old_invitations.values("lead_id"),
        )
        .exclude(Exists(Appointment.objects.filter(lead_id=OuterRef("pk"), created_at__gt=cutoff)))
        .exclude(Exists(Appointment.objects.filter(lead_id=OuterRef("pk"), status=Appointment.Status.ARRIVED)))
        .annotate(appointment_id=Subquery(latest))
        # Listed for that invitation before (its task since done): not again.
        .exclude(
            Exists(
                CallTask.objects.filter(
                    lead_id=OuterRef("pk"), rule=Rule.UNINVITED, appointment_id=OuterRef("appointment_id")
                )
            )
        )
        .values_list("pk", "appointment_id")
    )
    return [
        Candidate(pk, Rule.UNINVITED, f"uninvited:{pk}:{appointment_id}", now, appointment_id=appointment_id)
        for pk, appointment_id in leads
    ]


def _reactivation_candidates(store, settings, now, cal, lead_ids=None) -> list[Candidate]:
    """Approved-lost leads whose quiet period has passed, when the customer has no open lead."""
    cutoff = now - dt.timedelta(days=settings.reactivation_quiet_days)
    leads = (
        _base_leads(store, lead_ids)
        .filter(
            status=LeadStatus.LOST,
            closed_at__lte=cutoff,
            closed_at__gte=cutoff - dt.timedelta(days=settings.lookback_days),
        )
        .exclude(
            Exists(
                Lead.objects.filter(
                    store_id=OuterRef("store_id"), customer_id=OuterRef("customer_id"), status__in=OPEN_STATUSES
                )
            )
        )
        # Reactivated after this loss already: not again (until it is lost again).
        .exclude(
            Exists(
                CallTask.objects.filter(
                    lead_id=OuterRef("pk"), rule=Rule.REACTIVATION, created_at__gte=OuterRef("closed_at")
                )
            )
        )
        .values_list("pk", "closed_at")
    )
    return [
        Candidate(pk, Rule.REACTIVATION, f"reactivation:{pk}:{timezone.localtime(closed_at):%Y%m%d}", now)
        for pk, closed_at in leads
    ]


def _handover_candidates(store, settings, now, cal, lead_ids=None) -> list[Candidate]:
    """Leads handed to the DCC (by a manager, or by ingest into the DCC queue) it has never listed
    nor talked to."""

    def unlisted(leads):
        return (
            leads.filter(status__in=WORKING_STATUSES, with_dcc=True)
            .exclude(Exists(CallTask.objects.filter(lead_id=OuterRef("pk"))))
            .exclude(Exists(Call.objects.filter(lead_id=OuterRef("pk"))))
            .values_list("pk", flat=True)
        )

    if lead_ids is not None:
        found = list(unlisted(_base_leads(store, lead_ids)))
    else:
        # The daily run: leads created, or handed over, within the look-back (each found by an index).
        since = now - dt.timedelta(days=settings.lookback_days)
        handed = LeadEvent.objects.filter(store=store, kind=LeadEvent.Kind.DCC, created_at__gte=since)
        found = sorted(
            set(unlisted(_base_leads(store, None).filter(created_at__gte=since)))
            | set(unlisted(_base_leads(store, None).filter(pk__in=handed.values("lead_id"))))
        )
    return [Candidate(pk, Rule.HANDOVER, f"handover:{pk}", now) for pk in found]


def _no_show_candidates(store, settings, now, cal, lead_ids=None) -> list[Candidate]:
    """DCC invitations the customer did not come to: back to the inviting agent to reschedule."""
    no_shows = Appointment.objects.filter(
        store=store,
        origin=Appointment.Origin.DCC,
        status=Appointment.Status.NO_SHOW,
        scheduled_at__gte=now - dt.timedelta(days=settings.lookback_days),
        scheduled_at__lt=now,
    )
    if lead_ids is not None:
        no_shows = no_shows.filter(lead_id__in=list(lead_ids))
    live = _base_leads(store, None).filter(status__in=WORKING_STATUSES)
    no_shows = no_shows.exclude(Exists(CallTask.objects.filter(appointment_id=OuterRef("pk"), rule=Rule.NO_SHOW)))
    rows = (
        no_shows.filter(lead__in=live)
        .exclude(
            Exists(
                Appointment.objects.filter(
                    lead_id=OuterRef("lead_id"), scheduled_at__gt=OuterRef("scheduled_at")
                ).exclude(status=Appointment.Status.CANCELLED)
            )
        )
        .values_list("pk", "lead_id", "created_by_id")
        .order_by("scheduled_at")
    )
    agents = set(agent_users(store).values_list("pk", flat=True))
    return [
        Candidate(
            lead_id,
            Rule.NO_SHOW,
            f"no_show:{pk}",
            now,
            appointment_id=pk,
            agent_id=created_by if created_by in agents else None,
        )
        for pk, lead_id, created_by in rows
    ]


RULES = [
    ("rule_no_show", _no_show_candidates),
    (None, _first_call_candidates),  # its own two switches
    ("rule_handover", _handover_candidates),
    ("rule_uninvited", _uninvited_candidates),
    ("rule_reactivation", _reactivation_candidates),
]


def _candidates(store, settings, now, cal, lead_ids=None, only: set[str] | None = None) -> list[Candidate]:
    seen: set[int] = set()
    out: list[Candidate] = []
    for flag, finder in RULES:
        if flag is not None and not getattr(settings, flag):
            continue
        if only is not None and finder.__name__ not in only:
            continue
        for candidate in finder(store, settings, now, cal, lead_ids):
            if candidate.lead_id not in seen:
                seen.add(candidate.lead_id)
                out.append(candidate)
    return out


# --- Distribution ------------------------------------------------------------------------------


def _open_load(store: Store, agent_ids: list[int]) -> dict[int, int]:
    rows = (
        CallTask.objects.filter(store=store, status=CallTask.Status.OPEN, agent_id__in=agent_ids)
        .values("agent_id")
        .annotate(n=Count("id"))
    )
    load = dict.fromkeys(agent_ids, 0)
    load.update({r["agent_id"]: r["n"] for r in rows})
    return load


def _distribute(store: Store, settings: DccSettings, count: int, skills: tuple[str, ...] = ("OB",)) -> list[int | None]:
    """Agents for ``count`` new tasks: round robin or by load among the on-duty agents with the
    first of ``skills`` anyone on duty has; nobody (the manager assigns by hand) in manual mode or
    when no such agent is on duty.

    ``settings`` must be locked by the caller (select_for_update): the round-robin turn is on it.
    """
    if count == 0:
        return []
    if settings.distribution == DccSettings.Distribution.MANUAL:
        return [None] * count
    agent_ids: list[int] = []
    for skill in skills:
        agent_ids = [p.user_id for p in agents_with_skill(store, skill)]
        if agent_ids:
            break
    if not agent_ids:
        return [None] * count
    if settings.distribution == DccSettings.Distribution.BY_LOAD:
        heap = [(n, agent_id) for agent_id, n in _open_load(store, agent_ids).items()]
        heapq.heapify(heap)
        chosen = []
        for _ in range(count):
            n, agent_id = heapq.heappop(heap)
            chosen.append(agent_id)
            heapq.heappush(heap, (n + 1, agent_id))
        return chosen
    last = settings.round_robin_last_agent_id
    start = next((i for i, agent_id in enumerate(agent_ids) if last is not None and agent_id > last), 0)
    chosen = [agent_ids[(start + i) % len(agent_ids)] for i in range(count)]
    DccSettings.objects.filter(pk=settings.pk).update(round_robin_last_agent_id=chosen[-1])
    settings.round_robin_last_agent_id = chosen[-1]
    return chosen


def _skills_for(candidate: Candidate) -> tuple[str, ...]:
    """Which agents a task goes to: a new online lead with an SLA (the customer enquired) to the
    inbound agents first, everything else to the outbound agents."""
    return ("IB", "OB") if candidate.sla_due_at is not None else ("OB",)


def _create_tasks(store: Store, settings: DccSettings, candidates: list[Candidate], now: dt.datetime) -> dict[str, int]:
    """Insert the candidates' tasks, distributed; returns how many were created per rule.

    The rules leave out what they listed before, so the keys are new; a race with another writer
    (or a lead listed twice) is settled by the unique keys: the loser's row is silently not
    inserted. ``settings`` is locked by the caller, so counting the store's tasks before and after
    counts this run's own.
    """
    if not candidates:
        return {}
    for skills in sorted({_skills_for(c) for c in candidates}):
        unassigned = [c for c in candidates if c.agent_id is None and _skills_for(c) == skills]
        for candidate, agent_id in zip(unassigned, _distribute(store, settings, len(unassigned), skills), strict=True):
            candidate.agent_id = agent_id
    before = _task_counts(store)
    _insert_tasks(store, candidates, now)
    after = _task_counts(store)
    if len(candidates) >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # The rules' "not listed yet" checks are anti-joins on this table: after a large insert (a
        # first run over a big store) the planner must know it is no longer nearly empty, or the
        # next store's rules would scan it once per lead.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {CallTask._meta.db_table}")
    return {rule: after.get(rule, 0) - before.get(rule, 0) for rule in after if after[rule] != before.get(rule, 0)}


# Columns written for a new task on PostgreSQL, with their array types for ``unnest``.
_TASK_COLUMNS = [
    ("store_id", "bigint"),
    ("lead_id", "bigint"),
    ("agent_id", "bigint"),
    ("rule", "varchar"),
    ("rule_key", "varchar"),
    ("priority", "smallint"),
    ("due_at", "timestamptz"),
    ("status", "varchar"),
    ("result", "varchar"),
    ("attempts", "smallint"),
    ("appointment_id", "bigint"),
    ("sla_due_at", "timestamptz"),
    ("note", "varchar"),
    ("assigned_at", "timestamptz"),
    ("created_at", "timestamptz"),
]


def _insert_tasks(store: Store, candidates: list[Candidate], now: dt.datetime) -> None:
    """Insert new open tasks, skipping any a unique key refuses (ON CONFLICT DO NOTHING).

    On PostgreSQL one ``INSERT … SELECT FROM unnest(…)`` per batch, without building model
    objects (a first run over a big store lists tens of thousands of leads); elsewhere
    ``bulk_create``. The same rows either way.
    """
    if connection.vendor != "postgresql":
        CallTask.objects.bulk_create(
            (
                CallTask(
                    store=store,
                    lead_id=c.lead_id,
                    agent_id=c.agent_id,
                    rule=c.rule,
                    rule_key=c.rule_key,
                    priority=RULE_PRIORITY[c.rule],
                    due_at=c.due_at,
                    appointment_id=c.appointment_id,
                    sla_due_at=c.sla_due_at,
                    assigned_at=now if c.agent_id else None,
                )
                for c in candidates
            ),
            batch_size=BATCH_SIZE,
            ignore_conflicts=True,
        )
        return
    columns = ", ".join(f'"{name}"' for name, _type in _TASK_COLUMNS)
    arrays = ", ".join(f"%s::{type_}[]" for _name, type_ in _TASK_COLUMNS)
    # Identifiers from the model and the constant above; every value goes as a parameter.
    sql = f'INSERT INTO "{CallTask._meta.db_table}" ({columns}) SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING'  # noqa: S608
    open_status = CallTask.Status.OPEN.value
    with connection.cursor() as cursor:
        for start in range(0, len(candidates), BATCH_SIZE):
            batch = candidates[start : start + BATCH_SIZE]
            cursor.execute(
                sql,
                [
                    [store.pk] * len(batch),
                    [c.lead_id for c in batch],
                    [c.agent_id for c in batch],
                    [str(c.rule) for c in batch],
                    [c.rule_key for c in batch],
                    [RULE_PRIORITY[c.rule] for c in batch],
                    [c.due_at for c in batch],
                    [open_status] * len(batch),
                    [""] * len(batch),
                    [0] * len(batch),
                    [c.appointment_id for c in batch],
                    [c.sla_due_at for c in batch],
                    [""] * len(batch),
                    [now if c.agent_id else None for c in batch],
                    [now] * len(batch),
                ],
            )


def _task_counts(store: Store) -> dict[str, int]:
    return dict(CallTask.objects.filter(store=store).order_by().values_list("rule").annotate(n=Count("id")))


def _cancel_stale(store: Store, now: dt.datetime) -> int:
    """Open tasks no longer worth a call (lead closed, customer asked not to be disturbed) end."""
    stale = CallTask.objects.filter(store=store, status=CallTask.Status.OPEN).exclude(live_task_condition())
    return CallTask.objects.filter(pk__in=list(stale.values_list("pk", flat=True)), status=CallTask.Status.OPEN).update(
        status=CallTask.Status.CANCELLED, closed_at=now
    )


def call_lists_build(*, store: Store, now: dt.datetime | None = None) -> dict[str, int]:
    """The daily list building for one store: yesterday's no-shows marked, stale tasks ended, every
    switched-on rule run, new tasks distributed. Running it twice (or on two workers at once)
    creates nothing twice: the rule keys and the one-open-task-per-lead index are unique."""
    now = now or timezone.now()
    no_shows = lead_services.appointments_mark_no_shows(store=store, day=timezone.localdate(now) - dt.timedelta(1))
    with transaction.atomic():
        # One run per store at a time: the round-robin turn and the counts stay this run's own.
        settings = DccSettings.objects.select_for_update().get(pk=dcc_settings(store).pk)
        cancelled = _cancel_stale(store, now)
        candidates = _candidates(store, settings, now, _Calendar(store))
        by_rule = _create_tasks(store, settings, candidates, now)
    return {"created": sum(by_rule.values()), "cancelled": cancelled, "no_shows": no_shows, **by_rule}


RULE_FINDERS = {
    Rule.FIRST_CALL: "_first_call_candidates",
    Rule.HANDOVER: "_handover_candidates",
    Rule.NO_SHOW: "_no_show_candidates",
    Rule.UNINVITED: "_uninvited_candidates",
    Rule.REACTIVATION: "_reactivation_candidates",
}


def call_tasks_for_lead(
    *, lead_id: int, now: dt.datetime | None = None, rules: Iterable[str] = (Rule.FIRST_CALL, Rule.HANDOVER)
) -> CallTask | None:
    """Rules run on ingest and hand-over: a new lead (or one handed to the DCC) gets its task now.
    ``rules`` narrows which rules apply (ingest and hand-over by default)."""
    now = now or timezone.now()
    lead = Lead.objects.select_related("store").filter(pk=lead_id).first()
    if lead is None:
        return None
    store = lead.store
    with transaction.atomic():
        settings = DccSettings.objects.select_for_update().get(pk=dcc_settings(store).pk)
        candidates = _candidates(
            store,
            settings,
            now,
            _Calendar(store),
            lead_ids=[lead_id],
            only={RULE_FINDERS[rule] for rule in rules},
        )
        created = _create_tasks(store, settings, candidates, now)
    if not created:
        return None
    task = CallTask.objects.select_related("agent", "lead__customer").get(store=store, rule_key=candidates[0].rule_key)
    if task.agent is not None and task.sla_due_at is not None:
        notify(
            recipients=[task.agent],
            store=store,
            level="warning",
            title=_("New online lead %(name)s: call by %(when)s")
            % {"name": task.lead.customer.name, "when": timezone.localtime(task.sla_due_at).strftime("%H:%M")},
            url=f"/dcc/tasks/{task.pk}/",
        )
    return task


@transaction.atomic
def call_task_add(
    *, actor: User, lead: Lead, agent: User | None = None, due_at: dt.datetime | None = None, note: str = ""
) -> CallTask:
    """A DCC manager puts a lead on a call list by hand (to an agent, or distributed)."""
    _require_manager(actor, lead.store_id)
    now = timezone.now()
    lead = Lead.objects.select_related("customer", "store").get(pk=lead.pk)
    if lead.customer.do_not_disturb:
        raise ValidationError({"lead": [_("This customer asked not to be disturbed.")]}, code="do_not_disturb")
    if lead.status not in WORKING_STATUSES and lead.status != LeadStatus.LOST:
        raise ValidationError(
            {"lead": [_("A lead that is “%(status)s” is not called.") % {"status": lead.get_status_display()}]},
            code="closed",
        )
    current = CallTask.objects.filter(lead=lead, status=CallTask.Status.OPEN).select_related("agent").first()
    if current is not None:
        raise ValidationError(
            {"lead": [_("%(name)s is already on a call list.") % {"name": lead.customer.name}]}, code="duplicate"
        )
    if agent is not None and not agent_users(lead.store).filter(pk=agent.pk).exists():
        raise ValidationError({"agent": [_("Choose a DCC agent of this store.")]}, code="invalid")
    settings = DccSettings.objects.select_for_update().get(pk=dcc_settings(lead.store).pk)
    agent_id = _distribute(lead.store, settings, 1)[0] if agent is None else agent.pk
    rule = Rule.REACTIVATION if lead.status == LeadStatus.LOST else Rule.MANUAL
    try:
        with transaction.atomic():
            task = CallTask.objects.create(
                store=lead.store,
                lead=lead,
                agent_id=agent_id,
                rule=rule,
                rule_key=f"manual:{lead.pk}:{now.timestamp():.6f}",
                priority=RULE_PRIORITY[Rule.MANUAL],
                due_at=due_at or now,
                note=note.strip()[:200],
                assigned_at=now if agent_id else None,
            )
    except IntegrityError:
        raise ValidationError(
            {"lead": [_("%(name)s is already on a call list.") % {"name": lead.customer.name}]}, code="duplicate"
        )
    audit_record(actor=actor, action="dcc.task.add", obj=task, changes={"lead": lead.pk, "agent": agent_id})
    return task


@transaction.atomic
def call_tasks_assign(*, actor: User, store: Store, tasks: Iterable[CallTask], agent: User, note: str = "") -> int:
    """Give open call tasks to an agent (distribution by hand, reassignment). Returns how many moved."""
    _require_manager(actor, store)
    if not agent_users(store).filter(pk=agent.pk).exists():
        raise ValidationError({"agent": [_("Choose a DCC agent of this store.")]}, code="invalid")
    ids = [t.pk for t in tasks]
    rows = list(CallTask.objects.select_for_update().filter(pk__in=ids, store=store))
    if len(rows) != len(set(ids)):
        raise ValidationError(_("Some of these call tasks are not of this store."), code="forbidden")
    moved = [t for t in rows if t.status == CallTask.Status.OPEN and t.agent_id != agent.pk]
    if not moved:
        return 0
    now = timezone.now()
    CallTask.objects.filter(pk__in=[t.pk for t in moved]).update(agent=agent, assigned_at=now)
    for task in moved:
        audit_record(
            actor=actor,
            action="dcc.task.assign",
            obj=task,
            changes={"agent": [task.agent_id, agent.pk], "note": note},
        )
    if agent.pk != actor.pk:
        notify(
            recipients=[agent],
            store=store,
            title=_("%(count)d call tasks were assigned to you") % {"count": len(moved)},
            body=note,
            url="/dcc/",
        )
    return len(moved)


@transaction.atomic
def call_task_cancel(*, actor: User, task: CallTask, reason: str = "") -> CallTask:
    """A manager takes a lead off the call lists."""
    _require_manager(actor, task.store_id)
    if not CallTask.objects.filter(pk=task.pk, status=CallTask.Status.OPEN).update(
        status=CallTask.Status.CANCELLED, closed_at=timezone.now()
    ):
        raise ValidationError(_("This call task is closed already."), code="closed")
    task.refresh_from_db()
    audit_record(actor=actor, action="dcc.task.cancel", obj=task, changes={"reason": reason})
    return task


# --- Calls -------------------------------------------------------------------------------------

FOLLOW_UP_RESULT = {
    Outcome.NO_ANSWER: FollowUp.Result.NO_ANSWER,
    Outcome.BUSY: FollowUp.Result.NO_ANSWER,
    Outcome.NOT_INTERESTED: FollowUp.Result.NOT_INTERESTED,
    Outcome.CALL_BACK: FollowUp.Result.CONTACTED,
    Outcome.TALKED: FollowUp.Result.CONTACTED,
    Outcome.INVITED: FollowUp.Result.INVITED,
}
POSITIVE_OUTCOMES = {Outcome.CALL_BACK, Outcome.INVITED, Outcome.TALKED}
START_SLACK = dt.timedelta(minutes=5)


@dataclass
class CallInput:
    """What the agent records about a call (the call screen's form, or the API)."""

    outcome: str
    note: str = ""
    started_at: dt.datetime | None = None
    callback_at: dt.datetime | None = None
    grade: str | None = None
    scheduled_at: dt.datetime | None = None
    receiver: User | None = None
    purpose: str = Appointment.Purpose.VIEW
    script_steps: tuple[int, ...] = ()
    duration_seconds: int | None = None
    recording_ref: str = ""


def _check_call_input(store: Store, actor: User, data: CallInput, now: dt.datetime) -> None:
    errors: dict[str, list[str]] = {}
    if data.outcome not in Outcome.values:
        errors["outcome"] = [_("Choose what came of the call.")]
    if data.started_at is not None and data.started_at > now + START_SLACK:
        errors["started_at"] = [_("The call cannot start in the future.")]
    if data.grade and data.grade not in {g.value for g in WORKING_GRADES}:
        errors["grade"] = [_("Choose grade H, A, B or C for a lead being followed.")]
    if data.outcome == Outcome.CALL_BACK:
        if data.callback_at is None:
            errors["callback_at"] = [_("When should the customer be called back?")]
        elif data.callback_at < now - START_SLACK:
            errors["callback_at"] = [_("The call-back time must be in the future.")]
    if data.outcome == Outcome.INVITED:
        if data.scheduled_at is None:
            errors["scheduled_at"] = [_("When will the customer come?")]
        elif data.scheduled_at < now - START_SLACK:
            errors["scheduled_at"] = [_("The appointment must be in the future.")]
        elif not _Calendar(store).is_open(data.scheduled_at):
            errors["scheduled_at"] = [_("The store is closed at that time.")]
        if data.receiver is None:
            errors["receiver"] = [_("Who receives the customer?")]
        elif not receivers_for(store).filter(pk=data.receiver.pk).exists():
            if data.receiver.pk == actor.pk:
                errors["receiver"] = [_("Only an agent with the direct-sales skill receives customers.")]
            else:
                errors["receiver"] = [_("Choose a consultant of this store or a direct-sales agent.")]
        if data.purpose not in Appointment.Purpose.values:
            errors["purpose"] = [_("Choose what the customer comes for.")]
    if errors:
        raise ValidationError(errors, code="invalid")


def _call_details(actor: User, phone: str, data: CallInput) -> tuple[int | None, str]:
    details = telephony.get_backend().call_details(agent=actor, phone=phone, started_at=data.started_at)
    duration, recording = data.duration_seconds, data.recording_ref
    if details is not None:
        duration = details.duration_seconds if details.duration_seconds is not None else duration
        recording = details.recording_ref or recording
    return duration, (recording or "")[:200]


def _work_lead(
    actor: User, lead: Lead, data: CallInput, *, take_over: bool
) -> tuple[FollowUp | None, Appointment | None]:
    """The lead side of a call: follow-up logged, invitation booked, wrong number reported."""
    lead.refresh_from_db()
    if lead.status not in WORKING_STATUSES:
        return None, None
    if data.outcome == Outcome.WRONG_NUMBER:
        reason = LostReason.objects.filter(code="wrong_number", kind=LostReason.Kind.INVALID).first()
        if reason is None:
            reason = LostReason.objects.filter(kind=LostReason.Kind.INVALID, is_active=True).first()
        if reason is not None:
            lead_services.lost_request_create(
                actor=actor,
                lead=lead,
                kind=LostReason.Kind.INVALID,
                reason=reason,
                note=data.note or str(Outcome.WRONG_NUMBER.label),
            )
        return None, None
    next_at = data.callback_at if data.outcome == Outcome.CALL_BACK else None
    follow_up = lead_services.followup_log(
        actor=actor,
        lead=lead,
        channel=FollowUp.Channel.PHONE,
        content=data.note.strip() or _("DCC call: %(outcome)s") % {"outcome": Outcome(data.outcome).label},
        result=FOLLOW_UP_RESULT[data.outcome],
        grade=data.grade or None,
        next_follow_up_at=next_at,
    )
    appointment = None
    if data.outcome == Outcome.INVITED:
        appointment = lead_services.appointment_create(
            actor=actor,
            lead=lead,
            scheduled_at=data.scheduled_at,
            receiver=data.receiver,
            purpose=data.purpose,
            note=data.note.strip()[:200],
            origin=Appointment.Origin.DCC,
        )
        invitation_confirmation_queue(appointment=appointment)
        if take_over and data.receiver.pk != actor.pk:
            lead_services.lead_assign_for_dcc(
                actor=actor,
                lead=lead,
                to_user=data.receiver,
                note=_("Invited by the DCC: %(user)s receives the customer") % {"user": data.receiver},
            )
    return follow_up, appointment


def _advance_task(task: CallTask, outcome: str, call_at: dt.datetime, data: CallInput, now: dt.datetime) -> None:
    """Reschedule or close a task after a call: no answer retries (up to the store's attempts),
    call-back reschedules, everything else closes it."""
    settings = dcc_settings(task.store_id)
    task.attempts += 1
    task.result = outcome
    if task.first_call_at is None:
        task.first_call_at = call_at
        if task.sla_due_at is not None and call_at > task.sla_due_at and task.sla_breached_at is None:
            task.sla_breached_at = now
    if outcome in (Outcome.NO_ANSWER, Outcome.BUSY) and task.attempts < settings.max_attempts:
        task.due_at = _Calendar(task.store).add(now, settings.retry_minutes)
    elif outcome == Outcome.CALL_BACK:
        task.due_at = data.callback_at
    else:
        task.status = CallTask.Status.DONE
        task.closed_at = now
    task.save(update_fields=["attempts", "result", "first_call_at", "sla_breached_at", "due_at", "status", "closed_at"])


@transaction.atomic
def call_record(*, actor: User, task: CallTask, data: CallInput) -> Call:
    """An agent records a call on a task from their list.

    The agent takes the lead over while the DCC works it (a lost lead is reopened when the customer
    wants a call back or accepts an invitation); the call is logged on the lead as a follow-up; an
    invitation books the appointment, tells the receiving consultant (who then owns the lead) and
    sends the customer a confirmation; a wrong number asks for the lead to be closed as invalid.
    """
    task = CallTask.objects.select_for_update().select_related("store").get(pk=task.pk)
    store = task.store
    if task.status != CallTask.Status.OPEN:
        raise ValidationError(_("This call task is closed already."), code="closed")
    is_manager = has_dcc_perm(actor, store, MANAGE)
    if not is_manager and not (task.agent_id == actor.pk and has_dcc_perm(actor, store, WORK_CALLS)):
        raise ValidationError(_("This call task is not on your list."), code="forbidden")
    lead = Lead.objects.select_related("customer").get(pk=task.lead_id)
    if lead.customer.do_not_disturb:
        raise ValidationError(_("This customer asked not to be disturbed."), code="do_not_disturb")
    now = timezone.now()
    _check_call_input(store, actor, data, now)
    started_at = data.started_at or now
    if lead.status == LeadStatus.LOST:
        if data.outcome in POSITIVE_OUTCOMES:
            lead_services.lead_assign_for_dcc(
                actor=actor, lead=lead, to_user=actor, reopen=True, note=_("Reactivated by a DCC call")
            )
    elif lead.status in WORKING_STATUSES and not can_work_lead(actor, lead):
        lead_services.lead_assign_for_dcc(
            actor=actor,
            lead=lead,
            to_user=actor,
            note=_("Worked from the DCC call list (%(rule)s)") % {"rule": task.get_rule_display()},
        )
    follow_up, appointment = _work_lead(actor, lead, data, take_over=True)
    duration, recording = _call_details(actor, lead.customer.phone, data)
    call = Call.objects.create(
        store=store,
        task=task,
        lead=lead,
        agent=actor,
        direction=Call.Direction.OUTBOUND,
        started_at=started_at,
        duration_seconds=duration,
        recording_ref=recording,
        outcome=data.outcome,
        callback_at=data.callback_at if data.outcome == Outcome.CALL_BACK else None,
        note=data.note.strip(),
        script_steps=list(data.script_steps),
        follow_up=follow_up,
        appointment=appointment,
    )
    _advance_task(task, data.outcome, started_at, data, now)
    audit_record(
        actor=actor,
        action="dcc.call",
        obj=call,
        changes={"task": task.pk, "outcome": data.outcome, "task_status": task.status},
    )
    return call


@dataclass
class InboundInput:
    phone: str
    name: str
    source: Source
    call: CallInput
    gender: str = ""
    series: Any = None
    purchase_time: str = ""
    consent_marketing: bool = False


@transaction.atomic
def inbound_call_log(*, actor: User, store: Store, data: InboundInput) -> Call:
    """An inbound call (呼入): the customer found or created by phone, their lead found or opened
    (graded, filed to the agent), the call logged with its outcome.

    A lead owned by someone else stays theirs: the call is logged and the owner told; only its
    owner invites such a customer.
    """
    if not has_dcc_perm(actor, store, WORK_CALLS):
        raise ValidationError(_("You may not log DCC calls."), code="forbidden")
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    try:
        phone = normalize_phone(data.phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages
        phone = ""
    if not data.name.strip():
        errors["name"] = [_("Enter the caller's name.")]
    if errors:
        raise ValidationError(errors, code="invalid")
    _check_call_input(store, actor, data.call, now)
    customer = lead_services.customer_find_by_phone(store, phone)
    if customer is None:
        try:
            customer = lead_services.customer_create(
                actor=actor,
                store=store,
                name=data.name,
                phone=phone,
                gender=data.gender,
                consent_marketing=data.consent_marketing,
            )
        except lead_services.DuplicateCustomer as exc:
            customer = exc.customer
    lead = customer.leads.open().select_related("owner").first()
    take_over = True
    if lead is None:
        fields = {"purchase_time": data.purchase_time} if data.purchase_time else {}
        if data.series is not None:
            fields["series"] = data.series
        lead, _created = lead_services.lead_create(
            actor=actor,
            customer=customer,
            owner=actor,
            source=data.source,
            grade=data.call.grade or None,
            with_dcc=True,
            **fields,
        )
    elif lead.status in WORKING_STATUSES and not can_work_lead(actor, lead):
        if lead.owner is None:
            lead_services.lead_assign_for_dcc(actor=actor, lead=lead, to_user=actor, note=_("Inbound call"))
        else:
            take_over = False
            if data.call.outcome in (Outcome.INVITED, Outcome.CALL_BACK, Outcome.WRONG_NUMBER):
                raise ValidationError(
                    {
                        "outcome": [
                            _("%(name)s's lead belongs to %(owner)s: log the call as talked and they will be told.")
                            % {"name": customer.name, "owner": lead.owner}
                        ]
                    },
                    code="owned",
                )
    follow_up = appointment = None
    if take_over:
        follow_up, appointment = _work_lead(actor, lead, data.call, take_over=True)
    else:
        notify(
            recipients=[lead.owner],
            store=store,
            level="warning",
            title=_("%(name)s called the DCC") % {"name": customer.name},
            body=data.call.note,
            url=f"/leads/customers/{customer.pk}/",
        )
    task = CallTask.objects.select_for_update().filter(lead=lead, status=CallTask.Status.OPEN).first()
    duration, recording = _call_details(actor, phone, data.call)
    started_at = data.call.started_at or now
    call = Call.objects.create(
        store=store,
        task=task,
        lead=lead,
        agent=actor,
        direction=Call.Direction.INBOUND,
        started_at=started_at,
        duration_seconds=duration,
        recording_ref=recording,
        outcome=data.call.outcome,
        callback_at=data.call.callback_at if data.call.outcome == Outcome.CALL_BACK else None,
        note=data.call.note.strip(),
        follow_up=follow_up,
        appointment=appointment,
    )
    if task is not None:
        # The customer called first: that is the first call; a task that has served its purpose ends.
        _advance_task(task, data.call.outcome, started_at, data.call, now)
    audit_record(actor=actor, action="dcc.inbound", obj=call, changes={"outcome": data.call.outcome, "lead": lead.pk})
    return call


# --- First-call SLA --------------------------------------------------------------------------


def first_call_sla_check(*, store: Store, now: dt.datetime | None = None) -> int:
    """Flag first-call tasks past their deadline, once each, and tell the agents and managers."""
    now = now or timezone.now()
    with transaction.atomic():
        # Locked: a second worker waits, then finds them flagged (nobody is told twice).
        ids = list(
            CallTask.objects.select_for_update()
            .filter(
                store=store,
                status=CallTask.Status.OPEN,
                first_call_at__isnull=True,
                sla_breached_at__isnull=True,
                sla_due_at__lte=now,
            )
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        flagged = CallTask.objects.filter(pk__in=ids, sla_breached_at__isnull=True).update(sla_breached_at=now)
        tasks = list(CallTask.objects.filter(pk__in=ids).select_related("lead__customer", "agent"))
        per_agent: dict[int, list[CallTask]] = {}
        for task in tasks:
            if task.agent_id:
                per_agent.setdefault(task.agent_id, []).append(task)
        for agent_tasks in per_agent.values():
            notify(
                recipients=[agent_tasks[0].agent],
                store=store,
                level="urgent",
                title=_("%(count)d new leads are past their first-call time") % {"count": len(agent_tasks)},
                body=", ".join(t.lead.customer.name for t in agent_tasks[:10]),
                url="/dcc/",
            )
        names = ", ".join(f"{t.lead.customer.name}（{t.agent or _('unassigned')}）" for t in tasks[:10])
        notify(
            recipients=dcc_managers(store),
            store=store,
            level="urgent",
            title=_("First-call SLA missed for %(count)d new leads") % {"count": len(tasks)},
            body=names,
            url="/dcc/queue/",
        )
    return flagged


# --- Invitations and arrival reminders ----------------------------------------------------------


def invitation_confirmation_queue(*, appointment: Appointment) -> ArrivalReminder | None:
    """The customer's confirmation of a DCC invitation: recorded now, sent once the booking commits."""
    reminder, created = ArrivalReminder.objects.get_or_create(
        appointment=appointment, kind=ArrivalReminder.Kind.CONFIRMATION, defaults={"store_id": appointment.store_id}
    )
    if created:
        from .tasks import send_arrival_reminder

        transaction.on_commit(lambda: send_arrival_reminder.delay(reminder.pk))
    return reminder


def _template_text(store_id: int, kind: str) -> tuple[str, str, str]:
    """(channel, subject, body) of the store's active template of ``kind``, else the default."""
    template = MessageTemplate.objects.filter(store_id=store_id, kind=kind, is_active=True).order_by("-id").first()
    if template is not None:
        return template.channel, template.subject, template.body
    subject, body = DEFAULT_TEXTS[kind]
    return Channel.SMS, str(subject), str(body)


def _appointment_values(appointment: Appointment) -> dict[str, object]:
    store = appointment.store
    return {
        "name": appointment.lead.customer.name,
        "store": store.name,
        "address": store.address,
        "phone": store.phone,
        "time": timezone.localtime(appointment.scheduled_at).strftime("%Y-%m-%d %H:%M"),
        "receiver": appointment.receiver.display_name,
    }


def arrival_reminder_send(*, reminder_id: int) -> str:
    """Send one reminder (or confirmation) if nobody has: claimed pending → sending, then sent,
    skipped (do not disturb, no phone, appointment no longer on) or failed. Returns the status."""
    if not ArrivalReminder.objects.filter(pk=reminder_id, status=ArrivalReminder.Status.PENDING).update(
        status=ArrivalReminder.Status.SENDING
    ):
        return ""
    reminder = ArrivalReminder.objects.select_related(
        "appointment__lead__customer", "appointment__store", "appointment__receiver"
    ).get(pk=reminder_id)
    appointment = reminder.appointment
    status, detail = ArrivalReminder.Status.SKIPPED, ""
    if appointment.status != Appointment.Status.SCHEDULED:
        detail = "appointment_" + appointment.status
    else:
        with translation.override(django_settings.LANGUAGE_CODE):
            channel, subject, body = _template_text(appointment.store_id, reminder.kind)
            values = _appointment_values(appointment)
            result = messaging.send_to_customer(
                appointment.lead.customer,
                channel=channel,
                subject=messaging.render_text(subject, values),
                body=messaging.render_text(body, values),
                reference=f"reminder:{reminder.pk}",
            )
        if result.ok:
            status, detail = ArrivalReminder.Status.SENT, result.provider_ref
        elif result.detail in ("do_not_disturb", "no_address"):
            status, detail = ArrivalReminder.Status.SKIPPED, result.detail
        else:
            status, detail = ArrivalReminder.Status.FAILED, result.detail
        reminder.channel = channel
    ArrivalReminder.objects.filter(pk=reminder.pk).update(
        status=status, detail=detail[:200], channel=reminder.channel, sent_at=timezone.now()
    )
    return status


def arrival_reminders_run(*, store: Store, now: dt.datetime | None = None) -> dict[str, int]:
    """Reminders for the store's appointments: the day before (from the store's hour) and on the
    day (from its morning hour, while the appointment is still ahead). Each is recorded once by
    its unique key, then sent by the claim in ``arrival_reminder_send``: two runs send nothing twice.
    Appointments booked today need no reminder today (the confirmation just went out)."""
    now = now or timezone.now()
    settings = dcc_settings(store)
    local = timezone.localtime(now)
    today = local.date()
    today_start, today_end = day_range(today)
    rows: list[ArrivalReminder] = []
    scheduled = Appointment.objects.filter(store=store, status=Appointment.Status.SCHEDULED)
    if local.hour >= settings.reminder_day_before_hour:
        start, end = day_range(today + dt.timedelta(days=1))
        for pk in scheduled.filter(
            scheduled_at__gte=start, scheduled_at__lt=end, created_at__lt=today_start
        ).values_list("pk", flat=True):
            rows.append(ArrivalReminder(store=store, appointment_id=pk, kind=ArrivalReminder.Kind.DAY_BEFORE))
    if local.hour >= settings.reminder_same_day_hour:
        for pk in scheduled.filter(
            scheduled_at__gte=now, scheduled_at__lt=today_end, created_at__lt=today_start
        ).values_list("pk", flat=True):
            rows.append(ArrivalReminder(store=store, appointment_id=pk, kind=ArrivalReminder.Kind.SAME_DAY))
    ArrivalReminder.objects.bulk_create(rows, batch_size=BATCH_SIZE, ignore_conflicts=True)
    counts = {"sent": 0, "skipped": 0, "failed": 0}
    pending = ArrivalReminder.objects.filter(
        store=store,
        status=ArrivalReminder.Status.PENDING,
        kind__in=[ArrivalReminder.Kind.DAY_BEFORE, ArrivalReminder.Kind.SAME_DAY],
    ).values_list("pk", flat=True)
    for pk in list(pending):
        status = arrival_reminder_send(reminder_id=pk)
        if status:
            counts[status] = counts.get(status, 0) + 1
    return counts


# --- Campaigns ---------------------------------------------------------------------------------

CAMPAIGN_FIELDS = {"name", "kind", "template", "subject", "body", "event_name", "event_at", "filter_params"}


def campaign_leads(store: Store, filter_params: dict):
    """The leads a campaign's filter matches: the store's leads still being worked, filtered by the
    same LeadFilterSet as the lead lists."""
    base = Lead.objects.filter(store=store, status__in=WORKING_STATUSES)
    filterset = LeadFilterSet(data=filter_params or {}, queryset=base, store=store)
    if filterset.is_bound and not filterset.is_valid():
        raise ValidationError({"filter_params": [_("The lead filter is not valid.")]}, code="invalid")
    return filterset.qs


def campaign_eligibility(store: Store, kind: str) -> Q:
    """Who may receive a campaign: agreed to marketing, not do-not-disturb, with an address."""
    condition = Q(customer__consent_marketing=True, customer__do_not_disturb=False)
    if kind == Campaign.Kind.EMAIL:
        return condition & ~Q(customer__email="")
    return condition & ~Q(customer__phone="")


def _check_campaign(store: Store, fields: dict) -> None:
    errors: dict[str, list[str]] = {}
    if not (fields.get("name") or "").strip():
        errors["name"] = [_("Give the campaign a name.")]
    if fields.get("kind") not in Campaign.Kind.values:
        errors["kind"] = [_("Choose SMS, email or an event invitation.")]
    if not (fields.get("body") or "").strip():
        errors["body"] = [_("Write the message.")]
    if fields.get("kind") == Campaign.Kind.EMAIL and not (fields.get("subject") or "").strip():
        errors["subject"] = [_("An email needs a subject.")]
    if fields.get("kind") == Campaign.Kind.EVENT:
        if not (fields.get("event_name") or "").strip():
            errors["event_name"] = [_("Name the event.")]
        if fields.get("event_at") is None:
            errors["event_at"] = [_("When is the event?")]
    template = fields.get("template")
    if template is not None and template.store_id != store.pk:
        errors["template"] = [_("Choose a template of this store.")]
    if errors:
        raise ValidationError(errors, code="invalid")


@transaction.atomic
def campaign_create(*, actor: User, store: Store, **fields: Any) -> Campaign:
    """A draft campaign: its message and the filter that picks its leads."""
    _require_manager(actor, store)
    unknown = set(fields) - CAMPAIGN_FIELDS
    if unknown:
        raise TypeError(f"Unknown campaign fields: {sorted(unknown)}")
    _check_campaign(store, fields)
    params = {k: v for k, v in (fields.get("filter_params") or {}).items() if v not in ("", None, [])}
    campaign_leads(store, params)  # validates the filter
    campaign = Campaign.objects.create(
        store=store,
        created_by=actor,
        name=fields["name"].strip(),
        kind=fields["kind"],
        template=fields.get("template"),
        subject=(fields.get("subject") or "").strip(),
        body=fields["body"].strip(),
        event_name=(fields.get("event_name") or "").strip(),
        event_at=fields.get("event_at"),
        filter_params=params,
    )
    audit_record(actor=actor, action="dcc.campaign.create", obj=campaign, changes={"filter": params})
    return campaign


def campaign_queue(*, actor: User, campaign: Campaign) -> Campaign:
    """Queue a draft campaign: one message row per eligible lead (unique per campaign and lead),
    the counts fixed, and the sending handed to Celery once this commits."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        _require_manager(actor, campaign.store_id)
        if campaign.status != Campaign.Status.DRAFT:
            raise ValidationError(_("This campaign has been queued already."), code="invalid_transition")
        store = campaign.store
        leads = campaign_leads(store, campaign.filter_params)
        audience = leads.count()
        address_field = "customer__email" if campaign.kind == Campaign.Kind.EMAIL else "customer__phone"
        rows = list(leads.filter(campaign_eligibility(store, campaign.kind)).values_list("pk", address_field))
        CampaignMessage.objects.bulk_create(
            [CampaignMessage(store=store, campaign=campaign, lead_id=pk, address=address) for pk, address in rows],
            batch_size=2000,
            ignore_conflicts=True,
        )
        campaign.audience_count = audience
        campaign.queued_count = len(rows)
        campaign.excluded_count = audience - len(rows)
        campaign.status = Campaign.Status.QUEUED if rows else Campaign.Status.DONE
        campaign.queued_at = timezone.now()
        if not rows:
            campaign.finished_at = campaign.queued_at
        campaign.save(
            update_fields=["audience_count", "queued_count", "excluded_count", "status", "queued_at", "finished_at"]
        )
        audit_record(
            actor=actor,
            action="dcc.campaign.queue",
            obj=campaign,
            changes={"matched": audience, "queued": len(rows), "excluded": campaign.excluded_count},
        )
        if rows:
            from .tasks import send_campaign

            workers = max(1, min(4, len(rows) // (CAMPAIGN_BATCH * 5)))
            for _worker in range(workers):
                transaction.on_commit(lambda pk=campaign.pk: send_campaign.delay(pk))
    return campaign


def _claim_messages(campaign: Campaign, limit: int) -> list[int]:
    with transaction.atomic():
        ids = list(
            CampaignMessage.objects.select_for_update(skip_locked=True)
            .filter(campaign=campaign, status=CampaignMessage.Status.QUEUED)
            .order_by("id")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            CampaignMessage.objects.filter(pk__in=ids, status=CampaignMessage.Status.QUEUED).update(
                status=CampaignMessage.Status.SENDING
            )
    return ids


def campaign_send_batch(*, campaign_id: int, limit: int = CAMPAIGN_BATCH) -> int:
    """Send up to ``limit`` queued messages of a campaign; each is claimed first, so two workers
    never send the same one. Sent messages are logged on their leads as follow-ups. Returns how
    many were handled (0: nothing left)."""
    campaign = Campaign.objects.select_related("store", "created_by").filter(pk=campaign_id).first()
    if campaign is None or campaign.status not in (Campaign.Status.QUEUED, Campaign.Status.SENDING):
        return 0
    Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.QUEUED).update(status=Campaign.Status.SENDING)
    ids = _claim_messages(campaign, limit)
    if not ids:
        _campaign_finish(campaign)
        return 0
    store = campaign.store
    messages_ = list(CampaignMessage.objects.filter(pk__in=ids).select_related("lead__customer"))
    channel = campaign.channel
    sent: dict[int, str] = {}
    outcome: dict[str, list[tuple[int, str]]] = {"sent": [], "failed": [], "skipped": []}
    with translation.override(django_settings.LANGUAGE_CODE):
        for message in messages_:
            customer = message.lead.customer
            if not customer.consent_marketing or customer.do_not_disturb:
                outcome["skipped"].append(
                    (message.pk, "no_consent" if not customer.do_not_disturb else "do_not_disturb")
                )
                continue
            values = {
                "name": customer.name,
                "store": store.name,
                "address": store.address,
                "phone": store.phone,
                "event": campaign.event_name,
                "event_time": timezone.localtime(campaign.event_at).strftime("%Y-%m-%d %H:%M")
                if campaign.event_at
                else "",
            }
            body = messaging.render_text(campaign.body, values)
            result = messaging.send_to_customer(
                customer,
                channel=channel,
                subject=messaging.render_text(campaign.subject, values),
                body=body,
                reference=f"campaign:{campaign.pk}:lead:{message.lead_id}",
            )
            if result.ok:
                outcome["sent"].append((message.pk, result.provider_ref))
                sent[message.lead_id] = body
            elif result.detail in ("do_not_disturb", "no_address"):
                outcome["skipped"].append((message.pk, result.detail))
            else:
                outcome["failed"].append((message.pk, result.detail))
    now = timezone.now()
    with transaction.atomic():
        follow_ups = lead_services.followups_record_messages(
            actor=campaign.created_by,
            store=store,
            channel=FollowUp.Channel.EMAIL if channel == Channel.EMAIL else FollowUp.Channel.SMS,
            contents=sent,
        )
        by_id = {m.pk: m for m in messages_}
        for pk, ref in outcome["sent"]:
            follow_up = follow_ups.get(by_id[pk].lead_id)
            CampaignMessage.objects.filter(pk=pk).update(
                status=CampaignMessage.Status.SENT,
                detail=ref[:200],
                sent_at=now,
                follow_up_id=follow_up.pk if follow_up else None,
            )
        for status, key in ((CampaignMessage.Status.FAILED, "failed"), (CampaignMessage.Status.SKIPPED, "skipped")):
            for pk, detail in outcome[key]:
                CampaignMessage.objects.filter(pk=pk).update(status=status, detail=(detail or "")[:200], sent_at=now)
        Campaign.objects.filter(pk=campaign.pk).update(
            sent_count=F("sent_count") + len(outcome["sent"]),
            failed_count=F("failed_count") + len(outcome["failed"]),
            skipped_count=F("skipped_count") + len(outcome["skipped"]),
        )
    return len(ids)


def _campaign_finish(campaign: Campaign) -> bool:
    """Done when nothing is queued or being sent (compare-and-set: one worker notifies)."""
    busy = CampaignMessage.objects.filter(
        campaign=campaign, status__in=[CampaignMessage.Status.QUEUED, CampaignMessage.Status.SENDING]
    ).exists()
    if busy:
        return False
    if not Campaign.objects.filter(pk=campaign.pk, status__in=[Campaign.Status.QUEUED, Campaign.Status.SENDING]).update(
        status=Campaign.Status.DONE, finished_at=timezone.now()
    ):
        return False
    campaign.refresh_from_db()
    notify(
        recipients=[campaign.created_by],
        store=campaign.store,
        title=_("Campaign “%(name)s” sent: %(sent)d sent, %(failed)d failed")
        % {"name": campaign.name, "sent": campaign.sent_count, "failed": campaign.failed_count},
        url=f"/dcc/campaigns/{campaign.pk}/",
    )
    return True


@transaction.atomic
def campaign_cancel(*, actor: User, campaign: Campaign) -> Campaign:
    """Stop a campaign: messages not yet sent are skipped."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require_manager(actor, campaign.store_id)
    if campaign.status in (Campaign.Status.DONE, Campaign.Status.CANCELLED):
        raise ValidationError(_("This campaign has finished already."), code="invalid_transition")
    skipped = CampaignMessage.objects.filter(campaign=campaign, status=CampaignMessage.Status.QUEUED).update(
        status=CampaignMessage.Status.SKIPPED, detail="cancelled"
    )
    campaign.status = Campaign.Status.CANCELLED
    campaign.skipped_count += skipped
    campaign.finished_at = timezone.now()
    campaign.save(update_fields=["status", "skipped_count", "finished_at"])
    audit_record(actor=actor, action="dcc.campaign.cancel", obj=campaign, changes={"skipped": skipped})
    return campaign


# --- Reacting to leads (signals of the lower app) -------------------------------------------------


def on_lead_event(sender, lead, actor=None, **kwargs) -> None:
    """A new lead or one handed to the DCC: its rules run in the background (after the commit)."""
    from .tasks import call_list_for_lead

    transaction.on_commit(lambda: call_list_for_lead.delay(lead.pk))


def on_customers_merged(sender, survivor, absorbed, lead_map, actor=None, **kwargs) -> None:
    """Merged leads' calls and tasks follow the kept lead; an open task that would be a second one
    on the kept lead is cancelled."""
    for old_id, new_id in (lead_map or {}).items():
        if old_id == new_id:
            continue
        Call.objects.filter(lead_id=old_id).update(lead_id=new_id)
        if CallTask.objects.filter(lead_id=new_id, status=CallTask.Status.OPEN).exists():
            CallTask.objects.filter(lead_id=old_id, status=CallTask.Status.OPEN).update(
                status=CallTask.Status.CANCELLED, closed_at=timezone.now()
            )
        CallTask.objects.filter(lead_id=old_id).update(lead_id=new_id)
