"""The callback ladder from a delivery: due dates in Shanghai time and across month ends, the
consultant working it, customer service supervising it, and the 3-day satisfaction rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from freezegun import freeze_time

from complaints import selectors, services
from complaints.models import Callback, CallbackSettings, SurveyQuestion

from .conftest import deliver_order

pytestmark = pytest.mark.django_db
K = Callback.Kind


def delivered(store, users, trim, at, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return deliver_order(store, users, trim, at=at)


def dues(order) -> dict[str, dt.date]:
    return {c.kind: c.due_date for c in Callback.objects.filter(order=order)}


def test_delivery_late_in_utc_is_the_next_day_in_shanghai(store, users, trim, django_capture_on_commit_callbacks):
    # 20:00 UTC on 31 January is 04:00 on 1 February in Shanghai.
    order = delivered(
        store, users, trim, dt.datetime(2026, 1, 31, 20, 0, tzinfo=dt.UTC), django_capture_on_commit_callbacks
    )
    assert dues(order) == {
        K.SAME_DAY: dt.date(2026, 2, 1),
        K.DAY_3: dt.date(2026, 2, 4),
        K.DAY_7: dt.date(2026, 2, 8),
        K.DAY_15: dt.date(2026, 2, 16),
        K.ONGOING: dt.date(2026, 5, 2),
        K.FIRST_SERVICE: dt.date(2026, 5, 2),
        K.REPEAT_PURCHASE: dt.date(2027, 2, 1),
        K.SATISFACTION: dt.date(2026, 2, 4),
    }
    ladder = Callback.objects.filter(order=order).exclude(kind=K.SATISFACTION)
    assert {c.assignee for c in ladder} == {users.consultant}
    assert Callback.objects.get(order=order, kind=K.SATISFACTION).assignee is None


def test_month_ends_and_store_intervals(store, users, trim, django_capture_on_commit_callbacks):
    CallbackSettings.objects.create(store=store, day_15=14, first_service_after=60, repeat_purchase_every_months=12)
    # 10:00 in Shanghai on 31 January 2028 (a leap year).
    order = delivered(
        store, users, trim, dt.datetime(2028, 1, 31, 2, 0, tzinfo=dt.UTC), django_capture_on_commit_callbacks
    )
    got = dues(order)
    assert got[K.SAME_DAY] == dt.date(2028, 1, 31)
    assert got[K.DAY_3] == dt.date(2028, 2, 3)
    assert got[K.DAY_15] == dt.date(2028, 2, 14)
    assert got[K.FIRST_SERVICE] == dt.date(2028, 3, 31)
    assert got[K.REPEAT_PURCHASE] == dt.date(2029, 1, 31)
    assert services.add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert services.add_months(dt.date(2027, 12, 31), 2) == dt.date(2028, 2, 29)
    assert services.add_months(dt.date(2028, 2, 29), 12) == dt.date(2029, 2, 28)


def test_scheduling_twice_creates_nothing_twice(store, users, trim, django_capture_on_commit_callbacks):
    order = delivered(store, users, trim, None, django_capture_on_commit_callbacks)
    assert Callback.objects.filter(order=order).count() == 8
    assert services.callbacks_schedule(order=order) == 0
    assert Callback.objects.filter(order=order).count() == 8


def test_ongoing_and_repeat_purchase_repeat(store, users, trim, django_capture_on_commit_callbacks):
    order = delivered(
        store, users, trim, dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC), django_capture_on_commit_callbacks
    )
    assert services.callbacks_extend(today=dt.date(2026, 4, 1)) == 0
    assert services.callbacks_extend(today=dt.date(2026, 4, 5)) == 1  # ongoing due 5 April → next 4 July
    assert services.callbacks_extend(today=dt.date(2026, 4, 5)) == 0
    assert sorted(Callback.objects.filter(order=order, kind=K.ONGOING).values_list("due_date", flat=True)) == [
        dt.date(2026, 4, 5),
        dt.date(2026, 7, 4),
    ]
    assert services.callbacks_extend(today=dt.date(2027, 1, 5)) == 2
    assert Callback.objects.filter(order=order, kind=K.REPEAT_PURCHASE, due_date=dt.date(2028, 1, 5)).exists()


def test_consultant_works_own_callbacks(store, users, trim, django_capture_on_commit_callbacks):
    from tests.factories import make_member

    order = delivered(store, users, trim, None, django_capture_on_commit_callbacks)
    today_cb = Callback.objects.get(order=order, kind=K.SAME_DAY)
    assert list(selectors.my_callbacks(users.consultant, store)) == [today_cb]
    other = make_member(store, "consultant", username="a_consultant_x")
    with pytest.raises(PermissionDenied):
        services.callback_record(actor=other, callback=today_cb, reached=True, result="ok")
    with pytest.raises(PermissionDenied):
        services.callback_record(actor=users.cs_agent, callback=today_cb, reached=True, result="ok")
    with pytest.raises(ValidationError):
        services.callback_record(actor=users.consultant, callback=today_cb, reached=False, result="")
    done = services.callback_record(actor=users.consultant, callback=today_cb, reached=True, result="车辆使用正常")
    assert done.done_at and done.reached
    with pytest.raises(ValidationError):
        services.callback_record(actor=users.consultant, callback=today_cb, reached=True, result="again")
    assert not selectors.my_callbacks(users.consultant, store).exists()
    services.callback_check(actor=users.cs_agent, callback=done, note="客户确认顾问已回访")
    with pytest.raises(PermissionDenied):
        services.callback_check(actor=users.consultant, callback=done, note="x")


def test_supervision_board_counts(store, users, trim, django_capture_on_commit_callbacks):
    start = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 on 2 March in Shanghai
    order = delivered(store, users, trim, start, django_capture_on_commit_callbacks)
    same_day = Callback.objects.get(order=order, kind=K.SAME_DAY)
    day_3 = Callback.objects.get(order=order, kind=K.DAY_3)
    with freeze_time(start + dt.timedelta(hours=2)):
        services.callback_record(actor=users.consultant, callback=same_day, reached=True, result="满意")
    with freeze_time(dt.datetime(2026, 3, 6, 2, 0, tzinfo=dt.UTC)):
        services.callback_record(actor=users.consultant, callback=day_3, reached=False, result="无人接听")
    rows, listed = selectors.supervision_board(
        store, dt.date(2026, 3, 1), dt.date(2026, 3, 31), today=dt.date(2026, 3, 20)
    )
    (row,) = rows
    assert (row.consultant, row.due, row.on_time, row.late, row.missed, row.open) == (users.consultant, 4, 1, 1, 2, 0)
    states = {c.kind: s for c, s in listed}
    assert states == {K.SAME_DAY: "on_time", K.DAY_3: "late", K.DAY_7: "missed", K.DAY_15: "missed"}


def test_satisfaction_callback_within_three_days(store, users, trim, django_capture_on_commit_callbacks):
    start = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
    on_time = delivered(store, users, trim, start, django_capture_on_commit_callbacks)
    forgotten = delivered(store, users, trim, start, django_capture_on_commit_callbacks)
    questions = services.survey_questions_ensure(store)
    assert len(questions) == SurveyQuestion.objects.filter(store=store).count() == 5
    survey = Callback.objects.get(order=on_time, kind=K.SATISFACTION)
    with pytest.raises(PermissionDenied):
        services.callback_record(actor=users.consultant, callback=survey, reached=True, result="x")
    with pytest.raises(ValidationError):  # every question needs a score
        services.callback_record(actor=users.cs_agent, callback=survey, reached=True, result="x", scores={})
    with freeze_time(start + dt.timedelta(days=1)):
        done = services.callback_record(
            actor=users.cs_agent,
            callback=survey,
            reached=True,
            result="整体满意，交车讲解略快",
            scores={q.pk: 9 for q in questions[:-1]} | {questions[-1].pk: 0},
        )
    assert done.score == 72 and done.dissatisfied  # a zero-score item is dissatisfaction
    overview = selectors.satisfaction_overview(store, today=dt.date(2026, 3, 6))
    assert [c.order for c in overview["flagged"]] == [forgotten]
    assert [c.order for c in overview["open"]] == [forgotten]
    assert list(selectors.dissatisfied_without_complaint(store)) == [done]
