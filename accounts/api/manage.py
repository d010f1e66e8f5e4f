"""Administration API: users and their roles, store hours and holidays, teams, the audit log.

Thin viewsets: an input serializer validates, a service acts, an output serializer answers.
Querysets are the administrator's scope (``accounts.filters``), so another store's object is a 404.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from .. import services
from ..filters import (
    MANAGE_STORES,
    MANAGE_TEAMS,
    MANAGE_USERS,
    VIEW_AUDIT_LOG,
    AuditLogFilterSet,
    UserFilterSet,
    managed_group_ids,
    managed_stores,
    membership_changeable_by,
    user_editable_by,
    users_visible_to,
)
from ..models import AuditLog, DealerGroup, Holiday, Membership, OpeningHours, Role, Store, Team, User
from ..selectors import store_users_with_role
from .permissions import HasStorePermission


def _acting_store(request, preferred: Store | None = None, permission: str = MANAGE_USERS) -> Store | None:
    """The store an API write is filed under in the audit log: the one it concerns, else the
    session's current store, else the first store where the caller holds the permission."""
    if preferred is not None:
        return preferred
    store_ids = request.user.store_ids_with_perm(permission)
    current = getattr(request, "store", None)
    if current is not None and current.pk in store_ids:
        return current
    return Store.objects.filter(id__in=store_ids).order_by("pk").first()


def _raise_as_drf(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        raise serializers.ValidationError(exc.message_dict) from exc
    raise serializers.ValidationError({"non_field_errors": exc.messages}) from exc


# --- users --------------------------------------------------------------------------------


class MembershipSerializer(serializers.ModelSerializer):
    role = serializers.CharField(source="role.code")
    role_name = serializers.CharField(source="role.display_name")

    class Meta:
        model = Membership
        fields = ["id", "role", "role_name", "store", "group"]
        read_only_fields = fields


class ManagedUserSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "full_name",
            "phone",
            "email",
            "language",
            "can_export",
            "can_see_full_phone",
            "notify_by_email",
            "is_active",
            "date_joined",
            "last_login",
            "memberships",
        ]
        read_only_fields = fields


class RoleGrantInputSerializer(serializers.Serializer):
    """Where (a store id, or a dealer group id for a group-wide role) and which role (by code)."""

    store = serializers.IntegerField(required=False, allow_null=True)
    group = serializers.IntegerField(required=False, allow_null=True)
    role = serializers.CharField(max_length=32)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs["grant"] = resolve_grant(
            self.context["request"].user, attrs.get("store"), attrs.get("group"), attrs.get("role")
        )
        return attrs


def resolve_grant(actor: User, store_id, group_id, code) -> tuple[Role, Store | None, DealerGroup | None] | None:
    """The role to grant and where, within the administrator's reach; None when nothing is asked."""
    if not code:
        if store_id or group_id:
            raise serializers.ValidationError({"role": [_("Choose a role.")]})
        return None
    if bool(store_id) == bool(group_id):
        raise serializers.ValidationError({"store": [_("Give either a store or a dealer group.")]})
    if store_id:
        store = Store.objects.filter(pk=store_id, id__in=actor.store_ids_with_perm(MANAGE_USERS)).first()
        if store is None:
            raise serializers.ValidationError({"store": [_("You do not manage users in that store.")]})
        role = Role.objects.available_in(store).filter(code=code).first()
        group = None
    else:
        group = DealerGroup.objects.filter(pk=group_id, id__in=managed_group_ids(actor, MANAGE_USERS)).first()
        if group is None:
            raise serializers.ValidationError({"group": [_("You do not manage users in every store of that group.")]})
        role = Role.objects.filter(store=None, code=code).first()
        store = None
    if role is None:
        raise serializers.ValidationError({"role": [_("This role is not available there.")]})
    return role, store, group


PROFILE_FIELDS = [
    "username",
    "full_name",
    "phone",
    "email",
    "language",
    "can_export",
    "can_see_full_phone",
    "notify_by_email",
]


class UserProfileInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    full_name = serializers.CharField(max_length=60, allow_blank=True, required=False)
    phone = serializers.CharField(max_length=20, allow_blank=True, required=False)
    email = serializers.EmailField(allow_blank=True, required=False)
    language = serializers.ChoiceField(choices=User.Language.choices, required=False)
    can_export = serializers.BooleanField(required=False)
    can_see_full_phone = serializers.BooleanField(required=False)
    notify_by_email = serializers.BooleanField(required=False)

    def validate_username(self, value):
        others = User.objects.filter(username=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(_("A user with that username already exists."))
        return value


class UserUpdateInputSerializer(UserProfileInputSerializer):
    is_active = serializers.BooleanField(required=False)


class UserCreateInputSerializer(UserProfileInputSerializer):
    password = serializers.CharField(write_only=True, trim_whitespace=False)
    store = serializers.IntegerField(required=False, allow_null=True)
    group = serializers.IntegerField(required=False, allow_null=True)
    role = serializers.CharField(max_length=32, required=False, allow_blank=True)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        candidate = User(
            username=attrs.get("username", ""), full_name=attrs.get("full_name", ""), email=attrs.get("email", "")
        )
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": exc.messages}) from exc
        attrs["grant"] = resolve_grant(
            self.context["request"].user, attrs.pop("store", None), attrs.pop("group", None), attrs.pop("role", "")
        )
        return attrs


class PasswordInputSerializer(serializers.Serializer):
    password = serializers.CharField(write_only=True, trim_whitespace=False)

    def validate_password(self, value):
        try:
            password_validation.validate_password(value, self.context["target"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


class ManagedUserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Users in the stores where the caller manages users; create, update, grant and revoke roles."""

    queryset = User.objects.none()  # for the schema; get_queryset() scopes every request
    permission_classes = [IsAuthenticated, HasStorePermission]
    required_permission = MANAGE_USERS
    serializer_class = ManagedUserSerializer
    filterset_class = UserFilterSet

    def get_queryset(self):
        return users_visible_to(self.request.user).prefetch_related("memberships__role")

    def _editable_target(self) -> User:
        target = self.get_object()
        if not user_editable_by(target, self.request.user):
            raise PermissionDenied(_("This user also works outside your stores; only your stores' roles can change."))
        return target

    def _answer(self, user: User, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().filter(pk=user.pk).first() or user
        return Response(ManagedUserSerializer(fresh).data, status=code)

    @extend_schema(request=UserCreateInputSerializer, responses={201: ManagedUserSerializer})
    def create(self, request, **kwargs):
        serializer = UserCreateInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        grant = data.pop("grant")
        role, role_store, role_group = grant or (None, None, None)
        try:
            user = services.user_onboard(
                actor=request.user,
                store=_acting_store(request, role_store),
                role=role,
                role_store=role_store,
                role_group=role_group,
                **data,
            )
        except DjangoValidationError as exc:
            _raise_as_drf(exc)
        return self._answer(user, status.HTTP_201_CREATED)

    @extend_schema(request=UserUpdateInputSerializer, responses=ManagedUserSerializer)
    def update(self, request, pk=None, partial=False, **kwargs):
        target = self._editable_target()
        serializer = UserUpdateInputSerializer(target, data=request.data, partial=partial, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        is_active = data.pop("is_active", None)
        store = _acting_store(request)
        try:
            if data:
                services.user_update(actor=request.user, user=target, store=store, **data)
            if is_active is not None:
                services.user_set_active(actor=request.user, user=target, is_active=is_active, store=store)
        except DjangoValidationError as exc:
            _raise_as_drf(exc)
        return self._answer(target)

    @extend_schema(request=UserUpdateInputSerializer, responses=ManagedUserSerializer)
    def partial_update(self, request, pk=None, **kwargs):
        return self.update(request, pk, partial=True)

    @extend_schema(request=PasswordInputSerializer, responses={204: None})
    @action(detail=True, methods=["post"], url_path="set-password")
    def set_password(self, request, pk=None, **kwargs):
        target = self._editable_target()
        serializer = PasswordInputSerializer(data=request.data, context={"request": request, "target": target})
        serializer.is_valid(raise_exception=True)
        services.user_set_password(
            actor=request.user,
            user=target,
            password=serializer.validated_data["password"],
            store=_acting_store(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=RoleGrantInputSerializer, responses={201: MembershipSerializer})
    @action(detail=True, methods=["post"], url_path="memberships")
    def grant(self, request, pk=None, **kwargs):
        target = self.get_object()
        serializer = RoleGrantInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        role, store, group = serializer.validated_data["grant"]
        try:
            membership = services.membership_grant(actor=request.user, user=target, role=role, store=store, group=group)
        except ValueError as exc:
            raise serializers.ValidationError({"role": [_("This role is not available there.")]}) from exc
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class ManagedMembershipViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Roles of the users the caller may see; DELETE revokes one (only in stores where they manage users).

    Roles are granted with ``POST /manage/users/{id}/memberships/``.
    """

    queryset = Membership.objects.none()  # for the schema; get_queryset() scopes every request
    permission_classes = [IsAuthenticated, HasStorePermission]
    required_permission = MANAGE_USERS
    serializer_class = MembershipSerializer
    filterset_fields = ["user", "store", "group"]

    def get_queryset(self):
        return Membership.objects.filter(user__in=users_visible_to(self.request.user)).select_related(
            "role", "store", "group", "user"
        )

    def perform_destroy(self, membership):
        if not membership_changeable_by(membership, self.request.user):
            raise PermissionDenied(_("That role is outside the stores where you manage users."))
        if (
            membership.user_id == self.request.user.pk
            and membership.role.permissions.filter(code=MANAGE_USERS).exists()
        ):
            raise serializers.ValidationError(
                {"non_field_errors": [_("You cannot take away your own right to manage users.")]}
            )
        services.membership_revoke(actor=self.request.user, membership=membership)


# --- stores -------------------------------------------------------------------------------


class OpeningHoursSerializer(serializers.ModelSerializer):
    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens_at", "closes_at"]


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["id", "store", "date", "name", "kind", "works_as_weekday"]
        read_only_fields = fields


class ManagedStoreSerializer(serializers.ModelSerializer):
    group = serializers.PrimaryKeyRelatedField(read_only=True)
    opening_hours = OpeningHoursSerializer(many=True, read_only=True)
    holidays = HolidaySerializer(many=True, read_only=True)

    class Meta:
        model = Store
        fields = ["id", "code", "name", "group", "address", "phone", "is_active", "opening_hours", "holidays"]
        read_only_fields = fields


class StoreUpdateInputSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=32, required=False)
    name = serializers.CharField(max_length=100, required=False)
    address = serializers.CharField(max_length=200, allow_blank=True, required=False)
    phone = serializers.CharField(max_length=30, allow_blank=True, required=False)
    is_active = serializers.BooleanField(required=False)


class OpeningHoursInputSerializer(serializers.Serializer):
    """The whole week at once; a weekday without intervals is closed."""

    opening_hours = OpeningHoursSerializer(many=True, allow_empty=True)

    def validate_opening_hours(self, value):
        hours: dict[int, list] = {}
        for row in value:
            hours.setdefault(row["weekday"], []).append((row["opens_at"], row["closes_at"]))
        problems = []
        for day, intervals in sorted(hours.items()):
            problems += services.opening_hours_problems(day, intervals)
        if problems:
            raise serializers.ValidationError(problems)
        return hours


class HolidayInputSerializer(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField(max_length=60)
    kind = serializers.ChoiceField(choices=Holiday.Kind.choices, default=Holiday.Kind.CLOSED)
    works_as_weekday = serializers.ChoiceField(
        choices=OpeningHours.Weekday.choices, required=False, allow_null=True, default=None
    )

    def validate(self, attrs):
        if attrs.get("kind") == Holiday.Kind.WORKDAY and attrs.get("works_as_weekday") is None:
            raise serializers.ValidationError(
                {"works_as_weekday": [_("Say which weekday's hours this make-up working day opens with.")]}
            )
        return attrs


class HolidayRangeInputSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    name = serializers.CharField(max_length=60)


class ManagedStoreViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Stores the caller manages: details, weekly opening hours and the holiday calendar."""

    queryset = Store.objects.none()  # for the schema; get_queryset() scopes every request
    permission_classes = [IsAuthenticated, HasStorePermission]
    required_permission = MANAGE_STORES
    serializer_class = ManagedStoreSerializer

    def get_queryset(self):
        return managed_stores(self.request.user, MANAGE_STORES).prefetch_related("opening_hours", "holidays")

    def _answer(self, store: Store, code=status.HTTP_200_OK) -> Response:
        return Response(ManagedStoreSerializer(self.get_queryset().get(pk=store.pk)).data, status=code)

    @extend_schema(request=StoreUpdateInputSerializer, responses=ManagedStoreSerializer)
    def partial_update(self, request, pk=None, **kwargs):
        store = self.get_object()
        serializer = StoreUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        is_active = data.pop("is_active", None)
        fresh = Store.objects.get(pk=store.pk)
        try:
            if data:
                services.store_update(actor=request.user, store=fresh, **data)
            if is_active is not None:
                services.store_set_active(actor=request.user, store=fresh, is_active=is_active)
        except DjangoValidationError as exc:
            _raise_as_drf(exc)
        return self._answer(fresh)

    @extend_schema(methods=["GET"], request=None, responses=OpeningHoursSerializer(many=True))
    @extend_schema(methods=["PUT"], request=OpeningHoursInputSerializer, responses=ManagedStoreSerializer)
    @action(detail=True, methods=["get", "put"], url_path="opening-hours")
    def opening_hours(self, request, pk=None, **kwargs):
        """The weekly opening hours: read them, or replace the whole week."""
        store = self.get_object()
        if request.method == "GET":
            return Response(OpeningHoursSerializer(store.opening_hours.all(), many=True).data)
        serializer = OpeningHoursInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.opening_hours_set(
                actor=request.user, store=store, hours=serializer.validated_data["opening_hours"]
            )
        except DjangoValidationError as exc:
            _raise_as_drf(exc)
        return self._answer(store)

    @extend_schema(request=HolidayInputSerializer, responses={201: HolidaySerializer})
    @action(detail=True, methods=["post"], url_path="holidays")
    def add_holiday(self, request, pk=None, **kwargs):
        store = self.get_object()
        serializer = HolidayInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            holiday = services.holiday_set(actor=request.user, store=store, **serializer.validated_data)
        except DjangoValidationError as exc:
            _raise_as_drf(exc)
        return Response(HolidaySerializer(holiday).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=HolidayRangeInputSerializer, responses=ManagedStoreSerializer)
    @action(detail=True, methods=["post"], url_path="holidays/range")
    def add_holiday_range(self, request, pk=None, **kwargs):
        store = self.get_object()
        serializer = HolidayRangeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.holiday_add_range(actor=request.user, store=store, **serializer.validated_data)
        except DjangoValidationError as exc:
            _raise_as_drf(exc)
        return self._answer(store)


class ManagedHolidayViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Calendar days of the stores the caller manages; DELETE takes one out of the calendar.

    Days are added with ``POST /manage/stores/{id}/holidays/`` (one) or ``…/holidays/range/`` (a run).
    """

    queryset = Holiday.objects.none()  # for the schema; get_queryset() scopes every request
    permission_classes = [IsAuthenticated, HasStorePermission]
    required_permission = MANAGE_STORES
    serializer_class = HolidaySerializer
    filterset_fields = ["store", "kind"]

    def get_queryset(self):
        return Holiday.objects.filter(store__in=managed_stores(self.request.user, MANAGE_STORES))

    def perform_destroy(self, holiday):
        services.holiday_remove(actor=self.request.user, holiday=holiday)


# --- teams --------------------------------------------------------------------------------


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "store", "name", "supervisor", "members"]
        read_only_fields = fields


class TeamInputSerializer(serializers.Serializer):
    store = serializers.IntegerField(required=False)
    name = serializers.CharField(max_length=60)
    supervisor = serializers.IntegerField(required=False, allow_null=True)
    members = serializers.ListField(child=serializers.IntegerField(), required=False)

    def validate(self, attrs):
        team: Team | None = self.context.get("team")
        request = self.context["request"]
        if team is not None:
            store = team.store
        else:
            store_id = attrs.get("store")
            allowed = request.user.store_ids_with_perm(MANAGE_TEAMS)
            if store_id is None and len(allowed) == 1:
                store_id = allowed[0]
            if store_id is None:
                raise serializers.ValidationError({"store": [_("Say which store the team belongs to.")]})
            store = Store.objects.filter(pk=store_id, id__in=allowed).first()
            if store is None:
                raise serializers.ValidationError({"store": [_("You do not manage teams in that store.")]})
        attrs["store"] = store
        supervisor_id = attrs.get("supervisor", team.supervisor_id if team else None)
        supervisor = None
        if supervisor_id is not None:
            supervisor = store_users_with_role(store, "sales_supervisor").filter(pk=supervisor_id).first()
            if supervisor is None:
                raise serializers.ValidationError(
                    {"supervisor": [_("The supervisor must be a sales supervisor in this store.")]}
                )
        attrs["supervisor"] = supervisor
        if "members" in attrs:
            wanted = set(attrs["members"])
            allowed_members = store_users_with_role(store, "consultant")
            if team is not None:
                allowed_members = User.objects.filter(Q(pk__in=allowed_members) | Q(pk__in=team.members.all()))
            members = list(allowed_members.filter(pk__in=wanted))
            unknown = wanted - {m.pk for m in members}
            if unknown:
                raise serializers.ValidationError(
                    {
                        "members": [
                            _("Team members must be consultants in this store: %(ids)s") % {"ids": sorted(unknown)}
                        ]
                    }
                )
            attrs["members"] = members
        else:
            attrs["members"] = list(team.members.all()) if team else []
        return attrs


class ManagedTeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Sales teams in the stores where the caller manages teams."""

    queryset = Team.objects.none()  # for the schema; get_queryset() scopes every request
    permission_classes = [IsAuthenticated, HasStorePermission]
    required_permission = MANAGE_TEAMS
    serializer_class = TeamSerializer
    filterset_fields = ["store"]

    def get_queryset(self):
        return Team.objects.filter(store_id__in=self.request.user.store_ids_with_perm(MANAGE_TEAMS)).prefetch_related(
            "members"
        )

    def _answer(self, team: Team, code=status.HTTP_200_OK) -> Response:
        return Response(TeamSerializer(self.get_queryset().get(pk=team.pk)).data, status=code)

    @extend_schema(request=TeamInputSerializer, responses={201: TeamSerializer})
    def create(self, request, **kwargs):
        serializer = TeamInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        try:
            team = services.team_create(actor=request.user, **serializer.validated_data)
        except DjangoValidationError as exc:
            _raise_as_drf(exc)
        return self._answer(team, status.HTTP_201_CREATED)

    @extend_schema(request=TeamInputSerializer, responses=TeamSerializer)
    def update(self, request, pk=None, partial=False, **kwargs):
        team = self.get_object()
        data = request.data.copy()
        if partial:
            data.setdefault("name", team.name)
        serializer = TeamInputSerializer(data=data, context={"request": request, "team": team})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("store")
        try:
            services.team_update(actor=request.user, team=team, **data)
        except DjangoValidationError as exc:
            _raise_as_drf(exc)
        return self._answer(team)

    @extend_schema(request=TeamInputSerializer, responses=TeamSerializer)
    def partial_update(self, request, pk=None, **kwargs):
        return self.update(request, pk, partial=True)


# --- audit log ----------------------------------------------------------------------------


class AuditLogSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = AuditLog
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_name",
            "store",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "ip_address",
        ]
        read_only_fields = fields

    def get_actor_name(self, entry) -> str:
        return entry.actor.display_name if entry.actor else ""


class AuditLogViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit log of the stores where the caller may read it; same filters as the page."""

    queryset = AuditLog.objects.none()  # for the schema; get_queryset() scopes every request
    permission_classes = [IsAuthenticated, HasStorePermission]
    required_permission = VIEW_AUDIT_LOG
    serializer_class = AuditLogSerializer
    filterset_class = AuditLogFilterSet

    def get_queryset(self):
        return AuditLog.objects.visible_to(self.request.user, VIEW_AUDIT_LOG).select_related("actor")
