"""The showroom in the browser.

A receptionist registers a new visitor (found by phone as it is typed), a returning one, and a third
assigned from the rotation by hand, then records a departure on the board. A consultant orders a car
by its VIN for a walk-in of the day (brand → series → model → trim, price from the guide price),
confirms it, delivers it and opens the printable confirmation. Screenshots through ``shot``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import Brand, Series, Trim, VehicleModel
from leads.models import Customer
from showroom import services
from showroom.models import Order, RotationEntry, Visit
from tests.factories import make_member
from tests.showroom.conftest import make_vin

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def settle(page) -> None:
    """Wait until htmx has swapped and processed what it was loading (as a person would)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    page.wait_for_timeout(50)


@pytest.fixture
def showroom(store, known_users):
    """Two consultants in the rotation, a small catalog, and a customer who came last week."""
    first = known_users.consultant
    second = make_member(store, "consultant", username="a_consultant2", full_name="王芳")
    third = make_member(store, "consultant", username="a_consultant3", full_name="赵磊")
    for person in (first, second, third):
        services.rotation_set_state(actor=person, store=store, consultant=person, state=RotationEntry.State.AVAILABLE)
    brand = Brand.objects.create(name="大众", code="vw")
    series = Series.objects.create(brand=brand, name="朗逸")
    model = VehicleModel.objects.create(series=series, name="朗逸", model_year=2026)
    Trim.objects.create(model=model, name="1.5L 自动舒适版", guide_price=Decimal("119900"))
    trim = Trim.objects.create(model=model, name="1.5L 自动满逸版", guide_price=Decimal("129900"))
    earlier = services.visit_register(
        actor=known_users.reception,
        store=store,
        phone="13855556666",
        visitor_name="老客户孙先生",
        consultant=second,
        arrived_at=timezone.now() - dt.timedelta(days=6),
    )
    services.visit_depart(actor=known_users.reception, visit=earlier, at=earlier.arrived_at + dt.timedelta(hours=1))
    services.rotation_set_state(actor=second, store=store, consultant=second, state=RotationEntry.State.AVAILABLE)
    return {"first": first, "second": second, "trim": trim, "series": series, "brand": brand, "model": model}


def test_receptionist_registers_assigns_and_records_departure(page, live_server, sign_in, shot, known_users, showroom):
    first, second = showroom["first"], showroom["second"]
    sign_in(page, "a_reception")
    expect(page).to_have_url(re.compile(re.escape(reverse("showroom:board")) + r"$"))
    expect(page.locator("#no-parties")).to_be_visible()
    shot(page, "board-empty")

    # N opens the form; the phone look-up says: new customer, first visit, who receives.
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(re.escape(reverse("showroom:visit_register"))))
    expect(page.locator("#id_phone")).to_be_focused()
    page.keyboard.type("139 1234 0001")
    expect(page.locator("#lookup-new")).to_be_visible()
    expect(page.locator("#lookup-receiver")).to_contain_text(first.display_name)
    page.fill("#id_visitor_name", "周先生")
    page.fill("#id_party_size", "2")
    shot(page, "register-new")
    page.click("#save-visit")
    expect(page.locator(".alert-success")).to_contain_text("周先生")
    new = Visit.objects.get(visitor_name="周先生")
    assert new.is_first_visit and new.filed and new.consultant == first and new.party_size == 2

    # The returning customer: found at once, their own consultant receives them.
    page.fill("#id_phone", "138-5555-6666")
    expect(page.locator("#lookup-known")).to_be_visible()
    expect(page.locator("#lookup-kind")).to_have_text(re.compile("再次|Return"))
    expect(page.locator("#lookup-lead")).to_contain_text(second.display_name)
    expect(page.locator("#lookup-last-visit")).to_be_visible()
    shot(page, "register-returning")
    page.click("#save-visit")
    expect(page.locator(".alert-success")).to_be_visible()
    again = Visit.objects.filter(customer__phone="13855556666").latest("id")
    assert not again.is_first_visit and again.consultant == second

    # No phone, and the desk picks the consultant from the rotation list by hand.
    page.fill("#id_visitor_name", "看车的李女士")
    expect(page.locator("#lookup-none")).to_be_visible()
    page.locator("#register-queue .assign-button").first.click()
    chosen = int(page.locator("#id_consultant").input_value())
    page.click("#save-visit-board")
    expect(page).to_have_url(re.compile(re.escape(reverse("showroom:board")) + r"$"))
    anonymous = Visit.objects.get(visitor_name="看车的李女士")
    assert not anonymous.filed and anonymous.consultant_id == chosen

    # The board: three parties in the store; one leaves with a click.
    expect(page.locator("#parties tbody tr[data-visit]")).to_have_count(3)
    expect(page.locator("#fig-visits")).to_have_text("3")
    expect(page.locator("#fig-first")).to_have_text("2")
    expect(page.locator("#fig-retention-card")).to_have_attribute("title", re.compile("1 ÷ 2"))
    shot(page, "board-three-parties")
    page.click(f"#depart-{new.pk}")
    expect(page.locator(f"#party-{new.pk}")).to_have_count(0)
    expect(page.locator("#fig-in-store")).to_have_text("2")
    new.refresh_from_db()
    assert new.departed_at is not None
    shot(page, "board-after-departure")

    page.goto(f"{live_server.url}{reverse('showroom:rotation')}")
    expect(page.locator(f"#rotation-{first.pk}")).to_be_visible()
    shot(page, "rotation")

    page.click('[data-nav="visits"]')
    expect(page.locator("#visit-table tbody tr[id^=visit-]")).to_have_count(4)
    page.select_option("#id_filed", "0")
    page.click("#apply-filter")
    expect(page.locator("#visit-table tbody tr[id^=visit-]")).to_have_count(1)
    shot(page, "visit-list-not-filed")
    page.click('[data-nav="clerk-figures"]')
    expect(page.locator("#clerk-totals")).to_contain_text(known_users.reception.display_name)
    shot(page, "clerk-figures")


def test_consultant_orders_by_vin_and_delivers(page, live_server, sign_in, shot, store, known_users, showroom):
    first, trim = showroom["first"], showroom["trim"]
    visit = services.visit_register(
        actor=known_users.reception, store=store, phone="13912340002", visitor_name="吴先生"
    )
    assert visit.consultant == first
    vin = make_vin()
    sign_in(page, "a_consultant")
    page.goto(f"{live_server.url}{reverse('showroom:order_create')}?lead={visit.lead_id}")
    expect(page.locator("#order-buyer")).to_contain_text("吴先生")

    # A typo in the VIN is explained; the right one is accepted.
    page.fill("#id_vin", vin[:8] + ("0" if vin[8] != "0" else "1") + vin[9:])
    expect(page.locator("#vin-check-error")).to_be_visible()
    page.fill("#id_vin", vin.lower())
    expect(page.locator("#vin-check-ok")).to_be_visible()

    # Brand → series → model → trim; the guide price fills the price.
    page.select_option("#id_pick_brand", str(showroom["brand"].pk))
    expect(page.locator("#id_pick_series")).to_be_enabled()
    settle(page)
    page.select_option("#id_pick_series", str(showroom["series"].pk))
    expect(page.locator("#id_pick_model")).to_be_enabled()
    settle(page)
    page.select_option("#id_pick_model", str(showroom["model"].pk))
    expect(page.locator("#id_trim")).to_be_enabled()
    settle(page)
    page.select_option("#id_trim", str(trim.pk))
    expect(page.locator("#picked-trim")).to_be_visible()
    expect(page.locator("#id_price")).to_have_value("129900.00")
    page.fill("#id_colour", "珍珠白")
    page.fill("#id_discount", "6000")
    page.fill("#id_deposit", "10000")
    shot(page, "order-form")
    page.click("#save-order")

    order = Order.objects.get()
    expect(page).to_have_url(re.compile(re.escape(reverse("showroom:order_detail", args=[order.pk]))))
    assert order.vin == vin and order.trim == trim and order.price == Decimal("129900")
    page.click("#confirm-order")
    expect(page.locator("#first-visit-deal")).to_be_visible()
    expect(page.locator("#id_vin")).to_have_value(vin)
    shot(page, "order-confirmed")
    page.click("#deliver-order")
    expect(page.locator("#order-delivered")).to_contain_text(vin)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED and order.delivered_vin == vin
    assert Customer.objects.get(phone="13912340002").leads.get().status == "delivered"
    shot(page, "order-delivered")

    page.goto(f"{live_server.url}{reverse('showroom:order_print', args=[order.pk])}")
    expect(page.locator("#print-store")).to_have_text(store.name)
    expect(page.locator("#signatures")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("#print-now")).to_be_hidden()
    shot(page, "order-print")
