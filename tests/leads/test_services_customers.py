"""Customers and leads: dedupe by phone, one open lead per customer, repurchase, masking, scoping."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import DealerGroup, Membership, Role
from leads import services
from leads.models import Customer, Lead, LeadEvent, LeadStatus, Task
from leads.selectors import can_see_full_phone, display_phone
from tests.factories import UserFactory
from tests.leads.factories import (
    make_customer,
    make_delivered,
    make_lead,
    make_team,
    source,
)

pytestmark = pytest.mark.django_db


# --- Dedupe ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["138 1234 5678", "+86 138-1234-5678", "008613812345678", "１３８１２３４５６７８"]
)
def test_same_number_in_another_spelling_is_the_existing_customer(users, store, spelling):
    existing = make_customer(store, users.consultant, name="王芳", phone="13812345678")
    with pytest.raises(services.DuplicateCustomer) as exc:
        services.customer_create(actor=users.reception, store=store, name="王芳芳", phone=spelling)
    assert exc.value.customer == existing
    assert "王芳" in str(exc.value.message_dict["phone"][0])
    assert Customer.objects.filter(store=store).count() == 1


def test_duplicate_message_names_the_owner_of_the_open_lead(users, store):
    lead = make_lead(store, users.consultant)
    with pytest.raises(services.DuplicateCustomer) as exc:
        make_customer(store, users.reception, phone=lead.customer.phone)
    assert str(users.consultant) in exc.value.message_dict["phone"][0]


def test_another_store_may_have_the_same_number(users, store, other_users, other_store):
    ours = make_customer(store, users.consultant, phone="13812345678")
    theirs = make_customer(other_store, other_users.consultant, phone="+86 138 1234 5678")
    assert ours.phone == theirs.phone == "13812345678"
    assert ours.pk != theirs.pk


def test_merged_customers_do_not_block_the_number(users, store):
    survivor = make_customer(store, users.consultant, name="李雷", phone="13812345678")
    absorbed = make_customer(store, users.consultant, name="李雷", phone="13812345679")
    services.customer_merge(actor=users.sales_manager, survivor=survivor, absorbed=[absorbed])
    # The absorbed customer keeps its number but no longer counts: the number is free again.
    again = make_customer(store, users.reception, name="李磊", phone="138 1234 5679")
    assert again.phone == "13812345679"
    assert services.customer_find_by_phone(store, "13812345679") == again


def test_unique_phone_is_a_database_constraint(users, store):
    customer = make_customer(store, users.consultant, phone="13812345678")
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(store=store, name="重复", phone=customer.phone)


def test_customer_without_phone_is_allowed_more_than_once(users, store):
    make_customer(store, users.reception, name="到店客户", phone="")
    make_customer(store, users.reception, name="到店客户", phone="")
    assert Customer.objects.filter(store=store, phone="").count() == 2


def test_customer_create_rejects_a_bad_phone(users, store):
    with pytest.raises(ValidationError):
        make_customer(store, users.reception, phone="1381234567")


def test_customer_update_checks_duplicates_and_normalises(users, store):
    first = make_customer(store, users.consultant, phone="13812345678")
    second = make_customer(store, users.consultant, phone="13812345670")
    with pytest.raises(services.DuplicateCustomer) as exc:
        services.customer_update(actor=users.consultant, customer=second, phone="+86 13812345678")
    assert exc.value.customer == first
    services.customer_update(actor=users.consultant, customer=second, phone="0086 139 0000 0000")
    second.refresh_from_db()
    assert second.phone == "13900000000"


def test_find_by_phone_accepts_any_spelling(users, store):
    customer = make_customer(store, users.consultant, phone="021-58881234")
    assert services.customer_find_by_phone(store, "(021) 5888 1234") == customer
    assert services.customer_find_by_phone(store, "not a phone") is None


# --- One open lead per customer ------------------------------------------------------------------


def test_new_enquiry_attaches_to_the_open_lead(users, store):
    lead = make_lead(store, users.consultant)
    again, created = services.lead_create(
        actor=users.reception,
        customer=lead.customer,
        owner=users.consultant,
        source=source("autohome"),
        campaign="春季团购",
    )
    assert created is False and again.pk == lead.pk
    enquiry = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.ENQUIRY)
    assert enquiry.to_value == str(source("autohome")) and enquiry.note == "春季团购"
    assert Lead.objects.filter(customer=lead.customer).count() == 1
    # The attached enquiry creates no second first-contact task.
    assert Task.objects.filter(lead=lead, kind=Task.Kind.FIRST_CONTACT).count() == 1


def test_one_open_lead_is_a_database_constraint(users, store):
    lead = make_lead(store, users.consultant)
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.create(store=store, customer=lead.customer, owner=users.consultant, source=source())


def test_lead_create_sets_grade_from_purchase_time_and_schedules_first_contact(users, store):
    lead = make_lead(store, users.consultant, purchase_time="7d")
    assert lead.grade == "H" and lead.status == LeadStatus.NEW
    task = Task.objects.get(lead=lead)
    assert task.kind == Task.Kind.FIRST_CONTACT and task.assignee == users.consultant
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.CREATED).exists()


def test_lead_without_owner_has_no_task(users, store):
    lead = make_lead(store, None, actor=users.reception)
    assert lead.owner is None
    assert not Task.objects.filter(lead=lead).exists()


def test_fleet_customer_makes_a_fleet_lead(users, store):
    customer = make_customer(store, users.consultant, is_fleet=True, company_name="申通物流")
    lead = make_lead(store, users.consultant, customer=customer)
    assert lead.is_fleet


def test_unknown_fields_are_refused(users, store):
    with pytest.raises(TypeError):
        make_customer(store, users.consultant, colour="red")
    customer = make_customer(store, users.consultant)
    with pytest.raises(TypeError):
        services.lead_create(actor=users.consultant, customer=customer, owner=None, source=source(), status="lost")


# --- Repurchase (续购) ---------------------------------------------------------------------------


def test_after_delivery_a_new_lead_is_a_repurchase(users, store):
    first = make_lead(store, users.consultant)
    make_delivered(first, users.consultant)
    first.refresh_from_db()
    assert first.status == LeadStatus.DELIVERED and first.closed_at is not None

    second, created = services.lead_create(
        actor=users.consultant, customer=first.customer, owner=users.consultant, source=source("autohome")
    )
    assert created and second.pk != first.pk
    assert second.source.code == "repurchase"
    assert second.repurchase_of == first


def test_after_a_lost_lead_a_new_lead_is_not_a_repurchase(users, store):
    first = make_lead(store, users.consultant)
    services.lead_set_status(lead=first, to=LeadStatus.LOST_REQUESTED, actor=users.consultant)
    services.lead_set_status(lead=first, to=LeadStatus.LOST, actor=users.sales_manager)
    second, created = services.lead_create(
        actor=users.consultant, customer=first.customer, owner=users.consultant, source=source("dongchedi")
    )
    assert created and second.source.code == "dongchedi" and second.repurchase_of is None


def test_status_transitions_are_checked(users, store):
    lead = make_lead(store, users.consultant)
    with pytest.raises(ValidationError):
        services.lead_set_status(lead=lead, to=LeadStatus.DELIVERED, actor=users.consultant)
    make_delivered(lead, users.consultant)
    with pytest.raises(ValidationError):
        services.lead_set_status(lead=lead, to=LeadStatus.FOLLOWING, actor=users.consultant)
    history = LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.STATUS).count()
    assert history == 5  # new → following → invited → visited → ordered → delivered


# --- Do not disturb ------------------------------------------------------------------------------


def test_do_not_disturb_is_a_stored_customer_flag(users, store):
    quiet = make_customer(store, users.consultant, do_not_disturb=True, consent_marketing=False)
    loud = make_customer(store, users.consultant, consent_marketing=True)
    assert Customer.objects.get(pk=quiet.pk).do_not_disturb is True
    assert Customer.objects.get(pk=loud.pk).do_not_disturb is False
    # Call lists (the DCC) select on it.
    assert list(Customer.objects.filter(store=store, do_not_disturb=False)) == [loud]
    services.customer_update(actor=users.consultant, customer=loud, do_not_disturb=True)
    assert Customer.objects.filter(store=store, do_not_disturb=True).count() == 2
    assert "do_not_disturb" in services.CUSTOMER_FIELDS and "do_not_disturb" in services.MERGEABLE_FIELDS


# --- Masking -------------------------------------------------------------------------------------


def test_owner_sees_the_full_number_others_see_it_masked(users, store):
    lead = make_lead(store, users.consultant, customer=make_customer(store, users.consultant, phone="13812345678"))
    other_consultant = UserFactory(username="a_consultant_b")
    Membership.objects.create(user=other_consultant, store=store, role=Role.objects.get(store=None, code="consultant"))

    assert display_phone(users.consultant, lead) == "13812345678"
    assert display_phone(users.consultant, lead.customer) == "13812345678"
    assert display_phone(other_consultant, lead) == "138****5678"
    assert display_phone(other_consultant, lead.customer) == "138****5678"
    assert display_phone(users.sales_manager, lead) == "138****5678"
    assert not can_see_full_phone(users.sales_manager, lead)


def test_permission_to_see_full_numbers(users, store):
    lead = make_lead(store, users.consultant, customer=make_customer(store, users.consultant, phone="13812345678"))
    users.sales_manager.can_see_full_phone = True
    assert can_see_full_phone(users.sales_manager, lead)
    assert display_phone(users.sales_manager, lead) == "13812345678"
    assert display_phone(users.reception, lead, phone="021-58881234") == "021-****1234"


# --- Scoping -------------------------------------------------------------------------------------


@pytest.fixture
def scoped(users, store, other_users, other_store):
    """Leads of a team member, of a consultant outside the team, in the pool, and in another store."""
    outsider = UserFactory(username="a_consultant_out")
    Membership.objects.create(user=outsider, store=store, role=Role.objects.get(store=None, code="consultant"))
    make_team(store, users.sales_supervisor, [users.consultant])
    return {
        "team": make_lead(store, users.consultant),
        "outside": make_lead(store, outsider),
        "pool": make_lead(store, None, actor=users.reception),
        "other_store": make_lead(other_store, other_users.consultant),
        "outsider": outsider,
    }


def _visible(user):
    return set(Lead.objects.visible_to(user).values_list("pk", flat=True))


def test_consultant_sees_own_leads_only(users, scoped):
    assert _visible(users.consultant) == {scoped["team"].pk}
    assert _visible(scoped["outsider"]) == {scoped["outside"].pk}


def test_supervisor_sees_the_team(users, scoped):
    assert _visible(users.sales_supervisor) == {scoped["team"].pk}


def test_manager_and_gm_see_the_whole_store(users, scoped):
    store_leads = {scoped["team"].pk, scoped["outside"].pk, scoped["pool"].pk}
    assert _visible(users.sales_manager) == store_leads
    assert _visible(users.gm) == store_leads


def test_other_store_sees_nothing_of_ours(users, other_users, scoped):
    assert _visible(other_users.sales_manager) == {scoped["other_store"].pk}
    assert _visible(other_users.consultant) == {scoped["other_store"].pk}


def test_group_gm_sees_every_store_of_the_group(users, store, scoped):
    group_gm = UserFactory(username="group_gm")
    Membership.objects.create(user=group_gm, group=store.group, role=Role.objects.get(store=None, code="gm"))
    assert _visible(group_gm) == {scoped["team"].pk, scoped["outside"].pk, scoped["pool"].pk, scoped["other_store"].pk}


def test_other_group_gm_sees_nothing(users, scoped):
    stranger = UserFactory(username="stranger_gm")
    Membership.objects.create(
        user=stranger,
        group=DealerGroup.objects.create(code="other", name="别的集团"),
        role=Role.objects.get(store=None, code="gm"),
    )
    assert _visible(stranger) == set()


def test_roles_without_lead_rights_see_nothing_to_work(users, scoped):
    assert not Lead.objects.visible_to(users.cs_agent, "leads.work").exists()
    assert not Lead.objects.visible_to(users.reception, "leads.work").exists()


def test_anonymous_sees_nothing(scoped):
    from django.contrib.auth.models import AnonymousUser

    assert not Lead.objects.visible_to(AnonymousUser()).exists()
    assert not Lead.objects.visible_to(None).exists()
