"""History import (历史数据导入) and the parallel run (并行期): the three checks as pure functions.

A company's commission sheet (提成表) has one row per line of a person's month: an opening
reward (开户奖励: client, headcount, tier, opening date, amount), a sales commission (销售提成:
client, service, billed amount, amount), a retention bonus (留存奖励) and, usually, the
person's total row for the month (合计). Its columns are mapped to our fields first
(`guess_mapping`, changed by the user), then the rows go through three checks, each reported
on its own (三重校验):

1. 格式校验 (`format_check`): each cell has the type its field needs — a period, a real day in
   2000–2099, an amount (the core money parser), a whole headcount, a known service, a known
   person (账号 or 姓名), a tier written as a headcount range. A row failing it goes no further.
2. 逻辑校验 (`logic_check`): rows that are well-formed but contradict each other — a sale before
   its client was opened, a tier that contradicts the headcount, a client opened twice, a
   person's lines of a month not adding up to their own total row. A person-month with a
   malformed row has no sum to check (said in the report, not counted as an error). A row with a
   logic problem is not compared. A client the branch already has must be opened on the sheet
   as the product records it (the parallel run: both ways at once).
3. 抽样比对 (`compare`): every remaining line is recomputed by the real engine
   (commissions.engine.compute_period) under the rules the company says it used, and every
   line whose figure differs from the sheet's is listed with a sentence saying why.

Nothing here reads the database or the clock: the caller passes the people, the clients the
branch already has and the rule book, and stores the report.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Iterable, Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from commissions import engine as ce
from commissions.hq.rules import OpeningRewardRule, version_in_force
from commissions.inputs import parse_service
from hrsaas.core import inputs
from hrsaas.core.formatting import format_money, format_percent, format_period
from hrsaas.core.labels import SERVICES
from hrsaas.core.money import ZERO
from hrsaas.core.period import Period

# ---------------------------------------------------------------------------------------------
# Fields and the column mapping (列映射)
# ---------------------------------------------------------------------------------------------
FIELDS = ("period", "person", "item", "client", "headcount", "tier", "opened_on", "service", "billed", "amount")
FIELD_LABELS = {
    "period": gettext_lazy("月份"), "person": gettext_lazy("人员"), "item": gettext_lazy("项目"),
    "client": gettext_lazy("客户名称"), "headcount": gettext_lazy("员工人数"), "tier": gettext_lazy("档位"),
    "opened_on": gettext_lazy("开户日期"), "service": gettext_lazy("服务"), "billed": gettext_lazy("计费金额"),
    "amount": gettext_lazy("提成金额"),
}
REQUIRED_FIELDS = ("period", "person", "item", "amount")
# The words people put in their own headers, best first (an exact header wins over a header
# that merely contains the word).
HEADER_WORDS = {
    "period": ("月份", "期间", "所属月份", "结算月份", "提成月份", "月度"),
    "person": ("人员", "员工", "姓名", "专员", "业务员", "账号", "工号"),
    "item": ("项目", "提成项目", "类型", "类别", "明细"),
    "client": ("客户名称", "客户", "公司名称", "单位名称", "企业名称"),
    "headcount": ("员工人数", "人数", "参保人数", "在保人数"),
    "tier": ("档位", "人数档位", "档次"),
    "opened_on": ("开户日期", "开户时间", "签约日期"),
    "service": ("服务", "服务类型", "业务类型", "服务项目"),
    "billed": ("计费金额", "服务费", "账单金额", "销售额", "收费金额", "计提基数"),
    "amount": ("提成金额", "应发提成", "提成", "奖励金额", "金额"),
}

ITEMS = {"opening_reward": gettext_lazy("开户奖励"), "sales_commission": gettext_lazy("销售提成"),
         "retention_bonus": gettext_lazy("留存奖励"), "total": gettext_lazy("合计")}
ITEM_WORDS = {"开户奖励": "opening_reward", "开户": "opening_reward", "销售提成": "sales_commission",
              "销售": "sales_commission", "留存奖励": "retention_bonus", "留存": "retention_bonus",
              "合计": "total", "小计": "total", "总计": "total"}
ITEM_WORDS.update({"openingreward": "opening_reward", "salescommission": "sales_commission",
                   "retentionbonus": "retention_bonus", "total": "total"})  # an English sheet's words

FORMAT, LOGIC, COMPARE = "format", "logic", "compare"
CHECK_LABELS = {FORMAT: gettext_lazy("格式校验"), LOGIC: gettext_lazy("逻辑校验"), COMPARE: gettext_lazy("抽样比对")}


def _norm(text) -> str:
    return re.sub(r"[\s()()*:：]", "", str(text or ""))


def guess_mapping(header: list[str]) -> dict[str, int | None]:
    """Field → column index (or None), from the sheet's own headers: an exact header first, then
    a header containing one of the field's words; a column serves one field only."""
    cells = [_norm(h) for h in header]
    mapping: dict[str, int | None] = {f: None for f in FIELDS}
    used: set[int] = set()
    for exact in (True, False):
        for fld in FIELDS:
            if mapping[fld] is not None:
                continue
            for word in HEADER_WORDS[fld]:
                hit = next((i for i, c in enumerate(cells) if i not in used and c
                            and (c == word if exact else word in c)), None)
                if hit is not None:
                    mapping[fld] = hit
                    used.add(hit)
                    break
    return mapping


def mapping_problems(mapping: Mapping[str, int | None], columns: int) -> dict[str, list[str]]:
    """What is wrong with a mapping, per field (empty when it can be used)."""
    problems: dict[str, list[str]] = {}
    seen: dict[int, str] = {}
    for fld in FIELDS:
        index = mapping.get(fld)
        if index is None:
            if fld in REQUIRED_FIELDS:
                problems.setdefault(fld, []).append(_("必须选择一列。"))
            continue
        if not isinstance(index, int) or not 0 <= index < columns:
            problems.setdefault(fld, []).append(_("文件中没有这一列。"))
        elif index in seen:
            problems.setdefault(fld, []).append(_("这一列已用于“%(f)s”。") % {"f": FIELD_LABELS[seen[index]]})
        else:
            seen[index] = fld
    return problems


# ---------------------------------------------------------------------------------------------
# Rows, lines and issues
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SheetLine:
    """A row that passed the format check, typed."""

    row: int
    period: str
    person: str  # as written on the sheet
    earner_id: int
    item: str
    amount: Decimal
    client: str = ""
    headcount: int | None = None
    tier: tuple[int, int | None] | None = None
    tier_text: str = ""
    opened_on: dt.date | None = None
    service: str | None = None
    billed: Decimal | None = None


@dataclass(frozen=True)
class Issue:
    check: str  # format | logic | compare
    code: str  # what kind of problem (the field for format problems)
    row: int | None
    period: str
    person: str
    column: str  # the field's label
    message: str
    sheet: str = ""  # the sheet's figure (compare)
    engine: str = ""  # the rules' figure (compare)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Report:
    rows: int = 0
    lines: list[SheetLine] = field(default_factory=list)
    format: list[Issue] = field(default_factory=list)
    logic: list[Issue] = field(default_factory=list)
    compare: list[Issue] = field(default_factory=list)
    totals_checked: int = 0
    totals_skipped: int = 0
    compared: int = 0
    not_compared: int = 0

    def as_dict(self) -> dict:
        bad_rows = {i.row for i in self.format + self.logic + self.compare if i.row is not None}
        return {
            "rows": self.rows,
            "periods": sorted({ln.period for ln in self.lines}),
            "people": len({ln.earner_id for ln in self.lines}),
            "format": {"checked": self.rows, "issues": [i.as_dict() for i in self.format]},
            "logic": {"checked": len(self.lines), "totals_checked": self.totals_checked,
                      "totals_skipped": self.totals_skipped, "issues": [i.as_dict() for i in self.logic]},
            "compare": {"compared": self.compared, "not_compared": self.not_compared,
                        "issues": [i.as_dict() for i in self.compare],
                        "difference_rate": _rate(len(self.compare), self.compared)},
            "rows_with_issues": len(bad_rows),
            "error_rate": _rate(len(bad_rows), self.rows),
        }


def _rate(part: int, whole: int) -> str:
    """A share as a percent with two places ("1.25"), "0.00" of nothing."""
    if not whole:
        return "0.00"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.01')):f}"


# ---------------------------------------------------------------------------------------------
# 1. 格式校验
# ---------------------------------------------------------------------------------------------
_TIER = re.compile(r"^(?:(?P<lo>\d+)\s*[-–—~～至到]\s*(?P<hi>\d+)|(?:≤|<=|不超过)?(?P<le>\d+)(?:人)?(?:以下|及以下)"
                   r"|(?:≤|<=)(?P<le2>\d+)|(?:≥|>=)(?P<ge>\d+)|(?P<ge2>\d+)(?:人)?(?:以上|及以上|\+))(?:人)?(?:档)?$")


def parse_tier(text: str) -> tuple[int, int | None] | None:
    """A tier as written ("51–100人", "≤50", "50人以下", "101人以上") → inclusive (low, high or
    None); None when it is not one."""
    m = _TIER.match(_norm(text).replace("人档", "人"))
    if not m:
        return None
    if m["lo"]:
        lo, hi = int(m["lo"]), int(m["hi"])
        return (lo, hi) if lo <= hi else None
    if m["le"] or m["le2"]:
        return (1, int(m["le"] or m["le2"]))
    return (int(m["ge"] or m["ge2"]), None)


def tier_words(tier: tuple[int, int | None]) -> str:
    lo, hi = tier
    if hi is None:
        return _("%(lo)d 人及以上档") % {"lo": lo}
    return _("%(lo)d–%(hi)d 人档") % {"lo": lo, "hi": hi}


NEEDS = {
    "opening_reward": ("client", "headcount", "opened_on"),
    "sales_commission": ("client", "service", "billed"),
    "retention_bonus": ("client",),
    "total": (),
}


def format_check(rows: Iterable[tuple[int, list[str]]], mapping: Mapping[str, int | None],
                 people: Mapping[str, int | None], report: Report) -> None:
    """Type every row (see the module docstring); `people` maps a 账号 or 姓名 to a user id (None:
    the name is shared by several people). Good rows go to `report.lines`, problems to
    `report.format`, one per cell."""
    for number, cells in rows:
        report.rows += 1
        raw = {f: (cells[i].strip() if i is not None and i < len(cells) and cells[i] is not None else "")
               for f, i in mapping.items()}
        errors = inputs.Errors()
        period = inputs.parse_period(raw, "period", errors) if raw["period"] else errors.add("period", _("必填。"))
        person = raw["person"]
        earner_id = None
        if not person:
            errors.add("person", _("必填。"))
        elif person not in people:
            errors.add("person", _("不是本分支机构的提成人员:%(p)s(请填写专员、市场或销售人员的账号或姓名)") % {"p": person[:30]})
        elif people[person] is None:
            errors.add("person", _("姓名“%(p)s”对应多个人员,请改填账号。") % {"p": person[:30]})
        else:
            earner_id = people[person]
        item = ITEM_WORDS.get(_norm(raw["item"]).lower())
        if item is None:
            errors.add("item", _("未知项目:%(v)s(可选:开户奖励、销售提成、留存奖励、合计)") % {"v": raw["item"][:20]}
                       if raw["item"] else _("必填。"))
        amount = _amount(raw, "amount", errors, allow_zero=item == "total")
        typed: dict = {}
        for fld in NEEDS.get(item, ()):
            if not raw.get(fld):
                errors.add(fld, _("%(item)s行必填。") % {"item": ITEMS[item]})
        if item in ("opening_reward", "sales_commission", "retention_bonus"):
            typed["client"] = raw["client"]
            if len(raw["client"]) > 200:  # a row's report says so; the name is never cut
                errors.add("client", inputs.too_long(200, len(raw["client"])))
        if item == "opening_reward":
            if raw["headcount"]:
                typed["headcount"] = inputs.parse_int(raw, "headcount", errors, low=1)
            if raw["opened_on"]:
                typed["opened_on"] = inputs.parse_date(raw, "opened_on", errors)
            if raw.get("tier"):
                typed["tier"] = parse_tier(raw["tier"])
                typed["tier_text"] = raw["tier"][:30]
                if typed["tier"] is None:
                    errors.add("tier", _("档位须写成人数范围,例如“1–50人”“51–100人”“101人以上”:%(v)s")
                               % {"v": raw["tier"][:20]})
        if item == "sales_commission":
            if raw["service"]:
                typed["service"] = parse_service(raw, "service", errors)
            if raw["billed"]:
                typed["billed"] = _amount(raw, "billed", errors, allow_zero=False)
        if errors.errors:
            for fld, messages in errors.errors.items():
                for message in messages:
                    report.format.append(Issue(FORMAT, fld, number, raw["period"][:7], person[:30],
                                               str(FIELD_LABELS[fld]), message))
            continue
        report.lines.append(SheetLine(row=number, period=period, person=person, earner_id=earner_id, item=item,
                                      amount=amount, **typed))


def _amount(raw: dict, fld: str, errors: inputs.Errors, *, allow_zero: bool) -> Decimal | None:
    if not raw.get(fld):
        errors.add(fld, _("必填,须为金额,例如 \"1000.00\"。"))
        return None
    if allow_zero and _norm(raw[fld]) in ("0", "0.0", "0.00"):
        return ZERO
    return inputs.parse_money(raw, fld, errors)


# ---------------------------------------------------------------------------------------------
# 2. 逻辑校验
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KnownClient:
    """A client the branch already has (by name): its opening date and headcount."""

    opened_on: dt.date
    headcount: int
    closed_on: dt.date | None = None


def logic_check(report: Report, *, known_clients: Mapping[str, KnownClient],
                malformed: Iterable[tuple[str, str]]) -> set[int]:
    """Contradictions between well-formed rows; returns the rows with a problem of their own
    (not compared). `malformed`: (period as written, person as written) of rows that failed the
    format check — their person-month has no sum to check."""
    bad_rows: set[int] = set()
    malformed = set(malformed)

    def add(line: SheetLine, code: str, column: str, message: str, *, row_level: bool = True):
        report.logic.append(Issue(LOGIC, code, line.row, line.period, line.person, str(FIELD_LABELS[column]), message))
        if row_level:
            bad_rows.add(line.row)

    opened: dict[str, SheetLine] = {}
    for line in report.lines:
        if line.item != "opening_reward":
            continue
        if line.client in opened:
            add(line, "duplicate_opening", "client", _("客户“%(c)s”已在第 %(r)d 行开户,同一客户只能开户一次。")
                % {"c": line.client, "r": opened[line.client].row})
            continue
        known = known_clients.get(line.client)
        if known is not None and (known.opened_on, known.headcount) != (line.opened_on, line.headcount):
            # Recorded in the product too (a parallel-run month, or clients entered before the
            # history): the sheet must say what the product says.
            add(line, "system_mismatch", "opened_on",
                _("客户“%(c)s”在系统中开户于 %(d)s、员工人数 %(n)d,表格为 %(sd)s、%(sn)d 人。")
                % {"c": line.client, "d": known.opened_on.isoformat(), "n": known.headcount,
                   "sd": line.opened_on.isoformat(), "sn": line.headcount})
            continue
        opened[line.client] = line
        if line.tier is not None:
            lo, hi = line.tier
            if line.headcount < lo or (hi is not None and line.headcount > hi):
                add(line, "tier_headcount", "tier", _("档位“%(t)s”与员工人数 %(n)d 不符。")
                    % {"t": line.tier_text, "n": line.headcount})

    sold: dict[tuple, int] = {}
    for line in report.lines:
        if line.item not in ("sales_commission", "retention_bonus"):
            continue
        key = (line.item, line.client, line.service, line.period)
        if key in sold:
            add(line, "duplicate_line", "client", _("与第 %(r)d 行重复:同一客户、服务和月份只能计一次。") % {"r": sold[key]})
            continue
        sold[key] = line.row
        day = opened[line.client].opened_on if line.client in opened else (
            known_clients[line.client].opened_on if line.client in known_clients else None)
        if day is None:
            add(line, "no_opening", "client", _("客户“%(c)s”在表中和系统中都没有开户记录。") % {"c": line.client})
        elif line.period < ce.period_of(day):
            # The day as the sheet writes it (and as the system_mismatch message does): the message
            # is stored with the report and also written into its download, where days are 2026-03-05.
            add(line, "sale_before_opening", "period", _("%(item)s记在 %(p)s,早于客户“%(c)s”的开户日期 %(d)s。")
                % {"item": ITEMS[line.item], "p": format_period(line.period), "c": line.client, "d": day.isoformat()})

    groups: dict[tuple[str, str], list[SheetLine]] = defaultdict(list)
    for line in report.lines:
        groups[(line.period, line.person)].append(line)
    # A malformed row whose month cannot be read may belong to any of its person's months.
    tainted_people = {person for period, person in malformed if not Period.is_valid(period)}
    for (period, person), lines in sorted(groups.items()):
        totals = [ln for ln in lines if ln.item == "total"]
        if not totals:
            continue
        if (period, person) in malformed or person in tainted_people:
            report.totals_skipped += 1  # a row of this month could not be read: no sum to check
            continue
        report.totals_checked += 1
        if len(totals) > 1:
            add(totals[1], "total_duplicate", "item", _("%(p)s %(m)s 有多个合计行(第 %(r)d 行已有)。")
                % {"p": person, "m": period, "r": totals[0].row}, row_level=False)
            continue
        total = totals[0]
        summed = sum((ln.amount for ln in lines if ln.item != "total"), ZERO)
        if summed != total.amount:
            add(total, "total_mismatch", "amount",
                _("%(p)s %(m)s 各行合计 %(s)s 元,合计行为 %(t)s 元,相差 %(d)s 元。")
                % {"p": person, "m": period, "s": format_money(summed), "t": format_money(total.amount),
                   "d": format_money(total.amount - summed)}, row_level=False)
    return bad_rows


# ---------------------------------------------------------------------------------------------
# 3. 抽样比对: the real engine recomputes each line
# ---------------------------------------------------------------------------------------------
def compare(report: Report, *, rules: ce.RuleBook, branch: ce.BranchRef, skip_rows: set[int],
            known_clients: Mapping[str, KnownClient]) -> None:
    """Recompute every line that passed the first two checks with `commissions.engine` under
    `rules`, as the branch's own work in its months, and list each line whose figure differs."""
    client_ids: dict[str, int] = {}

    def cid(name: str) -> int:
        return client_ids.setdefault(name, len(client_ids) + 1)

    opening_of: dict[str, SheetLine] = {}
    for ln in report.lines:
        mismatched = ln.client in known_clients and ln.row in skip_rows  # the product's record counts
        if ln.item == "opening_reward" and ln.client not in opening_of and not mismatched:
            opening_of[ln.client] = ln
    opened_day = {name: k.opened_on for name, k in known_clients.items()}
    opened_day.update({name: ln.opened_on for name, ln in opening_of.items()})
    to_compare = [ln for ln in report.lines if ln.item != "total" and ln.row not in skip_rows]
    report.not_compared = sum(1 for ln in report.lines if ln.item != "total" and ln.row in skip_rows)
    report.compared = len(to_compare)

    # 开户 events: the sheet's openings, and the branch's own clients whose retention is claimed.
    openings: list[ce.Opening] = [
        ce.Opening(branch=branch, client_id=cid(name), earner_id=ln.earner_id, headcount=ln.headcount,
                   opened_on=ln.opened_on) for name, ln in opening_of.items()]
    for ln in to_compare:
        if ln.item == "retention_bonus" and ln.client not in opening_of and ln.client not in client_ids:
            k = known_clients[ln.client]
            openings.append(ce.Opening(branch=branch, client_id=cid(ln.client), earner_id=ln.earner_id,
                                       headcount=k.headcount, opened_on=k.opened_on, closed_on=k.closed_on))
    sales_by_period: dict[str, list[ce.Sale]] = defaultdict(list)
    for ln in to_compare:
        if ln.item == "sales_commission":
            sales_by_period[ln.period].append(ce.Sale(
                branch=branch, sale_id=ln.row, client_opened_on=opened_day[ln.client], service=ln.service,
                period=ln.period, amount=ln.billed, earner_id=ln.earner_id))
    home = {e: branch.id for e in {ln.earner_id for ln in report.lines} | {o.earner_id for o in openings}}

    # One engine run per month: the month's sales and openings; every opening in a month with a
    # retention line to check (the anniversary decides).
    retention_periods = {ln.period for ln in to_compare if ln.item == "retention_bonus"}
    periods = set(sales_by_period) | retention_periods | {ce.period_of(o.opened_on) for o in openings}
    engine_lines: dict[tuple, ce.Line] = {}
    for period in sorted(periods):
        month_openings = openings if period in retention_periods else [
            o for o in openings if ce.period_of(o.opened_on) == period]
        for line in ce.compute_period(period=period, home_branch_id=branch.id, earner_home=home,
                                      openings=month_openings, sales=sales_by_period.get(period, ()), rules=rules):
            _code, kind, event = line.source.split(":")
            month = line.period if line.component == "retention_bonus" else None
            engine_lines[(line.component, kind, int(event), month)] = line

    for ln in to_compare:
        if ln.item == "sales_commission":
            key = ("sales_commission", "sale", ln.row, None)
        elif ln.item == "opening_reward":
            key = ("opening_reward", "client", client_ids[ln.client], None)
        else:
            key = ("retention_bonus", "client", client_ids.get(ln.client, 0), ln.period)
        want = engine_lines.get(key)
        if want is not None and want.amount == ln.amount:
            continue
        report.compare.append(Issue(
            COMPARE, ln.item, ln.row, ln.period, ln.person, str(FIELD_LABELS["amount"]),
            explain_difference(ln, want, rules=rules, opened_on=opened_day[ln.client]),
            sheet=f"{ln.amount:.2f}", engine=f"{want.amount:.2f}" if want is not None else ""))


def _tier_of_amount(rule: OpeningRewardRule, amount: Decimal) -> tuple[int, int | None] | None:
    low = 1
    for tier in rule.tiers:
        if tier.amount == amount:
            return (low, tier.max_headcount)
        low = (tier.max_headcount or low) + 1
    return None


def _tier_of_headcount(rule: OpeningRewardRule, headcount: int) -> tuple[int, int | None]:
    low = 1
    for tier in rule.tiers:
        if tier.max_headcount is None or headcount <= tier.max_headcount:
            return (low, tier.max_headcount)
        low = tier.max_headcount + 1
    return (low, None)


def _adjustment_words(line: ce.Line) -> str:
    if not line.adjustment_percent:
        return ""
    sign = "+" if line.adjustment_percent > 0 else ""
    return _(",含分支浮动 %(s)s%(p)s") % {"s": sign, "p": format_percent(line.adjustment_percent)}


def explain_difference(ln: SheetLine, want: ce.Line | None, *, rules: ce.RuleBook, opened_on: dt.date) -> str:
    """Why the sheet's figure is not the rules' figure, in the users' words, e.g.
    "表格按 51–100 人档 1,200.00 元,规则应为 1–50 人档 800.00 元:员工人数 36"."""
    sheet = format_money(ln.amount)
    if ln.item == "opening_reward":
        v = version_in_force(list(rules.versions), "opening_reward", ln.opened_on)
        if want is None or v is None:
            return _("表格为 %(s)s 元,规则不产生开户奖励:开户日期 %(d)s 没有生效的开户奖励方案。") % {
                "s": sheet, "d": ln.opened_on.isoformat()}
        sheet_tier = _tier_of_amount(v.rule, ln.amount)
        said = (_("表格按 %(t)s %(s)s 元") % {"t": tier_words(sheet_tier), "s": sheet} if sheet_tier
                else _("表格为 %(s)s 元") % {"s": sheet})
        return _("%(said)s,规则应为 %(t)s %(w)s 元%(adj)s:员工人数 %(n)d。") % {
            "said": said, "t": tier_words(_tier_of_headcount(v.rule, ln.headcount)), "w": format_money(want.amount),
            "adj": _adjustment_words(want), "n": ln.headcount}
    if ln.item == "sales_commission":
        v = version_in_force(list(rules.versions), "sales_commission", ce.period_start(ln.period))
        service = _service_words(ln.service)
        if want is None or v is None:
            return _("表格为 %(s)s 元,规则不产生此项:%(m)s 没有%(svc)s的提成费率。") % {
                "s": sheet, "m": ln.period, "svc": service}
        new = ce.is_new_client(opened_on, ln.period, v.rule)
        implied = (ln.amount * 100 / ln.billed).quantize(Decimal("0.01")) if ln.billed else ZERO
        return _("表格 %(s)s 元(相当于 %(ir)s),规则应为 %(w)s 元:%(svc)s 计费 %(b)s 元 × %(r)s%(adj)s,"
                 "%(kind)s(开户 %(d)s)。") % {
            "s": sheet, "ir": format_percent(implied), "w": format_money(want.amount), "svc": service,
            "b": format_money(ln.billed), "r": format_percent(want.rate), "adj": _adjustment_words(want),
            "kind": _("新客户") if new else _("老客户"), "d": opened_on.isoformat()}
    if want is None:
        return _("表格为 %(s)s 元,规则在 %(m)s 不产生留存奖励:客户开户于 %(d)s,周年月不在本月或客户已终止。") % {
            "s": sheet, "m": ln.period, "d": opened_on.isoformat()}
    return _("表格为 %(s)s 元,规则应为 %(w)s 元:开户奖励 %(b)s 元 × %(r)s%(adj)s。") % {
        "s": sheet, "w": format_money(want.amount), "b": format_money(want.base), "r": format_percent(want.rate),
        "adj": _adjustment_words(want)}


def _service_words(service: str) -> str:
    return str(SERVICES.get(service, ""))


def run_checks(rows: list[tuple[int, list[str]]], mapping: Mapping[str, int | None], *,
               people: Mapping[str, int | None], known_clients: Mapping[str, KnownClient],
               rules: ce.RuleBook, branch: ce.BranchRef) -> Report:
    """The three checks in order; see the module docstring."""
    report = Report()
    format_check(rows, mapping, people, report)
    good = {ln.row for ln in report.lines}
    malformed = set()
    for number, cells in rows:
        if number not in good:
            def cell(fld):
                i = mapping.get(fld)
                return cells[i].strip() if i is not None and i < len(cells) and cells[i] else ""
            malformed.add((cell("period"), cell("person")))
    skip = logic_check(report, known_clients=known_clients, malformed=malformed)
    compare(report, rules=rules, branch=branch, skip_rows=skip, known_clients=known_clients)
    return report


def statements_compare(lines: Iterable[SheetLine], *, period: str, system: Mapping[int, Decimal],
                       names: Mapping[int, str]) -> list[dict]:
    """The parallel run's other question: per person, the sheet's lines of `period` against the
    statement the system computed from what was recorded (its own events). Only people whose
    figures differ are listed (a person on one side only counts as 0.00 on the other)."""
    sheet: dict[int, Decimal] = defaultdict(lambda: ZERO)
    written: dict[int, str] = {}
    for ln in lines:
        if ln.period == period and ln.item != "total":
            sheet[ln.earner_id] += ln.amount
            written.setdefault(ln.earner_id, ln.person)
    out = []
    for earner in sorted(set(sheet) | set(system), key=lambda e: written.get(e) or names.get(e, "")):
        mine, theirs = system.get(earner, ZERO), sheet.get(earner, ZERO)
        if mine != theirs:
            out.append({"person": written.get(earner) or names.get(earner, ""), "sheet": f"{theirs:.2f}",
                        "system": f"{mine:.2f}", "difference": f"{mine - theirs:.2f}"})
    return out
