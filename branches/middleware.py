"""Branch pages: a person must belong to the branch of the URL; an inactive branch is read-only.

The API does the same through DRF permission classes (token users are only known there).
"""
from __future__ import annotations

import re

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseForbidden
from django.utils.translation import gettext as _

from .roles import can_enter_branch, is_hq_admin, roles_in_branch

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


class OutsiderFenceMiddleware:
    """A client contact (客户联系人) is an outsider: in a branch they may open only their
    company's pages — the workbench listing its fee statements, a fee statement, the people
    insured through it, and their inbox. Every other branch page (commissions, boards,
    appraisals, claims, specialist pages…) answers 404, whatever that page's own checks say,
    so a new page is closed to them by default (a client contact once read every specialist's
    pay at /me/?metric=commission)."""

    ALLOWED = re.compile(r"^(|si/statements/[0-9]+/|si/employees/.*|inbox/.*|i18n/.*)$")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        if tenant is not None and tenant.schema_name != "public" and user is not None and user.is_authenticated:
            prefix = f"/b/{tenant.code}/"
            rest = request.path[len(prefix):] if request.path.startswith(prefix) else None
            if rest is not None and not rest.startswith("api/") and not self.ALLOWED.match(rest):
                from .navigation import is_outsider

                if is_outsider(roles_in_branch(user, tenant)):
                    raise Http404
        return self.get_response(request)
