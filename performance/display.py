"""How appraisal results read on pages, in the reader's language.

What drove a score, a linked bonus, a risk flag or an award is rendered here at display time
from the structured data stored with it (the score line's actual/target/score and its
indicator, the bonus line's inputs and rule, the risk reason's zh/en pair), not from the
sentence written at compute time: an English reader reads English, amounts read 1,200.00, a
count reads 1 (never 1.00), and no rule code or metric code reaches the page. The stored
sentences stay for the API and the audit trail.

Numbers go through hrsaas.core.formatting (money, percent, periods, dates); nothing here
invents another format.
"""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext as _

from hrsaas.core import formatting
from hrsaas.money import quantize_money

from . import metrics

HUNDRED = Decimal(100)


# ---------------------------------------------------------------------------------------------
# Numbers, periods, versions
# ---------------------------------------------------------------------------------------------
def number(value) -> str:
    """A plain figure as people write it: Decimal("1.80") → "1.8", Decimal("96.00") → "96",
    thousands separated (12,345.5); None → "—"."""
    amount = formatting.to_decimal(value)
    if amount is None:
        return "—"
    text = format(amount.normalize(), "f")
    whole, dot, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-') or 0):,}{dot}{frac}"


def metric_value(metric: str, value) -> str:
    """A metric's value by its unit: a count (开户数) 1 and 3, money 1,200.00, else as entered."""
    if value is None:
        return "—"
    unit = getattr(metrics.REGISTRY.get(metric), "unit", "number")
    if unit == "money":
        return formatting.format_money(value)
    return number(value)


def metric_label(metric: str) -> str:
    m = metrics.REGISTRY.get(metric)
    if m is None:
        return ""
    return m.label_en if formatting.is_english() else m.label_zh


def version_words(version) -> str:
    """3 → 第3版 / version 3."""
    return _("第%(n)s版") % {"n": version}


# ---------------------------------------------------------------------------------------------
# Score lines (what drove a score)
# ---------------------------------------------------------------------------------------------
def indicator_note(line) -> str:
    """One score line in words, from the line (actual, target, raw score) and its indicator
    (name, formula, direction, params) — the same rules as engine.indicator_score."""
    if getattr(line, "pay_hidden", False):  # selectors.score_lines: someone's pay, not the reader's to see
        return line.explanation
    ind = line.indicator
    name, actual, target, raw = ind.display_name, line.actual, line.target, line.raw_score
    shown = lambda v: metric_value(line.metric, v)  # noqa: E731
    if actual is None:
        return _("%(name)s: 本期无数据,得0分") % {"name": name}
    how = "≤" if ind.direction == "lower" else "≥"
    if ind.formula in ("linear", "capped"):
        cap = HUNDRED if ind.formula == "linear" else Decimal(str(ind.params.get("cap", 100)))
        return _("%(name)s: 实际%(actual)s,目标%(how)s%(target)s,得%(score)s分(上限%(cap)s)") % {
            "name": name, "actual": shown(actual), "how": how, "target": shown(target), "score": number(raw),
            "cap": number(cap)}
    if ind.formula == "thresholds":
        best = None
        for step in ind.params.get("steps") or []:
            at, score = Decimal(str(step["at"])), Decimal(str(step["score"]))
            reached = actual <= at if ind.direction == "lower" else actual >= at
            if reached and (best is None or score > best[1]):
                best = (at, score)
        if best is None:
            return _("%(name)s: 实际%(actual)s,未达任何阶梯,得0分") % {"name": name, "actual": shown(actual)}
        return _("%(name)s: 实际%(actual)s,达到阶梯%(how)s%(at)s,得%(score)s分") % {
            "name": name, "actual": shown(actual), "how": how, "at": shown(best[0]), "score": number(raw)}
    # points: "到岗率达标得20分,业绩达标率每高1%加1分". The gate's own value is not kept on the
    # line; whether the gate was met follows from the score (it is the only other source).
    p = ind.params
    above = max(Decimal(0), (actual - target).to_integral_value(rounding=ROUND_DOWN))
    from_above = min(above * Decimal(str(p.get("points_per_percent", 0))), Decimal(str(p.get("max", 100))))
    gate_points = Decimal(str(p.get("gate_points", 0)))
    gate = ""
    if gate_points > 0 and raw > from_above:
        gate = _("%(gate)s达标(目标%(target)s),得%(points)s分;") % {
            "gate": metric_label(str(p.get("gate_metric", ""))), "target": number(p.get("gate_target")),
            "points": number(gate_points)}
    elif gate_points > 0 and raw < Decimal(str(p.get("max", 100))):
        gate = _("%(gate)s未达标(目标%(target)s),得0分;") % {
            "gate": metric_label(str(p.get("gate_metric", ""))), "target": number(p.get("gate_target"))}
    return _("%(name)s: %(gate)s实际%(actual)s,高出目标%(above)s个百分点,共%(score)s分") % {
        "name": name, "gate": gate, "actual": shown(actual), "above": number(above), "score": number(raw)}


# ---------------------------------------------------------------------------------------------
# Linked bonuses (联动奖金)
# ---------------------------------------------------------------------------------------------
def _bonus_rule_words(rule) -> str:
    if rule.kind == "linked_factor":
        return _("%(dept)s随%(linked)s联动奖金") % {"dept": rule.department.name, "linked": rule.linked_department.name}
    return _("%(dept)s奖金挂钩%(linked)s结果") % {"dept": rule.department.name, "linked": rule.linked_department.name}


def bonus_rule_name(rule) -> str:
    """A bonus rule version by what it does, its version and the day it takes effect — what tells
    two versions (or two rules of the same departments) apart:
    财务部随理赔部联动奖金(第1版,2026年1月1日起) — never its code."""
    return _("%(name)s(%(version)s,%(day)s起)") % {
        "name": _bonus_rule_words(rule), "version": version_words(rule.version),
        "day": formatting.format_date(rule.effective_from)}


def bonus_rule_title(rule) -> str:
    """The shorter name the stored explanations of bonus lines begin with (the API's
    explanation_zh/en keep their wording): 财务部随理赔部联动奖金(第1版)."""
    return _("%(name)s(%(version)s)") % {"name": _bonus_rule_words(rule), "version": version_words(rule.version)}


def _dec(inputs: dict, key: str) -> Decimal:
    return Decimal(str(inputs.get(key, "0")))


def bonus_note(line) -> str:
    """How a bonus line's amount came about (engine.linked_factor_bonus / tied_share_bonus),
    from the inputs stored on the line."""
    rule, i = line.rule, line.inputs or {}
    base, amount = line.base_amount, line.amount
    if rule.kind == "linked_factor":
        params = rule.params or {}
        values = {
            "linked": rule.linked_department.name, "linked_metric": metric_label(str(params.get("linked_metric", ""))),
            "linked_actual": number(i.get("linked_actual")), "target": number(i.get("linked_target")),
            "dept": rule.department.name, "own_metric": metric_label(str(params.get("own_metric", ""))),
            "own_actual": number(i.get("own_actual")), "band": formatting.format_percent(i.get("band_percent")),
            "penalty": number(i.get("penalty_points")), "base": formatting.format_money(base),
            "factor": formatting.format_percent(line.factor), "amount": formatting.format_money(amount)}
        if _dec(i, "linked_actual") <= _dec(i, "linked_target"):
            return _("%(linked)s%(linked_metric)s %(linked_actual)s ≤ 目标 %(target)s(达标);%(dept)s%(own_metric)s "
                     "%(own_actual)s,对应 %(band)s;奖金 %(base)s × %(factor)s = %(amount)s") % values
        return _("%(linked)s%(linked_metric)s %(linked_actual)s > 目标 %(target)s(未达标):%(dept)s档位 %(band)s "
                 "扣减 %(penalty)s 个百分点;奖金 %(base)s × %(factor)s = %(amount)s") % values
    share = _dec(i, "share_percent")
    untied = quantize_money(base * (HUNDRED - share) / HUNDRED)
    gate_ok = _dec(i, "gate_actual") >= _dec(i, "gate_target")
    above = max(Decimal(0), (_dec(i, "rate_actual") - _dec(i, "rate_target")).to_integral_value(rounding=ROUND_DOWN))
    return _("%(linked)s新员工到岗率 %(gate)s%(result)s(目标 %(gate_target)s),3个月业绩达标率 %(rate)s,"
             "高出目标 %(above)s 个百分点,共 %(points)s 分,挂钩的 %(share)s 按 %(tied)s 发放;"
             "奖金 %(untied)s + %(tied_base)s × %(tied)s = %(amount)s") % {
        "linked": rule.linked_department.name, "gate": formatting.format_percent(i.get("gate_actual")),
        "result": _("达标") if gate_ok else _("未达标"), "gate_target": formatting.format_percent(i.get("gate_target")),
        "rate": formatting.format_percent(i.get("rate_actual")), "above": number(above),
        "points": number(i.get("points")), "share": formatting.format_percent(share),
        "tied": formatting.format_percent(i.get("tied_factor")), "untied": formatting.format_money(untied),
        "tied_base": formatting.format_money(base - untied), "amount": formatting.format_money(amount)}


# ---------------------------------------------------------------------------------------------
# Risk flags, awards, score history
# ---------------------------------------------------------------------------------------------
def risk_reason(reason: dict) -> str:
    """An attrition-risk reason (engine.attrition_reasons keeps it in both languages)."""
    if not isinstance(reason, dict):
        return ""
    return str(reason.get("en") if formatting.is_english() else reason.get("zh") or "")


def award_note(award, person: str = "", *, figures: bool = True) -> str:
    """An award in words. Without `figures` (a reader who may not read the score it is made of:
    selectors.award_figures_visible) it names who and which department, never the score or the
    department's average."""
    if award.kind == "star":
        if not figures and not person:
            return _("%(dept)s本季度得分最高") % {"dept": award.department.name}
        if not figures:
            return _("%(person)s,%(dept)s本季度得分最高") % {"person": person, "dept": award.department.name}
        return _("%(person)s,%(dept)s本季度最高得分 %(score)s") % {
            "person": person, "dept": award.department.name, "score": number(award.score)}
    if not figures:
        return _("%(dept)s本季度平均得分为各部门最高") % {"dept": award.department.name}
    return _("%(dept)s本季度平均得分 %(score)s,为各部门最高") % {
        "dept": award.department.name, "score": number(award.score)}


def score_history(records, names: dict[int, str]) -> list[dict]:
    """A score's change history in words: when (Asia/Shanghai, locale format), the total, and
    what happened — the computed result, or a manager's adjustment with its note and who."""
    rows = []
    for h in records:
        adjusted = bool(h.adjusted) and not (h.history_change_reason or "").startswith("computed")
        rows.append({
            "when": formatting.format_datetime(h.history_date),
            "total": number(h.total),
            "what": _("经理调整") if adjusted else _("计算得分"),
            "note": h.adjust_note if adjusted else "",
            "who": names.get(h.history_user_id, "") if adjusted else "",
        })
    return rows



def _band_range(low, high) -> str:
    """A band of the department's own measure: ≤ 1, 1–2, > 2."""
    if low is None:
        return _("≤ %(max)s") % {"max": number(high)}
    if high is None:
        return _("> %(min)s") % {"min": number(low)}
    return _("%(min)s–%(max)s") % {"min": number(low), "max": number(high)}


def bonus_rule_terms(rule) -> list[str]:
    """A bonus rule version's terms in words, from its params (the API's shape), for HR to read:
    whose result it follows, the target, the bands, the penalty, the tied share — no codes."""
    p = rule.params or {}
    dept, linked = rule.department.name, rule.linked_department.name
    if rule.kind == "linked_factor":
        linked_metric, own_metric = str(p.get("linked_metric", "")), str(p.get("own_metric", ""))
        terms = [_("%(dept)s奖金随%(linked)s的结果:%(linked)s%(metric)s目标 ≤ %(target)s") % {
            "dept": dept, "linked": linked, "metric": metric_label(linked_metric),
            "target": metric_value(linked_metric, p.get("linked_target"))}]
        low = None
        for band in p.get("bands") or []:
            high = band.get("max")
            terms.append(_("%(linked)s达标时,%(dept)s%(metric)s %(range)s:奖金 %(percent)s") % {
                "linked": linked, "dept": dept, "metric": metric_label(own_metric), "range": _band_range(low, high),
                "percent": formatting.format_percent(band.get("percent"))})
            low = high
        terms.append(_("%(linked)s未达标:%(dept)s奖金在上述比例上扣减 %(points)s 个百分点(−%(percent)s)") % {
            "linked": linked, "dept": dept, "points": number(p.get("miss_penalty_points", 0)),
            "percent": formatting.format_percent(p.get("miss_penalty_points", 0))})
        return terms
    gate_metric, rate_metric = str(p.get("gate_metric", "")), str(p.get("rate_metric", ""))
    return [
        _("%(dept)s奖金的 %(share)s 挂钩%(linked)s的结果,其余照发") % {
            "dept": dept, "share": formatting.format_percent(p.get("share_percent")), "linked": linked},
        _("%(metric)s达到 %(target)s:得 %(points)s 分") % {
            "metric": metric_label(gate_metric), "target": metric_value(gate_metric, p.get("gate_target")),
            "points": number(p.get("gate_points"))},
        _("%(metric)s高于 %(target)s:每高1个百分点加 %(points)s 分") % {
            "metric": metric_label(rate_metric), "target": metric_value(rate_metric, p.get("rate_target")),
            "points": number(p.get("points_per_percent"))},
        _("得 %(full)s 分时挂钩部分发放 %(hundred)s,最高 %(cap)s") % {
            "full": number(p.get("full_points")), "hundred": formatting.format_percent(100),
            "cap": formatting.format_percent(p.get("cap_percent"))},
    ]
