"""Store administration pages: list, create, edit, opening hours, holidays, deactivation."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from freezegun import freeze_time

from accounts.models import AuditLog, DealerGroup, Holiday, Membership, OpeningHours, Role, Store

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def url(name, *args):
    return reverse(f"accounts:{name}", args=args)


def store_pages(store):
    return [
        url("store_list"),
        url("store_create"),
        url("store_detail", store.pk),
        url("store_edit", store.pk),
        url("store_hours", store.pk),
        url("holiday_add", store.pk),
        url("holiday_add_range", store.pk),
        url("system_status"),
    ]


def weekly_hours(store):
    return sorted((row.weekday, f"{row.opens_at:%H:%M}", f"{row.closes_at:%H:%M}") for row in store.opening_hours.all())


def test_admin_opens_every_store_page(users, store, client_for):
    client = client_for(users.admin)
    for page in store_pages(store):
        assert client.get(page).status_code == 200, page


@pytest.mark.parametrize("role", ["consultant", "sales_manager", "gm", "reception"])
def test_other_roles_get_403(users, store, client_for, role):
    client = client_for(users[role])
    for page in store_pages(store):
        assert client.get(page).status_code == 403, page
    assert client.post(url("store_set_active", store.pk), {"active": "0"}).status_code == 403


def test_anonymous_is_sent_to_login(client, store):
    response = client.get(url("store_list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_admin_of_the_other_store_gets_404(users, other_users, store, client_for):
    holiday = Holiday.objects.create(store=store, date=dt.date(2027, 1, 1), name="元旦")
    client = client_for(other_users.admin)
    for page in store_pages(store)[2:7]:
        assert client.get(page).status_code == 404, page
    assert client.post(url("holiday_delete", store.pk, holiday.pk)).status_code == 404
    assert client.post(url("store_set_active", store.pk), {"active": "0"}).status_code == 404
    assert Holiday.objects.filter(pk=holiday.pk).exists()
    listed = client.get(url("store_list")).context["stores"]
    assert [s.pk for s in listed] == [other_users.admin.memberships.get().store_id]


def test_store_list_shows_the_managed_stores(users, store, client_for):
    response = client_for(users.admin).get(url("store_list"))
    assert list(response.context["stores"]) == [store]
    assert b'id="new-store"' in response.content


def test_create_store_joins_the_group_and_the_creator_keeps_managing_it(users, store, client_for):
    OpeningHours.objects.create(store=store, weekday=0, opens_at=dt.time(9), closes_at=dt.time(18))
    client = client_for(users.admin)
    response = client.post(
        url("store_create"),
        {"code": "store-new", "name": "新店", "address": "上海", "phone": "021-1", "copy_hours": "on"},
    )
    new = Store.objects.get(code="store-new")
    assert response.status_code == 302
    assert response["Location"] == url("store_detail", new.pk)
    assert new.group == store.group and new.is_active
    assert weekly_hours(new) == [(0, "09:00", "18:00")]
    assert Membership.objects.filter(user=users.admin, store=new, role__code="admin").exists()
    assert client.get(url("store_detail", new.pk)).status_code == 200
    entry = AuditLog.objects.get(action="store.create")
    assert entry.actor == users.admin and entry.store == new


def test_create_store_with_duplicate_code_keeps_the_input(users, store, client_for):
    response = client_for(users.admin).post(url("store_create"), {"code": store.code, "name": "重名店"})
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert "重名店" in response.content.decode()
    assert Store.objects.count() == 1


def test_edit_store_is_audited(users, store, client_for):
    response = client_for(users.admin).post(
        url("store_edit", store.pk), {"code": store.code, "name": "甲店（新）", "address": "浦东", "phone": ""}
    )
    assert response.status_code == 302
    store.refresh_from_db()
    assert store.name == "甲店（新）"
    entry = AuditLog.objects.get(action="store.update")
    assert entry.changes["name"] == ["甲店", "甲店（新）"]
    assert entry.store == store


# --- opening hours ------------------------------------------------------------------------


def hours_post(**days):
    data = dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), "")
    data.update(days)
    return data


def test_opening_hours_with_lunch_break_are_saved(users, store, client_for):
    client = client_for(users.admin)
    response = client.post(
        url("store_hours", store.pk),
        hours_post(monday="08:30-12:00, 13:30-18:00", tuesday="9:00～17:00", saturday="10：00 至 16：00"),
    )
    assert response.status_code == 302
    assert weekly_hours(store) == [
        (0, "08:30", "12:00"),
        (0, "13:30", "18:00"),
        (1, "09:00", "17:00"),
        (5, "10:00", "16:00"),
    ]
    entry = AuditLog.objects.get(action="store.set_opening_hours")
    assert entry.changes["monday"] == ["", "08:30-12:00, 13:30-18:00"]
    assert "sunday" not in entry.changes
    # the form shows what is saved
    form = client.get(url("store_hours", store.pk)).context["form"]
    assert form.initial["monday"] == "08:30-12:00, 13:30-18:00"


@pytest.mark.parametrize(
    "monday",
    ["12:00-09:00", "09:00-09:00", "09:00-12:00, 11:00-13:00", "nine to five", "25:00-26:00"],
)
def test_invalid_opening_hours_are_refused_and_kept(users, store, client_for, monday):
    OpeningHours.objects.create(store=store, weekday=2, opens_at=dt.time(9), closes_at=dt.time(17))
    response = client_for(users.admin).post(url("store_hours", store.pk), hours_post(monday=monday, tuesday="9-17"))
    assert response.status_code == 200
    form = response.context["form"]
    assert "monday" in form.errors
    assert form["monday"].value() == monday
    assert weekly_hours(store) == [(2, "09:00", "17:00")]  # nothing changed
    assert not AuditLog.objects.filter(action="store.set_opening_hours").exists()


def test_clearing_a_day_closes_it(users, store, client_for):
    OpeningHours.objects.create(store=store, weekday=6, opens_at=dt.time(9), closes_at=dt.time(17))
    client_for(users.admin).post(url("store_hours", store.pk), hours_post(monday="09:00-17:00"))
    assert weekly_hours(store) == [(0, "09:00", "17:00")]


# --- holidays -----------------------------------------------------------------------------


def test_add_closed_day(users, store, client_for):
    response = client_for(users.admin).post(
        url("holiday_add", store.pk),
        {
            "holiday-date": "2027-10-01",
            "holiday-name": "国庆",
            "holiday-kind": "closed",
            "holiday-works_as_weekday": "3",
        },
    )
    assert response.status_code == 302
    holiday = Holiday.objects.get(store=store)
    assert (holiday.date, holiday.kind, holiday.works_as_weekday) == (dt.date(2027, 10, 1), "closed", None)
    assert AuditLog.objects.filter(action="holiday.add", store=store).exists()


def test_make_up_day_needs_its_weekday(users, store, client_for):
    response = client_for(users.admin).post(
        url("holiday_add", store.pk),
        {"holiday-date": "2027-02-20", "holiday-name": "调休", "holiday-kind": "workday"},
    )
    assert response.status_code == 200
    assert "works_as_weekday" in response.context["form"].errors
    assert response.context["form"]["name"].value() == "调休"
    assert not Holiday.objects.exists()


def test_make_up_day_opens_with_the_hours_of_its_weekday(users, store, client_for):
    OpeningHours.objects.create(store=store, weekday=0, opens_at=dt.time(9), closes_at=dt.time(18))
    client = client_for(users.admin)
    # Saturday 2027-02-20 is a make-up working day with Monday's hours.
    response = client.post(
        url("holiday_add", store.pk),
        {
            "holiday-date": "2027-02-20",
            "holiday-name": "调休",
            "holiday-kind": "workday",
            "holiday-works_as_weekday": "0",
        },
    )
    assert response.status_code == 302
    holiday = Holiday.objects.get(store=store, date=dt.date(2027, 2, 20))
    assert (holiday.kind, holiday.works_as_weekday) == ("workday", 0)
    # Friday evening: without the make-up day the store would open next on Monday the 22nd.
    with freeze_time(dt.datetime(2027, 2, 19, 20, 0, tzinfo=TZ)):
        page = client_for(users.admin).get(url("store_detail", store.pk))
    assert page.context["open_now"] is False
    assert page.context["next_opening"] == dt.datetime(2027, 2, 20, 9, 0, tzinfo=TZ)
    assert "2027-02-20" in page.content.decode()
    with freeze_time(dt.datetime(2027, 2, 20, 10, 0, tzinfo=TZ)):
        page = client_for(users.admin).get(url("store_detail", store.pk))
    assert page.context["open_now"] is True
    assert page.context["open_until"] == dt.datetime(2027, 2, 20, 18, 0, tzinfo=TZ)


def test_adding_the_same_date_again_replaces_it(users, store, client_for):
    Holiday.objects.create(store=store, date=dt.date(2027, 2, 20), name="旧", kind="closed")
    client_for(users.admin).post(
        url("holiday_add", store.pk),
        {
            "holiday-date": "2027-02-20",
            "holiday-name": "调休",
            "holiday-kind": "workday",
            "holiday-works_as_weekday": "4",
        },
    )
    holiday = Holiday.objects.get(store=store)
    assert (holiday.name, holiday.kind, holiday.works_as_weekday) == ("调休", "workday", 4)
    assert AuditLog.objects.get(action="holiday.update").changes["kind"] == ["closed", "workday"]


def test_spring_festival_range(users, store, client_for):
    Holiday.objects.create(store=store, date=dt.date(2027, 2, 6), name="除夕", kind="closed")
    response = client_for(users.admin).post(
        url("holiday_add_range", store.pk),
        {"range-start": "2027-02-06", "range-end": "2027-02-12", "range-name": "春节"},
    )
    assert response.status_code == 302
    days = list(Holiday.objects.filter(store=store).order_by("date"))
    assert [d.date.day for d in days] == [6, 7, 8, 9, 10, 11, 12]
    assert {d.name for d in days} == {"春节"} and {d.kind for d in days} == {"closed"}
    entry = AuditLog.objects.get(action="holiday.add_range")
    assert (entry.changes["added"], entry.changes["changed"]) == (6, 1)


@pytest.mark.parametrize(
    ("start", "end"), [("2027-02-12", "2027-02-06"), ("2027-01-01", "2027-12-31"), ("", "2027-02-06")]
)
def test_bad_ranges_are_refused(users, store, client_for, start, end):
    response = client_for(users.admin).post(
        url("holiday_add_range", store.pk), {"range-start": start, "range-end": end, "range-name": "春节"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Holiday.objects.exists()


def test_remove_holiday(users, store, other_store, client_for):
    holiday = Holiday.objects.create(store=store, date=dt.date(2027, 1, 1), name="元旦")
    foreign = Holiday.objects.create(store=other_store, date=dt.date(2027, 1, 1), name="元旦")
    client = client_for(users.admin)
    # a holiday of another store through this store's URL is a 404
    assert client.post(url("holiday_delete", store.pk, foreign.pk)).status_code == 404
    assert client.post(url("holiday_delete", store.pk, holiday.pk)).status_code == 302
    assert not Holiday.objects.filter(pk=holiday.pk).exists()
    assert AuditLog.objects.get(action="holiday.remove").changes["name"] == "元旦"


def test_holiday_delete_needs_post(users, store, client_for):
    holiday = Holiday.objects.create(store=store, date=dt.date(2027, 1, 1), name="元旦")
    assert client_for(users.admin).get(url("holiday_delete", store.pk, holiday.pk)).status_code == 405


# --- deactivation -------------------------------------------------------------------------


def test_admin_of_a_single_store_cannot_lock_themselves_out(users, store, client_for):
    response = client_for(users.admin).post(url("store_set_active", store.pk), {"active": "0"}, follow=True)
    assert response.status_code == 200
    store.refresh_from_db()
    assert store.is_active


def test_group_admin_deactivates_and_reactivates_a_store(store, other_store, client_for):
    from tests.factories import UserFactory

    group_admin = UserFactory(username="group_admin")
    Membership.objects.create(user=group_admin, group=store.group, role=Role.objects.get(store=None, code="admin"))
    client = client_for(group_admin)
    assert client.post(url("store_set_active", other_store.pk), {"active": "0"}).status_code == 302
    other_store.refresh_from_db()
    assert not other_store.is_active
    assert Store.objects.filter(pk=other_store.pk).exists()  # never deleted
    # still listed, so it can be reopened
    assert other_store in client.get(url("store_list")).context["stores"]
    assert client.post(url("store_set_active", other_store.pk), {"active": "1"}).status_code == 302
    other_store.refresh_from_db()
    assert other_store.is_active
    assert list(AuditLog.objects.filter(store=other_store).values_list("action", flat=True).order_by("id")) == [
        "store.deactivate",
        "store.activate",
    ]


def test_stores_of_another_group_stay_hidden(users, client_for):
    from tests.factories import StoreFactory

    foreign = StoreFactory(group=DealerGroup.objects.create(code="other", name="别的集团"))
    client = client_for(users.admin)
    assert client.get(url("store_detail", foreign.pk)).status_code == 404
    assert foreign not in client.get(url("store_list")).context["stores"]
