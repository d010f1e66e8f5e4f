"""The signed complaint chain through the services: each step by its role only, loops, audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditLog, Notification
from accounts.permissions import ALL_ROLES
from complaints import services
from complaints.models import Complaint, ComplaintStatus, ComplaintStep
from tests.factories import make_member

from .conftest import register

pytestmark = pytest.mark.django_db

S = ComplaintStatus
A = ComplaintStep.Action

# action → (the state it starts from, the role that signs it, the fields it needs)
SIGNERS = {
    A.GIVE_OPINION: (
        S.REGISTERED,
        "cs_manager",
        {"cause": "顾问交车检查不仔细", "countermeasure": "免费补漆，赠送保养一次"},
    ),
    A.APPROVE: (S.OPINION_GIVEN, "gm", {}),
    A.SEND_BACK: (S.OPINION_GIVEN, "gm", {"note": "补偿方案过高"}),
    A.DISPATCH: (S.OPINION_APPROVED, "sales_manager", {}),
    A.HANDLE: (S.DISPATCHED, "consultant", {"handling_result": "已预约周六补漆，客户同意"}),
    A.CONFIRM: (S.HANDLED, "cs_manager", {"confirmation": "客户表示满意"}),
    A.REOPEN: (S.HANDLED, "cs_manager", {"note": "客户说补漆有色差"}),
    A.SIGN_OFF: (S.CONFIRMED, "gm", {}),
    A.ARCHIVE: (S.CLOSED, "cs_agent", {}),
}
PATH = [A.GIVE_OPINION, A.APPROVE, A.DISPATCH, A.HANDLE, A.CONFIRM, A.SIGN_OFF, A.ARCHIVE]


def sign(users, complaint, action, role=None):
    _state, signer, data = SIGNERS[action]
    data = dict(data)
    if action == A.DISPATCH:
        data["handler"] = users.consultant
    return services.complaint_sign(actor=users[role or signer], complaint=complaint, action=action, data=data)


def bring_to(users, complaint, state):
    for action in PATH:
        if complaint.status == state:
            return complaint
        if services.TRANSITIONS[action].source == complaint.status:
            complaint = sign(users, complaint, action)
    assert complaint.status == state
    return complaint


def test_full_chain_signed_and_audited(store, users, complaint):
    assert complaint.status == S.REGISTERED and complaint.number.startswith("TS")
    assert complaint.vehicle  # taken from the order
    for action in PATH:
        complaint = sign(users, complaint, action)
    assert complaint.status == S.ARCHIVED
    steps = list(complaint.steps.all())
    assert [s.action for s in steps] == [A.REGISTER, *PATH]
    assert [s.actor for s in steps] == [
        users.cs_agent,
        users.cs_manager,
        users.gm,
        users.sales_manager,
        users.consultant,
        users.cs_manager,
        users.gm,
        users.cs_agent,
    ]
    assert complaint.handler == users.consultant and complaint.closed_at and complaint.handled_at
    audited = set(AuditLog.objects.filter(object_type="complaints.complaint").values_list("action", flat=True))
    assert audited >= {f"complaint.{a}" for a in ["register", *PATH]}
    # Whoever signs next hears of it.
    assert Notification.objects.filter(recipient=users.gm, url__contains=str(complaint.pk)).exists()
    assert Notification.objects.filter(recipient=users.consultant, url__contains=str(complaint.pk)).exists()


@pytest.mark.parametrize("action", list(SIGNERS))
def test_each_transition_refused_for_every_other_role(store, users, delivered_order, action):
    state, signer, _data = SIGNERS[action]
    complaint = bring_to(users, register(store, users, delivered_order), state)
    others = [r for r in ALL_ROLES if r != signer]
    for role in others:
        with pytest.raises(PermissionDenied):
            sign(users, complaint, action, role=role)
        complaint.refresh_from_db()
        assert complaint.status == state
    complaint = sign(users, complaint, action)
    assert complaint.status == services.TRANSITIONS[action].target


def test_wrong_state_refused(store, users, complaint):
    with pytest.raises(ValidationError):
        sign(users, complaint, A.APPROVE)
    with pytest.raises(ValidationError):
        sign(users, complaint, A.ARCHIVE)
    assert complaint.steps.count() == 1


def test_only_the_dispatched_consultant_handles(store, users, complaint):
    second = make_member(store, "consultant", username="a_consultant_two")
    complaint = bring_to(users, complaint, S.DISPATCHED)
    with pytest.raises(PermissionDenied):
        services.complaint_handle(actor=second, complaint=complaint, handling_result="x")


def test_send_back_and_reopen_loops(store, users, complaint):
    complaint = sign(users, complaint, A.GIVE_OPINION)
    with pytest.raises(ValidationError):  # a send-back says why
        services.complaint_send_back(actor=users.gm, complaint=complaint, note=" ")
    complaint = sign(users, complaint, A.SEND_BACK)
    assert complaint.status == S.REGISTERED
    complaint = sign(users, complaint, A.GIVE_OPINION)
    complaint = bring_to(users, complaint, S.HANDLED)
    complaint = sign(users, complaint, A.REOPEN)
    assert complaint.status == S.DISPATCHED and complaint.handler == users.consultant and complaint.handled_at is None
    complaint = sign(users, complaint, A.HANDLE)
    complaint = sign(users, complaint, A.CONFIRM)
    actions = list(complaint.steps.values_list("action", flat=True))
    assert actions == [
        A.REGISTER,
        A.GIVE_OPINION,
        A.SEND_BACK,
        A.GIVE_OPINION,
        A.APPROVE,
        A.DISPATCH,
        A.HANDLE,
        A.REOPEN,
        A.HANDLE,
        A.CONFIRM,
    ]


def test_opinion_and_dispatch_need_their_fields(store, users, other_users, complaint):
    with pytest.raises(ValidationError) as exc:
        services.complaint_give_opinion(actor=users.cs_manager, complaint=complaint, cause="", countermeasure="")
    assert set(exc.value.error_dict) == {"cause"}
    complaint = bring_to(users, complaint, S.OPINION_APPROVED)
    with pytest.raises(ValidationError):
        services.complaint_dispatch(actor=users.sales_manager, complaint=complaint, handler=other_users.consultant)
    with pytest.raises(ValidationError):
        services.complaint_dispatch(actor=users.sales_manager, complaint=complaint, handler=users.gm)


def test_other_store_staff_cannot_sign(store, users, other_users, complaint):
    with pytest.raises(PermissionDenied):
        services.complaint_give_opinion(
            actor=other_users.cs_manager, complaint=complaint, cause="a", countermeasure="b"
        )


def test_register_checks_its_input(store, other_store, users, other_users, delivered_order):
    with pytest.raises(PermissionDenied):
        services.complaint_register(
            actor=users.consultant,
            store=store,
            customer=delivered_order.customer,
            category=Complaint.Category.OTHER,
            touchpoint=Complaint.Touchpoint.DELIVERY,
            facts="x",
        )
    with pytest.raises(ValidationError) as exc:  # no customer
        services.complaint_register(
            actor=users.cs_agent,
            store=store,
            customer=None,
            category=Complaint.Category.OTHER,
            touchpoint=Complaint.Touchpoint.DELIVERY,
            facts="x",
        )
    assert "customer" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.complaint_register(
            actor=users.cs_agent,
            store=store,
            customer=delivered_order.customer,
            category="nonsense",
            touchpoint=Complaint.Touchpoint.DELIVERY,
            facts="",
        )
    assert {"category", "facts"} <= set(exc.value.error_dict)


def test_media_or_legal_tells_the_gm_at_once(store, users, delivered_order):
    complaint = register(store, users, delivered_order, temperament=Complaint.Temperament.MEDIA_LEGAL)
    assert complaint.media_or_legal and complaint.no_automatic_messages
    warning = Notification.objects.get(recipient=users.gm, level=Notification.Level.WARNING)
    assert complaint.number in warning.title
    from complaints.selectors import automatic_messages_allowed

    assert not automatic_messages_allowed(delivered_order.customer)
    # The signed chain still runs.
    for action in PATH:
        complaint = sign(users, complaint, action)
    assert complaint.status == S.ARCHIVED


def test_plain_complaint_does_not_alarm_the_gm(store, users, complaint):
    from complaints.selectors import automatic_messages_allowed

    assert not Notification.objects.filter(recipient=users.gm).exists()
    assert automatic_messages_allowed(complaint.customer)
