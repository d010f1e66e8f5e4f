"""Races the services must win on PostgreSQL: real threads, each with its own connection, started together.

SQLite serialises every write (one writer, no row locks), so these races cannot happen there; the
tests are skipped on SQLite and run in the PostgreSQL step of ``make test`` (scripts/test.sh).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from accounts.models import Notification
from leads import services
from leads.models import Appointment, Customer, Lead, LeadEvent, PoolClaim, Task
from tests.leads.factories import (
    add_member,
    build_daily_world,
    make_customer,
    make_lead,
    source,
)

pytestmark = [
    pytest.mark.postgres_only,
    # Committed data each thread can see; serialized_rollback restores the roles, sources and reasons
    # that the migrations seeded (a transactional test ends by emptying every table).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite runs one writer at a time, so these races cannot happen there "
        "(run with DATABASE_URL=postgresql://…; make test does)",
    ),
]


def run_together(*calls: Callable[[], object], timeout: float = 60) -> list[tuple[str, object]]:
    """Run each call in its own thread (own DB connection), released together by a barrier.

    Returns ("ok", value) or ("error", exception) per call, in order.
    """
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, object]] = [("missing", None)] * len(calls)

    def worker(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[index] = ("ok", call())
        except Exception as exc:  # the test inspects what each side got
            results[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, call), daemon=True) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results


def _unexpected(results, allowed=(ValidationError,)):
    return [value for kind, value in results if kind == "error" and not isinstance(value, allowed)]


# --- (a) two customer_create with the same phone ----------------------------------------------------


def test_concurrent_customer_create_same_phone(users, store):
    results = run_together(
        lambda: services.customer_create(actor=users.reception, store=store, name="赵六", phone="13812345678"),
        lambda: services.customer_create(actor=users.consultant, store=store, name="赵六", phone="+86 138 1234 5678"),
    )
    assert not _unexpected(results)
    winners = [value for kind, value in results if kind == "ok"]
    losers = [value for kind, value in results if kind == "error"]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], services.DuplicateCustomer) and losers[0].customer == winners[0]
    assert Customer.objects.filter(store=store, phone="13812345678").count() == 1


def test_the_database_decides_when_the_check_cannot_see_the_winner(users, store):
    """The winner has inserted but not committed: the loser's check sees nothing, its insert waits
    on the unique index, fails when the winner commits, and answers DuplicateCustomer."""
    inserted = threading.Event()

    def winner():
        with transaction.atomic():
            customer = services.customer_create(actor=users.reception, store=store, name="钱七", phone="13912345678")
            inserted.set()
            time.sleep(0.5)
        return customer

    def loser():
        inserted.wait(10)
        return services.customer_create(actor=users.consultant, store=store, name="钱七", phone="139 1234 5678")

    (kind_w, won), (kind_l, lost) = run_together(winner, loser)
    assert kind_w == "ok" and kind_l == "error"
    assert isinstance(lost, services.DuplicateCustomer) and lost.customer == won
    assert Customer.objects.filter(store=store).count() == 1


# --- (b) two lead_create for one customer ------------------------------------------------------------


def test_concurrent_lead_create_one_open_lead(users, store):
    customer = make_customer(store, users.reception)
    results = run_together(
        lambda: services.lead_create(
            actor=users.reception, customer=customer, owner=users.consultant, source=source("walk_in")
        ),
        lambda: services.lead_create(actor=users.dcc_agent, customer=customer, owner=None, source=source("autohome")),
    )
    assert not _unexpected(results, allowed=())
    answers = [value for _kind, value in results]
    assert sorted(created for _lead, created in answers) == [False, True]
    assert answers[0][0].pk == answers[1][0].pk
    assert Lead.objects.filter(customer=customer).open().count() == 1
    lead = Lead.objects.get(customer=customer)
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.CREATED).count() == 1
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.ENQUIRY).count() == 1


def test_lead_create_loser_waits_for_the_winner_and_attaches(users, store):
    customer = make_customer(store, users.reception)
    inserted = threading.Event()

    def winner():
        with transaction.atomic():
            answer = services.lead_create(
                actor=users.reception, customer=customer, owner=users.consultant, source=source("walk_in")
            )
            inserted.set()
            time.sleep(0.5)
        return answer

    def loser():
        inserted.wait(10)
        return services.lead_create(actor=users.reception, customer=customer, owner=None, source=source("yiche"))

    (kind_w, (won, created_w)), (kind_l, (lost, created_l)) = run_together(winner, loser)
    assert (kind_w, kind_l, created_w, created_l) == ("ok", "ok", True, False)
    assert won.pk == lost.pk
    assert Lead.objects.filter(customer=customer).count() == 1


# --- (c) two morning jobs for one store ----------------------------------------------------------------


def test_concurrent_daily_maintenance_does_everything_once(users, store):
    world = build_daily_world(store, users)
    notifications_before = set(Notification.objects.values_list("pk", flat=True))
    events_before = LeadEvent.objects.count()

    results = run_together(
        lambda: services.daily_maintenance(store=store, now=world["run_at"]),
        lambda: services.daily_maintenance(store=store, now=world["run_at"]),
    )
    assert not _unexpected(results, allowed=()), results
    totals = {key: sum(value[key] for _kind, value in results) for key in results[0][1]}
    assert totals == {
        "tasks_created": 1,
        "no_shows": 1,
        "overdue_marked": 4,
        "escalated": 3,
        "returned_to_pool": 2,
    }
    # Each task exactly once.
    day7 = world["run_at"].date()
    assert Task.objects.filter(lead=world["due_today"], due_date=day7).count() == 1
    assert Task.objects.filter(overdue_marked_at__isnull=False).count() == 4
    assert Task.objects.filter(escalated_at__isnull=False).count() == 3
    # Each notification exactly once: overdue ×2, escalation ×3, pool ×2.
    new = Notification.objects.exclude(pk__in=notifications_before)
    per_recipient_and_kind = [(n.recipient_id, n.url) for n in new]
    assert len(per_recipient_and_kind) == len(set(per_recipient_and_kind)) == 7
    # Each event exactly once: the no-show's status change and the two pool returns.
    assert LeadEvent.objects.filter(kind=LeadEvent.Kind.POOL_RETURNED).count() == 2
    assert LeadEvent.objects.count() - events_before == 3
    assert Appointment.objects.get(lead=world["no_show"]).status == Appointment.Status.NO_SHOW
    assert Lead.objects.filter(in_pool_since__isnull=False).count() == 2


# --- (d) two claims of one pool lead --------------------------------------------------------------------


def test_concurrent_pool_claim_one_winner(users, store):
    import datetime as dt

    from django.utils import timezone

    lead = make_lead(store, users.consultant)
    services.pool_return_overdue(store=store, now=timezone.now() + dt.timedelta(days=30))
    first = add_member(store, "consultant", "a_claim_1")
    second = add_member(store, "consultant", "a_claim_2")
    results = run_together(
        lambda: services.pool_claim(actor=first, lead=lead),
        lambda: services.pool_claim(actor=second, lead=lead),
    )
    assert not _unexpected(results)
    kinds = sorted(kind for kind, _value in results)
    assert kinds == ["error", "ok"]
    error = next(value for kind, value in results if kind == "error")
    assert error.code == "taken"
    winner = first if results[0][0] == "ok" else second
    lead.refresh_from_db()
    assert lead.owner == winner and lead.in_pool_since is None
    assert PoolClaim.objects.filter(lead=lead).count() == 1
    assert Task.objects.filter(lead=lead, status=Task.Status.OPEN).count() == 1
