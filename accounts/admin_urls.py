"""URLs of the administration pages (stores, users, teams, roles, audit log, system status)."""

urlpatterns: list = []
