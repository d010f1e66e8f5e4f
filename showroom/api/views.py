"""The showroom API: visits, the rotation, demo cars, test drives and orders.

Thin viewsets: an input serializer validates, a service acts, an output serializer answers. Lists and
objects are scoped like the pages (``showroom.selectors.*_visible_to``): another store's object is a
404, a consultant sees their own visits and orders. A service's ValidationError becomes a 400 with
field errors (``accounts.api.errors``); a refusal (code ``forbidden``) a 403.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.api.permissions import HasStorePermission
from accounts.models import Store, User
from leads.models import Lead
from leads.selectors import lead_owners
from leads.services import customer_find_by_phone

from .. import selectors, services
from ..filters import OrderFilterSet, TestDriveFilterSet, VisitFilterSet
from ..models import DemoVehicle, RotationEntry
from .serializers import (
    DemoVehicleSerializer,
    OrderCancelSerializer,
    OrderCreateSerializer,
    OrderDeliverSerializer,
    OrderSerializer,
    RotationEntrySerializer,
    RotationFrontSerializer,
    RotationStateSerializer,
    TestDriveCreateSerializer,
    TestDriveSerializer,
    VisitCreateSerializer,
    VisitDepartSerializer,
    VisitReassignSerializer,
    VisitSerializer,
)

BAD_REQUEST = OpenApiResponse(description="Invalid input: `errors` maps each field to its messages.")


def call_service(func, **kwargs):
    """Run a service: refusals become 403, other ValidationErrors 400 (by the API's error handler)."""
    try:
        return func(**kwargs)
    except DjangoValidationError as exc:
        if getattr(exc, "code", None) == "forbidden":
            raise PermissionDenied(" ".join(exc.messages)) from exc
        raise


def store_for(request, store_id: int | None, permission: str) -> Store:
    """The store a write is for: the one given (where the caller holds ``permission``), else the
    caller's only such store, else the session's current store."""
    store_ids = request.user.store_ids_with_perm(permission)
    if store_id is not None:
        if store_id not in store_ids:
            raise serializers.ValidationError({"store": [_("You may not do this in that store.")]})
        return Store.objects.get(pk=store_id)
    current = getattr(request._request, "store", None)
    if current is not None and current.pk in store_ids:
        return current
    if len(store_ids) == 1:
        return Store.objects.get(pk=store_ids[0])
    if not store_ids:
        raise PermissionDenied
    raise serializers.ValidationError({"store": [_("Say which store: you work in several.")]})


def consultant_in(store: Store, user_id: int, field: str = "consultant") -> User:
    user = lead_owners(store).filter(pk=user_id, is_active=True).first()
    if user is None:
        raise serializers.ValidationError({field: [_("Choose a consultant of this store.")]})
    return user


class ShowroomViewSet(viewsets.GenericViewSet):
    permission_classes = [HasStorePermission]

    def caller_store_ids(self, permission: str) -> list[int]:
        user = self.request.user
        if getattr(self, "swagger_fake_view", False) or not user.is_authenticated:
            return []
        return user.store_ids_with_perm(permission)


# --- Visits ----------------------------------------------------------------------------------------


class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ShowroomViewSet):
    """Showroom visits (展厅流量). The desk and managers see the store's, a consultant the parties
    they received. Filters: ``date_from``, ``date_to``, ``consultant``, ``first`` (1/0), ``source``,
    ``filed`` (1/0), ``unfollowed`` (1), ``q``, ``store``."""

    serializer_class = VisitSerializer
    filterset_class = VisitFilterSet
    required_permission = "showroom.view_board"
    required_permissions = {
        "create": "showroom.register_visit",
        "depart": "showroom.register_visit",
        "reassign": "showroom.reassign_visit",
    }

    def get_queryset(self):
        return selectors.visits_visible_to(self.request.user).select_related("consultant", "source", "lead")

    @extend_schema(request=VisitCreateSerializer, responses={201: VisitSerializer, 400: BAD_REQUEST})
    def create(self, request):
        serializer = VisitCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        store = store_for(request, data.get("store"), "showroom.register_visit")
        consultant = consultant_in(store, data["consultant"]) if data.get("consultant") else None
        visit = call_service(
            services.visit_register,
            actor=request.user,
            store=store,
            phone=data.get("phone", ""),
            visitor_name=data.get("visitor_name", ""),
            arrived_at=data.get("arrived_at"),
            party_size=data["party_size"],
            consultant=consultant,
            source=data.get("source"),
            series=data.get("series"),
            test_drive=data["test_drive"],
            note=data["note"],
        )
        return Response(self.get_serializer(visit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=VisitDepartSerializer, responses={200: VisitSerializer, 400: BAD_REQUEST})
    @action(detail=True, methods=["post"])
    def depart(self, request, pk=None):
        visit = self.get_object()
        serializer = VisitDepartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visit = call_service(
            services.visit_depart, actor=request.user, visit=visit, at=serializer.validated_data.get("departed_at")
        )
        return Response(self.get_serializer(visit).data)

    @extend_schema(request=VisitReassignSerializer, responses={200: VisitSerializer, 400: BAD_REQUEST})
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        visit = self.get_object()
        serializer = VisitReassignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consultant = consultant_in(visit.store, serializer.validated_data["consultant"])
        visit = call_service(
            services.visit_reassign,
            actor=request.user,
            visit=visit,
            consultant=consultant,
            reason=serializer.validated_data["reason"],
        )
        return Response(self.get_serializer(visit).data)


# --- Rotation --------------------------------------------------------------------------------------


class RotationViewSet(ShowroomViewSet):
    """The reception rotation (接待轮序) of the caller's stores, next up first."""

    serializer_class = RotationEntrySerializer
    required_permission = "showroom.view_board"
    required_permissions = {"move_to_front": "showroom.manage_rotation"}
    pagination_class = None

    def get_queryset(self):
        store_ids = self.caller_store_ids("showroom.view_board")
        return RotationEntry.objects.filter(store_id__in=store_ids).select_related("consultant")

    def _answer(self, store_ids) -> Response:
        entries = list(self.get_queryset().filter(store_id__in=store_ids))
        places = {}
        for store in Store.objects.filter(pk__in=store_ids):
            for index, entry in enumerate(selectors.rotation_queue(store), start=1):
                places[entry.pk] = index
        entries.sort(key=lambda e: (e.store_id, places.get(e.pk) is None, places.get(e.pk, 0), e.consultant_id))
        return Response(RotationEntrySerializer(entries, many=True, context={"places": places}).data)

    @extend_schema(responses=RotationEntrySerializer(many=True))
    def list(self, request):
        store_ids = request.user.store_ids_with_perm("showroom.view_board")
        store = request.query_params.get("store")
        if store and store.isdigit():
            store_ids = [s for s in store_ids if s == int(store)]
        return self._answer(store_ids)

    @extend_schema(
        request=RotationStateSerializer, responses={200: RotationEntrySerializer(many=True), 400: BAD_REQUEST}
    )
    @action(detail=False, methods=["post"])
    def state(self, request):
        """Set the caller's own state (or, for a manager, someone else's)."""
        serializer = RotationStateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        store = store_for(request, data.get("store"), "showroom.view_board")
        consultant = consultant_in(store, data.get("consultant") or request.user.pk)
        call_service(
            services.rotation_set_state, actor=request.user, store=store, consultant=consultant, state=data["state"]
        )
        return self._answer([store.pk])

    @extend_schema(
        request=RotationFrontSerializer, responses={200: RotationEntrySerializer(many=True), 400: BAD_REQUEST}
    )
    @action(detail=False, methods=["post"], url_path="move-to-front")
    def move_to_front(self, request):
        """A manager's override: this consultant receives the next party."""
        serializer = RotationFrontSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        store = store_for(request, data.get("store"), "showroom.manage_rotation")
        consultant = consultant_in(store, data["consultant"])
        call_service(services.rotation_move_to_front, actor=request.user, store=store, consultant=consultant)
        return self._answer([store.pk])


# --- Demo cars and test drives ---------------------------------------------------------------------


class DemoVehicleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ShowroomViewSet):
    """Demo cars of the caller's stores (for recording test drives)."""

    serializer_class = DemoVehicleSerializer
    required_permission = "showroom.test_drive"
    filterset_fields = ["store", "is_active"]

    def get_queryset(self):
        store_ids = self.caller_store_ids("showroom.test_drive")
        return DemoVehicle.objects.filter(store_id__in=store_ids).select_related("trim__model__series__brand")


class TestDriveViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ShowroomViewSet):
    """Test drives (试驾). A consultant sees the drives of their leads; filter by ``lead``, ``vehicle``, dates."""

    serializer_class = TestDriveSerializer
    filterset_class = TestDriveFilterSet
    required_permission = "showroom.test_drive"
    required_permissions = {"list": None, "retrieve": None}

    def get_queryset(self):
        return selectors.drives_visible_to(self.request.user).select_related("consultant", "vehicle")

    @extend_schema(request=TestDriveCreateSerializer, responses={201: TestDriveSerializer, 400: BAD_REQUEST})
    def create(self, request):
        serializer = TestDriveCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lead = Lead.objects.visible_to(request.user, "leads.work").filter(pk=data["lead"]).first()
        if lead is None:
            raise serializers.ValidationError({"lead": [_("No lead you may work on has this id.")]})
        if not request.user.has_store_perm(lead.store_id, "showroom.test_drive"):
            raise PermissionDenied
        vehicle = DemoVehicle.objects.filter(store_id=lead.store_id, pk=data["vehicle"]).first()
        if vehicle is None:
            raise serializers.ValidationError({"vehicle": [_("Choose a demo car of this store.")]})
        drive = call_service(
            services.test_drive_record,
            actor=request.user,
            lead=lead,
            vehicle=vehicle,
            route=data["route"],
            licence_checked=data["licence_checked"],
            vehicle_checked=data["vehicle_checked"],
            started_at=data["started_at"],
            ended_at=data.get("ended_at"),
            feedback=data["feedback"],
        )
        return Response(self.get_serializer(drive).data, status=status.HTTP_201_CREATED)


# --- Orders ----------------------------------------------------------------------------------------


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ShowroomViewSet):
    """Sales orders (销售订单): draft → confirmed → delivered, or cancelled with a reason. A consultant
    sees their own; filters: ``q`` (number, customer, VIN), ``status``, ``seller``, ``dcc``, dates, ``store``."""

    serializer_class = OrderSerializer
    filterset_class = OrderFilterSet
    required_permission = "showroom.view_orders"
    required_permissions = {
        "create": "showroom.sell",
        "confirm": "showroom.sell",
        "cancel": "showroom.sell",
        "deliver": "showroom.deliver",
    }

    def get_queryset(self):
        return selectors.orders_visible_to(self.request.user).select_related(
            "customer", "seller", "lead", "trim__model__series__brand"
        )

    @extend_schema(request=OrderCreateSerializer, responses={201: OrderSerializer, 400: BAD_REQUEST})
    def create(self, request):
        serializer = OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        buyer = data.pop("buyer", None)
        lead_id = data.pop("lead", None)
        with transaction.atomic():
            if buyer is not None:
                store = store_for(request, buyer.get("store"), "showroom.sell")
                existing = customer_find_by_phone(store, buyer["phone"])
                open_lead = existing.leads.open().first() if existing else None
                if (
                    open_lead is not None
                    and not Lead.objects.visible_to(request.user, "leads.work").filter(pk=open_lead.pk).exists()
                ):
                    raise serializers.ValidationError(
                        {"buyer": {"phone": [_("This customer's open lead belongs to another consultant.")]}}
                    )
                _customer, lead = call_service(
                    services.customer_for_walk_in_buyer,
                    actor=request.user,
                    store=store,
                    name=buyer["name"],
                    phone=buyer["phone"],
                )
            else:
                lead = Lead.objects.visible_to(request.user, "leads.work").filter(pk=lead_id).first()
                if lead is None:
                    raise serializers.ValidationError({"lead": [_("No lead you may work on has this id.")]})
            order = call_service(services.order_create, actor=request.user, lead=lead, **data)
        return Response(self.get_serializer(order).data, status=status.HTTP_201_CREATED)

    def _act(self, func, **kwargs) -> Response:
        order = self.get_object()
        order = call_service(func, actor=self.request.user, order=order, **kwargs)
        order = get_object_or_404(self.get_queryset(), pk=order.pk)
        return Response(self.get_serializer(order).data)

    @extend_schema(request=None, responses={200: OrderSerializer, 400: BAD_REQUEST})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """Confirm a draft: the lead becomes ordered; a first-visit deal when confirmed on the day of the first visit."""
        return self._act(services.order_confirm)

    @extend_schema(request=OrderCancelSerializer, responses={200: OrderSerializer, 400: BAD_REQUEST})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        serializer = OrderCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._act(services.order_cancel, reason=serializer.validated_data["reason"])

    @extend_schema(request=OrderDeliverSerializer, responses={200: OrderSerializer, 400: BAD_REQUEST})
    @action(detail=True, methods=["post"])
    def deliver(self, request, pk=None):
        """Hand the car over with the VIN of the car (check digit verified)."""
        serializer = OrderDeliverSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._act(
            services.order_deliver,
            vin=serializer.validated_data["vin"],
            at=serializer.validated_data.get("delivered_at"),
        )
