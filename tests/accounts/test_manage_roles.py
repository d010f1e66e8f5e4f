"""Role pages: a store's own version of a shipped role, its permissions and landing page, reset."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from accounts import navigation
from accounts.models import AuditLog, Membership, Permission, Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def url(name, *args):
    return reverse(f"accounts:{name}", args=args)


def default(code):
    return Role.objects.get(store=None, code=code)


def codes(role):
    return set(role.permissions.values_list("code", flat=True))


def role_post(role, **overrides):
    data = {
        "name": role.name,
        "landing_url": role.landing_url,
        "permissions": [str(pk) for pk in role.permissions.values_list("pk", flat=True)],
    }
    data.update(overrides)
    return data


def test_admin_opens_the_role_pages(users, client_for):
    client = client_for(users.admin)
    assert client.get(url("role_list")).status_code == 200
    assert client.get(url("role_edit", default("consultant").pk)).status_code == 200


@pytest.mark.parametrize("role", ["consultant", "gm", "sales_manager"])
def test_other_roles_get_403(users, client_for, role):
    client = client_for(users[role])
    target = default("consultant")
    assert client.get(url("role_list")).status_code == 403
    assert client.get(url("role_edit", target.pk)).status_code == 403
    assert client.post(url("role_edit", target.pk), role_post(target, name="x")).status_code == 403
    assert not Role.objects.filter(store__isnull=False).exists()


def test_list_shows_the_roles_available_in_the_store(users, store, client_for):
    override = Role.objects.create(store=store, code="gm", name="店总")
    roles = client_for(users.admin).get(url("role_list")).context["roles"]
    by_code = {r.code: r for r in roles}
    assert by_code["gm"] == override
    assert by_code["consultant"] == default("consultant")
    assert len(roles) == len(by_code)  # the overridden default is not listed twice
    assert by_code["consultant"].member_count == 1


def test_editing_a_default_creates_the_stores_own_version(users, other_users, store, client_for):
    consultant = default("consultant")
    extra = Permission.objects.get(code="accounts.manage_teams")
    response = client_for(users.admin).post(
        url("role_edit", consultant.pk),
        role_post(
            consultant,
            name="销售顾问（本店）",
            landing_url="accounts:workbench",
            permissions=[str(pk) for pk in consultant.permissions.values_list("pk", flat=True)] + [str(extra.pk)],
        ),
    )
    assert response.status_code == 302
    override = Role.objects.get(store=store, code="consultant")
    assert override.name == "销售顾问（本店）"
    assert override.landing_url == "accounts:workbench"
    assert codes(override) == codes(consultant) | {"accounts.manage_teams"}
    # the shipped default and the other store are untouched
    consultant.refresh_from_db()
    assert consultant.name == "" and "accounts.manage_teams" not in codes(consultant)
    assert other_users.consultant.memberships.get().role == consultant
    # this store's consultants now hold the store's version, and its permissions apply
    assert users.consultant.memberships.get().role == override
    users.consultant.clear_grant_cache()
    assert users.consultant.has_store_perm(store, "accounts.manage_teams")
    assert not other_users.consultant.has_store_perm(other_users.consultant.store_ids()[0], "accounts.manage_teams")
    actions = list(AuditLog.objects.filter(store=store).order_by("id").values_list("action", flat=True))
    assert actions == ["role.override", "role.update"]
    assert AuditLog.objects.get(action="role.update").changes["permissions"]["added"] == ["accounts.manage_teams"]


def test_the_default_url_leads_to_the_stores_version_once_it_exists(users, store, client_for):
    override = Role.objects.create(store=store, code="reception", name="前台")
    response = client_for(users.admin).get(url("role_edit", default("reception").pk))
    assert response.status_code == 302
    assert response["Location"] == url("role_edit", override.pk)


def test_edit_form_starts_from_the_saved_values(users, client_for):
    consultant = default("consultant")
    form = client_for(users.admin).get(url("role_edit", consultant.pk)).context["form"]
    assert set(form.initial["permissions"]) == set(consultant.permissions.all())
    groups = dict(form.permission_groups())
    assert "accounts" in groups
    assert all(p.code.startswith(f"{prefix}.") for prefix, items in groups.items() for _w, p in items)


def test_landing_page_choices_are_the_navigation_pages(users, client_for):
    form = client_for(users.admin).get(url("role_edit", default("gm").pk)).context["form"]
    choices = {value for value, _label in form.fields["landing_url"].choices}
    assert "" in choices and "accounts:store_list" in choices and "accounts:audit_list" in choices
    assert choices - {""} <= {item.url_name for item in navigation._items.values()}
    response = client_for(users.admin).post(
        url("role_edit", default("gm").pk), role_post(default("gm"), landing_url="/evil/")
    )
    assert "landing_url" in response.context["form"].errors


def test_custom_landing_page_is_where_the_role_lands(users, store, client_for):
    admin = default("admin")
    client = client_for(users.admin)
    client.post(url("role_edit", admin.pk), role_post(admin, landing_url="accounts:user_list"))
    assert client.get(url("home"))["Location"] == url("user_list")


def test_reset_moves_members_back_and_drops_the_version(users, store, client_for):
    consultant = default("consultant")
    client = client_for(users.admin)
    client.post(url("role_edit", consultant.pk), role_post(consultant, name="本店顾问"))
    override = Role.objects.get(store=store, code="consultant")
    assert users.consultant.memberships.get().role == override
    response = client.post(url("role_reset", override.pk))
    assert response.status_code == 302
    assert not Role.objects.filter(pk=override.pk).exists()
    assert users.consultant.memberships.get().role == consultant
    entry = AuditLog.objects.get(action="role.reset")
    assert entry.store == store and entry.changes["memberships_moved"] == 1


def test_reset_with_a_duplicate_membership_keeps_one(users, store, client_for):
    consultant = default("consultant")
    override = Role.objects.create(store=store, code="consultant")
    Membership.objects.create(user=users.consultant, store=store, role=override)
    client_for(users.admin).post(url("role_reset", override.pk))
    assert list(users.consultant.memberships.values_list("role", flat=True)) == [consultant.pk]


def test_admin_cannot_remove_their_own_right_to_manage_roles(users, store, client_for):
    admin = default("admin")
    keep = [str(pk) for pk in admin.permissions.exclude(code="accounts.manage_roles").values_list("pk", flat=True)]
    response = client_for(users.admin).post(url("role_edit", admin.pk), role_post(admin, permissions=keep))
    assert response.status_code == 200
    assert "permissions" in response.context["form"].errors
    assert not Role.objects.filter(store=store, code="admin").exists()  # rolled back, override included
    assert users.admin.memberships.get().role == admin


def test_admin_of_the_other_store_gets_404_on_this_stores_version(users, other_users, store, client_for):
    override = Role.objects.create(store=store, code="consultant", name="本店顾问")
    client = client_for(other_users.admin)
    assert client.get(url("role_edit", override.pk)).status_code == 404
    assert client.post(url("role_edit", override.pk), role_post(override, name="x")).status_code == 404
    assert client.post(url("role_reset", override.pk)).status_code == 404
    assert Role.objects.filter(pk=override.pk, name="本店顾问").exists()


def test_landing_for_a_request_uses_the_store_version(users, store):
    Role.objects.create(store=store, code="consultant", landing_url="accounts:notification_list")
    Membership.objects.filter(user=users.consultant).update(role=Role.objects.get(store=store, code="consultant"))
    request = RequestFactory().get("/")
    request.user, request.store, request.roles = users.consultant, store, frozenset({"consultant"})
    assert navigation.landing_url_for(request) == url("notification_list")
