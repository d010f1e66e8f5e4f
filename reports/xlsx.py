"""The one Excel renderer of reports: a real .xlsx streamed with xlsxwriter's constant_memory mode.

Layout: a title row, the query conditions, the header row (frozen), typed data rows (numbers as
numbers, dates as Beijing-time dates, percentages as percentages), the totals row, and a second
sheet with the comparison and each figure's formula — the same ``ReportResult`` pieces the screen shows.
"""

from __future__ import annotations

import datetime as dt
from typing import IO

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .base import Column, Report, display_change

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCEL_MAX_TEXT = 32767
SHEET_NAME_MAX = 31


def excel_datetime(value: dt.datetime) -> dt.datetime:
    """Excel has no time zones: Beijing wall-clock time without tzinfo."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None)


class _Formats:
    def __init__(self, workbook):
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.label = workbook.add_format({"bold": True, "font_color": "#555555"})
        self.header = workbook.add_format(
            {"bold": True, "bg_color": "#E9ECEF", "border": 1, "text_wrap": True, "valign": "vcenter"}
        )
        self.total_text = workbook.add_format({"bold": True, "top": 1})
        base = {
            "int": {"num_format": "#,##0"},
            "percent": {"num_format": "0.0%"},
            "minutes": {"num_format": "0"},
            "decimal": {"num_format": "#,##0.00"},
            "date": {"num_format": "yyyy-mm-dd"},
            "datetime": {"num_format": "yyyy-mm-dd hh:mm"},
            "text": {},
            "bool": {},
        }
        self.cell = {kind: workbook.add_format(spec) for kind, spec in base.items()}
        self.total = {kind: workbook.add_format({**spec, "bold": True, "top": 1}) for kind, spec in base.items()}
        self.note = workbook.add_format({"italic": True, "font_color": "#555555"})


def _write_cell(sheet, row: int, col: int, column: Column, value, fmt) -> None:
    if value is None or value == "":
        return
    kind = column.kind
    if kind in ("int", "percent", "minutes", "decimal"):
        sheet.write_number(row, col, float(value), fmt[kind])
    elif kind == "datetime" and isinstance(value, dt.datetime):
        sheet.write_datetime(row, col, excel_datetime(value), fmt[kind])
    elif kind == "date" and isinstance(value, dt.date):
        sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time.min), fmt[kind])
    elif kind == "bool":
        sheet.write_string(row, col, _("Yes") if value else _("No"))
    else:
        sheet.write_string(row, col, str(value)[:EXCEL_MAX_TEXT])


def write_report(report: Report, output: IO[bytes] | str, *, with_comparison: bool = True) -> int:
    """Write the report's whole result to ``output``; returns the number of data rows."""
    query = report.query
    columns = report.visible_columns()
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "strings_to_numbers": False})
    try:
        fmt = _Formats(workbook)
        title = str(report.verbose_name)
        sheet = workbook.add_worksheet(title[:SHEET_NAME_MAX])
        # constant_memory writes each row once, in order: widths and panes come first.
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width)
        conditions = query.describe()
        header_row = 2 + len(conditions)
        sheet.freeze_panes(header_row + 1, 0)
        sheet.write_string(0, 0, title, fmt.title)
        for offset, (label, value) in enumerate(conditions, start=1):
            sheet.write_string(offset, 0, str(label), fmt.label)
            sheet.write_string(offset, 1, str(value))
        sheet.write_row(header_row, 0, [str(column.header) for column in columns], fmt.header)
        row_index = header_row
        rows: list[dict] | None = []
        for row in report.iterate():
            row_index += 1
            for col, column in enumerate(columns):
                _write_cell(sheet, row_index, col, column, row.get(column.key), fmt.cell)
            if rows is not None:
                rows.append({c.key: row.get(c.key) for c in report.columns if c.numeric})
                if len(rows) > report.screen_row_limit:
                    rows = None  # a record list: its totals come from an aggregate, not from memory
        count = row_index - header_row
        totals = report.compute_totals(rows)
        if totals is not None:
            row_index += 1
            for col, column in enumerate(columns):
                if col == 0 and not column.numeric:
                    sheet.write_string(row_index, 0, str(report.totals_label), fmt.total_text)
                elif column.numeric and (column.total or column.ratio):
                    _write_cell(sheet, row_index, col, column, totals.get(column.key), fmt.total)
        _write_notes(workbook, report, totals if with_comparison else None, fmt)
    finally:
        workbook.close()
    return count


def _write_notes(workbook, report: Report, totals, fmt) -> None:
    sheet = workbook.add_worksheet(_("Comparison and formulas")[:SHEET_NAME_MAX])
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 6, 14)
    row = 0
    comparisons = report.compare(totals) if totals is not None else []
    if comparisons:
        headers = [
            _("Figure"),
            _("This period"),
            _("Previous period"),
            pgettext("comparison", "Change"),
            _("Same period last year"),
            pgettext("comparison", "Change"),
        ]
        sheet.write_row(row, 0, headers, fmt.header)
        for item in comparisons:
            row += 1
            column = item.column
            sheet.write_string(row, 0, str(column.header))
            _write_cell(sheet, row, 1, column, item.current, fmt.cell)
            _write_cell(sheet, row, 2, column, item.previous, fmt.cell)
            sheet.write_string(row, 3, display_change(column, item.previous_change))
            _write_cell(sheet, row, 4, column, item.last_year, fmt.cell)
            sheet.write_string(row, 5, display_change(column, item.last_year_change))
        row += 2
    formulas = report.formulas()
    if formulas:
        sheet.write_row(row, 0, [_("Figure"), _("Formula")], fmt.header)
        for column in formulas:
            row += 1
            sheet.write_string(row, 0, str(column.header))
            sheet.write_string(row, 1, str(column.formula), fmt.note)


def filename(report: Report) -> str:
    query = report.query
    stores = query.stores[0].name if len(query.stores) == 1 else _("%(count)s stores") % {"count": len(query.stores)}
    return f"{report.verbose_name}-{stores}-{query.first:%Y%m%d}-{query.last:%Y%m%d}.xlsx"
