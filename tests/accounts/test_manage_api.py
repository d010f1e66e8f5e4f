"""Administration API: users and roles, store hours and holidays, teams, audit log; 400/403/404 shapes."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.models import AuditLog, Holiday, Membership, OpeningHours, Role, Team, User

pytestmark = pytest.mark.django_db

API = "/api/v1/manage"
STRONG = "Qiche-2027-haoyun"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


def assert_400(response, *fields):
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert body["code"] == "invalid" and body["detail"]
    for field in fields:
        assert field in body["errors"], body


# --- users --------------------------------------------------------------------------------


def test_user_list_is_scoped(api, users, other_users):
    response = api(users.admin).get(f"{API}/users/")
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {u.pk for u in users.values()}
    row = next(r for r in response.json()["results"] if r["id"] == users.consultant.pk)
    assert row["memberships"][0]["role"] == "consultant"
    assert "password" not in row


def test_user_list_filters_like_the_page(api, users):
    response = api(users.admin).get(f"{API}/users/", {"role": "gm"})
    assert [r["id"] for r in response.json()["results"]] == [users.gm.pk]
    assert_400(api(users.admin).get(f"{API}/users/", {"role": "astronaut"}), "role")


def test_consultant_gets_403_everywhere(api, users, store):
    client = api(users.consultant)
    for path in [f"{API}/users/", f"{API}/stores/", f"{API}/audit-log/", f"{API}/teams/", f"{API}/memberships/"]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.json()["code"] == "permission_denied"
    assert client.post(f"{API}/users/", {"username": "x", "password": STRONG}).status_code == 403
    assert (
        client.put(f"{API}/stores/{store.pk}/opening-hours/", {"opening_hours": []}, format="json").status_code == 403
    )


def test_other_store_admin_gets_404(api, users, other_users, store):
    client = api(other_users.admin)
    membership = users.consultant.memberships.get()
    holiday = Holiday.objects.create(store=store, date=dt.date(2027, 1, 1), name="元旦")
    for path in [
        f"{API}/users/{users.consultant.pk}/",
        f"{API}/stores/{store.pk}/",
        f"{API}/stores/{store.pk}/opening-hours/",
        f"{API}/memberships/{membership.pk}/",
        f"{API}/holidays/{holiday.pk}/",
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    assert client.patch(f"{API}/users/{users.consultant.pk}/", {"full_name": "x"}).status_code == 404
    assert (
        client.post(f"{API}/users/{users.consultant.pk}/memberships/", {"store": store.pk, "role": "gm"}).status_code
        == 404
    )
    assert client.delete(f"{API}/memberships/{membership.pk}/").status_code == 404
    assert client.delete(f"{API}/holidays/{holiday.pk}/").status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists() and Holiday.objects.filter(pk=holiday.pk).exists()


def test_create_user_with_role_who_can_sign_in(api, users, store):
    response = api(users.admin).post(
        f"{API}/users/",
        {
            "username": "api_user",
            "password": STRONG,
            "full_name": "接口用户",
            "can_export": True,
            "notify_by_email": True,
            "store": store.pk,
            "role": "consultant",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "api_user" and body["can_export"] and body["notify_by_email"]
    assert [m["role"] for m in body["memberships"]] == ["consultant"]
    created = User.objects.get(username="api_user")
    assert created.check_password(STRONG)
    assert AuditLog.objects.get(action="user.create", object_id=str(created.pk)).store == store
    token = APIClient().post("/api/v1/auth/token/", {"username": "api_user", "password": STRONG})
    assert token.status_code == 200


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"username": "a_consultant", "password": STRONG}, ["username"]),
        ({"username": "ok_name", "password": "123"}, ["password"]),
        ({"username": "ok_name"}, ["password"]),
        ({"username": "bad name!", "password": STRONG}, ["username"]),
        ({"username": "ok_name", "password": STRONG, "role": "consultant"}, ["store"]),
        ({"username": "ok_name", "password": STRONG, "store": 1, "role": "astronaut"}, ["role"]),
        ({"username": "ok_name", "password": STRONG, "language": "fr"}, ["language"]),
        ({"username": "ok_name", "password": STRONG, "email": "not-an-email"}, ["email"]),
    ],
)
def test_create_user_bad_input_is_400_with_field_errors(api, users, store, payload, fields):
    if payload.get("store") == 1:
        payload["store"] = store.pk
    assert_400(api(users.admin).post(f"{API}/users/", payload, format="json"), *fields)
    assert not User.objects.filter(username__in=["ok_name", "bad name!"]).exists()


def test_create_user_in_a_store_not_managed_is_400(api, users, other_store):
    response = api(users.admin).post(
        f"{API}/users/",
        {"username": "ok_name", "password": STRONG, "store": other_store.pk, "role": "consultant"},
        format="json",
    )
    assert_400(response, "store")


def test_update_user_and_deactivate(api, users, store):
    client = api(users.admin)
    response = client.patch(
        f"{API}/users/{users.consultant.pk}/", {"full_name": "新名", "can_see_full_phone": True}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["full_name"] == "新名" and response.json()["can_see_full_phone"] is True
    assert AuditLog.objects.get(action="user.update").store == store  # the only store the admin manages
    response = client.patch(f"{API}/users/{users.consultant.pk}/", {"is_active": False}, format="json")
    assert response.json()["is_active"] is False
    assert AuditLog.objects.filter(action="user.deactivate").exists()
    assert_400(
        client.patch(f"{API}/users/{users.consultant.pk}/", {"username": users.gm.username}, format="json"), "username"
    )
    assert_400(client.patch(f"{API}/users/{users.admin.pk}/", {"is_active": False}, format="json"), "non_field_errors")


def test_set_password(api, users):
    client = api(users.admin)
    assert_400(client.post(f"{API}/users/{users.consultant.pk}/set-password/", {"password": "123"}), "password")
    response = client.post(f"{API}/users/{users.consultant.pk}/set-password/", {"password": STRONG})
    assert response.status_code == 204
    users.consultant.refresh_from_db()
    assert users.consultant.check_password(STRONG)


def test_grant_and_revoke(api, users, store, other_store):
    client = api(users.admin)
    response = client.post(
        f"{API}/users/{users.consultant.pk}/memberships/", {"store": store.pk, "role": "sales_supervisor"}
    )
    assert response.status_code == 201
    membership_id = response.json()["id"]
    assert Membership.objects.get(pk=membership_id).role.code == "sales_supervisor"
    assert client.get(f"{API}/memberships/{membership_id}/").json()["role"] == "sales_supervisor"
    assert_400(
        client.post(f"{API}/users/{users.consultant.pk}/memberships/", {"store": other_store.pk, "role": "gm"}),
        "store",
    )
    assert_400(client.post(f"{API}/users/{users.consultant.pk}/memberships/", {"store": store.pk}), "role")
    assert client.delete(f"{API}/memberships/{membership_id}/").status_code == 204
    assert not Membership.objects.filter(pk=membership_id).exists()
    assert AuditLog.objects.filter(action="membership.revoke").exists()


def test_roles_outside_my_stores_cannot_be_revoked_and_profile_is_read_only(api, users, store, other_store):
    foreign = Membership.objects.create(
        user=users.consultant, store=other_store, role=Role.objects.get(store=None, code="consultant")
    )
    client = api(users.admin)
    assert client.get(f"{API}/users/{users.consultant.pk}/").status_code == 200
    assert client.delete(f"{API}/memberships/{foreign.pk}/").status_code == 403
    assert client.patch(f"{API}/users/{users.consultant.pk}/", {"full_name": "x"}, format="json").status_code == 403
    assert client.post(f"{API}/users/{users.consultant.pk}/set-password/", {"password": STRONG}).status_code == 403
    assert Membership.objects.filter(pk=foreign.pk).exists()


# --- stores -------------------------------------------------------------------------------


def test_store_detail_and_opening_hours(api, users, store):
    client = api(users.admin)
    payload = {
        "opening_hours": [
            {"weekday": 0, "opens_at": "08:30", "closes_at": "12:00"},
            {"weekday": 0, "opens_at": "13:30", "closes_at": "18:00"},
            {"weekday": 5, "opens_at": "10:00", "closes_at": "16:00"},
        ]
    }
    response = client.put(f"{API}/stores/{store.pk}/opening-hours/", payload, format="json")
    assert response.status_code == 200, response.content
    assert len(response.json()["opening_hours"]) == 3
    assert OpeningHours.objects.filter(store=store).count() == 3
    assert AuditLog.objects.filter(action="store.set_opening_hours", store=store).exists()
    assert len(client.get(f"{API}/stores/{store.pk}/opening-hours/").json()) == 3


@pytest.mark.parametrize(
    "rows",
    [
        [{"weekday": 0, "opens_at": "12:00", "closes_at": "09:00"}],
        [
            {"weekday": 0, "opens_at": "09:00", "closes_at": "12:00"},
            {"weekday": 0, "opens_at": "11:00", "closes_at": "13:00"},
        ],
        [{"weekday": 9, "opens_at": "09:00", "closes_at": "12:00"}],
        [{"weekday": 0, "opens_at": "nine", "closes_at": "12:00"}],
    ],
)
def test_bad_opening_hours_are_400(api, users, store, rows):
    OpeningHours.objects.create(store=store, weekday=2, opens_at=dt.time(9), closes_at=dt.time(17))
    response = api(users.admin).put(f"{API}/stores/{store.pk}/opening-hours/", {"opening_hours": rows}, format="json")
    assert_400(response, "opening_hours")
    assert list(OpeningHours.objects.filter(store=store).values_list("weekday", flat=True)) == [2]


def test_opening_hours_need_a_list(api, users, store):
    assert_400(api(users.admin).put(f"{API}/stores/{store.pk}/opening-hours/", {}, format="json"), "opening_hours")


def test_holidays(api, users, store):
    client = api(users.admin)
    assert_400(
        client.post(f"{API}/stores/{store.pk}/holidays/", {"date": "2027-02-20", "name": "调休", "kind": "workday"}),
        "works_as_weekday",
    )
    assert_400(client.post(f"{API}/stores/{store.pk}/holidays/", {"date": "someday", "name": "x"}), "date")
    response = client.post(
        f"{API}/stores/{store.pk}/holidays/",
        {"date": "2027-02-20", "name": "调休", "kind": "workday", "works_as_weekday": 0},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["works_as_weekday"] == 0
    response = client.post(
        f"{API}/stores/{store.pk}/holidays/range/", {"start": "2027-02-06", "end": "2027-02-12", "name": "春节"}
    )
    assert response.status_code == 200
    assert len(response.json()["holidays"]) == 8
    assert_400(
        client.post(
            f"{API}/stores/{store.pk}/holidays/range/", {"start": "2027-02-12", "end": "2027-02-06", "name": "x"}
        ),
        "end",
    )
    day = Holiday.objects.get(store=store, date=dt.date(2027, 2, 6))
    assert client.get(f"{API}/holidays/{day.pk}/").json()["name"] == "春节"
    assert client.delete(f"{API}/holidays/{day.pk}/").status_code == 204
    assert not Holiday.objects.filter(pk=day.pk).exists()
    assert {"holiday.add", "holiday.add_range", "holiday.remove"} <= set(
        AuditLog.objects.filter(store=store).values_list("action", flat=True)
    )


def test_store_update(api, users, store):
    client = api(users.admin)
    response = client.patch(f"{API}/stores/{store.pk}/", {"name": "甲店新名"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "甲店新名"
    assert_400(client.patch(f"{API}/stores/{store.pk}/", {"code": "bad code!"}, format="json"), "code")
    # the only store this admin manages cannot be closed from here
    assert_400(client.patch(f"{API}/stores/{store.pk}/", {"is_active": False}, format="json"), "non_field_errors")


# --- teams --------------------------------------------------------------------------------


def test_teams(api, users, other_users, store):
    client = api(users.sales_manager)
    response = client.post(
        f"{API}/teams/",
        {"name": "接口组", "supervisor": users.sales_supervisor.pk, "members": [users.consultant.pk]},
        format="json",
    )
    assert response.status_code == 201, response.content
    team_id = response.json()["id"]
    assert response.json()["store"] == store.pk and response.json()["members"] == [users.consultant.pk]
    response = client.patch(f"{API}/teams/{team_id}/", {"members": []}, format="json")
    assert response.status_code == 200 and response.json()["members"] == []
    assert response.json()["name"] == "接口组" and response.json()["supervisor"] == users.sales_supervisor.pk
    assert_400(client.post(f"{API}/teams/", {"name": "接口组"}, format="json"), "name")
    assert_400(client.post(f"{API}/teams/", {"name": "二组", "supervisor": users.gm.pk}, format="json"), "supervisor")
    assert_400(
        client.post(f"{API}/teams/", {"name": "二组", "members": [other_users.consultant.pk]}, format="json"), "members"
    )
    assert_400(client.post(f"{API}/teams/", {"name": ""}, format="json"), "name")
    assert api(other_users.sales_manager).get(f"{API}/teams/{team_id}/").status_code == 404
    assert AuditLog.objects.filter(action="team.create", store=store).exists()
    assert Team.objects.filter(store=store).count() == 1


# --- audit log ----------------------------------------------------------------------------


def test_audit_log_api_uses_the_same_filters(api, users, other_users, store, other_store):
    mine = services.audit_record(actor=users.admin, action="store.update", obj=store)
    services.audit_record(actor=users.admin, action="team.create", obj=store)
    theirs = services.audit_record(actor=other_users.admin, action="store.update", obj=other_store)
    client = api(users.gm)
    response = client.get(f"{API}/audit-log/", {"action": "store.update"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    assert response.json()["results"][0]["actor_name"] == users.admin.display_name
    assert client.get(f"{API}/audit-log/{theirs.pk}/").status_code == 404
    assert_400(client.get(f"{API}/audit-log/", {"store": other_store.pk}), "store")
    assert_400(client.get(f"{API}/audit-log/", {"date_from": "yesterday"}), "date_from")
    assert client.post(f"{API}/audit-log/", {}).status_code == 405


def test_api_schema_still_builds(api, users):
    response = api(users.admin).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/manage/users/" in response.content
