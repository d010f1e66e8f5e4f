"""The report center: the morning build (every registered report, the day and the month to date,
whole-store figures, in Chinese, a rerun replaces), its page and downloads, and the subscriptions
that mail the files once a day to those still allowed to have them."""

import datetime as dt
import io

import openpyxl
import pytest
from django.conf import settings
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone, translation

from accounts.models import AuditLog, Membership
from reports import services, tasks
from reports.library.daily_work import DailyWorkReport
from reports.models import Period, ReportFile, ReportSubscription
from reports.query import ReportQuery
from reports.registry import REPORTS
from tests.reports import builders as b

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 3)


@pytest.fixture
def november(store, other_store, users, other_users):
    """Store A's first three November days (two people's leads), with noise around them and in store B."""
    b.lead(store, users.consultant, b.at("2026-11-01", "00:00"))  # month to date only
    b.lead(store, users.sales_manager, b.at("2026-11-03", "00:00"))  # the day's first minute
    b.lead(store, users.consultant, b.at("2026-11-03", "23:59"))  # the day's last minute
    b.lead(store, users.consultant, b.at("2026-11-04", "00:00"))  # the next day: in neither file
    b.lead(store, users.consultant, b.at("2026-10-31", "23:59"))  # the month before
    b.lead(store, users.consultant, b.at("2026-11-02"), status="merged")  # a merged duplicate is not captured
    b.lead(other_store, other_users.consultant, b.at("2026-11-03"))  # another store: never counted


@pytest.fixture
def manager(users):
    """A sales manager who may download and subscribe (the report center permission and the export grant)."""
    user = users.sales_manager
    user.can_export = True
    user.save(update_fields=["can_export"])
    return user


def sheet_values(report_file: ReportFile) -> list[list]:
    with report_file.file.open("rb") as handle:
        book = openpyxl.load_workbook(io.BytesIO(handle.read()))
    return [[cell.value for cell in row] for row in book.worksheets[0].iter_rows()]


def daily_work_figures(report_file: ReportFile) -> tuple[list[list], list]:
    """The data rows and the totals row of a daily-work file (read by position from the header row)."""
    values = sheet_values(report_file)
    header = next(i for i, row in enumerate(values) if row[0] == "日期")
    data = values[header + 1 : header + 1 + report_file.rows]
    return data, values[header + 1 + report_file.rows]


def build(store, day=DAY):
    return services.report_center_build(store=store, day=day)


def file_of(store, report="daily_work", period=Period.DAY, day=DAY) -> ReportFile:
    return ReportFile.objects.get(store=store, report=report, period=period, day=day)


def make_file(store, day, report="daily_work", period=Period.DAY, content=b"PK-test") -> ReportFile:
    """A report-center row with a stand-in file, for page tests that need many days quickly."""
    row = ReportFile(store=store, report=report, period=period, day=day, first=day, rows=1)
    row.file.save(f"{report}-{period}-{day:%Y%m%d}.xlsx", ContentFile(content), save=False)
    row.save()
    return row


# -- the build -----------------------------------------------------------------------------------


def test_every_registered_report_is_built_for_the_day_and_the_month_to_date(store, november):
    built = build(store)

    assert len(built) == 2 * len(REPORTS)
    assert {(f.report, f.period) for f in built} == {(key, period) for key in REPORTS for period in Period.values}
    for report_file in built:
        assert report_file.day == DAY
        assert report_file.first == (DAY if report_file.period == Period.DAY else dt.date(2026, 11, 1))
        assert default_storage.exists(report_file.file.name)
        assert sheet_values(report_file)[0][0]  # a real workbook with its title row
    assert ReportFile.objects.filter(store=store).count() == 2 * len(REPORTS)


def test_a_failing_report_costs_the_store_only_its_own_files(store, november, monkeypatch, caplog):
    class BrokenReport(DailyWorkReport):
        identifier = "broken"
        number = 99

        def rows(self):
            raise RuntimeError("a bug in one report")

    monkeypatch.setitem(REPORTS, "broken", BrokenReport)

    built = build(store)

    assert {f.report for f in built} == set(REPORTS) - {"broken"}
    assert not ReportFile.objects.filter(report="broken").exists()
    assert "broken of store" in caplog.text


def test_files_hold_the_whole_stores_figures_in_chinese(store, users, november):
    translation.activate("en")  # the build does not follow whoever happens to be active
    build(store)
    translation.deactivate()

    data, totals = daily_work_figures(file_of(store, period=Period.DAY))
    assert totals[2] == 2  # the day's first and last minute; the next day and store B are not counted
    assert {row[1] for row in data} == {str(users.consultant), str(users.sales_manager)}
    data, totals = daily_work_figures(file_of(store, period=Period.MONTH_TO_DATE))
    assert totals[2] == 3  # 1 November 00:00 as well; not 31 October, not the merged duplicate
    assert [(row[0].date(), row[2]) for row in data] == [(dt.date(2026, 11, 1), 1), (DAY, 1), (DAY, 1)]


def test_the_same_figures_as_a_manager_sees_on_screen(store, users, november):
    build(store)
    on_screen = DailyWorkReport(ReportQuery(user=users.sales_manager, stores=(store,), first=DAY, last=DAY)).run()
    _data, totals = daily_work_figures(file_of(store))
    assert totals[2:10] == [on_screen.totals[column] for column in list(on_screen.totals)[:8]]


def test_whole_store_flag_overrides_the_users_own_scope(store, users, november):
    own = ReportQuery(user=users.consultant, stores=(store,), first=DAY, last=DAY)
    whole = ReportQuery(user=users.consultant, stores=(store,), first=DAY, last=DAY, whole_store=True)
    assert DailyWorkReport(own).run().totals["new_leads"] == 1
    assert DailyWorkReport(whole).run().totals["new_leads"] == 2
    assert whole.previous_period().whole_store and whole.last_year().whole_store


def test_a_rerun_replaces_the_files_and_deletes_the_old_ones(
    store, users, november, django_capture_on_commit_callbacks
):
    first_run = {(f.report, f.period): (f.pk, f.file.name) for f in build(store)}
    b.lead(store, users.consultant, b.at("2026-11-03", "12:00"))

    with django_capture_on_commit_callbacks(execute=True):
        second_run = {(f.report, f.period): (f.pk, f.file.name) for f in build(store)}

    assert ReportFile.objects.filter(store=store).count() == 2 * len(REPORTS)
    for key, (pk, name) in first_run.items():
        assert second_run[key][0] == pk  # the same row, replaced
        assert second_run[key][1] != name and not default_storage.exists(name)
        assert default_storage.exists(second_run[key][1])
    _data, totals = daily_work_figures(file_of(store))
    assert totals[2] == 3


def test_the_first_of_the_month_has_two_files_of_one_day_with_different_names(store, november):
    build(store, day=dt.date(2026, 11, 1))
    day_file = file_of(store, period=Period.DAY, day=dt.date(2026, 11, 1))
    month_file = file_of(store, period=Period.MONTH_TO_DATE, day=dt.date(2026, 11, 1))
    assert (day_file.first, month_file.first) == (dt.date(2026, 11, 1), dt.date(2026, 11, 1))
    assert services.center_filename(day_file) != services.center_filename(month_file)
    assert services.center_filename(day_file).endswith("-20261101-20261101.xlsx")


def test_the_morning_task_builds_yesterday_for_every_active_store(store, other_store, november):
    other_store.is_active = False
    other_store.save(update_fields=["is_active"])

    assert tasks.build_report_center_all.delay().get() == 1

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert set(ReportFile.objects.values_list("store_id", "day").distinct()) == {(store.pk, yesterday)}
    assert tasks.build_report_center_store.delay(other_store.pk, "2026-11-03").get() == {}


def test_beat_builds_the_center_after_the_other_morning_jobs():
    from dealercrm.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["reports-build-center"]
    assert entry["task"] == "reports.tasks.build_report_center_all"
    assert entry["task"] in app.tasks
    morning = settings.CELERY_BEAT_SCHEDULE["leads-daily-maintenance"]["schedule"]
    assert entry["schedule"].hour == morning.hour  # DAILY_JOB_HOUR
    assert entry["schedule"].minute == {40}  # after the leads' job (:00) and the DCC call lists (:30)


def test_files_past_their_keeping_time_are_purged_with_their_stored_files(store, other_store, settings):
    settings.REPORT_CENTER_KEEP_DAYS, settings.REPORT_CENTER_KEEP_MONTHS = 30, 3
    today = dt.date(2026, 11, 27)  # keeps every file from Oct 28, and whole months from Aug
    kept = [
        make_file(store, dt.date(2026, 10, 28)),  # the first day still kept
        make_file(store, dt.date(2026, 10, 28), period=Period.MONTH_TO_DATE),
        make_file(store, dt.date(2026, 9, 30), period=Period.MONTH_TO_DATE),  # September whole
        make_file(store, dt.date(2026, 8, 31), period=Period.MONTH_TO_DATE),  # August whole: the oldest kept month
        make_file(other_store, dt.date(2026, 8, 31), period=Period.MONTH_TO_DATE),
    ]
    gone = [
        make_file(store, dt.date(2026, 10, 27)),  # a day older than 30 days
        make_file(store, dt.date(2026, 10, 27), period=Period.MONTH_TO_DATE),  # not a month's last day
        make_file(store, dt.date(2026, 9, 30)),  # a month-end day file: only the month-to-date one is kept
        make_file(store, dt.date(2026, 7, 31), period=Period.MONTH_TO_DATE),  # a whole month too old
        make_file(other_store, dt.date(2026, 10, 1)),
    ]
    names = {row.pk: row.file.name for row in kept + gone}

    assert services.report_center_purge(today=today) == len(gone)

    assert set(ReportFile.objects.values_list("pk", flat=True)) == {row.pk for row in kept}
    assert all(default_storage.exists(names[row.pk]) for row in kept)
    assert not any(default_storage.exists(names[row.pk]) for row in gone)
    assert services.report_center_purge(today=today) == 0  # nothing twice


def test_the_nightly_purge_keeps_the_default_number_of_days(store):
    from dealercrm.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["reports-purge-center"]
    assert entry["task"] == "reports.tasks.purge_report_center" and entry["task"] in app.tasks
    today = timezone.localdate()
    last_kept = make_file(store, today - dt.timedelta(days=settings.REPORT_CENTER_KEEP_DAYS))
    make_file(store, today - dt.timedelta(days=settings.REPORT_CENTER_KEEP_DAYS + 1))

    assert tasks.purge_report_center.delay().get() == 1
    assert list(ReportFile.objects.values_list("pk", flat=True)) == [last_kept.pk]


# -- the page and the downloads ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales_manager", "dcc_manager", "gm"])
def test_managers_open_the_center(users, client_for, role):
    assert client_for(users[role]).get("/reports/center/").status_code == 200


@pytest.mark.parametrize("role", ["consultant", "reception", "cs_manager", "admin"])
def test_other_roles_are_refused(users, client_for, role):
    client = client_for(users[role])
    assert client.get("/reports/center/").status_code == 403
    assert client.post("/reports/center/", {"subscriptions": ["daily_work:day"]}).status_code == 403
    assert not ReportSubscription.objects.exists()


def test_days_newest_first_a_week_a_page(store, manager, client_for):
    for offset in range(9):
        make_file(store, DAY - dt.timedelta(days=offset))
    client = client_for(manager)

    first_page = client.get("/reports/center/")
    days = [day for day, _rows in first_page.context["groups"]]
    assert days == [DAY - dt.timedelta(days=offset) for offset in range(7)]
    second_page = client.get("/reports/center/", {"page": 2})
    assert [day for day, _rows in second_page.context["groups"]] == [dt.date(2026, 10, 27), dt.date(2026, 10, 26)]


def test_filter_by_report_and_day(store, manager, client_for):
    make_file(store, DAY)
    make_file(store, DAY, period=Period.MONTH_TO_DATE)
    make_file(store, DAY, report="no_longer_a_report")  # a report no longer registered is not offered
    make_file(store, DAY - dt.timedelta(days=1))
    client = client_for(manager)

    page = client.get("/reports/center/", {"day": "2026-11-03"})
    [(day, rows)] = page.context["groups"]
    assert day == DAY
    [(report, cells)] = rows
    assert report is DailyWorkReport
    assert [cell.period for cell in cells] == [Period.DAY, Period.MONTH_TO_DATE]
    assert client.get("/reports/center/", {"report": "daily_work"}).context["paginator"].count == 2
    assert client.get("/reports/center/", {"day": "2026-10-01"}).context["groups"] == []
    assert "center-empty" in client.get("/reports/center/", {"day": "2026-10-01"}).content.decode()


def test_whole_months_only_lists_each_months_last_month_to_date_file(store, manager, client_for):
    whole = make_file(store, dt.date(2026, 10, 31), period=Period.MONTH_TO_DATE)
    make_file(store, dt.date(2026, 10, 31))  # the day file of a month's last day
    make_file(store, dt.date(2026, 10, 30), period=Period.MONTH_TO_DATE)
    make_file(store, DAY, period=Period.MONTH_TO_DATE)
    client = client_for(manager)

    page = client.get("/reports/center/", {"whole_months": "on"})
    [(day, [(report, cells)])] = page.context["groups"]
    assert (day, report) == (whole.day, DailyWorkReport)
    assert [cell and cell.pk for cell in cells] == [None, whole.pk]
    assert client.get("/reports/center/").context["paginator"].count == 3  # unchecked: every day
    assert "92" in page.content.decode()  # the keeping times are told


def test_download_needs_the_export_grant_and_is_audited(store, users, manager, client_for):
    report_file = make_file(store, DAY, content=b"PK-the-file")
    path = f"/reports/center/{report_file.pk}/download/"
    no_grant = client_for(users.gm)
    assert f'href="{path}"' not in no_grant.get("/reports/center/").content.decode()
    assert no_grant.get(path).status_code == 403

    client = client_for(manager)
    assert f'href="{path}"' in client.get("/reports/center/").content.decode()
    response = client.get(path)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PK-the-file"
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert ".xlsx" in response["Content-Disposition"]
    entry = AuditLog.objects.get(action="reports.export")
    assert entry.actor == manager and entry.store_id == store.pk
    assert entry.object_id == str(report_file.pk)
    assert entry.changes["center"] is True and entry.changes["period"] == Period.DAY


def test_another_stores_file_is_404(store, other_store, other_users, client_for):
    report_file = make_file(store, DAY)
    outsider = other_users.gm
    outsider.can_export = True
    outsider.save(update_fields=["can_export"])
    make_file(other_store, DAY)
    client = client_for(outsider)

    page = client.get("/reports/center/")
    assert f"/reports/center/{report_file.pk}/download/" not in page.content.decode()
    assert page.context["paginator"].count == 1
    assert client.get(f"/reports/center/{report_file.pk}/download/").status_code == 404
    assert not AuditLog.objects.filter(action="reports.export").exists()


def test_a_file_of_a_report_no_longer_registered_is_404(store, manager, client_for):
    report_file = make_file(store, DAY, report="no_longer_a_report")
    assert client_for(manager).get(f"/reports/center/{report_file.pk}/download/").status_code == 404


# -- subscriptions -------------------------------------------------------------------------------


def test_subscribing_replaces_the_users_choice_and_is_audited(store, manager, client_for):
    client = client_for(manager)
    response = client.post("/reports/center/", {"subscriptions": ["daily_work:day", "daily_work:mtd"]})
    assert response.status_code == 302
    assert set(ReportSubscription.objects.filter(user=manager).values_list("report", "period")) == {
        ("daily_work", "day"),
        ("daily_work", "mtd"),
    }
    rows = dict(client.get("/reports/center/").context["subscription_rows"])
    assert [checked for _value, _label, checked in rows[DailyWorkReport]] == [True, True]

    client.post("/reports/center/", {"subscriptions": ["daily_work:mtd"]})

    assert list(ReportSubscription.objects.filter(user=manager).values_list("report", "period")) == [
        ("daily_work", "mtd")
    ]
    rows = dict(client.get("/reports/center/").context["subscription_rows"])
    assert [checked for _value, _label, checked in rows[DailyWorkReport]] == [False, True]
    changes = [entry.changes for entry in AuditLog.objects.filter(action="reports.subscribe").order_by("pk")]
    assert changes == [
        {"added": [["daily_work", "day"], ["daily_work", "mtd"]], "removed": []},
        {"added": [], "removed": [["daily_work", "day"]]},
    ]


def test_an_unknown_choice_is_refused_and_nothing_saved(manager, client_for):
    response = client_for(manager).post("/reports/center/", {"subscriptions": ["daily_work:day", "nothing:day"]})
    assert response.status_code == 400
    assert response.context["subscription_form"].errors
    assert not ReportSubscription.objects.exists()


def test_subscribing_needs_the_export_grant(users, client_for):
    client = client_for(users.gm)  # the report center, but no export grant
    assert "center-subscriptions" not in client.get("/reports/center/").content.decode()
    assert client.post("/reports/center/", {"subscriptions": ["daily_work:day"]}).status_code == 403
    assert not ReportSubscription.objects.exists()


def subscribe(user, store, *pairs):
    services.report_subscriptions_set(user=user, store=store, wanted=set(pairs))


def test_subscribers_get_one_email_a_day_with_their_files(store, users, manager, november):
    subscribe(manager, store, ("daily_work", "day"), ("daily_work", "mtd"))

    result = tasks.build_report_center_store.delay(store.pk, DAY.isoformat()).get()

    assert result == {"files": 2 * len(REPORTS), "emails": 1}
    [message] = mail.outbox
    assert message.to == [manager.email]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    names = [name for name, _content, _type in message.attachments]
    assert names == [services.center_filename(file_of(store, period=p)) for p in (Period.DAY, Period.MONTH_TO_DATE)]
    content = message.attachments[0][1]
    with file_of(store).file.open("rb") as handle:
        assert content == handle.read()
    assert openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]["A1"].value
    today = timezone.localdate()
    assert set(ReportSubscription.objects.values_list("last_sent_on", flat=True)) == {today}
    entry = AuditLog.objects.get(action="reports.export")
    assert entry.actor == manager and entry.changes["channel"] == "email"
    assert entry.changes["files"] == ["daily_work/day", "daily_work/mtd"]

    # A second run the same morning rebuilds the files but sends nothing again.
    again = tasks.build_report_center_store.delay(store.pk, DAY.isoformat()).get()
    assert again == {"files": 2 * len(REPORTS), "emails": 0}
    assert len(mail.outbox) == 1
    # The next morning it goes out again.
    assert services.report_subscriptions_send(store=store, day=DAY, today=today + dt.timedelta(days=1)) == 1


def test_only_those_still_allowed_receive(store, users, manager, november):
    gm, dcc_manager = users.gm, users.dcc_manager
    for user in (gm, dcc_manager):
        user.can_export = True
        user.save(update_fields=["can_export"])
    subscribe(manager, store, ("daily_work", "day"))
    subscribe(gm, store, ("daily_work", "day"))
    subscribe(dcc_manager, store, ("daily_work", "day"))
    build(store)
    Membership.objects.filter(user=manager).delete()  # no longer a manager here
    gm.can_export = False  # the export grant withdrawn
    gm.save(update_fields=["can_export"])

    assert services.report_subscriptions_send(store=store, day=DAY) == 1

    assert [message.to for message in mail.outbox] == [[dcc_manager.email]]
    assert ReportSubscription.objects.get(user=manager).last_sent_on is None
    assert ReportSubscription.objects.get(user=gm).last_sent_on is None


def test_nothing_is_sent_for_a_day_without_files(store, manager):
    subscribe(manager, store, ("daily_work", "day"))
    assert services.report_subscriptions_send(store=store, day=DAY) == 0
    assert not mail.outbox
    assert ReportSubscription.objects.get().last_sent_on is None


def test_a_subscription_to_a_report_no_longer_registered_is_skipped(store, manager, november):
    subscribe(manager, store, ("daily_work", "day"))
    ReportSubscription.objects.create(store=store, user=manager, report="no_longer_a_report", period=Period.DAY)
    make_file(store, DAY, report="no_longer_a_report")  # built before the report was withdrawn
    build(store)

    assert services.report_subscriptions_send(store=store, day=DAY) == 1

    [message] = mail.outbox
    assert [name for name, _content, _type in message.attachments] == [services.center_filename(file_of(store))]
    assert ReportSubscription.objects.get(report="no_longer_a_report").last_sent_on is None


def test_a_subscription_claimed_by_another_run_is_not_sent_twice(store, manager, november):
    subscribe(manager, store, ("daily_work", "day"))
    build(store)
    subscription = ReportSubscription.objects.get()
    today = timezone.localdate()

    assert services._claim(subscription, today) is True  # another run got there first
    assert services._claim(subscription, today) is False
    assert services.report_subscriptions_send(store=store, day=DAY) == 0
    assert not mail.outbox


def test_a_failed_email_is_tried_again_on_the_next_run(store, manager, november, monkeypatch):
    subscribe(manager, store, ("daily_work", "day"))
    build(store)

    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("mail server down")

    with monkeypatch.context() as patched:
        patched.setattr("django.core.mail.EmailMessage.send", refuse)
        assert services.report_subscriptions_send(store=store, day=DAY) == 0
    assert ReportSubscription.objects.get().last_sent_on is None
    assert not AuditLog.objects.filter(action="reports.export").exists()

    assert services.report_subscriptions_send(store=store, day=DAY) == 1
    assert len(mail.outbox) == 1


def test_the_demo_leaves_what_the_morning_jobs_would_have(store, other_store, november, monkeypatch):
    """``seed_demo`` summarises every day since the store's first lead and builds the report center of
    yesterday and of last month's last day, each only once."""
    from reports import demo
    from reports.models import DailyCount

    real_localdate = timezone.localdate
    monkeypatch.setattr(
        timezone, "localdate", lambda value=None, *args: real_localdate(value) if value else dt.date(2026, 11, 4)
    )

    assert demo.morning_jobs(store) == (4, 2 * 2 * len(REPORTS))  # Oct 31 – Nov 3; two days, two periods

    assert set(ReportFile.objects.values_list("store_id", "day").distinct()) == {
        (store.pk, dt.date(2026, 10, 31)),
        (store.pk, dt.date(2026, 11, 3)),
    }
    assert set(DailyCount.objects.filter(store=store).values_list("day", flat=True)) == {
        dt.date(2026, 10, 31),
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 3),
    }  # the days with something to count (Nov 2 had only a merged lead)
    captured = DailyCount.objects.filter(store=store, day=dt.date(2026, 11, 3)).values_list("captured_leads", flat=True)
    assert sum(captured) == 2
    files = ReportFile.objects.count()
    assert demo.morning_jobs(store)[1] == 0  # a second run builds no file twice
    assert ReportFile.objects.count() == files
