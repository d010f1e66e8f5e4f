"""User administration pages: list, create with a role, edit, password, deactivate, grant and revoke roles."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditLog, Membership, Role, User
from tests.factories import UserFactory, make_member

pytestmark = pytest.mark.django_db

STRONG = "Qiche-2027-haoyun"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def url(name, *args):
    return reverse(f"accounts:{name}", args=args)


def new_user_data(**overrides):
    data = {
        "username": "li_lei",
        "full_name": "李雷",
        "phone": "13800138000",
        "email": "lilei@example.com",
        "language": "zh-hans",
        "can_export": "on",
        "password1": STRONG,
        "password2": STRONG,
        "store": "",
        "role": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_admin_opens_every_user_page(users, client_for):
    client = client_for(users.admin)
    for page in [
        url("user_list"),
        url("user_create"),
        url("user_edit", users.consultant.pk),
        url("user_password", users.consultant.pk),
    ]:
        assert client.get(page).status_code == 200, page


@pytest.mark.parametrize("role", ["consultant", "gm", "sales_manager"])
def test_other_roles_get_403(users, client_for, role):
    client = client_for(users[role])
    target = users.reception.pk
    for page in [url("user_list"), url("user_create"), url("user_edit", target), url("user_password", target)]:
        assert client.get(page).status_code == 403, page
    assert client.post(url("user_create"), new_user_data()).status_code == 403
    assert client.post(url("membership_grant", target), {"store": "1", "role": "admin"}).status_code == 403
    assert not User.objects.filter(username="li_lei").exists()


def test_admin_of_the_other_store_gets_404(users, other_users, client_for):
    client = client_for(other_users.admin)
    target = users.consultant
    membership = target.memberships.get()
    for page in [url("user_edit", target.pk), url("user_password", target.pk)]:
        assert client.get(page).status_code == 404, page
    assert client.post(url("user_edit", target.pk), new_user_data()).status_code == 404
    assert client.post(url("user_set_active", target.pk), {"active": "0"}).status_code == 404
    assert client.post(url("membership_revoke", target.pk, membership.pk)).status_code == 404
    assert client.post(url("membership_grant", target.pk), {"role": "gm"}).status_code == 404
    target.refresh_from_db()
    assert target.is_active and target.memberships.count() == 1


def test_list_is_scoped_searchable_and_filterable(users, other_users, client_for):
    client = client_for(users.admin)
    listed = set(client.get(url("user_list")).context["people"])
    assert listed == set(users.values())
    assert not listed & set(other_users.values())

    users.consultant.full_name = "韩梅梅"
    users.consultant.save()
    assert list(client.get(url("user_list"), {"q": "梅梅"}).context["people"]) == [users.consultant]
    assert list(client.get(url("user_list"), {"role": "gm"}).context["people"]) == [users.gm]

    users.reception.is_active = False
    users.reception.save()
    assert list(client.get(url("user_list"), {"is_active": "false"}).context["people"]) == [users.reception]
    assert users.reception not in client.get(url("user_list"), {"is_active": "true"}).context["people"]


def test_create_user_with_a_role_who_then_signs_in_and_lands(users, store, client_for):
    client = client_for(users.admin)
    response = client.post(url("user_create"), new_user_data(store=str(store.pk), role="consultant"))
    assert response.status_code == 302
    created = User.objects.get(username="li_lei")
    assert response["Location"] == url("user_edit", created.pk)
    assert (created.full_name, created.phone, created.can_export, created.can_see_full_phone) == (
        "李雷",
        "13800138000",
        True,
        False,
    )
    membership = created.memberships.get()
    assert (membership.store, membership.role.code) == (store, "consultant")
    actions = set(AuditLog.objects.filter(object_id=str(created.pk)).values_list("action", "store_id"))
    assert actions == {("user.create", store.pk), ("membership.grant", store.pk)}

    newcomer = Client()
    assert newcomer.login(username="li_lei", password=STRONG)
    landing = newcomer.get(url("home"))
    assert landing.status_code == 302
    assert landing["Location"] != reverse("accounts:login")
    # the newcomer lands where every consultant of the store lands
    assert landing["Location"] == client_for(users.consultant).get(url("home"))["Location"]
    assert newcomer.get(url("workbench")).status_code == 200


def test_new_admin_lands_on_the_store_list(users, store, client_for):
    client_for(users.admin).post(url("user_create"), new_user_data(store=str(store.pk), role="admin"))
    newcomer = Client()
    assert newcomer.login(username="li_lei", password=STRONG)
    assert newcomer.get(url("home"))["Location"] == url("store_list")


def test_create_user_without_a_role(users, store, client_for):
    client = client_for(users.admin)
    response = client.post(url("user_create"), new_user_data(store=str(store.pk), notify_by_email="on"))
    assert response.status_code == 302
    created = User.objects.get(username="li_lei")
    assert not created.memberships.exists() and created.notify_by_email
    # the creator still finds the user they created, though it has no role yet
    assert created in client.get(url("user_list")).context["people"]
    assert client.get(url("user_edit", created.pk)).status_code == 200


def test_duplicate_username_keeps_everything_typed(users, store, client_for):
    response = client_for(users.admin).post(
        url("user_create"), new_user_data(username=users.consultant.username, store=str(store.pk), role="gm")
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["username"]
    html = response.content.decode()
    for typed in [users.consultant.username, "李雷", "13800138000", "lilei@example.com"]:
        assert f'value="{typed}"' in html
    assert form["can_export"].value() is True
    assert (form["store"].value(), form["role"].value()) == (str(store.pk), "gm")
    assert 'id="id_username"' in html and 'class="form-control is-invalid"' in html
    assert User.objects.filter(username=users.consultant.username).count() == 1


@pytest.mark.parametrize(
    ("password1", "password2"),
    [("123", "123"), ("password", "password"), ("li_lei_1", "li_lei_1"), (STRONG, STRONG + "x")],
)
def test_weak_or_mismatched_password_is_refused_with_input_kept(users, client_for, password1, password2):
    response = client_for(users.admin).post(url("user_create"), new_user_data(password1=password1, password2=password2))
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) <= {"password1", "password2"} and form.errors
    assert form["full_name"].value() == "李雷"
    assert not User.objects.filter(username="li_lei").exists()


def test_role_without_store_or_unknown_role_is_refused(users, store, client_for):
    client = client_for(users.admin)
    response = client.post(url("user_create"), new_user_data(store="", role="consultant"))
    assert "store" in response.context["form"].errors
    response = client.post(url("user_create"), new_user_data(store=str(store.pk), role="astronaut"))
    assert "role" in response.context["form"].errors
    assert not User.objects.filter(username="li_lei").exists()


def test_admin_cannot_grant_in_a_store_they_do_not_manage(users, other_store, client_for):
    response = client_for(users.admin).post(
        url("user_create"), new_user_data(store=str(other_store.pk), role="consultant")
    )
    assert "store" in response.context["form"].errors
    assert not User.objects.filter(username="li_lei").exists()


def test_edit_profile_is_audited_and_errors_keep_input(users, store, client_for):
    client = client_for(users.admin)
    target = users.consultant
    data = new_user_data(username=target.username, full_name="新名字", can_see_full_phone="on")
    response = client.post(url("user_edit", target.pk), data)
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.full_name, target.can_see_full_phone, target.can_export) == ("新名字", True, True)
    entry = AuditLog.objects.get(action="user.update")
    assert entry.changes["can_see_full_phone"] == [False, True]
    assert entry.store == store

    response = client.post(url("user_edit", target.pk), {**data, "username": users.gm.username, "full_name": "再改"})
    assert response.status_code == 200
    assert "username" in response.context["profile_form"].errors
    assert response.context["profile_form"]["full_name"].value() == "再改"
    target.refresh_from_db()
    assert target.full_name == "新名字"


def test_reset_password(users, client_for):
    client = client_for(users.admin)
    target = users.consultant
    response = client.post(url("user_password", target.pk), {"password1": "123", "password2": "123"})
    assert response.status_code == 200 and "password1" in response.context["form"].errors
    response = client.post(url("user_password", target.pk), {"password1": STRONG, "password2": STRONG})
    assert response.status_code == 302
    assert Client().login(username=target.username, password=STRONG)
    assert AuditLog.objects.filter(action="user.set_password", object_id=str(target.pk)).exists()


def test_deactivate_and_reactivate(users, client_for):
    client = client_for(users.admin)
    target = users.consultant
    assert client.post(url("user_set_active", target.pk), {"active": "0"}).status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    assert not Client().login(username=target.username, password="pass-12345")
    assert User.objects.filter(pk=target.pk).exists()
    client.post(url("user_set_active", target.pk), {"active": "1"})
    target.refresh_from_db()
    assert target.is_active
    assert list(AuditLog.objects.filter(object_id=str(target.pk)).order_by("id").values_list("action", flat=True)) == [
        "user.deactivate",
        "user.activate",
    ]


def test_admin_cannot_deactivate_themselves(users, client_for):
    client_for(users.admin).post(url("user_set_active", users.admin.pk), {"active": "0"})
    users.admin.refresh_from_db()
    assert users.admin.is_active


def test_grant_form_has_stable_ids(users, client_for):
    html = client_for(users.admin).get(url("user_edit", users.consultant.pk)).content.decode()
    for element_id in ['id="id_store"', 'id="id_role"', 'id="grant-role"', 'id="grant-form"']:
        assert element_id in html


def test_grant_and_revoke_a_role(users, store, client_for):
    client = client_for(users.admin)
    target = users.consultant
    response = client.post(url("membership_grant", target.pk), {"store": str(store.pk), "role": "sales_supervisor"})
    assert response.status_code == 302
    granted = target.memberships.get(role__code="sales_supervisor")
    assert granted.store == store
    # granting again changes nothing
    client.post(url("membership_grant", target.pk), {"store": str(store.pk), "role": "sales_supervisor"})
    assert target.memberships.count() == 2
    assert client.post(url("membership_revoke", target.pk, granted.pk)).status_code == 302
    assert not Membership.objects.filter(pk=granted.pk).exists()
    assert list(AuditLog.objects.filter(object_id=str(target.pk)).values_list("action", flat=True)) == [
        "membership.revoke",
        "membership.grant",
    ]


def test_grant_errors_show_on_the_user_page(users, client_for):
    response = client_for(users.admin).post(url("membership_grant", users.consultant.pk), {"store": "", "role": ""})
    assert response.status_code == 200
    assert response.context["grant_form"].errors
    assert response.context["target"] == users.consultant


def test_grant_uses_the_stores_own_version_of_a_role(users, store, client_for):
    default = Role.objects.get(store=None, code="cs_agent")
    override = Role.objects.create(store=store, code="cs_agent", name="回访专员")
    client_for(users.admin).post(
        url("membership_grant", users.reception.pk), {"store": str(store.pk), "role": "cs_agent"}
    )
    membership = users.reception.memberships.get(role__code="cs_agent")
    assert membership.role == override != default


def test_group_wide_role_needs_every_store_of_the_group(users, other_store, store, client_for):
    # users.admin manages users only in the first of the group's two stores
    response = client_for(users.admin).post(
        url("membership_grant", users.consultant.pk), {"store": f"group:{store.group_id}", "role": "gm"}
    )
    assert "store" in response.context["grant_form"].errors
    assert not users.consultant.memberships.filter(group__isnull=False).exists()


def test_group_admin_grants_a_group_wide_role(users, store, other_store, client_for):
    group_admin = UserFactory(username="group_admin")
    Membership.objects.create(user=group_admin, group=store.group, role=Role.objects.get(store=None, code="admin"))
    response = client_for(group_admin).post(
        url("membership_grant", users.consultant.pk), {"store": f"group:{store.group_id}", "role": "gm"}
    )
    assert response.status_code == 302
    assert users.consultant.memberships.filter(group=store.group, role__code="gm").exists()


def test_user_working_elsewhere_too_is_view_only_outside_my_stores(users, store, other_store, client_for):
    shared = make_member(store, "consultant", username="shared")
    foreign = Membership.objects.create(
        user=shared, store=other_store, role=Role.objects.get(store=None, code="consultant")
    )
    client = client_for(users.admin)
    page = client.get(url("user_edit", shared.pk))
    assert page.status_code == 200
    assert page.context["editable"] is False
    assert "profile_form" not in page.context
    assert {m.pk: ok for m, ok in page.context["memberships"]}[foreign.pk] is False
    # profile, password and active flag are out of reach …
    assert client.post(url("user_edit", shared.pk), new_user_data(username="shared")).status_code == 403
    assert client.get(url("user_password", shared.pk)).status_code == 403
    assert client.post(url("user_set_active", shared.pk), {"active": "0"}).status_code == 403
    # … and so is the role in the other store, but roles in my store can change
    assert client.post(url("membership_revoke", shared.pk, foreign.pk)).status_code == 403
    assert Membership.objects.filter(pk=foreign.pk).exists()
    assert (
        client.post(
            url("membership_grant", shared.pk), {"store": str(store.pk), "role": "sales_supervisor"}
        ).status_code
        == 302
    )
    assert shared.memberships.count() == 3


def test_admin_cannot_revoke_their_own_admin_role(users, client_for):
    membership = users.admin.memberships.get()
    client_for(users.admin).post(url("membership_revoke", users.admin.pk, membership.pk))
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_superusers_are_out_of_reach(users, client_for):
    root = User.objects.create_superuser("root", "root@example.com", STRONG)
    assert client_for(users.admin).get(url("user_edit", root.pk)).status_code == 404


def test_create_form_has_stable_ids(users, client_for):
    html = client_for(users.admin).get(url("user_create")).content.decode()
    for element_id in [
        "id_username",
        "id_full_name",
        "id_password1",
        "id_password2",
        "id_store",
        "id_role",
        "create-user",
    ]:
        assert f'id="{element_id}"' in html
