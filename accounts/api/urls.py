from django.urls import path
from rest_framework.routers import DefaultRouter

from . import manage, views

router = DefaultRouter()
router.register("stores", views.StoreViewSet, basename="store")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("manage/users", manage.ManagedUserViewSet, basename="manage-user")
router.register("manage/memberships", manage.ManagedMembershipViewSet, basename="manage-membership")
router.register("manage/stores", manage.ManagedStoreViewSet, basename="manage-store")
router.register("manage/holidays", manage.ManagedHolidayViewSet, basename="manage-holiday")
router.register("manage/teams", manage.ManagedTeamViewSet, basename="manage-team")
router.register("manage/audit-log", manage.AuditLogViewSet, basename="manage-audit-log")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("me/", views.MeView.as_view(), name="api-me"),
    *router.urls,
]
