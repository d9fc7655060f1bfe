"""DRF permission classes: the one place API access is decided.

Outside one's reach means 404 (the API contract: another branch's objects look missing);
inside the branch but without the role means 403.
"""
from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .roles import Role, can_enter_branch, hq_roles_of, is_hq_admin, roles_in_branch


def request_branch(request):
    tenant = getattr(request, "tenant", None) or getattr(connection, "tenant", None)
    if tenant is None or tenant.schema_name == "public":
        return None
    return tenant


class IsHQAdmin(BasePermission):
    message = _("仅总部管理员可执行此操作。")

    def has_permission(self, request, view) -> bool:
        return is_hq_admin(request.user)


class IsHQ(BasePermission):
    """HQ admin or HQ finance."""

    message = _("仅总部人员可执行此操作。")

    def has_permission(self, request, view) -> bool:
        return bool(hq_roles_of(request.user))


class InBranch(BasePermission):
    """The caller belongs to the branch of this URL (or is an HQ admin)."""

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        branch = request_branch(request)
        if branch is None:
            raise NotFound()
        if branch.pk is None or not (is_hq_admin(request.user) or can_enter_branch(request.user, branch)):
            # pk None: an unknown branch code, answered exactly as a branch that is not yours.
            raise NotFound()
        if request.method not in SAFE_METHODS and not branch.active:
            raise PermissionDenied(_("该分支机构已停用,数据只读。"))
        return True


def branch_roles(*roles: str) -> type[BasePermission]:
    """Permission class: InBranch plus one of `roles` in it (HQ admins pass)."""
    allowed = frozenset(roles)

    class _BranchRole(InBranch):
        message = _("您在本分支机构的角色无权执行此操作。")

        def has_permission(self, request, view) -> bool:
            super().has_permission(request, view)
            held = roles_in_branch(request.user, request_branch(request))
            return bool(held & (allowed | {Role.HQ_ADMIN}))

    _BranchRole.__name__ = "BranchRole_" + "_".join(sorted(allowed))
    return _BranchRole


class SchemaReader(BasePermission):
    """The OpenAPI schema maps every endpoint: signed-in people only, and a branch's schema only
    for its members (others get the same 404 as for any branch not theirs)."""

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if request_branch(request) is None:
            return True
        return InBranch().has_permission(request, view)
