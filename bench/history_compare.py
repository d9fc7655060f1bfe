"""Benchmark and acceptance check: a 12-month, 10,000-line commission sheet with injected errors
is imported and compared; every injected error must be reported in its own check, and nothing
else; the comparison must take ≤ 60 s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hrsaas_bench python bench/history_compare.py [--lines 10000]

Needs a migrated database (`python manage.py migrate`). Creates a throw-away branch and its
people (40 specialists), builds the workbook (history/sample_sheet.py: wrong types, impossible
dates, a tier contradicting the headcount, a sale before its client, a person's sum not matching
their total, three amounts the rules do not produce), then times the upload (the one bounded
reader, XLSX) and the three checks (the real engine under the published rules) through the same
services as the API and the pages. Drops the branch and its people afterwards. Prints sizes and
seconds; the last line is JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hrsaas.settings")
os.environ.setdefault("HRSAAS_TESTING", "1")  # a fixed dev key; nothing here is served

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

LIMIT_SECONDS = 60


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--people", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the branch afterwards")
    args = parser.parse_args()

    from branches import services as branch_services
    from branches.models import Branch, BranchMembership, User
    from commissions.models import StatementLine
    from history import services
    from history.sample_sheet import build_sheet, sheet_xlsx

    code = "hist" + uuid.uuid4().hex[:6]
    branch_services.ensure_public_tenant()
    branch = branch_services.branch_create(actor=None, data=branch_services.BranchInput(code=code, name=code,
                                                                                          city="beijing"))
    try:
        with transaction.atomic():
            people = User.objects.bulk_create([User(username=f"{code}_{n:02d}", password="!", display_name=f"专员{n}",
                                                    home_branch=branch) for n in range(args.people)])
            manager = User.objects.create(username=f"{code}_mgr", password="!", home_branch=branch)
            BranchMembership.objects.create(user=manager, branch=branch, role="branch_manager")
        t0 = time.perf_counter()
        header, rows, expected = build_sheet(people=[u.username for u in people], first_period="2025-01",
                                             months=args.months, lines=args.lines)
        workbook = sheet_xlsx(header, rows)
        build_seconds = time.perf_counter() - t0
        print(f"workbook: {len(rows):,} lines, {args.months} months, {args.people} people, "
              f"{len(workbook):,} bytes, {len(expected)} injected errors (built in {build_seconds:.2f} s)")

        with schema_context(branch.schema_name):
            lines_before = StatementLine.objects.count()
            t1 = time.perf_counter()
            imp = services.import_upload(actor=manager, upload=SimpleUploadedFile("提成表.xlsx", workbook),
                                         kind="history")
            upload_seconds = time.perf_counter() - t1
            t2 = time.perf_counter()
            imp = services.import_check(actor=manager, import_id=imp.id, mapping={}, rules={})
            check_seconds = time.perf_counter() - t2
            lines_after = StatementLine.objects.count()
        report = imp.report
        found = {(check, i["row"], i["code"]) for check in ("format", "logic", "compare")
                 for i in report[check]["issues"]}
        missing, extra = sorted(expected - found), sorted(found - expected)
        per_check = {c: len(report[c]["issues"]) for c in ("format", "logic", "compare")}
        print(f"upload (bounded reader, rows kept as text): {upload_seconds:.2f} s")
        print(f"three checks (format, logic, engine comparison of {report['compare']['compared']:,} lines): "
              f"{check_seconds:.2f} s")
        print(f"reported per check: {per_check}; error rate {report['error_rate']}%; "
              f"missing {missing}; not injected {extra}")
        ok = (not missing and not extra and check_seconds + upload_seconds <= LIMIT_SECONDS
              and lines_after == lines_before and imp.row_count == args.lines)
        print(json.dumps({"lines": imp.row_count, "months": args.months, "people": args.people,
                          "injected": len(expected), "reported": per_check, "missing": len(missing),
                          "not_injected": len(extra), "lines_compared": report["compare"]["compared"],
                          "upload_seconds": round(upload_seconds, 2), "check_seconds": round(check_seconds, 2),
                          "statement_lines_written": lines_after - lines_before,
                          f"within_{LIMIT_SECONDS}s_and_exact": ok}))
        if not ok:
            sys.exit(1)
    finally:
        if not args.keep:
            connection.set_schema_to_public()
            BranchMembership.objects.filter(branch=branch).delete()
            # Raw delete: these people have no tokens or history (bulk-created); then the branch.
            qs = User.objects.filter(username__startswith=f"{code}_")
            qs._raw_delete(qs.db)
            Branch.objects.get(pk=branch.pk).delete(force_drop=True)


if __name__ == "__main__":
    main()
