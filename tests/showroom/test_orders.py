"""Sales orders through the pages: for a lead and for a walk-in buyer, the VIN check, status rules,
first-visit deals, DCC sales, delivery, search, the vehicle picker."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from leads import services as lead_services
from leads.models import Customer, LeadStatus
from showroom import services
from showroom.models import Order
from tests.showroom.conftest import make_vin, next_phone, wrong_check_digit

pytestmark = pytest.mark.django_db


def order_form(trim, **extra):
    data = {"trim": trim.pk, "price": "119900", "discount": "5000", "deposit": "10000", "payment": "full"}
    data.update(extra)
    return data


@pytest.fixture
def walk_in(store, users, consultants):
    """A first visit today, received by the first consultant."""
    return services.visit_register(actor=users.reception, store=store, phone=next_phone(), visitor_name="钱先生")


def test_order_by_vin_confirm_first_visit_deal_and_delivery(client_for, walk_in, trim):
    seller = client_for(walk_in.consultant)
    url = reverse("showroom:order_create") + f"?lead={walk_in.lead_id}"
    html = seller.get(url).content.decode()
    assert 'id="order-buyer"' in html and walk_in.lead.customer.name in html

    vin = make_vin()
    response = seller.post(url, order_form(trim, vin=wrong_check_digit(vin), lead=walk_in.lead_id))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="error-vin"' in html
    assert not Order.objects.exists()

    response = seller.post(url, order_form(trim, vin=vin.lower(), lead=walk_in.lead_id, colour="珍珠白"))
    order = Order.objects.get()
    assert response.status_code == 302 and response.url == reverse("showroom:order_detail", args=[order.pk])
    assert order.vin == vin and order.status == Order.Status.DRAFT and order.seller == walk_in.consultant

    seller.post(reverse("showroom:order_confirm", args=[order.pk]))
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED and order.is_first_visit_deal
    html = seller.get(reverse("showroom:order_detail", args=[order.pk])).content.decode()
    assert 'id="first-visit-deal"' in html and 'id="deliver-form"' in html

    # Confirming twice is refused with a message, not an error page.
    response = seller.post(reverse("showroom:order_confirm", args=[order.pk]), follow=True)
    assert response.status_code == 200 and "alert-danger" in response.content.decode()

    other = make_vin()
    response = seller.post(reverse("showroom:order_deliver", args=[order.pk]), {"vin": other})
    assert response.status_code == 200 and 'id="error-vin"' in response.content.decode()
    response = seller.post(reverse("showroom:order_deliver", args=[order.pk]), {"vin": vin})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED and order.delivered_vin == vin
    assert order.lead.status == LeadStatus.DELIVERED


def test_order_without_vin_gets_it_at_delivery(client_for, walk_in, trim):
    seller = client_for(walk_in.consultant)
    seller.post(reverse("showroom:order_create"), order_form(trim, lead=walk_in.lead_id))
    order = Order.objects.get()
    services.order_confirm(actor=walk_in.consultant, order=order)
    response = seller.post(reverse("showroom:order_deliver", args=[order.pk]), {"vin": "LSVAU0339N20"})
    assert response.status_code == 200 and "17" in response.content.decode()
    vin = make_vin()
    seller.post(reverse("showroom:order_deliver", args=[order.pk]), {"vin": vin})
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED and order.vin == vin == order.delivered_vin


def test_a_car_cannot_be_on_two_live_orders(client_for, store, users, consultants, trim):
    first, _second = consultants
    vin = make_vin()
    one = services.visit_register(actor=users.reception, store=store, phone=next_phone())
    two = services.visit_register(actor=users.reception, store=store, phone=next_phone(), consultant=first)
    services.order_create(actor=first, lead=one.lead, trim=trim, price=Decimal("100000"), vin=vin)
    response = client_for(first).post(reverse("showroom:order_create"), order_form(trim, lead=two.lead_id, vin=vin))
    assert response.status_code == 200 and 'id="error-vin"' in response.content.decode()


def test_cancel_needs_a_reason_and_delivered_orders_stay(client_for, walk_in, trim):
    seller = client_for(walk_in.consultant)
    order = services.order_create(actor=walk_in.consultant, lead=walk_in.lead, trim=trim, price=Decimal("119900"))
    response = seller.post(reverse("showroom:order_cancel", args=[order.pk]), {"reason": ""})
    assert response.status_code == 200 and 'id="error-reason"' in response.content.decode()
    # A draft cannot be delivered: the order page says why.
    response = seller.post(reverse("showroom:order_deliver", args=[order.pk]), {"vin": make_vin()}, follow=True)
    assert response.status_code == 200 and "alert-danger" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT
    response = seller.post(reverse("showroom:order_cancel", args=[order.pk]), {"reason": "客户改变主意"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and order.cancel_reason == "客户改变主意"
    response = seller.post(reverse("showroom:order_confirm", args=[order.pk]), follow=True)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED


def test_walk_in_buyer_is_found_or_created_and_their_profile_saved(client_for, store, users, consultants, trim):
    first, second = consultants
    seller = client_for(first)
    url = reverse("showroom:order_create")
    html = seller.get(url).content.decode()
    assert 'name="buyer-phone"' in html
    phone = next_phone()
    data = order_form(trim, **{"buyer-phone": phone, "buyer-name": "冯女士", "buyer-wechat": "feng88"})
    response = seller.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    customer = Customer.objects.get(phone=phone)
    order = Order.objects.get()
    assert customer.wechat == "feng88" and order.customer == customer and order.lead.owner == first

    # An existing customer of this consultant: found, profile edited, empty fields keep their values.
    order.status = Order.Status.CANCELLED
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    data = order_form(trim, **{"buyer-phone": phone, "buyer-name": "冯女士", "buyer-address": "杭州市文三路 1 号"})
    assert seller.post(url, data).status_code == 302
    customer.refresh_from_db()
    assert customer.address == "杭州市文三路 1 号" and customer.wechat == "feng88"
    assert Customer.objects.filter(phone=phone).count() == 1

    # Another consultant's customer: refused with the owner's name, nothing created.
    response = client_for(second).post(url, order_form(trim, **{"buyer-phone": phone, "buyer-name": "冯女士"}))
    assert response.status_code == 200 and first.display_name in response.content.decode()
    assert Order.objects.count() == 2


def test_walk_in_buyer_with_a_bad_order_files_nobody(client_for, consultants, trim):
    phone = next_phone()
    data = order_form(trim, **{"buyer-phone": phone, "buyer-name": "褚先生"}, vin=wrong_check_digit(make_vin()))
    response = client_for(consultants[0]).post(reverse("showroom:order_create"), data)
    assert response.status_code == 200 and 'id="error-vin"' in response.content.decode()
    assert not Customer.objects.filter(phone=phone).exists()
    response = client_for(consultants[0]).post(
        reverse("showroom:order_create"), order_form(trim, **{"buyer-phone": "1380013", "buyer-name": "褚先生"})
    )
    assert 'id="error-buyer-phone"' in response.content.decode()


def test_buyer_lookup(client_for, store, consultants, walk_in):
    first, second = consultants
    url = reverse("showroom:buyer_lookup")
    phone = walk_in.phone
    html = client_for(first).get(url, {"buyer-phone": phone}).content.decode()
    assert 'id="buyer-known"' in html and 'hx-swap-oob="true"' in html
    html = client_for(second).get(url, {"buyer-phone": phone}).content.decode()
    assert 'id="buyer-foreign"' in html and "hx-swap-oob" not in html
    html = client_for(first).get(url, {"buyer-phone": next_phone()}).content.decode()
    assert 'id="buyer-new"' in html


def test_dcc_agent_order_is_a_dcc_sale(client_for, store, users, trim):
    lead = lead_services.customer_with_lead_create(
        actor=users.dcc_agent,
        store=store,
        customer_data={"name": "周八", "phone": next_phone()},
        lead_data={"source": lead_services.Source.objects.get(code="yiche")},
        owner=users.dcc_agent,
    )[1]
    agent = client_for(users.dcc_agent)
    response = agent.post(reverse("showroom:order_create") + f"?lead={lead.pk}", order_form(trim, lead=lead.pk))
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.is_dcc_sale
    assert 'id="dcc-sale"' in agent.get(reverse("showroom:order_detail", args=[order.pk])).content.decode()
    html = client_for(users.sales_manager).get(reverse("showroom:order_list"), {"dcc": "1"}).content.decode()
    assert order.number in html


def test_order_list_search_and_scoping(client_for, store, users, consultants, trim):
    first, second = consultants
    vin = make_vin()
    a = services.visit_register(actor=users.reception, store=store, phone="13912345678", visitor_name="蒋先生")
    b = services.visit_register(actor=users.reception, store=store, phone=next_phone(), visitor_name="沈女士")
    one = services.order_create(actor=first, lead=a.lead, trim=trim, price=Decimal("100000"), vin=vin)
    two = services.order_create(actor=second, lead=b.lead, trim=trim, price=Decimal("100000"))
    manager = client_for(users.sales_manager)
    url = reverse("showroom:order_list")
    for q in (one.number, vin[-8:], "蒋先生", "5678"):
        html = manager.get(url, {"q": q}).content.decode()
        assert one.number in html and two.number not in html, q
    html = manager.get(url, {"status": "draft"}).content.decode()
    assert one.number in html and two.number in html
    # A consultant sees their own orders only; another's order is a 404.
    html = client_for(first).get(url).content.decode()
    assert one.number in html and two.number not in html
    assert client_for(first).get(reverse("showroom:order_detail", args=[two.pk])).status_code == 404
    # Customer service reads every order of the store.
    html = client_for(users.cs_agent).get(url).content.decode()
    assert one.number in html and two.number in html


def test_order_list_dates_are_created_confirmed_or_delivered_and_status_can_leave_out_the_cancelled(
    client_for, store, users, trim
):
    """The range applies to the chosen date, newest first by it, and the table shows that date."""
    from django.utils import timezone

    from tests.reports import builders as b

    def order_on(confirmed, **extra):
        return b.order(b.lead(store, users.consultant, b.at("2026-10-01")), users.consultant, b.at(confirmed), **extra)

    october = order_on("2026-10-20", delivered=b.at("2026-11-02", "10:00"))
    november = order_on("2026-11-05")
    cancelled = order_on("2026-11-06", cancelled=True)
    Order.objects.filter(pk=october.pk).update(created_at=b.at("2026-10-18"))
    Order.objects.filter(pk__in=[november.pk, cancelled.pk]).update(created_at=timezone.now())
    manager = client_for(users.sales_manager)
    url = reverse("showroom:order_list")

    def listed(**params):
        page = manager.get(url, params)
        assert page.status_code == 200
        return [order.pk for order in page.context["orders"]], page

    november_range = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
    assert listed(dates="confirmed", **november_range)[0] == [cancelled.pk, november.pk]
    assert listed(dates="confirmed", status="live", **november_range)[0] == [november.pk]
    pks, page = listed(dates="delivered", **november_range)
    assert pks == [october.pk]
    assert page.context["date_field"] == "delivered_at"
    assert "2026-11-02 10:00" in page.content.decode()
    assert set(listed(dates="created", date_from="2026-10-01", date_to="2026-10-31")[0]) == {october.pk}
    assert listed(status="live")[0] == [november.pk, october.pk]  # no range: by creation, newest first
    assert manager.get(url, {"dates": "shipped"}).status_code == 200  # an unknown choice is ignored, not a 500


def test_order_list_says_which_date_it_could_not_read_and_keeps_it(client_for, users):
    page = client_for(users.sales_manager).get(reverse("showroom:order_list"), {"date_from": "2026-13-45", "q": "蒋"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "输入一个有效的日期" in html  # Django's own message, in Chinese, under the field
    assert 'value="2026-13-45"' in html and 'value="蒋"' in html  # what was typed stays in the form


def test_vehicle_picker_and_vin_check(client_for, store, users, consultants, trim, demo_car):
    seller = client_for(consultants[0])
    url = reverse("showroom:vehicle_picker")
    series = trim.model.series
    html = seller.get(url, {"pick_brand": series.brand_id, "changed": "brand"}).content.decode()
    assert f'<option value="{series.pk}"' in html and "autofocus" in html
    html = seller.get(
        url, {"pick_brand": series.brand_id, "pick_series": series.pk, "pick_model": trim.model_id, "changed": "model"}
    ).content.decode()
    assert f'value="{trim.pk}" data-price="119900.00"' in html
    html = seller.get(url, {"trim": trim.pk}).content.decode()
    assert f'value="{trim.pk}" data-price="119900.00" selected' in html and f'value="{series.pk}" selected' in html

    check = reverse("showroom:vin_check")
    html = seller.get(check, {"vin": wrong_check_digit(make_vin())}).content.decode()
    assert 'id="vin-check-error"' in html
    html = seller.get(check, {"vin": demo_car.vin, "picker": "1"}).content.decode()
    assert 'id="vin-check-ok"' in html and 'hx-swap-oob="true"' in html and f'value="{trim.pk}"' in html
    assert client_for(users.reception).get(check, {"vin": demo_car.vin}).status_code == 403


def test_price_is_prefilled_from_the_guide_price_on_the_page(client_for, walk_in, trim):
    html = client_for(walk_in.consultant).get(reverse("showroom:order_create") + f"?lead={walk_in.lead_id}").content
    assert b"prefilled" in html and b"htmx:afterSettle" in html and b"data-price" not in html  # no model yet


def test_demo_car_pages(client_for, store, users, trim):
    manager = client_for(users.sales_manager)
    url = reverse("showroom:demo_vehicle_create")
    response = manager.post(url, {"plate": "沪A·D1234", "vin": wrong_check_digit(make_vin()), "trim": trim.pk})
    assert response.status_code == 200 and 'id="error-vin"' in response.content.decode()
    vin = make_vin()
    response = manager.post(url, {"plate": "沪A·D1234", "vin": vin, "trim": trim.pk, "is_active": "on"})
    assert response.status_code == 302
    html = manager.get(reverse("showroom:demo_vehicle_list")).content.decode()
    assert "沪A·D1234" in html and vin in html
    response = manager.post(
        reverse("showroom:settings"), {"timely_minutes": 15, "cross_check_hours": 24, "order_prefix": "XS"}
    )
    assert response.status_code == 302
    from showroom.selectors import showroom_settings

    assert showroom_settings(store).order_prefix == "XS"


def test_test_drive_page_records_a_drive(client_for, walk_in, demo_car):
    from showroom.models import TestDrive

    seller = client_for(walk_in.consultant)
    url = reverse("showroom:test_drive_create") + f"?lead={walk_in.lead_id}"
    data = {"vehicle": demo_car.pk, "route": "市区环线", "started_at": "2026-01-01T10:00", "lead": walk_in.lead_id}
    response = seller.post(url, data)
    assert response.status_code == 200 and 'id="error-licence_checked"' in response.content.decode()
    data.update(licence_checked="on", vehicle_checked="on", feedback="满意")
    response = seller.post(url, data)
    assert response.status_code == 302 and response.url == reverse("leads:customer_detail", args=[walk_in.customer_id])
    drive = TestDrive.objects.get()
    assert drive.feedback == "满意" and drive.follow_up is not None
