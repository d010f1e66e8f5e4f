"""Reading a catalog price list from Excel, and the template to fill in.

Parsing is pure: it turns a workbook into checked rows and per-row errors without touching the
database; ``services.catalog_import`` writes the good rows. Headers may be Chinese or English.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from .models import Brand, EnergyType, Segment, Series, Trim, VehicleModel
from .validators import MIN_MODEL_YEAR, max_model_year

MAX_ROWS = 20_000
HEADER_SEARCH_ROWS = 10
MAX_PRICE = Decimal("9999999999.99")
TEN_THOUSAND = Decimal(10_000)


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool
    label: str | Promise
    aliases: tuple[str, ...] = ()

    def matches(self, header: str) -> bool:
        names = {self.zh, self.en, *self.aliases}
        return any(_header_key(header) == _header_key(name) for name in names)


COLUMNS = (
    Column("brand", "品牌", "Brand", True, gettext_lazy("Brand"), ("厂商品牌", "make")),
    Column("series", "车系", "Series", True, gettext_lazy("Series"), ("车型系列",)),
    Column("model", "车型", "Model", True, gettext_lazy("Model"), ("车型名称",)),
    Column("year", "年款", "Year", True, gettext_lazy("Model year"), ("model year", "年份", "年型")),
    Column("trim", "配置", "Trim", True, gettext_lazy("Trim"), ("配置名称", "版本", "款型")),
    Column(
        "price", "指导价", "Guide price", True, gettext_lazy("Guide price"), ("厂商指导价", "指导价格", "price", "msrp")
    ),
    Column("segment", "级别", "Segment", False, gettext_lazy("Segment"), ("车身类型", "车身形式", "body")),
    Column("energy", "能源类型", "Energy type", False, gettext_lazy("Energy type"), ("能源", "energy", "动力类型")),
)

MISSING_MESSAGES = {
    "brand": gettext_lazy("The brand is missing."),
    "series": gettext_lazy("The series is missing."),
    "model": gettext_lazy("The model is missing."),
    "year": gettext_lazy("The model year is missing."),
    "trim": gettext_lazy("The trim is missing."),
    "price": gettext_lazy("The guide price is missing."),
}

# Words dealers write in price lists, beside the codes and the English labels.
SEGMENT_WORDS = {
    "轿车": Segment.SEDAN,
    "三厢": Segment.SEDAN,
    "两厢": Segment.HATCHBACK,
    "掀背": Segment.HATCHBACK,
    "suv": Segment.SUV,
    "越野": Segment.SUV,
    "mpv": Segment.MPV,
    "商务车": Segment.MPV,
    "旅行车": Segment.WAGON,
    "旅行版": Segment.WAGON,
    "跑车": Segment.COUPE,
    "轿跑": Segment.COUPE,
    "敞篷": Segment.COUPE,
    "皮卡": Segment.PICKUP,
    "其他": Segment.OTHER,
}
ENERGY_WORDS = {
    "燃油": EnergyType.FUEL,
    "汽油": EnergyType.FUEL,
    "柴油": EnergyType.FUEL,
    "petrol": EnergyType.FUEL,
    "gasoline": EnergyType.FUEL,
    "diesel": EnergyType.FUEL,
    "油电混合": EnergyType.HYBRID,
    "混动": EnergyType.HYBRID,
    "hev": EnergyType.HYBRID,
    "插电混动": EnergyType.PLUGIN_HYBRID,
    "插混": EnergyType.PLUGIN_HYBRID,
    "增程": EnergyType.PLUGIN_HYBRID,
    "增程式": EnergyType.PLUGIN_HYBRID,
    "erev": EnergyType.PLUGIN_HYBRID,
    "纯电": EnergyType.ELECTRIC,
    "纯电动": EnergyType.ELECTRIC,
    "电动": EnergyType.ELECTRIC,
    "bev": EnergyType.ELECTRIC,
    "electric": EnergyType.ELECTRIC,
}


@dataclass
class ImportRow:
    """One checked data row, ready to write."""

    row: int
    brand: str
    series: str
    model: str
    year: int
    trim: str
    price: Decimal
    segment: str = ""
    energy_type: str = ""

    @property
    def key(self) -> tuple:
        return (self.brand, self.series, self.model, self.year, self.trim)


@dataclass
class ImportRowError:
    """A row that was not imported: its number in the sheet, what it held, and why."""

    row: int
    values: dict[str, str]
    messages: list[str]

    @property
    def reason(self) -> str:
        return " ".join(self.messages)


@dataclass
class ParsedSheet:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[ImportRowError] = field(default_factory=list)
    total: int = 0


@dataclass
class ImportResult:
    """What an import did: rows read, what was created or changed, and every rejected row."""

    total_rows: int = 0
    imported_rows: int = 0
    created: dict[str, int] = field(default_factory=lambda: {"brands": 0, "series": 0, "models": 0, "trims": 0})
    updated_trims: int = 0
    updated_series: int = 0
    unchanged_trims: int = 0
    errors: list[ImportRowError] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return len(self.errors)

    def summary(self) -> dict:
        return {
            "rows": self.total_rows,
            "imported": self.imported_rows,
            "created": dict(self.created),
            "updated_trims": self.updated_trims,
            "updated_series": self.updated_series,
            "unchanged_trims": self.unchanged_trims,
            "rejected": [{"row": e.row, "reason": e.reason} for e in self.errors[:100]],
            "rejected_count": len(self.errors),
        }


def _header_key(text: str) -> str:
    """Headers compared loosely: case, spaces and a unit in brackets do not matter."""
    text = re.sub(r"[（(].*?[)）]", "", str(text))
    return re.sub(r"\s+", "", text).lower()


def _column_for(header) -> tuple[Column | None, bool]:
    """The column a header names (``品牌``, ``Brand`` or ``品牌/Brand``) and whether it says 万元."""
    if header is None:
        return None, False
    text = str(header).strip()
    in_ten_thousands = "万" in text
    for part in re.split(r"[/|／]", text):
        for column in COLUMNS:
            if part.strip() and column.matches(part):
                return column, in_ten_thousands
    return None, False


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value)).strip()


def _max_length(model, field_name: str) -> int:
    return model._meta.get_field(field_name).max_length


NAME_LIMITS = {
    "brand": (Brand, "name"),
    "series": (Series, "name"),
    "model": (VehicleModel, "name"),
    "trim": (Trim, "name"),
}
TOO_LONG_MESSAGES = {
    "brand": gettext_lazy("The brand is longer than %(max)d characters."),
    "series": gettext_lazy("The series is longer than %(max)d characters."),
    "model": gettext_lazy("The model is longer than %(max)d characters."),
    "trim": gettext_lazy("The trim is longer than %(max)d characters."),
}


def parse_year(value) -> int:
    """A model year from a number or text such as ``2025`` or ``2025款``; ValueError with a message."""
    if isinstance(value, bool):
        raise ValueError(_("The model year “%(value)s” is not a whole number.") % {"value": value})
    if isinstance(value, (dt.date, dt.datetime)):
        year = value.year
    elif isinstance(value, (int, float, Decimal)):
        if value != int(value):
            raise ValueError(_("The model year “%(value)s” is not a whole number.") % {"value": value})
        year = int(value)
    else:
        text = str(value).strip()
        text = re.sub(r"\s*(款|年款|年型|年)$", "", text)
        if not re.fullmatch(r"\d{1,4}", text):
            raise ValueError(_("The model year “%(value)s” is not a whole number.") % {"value": value})
        year = int(text)
    upper = max_model_year()
    if not MIN_MODEL_YEAR <= year <= upper:
        raise ValueError(
            _("The model year %(year)d is out of range: it must be between %(min)d and %(max)d.")
            % {"year": year, "min": MIN_MODEL_YEAR, "max": upper}
        )
    return year


def parse_price(value, *, in_ten_thousands: bool = False) -> Decimal:
    """A guide price in yuan from a number or text such as ``¥129,900``, ``12.99万`` or ``129900元``."""
    multiplier = TEN_THOUSAND if in_ten_thousands else Decimal(1)
    if isinstance(value, bool):
        raise ValueError(_("The guide price “%(value)s” is not a number.") % {"value": value})
    if isinstance(value, (int, float, Decimal)):
        text = str(value)
    else:
        text = re.sub(r"[\s,，¥￥]", "", str(value))
        text = re.sub(r"元$", "", text)
        if text.endswith("万"):
            text = text[:-1]
            multiplier = TEN_THOUSAND
    try:
        price = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("The guide price “%(value)s” is not a number.") % {"value": value}) from None
    if not price.is_finite():
        raise ValueError(_("The guide price “%(value)s” is not a number.") % {"value": value})
    price = (price * multiplier).quantize(Decimal("0.01"))
    if price < 0:
        raise ValueError(_("The guide price cannot be negative (%(value)s was given).") % {"value": value})
    if price > MAX_PRICE:
        raise ValueError(_("The guide price %(value)s is too large.") % {"value": value})
    return price


def _choice(value: str, choices, words: dict) -> str | None:
    """The choice code for a code, an English or translated label, or a common Chinese word."""
    key = re.sub(r"\s+", "", value).lower()
    for code, label in choices.choices:
        if key in {code, re.sub(r"\s+", "", str(label)).lower()}:
            return code
    return words.get(key)


def parse_sheet(file) -> ParsedSheet:
    """Check every row of the first worksheet; raise ValidationError when the file itself is unusable."""
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError):
        raise ValidationError(
            _("This file could not be read as an Excel workbook. Please save it as .xlsx and try again."),
            code="unreadable",
        ) from None
    try:
        if not workbook.worksheets:
            raise ValidationError(_("The workbook has no worksheet."), code="empty")
        return _parse_rows(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def _find_header(head: list) -> tuple[int, dict[str, int], bool]:
    """(header row number, column key → index, prices in 万元?) from the first rows of a sheet."""
    seen_content = False
    for number, cells in enumerate(head, start=1):
        if not any(_cell_text(c) for c in cells):
            continue
        seen_content = True
        positions: dict[str, int] = {}
        ten_thousands = False
        for index, header in enumerate(cells):
            column, in_wan = _column_for(header)
            if column is not None and column.key not in positions:
                positions[column.key] = index
                if column.key == "price":
                    ten_thousands = in_wan
        if all(c.key in positions for c in COLUMNS if c.required):
            return number, positions, ten_thousands
        if positions:
            raise _missing_columns([c for c in COLUMNS if c.required and c.key not in positions])
    if not seen_content:
        raise ValidationError(_("The first worksheet is empty."), code="empty")
    raise _missing_columns([c for c in COLUMNS if c.required])


def _missing_columns(missing: list[Column]) -> ValidationError:
    names = ", ".join(f"{c.zh} / {c.en}" for c in missing)
    return ValidationError(
        _("The sheet has no column for: %(columns)s. Please use the template's header row.") % {"columns": names},
        code="missing_columns",
    )


def _parse_rows(row_iter) -> ParsedSheet:
    rows = iter(row_iter)
    # A title or a note may sit above the header row; look for it in the first few rows.
    head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    header_number, positions, ten_thousands = _find_header(head)
    sheet = ParsedSheet()
    seen: dict[tuple, int] = {}
    numbered = itertools.chain(
        enumerate(head[header_number:], start=header_number + 1), enumerate(rows, start=len(head) + 1)
    )
    for number, cells in numbered:
        values = {key: (cells[index] if index < len(cells) else None) for key, index in positions.items()}
        texts = {key: _cell_text(value) for key, value in values.items()}
        if not any(texts.values()):
            continue
        sheet.total += 1
        if sheet.total > MAX_ROWS:
            raise ValidationError(
                _("The sheet has more than %(max)d rows; please split it into smaller files.") % {"max": MAX_ROWS},
                code="too_many_rows",
            )
        row, messages = _check_row(number, values, texts, ten_thousands)
        if row is not None and row.key in seen:
            messages.append(_("This trim already appears in row %(row)d of the file.") % {"row": seen[row.key]})
            row = None
        if row is None:
            sheet.errors.append(ImportRowError(row=number, values=texts, messages=messages))
        else:
            seen[row.key] = number
            sheet.rows.append(row)
    return sheet


def _check_row(number: int, values: dict, texts: dict, ten_thousands: bool) -> tuple[ImportRow | None, list[str]]:
    messages: list[str] = []
    for key, message in MISSING_MESSAGES.items():
        if not texts.get(key):
            messages.append(str(message))
    for key, (model, field_name) in NAME_LIMITS.items():
        limit = _max_length(model, field_name)
        if len(texts.get(key, "")) > limit:
            messages.append(TOO_LONG_MESSAGES[key] % {"max": limit})
    year = price = None
    if texts.get("year"):
        try:
            year = parse_year(values["year"])
        except ValueError as exc:
            messages.append(str(exc))
    if texts.get("price"):
        try:
            price = parse_price(values["price"], in_ten_thousands=ten_thousands)
        except ValueError as exc:
            messages.append(str(exc))
    segment = energy = ""
    if texts.get("segment"):
        segment = _choice(texts["segment"], Segment, SEGMENT_WORDS) or ""
        if not segment:
            messages.append(
                _("The segment “%(value)s” is not known; use one of: %(choices)s.")
                % {"value": texts["segment"], "choices": ", ".join(str(label) for label in Segment.labels)}
            )
    if texts.get("energy"):
        energy = _choice(texts["energy"], EnergyType, ENERGY_WORDS) or ""
        if not energy:
            messages.append(
                _("The energy type “%(value)s” is not known; use one of: %(choices)s.")
                % {"value": texts["energy"], "choices": ", ".join(str(label) for label in EnergyType.labels)}
            )
    if messages:
        return None, messages
    return (
        ImportRow(
            row=number,
            brand=texts["brand"],
            series=texts["series"],
            model=texts["model"],
            year=year,
            trim=texts["trim"],
            price=price,
            segment=segment,
            energy_type=energy,
        ),
        messages,
    )


def template_workbook() -> bytes:
    """An empty price list with the header row in the user's language, and a sheet explaining it."""
    chinese = (get_language() or "").startswith("zh")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Vehicle catalog")[:31]
    sheet.append([c.zh if chinese else c.en for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGH", (14, 16, 20, 10, 30, 14, 12, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet(_("Instructions"))
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 90
    lines = [
        (_("Column"), _("What to enter")),
        (f"{COLUMNS[0].zh} / {COLUMNS[0].en}", _("Required. The brand, e.g. 大众.")),
        (f"{COLUMNS[1].zh} / {COLUMNS[1].en}", _("Required. The series, e.g. 朗逸.")),
        (f"{COLUMNS[2].zh} / {COLUMNS[2].en}", _("Required. The model name, often the series again, e.g. 朗逸.")),
        (
            f"{COLUMNS[3].zh} / {COLUMNS[3].en}",
            _("Required. The model year as a number from %(min)d to %(max)d, e.g. 2025.")
            % {"min": MIN_MODEL_YEAR, "max": max_model_year()},
        ),
        (f"{COLUMNS[4].zh} / {COLUMNS[4].en}", _("Required. The trim, e.g. 1.5L 自动满逸版.")),
        (
            f"{COLUMNS[5].zh} / {COLUMNS[5].en}",
            _("Required. The guide price in yuan, e.g. 129900 (12.99万 is read as 129900)."),
        ),
        (
            f"{COLUMNS[6].zh} / {COLUMNS[6].en}",
            _("Optional. One of: %(choices)s.") % {"choices": ", ".join(str(label) for label in Segment.labels)},
        ),
        (
            f"{COLUMNS[7].zh} / {COLUMNS[7].en}",
            _("Optional. One of: %(choices)s.") % {"choices": ", ".join(str(label) for label in EnergyType.labels)},
        ),
        ("", ""),
        (
            "",
            _(
                "Rows are matched on brand, series, model, year and trim: an existing trim gets the new price, "
                "a new one is added. Rows with a problem are listed after the import and nothing of them is saved."
            ),
        ),
    ]
    for line in lines:
        notes.append(list(line))
    for cell in notes[1]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
