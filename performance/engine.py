"""The appraisal rules (绩效规则): pure functions over frozen dataclasses, Decimal only.

How a cycle is computed
-----------------------
1. For each person the template version in force on the cycle's last day is chosen
   (`choose_version`): the newest version per season that is effective by then; a seasonal
   variant (e.g. 开门红, months 1–3) wins over the all-year one when its months contain the date.
2. Each indicator reads one metric value for the person (metrics.py supplies them, set-based),
   and `indicator_score` turns it into a raw score by the indicator's formula:
   - linear:     higher-is-better: actual / target × 100, at most 100 (full marks at target);
                 lower-is-better:  100 when actual ≤ target, else target / actual × 100.
   - capped:     like linear but over-achievement counts up to `cap` (e.g. 120).
   - thresholds: steps [{"at": x, "score": s}, …]; the best step reached gives the score
                 (reached = actual ≥ at, or ≤ at when lower is better); none reached → 0.
   - points:     "到岗率达标得20分,业绩达标率每高1%加1分": `gate_points` when the gate metric
                 meets `gate_target`, plus `points_per_percent` for each full percentage point
                 the indicator's own metric is above its target (never negative), at most `max`.
   A missing value scores 0 and says so.
3. weighted = raw × weight / 100 (weights add up to exactly 100); the total is their sum. Raw and
   weighted scores are rounded half-up to 0.01 — the only rounding point.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from hrsaas.core.money import decimal_from_text

HUNDRED = Decimal(100)
ZERO = Decimal(0)
CENT = Decimal("0.01")
FORMULAS = ("linear", "capped", "thresholds", "points")
DIRECTIONS = ("higher", "lower")
DEFAULT_SURVEY_SCALE = {"满意": Decimal(10), "一般": Decimal(5), "不满意": Decimal(0)}


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = format(value.normalize(), "f")
    return text


# ---------------------------------------------------------------------------------------------
# Indicators
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name: str
    metric: str
    weight: Decimal
    target: Decimal
    direction: str = "higher"
    formula: str = "linear"
    params: dict = field(default_factory=dict, hash=False, compare=False)
    id: int | None = None
    name_en: str = ""  # shown on English pages when given (KpiIndicator.name_en)

    def metrics_used(self) -> list[str]:
        used = [self.metric]
        if self.formula == "points" and self.params.get("gate_metric"):
            used.append(str(self.params["gate_metric"]))
        return used


@dataclass(frozen=True)
class LineResult:
    indicator: IndicatorSpec
    actual: Decimal | None
    raw_score: Decimal
    weighted: Decimal
    explanation: str


@dataclass(frozen=True)
class ScoreResult:
    total: Decimal
    max_total: Decimal
    lines: tuple[LineResult, ...]


def _dec(value, name: str, errors: list[str]) -> Decimal | None:
    d = decimal_from_text(value)
    if d is None:
        errors.append(f"{name} 不是数字: {str(value)[:30]}")
    return d


def validate_indicators(indicators: list[IndicatorSpec], known_metrics: set[str]) -> dict[str, list[str]]:
    """Every reason the indicator set cannot be used, by field (empty dict = valid)."""
    errors: dict[str, list[str]] = {}

    def add(key: str, msg: str) -> None:
        errors.setdefault(key, []).append(msg)

    if not indicators:
        add("indicators", "模板至少需要一个指标。")
        return errors
    codes = [i.code for i in indicators]
    if len(set(codes)) != len(codes):
        add("indicators", "指标编码重复。")
    total = sum((i.weight for i in indicators), ZERO)
    if total != HUNDRED:
        add("weights", f"指标权重合计须为100%,当前为{fmt(total)}%。")
    for i in indicators:
        where = f"指标 {i.code}"
        if i.weight <= 0 or i.weight > HUNDRED:
            add("weights", f"{where}: 权重须在0到100之间。")
        if i.weight != i.weight.quantize(CENT):
            add("weights", f"{where}: 权重最多两位小数。")
        for metric in i.metrics_used():
            if metric not in known_metrics:
                add("formula", f"{where}: 引用了未知指标数据源“{metric}”。")
        if i.direction not in DIRECTIONS:
            add("formula", f"{where}: 方向须为 higher 或 lower。")
        if i.formula not in FORMULAS:
            add("formula", f"{where}: 未知计分公式“{i.formula}”。")
            continue
        if i.formula in ("linear", "capped") and i.target <= 0:
            add("target", f"{where}: 目标值须大于0。")
        if i.formula == "capped":
            cap = _dec(i.params.get("cap"), f"{where}: cap", errors.setdefault("formula", []))
            if cap is not None and cap < HUNDRED:
                add("formula", f"{where}: 封顶分(cap)须不低于100。")
        if i.formula == "thresholds":
            steps = i.params.get("steps")
            if not isinstance(steps, list) or not steps:
                add("formula", f"{where}: 阶梯公式需要 steps。")
            else:
                for s in steps:
                    if not isinstance(s, dict) or "at" not in s or "score" not in s:
                        add("formula", f"{where}: 每个阶梯须有 at 和 score。")
                        continue
                    sc = _dec(s["score"], f"{where}: score", errors.setdefault("formula", []))
                    _dec(s["at"], f"{where}: at", errors.setdefault("formula", []))
                    if sc is not None and not (ZERO <= sc <= Decimal(200)):
                        add("formula", f"{where}: 阶梯得分须在0到200之间。")
        if i.formula == "points":
            p = i.params
            for key in ("gate_target", "gate_points", "points_per_percent", "max"):
                if key not in p:
                    add("formula", f"{where}: 得分公式缺少 {key}。")
                else:
                    _dec(p[key], f"{where}: {key}", errors.setdefault("formula", []))
            if not p.get("gate_metric"):
                add("formula", f"{where}: 得分公式缺少 gate_metric。")
    return {k: v for k, v in errors.items() if v}


def max_score(spec: IndicatorSpec) -> Decimal:
    """The highest raw score the indicator can give."""
    if spec.formula == "capped":
        return Decimal(str(spec.params["cap"]))
    if spec.formula == "thresholds":
        return max(Decimal(str(s["score"])) for s in spec.params["steps"])
    if spec.formula == "points":
        return Decimal(str(spec.params["max"]))
    return HUNDRED


def indicator_score(spec: IndicatorSpec, actual: Decimal | None, others: dict[str, Decimal | None] | None = None
                    ) -> tuple[Decimal, str]:
    """(raw score rounded to 0.01, a one-line Chinese explanation)."""
    if actual is None:
        return ZERO.quantize(CENT), f"{spec.name}: 本期无数据,得0分"
    lower = spec.direction == "lower"
    if spec.formula in ("linear", "capped"):
        if lower:
            ratio = HUNDRED if actual <= spec.target else spec.target / actual * HUNDRED
        else:
            ratio = actual / spec.target * HUNDRED
        cap = HUNDRED if spec.formula == "linear" else Decimal(str(spec.params["cap"]))
        raw = q2(max(ZERO, min(ratio, cap)))
        how = "≤" if lower else "≥"
        return raw, f"{spec.name}: 实际{fmt(actual)},目标{how}{fmt(spec.target)},得{fmt(raw)}分(上限{fmt(cap)})"
    if spec.formula == "thresholds":
        best = None
        for step in spec.params["steps"]:
            at, sc = Decimal(str(step["at"])), Decimal(str(step["score"]))
            reached = actual <= at if lower else actual >= at
            if reached and (best is None or sc > best[1]):
                best = (at, sc)
        if best is None:
            return ZERO.quantize(CENT), f"{spec.name}: 实际{fmt(actual)},未达任何阶梯,得0分"
        how = "≤" if lower else "≥"
        return q2(best[1]), f"{spec.name}: 实际{fmt(actual)},达到阶梯{how}{fmt(best[0])},得{fmt(best[1])}分"
    # points: gate + per percent above target
    p = spec.params
    gate_metric = str(p["gate_metric"])
    gate_value = (others or {}).get(gate_metric)
    gate_target = Decimal(str(p["gate_target"]))
    gate_ok = gate_value is not None and gate_value >= gate_target
    points = Decimal(str(p["gate_points"])) if gate_ok else ZERO
    above = max(ZERO, (actual - spec.target).to_integral_value(rounding=ROUND_DOWN))
    points += above * Decimal(str(p["points_per_percent"]))
    raw = q2(min(points, Decimal(str(p["max"]))))
    gate_text = f"{gate_metric}={fmt(gate_value)}{'达标' if gate_ok else '未达标'}(目标{fmt(gate_target)})"
    return raw, f"{spec.name}: {gate_text}得{fmt(Decimal(str(p['gate_points'])) if gate_ok else ZERO)}分,实际{fmt(actual)}高出目标{fmt(above)}个百分点,共{fmt(raw)}分"


def score_person(indicators: list[IndicatorSpec], values: dict[str, Decimal | None]) -> ScoreResult:
    """The person's score: one line per indicator, total = Σ raw × weight / 100."""
    lines = []
    total = ZERO
    max_total = ZERO
    for spec in indicators:
        actual = values.get(spec.metric)
        raw, text = indicator_score(spec, actual, values)
        weighted = q2(raw * spec.weight / HUNDRED)
        total += weighted
        max_total += q2(max_score(spec) * spec.weight / HUNDRED)
        lines.append(LineResult(spec, actual, raw, weighted, text))
    return ScoreResult(total=total, max_total=max_total, lines=tuple(lines))


# ---------------------------------------------------------------------------------------------
# Template versions and seasonal variants
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VersionRef:
    id: int
    season: str
    months: tuple[int, ...]
    version: int
    effective_from: date


def choose_version(versions: list[VersionRef], on: date) -> VersionRef | None:
    """The version in force on `on`: newest effective version per season; a seasonal variant
    whose months contain `on` wins over the all-year ("months" empty) one."""
    newest: dict[str, VersionRef] = {}
    for v in versions:
        if v.effective_from <= on and (v.season not in newest or v.version > newest[v.season].version):
            newest[v.season] = v
    seasonal = [v for v in newest.values() if v.months and on.month in v.months]
    if seasonal:
        return max(seasonal, key=lambda v: (v.effective_from, v.version))
    all_year = [v for v in newest.values() if not v.months]
    return max(all_year, key=lambda v: (v.effective_from, v.version)) if all_year else None


# ---------------------------------------------------------------------------------------------
# Surveys (满意度调查)
# ---------------------------------------------------------------------------------------------
def survey_average(points: list[Decimal]) -> Decimal | None:
    """Average of the answers' points (满意 = 10, 一般 = 5, 不满意 = 0 by default), 0.01 half-up."""
    if not points:
        return None
    return q2(sum(points, ZERO) / Decimal(len(points)))


# ---------------------------------------------------------------------------------------------
# Linked bonuses (联动奖金)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BonusResult:
    factor: Decimal  # percent of the base bonus
    amount: Decimal
    inputs: dict
    explanation_zh: str
    explanation_en: str


def _money(value: Decimal) -> Decimal:
    from hrsaas.money import quantize_money

    return quantize_money(value)


def linked_factor_bonus(*, base: Decimal, params: dict, linked_actual: Decimal, own_actual: Decimal,
                        rule_label: str) -> BonusResult:
    """A support department's bonus linked to a business department's result.

    Example (理赔 → 财务): params = {"linked_target": 2, "bands": [{"max": 1, "percent": 120},
    {"max": 2, "percent": 100}, {"max": null, "percent": 80}], "miss_penalty_points": 10}.
    - The band is chosen by the support department's own measure (finance payment days):
      the first band whose `max` is ≥ the value (bounds inclusive: 1.00 day → 120%,
      2.00 days → 100%, 2.01 → 80%); `max: null` is the open-ended last band.
    - If the linked department meets its target (claims average days ≤ 2), the factor is the
      band's percent.
    - If it misses (claims > 2 days), finance's bonus is "cut by 10%": we read this as the band's
      factor minus 10 percentage points (120 → 110, 100 → 90, 80 → 70), not as 90% of it
      (which would give 108/90/72), and never below 0.
    amount = base × factor / 100, rounded half-up to the fen.
    """
    target = Decimal(str(params["linked_target"]))
    met = linked_actual <= target
    band_percent = None
    for band in params["bands"]:
        if band["max"] is None or own_actual <= Decimal(str(band["max"])):
            band_percent = Decimal(str(band["percent"]))
            break
    if band_percent is None:  # validated rules always end with an open band
        band_percent = ZERO
    penalty = ZERO if met else Decimal(str(params.get("miss_penalty_points", 0)))
    factor = max(ZERO, band_percent - penalty).quantize(CENT)
    amount = _money(base * factor / HUNDRED)
    inputs = {"linked_actual": fmt(linked_actual), "linked_target": fmt(target),
              "own_actual": fmt(own_actual), "band_percent": fmt(band_percent), "penalty_points": fmt(penalty)}
    if met:
        zh = (f"{rule_label}: 关联部门实际{fmt(linked_actual)}≤目标{fmt(target)}(达标);本部门实际{fmt(own_actual)}"
              f"对应{fmt(band_percent)}%;奖金 {fmt(base)}×{fmt(factor)}% = {amount}")
        en = (f"{rule_label}: linked department {fmt(linked_actual)} ≤ target {fmt(target)} (met); own measure "
              f"{fmt(own_actual)} gives {fmt(band_percent)}%; bonus {fmt(base)} × {fmt(factor)}% = {amount}")
    else:
        zh = (f"{rule_label}: 关联部门实际{fmt(linked_actual)}>目标{fmt(target)}(未达标),在本部门档位{fmt(band_percent)}%"
              f"基础上扣减{fmt(penalty)}个百分点;奖金 {fmt(base)}×{fmt(factor)}% = {amount}")
        en = (f"{rule_label}: linked department {fmt(linked_actual)} > target {fmt(target)} (missed): band "
              f"{fmt(band_percent)}% minus {fmt(penalty)} points; bonus {fmt(base)} × {fmt(factor)}% = {amount}")
    return BonusResult(factor, amount, inputs, zh, en)


def tied_share_bonus(*, base: Decimal, params: dict, gate_actual: Decimal, rate_actual: Decimal,
                     rule_label: str) -> BonusResult:
    """A share of a department's bonus tied to another's result.

    HR example: params = {"share_percent": 30, "gate_target": 95, "gate_points": 20,
    "rate_target": 80, "points_per_percent": 1, "full_points": 20, "cap_percent": 150}.
    - The untied part, base × (100 − 30)%, is paid as is.
    - The tied 30% is paid by points: 到岗率 (new hires' arrival rate, the gate) meeting its target
      gives `gate_points` (20); each full percentage point by which the new hires' 3-month
      achievement rate (业绩达标率) is above its target adds `points_per_percent` (1); below
      target adds nothing. `full_points` (20) pays 100% of the tied share, so points / 20 is the
      tied share's factor, capped at `cap_percent`.
    - factor (of the whole base) = (100 − share) + share × tied factor; amount = base × factor.
    E.g. base 10,000, arrival 96 ≥ 95 → 20 pts, achievement 85 vs 80 → +5 → 25 pts → tied factor
    125% → 7,000 + 3,000 × 125% = 10,750 (factor 107.50%).
    """
    share = Decimal(str(params["share_percent"]))
    gate_target = Decimal(str(params["gate_target"]))
    gate_ok = gate_actual >= gate_target
    points = Decimal(str(params["gate_points"])) if gate_ok else ZERO
    above = max(ZERO, (rate_actual - Decimal(str(params["rate_target"]))).to_integral_value(rounding=ROUND_DOWN))
    points += above * Decimal(str(params["points_per_percent"]))
    tied_factor = min(points / Decimal(str(params["full_points"])) * HUNDRED, Decimal(str(params["cap_percent"])))
    untied = _money(base * (HUNDRED - share) / HUNDRED)
    tied_base = base - untied  # the last share takes the remainder
    tied = _money(tied_base * tied_factor / HUNDRED)
    amount = untied + tied
    factor = q2((HUNDRED - share) + share * tied_factor / HUNDRED)
    inputs = {"gate_actual": fmt(gate_actual), "gate_target": fmt(gate_target), "rate_actual": fmt(rate_actual),
              "rate_target": fmt(Decimal(str(params["rate_target"]))), "points": fmt(points),
              "tied_factor": fmt(q2(tied_factor)), "share_percent": fmt(share)}
    zh = (f"{rule_label}: 到岗率{fmt(gate_actual)}%{'达标' if gate_ok else '未达标'}(目标{fmt(gate_target)}%),"
          f"业绩达标率{fmt(rate_actual)}%高出目标{fmt(above)}个百分点,共{fmt(points)}分,挂钩部分按{fmt(q2(tied_factor))}%发放;"
          f"奖金 {untied} + {tied_base}×{fmt(q2(tied_factor))}% = {amount}")
    en = (f"{rule_label}: arrival rate {fmt(gate_actual)}% {'met' if gate_ok else 'missed'} (target {fmt(gate_target)}%), "
          f"achievement rate {fmt(rate_actual)}% is {fmt(above)} points above target, {fmt(points)} points, tied "
          f"{fmt(share)}% paid at {fmt(q2(tied_factor))}%; bonus {untied} + {tied_base} × {fmt(q2(tied_factor))}% = {amount}")
    return BonusResult(factor, amount, inputs, zh, en)


# Bounds of a bonus rule's percentages: a band pays 0–300% of the base bonus (SPEC §7 gives
# 120/100/80), a missed target takes 0–100 points off, the tied share's cap is 0–300%.
MAX_BONUS_PERCENT = Decimal(300)


def validate_rule_params(kind: str, params: dict) -> list[str]:
    """Every reason the rule's terms cannot be used (empty = valid). Targets, band thresholds,
    points and percentages are never negative: a target of −5 days can never be met, a band
    "≤ −1 day" never reached."""
    errors: list[str] = []
    if not isinstance(params, dict):
        return ["参数须为对象。"]

    def not_negative(key: str, value: Decimal | None, what: str) -> None:
        if value is not None and value < 0:
            errors.append(f"{what}({key})不能为负数:{fmt(value)}。")

    if kind == "linked_factor":
        if "linked_target" not in params:
            errors.append("缺少 linked_target。")
        else:
            not_negative("linked_target", _dec(params["linked_target"], "linked_target", errors), "挂钩部门目标")
        bands = params.get("bands")
        if not isinstance(bands, list) or not bands:
            errors.append("缺少档位 bands。")
        else:
            last = None
            for b in bands:
                if not isinstance(b, dict) or "max" not in b or "percent" not in b:
                    errors.append("每个档位须有 max 和 percent。")
                    continue
                pct = _dec(b["percent"], "percent", errors)
                if pct is not None and not (ZERO <= pct <= MAX_BONUS_PERCENT):
                    errors.append("档位比例须在0到300之间。")
                if b["max"] is not None:
                    mx = _dec(b["max"], "max", errors)
                    not_negative("max", mx, "档位上限")
                    if mx is not None and last is not None and mx <= last:
                        errors.append("档位 max 须递增。")
                    last = mx
            if isinstance(bands[-1], dict) and bands[-1].get("max", 0) is not None:
                errors.append("最后一个档位的 max 须为 null(不封顶)。")
        pen = _dec(params.get("miss_penalty_points", 0), "miss_penalty_points", errors)
        if pen is not None and not (ZERO <= pen <= HUNDRED):
            errors.append("miss_penalty_points 须在0到100之间。")
        for key in ("linked_metric", "own_metric"):
            if not params.get(key):
                errors.append(f"缺少 {key}。")
    elif kind == "tied_share":
        for key in ("share_percent", "gate_target", "gate_points", "rate_target", "points_per_percent",
                    "full_points", "cap_percent"):
            if key not in params:
                errors.append(f"缺少 {key}。")
            else:
                _dec(params[key], key, errors)
        if not errors:
            if not (ZERO < Decimal(str(params["share_percent"])) <= HUNDRED):
                errors.append("share_percent 须在0到100之间。")
            if Decimal(str(params["full_points"])) <= 0:
                errors.append("full_points 须大于0。")
            for key, what in (("gate_target", "达标目标"), ("gate_points", "达标得分"), ("rate_target", "加分起点"),
                              ("points_per_percent", "每高1个百分点加分")):
                not_negative(key, Decimal(str(params[key])), what)
            if not (ZERO <= Decimal(str(params["cap_percent"])) <= MAX_BONUS_PERCENT):
                errors.append("挂钩部分最高发放比例(cap_percent)须在0到300之间。")
        for key in ("gate_metric", "rate_metric"):
            if not params.get(key):
                errors.append(f"缺少 {key}。")
    else:
        errors.append(f"未知规则类型“{kind}”。")
    return errors


# ---------------------------------------------------------------------------------------------
# Which bonus rules are in force: one per department
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleRef:
    """A bonus rule version as far as "which one is in force" goes. `id` orders creation."""

    id: int
    code: str
    version: int
    department_id: int
    effective_from: date


def _newest_per_code(rules, on: date) -> list[RuleRef]:
    newest: dict[str, RuleRef] = {}
    for r in rules:
        if r.effective_from <= on and (r.code not in newest or r.version > newest[r.code].version):
            newest[r.code] = r
    return list(newest.values())


def rules_in_force(rules, on: date) -> list[RuleRef]:
    """The bonus rules in force on `on`, at most one per department.

    1. Per rule (code), its newest version effective by `on` (a change is a new version).
    2. Per department, one rule: every rule pays the department's whole base bonus, so two rules
       would pay it twice (three identical 财务部 rules paid 36,000 from a base of 10,000). The
       service refuses a second rule for a department; should two be there all the same (rules
       stored before that check), the one that took effect last wins — as a new version would —
       and, taking effect the same day, the one created last.
    Ordered by department, then code."""
    best: dict[int, RuleRef] = {}
    for r in _newest_per_code(rules, on):
        held = best.get(r.department_id)
        if held is None or (r.effective_from, r.id) > (held.effective_from, held.id):
            best[r.department_id] = r
    return sorted(best.values(), key=lambda r: (r.department_id, r.code))


def department_rule_conflict(rules, candidate: RuleRef) -> RuleRef | None:
    """Another rule (another code) that would pay the candidate's department on some day from the
    candidate's effective date on, or None. The candidate is its code's newest version, so from
    its effective date on it is that code's version in force; the other codes' versions in force
    change only on their own effective dates, so those days (and the candidate's) are all to check."""
    others = [r for r in rules if r.code != candidate.code]
    days = sorted({candidate.effective_from} | {r.effective_from for r in others
                                                 if r.effective_from > candidate.effective_from})
    for day in days:
        for r in sorted(_newest_per_code(others, day), key=lambda r: r.id):
            if r.department_id == candidate.department_id:
                return r
    return None


# ---------------------------------------------------------------------------------------------
# Awards and attrition risk
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PersonResult:
    user_id: int
    username: str
    department_id: int
    total: Decimal


def choose_star(results: list[PersonResult]) -> PersonResult | None:
    """The highest total; ties go to the username first in order (stable, explainable)."""
    if not results:
        return None
    return sorted(results, key=lambda r: (-r.total, r.username))[0]


def choose_best_team(results: list[PersonResult], names: dict[int, str]) -> tuple[int, Decimal] | None:
    """(department id, average total) of the department with the highest average."""
    by_dept: dict[int, list[Decimal]] = {}
    for r in results:
        by_dept.setdefault(r.department_id, []).append(r.total)
    if not by_dept:
        return None
    averages = {d: q2(sum(v, ZERO) / len(v)) for d, v in by_dept.items()}
    best = sorted(averages.items(), key=lambda kv: (-kv[1], names.get(kv[0], "")))[0]
    return best


@dataclass(frozen=True)
class RiskInputs:
    attendance_anomalies: Decimal | None
    total: Decimal | None
    previous_total: Decimal | None
    own_survey_average: Decimal | None
    own_survey_count: int = 3  # how many answers the average is of


# A survey signal needs at least this many of the person's answers: the surveys tell no one who
# answered what, and a flag from one answer would (it named the average: "本人满意度调查平均0分").
RISK_MIN_SURVEY_ANSWERS = 3
RISK_DEFAULTS = {"anomalies": Decimal(3), "score_drop": Decimal(10), "survey_max": Decimal(5)}


def attrition_reasons(inputs: RiskInputs, limits: dict | None = None) -> list[dict]:
    """Why a person may be about to leave (离职风险): each reason with code, zh, en and inputs.
    - attendance: ≥ 3 attendance anomalies (迟到/缺勤 entered as `attendance_anomalies`);
    - falling score: total fell by ≥ 10 points from the previous cycle of the same kind;
    - survey: the person's own survey answers average ≤ 5 (一般 or worse), over at least three
      answers, and without the figure (the surveys are anonymous to the managers reading flags)."""
    lim = {**RISK_DEFAULTS, **(limits or {})}
    reasons = []
    if inputs.attendance_anomalies is not None and inputs.attendance_anomalies >= lim["anomalies"]:
        n = fmt(inputs.attendance_anomalies)
        reasons.append({"code": "attendance", "zh": f"本期考勤异常{n}次(≥{fmt(lim['anomalies'])})",
                        "en": f"{n} attendance anomalies this period (≥ {fmt(lim['anomalies'])})"})
    if inputs.total is not None and inputs.previous_total is not None:
        drop = inputs.previous_total - inputs.total
        if drop >= lim["score_drop"]:
            reasons.append({"code": "falling_score",
                            "zh": f"绩效得分由{fmt(inputs.previous_total)}降至{fmt(inputs.total)},下降{fmt(drop)}分",
                            "en": f"score fell from {fmt(inputs.previous_total)} to {fmt(inputs.total)} (−{fmt(drop)})"})
    if (inputs.own_survey_average is not None and inputs.own_survey_average <= lim["survey_max"]
            and inputs.own_survey_count >= RISK_MIN_SURVEY_ANSWERS):
        reasons.append({"code": "survey", "zh": f"本人近期满意度调查作答多为一般或不满意(至少{RISK_MIN_SURVEY_ANSWERS}份)",
                        "en": f"own recent survey answers mostly neutral or dissatisfied (at least {RISK_MIN_SURVEY_ANSWERS})"})
    return reasons


def risk_level(reasons: list[dict]) -> str | None:
    if not reasons:
        return None
    return "high" if len(reasons) >= 2 else "medium"
