"""HQ API for branches, people and the audit trail. Thin: parse, call a service, serialize."""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler
from hrsaas.core.inputs import refused_character

from . import login_guard, services, tokens
from . import roles as R
from .models import ApiToken, Branch, User
from .permissions import PUBLIC, IsHQAdmin
from .throttles import too_many
from .serializers import (
    AuditRowSerializer,
    BranchSerializer,
    UserCreateSerializer,
    UserSerializer,
)


def exception_handler(exc, context):
    """Errors in the contract's two shapes: 400 `{field: [msg], …}` or `{"detail": "message"}`
    (Django ValidationErrors from services included)."""
    if isinstance(exc, DjangoValidationError):
        exc = django_validation_to_drf(exc)
    elif isinstance(exc, ValueError) and "NUL (0x00)" in str(exc):
        # psycopg2 refuses a NUL character in a query parameter: bad input, not a server error.
        exc = ValidationError({"detail": _("输入含有不允许的字符 (NUL)。")})
    elif isinstance(exc, RecursionError):
        # The JSON parser recursing through a body nested thousands deep: bad input, not a 500.
        exc = ParseError(_("请求内容嵌套过深,无法读取。"))
    elif isinstance(exc, ParseError) and str(exc.detail).startswith("JSON parse error"):
        # DRF's words carry the JSON decoder's English ("Expecting value: line 1 column 1").
        exc = ParseError(_("请求体不是有效的 JSON(也不能含 NaN 或 Infinity)。"))
    elif isinstance(exc, PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        exc = PermissionDenied(_("请求缺少有效的 CSRF 令牌:请刷新页面后重试,或改用 Token 认证。"))
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = _contract_shape(response.data)
    return response


def _contract_shape(data):
    """`{"detail": "message"}` where DRF would answer a bare list of messages, or a list under
    "detail" (a service's message that names no field); a nested serializer's errors flattened to
    `{"roles[1].role": [msg]}` (as the services name fields: `tiers[1].amount`), its own
    non-field errors under the field itself."""
    if isinstance(data, list) and all(isinstance(m, str) for m in data):
        return {"detail": " ".join(data)}
    if not isinstance(data, dict):
        return data
    if isinstance(data.get("non_field_errors"), list) and "detail" not in data:
        # A serializer's errors that name no field (a failed sign-in, a body that is not an
        # object): the contract calls that `detail`.
        data = {"detail": data["non_field_errors"], **{k: v for k, v in data.items() if k != "non_field_errors"}}
    if isinstance(data.get("detail"), list) and all(isinstance(m, str) for m in data["detail"]):
        data = {**data, "detail": " ".join(data["detail"])}
    flat: dict = {}
    for field, value in data.items():
        _flatten(field, value, flat)
    return flat


def _flatten(name: str, value, out: dict) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(name if key in ("non_field_errors", "detail") else f"{name}.{key}", inner, out)
    elif isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        for i, inner in enumerate(value):
            if inner:  # DRF puts {} for a list's items that had no error
                _flatten(f"{name}[{i}]", inner, out)
    elif isinstance(value, list):
        out.setdefault(name, []).extend(value)
    else:
        out[name] = value


def django_validation_to_drf(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError({k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()})
    return ValidationError({"detail": " ".join(exc.messages)})


def _username_of(data) -> str:
    value = data.get("username", "") if hasattr(data, "get") else ""
    return value if isinstance(value, str) else ""


class TokenOut(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField(help_text="The latest end; unused for API_TOKEN_IDLE_TIMEOUT it ends sooner.")
    idle_timeout = serializers.IntegerField(help_text="Seconds without use after which the token ends.")


class TokenApi(ObtainAuthToken):
    """`POST {username, password}` → `{token, expires_at, idle_timeout}`.

    Throttled per username and per client address, as the login page (`login_guard`). Whatever
    token or session the request carries plays no part (it once switched the throttle off)."""

    roles = PUBLIC
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(request=AuthTokenSerializer, responses={200: TokenOut})
    def post(self, request, *args, **kwargs):
        username = _username_of(request.data)
        refusal = login_guard.check(request, username)
        if refusal is not None:
            raise too_many(refusal.message, refusal.retry_after)
        data = request.data
        if username and hasattr(data, "copy"):
            # As the sign-in page reads it (NFKC): "ｂｊ.ｓ9" is bj.s9 here too.
            data = data.copy()
            data["username"] = User.normalize_username(username)
        serializer = self.get_serializer(data=data)
        if not serializer.is_valid():  # a failure: `check` has counted it already
            raise ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        login_guard.record_success(request, username)
        token = tokens.token_issue(user=user)
        return Response({"token": token.key, "expires_at": token.expires_at,
                         "idle_timeout": settings.API_TOKEN_IDLE_TIMEOUT})


class TokenRevokeIn(serializers.Serializer):
    username = serializers.CharField(required=False, help_text="HQ admin only: revoke every token of this person.")
    all = serializers.BooleanField(required=False, default=False, help_text="Every token of the caller.")


class TokenRevokeApi(APIView):
    """`POST auth/token/revoke/`: `{}` ends the token of this request; `{"all": true}` every token
    of the caller; `{"username": …}` (HQ admin) every token of that person. → `{revoked: n}`."""

    roles = R.EVERY_BRANCH_ROLE | R.HQ_ANY  # anyone with a role may end their own tokens

    @extend_schema(request=TokenRevokeIn, responses={200: dict})
    def post(self, request):
        ser = TokenRevokeIn(data=request.data if hasattr(request.data, "get") else {})
        ser.is_valid(raise_exception=True)
        username = ser.validated_data.get("username")
        if username and username != request.user.username:
            if not IsHQAdmin().has_permission(request, self):
                self.permission_denied(request, message=_("仅总部管理员可撤销他人的令牌。"))
            target = User.objects.filter(username=username).first()
            if target is None:
                raise NotFound(_("用户不存在:%(u)s") % {"u": username[:150]})
            n = tokens.tokens_revoke(user=target, reason="revoked by HQ admin", actor=request.user)
        elif username or ser.validated_data["all"]:
            n = tokens.tokens_revoke(user=request.user, reason="revoked by owner (all)", actor=request.user)
        elif isinstance(request.auth, ApiToken):
            n = tokens.tokens_revoke(user=request.user, reason="revoked by owner", actor=request.user,
                                     token=request.auth)
        else:
            raise ValidationError({"detail": [_("本请求未使用令牌:要撤销自己的全部令牌,请提交 {\"all\": true}。")]})
        return Response({"revoked": n})


def _text(data: dict, field: str) -> str:
    """A text field of a JSON body: anything but text (a number, a list, an object) is refused in
    words, never stored as its Python spelling."""
    value = data.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({field: [_("须为文本。")]})
    refusal = refused_character(value)
    if refusal:  # NUL and the like: named on the field, not by the database driver
        raise ValidationError({field: [refusal]})
    return value


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
            data=services.BranchInput(code=_text(data, "code"), name=_text(data, "name"), city=_text(data, "city")),
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
