"""The daily summaries: built from the metric definitions, read for the days that are over, and
giving exactly the figures the raw rows give — before and after a rebuild, after late changes,
for every scope and filter."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from freezegun import freeze_time

from accounts.models import Membership, Role
from leads import services as lead_services
from leads.models import FollowUp
from reports import metrics, summary
from reports.library.daily_work import DailyWorkReport
from reports.models import DailyCount, SummaryDay, SummaryState
from reports.query import ReportQuery
from showroom import services as showroom_services
from showroom.models import DemoVehicle
from tests.factories import make_member
from tests.reports import builders as b

pytestmark = pytest.mark.django_db

# 12:00 in Beijing on 3 December 2026: November is over, today is 3 December.
NOW = "2026-12-03 04:00:00"
TODAY = dt.date(2026, 12, 3)
NOV1, NOV30 = dt.date(2026, 11, 1), dt.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def frozen():
    with freeze_time(NOW):
        yield


@pytest.fixture
def data(store, users, other_users, other_store):
    """Two consultants' November and the first days of December in store A, noise in store B,
    entered three hours before the tests run (rows stamped "now" are older than the summaries)."""
    with freeze_time("2026-12-03 01:00:00"):
        return _data(store, users, other_users, other_store)


def _data(store, users, other_users, other_store):
    a, m = users.consultant, users.sales_manager
    web = b.source("web-test")
    langyi = b.series("朗逸")
    first = b.lead(store, a, b.at("2026-11-01", "00:00"), src=web, series_row=langyi)
    b.lead(store, a, b.at("2026-10-31", "23:59"))
    b.lead(store, m, b.at("2026-11-30", "23:59"))
    b.lead(store, a, b.at("2026-11-02"), status="merged")
    b.follow_up(first, a, b.at("2026-11-01", "09:00"))
    b.follow_up(first, a, b.at("2026-11-01", "15:00"), channel=FollowUp.Channel.WECHAT)
    # 23:59 and 00:00 in Beijing are 15:59 and 16:00 UTC of the same UTC day: two Beijing days.
    b.follow_up(first, a, b.at("2026-11-15", "23:59"), channel=FollowUp.Channel.SMS)
    b.follow_up(first, a, b.at("2026-11-16", "00:00"), channel=FollowUp.Channel.VISIT)
    b.appointment(first, a, b.at("2026-11-01", "15:05"), b.at("2026-11-03"))
    b.visit(store, a, b.at("2026-11-03", "10:00"), lead_row=first)
    b.visit(store, a, b.at("2026-11-10", "10:00"), lead_row=first, first=False)
    b.visit(store, None, b.at("2026-11-10", "11:00"), registered_by=users.reception)  # nobody received them
    b.test_drive(first, a, b.at("2026-11-03", "10:30"))
    b.order(first, a, b.at("2026-11-03", "11:00"), delivered=b.at("2026-11-20", "16:00"))
    b.order(first, a, b.at("2026-11-03", "11:30"), cancelled=True)
    second = b.lead(store, m, b.at("2026-11-04"), src=web, status="ordered")
    kept_order = b.order(second, m, b.at("2026-11-04", "12:00"))
    lost_lead = b.lead(store, m, b.at("2026-11-05"))
    b.closed(lost_lead, m, users.sales_manager, b.at("2026-11-06"))
    invalid_lead = b.lead(store, a, b.at("2026-11-05"))
    b.closed(invalid_lead, a, users.sales_manager, b.at("2026-11-06"), kind="invalid")
    # Today, and yesterday (summarised by the morning job only).
    today_lead = b.lead(store, a, b.at("2026-12-03", "09:00"))
    b.follow_up(today_lead, a, b.at("2026-12-03", "09:30"))
    b.lead(store, m, b.at("2026-12-02", "18:00"))
    b.lead(other_store, other_users.consultant, b.at("2026-11-01"))
    b.follow_up(
        b.lead(other_store, other_users.consultant, b.at("2026-11-02")), other_users.consultant, b.at("2026-11-02")
    )
    return {"a": a, "m": m, "first": first, "second": second, "order": kept_order, "web": web, "langyi": langyi}


def query(user, stores, first=NOV1, last=NOV30, **kwargs):
    return ReportQuery(user=user, stores=tuple(stores), first=first, last=last, **kwargs)


def everything(q):
    """Every summary figure of ``q``: per (day, person), and the totals."""
    return summary.counts(q, summary.FIGURES), summary.totals(q, summary.FIGURES)


def result_figures(result):
    return (
        result.rows,
        result.totals,
        [(c.column.key, c.current, c.previous, c.last_year) for c in result.comparisons],
    )


def backfill(*stores, first=dt.date(2025, 10, 1)):
    for each in stores:
        summary.summary_backfill(store=each, first=first, last=TODAY)


def test_live_counts_are_the_metric_definitions(store, users, data):
    q = query(users.sales_manager, [store])
    with summary.live_only():
        by_day, totals = everything(q)
    for column, figure in summary.FIGURES.items():
        expected_qs = figure.metric(q)
        if figure.condition is not None:
            expected_qs = expected_qs.filter(figure.condition)
        assert by_day[column] == +metrics.by_day_and_person(expected_qs, figure.date_field, figure.person_field)
        assert totals[column] == expected_qs.count()


def test_a_built_day_holds_exact_counts(store, users, data):
    a, m = data["a"], data["m"]
    built = summary.summary_rebuild(store=store, first=NOV1, last=NOV30)
    assert built == 30
    nov1 = DailyCount.objects.get(store=store, day=NOV1, person=a)
    assert (nov1.captured_leads, nov1.follow_ups, nov1.follow_ups_phone, nov1.follow_ups_wechat) == (1, 2, 1, 1)
    assert nov1.invitations == 1
    nov3 = DailyCount.objects.get(store=store, day=dt.date(2026, 11, 3), person=a)
    assert (nov3.visits, nov3.first_visits, nov3.test_drives, nov3.orders) == (1, 1, 1, 1)  # the cancelled one is not
    nov10 = DailyCount.objects.get(store=store, day=dt.date(2026, 11, 10), person=a)
    assert (nov10.visits, nov10.first_visits) == (1, 0)
    assert DailyCount.objects.get(store=store, day=dt.date(2026, 11, 10), person=None).visits == 1
    assert DailyCount.objects.get(store=store, day=dt.date(2026, 11, 15), person=a).follow_ups_sms == 1
    assert DailyCount.objects.get(store=store, day=dt.date(2026, 11, 16), person=a).follow_ups_visit == 1
    assert DailyCount.objects.get(store=store, day=dt.date(2026, 11, 20), person=a).deliveries == 1
    nov6 = {row.person_id: row for row in DailyCount.objects.filter(store=store, day=dt.date(2026, 11, 6))}
    assert (nov6[m.pk].lost, nov6[m.pk].invalid, nov6[a.pk].lost, nov6[a.pk].invalid) == (1, 0, 0, 1)
    assert DailyCount.objects.get(store=store, day=NOV30, person=m).captured_leads == 1
    assert not DailyCount.objects.filter(store=store, day=dt.date(2026, 11, 2)).exists()  # only the merged lead
    assert SummaryDay.objects.filter(store=store, day__gte=NOV1, day__lte=NOV30).count() == 30
    # A rebuild replaces the rows: same rows, never twice.
    rows = list(DailyCount.objects.filter(store=store).order_by("day", "person_id").values())
    summary.summary_rebuild(store=store, first=NOV1, last=NOV30)
    again = list(DailyCount.objects.filter(store=store).order_by("day", "person_id").values())
    assert [{k: v for k, v in r.items() if k != "id"} for r in again] == [
        {k: v for k, v in r.items() if k != "id"} for r in rows
    ]


def test_only_days_that_are_over_are_built(store, data):
    with pytest.raises(ValueError):
        summary.summary_rebuild(store=store, first=TODAY)
    assert summary.summary_backfill(store=store, first=dt.date(2026, 11, 25), last=dt.date(2026, 12, 10)) == 8
    assert SummaryDay.objects.filter(store=store).order_by("-day").first().day == TODAY - dt.timedelta(days=1)


def test_reads_the_summary_for_past_days_and_today_live(store, other_store, users, data):
    q = query(users.sales_manager, [store], last=TODAY)
    gm = make_member(store, "gm", username="group_gm")
    Membership.objects.create(user=gm, store=other_store, role=Role.objects.get(store=None, code="gm"))
    both = query(gm, [store, other_store], last=TODAY)
    keyed = [("person",), ("store",), ("day", "person", "store"), ("day",)]
    with summary.live_only():
        live = everything(q)
        live_keyed = [summary.table(both, summary.FIGURES, by) for by in keyed]
    backfill(store, other_store)
    condition, parts = summary._plan(q)
    assert condition is not None
    assert [(p.first, p.last) for p in parts] == [(TODAY, TODAY)]  # only today is counted from the rows
    assert everything(q) == live
    assert [summary.table(both, summary.FIGURES, by) for by in keyed] == live_keyed
    by_store = live_keyed[1]
    captured = list(summary.FIGURES).index("captured_leads")
    assert (by_store[(store.pk,)][captured], by_store[(other_store.pk,)][captured]) == (7, 2)
    # The summary really answers: with its rows emptied, the past days count nothing.
    DailyCount.objects.update(follow_ups=0)
    assert summary.totals(q, ["follow_ups"])["follow_ups"] == 1  # today's only
    with summary.live_only():
        assert summary.totals(q, ["follow_ups"])["follow_ups"] == live[1]["follow_ups"]


@pytest.mark.parametrize(
    "who",
    ["manager", "consultant", "chosen consultant", "source", "series", "two stores"],
)
def test_the_daily_work_report_is_the_same_live_and_summarised(store, other_store, users, other_users, data, who):
    group_user = make_member(store, "gm", username="group_gm")
    Membership.objects.create(user=group_user, store=other_store, role=Role.objects.get(store=None, code="gm"))
    q = {
        "manager": query(users.sales_manager, [store]),
        "consultant": query(users.consultant, [store]),
        "chosen consultant": query(users.sales_manager, [store], consultant=data["a"]),
        "source": query(users.sales_manager, [store], source_ids=(data["web"].pk,)),
        "series": query(users.sales_manager, [store], series_id=data["langyi"].pk),
        "two stores": query(group_user, [store, other_store], last=TODAY),
    }[who]
    with summary.live_only():
        live = result_figures(DailyWorkReport(q).run())
    backfill(store, other_store)
    assert result_figures(DailyWorkReport(q).run()) == live
    assert (
        live[1]["new_leads"]
        == {
            "manager": 5,  # 1 Nov 00:00, 4 Nov, 5 Nov ×2, 30 Nov 23:59
            "consultant": 2,
            "chosen consultant": 2,
            "source": 2,
            "series": 1,
            "two stores": 9,  # and 2 and 3 December in store A, two leads in store B
        }[who]
    )
    # A consultant's own figures only; a filter the summary has no column for is answered live.
    if who == "consultant":
        assert {row["consultant"] for row in live[0]} == {str(data["a"])}
    if who in ("source", "series"):
        assert summary._plan(q)[0] is None


def test_changes_after_the_build_are_counted_until_the_next_refresh(store, users, data):
    a, m = data["a"], data["m"]
    q = query(users.sales_manager, [store])
    backfill(store)
    before = DailyWorkReport(q).run()
    # Late changes to November through the services: a lead given to another consultant, an order
    # cancelled, a visit registered three weeks late, a test drive entered late, a visit's arrival
    # corrected to another day.
    lead_services.lead_reassign(actor=users.sales_manager, leads=[data["first"]], to_user=m, reason="休假")
    showroom_services.order_cancel(actor=m, order=data["order"], reason="客户反悔")
    showroom_services.visit_register(
        actor=users.reception, store=store, phone="13900001111", arrived_at=b.at("2026-11-12", "10:00"), consultant=m
    )
    showroom_services.test_drive_record(
        actor=m,
        lead=data["second"],
        vehicle=DemoVehicle.objects.create(store=store, trim=b.trim(), plate="沪A00001", vin="LSVAU2180N2183294"),
        route="A",
        licence_checked=True,
        vehicle_checked=True,
        started_at=b.at("2026-11-13", "15:00"),
    )
    moved = b.visit(store, a, b.at("2026-11-21", "10:00"), registered_at=b.at("2026-11-21", "10:05"))
    summary.summary_rebuild(store=store, first=dt.date(2026, 11, 21), last=dt.date(2026, 11, 22))
    showroom_services.visit_correct(actor=users.reception, visit=moved, arrived_at=b.at("2026-11-22", "10:00"))
    with summary.live_only():
        live = result_figures(DailyWorkReport(q).run())
    assert result_figures(DailyWorkReport(q).run()) == live
    assert live[1]["orders"] == before.totals["orders"] - 1
    assert live[1]["arrivals"] == before.totals["arrivals"] + 2  # the late one and the moved one
    assert live[1]["test_drives"] == before.totals["test_drives"] + 1
    rows = {(r["day"], r["consultant"]): r for r in live[0]}
    assert rows[(NOV1, str(m))]["new_leads"] == 1  # the reassigned lead counts for its owner now
    assert rows[(dt.date(2026, 11, 22), str(a))]["arrivals"] == 1
    assert (dt.date(2026, 11, 21), str(a)) not in rows
    # The morning job recounts the changed days and moves its mark; the figures stay the same.
    mark = SummaryState.objects.get(store=store).changes_checked_at
    with freeze_time("2026-12-04 00:00:00"):
        rebuilt = summary.summary_refresh(store=store)
        state = SummaryState.objects.get(store=store)
        assert state.changes_checked_at > mark
        changed = set(
            SummaryDay.objects.filter(store=store, built_at__gte=dt.datetime(2026, 12, 4, tzinfo=dt.UTC)).values_list(
                "day", flat=True
            )
        )
        late = {dt.date(2026, 11, d) for d in (1, 4, 12, 13, 21, 22)}
        assert late <= changed
        assert {dt.date(2026, 12, 1), dt.date(2026, 12, 2), dt.date(2026, 12, 3)} <= changed  # the last three days
        assert rebuilt == len(changed)
        assert DailyCount.objects.get(store=store, day=NOV1, person=m).captured_leads == 1
        assert result_figures(DailyWorkReport(q).run()) == live


def test_refresh_is_idempotent(store, data):
    assert summary.summary_refresh(store=store) == 3
    first_rows = list(DailyCount.objects.filter(store=store).order_by("day", "person_id").values_list())
    assert summary.summary_refresh(store=store) == 3
    again = list(DailyCount.objects.filter(store=store).order_by("day", "person_id").values_list())
    assert [row[1:] for row in again] == [row[1:] for row in first_rows]
    assert SummaryDay.objects.filter(store=store).count() == 3


def test_a_store_never_checked_is_answered_live(store, users, data):
    summary.summary_rebuild(store=store, first=NOV1, last=NOV30)  # built, but no check mark yet
    assert SummaryState.objects.get(store=store).changes_checked_at is None
    assert summary._plan(query(users.sales_manager, [store]))[0] is None


def test_backfill_command(store, other_store, data):
    call_command("build_daily_counts", "--from", "2026-11-01", "--to", "2026-11-30", "--store", store.code)
    assert SummaryDay.objects.filter(store=store).count() == 30
    assert not SummaryDay.objects.filter(store=other_store).exists()
    assert SummaryState.objects.get(store=store).changes_checked_at is not None
    call_command("build_daily_counts", "--from", "2026-11-29")  # every store, up to yesterday
    assert SummaryDay.objects.filter(store=other_store).count() == 4
    with pytest.raises(CommandError):
        call_command("build_daily_counts", "--from", "2026-11-01", "--store", "nowhere")
    with pytest.raises(CommandError):
        call_command("build_daily_counts", "--from", "2026-12-01", "--to", "2026-11-01")


def test_morning_task_refreshes_every_active_store(store, other_store, data, settings):
    from reports import tasks

    schedule = settings.CELERY_BEAT_SCHEDULE["reports-refresh-daily-counts"]
    assert schedule["task"] == "reports.tasks.refresh_daily_counts_all"
    other_store.is_active = False
    other_store.save(update_fields=["is_active"])
    assert tasks.refresh_daily_counts_all() == 1
    assert SummaryDay.objects.filter(store=store).count() == 3
    assert not SummaryDay.objects.filter(store=other_store).exists()
    assert tasks.refresh_daily_counts(other_store.pk) == 0
