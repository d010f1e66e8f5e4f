"""Every showroom page per role: the desk and the manager get in, a consultant gets 403 where the
page is not theirs, another store's objects are 404; the menu and the receptionist's landing page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from showroom import services
from showroom.models import Visit

pytestmark = pytest.mark.django_db

# url name → {role: expected status}
PAGES = {
    "showroom:board": {"reception": 200, "sales_manager": 200, "consultant": 200, "cs_agent": 403},
    "showroom:visit_register": {"reception": 200, "sales_manager": 200, "consultant": 403},
    "showroom:visit_list": {"reception": 200, "sales_manager": 200, "consultant": 403},
    "showroom:rotation": {"reception": 200, "sales_manager": 200, "consultant": 200, "cs_agent": 403},
    "showroom:order_list": {"reception": 403, "sales_manager": 200, "consultant": 200, "cs_agent": 200},
    "showroom:order_create": {"reception": 403, "sales_manager": 200, "consultant": 200},
    "showroom:clerk_figures": {"reception": 200, "sales_manager": 200, "consultant": 403},
    "showroom:demo_vehicle_list": {"reception": 403, "sales_manager": 200, "consultant": 403},
    "showroom:demo_vehicle_create": {"reception": 403, "sales_manager": 200, "consultant": 403},
}
CASES = [(name, role, status) for name, roles in PAGES.items() for role, status in roles.items()]


@pytest.mark.parametrize(("name", "role", "status"), CASES, ids=[f"{n}-{r}" for n, r, _s in CASES])
def test_pages_per_role(client_for, users, consultants, trim, name, role, status):
    response = client_for(users[role]).get(reverse(name))
    assert response.status_code == status, response.content[:500]


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("showroom:board"))
    assert response.status_code == 302 and "/login/" in response.url


def test_receptionist_lands_on_the_board_and_sees_the_menu(client_for, users):
    client = client_for(users.reception)
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302 and response.url == reverse("showroom:board")
    html = client.get(reverse("showroom:board")).content.decode()
    for key in ("showroom-board", "visit-new", "visits", "rotation", "clerk-figures"):
        assert f'data-nav="{key}"' in html
    assert 'data-nav="demo-cars"' not in html and 'data-nav="orders"' not in html


def test_manager_menu_has_orders_and_demo_cars(client_for, users):
    html = client_for(users.sales_manager).get(reverse("showroom:board")).content.decode()
    for key in ("orders", "demo-cars", "visits", "rotation"):
        assert f'data-nav="{key}"' in html


@pytest.fixture
def foreign_objects(other_store, other_users, trim):
    """A visit and an order of store B."""
    from leads import services as lead_services

    visit = services.visit_register(actor=other_users.reception, store=other_store, phone="13811112222")
    lead = lead_services.customer_with_lead_create(
        actor=other_users.consultant,
        store=other_store,
        customer_data={"name": "外店客户", "phone": "13822223333"},
        lead_data={"source": lead_services.Source.objects.get(code="walk_in")},
        owner=other_users.consultant,
    )[1]
    order = services.order_create(actor=other_users.consultant, lead=lead, trim=trim, price=Decimal("100000"))
    return visit, order


OBJECT_PAGES = [
    ("get", "showroom:visit_correct", "visit"),
    ("post", "showroom:visit_correct", "visit"),
    ("get", "showroom:visit_reassign", "visit"),
    ("post", "showroom:visit_depart", "visit"),
    ("get", "showroom:order_detail", "order"),
    ("get", "showroom:order_print", "order"),
    ("post", "showroom:order_confirm", "order"),
    ("post", "showroom:order_cancel", "order"),
    ("post", "showroom:order_deliver", "order"),
]


@pytest.mark.parametrize(("method", "name", "kind"), OBJECT_PAGES, ids=[f"{m}-{n}" for m, n, _k in OBJECT_PAGES])
def test_other_store_objects_are_404(client_for, users, foreign_objects, method, name, kind):
    visit, order = foreign_objects
    obj = visit if kind == "visit" else order
    for role in ("reception", "sales_manager", "gm"):
        response = getattr(client_for(users[role]), method)(reverse(name, args=[obj.pk]))
        assert response.status_code in (403, 404), (role, response.status_code)
    manager = client_for(users.sales_manager)
    assert getattr(manager, method)(reverse(name, args=[obj.pk])).status_code == 404


def test_other_store_visits_are_not_listed(client_for, users, foreign_objects):
    visit, order = foreign_objects
    html = client_for(users.reception).get(reverse("showroom:visit_list")).content.decode()
    assert f'id="visit-{visit.pk}"' not in html
    html = client_for(users.sales_manager).get(reverse("showroom:order_list")).content.decode()
    assert order.number not in html


def test_test_drive_form_needs_a_lead_the_consultant_works(client_for, users, consultants, demo_car):
    visit = services.visit_register(
        actor=users.reception, store=users.reception.memberships.first().store, phone="13899990000"
    )
    first, second = consultants
    url = reverse("showroom:test_drive_create") + f"?lead={visit.lead_id}"
    assert visit.lead.owner == first
    assert client_for(first).get(url).status_code == 200
    assert client_for(second).get(url).status_code == 404
    assert client_for(users.reception).get(url).status_code == 403


def test_printable_order_has_the_store_and_signature_lines(client_for, store, users, consultants, trim):
    store.address = "上海市浦东新区张杨路 1888 号"
    store.save()
    lead = services.visit_register(actor=users.reception, store=store, phone="13877776666", visitor_name="钱先生").lead
    order = services.order_create(actor=users.consultant, lead=lead, trim=trim, price=Decimal("119900"))
    html = client_for(users.consultant).get(reverse("showroom:order_print", args=[order.pk])).content.decode()
    assert store.name in html and store.address in html and order.number in html
    assert "@media print" in html and 'id="signatures"' in html


def test_board_shows_parties_with_elapsed_time(client_for, store, users, consultants):
    visit = services.visit_register(
        actor=users.reception, store=store, visitor_name="刘女士", arrived_at=timezone.now() - dt.timedelta(minutes=35)
    )
    html = client_for(users.reception).get(reverse("showroom:board")).content.decode()
    assert f'id="party-{visit.pk}"' in html and "刘女士" in html and "35′" in html
    assert Visit.objects.count() == 1


def test_board_row_per_viewer_phone_links_and_stay_colour(client_for, store, users, consultants):
    """The receiving consultant sees the full number and the order and test-drive links of their
    own party; the desk sees a masked number and the departure button; a long stay is in red."""
    first, _second = consultants
    visit = services.visit_register(
        actor=users.reception,
        store=store,
        phone="13912345678",
        visitor_name="王先生",
        arrived_at=timezone.now() - dt.timedelta(minutes=95),
    )
    assert visit.consultant == first and visit.lead.owner == first

    def row(html: str) -> str:
        return html.split(f'id="party-{visit.pk}"')[1].split("</tr>")[0]

    desk = row(client_for(users.reception).get(reverse("showroom:board")).content.decode())
    assert "139****5678" in desk and "13912345678" not in desk
    assert f'hx-post="{reverse("showroom:visit_depart", args=[visit.pk])}"' in desk
    assert "?lead=" not in desk
    assert 'class="text-danger fw-semibold"' in desk and "1:35" in desk and first.display_name in desk
    own = row(client_for(first).get(reverse("showroom:board")).content.decode())
    assert "13912345678" in own
    assert f'href="{reverse("showroom:test_drive_create")}?lead={visit.lead_id}"' in own
    assert f'href="{reverse("showroom:order_create")}?lead={visit.lead_id}"' in own
    assert "depart-button" not in own  # consultants do not register departures
