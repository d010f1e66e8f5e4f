"""Seeding named permissions and granting them to the shipped default roles, from data migrations.

Each app's migration calls ``seed_permissions(apps, {code: (name, [role codes])})``. Stores that
override a role keep their own grants: only the shipped defaults (store empty) are touched.
"""

from __future__ import annotations

ALL_ROLES = [
    "reception",
    "consultant",
    "sales_supervisor",
    "sales_manager",
    "dcc_agent",
    "dcc_manager",
    "cs_agent",
    "cs_manager",
    "gm",
    "admin",
]


def seed_permissions(apps, spec: dict[str, tuple[str, list[str]]]) -> None:
    Permission = apps.get_model("accounts", "Permission")
    Role = apps.get_model("accounts", "Role")
    for code, (name, role_codes) in spec.items():
        permission, _ = Permission.objects.update_or_create(code=code, defaults={"name": name})
        for role_code in role_codes:
            role, _ = Role.objects.get_or_create(store=None, code=role_code)
            role.permissions.add(permission)


def unseed_permissions(apps, codes) -> None:
    apps.get_model("accounts", "Permission").objects.filter(code__in=list(codes)).delete()
