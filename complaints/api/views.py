"""Complaints API: list and read (scoped), register, and sign (one endpoint for every transition).

A service's refusal is a 403, its ValidationError a 400 with field messages; another store's
ticket is a 404.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.api.permissions import HasStorePermission
from accounts.models import Store, User
from leads.models import Customer
from showroom.models import Order

from .. import services
from ..filters import CallbackFilterSet, ComplaintFilterSet
from ..models import Callback, Complaint
from . import serializers as s


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
