"""The API's common ground: token sign-in, who am I, my stores, my notifications, paging, errors, schema."""

import json
import re

import pytest
import yaml
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Membership, Notification, Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def token_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def assert_error_shape(response, status: int):
    assert response.status_code == status, response.content
    body = response.json()
    assert {"detail", "code"} <= set(body), body
    assert isinstance(body["detail"], str) and body["detail"], body
    return body


# --- token --------------------------------------------------------------------------------


def test_token_for_a_good_password_authenticates_me(users):
    response = APIClient().post(TOKEN_URL, {"username": "a_consultant", "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert Token.objects.get(user=users.consultant).key == token

    me = token_client(token).get("/api/v1/me/")
    assert me.status_code == 200
    body = me.json()
    assert body["username"] == "a_consultant"
    assert body["stores"] == [
        {
            "id": users.consultant.store_ids()[0],
            "roles": ["consultant"],
            "permissions": sorted(users.consultant.perms_in(users.consultant.store_ids()[0])),
        }
    ]


def test_a_wrong_token_is_401(users):
    assert token_client("0" * 40).get("/api/v1/me/").status_code == 401


def test_token_for_a_wrong_password_is_400_with_field_errors(users):
    response = APIClient().post(TOKEN_URL, {"username": "a_consultant", "password": "wrong"}, format="json")
    body = assert_error_shape(response, 400)
    assert body["code"] == "invalid"
    assert isinstance(body["errors"], dict) and body["errors"], body
    messages = [m for field_messages in body["errors"].values() for m in field_messages]
    assert body["detail"] in messages
    assert not Token.objects.exists()


def test_token_without_a_password_names_the_field(users):
    response = APIClient().post(TOKEN_URL, {"username": "a_consultant"}, format="json")
    body = assert_error_shape(response, 400)
    assert "password" in body["errors"], body


def test_token_for_an_inactive_user_is_refused(users):
    users.consultant.is_active = False
    users.consultant.save()
    response = APIClient().post(TOKEN_URL, {"username": "a_consultant", "password": PASSWORD}, format="json")
    assert_error_shape(response, 400)


# --- stores -----------------------------------------------------------------------------------


def _rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_stores_lists_only_the_callers_stores(store, other_store, users, other_users):
    rows = _rows(api_for(users.consultant).get("/api/v1/stores/"))
    assert [r["id"] for r in rows] == [store.pk]
    assert rows[0]["name"] == store.name

    both = users.gm
    Membership.objects.create(user=both, store=other_store, role=Role.objects.get(store=None, code="gm"))
    assert sorted(r["id"] for r in _rows(api_for(both).get("/api/v1/stores/"))) == sorted([store.pk, other_store.pk])


def test_another_stores_detail_is_404(store, other_store, users):
    assert api_for(users.consultant).get(f"/api/v1/stores/{store.pk}/").status_code == 200
    response = api_for(users.consultant).get(f"/api/v1/stores/{other_store.pk}/")
    body = assert_error_shape(response, 404)
    assert body["code"] == "not_found"


# --- notifications ---------------------------------------------------------------------------


def _notify(user, title, **kwargs):
    return Notification.objects.create(recipient=user, title=title, **kwargs)


def test_notifications_lists_only_own(store, users):
    mine = _notify(users.consultant, "mine", store=store)
    theirs = _notify(users.gm, "theirs", store=store)
    client = api_for(users.consultant)

    rows = _rows(client.get("/api/v1/notifications/"))
    assert [r["id"] for r in rows] == [mine.pk]
    assert client.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404


def test_notifications_unread_filter(users):
    read = _notify(users.consultant, "read")
    unread = _notify(users.consultant, "unread")
    api_for(users.consultant).post("/api/v1/notifications/mark-read/", {"ids": [read.pk]}, format="json")
    rows = _rows(api_for(users.consultant).get("/api/v1/notifications/?unread=1"))
    assert [r["id"] for r in rows] == [unread.pk]


def test_mark_read_by_ids_touches_only_own_notifications(users):
    first, second = _notify(users.consultant, "1"), _notify(users.consultant, "2")
    theirs = _notify(users.gm, "3")
    client = api_for(users.consultant)

    response = client.post("/api/v1/notifications/mark-read/", {"ids": [first.pk, theirs.pk]}, format="json")
    assert response.status_code == 200
    assert response.json() == {"marked": 1}
    first.refresh_from_db(), second.refresh_from_db(), theirs.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None
    assert theirs.read_at is None


def test_mark_read_without_ids_marks_all_own(users):
    _notify(users.consultant, "1"), _notify(users.consultant, "2")
    theirs = _notify(users.gm, "3")
    response = api_for(users.consultant).post("/api/v1/notifications/mark-read/", {}, format="json")
    assert response.json() == {"marked": 2}
    assert not Notification.objects.filter(recipient=users.consultant, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_with_bad_ids_is_400_naming_the_field(users):
    response = api_for(users.consultant).post("/api/v1/notifications/mark-read/", {"ids": ["x"]}, format="json")
    body = assert_error_shape(response, 400)
    assert "ids" in body["errors"]


# --- paging -------------------------------------------------------------------------------------


def test_lists_page_by_cursor(users):
    created = [_notify(users.consultant, f"n{i}") for i in range(5)]
    client = api_for(users.consultant)

    first = client.get("/api/v1/notifications/?page_size=2").json()
    assert set(first) >= {"next", "previous", "results"}
    assert "count" not in first, "cursor paging must not COUNT(*) the table"
    assert first["previous"] is None
    assert first["next"] and "cursor=" in first["next"]
    seen = [r["id"] for r in first["results"]]
    url = first["next"]
    while url:
        page = client.get(url).json()
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
    assert seen == sorted((n.pk for n in created), reverse=True)


def test_page_size_is_capped(users):
    for i in range(3):
        _notify(users.consultant, f"n{i}")
    response = api_for(users.consultant).get("/api/v1/notifications/?page_size=100000")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


# --- malformed input ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/notifications/mark-read/", TOKEN_URL])
def test_malformed_json_is_400_not_500(users, url):
    client = api_for(users.consultant)
    response = client.post(url, data='{"ids": [1,', content_type="application/json")
    body = assert_error_shape(response, 400)
    assert body["code"] == "parse_error"


def test_unsupported_media_type_is_415_in_the_error_shape(users):
    response = api_for(users.consultant).post("/api/v1/notifications/mark-read/", data="ids=1", content_type="text/csv")
    assert_error_shape(response, 415)


def test_wrong_method_is_405_in_the_error_shape(users):
    response = api_for(users.consultant).delete("/api/v1/me/")
    assert_error_shape(response, 405)


def test_format_suffix_on_an_action_does_not_crash(users):
    """DefaultRouter also routes ``mark-read.json``; the action must accept the ``format`` argument."""
    response = api_for(users.consultant).post("/api/v1/notifications/mark-read.json", {}, format="json")
    assert response.status_code == 200, response.content


# --- schema and docs ---------------------------------------------------------------------------


def test_schema_is_openapi_3_for_a_signed_in_user(users, client_for):
    response = client_for(users.consultant).get(reverse("api-schema"))
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert str(schema["openapi"]).startswith("3.")
    assert schema["info"]["title"] == "DealerCRM API"
    for path in ("/api/v1/me/", "/api/v1/stores/", "/api/v1/notifications/", "/api/v1/auth/token/"):
        assert path in schema["paths"], path
    assert "tokenAuth" in schema["components"]["securitySchemes"]

    as_json = client_for(users.consultant).get(reverse("api-schema") + "?format=json")
    assert json.loads(as_json.content)["openapi"] == schema["openapi"]


@pytest.mark.parametrize("name", ["api-docs"])
def test_api_docs_render_without_a_cdn(users, client_for, name):
    client = client_for(users.consultant)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for cdn in ("cdn.", "unpkg", "jsdelivr", "cdnjs", "googleapis"):
        assert cdn not in html, f"{name} loads something from a CDN ({cdn})"
    assets = re.findall(r"""(?:src|href)=["'](/static/[^"']+)["']""", html)
    assert assets, "the docs page should load its scripts from our own static files"
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
