from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("dcc/call-tasks", views.CallTaskViewSet, basename="dcc-call-task")
router.register("dcc/calls", views.CallViewSet, basename="dcc-call")
router.register("dcc/scripts", views.CallScriptViewSet, basename="dcc-script")
router.register("dcc/campaigns", views.CampaignViewSet, basename="dcc-campaign")

urlpatterns = [
    path("dcc/figures/", views.FiguresView.as_view(), name="dcc-figures"),
    *router.urls,
]
