"""Pages for HR admins (templates, cycles, results), managers (review, adjust, finalise) and
everyone (own scores and what drove them). They call the same services and selectors as the API."""
from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches import roles as R
from branches.pages import page_roles
from branches.models import User
from hrsaas.core.inputs import errors_to_form

from . import display, engine, metrics, selectors, services
from .forms import (NEW_SEASON, AdjustForm, CycleForm, IndicatorFormSet, TemplateHeadForm, VersionHeadForm,
                    indicator_initial)
from .models import AppraisalCycle, BonusLine, Department, KpiTemplate, KpiTemplateVersion


def _require_hr(request):
    if not selectors.is_hr(request.user):
        raise Http404


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
    """考核模板: each template with the version in force today; building happens on its own page."""
    _require_hr(request)
    today = timezone.localdate()
    templates = list(KpiTemplate.objects.select_related("department").prefetch_related("versions__indicators"))
    return render(request, "performance/templates.html", {
        "rows": [(t, _current_version(list(t.versions.all()), today)) for t in templates],
        "metric_labels": _metric_labels(),
    })


def _metric_labels() -> dict[str, str]:
    from django.utils.translation import get_language

    english = (get_language() or "").startswith("en")
    return {m.code: (m.label_en if english else m.label_zh) for m in metrics.REGISTRY.values()}


def _current_version(versions: list[KpiTemplateVersion], on, season: str | None = None):
    """The version in force on `on` (engine.choose_version), or of one season; else the newest."""
    if season is not None:
        versions = [v for v in versions if v.season == season]
    refs = [engine.VersionRef(v.pk, v.season, tuple(v.months), v.version, v.effective_from) for v in versions]
    chosen = (engine.choose_version(refs, on) if season is None else
              max((r for r in refs if r.effective_from <= on), key=lambda r: (r.effective_from, r.version), default=None))
    if chosen is not None:
        return next(v for v in versions if v.pk == chosen.id)
    return max(versions, key=lambda v: (v.effective_from, v.version), default=None)


def _first_of_next_month():
    today = timezone.localdate()
    return (today.replace(day=28) + timedelta(days=4)).replace(day=1)


def _save_builder(head, formset, write) -> tuple[bool, list[str]]:
    """Validate the head form and every row; then one service call (which re-validates the whole
    version — weights must add up to 100 — before it writes anything)."""
    if not (head.is_valid() & formset.is_valid()):
        return False, []
    try:
        with transaction.atomic():
            write(head.cleaned_data, services.parse_indicators(formset.rows()))
    except ValidationError as exc:
        errors = []
        for field, msgs in exc.message_dict.items():
            if field in head.fields:
                for m in msgs:
                    head.add_error(field, m)
            else:
                errors += msgs
        return False, errors
    return True, []


def _weight_total(formset) -> str:
    """The total shown before the script runs (and without it): the rows as submitted/prefilled."""
    from decimal import Decimal, InvalidOperation

    from .forms import _plain_number

    total = Decimal(0)
    for form in formset.forms:
        raw = form.data.get(form.add_prefix("weight")) if formset.is_bound else form.initial.get("weight")
        deleted = formset.is_bound and form.data.get(form.add_prefix("DELETE"))
        try:
            total += Decimal(_plain_number(raw or "") or "0") if not deleted else 0
        except InvalidOperation:
            return "?"
    return format(total.normalize(), "f") if total else "0"


def _builder_context(**kw) -> dict:
    from .engine import DEFAULT_SURVEY_SCALE

    return {"weight_total": _weight_total(kw["formset"]),"survey_scale": [(k, format(v.normalize(), "f")) for k, v in DEFAULT_SURVEY_SCALE.items()],
            "survey_metric": "survey_score", **kw}


@page_roles(R.OFFICE)
def template_new(request):
    """考核模板 builder: a new template with its first, all-year version."""
    _require_hr(request)
    departments = Department.objects.all()
    head = TemplateHeadForm(request.POST or None, departments=departments,
                            initial={"effective_from": _first_of_next_month()})
    formset = IndicatorFormSet(request.POST or None, prefix="ind", initial=[{}, {}] if not request.POST else None)
    errors: list[str] = []
    if request.method == "POST":
        def write(d, indicators):
            return services.template_create(
                actor=request.user, code=_new_template_code(), name=d["name"],
                department=departments.get(code=d["department"]), position=d["position"],
                first=services.VersionInput("all", "", (), d["effective_from"], indicators))

        ok, errors = _save_builder(head, formset, write)
        if ok:
            messages.success(request, _("模板已创建。"))
            return redirect("perf-templates")
    return render(request, "performance/template_builder.html", _builder_context(
        head=head, formset=formset, errors=errors, template=None), status=400 if request.method == "POST" else 200)


def _new_template_code() -> str:
    """Templates are named by people; the code (used by the API) is generated, never typed."""
    n = KpiTemplate.objects.count() + 1
    while KpiTemplate.objects.filter(code=f"kpi-{n}").exists():
        n += 1
    return f"kpi-{n}"


def _template_or_404(code: str) -> KpiTemplate:
    template = KpiTemplate.objects.select_related("department").filter(code=code).first()
    if template is None:
        raise Http404
    return template


@page_roles(R.OFFICE)
def template_detail(request, code: str):
    """One template: its versions by season, newest first, each with what it measures."""
    _require_hr(request)
    template = _template_or_404(code)
    versions = list(template.versions.prefetch_related("indicators").order_by("season", "-version"))
    current = _current_version(versions, timezone.localdate())
    return render(request, "performance/template_detail.html", {
        "template": template, "versions": versions, "current": current, "metric_labels": _metric_labels(),
    })


@page_roles(R.OFFICE)
def template_version_new(request, code: str):
    """A changed template or a seasonal variant (开门红): a new version, prefilled from the one in
    force today for the chosen season; earlier versions stay as they were."""
    _require_hr(request)
    template = _template_or_404(code)
    versions = list(template.versions.prefetch_related("indicators"))
    seasons = sorted({(v.season, v.season_label) for v in versions})
    season = request.POST.get("season") or request.GET.get("season") or "all"
    base = _current_version(versions, timezone.localdate(), None if season == "all" else season)
    if season not in {s for s, _l in seasons}:
        base = _current_version(versions, timezone.localdate(), "all") or base
    initial = {"season": season if base and base.season == season else ("all" if season == "all" else NEW_SEASON),
               "effective_from": _first_of_next_month()}
    if base is not None and base.season != "all" and base.season == season:
        initial.update(season_label=base.season_label, months=list(base.months))
    head = VersionHeadForm(request.POST or None, seasons=seasons, initial=initial)
    formset = IndicatorFormSet(request.POST or None, prefix="ind",
                               initial=None if request.POST else (indicator_initial(base.indicators.all()) if base else [{}]))
    errors: list[str] = []
    if request.method == "POST":
        def write(d, indicators):
            chosen, label = d["season"], (d["season_label"] or "").strip()
            if chosen == NEW_SEASON:
                chosen = _new_season_code(template)
            elif chosen != "all":
                label = label or dict(seasons).get(chosen, "")
            return services.template_version_create(actor=request.user, template=template, data=services.VersionInput(
                chosen, label, tuple(d["months"]) if chosen != "all" else (), d["effective_from"], indicators,
                note=d["note"] or ""))

        ok, errors = _save_builder(head, formset, write)
        if ok:
            messages.success(request, _("已新增版本。"))
            return redirect("perf-template", code=template.code)
    return render(request, "performance/template_builder.html", _builder_context(
        head=head, formset=formset, errors=errors, template=template, base=base),
        status=400 if request.method == "POST" else 200)


def _new_season_code(template: KpiTemplate) -> str:
    used = set(template.versions.values_list("season", flat=True))
    n = 1
    while f"season-{n}" in used:
        n += 1
    return f"season-{n}"


@page_roles(R.OFFICE)
def cycle_list(request):
    _require_hr(request)
    form = CycleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cycle_create(actor=request.user, period=form.cleaned_data["period"])
        except ValidationError as exc:
            errors_to_form(form, exc)
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
    if request.POST.get("confirm") != "1":  # scores freeze: asked once, in words
        messages.error(request, _("请勾选确认:定稿后分数不能再调整。"))
        return redirect("perf-cycle", cycle_id=cycle_id)
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
    awards = list(cycle.awards.select_related("department"))
    names.update(_names(a.user_id for a in awards if a.user_id))
    return render(request, "performance/cycle.html", {
        "cycle": cycle, "scores": [(s, names.get(s.user_id)) for s in scores],
        "flags": [(f, names.get(f.user_id)) for f in flags], "is_hr": is_hr,
        "may_finalise": selectors.may_finalise(request.user),
        "bonus_lines": BonusLine.objects.filter(cycle=cycle).select_related("department", "rule") if is_hr else [],
        "awards": [(a, display.award_note(a, names.get(a.user_id, ""))) for a in awards],
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
                errors_to_form(form, exc)
            else:
                messages.success(request, _("得分已调整。"))
                return redirect("perf-score", score_id=score.pk)
    return render(request, "performance/score.html", {
        "score": score, "person": _names([score.user_id]).get(score.user_id),
        "lines": selectors.score_lines(score, request.user), "form": form, "may_adjust": may_adjust,
        "history": _history(score),
    })


def _history(score) -> list[dict]:
    records = list(score.history.all().order_by("-history_date")[:20])
    return display.score_history(records, _names({h.history_user_id for h in records if h.history_user_id}))


@page_roles(R.INSIDERS)
def my_scores(request):
    scores = list(selectors.my_scores(request.user))
    return render(request, "performance/mine.html", {
        "scores": [(s, selectors.score_lines(s, request.user)) for s in scores],
    })
