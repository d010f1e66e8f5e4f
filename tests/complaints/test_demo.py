"""The demo customer service: made through the services on top of the showroom demo, idempotent."""

from __future__ import annotations

import pytest

from complaints import demo
from complaints.models import (
    Callback,
    Complaint,
    ComplaintStatus,
    FirstServiceInterval,
    Scorecard,
    ScorecardLine,
    SsiRoleRule,
)
from showroom import demo as showroom_demo
from showroom.models import Order
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_demo_seed_is_realistic_and_idempotent(store, users, trim):
    make_member(store, "consultant", username="a_consultant2")
    showroom_demo.seed({"stores": [store]}, days=20)
    assert Order.objects.filter(store=store, status=Order.Status.DELIVERED).exists()
    demo.seed({"stores": [store]})
    callbacks = Callback.objects.filter(store=store)
    assert callbacks.filter(done_at__isnull=False).exists() and callbacks.filter(done_at__isnull=True).exists()
    assert callbacks.filter(kind=Callback.Kind.SATISFACTION, score__isnull=False).exists()
    complaints = Complaint.objects.filter(store=store)
    assert complaints.count() >= 4
    assert complaints.filter(status=ComplaintStatus.ARCHIVED).exists()
    assert complaints.filter(media_or_legal=True).exists()
    assert complaints.filter(breached=True).exists()
    assert FirstServiceInterval.objects.filter(store=store, days=60).count() == 1
    assert SsiRoleRule.objects.filter(store=store).count() == 5
    assert Scorecard.objects.filter(store=store, approved_at__isnull=False).count() == 1
    assert ScorecardLine.objects.filter(scorecard__store=store, score__isnull=False).exists()
    counts = (callbacks.count(), complaints.count())
    demo.seed({"stores": [store]})
    assert (Callback.objects.filter(store=store).count(), Complaint.objects.filter(store=store).count()) == counts
