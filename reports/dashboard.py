"""The store dashboard and the group dashboard: a period's figures for one or more stores, each
counted through ``reports.metrics`` (so a figure here is the same figure as in the reports), with
its formula and a link to the records behind it; and the month's sales targets against the orders
so far, with the leads the rest of the month needs at the store's recent closing rate
(销量 = 集客量 × 成交率).

Counts are taken per store, one query per metric whatever the number of stores, so the group
dashboard costs about what the store dashboard costs; the per-day figures (invitations, visits,
orders, deliveries, lost, leads captured) are read from the daily summaries (``reports.summary``)
for the days they cover. A total is the sum of the stores' counts and its rates are divided from
those sums, never averaged.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from leads.models import Appointment

from . import metrics, summary
from .base import Chart, Column, display, divide
from .query import ReportQuery, _add_months
from .registry import REPORTS

# -- the headline figures ------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One headline figure: a count, or the ratio of two counts (zero denominator → None, "—")."""

    key: str
    label: str | Promise
    formula: str | Promise
    numerator: str
    denominator: str | None = None
    kind: str = "int"  # int | percent | decimal

    def value(self, counts: Counter):
        if self.denominator is None:
            return counts.get(self.numerator, 0)
        return divide(counts.get(self.numerator, 0), counts.get(self.denominator, 0))


def _m(key, label, formula, numerator=None, denominator=None, kind=None) -> Measure:
    return Measure(key, label, formula, numerator or key, denominator, kind or ("percent" if denominator else "int"))


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in [
        # the funnel
        _m("captured", _("Leads captured"), _("Leads created in the period, merged duplicates excluded (集客量).")),
        _m("filed", _("Contact filed"), _("Leads captured whose customer left a phone number (留档).")),
        _m("invited", _("Invited"), _("Invitations made (appointments created) in the period.")),
        _m("arrived", _("Arrived"), _("Showroom visits (parties) that arrived in the period.")),
        _m("orders", _("Ordered"), _("Orders confirmed in the period, cancelled ones excluded.")),
        _m("deliveries", _("Delivered"), _("Cars delivered in the period.")),
        # closing
        _m("closing_rate", _("Closing rate"), _("Orders ÷ leads captured."), "orders", "captured"),
        _m(
            "first_visit_deals",
            _("First-visit deals"),
            _("Orders placed on the day of the lead's first visit (首洽成交)."),
        ),
        _m("follow_up_deals", _("Follow-up deals"), _("The other orders (跟踪回访成交).")),
        _m(
            "first_visit_deal_rate",
            _("First-visit closing rate"),
            _("First-visit deals ÷ leads captured."),
            "first_visit_deals",
            "captured",
        ),
        _m(
            "follow_up_deal_rate",
            _("Follow-up closing rate"),
            _("Follow-up deals ÷ leads captured."),
            "follow_up_deals",
            "captured",
        ),
        # the showroom
        _m(
            "first_visits_no_deal",
            _("First-visit parties without a deal"),
            _("First visits in the period with no order that day (首洽未成交批次)."),
        ),
        _m(
            "retained",
            _("Of them, contact filed"),
            _("First-visit parties without a deal that left a valid phone number."),
        ),
        _m(
            "retention_rate",
            _("First-visit retention rate"),
            _("First-visit parties without a deal that left a phone number ÷ first-visit parties without a deal."),
            "retained",
            "first_visits_no_deal",
        ),
        _m("tasks_due", _("Follow-up tasks due"), _("Follow-up tasks due in the period, cancelled ones excluded.")),
        _m("tasks_on_time", _("Done on time"), _("Tasks due that were done by the end of their due day.")),
        _m(
            "punctuality",
            _("Follow-up punctuality"),
            _("Tasks done by their due date ÷ tasks due."),
            "tasks_on_time",
            "tasks_due",
        ),
        # lost and valid leads
        _m("lost", _("Lost"), _("Lost requests approved in the period (invalid leads are not lost).")),
        _m(
            "lost_rate", _("Lost rate"), _("Lost ÷ (lost + orders); invalid leads excluded."), "lost", "lost_or_ordered"
        ),
        _m("valid", _("Valid leads"), _("Leads captured that were not closed as invalid.")),
        _m("valid_rate", _("Valid-lead rate"), _("Leads not invalid ÷ leads captured."), "valid", "captured"),
        # the DCC, apart from the showroom
        _m("dcc_appointments", _("DCC appointments"), _("DCC appointments scheduled in the period, not cancelled.")),
        _m(
            "dcc_arrived",
            _("DCC invitees who came"),
            _("DCC appointments whose customer visited the store on the appointment day."),
        ),
        _m(
            "dcc_arrival_rate",
            _("DCC invitation arrival rate"),
            _("DCC appointments whose customer came on the day ÷ DCC appointments scheduled."),
            "dcc_arrived",
            "dcc_appointments",
        ),
        _m(
            "showroom_appointments",
            _("Showroom appointments"),
            _("Appointments made by showroom staff, scheduled in the period, not cancelled."),
        ),
        _m(
            "showroom_arrived",
            _("Showroom invitees who came"),
            _("Showroom appointments whose customer visited the store on the appointment day."),
        ),
        _m(
            "showroom_arrival_rate",
            _("Showroom invitation arrival rate"),
            _("Showroom appointments whose customer came on the day ÷ showroom appointments scheduled."),
            "showroom_arrived",
            "showroom_appointments",
        ),
        _m(
            "dcc_orders",
            _("DCC-sourced orders"),
            _("Orders sold by a DCC agent or on a lead handed to or invited by the DCC (counted apart)."),
        ),
        _m("dcc_share", _("DCC share of orders"), _("DCC-sourced orders ÷ orders."), "dcc_orders", "orders"),
        # customer service
        _m("complaints", _("Complaints registered"), _("Complaints registered in the period.")),
        _m(
            "complaints_in_time",
            _("Handled in time"),
            _("Complaints whose handled form came back by its due time."),
        ),
        _m(
            "complaint_sla",
            _("Complaint SLA compliance"),
            _("Complaints whose handled form returned within the due time ÷ complaints registered."),
            "complaints_in_time",
            "complaints",
        ),
        _m(
            "callbacks_due",
            _("Callbacks due"),
            _("Post-sale callbacks (consultants' and satisfaction) due in the period."),
        ),
        _m("callbacks_done", _("Callbacks done"), _("Callbacks due in the period that were made.")),
        _m(
            "callback_completion",
            _("Callback completion"),
            _("Callbacks done ÷ callbacks due."),
            "callbacks_done",
            "callbacks_due",
        ),
        _m("surveys", _("Satisfaction surveys"), _("Satisfaction callbacks with a score, done in the period.")),
        _m(
            "ssi",
            _("SSI"),
            _("Average score of the satisfaction callbacks done in the period (0–100)."),
            "score_total",
            "surveys",
            kind="decimal",
        ),
        # the info clerks
        _m("registrations", _("Visits registered"), _("Visits the info clerks registered in the period.")),
        _m("clerk_leads", _("Leads the clerks captured"), _("Leads created by the clerks who registered visits.")),
        _m(
            "clerk_accuracy",
            _("Registration accuracy"),
            _("Registrations never corrected ÷ registrations."),
            "accurate",
            "registrations",
        ),
        _m(
            "clerk_timeliness",
            _("Registration timeliness"),
            _("Registrations entered within the store's minutes of arrival ÷ registrations."),
            "timely",
            "registrations",
        ),
    ]
}

FUNNEL = ["captured", "filed", "invited", "arrived", "orders", "deliveries"]

# The figures the group dashboard puts side by side (targets follow them).
HEADLINE = [
    *FUNNEL,
    "closing_rate",
    "first_visit_deal_rate",
    "follow_up_deal_rate",
    "retention_rate",
    "punctuality",
    "lost_rate",
    "valid_rate",
    "dcc_arrival_rate",
    "dcc_orders",
    "complaint_sla",
    "callback_completion",
    "ssi",
    "clerk_accuracy",
    "clerk_timeliness",
]


@dataclass
class Figure:
    """A measure's value for a set of stores, ready to show: text ("—" for no denominator), formula, link."""

    measure: Measure
    value: object
    url: str = ""

    @property
    def key(self) -> str:
        return self.measure.key

    @property
    def label(self):
        return self.measure.label

    @property
    def formula(self):
        return self.measure.formula

    @property
    def text(self) -> str:
        return display(Column(self.measure.key, self.measure.label, self.measure.kind), self.value)


def count_by(queryset: QuerySet, *fields: str) -> Counter:
    """Rows per value of ``fields`` (a tuple key when several)."""
    counts: Counter = Counter()
    for row in queryset.values(*fields).annotate(_n=Count("pk")).values_list(*fields, "_n").order_by():
        counts[row[0] if len(fields) == 1 else tuple(row[:-1])] += row[-1]
    return counts


def lead_rows(q: ReportQuery) -> list[dict]:
    """Leads captured and valid per store and source, in one pass over the period's leads."""
    return list(
        metrics.captured_leads(q)
        .values("store_id", "source_id", "source__parent_id")
        .annotate(captured=Count("pk"), valid=Count("pk", filter=metrics.valid_lead()))
        .order_by()
    )


def not_filed(q: ReportQuery) -> Counter:
    """Leads captured whose customer left no phone number, per store: found from the few customers
    without one, so filed (captured less these) needs no join of every lead to its customer."""
    return count_by(metrics.captured_leads(q).exclude(metrics.filed_lead()), "store_id")


def not_valid(q: ReportQuery) -> Counter:
    """Leads captured that were closed as invalid, per store (valid = captured less these)."""
    return count_by(metrics.captured_leads(q).exclude(metrics.valid_lead()), "store_id")


# Dashboard figures that are daily summary columns (``reports.summary.FIGURES``): the same metric.
SUMMARISED = {"invited": "invitations", "arrived": "visits", "deliveries": "deliveries", "lost": "lost"}


def store_counts(q: ReportQuery, clerk_rows: dict | None = None, leads: list[dict] | None = None) -> dict[int, Counter]:
    """Every count the headline figures divide, per store of the query (``clerk_rows`` and
    ``leads``: the info clerks' figures and ``lead_rows`` if already counted). Counts that share
    their rows are taken in one query each, with the metrics' conditions."""
    counts: dict[int, Counter] = {store.pk: Counter() for store in q.stores}

    def add(key: str, queryset: QuerySet) -> None:
        for store_id, n in count_by(queryset, "store_id").items():
            counts[store_id][key] += n

    def add_aggregates(queryset: QuerySet, **aggregates) -> None:
        for row in queryset.values("store_id").annotate(**aggregates).order_by():
            for key in aggregates:
                counts[row["store_id"]][key] += row[key]

    # Per-day figures from the daily summaries (live for the days they do not cover); the leads
    # captured too when there is no table by source to count them from.
    summarised = SUMMARISED if leads is not None else {**SUMMARISED, "captured": "captured_leads"}
    for (store_id,), found in summary.table(q, summarised.values(), by=("store",)).items():
        for key, n in zip(summarised, found, strict=True):
            counts[store_id][key] += n
    if leads is not None:
        for row in leads:
            counts[row["store_id"]]["captured"] += row["captured"]
            counts[row["store_id"]]["valid"] += row["valid"]
    else:
        invalid = not_valid(q)
        for store_id, store_counter in counts.items():
            store_counter["valid"] = store_counter["captured"] - invalid[store_id]
    unfiled = not_filed(q)
    for store_id, store_counter in counts.items():
        store_counter["filed"] = store_counter["captured"] - unfiled[store_id]
    add_aggregates(
        metrics.orders(q),
        orders=Count("pk"),
        first_visit_deals=Count("pk", filter=metrics.first_visit_deal()),
    )
    # In a WHERE clause (not an aggregate's FILTER) the database may hash the DCC leads once
    # instead of probing every order's lead twice.
    add("dcc_orders", metrics.dcc_orders(q))
    add_aggregates(
        metrics.first_visits_no_deal(q), first_visits_no_deal=Count("pk"), retained=Count("pk", filter=Q(filed=True))
    )
    add("tasks_due", metrics.tasks_due(q))
    add("tasks_on_time", metrics.tasks_on_time(q))
    add("complaints", metrics.complaints_registered(q))
    add("complaints_in_time", metrics.complaints_handled_in_time(q))
    add_aggregates(
        metrics.callbacks_due(q), callbacks_due=Count("pk"), callbacks_done=Count("pk", filter=metrics.callback_done())
    )
    appointments = (
        metrics.with_appointment_day(metrics.appointments_due(q))
        .values("store_id", "origin")
        .annotate(n=Count("pk"), came=Count("pk", filter=metrics.arrived_on_the_day_condition()))
        .values_list("store_id", "origin", "n", "came")
        .order_by()
    )
    for store_id, origin, n, came in appointments:
        prefix = "dcc" if origin == Appointment.Origin.DCC else "showroom"
        counts[store_id][f"{prefix}_appointments"] += n
        counts[store_id][f"{prefix}_arrived"] += came
    surveys = (
        metrics.satisfaction_surveys(q)
        .values("store_id")
        .annotate(n=Count("pk"), total=Sum("score"))
        .values_list("store_id", "n", "total")
        .order_by()
    )
    for store_id, n, total in surveys:
        counts[store_id]["surveys"] += n
        counts[store_id]["score_total"] += total or 0
    for (store_id, _clerk_id), row in (metrics.clerk_totals(q) if clerk_rows is None else clerk_rows).items():
        counts[store_id]["registrations"] += row["registrations"]
        counts[store_id]["clerk_leads"] += row["leads_captured"]
        counts[store_id]["accurate"] += row["accurate"]
        counts[store_id]["timely"] += row["timely"]
    for store_counter in counts.values():
        store_counter["follow_up_deals"] = store_counter["orders"] - store_counter["first_visit_deals"]
        store_counter["lost_or_ordered"] = store_counter["lost"] + store_counter["orders"]
    return counts


def total(counts: Iterable[Counter]) -> Counter:
    summed: Counter = Counter()
    for counter in counts:
        summed.update(counter)
    return summed


# -- where each figure's records are listed ------------------------------------------------------


class Links:
    """Links from figures to the records behind them. A list page (lead list, visit list, order
    list, complaint list …) shows the store the user works in, so it is offered only when the
    dashboard shows exactly that store and the user may open the page; otherwise the report that
    counts the same thing, when the user may run it for these stores; otherwise no link."""

    def __init__(self, query: ReportQuery, current_store=None):
        self.query = query
        user = query.user
        self.local = current_store is not None and query.store_ids == [current_store.pk]
        self.perms = frozenset(user.perms_in(current_store)) if (self.local and user) else frozenset()
        if self.local and user is not None:
            from dcc.selectors import dcc_perms

            self.dcc_perms = dcc_perms(user, current_store)
        else:
            self.dcc_perms = frozenset()

    @property
    def dates(self) -> tuple[str, str]:
        return self.query.first.isoformat(), self.query.last.isoformat()

    def page(self, url_name: str, permission: str, params: dict | list, *, dcc: bool = False) -> str:
        needed = permission if isinstance(permission, tuple) else (permission,)
        have = self.dcc_perms if dcc else self.perms
        if not self.local or not all(code in have for code in needed):
            return ""
        return _url(url_name, params)

    def report(self, identifier: str, first: dt.date | None = None) -> str:
        report = REPORTS.get(identifier)
        user = self.query.user
        if report is None or user is None:
            return ""
        if not all(report.required_permission in user.perms_in(store_id) for store_id in self.query.store_ids):
            return ""
        params = [("date_from", (first or self.query.first).isoformat()), ("date_to", self.query.last.isoformat())]
        params += [("stores", store_id) for store_id in self.query.store_ids]
        return _url("reports:report", params, args=[identifier])

    def leads(self, **extra) -> str:
        first, last = self.dates
        return self.page("leads:lead_list", "leads.reassign", {"created_after": first, "created_before": last, **extra})

    def visits(self, **extra) -> str:
        first, last = self.dates
        return self.page("showroom:visit_list", "showroom.view_visits", {"date_from": first, "date_to": last, **extra})

    def orders(self, **extra) -> str:
        """The orders counted: confirmed in the period and not cancelled."""
        first, last = self.dates
        params = {"status": "live", "dates": "confirmed", "date_from": first, "date_to": last}
        return self.page("showroom:order_list", "showroom.view_orders", {**params, **extra})

    def deliveries(self) -> str:
        first, last = self.dates
        params = {"status": "delivered", "dates": "delivered", "date_from": first, "date_to": last}
        return self.page("showroom:order_list", "showroom.view_orders", params)

    def complaints(self, first: dt.date | None = None, **extra) -> str:
        params = {"registered_from": (first or self.query.first).isoformat(), "registered_to": self.dates[1]}
        return self.page("complaints:list", "complaints.view", {**params, **extra})

    def dcc_figures(self, first: dt.date | None = None) -> str:
        from dcc.selectors import VIEW_FIGURES

        params = {"date_from": (first or self.query.first).isoformat(), "date_to": self.dates[1]}
        return self.page("dcc:figures", VIEW_FIGURES, params, dcc=True)

    def dcc_invitations(self) -> str:
        from dcc.selectors import MANAGE, WORK_CALLS

        first, last = self.dates
        return self.page("dcc:invitations", (WORK_CALLS, MANAGE), {"date_from": first, "date_to": last}, dcc=True)

    def figure(self, key: str) -> str:
        return _first(maker(self) for maker in FIGURE_LINKS.get(key, ()))


def _url(url_name: str, params, args=None) -> str:
    return f"{reverse(url_name, args=args)}?{urlencode(params, doseq=True)}"


def _first(urls: Iterable[str]) -> str:
    return next((url for url in urls if url), "")


def _ssi(links: Links) -> str:
    month = links.query.last.replace(day=1)
    return links.page("complaints:ssi", "ssi.view", {"month": f"{month:%Y-%m}"})


def _supervision(links: Links) -> str:
    first, last = links.dates
    return links.page("complaints:supervision", "callbacks.supervise", {"first": first, "last": last})


def _clerks(links: Links) -> str:
    first, last = links.dates
    return links.page("showroom:clerk_figures", "showroom.view_clerk_figures", {"date_from": first, "date_to": last})


# figure key → where its records are, in order of preference (the first the user may open wins).
FIGURE_LINKS: dict[str, tuple[Callable[[Links], str], ...]] = {
    "captured": (Links.leads, lambda x: x.report("customers"), lambda x: x.report("daily_work")),
    "filed": (lambda x: x.report("customers"), Links.leads),
    "valid": (lambda x: x.report("customers"), Links.leads),
    "valid_rate": (lambda x: x.report("customers"), Links.leads),
    "invited": (lambda x: x.report("daily_work"),),
    "arrived": (Links.visits, lambda x: x.report("traffic"), lambda x: x.report("daily_work")),
    "orders": (Links.orders, lambda x: x.report("daily_work")),
    "closing_rate": (Links.orders, lambda x: x.report("daily_work")),
    "first_visit_deals": (Links.orders, lambda x: x.report("daily_work")),
    "follow_up_deals": (Links.orders, lambda x: x.report("daily_work")),
    "first_visit_deal_rate": (Links.orders, lambda x: x.report("daily_work")),
    "follow_up_deal_rate": (Links.orders, lambda x: x.report("daily_work")),
    "deliveries": (Links.deliveries, lambda x: x.report("daily_work")),
    "first_visits_no_deal": (lambda x: x.report("traffic"), lambda x: x.visits(first="1")),
    "retained": (lambda x: x.report("traffic"), lambda x: x.visits(first="1", filed="1")),
    "retention_rate": (lambda x: x.report("traffic"), lambda x: x.visits(first="1")),
    "tasks_due": (lambda x: x.report("activity"),),
    "tasks_on_time": (lambda x: x.report("activity"),),
    "punctuality": (lambda x: x.report("activity"),),
    "lost": (lambda x: x.report("lost_statistics"), lambda x: x.report("daily_work")),
    "lost_rate": (lambda x: x.report("lost_statistics"), lambda x: x.report("daily_work")),
    "dcc_appointments": (Links.dcc_invitations, Links.dcc_figures),
    "dcc_arrived": (Links.dcc_invitations, Links.dcc_figures),
    "dcc_arrival_rate": (Links.dcc_invitations, Links.dcc_figures),
    "showroom_appointments": (lambda x: x.report("daily_work"),),
    "showroom_arrived": (lambda x: x.report("daily_work"),),
    "showroom_arrival_rate": (lambda x: x.report("daily_work"),),
    "dcc_orders": (Links.dcc_figures, lambda x: x.orders(dcc="1")),
    "dcc_share": (Links.dcc_figures, lambda x: x.orders(dcc="1")),
    "complaints": (Links.complaints,),
    "complaints_in_time": (Links.complaints,),
    "complaint_sla": (Links.complaints,),
    "callbacks_due": (_supervision,),
    "callbacks_done": (_supervision,),
    "callback_completion": (_supervision,),
    "surveys": (_ssi,),
    "ssi": (_ssi,),
    "registrations": (_clerks, lambda x: x.report("visit_register")),
    "clerk_leads": (_clerks,),
    "clerk_accuracy": (_clerks,),
    "clerk_timeliness": (_clerks,),
}


def figures(counts: Counter, links: Links | None = None) -> dict[str, Figure]:
    return {
        key: Figure(measure, measure.value(counts), links.figure(key) if links else "")
        for key, measure in MEASURES.items()
    }


# -- sales targets ---------------------------------------------------------------------------------


@dataclass
class TargetLine:
    """Target against actual orders, month to date, for a store or one consultant."""

    name: str
    target: int | None
    orders: int
    person_id: int | None = None
    url: str = ""

    @property
    def remaining(self) -> int | None:
        return None if self.target is None else max(self.target - self.orders, 0)

    @property
    def attainment(self) -> float | None:
        return divide(self.orders, self.target)


@dataclass
class TargetStatus:
    """A store's month: its target and each consultant's against the orders so far, and the leads
    the rest of the month needs at the store's closing rate of the three months before."""

    store_id: int
    store_name: str
    month: dt.date
    as_of: dt.date
    store: TargetLine
    consultants: list[TargetLine]
    recent_first: dt.date
    recent_last: dt.date
    recent_orders: int
    recent_leads: int
    consultant_targets: int = 0
    url: str = ""

    @property
    def recent_rate(self) -> float | None:
        return divide(self.recent_orders, self.recent_leads)

    @property
    def leads_needed(self) -> int | None:
        """ceil(remaining ÷ recent closing rate); 0 when the target is met, None ("—") without a
        target or without a closing rate to divide by. Integer arithmetic: no rounding error."""
        remaining = self.store.remaining
        if remaining is None:
            return None
        if remaining == 0:
            return 0
        if not self.recent_orders or not self.recent_leads:
            return None
        return -(-remaining * self.recent_leads // self.recent_orders)


TARGET_FORMULAS = {
    "remaining": _("Remaining = max(target − orders so far this month, 0)."),
    "recent_rate": _("Recent closing rate = orders ÷ leads captured in the three whole months before this month."),
    "leads_needed": _(
        "Leads needed = remaining ÷ recent closing rate, rounded up (销量 = 集客量 × 成交率); 0 when the target is "
        "met, — without a target or a closing rate."
    ),
    "attainment": _("Attainment = orders so far this month ÷ target."),
}


def target_month(q: ReportQuery) -> tuple[dt.date, dt.date]:
    """The month the targets are shown for (that of the period's last day) and the day "to date"."""
    return q.last.replace(day=1), q.last


def sellers(store) -> list:
    from accounts.selectors import store_users_with_perm

    return list(store_users_with_perm(store, "showroom.sell"))


def target_statuses(q: ReportQuery, *, with_people: bool = True, links: Links | None = None) -> list[TargetStatus]:
    """Each chosen store's month to date against its targets (``with_people``: and each consultant's)."""
    from .models import SalesTarget

    month, as_of = target_month(q)
    month_q = replace(q, first=month, last=as_of)
    recent_first, recent_last = _add_months(month, -3), month - dt.timedelta(days=1)
    recent_q = replace(q, first=recent_first, last=recent_last)
    store_orders: Counter = Counter()
    by_seller: Counter = Counter()
    for (store_id, seller_id), (n,) in summary.table(month_q, ["orders"], by=("store", "person")).items():
        store_orders[store_id] += n
        by_seller[(store_id, seller_id)] += n
    recent_orders: Counter = Counter()
    recent_leads: Counter = Counter()
    for (store_id,), (orders, leads) in summary.table(recent_q, ["orders", "captured_leads"], by=("store",)).items():
        recent_orders[store_id] += orders
        recent_leads[store_id] += leads
    targets = list(SalesTarget.objects.filter(store_id__in=q.store_ids, month=month).select_related("consultant"))
    store_targets = {t.store_id: t.units for t in targets if t.consultant_id is None}
    person_targets = {(t.store_id, t.consultant_id): t for t in targets if t.consultant_id is not None}
    statuses = []
    for store in q.stores:
        consultants = []
        if with_people:
            people = {user.pk: user for user in sellers(store)}
            people.update({pid: t.consultant for (sid, pid), t in person_targets.items() if sid == store.pk})
            scope = q.scope(store.pk)
            sold = {pid: n for (sid, pid), n in by_seller.items() if sid == store.pk}
            missing = [pid for pid in sold if pid not in people and pid is not None]
            if missing:
                from accounts.models import User

                people.update(User.objects.in_bulk(missing))
            for pid, person in people.items():
                if scope is not None and pid not in scope:
                    continue
                target = person_targets.get((store.pk, pid))
                consultants.append(
                    TargetLine(
                        name=str(person),
                        target=target.units if target else None,
                        orders=sold.get(pid, 0),
                        person_id=pid,
                        url=links.orders(seller=pid, date_from=month.isoformat()) if links else "",
                    )
                )
            consultants.sort(key=lambda line: (line.target is None, line.name))
        statuses.append(
            TargetStatus(
                store_id=store.pk,
                store_name=store.name,
                month=month,
                as_of=as_of,
                store=TargetLine(name=store.name, target=store_targets.get(store.pk), orders=store_orders[store.pk]),
                consultants=consultants,
                recent_first=recent_first,
                recent_last=recent_last,
                recent_orders=recent_orders[store.pk],
                recent_leads=recent_leads[store.pk],
                consultant_targets=sum(t.units for (sid, _pid), t in person_targets.items() if sid == store.pk),
            )
        )
    return statuses


# -- the store dashboard -----------------------------------------------------------------------------


def trend_months(q: ReportQuery) -> list[dt.date]:
    """The months of the trends: the period's, and at least the six months to its last day."""
    last_month = q.last.replace(day=1)
    month = min(q.first.replace(day=1), _add_months(last_month, -5))
    months = []
    while month <= last_month:
        months.append(month)
        month = _add_months(month, 1)
    return months


def by_month(queryset: QuerySet, field_name: str, *fields: str) -> Counter:
    """Rows per (Beijing month's first day, *fields), counted by the database."""
    counts: Counter = Counter()
    rows = (
        queryset.annotate(_month=TruncMonth(field_name))
        .values("_month", *fields)
        .annotate(_n=Count("pk"))
        .values_list("_month", *fields, "_n")
        .order_by()
    )
    for month, *values, n in rows:
        if isinstance(month, dt.datetime):
            month = (timezone.localtime(month) if timezone.is_aware(month) else month).date()
        counts[(month.replace(day=1), *values)] += n
    return counts


@dataclass
class Dashboard:
    query: ReportQuery
    counts: Counter
    figures: dict[str, Figure]
    funnel: list[tuple[Figure, float | None]]
    funnel_chart: Chart
    lost_reasons: list[dict]
    sources: list[dict]
    months: list[dt.date]
    sales_by_month: list[dict]
    sales_chart: Chart | None
    complaints_by_category: list[dict]
    complaints_by_touchpoint: list[dict]
    complaints_chart: Chart | None
    clerks: list[dict]
    targets: list[TargetStatus]
    target_formulas: dict = field(default_factory=lambda: TARGET_FORMULAS)

    @property
    def trend_first(self) -> dt.date:
        return self.months[0]

    def formulas(self) -> list[Figure]:
        return [figure for figure in self.figures.values() if figure.formula]


def funnel_steps(found: dict[str, Figure]) -> list[tuple[Figure, float | None]]:
    """The funnel's figures, each with its ratio to the step before (the first has none)."""
    steps = []
    previous = None
    for key in FUNNEL:
        figure = found[key]
        steps.append((figure, divide(figure.value, previous.value) if previous is not None else None))
        previous = figure
    return steps


def lost_reasons(q: ReportQuery, links: Links, limit: int = 5) -> list[dict]:
    """The top lost reasons of the period with their share of the lost."""
    from leads.models import LostReason

    counts = count_by(metrics.lost(q), "reason_id")
    names = {reason.pk: str(reason.name) for reason in LostReason.objects.filter(pk__in=list(counts))}
    lost_total = sum(counts.values())
    url = links.report("lost_analysis") or links.report("lost_statistics")
    top = sorted(counts.items(), key=lambda item: (-item[1], names.get(item[0], "")))[:limit]
    return [
        {"reason": names.get(reason_id, "—"), "count": n, "share": divide(n, lost_total), "url": url}
        for reason_id, n in top
    ]


def valid_by_source(leads: list[dict], links: Links) -> list[dict]:
    """Leads captured and the valid-lead rate per source channel (a sub-channel counts for its
    parent), from ``lead_rows``."""
    from leads.models import Source

    rows: dict[int, dict] = {}
    for found in leads:
        key = found["source__parent_id"] or found["source_id"]
        row = rows.setdefault(key, {"source_id": key, "captured": 0, "valid": 0})
        row["captured"] += found["captured"]
        row["valid"] += found["valid"]
    names = {source.pk: str(source) for source in Source.objects.filter(pk__in=list(rows))}
    for row in rows.values():
        row["source"] = names.get(row["source_id"], "—")
        row["invalid"] = row["captured"] - row["valid"]
        row["rate"] = divide(row["valid"], row["captured"])
        row["url"] = links.leads(source=row["source_id"]) or links.report("customers")
        row["invalid_url"] = links.leads(source=row["source_id"], status="invalid")
    return sorted(rows.values(), key=lambda row: (-row["captured"], row["source"]))


def sales_by_month(q: ReportQuery, months: list[dt.date], links: Links) -> list[dict]:
    """Per month of the trend: all orders, the DCC-sourced ones (of them sold by DCC agents), the
    showroom's (the rest) and the DCC's share."""
    window = replace(q, first=months[0])
    rows = {month: {"month": month, "orders": 0, "dcc": 0, "direct": 0} for month in months}
    for (day,), (n,) in summary.table(window, ["orders"], by=("day",)).items():
        rows[day.replace(day=1)]["orders"] += n
    for (month, direct), n in by_month(metrics.dcc_orders(window), "confirmed_at", "is_dcc_sale").items():
        rows[month]["dcc"] += n
        rows[month]["direct"] += n if direct else 0
    url = links.dcc_figures(first=months[0]) or links.orders(dcc="1")
    for row in rows.values():
        row["showroom"] = row["orders"] - row["dcc"]
        row["share"] = divide(row["dcc"], row["orders"])
        row["url"] = url
    return list(rows.values())


def complaints_over_time(q: ReportQuery, months: list[dt.date], links: Links) -> tuple[list[dict], list[dict]]:
    """Complaints registered per month of the trend, by category and by touchpoint."""
    from complaints.models import Complaint

    window = replace(q, first=months[0])
    index = {month: i for i, month in enumerate(months)}
    by_category: dict[str, list[int]] = defaultdict(lambda: [0] * len(months))
    by_touchpoint: dict[str, list[int]] = defaultdict(lambda: [0] * len(months))
    registered = by_month(metrics.complaints_registered(window), "registered_at", "category", "touchpoint")
    for (month, category, touchpoint), n in registered.items():
        by_category[category][index[month]] += n
        by_touchpoint[touchpoint][index[month]] += n
    categories = [
        {
            "key": value,
            "label": label,
            "months": by_category[value],
            "total": sum(by_category[value]),
            "url": links.complaints(first=months[0], category=value),
        }
        for value, label in Complaint.Category.choices
        if value in by_category
    ]
    touchpoints = [
        {
            "key": value,
            "label": label,
            "months": by_touchpoint[value],
            "total": sum(by_touchpoint[value]),
            "url": links.complaints(first=months[0]),
        }
        for value, label in Complaint.Touchpoint.choices
    ]
    return categories, touchpoints


def clerks(clerk_rows: dict, links: Links) -> list[dict]:
    """The info clerks' figures for the period, one row per clerk (and store)."""
    from accounts.models import User

    names = {user.pk: str(user) for user in User.objects.filter(pk__in={clerk_id for _s, clerk_id in clerk_rows})}
    rows = {key: {**values, "clerk": names.get(key[1], "—")} for key, values in clerk_rows.items()}
    url = _clerks(links)
    for row in rows.values():
        row["accuracy"] = divide(row["accurate"], row["registrations"])
        row["timeliness"] = divide(row["timely"], row["registrations"])
        row["url"] = url
    return sorted(rows.values(), key=lambda row: row["clerk"])


def store_dashboard(q: ReportQuery, current_store=None) -> Dashboard:
    """Everything the store dashboard shows for the query (one store, or several summed)."""
    links = Links(q, current_store)
    clerk_rows = metrics.clerk_totals(q)
    leads = lead_rows(q)
    counts = total(store_counts(q, clerk_rows, leads).values())
    found = figures(counts, links)
    steps = funnel_steps(found)
    chart = Chart(
        "funnel",
        _("Lead funnel"),
        [str(figure.label) for figure, _rate in steps],
        {str(_("Count")): [figure.value for figure, _rate in steps]},
    )
    months = trend_months(q)
    sales = sales_by_month(q, months, links)
    categories, touchpoints = complaints_over_time(q, months, links)
    labels = [f"{month:%Y-%m}" for month in months]
    sales_chart = Chart(
        "bar",
        _("Orders per month: DCC-sourced and showroom"),
        labels,
        {str(_("DCC")): [row["dcc"] for row in sales], str(_("Showroom")): [row["showroom"] for row in sales]},
    )
    complaints_chart = (
        Chart(
            "bar",
            _("Complaints per month by category"),
            labels,
            {str(row["label"]): row["months"] for row in categories},
        )
        if categories
        else None
    )
    targets = target_statuses(q, links=links)
    for status in targets:
        status.url = links.page("reports:targets", "reports.set_targets", {"month": f"{status.month:%Y-%m}"})
    return Dashboard(
        query=q,
        counts=counts,
        figures=found,
        funnel=steps,
        funnel_chart=chart,
        lost_reasons=lost_reasons(q, links),
        sources=valid_by_source(leads, links),
        months=months,
        sales_by_month=sales,
        sales_chart=sales_chart,
        complaints_by_category=categories,
        complaints_by_touchpoint=touchpoints,
        complaints_chart=complaints_chart,
        clerks=clerks(clerk_rows, links),
        targets=targets,
    )


# -- the group dashboard -------------------------------------------------------------------------------


@dataclass
class GroupCell:
    text: str
    value: object
    url: str = ""


@dataclass
class GroupRow:
    key: str
    label: object
    formula: object
    cells: list[GroupCell]  # one per store, then the total


TARGET_ROWS = [
    ("target", _("Sales target this month"), _("The store's target (orders) for the month of the period's end.")),
    ("orders_mtd", _("Orders this month so far"), _("Orders confirmed from the first of that month to its end date.")),
    ("attainment", _("Attainment"), TARGET_FORMULAS["attainment"]),
    ("remaining", _("Remaining"), TARGET_FORMULAS["remaining"]),
    ("leads_needed", _("Leads needed"), TARGET_FORMULAS["leads_needed"]),
]


def group_dashboard(q: ReportQuery, dashboard_url: Callable[[list[int]], str]) -> tuple[list, list[GroupRow]]:
    """The headline figures per store side by side, with a total column. ``dashboard_url(store_ids)``
    gives the store dashboard of those stores for the same period (each cell links there).

    Target rows: the total target is the sum of the stores' targets (stores without one add
    nothing), remaining and leads needed are the sums of each store's (a store ahead of its target
    does not make up for another's shortfall); leads needed is "—" when a store's is."""
    per_store = store_counts(q)
    summed = total(per_store.values())
    statuses = {status.store_id: status for status in target_statuses(q, with_people=False)}
    columns = [(store, dashboard_url([store.pk])) for store in q.stores]
    total_url = dashboard_url(q.store_ids)
    rows = []
    for key in HEADLINE:
        measure = MEASURES[key]
        cells = [
            GroupCell(Figure(measure, measure.value(per_store[store.pk])).text, measure.value(per_store[store.pk]), url)
            for store, url in columns
        ]
        value = measure.value(summed)
        cells.append(GroupCell(Figure(measure, value).text, value, total_url))
        rows.append(GroupRow(key, measure.label, measure.formula, cells))
    int_column = Column("n", "", "int")
    percent_column = Column("p", "", "percent")
    store_values = {
        store.pk: {
            "target": statuses[store.pk].store.target,
            "orders_mtd": statuses[store.pk].store.orders,
            "attainment": statuses[store.pk].store.attainment,
            "remaining": statuses[store.pk].store.remaining,
            "leads_needed": statuses[store.pk].leads_needed,
        }
        for store in q.stores
    }
    with_target = [values for values in store_values.values() if values["target"] is not None]
    total_target = sum(values["target"] for values in with_target) if with_target else None
    total_orders = sum(values["orders_mtd"] for values in store_values.values())
    needed = [values["leads_needed"] for values in with_target]
    total_values = {
        "target": total_target,
        "orders_mtd": total_orders,
        "attainment": divide(sum(values["orders_mtd"] for values in with_target), total_target),
        "remaining": sum(values["remaining"] for values in with_target) if with_target else None,
        "leads_needed": None if (not needed or None in needed) else sum(needed),
    }
    for key, label, formula in TARGET_ROWS:
        column = percent_column if key == "attainment" else int_column
        cells = [
            GroupCell(display(column, store_values[store.pk][key]), store_values[store.pk][key], url)
            for store, url in columns
        ]
        cells.append(GroupCell(display(column, total_values[key]), total_values[key], total_url))
        rows.append(GroupRow(key, label, formula, cells))
    return columns, rows
