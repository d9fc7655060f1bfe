"""Server-rendered pages for HQ and the branch home. They call the same services as the API."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hrsaas.core.inputs import record_id

from . import roles as R
from .pages import SIGNED_IN, page_roles
from . import selectors, services
from .forms import BranchForm
from .models import Branch
from .roles import hq_roles_of, is_hq_admin, roles_in_branch


PEOPLE_SHOWN = 500  # the people page's list; beyond it the page says how many there are


def _require_hq(request):
    if not hq_roles_of(request.user):
        raise Http404


@login_required
@page_roles(SIGNED_IN)
def hq_home(request):
    if not hq_roles_of(request.user):
        branches = list(selectors.branches_for(request.user))
        home = request.user.home_branch if request.user.home_branch in branches else None
        target = home or (branches[0] if branches else None)
        if target is None:
            return render(request, "branches/no_access.html", status=403)
        return redirect(f"/b/{target.code}/")
    from .workbench import hq_workbench

    wb, rows = hq_workbench(request.user, hq_roles_of(request.user))
    return render(request, "branches/hq_home.html", {"wb": wb, "rows": rows})


@login_required
@page_roles({"GET": R.HQ_ANY, "POST": R.HQ_ADMIN_ONLY})
def branch_list(request):
    _require_hq(request)
    from social_insurance.policies.selectors import known_cities

    form = BranchForm(request.POST or None, cities=known_cities())
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
@page_roles(R.HQ_ADMIN_ONLY)
def branch_toggle(request, code: str):
    if not is_hq_admin(request.user):
        raise Http404
    branch = Branch.objects.exclude(schema_name="public").filter(code=code).first()
    if branch is None:
        raise Http404
    if branch.active and request.POST.get("confirm") != "1":  # a branch turns read-only: asked once, in words
        messages.error(request, _("请勾选确认后再停用 %(name)s。") % {"name": branch.name})
        return redirect("hq-branches")
    services.branch_set_active(
        actor=request.user, branch=branch, active=not branch.active,
        reason=request.POST.get("reason", ""),
    )
    messages.success(request, _("已更新 %(name)s 的状态。") % {"name": branch.name})
    return redirect("hq-branches")


@page_roles(R.EVERY_BRANCH_ROLE)
def branch_home(request):
    """The branch's workbench (工作台). BranchAccessMiddleware has already checked login and
    membership. Earners land on their phone home; a client contact sees their company's fee
    statements; the office roles get their to-dos and the month's figures."""
    from . import navigation, workbench

    branch = request.tenant
    roles = roles_in_branch(request.user, branch)
    landing = navigation.landing_url(branch.code, roles)
    if landing:
        return redirect(landing)
    if navigation.is_outsider(roles):
        from social_insurance.money_views import client_home_context

        return render(request, "branches/client_home.html", {"branch": branch, **client_home_context(request)})
    wb = workbench.branch_workbench(request.user, branch, roles)
    return render(request, "branches/branch_home.html", {"branch": branch, "roles": sorted(roles), "wb": wb})


def _field_errors_into(form, exc: ValidationError, mapping: dict[str, str] | None = None) -> None:
    mapping = mapping or {}
    for field, errs in exc.message_dict.items():
        target = mapping.get(field, field)
        for err in errs:
            form.add_error(target if target in form.fields else None, err)


@login_required
@page_roles(R.HQ_ADMIN_ONLY)
def people(request):
    if not is_hq_admin(request.user):
        raise Http404
    from .forms import PersonForm
    from .models import User

    branches = list(Branch.objects.exclude(schema_name="public").order_by("code"))
    form = PersonForm(request.POST or None, branches=branches)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        roles = [services.RoleInput(branch=d["role_branch"] or None, role=d["role"])] if d["role"] else []
        try:
            user = services.user_create(
                actor=request.user, username=d["username"], password=d["password"], display_name=d["display_name"],
                email=d["email"], home_branch=d["home_branch"] or None, roles=roles,
            )
        except ValidationError as exc:
            _field_errors_into(form, exc, {"roles": "role"})
        else:
            messages.success(request, _("已创建 %(u)s。") % {"u": user.label})
            return redirect("hq-person", user_id=user.pk)
    selected = request.GET.get("branch") or ""
    qs = User.objects.select_related("home_branch").prefetch_related("memberships__branch").order_by("username")
    if selected:
        qs = qs.filter(memberships__branch__code=selected).distinct()
    people = list(qs[:PEOPLE_SHOWN])
    return render(request, "branches/people.html",
                  {"people": people, "form": form, "branches": branches, "selected": selected,
                   "shown": len(people), "total": qs.count() if len(people) == PEOPLE_SHOWN else len(people)})


@login_required
@page_roles(R.HQ_ADMIN_ONLY)
def person(request, user_id: int):
    if not is_hq_admin(request.user):
        raise Http404
    from .forms import RoleGrantForm
    from .models import BranchMembership, User

    target = User.objects.filter(pk=user_id).first()
    if target is None:
        raise Http404
    branches = list(Branch.objects.exclude(schema_name="public").order_by("code"))
    form = RoleGrantForm(request.POST or None, branches=branches)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "grant" and form.is_valid():
                code = form.cleaned_data["role_branch"]
                branch = next((b for b in branches if b.code == code), None) if code else None
                services.membership_grant(actor=request.user, user=target, branch=branch, role=form.cleaned_data["role"])
                messages.success(request, _("已授予角色。"))
                return redirect("hq-person", user_id=target.pk)
            if action == "revoke":
                membership = BranchMembership.objects.filter(pk=record_id(request.POST.get("membership")) or 0,
                                                             user=target).first()
                if membership is None:
                    raise Http404
                services.membership_revoke(actor=request.user, membership=membership)
                messages.success(request, _("已撤销角色。"))
                return redirect("hq-person", user_id=target.pk)
            if action in ("activate", "deactivate"):
                services.user_set_active(actor=request.user, user=target, active=action == "activate")
                messages.success(request, _("已更新账号状态。"))
                return redirect("hq-person", user_id=target.pk)
        except ValidationError as exc:
            _field_errors_into(form, exc, {"is_active": None})
    memberships = target.memberships.select_related("branch").order_by("branch__code", "role")
    return render(request, "branches/person.html", {"target": target, "memberships": memberships, "form": form})
