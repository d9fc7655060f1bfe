"""Reads of the history app (inside the branch's schema; the pages and the API declare who)."""
from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, Sum
from django.http import Http404

from branches import roles as R
from branches.models import Branch, BranchMembership, User
from clients.models import Client

from .engine import KnownClient
from .models import HistoryImport, ParallelSignOff
from hrsaas.core.inputs import record_id


def imports_list(*, kind: str | None = None):
    qs = HistoryImport.objects.defer("rows", "header", "report")
    return qs.filter(kind=kind) if kind else qs


def access_import(import_id, *, with_rows: bool = True) -> HistoryImport:
    """One import of this branch (its schema), or 404; `with_rows=False` leaves the uploaded
    rows unread (a report page does not need 10,000 rows)."""
    qs = HistoryImport.objects.all() if with_rows else HistoryImport.objects.defer("rows")
    found = qs.filter(pk=record_id(import_id)).first() if record_id(import_id) is not None else None
    if found is None:
        raise Http404
    return found


def preview_rows(imp: HistoryImport, count: int = 5) -> list[tuple[int, list[tuple[str, str]]]]:
    """The sheet's first `count` rows as uploaded: (row number, [(the column's header, the cell's
    text), …]), so each cell can be named by its column where the rows are read as cards."""
    header = list(imp.header or [])
    return [(number, [(header[i] if i < len(header) else "", cell) for i, cell in enumerate(cells)])
            for number, cells in (imp.rows or [])[:count]]


def people_of_branch(branch: Branch) -> dict[str, int | None]:
    """账号 and 姓名 → user id for everyone who earns in this branch: members with an earner role,
    and people of this home branch without any role any more (last year's staff). A 姓名 two
    people share maps to None (the sheet must use the 账号)."""
    earners = set(BranchMembership.objects.filter(branch=branch, role__in=list(R.EARNER_ROLES))
                  .values_list("user_id", flat=True))
    people = User.objects.filter(Q(pk__in=earners) | Q(home_branch=branch, memberships__isnull=True)) \
        .distinct().values_list("id", "username", "display_name")
    out: dict[str, int | None] = {}
    names: dict[str, set[int]] = {}
    for pk, username, display_name in people:
        out[username] = pk
        if display_name:
            names.setdefault(display_name.strip(), set()).add(pk)
    for name, pks in names.items():
        if name not in out:
            out[name] = next(iter(pks)) if len(pks) == 1 else None
    return out


def known_clients() -> dict[str, KnownClient]:
    """The branch's clients by name (a name used twice: the first opened)."""
    out: dict[str, KnownClient] = {}
    for name, opened_on, headcount, closed_on in Client.objects.order_by("opened_on", "id").values_list(
            "name", "opened_on", "headcount", "closed_on"):
        out.setdefault(name, KnownClient(opened_on=opened_on, headcount=headcount, closed_on=closed_on))
    return out


def statement_totals(period: str) -> dict[int, Decimal]:
    """Each earner's statement total of `period` in this branch, as the system computed it."""
    from commissions.models import StatementLine

    return {row["earner_id"]: row["total"] for row in
            StatementLine.objects.filter(period=period).values("earner_id").annotate(total=Sum("amount"))}


def names_of_earners() -> dict[int, str]:
    """User id → the name people know (display name, else the account) of everyone with a
    statement line in this branch: what the comparison shows for a person the sheet left out."""
    from commissions.models import StatementLine

    ids = StatementLine.objects.values_list("earner_id", flat=True).distinct()
    return {pk: display or username
            for pk, display, username in User.objects.filter(pk__in=ids).values_list("id", "display_name", "username")}


def parallel_months() -> list[HistoryImport]:
    """The parallel run: per month, the latest checked comparison against the sheet."""
    latest: dict[str, HistoryImport] = {}
    for imp in imports_list(kind=HistoryImport.Kind.PARALLEL).exclude(status=HistoryImport.Status.UPLOADED) \
            .order_by("period", "-checked_at", "-id"):
        latest.setdefault(imp.period, imp)
    return [latest[p] for p in sorted(latest)]


def parallel_summary() -> dict:
    months = parallel_months()
    rows = sum(m.row_count for m in months)
    compared = sum(m.lines_compared for m in months)
    differences = sum(m.differences for m in months)
    with_issues = sum(m.report.get("rows_with_issues", 0) for m in
                      HistoryImport.objects.filter(pk__in=[m.pk for m in months]).only("report"))
    return {
        "months": months, "rows": rows, "lines_compared": compared, "differences": differences,
        "rows_with_issues": with_issues,
        # people whose system statement differs from the sheet's total (the last comparison of each month)
        "people_differing": sum(len((m.report or {}).get("statements") or []) for m in
                                HistoryImport.objects.filter(pk__in=[m.pk for m in months]).only("report")),
        "error_rate": (Decimal(with_issues) * 100 / rows).quantize(Decimal("0.01")) if rows else Decimal("0.00"),
        "difference_rate": (Decimal(differences) * 100 / compared).quantize(Decimal("0.01")) if compared
        else Decimal("0.00"),
        "sign_off": ParallelSignOff.objects.first(),
    }


# Who (docs/security.md's matrix): the branch's manager does the import and reads the reports;
# HQ finance reads them; HQ admins do everything and alone sign the parallel run off.
READERS = R.MANAGER | {R.Role.HQ_FINANCE}
WRITERS = R.MANAGER
SIGNERS = R.HQ_ADMIN_ONLY
