"""SSI scorecards: the month's score per person from the satisfaction callbacks; penalty under the
store's threshold or on a zero-score item, reward from its top threshold; the GM approves and exports."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from freezegun import freeze_time

from complaints import services
from complaints.models import Callback, ScorecardLine, SsiSettings
from tests.factories import make_member

from .conftest import deliver_order

pytestmark = pytest.mark.django_db
DAY = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


def survey(store, users, trim, capture, score_each: int, seller=None):
    with capture(execute=True):
        order = deliver_order(store, users, trim, at=DAY)
    if seller is not None:
        order.seller = seller
        order.save(update_fields=["seller"])
    questions = services.survey_questions_ensure(store)
    callback = Callback.objects.get(order=order, kind=Callback.Kind.SATISFACTION)
    with freeze_time(DAY + dt.timedelta(days=1)):
        services.callback_record(
            actor=users.cs_agent,
            callback=callback,
            reached=True,
            result="回访",
            scores={q.pk: score_each for q in questions},
        )


def test_thresholds_and_approval(client_for, store, users, trim, django_capture_on_commit_callbacks):
    cap = django_capture_on_commit_callbacks
    second = make_member(store, "consultant", username="a_consultant_ssi")
    survey(store, users, trim, cap, 10)  # consultant: 100
    survey(store, users, trim, cap, 7, seller=second)  # second: 70 → penalty
    SsiSettings.objects.create(store=store, penalty_below=80, reward_from=95)
    with pytest.raises(PermissionDenied):
        services.scorecard_build(actor=users.cs_agent, store=store, month=dt.date(2026, 3, 1))
    card = services.scorecard_build(actor=users.cs_manager, store=store, month=dt.date(2026, 3, 15))
    lines = {(line.person_id, line.role): line for line in card.lines.all()}
    assert lines[(users.consultant.pk, "consultant")].outcome == ScorecardLine.Outcome.REWARD
    assert lines[(second.pk, "consultant")].outcome == ScorecardLine.Outcome.PENALTY
    store_line = lines[(users.cs_manager.pk, "cs_manager")]
    assert float(store_line.score) == 85.0 and store_line.outcome == ScorecardLine.Outcome.NONE
    assert {role for _pk, role in lines} >= {"consultant", "sales_manager", "cs_manager", "cs_agent", "reception"}
    # A zero-score item is a penalty whatever the average.
    survey(store, users, trim, cap, 0)
    card = services.scorecard_build(actor=users.gm, store=store, month=dt.date(2026, 3, 1))
    line = card.lines.get(person=users.consultant, role="consultant")
    assert line.zero_items == 5 and line.outcome == ScorecardLine.Outcome.PENALTY
    with pytest.raises(PermissionDenied):
        services.scorecard_approve(actor=users.cs_manager, scorecard=card)
    services.scorecard_approve(actor=users.gm, scorecard=card)
    with pytest.raises(ValidationError):
        services.scorecard_build(actor=users.gm, store=store, month=dt.date(2026, 3, 1))

    gm = client_for(users.gm)
    html = gm.get(reverse("complaints:ssi"), {"month": "2026-03"}).content.decode()
    assert 'id="ssi-approved"' in html and 'data-outcome="penalty"' in html
    assert gm.post(reverse("complaints:ssi"), {"month": "2026-03", "step": "export"}).status_code == 403
    users.gm.can_export = True
    users.gm.save(update_fields=["can_export"])
    response = gm.post(reverse("complaints:ssi"), {"month": "2026-03", "step": "export"})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.active.max_row == card.lines.count() + 1


def test_ssi_pages(client_for, store, users):
    assert client_for(users.consultant).get(reverse("complaints:ssi")).status_code == 403
    manager = client_for(users.cs_manager)
    assert manager.get(reverse("complaints:ssi"), {"month": "garbage"}).status_code == 200
    response = manager.post(reverse("complaints:ssi"), {"month": "2026-02", "step": "build"})
    assert response.status_code == 302
    html = manager.get(reverse("complaints:ssi"), {"month": "2026-02"}).content.decode()
    assert 'id="ssi-table"' in html and 'id="ssi-approve"' not in html
    response = manager.post(reverse("complaints:ssi"), {"month": "2026-02", "step": "approve"}, follow=True)
    assert response.status_code == 403 or "alert-danger" in response.content.decode()
