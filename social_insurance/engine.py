"""社保/公积金 contribution rules: pure functions over frozen dataclasses, Decimal only.

How one person's month is computed (缴费计算):
1. The policy in force is the city's version whose [effective_from, effective_to] holds the
   first day of the month (`policy_for_month`).
2. For every item the city has (pension, medical, maternity, unemployment, work_injury,
   housing_fund) the base (缴费基数) is the declared wage clamped to that item's floor and
   ceiling; an item without a ceiling (e.g. Guangzhou work injury) has no upper clamp.
3. employer = base × employer% and employee = base × employee%, each kept precise and
   rounded per the item's rounding mode, then the fixed amounts (e.g. Beijing's 3 yuan 大额医疗互助)
   are added. Work injury's employer rate is chosen inside the city's employer_range
   (default: the floor of the range); the housing fund's rate is one percent for both sides,
   inside the city's rate_range (whole percent where the city requires it; default: the floor).
4. Totals are the sums of the rounded amounts.

Rounding modes are named `<unit>_<rule>[_per_side]`: unit fen (0.01) / jiao (0.1, 到角) /
yuan (1), rule half_up (四舍五入) / up (进位, e.g. 见分进角 = jiao_up) / down (舍去). The data
file's `fen_half_up` and `yuan_half_up_per_side` are two of these; rounding applies to each
side (employer, employee) of each item separately.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal

from django.utils.translation import gettext, gettext_noop

from hrsaas.core.formatting import format_period
from hrsaas.core.inputs import refuse_json_number
from hrsaas.core.money import MoneyError, decimal_from_text, parse_money, quantize_money
from hrsaas.core.period import PERIOD_RE, Period, PeriodError

HUNDRED = Decimal(100)
ZERO = Decimal("0.00")

ITEM_KINDS = ("pension", "medical", "maternity", "unemployment", "work_injury", "housing_fund")
class _Labels(dict):
    """Chinese names (marked for translation) read out in the active language: callers keep
    using ITEM_LABELS[kind] / .get(kind) and an English page gets English names."""

    def __getitem__(self, key):
        return gettext(super().__getitem__(key))

    def get(self, key, default=None):
        return self[key] if key in self else default

    def items(self):  # a template's `{% for k, v in labels.items %}` reads them translated too
        return [(key, gettext(value)) for key, value in super().items()]

    def values(self):
        return [gettext(value) for value in super().values()]


ITEM_LABELS = _Labels({
    "pension": gettext_noop("养老保险"),
    "medical": gettext_noop("医疗保险"),
    "maternity": gettext_noop("生育保险"),
    "unemployment": gettext_noop("失业保险"),
    "work_injury": gettext_noop("工伤保险"),
    "housing_fund": gettext_noop("住房公积金"),
})

_UNITS = {"fen": Decimal("0.01"), "jiao": Decimal("0.1"), "yuan": Decimal("1")}
_RULES = {"half_up": ROUND_HALF_UP, "up": ROUND_UP, "down": ROUND_DOWN}
ROUNDING_MODE_RE = re.compile(r"^(fen|jiao|yuan)_(half_up|up|down)(_per_side)?\Z")
# Business names of the common modes, for the policy table.
ROUNDING_LABELS = {
    "fen_half_up": "到分,四舍五入",
    "jiao_half_up": "到角,四舍五入",
    "jiao_up": "见分进角",
    "yuan_half_up": "到元,四舍五入",
    "yuan_half_up_per_side": "单位、个人各自到元,四舍五入",
    "fen_down": "到分,舍去",
    "jiao_down": "到角,舍去",
    "yuan_down": "到元,舍去",
}


# Whole phrases (not 四舍五入 + 到 + 分 glued together) so that each reads naturally in English.
_ROUNDING_WORDS = {
    ("fen", "half_up"): gettext_noop("四舍五入到分"),
    ("jiao", "half_up"): gettext_noop("四舍五入到角"),
    ("yuan", "half_up"): gettext_noop("四舍五入到元"),
    ("fen", "up"): gettext_noop("进位到分"),
    ("jiao", "up"): gettext_noop("见分进角"),
    ("yuan", "up"): gettext_noop("进位到元"),
    ("fen", "down"): gettext_noop("舍去到分"),
    ("jiao", "down"): gettext_noop("舍去到角"),
    ("yuan", "down"): gettext_noop("舍去到元"),
}


def rounding_words(mode: str) -> str:
    """A rounding mode as people say it: fen_half_up → 四舍五入到分, jiao_up → 见分进角,
    yuan_half_up_per_side → 四舍五入到元(单位、个人分别计算); "" for a name that is not a mode."""
    match = ROUNDING_MODE_RE.match(mode or "")
    if not match:
        return ""
    unit, rule, per_side = match.groups()
    words = gettext(_ROUNDING_WORDS[(unit, rule)])
    return gettext("%(words)s(单位、个人分别计算)") % {"words": words} if per_side else words


class PolicyError(ValueError):
    """Input the rules refuse; `field` names the request field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def rounding_spec(mode: str) -> tuple[Decimal, str]:
    """(quantum, decimal rounding constant) for a mode name; unknown names raise ValueError."""
    match = ROUNDING_MODE_RE.match(mode or "")
    if not match:
        raise ValueError(f"unknown rounding mode {mode!r}")
    return _UNITS[match.group(1)], _RULES[match.group(2)]


def round_amount(amount: Decimal, mode: str) -> Decimal:
    """Round per `mode`; the result always carries two places (CNY fen) for display and storage.

    `up`/`down` are away from / towards zero, so a refund (negative) rounds like its positive."""
    quantum, rule = rounding_spec(mode)
    return amount.quantize(quantum, rounding=rule).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class ItemRule:
    kind: str
    base_floor: Decimal
    base_ceiling: Decimal | None
    employee_percent: Decimal = ZERO
    employer_percent: Decimal | None = None  # None: chosen within employer_range / rate_range
    employer_fixed: Decimal = ZERO
    employee_fixed: Decimal = ZERO
    employer_range: tuple[Decimal, Decimal] | None = None  # work injury (by industry class)
    rate_range: tuple[Decimal, Decimal] | None = None  # housing fund, both sides
    whole_percent: bool = False
    rounding: str = "fen_half_up"


@dataclass(frozen=True)
class PolicyRule:
    city: str
    name: str
    year: str
    effective_from: dt.date
    effective_to: dt.date | None
    items: tuple[ItemRule, ...]

    def item(self, kind: str) -> ItemRule | None:
        return next((i for i in self.items if i.kind == kind), None)


@dataclass(frozen=True)
class ItemAmount:
    kind: str
    base: Decimal
    employer_percent: Decimal
    employee_percent: Decimal
    employer_precise: Decimal
    employee_precise: Decimal
    employer: Decimal
    employee: Decimal


@dataclass(frozen=True)
class Contribution:
    city: str
    year: str
    items: tuple[ItemAmount, ...]
    employer_total: Decimal
    employee_total: Decimal


def month_start(period: str) -> dt.date:
    """First day of a `YYYY-MM` period; raises PolicyError('month') for anything else."""
    if not isinstance(period, str) or not PERIOD_RE.match(period):
        raise PolicyError("month", gettext("月份格式应为 YYYY-MM,例如 2025-03。"))
    try:
        return Period.parse(period).first_day
    except PeriodError as exc:
        raise PolicyError("month", str(exc)) from None


def add_months(period: str, n: int) -> str:
    start = month_start(period)
    index = start.year * 12 + start.month - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def policy_for_month(policies, city: str, period: str) -> PolicyRule:
    """The city's version in force on the month's first day."""
    day = month_start(period)
    of_city = [p for p in policies if p.city == city]
    if not of_city:
        raise PolicyError("city", gettext("未知的参保城市:%(city)s。") % {"city": city})
    for policy in of_city:
        if policy.effective_from <= day and (policy.effective_to is None or day <= policy.effective_to):
            return policy
    raise PolicyError("month", gettext("%(city)s在%(month)s没有适用的社保政策。") % {
        "city": of_city[0].name or city, "month": format_period(period)})


def contribution_base(wage: Decimal, item: ItemRule) -> Decimal:
    """缴费基数: the wage clamped to the item's floor and (if any) ceiling."""
    base = max(wage, item.base_floor)
    if item.base_ceiling is not None:
        base = min(base, item.base_ceiling)
    return base.quantize(Decimal("0.01"))


def parse_percent(value, field: str) -> Decimal:
    """A percent given as a decimal string (or integer, from a spreadsheet; never a JSON number):
    at most 2 places, not negative."""
    refusal = refuse_json_number(value, example="12.00")
    if refusal:
        raise PolicyError(field, refusal)
    if not isinstance(value, (str, int, Decimal)):
        raise PolicyError(field, gettext("比例须为数字,例如 12 或 0.20。"))
    pct = decimal_from_text(value)
    if pct is None:
        raise PolicyError(field, gettext("比例须为数字,例如 12 或 0.20。"))
    if pct < 0:
        raise PolicyError(field, gettext("比例不能为负数。"))
    if pct.as_tuple().exponent < -2:
        raise PolicyError(field, gettext("比例最多保留两位小数。"))
    return pct


WAGE_LIMIT = Decimal("99999999.99")
_WAGE_MESSAGES = {"negative": gettext_noop("工资不能为负数。"), "places": gettext_noop("工资最多保留两位小数(到分)。"),
                  "too_large": gettext_noop("工资金额过大。")}
# Said to people (an import file, a form): an amount as they type it, not a "string".
WAGE_FORM_MESSAGE = gettext_noop("工资须为金额,例如 12000.00。")


def parse_wage(value, field: str = "wage") -> Decimal:
    """A wage as a decimal string (or integer, from a spreadsheet; never a JSON number): a
    number, not negative, at most 2 places."""
    refusal = refuse_json_number(value, example="12000.00")
    if refusal:
        raise PolicyError(field, refusal)
    if not isinstance(value, (str, int, Decimal)):
        raise PolicyError(field, gettext(WAGE_FORM_MESSAGE))
    try:  # THE money parser (hrsaas.core.money): the accepted forms are the same everywhere
        return parse_money(value, maximum=WAGE_LIMIT)
    except MoneyError as exc:
        raise PolicyError(field, gettext(_WAGE_MESSAGES.get(exc.code, WAGE_FORM_MESSAGE))) from None


# An 增员's declared wage (申报工资) is what the person earns: 0 or less is a typo, not a wage. A
# wage above 0 but below the city's floor stays allowed (the base is clamped to the floor and the
# month's checks flag it).
DECLARED_WAGE_MESSAGE = gettext_noop("申报工资须大于 0(低于缴费基数下限的,按下限缴费)。")


def parse_declared_wage(value, field: str = "wage") -> Decimal:
    """A person's declared wage: a wage (parse_wage) above 0."""
    wage = parse_wage(value, field)
    if wage <= 0:
        raise PolicyError(field, gettext(DECLARED_WAGE_MESSAGE))
    return wage


def fmt_percent(value: Decimal) -> str:
    """5.00 → "5", 0.20 → "0.20" (for messages)."""
    return str(value.to_integral_value()) if value == value.to_integral_value() else f"{value:.2f}"


def housing_fund_rate(item: ItemRule, percent: Decimal | None) -> Decimal:
    """The housing-fund percent for both sides: inside the city's range, whole if required."""
    low, high = item.rate_range
    lo_s, hi_s = fmt_percent(low), fmt_percent(high)
    if percent is None:
        return low
    if item.whole_percent and percent != percent.to_integral_value():
        raise PolicyError("housing_fund_percent", gettext("公积金缴存比例须为整数百分比(%(low)s–%(high)s)。")
                          % {"low": lo_s, "high": hi_s})
    if not low <= percent <= high:
        raise PolicyError("housing_fund_percent", gettext("公积金缴存比例须在 %(low)s%% 至 %(high)s%% 之间。")
                          % {"low": lo_s, "high": hi_s})
    return percent


def injury_rate(item: ItemRule, rate: Decimal | None) -> Decimal:
    """工伤 employer rate: inside the employer_range (industry class); default its floor."""
    low, high = item.employer_range
    if rate is None:
        return low
    if not low <= rate <= high:
        raise PolicyError("injury_rate", gettext("工伤保险费率须在 %(low)s%% 至 %(high)s%% 之间。") % {
            "low": fmt_percent(low), "high": fmt_percent(high)})
    return rate


def item_amount(item: ItemRule, wage: Decimal, employer_percent: Decimal, employee_percent: Decimal) -> ItemAmount:
    base = contribution_base(wage, item)
    er_pct_part = base * employer_percent / HUNDRED
    ee_pct_part = base * employee_percent / HUNDRED
    return ItemAmount(
        kind=item.kind,
        base=base,
        employer_percent=employer_percent,
        employee_percent=employee_percent,
        employer_precise=er_pct_part + item.employer_fixed,
        employee_precise=ee_pct_part + item.employee_fixed,
        employer=round_amount(er_pct_part, item.rounding) + item.employer_fixed,
        employee=round_amount(ee_pct_part, item.rounding) + item.employee_fixed,
    )


def item_rates(item: ItemRule, *, housing_fund_percent: Decimal | None = None,
               injury: Decimal | None = None) -> tuple[Decimal, Decimal]:
    """(employer%, employee%) of an item after the per-employer choices."""
    if item.rate_range is not None:
        pct = housing_fund_rate(item, housing_fund_percent)
        return pct, pct
    if item.employer_range is not None:
        return injury_rate(item, injury), item.employee_percent
    return item.employer_percent or ZERO, item.employee_percent


def contribution_for(policy: PolicyRule, wage: Decimal, *, housing_fund_percent: Decimal | None = None,
                     injury: Decimal | None = None) -> Contribution:
    """One person's month under `policy`; every rate is checked before anything is computed."""
    rates = {
        item.kind: item_rates(item, housing_fund_percent=housing_fund_percent, injury=injury)
        for item in policy.items
    }
    amounts = tuple(
        item_amount(item, wage, *rates[item.kind])
        for item in sorted(policy.items, key=lambda i: ITEM_KINDS.index(i.kind))
    )
    return Contribution(
        city=policy.city,
        year=policy.year,
        items=amounts,
        employer_total=sum((a.employer for a in amounts), ZERO),
        employee_total=sum((a.employee for a in amounts), ZERO),
    )


def correction_delta(original: ItemAmount, corrected: ItemAmount) -> tuple[Decimal, Decimal]:
    """补缴 (positive) or 退费 (negative) per side: corrected minus what was charged."""
    return corrected.employer - original.employer, corrected.employee - original.employee


def kept_rates(item: ItemRule, chosen: Decimal | None) -> tuple[Decimal, Decimal]:
    """(employer%, employee%) under `item` for someone who chose `chosen` under an earlier
    version: the choice is kept while the new range allows it, else moved to the nearest bound
    (the monthly compute does the same in SQL and flags it)."""
    if item.rate_range is not None:
        low, high = item.rate_range
        pct = low if chosen is None else min(max(chosen, low), high)
        return pct, pct
    if item.employer_range is not None:
        low, high = item.employer_range
        return (low if chosen is None else min(max(chosen, low), high)), item.employee_percent
    return item.employer_percent or ZERO, item.employee_percent


@dataclass(frozen=True)
class TrueUp:
    """补差 of one item of one filed month: what the new version charges minus what was charged."""

    amount: ItemAmount | None  # None: the new version no longer has the item
    employer: Decimal
    employee: Decimal
    employer_precise: Decimal
    employee_precise: Decimal

    @property
    def is_zero(self) -> bool:
        return self.employer == 0 and self.employee == 0


def true_up(item: ItemRule | None, wage: Decimal, chosen: Decimal | None, *, charged_employer: Decimal,
            charged_employee: Decimal, charged_employer_precise: Decimal = ZERO,
            charged_employee_precise: Decimal = ZERO) -> TrueUp:
    """The difference a newly published version makes to an item already filed: the item is
    recomputed from the same wage under `item` and what was charged for it so far (regular line
    plus earlier corrections) is subtracted. Positive = 补缴, negative = 退费."""
    if item is None:
        return TrueUp(None, -charged_employer, -charged_employee, -charged_employer_precise, -charged_employee_precise)
    amount = item_amount(item, wage, *kept_rates(item, chosen))
    return TrueUp(amount, amount.employer - charged_employer, amount.employee - charged_employee,
                  amount.employer_precise - charged_employer_precise, amount.employee_precise - charged_employee_precise)


def mask_identity(number: str) -> str:
    """110***********1234: the region prefix and the last four, never the birth date."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def identity_number_valid(number: str) -> bool:
    """PRC resident identity number (GB 11643): 18 characters, a real birth date, ISO 7064 check."""
    if not re.fullmatch(r"\d{17}[\dX]", number or ""):
        return False
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born.year < 1900:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17]


def identity_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


# Full-width digits and letters (１１０１…Ｘ), as a Chinese input method types them, are the same
# identity number: without this they would hash differently and escape the duplicate check.
FULLWIDTH = str.maketrans("０１２３４５６７８９ｘＸ．－＋", "0123456789xX.-+")


def halfwidth(text: str) -> str:
    return text.translate(FULLWIDTH)


def normalize_identity(number: str) -> str:
    return halfwidth(number or "").strip().upper()


# ---------------------------------------------------------------------------------------------
# Which month a 增员 / 减员 lands in (the same rule as sql.INSURED_SQL and sql.CHANGES_SQL)
# ---------------------------------------------------------------------------------------------
def first_insured_month(start: dt.date, add_cutoff_day: int | None) -> str:
    """增员: insured from the start's month, or from the next month when the start falls after
    the city's cut-off day (no cut-off: always the start's month)."""
    period = period_of(start)
    if add_cutoff_day is not None and start.day > add_cutoff_day:
        return add_months(period, 1)
    return period


def last_insured_month(end: dt.date, covers_leaving_month: bool) -> str:
    """减员: insured up to the leaving month where the city covers it, else up to the month before."""
    period = period_of(end)
    return period if covers_leaving_month else add_months(period, -1)


def removal_month(end: dt.date, covers_leaving_month: bool) -> str:
    """The month whose 增减员 list carries the 减员: the one after the last insured month."""
    return add_months(last_insured_month(end, covers_leaving_month), 1)


def months_between(first: str, last: str) -> int:
    a, b = month_start(first), month_start(last)
    return (b.year - a.year) * 12 + b.month - a.month


def first_open_after(period: str, filed) -> str:
    """The first month after `period` that is not filed: where a correction of `period` is posted."""
    target = add_months(period, 1)
    while target in filed:
        target = add_months(target, 1)
    return target


def filed_in_span(first: str, last: str | None, filed) -> list[str]:
    """The filed months inside an insured span [first, last] (last None: still insured), oldest
    first. A person entered after such a month was filed is missing from it: the next open month
    carries their 增员 and back-pays (补缴) those months."""
    return sorted(p for p in filed if p >= first and (last is None or p <= last))


def earliest_back_paid_month(open_month: str, filed, limit: int) -> str:
    """The earliest first insured month an 增员 entered now may have: the filed months right
    before the branch's earliest open month `open_month` (which carries the 增员 and their 补缴),
    at most `limit` of them (the city's 补缴最多月数). A month before them cannot be back-paid: it
    is past the city's limit, before the branch's first month in the system, or a month the
    system never filed (those are neither computed nor back-paid any more)."""
    earliest = open_month
    while months_between(add_months(earliest, -1), open_month) <= limit and add_months(earliest, -1) in filed:
        earliest = add_months(earliest, -1)
    return earliest


def back_paid_months(missing: list[str], carrying: str, limit: int) -> tuple[list[str], list[str]]:
    """(months back-paid in `carrying`, months past the city's back-payment limit) of the filed
    months a person entered late is missing from: the agency takes 补缴 for at most `limit`
    months before the month that carries it; earlier ones are not insured."""
    paid = [p for p in missing if months_between(p, carrying) <= limit]
    return paid, [p for p in missing if p not in paid]


# ---------------------------------------------------------------------------------------------
# Client money: when a fee statement is due, how overdue it is (欠费账龄), and the late fee (滞纳金)
#
# A fee statement of month M is due from the client on the branch's payment-due day of M (付款
# 到期日, default the 15th); its contributions are due to the social-insurance agency on the
# branch's contribution-due day of M (法定缴费截止日, default the 25th; never before the client's
# day). When the client's money arrives after the agency's day, we pay the agency late and the
# agency charges 滞纳金: 0.05% (万分之五) of the late social-insurance contributions per day, from
# the day after the deadline to the day paid (社会保险法 第八十六条; the housing fund carries no
# such fee). That fee is passed on to the client.
# ---------------------------------------------------------------------------------------------
LATE_FEE_DAILY_RATE = Decimal("0.0005")  # 万分之五 per day
AGING_BUCKETS = (
    ("not_due", gettext_noop("未到期")),
    ("d1_30", gettext_noop("1–30 天")),
    ("d31_60", gettext_noop("31–60 天")),
    ("d61_90", gettext_noop("61–90 天")),
    ("over_90", gettext_noop("90 天以上")),
)


def day_of_month(period: str, day: int) -> dt.date:
    """The `day` of month `period` (days are 1–28, so every month has it)."""
    return month_start(period).replace(day=day)


def aging_bucket(due_on: dt.date, today: dt.date) -> str:
    """未到期 until and on the due day; then 1–30, 31–60, 61–90 days overdue, or more."""
    days = (today - due_on).days
    if days <= 0:
        return "not_due"
    if days <= 30:
        return "d1_30"
    if days <= 60:
        return "d31_60"
    if days <= 90:
        return "d61_90"
    return "over_90"


@dataclass(frozen=True)
class LatePart:
    """Contributions covered by one payment that arrived after the deadline."""

    contributions: Decimal
    paid_on: dt.date
    days: int
    fee: Decimal


@dataclass(frozen=True)
class LateFee:
    period: str
    deadline: dt.date
    parts: tuple[LatePart, ...]

    @property
    def total(self) -> Decimal:
        return sum((p.fee for p in self.parts), ZERO)

    @property
    def args(self) -> dict:
        """The arithmetic as values (stored with the charge; display.late_fee_words puts it into
        words in the reader's language)."""
        return {"period": self.period, "deadline": self.deadline.isoformat(), "total": f"{self.total:.2f}",
                "parts": [{"contributions": f"{p.contributions:.2f}", "paid_on": p.paid_on.isoformat(),
                           "days": p.days, "fee": f"{p.fee:.2f}"} for p in self.parts]}

    @property
    def explanation(self) -> str:
        """"2025年8月社保费逾期缴纳(住房公积金不计;法定截止 2025年8月25日):单位及个人缴费 12,345.67 元 × 0.05% ×
        12 天(2025年8月26日至2025年9月6日)= 74.07 元"; with several late payments, one part each.
        The form stored with the charge (at most 300 characters)."""
        from .display import stored_words

        return stored_words("late_fee", self.args)


def late_fee_for(*, period: str, contributions: Decimal, deadline: dt.date,
                 payments: list[tuple[dt.date, Decimal]]) -> LateFee:
    """The late fee on one statement's social-insurance contributions (单位 + 个人, housing fund
    left out: `contributions`) given the payments that stand (reversed ones left out), as (day
    received, amount).

    Payments cover those contributions first (in the order received; the housing fund and
    service fees after), so a
    client who pays part on time owes the fee only on the rest. Each payment after `deadline`
    adds its covered contributions × 0.05% × (paid_on − deadline) days, rounded half-up to the
    fen per payment (the explanation adds up). Pure: the same inputs give the same fee."""
    remaining = contributions
    parts: list[LatePart] = []
    for paid_on, amount in sorted(payments):
        if remaining <= 0:
            break
        covered = min(amount, remaining)
        if covered <= 0:
            continue
        remaining -= covered
        days = (paid_on - deadline).days
        if days > 0:
            fee = quantize_money(covered * LATE_FEE_DAILY_RATE * days)
            parts.append(LatePart(covered, paid_on, days, fee))
    return LateFee(period=period, deadline=deadline, parts=tuple(parts))
