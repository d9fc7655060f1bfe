"""Pages for HR admins (templates, cycles, results), managers (review, adjust, finalise) and
everyone (own scores and what drove them). They call the same services and selectors as the API."""
from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from branches import roles as R
from branches.pages import page_roles
from branches.models import User
from hrsaas.core.collation import by_pinyin
from hrsaas.core.inputs import errors_to_form

from . import display, engine, metrics, selectors, services
from .forms import (BONUS_RULE_FORMS, NEW_SEASON, AdjustForm, CycleForm, DepartmentCreateForm, IndicatorFormSet,
                    MemberAddForm, ReviewForm, SurveyAnswerForm, SurveyCreateForm, TemplateHeadForm, VersionHeadForm,
                    answer_label, indicator_initial)
from .models import (AppraisalCycle, BonusLine, BonusRule, CycleKind, CycleStatus, Department, DepartmentMember,
                     KpiTemplate, KpiTemplateVersion, MemberRole, Review, RuleKind, SurveyAnswer)


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
        "may_manage_members": selectors.may_manage_members(request.user),
        "managed": selectors.managed_department_ids(request.user), **_to_do(request.user),
    })


def _to_do(user) -> dict:
    """What a department member is asked to do (both 绩效 pages show it): surveys to answer and
    cycles in which to rate a colleague of another department."""
    member = selectors.membership(user)
    return {
        "member": member,
        "surveys_to_answer": list(selectors.surveys_asking(user).exclude(answers__respondent_id=user.pk)
                                  .order_by("-cycle__starts_on", "target_department__code")),
        "review_cycles": list(AppraisalCycle.objects.exclude(status=CycleStatus.FINALISED)) if member else [],
    }


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

    return {"weight_total": _weight_total(kw["formset"]),"survey_scale": [(answer_label(k), format(v.normalize(), "f")) for k, v in DEFAULT_SURVEY_SCALE.items()],
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
        head=head, formset=formset, errors=errors, template=None,
        # A template is a department's: with none yet, the page says where to create one.
        no_departments=not departments.exists(), may_manage_members=selectors.may_manage_members(request.user)),
        status=400 if request.method == "POST" else 200)


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
    form = CycleForm(request.POST if request.method == "POST" else None)  # a POST without fields is refused too
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
        services.cycle_finalise(actor=request.user, cycle_id=cycle_id,
                                missing_accepted=request.POST.get("accept_missing") == "1")
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(request, _("考核周期已定稿。"))
    return redirect("perf-cycle", cycle_id=cycle_id)


@page_roles(R.INSIDERS)  # department managers read their department (scoped by the selectors)
def cycle_detail(request, cycle_id: int):
    cycle = selectors.access_cycle(cycle_id)
    # By department, best first within each: departments' templates differ (bonus indicators
    # make 满分 112 in one and 100 in another), so raw totals rank people only beside colleagues.
    scores = list(selectors.scores_visible_to(request.user, cycle).select_related("department")
                  .order_by(*by_pinyin("department__name"), "department_id", "-total", "user_id"))
    names = _names(s.user_id for s in scores)
    flags = list(selectors.risk_flags_visible_to(request.user, cycle).select_related("department"))
    names.update(_names(f.user_id for f in flags))
    is_hr = selectors.is_hr(request.user)
    awards = list(cycle.awards.select_related("department"))
    names.update(_names(a.user_id for a in awards if a.user_id))
    manages = selectors.may_manage_members(request.user)
    may_finalise = selectors.may_finalise(request.user)
    # Who lacks which values (those indicators score 0): for whoever computes or finalises.
    missing = _missing_rows(cycle) if (is_hr or may_finalise) and cycle.status != CycleStatus.FINALISED else []
    return render(request, "performance/cycle.html", {
        "cycle": cycle, "scores": [(s, names.get(s.user_id)) for s in scores],
        "flags": [(f, names.get(f.user_id)) for f in flags], "is_hr": is_hr,
        "may_finalise": may_finalise, "missing": missing,
        "quarterly": cycle.kind == CycleKind.QUARTERLY,
        # 季度奖项 are chosen by whoever may choose them through the API (AwardsApi POST: the office)
        "may_choose_awards": (cycle.kind == CycleKind.QUARTERLY and cycle.status == CycleStatus.COMPUTED
                              and is_hr),
        "may_review": cycle.status != CycleStatus.FINALISED and selectors.membership(request.user) is not None,
        # 联动奖金 are department pay: managers and HQ only, not HR staff (薪酬保密)
        "bonus_lines": (BonusLine.objects.filter(cycle=cycle).select_related("department", "rule")
                        if selectors.reads_bonus_amounts(request.user) else []),
        # the award for every insider; its score or average only for whoever reads those scores
        "awards": [(a, display.award_note(a, names.get(a.user_id, ""),
                                          figures=selectors.award_figures_visible(request.user, a))) for a in awards],
        "may_manage_members": manages,
        "unplaced": selectors.people_without_department() if manages else [],
    })


def _missing_rows(cycle) -> list[tuple[str, str]]:
    """(person with their department, the metrics they lack in words) for the cycle page."""
    missing = selectors.missing_inputs(cycle)
    if not missing:
        return []
    names = selectors.names_told_apart(m.user_id for m in missing)
    departments = dict(Department.objects.filter(pk__in={m.department_id for m in missing}).values_list("pk", "name"))
    rows = sorted(((departments.get(m.department_id, ""), names.get(m.user_id, ""), m) for m in missing),
                  key=lambda r: (r[0], r[1]))
    return [(_("%(name)s(%(detail)s)") % {"name": name, "detail": dept},  # the words of hrsaas.core.people
             _("、").join(display.metric_label(code) for code in m.metrics)) for dept, name, m in rows]


@require_POST
@page_roles(R.OFFICE)  # the roles of the awards API's POST (AwardsApi)
def cycle_awards(request, cycle_id: int):
    """季度奖项: chosen (again) from the computed scores of a quarterly cycle, until it is
    finalised — the same service as the API, which audits the choice."""
    _require_hr(request)
    cycle = selectors.access_cycle(cycle_id)
    try:
        awards = services.awards_choose(actor=request.user, cycle_id=cycle.pk,
                                        missing_accepted=request.POST.get("accept_missing") == "1")
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(request, _("已评选季度奖项:%(n)s项。") % {"n": len(awards)} if awards else
                         _("没有可评的季度奖项:各部门尚无得分,或未设季度之星称号。"))
    return redirect("perf-cycle", cycle_id=cycle.pk)


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
        "scores": [(s, selectors.score_lines(s, request.user)) for s in scores], **_to_do(request.user),
    })


# ---------------------------------------------------------------------------------------------
# Surveys (满意度调查): who is asked is who services.survey_answer accepts — a member of a
# department other than the one the survey is about, in a cycle not finalised, once.
# ---------------------------------------------------------------------------------------------
def _posted(request):
    """The submitted data, or None on GET (an empty submission is still a submission)."""
    return request.POST if request.method == "POST" else None


def _error_status(request, form) -> int:
    return 400 if request.method == "POST" and form.errors else 200


@page_roles(R.INSIDERS)
def survey_answer(request, survey_id: int):
    """One survey answered with 满意 / 一般 / 不满意; someone not asked gets the same 404 as a
    survey that does not exist. A second answer is refused by the service."""
    survey = selectors.surveys_asking(request.user).filter(pk=survey_id).first()
    if survey is None:
        raise Http404
    mine = SurveyAnswer.objects.filter(survey=survey, respondent_id=request.user.pk).first()
    form = SurveyAnswerForm(_posted(request), scale=survey.scale)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_answer(actor=request.user, survey=survey, answer=form.cleaned_data["answer"])
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("感谢您的评价。"))
            return redirect("perf-home")
    return render(request, "performance/survey_answer.html", {
        "survey": survey, "form": form, "mine": mine, "mine_label": answer_label(mine.answer) if mine else ""},
        status=_error_status(request, form))


@page_roles(R.OFFICE)
def cycle_surveys(request, cycle_id: int):
    """HR: the cycle's surveys with how many of those asked have answered (never who answered
    what), and a new survey about a department."""
    _require_hr(request)
    cycle = selectors.access_cycle(cycle_id)
    departments = Department.objects.all()
    form = SurveyCreateForm(_posted(request), departments=departments)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_create(actor=request.user, cycle=cycle, title=form.cleaned_data["title"],
                                   target_department=departments.get(code=form.cleaned_data["department"]))
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("满意度调查已发布。"))
            return redirect("perf-cycle-surveys", cycle_id=cycle.pk)
    members_by_dept = dict(DepartmentMember.objects.values_list("department_id").annotate(n=Count("id")))
    everyone = sum(members_by_dept.values())
    surveys = cycle.surveys.select_related("target_department").annotate(answered=Count("answers")).order_by(
        "target_department__code")
    return render(request, "performance/cycle_surveys.html", {
        "cycle": cycle, "form": form,
        "rows": [(s, s.answered, everyone - members_by_dept.get(s.target_department_id, 0)) for s in surveys],
    }, status=_error_status(request, form))


# ---------------------------------------------------------------------------------------------
# Multi-rater reviews (多维评价): services.review_create decides (another department, once)
# ---------------------------------------------------------------------------------------------
@page_roles(R.INSIDERS)
def review_new(request, cycle_id: int):
    cycle = selectors.access_cycle(cycle_id)
    member = selectors.membership(request.user)
    members = list(DepartmentMember.objects.select_related("department").exclude(user_id=request.user.pk)
                   .order_by("department__code", "user_id"))
    names = _names(m.user_id for m in members)
    reviewed = dict(Review.objects.filter(cycle=cycle, reviewer_id=request.user.pk).values_list("subject_id", "points"))
    label = lambda m: _("%(name)s(%(dept)s)") % {"name": names.get(m.user_id, ""), "dept": m.department.name}  # noqa: E731
    offered = [(m.user_id, label(m)) for m in members
               if member is not None and m.department_id != member.department_id and m.user_id not in reviewed]
    form = ReviewForm(_posted(request), people=[(m.user_id, label(m)) for m in members], offered=offered)
    if request.method == "POST" and form.is_valid():
        subject = User.objects.filter(pk=form.cleaned_data["subject"]).first()
        try:
            if subject is None:
                raise ValidationError({"subject": [_("请选择被评价人。")]})
            services.review_create(actor=request.user, cycle=cycle, subject=subject,
                                   points=form.cleaned_data["points"], comment=form.cleaned_data["comment"])
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("评价已提交。"))
            return redirect("perf-review-new", cycle_id=cycle.pk)
    return render(request, "performance/review_new.html", {
        "cycle": cycle, "form": form, "member": member, "open": cycle.status != CycleStatus.FINALISED,
        "reviewed": [(label(m), reviewed[m.user_id]) for m in members if m.user_id in reviewed],
    }, status=_error_status(request, form))


# ---------------------------------------------------------------------------------------------
# Linked-bonus rules (挂钩奖金规则): versions, never edited; a change is a new version
# ---------------------------------------------------------------------------------------------
@page_roles(R.OFFICE)  # the roles of the bonus-rules API (BonusRuleListApi)
def bonus_rules(request):
    _require_hr(request)
    today = timezone.localdate()
    in_force = services.rules_in_force(today)
    in_force_ids = {r.pk for r in in_force}
    everything = list(BonusRule.objects.select_related("department", "linked_department"))
    return render(request, "performance/bonus_rules.html", {
        "rules": [(r, display.bonus_rule_terms(r)) for r in sorted(in_force, key=lambda r: r.department.code)],
        "others": [r for r in everything if r.pk not in in_force_ids],
        "kinds": [(k.replace("_", "-"), label) for k, label in RuleKind.choices],
    })


def _new_rule_code() -> str:
    """Rules are named by what they do; the code (used by the API) is generated, never typed."""
    n = BonusRule.objects.values("code").distinct().count() + 1
    while BonusRule.objects.filter(code=f"bonus-{n}").exists():
        n += 1
    return f"bonus-{n}"


def _bonus_rule_form(request, *, kind: str, base: BonusRule | None):
    form_class = BONUS_RULE_FORMS[kind]
    departments = Department.objects.all()
    initial = {"effective_from": _first_of_next_month()}
    if base is not None:
        initial |= {"department": base.department.code, "linked_department": base.linked_department.code,
                    **form_class.initial_from(base)}
    form = form_class(_posted(request), departments=departments, initial=initial)
    if base is not None:  # a new version stays the same department's rule (the service says so too)
        form.fields["department"].disabled = True
    taken = None  # the department's rule, when this would be a second one: its new version is the way
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            rule = services.bonus_rule_create(
                actor=request.user, code=base.code if base else _new_rule_code(), kind=kind,
                department=departments.get(code=d["department"]),
                linked_department=departments.get(code=d["linked_department"]),
                effective_from=d["effective_from"], params=form.params())
        except services.BonusRuleScopeTaken as exc:
            errors_to_form(form, exc)
            taken = exc.rule
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("已新增%(rule)s。") % {"rule": display.bonus_rule_name(rule)})
            return redirect("perf-bonus-rules")
    return render(request, "performance/bonus_rule_form.html", {
        "form": form, "base": base, "kind_label": RuleKind(kind).label, "taken": taken,
    }, status=_error_status(request, form))


@page_roles(R.OFFICE)
def bonus_rule_new(request, kind: str):
    _require_hr(request)
    kind = kind.replace("-", "_")  # the URL spells the kind with a hyphen (linked-factor)
    if kind not in BONUS_RULE_FORMS:
        raise Http404
    return _bonus_rule_form(request, kind=kind, base=None)


@page_roles(R.OFFICE)
def bonus_rule_version_new(request, rule_id: int):
    """A changed rule: a new version prefilled from the rule's newest one; earlier versions stay.
    (The URL names a version by id, so that no rule code reaches the page.)"""
    _require_hr(request)
    code = BonusRule.objects.filter(pk=rule_id).values_list("code", flat=True).first()
    base = BonusRule.objects.select_related("department", "linked_department").filter(code=code).order_by(
        "-version").first()
    if base is None:
        raise Http404
    return _bonus_rule_form(request, kind=base.kind, base=base)


# ---------------------------------------------------------------------------------------------
# Departments and their members (部门成员): only department members are appraised, and a
# department's head reads its members' scores — so placing people is the branch manager's
# (and HQ admin's), by name, through the same service as the API's departments/<code>/members/
# ---------------------------------------------------------------------------------------------
def _require_member_manager(request):
    if not selectors.may_manage_members(request.user):
        raise Http404


@page_roles(R.MANAGER)
def department_list(request):
    """部门成员: each department with its head(s) and size, and who belongs to none (no score);
    a new department is created here (the same service as the API's departments/)."""
    _require_member_manager(request)
    form = DepartmentCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            # Named by people; the code (used by the API) is generated by the service, never typed.
            dept = services.department_create(actor=request.user, name=form.cleaned_data["name"],
                                              star_title=form.cleaned_data["star_title"])
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("已建立%(dept)s,请添加成员。") % {"dept": dept.name})
            return redirect("perf-department", dept_id=dept.pk)
    members = list(DepartmentMember.objects.values_list("department_id", "user_id", "role"))
    names = _names(u for _d, u, _r in members)
    rows = []
    for dept in Department.objects.all():
        mine = [(u, r) for d, u, r in members if d == dept.pk]
        heads = "、".join(sorted(names.get(u, "") for u, r in mine if r == MemberRole.MANAGER))
        rows.append((dept, len(mine), heads))
    return render(request, "performance/departments.html", {
        "rows": rows, "unplaced": selectors.people_without_department(), "form": form},
        status=_error_status(request, form))


def _person_id(raw) -> int | None:
    try:
        return int(str(raw or "").strip())
    except ValueError:
        return None


@page_roles(R.MANAGER)
def department_members(request, dept_id: int):
    """One department's members: add a person (by name; one in another department moves here),
    or take one out. The URL names the department by id, so that no code reaches the page."""
    _require_member_manager(request)
    dept = Department.objects.filter(pk=dept_id).first()
    if dept is None:
        raise Http404
    placed = {m.user_id: m for m in DepartmentMember.objects.select_related("department")}
    people = list(selectors.appraised_people())
    here = [m for m in placed.values() if m.department_id == dept.pk]
    others = [u for u in people if u.pk not in {m.user_id for m in here}]
    # One page, one list of people: namesakes among its members and candidates are told apart.
    names = selectors.names_told_apart([m.user_id for m in here] + [u.pk for u in others])
    options = []
    for u in others:
        where = placed.get(u.pk)
        label = names.get(u.pk) or u.display_name or u.username
        options.append((u.pk, label if where is None else _("%(name)s(现属%(dept)s)") % {
            "name": label, "dept": where.department.name}))
    adding = request.method == "POST" and request.POST.get("action") != "remove"
    form = MemberAddForm(request.POST if adding else None, people=options)
    if request.method == "POST" and not adding:
        person = User.objects.filter(pk=_person_id(request.POST.get("person"))).first()
        try:
            if person is None:  # the same words as someone not in the department: nothing to tell
                raise ValidationError({"user": [_("此人不在%(dept)s。") % {"dept": dept.name}]})
            services.member_remove(actor=request.user, department=dept, user=person)
        except ValidationError as exc:
            messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        else:
            messages.success(request, _("已将%(name)s移出%(dept)s。") % {
                "name": person.display_name or person.username, "dept": dept.name})
        return redirect("perf-department", dept_id=dept.pk)
    if adding and form.is_valid():
        person = User.objects.get(pk=form.cleaned_data["person"])
        try:
            services.member_set(actor=request.user, department=dept, user=person, role=form.cleaned_data["role"],
                                position=form.cleaned_data["position"])
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("已将%(name)s加入%(dept)s。") % {
                "name": person.display_name or person.username, "dept": dept.name})
            return redirect("perf-department", dept_id=dept.pk)
    order = {u.pk: n for n, u in enumerate(people)}  # by pinyin (appraised_people); anyone else last
    here.sort(key=lambda m: (m.role != MemberRole.MANAGER, order.get(m.user_id, len(order)), names.get(m.user_id, "")))
    return render(request, "performance/department.html", {
        "dept": dept, "form": form, "members": [(m, names.get(m.user_id, "")) for m in here],
    }, status=_error_status(request, form) if adding else 200)
