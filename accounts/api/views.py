from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import services
from ..models import Notification, Store
from .serializers import MarkReadSerializer, MeSerializer, NotificationSerializer, StoreSerializer


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (send it as ``Authorization: Token …``)."""


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class StoreViewSet(viewsets.ReadOnlyModelViewSet):
    """Stores the caller works in."""

    queryset = Store.objects.none()  # for the schema; get_queryset() scopes to the caller
    serializer_class = StoreSerializer
    filterset_fields = ["group", "is_active"]

    def get_queryset(self):
        return Store.objects.filter(id__in=self.request.user.store_ids()).select_related("group")


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own notifications."""

    queryset = Notification.objects.none()  # for the schema; get_queryset() scopes to the caller
    serializer_class = NotificationSerializer
    filterset_fields = ["level", "store"]

    def get_queryset(self):
        qs = Notification.objects.filter(recipient=self.request.user)
        unread = self.request.query_params.get("unread")
        if unread in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(request=MarkReadSerializer, responses={200: None})
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request, *args, **kwargs):
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = services.notification_mark_read(
            user=request.user, notification_ids=serializer.validated_data.get("ids")
        )
        return Response({"marked": count})
