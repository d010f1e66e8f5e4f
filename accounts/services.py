"""Writes for accounts: audit entries, notifications, users, memberships, stores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from . import context
from .models import AuditLog, DealerGroup, Membership, Notification, Role, SchedulerHeartbeat, Store, Team, User


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    store: Store | None = None,
    changes: dict | None = None,
) -> AuditLog:
    """Record who did ``action`` to ``obj``; IP and browser come from the current request, if any."""
    ctx = context.current()
    if store is None and obj is not None:
        store = getattr(obj, "store", None) if not isinstance(obj, Store) else obj
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        store=store,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        changes=_jsonable(changes or {}),
        ip_address=ctx.ip_address,
        user_agent=ctx.user_agent[:200],
    )


def diff_fields(instance: models.Model, data: dict[str, Any]) -> dict[str, list[Any]]:
    """The fields of ``data`` whose value differs on ``instance``, as {field: [old, new]}."""
    changes = {}
    for field, new in data.items():
        old = getattr(instance, field)
        if old != new:
            changes[field] = [_jsonable(old), _jsonable(new)]
    return changes


def notify(
    *,
    recipients: Iterable[User],
    title: str,
    body: str = "",
    url: str = "",
    level: str = Notification.Level.INFO,
    store: Store | None = None,
) -> list[Notification]:
    """Tell users something: an in-app notification each, then delivery through external channels.

    Texts are rendered now, in each recipient's language, by the caller; delivery is enqueued once
    the surrounding transaction commits.
    """
    from .tasks import deliver_notification

    created = []
    seen = set()
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        created.append(
            Notification.objects.create(
                recipient=user, store=store, title=title[:200], body=body, url=url[:300], level=level
            )
        )
    for notification in created:
        transaction.on_commit(lambda pk=notification.pk: deliver_notification.delay(pk))
    return created


def notification_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when no ids are given); returns how many."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(id__in=list(notification_ids))
    return qs.update(read_at=timezone.now())


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    full_name: str = "",
    email: str = "",
    phone: str = "",
    language: str = User.Language.ZH_HANS,
    can_export: bool = False,
    can_see_full_phone: bool = False,
) -> User:
    """Create a user who can sign in; roles are granted separately with ``membership_grant``."""
    user = User(
        username=username,
        full_name=full_name,
        email=email,
        phone=phone,
        language=language,
        can_export=can_export,
        can_see_full_phone=can_see_full_phone,
    )
    user.set_password(password)
    user.save()
    audit_record(actor=actor, action="user.create", obj=user, changes={"username": username})
    return user


@transaction.atomic
def user_update(*, actor: User | None, user: User, **data: Any) -> User:
    """Change a user's profile fields and per-user permissions; the change is audited."""
    changes = diff_fields(user, data)
    for field, value in data.items():
        setattr(user, field, value)
    user.save()
    if changes:
        audit_record(actor=actor, action="user.update", obj=user, changes=changes)
    return user


@transaction.atomic
def user_set_password(*, actor: User | None, user: User, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, action="user.set_password", obj=user)


@transaction.atomic
def membership_grant(
    *, actor: User | None, user: User, role: Role, store: Store | None = None, group: DealerGroup | None = None
) -> Membership:
    """Give ``user`` a role in a store (or across a dealer group). Granting twice is a no-op."""
    if (store is None) == (group is None):
        raise ValueError("A membership needs exactly one of store and group.")
    if store is not None and role.store_id not in (None, store.pk):
        raise ValueError("That role belongs to another store.")
    membership, created = Membership.objects.get_or_create(user=user, role=role, store=store, group=group)
    if created:
        audit_record(
            actor=actor,
            action="membership.grant",
            obj=user,
            store=store,
            changes={"role": role.code, "store": str(store or ""), "group": str(group or "")},
        )
    user.clear_grant_cache()
    return membership


@transaction.atomic
def membership_revoke(*, actor: User | None, membership: Membership) -> None:
    audit_record(
        actor=actor,
        action="membership.revoke",
        obj=membership.user,
        store=membership.store,
        changes={
            "role": membership.role.code,
            "store": str(membership.store or ""),
            "group": str(membership.group or ""),
        },
    )
    membership.delete()


@transaction.atomic
def team_set_members(*, actor: User | None, team: Team, members: Iterable[User]) -> Team:
    """Replace a team's consultants; each must work in the team's store."""
    members = list(members)
    foreign = [m for m in members if team.store_id not in m.store_ids()]
    if foreign:
        raise ValueError("Team members must work in the team's store.")
    before = sorted(team.members.values_list("username", flat=True))
    team.members.set(members)
    after = sorted(m.username for m in members)
    if before != after:
        audit_record(actor=actor, action="team.set_members", obj=team, changes={"members": [before, after]})
    return team


def scheduler_heartbeat_record(name: str = "beat") -> SchedulerHeartbeat:
    """Note that the scheduler fired; the admin's system page shows when it last did."""
    now = timezone.now()
    updated = SchedulerHeartbeat.objects.filter(name=name).update(last_run_at=now, runs=models.F("runs") + 1)
    if not updated:
        beat, _created = SchedulerHeartbeat.objects.get_or_create(name=name, defaults={"last_run_at": now, "runs": 1})
        return beat
    return SchedulerHeartbeat.objects.get(name=name)
