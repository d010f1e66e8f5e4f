"""The Excel files open in LibreOffice Calc with every cell intact: each report's export and a list
export are opened by a headless LibreOffice, saved again as .xlsx, and read back with openpyxl next to
the original — same sheets, same values of the same types (dates stay dates, numbers numbers), same
number formats. ``make test`` installs LibreOffice (Debian's libreoffice-calc-nogui)."""

from __future__ import annotations

import datetime as dt
import math
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from django.utils import translation

from leads.exporters import LeadListExporter, write_xlsx
from leads.models import Lead
from reports.query import ReportQuery
from reports.registry import ordered
from reports.xlsx import write_report
from tests.reports import builders as b

pytestmark = [pytest.mark.office, pytest.mark.django_db]


@pytest.fixture
def month(store, users):
    """A small November with something in every report: leads, follow-ups, an invitation, visits,
    a test drive, an order, a lost lead, a task done."""
    b.small_month(store, users.consultant, users.sales_manager, "walk-in-office")
    return users


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        pytest.fail("LibreOffice is not installed (make test installs libreoffice-calc-nogui)")
    return found


def resave_in_libreoffice(files: list[Path], out: Path, profile: Path) -> None:
    """Open every file in one headless LibreOffice and save it again as .xlsx into ``out``."""
    out.mkdir()
    subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )


def cells(path: Path) -> dict[str, list[list[tuple]]]:
    """Per sheet, per row: (value, number format) of each cell, trailing empty cells left out."""
    book = openpyxl.load_workbook(path, data_only=True)  # Calc saves a boolean as =TRUE(), with its value
    sheets = {}
    for sheet in book.worksheets:
        rows = []
        for row in sheet.iter_rows():
            found = [(cell.value, fmt(cell)) for cell in row]
            while found and found[-1][0] is None:
                found.pop()
            rows.append(found)
        while rows and not rows[-1]:
            rows.pop()
        sheets[sheet.title] = rows
    return sheets


def fmt(cell) -> str:
    """The number format as it reads (LibreOffice escapes literal characters: yyyy\\-mm\\-dd), only
    for cells that hold a value."""
    return cell.number_format.replace("\\", "") if cell.value is not None else ""


def test_every_export_opens_in_libreoffice_calc_with_its_cells_intact(store, users, month, tmp_path):
    written: list[Path] = []
    with translation.override("zh-hans"):
        for report_class in ordered():
            query = ReportQuery(
                user=users.sales_manager,
                stores=(store,),
                first=dt.date(2026, 11, 1),
                last=dt.date(2026, 11, 30),
                extra=report_class.option_extra({}),
            )
            path = tmp_path / f"{report_class.identifier}.xlsx"
            with path.open("wb") as handle:
                write_report(report_class(query), handle)
            written.append(path)
        lead_list = tmp_path / "lead_list.xlsx"
        with lead_list.open("wb") as handle:
            exporter = LeadListExporter(user=users.sales_manager, queryset=Lead.objects.filter(store=store))
            assert write_xlsx(exporter, handle) == 3
        written.append(lead_list)

    resave_in_libreoffice(written, tmp_path / "calc", tmp_path / "profile")

    dated = 0
    for original in written:
        mine, calc = cells(original), cells(tmp_path / "calc" / original.name)
        assert list(calc) == list(mine), original.name  # the same sheets, in order
        for title, rows in mine.items():
            assert len(calc[title]) == len(rows), (original.name, title)
            for number, (row, calc_row) in enumerate(zip(rows, calc[title], strict=True)):
                where = (original.name, title, number)
                assert len(calc_row) == len(row), where
                for (value, _f), (calc_value, _cf) in zip(row, calc_row, strict=True):
                    assert type(calc_value) is type(value), (*where, value, calc_value)
                    if isinstance(value, float):  # written back with Calc's 15 significant digits
                        assert math.isclose(calc_value, value, rel_tol=1e-12), (*where, value, calc_value)
                    else:
                        assert calc_value == value, (*where, value, calc_value)
                assert [f for _v, f in calc_row] == [f for _v, f in row], where
                dated += sum(isinstance(value, dt.datetime) for value, _f in row)
    assert dated > 0  # dates were among the cells compared, and came back as dates
