"""Pages: a person must belong to the branch of the URL and hold a role the page declares;
an inactive branch is read-only. HQ pages likewise check the HQ roles they declare.

The API does the same through DRF's default permission class (token users are only known
there): branches/permissions.py. Declarations: branches/pages.py.
"""
from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseForbidden
from django.utils.translation import gettext as _

from .pages import PUBLIC_URL_NAMES, SIGNED_IN, declared_page_roles
from .permissions import PUBLIC
from .roles import Role, all_roles_of, can_enter_branch, is_hq_admin, roles_in_branch

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _is_api(request, tenant) -> bool:
    prefix = "/api/" if tenant is None or tenant.schema_name == "public" else f"/b/{tenant.code}/api/"
    return request.path.startswith(prefix)


class BranchAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is not None and tenant.schema_name != "public" and not _is_api(request, tenant):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "/login/")
            if not (is_hq_admin(user) or can_enter_branch(user, tenant)):
                raise Http404
            if request.method not in SAFE_METHODS and not tenant.active:
                return HttpResponseForbidden(_("该分支机构已停用,数据只读。"))
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Deny by default: the page's declared roles, before the view runs."""
        tenant = getattr(request, "tenant", None)
        if _is_api(request, tenant):
            return None  # DRF's DeclaredRoles
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in PUBLIC_URL_NAMES:
            return None
        roles = declared_page_roles(view_func, request.method)
        if roles is None or not roles:
            return HttpResponseForbidden(_("此页面未声明可访问的角色,默认拒绝。"))
        if roles is PUBLIC:
            return None
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "/login/")
        if tenant is not None and tenant.schema_name != "public":
            held = roles_in_branch(user, tenant)
            if not held & (frozenset(roles) | {Role.HQ_ADMIN}):
                if held & getattr(view_func, "page_forbidden_to", frozenset()):
                    raise PermissionDenied
                raise Http404
            return None
        if roles is SIGNED_IN or is_hq_admin(user) or all_roles_of(user) & frozenset(roles):
            return None
        raise Http404
