"""Signing in, landing, the menu, the store switcher, languages, the group overview."""

import re

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.html import escape

from accounts import navigation
from accounts.forms import LoginForm
from accounts.models import Membership, Role
from accounts.permissions import ALL_ROLES
from tests.conftest import PASSWORD
from tests.factories import StoreFactory, UserFactory, make_member

pytestmark = pytest.mark.django_db

NAV_KEY = re.compile(r'data-nav="([^"]+)"')


def sign_in(client, username, password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, follow=True)


def expected_landing(role_code: str) -> str:
    """The role's work page as registered by the apps (a shipped role may name its own), else the workbench."""
    role = Role.objects.get(store=None, code=role_code)
    for url_name in (role.landing_url, navigation._landings.get(role_code), "accounts:workbench"):
        if url_name:
            try:
                return reverse(url_name)
            except NoReverseMatch:
                continue
    raise AssertionError("unreachable")


def nav_keys(response) -> set[str]:
    return set(NAV_KEY.findall(response.content.decode()))


def role_perms(role_code: str) -> set[str]:
    return set(Role.objects.get(store=None, code=role_code).permissions.values_list("code", flat=True))


# --- landing --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_each_role_signs_in_and_lands_on_its_page(client, users, role):
    response = sign_in(client, f"a_{role}")
    assert response.status_code == 200
    final_url = response.redirect_chain[-1][0]
    assert final_url == expected_landing(role), response.redirect_chain
    assert response.wsgi_request.user == users[role]


def test_admin_lands_on_the_store_list_once_it_exists(client, users):
    try:
        expected = reverse("accounts:store_list")
    except NoReverseMatch:
        expected = reverse("accounts:workbench")
    assert sign_in(client, "a_admin").redirect_chain[-1][0] == expected


def test_sign_in_keeps_a_safe_next_url(client, users):
    response = client.post(
        reverse("accounts:login") + "?next=/notifications/",
        {"username": "a_consultant", "password": PASSWORD, "next": "/notifications/"},
    )
    assert response.status_code == 302
    assert response.url == "/notifications/"


def test_sign_in_ignores_a_foreign_next_url(client, users):
    response = client.post(
        reverse("accounts:login"), {"username": "a_consultant", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert "evil.example" not in response.url


def test_wrong_password_shows_the_configured_message(client, users):
    response = sign_in(client, "a_consultant", "not-the-password")
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    html = response.content.decode()
    assert 'id="login-error"' in html
    with translation.override("zh-hans"):
        expected = str(LoginForm.error_messages["invalid_login"])
    assert escape(expected) in html


def test_disabled_account_cannot_sign_in(client, users):
    users.consultant.is_active = False
    users.consultant.save()
    response = sign_in(client, "a_consultant")
    assert not response.wsgi_request.user.is_authenticated
    assert 'id="login-error"' in response.content.decode()


# --- the menu -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_menu_shows_exactly_what_the_role_may_use(client_for, users, role):
    client = client_for(users[role])
    response = client.get(reverse("accounts:workbench"))
    shown = nav_keys(response)
    perms = role_perms(role)
    assert "workbench" in shown
    assert "group" not in shown, "the dealer-group item is for group-wide memberships only"
    for key in shown:
        item = navigation._items[key]
        assert item.permission is None or item.permission in perms, f"{role} is offered {key} without {item.permission}"
    for key, item in navigation._items.items():
        usable = item.check is None and (item.permission is None or item.permission in perms)
        if usable and navigation._reversible(item.url_name):
            assert key in shown, f"{role} holds {item.permission} but the menu lacks {key}"
    # The menu never offers a page that answers 403.
    for url in re.findall(r'data-nav="[^"]+" href="([^"]+)"', response.content.decode()):
        assert client.get(url).status_code == 200, f"{role}: menu link {url}"


def test_admin_sees_administration_and_consultant_does_not(client_for, users):
    admin_keys = nav_keys(client_for(users.admin).get(reverse("accounts:workbench")))
    consultant_keys = nav_keys(client_for(users.consultant).get(reverse("accounts:workbench")))
    administration = {"admin-stores", "admin-users", "admin-teams", "admin-roles", "admin-audit", "admin-system"}
    assert administration <= admin_keys
    assert not administration & consultant_keys
    gm_keys = nav_keys(client_for(users.gm).get(reverse("accounts:workbench")))
    assert "admin-audit" in gm_keys and "admin-users" not in gm_keys


ACTIVE_NAV = re.compile(r'class="nav-link active" data-nav="([^"]+)"')


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/reports/center/", "report-center"),  # not also "reports" at /reports/ above it
        ("/reports/", "reports"),
        ("/reports/dashboard/group/", "group-dashboard"),  # not also the store dashboard
        ("/reports/dashboard/", "dashboard"),
    ],
)
def test_the_menu_marks_only_the_current_pages_entry(client_for, store, path, key):
    group_gm = make_member(store, "gm", username="group_gm")
    Membership.objects.create(user=group_gm, group=store.group, role=Role.objects.get(store=None, code="gm"))
    response = client_for(group_gm).get(path)
    assert response.status_code == 200
    assert ACTIVE_NAV.findall(response.content.decode()) == [key]


# --- store switcher -------------------------------------------------------------------------


@pytest.fixture
def two_store_user(store, other_store):
    user = make_member(store, "consultant", username="two_stores")
    Membership.objects.create(user=user, store=other_store, role=Role.objects.get(store=None, code="gm"))
    return user


def test_switching_store_changes_the_current_store(client_for, store, other_store, two_store_user):
    client = client_for(two_store_user)
    page = client.get(reverse("accounts:workbench"))
    html = page.content.decode()
    assert 'id="store-select"' in html and store.name in html and other_store.name in html
    current = page.wsgi_request.store
    target = other_store if current == store else store

    response = client.post(reverse("accounts:switch_store"), {"store": target.pk})
    assert response.status_code == 302
    after = client.get(reverse("accounts:workbench"))
    assert after.wsgi_request.store == target
    assert after.wsgi_request.roles == ({"gm"} if target == other_store else {"consultant"})
    assert after.wsgi_request.perms == frozenset(two_store_user.perms_in(target))


def test_switching_to_a_store_you_do_not_belong_to_is_403(client_for, store, users):
    foreign = StoreFactory(group=store.group)
    client = client_for(users.consultant)
    assert client.post(reverse("accounts:switch_store"), {"store": foreign.pk}).status_code == 403
    assert client.post(reverse("accounts:switch_store"), {"store": "x"}).status_code == 403
    assert client.get(reverse("accounts:workbench")).wsgi_request.store == store


def test_single_store_user_sees_the_store_name_not_a_switcher(client_for, store, users):
    html = client_for(users.consultant).get(reverse("accounts:workbench")).content.decode()
    assert 'id="store-select"' not in html
    assert 'id="current-store"' in html and store.name in html


# --- language -------------------------------------------------------------------------------


def test_language_switch_is_saved_and_the_next_page_is_english(client_for, users):
    user = users.consultant
    client = client_for(user)
    response = client.post(
        reverse("accounts:set_language"), {"language": "en", "next": reverse("accounts:workbench")}, follow=True
    )
    user.refresh_from_db()
    assert user.language == "en"
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Sign out" in html and "My workbench" in html
    # The profile, not just the cookie, carries the choice to the next page and the next session.
    client.cookies.pop("django_language", None)
    assert "Sign out" in client.get(reverse("accounts:workbench")).content.decode()


def test_language_switch_refuses_a_foreign_next_url(client_for, users):
    response = client_for(users.consultant).post(
        reverse("accounts:set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response.url == "/"


def test_switching_back_to_chinese_sets_the_page_language(client_for, users):
    user = users.consultant
    user.language = "en"
    user.save()
    client = client_for(user)
    response = client.post(
        reverse("accounts:set_language"), {"language": "zh-hans", "next": "/workbench/"}, follow=True
    )
    user.refresh_from_db()
    assert user.language == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()


def test_chinese_pages_show_chinese_text(client_for, users):
    html = client_for(users.consultant).get(reverse("accounts:workbench")).content.decode()
    assert "退出登录" in html  # "Sign out"
    assert "我的工作台" in html  # "My workbench"
    assert "Sign out" not in html


def test_anonymous_language_choice_applies_to_the_sign_in_page(client):
    response = client.post(reverse("accounts:set_language"), {"language": "en", "next": "/login/"}, follow=True)
    assert '<html lang="en">' in response.content.decode()
    assert "Sign in" in response.content.decode()


# --- group users and users without a role ---------------------------------------------------


def test_group_user_sees_the_group_overview_with_both_stores(client, group, store, other_store):
    user = UserFactory(username="group_gm")
    Membership.objects.create(user=user, group=group, role=Role.objects.get(store=None, code="gm"))
    response = sign_in(client, "group_gm")
    assert response.status_code == 200
    assert "group" in nav_keys(response)

    overview = client.get(reverse("accounts:group_overview"))
    assert overview.status_code == 200
    html = overview.content.decode()
    assert 'id="group-stores"' in html
    assert store.name in html and other_store.name in html
    assert set(overview.wsgi_request.user.store_ids()) == {store.pk, other_store.pk}


def test_store_user_cannot_open_the_group_overview(client_for, users):
    assert client_for(users.gm).get(reverse("accounts:group_overview")).status_code == 403


def test_user_without_a_role_is_told_so(client, db):
    UserFactory(username="nobody")
    response = sign_in(client, "nobody")
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("accounts:workbench")
    with translation.override("zh-hans"):
        warning = str(
            translation.gettext("You have no role in any store yet. Please ask your administrator to give you one.")
        )
    html = response.content.decode()
    assert escape(warning) in html
    assert nav_keys(response) == {"workbench"}


def test_an_english_browser_still_gets_chinese_until_english_is_chosen(client):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-hans">' in response.content.decode()
    client.post(reverse("accounts:set_language"), {"language": "en", "next": "/login/"})
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert '<html lang="en">' in response.content.decode()
