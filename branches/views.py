"""Server-rendered pages for HQ and the branch home. They call the same services as the API."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import BranchForm
from .models import Branch
from .roles import hq_roles_of, is_hq_admin, roles_in_branch


def _require_hq(request):
    if not hq_roles_of(request.user):
        raise Http404


@login_required
def hq_home(request):
    if not hq_roles_of(request.user):
        branches = list(selectors.branches_for(request.user))
        home = request.user.home_branch if request.user.home_branch in branches else None
        target = home or (branches[0] if branches else None)
        if target is None:
            return render(request, "branches/no_access.html", status=403)
        return redirect(f"/b/{target.code}/")
    branches = Branch.objects.exclude(schema_name="public").order_by("code")
    return render(request, "branches/hq_home.html", {"branches": branches})


@login_required
def branch_list(request):
    _require_hq(request)
    form = BranchForm(request.POST or None)
    if request.method == "POST":
        if not is_hq_admin(request.user):
            raise Http404
        if form.is_valid():
            try:
                branch = services.branch_create(
                    actor=request.user, data=services.BranchInput(**form.cleaned_data)
                )
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    for err in errs:
                        form.add_error(field if field in form.fields else None, err)
            else:
                messages.success(request, _("分支机构 %(name)s 已创建。") % {"name": branch.name})
                return redirect("hq-branches")
    branches = Branch.objects.exclude(schema_name="public").order_by("code")
    return render(request, "branches/branch_list.html", {"branches": branches, "form": form})


@login_required
@require_POST
def branch_toggle(request, code: str):
    if not is_hq_admin(request.user):
        raise Http404
    branch = Branch.objects.exclude(schema_name="public").filter(code=code).first()
    if branch is None:
        raise Http404
    services.branch_set_active(
        actor=request.user, branch=branch, active=not branch.active,
        reason=request.POST.get("reason", ""),
    )
    messages.success(request, _("已更新 %(name)s 的状态。") % {"name": branch.name})
    return redirect("hq-branches")


def branch_home(request):
    # BranchAccessMiddleware has already checked login and membership.
    branch = request.tenant
    roles = roles_in_branch(request.user, branch)
    return render(request, "branches/branch_home.html", {"branch": branch, "roles": sorted(roles)})
