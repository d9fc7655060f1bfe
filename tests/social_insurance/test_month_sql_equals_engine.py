"""The month's set-based compute (social_insurance/sql.py) against the Python engine, on random
people: every city with a policy in force, every rounding mode (places and rule), fixed amounts
on either side, rates the person chooses (housing fund, work injury) and the items' own rates,
wages under the floor, at the bounds and over the ceiling, and starts and ends that make
additions (增员) and removals (减员) under each city's cut-off settings. Each line, each 增减员,
each statement and the month's totals must be exactly what the engine and the date rules give —
on the month's first compute (the load into a new partition) and on a recompute after changes
(the difference path)."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from social_insurance import engine, services
from social_insurance.models import ContributionLine, FeeStatement, InsuredEmployee, StaffChange
from social_insurance.policies.models import CityPolicy, CitySetting, PolicyItem
from social_insurance.policies.selectors import policy_rules
from tests.conftest import in_branch

from .helpers import add_employee, make_client

pytestmark = pytest.mark.django_db
M = "2025-08"
D = Decimal
CITIES = ["beijing", "shanghai", "guangzhou", "shenzhen", "hangzhou"]
MODES = [f"{unit}_{rule}{side}" for unit in ("fen", "jiao", "yuan") for rule in ("half_up", "up", "down")
         for side in ("", "_per_side")]
STARTS = ["2024-03-01", "2025-07-20", "2025-08-01", "2025-08-15", "2025-08-16", "2025-08-31", "2025-09-02"]
ENDS = [None, None, None, "2025-07-31", "2025-08-10", "2025-08-31", "2025-09-05"]


def _policies_in_force():
    day = engine.month_start(M)
    return CityPolicy.objects.filter(city__in=CITIES, effective_from__lte=day).exclude(effective_to__lt=day)


def _vary_items(rng: random.Random) -> None:
    """Every item of the month's policies gets a random rounding mode, and some a fixed amount on
    one side or both."""
    for item in PolicyItem.objects.filter(policy__in=_policies_in_force()):
        PolicyItem.objects.filter(pk=item.pk).update(
            rounding=rng.choice(MODES), employer_fixed=D(rng.choice(["0", "0", "2.50", "3"])),
            employee_fixed=D(rng.choice(["0", "0", "0.35", "3"])))


def _wage(rng: random.Random, rule) -> str:
    pension = rule.item("pension")
    choices = [D("1800.00"), pension.base_floor, pension.base_floor - D("0.01"),
               D(rng.randint(300000, 6000000)) / 100, D("99999.99")]
    if pension.base_ceiling is not None:
        choices += [pension.base_ceiling, pension.base_ceiling + D("0.01")]
    return str(rng.choice(choices))


def _own_rates(rng: random.Random, rule) -> dict:
    extra = {}
    hf, injury = rule.item("housing_fund"), rule.item("work_injury")
    if hf is not None and hf.rate_range and rng.random() < 0.5:
        low, high = hf.rate_range
        extra["housing_fund_percent"] = str(rng.randint(int(low), int(high)))
    if injury is not None and injury.employer_range and rng.random() < 0.5:
        low, high = injury.employer_range
        extra["injury_rate"] = str(D(rng.randint(int(low * 100), int(high * 100))) / 100)
    return extra


def _expected(people) -> tuple[dict, set, dict]:
    """Lines by (employee, kind), 增减员 and (people, employer, employee) per client, from the
    engine and the date rules."""
    settings = {s.city: s for s in CitySetting.objects.all()}
    rules = policy_rules()
    lines, changes, per_client = {}, set(), {}
    for emp in InsuredEmployee.objects.filter(pk__in=[p.pk for p in people]):
        s = settings.get(emp.insured_city)
        cutoff, covers = (s.add_cutoff_day, s.remove_covers_leaving_month) if s else (None, False)
        first = engine.first_insured_month(emp.start_date, cutoff)
        last = engine.last_insured_month(emp.end_date, covers) if emp.end_date else "9999-12"
        if last >= first and first == M:
            changes.add((emp.pk, "add", emp.start_date))
        if emp.end_date and last >= first and engine.add_months(last, 1) == M:
            changes.add((emp.pk, "remove", emp.end_date))
        if not first <= M <= last:
            continue
        due = engine.contribution_for(engine.policy_for_month(rules, emp.insured_city, M), emp.wage,
                                      housing_fund_percent=emp.housing_fund_percent, injury=emp.injury_rate)
        for a in due.items:
            lines[(emp.pk, a.kind)] = (emp.client_id, emp.wage, a.base, a.employer_percent, a.employee_percent,
                                       a.employer_precise, a.employee_precise, a.employer, a.employee)
        n, er, ee = per_client.get(emp.client_id, (0, D(0), D(0)))
        per_client[emp.client_id] = (n + 1, er + due.employer_total, ee + due.employee_total)
    return lines, changes, per_client


def _assert_month_equals_engine(people, cycle) -> None:
    lines, changes, per_client = _expected(people)
    got = {(l.employee_id, l.kind): (l.client_id, l.wage, l.base, l.employer_percent, l.employee_percent,
                                     l.employer_precise, l.employee_precise, l.employer_amount, l.employee_amount)
           for l in ContributionLine.objects.filter(period=M, source="regular")}
    assert got == lines
    assert {(c.employee_id, c.kind, c.effective_date) for c in StaffChange.objects.filter(period=M)} == changes
    statements = {s.client_id: (s.employee_count, s.employer_total, s.employee_total)
                  for s in FeeStatement.objects.filter(period=M) if s.employee_count or s.total}
    assert statements == per_client
    assert (cycle.employee_count, cycle.employer_total, cycle.employee_total) == (
        sum(v[0] for v in per_client.values()), sum(v[1] for v in per_client.values()),
        sum(v[2] for v in per_client.values()))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_months_lines_changes_and_totals_equal_the_engine(staff, seed):
    rng = random.Random(seed)
    _vary_items(rng)
    CitySetting.objects.update_or_create(city="shanghai", defaults={"add_cutoff_day": 15,
                                                                    "remove_covers_leaving_month": True})
    CitySetting.objects.update_or_create(city="shenzhen", defaults={"add_cutoff_day": 25})
    rules = {city: engine.policy_for_month(policy_rules(), city, M) for city in CITIES}
    with in_branch("bj"):
        clients = [make_client(f"客户{i}", staff) for i in range(3)]
        people = []
        for n in range(1, 61):
            city = CITIES[n % len(CITIES)]
            start = rng.choice(STARTS)
            end = rng.choice(ENDS)
            if end is not None and end < start:
                end = None
            people.append(add_employee(rng.choice(clients), n, _wage(rng, rules[city]), start, end, city=city,
                                       actor=staff, **_own_rates(rng, rules[city])))
        cycle = services.month_compute(actor=staff, period=M)
        assert ContributionLine.objects.filter(period=M).count() > 100
        assert {c.kind for c in StaffChange.objects.filter(period=M)} == {"add", "remove"}
        _assert_month_equals_engine(people, cycle)

        # A recompute after wages, rates and dates changed: the difference path, same answer.
        for emp in rng.sample(people, 20):
            city = emp.insured_city
            InsuredEmployee.objects.filter(pk=emp.pk).update(
                wage=D(_wage(rng, rules[city])), client=rng.choice(clients),
                start_date=dt.date.fromisoformat(rng.choice(STARTS[:3])), end_date=None,
                **{k: D(v) for k, v in _own_rates(rng, rules[city]).items()})
        cycle = services.month_compute(actor=staff, period=M)
        _assert_month_equals_engine(people, cycle)
