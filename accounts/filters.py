"""Who an administrator may see and change, and the FilterSets of the administration lists.

Each FilterSet serves both the HTML list and the API viewset, so the two can never disagree.
The scoping functions are the one definition of "what this administrator manages".
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .models import AuditLog, DealerGroup, Membership, Role, RoleCode, Store, User

MANAGE_STORES = "accounts.manage_stores"
MANAGE_USERS = "accounts.manage_users"
MANAGE_TEAMS = "accounts.manage_teams"
MANAGE_ROLES = "accounts.manage_roles"
VIEW_AUDIT_LOG = "accounts.view_audit_log"


# --- scope --------------------------------------------------------------------------------


def managed_stores(user: User, permission: str = MANAGE_STORES) -> QuerySet[Store]:
    """Stores where ``user`` holds ``permission``, closed ones included (so they can be reopened)."""
    if not user.is_authenticated or not user.is_active:
        return Store.objects.none()
    if user.is_superuser:
        return Store.objects.select_related("group")
    memberships = Membership.objects.filter(user=user, role__permissions__code=permission)
    return Store.objects.filter(
        Q(id__in=memberships.filter(store__isnull=False).values("store_id"))
        | Q(group_id__in=memberships.filter(group__isnull=False).values("group_id"))
    ).select_related("group")


def managed_group_ids(user: User, permission: str = MANAGE_USERS) -> set[int]:
    """Dealer groups where ``user`` holds ``permission`` in every active store (or group-wide):
    only there may they grant group-wide roles, which reach every store of the group."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return set(DealerGroup.objects.values_list("id", flat=True))
    mine = set(user.store_ids_with_perm(permission))
    groups: dict[int, set[int]] = {}
    for store_id, group_id in Store.objects.filter(is_active=True).values_list("id", "group_id"):
        groups.setdefault(group_id, set()).add(store_id)
    return {group_id for group_id, store_ids in groups.items() if store_ids and store_ids <= mine}


def users_visible_to(user: User) -> QuerySet[User]:
    """Users an administrator may look at: everyone working in a store where they manage users
    (directly or through a group-wide role), plus users without any role whom they created."""
    if not user.is_authenticated or not user.is_active:
        return User.objects.none()
    if user.is_superuser:
        return User.objects.all()
    store_ids = user.store_ids_with_perm(MANAGE_USERS)
    if not store_ids:
        return User.objects.none()
    group_ids = Store.objects.filter(id__in=store_ids).values("group_id")
    created = AuditLog.objects.filter(actor=user, action="user.create", object_type="accounts.user").values_list(
        "object_id", flat=True
    )
    created_ids = [int(pk) for pk in created if pk.isdigit()]
    in_scope = User.objects.filter(Q(memberships__store_id__in=store_ids) | Q(memberships__group_id__in=group_ids))
    orphans = User.objects.filter(pk__in=created_ids, memberships__isnull=True)
    return User.objects.filter(Q(pk__in=in_scope.values("pk")) | Q(pk__in=orphans.values("pk"))).exclude(
        is_superuser=True
    )


def membership_changeable_by(membership: Membership, user: User) -> bool:
    """An administrator changes roles only in the stores (and groups) they manage users in."""
    if user.is_superuser:
        return True
    if membership.store_id is not None:
        return membership.store_id in user.store_ids_with_perm(MANAGE_USERS)
    return membership.group_id in managed_group_ids(user, MANAGE_USERS)


def user_editable_by(target: User, user: User) -> bool:
    """Profile, password and active flag: only when every role of ``target`` is in the administrator's
    reach, so a store's admin can never take over an account that works elsewhere too."""
    if user.is_superuser:
        return True
    if target.is_superuser:
        return False
    return all(membership_changeable_by(m, user) for m in target.memberships.all())


def grantable_role_codes(stores) -> list[tuple[str, str]]:
    """(code, name) of the roles that can be granted in any of ``stores``, shipped order first."""
    order = {code: index for index, code in enumerate(RoleCode.values)}
    names: dict[str, str] = {}
    for role in Role.objects.filter(Q(store__isnull=True) | Q(store__in=stores)).order_by("-store_id"):
        if role.store_id is None or role.code not in names:
            names[role.code] = str(role.display_name)
    return sorted(names.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


# --- FilterSets ---------------------------------------------------------------------------


def _user_stores(request) -> QuerySet[Store]:
    if request is None:
        return Store.objects.none()
    return Store.objects.filter(id__in=request.user.store_ids_with_perm(MANAGE_USERS))


@extend_schema_field(OpenApiTypes.INT)
class StoreChoiceFilter(django_filters.ModelChoiceFilter):
    """A store id (the filter method widens it to the store's group-wide roles)."""


@extend_schema_field(OpenApiTypes.STR)
class RoleCodeFilter(django_filters.ChoiceFilter):
    """A role code such as ``consultant``."""


class UserFilterSet(django_filters.FilterSet):
    """Search by name, username, phone or email; filter by store, role and active flag."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    store = StoreChoiceFilter(queryset=_user_stores, method="in_store", label=_("Store"), empty_label=_("All stores"))
    role = RoleCodeFilter(method="with_role", label=_("Role"), empty_label=_("All roles"))
    is_active = django_filters.BooleanFilter(
        label=_("Active"),
        widget=forms.Select(choices=[("", _("Active and inactive")), ("true", _("Active")), ("false", _("Inactive"))]),
    )

    class Meta:
        model = User
        fields = ["q", "store", "role", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["role"].extra["choices"] = grantable_role_codes(_user_stores(self.request))

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(username__icontains=value)
            | Q(full_name__icontains=value)
            | Q(phone__icontains=value)
            | Q(email__icontains=value)
        )

    def in_store(self, queryset, name, value):
        return queryset.filter(
            pk__in=Membership.objects.filter(Q(store=value) | Q(group_id=value.group_id)).values("user_id")
        )

    def with_role(self, queryset, name, value):
        store = self.form.cleaned_data.get("store")
        memberships = Membership.objects.filter(role__code=value)
        if store is not None:
            memberships = memberships.filter(Q(store=store) | Q(group_id=store.group_id))
        return queryset.filter(pk__in=memberships.values("user_id"))


def _audit_scope(request) -> QuerySet[AuditLog]:
    if request is None:
        return AuditLog.objects.none()
    return AuditLog.objects.visible_to(request.user, VIEW_AUDIT_LOG)


def _audit_actors(request) -> QuerySet[User]:
    return User.objects.filter(pk__in=_audit_scope(request).values("actor_id")).order_by("full_name", "username")


def _audit_stores(request) -> QuerySet[Store]:
    if request is None:
        return Store.objects.none()
    return Store.objects.filter(id__in=request.user.store_ids_with_perm(VIEW_AUDIT_LOG))


class AuditLogFilterSet(django_filters.FilterSet):
    """Date range, user, action, object type and store: for the audit log page and its API."""

    date_from = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    actor = django_filters.ModelChoiceFilter(queryset=_audit_actors, label=_("User"), empty_label=_("Everyone"))
    action = django_filters.ChoiceFilter(label=_("Action"), empty_label=_("All actions"))
    object_type = django_filters.ChoiceFilter(label=_("Object type"), empty_label=_("All types"))
    store = django_filters.ModelChoiceFilter(queryset=_audit_stores, label=_("Store"), empty_label=_("All stores"))

    class Meta:
        model = AuditLog
        fields = ["date_from", "date_to", "actor", "action", "object_type", "store"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope = _audit_scope(self.request).order_by()
        actions = sorted(set(scope.values_list("action", flat=True)))
        types = sorted(set(scope.exclude(object_type="").values_list("object_type", flat=True)))
        self.filters["action"].extra["choices"] = [(a, a) for a in actions]
        self.filters["object_type"].extra["choices"] = [(t, t) for t in types]
