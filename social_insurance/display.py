"""Check findings and fee-statement charges in the reader's words (Chinese; English when switched).

The checks (sql.FINDINGS_SQL, sql.DUPLICATES_SQL) store what they found — the cities, the
wage and the floor, the rates, a count — and a charge stores its arithmetic (people × fee; a late
fee's payments, days and amounts); the sentence is made here when a page or the API shows it:
cities by name, money with separators, dates and months in the locale's format, in the active
language. A charge also keeps its sentence in Chinese (`stored_words`), the record of what was
billed."""
from __future__ import annotations

import logging

from django.utils import translation
from django.utils.translation import gettext, gettext_lazy as _, ngettext

from hrsaas.core import formatting, labels

log = logging.getLogger(__name__)


def guarded(words, kind: str, args: dict | None, stored: str) -> str:
    """`words(kind, args, stored)`, or the stored sentence when the values cannot be said: one
    malformed row must not take the whole page down."""
    try:
        return words(kind, args, stored)
    except Exception:  # noqa: BLE001 - any fault in one row's values: its stored sentence instead
        log.exception("%s %s could not be put into words; showing the stored sentence", kind, args)
        return stored


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


# ---------------------------------------------------------------------------------------------
# Fee-statement charges (服务费, 滞纳金)
# ---------------------------------------------------------------------------------------------
STORED_LENGTH = 300  # FeeStatementCharge.explanation


def _late_fee_words(args: dict, max_length: int | None) -> str:
    import datetime as dt

    deadline = dt.date.fromisoformat(args["deadline"])
    money = formatting.format_money
    head = gettext("%(month)s社保费逾期缴纳(住房公积金不计;法定截止 %(deadline)s):") % {
        "month": formatting.format_period(args["period"]), "deadline": formatting.format_date(deadline)}
    first_late_day = formatting.format_date(deadline + dt.timedelta(days=1))
    parts = [ngettext("单位及个人缴费 %(amount)s 元 × 0.05%% × %(days)s 天(%(start)s至%(end)s)= %(fee)s 元",
                      "单位及个人缴费 %(amount)s 元 × 0.05%% × %(days)s 天(%(start)s至%(end)s)= %(fee)s 元",
                      p["days"]) % {
        "amount": money(p["contributions"]), "days": p["days"], "start": first_late_day,
        "end": formatting.format_date(p["paid_on"]), "fee": money(p["fee"])} for p in args["parts"]]
    text = head + gettext(";").join(parts)
    if len(parts) > 1:
        text += gettext(";合计 %(total)s 元") % {"total": money(args["total"])}
    billed = ""
    if args.get("billed"):
        # Part of the fee was billed on a statement already filed: this charge is the rest.
        billed = gettext(";已计收 %(billed)s 元,本次补收 %(wanted)s 元") % {
            "billed": money(args["billed"]), "wanted": money(args["wanted"])}
    if max_length is not None and len(text + billed) > max_length:
        # The sum and the rule stay, the parts are counted.
        text = head + gettext("%(n)s 笔逾期到账的单位及个人缴费 × 0.05%% × 逾期天数,合计 %(total)s 元") % {
            "n": len(parts), "total": money(args["total"])}
    return text + billed


def charge_words(kind: str, args: dict | None, stored: str = "", *, max_length: int | None = None) -> str:
    """Why a charge is what it is, in the active language; a charge written before charges kept
    their arithmetic shows the sentence it was stored with."""
    if not args:
        return stored
    if kind == "service_fee":
        return ngettext("%(n)s 人 × %(fee)s 元/人·月", "%(n)s 人 × %(fee)s 元/人·月", int(args["n"])) % {
            "n": args["n"], "fee": formatting.format_money(args["fee"])}
    if kind == "late_fee":
        return _late_fee_words(args, max_length)
    return stored


def stored_words(kind: str, args: dict) -> str:
    """A charge's sentence as stored with it: in Chinese, at most the column's length."""
    with translation.override("zh-hans"):
        return charge_words(kind, args, max_length=STORED_LENGTH)


def earlier_stored_words(kind: str, args: dict) -> str | None:
    """A late fee's sentence as it was stored before charges kept their values: with a part
    billed before, the sentence cut at 220 characters and the billed part added (the same fee,
    so not a change to post again). None for anything else."""
    if kind != "late_fee" or not args.get("billed"):
        return None
    base = {k: v for k, v in args.items() if k not in ("billed", "wanted")}
    with translation.override("zh-hans"):
        return charge_words(kind, base, max_length=STORED_LENGTH)[:220] + gettext(
            ";已计收 %(billed)s 元,本次补收 %(wanted)s 元") % {
            "billed": formatting.format_money(args["billed"]), "wanted": formatting.format_money(args["wanted"])}


def _percent_words(value) -> str:
    return f"{value:.2f}%" if value is not None else ""


def side_working(base, percent, fixed) -> str:
    """How one side of a statement line is made, after its base: "× 2.00% + 固定 3.00" (fixed
    amounts such as Beijing's 大额医疗 on the employee's medical), "× 16.00%" without one; "" for a
    difference line (fixed None)."""
    if fixed is None:
        return ""
    text = f"× {_percent_words(percent)}"
    if fixed:
        text += " + " + gettext("固定 %(amount)s") % {"amount": formatting.format_money(fixed)}
    return text


def line_explanation(line) -> str:
    """A statement line's arithmetic in one sentence, each side's base × rate (rounded by the
    city's rule) + fixed amount = amount, e.g. "单位:8,500.00 × 10.00% = 850.00;个人:8,500.00 ×
    2.00% + 固定 3.00 = 173.00"; a difference line (a dispute's 补缴/退费, a 补差) says it is one.
    `line` carries employer_fixed / employee_fixed (selectors.with_fixed_amounts)."""
    if line.employer_fixed is None:
        return gettext("差额:更正后应缴减去原已缴")
    base = formatting.format_money(line.base)
    sides = []
    for words, percent, fixed, amount in (
            (gettext("单位"), line.employer_percent, line.employer_fixed, line.employer_amount),
            (gettext("个人"), line.employee_percent, line.employee_fixed, line.employee_amount)):
        sides.append(gettext("%(side)s:%(base)s %(working)s = %(amount)s") % {
            "side": words, "base": base, "working": side_working(line.base, percent, fixed),
            "amount": formatting.format_money(amount)})
    return gettext(";").join(sides)
