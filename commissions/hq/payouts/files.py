"""Payout files of a closed (or paid) period, built from the frozen statement lines:

- the bank batch file (银行批量代发): one row per person and branch — 收款人姓名, 收款账号, 开户行,
  金额, 用途 — the columns Chinese banks' batch-payment templates ask for;
- the payroll import file (薪资系统导入): one row per person and component — 工号, 姓名, 身份证号,
  所属期, 提成项目, 金额 — each component a salary item.

Before a file is built, its figures are checked against the statements of each branch (count of
people and total to the fen); a mismatch or anyone without payment data stops the file with a
list of who, by name. Neither file has a totals row: a bank or payroll import would read it as
one more payee. The count and total are on a second sheet (XLSX) and on the page.

CSV amounts are plain (1200.00) because an import reads them; XLSX amounts are numbers shown
with separators (#,##0.00). Every text cell goes through `_cell` (formula-injection escaping,
one call site)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.http import Http404
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from branches.models import Branch, User
from hrsaas import exports
from hrsaas.money import ZERO, quantize_money
from social_insurance.crypto import decrypt_identity

from .. import payroll
from ..models import PaymentProfile


def _cell(value: str) -> str:
    """A text cell of a payout file (a name or bank typed by people must never run as a
    spreadsheet formula): the one escaping helper of every export."""
    return exports.safe_cell(value)


def component_title(component: str) -> str:
    from ...services import COMPONENT_TITLES

    return COMPONENT_TITLES.get(component, "提成")  # a salary item name, Chinese like the columns


@dataclass(frozen=True)
class BankRow:
    branch: Branch
    payee: str
    account: str
    bank: str
    amount: Decimal
    purpose: str


@dataclass(frozen=True)
class PayrollItemRow:
    branch: Branch
    employee_number: str
    name: str
    id_number: str
    period: str
    item: str
    amount: Decimal


class PayoutBlocked(Exception):
    """The file cannot be built; `problems` say why in words (who lacks data, by name)."""

    def __init__(self, problems: list[str], missing: list[User] | None = None):
        super().__init__("; ".join(problems))
        self.problems = problems
        self.missing = missing or []


@dataclass(frozen=True)
class BranchFigures:
    branch: Branch
    statements: int  # people with a statement line in the period (the finance page's 人数)
    total: Decimal
    lines: dict[tuple[int, str], Decimal]  # (earner, component) → amount


def _figures(period: str, branch: Branch | None) -> list[BranchFigures]:
    from ...selectors import payout_summary
    from ...models import StatementLine

    targets = payroll.locked_branches(period=period, branch=branch)
    if not targets:
        raise Http404
    out = []
    for b in targets:
        with schema_context(b.schema_name):
            summary = payout_summary(period)
            lines = {(e, c): t for e, c, t in StatementLine.objects.filter(period=period)
                     .values("earner_id", "component").annotate(t=Sum("amount")).values_list("earner_id", "component", "t")}
        out.append(BranchFigures(b, summary.statements, quantize_money(summary.total), lines))
    return out


def _profiles(figures: list[BranchFigures]) -> tuple[dict[int, User], dict[int, PaymentProfile]]:
    ids = {e for f in figures for (e, _c) in f.lines}
    users = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    profiles = {p.user_id: p for p in PaymentProfile.objects.filter(user_id__in=ids)}
    return users, profiles


def _check_missing(figures, users, profiles, needed: set[tuple[int, int]]) -> None:
    """Everyone in `needed` ((branch id, earner id)) needs payment data; the message names them
    with their branch."""
    by_branch = {f.branch.pk: f.branch for f in figures}
    missing = [(by_branch[b], users.get(e)) for b, e in needed if e not in profiles]
    if missing:
        names = "、".join(sorted({f"{u.label if u else _('已删除的人员')}({b.name})" for b, u in missing}))
        raise PayoutBlocked([_("以下人员缺少发放信息(工号、身份证号、开户行或收款账号),不能生成文件:%(names)s。"
                               "请先在“人员发放信息”中补全。") % {"names": names}],
                            missing=[u for _b, u in missing if u is not None])


def _per_person(f: BranchFigures) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for (e, _c), amount in f.lines.items():
        out[e] = out.get(e, ZERO) + amount
    return out


def _check_against_statements(f: BranchFigures, file_total: Decimal, kind: str) -> None:
    """The file's total must be the statements' total of the branch to the fen, and the people
    read must be the statements counted (a file money moves on is never 'nearly right')."""
    if len(_per_person(f)) != f.statements:
        raise PayoutBlocked([_("%(b)s 的%(k)s人数 %(n)d 与提成单 %(s)d 份不一致,未生成文件。") % {
            "b": f.branch.name, "k": kind, "n": len(_per_person(f)), "s": f.statements}])
    if quantize_money(file_total) != f.total:
        raise PayoutBlocked([_("%(b)s 的%(k)s合计 %(t)s 元与提成单合计 %(s)s 元不一致,未生成文件。") % {
            "b": f.branch.name, "k": kind, "t": f"{file_total:,.2f}", "s": f"{f.total:,.2f}"}])


def bank_rows(*, period: str, branch: Branch | None = None) -> list[BankRow]:
    """One row per person and branch with a positive total. A person whose month nets below zero
    (corrections) cannot be paid by the bank: the file is refused, naming them. The rows' total
    equals the statements' total of every branch, to the fen, or nothing is built."""
    figures = _figures(period, branch)
    users, profiles = _profiles(figures)
    _check_missing(figures, users, profiles,
                   {(f.branch.pk, e) for f in figures for e, t in _per_person(f).items() if t > 0})
    purpose = f"{int(period[:4])}年{int(period[5:7])}月提成"  # 用途 as the bank prints it, in Chinese
    rows: list[BankRow] = []
    negative: list[str] = []
    for f in figures:
        for e, total in _per_person(f).items():
            if total < 0:
                negative.append(f"{users[e].label if e in users else e}({f.branch.name}){total:,.2f} 元")
            elif total > 0:
                p = profiles[e]
                rows.append(BankRow(f.branch, p.account_name, decrypt_identity(p.account_enc),
                                    f"{p.bank_name}{p.bank_branch}", quantize_money(total), purpose))
        if negative:
            continue
        _check_against_statements(f, sum((r.amount for r in rows if r.branch == f.branch), ZERO), _("代发"))
    if negative:
        raise PayoutBlocked([_("以下人员本期合计为负数,银行不能代发,请先处理更正:%(n)s。") % {"n": "、".join(negative)}])
    return sorted(rows, key=lambda r: (r.branch.code, r.payee, r.account))


def payroll_item_rows(*, period: str, branch: Branch | None = None) -> list[PayrollItemRow]:
    """One row per person, branch and component (a salary item; corrections may be negative)."""
    figures = _figures(period, branch)
    users, profiles = _profiles(figures)
    _check_missing(figures, users, profiles, {(f.branch.pk, e) for f in figures for (e, _c), a in f.lines.items() if a})
    rows: list[PayrollItemRow] = []
    for f in figures:
        mine = []
        for (e, component), amount in f.lines.items():
            if amount == 0:
                continue
            p = profiles[e]
            mine.append(PayrollItemRow(f.branch, p.employee_number, p.account_name, decrypt_identity(p.id_number_enc),
                                       period, component_title(component), quantize_money(amount)))
        _check_against_statements(f, sum((r.amount for r in mine), ZERO), _("薪资导入"))
        rows += mine
    return sorted(rows, key=lambda r: (r.branch.code, r.employee_number, r.item))


def total_of(rows) -> Decimal:
    return sum((r.amount for r in rows), ZERO)


# The files' columns are the banks' and payroll systems' own (Chinese) names whatever the page
# language: an import matches them by name, so they are not translated.
BANK_HEADERS = ["收款人姓名", "收款账号", "开户行", "金额", "用途"]
PAYROLL_HEADERS = ["工号", "姓名", "身份证号", "所属期", "提成项目", "金额"]


def bank_headers() -> list[str]:
    return list(BANK_HEADERS)


def payroll_headers() -> list[str]:
    return list(PAYROLL_HEADERS)


def _bank_cells(r: BankRow) -> list:
    return [_cell(r.payee), r.account, _cell(r.bank), r.amount, _cell(r.purpose)]


def _payroll_cells(r: PayrollItemRow) -> list:
    return [_cell(r.employee_number), _cell(r.name), r.id_number, r.period, _cell(r.item), r.amount]


def to_csv(headers: list[str], rows: list[list]) -> bytes:
    """UTF-8 with BOM (what Excel in China opens); amounts as plain numbers with two decimals,
    which is what an import reads (the XLSX is the file to open by hand: it keeps account and
    identity numbers as text)."""
    return exports.csv_bytes([headers, *([f"{c:.2f}" if isinstance(c, Decimal) else c for c in cells]
                                         for cells in rows)])


def to_xlsx(headers: list[str], rows: list[list], *, title: str, count: int, total: Decimal,
            text_columns: tuple[int, ...]) -> bytes:
    """Account and identity numbers are text cells (a number would lose digits past 15)."""
    from openpyxl.styles import Font

    sheet = exports.Sheet(title)
    ws = sheet.ws
    sheet.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    money_col = headers.index("金额") + 1
    for cells in rows:
        sheet.append(cells)
        for col in text_columns:
            ws.cell(row=ws.max_row, column=col).number_format = "@"
        ws.cell(row=ws.max_row, column=money_col).number_format = "#,##0.00"
    for i, _h in enumerate(headers):
        ws.column_dimensions[chr(ord("A") + i)].width = 22
    summary = ws.parent.create_sheet("汇总")  # our own labels and figures only
    summary.append(["笔数", count])
    summary.append(["合计金额", total])
    summary["B2"].number_format = "#,##0.00"
    return sheet.bytes()


def bank_file(rows: list[BankRow], fmt: str, period: str) -> bytes:
    cells = [_bank_cells(r) for r in rows]
    if fmt == "csv":
        return to_csv(bank_headers(), cells)
    return to_xlsx(bank_headers(), cells, title=period, count=len(rows), total=total_of(rows), text_columns=(2,))


def payroll_file(rows: list[PayrollItemRow], fmt: str, period: str) -> bytes:
    cells = [_payroll_cells(r) for r in rows]
    if fmt == "csv":
        return to_csv(payroll_headers(), cells)
    return to_xlsx(payroll_headers(), cells, title=period, count=len(rows), total=total_of(rows),
                   text_columns=(1, 3, 4))
