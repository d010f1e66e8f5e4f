"""Writes for accounts: audit entries, notifications, users, memberships, stores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from . import context
from .models import (
    AuditLog,
    DealerGroup,
    Holiday,
    Membership,
    Notification,
    OpeningHours,
    Permission,
    Role,
    SchedulerHeartbeat,
    Store,
    Team,
    User,
)


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
    """Record who did ``action`` to ``obj``; IP and browser come from the current request, if any.

    The store is the object's own, else the one the user is working in during the request.
    """
    ctx = context.current()
    if store is None and obj is not None:
        store = getattr(obj, "store", None) if not isinstance(obj, Store) else obj
    store_id = store.pk if store is not None else ctx.store_id
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        store_id=store_id,
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


def update_with_audit(
    *, actor: User | None, obj: models.Model, fields: dict[str, Any], action: str, store: Store | None = None
) -> dict[str, list[Any]]:
    """Set ``fields`` on ``obj``, save it, and audit what changed; returns the changes.

    Changes are taken against the stored row, not the instance: a ModelForm may already have
    written the new values into the object it was given.
    """
    stored = obj._meta.model._default_manager.filter(pk=obj.pk).first()
    changes = diff_fields(stored, fields) if stored is not None else {}
    for field, value in fields.items():
        setattr(obj, field, value)
    obj.save()
    if changes:
        audit_record(actor=actor, action=action, obj=obj, store=store, changes=changes)
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
    store: Store | None = None,
) -> User:
    """Create a user who can sign in; roles are granted separately with ``membership_grant``.

    ``store`` is where the actor works: it files the audit entry under that store, so the
    store's audit log shows it (a user row has no store of its own).
    """
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
    audit_record(actor=actor, action="user.create", obj=user, store=store, changes={"username": username})
    return user


@transaction.atomic
def user_update(*, actor: User | None, user: User, store: Store | None = None, **data: Any) -> User:
    """Change a user's profile fields and per-user permissions; the change is audited (under ``store``)."""
    update_with_audit(actor=actor, obj=user, fields=data, action="user.update", store=store)
    return user


@transaction.atomic
def user_set_password(*, actor: User | None, user: User, password: str, store: Store | None = None) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, action="user.set_password", obj=user, store=store)


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


# --- Administration: users ----------------------------------------------------------------


@transaction.atomic
def user_onboard(
    *,
    actor: User | None,
    store: Store | None,
    username: str,
    password: str,
    full_name: str = "",
    email: str = "",
    phone: str = "",
    language: str = User.Language.ZH_HANS,
    can_export: bool = False,
    can_see_full_phone: bool = False,
    notify_by_email: bool = False,
    role: Role | None = None,
    role_store: Store | None = None,
    role_group: DealerGroup | None = None,
) -> User:
    """Create a user and, optionally, give them their first role, in one transaction.

    ``store`` is where the actor works (it files the audit entries); ``role_store`` or ``role_group``
    is where the new role applies.
    """
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(password, User(username=username, full_name=full_name, email=email))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user = user_create(
        actor=actor,
        username=username,
        password=password,
        full_name=full_name,
        email=email,
        phone=phone,
        language=language,
        can_export=can_export,
        can_see_full_phone=can_see_full_phone,
        store=store,
    )
    if notify_by_email:
        user_update(actor=actor, user=user, store=store, notify_by_email=True)
    if role is not None:
        membership_grant(actor=actor, user=user, role=role, store=role_store, group=role_group)
    return user


@transaction.atomic
def user_set_active(*, actor: User | None, user: User, is_active: bool, store: Store | None = None) -> User:
    """Deactivate a user (they can no longer sign in; their records stay) or activate them again."""
    if actor is not None and actor.pk == user.pk and not is_active:
        raise ValidationError(gettext("You cannot deactivate your own account."))
    if user.is_active == is_active:
        return user
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="user.activate" if is_active else "user.deactivate",
        obj=user,
        store=store,
        changes={"is_active": [not is_active, is_active]},
    )
    user.clear_grant_cache()
    return user


# --- Administration: stores, opening hours, holidays --------------------------------------

STORE_EDITABLE_FIELDS = ("code", "name", "address", "phone")
HOLIDAY_RANGE_MAX_DAYS = 60


@transaction.atomic
def store_create(
    *,
    actor: User | None,
    group: DealerGroup,
    code: str,
    name: str,
    address: str = "",
    phone: str = "",
    copy_hours_from: Store | None = None,
) -> Store:
    """Open a new store in ``group``. The creator keeps administering it: unless a group-wide role
    already covers the new store, they get the shipped role(s) that let them manage stores where
    they work in the group."""
    if Store.objects.filter(code=code).exists():
        raise ValidationError({"code": [gettext("A store with this code already exists.")]})
    store = Store.objects.create(group=group, code=code, name=name, address=address, phone=phone)
    if copy_hours_from is not None:
        OpeningHours.objects.bulk_create(
            OpeningHours(store=store, weekday=row.weekday, opens_at=row.opens_at, closes_at=row.closes_at)
            for row in copy_hours_from.opening_hours.all()
        )
    audit_record(
        actor=actor,
        action="store.create",
        obj=store,
        changes={"code": code, "name": name, "group": group.name, "hours_from": str(copy_hours_from or "")},
    )
    if actor is not None and actor.is_authenticated and not actor.is_superuser:
        managing = Membership.objects.filter(
            user=actor, role__permissions__code="accounts.manage_stores"
        ).select_related("role")
        if not managing.filter(group=group).exists():
            codes = set(managing.filter(store__group=group).values_list("role__code", flat=True))
            for role in Role.objects.filter(store=None, code__in=codes):
                membership_grant(actor=actor, user=actor, role=role, store=store)
    return store


@transaction.atomic
def store_update(*, actor: User | None, store: Store, **data: Any) -> Store:
    """Change a store's code, name, address or phone."""
    unknown = set(data) - set(STORE_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")
    if "code" in data and Store.objects.filter(code=data["code"]).exclude(pk=store.pk).exists():
        raise ValidationError({"code": [gettext("A store with this code already exists.")]})
    changes = diff_fields(store, data)
    if changes:
        for field, value in data.items():
            setattr(store, field, value)
        store.save(update_fields=list(changes))
        audit_record(actor=actor, action="store.update", obj=store, changes=changes)
    return store


@transaction.atomic
def store_set_active(*, actor: User | None, store: Store, is_active: bool) -> Store:
    """Close a store (its records stay; nobody works in it any more) or reopen it. Stores are never deleted."""
    if store.is_active == is_active:
        return store
    if not is_active and actor is not None and not actor.is_superuser:
        others = set(actor.store_ids_with_perm("accounts.manage_stores")) - {store.pk}
        if not others:
            raise ValidationError(
                gettext("You cannot deactivate the only store you manage: nobody could reopen it from here.")
            )
    store.is_active = is_active
    store.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="store.activate" if is_active else "store.deactivate",
        obj=store,
        changes={"is_active": [not is_active, is_active]},
    )
    if actor is not None:
        actor.clear_grant_cache()
    return store


def opening_hours_problems(weekday: int, intervals: Iterable[tuple[dt.time, dt.time]]) -> list[str]:
    """What is wrong with one weekday's opening intervals (empty when they are fine)."""
    day = OpeningHours.Weekday(weekday).label
    problems = []
    ordered = sorted(intervals)
    for opens, closes in ordered:
        if closes <= opens:
            problems.append(
                gettext("%(day)s: %(opens)s–%(closes)s must close after it opens.")
                % {"day": day, "opens": f"{opens:%H:%M}", "closes": f"{closes:%H:%M}"}
            )
    for (opens_a, closes_a), (opens_b, closes_b) in zip(ordered, ordered[1:], strict=False):
        if opens_b < closes_a:
            problems.append(
                gettext("%(day)s: %(first)s and %(second)s overlap.")
                % {
                    "day": day,
                    "first": f"{opens_a:%H:%M}–{closes_a:%H:%M}",
                    "second": f"{opens_b:%H:%M}–{closes_b:%H:%M}",
                }
            )
    return problems


def _hours_text(intervals: Iterable[tuple[dt.time, dt.time]]) -> str:
    return ", ".join(f"{opens:%H:%M}-{closes:%H:%M}" for opens, closes in sorted(intervals))


@transaction.atomic
def opening_hours_set(
    *, actor: User | None, store: Store, hours: dict[int, Iterable[tuple[dt.time, dt.time]]]
) -> list[OpeningHours]:
    """Replace a store's weekly opening hours. ``hours`` maps weekday (0 = Monday) to its intervals;
    a weekday left out is closed. Intervals must close after they open and must not overlap."""
    wanted = {int(day): sorted(intervals) for day, intervals in hours.items()}
    problems = []
    for day, intervals in sorted(wanted.items()):
        if day not in OpeningHours.Weekday.values:
            raise ValidationError({"opening_hours": [gettext("Unknown weekday %(day)s.") % {"day": day}]})
        problems += opening_hours_problems(day, intervals)
    if problems:
        raise ValidationError({"opening_hours": problems})
    before: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for row in store.opening_hours.all():
        before.setdefault(row.weekday, []).append((row.opens_at, row.closes_at))
    changes = {}
    for day in OpeningHours.Weekday.values:
        old, new = _hours_text(before.get(day, [])), _hours_text(wanted.get(day, []))
        if old != new:
            changes[OpeningHours.Weekday(day).name.lower()] = [old, new]
    if not changes:
        return list(store.opening_hours.all())
    store.opening_hours.all().delete()
    rows = OpeningHours.objects.bulk_create(
        OpeningHours(store=store, weekday=day, opens_at=opens, closes_at=closes)
        for day, intervals in sorted(wanted.items())
        for opens, closes in intervals
    )
    audit_record(actor=actor, action="store.set_opening_hours", obj=store, changes=changes)
    return rows


@transaction.atomic
def holiday_set(
    *,
    actor: User | None,
    store: Store,
    date: dt.date,
    name: str,
    kind: str = Holiday.Kind.CLOSED,
    works_as_weekday: int | None = None,
) -> Holiday:
    """Mark one date closed, or a make-up working day (调休) that opens with the hours of
    ``works_as_weekday``. An existing entry for that date is replaced."""
    if kind not in Holiday.Kind.values:
        raise ValidationError({"kind": [gettext("Unknown kind of day.")]})
    if kind == Holiday.Kind.WORKDAY:
        if works_as_weekday is None:
            raise ValidationError(
                {"works_as_weekday": [gettext("Say which weekday's hours this make-up working day opens with.")]}
            )
        if works_as_weekday not in OpeningHours.Weekday.values:
            raise ValidationError({"works_as_weekday": [gettext("Unknown weekday.")]})
    else:
        works_as_weekday = None
    if not name.strip():
        raise ValidationError({"name": [gettext("Give the day a name, e.g. 春节.")]})
    holiday = Holiday.objects.filter(store=store, date=date).first()
    data = {"name": name.strip(), "kind": kind, "works_as_weekday": works_as_weekday}
    if holiday is None:
        holiday = Holiday.objects.create(store=store, date=date, **data)
        changes = {"date": date, **data}
        action = "holiday.add"
    else:
        changes = diff_fields(holiday, data)
        if not changes:
            return holiday
        for field, value in data.items():
            setattr(holiday, field, value)
        holiday.save()
        changes["date"] = date
        action = "holiday.update"
    audit_record(actor=actor, action=action, obj=holiday, changes=changes)
    return holiday


@transaction.atomic
def holiday_add_range(*, actor: User | None, store: Store, start: dt.date, end: dt.date, name: str) -> tuple[int, int]:
    """Close every day from ``start`` to ``end`` inclusive (e.g. the seven days of 春节).

    Days already in the calendar become closed days with this name. Returns (added, changed).
    """
    if end < start:
        raise ValidationError({"end": [gettext("The last day must not be before the first day.")]})
    days = (end - start).days + 1
    if days > HOLIDAY_RANGE_MAX_DAYS:
        raise ValidationError({"end": [gettext("At most %(max)d days at a time.") % {"max": HOLIDAY_RANGE_MAX_DAYS}]})
    if not name.strip():
        raise ValidationError({"name": [gettext("Give the days a name, e.g. 春节.")]})
    existing = {h.date: h for h in Holiday.objects.filter(store=store, date__range=(start, end))}
    added = changed = 0
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        holiday = existing.get(day)
        if holiday is None:
            Holiday.objects.create(store=store, date=day, name=name.strip(), kind=Holiday.Kind.CLOSED)
            added += 1
        elif (holiday.name, holiday.kind, holiday.works_as_weekday) != (name.strip(), Holiday.Kind.CLOSED, None):
            holiday.name, holiday.kind, holiday.works_as_weekday = name.strip(), Holiday.Kind.CLOSED, None
            holiday.save()
            changed += 1
    audit_record(
        actor=actor,
        action="holiday.add_range",
        obj=store,
        changes={"from": start, "to": end, "name": name.strip(), "added": added, "changed": changed},
    )
    return added, changed


@transaction.atomic
def holiday_remove(*, actor: User | None, holiday: Holiday) -> None:
    """Take a date out of the store's calendar: it follows the normal weekly hours again."""
    audit_record(
        actor=actor,
        action="holiday.remove",
        obj=holiday,
        changes={"date": holiday.date, "name": holiday.name, "kind": holiday.kind},
    )
    holiday.delete()


# --- Administration: roles ----------------------------------------------------------------


def _move_store_memberships(*, store: Store, from_role: Role, to_role: Role) -> int:
    """Point the store's memberships of ``from_role`` at ``to_role`` (dropping exact duplicates)."""
    moved = 0
    for membership in Membership.objects.filter(store=store, role=from_role):
        if Membership.objects.filter(user_id=membership.user_id, store=store, role=to_role).exists():
            membership.delete()
        else:
            membership.role = to_role
            membership.save(update_fields=["role"])
        moved += 1
    return moved


@transaction.atomic
def role_customize(
    *,
    actor: User | None,
    store: Store,
    role: Role,
    name: str,
    landing_url: str,
    permissions: Iterable[Permission],
) -> Role:
    """Rename a role, change its landing page and permissions in one store.

    Editing a shipped default creates the store's override first (a copy of the default, which the
    store's members of that role move to); other stores keep the default.
    """
    if role.store_id not in (None, store.pk):
        raise ValueError("That role belongs to another store.")
    if role.store_id is None:
        override = Role.objects.filter(store=store, code=role.code).first()
        if override is None:
            default = role
            override = Role.objects.create(store=store, code=role.code, name=role.name, landing_url=role.landing_url)
            override.permissions.set(default.permissions.all())
            moved = _move_store_memberships(store=store, from_role=default, to_role=override)
            audit_record(
                actor=actor,
                action="role.override",
                obj=override,
                store=store,
                changes={"code": role.code, "memberships_moved": moved},
            )
        role = override
    permissions = list(permissions)
    old_codes = set(role.permissions.values_list("code", flat=True))
    new_codes = {p.code for p in permissions}
    if _would_lock_out(actor=actor, store=store, role=role, old_codes=old_codes, new_codes=new_codes):
        raise ValidationError(
            {
                "permissions": [
                    gettext("You hold this role yourself: without “%(perm)s” you could no longer manage roles here.")
                    % {"perm": "accounts.manage_roles"}
                ]
            }
        )
    changes = diff_fields(role, {"name": name, "landing_url": landing_url})
    role.name, role.landing_url = name, landing_url
    role.save(update_fields=["name", "landing_url"])
    if old_codes != new_codes:
        role.permissions.set(permissions)
        changes["permissions"] = {"added": sorted(new_codes - old_codes), "removed": sorted(old_codes - new_codes)}
    if changes:
        audit_record(actor=actor, action="role.update", obj=role, store=store, changes=changes)
    if actor is not None:
        actor.clear_grant_cache()
    return role


def _would_lock_out(*, actor: User | None, store: Store, role: Role, old_codes: set, new_codes: set) -> bool:
    key = "accounts.manage_roles"
    if actor is None or actor.is_superuser or key not in old_codes or key in new_codes:
        return False
    mine = Membership.objects.filter(user=actor).filter(models.Q(store=store) | models.Q(group_id=store.group_id))
    if not mine.filter(role=role).exists():
        return False
    return not mine.exclude(role=role).filter(role__permissions__code=key).exists()


@transaction.atomic
def role_reset(*, actor: User | None, role: Role) -> Role:
    """Drop a store's override of a shipped role: its members go back to the default role."""
    if role.store_id is None:
        raise ValidationError(gettext("This is already the standard role."))
    default = Role.objects.filter(store=None, code=role.code).first()
    if default is None:
        raise ValidationError(gettext("There is no standard role to go back to."))
    store = role.store
    moved = _move_store_memberships(store=store, from_role=role, to_role=default)
    audit_record(
        actor=actor,
        action="role.reset",
        obj=role,
        store=store,
        changes={
            "code": role.code,
            "name": role.name,
            "permissions": ", ".join(sorted(role.permissions.values_list("code", flat=True))),
            "memberships_moved": moved,
        },
    )
    role.delete()
    if actor is not None:
        actor.clear_grant_cache()
    return default


# --- Administration: teams ----------------------------------------------------------------


def _check_team(*, store: Store, name: str, supervisor: User | None, team: Team | None = None) -> None:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [gettext("Give the team a name.")]
    elif Team.objects.filter(store=store, name=name.strip()).exclude(pk=getattr(team, "pk", None)).exists():
        errors["name"] = [gettext("This store already has a team with that name.")]
    if supervisor is not None and "sales_supervisor" not in supervisor.roles_in(store):
        errors["supervisor"] = [gettext("The supervisor must be a sales supervisor in this store.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def team_create(
    *, actor: User | None, store: Store, name: str, supervisor: User | None = None, members: Iterable[User] = ()
) -> Team:
    """Form a sales team in ``store``: a supervisor and their consultants."""
    _check_team(store=store, name=name, supervisor=supervisor)
    team = Team.objects.create(store=store, name=name.strip(), supervisor=supervisor)
    audit_record(
        actor=actor,
        action="team.create",
        obj=team,
        changes={"name": team.name, "supervisor": str(supervisor or "")},
    )
    try:
        team_set_members(actor=actor, team=team, members=members)
    except ValueError as exc:
        raise ValidationError({"members": [gettext("Team members must work in the team's store.")]}) from exc
    return team


@transaction.atomic
def team_update(*, actor: User | None, team: Team, name: str, supervisor: User | None, members: Iterable[User]) -> Team:
    """Rename a team, change its supervisor and replace its consultants."""
    _check_team(store=team.store, name=name, supervisor=supervisor, team=team)
    changes = diff_fields(team, {"name": name.strip(), "supervisor": supervisor})
    if changes:
        team.name, team.supervisor = name.strip(), supervisor
        team.save(update_fields=["name", "supervisor"])
        audit_record(actor=actor, action="team.update", obj=team, changes=changes)
    try:
        team_set_members(actor=actor, team=team, members=members)
    except ValueError as exc:
        raise ValidationError({"members": [gettext("Team members must work in the team's store.")]}) from exc
    return team
