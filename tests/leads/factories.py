"""Helpers for the leads tests: customers and leads made through the services, teams, quick lookups.

Rows are made through the services (not bare ``objects.create``) so every test starts from data
the rules allow.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from accounts.models import Store, Team, User
from leads import services
from leads.models import Customer, Lead, LeadStatus, LostReason, Source
from tests.factories import make_member

_phones = itertools.count(1)


def next_phone() -> str:
    """A fresh valid mobile number for this test run (13900000001, 13900000002, …)."""
    return f"139{next(_phones):08d}"


def source(code: str = "walk_in") -> Source:
    return Source.objects.get(code=code)


def reason(code: str) -> LostReason:
    return LostReason.objects.get(code=code)


def make_customer(store: Store, actor: User | None = None, *, name: str = "张三", phone: str | None = None, **fields):
    return services.customer_create(
        actor=actor, store=store, name=name, phone=next_phone() if phone is None else phone, **fields
    )


def make_lead(
    store: Store,
    owner: User | None,
    *,
    actor: User | None = None,
    customer: Customer | None = None,
    source_code: str = "walk_in",
    **fields,
) -> Lead:
    """A new lead (and its customer unless given) owned by ``owner``, made by the services."""
    customer = customer or make_customer(store, actor or owner)
    lead, created = services.lead_create(
        actor=actor or owner, customer=customer, owner=owner, source=source(source_code), **fields
    )
    assert created
    return lead


def walk_status(lead: Lead, *statuses: str, actor: User | None = None) -> Lead:
    """Move a lead through ``statuses`` one transition at a time, as the services would."""
    for status in statuses:
        lead = services.lead_set_status(lead=lead, to=status, actor=actor)
    return lead


def make_delivered(lead: Lead, actor: User | None = None) -> Lead:
    return walk_status(
        lead,
        LeadStatus.FOLLOWING,
        LeadStatus.INVITED,
        LeadStatus.VISITED,
        LeadStatus.ORDERED,
        LeadStatus.DELIVERED,
        actor=actor,
    )


def make_team(store: Store, supervisor: User, members: list[User], name: str = "销售一组") -> Team:
    team = Team.objects.create(store=store, name=name, supervisor=supervisor)
    team.members.set(members)
    return team


def add_member(store: Store, role: str, username: str) -> User:
    return make_member(store, role, username=username)


def local_dt(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An aware datetime at ``hour`` local time (Asia/Shanghai) on ``day``."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def build_daily_world(store: Store, users) -> dict:
    """Leads in every state the morning job acts on, made today (day 0) for a run on day 7 at 07:00.

    - ``due_today``: next contact on day 7, owner set, no open task → a task is created;
    - ``pooled`` (consultant) and ``outsider_pooled`` (a consultant of another team): first-contact
      task due day 0 → overdue, escalated, back to the pool;
    - ``escalated``: follow-up task due day 3 → overdue and escalated, not pooled;
    - ``overdue``: follow-up task due day 6 → overdue only;
    - ``no_show``: appointment on day 6 nobody came to → no-show, back to following.
    """
    from leads.models import FollowUp

    day0 = timezone.localdate()
    team = make_team(store, users.sales_supervisor, [users.consultant])
    supervisor2 = add_member(store, "sales_supervisor", f"{store.code}_supervisor2")
    outsider = add_member(store, "consultant", f"{store.code}_consultant_b")
    make_team(store, supervisor2, [outsider], name="销售二组")

    def with_next_contact(day_offset: int) -> Lead:
        lead = make_lead(store, users.consultant)
        services.followup_log(
            actor=users.consultant,
            lead=lead,
            channel=FollowUp.Channel.PHONE,
            content="电话沟通，客户关注油耗",
            result=FollowUp.Result.CONTACTED,
            grade="B",
            next_follow_up_at=local_dt(day0 + dt.timedelta(days=day_offset)),
        )
        return lead

    due_today = make_lead(store, None, actor=users.reception, first_contact_due=local_dt(day0 + dt.timedelta(7), 9))
    services.lead_reassign(actor=users.sales_manager, leads=[due_today], to_user=users.consultant, reason="分配")
    no_show = with_next_contact(9)
    services.appointment_create(
        actor=users.consultant,
        lead=no_show,
        scheduled_at=local_dt(day0 + dt.timedelta(days=6), 14),
        receiver=users.consultant,
    )
    world = {
        "day0": day0,
        "run_at": local_dt(day0 + dt.timedelta(days=7), 7),
        "team": team,
        "supervisor2": supervisor2,
        "outsider": outsider,
        "due_today": due_today,
        "pooled": make_lead(store, users.consultant),
        "outsider_pooled": make_lead(store, outsider),
        "escalated": with_next_contact(3),
        "overdue": with_next_contact(6),
        "no_show": no_show,
    }
    for key in ("due_today", "pooled", "outsider_pooled", "escalated", "overdue", "no_show"):
        world[key].refresh_from_db()
    return world
