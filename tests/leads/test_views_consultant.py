"""The consultant's pages: new customer, my leads, the customer page and its actions, my tasks.

Assertions use element ids, names and data, not English sentences: the interface is translated.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team
from catalog.models import Brand, Series
from leads import services
from leads.models import (
    Appointment,
    Customer,
    FollowUp,
    FollowUpComment,
    Lead,
    LeadStatus,
    LostReason,
    LostRequest,
    Source,
    Task,
)
from leads.selectors import next_contact_default
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def new_lead(owner, store, phone="13812345678", name="张三", **lead_data):
    lead_data.setdefault("source", Source.objects.get(code="walk_in"))
    return services.customer_with_lead_create(
        actor=owner, store=store, customer_data={"name": name, "phone": phone}, lead_data=lead_data, owner=owner
    )


@pytest.fixture
def consultant2(store):
    return make_member(store, "consultant", username="a_consultant2", full_name="李四顾问")


@pytest.fixture
def own(users, store):
    """A customer and open lead of ``users.consultant``."""
    return new_lead(users.consultant, store)


def url(name, *args):
    return reverse(f"leads:{name}", args=args)


def html(response) -> str:
    return response.content.decode()


def followup_data(**overrides):
    data = {
        "channel": "phone",
        "content": "问了价格，周末想来看车",
        "result": "contacted",
        "grade": "A",
        "next_contact": "",
    }
    data.update(overrides)
    return data


# --- Who may open what -------------------------------------------------------------------------

PAGES = [
    # url name, needs a customer id, roles that open it, roles refused with 403
    ("customer_create", False, ["consultant", "reception", "sales_manager", "dcc_agent"], ["cs_agent", "gm", "admin"]),
    ("phone_check", False, ["consultant", "reception"], ["cs_agent", "gm"]),
    ("my_leads", False, ["consultant", "sales_supervisor", "dcc_agent"], ["reception", "cs_agent", "gm"]),
    ("my_tasks", False, ["consultant", "sales_manager"], ["reception", "cs_agent", "cs_manager"]),
    ("calendar", False, ["consultant"], ["reception", "cs_agent"]),
    ("customer_detail", True, ["consultant", "sales_manager", "gm"], ["reception", "cs_agent", "admin"]),
    ("customer_update", True, ["consultant", "sales_manager"], ["reception", "cs_agent", "gm"]),
]


@pytest.mark.parametrize(("name", "with_customer", "allowed", "refused"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_opens_for_its_roles_and_refuses_others(
    name, with_customer, allowed, refused, users, own, client_for
):
    customer, _lead = own
    path = url(name, customer.pk) if with_customer else url(name)
    for role in allowed:
        assert client_for(users[role]).get(path).status_code == 200, role
    for role in refused:
        assert client_for(users[role]).get(path).status_code == 403, role


def test_lead_pages_open_for_the_owner_and_refuse_others(users, own, client_for):
    _customer, lead = own
    path = url("lead_update", lead.pk)
    assert client_for(users.consultant).get(path).status_code == 200
    assert client_for(users.cs_agent).get(path).status_code == 403
    assert client_for(users.reception).get(path).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, own):
    customer, lead = own
    for path in (url("my_tasks"), url("customer_detail", customer.pk), url("followup_create", lead.pk)):
        response = client.post(path)
        assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_another_consultants_customer_is_a_404(users, own, consultant2, client_for):
    customer, lead = own
    client = client_for(consultant2)
    assert client.get(url("customer_detail", customer.pk)).status_code == 404
    assert client.get(url("customer_update", customer.pk)).status_code == 404
    assert client.get(url("lead_update", lead.pk)).status_code == 404
    assert client.post(url("followup_create", lead.pk), followup_data()).status_code == 404
    assert client.post(url("invite", lead.pk), {}).status_code == 404
    assert client.post(url("request_lost", lead.pk), {}).status_code == 404
    assert not FollowUp.objects.exists()
    # Nor is it in their lists.
    assert customer.name not in html(client.get(url("my_leads")))


def test_another_stores_customer_is_a_404(users, other_users, own, client_for):
    customer, lead = own
    appointment = services.appointment_create(
        actor=users.consultant,
        lead=lead,
        scheduled_at=timezone.now() + dt.timedelta(days=1),
        receiver=users.consultant,
    )
    for role in ("consultant", "sales_manager", "gm", "sales_supervisor"):
        client = client_for(other_users[role])
        assert client.get(url("customer_detail", customer.pk)).status_code in (403, 404), role
        assert client.post(url("followup_create", lead.pk), followup_data()).status_code in (403, 404), role
    client = client_for(other_users.sales_manager)
    assert client.get(url("customer_detail", customer.pk)).status_code == 404
    assert client.post(url("appointment_cancel", appointment.pk)).status_code == 404
    assert client.get(url("lead_create", customer.pk)).status_code == 404
    assert Appointment.objects.get().status == Appointment.Status.SCHEDULED


def test_the_desk_may_not_open_a_customer(users, own, client_for):
    customer, _lead = own
    assert client_for(users.reception).get(url("customer_detail", customer.pk)).status_code == 403


# --- New customer ------------------------------------------------------------------------------


def customer_post(**overrides):
    data = {
        "phone": "+86 139-1234 5678",
        "name": "王五",
        "gender": "m",
        "source": str(Source.objects.get(code="autohome").pk),
        "budget": "15-20万",
        "purchase_time": "15d",
        "household": "三口之家，太太决定",
        "best_time_to_call": "工作日晚上",
        "consent_marketing": "on",
        "need_confirmed": "on",
    }
    data.update(overrides)
    return data


def test_new_customer_form_has_phone_first_with_autofocus(users, client_for):
    page = html(client_for(users.consultant).get(url("customer_create")))
    phone_input = re.search(r'<input[^>]*id="id_phone"[^>]*>', page).group(0)
    assert "autofocus" in phone_input and 'hx-get="/leads/customers/phone-check/"' in phone_input
    assert page.index('id="id_phone"') < page.index('id="id_name"') < page.index('id="id_source"')
    # A consultant owns what they create: no owner field.
    assert 'name="owner"' not in page


def test_consultant_creates_a_customer_they_own(users, store, client_for):
    response = client_for(users.consultant).post(url("customer_create"), customer_post())
    customer = Customer.objects.get()
    assert response.status_code == 302 and response.url == url("customer_detail", customer.pk)
    assert customer.phone == "13912345678" and customer.consent_marketing and customer.household
    lead = customer.leads.get()
    assert lead.owner == users.consultant and lead.source.code == "autohome"
    assert lead.grade == "A" and lead.need_confirmed and lead.budget == "15-20万"


def test_receptionist_creates_a_customer_for_a_consultant(users, store, client_for):
    client = client_for(users.reception)
    page = html(client.get(url("customer_create")))
    assert 'name="owner"' in page
    response = client.post(url("customer_create"), customer_post())
    assert response.status_code == 200 and 'id="error-owner"' in html(response)
    response = client.post(url("customer_create"), customer_post(owner=str(users.consultant.pk)))
    assert response.status_code == 302 and response.url == url("customer_create")
    assert Lead.objects.get().owner == users.consultant


def test_referral_by_customer_phone_and_employee(users, store, own, client_for):
    referrer, _lead = own
    source = Source.objects.get(code="customer_referral")
    data = customer_post(
        source=str(source.pk), referrer_phone="138 1234 5678", referred_by_user=str(users.reception.pk)
    )
    assert client_for(users.consultant).post(url("customer_create"), data).status_code == 302
    lead = Lead.objects.get(customer__phone="13912345678")
    assert lead.referred_by_customer == referrer and lead.referred_by_user == users.reception
    response = client_for(users.consultant).post(
        url("customer_create"), customer_post(phone="13700000001", referrer_phone="13600000000")
    )
    assert response.status_code == 200 and 'id="error-referrer_phone"' in html(response)


def test_duplicate_phone_stops_creation_and_shows_the_owner(users, own, consultant2, client_for):
    customer, _lead = own
    response = client_for(consultant2).post(url("customer_create"), customer_post(phone="138-1234-5678"))
    page = html(response)
    assert response.status_code == 200
    assert Customer.objects.count() == 1 and Lead.objects.count() == 1
    assert 'id="duplicate-customer"' in page and users.consultant.display_name in page
    # Taken by someone else: no way into the customer's details.
    assert 'id="duplicate-open"' not in page and url("customer_detail", customer.pk) not in page
    # What was typed stays.
    assert 'value="138-1234-5678"' in page and 'value="王五"' in page

    # The owner gets a link to their customer.
    page = html(client_for(users.consultant).post(url("customer_create"), customer_post(phone="+8613812345678")))
    assert 'id="duplicate-open"' in page and url("customer_detail", customer.pk) in page


def test_duplicate_of_a_customer_without_open_lead_offers_a_new_enquiry(users, store, client_for):
    customer, lead = new_lead(users.consultant, store)
    request = services.lost_request_create(
        actor=users.consultant, lead=lead, kind="invalid", reason=LostReason.objects.get(code="not_prospect")
    )
    services.lost_request_approve(actor=users.sales_manager, request=request)
    page = html(client_for(users.reception).post(url("customer_create"), customer_post(phone="13812345678")))
    assert 'id="duplicate-new-lead"' in page and url("lead_create", customer.pk) in page


def test_phone_check_answers_under_the_field(users, own, consultant2, client_for):
    client = client_for(users.reception)
    page = html(client.get(url("phone_check"), {"phone": "12345"}, headers={"HX-Request": "true"}))
    assert 'id="phone-check-error"' in page
    page = html(client.get(url("phone_check"), {"phone": "021 5888 1234"}))
    assert 'id="phone-check-ok"' in page and "021-58881234" in page
    page = html(client.get(url("phone_check"), {"phone": "138 1234 5678"}))
    assert 'id="duplicate-customer"' in page and users.consultant.display_name in page
    assert 'id="duplicate-open"' not in page


@pytest.mark.parametrize("phone", ["12345", "1381234567", "58881234", "abc"])
def test_bad_phone_numbers_are_refused_with_a_message(phone, users, client_for):
    response = client_for(users.consultant).post(url("customer_create"), customer_post(phone=phone))
    page = html(response)
    assert response.status_code == 200 and 'id="error-phone"' in page
    assert not Customer.objects.exists()


def test_form_errors_keep_what_was_typed(users, client_for):
    response = client_for(users.consultant).post(
        url("customer_create"), customer_post(name="", is_fleet="on", budget="30万左右")
    )
    page = html(response)
    assert response.status_code == 200
    assert 'id="error-name"' in page and 'id="error-company_name"' in page
    assert 'value="+86 139-1234 5678"' in page and 'value="30万左右"' in page and "三口之家" in page
    assert not Customer.objects.exists()


def test_landline_with_area_code_is_accepted(users, client_for):
    client_for(users.consultant).post(url("customer_create"), customer_post(phone="(010) 6552 1234"))
    assert Customer.objects.get().phone == "010-65521234"


# --- My leads ----------------------------------------------------------------------------------


def test_my_leads_lists_only_own_leads_with_grade_counts_and_search(users, store, consultant2, client_for):
    new_lead(users.consultant, store, "13800000001", "赵一", purchase_time="7d")
    new_lead(users.consultant, store, "13800000002", "钱二", purchase_time="7d")
    new_lead(users.consultant, store, "13800000003", "孙三", purchase_time="30d")
    new_lead(consultant2, store, "13800000004", "别人的")
    client = client_for(users.consultant)
    page = html(client.get(url("my_leads")))
    assert "赵一" in page and "孙三" in page and "别人的" not in page
    counts = page.split('id="grade-counts"')[1].split("</div>")[0]
    assert 'data-grade="H"' in counts
    h_button = counts.split('data-grade="H"')[1].split("</a>")[0]
    assert '<span class="count">2</span>' in h_button
    page = html(client.get(url("my_leads"), {"grade": "B"}))
    assert "孙三" in page and "赵一" not in page
    page = html(client.get(url("my_leads"), {"q": "0002"}))
    assert "钱二" in page and "赵一" not in page
    # The owner sees full numbers.
    assert "13800000002" in page


def test_my_leads_overdue_filter_and_closed_leads(users, store, client_for):
    _c, late = new_lead(users.consultant, store, "13800000001", "迟到")
    Lead.objects.filter(pk=late.pk).update(next_follow_up_at=timezone.now() - dt.timedelta(days=3))
    new_lead(users.consultant, store, "13800000002", "准时")
    client = client_for(users.consultant)
    page = html(client.get(url("my_leads"), {"overdue": "true"}))
    assert "迟到" in page and "准时" not in page
    Lead.objects.filter(pk=late.pk).update(status=LeadStatus.LOST)
    assert "迟到" not in html(client.get(url("my_leads")))
    assert "迟到" in html(client.get(url("my_leads"), {"open": "false"}))


# --- The customer page -------------------------------------------------------------------------


def test_customer_page_shows_profile_lead_and_timeline(users, own, client_for):
    customer, lead = own
    services.followup_log(actor=users.consultant, lead=lead, channel="phone", content="第一次电话", result="contacted")
    page = html(client_for(users.consultant).get(url("customer_detail", customer.pk)))
    for element in ("timeline", "lead-panel", "followup-form", "invite-form", "lost-form", "invalid-form", "profile"):
        assert f'id="{element}"' in page, element
    timeline = page.split('id="timeline"')[1]
    assert "第一次电话" in timeline
    assert timeline.index('data-kind="follow_up"') < timeline.index('data-kind="created"')  # newest first
    assert 'id="customer-phone"' in page and "13812345678" in page


def test_phone_is_masked_for_a_supervisor_without_the_permission(users, store, own, client_for):
    customer, _lead = own
    team = Team.objects.create(store=store, name="一组", supervisor=users.sales_supervisor)
    team.members.add(users.consultant)
    page = html(client_for(users.sales_supervisor).get(url("customer_detail", customer.pk)))
    assert "138****5678" in page and "13812345678" not in page
    # Without the full number, the edit form does not offer it either.
    page = html(client_for(users.sales_supervisor).get(url("customer_update", customer.pk)))
    assert 'name="phone"' not in page
    users.sales_supervisor.can_see_full_phone = True
    users.sales_supervisor.save()
    assert "13812345678" in html(client_for(users.sales_supervisor).get(url("customer_detail", customer.pk)))


def test_customer_profile_edit_goes_through_the_service(users, own, store, client_for):
    customer, _lead = own
    new_lead(users.consultant, store, "13900000000", "另一个")
    client = client_for(users.consultant)
    data = {
        "phone": "13812345678",
        "name": "张三丰",
        "household": "两口",
        "do_not_disturb": "on",
        "birthday": "1990-05-01",
    }
    assert client.post(url("customer_update", customer.pk), data).status_code == 302
    customer.refresh_from_db()
    assert customer.name == "张三丰" and customer.do_not_disturb and customer.household == "两口"
    assert customer.birthday == dt.date(1990, 5, 1)
    response = client.post(url("customer_update", customer.pk), dict(data, phone="139 0000 0000"))
    assert response.status_code == 200 and 'id="duplicate-customer"' in html(response)
    customer.refresh_from_db()
    assert customer.phone == "13812345678"


def test_lead_edit_goes_through_the_service(users, own, client_for):
    _customer, lead = own
    series = Series.objects.create(brand=Brand.objects.create(name="大众", code="vw"), name="朗逸")
    data = {
        "source": str(Source.objects.get(code="yiche").pk),
        "series": str(series.pk),
        "budget": "20万",
        "purchase_time": "30d",
        "payment": "loan",
        "has_trade_in": "on",
        "current_car": "老捷达",
        "need_confirmed": "on",
        "budget_confirmed": "on",
        "decision_maker_confirmed": "on",
    }
    response = client_for(users.consultant).post(url("lead_update", lead.pk), data)
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.is_qualified and lead.payment == "loan" and lead.current_car == "老捷达"
    assert lead.series == series and lead.source.code == "yiche"


# --- Follow-up, invitation -----------------------------------------------------------------------


def test_follow_up_form_is_prefilled_with_the_grade_cadence(users, store, own, client_for):
    customer, lead = own  # grade C by default
    page = html(client_for(users.consultant).get(url("customer_detail", customer.pk)))
    expected = timezone.localtime(next_contact_default(store, lead.grade)).date().isoformat()
    assert f'name="next_contact" value="{expected}"' in page
    assert 'id="cadence-days"' in page and '"H": 1' in page


def test_follow_up_with_regrade_creates_the_next_task_on_the_cadence_date(users, store, own, client_for):
    customer, lead = own
    client = client_for(users.consultant)
    response = client.post(url("followup_create", lead.pk), followup_data(grade="H"))
    assert response.status_code == 302 and response.url == url("customer_detail", customer.pk)
    lead.refresh_from_db()
    assert lead.grade == "H" and lead.status == LeadStatus.FOLLOWING
    follow_up = FollowUp.objects.get()
    assert follow_up.grade_before == "C" and follow_up.grade_after == "H" and not follow_up.custom_plan
    task = Task.objects.get(lead=lead, status=Task.Status.OPEN)
    assert task.kind == Task.Kind.FOLLOW_UP and task.due_date == timezone.localdate() + dt.timedelta(days=1)
    # The first-contact task was done by this follow-up.
    assert Task.objects.get(lead=lead, status=Task.Status.DONE).kind == Task.Kind.FIRST_CONTACT


def test_follow_up_with_the_suggested_date_is_not_a_custom_plan(users, store, own, client_for):
    _customer, lead = own
    suggested = timezone.localtime(next_contact_default(store, "B")).date()
    client_for(users.consultant).post(
        url("followup_create", lead.pk), followup_data(grade="B", next_contact=suggested.isoformat())
    )
    assert not FollowUp.objects.get().custom_plan
    assert Task.objects.get(lead=lead, status=Task.Status.OPEN).due_date == suggested


def test_follow_up_with_a_custom_date(users, own, client_for):
    _customer, lead = own
    day = timezone.localdate() + dt.timedelta(days=10)
    client_for(users.consultant).post(
        url("followup_create", lead.pk), followup_data(grade="H", next_contact=day.isoformat())
    )
    follow_up = FollowUp.objects.get()
    assert follow_up.custom_plan and timezone.localtime(follow_up.next_follow_up_at).date() == day
    assert Task.objects.get(lead=lead, status=Task.Status.OPEN).due_date == day


def test_follow_up_needs_its_result_and_keeps_what_was_typed(users, own, client_for):
    customer, lead = own
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = client_for(users.consultant).post(
        url("followup_create", lead.pk), followup_data(result="", content="客户说下周再聊", next_contact=yesterday)
    )
    page = html(response)
    assert response.status_code == 200
    assert 'id="error-result"' in page and 'id="error-next_contact"' in page
    assert "客户说下周再聊" in page and 'id="timeline"' in page
    assert not FollowUp.objects.exists()


def test_invitation_accepted_in_the_follow_up_creates_the_appointment(users, own, consultant2, client_for):
    customer, lead = own
    day = timezone.localdate() + dt.timedelta(days=2)
    response = client_for(users.consultant).post(
        url("followup_create", lead.pk),
        followup_data(
            result=FollowUp.Result.INVITED,
            grade="H",
            appointment_date=day.isoformat(),
            appointment_time="14:30",
            purpose=Appointment.Purpose.TEST_DRIVE,
            receiver=str(consultant2.pk),
            note="带家人来",
        ),
    )
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    local = timezone.localtime(appointment.scheduled_at)
    assert (local.date(), local.hour, local.minute) == (day, 14, 30)
    assert appointment.receiver == consultant2 and appointment.purpose == Appointment.Purpose.TEST_DRIVE
    assert FollowUp.objects.get().result == FollowUp.Result.INVITED
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INVITED
    assert Task.objects.filter(assignee=consultant2, kind=Task.Kind.APPOINTMENT, due_date=day).exists()
    page = html(client_for(users.consultant).get(url("customer_detail", customer.pk)))
    assert f'id="appointment-{appointment.pk}"' in page


def test_invitation_accepted_without_a_time_saves_nothing(users, own, client_for):
    _customer, lead = own
    response = client_for(users.consultant).post(
        url("followup_create", lead.pk), followup_data(result=FollowUp.Result.INVITED, content="答应周六来")
    )
    page = html(response)
    assert response.status_code == 200 and 'id="error-appointment_date"' in page and "答应周六来" in page
    assert not FollowUp.objects.exists() and not Appointment.objects.exists()


def test_invitation_in_the_past_is_refused_and_rolls_back(users, own, client_for):
    _customer, lead = own
    response = client_for(users.consultant).post(
        url("followup_create", lead.pk),
        followup_data(
            result=FollowUp.Result.INVITED,
            appointment_date=(timezone.localdate() - dt.timedelta(days=1)).isoformat(),
            appointment_time="10:00",
            receiver=str(users.consultant.pk),
        ),
    )
    assert response.status_code == 200 and 'id="error-appointment_date"' in html(response)
    assert not FollowUp.objects.exists() and not Appointment.objects.exists()


def test_invite_on_its_own_and_cancel(users, own, client_for):
    customer, lead = own
    client = client_for(users.consultant)
    day = timezone.localdate() + dt.timedelta(days=3)
    response = client.post(
        url("invite", lead.pk),
        {
            "appointment_date": day.isoformat(),
            "appointment_time": "10:00",
            "purpose": "view",
            "receiver": users.consultant.pk,
        },
    )
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INVITED
    # Missing receiver: an error next to the field.
    response = client.post(url("invite", lead.pk), {"appointment_date": day.isoformat(), "appointment_time": "11:00"})
    assert response.status_code == 200 and 'id="error-invite-receiver"' in html(response)
    assert client.post(url("appointment_cancel", appointment.pk), {"reason": "临时有事"}).status_code == 302
    appointment.refresh_from_db()
    lead.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED and lead.status == LeadStatus.FOLLOWING
    # Cancelling twice is a message, not an error page.
    response = client.post(url("appointment_cancel", appointment.pk), follow=True)
    assert response.status_code == 200


# --- Lost and invalid ----------------------------------------------------------------------------


def test_lost_request_needs_the_competitor_when_the_reason_asks(users, own, client_for):
    _customer, lead = own
    client = client_for(users.consultant)
    other_brand = LostReason.objects.get(code="other_brand")
    response = client.post(url("request_lost", lead.pk), {"reason": other_brand.pk, "note": "买了别的"})
    page = html(response)
    assert response.status_code == 200 and 'id="error-lost-competitor_brand"' in page and "买了别的" in page
    assert not LostRequest.objects.exists()
    response = client.post(
        url("request_lost", lead.pk),
        {"reason": other_brand.pk, "competitor_brand": "丰田", "competitor_model": "凯美瑞"},
    )
    assert response.status_code == 302
    request = LostRequest.objects.get()
    assert request.kind == "lost" and request.competitor_brand == "丰田"
    lead.refresh_from_db()
    assert lead.status == LeadStatus.LOST_REQUESTED and lead.owner == users.consultant
    page = html(client.get(url("customer_detail", lead.customer_id)))
    assert 'id="pending-request"' in page and 'id="followup-form"' not in page


def test_lost_reason_without_competitor_and_invalid_request(users, store, own, client_for):
    _customer, lead = own
    client = client_for(users.consultant)
    price = LostReason.objects.get(code="price")
    # An invalid reason does not fit a lost request.
    response = client.post(url("request_lost", lead.pk), {"reason": LostReason.objects.get(code="wrong_number").pk})
    assert response.status_code == 200 and 'id="error-lost-reason"' in html(response)
    _c2, lead2 = new_lead(users.consultant, store, "13900000000", "空号")
    response = client.post(url("request_invalid", lead2.pk), {"reason": LostReason.objects.get(code="wrong_number").pk})
    assert response.status_code == 302
    assert LostRequest.objects.get(lead=lead2).kind == "invalid"
    assert client.post(url("request_lost", lead.pk), {"reason": price.pk}).status_code == 302


def test_new_enquiry_after_a_lost_lead_opens_a_new_lead(users, own, client_for):
    customer, lead = own
    request = services.lost_request_create(
        actor=users.consultant, lead=lead, kind="lost", reason=LostReason.objects.get(code="price")
    )
    services.lost_request_approve(actor=users.sales_manager, request=request)
    client = client_for(users.consultant)
    page = html(client.get(url("customer_detail", customer.pk)))
    assert 'id="new-enquiry"' in page and 'id="followup-form"' not in page
    response = client.post(
        url("lead_create", customer.pk), {"source": Source.objects.get(code="dongchedi").pk, "grade": "B"}
    )
    assert response.status_code == 302
    new = customer.leads.exclude(pk=lead.pk).get()
    assert new.status == LeadStatus.NEW and new.grade == "B" and new.owner == users.consultant
    # With an open lead the page sends the user back to the customer.
    assert client.get(url("lead_create", customer.pk)).status_code == 302


# --- My tasks, calendar, comments ----------------------------------------------------------------


def test_my_tasks_tabs_and_counts(users, store, client_for):
    _c, today_lead = new_lead(users.consultant, store, "13800000001", "今天的")
    _c, late_lead = new_lead(users.consultant, store, "13800000002", "过期的")
    _c, later_lead = new_lead(users.consultant, store, "13800000003", "以后的")
    today = timezone.localdate()
    Task.objects.filter(lead=late_lead).update(due_date=today - dt.timedelta(days=2))
    Task.objects.filter(lead=later_lead).update(due_date=today + dt.timedelta(days=4))
    client = client_for(users.consultant)
    page = html(client.get(url("my_tasks")))
    assert "今天的" in page and "过期的" not in page and "以后的" not in page
    assert 'data-when="overdue"' in page
    overdue_tab = page.split('data-when="overdue"')[1].split("</a>")[0]
    assert ">1</span>" in overdue_tab
    assert "过期的" in html(client.get(url("my_tasks"), {"when": "overdue"}))
    assert "以后的" in html(client.get(url("my_tasks"), {"when": "upcoming"}))


def test_calendar_shows_planned_contacts(users, store, own, client_for):
    _customer, lead = own
    day = timezone.localdate() + dt.timedelta(days=40)
    services.followup_log(
        actor=users.consultant,
        lead=lead,
        channel="phone",
        content="下个月再联系",
        result="contacted",
        next_follow_up_at=timezone.make_aware(dt.datetime.combine(day, dt.time(10))),
    )
    client = client_for(users.consultant)
    page = html(client.get(url("calendar"), {"month": day.strftime("%Y-%m")}))
    cell = page.split(f'id="day-{day.isoformat()}"')[1].split("</td>")[0]
    assert 'data-count="1"' in cell and "张三" in cell
    assert 'id="previous-month"' in page and 'id="next-month"' in page
    # Nonsense in the month parameter falls back to this month.
    assert client.get(url("calendar"), {"month": "13-2024x"}).status_code == 200


def test_manager_comments_are_shown_until_read(users, own, client_for):
    _customer, lead = own
    follow_up = services.followup_log(
        actor=users.consultant, lead=lead, channel="phone", content="联系了", result="contacted"
    )
    comment = services.followup_comment_add(actor=users.sales_manager, follow_up=follow_up, body="周末一定要邀约到店")
    client = client_for(users.consultant)
    page = html(client.get(url("my_tasks")))
    assert f'id="comment-{comment.pk}"' in page and "周末一定要邀约到店" in page
    response = client.post(url("comments_read"), {"comment": comment.pk}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "周末一定要邀约到店" not in html(response)
    assert FollowUpComment.objects.get().read_at is not None
    assert f'id="comment-{comment.pk}"' not in html(client.get(url("my_tasks")))


def test_mark_all_comments_read_without_htmx(users, own, client_for):
    _customer, lead = own
    follow_up = services.followup_log(
        actor=users.consultant, lead=lead, channel="phone", content="联系了", result="contacted"
    )
    services.followup_comment_add(actor=users.sales_manager, follow_up=follow_up, body="一")
    services.followup_comment_add(actor=users.sales_manager, follow_up=follow_up, body="二")
    response = client_for(users.consultant).post(url("comments_read"))
    assert response.status_code == 302 and response.url == url("my_tasks")
    assert not FollowUpComment.objects.filter(read_at__isnull=True).exists()


def test_a_stale_form_on_a_lead_waiting_for_approval_is_a_message_not_an_error(users, own, client_for):
    customer, lead = own
    services.lost_request_create(
        actor=users.consultant, lead=lead, kind="lost", reason=LostReason.objects.get(code="price")
    )
    client = client_for(users.consultant)
    response = client.post(url("followup_create", lead.pk), followup_data())
    assert response.status_code == 302 and response.url == url("customer_detail", customer.pk)
    assert not FollowUp.objects.exists()
    page = html(client.get(response.url))
    assert 'class="alert alert-danger' in page


def test_desk_opens_a_new_enquiry_for_a_customer_without_open_lead(users, store, client_for):
    customer, lead = new_lead(users.consultant, store)
    request = services.lost_request_create(
        actor=users.consultant, lead=lead, kind="lost", reason=LostReason.objects.get(code="postponed")
    )
    services.lost_request_approve(actor=users.sales_manager, request=request)
    client = client_for(users.reception)
    page = html(client.get(url("lead_create", customer.pk)))
    assert 'name="owner"' in page and "138****5678" in page
    response = client.post(
        url("lead_create", customer.pk),
        {"source": Source.objects.get(code="showroom_phone").pk, "owner": users.sales_supervisor.pk},
    )
    assert response.status_code == 302 and response.url == url("customer_create")
    assert customer.leads.get(status=LeadStatus.NEW).owner == users.sales_supervisor
