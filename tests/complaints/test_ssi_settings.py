"""SSI settings in the app: the store's thresholds (penalty under a score, the zero-score item rule,
reward from a score) and its reward and penalty tables per role, edited by the customer-service manager
or the GM, audited, and copied into each line of a month's scorecard when it is built."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import AuditLog
from complaints import selectors, services
from complaints.models import ScorecardLine, SsiRole, SsiRoleRule, SsiSettings

from .test_ssi import survey

pytestmark = pytest.mark.django_db
MARCH = dt.date(2026, 3, 1)


def form_data(**overrides) -> dict:
    data = {"penalty_below": "80", "reward_from": "95", "penalty_on_zero_item": "on"}
    for role in SsiRole.values:
        data.update(
            {
                f"{role}-reward_amount": "300",
                f"{role}-reward_note": "月度奖励",
                f"{role}-penalty_amount": "200",
                f"{role}-penalty_note": "整改面谈",
            }
        )
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("role", ["cs_manager", "gm"])
def test_the_store_managers_edit_the_settings(client_for, store, users, role):
    url = reverse("complaints:ssi_settings")
    client = client_for(getattr(users, role))
    html = client.get(url).content.decode()
    assert 'id="ssi-role-table"' in html
    assert 'name="sales_manager-reward_amount"' in html and 'value="500.00"' in html  # the default line
    data = form_data(
        penalty_below="85",
        reward_from="98",
        penalty_on_zero_item=None,
        **{"consultant-reward_amount": "888", "reception-penalty_note": "通报批评"},
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    rules = SsiSettings.objects.get(store=store)
    assert (rules.penalty_below, rules.reward_from, rules.penalty_on_zero_item) == (85, 98, False)
    table = {rule.role: rule for rule in SsiRoleRule.objects.filter(store=store)}
    assert set(table) == set(SsiRole.values)
    assert table["consultant"].reward_amount == Decimal("888.00")
    assert table["reception"].penalty_note == "通报批评"
    entries = AuditLog.objects.filter(store=store, actor=getattr(users, role))
    assert entries.filter(action="ssi.settings").get().changes["penalty_below"] == [80, 85]
    assert entries.filter(action="ssi.rules").count() == 1
    # Saving the same again changes nothing and audits nothing.
    assert client.post(url, data).status_code == 302
    assert entries.filter(action__in=["ssi.settings", "ssi.rules"]).count() == 2
    # The page shows what was saved.
    html = client.get(url).content.decode()
    assert 'value="888.00"' in html and "通报批评" in html


@pytest.mark.parametrize("role", ["consultant", "cs_agent", "sales_manager", "reception"])
def test_other_roles_may_not(client_for, users, role):
    client = client_for(getattr(users, role))
    assert client.get(reverse("complaints:ssi_settings")).status_code == 403
    assert client.post(reverse("complaints:ssi_settings"), form_data()).status_code == 403
    assert not SsiSettings.objects.exists()


def test_bad_input_is_shown_on_the_form(client_for, store, users):
    client = client_for(users.gm, language="en")
    url = reverse("complaints:ssi_settings")
    response = client.post(url, form_data(penalty_below="90", reward_from="85"))
    html = response.content.decode()
    assert response.status_code == 200 and 'id="error-reward_from"' in html
    assert "cannot be under the penalty threshold" in html
    response = client.post(url, form_data(**{"cs_agent-penalty_amount": "-5"}))
    assert response.status_code == 200 and 'id="error-cs_agent-penalty_amount"' in response.content.decode()
    assert not SsiSettings.objects.exists() and not SsiRoleRule.objects.exists()


def test_the_services_check_the_right_and_the_values(store, other_store, users, other_users):
    with pytest.raises(PermissionDenied):
        services.ssi_settings_save(
            actor=users.cs_agent, store=store, penalty_below=80, reward_from=95, penalty_on_zero_item=True
        )
    with pytest.raises(PermissionDenied):  # a GM of another store
        services.ssi_role_rules_set(actor=other_users.gm, store=store, rules={"consultant": {"reward_amount": 1}})
    with pytest.raises(ValidationError) as error:
        services.ssi_role_rules_set(actor=users.gm, store=store, rules={"driver": {"reward_amount": 1}})
    assert "role" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.ssi_role_rules_set(actor=users.gm, store=store, rules={"consultant": {"reward_amount": "lots"}})
    assert "consultant-reward_amount" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.ssi_settings_save(
            actor=users.gm, store=store, penalty_below=101, reward_from=95, penalty_on_zero_item=True
        )
    services.ssi_role_rules_set(
        actor=users.cs_manager, store=store, rules={"consultant": {"reward_amount": "50", "reward_note": "小奖"}}
    )
    assert selectors.ssi_role_rules(store)["consultant"].reward_amount == Decimal("50.00")
    assert selectors.ssi_role_rules(store)["cs_agent"].pk is None  # not set: the default line
    assert selectors.ssi_role_rules(other_store)["consultant"].reward_amount == Decimal("300")


def test_the_scorecard_takes_the_thresholds_and_tables(
    client_for, store, users, trim, django_capture_on_commit_callbacks
):
    cap = django_capture_on_commit_callbacks
    survey(store, users, trim, cap, 9)  # the consultant's buyer: 90
    services.ssi_settings_save(actor=users.gm, store=store, penalty_below=92, reward_from=99, penalty_on_zero_item=True)
    services.ssi_role_rules_set(
        actor=users.gm,
        store=store,
        rules={
            "consultant": {
                "reward_amount": 888,
                "reward_note": "顾问奖",
                "penalty_amount": 150,
                "penalty_note": "顾问罚",
            },
            "cs_agent": {"reward_amount": 50, "reward_note": "客服奖", "penalty_amount": 66, "penalty_note": "客服罚"},
        },
    )
    card = services.scorecard_build(actor=users.cs_manager, store=store, month=MARCH)
    lines = {line.role: line for line in card.lines.filter(person__in=[users.consultant, users.cs_agent])}
    # 90 is under this store's 92: a penalty, with each role's own amount and words.
    assert lines["consultant"].outcome == ScorecardLine.Outcome.PENALTY
    assert (lines["consultant"].amount, lines["consultant"].consequence) == (Decimal("150.00"), "顾问罚")
    assert (lines["cs_agent"].amount, lines["cs_agent"].consequence) == (Decimal("66.00"), "客服罚")

    # Lower thresholds: 90 earns the reward.
    services.ssi_settings_save(actor=users.gm, store=store, penalty_below=80, reward_from=90, penalty_on_zero_item=True)
    card = services.scorecard_build(actor=users.cs_manager, store=store, month=MARCH)
    line = card.lines.get(person=users.consultant, role="consultant")
    assert (line.outcome, line.amount, line.consequence) == (ScorecardLine.Outcome.REWARD, Decimal("888.00"), "顾问奖")

    # A zero-score item: a penalty only while the store's rule says so.
    survey(store, users, trim, cap, 0)
    card = services.scorecard_build(actor=users.cs_manager, store=store, month=MARCH)
    assert card.lines.get(person=users.cs_agent).outcome == ScorecardLine.Outcome.PENALTY
    services.ssi_settings_save(
        actor=users.gm, store=store, penalty_below=40, reward_from=90, penalty_on_zero_item=False
    )
    card = services.scorecard_build(actor=users.cs_manager, store=store, month=MARCH)
    line = card.lines.get(person=users.cs_agent)  # the store's average: (90 + 0) / 2 = 45
    assert (line.outcome, line.amount, line.consequence) == (ScorecardLine.Outcome.NONE, None, "")

    # Approved, the month keeps what it was built with, whatever the tables say later.
    services.ssi_settings_save(
        actor=users.gm, store=store, penalty_below=50, reward_from=90, penalty_on_zero_item=False
    )
    card = services.scorecard_build(actor=users.cs_manager, store=store, month=MARCH)
    services.scorecard_approve(actor=users.gm, scorecard=card)
    services.ssi_role_rules_set(actor=users.gm, store=store, rules={"cs_agent": {"penalty_amount": 999}})
    line = card.lines.get(person=users.cs_agent)
    assert (line.outcome, line.amount, line.consequence) == (ScorecardLine.Outcome.PENALTY, Decimal("66.00"), "客服罚")

    # The page and the Excel file show the amounts.
    users.gm.can_export = True
    users.gm.save(update_fields=["can_export"])
    gm = client_for(users.gm)
    html = gm.get(reverse("complaints:ssi"), {"month": "2026-03"}).content.decode()
    assert "客服罚" in html and "66.00" in html and 'id="ssi-settings-link"' in html
    response = gm.post(reverse("complaints:ssi"), {"month": "2026-03", "step": "export"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert any(row[-2] == "66.00" and row[-1] == "客服罚" for row in rows[1:])
