"""CSV/XLSX import of clients (开户) and sales: all-or-nothing, with a report of every bad row.

A file is parsed row by row with the same parsers as the API; if any row is bad nothing is
written and the report lists (row, column, message) for each problem. Otherwise every row is
written in one transaction and the totals read back from the database are compared with the
file's (rows, headcount or amount)."""
from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from clients.models import Client
from hrsaas import uploads

from . import inputs
from .models import Sale

MAX_ROWS = 20_000
HEADERS = {
    "clients": {"name": "name", "客户名称": "name", "headcount": "headcount", "员工人数": "headcount",
                "opened_on": "opened_on", "开户日期": "opened_on", "opened_by": "opened_by", "开户人": "opened_by",
                "services": "services", "服务": "services", "contract_no": "contract_no", "合同编号": "contract_no",
                "city": "city", "参保城市": "city", "grade": "grade", "客户等级": "grade",
                "credit_code": "credit_code", "统一社会信用代码": "credit_code"},
    "sales": {"client": "client", "客户": "client", "客户编号": "client", "service": "service", "服务": "service",
              "period": "period", "期间": "period", "amount": "amount", "金额": "amount", "seller": "seller",
              "销售": "seller", "销售人员": "seller", "add_service": "add_service", "新增服务": "add_service"},
}
REQUIRED = {"clients": ("name", "headcount", "opened_on", "opened_by"),
            "sales": ("client", "service", "period", "amount", "seller")}
# A missing column named as the import template heads it (the headers are Chinese in every language).
TEMPLATE_HEADERS = {"clients": {"name": "客户名称", "headcount": "员工人数", "opened_on": "开户日期", "opened_by": "开户人"},
                    "sales": {"client": "客户", "service": "服务", "period": "期间", "amount": "金额", "seller": "销售人员"}}


def read_rows(name: str, upload) -> uploads.Table:
    """The header and data rows of an upload (bytes or a file), through the one bounded reader:
    size, row and column caps are enforced while reading (hrsaas/uploads.py).
    data_only=False: a formula cell reads as its formula ("=…") and is refused below."""
    return uploads.read_table(upload, filename=name, max_rows=MAX_ROWS, data_only=False)


def cell_text(value):
    """A cell as the text a person reads: dates as YYYY-MM-DD, whole floats without ".0"."""
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _records(kind: str, table: uploads.Table) -> tuple[list[tuple[int, dict]], list[dict]]:
    header = [HEADERS[kind].get(cell_text(h).lower() if cell_text(h).isascii() else cell_text(h)) for h in table.header]
    missing = [c for c in REQUIRED[kind] if c not in header]
    if missing:
        raise ValidationError({"file": [_("缺少列:%(columns)s。") % {
            "columns": _("、").join(TEMPLATE_HEADERS[kind][c] for c in missing)}]})
    records, formulas = [], []
    for number, row in table.rows:  # row numbers as a spreadsheet shows them
        if all(cell_text(v) == "" for v in row):
            continue
        record = {col: cell_text(v) for col, v in zip(header, row) if col}
        for col, value in record.items():
            if _is_formula(value):
                formulas.append({"row": number, "column": col,
                                 "message": _("单元格含公式(%(formula)s),请粘贴为数值后再导入。") % {"formula": value[:30]}})
        if "services" in record:
            record["services"] = inputs.services_from_text(record["services"])
        records.append((number, record))
    return records, formulas


def _is_formula(value: str) -> bool:
    """A spreadsheet formula (or what Excel would run as one: =, @, or +/- before a non-number)."""
    if value[:1] in ("=", "@"):
        return True
    if value[:1] in ("+", "-"):
        try:
            Decimal(value.replace(",", ""))
        except Exception:  # noqa: BLE001 — not a number: Excel would read a formula
            return True
    return False


def _errors_of(number: int, exc: ValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [{"row": number, "column": col, "message": m} for col, errs in exc.error_dict.items()
                for e in errs for m in e.messages]
    return [{"row": number, "column": "", "message": m} for m in exc.messages]


def _client_id(value: str) -> str:
    """A client by id, or by its exact name when the cell is not a number."""
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return value
    ids = list(Client.objects.filter(name=value).values_list("pk", flat=True)[:2])
    if len(ids) != 1:
        raise ValidationError({"client": [(_("客户名称不唯一:%(name)s。") if ids else _("未知客户:%(name)s。"))
                                          % {"name": value}]})
    return str(ids[0])


def import_file(*, actor, kind: str, upload) -> dict:
    from clients import services as client_services

    from . import services

    if upload is None:
        raise ValidationError({"file": [_("请上传 CSV 或 XLSX 文件(字段名 file)。")]})
    records, errors = _records(kind, read_rows(upload.name or "", upload))
    formula_cells = {(e["row"], e["column"]) for e in errors}
    parsed = []
    for number, rec in records:  # 1. parse every row; nothing is written if any is bad
        try:
            if kind == "clients":
                parsed.append((number, client_services.parse_client(rec)))
            else:
                rec = dict(rec, client=_client_id(rec.get("client", "")))
                parsed.append((number, services.parse_sale(rec)))
        except ValidationError as exc:
            errors += [e for e in _errors_of(number, exc) if (e["row"], e["column"]) not in formula_cells]
    errors.sort(key=lambda e: e["row"])
    expected = {"rows": len(records)}
    if kind == "clients":
        expected["headcount"] = sum(p.headcount for _, p in parsed)
    else:
        expected["amount"] = f"{sum((p.amount for _, p in parsed), Decimal(0)):.2f}"
    if errors:
        return {"ok": False, "kind": kind, "imported": 0, "errors": errors, "expected": expected}

    created = []
    with transaction.atomic():  # 2. write all rows, or none
        for number, data in parsed:
            try:
                with transaction.atomic():
                    if kind == "clients":
                        created.append(client_services.client_create(actor=actor, data=data).pk)
                    else:
                        created.append(services.sale_create(actor=actor, data=data).pk)
            except ValidationError as exc:
                errors += _errors_of(number, exc)
        if errors:
            transaction.set_rollback(True)
            return {"ok": False, "kind": kind, "imported": 0, "errors": errors, "expected": expected}
        # 3. totals read back from the database, compared with the file's
        if kind == "clients":
            actual = {"rows": len(created),
                      "headcount": Client.objects.filter(pk__in=created).aggregate(s=Sum("headcount"))["s"] or 0}
        else:
            amount = Sale.objects.filter(pk__in=created).aggregate(s=Sum("amount"))["s"] or Decimal(0)
            actual = {"rows": len(created), "amount": f"{amount:.2f}"}
        if actual != expected:
            transaction.set_rollback(True)
            return {"ok": False, "kind": kind, "imported": 0, "expected": expected, "actual": actual,
                    "errors": [{"row": 0, "column": "", "message": _("导入后合计与文件不符,已全部撤销。")}]}
    return {"ok": True, "kind": kind, "imported": len(created), "errors": [], "expected": expected,
            "actual": actual, "totals_match": True}
