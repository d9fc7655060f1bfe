"""The month's check findings in the reader's words (Chinese; English when switched).

The checks (sql.FINDINGS_SQL, sql.DUPLICATE_ACROSS_SQL) store what they found — the cities, the
wage and the floor, the rates, a count — and the sentence is made here when a page or the API
shows it: cities by name, money with separators, in the active language."""
from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy as _

from hrsaas.core import formatting, labels

# Kinds whose sentence needs nothing the check found.
_FIXED = {
    "duplicate_across": _("该身份证号本月在其他分支机构也有参保记录,请核实"),
    "uninsured_payroll": _("客户工资表上有此人,本月未通过该客户参保"),
    "not_on_payroll": _("本月通过该客户参保,但不在客户本月工资表上"),
}


def _city(code) -> str:
    return labels.label("city", code) or str(code or "")


def _rate(value) -> str:
    """A stored rate as the policy writes it: "12.00" → "12.00%"."""
    return f"{value}%"


def _range(low, high) -> str:
    return f"{low}–{high}%"


def finding_detail(kind: str, args: dict | None, stored: str = "") -> str:
    """One finding's detail as a sentence in the active language. A finding written before the
    checks stored their values (`args` empty) shows the sentence it was stored with."""
    if kind in _FIXED:
        return str(_FIXED[kind])
    if not args:
        from hrsaas.core.templatetags.hr import readable

        return readable(stored)
    if kind == "location_mismatch":
        return gettext("参保地 %(insured)s / 合同地 %(contract)s / 发薪地 %(payroll)s") % {
            "insured": _city(args.get("insured")), "contract": _city(args.get("contract")),
            "payroll": _city(args.get("payroll"))}
    if kind == "base_below_floor":
        return gettext("申报工资 %(wage)s 低于下限 %(floor)s,按下限缴费") % {
            "wage": formatting.format_money(args.get("wage")), "floor": formatting.format_money(args.get("floor"))}
    if kind == "no_policy":
        return gettext("参保地 %(city)s 在本月没有适用政策") % {"city": _city(args.get("city"))}
    if kind == "duplicate_in_branch":
        return gettext("同一身份证号本月在本分支机构有 %(n)s 条参保记录") % {"n": args.get("n")}
    if kind == "rate_adjusted":
        values = {"chosen": _rate(args.get("chosen")), "range": _range(args.get("min"), args.get("max")),
                  "paid": _rate(args.get("paid"))}
        if args.get("item") == "work_injury":
            return gettext("工伤费率 %(chosen)s 不在本年度 %(range)s 内,按 %(paid)s 缴费") % values
        if args.get("whole"):
            # In the range, but the year requires whole percents: one chosen under an earlier
            # version is paid as chosen, and flagged.
            return gettext("公积金比例 %(chosen)s 不是整数百分比(本年度须为整数,%(range)s),按 %(paid)s 缴费,"
                           "请与客户确认") % values
        return gettext("公积金比例 %(chosen)s 不在本年度 %(range)s 内,按 %(paid)s 缴费,请与客户确认") % values
    return ""
