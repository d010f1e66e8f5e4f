"""Leads API routes under /api/v1/ (SimpleRouter: the API root belongs to accounts' router)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("leads", views.LeadViewSet, basename="lead")
router.register("follow-ups", views.FollowUpViewSet, basename="follow-up")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("appointments", views.AppointmentViewSet, basename="appointment")
router.register("lost-requests", views.LostRequestViewSet, basename="lost-request")

urlpatterns = [
    # Before the router, whose leads/<id>/ would not match these anyway (ids are digits only).
    path("leads/ingest/", views.IngestView.as_view(), name="api-leads-ingest"),
    path("leads/ingest/outcomes/", views.IngestOutcomesView.as_view(), name="api-leads-ingest-outcomes"),
    path(
        "leads/ingest/outcomes/export/",
        views.IngestOutcomesExportView.as_view(),
        name="api-leads-ingest-outcomes-export",
    ),
    *router.urls,
]
