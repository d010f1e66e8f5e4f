from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("complaints", views.ComplaintViewSet, basename="complaint")
router.register("callbacks", views.CallbackViewSet, basename="callback")
router.register("service-reminders", views.ServiceReminderViewSet, basename="service-reminder")
router.register("enquiries", views.EnquiryViewSet, basename="enquiry")
router.register("scorecards", views.ScorecardViewSet, basename="scorecard")

urlpatterns = router.urls
