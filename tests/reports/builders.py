"""Hand-built datasets for report tests: rows with exactly the timestamps a test needs.

These write rows directly (not through services) because a report test must place each event on a
chosen Beijing day and hour — including the first and last minute of a period — which the services,
stamping ``now``, cannot do. Every function returns the row it made.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from catalog.models import Brand, Series, Trim, VehicleModel
from leads.models import Appointment, Customer, FollowUp, Lead, LeadStatus, LostReason, LostRequest, Source, Task
from showroom.models import Order, TestDrive, Visit

BEIJING = ZoneInfo("Asia/Shanghai")
_serial = itertools.count(1)


def at(day: str, time: str = "10:00") -> dt.datetime:
    """An aware datetime from a Beijing wall-clock ``YYYY-MM-DD`` and ``HH:MM``."""
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=BEIJING)


def source(code: str = "walk-in-test", category: str = Source.Category.WALK_IN, parent=None) -> Source:
    return Source.objects.get_or_create(code=code, defaults={"name": code, "category": category, "parent": parent})[0]


def series(name: str = "朗逸", brand: str = "大众") -> Series:
    brand_row = Brand.objects.get_or_create(name=brand, defaults={"code": f"b{next(_serial)}"})[0]
    return Series.objects.get_or_create(brand=brand_row, name=name)[0]


def trim(series_row: Series | None = None) -> Trim:
    series_row = series_row or series()
    model = VehicleModel.objects.get_or_create(series=series_row, name=f"{series_row.name} 2026款", model_year=2026)[0]
    return Trim.objects.get_or_create(model=model, name="1.5L", defaults={"guide_price": Decimal("119900")})[0]


def reason(code: str = "price", kind: str = LostReason.Kind.LOST, name: str | None = None, competitor=False):
    return LostReason.objects.get_or_create(
        code=code, defaults={"kind": kind, "name": name or code, "needs_competitor": competitor}
    )[0]


def customer(store, name: str = "客户", phone: str | None = None) -> Customer:
    return Customer.objects.create(store=store, name=name, phone=phone or f"139{next(_serial):08d}")


def lead(
    store,
    owner,
    when: dt.datetime,
    *,
    src=None,
    series_row=None,
    status=LeadStatus.FOLLOWING,
    grade="B",
    cust=None,
    **fields,
) -> Lead:
    row = Lead.objects.create(
        store=store,
        customer=cust or customer(store),
        owner=owner,
        source=src or source(),
        series=series_row,
        status=status,
        grade=grade,
        **fields,
    )
    Lead.objects.filter(pk=row.pk).update(created_at=when)
    row.refresh_from_db()
    return row


def follow_up(
    lead_row, author, when: dt.datetime, *, channel=FollowUp.Channel.PHONE, result=FollowUp.Result.CONTACTED
) -> FollowUp:
    row = FollowUp.objects.create(
        store=lead_row.store,
        lead=lead_row,
        author=author,
        channel=channel,
        content="跟进",
        result=result,
        grade_before=lead_row.grade,
        grade_after=lead_row.grade,
    )
    FollowUp.objects.filter(pk=row.pk).update(created_at=when)
    return row


def appointment(
    lead_row,
    creator,
    when: dt.datetime,
    scheduled: dt.datetime,
    *,
    status=Appointment.Status.SCHEDULED,
    origin=Appointment.Origin.SHOWROOM,
    arrived_at=None,
) -> Appointment:
    row = Appointment.objects.create(
        store=lead_row.store,
        lead=lead_row,
        scheduled_at=scheduled,
        receiver=creator,
        created_by=creator,
        origin=origin,
        status=status,
        arrived_at=arrived_at,
    )
    Appointment.objects.filter(pk=row.pk).update(created_at=when)
    return row


def visit(
    store,
    consultant,
    when: dt.datetime,
    *,
    lead_row=None,
    first=True,
    filed=True,
    left=None,
    party=1,
    src=None,
    series_row=None,
    registered_by=None,
    registered_at=None,
    test_drive=False,
) -> Visit:
    row = Visit.objects.create(
        store=store,
        consultant=consultant,
        arrived_at=when,
        departed_at=left,
        lead=lead_row,
        customer=lead_row.customer if lead_row else None,
        is_first_visit=first,
        filed=filed,
        party_size=party,
        source=src or (lead_row.source if lead_row else None),
        series=series_row,
        registered_by=registered_by or consultant,
        phone=lead_row.customer.phone if (lead_row and filed) else "",
        test_drive=test_drive,
    )
    Visit.objects.filter(pk=row.pk).update(registered_at=registered_at or when)
    return row


def order(
    lead_row,
    seller,
    confirmed: dt.datetime,
    *,
    trim_row=None,
    first_visit_deal=False,
    delivered=None,
    cancelled=False,
    dcc=False,
) -> Order:
    status = Order.Status.CANCELLED if cancelled else (Order.Status.DELIVERED if delivered else Order.Status.CONFIRMED)
    row = Order.objects.create(
        store=lead_row.store,
        number=f"T{next(_serial):06d}",
        lead=lead_row,
        customer=lead_row.customer,
        seller=seller,
        trim=trim_row or trim(),
        price=Decimal("119900"),
        status=status,
        is_first_visit_deal=first_visit_deal,
        confirmed_at=confirmed,
        delivered_at=delivered,
        is_dcc_sale=dcc,
        cancelled_at=confirmed + dt.timedelta(days=1) if cancelled else None,
    )
    Order.objects.filter(pk=row.pk).update(created_at=confirmed)
    return row


def test_drive(lead_row, consultant, when: dt.datetime) -> TestDrive:
    from showroom.models import DemoVehicle

    car = DemoVehicle.objects.filter(store=lead_row.store).first() or DemoVehicle.objects.create(
        store=lead_row.store, trim=trim(), plate=f"沪A{next(_serial):05d}", vin="LSVAU2180N2183294"
    )
    return TestDrive.objects.create(
        store=lead_row.store, lead=lead_row, vehicle=car, consultant=consultant, route="A", started_at=when
    )


def closed(
    lead_row,
    requester,
    decider,
    decided: dt.datetime,
    *,
    kind=LostReason.Kind.LOST,
    reason_row=None,
    brand="",
    model="",
    previous=LeadStatus.FOLLOWING,
) -> LostRequest:
    row = LostRequest.objects.create(
        store=lead_row.store,
        lead=lead_row,
        kind=kind,
        reason=reason_row or reason(kind=kind, code=f"r-{kind}"),
        competitor_brand=brand,
        competitor_model=model,
        previous_status=previous,
        status=LostRequest.Status.APPROVED,
        requested_by=requester,
        decided_by=decider,
        decided_at=decided,
    )
    LostRequest.objects.filter(pk=row.pk).update(requested_at=decided - dt.timedelta(hours=1))
    Lead.objects.filter(pk=lead_row.pk).update(
        status=LeadStatus.LOST if kind == LostReason.Kind.LOST else LeadStatus.INVALID
    )
    return row


def task(lead_row, assignee, due: dt.datetime, *, done: dt.datetime | None = None, kind=Task.Kind.FOLLOW_UP) -> Task:
    return Task.objects.create(
        store=lead_row.store,
        lead=lead_row,
        assignee=assignee,
        kind=kind,
        due_at=due,
        due_date=due.astimezone(BEIJING).date(),
        status=Task.Status.DONE if done else Task.Status.OPEN,
        done_at=done,
    )


def small_month(store, consultant, manager, source_code: str = "walk-in-small") -> list[Lead]:
    """A small November with something in every report: three leads, a follow-up, an invitation, two
    visits (one not filed), a test drive, an order, a lost lead approved by ``manager``, a task done."""
    walk_in = source(source_code)
    series_row = series("朗逸")
    leads = [
        lead(store, consultant, at(f"2026-11-{day:02d}", "10:00"), src=walk_in, series_row=series_row)
        for day in (2, 3, 5)
    ]
    follow_up(leads[0], consultant, at("2026-11-02", "15:00"))
    appointment(leads[0], consultant, at("2026-11-02", "15:05"), at("2026-11-04", "10:00"))
    visit(store, consultant, at("2026-11-04", "10:10"), lead_row=leads[0], left=at("2026-11-04", "11:40"))
    visit(store, consultant, at("2026-11-05", "14:00"), lead_row=leads[2], filed=False)
    test_drive(leads[0], consultant, at("2026-11-04", "10:40"))
    order(leads[0], consultant, at("2026-11-04", "11:20"), first_visit_deal=True)
    closed(leads[1], consultant, manager, at("2026-11-06"), reason_row=reason("price", name="价格"))
    task(leads[2], consultant, at("2026-11-06", "10:00"), done=at("2026-11-06", "16:00"))
    return leads
