"""Notifications: who gets one, delivery through channels exactly once, the bell and marking read."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.channels import EmailChannel, WeComWebhookChannel
from accounts.models import Notification, NotificationDelivery
from accounts.tasks import deliver_notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BOTH_CHANNELS = ["accounts.channels.EmailChannel", "accounts.channels.WeComWebhookChannel"]


@pytest.fixture(autouse=True)
def _channels(settings):
    settings.NOTIFICATION_CHANNELS = BOTH_CHANNELS
    settings.WECOM_WEBHOOK_URL = ""


def deliveries(notification) -> dict[str, str]:
    return dict(NotificationDelivery.objects.filter(notification=notification).values_list("channel", "status"))


# --- notify ---------------------------------------------------------------------------------


def test_notify_creates_one_per_distinct_active_recipient(store, users, django_capture_on_commit_callbacks):
    inactive = UserFactory(is_active=False)
    recipients = [users.consultant, users.gm, users.consultant, None, inactive]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = services.notify(recipients=recipients, title="新线索", body="请跟进", url="/workbench/", store=store)
    assert sorted(n.recipient_id for n in created) == sorted([users.consultant.pk, users.gm.pk])
    assert Notification.objects.count() == 2
    assert not Notification.objects.filter(recipient=inactive).exists()
    assert all(n.store == store and n.title == "新线索" for n in created)
    # Delivery is enqueued after commit, once per notification, and (eagerly) ran each channel.
    assert len(callbacks) == 2
    for notification in created:
        assert deliveries(notification) == {"email": "skipped", "wecom": "logged"}


def test_notify_enqueues_nothing_before_commit(store, users, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        (notification,) = services.notify(recipients=[users.consultant], title="x")
    assert len(callbacks) == 1
    assert not NotificationDelivery.objects.filter(notification=notification).exists()


def test_notify_truncates_long_titles(users):
    (notification,) = services.notify(recipients=[users.consultant], title="长" * 300)
    assert len(notification.title) == 200


# --- delivery -------------------------------------------------------------------------------


def test_each_channel_delivers_exactly_once(users):
    notification = Notification.objects.create(recipient=users.consultant, title="t")
    first = deliver_notification(notification.pk)
    second = deliver_notification(notification.pk)
    assert first == {"email": "skipped", "wecom": "logged"}
    assert second == {}
    assert NotificationDelivery.objects.filter(notification=notification).count() == 2
    assert deliveries(notification) == {"email": "skipped", "wecom": "logged"}


def test_delivery_of_a_deleted_notification_is_a_no_op(users):
    assert deliver_notification(987654) == {}


@pytest.mark.parametrize(
    ("wants_email", "address", "sent"),
    [(True, "a@example.com", True), (True, "", False), (False, "a@example.com", False)],
)
def test_email_goes_only_to_users_who_asked_and_have_an_address(wants_email, address, sent):
    user = UserFactory(notify_by_email=wants_email, email=address)
    notification = Notification.objects.create(recipient=user, title="投诉待处理", body="请查看", url="/x/")
    status, _detail = EmailChannel().deliver(notification)
    if sent:
        assert status == NotificationDelivery.Status.SENT
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == [address]
        assert mail.outbox[0].subject == "投诉待处理"
        assert "请查看" in mail.outbox[0].body and "/x/" in mail.outbox[0].body
    else:
        assert status == NotificationDelivery.Status.SKIPPED
        assert mail.outbox == []


def test_email_through_the_task(users):
    users.consultant.notify_by_email = True
    users.consultant.save()
    notification = Notification.objects.create(recipient=users.consultant, title="t")
    deliver_notification(notification.pk)
    deliver_notification(notification.pk)
    assert len(mail.outbox) == 1
    assert deliveries(notification)["email"] == "sent"


def test_wecom_without_a_webhook_logs_the_message(users, caplog):
    notification = Notification.objects.create(recipient=users.consultant, title="到店提醒", body="明天10点")
    with caplog.at_level(logging.INFO, logger="accounts.channels"):
        status, detail = WeComWebhookChannel().deliver(notification)
    assert status == NotificationDelivery.Status.LOGGED
    assert "WECOM_WEBHOOK_URL" in detail
    assert "到店提醒" in caplog.text


@pytest.fixture
def webhook(monkeypatch):
    """A WeCom robot stand-in on 127.0.0.1: records each POST, answers ``reply``."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    state = {"received": [], "reply": {"errcode": 0, "errmsg": "ok"}}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            state["received"].append(
                {"path": self.path, "content_type": self.headers["Content-Type"], "body": self.rfile.read(length)}
            )
            answer = json.dumps(state["reply"]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{server.server_port}/cgi-bin/webhook/send?key=test"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_wecom_posts_json_to_the_webhook(settings, users, webhook):
    settings.WECOM_WEBHOOK_URL = webhook["url"]
    notification = Notification.objects.create(recipient=users.consultant, title="投诉升级", body="已超时 2 小时")
    results = deliver_notification(notification.pk)
    assert results["wecom"] == "sent"
    (request,) = webhook["received"]
    assert request["path"] == "/cgi-bin/webhook/send?key=test"
    assert request["content_type"] == "application/json"
    assert json.loads(request["body"]) == {"msgtype": "text", "text": {"content": "投诉升级\n已超时 2 小时"}}
    deliver_notification(notification.pk)
    assert len(webhook["received"]) == 1


def test_wecom_error_answer_is_recorded_as_failed(settings, users, webhook):
    settings.WECOM_WEBHOOK_URL = webhook["url"]
    webhook["reply"] = {"errcode": 93000, "errmsg": "invalid webhook url"}
    notification = Notification.objects.create(recipient=users.consultant, title="t")
    deliver_notification(notification.pk)
    assert deliveries(notification)["wecom"] == "failed"
    assert NotificationDelivery.objects.get(notification=notification, channel="wecom").detail == "invalid webhook url"


# --- bell and marking read ------------------------------------------------------------------


def _bell(client) -> str:
    response = client.get(reverse("accounts:notification_bell"))
    assert response.status_code == 200
    return response.content.decode()


def test_bell_counts_unread_own_notifications(client_for, users):
    for title in ("a", "b", "c"):
        Notification.objects.create(recipient=users.consultant, title=title)
    Notification.objects.create(recipient=users.gm, title="not mine")
    client = client_for(users.consultant)
    assert 'id="bell-count">3<' in _bell(client)
    assert 'id="bell-count">3<' in client.get(reverse("accounts:workbench")).content.decode()

    response = client.post(reverse("accounts:notification_read_all"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:notification_list")
    assert "bell-count" not in _bell(client)
    assert Notification.objects.get(recipient=users.gm).read_at is None


def test_marking_one_read_follows_its_link(client_for, users):
    notification = Notification.objects.create(recipient=users.consultant, title="a", url="/workbench/")
    other = Notification.objects.create(recipient=users.consultant, title="b")
    response = client_for(users.consultant).post(reverse("accounts:notification_read", args=[notification.pk]))
    assert response.status_code == 302 and response.url == "/workbench/"
    notification.refresh_from_db(), other.refresh_from_db()
    assert notification.read_at is not None
    assert other.read_at is None


def test_marking_read_never_redirects_off_site(client_for, users):
    notification = Notification.objects.create(recipient=users.consultant, title="a", url="https://evil.example/")
    response = client_for(users.consultant).post(reverse("accounts:notification_read", args=[notification.pk]))
    assert response.url == reverse("accounts:notification_list")


def test_marking_read_by_htmx_answers_204_and_refreshes_the_bell(client_for, users):
    notification = Notification.objects.create(recipient=users.consultant, title="a")
    response = client_for(users.consultant).post(
        reverse("accounts:notification_read", args=[notification.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204
    assert response["HX-Trigger"] == "notificationsChanged"


def test_another_users_notification_is_404(client_for, users):
    theirs = Notification.objects.create(recipient=users.gm, title="secret")
    response = client_for(users.consultant).post(reverse("accounts:notification_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_notification_list_shows_only_own(client_for, users):
    Notification.objects.create(recipient=users.consultant, title="mine-标题")
    Notification.objects.create(recipient=users.gm, title="theirs-标题")
    html = client_for(users.consultant).get(reverse("accounts:notification_list")).content.decode()
    assert "mine-标题" in html
    assert "theirs-标题" not in html
