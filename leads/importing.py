"""Importing lead lists (purchased lists, exhibition sign-ups, platform exports) from .xlsx or .csv.

Reading, mapping and checking rows are pure functions of the file (and the catalog); the batch
functions at the end write. The steps are: ``batch_create`` (upload: the header row and column
mapping are detected), ``batch_set_mapping`` (the user corrects the mapping), ``preview`` (the
first rows with their check result), ``batch_start`` (synchronously, or in Celery above
``ASYNC_THRESHOLD`` rows) and ``batch_run`` (the commit).

**Atomicity: chunks, each one transaction, with a checkpoint on the batch.** The commit works
through the file ``CHUNK_SIZE`` data rows at a time. One chunk is one transaction that writes its
customers, leads, "created" and "enquiry" events, first-contact tasks, the audit entry *and* the
batch's counters (``good_rows + bad_rows`` = data rows done: the checkpoint). A crash midway
therefore leaves every chunk either fully written or not at all, and a rerun of the same batch
(Celery's retry, or "Resume" on the page) skips the rows before the checkpoint and carries on:
nothing is imported twice. Each chunk's problem rows are kept beside the upload in a small JSON
file written before the chunk commits (a rerun overwrites it); the downloadable .xlsx is put
together from those at the end.

**Duplicates.** A row whose phone belongs to a customer of the store with an *open* lead does not
create anything new: it is attached to that lead as an enquiry (a lead event, as ``lead_create``
does for a new enquiry) and is listed, with the lead's owner, on the "Duplicates" sheet of the
result file. A row repeating the phone of an earlier row of the same file is attached to the lead
that row produced, in the same way. A known customer without an open lead (lost, invalid,
delivered) gets a new lead, as ``lead_create`` would open one (a repurchase after a delivery).

**Speed** (100,000 rows: about 8 s of Python and 10 s of PostgreSQL CPU, see
``bench/import_100k.py``). No per-row service calls or queries: the store's phones are loaded in
one query per run and the matches looked up by id per chunk; customers, leads, events and tasks
go in with one ``COPY`` per table and chunk on PostgreSQL (``bulk_create`` elsewhere); one audit
entry per chunk; .xlsx files are read by a lean streaming parser (openpyxl's read-only mode alone
took 24 s for 100,000 rows), a chunk ahead in a thread while the database writes the current one.
New leads are announced per chunk (``leads_imported``), not per lead.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import logging
import re
import tempfile
import threading
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from queue import Full, Queue
from typing import IO, Any
from xml.etree import ElementTree

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from accounts.models import AuditLog, Store, User
from accounts.services import audit_record, notify
from catalog.models import Series

from .models import (
    OPEN_STATUSES,
    Customer,
    Grade,
    ImportBatch,
    Lead,
    LeadEvent,
    LeadSettings,
    LeadStatus,
    Source,
    Task,
)
from .phones import normalize_phone
from .selectors import grade_for_purchase_time, lead_settings

logger = logging.getLogger(__name__)

#: Sent after each committed chunk of an import with ``store``, ``lead_ids`` (its new leads) and
#: ``actor``: the bulk counterpart of ``signals.lead_created``, which an import does not send per
#: lead — a receiver that enqueues a task per lead would turn 100,000 rows into 100,000 Celery
#: tasks. Higher apps (the DCC's call lists) listen here and handle a chunk in one job.
leads_imported = Signal()

CHUNK_SIZE = 5_000
ASYNC_THRESHOLD = getattr(django_settings, "LEADS_IMPORT_ASYNC_ROWS", 2_000)
PREVIEW_ROWS = 20
HEADER_SEARCH_ROWS = 10
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
BULK_BATCH_SIZE = 1_000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportFileError(ValidationError):
    """The upload cannot be read as a lead list (wrong format, damaged, empty)."""


# --- Columns --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str | Promise
    aliases: tuple[str, ...]


FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "name",
        gettext_lazy("Name"),
        ("姓名", "客户姓名", "客户名称", "名字", "客户", "联系人", "name", "customer", "customername", "fullname"),
    ),
    ImportField(
        "phone",
        gettext_lazy("Phone"),
        (
            "手机",
            "手机号",
            "手机号码",
            "电话",
            "联系电话",
            "电话号码",
            "联系方式",
            "移动电话",
            "客户电话",
            "客户手机",
            "phone",
            "mobile",
            "tel",
            "telephone",
            "cellphone",
            "phonenumber",
            "mobilephone",
        ),
    ),
    ImportField(
        "series",
        gettext_lazy("Intended series"),
        ("车系", "意向车系", "意向车型", "车型", "关注车型", "意向车", "series", "model", "car", "vehicle"),
    ),
    ImportField(
        "grade", gettext_lazy("Grade"), ("意向级别", "级别", "客户级别", "意向等级", "等级", "grade", "level", "intent")
    ),
    ImportField(
        "purchase_time",
        gettext_lazy("Expected purchase time"),
        (
            "预计购车时间",
            "购车时间",
            "计划购车时间",
            "预购时间",
            "购车周期",
            "purchasetime",
            "expectedpurchase",
            "buyingtime",
            "timeframe",
        ),
    ),
    ImportField("note", gettext_lazy("Note"), ("备注", "说明", "留言", "需求", "note", "notes", "remark", "remarks")),
    ImportField("wechat", gettext_lazy("WeChat ID"), ("微信", "微信号", "wechat", "weixin", "wx")),
    ImportField(
        "address",
        gettext_lazy("Address"),
        ("地址", "联系地址", "住址", "家庭住址", "所在地", "地区", "城市", "address"),
    ),
    ImportField("gender", gettext_lazy("Title"), ("性别", "称呼", "gender", "sex")),
    ImportField("budget", gettext_lazy("Budget"), ("预算", "购车预算", "budget")),
    ImportField("campaign", gettext_lazy("Campaign"), ("活动", "活动名称", "campaign", "event")),
)
FIELD_KEYS = [f.key for f in FIELDS]
MAX_LENGTHS = {"name": 60, "wechat": 60, "address": 200, "budget": 40, "campaign": 100}

_HEADER_NOISE = re.compile(r"[\s_\-\.:：/\\*＊]|[（(][^)）]*[)）]")


def _header_key(text: str) -> str:
    return _HEADER_NOISE.sub("", str(text or "")).lower()


def auto_mapping(headers: list[str]) -> dict[str, int]:
    """Field key → column index, from header names in Chinese or English.

    Exact names first; then a header ending with a known name (客户手机号码 → phone: in Chinese the
    head noun comes last), then one containing it. Each column and each field is used once.
    """
    keys = [_header_key(h) for h in headers]
    mapping: dict[str, int] = {}
    used: set[int] = set()
    passes = (
        lambda key, alias: key == alias,
        lambda key, alias: len(alias) >= 2 and key.endswith(alias),
        lambda key, alias: len(alias) >= 2 and alias in key,
    )
    for matches in passes:
        for spec in FIELDS:
            if spec.key in mapping:
                continue
            aliases = sorted({_header_key(a) for a in spec.aliases}, key=len, reverse=True)
            for index, key in enumerate(keys):
                if index in used or not key:
                    continue
                if any(matches(key, alias) for alias in aliases):
                    mapping[spec.key] = index
                    used.add(index)
                    break
    return mapping


# --- Reading files ----------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as the text a person sees: 13812345678.0 → "13812345678", dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def file_kind(name: str) -> str:
    lowered = (name or "").lower()
    if lowered.endswith(".xlsx") or lowered.endswith(".xlsm"):
        return "xlsx"
    if lowered.endswith(".csv") or lowered.endswith(".txt"):
        return "csv"
    raise ImportFileError(
        _("Upload an Excel workbook (.xlsx) or a CSV file. Save an old .xls file as .xlsx first."), code="format"
    )


def detect_csv_encoding(stream: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) when every byte decodes, otherwise GB18030 (a superset of GBK,
    what Chinese Excel writes when it saves CSV). Reads the stream through once, in blocks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    stream.seek(0)
    try:
        while True:
            block = stream.read(1 << 16)
            if not block:
                decoder.decode(b"", final=True)
                break
            decoder.decode(block)
    except UnicodeDecodeError:
        return "gb18030"
    finally:
        stream.seek(0)
    return "utf-8-sig"


def _iter_csv(stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    encoding = detect_csv_encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="", errors="replace")
    sample = text.read(8192)
    text.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        # Numbered by record, as a spreadsheet program shows the rows of a CSV file.
        for number, row in enumerate(csv.reader(text, dialect), start=1):
            yield number, [cell.strip() for cell in row]
    finally:
        text.detach()


# Number formats that show a date or time: Excel's built-in ones (14–22, 45–47) and the ones
# Chinese Excel uses for 年月日 (27–36, 50–58), which openpyxl does not know.
_DATE_FORMAT_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}
_NS_MAIN = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
_NS_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)


_ROOT_START = re.compile(rb"<[A-Za-z_]")


class XlsxRows:
    """A lean streaming reader for the first (active) sheet of an .xlsx: row number and values.

    openpyxl's read-only mode spends ~0.25 ms per row in Python (24 s for 100,000 rows of 8
    columns here); this keeps only what an import needs (text, numbers, dates, booleans), parsing
    with the C ``iterparse`` and dropping each row once read, in constant memory.
    """

    def __init__(self, stream: IO[bytes]):
        self.zip = zipfile.ZipFile(stream)
        workbook = self._parse("xl/workbook.xml")
        self.ns = workbook.tag[1:].split("}")[0] if workbook.tag.startswith("{") else _NS_MAIN[0]
        pr = workbook.find(self._tag("workbookPr"))
        self.epoch = (
            CALENDAR_MAC_1904 if pr is not None and pr.get("date1904") in ("1", "true") else CALENDAR_WINDOWS_1900
        )
        sheets = workbook.find(self._tag("sheets"))
        if sheets is None or not len(sheets):
            raise ImportFileError(_("The workbook has no sheet."), code="empty")
        view = workbook.find(f"{self._tag('bookViews')}/{self._tag('workbookView')}")
        active = int(view.get("activeTab", "0")) if view is not None else 0
        sheet = sheets[active] if active < len(sheets) else sheets[0]
        rel_id = next((sheet.get(f"{{{ns}}}id") for ns in _NS_REL if sheet.get(f"{{{ns}}}id")), None)
        targets = self._relationships("xl/_rels/workbook.xml.rels")
        self.sheet_path = targets.get(rel_id) or "xl/worksheets/sheet1.xml"
        self._shared_path = next((t for t in targets.values() if t.endswith("sharedStrings.xml")), "")
        self._styles_path = next((t for t in targets.values() if t.endswith("styles.xml")), "")

    def _tag(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def _checked(self, path: str) -> None:
        """OOXML parts never declare a DTD: refusing one rules out entity tricks before parsing.

        A DTD can only stand in the prolog, before the root element's start tag.
        """
        prolog = b""
        with self.zip.open(path) as handle:
            while len(prolog) < 1 << 20:
                block = handle.read(1 << 14)
                prolog += block
                root = _ROOT_START.search(prolog)
                if root or not block:
                    prolog = prolog[: root.start()] if root else prolog
                    break
            else:
                root = None
        if root is None or b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
            raise ImportFileError(_("The file cannot be read as an Excel workbook (.xlsx)."), code="unreadable")

    def _parse(self, path: str) -> ElementTree.Element:
        self._checked(path)
        return ElementTree.fromstring(self.zip.read(path))  # noqa: S314 - checked for a DTD above

    def _iterparse(self, handle: IO[bytes], path: str, events: tuple[str, ...]):
        self._checked(path)
        return ElementTree.iterparse(handle, events=events)  # noqa: S314 - checked for a DTD above

    def _relationships(self, path: str) -> dict[str, str]:
        if path not in self.zip.namelist():
            return {}
        targets = {}
        for rel in self._parse(path):
            target = rel.get("Target", "")
            targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        return targets

    def _shared_strings(self, path: str) -> list[str]:
        if not path or path not in self.zip.namelist():
            return []
        si, t, r = self._tag("si"), self._tag("t"), self._tag("r")
        strings: list[str] = []
        with self.zip.open(path) as handle:
            for _event, elem in self._iterparse(handle, path, ("end",)):
                if elem.tag != si:
                    continue
                # Plain text, or rich-text runs; phonetic guides (rPh) are not part of the value.
                parts = [child.text or "" for child in elem if child.tag == t]
                parts += [run_t.text or "" for run in elem if run.tag == r for run_t in run.iter(t)]
                strings.append("".join(parts))
                elem.clear()
        return strings

    def _date_styles(self, path: str) -> set[int]:
        if not path or path not in self.zip.namelist():
            return set()
        styles = self._parse(path)
        custom = {}
        formats = styles.find(self._tag("numFmts"))
        for fmt in formats if formats is not None else []:
            custom[int(fmt.get("numFmtId", "0"))] = fmt.get("formatCode", "")
        dates = set()
        xfs = styles.find(self._tag("cellXfs"))
        for index, xf in enumerate(xfs if xfs is not None else []):
            fmt_id = int(xf.get("numFmtId", "0"))
            if fmt_id in _DATE_FORMAT_IDS or (fmt_id in custom and is_date_format(custom[fmt_id])):
                dates.add(index)
        return dates

    def dimension_rows(self) -> int | None:
        """The last row the sheet's <dimension> claims, when it claims more than one cell."""
        with self.zip.open(self.sheet_path) as handle:
            head = handle.read(4096).decode("utf-8", "replace")
        match = re.search(r"<(?:\w+:)?dimension ref=\"[A-Z]+\d+:[A-Z]+(\d+)\"", head)
        return int(match[1]) if match else None

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        row_tag, c_tag, v_tag, is_tag = self._tag("row"), self._tag("c"), self._tag("v"), self._tag("is")
        shared = self._shared_strings(self._shared_path)
        date_styles = self._date_styles(self._styles_path)
        epoch = self.epoch
        columns: dict[str, int] = {}
        parent = None
        number = 0
        with self.zip.open(self.sheet_path) as handle:
            for event, elem in self._iterparse(handle, self.sheet_path, ("start", "end")):
                if event == "start":
                    if parent is None and elem.tag == self._tag("sheetData"):
                        parent = elem
                    continue
                if elem.tag != row_tag:
                    continue
                number = int(elem.get("r") or number + 1)
                values: list[str] = []
                for position, cell in enumerate(elem):
                    if cell.tag != c_tag:
                        continue
                    ref = cell.get("r")
                    if ref:
                        letters = ref.rstrip("0123456789")
                        index = columns.get(letters)
                        if index is None:
                            index = columns[letters] = column_index_from_string(letters) - 1
                    else:
                        index = position
                    kind = cell.get("t")
                    if kind == "inlineStr":
                        inline = cell.find(is_tag)
                        text = "".join(inline.itertext()) if inline is not None else ""
                    else:
                        v = cell.find(v_tag)
                        text = v.text if v is not None else None
                        if text is None:
                            continue
                        if kind == "s":
                            text = shared[int(text)]
                        elif kind == "b":
                            text = "1" if text == "1" else "0"
                        elif kind in (None, "n"):
                            style = cell.get("s")
                            number_value = float(text)
                            if style is not None and int(style) in date_styles:
                                text = cell_text(from_excel(number_value, epoch))
                            else:
                                text = cell_text(number_value)
                    if index >= len(values):
                        values.extend([""] * (index - len(values) + 1))
                    values[index] = text.strip()
                yield number, values
                elem.clear()
                if parent is not None:
                    parent.remove(elem)


def _iter_xlsx(stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    try:
        reader = XlsxRows(stream)
    except ImportFileError:
        raise
    except Exception:  # noqa: BLE001 - something this reader does not know: openpyxl, slower, reads more
        stream.seek(0)
        yield from _iter_xlsx_openpyxl(stream)
        return
    try:
        yield from reader
    except (ElementTree.ParseError, zipfile.BadZipFile, KeyError, ValueError, IndexError) as exc:
        raise ImportFileError(_("The file cannot be read as an Excel workbook (.xlsx)."), code="unreadable") from exc


def _iter_xlsx_openpyxl(stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise ImportFileError(_("The file cannot be read as an Excel workbook (.xlsx)."), code="unreadable") from exc
    try:
        sheet = workbook.active
        # Some exporters write a wrong <dimension>: read every row the sheet really has.
        sheet.reset_dimensions()
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [cell_text(value) for value in row]
    finally:
        workbook.close()


def iter_file_rows(stream: IO[bytes], name: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, values as text) of every row of the active sheet (or the CSV), streaming."""
    kind = file_kind(name)
    return _iter_xlsx(stream) if kind == "xlsx" else _iter_csv(stream)


def _is_blank(values: list[str]) -> bool:
    return not any(values)


def _looks_like_data(values: list[str]) -> bool:
    return any(re.fullmatch(r"\+?[\d\s\-]{7,20}", v or "") and sum(ch.isdigit() for ch in v) >= 7 for v in values)


@dataclass
class FileLayout:
    header_row: int  # 1-based sheet row of the header; 0 when the file has none
    headers: list[str]
    mapping: dict[str, int]


def detect_layout(rows: Iterable[tuple[int, list[str]]]) -> FileLayout:
    """The header row (the one among the first rows naming most known columns) and the mapping."""
    best: FileLayout | None = None
    first: tuple[int, list[str]] | None = None
    for number, values in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        if _is_blank(values):
            continue
        if first is None:
            first = (number, values)
        mapping = auto_mapping(values)
        if mapping and (best is None or len(mapping) > len(best.mapping)):
            best = FileLayout(number, [v or get_column_letter(i + 1) for i, v in enumerate(values)], mapping)
    if best is not None:
        return best
    if first is None:
        raise ImportFileError(_("The file is empty."), code="empty")
    number, values = first
    if _looks_like_data(values):
        # No header row at all: columns are named by their letters and mapped by hand.
        return FileLayout(0, [get_column_letter(i + 1) for i in range(len(values))], {})
    return FileLayout(number, [v or get_column_letter(i + 1) for i, v in enumerate(values)], {})


def iter_data_rows(stream: IO[bytes], name: str, header_row: int) -> Iterator[tuple[int, list[str]]]:
    """(sheet row number, values) of every non-blank row after the header."""
    for number, values in iter_file_rows(stream, name):
        if number <= header_row or _is_blank(values):
            continue
        yield number, values


# --- Checking rows ----------------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNIT_DAYS = {
    "天": 1,
    "日": 1,
    "day": 1,
    "days": 1,
    "周": 7,
    "星期": 7,
    "礼拜": 7,
    "week": 7,
    "weeks": 7,
    "月": 30,
    "month": 30,
    "months": 30,
    "年": 365,
    "year": 365,
    "years": 365,
}
_PERIOD = re.compile(
    r"(\d+(?:\.\d+)?|[零一二两三四五六七八九十]+|半)?\s*(?:个)?\s*(半)?\s*"
    r"(天|日|周|星期|礼拜|月|年|days?|weeks?|months?|years?)"
)
_SOON = ("尽快", "马上", "立即", "立刻", "近期", "随时", "本周", "这周", "asap", "soon", "now")
_LATER = ("以后", "暂不", "暂时不", "不急", "明年", "later")
_UNKNOWN = ("不确定", "未定", "待定", "未知", "不知道", "unknown", "undecided")
_BLANK = {"-", "—", "/", "无", "none", "n/a", "na"}
_MORE_THAN = ("以上", "之后", "以后", "后", "over", "after", "morethan")
_DATE = re.compile(r"^(\d{4})[-/年.](\d{1,2})(?:[-/月.](\d{1,2})日?)?月?$")
_BUCKETS = [
    (7, Lead.PurchaseTime.WITHIN_7.value),
    (15, Lead.PurchaseTime.WITHIN_15.value),
    (31, Lead.PurchaseTime.WITHIN_30.value),
    (92, Lead.PurchaseTime.WITHIN_90.value),
]


def _chinese_number(text: str) -> float | None:
    if text == "半":
        return 0.5
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    if not text or any(ch not in _CN_DIGITS and ch != "十" for ch in text):
        return None
    if "十" in text:
        tens, _sep, ones = text.partition("十")
        return float((_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0))
    return float(_CN_DIGITS[text]) if len(text) == 1 else None


def _bucket(days: float, *, more_than: bool = False) -> str:
    """The purchase-time code for "within ``days``"; "more than ``days``" is the next one up."""
    for position, (limit, code) in enumerate(_BUCKETS):
        if days <= limit:
            if more_than:
                return _BUCKETS[position + 1][1] if position + 1 < len(_BUCKETS) else Lead.PurchaseTime.LATER.value
            return code
    return Lead.PurchaseTime.LATER.value


_PURCHASE_CODES = {choice.value for choice in Lead.PurchaseTime if choice.value}
_purchase_label_cache: dict[str, dict[str, str]] = {}


def _purchase_labels() -> dict[str, str]:
    """The purchase-time labels in the current language (and English), as typed in lists."""
    language = get_language() or ""
    labels = _purchase_label_cache.get(language)
    if labels is None:
        labels = {}
        for choice in Lead.PurchaseTime:
            if choice.value:
                labels[str(choice.label).lower().replace(" ", "")] = choice.value
                labels[choice.name.lower()] = choice.value
        _purchase_label_cache[language] = labels
    return labels


def parse_purchase_time(text: str, today: dt.date | None = None) -> str:
    """A ``Lead.PurchaseTime`` code from what lists say: "7d", "一周内", "3个月", "半年", a date…

    Raises ValueError when the text says no recognisable time.
    """
    raw = (text or "").strip()
    value = raw.lower().replace(" ", "")
    if not value or value in _BLANK:
        return ""
    if value in _PURCHASE_CODES:
        return value
    label_code = _purchase_labels().get(value)
    if label_code:
        return label_code
    date_match = _DATE.match(value)
    if date_match:
        year, month, day = int(date_match[1]), int(date_match[2]), int(date_match[3] or 1)
        try:
            when = dt.date(year, month, day)
        except ValueError as exc:
            raise ValueError(raw) from exc
        return _bucket(max((when - (today or timezone.localdate())).days, 0))
    period = _PERIOD.search(value)
    if any(word in value for word in _UNKNOWN) and not period:
        return ""
    if any(word in value for word in _SOON):
        return Lead.PurchaseTime.WITHIN_7.value
    if period:
        number_text, half, unit = period.group(1), period.group(2), period.group(3)
        # Without a number: "下个月", "下周" (next month, week) mean one; a bare "某天" says no time.
        next_one = 1.0 if "下" in value[: period.start() + 1] else None
        number = _chinese_number(number_text) if number_text else next_one
        if number is None:
            raise ValueError(raw)
        if half:
            number += 0.5
        more_than = any(word in value[period.end() :] for word in _MORE_THAN)
        return _bucket(number * _UNIT_DAYS[unit], more_than=more_than)
    if any(word in value for word in _LATER):
        return Lead.PurchaseTime.LATER.value
    raise ValueError(raw)


def parse_grade(text: str) -> str:
    """H, A, B or C (also "H级", "a"); empty stays empty. ValueError otherwise."""
    value = (text or "").strip().upper().replace("级", "").replace("类", "").replace("LEVEL", "").strip()
    if not value:
        return ""
    if value in {Grade.H, Grade.A, Grade.B, Grade.C}:
        return value
    raise ValueError(text)


def parse_gender(text: str) -> str:
    value = (text or "").strip().lower()
    if value in {"男", "先生", "m", "male", "mr", "mr."}:
        return Customer.Gender.MALE
    if value in {"女", "女士", "小姐", "f", "female", "ms", "ms.", "mrs", "mrs.", "miss"}:
        return Customer.Gender.FEMALE
    return ""


def _series_key(text: str) -> str:
    return re.sub(r"\s+", "", text or "").lower()


class SeriesIndex:
    """Series by name ("朗逸") or brand and name ("大众朗逸", "大众 朗逸"); one query."""

    def __init__(self, series: Iterable[tuple[int, str, str]] | None = None):
        if series is None:
            series = Series.objects.filter(is_active=True).values_list("id", "name", "brand__name")
        self._by_key: dict[str, set[int]] = {}
        for pk, name, brand in series:
            for key in {_series_key(name), _series_key(f"{brand}{name}")}:
                self._by_key.setdefault(key, set()).add(pk)

    def lookup(self, text: str) -> int:
        """The series id; ValueError with the reason when none or several match."""
        ids = self._by_key.get(_series_key(text), set())
        if len(ids) == 1:
            return next(iter(ids))
        if not ids:
            raise ValueError(_("The series “%(series)s” is not in the catalog (or no longer sold).") % {"series": text})
        raise ValueError(
            _("Several brands have a series called “%(series)s”: write the brand too, e.g. “大众 朗逸”.")
            % {"series": text}
        )


@dataclass
class RowResult:
    """One data row: its values as read, the cleaned fields, and what is wrong with it."""

    row_number: int
    values: list[str]
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def reason(self) -> str:
        return "；".join(self.errors)


class RowChecker:
    """Checks one row at a time against the mapping: pure, apart from the catalog loaded once."""

    def __init__(self, mapping: dict[str, int], series_index: SeriesIndex | None = None, today: dt.date | None = None):
        self.mapping = {key: int(index) for key, index in mapping.items() if key in FIELD_KEYS and index is not None}
        self.series_index = series_index if series_index is not None else SeriesIndex()
        self.today = today or timezone.localdate()

    def raw(self, values: list[str], key: str) -> str:
        index = self.mapping.get(key)
        if index is None or index >= len(values):
            return ""
        return (values[index] or "").strip()

    def __call__(self, row_number: int, values: list[str]) -> RowResult:
        result = RowResult(row_number, values)
        errors = result.errors
        data = {key: self.raw(values, key) for key in FIELD_KEYS}
        if not data["name"] and not data["phone"]:
            errors.append(_("Neither a name nor a phone number."))
        if data["phone"]:
            try:
                data["phone"] = normalize_phone(data["phone"])
            except ValidationError as exc:
                errors.extend(exc.messages)
        for key, limit in MAX_LENGTHS.items():
            if len(data[key]) > limit:
                errors.append(
                    _("%(field)s is too long (at most %(limit)d characters).")
                    % {"field": _field_label(key), "limit": limit}
                )
        data["series_id"] = None
        if data["series"]:
            try:
                data["series_id"] = self.series_index.lookup(data["series"])
            except ValueError as exc:
                errors.append(str(exc))
        try:
            data["grade"] = parse_grade(data["grade"])
        except ValueError:
            errors.append(_("The grade “%(grade)s” is not H, A, B or C.") % {"grade": data["grade"]})
        try:
            data["purchase_time"] = parse_purchase_time(data["purchase_time"], self.today)
        except ValueError:
            errors.append(
                _("The purchase time “%(value)s” is not understood: write e.g. 7天内, 1个月内, 3个月内 or a date.")
                % {"value": data["purchase_time"]}
            )
        data["gender"] = parse_gender(data["gender"])
        if not data["name"] and data["phone"] and not errors:
            data["name"] = _("Customer %(tail)s") % {"tail": data["phone"][-4:]}
        result.data = data
        return result


def _field_label(key: str) -> str:
    return str(next(f.label for f in FIELDS if f.key == key))


# --- Batches: upload, mapping, preview --------------------------------------------------------


@contextmanager
def _batch_stream(batch: ImportBatch) -> Iterator[IO[bytes]]:
    """The uploaded file as a binary stream (the raw file object, which openpyxl and csv want)."""
    with batch.file.storage.open(batch.file.name, "rb") as handle:
        yield getattr(handle, "file", handle)


def _estimate_rows(stream: IO[bytes], name: str, header_row: int) -> int:
    """Data rows: from the sheet's dimension when it looks real, else by reading the rows."""
    if file_kind(name) == "xlsx":
        try:
            claimed = XlsxRows(stream).dimension_rows()
        except Exception:  # noqa: BLE001 - no usable dimension: count below
            claimed = None
        if claimed and claimed > 1:
            return max(claimed - header_row, 0)
        stream.seek(0)
    rows = iter_data_rows(stream, name, header_row)
    try:
        return sum(1 for _row in rows)
    finally:
        rows.close()


def batch_create(
    *,
    actor: User,
    store: Store,
    upload: File,
    source: Source,
    assignment: str,
    owner: User | None = None,
) -> ImportBatch:
    """Store the upload, find its header row and map its columns. Raises ImportFileError."""
    if not actor.has_store_perm(store, "leads.import"):
        raise ValidationError(_("You may not import leads."), code="forbidden")
    if assignment not in {"owner", "round_robin", "dcc"}:
        raise ValidationError({"assignment": [_("Choose how the leads are assigned.")]}, code="invalid")
    if assignment == "owner" and owner is None:
        raise ValidationError({"owner": [_("Choose the consultant who gets the leads.")]}, code="required")
    if assignment == "owner":
        from .selectors import lead_owners

        if not lead_owners(store).filter(pk=owner.pk).exists():
            raise ValidationError({"owner": [_("This person cannot own leads in this store.")]}, code="invalid")
    if upload.size and upload.size > MAX_UPLOAD_BYTES:
        raise ImportFileError(_("The file is larger than 50 MB."), code="too_large")
    name = upload.name or "import"
    file_kind(name)
    stream = getattr(upload, "file", upload)
    stream.seek(0)
    rows = iter_file_rows(stream, name)
    try:
        layout = detect_layout(rows)
    finally:
        rows.close()
    stream.seek(0)
    estimate = _estimate_rows(stream, name, layout.header_row)
    if estimate == 0:
        raise ImportFileError(_("The file has no rows under its header."), code="empty")
    upload.seek(0)
    batch = ImportBatch(
        store=store,
        created_by=actor,
        original_name=name[:200],
        source=source,
        owner=owner if assignment == "owner" else None,
        mapping={
            "header_row": layout.header_row,
            "headers": layout.headers,
            "columns": layout.mapping,
            "assignment": assignment,
        },
        total_rows=estimate,
    )
    batch.file.save(_safe_name(name), upload, save=False)
    batch.save()
    audit_record(
        actor=actor,
        action="lead_import.upload",
        obj=batch,
        changes={"file": name, "rows": estimate, "source": source.code, "assignment": assignment},
    )
    return batch


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^\w.\-]+", "_", name)[-80:]
    return stem or "import.xlsx"


def batch_columns(batch: ImportBatch) -> dict[str, int]:
    return {k: int(v) for k, v in (batch.mapping.get("columns") or {}).items()}


@transaction.atomic
def batch_set_mapping(*, actor: User, batch: ImportBatch, columns: dict[str, int | None]) -> ImportBatch:
    """The user's column mapping. Only before the import starts; name or phone must be mapped."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status not in (ImportBatch.Status.UPLOADED, ImportBatch.Status.PREVIEWED):
        raise ValidationError(_("The import has started: its columns can no longer change."), code="started")
    headers = batch.mapping.get("headers") or []
    cleaned: dict[str, int] = {}
    for key, index in columns.items():
        if key not in FIELD_KEYS:
            raise ValidationError(_("Unknown field %(field)s.") % {"field": key}, code="invalid")
        if index is None or index == "":
            continue
        index = int(index)
        if not 0 <= index < len(headers):
            raise ValidationError({key: [_("There is no such column.")]}, code="invalid")
        if index in cleaned.values():
            raise ValidationError({key: [_("This column is already used for another field.")]}, code="invalid")
        cleaned[key] = index
    if "name" not in cleaned and "phone" not in cleaned:
        raise ValidationError(_("Choose the column with the name or the one with the phone number."), code="required")
    before = batch.mapping.get("columns")
    batch.mapping = {**batch.mapping, "columns": cleaned}
    batch.status = ImportBatch.Status.PREVIEWED
    batch.save(update_fields=["mapping", "status"])
    if before != cleaned:
        audit_record(actor=actor, action="lead_import.mapping", obj=batch, changes={"columns": [before, cleaned]})
    return batch


@dataclass
class PreviewRow:
    result: RowResult
    cells: list[str]
    duplicate: str = ""


@dataclass
class Preview:
    """The first rows of a batch as the import will see them."""

    fields: list[tuple[str, str]]  # (key, label) of the mapped fields, in the table's order
    rows: list[PreviewRow]

    @property
    def bad_count(self) -> int:
        return sum(1 for row in self.rows if not row.result.ok)

    @property
    def duplicate_count(self) -> int:
        return sum(1 for row in self.rows if row.duplicate)


def preview(batch: ImportBatch, limit: int = PREVIEW_ROWS) -> Preview:
    """The first ``limit`` data rows, each checked, and duplicates (with the lead's owner) marked."""
    columns = batch_columns(batch)
    checker = RowChecker(columns)
    keys = [key for key in FIELD_KEYS if key in columns]
    rows: list[PreviewRow] = []
    with _batch_stream(batch) as stream:
        data_rows = iter_data_rows(stream, batch.original_name, batch.mapping.get("header_row", 1))
        try:
            for row_number, values in data_rows:
                rows.append(PreviewRow(checker(row_number, values), [checker.raw(values, key) for key in keys]))
                if len(rows) >= limit:
                    break
        finally:
            data_rows.close()
    phones = {r.result.data["phone"] for r in rows if r.result.ok and r.result.data.get("phone")}
    existing = _existing_customers(batch.store_id, phones)
    seen: dict[str, int] = {}
    for row in rows:
        phone = row.result.data.get("phone") if row.result.ok else ""
        if not phone:
            continue
        if phone in seen:
            row.duplicate = _("Same phone as row %(row)d of this file: it will be added to that row's lead.") % {
                "row": seen[phone]
            }
            continue
        seen[phone] = row.result.row_number
        known = existing.get(phone)
        if known is not None:
            row.duplicate = _duplicate_message(known.customer_name, known.open_lead, known.owner_name)
    return Preview([(key, _field_label(key)) for key in keys], rows)


def _duplicate_message(customer_name: str, open_lead_id: int | None, owner_name: str) -> str:
    if open_lead_id is None:
        return _("Existing customer %(name)s without an open lead: a new lead will open for them.") % {
            "name": customer_name
        }
    return _("Existing customer %(name)s: added as an enquiry to the open lead #%(lead)d, owned by %(owner)s.") % {
        "name": customer_name,
        "lead": open_lead_id,
        "owner": owner_name or _("nobody (shared pool or DCC queue)"),
    }


@dataclass
class _Known:
    customer_id: int
    customer_name: str
    is_fleet: bool
    open_lead: int | None = None
    owner_name: str = ""
    previous_lead: Lead | None = None


def _existing_customers(store_id: int, phones: set[str]) -> dict[str, _Known]:
    """Active customers of the store with these phones, with their open lead and its owner."""
    ids: dict[str, int] = {}
    phone_list = sorted(phones)
    for start in range(0, len(phone_list), 5_000):
        ids.update(
            Customer.objects.filter(
                store_id=store_id, merged_into__isnull=True, phone__in=phone_list[start : start + 5_000]
            ).values_list("phone", "id")
        )
    return _known_customers(ids)


def _known_customers(ids_by_phone: dict[str, int]) -> dict[str, _Known]:
    """phone → the customer (still active) with its open lead and owner, or its latest lead.

    Three queries by primary and foreign keys, whatever the number of phones.
    """
    known: dict[str, _Known] = {}
    if not ids_by_phone:
        return known
    phone_of = {pk: phone for phone, pk in ids_by_phone.items()}
    ids = list(phone_of)
    for start in range(0, len(ids), 5_000):
        for pk, name, is_fleet in Customer.objects.filter(
            pk__in=ids[start : start + 5_000], merged_into__isnull=True
        ).values_list("id", "name", "is_fleet"):
            known[phone_of[pk]] = _Known(pk, name, is_fleet)
    by_customer = {k.customer_id: k for k in known.values()}
    ids = list(by_customer)
    for start in range(0, len(ids), 5_000):
        for lead in (
            Lead.objects.filter(customer_id__in=ids[start : start + 5_000], status__in=OPEN_STATUSES)
            .select_related("owner")
            .only("id", "customer_id", "owner__username", "owner__full_name")
        ):
            entry = by_customer[lead.customer_id]
            entry.open_lead = lead.pk
            entry.owner_name = str(lead.owner) if lead.owner_id else ""
    closed = [pk for pk, k in by_customer.items() if k.open_lead is None]
    for start in range(0, len(closed), 5_000):
        for lead in (
            Lead.objects.filter(customer_id__in=closed[start : start + 5_000])
            .order_by("customer_id", "-created_at", "-id")
            .only("id", "customer_id", "status")
        ):
            entry = by_customer[lead.customer_id]
            if entry.previous_lead is None:
                entry.previous_lead = lead
    return known


# --- Commit -------------------------------------------------------------------------------------


def rows_done(batch: ImportBatch) -> int:
    """The checkpoint: data rows already committed (good ones and bad ones)."""
    return batch.good_rows + batch.bad_rows


def _parts_dir(batch: ImportBatch) -> str:
    return f"imports/parts/{batch.pk}"


def _part_name(batch: ImportBatch, index: int) -> str:
    return f"{_parts_dir(batch)}/{index:06d}.json"


class _Run:
    """What one run of a batch needs for every chunk: who, where, the source, the assignment."""

    def __init__(self, batch: ImportBatch):
        self.batch = batch
        self.store = batch.store
        self.actor = batch.created_by
        self.source = batch.source
        self.source_name = str(batch.source)[:60]
        self.assignment = batch.mapping.get("assignment", "owner" if batch.owner_id else "dcc")
        self.owner_id = batch.owner_id
        self.consultant_ids: list[int] = []
        if self.assignment == "round_robin":
            self.consultant_ids = list(
                User.objects.filter(is_active=True, memberships__store=self.store, memberships__role__code="consultant")
                .distinct()
                .order_by("id")
                .values_list("id", flat=True)
            )
        self._repurchase: Source | None = None
        self.phones: dict[str, int] = {}
        self.load_phones()

    def load_phones(self) -> None:
        """Every phone of the store's active customers, in one query: rows are matched against it
        in memory, and only the matches are looked up (by id) chunk by chunk."""
        self.phones = dict(
            Customer.objects.filter(store=self.store, merged_into__isnull=True)
            .exclude(phone="")
            .values_list("phone", "id")
        )

    @property
    def repurchase_source(self) -> Source:
        if self._repurchase is None:
            from .services import _repurchase_source

            self._repurchase = _repurchase_source()
        return self._repurchase

    def owners(self, count: int) -> list[int | None]:
        """Owners of the next ``count`` new leads. Round robin continues from the store's pointer
        (shared with the ingest API), which this locks and moves inside the chunk's transaction."""
        if self.assignment == "owner":
            return [self.owner_id] * count
        if self.assignment == "dcc" or not self.consultant_ids or not count:
            return [None] * count
        settings = lead_settings(self.store)
        settings = LeadSettings.objects.select_for_update().get(pk=settings.pk)
        last = settings.round_robin_last_user_id
        later = [i for i, pk in enumerate(self.consultant_ids) if last is None or pk > last]
        start = later[0] if later else 0
        owners = [self.consultant_ids[(start + n) % len(self.consultant_ids)] for n in range(count)]
        settings.round_robin_last_user_id = owners[-1]
        settings.save(update_fields=["round_robin_last_user"])
        return owners


class _Target:
    """The lead a row ends up on: a new one (its id known once inserted) or an open one."""

    def __init__(self, row_number: int, customer_name: str, lead_id: int | None = None, owner_name: str = ""):
        self.row_number = row_number
        self.customer_name = customer_name
        self.lead_id = lead_id
        self.owner_name = owner_name


def _copy_text(value: Any) -> str:
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value or "\x00" in value:
            value = (
                value.replace("\x00", "")
                .replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class _Table:
    """Inserting many rows of one model without building model instances where it can be avoided.

    On PostgreSQL one ``COPY`` per call (ids, when wanted, are drawn from the table's sequence
    first): ~10× faster than ``bulk_create`` here, which builds an instance per row and sends
    arrays through UNNEST. Elsewhere (SQLite: tests, the embedded install) ``bulk_create``.
    ``columns`` vary per row; every other column takes ``constants`` or the field's default, so a
    field added later with a default needs no change here.
    """

    def __init__(self, model: type, columns: list[str], constants: dict[str, Any]):
        self.model = model
        self.columns = columns
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        by_attname = {f.attname: f for f in fields}
        unknown = (set(columns) | set(constants)) - set(by_attname)
        if unknown:
            raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
        self.fixed: dict[str, Any] = {}
        for f in fields:
            if f.attname in columns:
                continue
            if f.attname in constants:
                value = constants[f.attname]
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            elif f.empty_strings_allowed:
                value = ""
            else:
                raise ValueError(f"{model.__name__}.{f.attname} needs a value")
            self.fixed[f.attname] = value
        self.db_columns = [by_attname[name].column for name in [*self.fixed, *columns]]
        self.fixed_text = [
            _copy_text(by_attname[name].get_db_prep_save(value, connection)) for name, value in self.fixed.items()
        ]

    def insert(self, rows: list[tuple], *, returning: bool = False) -> list[int]:
        """Insert ``rows`` (tuples in the order of ``columns``); their ids when ``returning``."""
        if not rows:
            return []
        if connection.vendor == "postgresql":
            return self._copy(rows, returning)
        objects = [self.model(**self.fixed, **dict(zip(self.columns, row, strict=True))) for row in rows]
        self.model.objects.bulk_create(objects, batch_size=BULK_BATCH_SIZE)
        return [obj.pk for obj in objects] if returning else []

    def _copy(self, rows: list[tuple], returning: bool) -> list[int]:
        quote = connection.ops.quote_name
        table = self.model._meta.db_table
        columns = list(self.db_columns)
        ids: list[int] = []
        with connection.cursor() as cursor:
            if returning:
                pk = self.model._meta.pk.column
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, pk, len(rows)],
                )
                ids = [row[0] for row in cursor.fetchall()]
                columns.insert(0, pk)
            fixed = self.fixed_text
            if returning:
                lines = [
                    "\t".join([str(pk_value), *fixed, *map(_copy_text, row)])
                    for pk_value, row in zip(ids, rows, strict=True)
                ]
            else:
                lines = ["\t".join([*fixed, *map(_copy_text, row)]) for row in rows]
            sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
            with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                copy.write("\n".join(lines) + "\n")
        return ids


def _commit_chunk(run: _Run, index: int, start: int, results: list[RowResult]) -> list[int]:
    """Write one chunk in one transaction, checkpoint included. Returns the ids of its new leads."""
    batch_id = run.batch.pk
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Not waiting for the WAL flush at commit is safe here: the checkpoint commits with
            # the rows, so a server crash that loses the last chunks loses their checkpoint too,
            # and the rerun writes them again. (Local to this transaction.)
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        done = rows_done(batch)
        if done >= start + len(results):
            return []  # an earlier (or concurrent) run committed this chunk
        if done != start:
            raise RuntimeError(f"Import batch {batch_id}: checkpoint at row {done}, chunk starts at {start}")
        now = timezone.now()
        today = timezone.localdate(now)
        problems: list[list[Any]] = [["bad", r.row_number, r.values, r.reason] for r in results if not r.ok]
        valid = [r for r in results if r.ok]
        phones = run.phones
        known = _known_customers({r.data["phone"]: phones[r.data["phone"]] for r in valid if r.data["phone"] in phones})

        # Decide, row by row in memory, what each good row becomes.
        new_customers: list[tuple] = []
        plans: list[tuple[RowResult, int | None, Lead | None, bool, _Target]] = []  # one per new lead
        attachments: list[tuple[RowResult, _Target, str]] = []
        by_phone: dict[str, _Target] = {}
        for row in valid:
            data, phone = row.data, row.data["phone"]
            if phone and phone in by_phone:
                attachments.append((row, by_phone[phone], "file"))
                continue
            existing = known.get(phone) if phone else None
            if existing is not None and existing.open_lead is not None:
                target = _Target(row.row_number, existing.customer_name, existing.open_lead, existing.owner_name)
                by_phone[phone] = target
                attachments.append((row, target, "store"))
                continue
            target = _Target(row.row_number, existing.customer_name if existing else data["name"])
            if existing is not None:
                plans.append((row, existing.customer_id, existing.previous_lead, existing.is_fleet, target))
            else:
                new_customers.append((data["name"], phone, data["gender"], data["wechat"], data["address"]))
                plans.append((row, None, None, False, target))
            if phone:
                by_phone[phone] = target

        stamps = {"created_at": now, "updated_at": now}
        new_customer_ids = _Table(
            Customer,
            ["name", "phone", "gender", "wechat", "address"],
            {"store_id": run.store.pk, "created_by_id": run.actor.pk, **stamps},
        ).insert(new_customers, returning=True)
        customer_ids = iter(new_customer_ids)
        owners = run.owners(len(plans))
        owner_names = {u.pk: str(u) for u in User.objects.filter(pk__in={o for o in owners if o})}
        lead_rows = []
        for (row, customer_id, previous, is_fleet, target), owner_id in zip(plans, owners, strict=True):
            data = row.data
            source_id, repurchase_of = run.source.pk, None
            if previous is not None and previous.status == LeadStatus.DELIVERED:
                source_id, repurchase_of = run.repurchase_source.pk, previous.pk
            lead_rows.append(
                (
                    customer_id if customer_id is not None else next(customer_ids),
                    owner_id,
                    source_id,
                    data["campaign"],
                    data["series_id"],
                    data["budget"],
                    data["purchase_time"],
                    data["grade"] or grade_for_purchase_time(data["purchase_time"]),
                    is_fleet,
                    repurchase_of,
                )
            )
            target.owner_name = owner_names.get(owner_id, "")
        lead_ids = _Table(
            Lead,
            [
                "customer_id",
                "owner_id",
                "source_id",
                "campaign",
                "series_id",
                "budget",
                "purchase_time",
                "grade",
                "is_fleet",
                "repurchase_of_id",
            ],
            {
                "store_id": run.store.pk,
                "with_dcc": run.assignment == "dcc",
                "next_follow_up_at": now,
                "created_by_id": run.actor.pk,
                **stamps,
            },
        ).insert(lead_rows, returning=True)
        for (_row, _customer, _previous, _fleet, target), lead_id in zip(plans, lead_ids, strict=True):
            target.lead_id = lead_id

        events = [
            (
                lead_id,
                LeadEvent.Kind.CREATED.value,
                str(run.repurchase_source)[:60] if lead_row[-1] else run.source_name,
                row.data["note"],
            )
            for (row, *_rest), lead_row, lead_id in zip(plans, lead_rows, lead_ids, strict=True)
        ]
        for row, target, origin in attachments:
            events.append((target.lead_id, LeadEvent.Kind.ENQUIRY.value, run.source_name, row.data["note"]))
            if origin == "file":
                reason = _(
                    "Same phone as row %(row)d of this file: added as an enquiry to its lead #%(lead)d "
                    "(owner: %(owner)s)."
                ) % {
                    "row": target.row_number,
                    "lead": target.lead_id,
                    "owner": target.owner_name or _("nobody (shared pool or DCC queue)"),
                }
            else:
                reason = _duplicate_message(target.customer_name, target.lead_id, target.owner_name)
            problems.append(["duplicate", row.row_number, row.values, reason])
        _Table(
            LeadEvent,
            ["lead_id", "kind", "to_value", "note"],
            {"store_id": run.store.pk, "actor_id": run.actor.pk, "created_at": now},
        ).insert(events)
        _Table(
            Task,
            ["lead_id", "assignee_id"],
            {
                "store_id": run.store.pk,
                "kind": Task.Kind.FIRST_CONTACT.value,
                "due_at": now,
                "due_date": today,
                "created_at": now,
            },
        ).insert(
            [(lead_id, owner_id) for lead_id, owner_id in zip(lead_ids, owners, strict=True) if owner_id is not None]
        )

        bad = len(results) - len(valid)
        ImportBatch.objects.filter(pk=batch_id).update(
            good_rows=F("good_rows") + len(valid),
            bad_rows=F("bad_rows") + bad,
            duplicate_rows=F("duplicate_rows") + len(attachments),
            created_rows=F("created_rows") + len(lead_ids),
        )
        audit_record(
            actor=run.actor,
            action="lead_import.chunk",
            obj=batch,
            changes={
                "rows": [results[0].row_number, results[-1].row_number] if results else [],
                "customers_created": len(new_customers),
                "leads_created": len(lead_ids),
                "duplicates": len(attachments),
                "bad_rows": bad,
            },
        )
        # Before the commit, so a committed chunk always has its problem list; a rerun of a chunk
        # that did not commit writes it again under the same name.
        _write_part(batch, index, problems)
    # Committed: later chunks see these customers as known.
    run.phones.update((row[1], pk) for row, pk in zip(new_customers, new_customer_ids, strict=True) if row[1])
    return lead_ids


def _write_part(batch: ImportBatch, index: int, problems: list[list[Any]]) -> None:
    name = _part_name(batch, index)
    if default_storage.exists(name):
        default_storage.delete(name)
    if problems:
        default_storage.save(name, io.BytesIO(json.dumps(problems, ensure_ascii=False).encode()))


def _chunks(rows: Iterator[tuple[int, list[str]]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    chunk: list[tuple[int, list[str]]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def batch_run(batch_id: int) -> ImportBatch:
    """Commit a batch, or resume it after its checkpoint. Idempotent: a finished batch is left alone.

    Any error marks the batch failed (with the message) and is raised again; whatever chunks
    committed stay, and the next run starts after them.
    """
    batch = ImportBatch.objects.select_related("store", "source", "created_by").get(pk=batch_id)
    if batch.status == ImportBatch.Status.DONE:
        return batch
    ImportBatch.objects.filter(pk=batch_id).update(status=ImportBatch.Status.RUNNING, error_message="")
    # The reasons in the problem file are written in the uploader's language, also in Celery.
    with translation.override(batch.created_by.language or django_settings.LANGUAGE_CODE):
        return _run(batch)


def _run(batch: ImportBatch) -> ImportBatch:
    batch_id = batch.pk
    try:
        run = _Run(batch)
        checker = RowChecker(batch_columns(batch))
        chunks = _read_ahead(_checked_chunks(batch, checker, skip=rows_done(batch)), translation.get_language())
        for index, start, results in chunks:
            for attempt in range(3):
                try:
                    created = _commit_chunk(run, index, start, results)
                    break
                except IntegrityError:
                    # Someone created one of these customers or leads meanwhile: look again.
                    if attempt == 2:
                        raise
                    run.load_phones()
            _announce(run.store, created, run.actor)
        return _finish(batch_id)
    except Exception as exc:
        logger.exception("Lead import %s failed", batch_id)
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportBatch.Status.FAILED, error_message=str(exc)[:2000] or exc.__class__.__name__
        )
        raise


def _checked_chunks(
    batch: ImportBatch, checker: RowChecker, *, skip: int
) -> Iterator[tuple[int, int, list[RowResult]]]:
    """(chunk index, its first data row's ordinal, the checked rows) after the checkpoint.

    Touches no database (the checker's catalog is loaded already): it may run in another thread.
    """
    with _batch_stream(batch) as stream:
        rows = iter_data_rows(stream, batch.original_name, batch.mapping.get("header_row", 1))
        for index, chunk in enumerate(_chunks(rows, CHUNK_SIZE)):
            start = index * CHUNK_SIZE
            if start + len(chunk) > skip:
                yield index, start, [checker(number, values) for number, values in chunk]


class _Raised:
    def __init__(self, exc: BaseException):
        self.exc = exc


def _read_ahead(items: Iterator, language: str | None, depth: int = 2) -> Iterator:
    """The items of ``items``, produced by a thread up to ``depth`` ahead of the caller.

    Reading and checking the next chunk (Python) then overlaps with the database writing this
    one (the database server), which makes a large import about a third faster on two cores.
    The thread stops when the caller stops, also on an error.
    """
    queue: Queue = Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.2)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        try:
            with translation.override(language):
                for item in items:
                    if not put(item):
                        return
            put(end)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            put(_Raised(exc))
        finally:
            items.close()

    thread = threading.Thread(target=produce, name="lead-import-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = queue.get()
            if item is end:
                return
            if isinstance(item, _Raised):
                raise item.exc
            yield item
    finally:
        stop.set()
        thread.join(timeout=10)


def _announce(store: Store, lead_ids: list[int], actor: User) -> None:
    """``leads_imported`` once a chunk has committed."""
    if lead_ids:
        transaction.on_commit(
            lambda: leads_imported.send(sender=ImportBatch, store=store, lead_ids=lead_ids, actor=actor)
        )


def _finish(batch_id: int) -> ImportBatch:
    """Put the problem rows of every chunk into one .xlsx and mark the batch done."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().select_related("store", "created_by").get(pk=batch_id)
        if batch.status == ImportBatch.Status.DONE:
            return batch
        part_names = _part_names(batch)
        if part_names:
            with tempfile.TemporaryFile() as handle:
                write_problem_workbook(handle, batch.mapping.get("headers") or [], _read_parts(part_names))
                handle.seek(0)
                stem = re.sub(r"\.[^.]+$", "", _safe_name(batch.original_name))
                batch.error_file.save(f"{stem}-problems.xlsx", File(handle), save=False)
        batch.status = ImportBatch.Status.DONE
        batch.total_rows = rows_done(batch)
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "total_rows", "finished_at", "error_file"])
        audit_record(
            actor=batch.created_by,
            action="lead_import.done",
            obj=batch,
            changes={
                "rows": batch.total_rows,
                "created": batch.created_rows,
                "duplicates": batch.duplicate_rows,
                "bad_rows": batch.bad_rows,
            },
        )
    for name in part_names:
        default_storage.delete(name)
    return batch


def _part_names(batch: ImportBatch) -> list[str]:
    directory = _parts_dir(batch)
    if not default_storage.exists(directory):
        return []
    _dirs, files = default_storage.listdir(directory)
    return [f"{directory}/{name}" for name in sorted(files) if name.endswith(".json")]


def _read_parts(names: list[str]) -> Iterator[list[Any]]:
    for name in names:
        with default_storage.open(name, "rb") as handle:
            yield from json.loads(handle.read().decode())


def _clean_cell(value: Any) -> Any:
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def write_problem_workbook(handle: IO[bytes], headers: list[str], problems: Iterable[list[Any]]) -> None:
    """Two sheets: rows not imported (fix them and upload this file again), and duplicates.

    Each keeps the original columns, then the sheet row number and the reason.
    """
    workbook = Workbook(write_only=True)
    bad_sheet = workbook.create_sheet(_("Not imported"))
    duplicate_sheet = workbook.create_sheet(_("Duplicates"))
    width = len(headers)
    extra = [_("Row in the original file"), _("Reason")]
    bad_sheet.append([_clean_cell(h) for h in headers] + extra)
    duplicate_sheet.append([_clean_cell(h) for h in headers] + [extra[0], _("What happened")])
    for kind, row_number, values, reason in problems:
        cells = [_clean_cell(v) for v in (list(values) + [""] * width)[:width]] if width else list(values)
        (bad_sheet if kind == "bad" else duplicate_sheet).append(cells + [row_number, _clean_cell(reason)])
    workbook.save(handle)


def batch_start(*, actor: User, batch: ImportBatch) -> ImportBatch:
    """Run the import now (small files) or in Celery (above ``ASYNC_THRESHOLD`` rows).

    Also resumes a failed batch after its checkpoint.
    """
    if not actor.has_store_perm(batch.store_id, "leads.import"):
        raise ValidationError(_("You may not import leads."), code="forbidden")
    startable = (ImportBatch.Status.UPLOADED, ImportBatch.Status.PREVIEWED, ImportBatch.Status.FAILED)
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status not in startable and not batch_stalled(locked):
            raise ValidationError(_("This import has already been started."), code="started")
        columns = batch_columns(locked)
        if "name" not in columns and "phone" not in columns:
            raise ValidationError(
                _("Choose the column with the name or the one with the phone number."), code="required"
            )
        resume = locked.status in (ImportBatch.Status.FAILED, ImportBatch.Status.RUNNING)
        locked.status = ImportBatch.Status.RUNNING
        locked.error_message = ""
        locked.save(update_fields=["status", "error_message"])
        audit_record(
            actor=actor,
            action="lead_import.resume" if resume else "lead_import.start",
            obj=locked,
            changes={"from_row": rows_done(locked), "rows": locked.total_rows},
        )
        background = locked.total_rows - rows_done(locked) > ASYNC_THRESHOLD
        if background:
            from .tasks import lead_import_run

            transaction.on_commit(lambda: lead_import_run.delay(locked.pk))
    if background:
        return locked
    try:
        return batch_run(locked.pk)
    except Exception:  # noqa: BLE001 - the batch records the failure; the page shows it
        return ImportBatch.objects.get(pk=locked.pk)


STALLED_AFTER = dt.timedelta(minutes=10)


def batch_stalled(batch: ImportBatch) -> bool:
    """A running import that has committed nothing for ``STALLED_AFTER`` (its worker died and the
    task was not delivered again): it may be resumed by hand. Two runs at once would be harmless
    anyway, since each chunk checks the checkpoint under a lock."""
    if batch.status != ImportBatch.Status.RUNNING:
        return False
    last = (
        AuditLog.objects.filter(object_type=ImportBatch._meta.label_lower, object_id=str(batch.pk))
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return last is None or timezone.now() - last > STALLED_AFTER


def batch_notify_finished(batch_id: int) -> None:
    """Tell the uploader that a background import has finished (or failed)."""
    batch = ImportBatch.objects.select_related("store", "created_by").get(pk=batch_id)
    if batch.status == ImportBatch.Status.DONE:
        title = _("Import of %(file)s finished: %(created)d leads created, %(problems)d rows to check") % {
            "file": batch.original_name,
            "created": batch.created_rows,
            "problems": batch.bad_rows + batch.duplicate_rows,
        }
        level = "info"
    else:
        title = _("Import of %(file)s stopped after %(rows)d rows") % {
            "file": batch.original_name,
            "rows": rows_done(batch),
        }
        level = "warning"
    notify(
        recipients=[batch.created_by],
        store=batch.store,
        level=level,
        title=title,
        body=batch.error_message,
        url=f"/leads/import/{batch.pk}/",
    )


def template_workbook() -> bytes:
    """An empty list to fill in, with the Chinese header names the import recognises."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "线索"
    sheet.append([spec.aliases[0] for spec in FIELDS])
    sheet.append(
        ["张三", "13812345678", "朗逸", "A", "1个月内", "车展登记", "zhangsan_wx", "上海市浦东新区", "男", "", ""]
    )
    for index in range(1, len(FIELDS) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 16
    handle = io.BytesIO()
    workbook.save(handle)
    return handle.getvalue()
