"""First service (首保) per car model: a store's interval for a catalog model overrides the store default
for the ladder's first-service callback and the first-service reminder, dates counted from the delivery
day in Shanghai and across month and year ends; the table is edited on the callback settings page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import AuditLog
from catalog.models import Trim, VehicleModel
from complaints import services
from complaints.models import Callback, CallbackSettings, FirstServiceInterval, ServiceReminder

from .conftest import deliver_order

pytestmark = pytest.mark.django_db
K = Callback.Kind


@pytest.fixture
def other_trim(trim):
    """A trim of another model of the same series (no interval of its own)."""
    model = VehicleModel.objects.create(series=trim.model.series, name="朗逸 星空版", model_year=2026)
    return Trim.objects.create(model=model, name="1.5L 星空版", guide_price=Decimal("129900"))


def delivered(store, users, trim, at, capture):
    with capture(execute=True):
        return deliver_order(store, users, trim, at=at)


def first_service_due(order) -> dt.date:
    return Callback.objects.get(order=order, kind=K.FIRST_SERVICE).due_date


def test_the_models_interval_sets_the_first_service_callback(
    store, other_store, users, trim, other_trim, django_capture_on_commit_callbacks
):
    cap = django_capture_on_commit_callbacks
    FirstServiceInterval.objects.create(store=store, vehicle_model=trim.model, days=60)
    FirstServiceInterval.objects.create(store=other_store, vehicle_model=other_trim.model, days=30)
    # 10:00 on 31 January 2026 in Shanghai: 60 days on is 1 April.
    order = delivered(store, users, trim, dt.datetime(2026, 1, 31, 2, 0, tzinfo=dt.UTC), cap)
    assert first_service_due(order) == dt.date(2026, 4, 1)
    # Another model: the store default (90 days); another store's interval for it does not apply.
    # 17:00 UTC on 28 February is 01:00 on 1 March in Shanghai.
    order = delivered(store, users, other_trim, dt.datetime(2026, 2, 28, 17, 0, tzinfo=dt.UTC), cap)
    assert first_service_due(order) == dt.date(2026, 5, 30)
    # The store default changes the models without an interval only.
    CallbackSettings.objects.create(store=store, first_service_after=100)
    order = delivered(store, users, trim, dt.datetime(2026, 2, 28, 17, 0, tzinfo=dt.UTC), cap)
    assert first_service_due(order) == dt.date(2026, 4, 30)  # 1 March + 60
    order = delivered(store, users, other_trim, dt.datetime(2026, 2, 28, 17, 0, tzinfo=dt.UTC), cap)
    assert first_service_due(order) == dt.date(2026, 6, 9)  # 1 March + 100


def test_the_models_interval_sets_the_first_service_reminder(store, users, trim, other_trim):
    FirstServiceInterval.objects.create(store=store, vehicle_model=trim.model, days=45)
    # Both delivered at 10:00 on 31 December 2027 in Shanghai.
    at = dt.datetime(2027, 12, 31, 2, 0, tzinfo=dt.UTC)
    short = deliver_order(store, users, trim, at=at)
    default = deliver_order(store, users, other_trim, at=at, name="李女士")
    # 45 days on is 14 February 2028 (across the year end); 90 days on is 30 March 2028.
    assert services.reminders_create(today=dt.date(2028, 2, 10)) == 1
    assert services.reminders_create(today=dt.date(2028, 2, 10)) == 0
    assert services.reminders_create(today=dt.date(2028, 3, 25)) == 1
    got = set(
        ServiceReminder.objects.filter(kind=ServiceReminder.Kind.FIRST_SERVICE).values_list("order_id", "due_date")
    )
    assert got == {(short.pk, dt.date(2028, 2, 14)), (default.pk, dt.date(2028, 3, 30))}


def test_settings_page_edits_the_table(client_for, store, other_store, users, trim, other_trim):
    url = reverse("complaints:callback_settings")
    assert client_for(users.consultant).get(url).status_code == 403
    services.survey_questions_ensure(store)
    FirstServiceInterval.objects.create(store=other_store, vehicle_model=trim.model, days=30)
    manager = client_for(users.cs_manager)
    html = manager.get(url).content.decode()
    assert 'id="first-service-intervals"' in html and 'name="first_service-TOTAL_FORMS" value="2"' in html

    base = {
        "day_3": "3",
        "day_7": "7",
        "day_15": "15",
        "ongoing_every": "90",
        "first_service_after": "90",
        "repeat_purchase_every_months": "12",
        "satisfaction_within": "3",
        "questions": "顾问是否专业？",
        "first_service-INITIAL_FORMS": "0",
        "first_service-MIN_NUM_FORMS": "0",
        "first_service-MAX_NUM_FORMS": "1000",
    }
    twice = {
        **base,
        "first_service-TOTAL_FORMS": "2",
        "first_service-0-vehicle_model": str(trim.model_id),
        "first_service-0-days": "60",
        "first_service-1-vehicle_model": str(trim.model_id),
        "first_service-1-days": "70",
    }
    response = manager.post(url, twice)
    assert response.status_code == 200 and 'id="error-first-service"' in response.content.decode()
    out_of_range = {**twice, "first_service-1-vehicle_model": str(other_trim.model_id), "first_service-1-days": "0"}
    response = manager.post(url, out_of_range)
    assert response.status_code == 200 and 'id="error-first_service-1-days"' in response.content.decode()
    assert not FirstServiceInterval.objects.filter(store=store).exists()

    good = {**twice, "first_service-1-vehicle_model": str(other_trim.model_id), "first_service-1-days": "120"}
    assert manager.post(url, good).status_code == 302
    assert dict(FirstServiceInterval.objects.filter(store=store).values_list("vehicle_model_id", "days")) == {
        trim.model_id: 60,
        other_trim.model_id: 120,
    }
    audit = AuditLog.objects.filter(action="callback.first_service").latest("pk")
    assert audit.store_id == store.pk and audit.actor_id == users.cs_manager.pk

    # The page shows the table; a row is changed and another removed.
    html = manager.get(url).content.decode()
    assert 'name="first_service-INITIAL_FORMS" value="2"' in html and 'value="120"' in html
    edit = {
        **base,
        "first_service-TOTAL_FORMS": "2",
        "first_service-INITIAL_FORMS": "2",
        "first_service-0-vehicle_model": str(trim.model_id),
        "first_service-0-days": "75",
        "first_service-1-vehicle_model": str(other_trim.model_id),
        "first_service-1-days": "120",
        "first_service-1-DELETE": "on",
    }
    assert manager.post(url, edit).status_code == 302
    assert list(FirstServiceInterval.objects.filter(store=store).values_list("vehicle_model_id", "days")) == [
        (trim.model_id, 75)
    ]
    # Another store's table is its own.
    assert list(FirstServiceInterval.objects.filter(store=other_store).values_list("days", flat=True)) == [30]


def test_the_table_is_written_by_its_service_only_with_the_right(store, users, trim):
    with pytest.raises(PermissionDenied):
        services.first_service_intervals_set(actor=users.cs_agent, store=store, intervals={trim.model: 60})
    with pytest.raises(ValidationError):
        services.first_service_intervals_set(actor=users.gm, store=store, intervals={trim.model: 731})
    services.first_service_intervals_set(actor=users.gm, store=store, intervals={trim.model: 60})
    before = AuditLog.objects.filter(action="callback.first_service").count()
    services.first_service_intervals_set(actor=users.gm, store=store, intervals={trim.model: 60})
    assert AuditLog.objects.filter(action="callback.first_service").count() == before  # nothing changed


def test_a_ladder_is_not_scheduled_twice_when_the_interval_changes(
    store, users, trim, django_capture_on_commit_callbacks
):
    order = delivered(
        store, users, trim, dt.datetime(2026, 1, 31, 2, 0, tzinfo=dt.UTC), django_capture_on_commit_callbacks
    )
    assert first_service_due(order) == dt.date(2026, 5, 1)  # the store default, 90 days
    FirstServiceInterval.objects.create(store=store, vehicle_model=trim.model, days=60)
    assert services.callbacks_schedule(order=order) == 0
    assert first_service_due(order) == dt.date(2026, 5, 1)  # scheduled callbacks keep their dates
