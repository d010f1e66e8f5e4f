"""Lead import: upload, mapping, preview, commit in checkpointed chunks, the problem file, Celery."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from accounts.models import AuditLog, Notification
from catalog.models import Brand, Series
from leads import importing, services
from leads.models import (
    Customer,
    ImportBatch,
    Lead,
    LeadEvent,
    LeadSettings,
    LeadStatus,
    LostReason,
    Source,
    Task,
)

pytestmark = pytest.mark.django_db

HEADERS = ["客户姓名", "手机号码", "意向车型", "意向级别", "预计购车时间", "备注", "微信", "地址"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def series(db):
    vw = Brand.objects.create(name="大众", code="vw")
    byd = Brand.objects.create(name="比亚迪", code="byd")
    Series.objects.create(brand=byd, name="汉")
    return Series.objects.create(brand=vw, name="朗逸")


def xlsx(rows, headers=HEADERS, title_row=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title_row:
        sheet.append([title_row])
    if headers:
        sheet.append(headers)
    for row in rows:
        sheet.append(row)
    handle = io.BytesIO()
    workbook.save(handle)
    return handle.getvalue()


def upload(content: bytes, name="list.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def source(code="purchased_list") -> Source:
    return Source.objects.get(code=code)


def make_batch(users, store, content, name="list.xlsx", assignment="owner", owner=None, **kwargs):
    return importing.batch_create(
        actor=users.sales_manager,
        store=store,
        upload=upload(content, name),
        source=source(),
        assignment=assignment,
        owner=(owner or users.consultant) if assignment == "owner" else None,
        **kwargs,
    )


def existing_customer(users, store, phone="13900000001", name="老客户"):
    customer, lead = services.customer_with_lead_create(
        actor=users.consultant,
        store=store,
        customer_data={"name": name, "phone": phone},
        lead_data={"source": source("walk_in")},
        owner=users.consultant,
    )
    return customer, lead


def read_problems(batch) -> tuple[list[list], list[list]]:
    """(rows not imported, duplicates), each with its header row."""
    batch.refresh_from_db()
    with batch.error_file.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    not_imported, duplicates = (
        [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets
    )
    return not_imported, duplicates


# --- Pure parts -----------------------------------------------------------------------------


def test_auto_mapping_recognises_chinese_and_english_headers():
    assert importing.auto_mapping(HEADERS) == {
        "name": 0,
        "phone": 1,
        "series": 2,
        "grade": 3,
        "purchase_time": 4,
        "note": 5,
        "wechat": 6,
        "address": 7,
    }
    english = ["Name", "Mobile", "Series", "Grade", "Note", "WeChat", "Address", "Purchase time"]
    assert importing.auto_mapping(english) == {
        "name": 0,
        "phone": 1,
        "series": 2,
        "grade": 3,
        "note": 4,
        "wechat": 5,
        "address": 6,
        "purchase_time": 7,
    }
    # Decorations around the name and Chinese compounds (the head noun comes last).
    assert importing.auto_mapping(["序号", "姓名*", "联系电话（必填）", "车系"]) == {"name": 1, "phone": 2, "series": 3}
    assert importing.auto_mapping(["联系人电话"]) == {"phone": 0}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("7d", "7d"),
        ("一周内", "7d"),
        ("尽快", "7d"),
        ("半个月", "15d"),
        ("十五天", "15d"),
        ("1个月内", "30d"),
        ("3个月内", "90d"),
        ("3个月以上", "later"),
        ("半年", "later"),
        ("不确定", ""),
        ("", ""),
    ],
)
def test_purchase_time_words(text, code):
    assert importing.parse_purchase_time(text) == code


def test_row_checker_reports_every_problem(series):
    checker = importing.RowChecker({"name": 0, "phone": 1, "series": 2, "grade": 3, "purchase_time": 4})
    ok = checker(2, ["张三", "+86 138-1234-5678", "大众 朗逸", "h级", "一个月内"])
    assert ok.ok and ok.data["phone"] == "13812345678" and ok.data["series_id"] == series.pk
    assert ok.data["grade"] == "H" and ok.data["purchase_time"] == "30d"
    assert checker(3, ["", "", "", "", ""]).errors  # neither name nor phone
    bad = checker(4, ["李四", "1381234", "宝马X5", "O", "某天"])
    assert len(bad.errors) == 4, bad.errors
    assert "宝马X5" in bad.reason
    # Phone only: the customer is named after the number's last digits.
    assert "5678" in str(checker(5, ["", "13912345678", "", "", ""]).data["name"])


def _rows(reader) -> list[tuple[int, list[str]]]:
    """Rows without their trailing empty cells (openpyxl pads rows to the widest one)."""
    out = []
    for number, values in reader:
        while values and values[-1] == "":
            values = values[:-1]
        out.append((number, values))
    return out


def test_the_xlsx_reader_reads_what_openpyxl_reads():
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    workbook = Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["这一页不是名单"])
    sheet = workbook.create_sheet("名单")
    workbook.active = 1  # the reader takes the sheet the file opens on, as openpyxl does
    sheet.append(["姓名", "手机", "登记日期", "预算", "已留档", "公式"])
    sheet.append([" 张三 ", 13812345678, dt.date(2025, 8, 1), 12.5, True, "=1+1"])
    sheet["C2"].number_format = 'yyyy"年"m"月"d"日"'
    sheet.cell(row=5, column=2, value="021-58881234")  # rows 3 and 4 are empty: numbers keep their place
    sheet.cell(row=5, column=1, value=CellRichText(["李", TextBlock(InlineFont(b=True), "四")]))
    sheet.cell(row=6, column=3, value=dt.datetime(2025, 8, 2, 9, 30))
    handle = io.BytesIO()
    workbook.save(handle)

    handle.seek(0)
    fast = _rows(importing.XlsxRows(handle))
    handle.seek(0)
    reference = _rows(importing._iter_xlsx_openpyxl(handle))
    assert fast == [row for row in reference if row[1]]
    assert fast == [
        (1, ["姓名", "手机", "登记日期", "预算", "已留档", "公式"]),
        (2, ["张三", "13812345678", "2025-08-01", "12.5", "1"]),
        (5, ["李四", "021-58881234"]),
        (6, ["", "", "2025-08-02 09:30:00"]),
    ]


def test_the_xlsx_reader_reads_inline_strings_and_refuses_doctypes(tmp_path):
    import zipfile

    import xlsxwriter

    path = tmp_path / "inline.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["姓名", "手机"])
    sheet.write_row(1, 0, ["张三", "13812345678"])
    book.close()
    with path.open("rb") as handle:
        assert list(importing.XlsxRows(handle)) == [(1, ["姓名", "手机"]), (2, ["张三", "13812345678"])]

    evil = tmp_path / "evil.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(evil, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet', 1)
            target.writestr(item, data)
    with evil.open("rb") as handle, pytest.raises(importing.ImportFileError):
        list(importing.iter_file_rows(handle, "evil.xlsx"))


# --- Upload, mapping, preview ---------------------------------------------------------------


def test_pages_need_the_import_permission(users, store, client_for):
    assert client_for(users.consultant).get(reverse("leads:import_list")).status_code == 403
    assert client_for(users.consultant).get(reverse("leads:import_new")).status_code == 403
    assert client_for(users.sales_manager).get(reverse("leads:import_list")).status_code == 200
    assert client_for(users.sales_manager).get(reverse("leads:import_template")).status_code == 200


def test_other_stores_import_is_not_found(users, other_users, store, series, client_for):
    batch = make_batch(users, store, xlsx([["张三", "13812345678"]]))
    outsider = client_for(other_users.sales_manager)
    for name in ("leads:import_detail", "leads:import_progress", "leads:import_problems"):
        assert outsider.get(reverse(name, args=[batch.pk])).status_code == 404
    assert outsider.post(reverse("leads:import_commit", args=[batch.pk])).status_code == 404
    assert client_for(users.sales_manager).get(reverse("leads:import_detail", args=[batch.pk])).status_code == 200


def test_upload_through_the_page_detects_columns_and_previews_rows(users, store, series, client_for):
    existing_customer(users, store, phone="13900000001", name="老客户")
    client = client_for(users.sales_manager)
    content = xlsx(
        [
            ["张三", "13812345678", "朗逸", "A", "15天内", "车展", "zs", "上海"],
            ["李四", "12345", "", "", "", "", "", ""],
            ["王五", "139 0000 0001", "", "", "", "", "", ""],
        ],
        title_row="2025 上海车展登记表",
    )
    response = client.post(
        reverse("leads:import_new"),
        {"file": upload(content), "source": source().pk, "assignment": "owner", "owner": users.consultant.pk},
    )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response.url == reverse("leads:import_detail", args=[batch.pk])
    assert batch.mapping["header_row"] == 2 and batch.mapping["columns"]["phone"] == 1
    assert batch.total_rows == 3

    page = client.get(response.url).content.decode()
    assert 'id="preview-row-3"' in page
    assert "A mobile number has 11 digits" in page or "11" in page  # the bad phone's reason
    assert users.consultant.full_name in page  # the duplicate's owner


def test_upload_rejects_unreadable_files(users, store, client_for):
    client = client_for(users.sales_manager)
    data = {"source": source().pk, "assignment": "dcc"}
    response = client.post(reverse("leads:import_new"), {**data, "file": upload(b"not a zip", "list.xlsx")})
    assert response.status_code == 200 and "Excel" in response.content.decode()
    response = client.post(reverse("leads:import_new"), {**data, "file": upload(b"x", "list.xls")})
    assert response.status_code == 200 and ".xlsx" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_mapping_override(users, store, series, client_for):
    # The header names say nothing useful: the user maps the columns by hand.
    content = xlsx([["13812345678", "张三", "朗逸"], ["13812345679", "李四", ""]], headers=["c1", "c2", "c3"])
    batch = make_batch(users, store, content)
    assert batch.mapping["columns"] == {}
    client = client_for(users.sales_manager, language="en")
    # Two fields on one column is refused.
    response = client.post(reverse("leads:import_detail", args=[batch.pk]), {"name": "0", "phone": "0"})
    assert response.status_code == 200 and "already used" in response.content.decode()
    response = client.post(reverse("leads:import_detail", args=[batch.pk]), {"phone": "0", "name": "1", "series": "2"})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEWED
    assert batch.mapping["columns"] == {"phone": 0, "name": 1, "series": 2}
    client.post(reverse("leads:import_commit", args=[batch.pk]))
    lead = Lead.objects.get(customer__phone="13812345678")
    assert lead.customer.name == "张三" and lead.series == series


def test_a_file_without_header_row(users, store, series):
    batch = make_batch(users, store, xlsx([["张三", "13812345678"], ["李四", "13812345679"]], headers=None))
    assert batch.mapping["header_row"] == 0 and batch.total_rows == 2
    importing.batch_set_mapping(actor=users.sales_manager, batch=batch, columns={"name": 0, "phone": 1})
    batch = importing.batch_start(actor=users.sales_manager, batch=batch)
    assert batch.created_rows == 2


# --- Commit -----------------------------------------------------------------------------------


def test_commit_keeps_good_rows_and_returns_bad_rows_and_duplicates_as_a_file(users, store, series, client_for):
    _customer, open_lead = existing_customer(users, store, phone="13900000001", name="老客户")
    rows = [
        ["张三", "13812345678", "朗逸", "A", "1个月内", "车展", "zs_wx", "上海浦东"],
        ["", "", "朗逸", "", "", "没名字没电话", "", ""],
        ["李四", "1381234", "", "", "", "", "", ""],
        ["王五", "139-0000-0001", "", "", "", "老客户又来了", "", ""],
        ["赵六", "13812340000", "宝马X5", "", "", "", "", ""],
        ["张三", "138 1234 5678", "", "", "", "同一文件重复", "", ""],
        ["钱七", "", "", "H", "", "只有名字", "", ""],
    ]
    batch = make_batch(users, store, xlsx(rows))
    client = client_for(users.sales_manager)
    response = client.post(reverse("leads:import_commit", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert (batch.total_rows, batch.created_rows, batch.duplicate_rows, batch.bad_rows) == (7, 2, 2, 3)

    zhang = Lead.objects.get(customer__phone="13812345678")
    assert zhang.owner == users.consultant and zhang.source.code == "purchased_list"
    assert zhang.series == series and zhang.grade == "A" and zhang.purchase_time == "30d"
    assert zhang.customer.wechat == "zs_wx" and zhang.customer.address == "上海浦东"
    assert LeadEvent.objects.get(lead=zhang, kind=LeadEvent.Kind.CREATED).note == "车展"
    assert Task.objects.filter(lead=zhang, kind=Task.Kind.FIRST_CONTACT, assignee=users.consultant).count() == 1
    qian = Lead.objects.get(customer__name="钱七")
    assert qian.customer.phone == "" and qian.grade == "H"
    # The known customer's open lead got the enquiry; the repeated row went to 张三's new lead.
    assert Lead.objects.filter(customer__phone="13900000001").count() == 1
    assert LeadEvent.objects.get(lead=open_lead, kind=LeadEvent.Kind.ENQUIRY).note == "老客户又来了"
    assert LeadEvent.objects.filter(lead=zhang, kind=LeadEvent.Kind.ENQUIRY).count() == 1
    assert Customer.objects.filter(store=store).count() == 3  # 老客户, 张三, 钱七

    not_imported, duplicates = read_problems(batch)
    assert not_imported[0][: len(HEADERS)] == HEADERS
    reasons = {row[0] or "": (row[-2], row[-1]) for row in not_imported[1:]}
    assert set(reasons) == {"", "李四", "赵六"}
    assert reasons[""][0] == 3  # the row number in the original file
    assert "宝马X5" in reasons["赵六"][1]
    dup_rows = {row[0]: row[-1] for row in duplicates[1:]}
    assert "老客户" in dup_rows["王五"] and users.consultant.full_name in dup_rows["王五"]
    assert "2" in dup_rows["张三"] and users.consultant.full_name in dup_rows["张三"]

    page = client.get(reverse("leads:import_detail", args=[batch.pk])).content.decode()
    assert 'id="download-problems"' in page and 'id="result-created">2<' in page
    assert batch.original_name in client.get(reverse("leads:import_list")).content.decode()
    download = client.get(reverse("leads:import_problems", args=[batch.pk]))
    assert download.status_code == 200 and download["Content-Type"] == importing.XLSX_CONTENT_TYPE
    # One audit entry per chunk, not per row.
    assert AuditLog.objects.filter(action="lead_import.chunk", object_id=str(batch.pk)).count() == 1


def test_the_problem_file_can_be_fixed_and_imported_again(users, store, series):
    batch = make_batch(users, store, xlsx([["李四", "1381234"]]))
    importing.batch_start(actor=users.sales_manager, batch=batch)
    rows = read_problems(batch)[0]
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.active.cell(row=2, column=2, value="13812341234")
    handle = io.BytesIO()
    workbook.save(handle)
    again = make_batch(users, store, handle.getvalue())
    again = importing.batch_start(actor=users.sales_manager, batch=again)
    assert (again.created_rows, again.bad_rows) == (1, 0)
    assert Customer.objects.get(phone="13812341234").name == "李四"


def test_known_customer_without_open_lead_gets_a_new_lead(users, store, series):
    customer, lead = existing_customer(users, store, phone="13900000001")
    request = services.lost_request_create(
        actor=users.consultant, lead=lead, kind="lost", reason=LostReason.objects.get(code="price")
    )
    services.lost_request_approve(actor=users.sales_manager, request=request)
    batch = make_batch(users, store, xlsx([["老客户", "13900000001"]]))
    batch = importing.batch_start(actor=users.sales_manager, batch=batch)
    assert (batch.created_rows, batch.duplicate_rows) == (1, 0)
    new_lead = customer.leads.get(status=LeadStatus.NEW)
    assert new_lead.pk != lead.pk and new_lead.source.code == "purchased_list"
    assert Customer.objects.filter(phone="13900000001").count() == 1


def test_gbk_csv(users, store, series):
    text = "姓名,电话,车系,备注\n张三,13812345678,朗逸,展会名单\n李四,021-58881234,汉,\n"
    batch = make_batch(users, store, text.encode("gbk"), name="名单.csv")
    assert importing.detect_csv_encoding(io.BytesIO(text.encode("gbk"))) == "gb18030"
    batch = importing.batch_start(actor=users.sales_manager, batch=batch)
    assert batch.created_rows == 2
    assert Customer.objects.get(phone="13812345678").name == "张三"
    assert Lead.objects.get(customer__phone="021-58881234").series.name == "汉"


def test_utf8_csv_with_bom_and_semicolons(users, store, series):
    text = "\ufeffname;phone;series\nAnna;13812345678;大众朗逸\n"
    batch = make_batch(users, store, text.encode("utf-8"), name="list.csv")
    batch = importing.batch_start(actor=users.sales_manager, batch=batch)
    assert batch.created_rows == 1 and Lead.objects.get().series == series


def test_round_robin_and_dcc_assignment(users, store, series):
    from tests.factories import make_member

    second = make_member(store, "consultant", username="a_consultant_2")
    rows = [[f"客户{i}", f"1381234000{i}"] for i in range(4)]
    batch = make_batch(users, store, xlsx(rows), assignment="round_robin")
    importing.batch_start(actor=users.sales_manager, batch=batch)
    owners = Lead.objects.values("owner").annotate(n=Count("id"))
    assert {row["owner"]: row["n"] for row in owners} == {users.consultant.pk: 2, second.pk: 2}
    assert LeadSettings.objects.get(store=store).round_robin_last_user_id in {users.consultant.pk, second.pk}

    batch = make_batch(users, store, xlsx([["DCC客户", "13812349999"]]), assignment="dcc")
    importing.batch_start(actor=users.sales_manager, batch=batch)
    lead = Lead.objects.get(customer__phone="13812349999")
    assert lead.owner is None and lead.with_dcc
    assert not Task.objects.filter(lead=lead).exists()


def test_a_crash_midway_leaves_whole_chunks_and_a_rerun_resumes(users, store, series, monkeypatch, client_for):
    """Chunks of 3 rows: the 2nd chunk fails after inserting its customers and leads. It leaves
    nothing; the 1st chunk stays with its checkpoint; the rerun imports the rest exactly once."""
    monkeypatch.setattr(importing, "CHUNK_SIZE", 3)
    rows = [[f"客户{i}", f"1381234{i:04d}"] for i in range(8)]
    rows[1][1] = "bad"  # a bad row in the first chunk: its reason must survive the crash
    batch = make_batch(users, store, xlsx(rows))

    real_insert = importing._Table.insert
    calls = {"tasks": 0}

    def failing_insert(table, rows, **kwargs):
        if table.model is Task:
            calls["tasks"] += 1
            if calls["tasks"] == 2:
                raise RuntimeError("disk full")
        return real_insert(table, rows, **kwargs)

    monkeypatch.setattr(importing._Table, "insert", failing_insert)
    batch = importing.batch_start(actor=users.sales_manager, batch=batch)
    assert batch.status == ImportBatch.Status.FAILED and "disk full" in batch.error_message
    assert importing.rows_done(batch) == 3
    # Only the first chunk's two good rows: the second chunk's customers and leads are gone too.
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["客户0", "客户2"]
    assert Lead.objects.count() == 2 and Task.objects.count() == 2
    assert LeadEvent.objects.count() == 2

    page = client_for(users.sales_manager).get(reverse("leads:import_detail", args=[batch.pk])).content.decode()
    assert 'id="resume-import"' in page and "disk full" in page

    monkeypatch.setattr(importing._Table, "insert", real_insert)
    batch = importing.batch_start(actor=users.sales_manager, batch=batch)  # "Resume"
    assert batch.status == ImportBatch.Status.DONE
    assert (batch.total_rows, batch.created_rows, batch.duplicate_rows, batch.bad_rows) == (8, 7, 0, 1)
    assert Customer.objects.count() == 7 and Lead.objects.count() == 7 and Task.objects.count() == 7
    assert LeadEvent.objects.filter(kind=LeadEvent.Kind.CREATED).count() == 7
    problems = read_problems(batch)[0]
    assert [row[0] for row in problems[1:]] == ["客户1"]
    # Running it again changes nothing.
    importing.batch_run(batch.pk)
    assert Customer.objects.count() == 7


def test_a_file_damaged_after_upload_fails_cleanly(users, store, series, monkeypatch):
    import threading

    monkeypatch.setattr(importing, "CHUNK_SIZE", 2)
    batch = make_batch(users, store, xlsx([[f"客户{i}", f"1381234000{i}"] for i in range(5)]))
    with batch.file.storage.open(batch.file.name, "wb") as handle:
        handle.write(b"PK\x03\x04 no longer a workbook")
    batch = importing.batch_start(actor=users.sales_manager, batch=batch)
    assert batch.status == ImportBatch.Status.FAILED and batch.error_message
    assert not Lead.objects.exists()
    assert not any(t.name == "lead-import-reader" and t.is_alive() for t in threading.enumerate())


def test_chunks_are_written_in_bulk(users, store, series, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(importing, "CHUNK_SIZE", 500)
    rows = [[f"客户{i}", f"138{i:08d}", "朗逸"] for i in range(1_000)]
    batch = make_batch(users, store, xlsx(rows, headers=["姓名", "手机", "车系"]))
    importing.batch_set_mapping(actor=users.sales_manager, batch=batch, columns={"name": 0, "phone": 1, "series": 2})
    # A per-row design needs several queries per row (4,000+ here). In bulk it is a handful per chunk,
    # plus the inserts SQLite splits into statements of ~30 rows (its bound-parameter limit).
    with django_assert_max_num_queries(200):
        batch = importing.batch_start(actor=users.sales_manager, batch=batch)
    assert batch.created_rows == 1_000 and Task.objects.count() == 1_000


def test_large_imports_run_in_celery(users, store, series, monkeypatch, client_for, django_capture_on_commit_callbacks):
    monkeypatch.setattr(importing, "ASYNC_THRESHOLD", 2)
    batch = make_batch(users, store, xlsx([[f"客户{i}", f"1381234000{i}"] for i in range(3)]))
    client = client_for(users.sales_manager)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("leads:import_commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.RUNNING and not Lead.objects.exists()
    progress = client.get(reverse("leads:import_progress", args=[batch.pk]), headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' in progress.content.decode() and "HX-Refresh" not in progress

    # The task is enqueued on commit; CELERY_TASK_ALWAYS_EAGER runs it here.
    for callback in callbacks:
        callback()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE and batch.created_rows == 3
    assert Notification.objects.filter(recipient=users.sales_manager, title__contains="list.xlsx").exists()
    progress = client.get(reverse("leads:import_progress", args=[batch.pk]), headers={"HX-Request": "true"})
    assert progress["HX-Refresh"] == "true"


def test_imported_leads_are_announced_per_chunk_not_per_lead(
    users, store, series, monkeypatch, django_capture_on_commit_callbacks
):
    from leads import signals

    monkeypatch.setattr(importing, "CHUNK_SIZE", 2)
    chunks, singles = [], []

    def on_chunk(sender, store, lead_ids, actor, **kwargs):
        chunks.append((store, list(lead_ids), actor))

    def on_single(sender, lead, **kwargs):
        singles.append(lead)

    importing.leads_imported.connect(on_chunk)
    signals.lead_created.connect(on_single)
    try:
        batch = make_batch(users, store, xlsx([[f"客户{i}", f"1381234000{i}"] for i in range(3)]))
        with django_capture_on_commit_callbacks(execute=True):
            importing.batch_start(actor=users.sales_manager, batch=batch)
    finally:
        importing.leads_imported.disconnect(on_chunk)
        signals.lead_created.disconnect(on_single)
    assert [len(ids) for _store, ids, _actor in chunks] == [2, 1]
    assert {pk for _store, ids, _actor in chunks for pk in ids} == set(Lead.objects.values_list("pk", flat=True))
    assert chunks[0][0] == store and chunks[0][2] == users.sales_manager
    assert singles == []


def test_a_stalled_import_can_be_resumed(users, store, series, monkeypatch, client_for):
    monkeypatch.setattr(importing, "ASYNC_THRESHOLD", 1)
    batch = make_batch(users, store, xlsx([[f"客户{i}", f"1381234000{i}"] for i in range(3)]))
    client = client_for(users.sales_manager)
    client.post(reverse("leads:import_commit", args=[batch.pk]))  # queued, but the task never runs
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.RUNNING and not importing.batch_stalled(batch)
    assert 'id="import-stalled"' not in client.get(reverse("leads:import_detail", args=[batch.pk])).content.decode()
    AuditLog.objects.filter(object_id=str(batch.pk)).update(created_at=timezone.now() - dt.timedelta(minutes=11))
    assert importing.batch_stalled(batch)
    assert 'id="import-stalled"' in client.get(reverse("leads:import_detail", args=[batch.pk])).content.decode()
    monkeypatch.setattr(importing, "ASYNC_THRESHOLD", 100)
    client.post(reverse("leads:import_commit", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE and batch.created_rows == 3


def test_a_started_import_cannot_start_again(users, store, series):
    batch = make_batch(users, store, xlsx([["张三", "13812345678"]]))
    importing.batch_start(actor=users.sales_manager, batch=batch)
    with pytest.raises(importing.ValidationError):
        importing.batch_start(actor=users.sales_manager, batch=batch)
    with pytest.raises(importing.ValidationError):
        importing.batch_set_mapping(actor=users.sales_manager, batch=batch, columns={"name": 0})
    assert Lead.objects.count() == 1
