"""StoreCalendar: opening-time arithmetic for SLAs (lunch breaks, nights, weekends, holidays, 调休)."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from accounts.calendar import StoreCalendar
from accounts.models import Holiday, OpeningHours

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
# A plain week in March 2027: Monday 1st … Sunday 7th.
MON, TUE, WED, THU, FRI, SAT, SUN = (dt.date(2027, 3, day) for day in range(1, 8))


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def hours(store, weekday, *intervals):
    for opens, closes in intervals:
        OpeningHours.objects.create(store=store, weekday=weekday, opens_at=dt.time(*opens), closes_at=dt.time(*closes))


@pytest.fixture
def week(store):
    """Mon–Fri 09:00–12:00 and 13:00–18:00 (lunch break), Sat 10:00–16:00, Sunday closed."""
    for weekday in range(5):
        hours(store, weekday, ((9, 0), (12, 0)), ((13, 0), (18, 0)))
    hours(store, 5, ((10, 0), (16, 0)))
    return store


def calendar(store) -> StoreCalendar:
    return StoreCalendar(store)


def test_the_fixture_week_starts_on_a_monday():
    assert MON.weekday() == 0 and SUN.weekday() == 6


# --- add_open_minutes ---------------------------------------------------------------------


def test_minutes_inside_one_interval(week):
    assert calendar(week).add_open_minutes(at(MON, 9), 30) == at(MON, 9, 30)


def test_zero_minutes_while_open_is_now(week):
    assert calendar(week).add_open_minutes(at(MON, 10, 15), 0) == at(MON, 10, 15)


def test_zero_minutes_while_closed_is_the_next_opening(week):
    cal = calendar(week)
    assert cal.add_open_minutes(at(MON, 7), 0) == at(MON, 9)
    assert cal.add_open_minutes(at(MON, 12), 0) == at(MON, 13)  # closing time itself is closed
    assert cal.add_open_minutes(at(MON, 18), 0) == at(TUE, 9)


def test_start_before_opening_counts_from_opening(week):
    assert calendar(week).add_open_minutes(at(MON, 6, 30), 15) == at(MON, 9, 15)


def test_lunch_break_is_skipped(week):
    assert calendar(week).add_open_minutes(at(MON, 11, 30), 60) == at(MON, 13, 30)


def test_start_during_lunch_waits_for_the_afternoon(week):
    assert calendar(week).add_open_minutes(at(MON, 12, 20), 15) == at(MON, 13, 15)


def test_deadline_exactly_at_closing_time_stays_on_that_day(week):
    cal = calendar(week)
    assert cal.add_open_minutes(at(MON, 9), 180) == at(MON, 12)
    assert cal.add_open_minutes(at(MON, 17), 60) == at(MON, 18)


def test_across_closing_time_continues_next_morning(week):
    assert calendar(week).add_open_minutes(at(MON, 17, 30), 60) == at(TUE, 9, 30)


def test_overnight_start_counts_from_next_opening(week):
    cal = calendar(week)
    assert cal.add_open_minutes(at(MON, 22), 10) == at(TUE, 9, 10)
    assert cal.add_open_minutes(at(TUE, 0, 30), 10) == at(TUE, 9, 10)


def test_a_whole_working_day_of_minutes(week):
    # 8 open hours a weekday: 480 minutes from Monday's opening end at Monday's closing.
    cal = calendar(week)
    assert cal.add_open_minutes(at(MON, 9), 480) == at(MON, 18)
    assert cal.add_open_minutes(at(MON, 9), 481) == at(TUE, 9, 1)


def test_friday_evening_rolls_into_saturday_hours(week):
    assert calendar(week).add_open_minutes(at(FRI, 17, 30), 60) == at(SAT, 10, 30)


def test_saturday_afternoon_skips_closed_sunday(week):
    assert calendar(week).add_open_minutes(at(SAT, 15, 30), 60) == at(dt.date(2027, 3, 8), 9, 30)


def test_start_on_sunday_waits_for_monday(week):
    assert calendar(week).add_open_minutes(at(SUN, 11), 5) == at(dt.date(2027, 3, 8), 9, 5)


def test_closed_holiday_is_skipped(week):
    Holiday.objects.create(store=week, date=TUE, name="公休", kind=Holiday.Kind.CLOSED)
    assert calendar(week).add_open_minutes(at(MON, 17, 30), 60) == at(WED, 9, 30)


def test_spring_festival_week_is_skipped(store):
    for weekday in range(7):
        hours(store, weekday, ((9, 0), (18, 0)))
    first = dt.date(2027, 2, 6)
    for offset in range(7):
        Holiday.objects.create(store=store, date=first + dt.timedelta(days=offset), name="春节")
    cal = calendar(store)
    assert cal.add_open_minutes(at(dt.date(2027, 2, 5), 17, 30), 60) == at(dt.date(2027, 2, 13), 9, 30)
    assert cal.intervals_on(dt.date(2027, 2, 10)) == []


def test_make_up_working_day_opens_with_the_hours_of_its_weekday(week):
    Holiday.objects.create(
        store=week, date=SUN, name="调休", kind=Holiday.Kind.WORKDAY, works_as_weekday=OpeningHours.Weekday.MONDAY
    )
    cal = calendar(week)
    assert cal.intervals_on(SUN) == [(at(SUN, 9), at(SUN, 12)), (at(SUN, 13), at(SUN, 18))]
    assert cal.add_open_minutes(at(SAT, 15, 30), 60) == at(SUN, 9, 30)
    assert cal.add_open_minutes(at(SUN, 11, 30), 60) == at(SUN, 13, 30)  # Monday's lunch break too


def test_make_up_day_can_borrow_saturday_hours(week):
    Holiday.objects.create(
        store=week, date=SUN, name="调休", kind=Holiday.Kind.WORKDAY, works_as_weekday=OpeningHours.Weekday.SATURDAY
    )
    assert calendar(week).add_open_minutes(at(SAT, 20), 0) == at(SUN, 10)


def test_make_up_day_without_weekday_uses_monday_hours(week):
    Holiday.objects.create(store=week, date=SUN, name="调休", kind=Holiday.Kind.WORKDAY)
    assert calendar(week).intervals_on(SUN)[0] == (at(SUN, 9), at(SUN, 12))


def test_times_in_utc_are_read_in_store_time(week):
    start_utc = dt.datetime(2027, 3, 1, 9, 30, tzinfo=dt.UTC)  # 17:30 in Shanghai
    result = calendar(week).add_open_minutes(start_utc, 60)
    assert result == at(TUE, 9, 30)
    assert result.utcoffset() == dt.timedelta(hours=8)


def test_fractional_minutes(week):
    assert calendar(week).add_open_minutes(at(MON, 9), 0.5) == at(MON, 9) + dt.timedelta(seconds=30)


def test_negative_minutes_are_refused(week):
    with pytest.raises(ValueError):
        calendar(week).add_open_minutes(at(MON, 9), -1)


def test_store_without_hours_gives_up(store):
    with pytest.raises(ValueError):
        calendar(store).add_open_minutes(at(MON, 9), 10)


def test_deadlines_more_than_a_year_of_days_away_still_work(store):
    # One open hour a day: 400 hours of opening time lie 400 days ahead. Only a year *without*
    # any opening should make the calendar give up.
    for weekday in range(7):
        hours(store, weekday, ((9, 0), (10, 0)))
    result = calendar(store).add_open_minutes(at(MON, 9), 400 * 60)
    assert result == at(MON + dt.timedelta(days=399), 10)


def test_overlapping_rows_count_once(store):
    # The pages refuse overlaps, but rows from elsewhere must not make time run backwards.
    hours(store, 0, ((9, 0), (12, 0)), ((11, 0), (13, 0)))
    cal = calendar(store)
    assert cal.intervals_on(MON) == [(at(MON, 9), at(MON, 13))]
    assert cal.add_open_minutes(at(MON, 9), 200) == at(MON, 12, 20)
    assert cal.open_minutes_between(at(MON, 8), at(MON, 14)) == 240


def test_touching_intervals_behave_like_one(store):
    hours(store, 0, ((9, 0), (12, 0)), ((12, 0), (14, 0)))
    cal = calendar(store)
    assert cal.is_open(at(MON, 12))
    assert cal.add_open_minutes(at(MON, 11), 120) == at(MON, 13)


# --- is_open ------------------------------------------------------------------------------


def test_is_open_includes_opening_and_excludes_closing(week):
    cal = calendar(week)
    assert cal.is_open(at(MON, 9))
    assert cal.is_open(at(MON, 11, 59))
    assert not cal.is_open(at(MON, 12))
    assert not cal.is_open(at(MON, 12, 30))
    assert not cal.is_open(at(MON, 18))
    assert not cal.is_open(at(SUN, 11))


def test_is_open_on_holiday_and_make_up_day(week):
    Holiday.objects.create(store=week, date=MON, name="清明")
    Holiday.objects.create(store=week, date=SUN, name="调休", kind=Holiday.Kind.WORKDAY, works_as_weekday=0)
    cal = calendar(week)
    assert not cal.is_open(at(MON, 10))
    assert cal.is_open(at(SUN, 10))


def test_holidays_of_another_store_do_not_count(week, other_store):
    Holiday.objects.create(store=other_store, date=MON, name="别店放假")
    assert calendar(week).is_open(at(MON, 10))


# --- open_minutes_between -----------------------------------------------------------------


def test_between_inside_one_interval(week):
    assert calendar(week).open_minutes_between(at(MON, 9, 10), at(MON, 9, 55)) == 45


def test_between_across_lunch(week):
    assert calendar(week).open_minutes_between(at(MON, 11), at(MON, 14)) == 120


def test_between_across_the_night(week):
    assert calendar(week).open_minutes_between(at(MON, 17), at(TUE, 10)) == 120


def test_between_a_whole_week(week):
    # five 8-hour weekdays and a 6-hour Saturday
    assert calendar(week).open_minutes_between(at(MON, 0), at(dt.date(2027, 3, 8), 0)) == (5 * 8 + 6) * 60


def test_between_over_a_closed_sunday(week):
    assert calendar(week).open_minutes_between(at(SAT, 15), at(dt.date(2027, 3, 8), 9, 30)) == 90


def test_between_skips_holidays_and_counts_make_up_days(week):
    Holiday.objects.create(store=week, date=TUE, name="公休")
    Holiday.objects.create(store=week, date=SUN, name="调休", kind=Holiday.Kind.WORKDAY, works_as_weekday=0)
    cal = calendar(week)
    assert cal.open_minutes_between(at(MON, 18), at(WED, 9)) == 0
    assert cal.open_minutes_between(at(SUN, 0), at(SUN, 23)) == 480


def test_between_is_zero_when_end_is_not_after_start(week):
    cal = calendar(week)
    assert cal.open_minutes_between(at(MON, 10), at(MON, 10)) == 0
    assert cal.open_minutes_between(at(MON, 11), at(MON, 10)) == 0


def test_between_when_closed_all_the_time(week):
    assert calendar(week).open_minutes_between(at(MON, 19), at(MON, 23)) == 0


def test_between_accepts_mixed_time_zones(week):
    start = dt.datetime(2027, 3, 1, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
    assert calendar(week).open_minutes_between(start, at(MON, 10)) == 60


def test_between_undoes_add(week):
    Holiday.objects.create(store=week, date=WED, name="公休")
    Holiday.objects.create(store=week, date=SUN, name="调休", kind=Holiday.Kind.WORKDAY, works_as_weekday=5)
    cal = calendar(week)
    rng = random.Random(20270301)
    for _ in range(200):
        start = at(MON, 0) + dt.timedelta(minutes=rng.randrange(0, 7 * 24 * 60))
        minutes = rng.randrange(0, 3000)
        deadline = cal.add_open_minutes(start, minutes)
        assert deadline >= start
        assert cal.open_minutes_between(start, deadline) == pytest.approx(minutes), (start, minutes)
