"""Monthly sales targets: the page (one form for the store's target and each consultant's), the
service behind it (audited), validation that keeps what was typed, and who may set them."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import AuditLog
from reports import services
from reports.models import SalesTarget

pytestmark = pytest.mark.django_db

NOVEMBER = dt.date(2026, 11, 1)
SELLERS = ["consultant", "sales_manager", "sales_supervisor", "dcc_agent"]


def post_data(people, units, store_units="", month="2026-11"):
    """The page's form as a browser posts it: ``people`` in order, ``units`` aligned with them."""
    data = {
        "month": month,
        "store-units": store_units,
        "targets-TOTAL_FORMS": str(len(people)),
        "targets-INITIAL_FORMS": str(len(people)),
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "1000",
    }
    for i, (person, value) in enumerate(zip(people, units, strict=True)):
        data[f"targets-{i}-consultant"] = str(person.pk)
        data[f"targets-{i}-units"] = value
    return data


def targets(store, month=NOVEMBER) -> dict:
    return {row.consultant_id: row.units for row in SalesTarget.objects.filter(store=store, month=month)}


def test_page_lists_the_store_target_and_everyone_who_sells(store, users, client_for):
    response = client_for(users.sales_manager, language="en").get(reverse("reports:targets"), {"month": "2026-11"})
    assert response.status_code == 200
    assert response.context["month"] == NOVEMBER
    listed = {int(form["consultant"].value()) for form, _name in response.context["rows"]}
    assert listed == {users[role].pk for role in SELLERS}  # the GM, reception and customer service do not sell
    assert 'name="store-units"' in response.content.decode()


def test_page_defaults_to_this_month_and_shows_what_is_set(store, users, client_for):
    from django.utils import timezone

    this_month = timezone.localdate().replace(day=1)
    SalesTarget.objects.create(store=store, month=this_month, units=12, set_by=users.gm)
    SalesTarget.objects.create(store=store, month=this_month, consultant=users.consultant, units=4, set_by=users.gm)
    response = client_for(users.gm).get(reverse("reports:targets"))
    assert response.status_code == 200
    assert response.context["month"] == this_month
    assert response.context["store_form"]["units"].value() == 12
    values = {int(form["consultant"].value()): form["units"].value() for form, _name in response.context["rows"]}
    assert values[users.consultant.pk] == 4
    assert values[users.sales_supervisor.pk] is None


def test_saving_sets_updates_and_clears_targets_with_an_audit_entry(store, users, client_for):
    people = [users[role] for role in SELLERS]
    client = client_for(users.sales_manager)
    response = client.post(reverse("reports:targets"), post_data(people, ["3", "2", "", ""], store_units="10"))
    assert response.status_code == 302
    assert response["Location"] == "/reports/targets/?month=2026-11"
    assert targets(store) == {None: 10, users.consultant.pk: 3, users.sales_manager.pk: 2}
    assert SalesTarget.objects.filter(store=store).values_list("set_by", flat=True).distinct().get() == (
        users.sales_manager.pk
    )
    entry = AuditLog.objects.get(action="reports.targets")
    assert entry.actor == users.sales_manager and entry.store_id == store.pk
    assert entry.changes == {
        "month": "2026-11",
        "targets": {"store": [None, 10], users.consultant.username: [None, 3], users.sales_manager.username: [None, 2]},
    }

    response = client_for(users.gm).post(
        reverse("reports:targets"), post_data(people, ["4", "2", "", ""], store_units="")
    )
    assert response.status_code == 302
    assert targets(store) == {users.consultant.pk: 4, users.sales_manager.pk: 2}  # the store target cleared
    latest = AuditLog.objects.filter(action="reports.targets").latest("pk")
    assert latest.actor == users.gm
    assert latest.changes["targets"] == {"store": [10, None], users.consultant.username: [3, 4]}
    assert SalesTarget.objects.get(store=store, consultant=users.consultant).set_by == users.gm

    # Saving the same again changes nothing and writes no audit entry.
    before = AuditLog.objects.filter(action="reports.targets").count()
    client.post(reverse("reports:targets"), post_data(people, ["4", "2", "", ""], store_units=""))
    assert AuditLog.objects.filter(action="reports.targets").count() == before


def test_bad_input_keeps_what_was_typed_and_saves_nothing(store, users, client_for):
    people = [users[role] for role in SELLERS]
    response = client_for(users.sales_manager, language="en").post(
        reverse("reports:targets"), post_data(people, ["abc", "5", "-1", ""], store_units="-3")
    )
    assert response.status_code == 400
    assert targets(store) == {}
    html = response.content.decode()
    assert 'value="abc"' in html and 'value="-1"' in html and 'value="-3"' in html and 'value="5"' in html
    assert "Enter a whole number." in html
    assert "Ensure this value is greater than or equal to 0." in html
    assert 'id="form-errors"' in html


def test_a_target_too_large_is_refused(store, users, client_for):
    people = [users[role] for role in SELLERS]
    response = client_for(users.sales_manager).post(
        reverse("reports:targets"), post_data(people, ["", "", "", ""], store_units="100001")
    )
    assert response.status_code == 400
    assert targets(store) == {}


def test_someone_who_does_not_sell_here_cannot_get_a_target(store, users, other_users, client_for):
    response = client_for(users.sales_manager).post(
        reverse("reports:targets"), post_data([other_users.consultant], ["7"], store_units="10")
    )
    assert response.status_code == 400
    assert SalesTarget.objects.count() == 0
    response = client_for(users.sales_manager).post(
        reverse("reports:targets"), post_data([users.gm], ["7"], store_units="10")
    )
    assert response.status_code == 400
    assert SalesTarget.objects.count() == 0


def test_a_consultant_listed_twice_is_refused(store, users, client_for):
    response = client_for(users.sales_manager, language="en").post(
        reverse("reports:targets"), post_data([users.consultant, users.consultant], ["1", "2"])
    )
    assert response.status_code == 400
    assert "A consultant is listed twice." in response.content.decode()
    assert SalesTarget.objects.count() == 0


def test_a_bad_month_is_refused(store, users, client_for):
    response = client_for(users.sales_manager).post(
        reverse("reports:targets"), post_data([users.consultant], ["1"], store_units="3", month="2026-13")
    )
    assert response.status_code == 400
    assert SalesTarget.objects.count() == 0
    page = client_for(users.sales_manager).get(reverse("reports:targets"), {"month": "nonsense"})
    assert page.status_code == 200
    assert page.context["month_form"].errors


def test_a_target_of_someone_who_left_can_be_cleared(store, users):
    leaver = users.consultant
    SalesTarget.objects.create(store=store, month=NOVEMBER, consultant=leaver, units=3, set_by=users.gm)
    leaver.memberships.all().delete()
    assert leaver.pk in set(services.target_people(store, NOVEMBER).values_list("pk", flat=True))
    services.target_set(
        actor=users.gm, store=store, month=dt.date(2026, 11, 17), store_units=None, consultant_units={leaver: None}
    )
    assert targets(store) == {}


def test_the_service_checks_permission_and_people(store, users, other_users):
    with pytest.raises(PermissionDenied):
        services.target_set(actor=users.consultant, store=store, month=NOVEMBER, store_units=5)
    with pytest.raises(PermissionDenied):
        services.target_set(actor=other_users.gm, store=store, month=NOVEMBER, store_units=5)
    with pytest.raises(ValidationError):
        services.target_set(
            actor=users.gm, store=store, month=NOVEMBER, store_units=5, consultant_units={other_users.consultant: 2}
        )
    with pytest.raises(ValidationError):
        services.target_set(actor=users.gm, store=store, month=NOVEMBER, store_units=-1)
    assert SalesTarget.objects.count() == 0
    changes = services.target_set(
        actor=users.gm, store=store, month=dt.date(2026, 11, 30), store_units=8, consultant_units={users.consultant: 3}
    )
    assert changes == {"store": [None, 8], users.consultant.username: [None, 3]}
    assert targets(store) == {None: 8, users.consultant.pk: 3}  # stored under the month's first day


def test_targets_are_per_store(store, other_store, users, other_users, client_for):
    SalesTarget.objects.create(store=store, month=NOVEMBER, units=10, set_by=users.gm)
    response = client_for(other_users.sales_manager).get(reverse("reports:targets"), {"month": "2026-11"})
    assert response.context["store_form"]["units"].value() is None  # store A's target is not shown in store B
    listed = {int(form["consultant"].value()) for form, _name in response.context["rows"]}
    assert listed == {other_users[role].pk for role in SELLERS}
    people = [other_users[role] for role in SELLERS]
    client_for(other_users.sales_manager).post(reverse("reports:targets"), post_data(people, ["", "", "", ""], "6"))
    assert targets(store) == {None: 10}
    assert targets(other_store) == {None: 6}


@pytest.mark.parametrize("role", ["consultant", "reception", "sales_supervisor", "cs_manager", "dcc_manager"])
def test_only_managers_and_the_gm_set_targets(store, users, client_for, role):
    client = client_for(users[role])
    assert client.get(reverse("reports:targets")).status_code == 403
    assert client.post(reverse("reports:targets"), post_data([users.consultant], ["9"], "9")).status_code == 403
    assert SalesTarget.objects.count() == 0


@pytest.mark.parametrize("role", ["sales_manager", "gm"])
def test_managers_and_the_gm_open_the_page(store, users, client_for, role):
    assert client_for(users[role]).get(reverse("reports:targets")).status_code == 200


def test_anonymous_is_sent_to_sign_in(client, store):
    response = client.get(reverse("reports:targets"))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_saved_targets_show_on_the_dashboard(store, users, client_for):
    people = [users[role] for role in SELLERS]
    client = client_for(users.sales_manager)
    client.post(reverse("reports:targets"), post_data(people, ["3", "", "", ""], store_units="10"))
    response = client.get(reverse("reports:dashboard"), {"date_from": "2026-11-01", "date_to": "2026-11-30"})
    (status,) = response.context["dashboard"].targets
    assert (status.store.target, status.store.orders, status.store.remaining) == (10, 0, 10)
    assert status.leads_needed is None  # no closing rate to divide by: —
    lines = {line.person_id: line.target for line in status.consultants}
    assert lines[users.consultant.pk] == 3
    assert status.url == "/reports/targets/?month=2026-11"


def test_demo_targets_follow_recent_orders_and_are_seeded_once(store, users, monkeypatch):
    from django.utils import timezone

    from reports import demo
    from tests.reports import builders as b

    monkeypatch.setattr(timezone, "localdate", lambda *args: dt.date(2026, 11, 20))
    # August–October: the consultant sold 6, the manager 3 → 9 ÷ 3 × 1.1 = 3.3 → 4, but at least 5.
    for day, seller in [(f"2026-{m:02d}-{d:02d}", users.consultant) for m in (8, 9, 10) for d in (3, 4)] + [
        (f"2026-{m:02d}-05", users.sales_manager) for m in (8, 9, 10)
    ]:
        b.order(b.lead(store, seller, b.at(day)), seller, b.at(day, "15:00"))
    demo.seed({"stores": [store]})
    assert targets(store) == {None: 5, users.consultant.pk: 4, users.sales_manager.pk: 2}
    assert set(SalesTarget.objects.filter(store=store).values_list("month", flat=True)) == {
        dt.date(2026, 9, 1),
        dt.date(2026, 10, 1),
        NOVEMBER,
    }
    count = SalesTarget.objects.count()
    demo.seed({"stores": [store]})
    assert SalesTarget.objects.count() == count
    assert AuditLog.objects.filter(action="reports.targets", actor=users.gm).count() == 3
