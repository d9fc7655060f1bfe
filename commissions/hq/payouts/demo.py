"""Demo: HQ finance's side of the month. Every earner has payment data (工号, ID number, bank
account), and each branch's manager has closed the earliest demo month, so that `finance` finds a
closed period to confirm and pay, with its payroll and bank files (README, the first ten minutes).
Runs after the other demo apps (the month's business is recorded before it is closed); seeding
again changes nothing."""
from __future__ import annotations

from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

BANKS = [("中国工商银行", "{city}分行营业部", "622202"), ("中国建设银行", "{city}分行营业部", "621700"),
         ("招商银行", "{city}分行营业部", "621483")]
CITY_NAMES = {"beijing": "北京", "shanghai": "上海", "guangzhou": "广州"}
REGIONS = {"beijing": "110105", "shanghai": "310104", "guangzhou": "440106"}


def _luhn_completed(digits: str) -> str:
    """`digits` followed by its Luhn check digit (a bank card number that validates)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return digits + str((10 - total % 10) % 10)


def seed(org) -> None:
    from commissions.hq.models import BranchPeriod
    from commissions.engine import add_months, period_of
    from commissions.services import period_close
    from social_insurance.engine import identity_check_char

    from commissions.hq.models import PaymentProfile
    from .services import payment_profile_save

    connection.set_schema_to_public()
    n = 0
    for code, roles in org.people.items():
        branch = org.branches[code]
        for role in ("specialist", "marketing", "sales"):
            for user in roles.get(role, []):
                n += 1
                if PaymentProfile.objects.filter(user=user).exists():
                    continue
                bank, bank_branch, bin_ = BANKS[n % len(BANKS)]
                first17 = f"{REGIONS.get(branch.city, '110105')}19{80 + n % 20:02d}{1 + n % 12:02d}{1 + n % 28:02d}{n:03d}"
                payment_profile_save(actor=org.finance, user_id=user.pk, data={
                    "employee_number": f"{code[:2].upper()}-{n:04d}", "account_name": user.display_name,
                    "id_number": first17 + identity_check_char(first17), "bank_name": bank,
                    "bank_branch": bank_branch.format(city=CITY_NAMES.get(branch.city, "")),
                    "account_number": _luhn_completed(f"{bin_}{n:012d}")})
    period = period_of(add_months(timezone.localdate().replace(day=1), -2))
    for code, branch in org.branches.items():
        if BranchPeriod.objects.filter(branch=branch, period=period).exclude(status=BranchPeriod.Status.OPEN).exists():
            continue
        with schema_context(branch.schema_name):
            period_close(actor=org.people[code]["branch_manager"][0], period=period)
        connection.set_schema_to_public()
