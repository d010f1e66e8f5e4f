"""URLs of the showroom under /showroom/. The cross-check notification links to visits/?unfollowed=1."""

from django.urls import path

from . import order_views, views

app_name = "showroom"

urlpatterns = [
    # The desk.
    # Each menu entry has its own first path segment: the menu marks the entry whose URL is a prefix.
    path("board/", views.BoardView.as_view(), name="board"),
    path("register/", views.VisitRegisterView.as_view(), name="visit_register"),
    path("register/lookup/", views.VisitorLookupView.as_view(), name="visitor_lookup"),
    path("visits/", views.VisitListView.as_view(), name="visit_list"),
    path("visits/export/", views.VisitExportView.as_view(), name="visit_export"),
    path("visits/<int:pk>/depart/", views.VisitDepartView.as_view(), name="visit_depart"),
    path("visits/<int:pk>/correct/", views.VisitCorrectView.as_view(), name="visit_correct"),
    path("visits/<int:pk>/reassign/", views.VisitReassignView.as_view(), name="visit_reassign"),
    path("rotation/", views.RotationView.as_view(), name="rotation"),
    path("rotation/state/", views.RotationChangeView.as_view(action="state"), name="rotation_state"),
    path("rotation/front/", views.RotationChangeView.as_view(action="front"), name="rotation_front"),
    path("clerks/", views.ClerkFiguresView.as_view(), name="clerk_figures"),
    # Test drives and demo cars.
    path("test-drives/new/", views.TestDriveCreateView.as_view(), name="test_drive_create"),
    path("demo-cars/", views.DemoVehicleListView.as_view(), name="demo_vehicle_list"),
    path("demo-cars/new/", views.DemoVehicleFormView.as_view(), name="demo_vehicle_create"),
    path("demo-cars/<int:pk>/edit/", views.DemoVehicleFormView.as_view(), name="demo_vehicle_update"),
    path("settings/", views.ShowroomSettingsView.as_view(), name="settings"),
    # Orders.
    path("orders/", order_views.OrderListView.as_view(), name="order_list"),
    path("orders/new/", order_views.OrderCreateView.as_view(), name="order_create"),
    path("orders/vehicle-picker/", order_views.VehiclePickerView.as_view(), name="vehicle_picker"),
    path("orders/vin-check/", order_views.VinCheckView.as_view(), name="vin_check"),
    path("orders/buyer-lookup/", order_views.BuyerLookupView.as_view(), name="buyer_lookup"),
    path("orders/<int:pk>/", order_views.OrderDetailView.as_view(), name="order_detail"),
    path("orders/<int:pk>/confirm/", order_views.OrderConfirmView.as_view(), name="order_confirm"),
    path("orders/<int:pk>/cancel/", order_views.OrderCancelView.as_view(), name="order_cancel"),
    path("orders/<int:pk>/deliver/", order_views.OrderDeliverView.as_view(), name="order_deliver"),
    path("orders/<int:pk>/print/", order_views.OrderPrintView.as_view(), name="order_print"),
]
