"""Pluggable message backends for SMS and email to customers (confirmations, reminders, campaigns).

``settings.DCC_MESSAGE_BACKEND`` names the class (default: ``dcc.messaging.LogBackend``, which only
writes each message to the log, so nothing leaves the machine until a real gateway is configured).
A backend is told *what* to send; *whether* to send (consent, do-not-disturb) is decided before,
in ``dcc.services``, and checked once more by ``send_to_customer``.
"""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

logger = logging.getLogger("dcc.messages")

DEFAULT_BACKEND = "dcc.messaging.LogBackend"


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str  # "sms" | "email"
    to: str
    body: str
    subject: str = ""
    store_id: int | None = None
    reference: str = ""  # e.g. "reminder:12", "campaign:3:lead:45"


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_ref: str = ""
    detail: str = ""


class BaseBackend:
    def send(self, message: OutgoingMessage) -> SendResult:  # pragma: no cover - interface
        raise NotImplementedError


class LogBackend(BaseBackend):
    """The default: every message is written to the ``dcc.messages`` log and counts as sent."""

    def send(self, message: OutgoingMessage) -> SendResult:
        logger.info("%s to %s [%s]: %s", message.channel, message.to, message.reference, message.body)
        return SendResult(ok=True, provider_ref=f"log:{message.reference}")


class EmailBackend(LogBackend):
    """Email through Django's mail settings; SMS still only to the log (no SMS gateway configured)."""

    def send(self, message: OutgoingMessage) -> SendResult:
        if message.channel != "email":
            return super().send(message)
        sent = send_mail(message.subject or message.body[:60], message.body, None, [message.to], fail_silently=False)
        return SendResult(ok=bool(sent), provider_ref=f"email:{message.reference}")


class MemoryBackend(BaseBackend):
    """For tests: messages collect in ``MemoryBackend.outbox``."""

    outbox: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> SendResult:
        MemoryBackend.outbox.append(message)
        return SendResult(ok=True, provider_ref=f"mem:{len(MemoryBackend.outbox)}")


@lru_cache(maxsize=8)
def _backend_class(path: str):
    return import_string(path)


def get_backend() -> BaseBackend:
    return _backend_class(getattr(settings, "DCC_MESSAGE_BACKEND", DEFAULT_BACKEND))()


class _Placeholders(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_text(text: str, values: dict[str, object]) -> str:
    """Fill {placeholders}; unknown ones stay as typed, and braces never raise."""
    formatter = string.Formatter()
    try:
        return formatter.vformat(text, (), _Placeholders({k: "" if v is None else v for k, v in values.items()}))
    except (ValueError, IndexError, AttributeError, KeyError):
        return text


def send_to_customer(customer, *, channel: str, body: str, subject: str = "", reference: str = "") -> SendResult:
    """Send one message to a customer, never to one who asked not to be disturbed."""
    if customer.do_not_disturb:
        return SendResult(ok=False, detail="do_not_disturb")
    to = customer.email if channel == "email" else customer.phone
    if not to:
        return SendResult(ok=False, detail="no_address")
    try:
        return get_backend().send(
            OutgoingMessage(
                channel=channel, to=to, body=body, subject=subject, store_id=customer.store_id, reference=reference
            )
        )
    except Exception as exc:  # noqa: BLE001 - a gateway failure is recorded on the message, never raised
        logger.warning("message %s to %s failed: %s", reference, to, exc)
        return SendResult(ok=False, detail=str(exc)[:200] or exc.__class__.__name__)
