from rest_framework.routers import SimpleRouter

from . import views

# SimpleRouter: the API root view belongs to accounts' router.
router = SimpleRouter()
router.register("showroom/visits", views.VisitViewSet, basename="showroom-visit")
router.register("showroom/rotation", views.RotationViewSet, basename="showroom-rotation")
router.register("showroom/demo-vehicles", views.DemoVehicleViewSet, basename="showroom-demo-vehicle")
router.register("showroom/test-drives", views.TestDriveViewSet, basename="showroom-test-drive")
router.register("showroom/orders", views.OrderViewSet, basename="showroom-order")

urlpatterns = router.urls
