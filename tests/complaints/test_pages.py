"""Customer-service pages: the form keeps input on error, queues per role, signing from the ticket
page, print, settings; another store's ticket is a 404, the wrong role a 403."""

from __future__ import annotations

import pytest
from django.urls import reverse

from complaints.models import Complaint, ComplaintStatus

from .conftest import register

pytestmark = pytest.mark.django_db


def form_data(order, **extra):
    data = {
        "customer": order.customer_id,
        "order": order.pk,
        "category": "delivery",
        "touchpoint": "delivery",
        "facts": "交车时车内有异味",
        "emotion": "不满",
        "demand": "更换脚垫",
        "temperament": "emotional",
    }
    data.update(extra)
    return data


def test_register_from_the_form(client_for, users, delivered_order):
    agent = client_for(users.cs_agent)
    url = reverse("complaints:create") + f"?order={delivered_order.pk}"
    html = agent.get(url).content.decode()
    assert f'value="{delivered_order.pk}" selected' in html
    response = agent.post(url, form_data(delivered_order, facts="", demand="保留我的输入"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="error-facts"' in html and "保留我的输入" in html
    assert not Complaint.objects.exists()
    response = agent.post(url, form_data(delivered_order))
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response.url == reverse("complaints:detail", args=[complaint.pk])
    html = agent.get(response.url).content.decode()
    assert 'id="temperament-guidance"' in html and "交车时车内有异味" in html


def test_customer_taken_from_the_order(client_for, users, delivered_order):
    response = client_for(users.cs_agent).post(reverse("complaints:create"), form_data(delivered_order, customer=""))
    assert response.status_code == 302
    assert Complaint.objects.get().customer == delivered_order.customer


def test_queue_shows_what_waits_for_each_role(client_for, store, users, complaint):
    assert (
        f'id="queue-{complaint.pk}"' in client_for(users.cs_manager).get(reverse("complaints:queue")).content.decode()
    )
    for role in ("gm", "sales_manager", "cs_agent", "consultant"):
        html = client_for(users[role]).get(reverse("complaints:queue")).content.decode()
        assert f'id="queue-{complaint.pk}"' not in html, role
    assert client_for(users.reception).get(reverse("complaints:queue")).status_code == 403


def test_sign_through_the_pages(client_for, users, complaint):
    url = reverse("complaints:sign", args=[complaint.pk])
    manager = client_for(users.cs_manager)
    html = manager.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert 'id="sign-give_opinion"' in html
    # Missing cause: the form comes back with the input kept.
    response = manager.post(url, {"action": "give_opinion", "give_opinion-countermeasure": "补漆"})
    assert response.status_code == 200 and 'id="error-give_opinion-cause"' in response.content.decode()
    assert "补漆" in response.content.decode()
    # The wrong role: 403.
    assert client_for(users.gm).post(url, {"action": "give_opinion"}).status_code == 403
    response = manager.post(
        url, {"action": "give_opinion", "give_opinion-cause": "检查不细", "give_opinion-countermeasure": "补漆"}
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.OPINION_GIVEN
    # Signing twice: a message, not an error page.
    response = manager.post(
        url, {"action": "give_opinion", "give_opinion-cause": "a", "give_opinion-countermeasure": "b"}, follow=True
    )
    assert response.status_code == 200 and "alert-danger" in response.content.decode()
    assert client_for(users.gm).post(url, {"action": "approve"}).status_code == 302
    sm = client_for(users.sales_manager)
    response = sm.post(url, {"action": "dispatch", "dispatch-handler": ""})
    assert response.status_code == 200 and 'id="error-dispatch-handler"' in response.content.decode()
    sm.post(url, {"action": "dispatch", "dispatch-handler": users.consultant.pk})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.DISPATCHED
    consultant = client_for(users.consultant)
    assert f'id="queue-{complaint.pk}"' in consultant.get(reverse("complaints:queue")).content.decode()
    consultant.post(url, {"action": "handle", "handle-handling_result": "已补漆"})
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.HANDLED
    # Garbage action: back to the ticket with a message, never 500.
    response = manager.post(url, {"action": "explode"}, follow=True)
    assert response.status_code == 200 and "alert-danger" in response.content.decode()


def test_consultant_sees_only_tickets_dispatched_to_them(client_for, store, users, complaint):
    detail = reverse("complaints:detail", args=[complaint.pk])
    assert client_for(users.consultant).get(detail).status_code == 404
    assert client_for(users.consultant).get(reverse("complaints:list")).status_code == 403


def test_other_store_gets_404(client_for, other_users, complaint):
    for role in ("cs_agent", "cs_manager", "gm", "sales_manager"):
        client = client_for(other_users[role])
        assert client.get(reverse("complaints:detail", args=[complaint.pk])).status_code == 404
        assert client.get(reverse("complaints:print", args=[complaint.pk])).status_code == 404
        assert (
            client.post(reverse("complaints:sign", args=[complaint.pk]), {"action": "give_opinion"}).status_code == 404
        )
        assert complaint.number not in client.get(reverse("complaints:list")).content.decode()


def test_print_form_and_list(client_for, store, users, delivered_order):
    complaint = register(store, users, delivered_order, temperament="media_legal")
    html = client_for(users.gm).get(reverse("complaints:print", args=[complaint.pk])).content.decode()
    assert 'id="complaint-print"' in html and complaint.number in html and store.name in html
    html = client_for(users.cs_agent).get(reverse("complaints:list") + "?media_or_legal=true").content.decode()
    assert f'id="complaint-{complaint.pk}"' in html and "data-media-legal" in html
    html = client_for(users.cs_agent).get(reverse("complaints:list") + "?status=closed").content.decode()
    assert f'id="complaint-{complaint.pk}"' not in html
    assert client_for(users.cs_agent).get(reverse("complaints:list") + "?registered_from=garbage").status_code == 200


def test_settings_page(client_for, store, users):
    url = reverse("complaints:settings")
    assert client_for(users.cs_agent).get(url).status_code == 403
    manager = client_for(users.cs_manager)
    response = manager.post(url, {"handling_hours": "0", "at_risk_percent": "80"})
    assert response.status_code == 200 and 'id="error-handling_hours"' in response.content.decode()
    assert manager.post(url, {"handling_hours": "36", "at_risk_percent": "80"}).status_code == 302
    assert store.complaint_settings.handling_hours == 36
