"""Excel exporters of the showroom, on the leads app's exporter base and its one xlsx renderer
(xlsxwriter ``constant_memory``, Beijing wall-clock time without tzinfo, strings never formulas).

The rows come from the same FilterSet and scoping as the page the user exported from.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads.exporters import XLSX_CONTENT_TYPE, BaseExporter, Column, write_xlsx

from .models import Visit
from .selectors import visitor_phone

__all__ = ["XLSX_CONTENT_TYPE", "VisitListExporter", "write_xlsx", "EXPORTERS"]


def _label(field: str):
    return Visit._meta.get_field(field).verbose_name


class VisitListExporter(BaseExporter):
    """The visit register (到店客户登记) as filtered on screen; phones masked unless allowed."""

    identifier = "visit_list"
    verbose_name = gettext_lazy("Showroom visits")
    required_permission = "showroom.view_visits"
    columns = [
        Column(_label("arrived_at"), "datetime", 17),
        Column(_label("departed_at"), "datetime", 17),
        Column(gettext_lazy("Stay (minutes)"), "int", 10),
        Column(_label("visitor_name"), "text", 12),
        Column(_label("phone"), "text", 15),
        Column(_label("party_size"), "int", 8),
        Column(gettext_lazy("First or return"), "text", 10),
        Column(_label("source"), "text", 16),
        Column(_label("series"), "text", 16),
        Column(_label("consultant"), "text", 12),
        Column(_label("test_drive"), "bool", 8),
        Column(_label("filed"), "bool", 8),
        Column(gettext_lazy("No follow-up (flagged)"), "bool", 12),
        Column(_label("note"), "text", 24),
        Column(_label("registered_by"), "text", 12),
        Column(_label("registered_at"), "datetime", 17),
        Column(gettext_lazy("Corrected"), "bool", 8),
    ]

    def iterate_rows(self) -> Iterator[list[Any]]:
        visits = self.queryset.select_related(
            "consultant", "source__parent", "series__brand", "lead", "registered_by"
        ).order_by("arrived_at", "id")
        first, again = _("First visit"), _("Return visit")
        for visit in visits.iterator(chunk_size=2000):
            flagged = bool(visit.follow_up_flagged_at and visit.follow_up_flagged_at != visit.arrived_at)
            yield [
                visit.arrived_at,
                visit.departed_at,
                visit.stay_minutes,
                visit.visitor_name,
                visitor_phone(self.user, visit),
                visit.party_size,
                first if visit.is_first_visit else again,
                str(visit.source) if visit.source else "",
                str(visit.series) if visit.series else "",
                str(visit.consultant) if visit.consultant else "",
                visit.test_drive,
                visit.filed,
                flagged,
                visit.note,
                str(visit.registered_by),
                visit.registered_at,
                visit.corrected_at is not None,
            ]


EXPORTERS: dict[str, type[BaseExporter]] = {VisitListExporter.identifier: VisitListExporter}
