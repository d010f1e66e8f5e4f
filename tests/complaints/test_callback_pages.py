"""Callback pages: the consultant's list and record form, customer service's satisfaction list and
supervision board; dissatisfied → the complaint form, prefilled, the same day."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints import services
from complaints.models import Callback, Complaint

from .conftest import deliver_order

pytestmark = pytest.mark.django_db
K = Callback.Kind


@pytest.fixture
def ladder(store, users, trim, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = deliver_order(store, users, trim, name="回访客户")
    services.survey_questions_ensure(store)
    return order


def test_consultant_records_a_callback(client_for, users, ladder):
    consultant = client_for(users.consultant)
    same_day = Callback.objects.get(order=ladder, kind=K.SAME_DAY)
    html = consultant.get(reverse("complaints:my_callbacks")).content.decode()
    assert f'id="callback-{same_day.pk}"' in html
    url = reverse("complaints:callback", args=[same_day.pk])
    response = consultant.post(url, {"reached": "1", "result": ""})
    assert response.status_code == 200 and 'id="error-result"' in response.content.decode()
    assert consultant.post(url, {"reached": "1", "result": "客户用车顺利"}).status_code == 302
    same_day.refresh_from_db()
    assert same_day.reached and same_day.done_by == users.consultant
    # Recorded twice: a message, not an error page.
    response = consultant.post(url, {"reached": "1", "result": "again"}, follow=True)
    assert response.status_code == 200 and "alert-danger" in response.content.decode()
    # Customer service checks it.
    agent = client_for(users.cs_agent)
    assert agent.post(url, {"check_note": "客户确认已接到回访"}).status_code == 302
    same_day.refresh_from_db()
    assert same_day.checked_by == users.cs_agent
    html = agent.get(reverse("complaints:supervision")).content.decode()
    assert f'id="supervised-{same_day.pk}"' in html and 'data-state="on_time"' in html


def test_other_consultant_and_other_store_cannot_open(client_for, store, users, other_users, ladder):
    from tests.factories import make_member

    same_day = Callback.objects.get(order=ladder, kind=K.SAME_DAY)
    url = reverse("complaints:callback", args=[same_day.pk])
    other = make_member(store, "consultant", username="a_consultant_other")
    assert client_for(other).get(url).status_code == 404
    assert client_for(other_users.cs_agent).get(url).status_code == 404
    assert client_for(users.reception).get(url).status_code == 403
    assert client_for(users.consultant).get(reverse("complaints:supervision")).status_code == 403


def test_dissatisfied_satisfaction_callback_leads_to_a_complaint(client_for, store, users, ladder):
    agent = client_for(users.cs_agent)
    survey = Callback.objects.get(order=ladder, kind=K.SATISFACTION)
    html = agent.get(reverse("complaints:satisfaction")).content.decode()
    assert f'id="satisfaction-{survey.pk}"' in html
    url = reverse("complaints:callback", args=[survey.pk])
    questions = list(store.survey_questions.all())
    data = {"reached": "1", "result": "交车时没有讲解导航，客户不满", "dissatisfied": "on"}
    data.update({f"q_{q.pk}": "6" for q in questions})
    data[f"q_{questions[0].pk}"] = ""
    response = agent.post(url, data)
    assert response.status_code == 200 and "alert-danger" in response.content.decode()
    data[f"q_{questions[0].pk}"] = "5"
    response = agent.post(url, data)
    assert response.status_code == 302 and response.url == reverse("complaints:create") + f"?callback={survey.pk}"
    html = agent.get(response.url).content.decode()
    assert 'id="from-callback"' in html and "交车时没有讲解导航" in html
    assert "dissatisfied-list" in agent.get(reverse("complaints:satisfaction")).content.decode()
    response = agent.post(
        response.url,
        {
            "callback": survey.pk,
            "customer": ladder.customer_id,
            "order": ladder.pk,
            "category": "delivery",
            "touchpoint": "follow_up",
            "facts": "交车时没有讲解导航",
        },
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.callback == survey and complaint.touchpoint == "follow_up"
    assert "dissatisfied-list" not in agent.get(reverse("complaints:satisfaction")).content.decode()


def test_callback_settings_and_survey(client_for, store, users, trim, django_capture_on_commit_callbacks):
    url = reverse("complaints:callback_settings")
    assert client_for(users.consultant).get(url).status_code == 403
    manager = client_for(users.cs_manager)
    services.survey_questions_ensure(store)
    html = manager.get(url).content.decode()
    assert "是否愿意向亲友推荐本店" in html
    data = {
        "day_3": "2",
        "day_7": "7",
        "day_15": "15",
        "ongoing_every": "60",
        "first_service_after": "120",
        "repeat_purchase_every_months": "24",
        "satisfaction_within": "2",
        "questions": "",
        "first_service-TOTAL_FORMS": "0",
        "first_service-INITIAL_FORMS": "0",
    }
    response = manager.post(url, data)
    assert response.status_code == 200 and 'id="error-questions"' in response.content.decode()
    assert 'value="120"' in response.content.decode()  # input kept
    data["questions"] = "顾问是否专业？\n交车是否满意？\n"
    assert manager.post(url, data).status_code == 302
    assert list(store.survey_questions.filter(is_active=True).values_list("text", flat=True)) == [
        "顾问是否专业？",
        "交车是否满意？",
    ]
    assert store.survey_questions.filter(is_active=False).count() == 5
    with django_capture_on_commit_callbacks(execute=True):
        order = deliver_order(store, users, trim)
    from django.utils import timezone

    day = timezone.localdate(order.delivered_at)
    got = {c.kind: c.due_date for c in Callback.objects.filter(order=order)}
    assert (got[K.DAY_3] - day).days == 2 and (got[K.FIRST_SERVICE] - day).days == 120
    assert (got[K.SATISFACTION] - day).days == 2
