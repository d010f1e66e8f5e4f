"""Excel export of DCC calls, in the manner of the leads exporters: columns, a row generator, one
renderer. The rows come from the same ``CallFilterSet`` as the API, so file and API agree."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import ClassVar

import xlsxwriter
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from leads.selectors import display_phone

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 64 * 1024


class CallExporter:
    identifier: ClassVar[str] = "dcc_calls"
    verbose_name = _("DCC calls")
    required_permission: ClassVar[str] = "dcc.manage"
    columns = [
        _("Time"),
        _("Agent"),
        _("Direction"),
        _("Customer"),
        _("Phone"),
        _("Outcome"),
        _("Duration (seconds)"),
        _("Recording"),
        _("Call back at"),
        _("Note"),
    ]

    def __init__(self, *, user: User, queryset: QuerySet):
        self.user = user
        self.queryset = queryset

    @classmethod
    def is_allowed(cls, user: User, perms) -> bool:
        """Excel export is a per-user grant (EXCEL导出权限) on top of the page's permission."""
        return bool(user.is_authenticated and user.can_export and cls.required_permission in perms)

    def rows(self) -> Iterator[list]:
        for call in self.queryset.iterator(chunk_size=2000):
            yield [
                timezone.localtime(call.started_at).replace(tzinfo=None),
                call.agent.display_name,
                call.get_direction_display(),
                call.lead.customer.name,
                display_phone(self.user, call.lead),
                call.get_outcome_display(),
                call.duration_seconds,
                call.recording_ref,
                timezone.localtime(call.callback_at).replace(tzinfo=None) if call.callback_at else None,
                call.note[:32767],
            ]

    def stream(self) -> Iterator[bytes]:
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
            workbook = xlsxwriter.Workbook(handle.name, {"constant_memory": True, "remove_timezone": True})
            sheet = workbook.add_worksheet(str(self.verbose_name)[:31])
            when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
            sheet.set_column(0, 0, 17)
            sheet.set_column(3, 5, 14)
            sheet.set_column(9, 9, 40)
            sheet.write_row(0, 0, [str(c) for c in self.columns])
            for index, row in enumerate(self.rows(), start=1):
                for col, value in enumerate(row):
                    if value is None:
                        continue
                    if col in (0, 8):
                        sheet.write_datetime(index, col, value, when)
                    else:
                        sheet.write(index, col, value)
            workbook.close()
            handle.seek(0)
            while chunk := handle.read(CHUNK):
                yield chunk
