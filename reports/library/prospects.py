"""7 有望客户跟踪进度 — prospect follow-up progress: every lead being worked now, how it is followed up
and whether its next follow-up is overdue; the period counts the work done on it."""

from __future__ import annotations

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.dates import day_range
from leads.models import Grade
from leads.phones import mask_phone

from .. import metrics
from ..base import Chart, Column, Report, ReportResult
from ..registry import register
from .common import person_names


@register
class ProspectsReport(Report):
    identifier = "prospects"
    number = 7
    verbose_name = _("Prospect follow-up progress")
    description = _(
        "Every prospect open now (new, following up, invited or visited), whenever it was captured: its grade, "
        "last and next follow-up and how many days the next one is overdue as of today. The period counts the "
        "follow-ups and invitations made on each prospect."
    )
    columns = [
        Column("customer", _("Customer"), "text", 14),
        Column("phone", _("Phone"), "text", 14),
        Column("owner", _("Consultant"), "text", 12),
        Column("grade", _("Grade"), "text", 6),
        Column("source", _("Source"), "text", 18),
        Column("series", _("Series"), "text", 16),
        Column("captured_on", _("Captured on"), "date", 12),
        Column("last_follow_up", _("Last follow-up"), "datetime", 17),
        Column("next_follow_up", _("Next follow-up"), "datetime", 17),
        Column(
            "days_overdue",
            _("Days overdue"),
            "int",
            9,
            _(
                "Days from the day of the next follow-up to today (Beijing time); 0 when not yet due, — when none is planned."
            ),
            total=False,
        ),
        Column(
            "follow_ups",
            _("Follow-ups"),
            "int",
            9,
            _("Follow-ups logged on the prospect in the period, by anyone."),
            compare=True,
        ),
        Column(
            "invitations",
            _("Invitations"),
            "int",
            9,
            _("Invitations made (appointments booked) for the prospect in the period."),
            compare=True,
        ),
        Column("visited", _("Visited"), "bool", 8, _("The customer has visited the store.")),
    ]

    def __init__(self, query):
        super().__init__(query)
        self.today = timezone.localdate()

    def prospects(self):
        return metrics.open_prospects(self.query)

    def rows(self):
        prospects = self.prospects()
        follow_ups = metrics.by_value(metrics.follow_ups_on(self.query, prospects), "lead_id")
        invitations = metrics.by_value(metrics.invitations_on(self.query, prospects), "lead_id")
        names = person_names(prospects.values_list("owner_id", flat=True).distinct().order_by())
        user = self.query.user
        records = prospects.order_by(F("next_follow_up_at").asc(nulls_last=True), "pk").values_list(
            "pk",
            "customer__name",
            "customer__phone",
            "owner_id",
            "grade",
            "source__name",
            "source__parent__name",
            "series__brand__name",
            "series__name",
            "created_at",
            "last_follow_up_at",
            "next_follow_up_at",
            "first_visit_at",
        )
        for (
            pk,
            customer,
            phone,
            owner_id,
            grade,
            source,
            parent_source,
            brand,
            series,
            created_at,
            last_at,
            next_at,
            first_visit_at,
        ) in records.iterator(chunk_size=2000):
            # Full numbers only to the lead's owner and to users granted them (as on the lead pages);
            # a file built for nobody in particular (the report center's) masks them all.
            full = user is not None and (user.can_see_full_phone or owner_id == user.pk)
            shown_phone = phone if full else mask_phone(phone or "")
            yield {
                "customer": customer,
                "phone": shown_phone,
                "owner": names.get(owner_id, "—"),
                "grade": grade,
                "source": f"{parent_source} · {source}" if parent_source else source,
                "series": f"{brand} {series}" if series else "",
                "captured_on": timezone.localtime(created_at).date(),
                "last_follow_up": last_at,
                "next_follow_up": next_at,
                "days_overdue": self.days_overdue(next_at),
                "follow_ups": follow_ups.get(pk, 0),
                "invitations": invitations.get(pk, 0),
                "visited": first_visit_at is not None,
            }

    def days_overdue(self, next_at) -> int | None:
        if next_at is None:
            return None
        return max(0, (self.today - timezone.localtime(next_at).date()).days)

    def totals(self, rows):
        # An aggregate, not the sum of the rows: the screen may show only the first of them.
        prospects = self.prospects()
        return {
            "follow_ups": metrics.follow_ups_on(self.query, prospects).count(),
            "invitations": metrics.invitations_on(self.query, prospects).count(),
        }

    def row_estimate(self) -> int:
        return self.prospects().count()

    def by_grade(self) -> list[tuple[str, int, int, int]]:
        """(grade, overdue, on time, none planned) for every grade with open prospects."""
        today_start, _end = day_range(self.today, self.today)
        counts = {
            row["grade"]: row
            for row in self.prospects()
            .values("grade")
            .annotate(
                overdue=Count("pk", filter=Q(next_follow_up_at__lt=today_start)),
                on_time=Count("pk", filter=Q(next_follow_up_at__gte=today_start)),
                unplanned=Count("pk", filter=Q(next_follow_up_at__isnull=True)),
            )
            .order_by()
        }
        return [
            (grade, counts[grade]["overdue"], counts[grade]["on_time"], counts[grade]["unplanned"])
            for grade in Grade.values
            if grade in counts
        ]

    def chart(self, result: ReportResult):
        grades = self.by_grade()
        return Chart(
            "bar",
            _("Open prospects by grade: overdue or on time"),
            [grade for grade, *_counts in grades],
            {
                str(_("Overdue")): [row[1] for row in grades],
                str(_("On time")): [row[2] for row in grades],
                str(_("No follow-up planned")): [row[3] for row in grades],
            },
        )
