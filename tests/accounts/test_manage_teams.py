"""Team pages: a sales supervisor and the consultants of the current store."""

import pytest
from django.urls import reverse

from accounts.models import AuditLog, Team
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def url(name, *args):
    return reverse(f"accounts:{name}", args=args)


@pytest.fixture
def team(store, users):
    team = Team.objects.create(store=store, name="销售一组", supervisor=users.sales_supervisor)
    team.members.set([users.consultant])
    return team


@pytest.mark.parametrize("role", ["admin", "sales_manager"])
def test_admin_and_sales_manager_open_the_team_pages(users, team, client_for, role):
    client = client_for(users[role])
    for page in [url("team_list"), url("team_create"), url("team_edit", team.pk)]:
        assert client.get(page).status_code == 200, page


@pytest.mark.parametrize("role", ["consultant", "sales_supervisor", "gm", "reception"])
def test_other_roles_get_403(users, team, client_for, role):
    client = client_for(users[role])
    for page in [url("team_list"), url("team_create"), url("team_edit", team.pk)]:
        assert client.get(page).status_code == 403, page
    assert client.post(url("team_create"), {"name": "x"}).status_code == 403
    assert not Team.objects.filter(name="x").exists()


def test_manager_of_the_other_store_gets_404(other_users, team, client_for):
    for role in ("admin", "sales_manager"):
        client = client_for(other_users[role])
        assert client.get(url("team_edit", team.pk)).status_code == 404
        assert client.post(url("team_edit", team.pk), {"name": "劫持"}).status_code == 404
        assert team not in client.get(url("team_list")).context["teams"]
    team.refresh_from_db()
    assert team.name == "销售一组"


def test_form_offers_only_this_stores_supervisors_and_consultants(users, other_users, client_for):
    form = client_for(users.sales_manager).get(url("team_create")).context["form"]
    assert list(form.fields["supervisor"].queryset) == [users.sales_supervisor]
    assert list(form.fields["members"].queryset) == [users.consultant]


def test_create_team(users, store, client_for):
    second = make_member(store, "consultant", username="a_consultant2")
    response = client_for(users.sales_manager).post(
        url("team_create"),
        {"name": "销售二组", "supervisor": users.sales_supervisor.pk, "members": [users.consultant.pk, second.pk]},
    )
    assert response.status_code == 302
    team = Team.objects.get(name="销售二组")
    assert (team.store, team.supervisor) == (store, users.sales_supervisor)
    assert set(team.members.all()) == {users.consultant, second}
    actions = set(AuditLog.objects.filter(object_id=str(team.pk)).values_list("action", flat=True))
    assert actions == {"team.create", "team.set_members"}
    assert AuditLog.objects.get(action="team.create").store == store


def test_supervisor_and_members_must_be_in_role(users, other_users, client_for):
    response = client_for(users.admin).post(
        url("team_create"),
        {"name": "乱组", "supervisor": users.consultant.pk, "members": [other_users.consultant.pk, users.gm.pk]},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"supervisor", "members"} <= set(errors)
    assert response.context["form"]["name"].value() == "乱组"
    assert not Team.objects.filter(name="乱组").exists()


def test_duplicate_team_name_in_the_store(users, team, client_for):
    response = client_for(users.admin).post(url("team_create"), {"name": team.name})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors


def test_same_team_name_in_another_store_is_fine(users, other_users, team, client_for):
    response = client_for(other_users.sales_manager).post(url("team_create"), {"name": team.name})
    assert response.status_code == 302
    assert Team.objects.filter(name=team.name).count() == 2


def test_edit_team_shows_saved_values_and_replaces_members(users, store, team, client_for):
    client = client_for(users.sales_manager)
    form = client.get(url("team_edit", team.pk)).context["form"]
    assert form.initial["name"] == "销售一组"
    assert form.initial["supervisor"] == users.sales_supervisor.pk
    assert list(form.initial["members"]) == [users.consultant]

    second = make_member(store, "consultant", username="a_consultant2")
    response = client.post(url("team_edit", team.pk), {"name": "销售一组（新）", "members": [second.pk]})
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.name == "销售一组（新）" and team.supervisor is None
    assert list(team.members.all()) == [second]
    update = AuditLog.objects.get(action="team.update")
    assert update.changes["name"] == ["销售一组", "销售一组（新）"]
    members = AuditLog.objects.get(action="team.set_members")
    assert members.changes["members"] == [[users.consultant.username], [second.username]]


def test_a_member_who_lost_the_consultant_role_is_still_listed(users, team, client_for):
    users.consultant.memberships.update(role=users.reception.memberships.get().role)
    form = client_for(users.admin).get(url("team_edit", team.pk)).context["form"]
    assert users.consultant in form.fields["members"].queryset
