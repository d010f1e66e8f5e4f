"""Reads for leads: who may work a lead, who approves, cadence, duplicates, the timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import Store, User
from accounts.selectors import store_users_with_perm

from .models import (
    Appointment,
    Customer,
    FollowUp,
    FollowUpComment,
    Grade,
    Lead,
    LeadEvent,
    LeadSettings,
    LostRequest,
    Task,
)
from .phones import mask_phone

DEFAULT_CONTACT_HOUR = 10


def lead_settings(store: Store) -> LeadSettings:
    settings, _ = LeadSettings.objects.get_or_create(store=store)
    return settings


def next_contact_default(store: Store, grade: str, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the grade's cadence says to call next: that many days on, at 10:00 local time."""
    days = lead_settings(store).cadence_days(grade)
    if days is None:
        return None
    local_now = timezone.localtime(now or timezone.now())
    day = local_now.date() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(DEFAULT_CONTACT_HOUR)))


def grade_for_purchase_time(purchase_time: str) -> str:
    return {"7d": Grade.H, "15d": Grade.A, "30d": Grade.B}.get(purchase_time, Grade.C)


def can_work_lead(user: User, lead: Lead) -> bool:
    """Owner, the owner's supervisor, or a store-wide lead manager; and the lead is visible."""
    return Lead.objects.visible_to(user, "leads.work").filter(pk=lead.pk).exists()


def can_see_full_phone(user: User, lead_or_customer) -> bool:
    """Full numbers only to the lead's owner and to users granted the permission."""
    if user.can_see_full_phone:
        return True
    if isinstance(lead_or_customer, Lead):
        return lead_or_customer.owner_id == user.pk
    return lead_or_customer.leads.filter(owner=user).exists()


def display_phone(user: User, lead_or_customer, phone: str | None = None) -> str:
    if phone is None:
        customer = lead_or_customer.customer if isinstance(lead_or_customer, Lead) else lead_or_customer
        phone = customer.phone
    return phone if can_see_full_phone(user, lead_or_customer) else mask_phone(phone)


def lead_approvers(lead: Lead) -> list[User]:
    """Who decides a lost or invalid request: the store's approvers who see every lead (managers,
    the GM), and the supervisors of the owner's teams who hold the approval permission."""
    approvers = store_users_with_perm(lead.store, "leads.approve_lost")
    store_wide = approvers.filter(pk__in=store_users_with_perm(lead.store, "leads.view_all").values("pk"))
    supervisors = (
        approvers.filter(supervised_teams__store=lead.store, supervised_teams__members=lead.owner_id)
        if lead.owner_id
        else approvers.none()
    )
    found = {u.pk: u for u in list(store_wide) + list(supervisors) if u.pk != lead.owner_id}
    return list(found.values())


def lead_owners(store: Store) -> QuerySet[User]:
    """People who can own leads in a store (consultants, DCC agents, supervisors, managers)."""
    return store_users_with_perm(store, "leads.own")


def store_managers(store: Store) -> list[User]:
    """The store's sales managers (directly or through the group)."""
    in_store = Q(memberships__store=store) | Q(memberships__group_id=store.group_id)
    # One filter() call, so the store and the role are those of the same membership.
    return list(User.objects.filter(in_store, is_active=True, memberships__role__code="sales_manager").distinct())


def customer_open_lead(customer: Customer) -> Lead | None:
    return customer.leads.open().select_related("owner").first()


def pending_requests_for(user: User) -> QuerySet[LostRequest]:
    """Lost and invalid requests this user may decide."""
    leads = Lead.objects.visible_to(user, "leads.approve_lost")
    return (
        LostRequest.objects.filter(status=LostRequest.Status.PENDING, lead__in=leads)
        .exclude(requested_by=user)
        .select_related("lead__customer", "lead__owner", "reason", "requested_by")
    )


def tasks_for(user: User, store: Store) -> QuerySet[Task]:
    return Task.objects.open().filter(store=store, assignee=user).select_related("lead__customer")


def task_counts(user: User, store: Store) -> dict[str, int]:
    today = timezone.localdate()
    counts = tasks_for(user, store).aggregate(
        today=Count("id", filter=Q(due_date=today)),
        overdue=Count("id", filter=Q(due_date__lt=today)),
        upcoming=Count("id", filter=Q(due_date__gt=today)),
    )
    return counts


def unread_comments_for(user: User) -> QuerySet[FollowUpComment]:
    return FollowUpComment.objects.filter(follow_up__author=user, read_at__isnull=True).select_related(
        "follow_up__lead__customer", "author"
    )


# --- Tasks higher apps add to "My tasks" ---------------------------------------------------------


@dataclass(frozen=True)
class ProvidedTask:
    """A task a higher app puts on the user's "My tasks" page (a post-sale callback, for one)."""

    key: str  # unique on the page, e.g. "callback-12"
    kind: str  # a code for tests and styling, e.g. "callback"
    label: str  # the translated kind, shown as a badge
    title: str
    customer: str
    due: dt.date
    url: str
    overdue: bool


TaskProvider = Callable[[User, Store, dt.date], list[ProvidedTask]]
TaskCounter = Callable[[User, Store, dt.date], int]
_task_providers: list[TaskProvider] = []
_task_counters: dict[TaskProvider, TaskCounter] = {}


def register_task_provider(provider: TaskProvider, count: TaskCounter | None = None) -> None:
    """Higher apps (customer service: the consultant's callbacks) add their open work due on or
    before ``day`` to "My tasks" this way; a provider should answer in one query. ``count`` answers
    how many such tasks there are without building them (the menu badge asks on every page)."""
    if provider not in _task_providers:
        _task_providers.append(provider)
    if count is not None:
        _task_counters[provider] = count


def provided_task_count(user: User, store: Store, day: dt.date) -> int:
    """How many tasks the registered providers have for ``user`` due on or before ``day``."""
    total = 0
    for provider in _task_providers:
        counter = _task_counters.get(provider)
        total += counter(user, store, day) if counter else len(provider(user, store, day))
    return total


def due_task_count(user: User, store: Store, day: dt.date) -> int:
    """The user's open tasks due on or before ``day``: the menu badge (one index-only count)."""
    return Task.objects.open().filter(store=store, assignee=user, due_date__lte=day).count()


def provided_tasks(user: User, store: Store, day: dt.date) -> list[ProvidedTask]:
    """Every registered provider's tasks for ``user`` in ``store`` due on or before ``day``, oldest first."""
    rows: list[ProvidedTask] = []
    for provider in _task_providers:
        rows.extend(provider(user, store, day))
    rows.sort(key=lambda row: (row.due, row.key))
    return rows


# --- Suggested duplicates --------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicatePair:
    first: Customer
    second: Customer
    reason: str


def _similar_phones(a: str, b: str) -> bool:
    if not a or not b or len(a) != len(b):
        return False
    return sum(1 for x, y in zip(a, b, strict=True) if x != y) <= 2


def suggested_duplicates(store: Store, limit: int = 50) -> list[DuplicatePair]:
    """Same name with a similar phone (at most two digits apart), or the same WeChat id."""
    from django.utils.translation import gettext as _

    customers = Customer.objects.filter(store=store).active().exclude(is_fleet=True)
    pairs: list[DuplicatePair] = []
    names = customers.values("name").annotate(n=Count("id")).filter(n__gt=1).values_list("name", flat=True)[: limit * 2]
    for name in names:
        group = list(customers.filter(name=name)[:20])
        for a, b in combinations(group, 2):
            if _similar_phones(a.phone, b.phone):
                pairs.append(DuplicatePair(a, b, _("Same name, similar phone")))
    wechats = (
        customers.exclude(wechat="")
        .values("wechat")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("wechat", flat=True)[:limit]
    )
    for wechat in wechats:
        group = list(customers.filter(wechat=wechat)[:20])
        for a, b in combinations(group, 2):
            pairs.append(DuplicatePair(a, b, _("Same WeChat ID")))
    return pairs[:limit]


# --- The customer timeline -------------------------------------------------------------------


@dataclass
class TimelineEntry:
    at: dt.datetime
    kind: str
    title: str
    detail: str = ""
    actor: str = ""
    lead_id: int | None = None
    url: str = ""


TimelineProvider = Callable[[Customer], list[TimelineEntry]]
_timeline_providers: list[TimelineProvider] = []


def register_timeline_provider(provider: TimelineProvider) -> None:
    """Higher apps (visits, calls, orders) add their entries to the customer page this way."""
    if provider not in _timeline_providers:
        _timeline_providers.append(provider)


def customer_timeline(customer: Customer) -> list[TimelineEntry]:
    """Everything that happened to a customer across all its leads, newest first."""
    from django.utils.translation import gettext as _

    entries: list[TimelineEntry] = []
    lead_ids = list(customer.leads.values_list("id", flat=True))
    for event in LeadEvent.objects.filter(lead_id__in=lead_ids).select_related("actor"):
        detail = " → ".join(v for v in (event.from_value, event.to_value) if v)
        if event.note:
            detail = f"{detail} · {event.note}" if detail else event.note
        entries.append(
            TimelineEntry(
                event.created_at, event.kind, event.get_kind_display(), detail, str(event.actor or ""), event.lead_id
            )
        )
    follow_ups = (
        FollowUp.objects.filter(lead_id__in=lead_ids).select_related("author").prefetch_related("comments__author")
    )
    for fu in follow_ups:
        entries.append(
            TimelineEntry(
                fu.created_at,
                "follow_up",
                _("Follow-up by %(channel)s: %(result)s")
                % {"channel": fu.get_channel_display(), "result": fu.get_result_display()},
                fu.content,
                str(fu.author),
                fu.lead_id,
            )
        )
        for comment in fu.comments.all():
            entries.append(
                TimelineEntry(
                    comment.created_at, "comment", _("Manager comment"), comment.body, str(comment.author), fu.lead_id
                )
            )
    for appointment in Appointment.objects.filter(lead_id__in=lead_ids).select_related("receiver", "created_by"):
        entries.append(
            TimelineEntry(
                appointment.created_at,
                "appointment",
                _("Invitation for %(when)s (%(purpose)s): %(status)s")
                % {
                    "when": timezone.localtime(appointment.scheduled_at).strftime("%Y-%m-%d %H:%M"),
                    "purpose": appointment.get_purpose_display(),
                    "status": appointment.get_status_display(),
                },
                appointment.note,
                str(appointment.created_by),
                appointment.lead_id,
            )
        )
    for request in LostRequest.objects.filter(lead_id__in=lead_ids).select_related(
        "reason", "requested_by", "decided_by"
    ):
        entries.append(
            TimelineEntry(
                request.requested_at,
                "lost_request",
                _("%(kind)s requested: %(reason)s") % {"kind": request.get_kind_display(), "reason": request.reason},
                request.note,
                str(request.requested_by),
                request.lead_id,
            )
        )
        if request.decided_at:
            entries.append(
                TimelineEntry(
                    request.decided_at,
                    "lost_decision",
                    _("Request %(status)s") % {"status": request.get_status_display()},
                    request.decision_comment,
                    str(request.decided_by or ""),
                    request.lead_id,
                )
            )
    for provider in _timeline_providers:
        entries.extend(provider(customer))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


# --- Consultant pages ------------------------------------------------------------------------


def customers_visible_to(user: User, store: Store) -> QuerySet[Customer]:
    """Customers of ``store`` the user may open (``Customer.objects.visible_to``, one store)."""
    return Customer.objects.visible_to(user).filter(store=store)


def calendar_tasks(user: User, store: Store, first: dt.date, last: dt.date) -> QuerySet[Task]:
    """The user's planned contacts (open or done tasks) due between ``first`` and ``last``."""
    return (
        Task.objects.filter(
            store=store,
            assignee=user,
            due_date__gte=first,
            due_date__lte=last,
            status__in=[Task.Status.OPEN, Task.Status.DONE],
        )
        .select_related("lead__customer")
        .order_by("due_date", "due_at", "id")
    )


# --- Managers' pages ---------------------------------------------------------------------------


# A store's open leads per grade (the lead list's chips) are counted at most this often per filter.
GRADE_COUNT_SECONDS = 30


def lead_grade_counts(leads: QuerySet[Lead], *, cache_key: str | None = None) -> dict[str, int]:
    """Open leads per grade of a (filtered) lead queryset, in one aggregate query.

    Only open leads are counted: the store's working set stays small, where all leads ever grow
    without end and counting them on every page would cost more than the list itself. With a
    ``cache_key`` the counts are kept ``GRADE_COUNT_SECONDS``: a store's tens of thousands of open
    leads are not counted again on every page of the list.
    """
    from .models import OPEN_STATUSES

    if cache_key is not None:
        cached = cache.get(cache_key)
        if cached is not None:
            return cached
    # Grouping on the indexed columns (store, status, grade) lets PostgreSQL count from the index.
    counts: dict[str, int] = {}
    for grade, n in leads.filter(status__in=OPEN_STATUSES).order_by().values_list("grade").annotate(n=Count("grade")):
        counts[grade] = counts.get(grade, 0) + n
    result = {grade: counts.get(grade, 0) for grade in Grade.values}
    if cache_key is not None:
        cache.set(cache_key, result, GRADE_COUNT_SECONDS)
    return result


def pool_leads(store: Store) -> QuerySet[Lead]:
    """The store's shared pool (公海): leads still being worked that nobody owns now."""
    from .models import WORKING_STATUSES

    return Lead.objects.filter(store=store, in_pool_since__isnull=False, status__in=WORKING_STATUSES)


def pool_claims_today(user: User) -> int:
    """How many leads ``user`` claimed from a shared pool today (the daily cap counts these)."""
    from .models import PoolClaim

    return PoolClaim.objects.filter(user=user, claimed_on=timezone.localdate()).count()


# --- The lead lists: cached option lists and precomputed rows ------------------------------------

# The option lists of the list pages' filter forms (sources, series, owners) change rarely and are
# drawn on every request: kept this long, so a new source or colleague shows within a minute.
OPTION_LIST_SECONDS = 60
SOURCE_CHOICES_KEY = "leads:choices:active-sources"
SOURCE_LABELS_KEY = "leads:choices:sources"
ACTIVE_SERIES_CHOICES_KEY = "leads:choices:active-series"
SERIES_CHOICES_KEY = "leads:choices:series"


def cached_choices(key: str, queryset: QuerySet, label: Callable[[Any], str] = str) -> list[tuple[int, str]]:
    """``(pk, label)`` of ``queryset``, cached for ``OPTION_LIST_SECONDS`` under ``key``."""
    choices = cache.get(key)
    if choices is None:
        choices = [(obj.pk, label(obj)) for obj in queryset]
        cache.set(key, choices, OPTION_LIST_SECONDS)
    return choices


def source_labels() -> dict[int, str]:
    """Every source's label by id (``str(source)``: "parent · name" for a sub-channel), cached."""
    from .models import Source

    return dict(cached_choices(SOURCE_LABELS_KEY, Source.objects.select_related("parent")))


def series_labels() -> dict[int, str]:
    """Every catalog series' label by id (``str(series)``: "brand name"), cached."""
    from catalog.models import Series

    return dict(cached_choices(SERIES_CHOICES_KEY, Series.objects.select_related("brand")))


# What a lead list row shows, read as plain values: no model instances; the customer and owner
# joined in, source and series labels from the cached lists (four more joins cost the database
# more to plan than to run).
LEAD_ROW_FIELDS = (
    "id",
    "customer_id",
    "customer__name",
    "customer__phone",
    "owner_id",
    "grade",
    "status",
    "series_id",
    "source_id",
    "next_follow_up_at",
    "last_follow_up_at",
    "is_fleet",
    "with_dcc",
    "in_pool_since",
)
OWNER_ROW_FIELDS = ("owner__full_name", "owner__username")


class LeadRow(dict):
    """One row of a lead list: its values by key (what templates look up first) and as attributes,
    ``row.pk`` included, like the lead it stands for."""

    __slots__ = ()

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def pk(self) -> int:
        return self["id"]


def url_for_pk(viewname: str) -> Callable[[int], str]:
    """``reverse(viewname, args=[pk])`` for many pks at the price of one reverse."""
    from django.urls import reverse

    marker = 987654321
    head, tail = reverse(viewname, args=[marker]).split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def lead_rows(rows, *, user: User, today_start: dt.datetime, date_format: str = "%Y-%m-%d %H:%M") -> list[LeadRow]:
    """Rows of a lead list (``.values(*LEAD_ROW_FIELDS)``, plus ``OWNER_ROW_FIELDS`` for the owner's
    name) with what the page shows worked out once: the phone as ``user`` may see it
    (``display_phone``), labels, local times, the customer page's link, the overdue mark."""
    from .models import OPEN_STATUSES, LeadStatus

    customer_url = url_for_pk("leads:customer_detail")
    sources, series = source_labels(), series_labels()
    status_labels = {value: str(label) for value, label in LeadStatus.choices}
    grade_labels = {value: str(label) for value, label in Grade.choices}
    open_statuses = set(OPEN_STATUSES)
    current_tz = timezone.get_current_timezone()
    full_phones = user.can_see_full_phone

    def local(value):
        return value.astimezone(current_tz).strftime(date_format) if value else ""

    result = []
    for values in rows:
        row = LeadRow(values)
        phone = row["customer__phone"]
        next_at = row["next_follow_up_at"]
        row.update(
            customer_url=customer_url(row["customer_id"]),
            phone=phone if full_phones or row["owner_id"] == user.pk else mask_phone(phone),
            grade_label=grade_labels.get(row["grade"], row["grade"]),
            status_label=status_labels.get(row["status"], row["status"]),
            series=series.get(row["series_id"], ""),
            source=sources.get(row["source_id"], ""),
            next_contact=local(next_at),
            last_contact=local(row["last_follow_up_at"]),
            is_overdue=row["status"] in open_statuses and next_at is not None and next_at < today_start,
        )
        if "owner__username" in row:
            row["owner"] = (row["owner__full_name"] or row["owner__username"]) if row["owner_id"] else ""
        result.append(row)
    return result


# --- Actions higher apps add to the customer page ------------------------------------------------


@dataclass(frozen=True)
class LeadAction:
    key: str
    label: str
    url: str


LeadActionProvider = Callable[[Any, Lead], list[LeadAction]]
_lead_action_providers: list[LeadActionProvider] = []


def register_lead_action_provider(provider: LeadActionProvider) -> None:
    """Higher apps (showroom: new order, test drive) offer their actions on a worked lead this way."""
    if provider not in _lead_action_providers:
        _lead_action_providers.append(provider)


def lead_actions(request, lead: Lead) -> list[LeadAction]:
    actions: list[LeadAction] = []
    for provider in _lead_action_providers:
        actions.extend(provider(request, lead))
    return actions
