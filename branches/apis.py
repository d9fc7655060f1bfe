"""HQ API for branches, people and the audit trail. Thin: parse, call a service, serialize."""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import selectors, services
from .models import Branch, User
from .permissions import PUBLIC, IsHQAdmin
from . import roles as R
from .serializers import (
    AuditRowSerializer,
    BranchSerializer,
    UserCreateSerializer,
    UserSerializer,
)


def exception_handler(exc, context):
    """Django ValidationErrors from services become the contract's 400 `{field: [msg]}`."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = ValidationError({k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()})
        else:
            exc = ValidationError({"detail": exc.messages})
    elif isinstance(exc, ValueError) and "NUL (0x00)" in str(exc):
        # psycopg2 refuses a NUL character in a query parameter: bad input, not a server error.
        exc = ValidationError({"detail": ["输入含有不允许的字符 (NUL)。"]})
    return drf_exception_handler(exc, context)


def django_validation_to_drf(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError({k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()})
    return ValidationError({"detail": exc.messages})


class LoginThrottle(AnonRateThrottle):
    scope = "login"


class TokenApi(ObtainAuthToken):
    """`POST {username, password}` → `{token}`. Throttled per client address."""
    roles = PUBLIC

    throttle_classes = [LoginThrottle]


class BranchListApi(APIView):
    roles = {"GET": R.HQ_ANY, "POST": R.HQ_ADMIN_ONLY}

    @extend_schema(responses=BranchSerializer(many=True))
    def get(self, request):
        qs = Branch.objects.exclude(schema_name="public").order_by("code")
        return Response(BranchSerializer(qs, many=True).data)

    @extend_schema(request=BranchSerializer, responses={201: BranchSerializer})
    def post(self, request):
        if not IsHQAdmin().has_permission(request, self):
            self.permission_denied(request, message=IsHQAdmin.message)
        data = request.data if isinstance(request.data, dict) else {}
        branch = services.branch_create(
            actor=request.user,
            data=services.BranchInput(
                code=str(data.get("code", "")),
                name=str(data.get("name", "")),
                city=str(data.get("city", "") or ""),
            ),
        )
        return Response(BranchSerializer(branch).data, status=status.HTTP_201_CREATED)


class BranchActiveApi(APIView):
    """`POST branches/{code}/deactivate/` or `…/activate/`: data kept; read-only while inactive."""
    roles = R.HQ_ADMIN_ONLY

    active = False

    @extend_schema(request=None, responses=BranchSerializer)
    def post(self, request, code: str):
        branch = Branch.objects.exclude(schema_name="public").filter(code=code).first()
        if branch is None:
            raise Http404
        reason = str((request.data or {}).get("reason", "")) if isinstance(request.data, dict) else ""
        services.branch_set_active(actor=request.user, branch=branch, active=self.active, reason=reason)
        return Response(BranchSerializer(branch).data)


class UserListApi(APIView):
    roles = R.HQ_ADMIN_ONLY

    @extend_schema(responses=UserSerializer(many=True))
    def get(self, request):
        qs = User.objects.prefetch_related("memberships__branch").select_related("home_branch").order_by("username")
        return Response(UserSerializer(qs, many=True).data)

    @extend_schema(request=UserCreateSerializer, responses={201: UserSerializer})
    def post(self, request):
        ser = UserCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        user = services.user_create(
            actor=request.user,
            username=d["username"],
            password=d["password"],
            display_name=d["display_name"],
            email=d["email"],
            home_branch=d["home_branch"],
            roles=[services.RoleInput(branch=r["branch"], role=r["role"]) for r in d["roles"]],
        )
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class AuditApi(APIView):
    """HQ's view of the audit trail: `GET audit/?model=app.Model&branch=code`."""
    roles = R.HQ_ADMIN_ONLY


    @extend_schema(responses=AuditRowSerializer(many=True))
    def get(self, request):
        from .audit_registry import audit_rows

        rows = audit_rows(
            model_label=request.query_params.get("model") or None,
            branch_code=request.query_params.get("branch") or None,
        )
        return Response(AuditRowSerializer(rows, many=True).data)
