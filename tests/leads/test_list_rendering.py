"""The lead lists drawn from plain rows: what each row shows, a query count that does not grow with
the rows, filter options from the short-lived cache, and choice widgets drawn in Python."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import Brand, Series
from leads import services
from leads.models import Lead, LeadStatus, Source
from leads.widgets import fast_choice_widgets

pytestmark = pytest.mark.django_db


def new_lead(store, owner, name, phone, source="walk_in", series=None):
    _customer, lead = services.customer_with_lead_create(
        actor=owner,
        store=store,
        customer_data={"name": name, "phone": phone},
        lead_data={"source": Source.objects.get(code=source), "series": series, "purchase_time": "15d"},
        owner=owner,
    )
    return lead


@pytest.fixture
def langyi():
    return Series.objects.create(brand=Brand.objects.create(name="大众", code="vw"), name="朗逸")


def queries_for(client, url, **params) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def row_html(page: str, lead: Lead) -> str:
    return page.split(f'id="lead-{lead.pk}"')[1].split("</tr>")[0]


# --- My leads ---------------------------------------------------------------------------------------


def test_my_leads_row_shows_labels_times_link_and_overdue_mark(store, users, client_for, langyi):
    lead = new_lead(store, users.consultant, "赵一", "13800000001", source="autohome", series=langyi)
    late = timezone.now() - dt.timedelta(days=2)
    Lead.objects.filter(pk=lead.pk).update(next_follow_up_at=late)
    page = client_for(users.consultant).get(reverse("leads:my_leads")).content.decode()
    row = row_html(page, lead)
    assert f'href="{reverse("leads:customer_detail", args=[lead.customer_id])}"' in row
    assert "13800000001" in row  # the owner sees the full number
    assert "大众 朗逸" in row and "网络平台 · 汽车之家" in row
    assert timezone.localtime(late).strftime("%m-%d %H:%M") in row and "overdue" in row
    assert 'class="badge text-bg-warning">A<' in row  # grade A (within 15 days), its colour


def test_my_leads_query_count_does_not_grow_with_rows(store, users, client_for, langyi):
    client = client_for(users.consultant)
    url = reverse("leads:my_leads")
    new_lead(store, users.consultant, "客户0", "13900000000", series=langyi)
    client.get(url)  # the filter's option lists are cached from here on
    few, _page = queries_for(client, url)
    for i in range(1, 30):
        new_lead(store, users.consultant, f"客户{i}", f"139{i:08d}", source="dongchedi", series=langyi)
    many, page = queries_for(client, url)
    assert page.count('<tr id="lead-') == 30
    assert many == few


def test_my_leads_filter_options_come_from_the_cache(store, users, client_for, langyi):
    client = client_for(users.consultant)
    url = reverse("leads:my_leads")
    _count, page = queries_for(client, url)
    assert re.search(rf'<option value="{langyi.pk}">大众 朗逸</option>', page)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    tables = " ".join(q["sql"] for q in captured.captured_queries)
    assert '"catalog_series"."is_active"' not in tables and 'FROM "leads_source"' not in tables
    # A filter chosen is still checked against the database, and shown selected.
    response = client.get(url, {"series": langyi.pk, "source": Source.objects.get(code="walk_in").pk})
    assert re.search(rf'<option value="{langyi.pk}" selected>', response.content.decode())
    assert client.get(url, {"series": 999999}).context["filter"].errors


# --- The manager's lead list ------------------------------------------------------------------------


def test_lead_list_row_masks_phone_names_owner_and_offers_reopen(store, users, client_for, langyi):
    lead = new_lead(store, users.consultant, "钱二", "13800000002", series=langyi)
    lost = new_lead(store, users.consultant, "孙三", "13800000003")
    Lead.objects.filter(pk=lost.pk).update(status=LeadStatus.LOST)
    client = client_for(users.sales_manager)
    page = client.get(reverse("leads:lead_list")).content.decode()
    row = row_html(page, lead)
    assert "138****0002" in row and "13800000002" not in row
    assert users.consultant.display_name in row and "大众 朗逸" in row
    assert 'id="reopen-' not in row
    page = client.get(reverse("leads:lead_list"), {"status": LeadStatus.LOST}).content.decode()
    assert f'href="{reverse("leads:lead_reopen", args=[lost.pk])}"' in row_html(page, lost)


def test_lead_list_query_count_does_not_grow_with_rows(store, users, client_for, langyi):
    client = client_for(users.sales_manager)
    url = reverse("leads:lead_list")
    new_lead(store, users.consultant, "客户0", "13900000000", series=langyi)
    client.get(url)
    few, _page = queries_for(client, url)
    for i in range(1, 30):
        new_lead(store, users.consultant, f"客户{i}", f"139{i:08d}", source="yiche", series=langyi)
    many, page = queries_for(client, url)
    assert page.count('<tr id="lead-') == 30
    assert many == few


def test_lead_list_grade_counts_ignore_only_the_grade_filter(store, users, client_for):
    for i, purchase in enumerate(("7d", "7d", "15d")):
        _c, lead = services.customer_with_lead_create(
            actor=users.consultant,
            store=store,
            customer_data={"name": f"客户{i}", "phone": f"1390000000{i}"},
            lead_data={"source": Source.objects.get(code="walk_in"), "purchase_time": purchase},
            owner=users.consultant,
        )
    response = client_for(users.sales_manager).get(reverse("leads:lead_list"), {"grade": "H", "q": "客户"})
    counts = {grade.value: count for grade, count, _url in response.context["grade_counts"]}
    assert counts == {"H": 2, "A": 1}
    assert len(response.context["rows"]) == 2


def test_lead_list_counts_a_stores_grades_once_per_filter_for_a_while(store, users, client_for):
    new_lead(store, users.consultant, "客户1", "13900000001")
    client = client_for(users.sales_manager)
    url = reverse("leads:lead_list")

    def grade_count_queries(**params) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, params)
        assert response.context["open_count"] == 1
        return sum('COUNT("leads_lead"."grade")' in q["sql"] for q in captured.captured_queries)

    assert grade_count_queries() == 1
    assert grade_count_queries() == 0  # the same filters a moment later: counted already
    assert grade_count_queries(grade="A") == 0  # the chips ignore the grade filter
    assert grade_count_queries(q="客户") == 1  # other filters, other counts


def test_bulk_reassign_offers_the_owners_from_the_cache(store, users, client_for):
    client = client_for(users.sales_manager)
    page = client.get(reverse("leads:lead_list")).content.decode()
    select = page.split('name="to_user"')[1].split("</select>")[0]
    assert f'<option value="{users.consultant.pk}">{users.consultant.display_name}</option>' in select
    assert f'value="{users.cs_agent.pk}"' not in select


# --- Choice widgets drawn in Python -------------------------------------------------------------------


class ChoicesForm(forms.Form):
    one = forms.ChoiceField(
        choices=[("", "---"), ("x", "X <&>"), ("Group", [("g1", "G1"), ("g2", "G2")])],
        widget=forms.Select(attrs={"class": "form-select", "data-on": True, "data-off": False}),
    )
    many = forms.MultipleChoiceField(choices=[("h", "H"), ("a", 'A"')], widget=forms.SelectMultiple)
    ticks = forms.MultipleChoiceField(choices=[("h", "H"), ("a", "A")], widget=forms.CheckboxSelectMultiple)


def _squeeze(html: str) -> str:
    """Django's option templates add line breaks between tags; browsers ignore them."""
    return re.sub(r">\s+<", "><", re.sub(r">\s+(\S)", r"> \1", str(html)))


@pytest.mark.parametrize("data", [None, {"one": "g2", "many": ["h", "a"], "ticks": ["a"]}])
def test_fast_widgets_draw_the_markup_of_djangos_templates(data):
    django_form, fast_form = ChoicesForm(data), fast_choice_widgets(ChoicesForm(data))
    for name in ("one", "many"):
        assert _squeeze(fast_form[name]) == _squeeze(django_form[name])
    for ours, theirs in zip(fast_form["ticks"], django_form["ticks"], strict=True):
        assert ours.tag() == theirs.tag()
        assert _squeeze(ours) == _squeeze(theirs)
    one = str(fast_form["one"])
    assert " data-on " in one and "data-off" not in one and "X &lt;&amp;&gt;" in one


# --- Keyset paging --------------------------------------------------------------------------------------


@pytest.mark.parametrize("descending", [False, True])
def test_keyset_pages_walk_every_lead_once_in_order_with_ties_and_empty_dates(store, users, descending):
    from django.db.models import F

    from leads.manage_views import keyset_page

    same = timezone.now().replace(microsecond=0)
    dates = [same, same, same - dt.timedelta(days=1), None, same + dt.timedelta(days=2), None, same]
    for i, when in enumerate(dates):
        lead = new_lead(store, users.consultant, f"客户{i}", f"1370000000{i}")
        Lead.objects.filter(pk=lead.pk).update(next_follow_up_at=when)
    leads = Lead.objects.filter(store=store)
    ordering = (
        F("next_follow_up_at").desc(nulls_last=True) if descending else F("next_follow_up_at").asc(nulls_last=True)
    )
    expected = list(leads.order_by(ordering, "-id" if descending else "id").values_list("pk", flat=True))
    seen, cursor = [], None
    for _page in range(10):
        rows, cursor = keyset_page(leads, "next_follow_up_at", cursor, descending=descending, size=2)
        seen += [lead.pk for lead in rows]
        if cursor is None:
            break
    assert seen == expected
