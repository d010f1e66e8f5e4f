"""URLs of the administration pages (stores, users, teams, roles, audit log, system status).

Included at ``/manage/`` inside the ``accounts`` namespace.
"""

from django.urls import path

from . import admin_views as views

urlpatterns = [
    # stores, opening hours, holidays
    path("stores/", views.StoreListView.as_view(), name="store_list"),
    path("stores/new/", views.StoreCreateView.as_view(), name="store_create"),
    path("stores/<int:pk>/", views.StoreDetailView.as_view(), name="store_detail"),
    path("stores/<int:pk>/edit/", views.StoreUpdateView.as_view(), name="store_edit"),
    path("stores/<int:pk>/hours/", views.StoreHoursView.as_view(), name="store_hours"),
    path("stores/<int:pk>/active/", views.StoreSetActiveView.as_view(), name="store_set_active"),
    path("stores/<int:pk>/holidays/add/", views.HolidayAddView.as_view(), name="holiday_add"),
    path("stores/<int:pk>/holidays/range/", views.HolidayRangeView.as_view(), name="holiday_add_range"),
    path("stores/<int:pk>/holidays/<int:holiday_pk>/delete/", views.HolidayDeleteView.as_view(), name="holiday_delete"),
    # users and their roles
    path("users/", views.UserListView.as_view(), name="user_list"),
    path("users/new/", views.UserCreateView.as_view(), name="user_create"),
    path("users/<int:pk>/", views.UserEditView.as_view(), name="user_edit"),
    path("users/<int:pk>/password/", views.UserPasswordView.as_view(), name="user_password"),
    path("users/<int:pk>/active/", views.UserSetActiveView.as_view(), name="user_set_active"),
    path("users/<int:pk>/roles/grant/", views.MembershipGrantView.as_view(), name="membership_grant"),
    path(
        "users/<int:pk>/roles/<int:membership_pk>/revoke/",
        views.MembershipRevokeView.as_view(),
        name="membership_revoke",
    ),
    # teams
    path("teams/", views.TeamListView.as_view(), name="team_list"),
    path("teams/new/", views.TeamCreateView.as_view(), name="team_create"),
    path("teams/<int:pk>/", views.TeamUpdateView.as_view(), name="team_edit"),
    # roles
    path("roles/", views.RoleListView.as_view(), name="role_list"),
    path("roles/<int:pk>/", views.RoleEditView.as_view(), name="role_edit"),
    path("roles/<int:pk>/reset/", views.RoleResetView.as_view(), name="role_reset"),
    # audit log and system
    path("audit/", views.AuditListView.as_view(), name="audit_list"),
    path("audit/<int:pk>/", views.AuditDetailView.as_view(), name="audit_detail"),
    path("system/", views.SystemStatusView.as_view(), name="system_status"),
]
