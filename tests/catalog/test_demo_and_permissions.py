"""The demo catalog and the permissions the catalog migration seeds."""

import pytest

from accounts.models import Permission, Role
from accounts.permissions import ALL_ROLES
from catalog import demo
from catalog.models import Brand, Series, Trim, VehicleModel

pytestmark = pytest.mark.django_db


def test_permissions_are_granted_to_the_default_roles():
    view = Permission.objects.get(code="catalog.view_catalog")
    manage = Permission.objects.get(code="catalog.manage_catalog")
    assert set(Role.objects.filter(store=None, permissions=view).values_list("code", flat=True)) == set(ALL_ROLES)
    assert set(Role.objects.filter(store=None, permissions=manage).values_list("code", flat=True)) == {"admin"}


def test_role_users_hold_them_in_their_store(users, store):
    assert users.consultant.has_store_perm(store, "catalog.view_catalog")
    assert not users.consultant.has_store_perm(store, "catalog.manage_catalog")
    assert users.admin.has_store_perm(store, "catalog.manage_catalog")


def test_demo_catalog_is_realistic_and_idempotent():
    ctx: dict = {}
    demo.seed(ctx)
    counts = (Brand.objects.count(), Series.objects.count(), VehicleModel.objects.count(), Trim.objects.count())
    demo.seed(ctx)
    assert (Brand.objects.count(), Series.objects.count(), VehicleModel.objects.count(), Trim.objects.count()) == counts

    assert {"大众", "丰田", "本田", "比亚迪", "吉利", "别克", "奥迪", "宝马"} <= set(
        Brand.objects.values_list("name", flat=True)
    )
    assert set(Series.objects.filter(brand__name="大众").values_list("name", flat=True)) == {
        "朗逸",
        "速腾",
        "迈腾",
        "帕萨特",
        "途观L",
        "ID.4 CROZZ",
    }
    assert len(ctx["catalog_series"]) == Series.objects.count()
    assert all(isinstance(s, Series) for s in ctx["catalog_series"])
    assert set(VehicleModel.objects.values_list("model_year", flat=True)) <= {2025, 2026}
    for series in Series.objects.all():
        trims = Trim.objects.filter(model__series=series).count()
        assert 2 <= trims <= 4, series
        assert series.segment and series.energy_type, series
    prices = list(Trim.objects.values_list("guide_price", flat=True))
    assert min(prices) >= 50_000 and max(prices) <= 600_000
    assert Series.objects.get(name="ID.4 CROZZ").energy_type == "ev"
    assert Series.objects.get(name="秦PLUS DM-i").energy_type == "phev"
