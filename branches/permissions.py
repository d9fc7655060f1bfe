"""Who may call an API: decided once, by a role list each view declares (deny by default).

`DeclaredRoles` is the project's DEFAULT_PERMISSION_CLASSES. Every API view declares `roles`:
a set of role keys for all methods, or a dict by method ("GET", "POST", … and "*" for the
rest). Under a branch (`/b/<code>/api/…`) the caller must belong to the branch (else 404: the
API contract makes another branch's objects look missing) and hold one of the roles (else 403);
HQ admins pass everywhere. Under HQ (`/api/…`) the caller must hold one of the roles in HQ, or
in any branch for the few HQ routes branch people use. A view that declares nothing refuses
everyone with a 403 that says so, so a forgotten check refuses instead of leaking.
"""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import MethodNotAllowed, NotAuthenticated, NotFound, PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from hrsaas.core.branch import request_branch

from .roles import (HQ_ADMIN_ONLY, HQ_ANY, Role, all_roles_of, can_enter_branch, is_hq_admin, roles_in_branch,
                    works_for_the_company)


class _Public(frozenset):
    """Marker: anyone, signed in or not (the token endpoint)."""


PUBLIC = _Public({"*"})

UNDECLARED = _("此接口未声明可访问的角色,默认拒绝。")
COMMISSION_BOARD_DENIED = _("提成金额排行仅限分支机构经理、总部管理员和总部财务查看。")
# The company-wide board ranks every branch's earners by pay: HQ's alone (a manager reads their own
# branch's board).
COMPANY_COMMISSION_BOARD_DENIED = _("全公司提成金额排行仅限总部管理员和总部财务查看。")


def declared_roles(view, method: str):
    """The roles `view` declares for `method`, or None when it declares none."""
    roles = getattr(view, "roles", None)
    if isinstance(roles, dict):
        key = "GET" if method in ("HEAD", "OPTIONS") and "GET" in roles else method
        roles = roles.get(key, roles.get("*"))
    if roles is None:
        return None
    return roles if isinstance(roles, _Public) else frozenset(roles)


def no_such_operation(request, view) -> bool:
    """The view has no handler for the request's method (PUT on a list that only lists and
    creates): the answer is 405, not a refusal that reads like a matter of roles."""
    if isinstance(view, type):
        return False  # PreparedGet's light path asks with the view's class, for the GET it serves
    method = request.method.lower()
    names = getattr(view, "http_method_names", None)
    return names is not None and (method not in names or not hasattr(view, method))


class DeclaredRoles(BasePermission):
    message = _("您的角色无权执行此操作。")

    def has_permission(self, request, view) -> bool:
        # A method the view lacks is 405 — but only after the caller is known and, in a branch,
        # belongs to it: an anonymous caller or an outsider gets the 401/404 an unknown branch
        # code gets (the stand-in view has every method), or the 405 would tell real codes apart.
        missing = no_such_operation(request, view)
        roles = declared_roles(view, request.method)
        if not missing and (roles is None or not roles):
            raise PermissionDenied(UNDECLARED)
        if isinstance(roles, _Public):
            if missing:
                raise MethodNotAllowed(request.method)
            return True
        user = request.user
        if not user or not user.is_authenticated:
            raise NotAuthenticated()
        branch = request_branch(request)
        if branch is None:
            if missing:
                raise MethodNotAllowed(request.method)
            return is_hq_admin(user) or bool(all_roles_of(user) & roles)
        if branch.pk is None or not (is_hq_admin(user) or can_enter_branch(user, branch)):
            # pk None: an unknown branch code, answered exactly as a branch that is not yours.
            raise NotFound()
        if missing:
            raise MethodNotAllowed(request.method)
        if request.method not in SAFE_METHODS and not branch.active:
            raise PermissionDenied(_("该分支机构已停用,数据只读。"))
        return bool(roles_in_branch(user, branch) & (roles | {Role.HQ_ADMIN}))


class InBranch(BasePermission):
    """Membership of the URL's branch, no role list: what a branch answers a caller outside it
    (the stand-in for unknown branch codes) and who may read a branch's schema."""

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        branch = request_branch(request)
        if branch is None:
            raise NotFound()
        if branch.pk is None or not (is_hq_admin(request.user) or can_enter_branch(request.user, branch)):
            raise NotFound()
        if request.method not in SAFE_METHODS and not branch.active:
            raise PermissionDenied(_("该分支机构已停用,数据只读。"))
        return True


SCHEMA_FOR_INSIDERS = _("接口文档仅供本公司员工查看。")


class JsonRefusals:
    """A view whose own format is not JSON (the OpenAPI schema: YAML by default) still refuses in
    the contract's JSON `{"detail": …}` when `refusals_as_json` is set."""

    refusals_as_json = False

    def finalize_response(self, request, response, *args, **kwargs):
        from rest_framework.renderers import JSONRenderer

        response = super().finalize_response(request, response, *args, **kwargs)
        if self.refusals_as_json and response.status_code >= 400 and hasattr(response, "accepted_renderer"):
            response.accepted_renderer, response.accepted_media_type = JSONRenderer(), "application/json"
            response.renderer_context = self.get_renderer_context()
        return response


class SchemaReader(BasePermission):
    """The OpenAPI schema maps every endpoint, internal ones included: the company's own people
    only (client contacts are outsiders: 403), and a branch's schema only for its members (others
    get the same 404 as for any branch not theirs)."""

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        branch = request_branch(request)
        if branch is not None:
            InBranch().has_permission(request, view)
        if not works_for_the_company(request.user, branch):
            raise PermissionDenied(SCHEMA_FOR_INSIDERS)
        return True


# The older names, kept for code that lists permission classes explicitly: each is the default
# class with a fixed declaration (they never widen it).
def branch_roles(*roles: str) -> type[BasePermission]:
    allowed = frozenset(roles)

    class _BranchRole(DeclaredRoles):
        message = _("您在本分支机构的角色无权执行此操作。")

        def has_permission(self, request, view) -> bool:
            return super().has_permission(request, _Declared(allowed))

    _BranchRole.__name__ = "BranchRole_" + "_".join(sorted(allowed))
    _BranchRole.declared = allowed
    return _BranchRole


class _Declared:
    def __init__(self, roles):
        self.roles = roles


class IsHQAdmin(DeclaredRoles):
    message = _("仅总部管理员可执行此操作。")
    declared = HQ_ADMIN_ONLY

    def has_permission(self, request, view) -> bool:
        if no_such_operation(request, view) and request.user and request.user.is_authenticated:
            raise MethodNotAllowed(request.method)  # HQ routes: signed in, the answer hides nothing
        return super().has_permission(request, _Declared(HQ_ADMIN_ONLY))


class IsHQ(DeclaredRoles):
    message = _("仅总部人员可执行此操作。")
    declared = HQ_ANY

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, _Declared(HQ_ANY))
