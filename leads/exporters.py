"""Excel exporters of the leads app, modelled on pretix's data exporters.

An exporter is a small class: an identifier, a translated name, the permission it needs, its
columns (translated header and cell type) and a generator of data rows. ``write_xlsx`` is the one
renderer: it streams the rows into an .xlsx with xlsxwriter's ``constant_memory`` mode, so a
store-sized export needs little memory. The rows come from the same FilterSet and scoping as the
page the user exported from, so the file and the screen cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, ClassVar

import xlsxwriter
from django.db.models import F, QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Store, User
from accounts.services import audit_record

from .models import Customer, Lead
from .selectors import display_phone

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCEL_MAX_TEXT = 32767


@dataclass(frozen=True)
class Column:
    """One column: its header (translated when the file is written) and how its cells are typed."""

    header: str | Promise
    kind: str = "text"  # text | int | datetime | bool
    width: int = 14


class BaseExporter:
    """What every exporter declares; the view checks ``is_allowed`` before it runs one."""

    identifier: ClassVar[str]
    verbose_name: ClassVar[str | Promise]
    required_permission: ClassVar[str]
    columns: ClassVar[list[Column]]

    def __init__(self, *, user: User, queryset: QuerySet):
        self.user = user
        self.queryset = queryset

    @classmethod
    def is_allowed(cls, user: User, perms) -> bool:
        """Excel export is a per-user grant (EXCEL导出权限) on top of the page's permission."""
        return bool(user.is_authenticated and user.can_export and cls.required_permission in perms)

    def header(self) -> list[str]:
        return [str(column.header) for column in self.columns]

    def iterate_rows(self) -> Iterator[list[Any]]:
        raise NotImplementedError

    def filename(self) -> str:
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return f"{self.verbose_name}-{stamp}.xlsx"


class LeadListExporter(BaseExporter):
    """The manager's lead list (客户信息列表) as filtered on screen; phones masked unless allowed."""

    identifier = "lead_list"
    verbose_name = _("Lead list")
    required_permission = "leads.reassign"
    columns = [
        Column(_("Lead number"), "int", 10),
        Column(Lead._meta.get_field("customer").verbose_name, "text", 14),
        Column(Customer._meta.get_field("phone").verbose_name, "text", 16),
        Column(Lead._meta.get_field("grade").verbose_name, "text", 8),
        Column(Lead._meta.get_field("status").verbose_name, "text", 12),
        Column(Lead._meta.get_field("owner").verbose_name, "text", 12),
        Column(Lead._meta.get_field("source").verbose_name, "text", 18),
        Column(Lead._meta.get_field("series").verbose_name, "text", 14),
        Column(Lead._meta.get_field("purchase_time").verbose_name, "text", 14),
        Column(Lead._meta.get_field("created_at").verbose_name, "datetime", 17),
        Column(Lead._meta.get_field("last_follow_up_at").verbose_name, "datetime", 17),
        Column(Lead._meta.get_field("next_follow_up_at").verbose_name, "datetime", 17),
        Column(Lead._meta.get_field("is_fleet").verbose_name, "bool", 8),
        Column(Lead._meta.get_field("with_dcc").verbose_name, "bool", 10),
        Column(Lead._meta.get_field("in_pool_since").verbose_name, "datetime", 17),
    ]

    def iterate_rows(self) -> Iterator[list[Any]]:
        leads = self.queryset.select_related("customer", "owner", "source__parent", "series").order_by(
            F("next_follow_up_at").asc(nulls_last=True), "id"
        )
        for lead in leads.iterator(chunk_size=2000):
            yield [
                lead.pk,
                lead.customer.name,
                display_phone(self.user, lead),
                lead.grade,
                lead.get_status_display(),
                str(lead.owner) if lead.owner else "",
                str(lead.source),
                str(lead.series) if lead.series else "",
                lead.get_purchase_time_display() if lead.purchase_time else "",
                lead.created_at,
                lead.last_follow_up_at,
                lead.next_follow_up_at,
                lead.is_fleet,
                lead.with_dcc,
                lead.in_pool_since,
            ]


EXPORTERS: dict[str, type[BaseExporter]] = {LeadListExporter.identifier: LeadListExporter}


def excel_datetime(value: dt.datetime) -> dt.datetime:
    """Excel has no time zones: Beijing wall-clock time without tzinfo."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None)


def write_xlsx(exporter: BaseExporter, output: IO[bytes]) -> int:
    """Write the exporter's header and rows to ``output`` as .xlsx; returns the number of data rows."""
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "strings_to_numbers": False})
    try:
        sheet = workbook.add_worksheet(str(exporter.verbose_name)[:31])
        bold = workbook.add_format({"bold": True, "bg_color": "#E9ECEF", "border": 1})
        when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        columns = exporter.columns
        # constant_memory writes each row once, in order: widths and panes go first.
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width, when if column.kind == "datetime" else None)
        sheet.freeze_panes(1, 0)
        sheet.write_row(0, 0, exporter.header(), bold)
        rows = 0
        for row in exporter.iterate_rows():
            rows += 1
            for col, (column, value) in enumerate(zip(columns, row, strict=True)):
                if value is None or value == "":
                    continue
                if column.kind == "datetime":
                    sheet.write_datetime(rows, col, excel_datetime(value), when)
                elif column.kind == "int":
                    sheet.write_number(rows, col, value)
                elif column.kind == "bool":
                    sheet.write_boolean(rows, col, bool(value))
                else:
                    # write_string, never write(): "=…" from a customer's name stays text, not a formula.
                    sheet.write_string(rows, col, str(value)[:EXCEL_MAX_TEXT])
        sheet.autofilter(0, 0, rows, len(columns) - 1)
    finally:
        workbook.close()
    return rows


def xlsx_download(exporter: BaseExporter, *, action: str, store: Store, changes: dict | None = None) -> FileResponse:
    """The exporter's workbook as a download, written to a temporary file (closed with the response)
    and audited as ``action`` with what was exported and how many rows."""
    output = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    try:
        rows = write_xlsx(exporter, output)
        audit_record(
            actor=exporter.user,
            action=action,
            store=store,
            changes={"exporter": exporter.identifier, **(changes or {}), "rows": rows},
        )
        output.seek(0)
    except Exception:
        output.close()
        raise
    return FileResponse(output, as_attachment=True, filename=exporter.filename(), content_type=XLSX_CONTENT_TYPE)
