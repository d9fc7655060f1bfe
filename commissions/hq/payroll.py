"""The commission summary of a locked period (HQ finance): one row per person with a payout,
then a totals row; CSV (UTF-8 with BOM, what Excel in China opens) or XLSX. A file for people,
in the files' forms (hrsaas/exports.py); the bank and payroll import files are `payouts.files`.

Amounts are read from the frozen statement lines of each branch (the rollup is a derived copy;
a file that money moves on is built from the source). Only closed or paid branch-periods are
exported: an open period's figures can still change."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.http import Http404
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from branches.models import Branch, User
from hrsaas import exports
from hrsaas.core.period import Period
from hrsaas.money import ZERO, quantize_money

from .models import BranchPeriod
from .selectors import FROZEN


@dataclass(frozen=True)
class PayrollRow:
    branch: str  # branch code (the order)
    username: str
    display_name: str
    amount: Decimal
    period: str
    branch_name: str = ""  # what the file says: people read 北京分公司, not a code
    employee_number: str = ""  # 工号 from the payment data (a file for people names no accounts)


def locked_branches(*, period: str, branch: Branch | None = None) -> list[Branch]:
    """The branches whose `period` is closed or paid (only `branch`, if given), by code."""
    qs = BranchPeriod.objects.filter(period=period, status__in=FROZEN).select_related("branch")
    if branch is not None:
        qs = qs.filter(branch=branch)
    return sorted((bp.branch for bp in qs), key=lambda b: b.code)


def payroll_rows(*, period: str, branch: Branch | None = None) -> list[PayrollRow]:
    """Everyone with a non-zero payout in `period` of the locked branch(es); Http404 when no
    branch has locked that period (an open period is never exported)."""
    targets = locked_branches(period=period, branch=branch)
    if not targets:
        raise Http404
    from ..models import StatementLine

    per_branch: list[tuple[Branch, list[tuple[int, Decimal]]]] = []
    for b in targets:  # one grouped query per locked branch
        with schema_context(b.schema_name):
            sums = list(StatementLine.objects.filter(period=period).values("earner_id")
                        .annotate(total=Sum("amount")).values_list("earner_id", "total"))
        per_branch.append((b, sums))
    from .models import PaymentProfile

    ids = {earner for _b, sums in per_branch for earner, _t in sums}
    users = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    numbers = dict(PaymentProfile.objects.filter(user_id__in=ids).values_list("user_id", "employee_number"))
    rows = []
    for b, sums in per_branch:
        for earner_id, total in sums:
            if not total:
                continue
            u = users.get(earner_id)
            rows.append(PayrollRow(b.code, u.username if u else str(earner_id), u.label if u else "",
                                   quantize_money(total), period, b.name, numbers.get(earner_id, "")))
    return sorted(rows, key=lambda r: (r.branch, r.username))


def headers() -> list[str]:
    return [_("分支机构"), _("工号"), _("姓名"), _("金额(元)"), _("期间")]


def _total_row(rows: list[PayrollRow], period: str) -> list:
    return [_("合计(%(n)d 人)") % {"n": len(rows)}, "", "", total_of(rows), Period.parse(period)]


def _cells(r: PayrollRow) -> list:
    return [r.branch_name, r.employee_number, r.display_name, r.amount, Period.parse(r.period)]


def total_of(rows: list[PayrollRow]) -> Decimal:
    return sum((r.amount for r in rows), ZERO)


def payroll_csv(rows: list[PayrollRow], period: str) -> bytes:
    """CSV in UTF-8 with BOM, read by people (the payroll import file is
    `payouts.files`): amounts and the month in the files' forms (3,800.00, 2026年3月), names
    escaped by the one export writer."""
    return exports.csv_bytes([headers()] + [_cells(r) for r in rows] + [_total_row(rows, period)])


def payroll_xlsx(rows: list[PayrollRow], period: str) -> bytes:
    from openpyxl.styles import Font

    sheet = exports.Sheet(period)
    ws = sheet.ws
    sheet.append(headers())
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        sheet.append(_cells(r))
    sheet.append(_total_row(rows, period))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for col, width in zip("ABCDE", (16, 18, 16, 16, 16)):
        ws.column_dimensions[col].width = width
    return sheet.bytes()
