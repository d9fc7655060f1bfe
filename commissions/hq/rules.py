"""HQ commission rule parameters (提成方案): typed, validated, pure.

A rule version is `(component, effective_from, params)`; `params` is the JSON of the API
contract. `parse_rule(component, params)` turns it into one of the frozen dataclasses below or
raises `RuleError` with a message per field. No ORM here: the engine and the services share it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Union

from django.utils.translation import gettext as _, pgettext
from hrsaas.core.inputs import PERCENT_EXAMPLE, number_as_text, unknown_choice
from hrsaas.core.json_numbers import is_json_number
from hrsaas.core.money import decimal_from_text

COMPONENTS = ("opening_reward", "retention_bonus", "sales_commission", "lead_attribution")
SERVICES = ("social_insurance", "housing_fund", "payroll_outsourcing")
MAX_ADJUSTMENT_PERCENT = Decimal("20.00")


class RuleError(ValueError):
    """Invalid rule parameters; `errors` maps a field path to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class Tier:
    max_headcount: int | None  # inclusive upper bound; None = no upper bound
    amount: Decimal


@dataclass(frozen=True)
class OpeningRewardRule:
    tiers: tuple[Tier, ...]
    # A client that leaves (终止) within this many months of its opening takes the reward back
    # (扣回, a negative line in the month it leaves); 0 = never.
    clawback_months: int = 0


@dataclass(frozen=True)
class RetentionBonusRule:
    months: int
    percent: Decimal


@dataclass(frozen=True)
class ServiceRate:
    service: str
    new: Decimal
    existing: Decimal


EARN_ON = ("confirmed", "payment")


@dataclass(frozen=True)
class SalesCommissionRule:
    new_client_months: int
    rates: tuple[ServiceRate, ...]
    # A sale taken from a fee statement's service fee is earned once the client has confirmed
    # the statement ("confirmed"), or only once it has paid it in full (回款, "payment").
    # Manual sales are earned as recorded.
    earn_on: str = "confirmed"

    def rate_for(self, service: str, is_new: bool) -> Decimal | None:
        for r in self.rates:
            if r.service == service:
                return r.new if is_new else r.existing
        return None


@dataclass(frozen=True)
class LeadPoints:
    points_per_qualified_lead: Decimal
    conversion_bonus_percent: Decimal  # extra share of the contract amount when a lead converts
    min_conversion_percent: Decimal  # below it marketing's process bonus is not paid
    yuan_per_point: Decimal


@dataclass(frozen=True)
class LeadAttributionRule:
    marketing_percent: Decimal
    sales_on_marketing_lead_percent: Decimal
    sales_self_sourced_percent: Decimal
    points: LeadPoints | None = None


Rule = Union[OpeningRewardRule, RetentionBonusRule, SalesCommissionRule, LeadAttributionRule]


@dataclass(frozen=True)
class RuleVersionData:
    id: int
    component: str
    effective_from: dt.date
    rule: Rule


def version_in_force(versions: list[RuleVersionData], component: str, on: dt.date) -> RuleVersionData | None:
    """The version of `component` in force on `on`: the latest effective_from ≤ on."""
    best = None
    for v in versions:
        if v.component == component and v.effective_from <= on:
            if best is None or v.effective_from > best.effective_from:
                best = v
    return best


# ---------------------------------------------------------------------------------------------
# Parsing and validation
# ---------------------------------------------------------------------------------------------
def _decimal(value: Any, path: str, errors: dict, *, places: int = 2, low: Decimal | None = Decimal(0),
             high: Decimal | None = None, example: str = "800.00") -> Decimal:
    if is_json_number(value) or isinstance(value, float):  # 800, 20.5, 1e3 or true in a JSON body
        errors.setdefault(path, []).append(number_as_text(example))
        return Decimal(0)
    if isinstance(value, (list, dict)) or value is None:  # a list or object: no Python spelling quoted
        errors.setdefault(path, []).append(_("请填写以字符串表示的数值,例如 \"800.00\"。"))
        return Decimal(0)
    d = decimal_from_text(value)
    if d is None:
        errors.setdefault(path, []).append(_("不是有效的数值:%(v)s") % {"v": str(value)[:30]})
        return Decimal(0)
    if -d.as_tuple().exponent > places:
        errors.setdefault(path, []).append(_("最多保留 %(n)d 位小数。") % {"n": places})
    if low is not None and d < low:
        errors.setdefault(path, []).append(_("不能小于 %(v)s。") % {"v": low})
    if high is not None and d > high:
        errors.setdefault(path, []).append(_("不能大于 %(v)s。") % {"v": high})
    return d


def _percent(value: Any, path: str, errors: dict) -> Decimal:
    """A percentage of a rule: 0–100, a decimal string such as "20.00"."""
    return _decimal(value, path, errors, high=Decimal(100), example=PERCENT_EXAMPLE)


def _int(value: Any, path: str, errors: dict, *, low: int = 1, high: int = 120) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
                value = int(value)
            else:
                raise ValueError
        except ValueError:
            errors.setdefault(path, []).append(_("请填写整数。"))
            return 0
    if not (low <= value <= high):
        errors.setdefault(path, []).append(_("须在 %(a)d 到 %(b)d 之间。") % {"a": low, "b": high})
    return value


def _parse_opening(p: dict, errors: dict) -> OpeningRewardRule:
    tiers_in = p.get("tiers")
    if not isinstance(tiers_in, list) or not tiers_in:
        errors.setdefault("tiers", []).append(_("至少需要一个档位。"))
        return OpeningRewardRule(tiers=())
    tiers = []
    for i, t in enumerate(tiers_in):
        if not isinstance(t, dict):
            errors.setdefault(f"tiers[{i}]", []).append(_("档位格式不正确。"))
            continue
        mh = t.get("max_headcount")
        if mh is not None:
            mh = _int(mh, f"tiers[{i}].max_headcount", errors, low=1, high=10_000_000)
        amount = _decimal(t.get("amount"), f"tiers[{i}].amount", errors, high=Decimal("1000000"))
        tiers.append(Tier(max_headcount=mh, amount=amount))
    if tiers and not errors:
        bounds = [t.max_headcount for t in tiers]
        if bounds[-1] is not None:
            errors.setdefault("tiers", []).append(_("最后一档须不设上限(max_headcount 为 null),以覆盖所有人数。"))
        if any(b is None for b in bounds[:-1]):
            errors.setdefault("tiers", []).append(_("只有最后一档可以不设上限。"))
        finite = [b for b in bounds if b is not None]
        if finite != sorted(finite) or len(set(finite)) != len(finite):
            errors.setdefault("tiers", []).append(_("档位上限须严格递增。"))
    clawback = p.get("clawback_months")
    clawback = 0 if clawback in (None, "") else _int(clawback, "clawback_months", errors, low=0, high=60)
    return OpeningRewardRule(tiers=tuple(tiers), clawback_months=clawback)


def _parse_retention(p: dict, errors: dict) -> RetentionBonusRule:
    return RetentionBonusRule(
        months=_int(p.get("months"), "months", errors, low=1, high=120),
        percent=_percent(p.get("percent"), "percent", errors),
    )


def _parse_sales(p: dict, errors: dict) -> SalesCommissionRule:
    months = _int(p.get("new_client_months"), "new_client_months", errors, low=0, high=120)
    rates_in = p.get("rates")
    rates = []
    if not isinstance(rates_in, list) or not rates_in:
        errors.setdefault("rates", []).append(_("至少需要一个服务费率。"))
    else:
        seen = set()
        for i, r in enumerate(rates_in):
            if not isinstance(r, dict):
                errors.setdefault(f"rates[{i}]", []).append(_("费率格式不正确。"))
                continue
            service = r.get("service")
            if not isinstance(service, str) or service not in SERVICES:
                errors.setdefault(f"rates[{i}].service", []).append(_("未知服务:%(s)s") % {"s": str(service)[:40]})
                continue
            if service in seen:
                errors.setdefault(f"rates[{i}].service", []).append(_("服务重复:%(s)s") % {"s": service})
            seen.add(service)
            rates.append(ServiceRate(
                service=str(service),
                new=_percent(r.get("new"), f"rates[{i}].new", errors),
                existing=_percent(r.get("existing"), f"rates[{i}].existing", errors),
            ))
    earn_on = p.get("earn_on") or "confirmed"
    if not isinstance(earn_on, str) or earn_on not in EARN_ON:
        errors.setdefault("earn_on", []).append(
            _("提成确认口径只能是客户确认费用明细表(confirmed)或客户回款(payment)。"))
    return SalesCommissionRule(new_client_months=months, rates=tuple(rates), earn_on=str(earn_on))


def _parse_leads(p: dict, errors: dict) -> LeadAttributionRule:
    points = None
    if p.get("points") is not None:
        q = p["points"]
        if not isinstance(q, dict):
            errors.setdefault("points", []).append(_("积分方案格式不正确。"))
        else:
            points = LeadPoints(
                points_per_qualified_lead=_decimal(q.get("points_per_qualified_lead"), "points.points_per_qualified_lead", errors, high=Decimal(10000)),
                conversion_bonus_percent=_percent(q.get("conversion_bonus_percent"), "points.conversion_bonus_percent", errors),
                min_conversion_percent=_percent(q.get("min_conversion_percent"), "points.min_conversion_percent", errors),
                yuan_per_point=_decimal(q.get("yuan_per_point"), "points.yuan_per_point", errors, high=Decimal(10000)),
            )
    return LeadAttributionRule(
        marketing_percent=_percent(p.get("marketing_percent"), "marketing_percent", errors),
        sales_on_marketing_lead_percent=_percent(p.get("sales_on_marketing_lead_percent"), "sales_on_marketing_lead_percent", errors),
        sales_self_sourced_percent=_percent(p.get("sales_self_sourced_percent"), "sales_self_sourced_percent", errors),
        points=points,
    )


_PARSERS = {
    "opening_reward": _parse_opening,
    "retention_bonus": _parse_retention,
    "sales_commission": _parse_sales,
    "lead_attribution": _parse_leads,
}


def parse_rule(component: str, params: Any) -> Rule:
    if component not in _PARSERS:
        raise RuleError({"component": [unknown_choice(component, what=pgettext("in a sentence", "提成项目"), choices=_PARSERS)]})
    if not isinstance(params, dict):
        raise RuleError({"non_field_errors": [_("参数须为对象。")]})
    errors: dict[str, list[str]] = {}
    rule = _PARSERS[component](params, errors)
    if errors:
        raise RuleError(errors)
    return rule


def rule_to_params(rule: Rule) -> dict:
    """The contract's JSON for a rule (money and percents as 2-place strings)."""
    def s(d: Decimal) -> str:
        return f"{d:.2f}"

    if isinstance(rule, OpeningRewardRule):
        out = {"tiers": [{"max_headcount": t.max_headcount, "amount": s(t.amount)} for t in rule.tiers]}
        if rule.clawback_months:
            out["clawback_months"] = rule.clawback_months
        return out
    if isinstance(rule, RetentionBonusRule):
        return {"months": rule.months, "percent": s(rule.percent)}
    if isinstance(rule, SalesCommissionRule):
        return {"new_client_months": rule.new_client_months,
                "rates": [{"service": r.service, "new": s(r.new), "existing": s(r.existing)} for r in rule.rates],
                **({"earn_on": rule.earn_on} if rule.earn_on != "confirmed" else {})}
    out = {"marketing_percent": s(rule.marketing_percent),
           "sales_on_marketing_lead_percent": s(rule.sales_on_marketing_lead_percent),
           "sales_self_sourced_percent": s(rule.sales_self_sourced_percent)}
    if rule.points:
        out["points"] = {k: s(getattr(rule.points, k)) for k in (
            "points_per_qualified_lead", "conversion_bonus_percent", "min_conversion_percent", "yuan_per_point")}
    return out


DEFAULT_RULES: dict[str, dict] = {
    "opening_reward": {"tiers": [{"max_headcount": 50, "amount": "800.00"},
                                 {"max_headcount": 100, "amount": "1200.00"},
                                 {"max_headcount": None, "amount": "1800.00"}]},
    "retention_bonus": {"months": 12, "percent": "20.00"},
    "sales_commission": {"new_client_months": 12, "rates": [
        {"service": "social_insurance", "new": "2.00", "existing": "1.00"},
        {"service": "housing_fund", "new": "2.00", "existing": "1.00"},
        {"service": "payroll_outsourcing", "new": "5.00", "existing": "4.00"}]},
    "lead_attribution": {"marketing_percent": "4.00", "sales_on_marketing_lead_percent": "2.00",
                         "sales_self_sourced_percent": "5.00"},
}
DEFAULT_EFFECTIVE_FROM = dt.date(2020, 1, 1)
