from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("complaints", views.ComplaintViewSet, basename="complaint")
router.register("callbacks", views.CallbackViewSet, basename="callback")

urlpatterns = router.urls
