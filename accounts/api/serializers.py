from rest_framework import serializers

from ..models import Notification, Store, User


class StoreSerializer(serializers.ModelSerializer):
    group = serializers.StringRelatedField()

    class Meta:
        model = Store
        fields = ["id", "code", "name", "group", "address", "phone", "is_active"]


class MeSerializer(serializers.ModelSerializer):
    stores = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "email", "language", "can_export", "can_see_full_phone", "stores"]

    def get_stores(self, user) -> list[dict]:
        return [
            {"id": store_id, "roles": sorted(user.roles_in(store_id)), "permissions": sorted(user.perms_in(store_id))}
            for store_id in user.store_ids()
        ]


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "store", "level", "title", "body", "url", "created_at", "read_at"]
        read_only_fields = fields


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False)
