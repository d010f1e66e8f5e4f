"""Catalog pages: everyone with view_catalog browses; only manage_catalog creates, edits and imports."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import AuditLog
from accounts.navigation import items_for
from catalog.models import Brand, Series, Trim, VehicleModel

from .conftest import build_xlsx

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def browse_urls(tree):
    return [
        reverse("catalog:index"),
        reverse("catalog:brand_detail", args=[tree["vw"].pk]),
        reverse("catalog:series_detail", args=[tree["lavida"].pk]),
        reverse("catalog:trim_list") + "?q=满逸",
    ]


def manage_urls(tree):
    return [
        reverse("catalog:brand_create"),
        reverse("catalog:brand_update", args=[tree["vw"].pk]),
        reverse("catalog:series_create"),
        reverse("catalog:series_update", args=[tree["lavida"].pk]),
        reverse("catalog:model_create"),
        reverse("catalog:model_update", args=[tree["lavida_2025"].pk]),
        reverse("catalog:trim_create"),
        reverse("catalog:trim_update", args=[tree["manyi"].pk]),
        reverse("catalog:import"),
        reverse("catalog:import_template"),
    ]


def test_every_role_may_browse(catalog_tree, users, client_for):
    for role, user in users.items():
        client = client_for(user)
        for url in browse_urls(catalog_tree):
            assert client.get(url).status_code == 200, (role, url)


def test_browser_shows_the_tree(catalog_tree, users, client_for):
    client = client_for(users.consultant)
    index = client.get(reverse("catalog:index")).content.decode()
    assert "大众" in index and "比亚迪" in index
    brand = client.get(reverse("catalog:brand_detail", args=[catalog_tree["vw"].pk])).content.decode()
    # "From" is the lowest guide price among trims on sale: the ¥99,900 trim is off sale.
    assert "朗逸" in brand and "¥125,900" in brand and "¥99,900" not in brand
    series = client.get(reverse("catalog:series_detail", args=[catalog_tree["lavida"].pk])).content.decode()
    assert "1.5L 自动满逸版" in series and "¥125,900" in series
    assert reverse("catalog:trim_create") not in series  # no editing links for a consultant


def test_search_uses_the_shared_filters(catalog_tree, users, client_for):
    client = client_for(users.consultant)
    response = client.get(reverse("catalog:trim_list"), {"q": "满逸"})
    assert list(response.context["trims"]) == [catalog_tree["manyi"]]
    response = client.get(reverse("catalog:trim_list"), {"brand": catalog_tree["byd"].pk})
    assert list(response.context["trims"]) == [catalog_tree["han_trim"]]
    response = client.get(reverse("catalog:trim_list"), {"is_active": "true", "max_price": "150000"})
    assert list(response.context["trims"]) == [catalog_tree["manyi"]]
    response = client.get(reverse("catalog:trim_list"))
    assert response.context["paginator"].count == 3


def test_consultant_gets_403_on_every_manage_page(catalog_tree, users, client_for):
    client = client_for(users.consultant)
    for url in manage_urls(catalog_tree):
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("catalog:brand_create"), {"name": "红旗"})
    assert response.status_code == 403
    response = client.post(reverse("catalog:import"), {"file": build_xlsx([])})
    assert response.status_code == 403
    assert not Brand.objects.filter(name="红旗").exists()


def test_anonymous_is_sent_to_login(catalog_tree, client):
    response = client.get(reverse("catalog:index"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_admin_can_open_every_manage_page(catalog_tree, users, client_for):
    client = client_for(users.admin)
    for url in manage_urls(catalog_tree):
        assert client.get(url).status_code == 200, url


def test_admin_creates_the_whole_tree(users, client_for):
    client = client_for(users.admin)
    response = client.post(
        reverse("catalog:brand_create"), {"name": "红旗", "name_en": "Hongqi", "code": "hongqi", "country": "中国"}
    )
    brand = Brand.objects.get(name="红旗")
    assert response.status_code == 302 and response["Location"] == brand.get_absolute_url()

    assert (
        client.get(reverse("catalog:series_create"), {"brand": brand.pk}).context["form"].initial["brand"] == brand.pk
    )
    client.post(
        reverse("catalog:series_create"),
        {"brand": brand.pk, "name": "H5", "segment": "sedan", "energy_type": "fuel", "is_active": "on"},
    )
    series = Series.objects.get(name="H5")
    client.post(reverse("catalog:model_create"), {"series": series.pk, "name": "H5", "model_year": 2025})
    model = VehicleModel.objects.get(series=series)
    response = client.post(
        reverse("catalog:trim_create"),
        {"model": model.pk, "name": "1.5T 智联旗畅版", "guide_price": "159800", "is_active": "on"},
    )
    trim = Trim.objects.get(model=model)
    assert response["Location"] == trim.get_absolute_url()
    assert trim.guide_price == Decimal("159800")
    actions = set(AuditLog.objects.filter(actor=users.admin).values_list("action", flat=True))
    assert {"brand.create", "series.create", "vehicle_model.create", "trim.create"} <= actions


def test_admin_edits_a_trim(catalog_tree, users, client_for):
    client = client_for(users.admin)
    trim = catalog_tree["manyi"]
    response = client.post(
        reverse("catalog:trim_update", args=[trim.pk]),
        {"model": trim.model_id, "name": trim.name, "guide_price": "119900"},
    )
    assert response.status_code == 302
    trim.refresh_from_db()
    assert trim.guide_price == Decimal("119900") and trim.is_active is False  # unchecked box: off sale
    assert AuditLog.objects.get(action="trim.update").changes.keys() == {"guide_price", "is_active"}


def test_form_errors_are_shown_not_saved(catalog_tree, users, client_for):
    client = client_for(users.admin)
    with translation.override("en"):
        response = client.post(reverse("catalog:brand_create"), {"name": "大众"})
    assert response.status_code == 200
    assert response.context["form"].errors
    response = client.post(
        reverse("catalog:trim_create"),
        {"model": catalog_tree["han_2025"].pk, "name": "负价", "guide_price": "-5"},
    )
    assert response.status_code == 200 and "guide_price" in response.context["form"].errors
    assert not Trim.objects.filter(name="负价").exists()


def test_import_page_lists_bad_rows(users, client_for):
    client = client_for(users.admin)
    rows = [
        ("丰田", "卡罗拉", "卡罗拉", 2025, "1.5L 先锋版", 115800),
        ("", "卡罗拉", "卡罗拉", 2025, "1.5L 精英版", 125800),
        ("丰田", "卡罗拉", "卡罗拉", 2025, "1.5L 旗舰版", "面议"),
    ]
    response = client.post(reverse("catalog:import"), {"file": build_xlsx(rows)})
    assert response.status_code == 200
    result = response.context["result"]
    assert result.imported_rows == 1 and [e.row for e in result.errors] == [3, 4]
    html = response.content.decode()
    assert 'id="import-error-row-3"' in html and 'id="import-error-row-4"' in html
    assert "面议" in html
    assert Trim.objects.count() == 1


def test_import_page_rejects_unreadable_and_non_xlsx_files(users, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(users.admin)
    response = client.post(reverse("catalog:import"), {"file": SimpleUploadedFile("prices.xls", b"old format")})
    assert response.status_code == 200 and "file" in response.context["form"].errors
    response = client.post(reverse("catalog:import"), {"file": SimpleUploadedFile("prices.xlsx", b"garbage")})
    assert response.status_code == 200 and "file" in response.context["form"].errors
    assert "result" not in response.context


def test_template_download(users, client_for):
    response = client_for(users.admin).get(reverse("catalog:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    assert response.content[:2] == b"PK"


def test_navigation_items(catalog_tree, users, client_for):
    consultant = client_for(users.consultant).get(reverse("catalog:index"))
    keys = {item["key"] for item in items_for(consultant.wsgi_request)}
    assert "catalog" in keys and "catalog-import" not in keys
    admin = client_for(users.admin).get(reverse("catalog:index"))
    keys = {item["key"] for item in items_for(admin.wsgi_request)}
    assert {"catalog", "catalog-import"} <= keys
    assert 'data-nav="catalog"' in admin.content.decode()
