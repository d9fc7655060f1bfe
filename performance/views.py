"""Pages for HR admins (templates, cycles, results), managers (review, adjust, finalise) and
everyone (own scores and what drove them). They call the same services and selectors as the API."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches import roles as R
from branches.pages import page_roles
from branches.models import User

from . import selectors, services
from .forms import AdjustForm, CycleForm, TemplateForm
from .models import AppraisalCycle, BonusLine, Department, KpiTemplate


def _require_hr(request):
    if not selectors.is_hr(request.user):
        raise Http404


def _errors_to_form(form, exc: ValidationError):
    for field, errs in exc.message_dict.items():
        for err in errs:
            form.add_error(field if field in form.fields else None, err)


def _names(user_ids) -> dict[int, str]:
    return {pk: label or username for pk, username, label in
            User.objects.filter(pk__in=list(user_ids)).values_list("pk", "username", "display_name")}


@page_roles(R.INSIDERS)
def home(request):
    # BranchAccessMiddleware has checked login and branch membership.
    cycles = AppraisalCycle.objects.all()[:24]
    return render(request, "performance/home.html", {
        "cycles": cycles, "is_hr": selectors.is_hr(request.user),
        "managed": selectors.managed_department_ids(request.user),
    })


@page_roles(R.OFFICE)
def template_list(request):
    _require_hr(request)
    departments = Department.objects.all()
    form = TemplateForm(request.POST or None, departments=departments)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():
                services.template_create(
                    actor=request.user, code=d["code"], name=d["name"],
                    department=departments.get(code=d["department"]), position=d["position"],
                    first=services.VersionInput("all", "", (), d["effective_from"],
                                                services.parse_indicators(d["indicators"])))
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("模板已创建。"))
            return redirect("perf-templates")
    templates = KpiTemplate.objects.select_related("department").prefetch_related("versions__indicators")
    return render(request, "performance/templates.html", {"templates": templates, "form": form})


@page_roles(R.OFFICE)
def cycle_list(request):
    _require_hr(request)
    form = CycleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cycle_create(actor=request.user, period=form.cleaned_data["period"])
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("考核周期已创建。"))
            return redirect("perf-cycles")
    return render(request, "performance/cycles.html", {"cycles": AppraisalCycle.objects.all(), "form": form})


@require_POST
@page_roles(R.OFFICE)
def cycle_compute(request, cycle_id: int):
    _require_hr(request)
    cycle = selectors.access_cycle(cycle_id)
    try:
        with transaction.atomic():
            services.cycle_compute_request(actor=request.user, cycle=cycle)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(request, _("已提交计算,稍后刷新查看结果。"))
    return redirect("perf-cycle", cycle_id=cycle.pk)


@require_POST
@page_roles(R.MANAGER)
def cycle_finalise(request, cycle_id: int):
    if not selectors.may_finalise(request.user):
        raise Http404
    selectors.access_cycle(cycle_id)
    try:
        services.cycle_finalise(actor=request.user, cycle_id=cycle_id)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(request, _("考核周期已定稿。"))
    return redirect("perf-cycle", cycle_id=cycle_id)


@page_roles(R.INSIDERS)  # department managers read their department (scoped by the selectors)
def cycle_detail(request, cycle_id: int):
    cycle = selectors.access_cycle(cycle_id)
    scores = list(selectors.scores_visible_to(request.user, cycle).select_related("department"))
    names = _names(s.user_id for s in scores)
    flags = list(selectors.risk_flags_visible_to(request.user, cycle).select_related("department"))
    names.update(_names(f.user_id for f in flags))
    is_hr = selectors.is_hr(request.user)
    return render(request, "performance/cycle.html", {
        "cycle": cycle, "scores": [(s, names.get(s.user_id)) for s in scores],
        "flags": [(f, names.get(f.user_id)) for f in flags], "is_hr": is_hr,
        "may_finalise": selectors.may_finalise(request.user),
        "bonus_lines": BonusLine.objects.filter(cycle=cycle).select_related("department", "rule") if is_hr else [],
        "awards": cycle.awards.select_related("department"),
    })


@page_roles(R.INSIDERS)
def score_detail(request, score_id: int):
    score = selectors.access_score(request.user, score_id)
    may_adjust = selectors.may_adjust(request.user, score) and score.cycle.status == "computed"
    form = AdjustForm(request.POST or None, initial={"total": score.total})
    if request.method == "POST":
        if not may_adjust:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.score_adjust(actor=request.user, score_id=score.pk, may_adjust=selectors.may_adjust,
                                      **form.cleaned_data)
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("得分已调整。"))
                return redirect("perf-score", score_id=score.pk)
    return render(request, "performance/score.html", {
        "score": score, "person": _names([score.user_id]).get(score.user_id),
        "lines": selectors.score_lines(score).select_related("indicator"), "form": form, "may_adjust": may_adjust,
        "history": score.history.all().order_by("-history_date")[:20],
    })


@page_roles(R.INSIDERS)
def my_scores(request):
    scores = list(selectors.my_scores(request.user))
    return render(request, "performance/mine.html", {
        "scores": [(s, selectors.score_lines(s).select_related("indicator")) for s in scores],
    })
