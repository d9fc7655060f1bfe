"""Demo data for 社保/公积金: three client companies and 30 insured employees per branch, with
realistic wages, a few joiners and leavers, and the last and current months computed.
Idempotent: clients by name, employees by identity hash."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tenants.utils import schema_context

from . import engine, services
from .crypto import identity_hashes

REGIONS = {"beijing": "110105", "shanghai": "310104", "guangzhou": "440106"}
# Companies of their own: none is a near-namesake of the commission demo's clients (commissions.demo
# COMPANIES, "北京华信科技" …), which would sit side by side in every client picker.
CLIENTS = ["{city}瑞丰电子有限公司", "{city}安和物业管理有限公司", "{city}明德教育咨询有限公司"]
CITY_NAMES = {"beijing": "北京", "shanghai": "上海", "guangzhou": "广州"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超"]
WAGES = ["4800", "6500", "7800", "8500", "9200", "10500", "12000", "13800", "15000", "16500",
         "18000", "21000", "25000", "30000", "42000"]


def _identity(region: str, i: int) -> str:
    born = dt.date(1975, 1, 1) + dt.timedelta(days=397 * i)
    first17 = f"{region}{born:%Y%m%d}{i % 1000:03d}"
    return first17 + engine.identity_check_char(first17)


def seed(org) -> None:
    from clients.models import Client

    from .models import ClientContact, InsuredEmployee

    today = timezone.localdate()
    this_month = engine.period_of(today)
    _carry_forward(org, engine.month_start(this_month))
    for code, branch in org.branches.items():
        city = branch.city if branch.city in REGIONS else "beijing"
        people = org.people.get(code, {})
        staff = (people.get("branch_staff") or [None])[0]
        opener = (people.get("specialist") or [staff])[0]
        with schema_context(branch.schema_name):
            clients = []
            for template in CLIENTS:
                name = template.format(city=CITY_NAMES[city])
                client = Client.objects.filter(name=name).first() or Client.objects.create(
                    name=name, headcount=10, opened_on=dt.date(2024, 3, 1), opened_by=opener,
                    services=["social_insurance", "housing_fund"], city=city)
                clients.append(client)
            for contact in people.get("client_contact", []):
                ClientContact.objects.get_or_create(user=contact, client=clients[0])
            for i in range(30):
                number = _identity(REGIONS[city], i + 1)
                if InsuredEmployee.objects.filter(id_number_hash__in=identity_hashes(number)).exists():
                    continue
                start = dt.date(2024, 7, 1) + dt.timedelta(days=37 * i)
                if start > today:
                    start = today.replace(day=1)
                end = None
                if i % 10 == 9:  # a few leavers
                    end = today.replace(day=1) - dt.timedelta(days=1 + i)
                    end = max(end, start)
                services.employee_create(actor=staff, data=services.EmployeeInput(
                    client=clients[i % 3].pk, name=SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)],
                    id_number=number, insured_city=city, wage=WAGES[i % len(WAGES)], start_date=start.isoformat(),
                    end_date=end.isoformat() if end else None,
                    contract_city=city if i != 4 else "shenzhen", payroll_city=city,
                    housing_fund_percent="5" if i % 2 else ("7" if city == "shanghai" else "12"),
                ))
            for period in (engine.add_months(this_month, -1), this_month):
                try:
                    services.month_compute(actor=staff, period=period)
                except Exception:  # a filed month (seed run again after filing) stays as filed
                    pass
            _demo_payment(staff, clients[0], engine.add_months(this_month, -1), today)


def _carry_forward(org, since: dt.date) -> None:
    """The demo's cities whose shipped data ends before `since` (this month) — the new policy
    year not yet in it — have their latest version kept in force until further notice, as HQ
    does until the new base is announced (沿用上年度基数; publishing it later posts the 补差).
    Audited as HQ's admin's step; cities with a version in force are left as shipped."""
    from social_insurance.policies.models import CityPolicy
    from social_insurance.policies.services import policy_extend

    for city in {branch.city if branch.city in REGIONS else "beijing" for branch in org.branches.values()}:
        latest = CityPolicy.objects.filter(city=city).order_by("-effective_from").first()
        if latest is not None and latest.effective_to is not None and latest.effective_to < since:
            policy_extend(actor=getattr(org, "admin", None), policy_id=latest.pk, effective_to=None)


def _demo_payment(staff, client, period: str, today) -> None:
    """The first client paid last month's fee statement today, after the agency's deadline: the
    client's pages show the payment and this month's statement its late fee (滞纳金); the other
    clients stay in arrears. Once per statement."""
    from .models import FeePayment, FeeStatement

    statement = FeeStatement.objects.filter(client=client, period=period).first()
    if staff is None or statement is None or statement.total <= 0 or FeePayment.objects.filter(statement=statement).exists():
        return
    services.fee_payment_record(actor=staff, statement_id=statement.pk, data={
        "amount": str(statement.total), "paid_on": today.isoformat(), "reference": f"DEMO-{period}"})
