"""Pluggable delivery channels for notifications, named in settings.NOTIFICATION_CHANNELS.

Each channel gets the notification and answers a status; the in-app centre needs no channel.
"""

from __future__ import annotations

import json
import logging
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from .models import Notification, NotificationDelivery

logger = logging.getLogger(__name__)


class Channel:
    code = ""

    def deliver(self, notification: Notification) -> tuple[str, str]:
        """Send it; return (status, detail) with a ``NotificationDelivery.Status`` value."""
        raise NotImplementedError


class EmailChannel(Channel):
    """Email to users who asked for it and have an address."""

    code = "email"

    def deliver(self, notification):
        user = notification.recipient
        if not user.notify_by_email or not user.email:
            return NotificationDelivery.Status.SKIPPED, "user has no email delivery"
        body = notification.body
        if notification.url:
            body = f"{body}\n\n{notification.url}"
        send_mail(notification.title, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        return NotificationDelivery.Status.SENT, user.email


class WeComWebhookChannel(Channel):
    """A WeCom (企业微信) group-robot webhook; logs the message when no webhook is configured."""

    code = "wecom"
    timeout = 5

    def deliver(self, notification):
        url = settings.WECOM_WEBHOOK_URL
        text = f"{notification.title}\n{notification.body}".strip()
        if not url:
            logger.info("WeCom not configured; would send to %s: %s", notification.recipient, text)
            return NotificationDelivery.Status.LOGGED, "WECOM_WEBHOOK_URL not set"
        payload = json.dumps({"msgtype": "text", "text": {"content": text}}).encode()
        request = urllib.request.Request(url, data=payload, headers={"Content-Type": "application/json"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - the admin-configured webhook
            answer = json.loads(response.read() or b"{}")
        if answer.get("errcode", 0) != 0:
            return NotificationDelivery.Status.FAILED, str(answer.get("errmsg", ""))[:300]
        return NotificationDelivery.Status.SENT, ""


def configured_channels() -> list[Channel]:
    return [import_string(path)() for path in settings.NOTIFICATION_CHANNELS]
