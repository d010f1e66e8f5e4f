import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_page_renders_in_chinese(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200


def test_each_role_reaches_a_page_after_login(users, client_for):
    for role, user in users.items():
        response = client_for(user).get(reverse("accounts:home"), follow=True)
        assert response.status_code == 200, role
