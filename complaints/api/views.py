"""Customer-service API: complaints (list and read, register, sign — one endpoint for every
transition), callbacks, vehicle-service reminders, enquiries and help calls, and SSI scorecards.

Thin viewsets: an input serializer validates, a service acts, an output serializer answers. Lists
are narrowed to the stores where the caller holds the permission; another store's object is a 404,
a service's refusal a 403, its ValidationError a 400 with field messages.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.api.pagination import StandardCursorPagination
from accounts.api.permissions import HasStorePermission
from accounts.models import Store, User
from leads.models import Customer
from showroom.models import Order

from .. import services
from ..filters import (
    CallbackFilterSet,
    ComplaintFilterSet,
    EnquiryFilterSet,
    ScorecardFilterSet,
    ServiceReminderFilterSet,
)
from ..models import Callback, Complaint, Enquiry, Scorecard, ServiceReminder
from . import serializers as s

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def call_service(fn, **kwargs):
    try:
        return fn(**kwargs)
    except DjangoPermissionDenied as exc:
        raise PermissionDenied() from exc
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise serializers.ValidationError(exc.message_dict) from exc
        raise serializers.ValidationError({"non_field_errors": exc.messages}) from exc


class ComplaintViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Complaint.objects.none()  # for the schema; get_queryset() scopes to the caller
    serializer_class = s.ComplaintSerializer
    permission_classes = [HasStorePermission]
    filterset_class = ComplaintFilterSet
    required_permissions = {"create": "complaints.register"}

    def get_queryset(self):
        user = self.request.user
        return (
            Complaint.objects.filter(
                Q(store_id__in=user.store_ids_with_perm("complaints.view"))
                | Q(handler=user, store_id__in=user.store_ids_with_perm("complaints.handle"))
            )
            .select_related("customer")
            .prefetch_related("steps__actor")
            .order_by("-registered_at", "-id")
        )

    def create(self, request):
        data = s.ComplaintInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        store = Store.objects.filter(
            pk=v["store"], pk__in=request.user.store_ids_with_perm("complaints.register")
        ).first()
        if store is None:
            raise serializers.ValidationError({"store": [_("You do not have this right in that store.")]})
        customer = Customer.objects.filter(store=store, pk=v["customer"]).first()
        if customer is None:
            raise serializers.ValidationError({"customer": [_("Choose a customer of this store.")]})
        order = None
        if v.get("order"):
            order = Order.objects.filter(store=store, pk=v["order"]).first()
            if order is None:
                raise serializers.ValidationError({"order": [_("Choose an order of this customer in this store.")]})
        complaint = call_service(
            services.complaint_register,
            actor=request.user,
            store=store,
            customer=customer,
            order=order,
            vehicle=v.get("vehicle", ""),
            category=v["category"],
            touchpoint=v["touchpoint"],
            facts=v["facts"],
            emotion=v.get("emotion", ""),
            demand=v.get("demand", ""),
            temperament=v.get("temperament", ""),
            media_or_legal=v.get("media_or_legal", False),
        )
        return Response(s.ComplaintSerializer(complaint).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None, format=None):
        complaint = self.get_object()
        data = s.SignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        if v.get("handler"):
            v["handler"] = User.objects.filter(pk=v["handler"]).first()
        call_service(services.complaint_sign, actor=request.user, complaint=complaint, action=v.pop("action"), data=v)
        complaint.refresh_from_db()
        return Response(s.ComplaintSerializer(complaint).data)


class CallbackViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Callbacks: a consultant sees their own, customer service every callback of its stores."""

    queryset = Callback.objects.none()  # for the schema; get_queryset() scopes to the caller
    serializer_class = s.CallbackSerializer
    permission_classes = [HasStorePermission]
    filterset_class = CallbackFilterSet

    def get_queryset(self):
        user = self.request.user
        supervised = set(user.store_ids_with_perm("callbacks.supervise")) | set(
            user.store_ids_with_perm("callbacks.satisfaction")
        )
        return Callback.objects.filter(
            Q(store_id__in=supervised) | Q(assignee=user, store_id__in=user.store_ids_with_perm("callbacks.work"))
        ).select_related("customer", "order")

    @action(detail=True, methods=["post"])
    def record(self, request, pk=None, format=None):
        callback = self.get_object()
        data = s.CallbackRecordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        callback = call_service(
            services.callback_record,
            actor=request.user,
            callback=callback,
            reached=v["reached"],
            result=v.get("result", ""),
            scores={int(k): val for k, val in (v.get("scores") or {}).items() if str(k).isdigit()},
            dissatisfied=v.get("dissatisfied", False),
        )
        return Response(s.CallbackSerializer(callback).data)

    @action(detail=True, methods=["post"])
    def check(self, request, pk=None, format=None):
        callback = self.get_object()
        data = s.CallbackCheckSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        callback = call_service(
            services.callback_check, actor=request.user, callback=callback, note=data.validated_data["note"]
        )
        return Response(s.CallbackSerializer(callback).data)


def _store_for(user, store_id: int, permission: str) -> Store:
    """The store the caller names for a new record: one where they hold ``permission``, else a 400."""
    store = Store.objects.filter(pk=store_id, pk__in=user.store_ids_with_perm(permission)).first()
    if store is None:
        raise serializers.ValidationError({"store": [_("You do not have this right in that store.")]})
    return store


class DueFirstPagination(StandardCursorPagination):
    """Reminders in the order they are worked: soonest due first."""

    ordering = ("due_date", "id")


class ServiceReminderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Vehicle-service reminders (车务提醒) of the caller's stores, created by the daily job; customer
    service marks each done (what the customer said) or skips it (why not called)."""

    queryset = ServiceReminder.objects.none()  # for the schema; get_queryset() scopes to the caller
    serializer_class = s.ServiceReminderSerializer
    permission_classes = [HasStorePermission]
    required_permission = "callbacks.reminders"
    filterset_class = ServiceReminderFilterSet
    pagination_class = DueFirstPagination

    def get_queryset(self):
        stores = self.request.user.store_ids_with_perm("callbacks.reminders")
        return (
            ServiceReminder.objects.filter(store_id__in=stores)
            .select_related("customer", "order")
            .order_by("due_date", "id")
        )

    @extend_schema(request=s.ReminderDoneSerializer, responses={200: s.ServiceReminderSerializer})
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None, format=None):
        reminder = self.get_object()
        data = s.ReminderDoneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reminder = call_service(
            services.reminder_done, actor=request.user, reminder=reminder, result=data.validated_data["result"]
        )
        return Response(s.ServiceReminderSerializer(self._fresh(reminder)).data)

    @extend_schema(request=s.ReminderSkipSerializer, responses={200: s.ServiceReminderSerializer})
    @action(detail=True, methods=["post"])
    def skip(self, request, pk=None, format=None):
        reminder = self.get_object()
        data = s.ReminderSkipSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reminder = call_service(
            services.reminder_skip, actor=request.user, reminder=reminder, reason=data.validated_data["reason"]
        )
        return Response(s.ServiceReminderSerializer(self._fresh(reminder)).data)

    def _fresh(self, reminder):
        return ServiceReminder.objects.select_related("customer", "order").get(pk=reminder.pk)


class EnquiryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Enquiries and help calls from customers (信息回馈): logged by customer service, then answered
    (``handle``) or passed to the right colleague (``pass``), who is notified."""

    queryset = Enquiry.objects.none()  # for the schema; get_queryset() scopes to the caller
    serializer_class = s.EnquirySerializer
    permission_classes = [HasStorePermission]
    required_permission = "callbacks.reminders"
    filterset_class = EnquiryFilterSet

    def get_queryset(self):
        stores = self.request.user.store_ids_with_perm("callbacks.reminders")
        return Enquiry.objects.filter(store_id__in=stores).order_by("-created_at", "-id")

    @extend_schema(request=s.EnquiryCreateSerializer, responses={201: s.EnquirySerializer})
    def create(self, request):
        data = s.EnquiryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        store = _store_for(request.user, v["store"], "callbacks.reminders")
        customer = None
        if v.get("customer"):
            customer = Customer.objects.filter(store=store, pk=v["customer"]).first()
            if customer is None:
                raise serializers.ValidationError({"customer": [_("Choose a customer of this store.")]})
        enquiry = call_service(
            services.enquiry_log,
            actor=request.user,
            store=store,
            customer=customer,
            caller_name=v["caller_name"],
            phone=v.get("phone", ""),
            kind=v.get("kind") or Enquiry.Kind.ENQUIRY,
            summary=v["summary"],
        )
        return Response(s.EnquirySerializer(enquiry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.EnquiryHandleSerializer, responses={200: s.EnquirySerializer})
    @action(detail=True, methods=["post"])
    def handle(self, request, pk=None, format=None):
        enquiry = self.get_object()
        data = s.EnquiryHandleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        enquiry = call_service(
            services.enquiry_handle, actor=request.user, enquiry=enquiry, result=data.validated_data["result"]
        )
        return Response(s.EnquirySerializer(enquiry).data)

    @extend_schema(request=s.EnquiryPassSerializer, responses={200: s.EnquirySerializer})
    @action(detail=True, methods=["post"], url_path="pass", url_name="pass")
    def pass_on(self, request, pk=None, format=None):
        enquiry = self.get_object()
        data = s.EnquiryPassSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        colleague = User.objects.filter(pk=v["passed_to"], is_active=True).first()
        if colleague is None:
            raise serializers.ValidationError({"passed_to": [_("Choose a colleague of this store.")]})
        enquiry = call_service(
            services.enquiry_handle, actor=request.user, enquiry=enquiry, result=v["result"], passed_to=colleague
        )
        return Response(s.EnquirySerializer(enquiry).data)


class ScorecardViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """SSI scorecards (SSI整改) with their lines: built (or rebuilt until approved) by the
    customer-service manager or GM, approved by the GM, exported to Excel by those allowed to export."""

    queryset = Scorecard.objects.none()  # for the schema; get_queryset() scopes to the caller
    serializer_class = s.ScorecardSerializer
    permission_classes = [HasStorePermission]
    required_permission = "ssi.view"
    required_permissions = {"approve": "ssi.approve"}
    filterset_class = ScorecardFilterSet

    def get_queryset(self):
        stores = self.request.user.store_ids_with_perm("ssi.view")
        return Scorecard.objects.filter(store_id__in=stores).prefetch_related("lines__person").order_by("-month", "-id")

    def _fresh(self, scorecard) -> Scorecard:
        return Scorecard.objects.prefetch_related("lines__person").get(pk=scorecard.pk)

    @extend_schema(request=s.ScorecardBuildSerializer, responses={201: s.ScorecardSerializer})
    def create(self, request):
        data = s.ScorecardBuildSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        store = _store_for(request.user, v["store"], "ssi.view")
        scorecard = call_service(services.scorecard_build, actor=request.user, store=store, month=v["month"])
        return Response(s.ScorecardSerializer(self._fresh(scorecard)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.ScorecardSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None, format=None):
        scorecard = call_service(services.scorecard_approve, actor=request.user, scorecard=self.get_object())
        return Response(s.ScorecardSerializer(self._fresh(scorecard)).data)

    @extend_schema(responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="The scorecard workbook.")})
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None, format=None):
        from leads.exporters import xlsx_download

        from ..exporters import ScorecardExporter

        scorecard = self.get_object()
        if not ScorecardExporter.is_allowed(request.user, request.user.perms_in(scorecard.store_id)):
            raise PermissionDenied(_("You may not export to Excel."))
        exporter = ScorecardExporter(user=request.user, scorecard=scorecard)
        return xlsx_download(
            exporter, action="complaints.export", store=scorecard.store, changes={"month": f"{scorecard.month:%Y-%m}"}
        )
