"""Demo data for performance: per branch five departments (社保部, 理赔部, 财务部, 人事部, 客服部), a
template each, the finance/claims and HR bonus rules, last month's cycle with values, a survey,
computed scores and bonus lines. Idempotent: a second run finds everything and only recomputes
the (not finalised) cycle, which is itself idempotent."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django_tenants.utils import schema_context

from . import services
from .engine import IndicatorSpec
from .models import (
    AppraisalCycle,
    BonusBase,
    BonusRule,
    CycleStatus,
    Department,
    DepartmentMember,
    KpiTemplate,
    Survey,
    SurveyAnswer,
)

DEPARTMENTS = [("si", "社保部", ""), ("claims", "理赔部", ""), ("finance", "财务部", ""), ("hr", "人事部", ""),
               ("cs", "客服部", "客服之星")]


def _spec(code, name, metric, weight, target, **kw):
    return IndicatorSpec(code, name, metric, Decimal(weight), Decimal(target), **kw)


# Indicator names are HR's words (Chinese); each has the English name English pages show.
SERVICE_QUALITY = "Service quality"
TEMPLATES = {
    "si": [_spec("open", "开户数", "openings", 60, 3, formula="capped", params={"cap": 120}, name_en="Accounts opened"),
           _spec("quality", "服务质量", "quality", 40, 95, name_en=SERVICE_QUALITY)],
    "claims": [_spec("days", "理赔时效(天)", "claim_days", 60, 2, direction="lower", name_en="Claim turnaround (days)"),
               _spec("survey", "满意度", "survey_score", 40, 10, name_en="Satisfaction")],
    "finance": [_spec("pay", "付款时效(天)", "payment_days", 70, 1, direction="lower", name_en="Payment turnaround (days)"),
                _spec("quality", "差错控制", "quality", 30, 95, name_en="Error control")],
    "hr": [_spec("recruit", "新员工业绩达标", "new_hire_achievement_rate", 50, 80, formula="points",
                 params={"gate_metric": "new_hire_arrival_rate", "gate_target": 95, "gate_points": 20,
                         "points_per_percent": 1, "max": 100}, name_en="New hires meeting targets"),
           _spec("quality", "服务质量", "quality", 50, 95, name_en=SERVICE_QUALITY)],
    "cs": [_spec("exc", "异常响应(小时)", "exception_hours", 50, 1, direction="lower", name_en="Exception response (hours)"),
           _spec("quality", "服务质量", "quality", 50, 95, name_en=SERVICE_QUALITY)],
}
RULES = [
    ("finance-claims", "linked_factor", "finance", "claims",
     {"linked_metric": "claim_days", "own_metric": "payment_days", "linked_target": "2",
      "bands": [{"max": "1", "percent": "120"}, {"max": "2", "percent": "100"}, {"max": None, "percent": "80"}],
      "miss_penalty_points": "10"}),
    ("hr-new-hires", "tied_share", "hr", "si",
     {"gate_metric": "new_hire_arrival_rate", "rate_metric": "new_hire_achievement_rate", "share_percent": "30",
      "gate_target": "95", "gate_points": "20", "rate_target": "80", "points_per_percent": "1",
      "full_points": "20", "cap_percent": "150"}),
]


def _last_month(today: date) -> str:
    y, m = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{y:04d}-{m:02d}"


def seed(org) -> None:
    period = _last_month(date.today())
    for code, branch in org.branches.items():
        people = org.people[code]
        with schema_context(branch.schema_name), transaction.atomic():
            _seed_branch(org.admin, people, period)


def _seed_branch(actor, people, period: str) -> None:
    depts = {}
    for code, name, star in DEPARTMENTS:
        depts[code] = Department.objects.filter(code=code).first() or services.department_create(
            actor=actor, code=code, name=name, star_title=star)
    s = people["specialist"]
    # A department's manager sees and adjusts its members' scores (SPEC §1: appraisal scores are
    # for managers and HQ). The README's phone login (the first specialist) is a plain member:
    # the branch manager heads 社保部, the branch's HR staff 人事部, and three other specialists
    # head 理赔部, 财务部 and 客服部 (their departments only: specialists are not HR).
    placement = [(people["branch_manager"][0], "si", "manager"), (s[0], "si", "member"), (s[1], "si", "member"),
                 (s[2], "claims", "manager"), (s[3], "claims", "member"), (s[4], "finance", "manager"),
                 (people["branch_staff"][0], "hr", "manager"),
                 (s[5], "cs", "manager"), (people["marketing"][0], "cs", "member"), (people["sales"][0], "cs", "member")]
    for user, dept, role in placement:
        # Also corrects a demo seeded before (when the first specialist headed 社保部).
        if not DepartmentMember.objects.filter(user_id=user.pk, department=depts[dept], role=role).exists():
            services.member_set(actor=actor, department=depts[dept], user=user, role=role)
    for dept, specs in TEMPLATES.items():
        if not KpiTemplate.objects.filter(code=f"{dept}-kpi").exists():
            services.template_create(actor=actor, code=f"{dept}-kpi", name=f"{depts[dept].name}考核",
                                     department=depts[dept], first=services.VersionInput(
                                         "all", "", (), date(2026, 1, 1), tuple(specs)))
    for rule_code, kind, dept, linked, params in RULES:
        if not BonusRule.objects.filter(code=rule_code).exists():
            services.bonus_rule_create(actor=actor, code=rule_code, kind=kind, department=depts[dept],
                                       linked_department=depts[linked], effective_from=date(2026, 1, 1), params=params)
    cycle = AppraisalCycle.objects.filter(period=period).first() or services.cycle_create(actor=actor, period=period)
    if cycle.status == CycleStatus.FINALISED:
        return
    dept_values = [("claim_days", "claims", "1.80"), ("payment_days", "finance", "0.90"),
                   ("new_hire_arrival_rate", "si", "96"), ("new_hire_achievement_rate", "si", "85"),
                   # 人事部's own indicator reads its department's figure (the linked bonus reads 社保部's)
                   ("new_hire_arrival_rate", "hr", "96"), ("new_hire_achievement_rate", "hr", "85"),
                   ("exception_hours", "cs", "0.8")]
    rows = [services.ValueInput(m, Decimal(v), department_id=depts[d].pk) for m, d, v in dept_values]
    rows += [services.ValueInput("quality", Decimal(90 + n % 8), user_id=user.pk)
             for n, (user, _, _) in enumerate(placement)]
    services.values_enter(actor=actor, period=period, rows=rows)
    survey = Survey.objects.filter(cycle=cycle, target_department=depts["claims"]).first() or services.survey_create(
        actor=actor, cycle=cycle, target_department=depts["claims"], title="理赔服务满意度")
    for user, answer in [(s[0], "满意"), (s[4], "一般"), (s[5], "满意")]:
        if not SurveyAnswer.objects.filter(survey=survey, respondent_id=user.pk).exists():
            services.survey_answer(actor=user, survey=survey, answer=answer)
    for dept, amount in [("finance", "10000.00"), ("hr", "8000.00")]:
        if not BonusBase.objects.filter(cycle=cycle, department=depts[dept]).exists():
            services.bonus_base_set(actor=actor, cycle=cycle, department=depts[dept], amount=Decimal(amount))
    services.cycle_compute(cycle_id=cycle.pk)
    services.bonuses_compute(actor=actor, cycle_id=cycle.pk)
