"""A company's commission sheet (提成表) as people keep it, with known errors injected: the
benchmark (bench/history_compare.py) and the test suite build it at two sizes and assert that
the three checks report exactly the injected errors, each in its own check.

Layout (Chinese headers, in an order of the company's own): 月份, 姓名/账号, 项目, 客户名称, 员工人数,
档位, 开户日期, 服务, 计费金额, 提成金额; per person and month their lines, then their 合计 row.
Amounts follow the default rules (800/1,200/1,800 by tier; sales 2%/2%/5% for clients in their
first 12 months), so a clean sheet has no difference at all.

Injected (one row each, on distinct people, chosen so that one error never causes another):
- 格式: a billed amount written in words (十万元), a commission amount that is not a number,
  an impossible opening date (2月30日) of a client without sales, an impossible month (13月);
- 逻辑: a tier that contradicts the headcount (amount right for the headcount), a sale recorded
  the month before its client's opening, a person's 合计 100.00 more than their lines;
- 比对: an opening reward paid at the 51–100 tier for 36 employees, a sale at the existing
  client's rate (1% instead of 2%), a 薪酬外包 sale one fen off.
"""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from commissions.engine import line_amount, opening_reward_for
from commissions.hq.rules import DEFAULT_RULES, parse_rule
from hrsaas.core.period import Period

HEADER = ["月份", "账号", "项目", "客户名称", "员工人数", "档位", "开户日期", "服务", "计费金额", "提成金额"]
SERVICES = {"social_insurance": "社保代缴", "housing_fund": "公积金代缴", "payroll_outsourcing": "薪酬外包"}
_OPENING = parse_rule("opening_reward", DEFAULT_RULES["opening_reward"])
_SALES = parse_rule("sales_commission", DEFAULT_RULES["sales_commission"])
HUNDRED = Decimal(100)


def _tier_text(headcount: int) -> str:
    return "1–50人" if headcount <= 50 else ("51–100人" if headcount <= 100 else "101人以上")


def build_sheet(*, people: list[str], first_period: str, months: int, lines: int, seed: int = 7):
    """(header, rows, expected): `rows` are lists of cells (the data rows, row 2 onwards);
    `expected` is the set of (check, row, code) the checks must report and nothing else."""
    rnd = random.Random(seed)
    periods = [str(Period.parse(first_period).shifted(i)) for i in range(months)]
    person_months = [(p, who) for p in periods for who in people]
    budget = lines - len(person_months)  # one 合计 row per person-month
    openings_per = 3
    assert budget >= len(person_months) * (openings_per + 1), "too few lines for that many people and months"

    clients: dict[str, list[dict]] = {who: [] for who in people}
    plan: dict[tuple[str, str], list[dict]] = {pm: [] for pm in person_months}
    serial = 0
    for period, who in person_months:  # openings first: 3 per person-month
        for _ in range(openings_per):
            serial += 1
            headcount = rnd.choice([rnd.randint(5, 50), rnd.randint(51, 100), rnd.randint(101, 400)])
            start = Period.parse(period).first_day
            client = {"name": f"客户{serial:05d}有限公司", "headcount": headcount,
                      "opened_on": start + dt.timedelta(days=rnd.randint(0, 27)), "period": period,
                      "services": rnd.sample(list(SERVICES), rnd.randint(1, 3)), "sales": 0}
            clients[who].append(client)
            plan[(period, who)].append({"item": "开户奖励", "client": client})
    budget -= len(person_months) * openings_per
    # Sales: spread the rest over person-months, each from the person's clients opened by then.
    # The ninth person's clients of the last month get no sales (one of them gets an impossible
    # opening date below, and sales of a client that was never opened would be errors of their own).
    no_sales = {id(c) for c in clients[people[8]] if c["period"] == periods[-1]}
    slots = {pm: [(c, s) for c in clients[pm[1]] if c["period"] <= pm[0] and id(c) not in no_sales
                  for s in c["services"]] for pm in person_months}
    for pm in slots:
        rnd.shuffle(slots[pm])
    while budget > 0:
        progressed = False
        for pm in person_months:
            if budget and slots[pm]:
                client, service = slots[pm].pop()
                client["sales"] += 1
                plan[pm].append({"item": "销售提成", "client": client, "service": service,
                                 "billed": Decimal(rnd.randint(100_000, 50_000_000)) / HUNDRED})
                budget -= 1
                progressed = True
        assert progressed, "not enough client services for that many lines"

    # The injections, each on its own person (people[0..] in order).
    victims = iter(people)
    inject: dict[str, tuple] = {}

    def line_of(who, pred, period_choice=None):
        for period in (period_choice or periods[1:]):
            for line in plan[(period, who)]:
                if pred(line):
                    return period, line
        raise AssertionError("no line to inject into")

    sale = lambda ln: ln["item"] == "销售提成"  # noqa: E731
    for key in ("billed_words", "amount_text", "month_13", "commission_existing_rate", "commission_fen",
                "tier_headcount", "total_mismatch", "opening_tier_amount"):
        who = next(victims)
        if key == "opening_tier_amount" or key == "tier_headcount":
            period, line = line_of(who, lambda ln: ln["item"] == "开户奖励")
            line["client"]["headcount"] = 36
        elif key == "commission_fen":
            period, line = line_of(who, lambda ln: sale(ln) and ln["service"] == "payroll_outsourcing")
        elif key == "total_mismatch":
            period, line = periods[-1], None
        else:
            period, line = line_of(who, sale)
        inject[key] = (who, period, line)
        if line is not None:
            line[key] = True
    # An impossible opening date: a client without sales (its sales could not find their client).
    who = next(victims)
    period, line = line_of(who, lambda ln: ln["item"] == "开户奖励" and ln["client"]["sales"] == 0, periods)
    line["impossible_date"] = True
    inject["impossible_date"] = (who, period, line)
    # A sale recorded the month before its client's opening (added to that earlier month).
    who = next(victims)
    client = next(c for c in clients[who] if c["period"] > periods[0])
    before = str(Period.parse(client["period"]).previous())
    early = {"item": "销售提成", "client": client, "service": client["services"][0],
             "billed": Decimal("120000.00"), "sale_before_opening": True}
    plan[(before, who)].append(early)
    inject["sale_before_opening"] = (who, before, early)
    # Keep the line count: drop one ordinary sale of someone without an injection.
    spare = people[-1]
    for period in periods:
        plain = [ln for ln in plan[(period, spare)] if sale(ln) and len(ln) == 4]
        if plain:
            plan[(period, spare)].remove(plain[0])
            break

    rows: list[list] = []
    expected: set[tuple[str, int, str]] = set()
    for period, who in person_months:
        total = Decimal("0.00")
        for line in plan[(period, who)]:
            number = len(rows) + 2
            client = line["client"]
            if line["item"] == "开户奖励":
                amount = opening_reward_for(client["headcount"], _OPENING)
                tier = _tier_text(client["headcount"])
                opened = client["opened_on"]
                if line.get("tier_headcount"):
                    tier = "51–100人"
                    expected.add(("logic", number, "tier_headcount"))
                if line.get("opening_tier_amount"):
                    amount = Decimal("1200.00")
                    expected.add(("compare", number, "opening_reward"))
                if line.get("impossible_date"):
                    opened = f"{opened.year}-02-30"
                    expected.add(("format", number, "opened_on"))
                total += amount
                rows.append([period, who, "开户奖励", client["name"], client["headcount"], tier, opened, "", "",
                             amount])
                continue
            rates = {r.service: r for r in _SALES.rates}[line["service"]]
            amount = line_amount(line["billed"], rates.new, Decimal(0))
            billed, amount_cell, month = line["billed"], None, period
            if line.get("commission_existing_rate"):
                amount = line_amount(line["billed"], rates.existing, Decimal(0))
                expected.add(("compare", number, "sales_commission"))
            if line.get("commission_fen"):
                amount += Decimal("0.01")
                expected.add(("compare", number, "sales_commission"))
            if line.get("sale_before_opening"):
                expected.add(("logic", number, "sale_before_opening"))
            if line.get("billed_words"):
                billed = "十万元"
                expected.add(("format", number, "billed"))
            if line.get("amount_text"):
                amount_cell = "约2千"
                expected.add(("format", number, "amount"))
            if line.get("month_13"):
                month = f"{period[:4]}-13"
                expected.add(("format", number, "period"))
            total += amount
            rows.append([month, who, "销售提成", client["name"], "", "", "", SERVICES[line["service"]], billed,
                         amount_cell if amount_cell is not None else amount])
        if inject["total_mismatch"][:2] == (who, period):
            total += Decimal("100.00")
            expected.add(("logic", len(rows) + 2, "total_mismatch"))
        rows.append([period, who, "合计", "", "", "", "", "", "", total])
    assert len(rows) == lines, (len(rows), lines)
    return HEADER, rows, expected


def sheet_xlsx(header: list[str], rows: list[list]) -> bytes:
    """The sheet as an XLSX, written by the one export writer (hrsaas/exports.py)."""
    from hrsaas import exports

    sheet = exports.Sheet("提成表")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    return sheet.bytes()
