"""Follow-ups and the cadence by grade; the invitation loop (declined, cancelled, no-show, arrived)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Notification
from leads import services
from leads.models import Appointment, FollowUp, FollowUpComment, Grade, LeadEvent, LeadSettings, LeadStatus, Task
from leads.selectors import next_contact_default, unread_comments_for
from tests.leads.factories import (
    local_dt,
    make_lead,
    walk_status,
)

pytestmark = pytest.mark.django_db


def _log(lead, actor, **kwargs):
    kwargs.setdefault("channel", FollowUp.Channel.PHONE)
    kwargs.setdefault("content", "电话沟通，客户关注油耗")
    kwargs.setdefault("result", FollowUp.Result.CONTACTED)
    return services.followup_log(actor=actor, lead=lead, **kwargs)


# --- Cadence -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("grade", "days"), [("H", 1), ("A", 3), ("B", 7), ("C", 15)])
def test_default_cadence_per_grade(users, store, grade, days):
    lead = make_lead(store, users.consultant)
    fu = _log(lead, users.consultant, grade=grade)
    expected = local_dt(timezone.localdate() + dt.timedelta(days=days))
    assert fu.next_follow_up_at == expected and not fu.custom_plan
    lead.refresh_from_db()
    assert lead.grade == grade and lead.next_follow_up_at == expected
    task = Task.objects.get(lead=lead, status=Task.Status.OPEN)
    assert task.kind == Task.Kind.FOLLOW_UP and task.due_date == expected.date() and task.assignee == users.consultant


def test_store_cadence_settings_are_respected(users, store, other_users, other_store):
    LeadSettings.objects.create(store=store, cadence_h_days=2, cadence_b_days=10)
    fu = _log(make_lead(store, users.consultant), users.consultant, grade="H")
    assert timezone.localtime(fu.next_follow_up_at).date() == timezone.localdate() + dt.timedelta(days=2)
    fu = _log(make_lead(store, users.consultant), users.consultant, grade="B")
    assert timezone.localtime(fu.next_follow_up_at).date() == timezone.localdate() + dt.timedelta(days=10)
    # Another store keeps the defaults.
    fu = _log(make_lead(other_store, other_users.consultant), other_users.consultant, grade="H")
    assert timezone.localtime(fu.next_follow_up_at).date() == timezone.localdate() + dt.timedelta(days=1)


def test_no_cadence_for_ordered_or_lost_grades(store):
    assert next_contact_default(store, Grade.O) is None
    assert next_contact_default(store, Grade.F) is None


def test_a_chosen_date_is_a_custom_plan(users, store):
    lead = make_lead(store, users.consultant)
    chosen = local_dt(timezone.localdate() + dt.timedelta(days=5), 15)
    fu = _log(lead, users.consultant, grade="A", next_follow_up_at=chosen)
    assert fu.custom_plan and fu.next_follow_up_at == chosen
    assert Task.objects.get(lead=lead, status="open").due_date == chosen.date()


def test_a_chosen_date_equal_to_the_cadence_is_not_custom(users, store):
    lead = make_lead(store, users.consultant)
    fu = _log(lead, users.consultant, grade="A", next_follow_up_at=local_dt(timezone.localdate() + dt.timedelta(3), 16))
    assert not fu.custom_plan


def test_a_past_date_is_refused(users, store):
    lead = make_lead(store, users.consultant)
    with pytest.raises(ValidationError) as exc:
        _log(lead, users.consultant, next_follow_up_at=timezone.now() - dt.timedelta(days=1))
    assert "next_follow_up_at" in exc.value.message_dict
    assert not FollowUp.objects.filter(lead=lead).exists()


def test_result_is_required(users, store):
    lead = make_lead(store, users.consultant)
    with pytest.raises(ValidationError) as exc:
        _log(lead, users.consultant, result="")
    assert "result" in exc.value.message_dict


@pytest.mark.parametrize("content", ["", "   "])
def test_content_is_required(users, store, content):
    lead = make_lead(store, users.consultant)
    with pytest.raises(ValidationError) as exc:
        _log(lead, users.consultant, content=content)
    assert "content" in exc.value.message_dict


@pytest.mark.parametrize("grade", ["O", "F", "X"])
def test_only_working_grades_are_accepted(users, store, grade):
    with pytest.raises(ValidationError):
        _log(make_lead(store, users.consultant), users.consultant, grade=grade)


@pytest.mark.parametrize("status", [LeadStatus.ORDERED, LeadStatus.LOST_REQUESTED])
def test_closed_or_pending_leads_are_refused(users, store, status):
    lead = make_lead(store, users.consultant)
    walk_status(lead, status, actor=users.consultant)
    with pytest.raises(ValidationError) as exc:
        _log(lead, users.consultant)
    assert exc.value.code == "closed"


def test_lost_lead_is_refused(users, store):
    lead = walk_status(make_lead(store, users.consultant), LeadStatus.LOST_REQUESTED, LeadStatus.LOST)
    with pytest.raises(ValidationError):
        _log(lead, users.consultant)


def test_someone_else_may_not_log_on_my_lead(users, store, other_users):
    lead = make_lead(store, users.consultant)
    with pytest.raises(ValidationError):
        _log(lead, users.dcc_agent)  # same store, not the owner, no store-wide view
    with pytest.raises(ValidationError):
        _log(lead, other_users.sales_manager)


def test_follow_up_closes_open_tasks_regrades_and_starts_following(users, store):
    lead = make_lead(store, users.consultant, purchase_time="30d")
    first_contact = Task.objects.get(lead=lead, kind=Task.Kind.FIRST_CONTACT)
    fu = _log(lead, users.consultant, grade="H")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.FOLLOWING and lead.grade == "H" and lead.last_follow_up_at is not None
    first_contact.refresh_from_db()
    assert first_contact.status == Task.Status.DONE and first_contact.follow_up == fu
    assert fu.grade_before == "B" and fu.grade_after == "H"
    graded = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.GRADED)
    assert (graded.from_value, graded.to_value) == ("B", "H")
    # A second follow-up the same day replaces tomorrow's task rather than adding one.
    _log(lead, users.consultant, grade="H")
    assert Task.objects.filter(lead=lead, status=Task.Status.OPEN).count() == 1


def test_manager_comment_is_shown_until_read(users, store):
    lead = make_lead(store, users.consultant)
    fu = _log(lead, users.consultant)
    with pytest.raises(ValidationError):
        services.followup_comment_add(actor=users.consultant, follow_up=fu, body="自己批复")
    with pytest.raises(ValidationError):
        services.followup_comment_add(actor=users.sales_manager, follow_up=fu, body=" ")
    comment = services.followup_comment_add(actor=users.sales_manager, follow_up=fu, body="周末约试驾")
    assert list(unread_comments_for(users.consultant)) == [comment]
    assert Notification.objects.filter(recipient=users.consultant, body="周末约试驾").exists()
    assert services.followup_comments_mark_read(actor=users.consultant) == 1
    assert not unread_comments_for(users.consultant).exists()
    assert FollowUpComment.objects.get().read_at is not None


# --- The invitation loop ---------------------------------------------------------------------------


def _invite(lead, actor, *, receiver=None, days=2):
    when = (
        timezone.now() + dt.timedelta(minutes=30)
        if days == 0
        else local_dt(timezone.localdate() + dt.timedelta(days), 14)
    )
    return services.appointment_create(
        actor=actor,
        lead=lead,
        scheduled_at=when,
        receiver=receiver or actor,
        purpose=Appointment.Purpose.TEST_DRIVE,
    )


def test_invitation_makes_the_lead_invited_and_tasks_the_receiver(users, store):
    lead = make_lead(store, users.consultant)
    appointment = _invite(lead, users.consultant)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INVITED
    task = Task.objects.get(lead=lead, kind=Task.Kind.APPOINTMENT)
    assert task.assignee == users.consultant and task.due_at == appointment.scheduled_at


def test_invitation_for_another_receiver_notifies_them(users, store):
    lead = make_lead(store, users.consultant)
    _invite(lead, users.consultant, receiver=users.sales_supervisor)
    assert Notification.objects.filter(recipient=users.sales_supervisor).count() == 1


def test_invitation_rules(users, store):
    lead = make_lead(store, users.consultant)
    with pytest.raises(ValidationError):
        services.appointment_create(
            actor=users.consultant,
            lead=lead,
            scheduled_at=timezone.now() - dt.timedelta(hours=2),
            receiver=users.consultant,
        )
    with pytest.raises(ValidationError):  # the receiver must own leads in this store
        _invite(lead, users.consultant, receiver=users.cs_agent)


def test_declined_invitation_goes_back_to_following(users, store):
    lead = make_lead(store, users.consultant)
    _invite(lead, users.consultant)
    _log(lead, users.consultant, result=FollowUp.Result.DECLINED, content="客户说周末没空")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.FOLLOWING
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.STATUS, to_value=str(LeadStatus.FOLLOWING.label))


def test_other_results_keep_the_lead_invited(users, store):
    lead = make_lead(store, users.consultant)
    _invite(lead, users.consultant)
    _log(lead, users.consultant, result=FollowUp.Result.CONTACTED)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INVITED


def test_cancelled_appointment_goes_back_to_following(users, store):
    lead = make_lead(store, users.consultant)
    appointment = _invite(lead, users.consultant)
    services.appointment_cancel(actor=users.consultant, appointment=appointment, reason="客户临时出差")
    lead.refresh_from_db()
    appointment.refresh_from_db()
    assert lead.status == LeadStatus.FOLLOWING
    assert appointment.status == Appointment.Status.CANCELLED and "出差" in appointment.note
    assert not Task.objects.filter(lead=lead, kind=Task.Kind.APPOINTMENT, status="open").exists()
    with pytest.raises(ValidationError):
        services.appointment_cancel(actor=users.consultant, appointment=appointment)


def test_cancelling_one_of_two_appointments_keeps_the_lead_invited(users, store):
    lead = make_lead(store, users.consultant)
    first = _invite(lead, users.consultant, days=2)
    _invite(lead, users.consultant, days=4)
    services.appointment_cancel(actor=users.consultant, appointment=first)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INVITED


def test_no_show_goes_back_to_following(users, store):
    lead = make_lead(store, users.consultant)
    appointment = _invite(lead, users.consultant, days=1)
    day = timezone.localtime(appointment.scheduled_at).date()
    assert services.appointments_mark_no_shows(store=store, day=day) == 1
    appointment.refresh_from_db()
    lead.refresh_from_db()
    assert appointment.status == Appointment.Status.NO_SHOW
    assert lead.status == LeadStatus.FOLLOWING
    assert services.appointments_mark_no_shows(store=store, day=day) == 0


def test_arrived_is_compare_and_set(users, store):
    lead = make_lead(store, users.consultant)
    appointment = _invite(lead, users.consultant, days=0)
    assert services.appointment_mark_arrived(actor=users.reception, appointment=appointment) is True
    assert services.appointment_mark_arrived(actor=users.reception, appointment=appointment) is False
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ARRIVED and appointment.arrived_at is not None
    assert Task.objects.get(lead=lead, kind=Task.Kind.APPOINTMENT).status == Task.Status.DONE


def test_a_no_show_may_still_arrive_late(users, store):
    lead = make_lead(store, users.consultant)
    appointment = _invite(lead, users.consultant, days=1)
    services.appointments_mark_no_shows(store=store, day=timezone.localtime(appointment.scheduled_at).date())
    assert services.appointment_mark_arrived(actor=users.reception, appointment=appointment) is True
    assert services.appointment_mark_arrived(actor=users.reception, appointment=appointment) is False


def test_cancelled_appointment_cannot_arrive(users, store):
    appointment = _invite(make_lead(store, users.consultant), users.consultant)
    services.appointment_cancel(actor=users.consultant, appointment=appointment)
    assert services.appointment_mark_arrived(actor=users.reception, appointment=appointment) is False
