"""The quarter's feedback for the manufacturer: the same rows on screen and in Excel; export needs the grant."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from accounts.models import AuditLog
from complaints import selectors

from .conftest import register

pytestmark = pytest.mark.django_db


def test_quarter_bounds():
    import datetime as dt

    assert selectors.quarter_bounds(2026, 1) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert selectors.quarter_bounds(2026, 4) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))


def test_quarter_page_and_export(client_for, store, users, delivered_order):
    from django.utils import timezone

    register(store, users, delivered_order)
    today = timezone.localdate()
    query = {"year": today.year, "quarter": (today.month - 1) // 3 + 1}
    agent = client_for(users.cs_agent)
    html = agent.get(reverse("complaints:quarter"), query).content.decode()
    assert 'id="quarter-table"' in html and 'id="quarter-export"' not in html
    assert agent.post(reverse("complaints:quarter"), query).status_code == 403
    assert agent.get(reverse("complaints:quarter"), {"year": "x", "quarter": "9"}).status_code == 200
    users.cs_agent.can_export = True
    users.cs_agent.save(update_fields=["can_export"])
    response = agent.post(reverse("complaints:quarter"), query)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    expected = selectors.quarter_feedback(store, query["year"], query["quarter"])
    assert len(rows) == len(expected) + 1
    delivery = [r for r in rows[1:] if r[2] == 1]
    assert delivery and AuditLog.objects.filter(action="complaints.export").exists()
    assert client_for(users.consultant).get(reverse("complaints:quarter")).status_code == 403
