"""8 到店客户登记 — the store-visit register: one row per party, as the desk registered it, with the
留档 flag, whether they ordered that day, and how promptly and accurately the visit was entered
(the info clerk's lead-capture report). Yes/no figures are 1 or 0, so the totals row (and a SUM in
Excel) counts them."""

from __future__ import annotations

import datetime as dt
import heapq
from itertools import islice

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.models import Series
from leads.models import Lead, Source
from leads.phones import mask_phone
from leads.selectors import can_see_full_phone
from showroom.models import Order, ShowroomSettings

from .. import metrics
from ..base import Column, Report
from ..registry import register
from .common import person_names
from .traffic import stay_length


def ordered_that_day(query) -> Exists:
    """The visit's lead has an order (not cancelled) confirmed on the visit's Beijing day. The
    period's bounds only narrow the search: such an order was confirmed within the period."""
    start, end = query.bounds()
    return Exists(
        Order.objects.filter(
            store_id=OuterRef("store_id"),
            lead_id=OuterRef("lead_id"),
            confirmed_at__gte=start,
            confirmed_at__lt=end,
            confirmed_at__date=OuterRef("_day"),
        ).exclude(status=Order.Status.CANCELLED)
    )


def order_days(query, lead_ids) -> set[tuple[int, int, dt.date]]:
    """(store, lead, Beijing day) of the orders (not cancelled) of ``lead_ids`` confirmed in the
    period: the same rule as ``ordered_that_day``, for a batch of rows at once."""
    start, end = query.bounds()
    found = (
        Order.objects.filter(
            store_id__in=query.store_ids, lead_id__in=lead_ids, confirmed_at__gte=start, confirmed_at__lt=end
        )
        .exclude(status=Order.Status.CANCELLED)
        .values_list("store_id", "lead_id", "confirmed_at")
    )
    return {(store_id, lead_id, timezone.localtime(at).date()) for store_id, lead_id, at in found}


def timely_minutes(store_ids) -> dict[int, int]:
    """Each store's minutes within which a visit counts as entered on time (its showroom settings)."""
    default = ShowroomSettings._meta.get_field("timely_minutes").default
    found = dict(ShowroomSettings.objects.filter(store_id__in=store_ids).values_list("store_id", "timely_minutes"))
    return {store_id: found.get(store_id, default) for store_id in store_ids}


def minutes(delta: dt.timedelta | None) -> float | None:
    return delta.total_seconds() / 60 if delta is not None else None


def flag(column_key: str, header, formula, **kwargs) -> Column:
    return Column(column_key, header, "int", 7, formula, **kwargs)


@register
class VisitRegisterReport(Report):
    identifier = "visit_register"
    number = 8
    verbose_name = _("Store-visit register")
    description = _(
        "Every party registered at the desk in the period: visitor, consultant, source, test drive, stay, "
        "whether contact details were filed and whether they ordered that day, and how promptly and accurately "
        "the visit was entered. Yes/no columns are 1 or 0, so their totals count them."
    )
    required_permission = "reports.view_traffic"
    columns = [
        Column("arrived_at", _("Arrived"), "datetime", 16),
        Column("visitor", _("Visitor"), "text", 12),
        Column("phone", _("Phone"), "text", 14),
        Column("party", _("Party size"), "int", 6, _("People in the party.")),
        flag("first_visit", _("First visit"), _("1 when the desk registered a first visit.")),
        Column("consultant", _("Consultant"), "text", 10),
        Column("source", _("Source"), "text", 14),
        Column("series", _("Series"), "text", 12),
        flag("test_drive", _("Test drive"), _("1 when the party took a test drive.")),
        Column("departed_at", _("Left"), "datetime", 16),
        Column("departed", "", "int", hidden=True),
        Column("stay_total", "", "minutes", hidden=True),
        Column(
            "stay",
            _("Stay (min)"),
            "minutes",
            8,
            _("Minutes from arrival to departure; the total is the average over the parties that left."),
            ratio=("stay_total", "departed"),
        ),
        flag("filed", _("Filed"), _("1 when a valid phone number was left (留档)."), compare=True),
        flag(
            "ordered",
            _("Ordered that day"),
            _("1 when the party's lead has an order, not cancelled, confirmed on the day of the visit."),
            compare=True,
        ),
        Column("registered_by", _("Registered by"), "text", 10),
        Column("visits", _("Visits"), "int", hidden=True, compare=True),
        Column("delay_total", "", "minutes", hidden=True),
        Column(
            "delay",
            _("Entered after (min)"),
            "minutes",
            8,
            _("Minutes from arrival to registration; the total is the average."),
            ratio=("delay_total", "visits"),
        ),
        flag(
            "late",
            _("Entered late"),
            _("1 when the visit was entered later after arrival than the store allows (showroom settings)."),
            compare=True,
        ),
        flag("corrected", _("Corrected"), _("1 when the registration was corrected afterwards."), compare=True),
    ]

    def visits(self) -> QuerySet:
        return metrics.visits(self.query)

    def row_estimate(self) -> int:
        return self.visits().count()

    def run(self, *, with_comparison: bool = True, limit: int | None = None):
        """As every report runs, but reading only the records the screen shows (and one more, to
        know there are more): the row count and the totals come from aggregates, so a year of a
        group's visits does not pass through memory to show its first page."""
        limit = self.screen_row_limit if limit is None else limit
        self.read_at_most = limit + 1
        try:
            result = super().run(with_comparison=with_comparison, limit=limit)
        finally:
            self.read_at_most = None
        if result.truncated:
            result.row_count = result.totals["visits"]  # the aggregate's count of every row
        return result

    read_at_most: int | None = None

    FIELDS = (
        "pk",
        "store_id",
        "arrived_at",
        "visitor_name",
        "customer__name",
        "phone",
        "lead_id",
        "lead__owner_id",
        "party_size",
        "is_first_visit",
        "consultant_id",
        "source_id",
        "series_id",
        "test_drive",
        "departed_at",
        "filed",
        "registered_by_id",
        "registered_at",
        "corrected_at",
    )
    BATCH = 2000

    def records(self):
        """The visits in order of arrival as tuples of ``FIELDS``; only the first ``read_at_most``
        when set."""
        ordered = self.visits().order_by("arrived_at", "pk").values_list(*self.FIELDS)
        if self.read_at_most is None:
            return ordered.iterator(chunk_size=self.BATCH)
        # The arrival times of each store's first rows come straight off its (store, arrival)
        # index; merged, they give the last arrival time the page needs, so the rows are read
        # without sorting a group's year of visits to show a page.
        arrivals = self.visits().order_by("arrived_at").values_list("arrived_at", flat=True)
        per_store = [list(arrivals.filter(store_id=store_id)[: self.read_at_most]) for store_id in self.query.store_ids]
        needed = list(islice(heapq.merge(*per_store), self.read_at_most))
        if not needed:
            return []
        return ordered.filter(arrived_at__lte=needed[-1])[: self.read_at_most]

    def rows(self):
        user = self.query.user
        allowed = timely_minutes(self.query.store_ids)
        sources = {source.pk: str(source) for source in Source.objects.select_related("parent")}
        series: dict[int | None, str] = {None: ""}
        names: dict[int | None, str] = {None: ""}
        full_phone: dict[int | None, bool] = {}
        records = iter(self.records())
        while batch := list(islice(records, self.BATCH)):
            # What the batch's rows show by name, and its orders, in a few queries.
            names.update(person_names(({r[10] for r in batch} | {r[16] for r in batch}) - names.keys()))
            wanted = {r[12] for r in batch} - series.keys()
            series.update((row.pk, str(row)) for row in Series.objects.select_related("brand").filter(pk__in=wanted))
            ordered = order_days(self.query, {r[6] for r in batch if r[6] is not None})
            for (
                _pk,
                store_id,
                arrived_at,
                visitor_name,
                customer_name,
                phone,
                lead_id,
                owner_id,
                party,
                first_visit,
                consultant_id,
                source_id,
                series_id,
                test_drive,
                departed_at,
                filed,
                registered_by_id,
                registered_at,
                corrected_at,
            ) in batch:
                if owner_id not in full_phone:
                    # The rule of showroom.selectors.visitor_phone: in full for the lead's owner and
                    # for users allowed to see numbers, masked for everyone else (and in files built
                    # for nobody in particular).
                    full_phone[owner_id] = user is not None and (
                        user.can_see_full_phone
                        or (owner_id is not None and can_see_full_phone(user, Lead(owner_id=owner_id)))
                    )
                delay = registered_at - arrived_at
                day = timezone.localtime(arrived_at).date()
                yield {
                    "arrived_at": arrived_at,
                    "visitor": visitor_name or customer_name or "",
                    "phone": phone if full_phone[owner_id] else mask_phone(phone),
                    "party": party,
                    "first_visit": int(first_visit),
                    "consultant": names.get(consultant_id, ""),
                    "source": sources.get(source_id, ""),
                    "series": series.get(series_id, ""),
                    "test_drive": int(test_drive),
                    "departed_at": departed_at,
                    "departed": int(departed_at is not None),
                    "stay_total": minutes(departed_at - arrived_at) if departed_at is not None else None,
                    "filed": int(filed),
                    "ordered": int((store_id, lead_id, day) in ordered),
                    "registered_by": names.get(registered_by_id, ""),
                    "visits": 1,
                    "delay_total": minutes(delay),
                    "late": int(delay > dt.timedelta(minutes=allowed[store_id])),
                    "corrected": int(corrected_at is not None),
                }

    def totals(self, rows):
        """Aggregates over the period's visits, so the totals are right when the screen shows only
        the first rows (and nothing is held in memory for a large export)."""
        late = Q(pk__in=[])
        for store_id, allowed in timely_minutes(self.query.store_ids).items():
            late |= Q(store_id=store_id, registered_at__gt=F("arrived_at") + dt.timedelta(minutes=allowed))
        visits = self.visits()
        figures = visits.aggregate(
            visits=Count("pk"),
            party=Sum("party_size"),
            first_visit=Count("pk", filter=Q(is_first_visit=True)),
            test_drive=Count("pk", filter=Q(test_drive=True)),
            departed=Count("pk", filter=Q(departed_at__isnull=False)),
            stay=Sum(stay_length()),
            filed=Count("pk", filter=Q(filed=True)),
            delay=Sum(F("registered_at") - F("arrived_at")),
            late=Count("pk", filter=late),
            corrected=Count("pk", filter=Q(corrected_at__isnull=False)),
        )
        # As a condition (not inside the aggregate) the database joins the orders once.
        figures["ordered"] = (
            visits.filter(lead_id__isnull=False)
            .annotate(_day=TruncDate("arrived_at"))
            .filter(ordered_that_day(self.query))
            .count()
        )
        figures["party"] = figures["party"] or 0
        figures["stay_total"] = minutes(figures.pop("stay")) or 0
        figures["delay_total"] = minutes(figures.pop("delay")) or 0
        return figures
