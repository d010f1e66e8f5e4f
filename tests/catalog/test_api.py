"""Catalog API: read-only lists with shared filters, the VIN check, errors in the one JSON shape."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

VIN_CHECK = "/api/v1/catalog/vin-check/"


@pytest.fixture
def api_for():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(row["name"] for row in response.json()["results"])


def test_routes_are_named():
    assert reverse("catalog-brand-list") == "/api/v1/catalog/brands/"
    assert reverse("catalog-series-list") == "/api/v1/catalog/series/"
    assert reverse("catalog-model-list") == "/api/v1/catalog/models/"
    assert reverse("catalog-trim-list") == "/api/v1/catalog/trims/"
    assert reverse("api-catalog-vin-check") == VIN_CHECK


def test_lists_for_any_role(catalog_tree, users, api_for):
    for role, user in users.items():
        response = api_for(user).get("/api/v1/catalog/brands/")
        assert response.status_code == 200, role
    client = api_for(users.reception)
    assert names(client.get("/api/v1/catalog/brands/")) == ["大众", "比亚迪"]
    assert names(client.get("/api/v1/catalog/series/")) == ["朗逸", "汉"]
    assert names(client.get("/api/v1/catalog/models/")) == ["朗逸", "汉 EV"]
    assert len(client.get("/api/v1/catalog/trims/").json()["results"]) == 3


def test_other_stores_users_read_the_same_catalog(catalog_tree, other_users, api_for):
    assert names(api_for(other_users.consultant).get("/api/v1/catalog/brands/")) == ["大众", "比亚迪"]


def test_filters(catalog_tree, users, api_for):
    client = api_for(users.consultant)
    vw, lavida = catalog_tree["vw"], catalog_tree["lavida"]
    assert names(client.get("/api/v1/catalog/series/", {"brand": vw.pk})) == ["朗逸"]
    assert names(client.get("/api/v1/catalog/series/", {"energy_type": "ev"})) == ["汉"]
    assert names(client.get("/api/v1/catalog/models/", {"series": lavida.pk})) == ["朗逸"]
    assert names(client.get("/api/v1/catalog/models/", {"year": 2024})) == []
    assert names(client.get("/api/v1/catalog/models/", {"brand": catalog_tree["byd"].pk})) == ["汉 EV"]
    assert names(client.get("/api/v1/catalog/trims/", {"series": lavida.pk})) == ["1.5L 手动风尚版", "1.5L 自动满逸版"]
    assert names(client.get("/api/v1/catalog/trims/", {"year": 2025, "is_active": "true"})) == [
        "1.5L 自动满逸版",
        "605KM 尊贵型",
    ]
    assert names(client.get("/api/v1/catalog/trims/", {"q": "比亚迪 尊贵"})) == ["605KM 尊贵型"]
    assert names(client.get("/api/v1/catalog/brands/", {"q": "byd"})) == ["比亚迪"]


def test_trim_payload(catalog_tree, users, api_for):
    trim = catalog_tree["manyi"]
    response = api_for(users.consultant).get(f"/api/v1/catalog/trims/{trim.pk}/")
    assert response.json() == {
        "id": trim.pk,
        "brand": catalog_tree["vw"].pk,
        "brand_name": "大众",
        "series": catalog_tree["lavida"].pk,
        "series_name": "朗逸",
        "model": catalog_tree["lavida_2025"].pk,
        "model_name": "朗逸",
        "model_year": 2025,
        "name": "1.5L 自动满逸版",
        "guide_price": "125900.00",
        "is_active": True,
    }


def test_read_only(catalog_tree, users, api_for):
    client = api_for(users.admin)
    assert client.post("/api/v1/catalog/brands/", {"name": "红旗"}).status_code == 405
    assert client.delete(f"/api/v1/catalog/trims/{catalog_tree['manyi'].pk}/").status_code == 405


def test_anonymous_gets_401(catalog_tree):
    client = APIClient()
    assert client.get("/api/v1/catalog/trims/").status_code == 401
    response = client.post(VIN_CHECK, {"vin": "LFV2A11K8F4192886"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_user_without_any_store_gets_403(db, api_for):
    from tests.factories import UserFactory

    response = api_for(UserFactory()).get("/api/v1/catalog/brands/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("vin", "year"),
    [("lrw3e7ek5tc770390 ", 2026), ("LFV2A11K8F4192886", 2015), ("1M8GDM9AXKP042788", None)],
)
def test_vin_check_valid(users, api_for, vin, year):
    response = api_for(users.reception).post(VIN_CHECK, {"vin": vin}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["vin"] == vin.strip().upper() and body["valid"] is True and body["wmi"] == vin.strip().upper()[:3]
    if year is not None:
        assert body["year"] == year
    else:
        assert body["year"] % 30 == 1989 % 30  # K: 1989, 2019, 2049 …


def test_vin_check_wrong_check_digit(users, api_for):
    response = api_for(users.consultant).post(
        VIN_CHECK, {"vin": "LSVAU033512345678"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert body["code"] == "invalid"
    assert body["errors"] == {
        "vin": ['The check digit (the 9th character) is "5", but "6" was expected: please check the VIN for a typo.']
    }
    assert body["detail"] == body["errors"]["vin"][0]


def test_vin_check_lists_every_problem(users, api_for):
    response = api_for(users.consultant).post(VIN_CHECK, {"vin": "LSV-IO"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    errors = response.json()["errors"]["vin"]
    assert len(errors) == 3
    assert any("6 characters were given" in message for message in errors)
    assert any("I, O" in message for message in errors)
    assert any('"-"' in message for message in errors)


def test_vin_check_requires_the_field(users, api_for):
    response = api_for(users.consultant).post(VIN_CHECK, {}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["vin"]


def test_schema_documents_the_catalog(users, client_for):
    response = client_for(users.admin).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    for path in [
        "/api/v1/catalog/brands/",
        "/api/v1/catalog/series/",
        "/api/v1/catalog/models/",
        "/api/v1/catalog/trims/{id}/",
        "/api/v1/catalog/vin-check/",
    ]:
        assert path in schema["paths"], path
    trim_params = {p["name"] for p in schema["paths"]["/api/v1/catalog/trims/"]["get"]["parameters"]}
    assert {"brand", "series", "year", "q", "min_price"} <= trim_params
    vin_check = schema["paths"]["/api/v1/catalog/vin-check/"]["post"]
    assert {"200", "400"} <= set(vin_check["responses"])


def test_schema_has_no_warnings_about_the_catalog(db):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    catalog_messages = [
        message
        for cache in (GENERATOR_STATS._warn_cache, GENERATOR_STATS._error_cache)
        for message in cache
        if "catalog" in message.lower() or "Trim" in message or "VinCheck" in message
    ]
    assert catalog_messages == []
