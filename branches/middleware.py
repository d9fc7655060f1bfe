"""Branch pages: a person must belong to the branch of the URL; an inactive branch is read-only.

The API does the same through DRF permission classes (token users are only known there).
"""
from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseForbidden
from django.utils.translation import gettext as _

from .roles import can_enter_branch, is_hq_admin

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BranchAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        if tenant is not None and tenant.schema_name != "public":
            prefix = f"/b/{tenant.code}/api/"
            if not request.path.startswith(prefix):
                user = request.user
                if not user.is_authenticated:
                    return redirect_to_login(request.get_full_path(), "/login/")
                if not (is_hq_admin(user) or can_enter_branch(user, tenant)):
                    raise Http404
                if request.method not in SAFE_METHODS and not tenant.active:
                    return HttpResponseForbidden(_("该分支机构已停用,数据只读。"))
        return self.get_response(request)
