"""Every change of performance state: validate → lock → write → audit → on_commit.

Services raise django ValidationError (→ 400 {field: [msg]}) before writing anything, and run in
one transaction, so a refused call changes nothing. Audited models are stamped with the actor.
"""
from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.audit import stamp

from hrsaas.core import inputs
from hrsaas.core.inputs import refuse_json_number, text_box, too_long
from hrsaas.core.money import MoneyError, decimal_from_text, parse_money
from hrsaas.core import formatting
from hrsaas.core.period import MAX_YEAR, MIN_YEAR, PERIOD_RE, Period, PeriodError
from hrsaas.core.unique import taken_is_refused

from . import display, engine, lock_objects, metrics
from .models import (
    AppraisalCycle,
    Award,
    AwardKind,
    BonusBase,
    BonusLine,
    BonusRule,
    CycleKind,
    CycleStatus,
    Department,
    DepartmentMember,
    EnteredValue,
    KpiIndicator,
    KpiTemplate,
    KpiTemplateVersion,
    MemberRole,
    Review,
    RiskFlag,
    Score,
    Survey,
    SurveyAnswer,
)

QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])\Z")


def to_decimal(value, field: str, *, places: int = 2) -> Decimal:
    """A Decimal from user input; over-precise or non-numeric input is refused, not rounded."""
    d = decimal_from_text(value)
    if d is None:
        raise ValidationError({field: [_("须为数字。")]})
    if d.as_tuple().exponent < -places:
        raise ValidationError({field: [_("最多%(n)s位小数。") % {"n": places}]})
    return d


def period_bounds(period: str) -> tuple[str, date, date]:
    """('monthly'|'quarterly', first day, last day) of 'YYYY-MM' or 'YYYY-Qn', years in the
    product's range (hrsaas.core.period)."""
    if not str(period or "").strip():
        raise ValidationError({"period": [_("请填写考核期间:月度如 2026-03,季度如 2026-Q1。")]})
    if PERIOD_RE.match(period or ""):
        try:
            month = Period.parse(period)
        except PeriodError as exc:
            raise ValidationError({"period": [str(exc)]}) from None
        return CycleKind.MONTHLY, month.first_day, month.last_day
    if m := QUARTER_RE.match(period or ""):
        y, qn = int(m[1]), int(m[2])
        try:
            first, last = Period(y, 3 * qn - 2), Period(y, 3 * qn)
        except PeriodError as exc:
            raise ValidationError({"period": [str(exc)]}) from None
        return CycleKind.QUARTERLY, first.first_day, last.last_day
    raise ValidationError({"period": [_("期间格式须为 YYYY-MM(月度)或 YYYY-Qn(季度)。")]})


# ---------------------------------------------------------------------------------------------
# Departments
# ---------------------------------------------------------------------------------------------
def department_name_key(name: str) -> str:
    """A department's name as people read it, for telling names apart: NFKC (全角“ＩＴ部” is IT部),
    trimmed, without regard to case."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


def _new_department_code() -> str:
    """dept-N, the first N from the count of departments on that is free (under the departments
    lock, so two new departments at once never get the same one)."""
    n = Department.objects.count() + 1
    while Department.objects.filter(code=f"dept-{n}").exists():
        n += 1
    return f"dept-{n}"


@transaction.atomic
def department_create(*, actor, name: str, code: str | None = None, star_title: str = "") -> Department:
    """A new department. `code` (used by the API) as given, or generated when None (the page's:
    departments are named by people, the code is never typed). The name is one line of visible
    text — zero-width and other invisible characters are refused, as in every field — and
    unlike every other department's once both are read as people read them (NFKC, trimmed,
    any case): "客服部" and "客服部 " or "ＫＦ" and "kf" would show as one department twice."""
    if code is not None and not re.match(r"^[a-z][a-z0-9-]{1,39}$", code):
        raise ValidationError({"code": [_("编码须为小写字母开头的字母、数字或连字符(2–40位)。")]})
    if inputs.blank(name):
        raise ValidationError({"name": [_("请填写部门名称。")]})
    errors = inputs.Errors()
    name = inputs.parse_text({"name": name}, "name", errors, max_length=100, single_line=True)
    star_title = inputs.parse_text({"star_title": star_title}, "star_title", errors, max_length=40,
                                   required=False, single_line=True)
    errors.raise_if_any()
    # Two new departments at once are written one after the other: the name check below and the
    # generated code both read the others (the unique code constraint still backs the API's).
    lock_objects.departments()
    if code is None:
        code = _new_department_code()
    taken = {"code": [_("该编码已被使用。")]}
    if Department.objects.filter(code=code).exists():
        raise ValidationError(taken)
    # Pages name departments by their names only: two of the same name could not be told apart.
    key = department_name_key(name)
    if any(department_name_key(other) == key for other in Department.objects.values_list("name", flat=True)):
        raise ValidationError({"name": [_("已有名为“%(name)s”的部门。") % {"name": name}]})
    dept = Department(code=code, name=name, star_title=star_title)
    stamp(dept, actor=actor, reason="department created")
    with taken_is_refused(taken):
        dept.save()
    return dept


@transaction.atomic
def member_set(*, actor, department: Department, user, role: str = MemberRole.MEMBER, position: str = "",
               joined_on: date | None = None) -> DepartmentMember:
    """Put a person in a department (moving them if they were in another one). Only the branch's
    own people (its office and earners) sit in its departments: a client contact is an outsider,
    and a department head reads and adjusts the department's scores."""
    from branches.roles import EARNER_ROLES, OFFICE, roles_in_branch
    from hrsaas.core.branch import current_branch

    if role not in MemberRole.values:
        raise ValidationError({"role": [_("角色须为 manager 或 member。")]})
    if not roles_in_branch(user, current_branch()) & (OFFICE | EARNER_ROLES):
        raise ValidationError({"username": [_("“%(name)s”不是本分支机构的员工,不能加入部门。")
                                            % {"name": user.display_name or user.username}]})
    member = DepartmentMember.objects.select_for_update().filter(user_id=user.pk).first() or DepartmentMember(user_id=user.pk)
    member.department = department
    member.role = role
    member.position = position or ""
    member.joined_on = joined_on
    stamp(member, actor=actor, reason="membership set")
    member.save()
    return member


@transaction.atomic
def member_remove(*, actor, department: Department, user) -> None:
    """Take a person out of a department (audited: the history keeps who removed whom, and when).
    They get no score in a cycle computed from then on until a department holds them again."""
    member = DepartmentMember.objects.select_for_update().filter(user_id=user.pk, department=department).first()
    if member is None:
        raise ValidationError({"user": [_("此人不在%(dept)s。") % {"dept": department.name}]})
    stamp(member, actor=actor, reason="membership removed")
    member.delete()


# ---------------------------------------------------------------------------------------------
# KPI templates (versions are immutable: a change is a new version)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VersionInput:
    season: str
    season_label: str
    months: tuple[int, ...]
    effective_from: date
    indicators: tuple[engine.IndicatorSpec, ...]
    note: str = ""


def parse_indicators(rows) -> tuple[engine.IndicatorSpec, ...]:
    if not isinstance(rows, list):
        raise ValidationError({"indicators": [_("indicators 须为列表。")]})
    specs = []
    for n, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise ValidationError({"indicators": [_("第%(n)s个指标须为对象。") % {"n": n}]})
        missing = [k for k in ("code", "name", "metric", "weight", "target") if k not in row]
        if missing:
            raise ValidationError({"indicators": [_("第%(n)s个指标缺少 %(keys)s。") % {"n": n, "keys": ", ".join(missing)}]})
        params = row.get("params") or {}
        if not isinstance(params, dict):
            raise ValidationError({"formula": [_("第%(n)s个指标的 params 须为对象。") % {"n": n}]})
        refusal = refuse_json_number(row["weight"], example="40.00")  # a percent: a decimal string
        if refusal:
            raise ValidationError({"weights": [refusal]})
        for key, limit in (("code", 40), ("name", 100)):  # refused, never stored cut short
            if len(str(row[key])) > limit:
                raise ValidationError({"indicators": [_("第%(n)s个指标的%(what)s%(words)s") % {
                    "n": n, "what": _("代码") if key == "code" else _("名称"), "words": too_long(limit, len(str(row[key])))}]})
        name_en = row.get("name_en") or ""
        if not isinstance(name_en, str) or len(name_en.strip()) > 100:
            raise ValidationError({"indicators": [_("第%(n)s个指标的英文名称须为不超过 100 字的文字。") % {"n": n}]})
        specs.append(engine.IndicatorSpec(
            code=str(row["code"]), name=str(row["name"]), name_en=name_en.strip(),
            metric=str(row["metric"]),
            weight=to_decimal(row["weight"], "weights"), target=to_decimal(row["target"], "target"),
            direction=str(row.get("direction", "higher")), formula=str(row.get("formula", "linear")), params=params,
        ))
    return tuple(specs)


def _validate_version(data: VersionInput) -> None:
    errors = engine.validate_indicators(list(data.indicators), metrics.known_metrics())
    if not re.match(r"^[a-z][a-z0-9-]{1,19}$", data.season or ""):
        errors.setdefault("season", []).append(_("季节编码须为小写字母开头(如 all、peak、off)。"))
    if any(not (1 <= m <= 12) for m in data.months) or len(set(data.months)) != len(data.months):
        errors.setdefault("months", []).append(_("月份须为1–12且不重复。"))
    if data.season == "all" and data.months:
        errors.setdefault("months", []).append(_("全年版本(all)不能指定月份。"))
    if data.season != "all" and not data.months:
        errors.setdefault("months", []).append(_("季节版本须指定适用月份。"))
    if errors:
        raise ValidationError(errors)


def _write_version(*, actor, template: KpiTemplate, data: VersionInput) -> KpiTemplateVersion:
    lock_objects.template(template.pk)
    last = template.versions.filter(season=data.season).aggregate(m=Max("version"))["m"] or 0
    version = KpiTemplateVersion(
        template=template, season=data.season, season_label=data.season_label[:40], months=list(data.months),
        version=last + 1, effective_from=data.effective_from, note=data.note[:200],
        created_by_id=getattr(actor, "pk", None),
    )
    stamp(version, actor=actor, reason=f"template {template.code} {data.season} v{last + 1}")
    version.save()
    KpiIndicator.objects.bulk_create([
        KpiIndicator(version=version, code=s.code, name=s.name, name_en=s.name_en, metric=s.metric, weight=s.weight,
                     target=s.target, direction=s.direction, formula=s.formula, params=s.params, position=n)
        for n, s in enumerate(data.indicators)
    ])
    return version


@transaction.atomic
def template_create(*, actor, code: str, name: str, department: Department, position: str = "",
                    first: VersionInput) -> KpiTemplate:
    if not re.match(r"^[a-z][a-z0-9-]{1,39}$", code or ""):
        raise ValidationError({"code": [_("编码须为小写字母开头的字母、数字或连字符。")]})
    if not (name or "").strip():
        raise ValidationError({"name": [_("请填写模板名称。")]})
    _validate_version(first)
    _check_pay_metrics(actor, first)
    code_taken = {"code": [_("该编码已被使用。")]}
    position_taken = {"department": [_("该部门(岗位)已有模板,请新增版本。")]}
    if KpiTemplate.objects.filter(code=code).exists():
        raise ValidationError(code_taken)
    if KpiTemplate.objects.filter(department=department, position=position or "").exists():
        raise ValidationError(position_taken)
    with taken_is_refused(code_taken), taken_is_refused(position_taken, constraint="perf_template_per_dept_position"):
        template = KpiTemplate.objects.create(code=code, name=name.strip(), department=department,
                                              position=position or "")
    _write_version(actor=actor, template=template, data=first)
    return template


def _check_pay_metrics(actor, data: VersionInput) -> None:
    """A KPI that reads someone's pay (commission, as its metric or as a points formula's gate)
    is set by those who may read pay — a branch manager or HQ: whoever chooses the target of such
    a KPI can turn the scores back into amounts."""
    from .selectors import PAY_METRICS, reads_all_pay

    uses_pay = any(PAY_METRICS.intersection(s.metrics_used()) for s in data.indicators)
    if actor is not None and uses_pay and not reads_all_pay(actor):
        raise ValidationError({"indicators": [_("提成类指标只能由分公司经理或总部设定(提成属薪酬保密)。")]})


@transaction.atomic
def template_version_create(*, actor, template: KpiTemplate, data: VersionInput) -> KpiTemplateVersion:
    """A changed template (or a new seasonal variant) is a new version; old ones stay as they were."""
    _validate_version(data)
    _check_pay_metrics(actor, data)
    return _write_version(actor=actor, template=template, data=data)


# ---------------------------------------------------------------------------------------------
# Entered values
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ValueInput:
    metric: str
    value: Decimal
    user_id: int | None = None
    department_id: int | None = None


def check_metric_value(metric_code: str, value: Decimal, field: str = "value") -> None:
    metric = metrics.REGISTRY.get(metric_code)
    if metric is None or not metric.enterable:
        raise ValidationError({"metric": [_("“%(m)s”不是可录入的指标数据源。") % {"m": metric_code}]})
    if value < metric.minimum or (metric.maximum is not None and value > metric.maximum):
        upper = "∞" if metric.maximum is None else engine.fmt(metric.maximum)
        raise ValidationError({field: [_("%(label)s须在%(lo)s到%(hi)s之间。") % {"label": metric.label_zh, "lo": engine.fmt(metric.minimum), "hi": upper}]})


@transaction.atomic
def values_enter(*, actor, period: str, rows: list[ValueInput]) -> int:
    """Enter or import values for a period, all-or-nothing; a value already there is replaced
    (history keeps the old one)."""
    period_bounds(period)
    if not rows:
        raise ValidationError({"rows": [_("没有数据。")]})
    from .selectors import PAY_METRICS, reads_all_pay

    if actor is not None and any(row.metric in PAY_METRICS for row in rows) and not reads_all_pay(actor):
        raise ValidationError({"rows": [_("提成数据只能由分公司经理或总部录入(提成属薪酬保密)。")]})
    errors = {}
    for n, row in enumerate(rows, 1):
        try:
            check_metric_value(row.metric, row.value)
        except ValidationError as exc:
            errors[f"row {n}"] = [m for msgs in exc.message_dict.values() for m in msgs]
        if (row.user_id is None) == (row.department_id is None):
            errors.setdefault(f"row {n}", []).append(_("须指定人员或部门之一。"))
    if errors:
        raise ValidationError(errors)
    for row in rows:
        obj = EnteredValue.objects.select_for_update().filter(
            period=period, metric=row.metric, user_id=row.user_id,
            department_id=None if row.user_id else row.department_id,
        ).first() or EnteredValue(period=period, metric=row.metric, user_id=row.user_id,
                                  department_id=None if row.user_id else row.department_id)
        obj.value = row.value
        obj.entered_by_id = getattr(actor, "pk", None)
        stamp(obj, actor=actor, reason="value entered")
        obj.save()
    return len(rows)


# ---------------------------------------------------------------------------------------------
# Cycles
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def cycle_create(*, actor, period: str) -> AppraisalCycle:
    """A cycle for a month or quarter that has begun (the one under way included): a cycle for
    a later one would compute before anything was recorded — everyone 0, and a drop in score
    flagged as a risk for each of them."""
    kind, starts_on, ends_on = period_bounds(period)
    today = timezone.localdate()
    if starts_on > today:
        quarterly = kind == CycleKind.QUARTERLY
        now = f"{today.year:04d}-Q{(today.month - 1) // 3 + 1}" if quarterly else f"{today.year:04d}-{today.month:02d}"
        raise ValidationError({"period": [
            _("%(period)s尚未开始,不能建立考核周期:只能为已经开始的月份或季度建立(现在是%(now)s)。") % {
                "period": formatting.format_period(period), "now": formatting.format_period(now)}]})
    taken = {"period": [_("该期间的考核周期已存在。")]}
    if AppraisalCycle.objects.filter(period=period).exists():
        raise ValidationError(taken)
    cycle = AppraisalCycle(kind=kind, period=period, starts_on=starts_on, ends_on=ends_on)
    stamp(cycle, actor=actor, reason="cycle created")
    with taken_is_refused(taken):
        cycle.save()
    return cycle


CYCLE_COMPUTE_JOB = "performance.compute_cycle"


def cycle_job_key(cycle_id: int) -> str:
    """The cycle's slot among the branch's pending jobs (`branches.jobs`)."""
    return f"cycle-{cycle_id}"


def cycle_compute_request(*, actor, cycle: AppraisalCycle) -> str:
    """Ask the worker to compute the cycle (after this transaction commits); returns the task id.
    A request while a compute of the cycle waits to start joins it (it has not read the data
    yet), so repeated clicks or calls queue one job, not one each (`branches.jobs`)."""
    if cycle.status == CycleStatus.FINALISED:
        raise ValidationError({"status": [_("该考核周期已定稿,不能重新计算。")]})
    if cycle.starts_on > timezone.localdate():  # made before such cycles were refused: nothing to compute yet
        raise ValidationError({"period": [_("%(period)s尚未开始,还没有可计算的数据。") % {
            "period": formatting.format_period(cycle.period)}]})
    from branches.jobs import request_job

    from .tasks import compute_cycle

    def send(task_id: str) -> None:
        transaction.on_commit(lambda: compute_cycle.apply_async(args=[cycle.pk], task_id=task_id))

    task_id, _enqueued = request_job(kind=CYCLE_COMPUTE_JOB, period=cycle_job_key(cycle.pk), send=send)
    return task_id


def _load_templates(on: date) -> dict[tuple[int, str], tuple[int, list[engine.IndicatorSpec]]]:
    """(department id, position) → (version id, indicators) in force on `on`."""
    refs: dict[int, list[engine.VersionRef]] = {}
    template_key: dict[int, tuple[int, str]] = {}
    for t in KpiTemplate.objects.all():
        template_key[t.pk] = (t.department_id, t.position)
    for v in KpiTemplateVersion.objects.all():
        refs.setdefault(v.template_id, []).append(
            engine.VersionRef(v.pk, v.season, tuple(v.months), v.version, v.effective_from))
    chosen = {tid: engine.choose_version(vs, on) for tid, vs in refs.items()}
    version_ids = [c.id for c in chosen.values() if c is not None]
    indicators: dict[int, list[engine.IndicatorSpec]] = {}
    for i in KpiIndicator.objects.filter(version_id__in=version_ids).order_by("position", "id"):
        indicators.setdefault(i.version_id, []).append(engine.IndicatorSpec(
            code=i.code, name=i.name, metric=i.metric, weight=i.weight, target=i.target, direction=i.direction,
            formula=i.formula, params=i.params, id=i.pk, name_en=i.name_en))
    return {template_key[tid]: (c.id, indicators.get(c.id, [])) for tid, c in chosen.items() if c is not None}


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join("\\N" if v is None else str(v).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")
                            for v in row))
        buf.write("\n")
    buf.seek(0)
    cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buf)


def cycle_plan(cycle: AppraisalCycle) -> tuple[dict[int, tuple[int, int, list[engine.IndicatorSpec]]],
                                                 metrics.MetricContext, set[str]]:
    """Who a compute of `cycle` scores, by which indicators, from which metrics: (user id →
    (department id, template version id, indicators), the metric context, the metric codes).
    Read-only: the compute uses it, and so does the check for missing values before it."""
    templates = _load_templates(cycle.ends_on)
    members = list(DepartmentMember.objects.values_list("user_id", "department_id", "position"))
    plan: dict[int, tuple[int, int, list[engine.IndicatorSpec]]] = {}
    for user_id, dept_id, position in members:
        found = templates.get((dept_id, position)) or templates.get((dept_id, ""))
        if found is not None:
            plan[user_id] = (dept_id, found[0], found[1])
    ctx = metrics.MetricContext(cycle.pk, cycle.period, cycle.starts_on, cycle.ends_on,
                                {u: d for u, (d, _version, _specs) in plan.items()})
    codes = {m for (_dept, _version, specs) in plan.values() for s in specs for m in s.metrics_used()}
    return plan, ctx, codes


@transaction.atomic
def cycle_compute(*, cycle_id: int) -> dict:
    """Compute every member's score from the data at the cycle's end. Set-based: one query per
    metric, scores upserted by (cycle, user) — a manager's adjustment is kept — and lines
    rewritten with COPY. Safe to run twice; refused once the cycle is finalised."""
    cycle = lock_objects.cycle(cycle_id)
    if cycle.status == CycleStatus.FINALISED:
        raise ValidationError({"status": [_("该考核周期已定稿,不能重新计算。")]})
    plan, ctx, codes = cycle_plan(cycle)
    values = metrics.values_for(ctx, codes)

    results: dict[int, engine.ScoreResult] = {}
    for user_id, (_dept, _version, specs) in plan.items():
        person_values = {code: values[code].get(user_id) for code in codes}
        results[user_id] = engine.score_person(specs, person_values)

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS perf_tmp_score")
        cur.execute("CREATE TEMP TABLE perf_tmp_score (user_id bigint, department_id bigint, version_id bigint, "
                    "total numeric(7,2), max_total numeric(7,2)) ON COMMIT DROP")
        _copy(cur, "perf_tmp_score", ["user_id", "department_id", "version_id", "total", "max_total"],
              ((u, plan[u][0], plan[u][1], r.total, r.max_total) for u, r in results.items()))
        cur.execute("DELETE FROM performance_score s WHERE s.cycle_id = %s AND NOT EXISTS "
                    "(SELECT 1 FROM perf_tmp_score t WHERE t.user_id = s.user_id)", [cycle.pk])
        cur.execute(
            """
            INSERT INTO performance_score (cycle_id, user_id, department_id, template_version_id, computed_total,
                                           max_total, total, adjusted, adjust_note)
            SELECT %s, user_id, department_id, version_id, total, max_total, total, false, '' FROM perf_tmp_score
            ON CONFLICT (cycle_id, user_id) DO UPDATE SET
                department_id = EXCLUDED.department_id,
                template_version_id = EXCLUDED.template_version_id,
                computed_total = EXCLUDED.computed_total,
                max_total = EXCLUDED.max_total,
                total = CASE WHEN performance_score.adjusted
                             THEN LEAST(performance_score.total, EXCLUDED.max_total) ELSE EXCLUDED.total END
            RETURNING id, user_id
            """,
            [cycle.pk],
        )
        score_ids = dict((u, i) for i, u in cur.fetchall())
        cur.execute("DELETE FROM performance_scoreline WHERE score_id IN "
                    "(SELECT id FROM performance_score WHERE cycle_id = %s)", [cycle.pk])
        _copy(cur, "performance_scoreline",
              ["score_id", "indicator_id", "metric", "actual", "target", "raw_score", "weight", "weighted",
               "explanation"],
              ((score_ids[u], ln.indicator.id, ln.indicator.metric, ln.actual, ln.indicator.target, ln.raw_score,
                ln.indicator.weight, ln.weighted, ln.explanation[:300])
               for u, r in results.items() for ln in r.lines))
    # A score with values missing is not a fall in performance: no "得分由100降至0" flag from it
    # (the cycle page names what is missing instead).
    flags = _risk_flags_write(cycle, ctx, {u: r.total for u, r in results.items()
                                           if all(ln.actual is not None for ln in r.lines)})
    cycle.status = CycleStatus.COMPUTED
    cycle.computed_at = timezone.now()
    stamp(cycle, actor=None, reason="cycle computed")
    cycle.save(update_fields=["status", "computed_at"])
    return {"cycle": cycle.period, "scores": len(results), "lines": sum(len(r.lines) for r in results.values()),
            "risk_flags": flags}


def _risk_flags_write(cycle: AppraisalCycle, ctx: metrics.MetricContext, totals: dict[int, Decimal]) -> int:
    previous = (AppraisalCycle.objects.filter(kind=cycle.kind, ends_on__lt=cycle.starts_on)
                .order_by("-ends_on").first())
    prev_totals = dict(Score.objects.filter(cycle=previous).values_list("user_id", "total")) if previous else {}
    anomalies = metrics.provide_entered(ctx, "attendance_anomalies")
    own_answers: dict[int, list[Decimal]] = {}
    for user_id, p in SurveyAnswer.objects.filter(survey__cycle=cycle).values_list("respondent_id", "points"):
        own_answers.setdefault(user_id, []).append(p)
    RiskFlag.objects.filter(cycle=cycle).delete()
    flags = []
    for user_id, dept_id in ctx.members.items():
        reasons = engine.attrition_reasons(engine.RiskInputs(
            attendance_anomalies=anomalies.get(user_id), total=totals.get(user_id),
            previous_total=prev_totals.get(user_id), own_survey_average=engine.survey_average(own_answers.get(user_id, [])),
            own_survey_count=len(own_answers.get(user_id, [])),
        ))
        level = engine.risk_level(reasons)
        if level:
            flags.append(RiskFlag(cycle=cycle, user_id=user_id, department_id=dept_id, level=level, reasons=reasons))
    RiskFlag.objects.bulk_create(flags, batch_size=2000)
    return len(flags)


@transaction.atomic
def score_adjust(*, actor, score_id: int, total, note: str, may_adjust) -> Score:
    """A manager sets a score's total with a note (audited). `may_adjust(actor, score)` is the
    selector's scope check; the caller passes it so pages and API decide the same way."""
    score = lock_objects.score(score_id)
    if not may_adjust(actor, score):
        raise PermissionDenied
    if score.cycle.status == CycleStatus.FINALISED:
        raise ValidationError({"status": [_("该考核周期已定稿,不能调整。")]})
    if score.cycle.status != CycleStatus.COMPUTED:
        raise ValidationError({"status": [_("该考核周期尚未计算。")]})
    value = to_decimal(total, "total")
    if value < 0 or value > score.max_total:
        raise ValidationError({"total": [_("得分须在0到%(max)s之间。") % {"max": engine.fmt(score.max_total)}]})
    # Refused, never cut; a line break counts once; invisible characters are no note.
    note = text_box(note, "note", limit=500, required=_("调整须填写说明。"))
    if not Score.history.filter(id=score.pk).exists():
        # Scores are bulk-written by the compute (no history rows); record the computed state
        # first so that the audit trail shows before → after of this adjustment.
        stamp(score, actor=None, reason="computed (before first adjustment)")
        score.save()
    score.total = value
    score.adjusted = True
    score.adjust_note = note
    score.adjusted_by_id = actor.pk
    stamp(score, actor=actor, reason=f"adjusted: {note}")
    score.save(update_fields=["total", "adjusted", "adjust_note", "adjusted_by"])
    return score


@transaction.atomic
def cycle_finalise(*, actor, cycle_id: int, missing_accepted: bool = False) -> AppraisalCycle:
    """Freeze the cycle's scores. Scores computed without some of their values (each such
    indicator scored 0) are frozen only when the caller says so (`missing_accepted`: the page's
    checkbox, the API's `accept_missing`): an HR manager finalising a month in which someone was
    away decides that knowingly, and nobody finalises a quarter of zeros by a slip
    (docs/adr/0015-missing-appraisal-values.md)."""
    from .selectors import missing_inputs

    cycle = lock_objects.cycle(cycle_id)
    if cycle.status == CycleStatus.FINALISED:
        raise ValidationError({"status": [_("该考核周期已定稿,不能重复定稿。")]})
    if cycle.status != CycleStatus.COMPUTED:
        raise ValidationError({"status": [_("该考核周期尚未计算,不能定稿。")]})
    missing = missing_inputs(cycle)
    if missing and not missing_accepted:
        raise ValidationError({"accept_missing": [_(
            "%(n)s人的得分缺少数据(缺少的指标按0分计算):请补录后重新计算;如确要按现有数据定稿,请确认“缺少数据的指标按0分定稿”。")
            % {"n": len(missing)}]})
    cycle.status = CycleStatus.FINALISED
    cycle.finalised_at = timezone.now()
    cycle.finalised_by_id = actor.pk
    stamp(cycle, actor=actor, reason=f"cycle finalised with values missing for {len(missing)}" if missing
          else "cycle finalised")
    cycle.save(update_fields=["status", "finalised_at", "finalised_by"])
    return cycle


def _cycle_open_for_input(cycle: AppraisalCycle) -> None:
    if cycle.status == CycleStatus.FINALISED:
        raise ValidationError({"status": [_("该考核周期已定稿。")]})


# ---------------------------------------------------------------------------------------------
# Surveys and multi-rater reviews
# ---------------------------------------------------------------------------------------------
def parse_scale(scale) -> dict[str, Decimal]:
    if scale in (None, {}):
        return dict(engine.DEFAULT_SURVEY_SCALE)
    if not isinstance(scale, dict) or not all(isinstance(k, str) and k for k in scale):
        raise ValidationError({"scale": [_("量表须为 {答案: 分值}。")]})
    parsed = {k: to_decimal(v, "scale") for k, v in scale.items()}
    if any(not (0 <= v <= 10) for v in parsed.values()):
        raise ValidationError({"scale": [_("分值须在0到10之间。")]})
    return parsed


@transaction.atomic
def survey_create(*, actor, cycle: AppraisalCycle, target_department: Department, title: str, scale=None) -> Survey:
    _cycle_open_for_input(cycle)
    parsed = parse_scale(scale)
    if not (title or "").strip():
        raise ValidationError({"title": [_("请填写标题。")]})
    taken = {"target_department": [_("本周期已有该部门的调查。")]}
    if Survey.objects.filter(cycle=cycle, target_department=target_department).exists():
        raise ValidationError(taken)
    with taken_is_refused(taken, constraint="perf_survey_per_cycle_dept"):
        return Survey.objects.create(cycle=cycle, target_department=target_department, title=title.strip(),
                                     scale={k: str(v) for k, v in parsed.items()})


@transaction.atomic
def survey_answer(*, actor, survey: Survey, answer: str) -> SurveyAnswer:
    """One answer per person per survey, from a member of another department."""
    _cycle_open_for_input(survey.cycle)
    if answer not in survey.scale:
        raise ValidationError({"answer": [_("答案须为: %(choices)s。") % {"choices": "、".join(survey.scale)}]})
    member = DepartmentMember.objects.filter(user_id=actor.pk).first()
    if member is None:
        raise ValidationError({"answer": [_("只有本分支机构各部门的成员可以作答。")]})
    if member.department_id == survey.target_department_id:
        raise ValidationError({"answer": [_("不能评价本部门。")]})
    taken = {"answer": [_("您已回答过该调查。")]}
    if SurveyAnswer.objects.filter(survey=survey, respondent_id=actor.pk).exists():
        raise ValidationError(taken)
    # The same person's answers sent at once all pass the check above: the database keeps one.
    with taken_is_refused(taken, constraint="perf_answer_once"):
        return SurveyAnswer.objects.create(survey=survey, respondent_id=actor.pk, answer=answer,
                                           points=Decimal(survey.scale[answer]))


@transaction.atomic
def review_create(*, actor, cycle: AppraisalCycle, subject, points, comment: str = "") -> Review:
    """A multi-rater review (0–10) by someone of another department."""
    _cycle_open_for_input(cycle)
    value = to_decimal(points, "points")
    if not (0 <= value <= 10):
        raise ValidationError({"points": [_("评分须在0到10之间。")]})
    comment = text_box(comment, "comment", limit=500)  # a line break counts once; refused, never cut
    reviewer = DepartmentMember.objects.filter(user_id=actor.pk).first()
    target = DepartmentMember.objects.filter(user_id=subject.pk).first()
    if reviewer is None or target is None:
        raise ValidationError({"subject": [_("评价双方都须是本分支机构部门成员。")]})
    if reviewer.department_id == target.department_id:
        raise ValidationError({"subject": [_("多维评价须由其他部门的人员作出。")]})
    taken = {"subject": [_("您已评价过此人。")]}
    if Review.objects.filter(cycle=cycle, subject_id=subject.pk, reviewer_id=actor.pk).exists():
        raise ValidationError(taken)
    with taken_is_refused(taken, constraint="perf_review_once"):
        return Review.objects.create(cycle=cycle, subject_id=subject.pk, reviewer_id=actor.pk, points=value,
                                     comment=comment)


# ---------------------------------------------------------------------------------------------
# Linked bonuses
# ---------------------------------------------------------------------------------------------
class BonusRuleScopeTaken(ValidationError):
    """A new bonus rule for a department that already has one: `rule` is the version of that
    department's rule in the way, to whose rule the page links for a new version."""

    def __init__(self, message, *, rule: BonusRule):
        super().__init__(message)
        self.rule = rule


def _check_rule_targets(params: dict) -> None:
    """Targets and band thresholds within the range of the measure they are compared with
    (a rate in % is 0–100; days, hours and counts are at least 0)."""
    checks = [(key, params.get(key), params.get(metric)) for key, metric in (
        ("linked_target", "linked_metric"), ("gate_target", "gate_metric"), ("rate_target", "rate_metric"))
        if key in params]
    checks += [("bands.max", b["max"], params.get("own_metric")) for b in params.get("bands") or []
               if isinstance(b, dict) and b.get("max") is not None]
    for key, raw, metric_code in checks:
        value = decimal_from_text(raw)
        metric = metrics.REGISTRY.get(str(metric_code))
        if value is None or metric is None:
            continue
        if value < metric.minimum or (metric.maximum is not None and value > metric.maximum):
            upper = "∞" if metric.maximum is None else engine.fmt(metric.maximum)
            raise ValidationError({"params": [_("%(key)s 须在%(lo)s到%(hi)s之间(%(metric)s的取值范围):%(value)s。") % {
                "key": key, "lo": engine.fmt(metric.minimum), "hi": upper, "value": engine.fmt(value),
                "metric": display.metric_label(metric.code)}]})


def _rule_refs(rules) -> list[engine.RuleRef]:
    return [engine.RuleRef(r.pk, r.code, r.version, r.department_id, r.effective_from) for r in rules]


def _check_rule_scope_and_date(*, code: str, department: Department, effective_from: date, version: int) -> None:
    """Under the branch's bonus-rule lock: the department has no other rule in force on or after
    `effective_from`, and no cycle the rule would apply to has its bonuses computed or is
    finalised (a computed cycle is never re-priced by a later rule; a closed one never rewritten)."""
    errors: dict[str, list] = {}
    rules = list(BonusRule.objects.select_related("department", "linked_department"))
    taken = engine.department_rule_conflict(_rule_refs(rules), engine.RuleRef(
        0, code, version, department.pk, effective_from))
    taken_rule = None
    if taken is not None:
        taken_rule = next(r for r in rules if r.pk == taken.id)
        errors["department"] = [_("%(dept)s已有奖金规则“%(rule)s”:同一部门同时只能有一条奖金规则(每条规则都按部门的"
                                  "全部奖金基数计发,两条会重复发放)。如需改变,请为该规则新增版本。") % {
            "dept": department.name, "rule": display.bonus_rule_name(taken_rule)}]
    cycles = lock_objects.cycles_ending_on_or_after(effective_from)
    with_lines = set(BonusLine.objects.filter(cycle__in=cycles).values_list("cycle_id", flat=True))
    blocking = [c for c in cycles if c.status == CycleStatus.FINALISED or c.pk in with_lines]
    if blocking:
        last = max(blocking, key=lambda c: (c.ends_on, c.pk))
        values = {"period": formatting.format_period(last.period),
                  "day": formatting.format_date(last.ends_on + timedelta(days=1))}
        if last.status == CycleStatus.FINALISED:
            msg = _("%(period)s考核周期已定稿,不能改写:生效日期须在%(day)s或以后。") % values
        else:
            msg = _("%(period)s考核周期的奖金已经计算,新的规则或版本不能追溯到该周期:生效日期须在%(day)s或以后。") % values
        errors["effective_from"] = [msg]
    if taken_rule is not None:
        raise BonusRuleScopeTaken(errors, rule=taken_rule)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def bonus_rule_create(*, actor, code: str, kind: str, department: Department, linked_department: Department,
                      effective_from: date, params: dict) -> BonusRule:
    """A new version of a bonus rule (the first one creates the code).

    A department has one bonus rule at a time: every rule pays the department's whole base
    bonus, so a second rule for it is refused (a change is a new version of its rule, which stays
    the same department's). A rule never reaches back into a cycle whose bonuses are computed or
    which is finalised, and takes effect within the product's years."""
    if not re.match(r"^[a-z][a-z0-9-]{1,39}$", code or ""):
        raise ValidationError({"code": [_("编码须为小写字母开头的字母、数字或连字符。")]})
    if not (MIN_YEAR <= effective_from.year <= MAX_YEAR):
        raise ValidationError({"effective_from": [_("生效日期须在%(min)s年到%(max)s年之间:%(day)s。") % {
            "min": MIN_YEAR, "max": MAX_YEAR, "day": effective_from.isoformat()}]})
    errors = engine.validate_rule_params(kind, params)
    if errors:
        raise ValidationError({"params": errors})
    for key in ("linked_metric", "own_metric", "gate_metric", "rate_metric"):
        if key in params and params[key] not in metrics.known_metrics():
            raise ValidationError({"params": [_("%(key)s 引用了未知指标数据源“%(m)s”。") % {"key": key, "m": params[key]}]})
    _check_rule_targets(params)
    if department.pk == linked_department.pk:
        raise ValidationError({"linked_department": [_("关联部门须为另一个部门。")]})
    lock_objects.bonus_rules()
    newest = BonusRule.objects.filter(code=code).select_related("department").order_by("-version").first()
    if newest is not None and newest.department_id != department.pk:
        raise ValidationError({"department": [_("新版本须仍是%(dept)s的奖金规则;其他部门的奖金请新增规则。") % {
            "dept": newest.department.name}]})
    version = (newest.version if newest else 0) + 1
    _check_rule_scope_and_date(code=code, department=department, effective_from=effective_from, version=version)
    rule = BonusRule(code=code, version=version, kind=kind, department=department,
                     linked_department=linked_department, effective_from=effective_from, params=params,
                     created_by_id=getattr(actor, "pk", None))
    stamp(rule, actor=actor, reason=f"bonus rule {code} v{version}")
    rule.save()
    return rule


@transaction.atomic
def bonus_base_set(*, actor, cycle: AppraisalCycle, department: Department, amount) -> BonusBase:
    _cycle_open_for_input(cycle)
    try:  # an amount of money: THE money parser (hrsaas.core.money)
        value = parse_money(amount)
    except MoneyError as exc:
        raise ValidationError({"amount": [_("奖金基数不能为负。") if exc.code == "negative" else exc.message]}) from None
    base = BonusBase.objects.select_for_update().filter(cycle=cycle, department=department).first() or BonusBase(
        cycle=cycle, department=department)
    base.amount = value
    stamp(base, actor=actor, reason="bonus base set")
    base.save()
    return base


def rules_in_force(on: date) -> list[BonusRule]:
    """The bonus rules in force on `on`, one per department (engine.rules_in_force)."""
    rules = {r.pk: r for r in BonusRule.objects.select_related("department", "linked_department")}
    return [rules[ref.id] for ref in engine.rules_in_force(_rule_refs(rules.values()), on)]


def _dept_value(period: str, metric: str, department_id: int) -> Decimal | None:
    return EnteredValue.objects.filter(period=period, metric=metric, user__isnull=True,
                                       department_id=department_id).values_list("value", flat=True).first()


@transaction.atomic
def bonuses_compute(*, actor, cycle_id: int) -> list[BonusLine]:
    """Apply the bonus rules in force at the cycle's end — one per department — to each
    department's base bonus; idempotent (one line per cycle and department, never two for a
    department). Missing inputs are refused."""
    cycle = lock_objects.cycle(cycle_id)
    _cycle_open_for_input(cycle)
    rules = rules_in_force(cycle.ends_on)
    if not rules:
        raise ValidationError({"rules": [_("本周期没有生效的奖金规则。")]})
    bases = {b.department_id: b.amount for b in BonusBase.objects.filter(cycle=cycle)}
    computed = []
    errors: list[str] = []
    for rule in rules:
        label = display.bonus_rule_name(rule)  # words, never the rule's code
        title = display.bonus_rule_title(rule)  # the stored explanation's wording (the API's)
        base = bases.get(rule.department_id)
        if base is None:
            errors.append(f"{label}: {rule.department.name}缺少奖金基数。")
            continue
        p = rule.params
        if rule.kind == "linked_factor":
            linked = _dept_value(cycle.period, p["linked_metric"], rule.linked_department_id)
            own = _dept_value(cycle.period, p["own_metric"], rule.department_id)
            if linked is None or own is None:
                errors.append(f"{label}: 缺少 {display.metric_label(p['linked_metric'])}({rule.linked_department.name})或 "
                              f"{display.metric_label(p['own_metric'])}({rule.department.name})的本期数值。")
                continue
            result = engine.linked_factor_bonus(base=base, params=p, linked_actual=linked, own_actual=own,
                                                rule_label=title)
        else:
            gate = _dept_value(cycle.period, p["gate_metric"], rule.linked_department_id)
            rate = _dept_value(cycle.period, p["rate_metric"], rule.linked_department_id)
            if gate is None or rate is None:
                errors.append(f"{label}: 缺少 {display.metric_label(p['gate_metric'])} 或 "
                              f"{display.metric_label(p['rate_metric'])}({rule.linked_department.name})的本期数值。")
                continue
            result = engine.tied_share_bonus(base=base, params=p, gate_actual=gate, rate_actual=rate,
                                             rule_label=title)
        computed.append((rule, base, result))
    if errors:
        raise ValidationError({"inputs": errors})
    # Defence in depth: rules_in_force gives one rule per department; a department paid twice
    # would be its whole base bonus paid twice (the database refuses it too: migration 0003).
    paid = [rule.department_id for rule, _base, _r in computed]
    if len(paid) != len(set(paid)):
        raise ValidationError({"rules": [_("同一部门在本周期有多条生效的奖金规则,不能重复计发。")]})
    BonusLine.objects.filter(cycle=cycle).delete()
    return BonusLine.objects.bulk_create([
        BonusLine(cycle=cycle, rule=rule, department_id=rule.department_id, base_amount=base,
                  inputs={**r.inputs, "rule": rule.code, "rule_version": rule.version}, factor=r.factor,
                  amount=r.amount, explanation_zh=r.explanation_zh[:400], explanation_en=r.explanation_en[:400])
        for rule, base, r in computed
    ])


# ---------------------------------------------------------------------------------------------
# Quarterly awards
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def awards_choose(*, actor, cycle_id: int, missing_accepted: bool = True) -> list[Award]:
    """客服之星 (each department's star title) and the best team, from a quarterly cycle's final
    totals. Re-choosing replaces the previous choice until the cycle is finalised."""
    cycle = lock_objects.cycle(cycle_id)
    if cycle.kind != CycleKind.QUARTERLY:
        raise ValidationError({"cycle": [_("评奖只针对季度考核周期。")]})
    if cycle.status != CycleStatus.COMPUTED:
        raise ValidationError({"status": [_("考核周期须为已计算、未定稿状态。")]})
    from .selectors import missing_inputs

    # An award names the best of a department: with values missing it may crown whoever happened
    # to have their figures entered (客服之星 went to a 0.00). The page asks for a second tick, as
    # finalising does; the API chose awards before this check, and v1 keeps its answer unless
    # the caller asks for the check (accept_missing false). A score of 0 is never a star.
    missing = missing_inputs(cycle)
    if missing and not missing_accepted:
        raise ValidationError({"cycle": [_(
            "%(n)s人的得分缺少数据(缺少的指标按0分计算),不能据此评奖:请补录后重新计算,再评选季度奖项。")
            % {"n": len(missing)}]})
    from branches.models import User

    scores = [s for s in Score.objects.filter(cycle=cycle).values_list("user_id", "department_id", "total")
              if s[2] > 0]
    names = dict(User.objects.filter(pk__in=[s[0] for s in scores]).values_list("pk", "username"))
    results = [engine.PersonResult(u, names.get(u, str(u)), d, t) for u, d, t in scores]
    departments = {d.pk: d for d in Department.objects.all()}
    awards = []
    for dept in departments.values():
        if not dept.star_title:
            continue
        star = engine.choose_star([r for r in results if r.department_id == dept.pk])
        if star:
            awards.append(Award(cycle=cycle, kind=AwardKind.STAR, title=dept.star_title, department=dept,
                                user_id=star.user_id, score=star.total,
                                explanation=f"{dept.name}本季度最高得分{engine.fmt(star.total)}"))
    best = engine.choose_best_team(results, {d: x.name for d, x in departments.items()})
    if best:
        dept = departments[best[0]]
        awards.append(Award(cycle=cycle, kind=AwardKind.BEST_TEAM, title="最佳团队", department=dept,
                            score=best[1], explanation=f"{dept.name}本季度平均得分{engine.fmt(best[1])},为各部门最高"))
    # One by one (a handful of rows), so that the audit trail keeps who replaced which award
    # with which (bulk writes leave no history).
    for old in Award.objects.filter(cycle=cycle):
        stamp(old, actor=actor, reason="awards chosen again")
        old.delete()
    for award in awards:
        stamp(award, actor=actor, reason="awards chosen")
        award.save()
    return awards
