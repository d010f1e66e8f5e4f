"""Fixtures of the DCC tests: a store with opening hours, agents with skills, leads from each source,
and the in-memory message backend."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from accounts.models import OpeningHours, Store
from dcc import selectors
from dcc.messaging import MemoryBackend
from dcc.models import AgentProfile
from leads import services as lead_services
from leads.models import Lead
from tests.factories import make_member
from tests.leads.factories import make_customer, next_phone, source


@pytest.fixture(autouse=True)
def _english_messages():
    """Service messages are matched in English here (the suite's default language is Chinese, whose
    translations change as translators work); pages follow each user's own language."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _memory_messages(settings):
    settings.DCC_MESSAGE_BACKEND = "dcc.messaging.MemoryBackend"
    MemoryBackend.outbox = []
    yield MemoryBackend.outbox
    MemoryBackend.outbox = []


@pytest.fixture
def outbox(_memory_messages):
    return _memory_messages


def open_every_day(store: Store, opens: dt.time = dt.time(9), closes: dt.time = dt.time(18)) -> None:
    OpeningHours.objects.filter(store=store).delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(store=store, weekday=day, opens_at=opens, closes_at=closes) for day in range(7)
    )


@pytest.fixture
def dcc_store(store, users):
    """Store A, open 09:00–18:00 every day, with its DCC agent (``users.dcc_agent``) on duty."""
    open_every_day(store)
    selectors.agent_profiles(store)
    return store


def make_agent(store: Store, username: str, *, ib=False, ob=True, direct=False, on_duty=True):
    user = make_member(store, "dcc_agent", username=username)
    profile = selectors.agent_profile(store, user)
    AgentProfile.objects.filter(pk=profile.pk).update(
        skill_inbound=ib, skill_outbound=ob, skill_direct=direct, on_duty=on_duty
    )
    return user


def set_profile(store: Store, user, **fields) -> AgentProfile:
    profile = selectors.agent_profile(store, user)
    AgentProfile.objects.filter(pk=profile.pk).update(**fields)
    profile.refresh_from_db()
    return profile


def local(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def new_lead(store: Store, *, source_code: str = "autohome", owner=None, actor=None, **customer_fields) -> Lead:
    """A new lead of ``source_code`` made through the leads services (no owner: the DCC queue)."""
    customer = make_customer(store, actor, phone=next_phone(), **customer_fields)
    lead, created = lead_services.lead_create(
        actor=actor, customer=customer, owner=owner, source=source(source_code), with_dcc=owner is None
    )
    assert created
    return lead
