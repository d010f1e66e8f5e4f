"""The showroom's main road through the services: desk, rotation, board figures, order, delivery."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from freezegun import freeze_time

from catalog.models import Brand, Series, Trim, VehicleModel
from leads import services as lead_services
from leads.models import Appointment, Grade, LeadStatus, Task
from showroom import selectors, services, signals
from showroom.models import Order, RotationEntry
from tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def trim(db):
    brand = Brand.objects.create(name="大众", code="vw")
    series = Series.objects.create(brand=brand, name="朗逸")
    model = VehicleModel.objects.create(series=series, name="朗逸 2026款", model_year=2026)
    return Trim.objects.create(model=model, name="1.5L 自动舒适版", guide_price=Decimal("119900"))


@pytest.fixture
def consultants(store, users):
    second = make_member(store, "consultant", username="a_consultant2")
    for user in (users.consultant, second):
        services.rotation_set_state(actor=user, store=store, consultant=user, state=RotationEntry.State.AVAILABLE)
    return users.consultant, second


def test_desk_registers_new_returning_and_anonymous_visitors(store, users, consultants):
    first, second = consultants
    visit = services.visit_register(
        actor=users.reception, store=store, phone="139 0000 1111", visitor_name="王先生", party_size=2
    )
    assert visit.is_first_visit and visit.filed and visit.customer.phone == "13900001111"
    assert visit.lead.status == LeadStatus.VISITED and visit.lead.first_visit_at == visit.arrived_at
    # Nobody had received a customer: the first in the queue got it and is now busy.
    assert visit.consultant == first
    assert RotationEntry.objects.get(consultant=first).state == RotationEntry.State.WITH_CUSTOMER
    assert [e.consultant for e in selectors.rotation_queue(store)] == [second]

    services.visit_depart(actor=users.reception, visit=visit)
    assert RotationEntry.objects.get(consultant=first).state == RotationEntry.State.AVAILABLE
    # Fairness: the one who waited longer is next.
    assert [e.consultant for e in selectors.rotation_queue(store)] == [second, first]

    again = services.visit_register(actor=users.reception, store=store, phone="+8613900001111")
    assert not again.is_first_visit and again.consultant == first  # the lead's owner receives
    assert again.lead == visit.lead

    anonymous = services.visit_register(actor=users.reception, store=store, visitor_name="李女士")
    assert not anonymous.filed and anonymous.customer is None and anonymous.consultant == second

    with pytest.raises(ValidationError):
        services.visit_depart(actor=users.reception, visit=anonymous, at=anonymous.arrived_at - dt.timedelta(minutes=1))
    with pytest.raises(ValidationError):
        services.visit_register(actor=users.reception, store=store, phone="12345")

    figures = selectors.day_figures(store, timezone.localdate())
    assert figures.visits == 3 and figures.first_visits == 2
    assert figures.first_visit_no_deal == 2 and figures.retained == 1 and figures.retention_rate == 0.5


def test_manager_override_puts_a_consultant_first(store, users, consultants):
    first, second = consultants
    services.rotation_move_to_front(actor=users.sales_manager, store=store, consultant=second)
    assert selectors.rotation_queue(store)[0].consultant == second
    with pytest.raises(ValidationError):
        services.rotation_move_to_front(actor=first, store=store, consultant=first)


@freeze_time("2026-11-27 02:00:00")  # 10:00 in Shanghai: the appointment and the visit share the day
def test_visit_on_appointment_day_marks_it_arrived(store, users, consultants):
    first, _second = consultants
    customer, lead = lead_services.customer_with_lead_create(
        actor=first,
        store=store,
        customer_data={"name": "赵六", "phone": "13700001234"},
        lead_data={"source": lead_services.Source.objects.get(code="autohome")},
        owner=first,
    )
    appointment = lead_services.appointment_create(
        actor=first, lead=lead, scheduled_at=timezone.now() + dt.timedelta(minutes=30), receiver=first
    )
    visit = services.visit_register(actor=users.reception, store=store, phone="13700001234")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED and visit.appointment == appointment
    assert visit.is_first_visit  # an online lead that never came before


def test_order_confirm_first_visit_deal_and_delivery(store, users, consultants, trim):
    first, _second = consultants
    visit = services.visit_register(actor=users.reception, store=store, phone="13600002222", visitor_name="孙七")
    lead = visit.lead
    delivered = []
    signals.order_delivered.connect(
        lambda sender, order, **kw: delivered.append(order.pk), weak=False, dispatch_uid="t"
    )
    try:
        with pytest.raises(ValidationError) as exc:
            services.order_create(actor=first, lead=lead, trim=trim, price=Decimal("119900"), vin="LSVAU033512345678")
        assert "vin" in exc.value.message_dict
        order = services.order_create(
            actor=first, lead=lead, trim=trim, price=Decimal("119900"), discount=Decimal("5000")
        )
        assert order.status == Order.Status.DRAFT and order.number.endswith("0001") and not order.is_dcc_sale
        services.order_confirm(actor=first, order=order)
        order.refresh_from_db()
        lead.refresh_from_db()
        assert order.is_first_visit_deal and lead.status == LeadStatus.ORDERED and lead.grade == Grade.O
        assert not Task.objects.filter(lead=lead, status=Task.Status.OPEN).exists()
        assert selectors.day_figures(store, timezone.localdate()).first_visit_no_deal == 0

        with pytest.raises(ValidationError):
            services.order_deliver(actor=first, order=order, vin="1M8GDM9AXKP042789")  # wrong check digit
        with pytest.raises(ValidationError):
            services.order_confirm(actor=first, order=order)
        from django.db import transaction

        with transaction.atomic():
            services.order_deliver(actor=first, order=order, vin="1M8GDM9AXKP042788")
        order.refresh_from_db()
        lead.refresh_from_db()
        assert order.status == Order.Status.DELIVERED and lead.status == LeadStatus.DELIVERED
    finally:
        signals.order_delivered.disconnect(dispatch_uid="t")


def test_cancelling_a_confirmed_order_returns_the_lead_to_following(store, users, consultants, trim):
    first, _second = consultants
    lead = services.visit_register(actor=users.reception, store=store, phone="13500003333").lead
    order = services.order_create(actor=first, lead=lead, trim=trim, price=Decimal("100000"))
    services.order_confirm(actor=first, order=order)
    with pytest.raises(ValidationError):
        services.order_cancel(actor=first, order=order, reason=" ")
    services.order_cancel(actor=first, order=order, reason="客户资金未到位")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.FOLLOWING and Task.objects.filter(lead=lead, status="open").exists()


def test_dcc_agent_sale_counts_as_dcc(store, users, trim):
    lead = lead_services.customer_with_lead_create(
        actor=users.dcc_agent,
        store=store,
        customer_data={"name": "周八", "phone": "13400004444"},
        lead_data={"source": lead_services.Source.objects.get(code="yiche")},
        owner=users.dcc_agent,
    )[1]
    order = services.order_create(actor=users.dcc_agent, lead=lead, trim=trim, price=Decimal("99000"))
    assert order.is_dcc_sale


def test_customer_page_offers_order_and_test_drive_to_the_owner(store, users, consultants, client_for):
    from django.urls import reverse

    first, _second = consultants
    visit = services.visit_register(actor=users.reception, store=store, phone="13300005555", visitor_name="吴九")
    page = client_for(first).get(reverse("leads:customer_detail", args=[visit.customer.pk])).content.decode()
    assert f"{reverse('showroom:order_create')}?lead={visit.lead.pk}" in page
    assert 'id="lead-action-test-drive"' in page
    # The receptionist may open nothing of it.
    assert client_for(users.reception).get(reverse("leads:customer_detail", args=[visit.customer.pk])).status_code in (
        403,
        404,
    )
