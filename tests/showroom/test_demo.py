"""The demo traffic: made through the services, idempotent, with parties in the store right now."""

from __future__ import annotations

import pytest
from django.utils import timezone

from showroom import demo, selectors
from showroom import models as showroom_models
from showroom.models import Order, RotationEntry, Visit
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_demo_seed_is_realistic_and_idempotent(store, users, trim):
    make_member(store, "consultant", username="a_consultant2")
    make_member(store, "consultant", username="a_consultant3")
    demo.seed({"stores": [store]}, days=6)
    visits = Visit.objects.filter(store=store)
    total = visits.count()
    assert total >= 6 * 13
    assert visits.filter(filed=False).exists() and visits.filter(is_first_visit=False).exists()
    assert visits.filter(departed_at__isnull=True).count() == demo.IN_STORE_NOW
    assert not visits.filter(arrived_at__gt=timezone.now()).exists()
    assert showroom_models.TestDrive.objects.filter(store=store).exists()
    assert Order.objects.filter(store=store).exists()
    assert RotationEntry.objects.filter(store=store, state=RotationEntry.State.WITH_CUSTOMER).exists()
    # Registered a few minutes after arrival, not at seeding time.
    late = [v for v in visits if (v.registered_at - v.arrived_at).total_seconds() > 3600]
    assert not late
    figures = selectors.day_figures(store, timezone.localdate())
    assert figures.parties_in_store == demo.IN_STORE_NOW

    demo.seed({"stores": [store]}, days=6)
    assert Visit.objects.filter(store=store).count() == total
