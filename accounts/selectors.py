"""Reads about users, stores and their grants."""

from __future__ import annotations

from typing import NamedTuple

from django.db.models import Q, QuerySet

from .models import DealerGroup, Membership, Permission, Role, RoleCode, Store, User


class Access(NamedTuple):
    """What a user's memberships give, read in one pass."""

    grants: dict[int, tuple[set[str], set[str]]]  # store id → (role codes, permission codes) there
    group_ids: frozenset[int]  # dealer groups where they hold a group-wide membership
    roles: dict[int, set[Role]]  # store id → the roles they hold there (for their names)


def user_access(user: User) -> Access:
    """The user's ``Access``: every store they work in, their groups and their roles, read once.

    A group membership applies to every active store of the group. A superuser holds every
    permission in every active store and counts as a member of every group.
    """
    grants: dict[int, tuple[set[str], set[str]]] = {}
    names: dict[int, set[Role]] = {}
    if not user.is_authenticated or not user.is_active:
        return Access(grants, frozenset(), names)
    if user.is_superuser:
        every = set(Permission.objects.values_list("code", flat=True))
        admin = Role.objects.filter(store=None, code=RoleCode.ADMIN).first()
        for store_id in Store.objects.filter(is_active=True).values_list("id", flat=True):
            grants[store_id] = ({"admin"}, set(every))
            names[store_id] = {admin} if admin else set()
        return Access(grants, frozenset(DealerGroup.objects.values_list("id", flat=True)), names)
    memberships = Membership.objects.filter(user=user).select_related("role").prefetch_related("role__permissions")
    group_stores: dict[int, list[int]] = {}
    for membership in memberships:
        if membership.store_id:
            store_ids = [membership.store_id]
        else:
            if membership.group_id not in group_stores:
                group_stores[membership.group_id] = list(
                    Store.objects.filter(group_id=membership.group_id, is_active=True).values_list("id", flat=True)
                )
            store_ids = group_stores[membership.group_id]
        codes = {p.code for p in membership.role.permissions.all()}
        for store_id in store_ids:
            roles, perms = grants.setdefault(store_id, (set(), set()))
            roles.add(membership.role.code)
            perms.update(codes)
            names.setdefault(store_id, set()).add(membership.role)
    active = set(Store.objects.filter(id__in=grants, is_active=True).values_list("id", flat=True))
    grants = {store_id: grant for store_id, grant in grants.items() if store_id in active}
    return Access(grants, frozenset(group_stores), {store_id: names[store_id] for store_id in grants})


def user_stores(user: User) -> QuerySet[Store]:
    return Store.objects.filter(id__in=user.store_ids()).select_related("group").order_by("name")


def user_groups(user: User) -> QuerySet[DealerGroup]:
    """Dealer groups in which the user holds a group-wide membership (group users)."""
    if user.is_superuser:
        return DealerGroup.objects.all()
    return DealerGroup.objects.filter(memberships__user=user).distinct()


def store_users_with_role(store: Store, role_code: str) -> QuerySet[User]:
    """Active users holding ``role_code`` in ``store`` directly (not through a group membership)."""
    return (
        User.objects.filter(is_active=True, memberships__store=store, memberships__role__code=role_code)
        .distinct()
        .order_by("full_name", "username")
    )


def store_users_with_perm(store: Store, permission: str) -> QuerySet[User]:
    """Active users whose role in ``store`` (directly or through its group) grants ``permission``."""
    in_store = Q(memberships__store=store) | Q(memberships__group_id=store.group_id)
    # One filter() call, so both conditions apply to the same membership row.
    return (
        User.objects.filter(in_store, is_active=True, memberships__role__permissions__code=permission)
        .distinct()
        .order_by("full_name", "username")
    )
