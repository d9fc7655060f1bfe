"""Scoped reads of the branch side of 社保/公积金 (and HQ's duplicate report)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import CharField, Count, Exists, Min, OuterRef, Q, Sum, Value
from django.db.models.functions import Cast, Concat
from django.http import Http404
from django.utils import timezone

from branches.roles import Role, is_hq_admin, roles_in_branch

from . import engine
from .models import (
    CheckFinding,
    ClientContact,
    ContributionLine,
    CycleStatus,
    ExceptionStatus,
    FeePayment,
    FeeStatement,
    FeeStatementCharge,
    InsuredEmployee,
    LineSource,
    MonthCycle,
    PaymentException,
    StaffChange,
)
from hrsaas.core.branch import require_branch
from hrsaas.core.collation import by_pinyin

STAFF_ROLES = frozenset({Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.SPECIALIST, Role.HQ_ADMIN})


def is_branch_staff(user, branch) -> bool:
    return is_hq_admin(user) or bool(roles_in_branch(user, branch) & STAFF_ROLES)


# Who reads the branch's insured people (wages, masked identity numbers) and its clients' fee
# statements: the office (manager, 人事/运营) and HQ admins. Specialists work payment exceptions
# and disputes, but another person's wage is not theirs to read (the role matrix).
OFFICE_ROLES = frozenset({Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.HQ_ADMIN})


def reads_insured_people(user, branch) -> bool:
    return is_hq_admin(user) or bool(roles_in_branch(user, branch) & OFFICE_ROLES)


def client_ids_of_contact(user) -> list[int]:
    return list(ClientContact.objects.filter(user=user).values_list("client_id", flat=True))


def employees_visible_to(user, branch):
    """The office sees the branch's employees; a client contact only their company's; others
    (specialists included) none."""
    qs = InsuredEmployee.objects.select_related("client").order_by(*by_pinyin("client__name", "name", "id"))
    if reads_insured_people(user, branch):
        return qs
    if Role.CLIENT_CONTACT in roles_in_branch(user, branch):
        return qs.filter(client_id__in=client_ids_of_contact(user))
    return qs.none()


def statements_visible_to(user, branch, period: str | None = None):
    qs = FeeStatement.objects.select_related("client").order_by("period", "client__name")
    if period:
        qs = qs.filter(period=period)
    if reads_insured_people(user, branch):
        return qs
    if Role.CLIENT_CONTACT in roles_in_branch(user, branch):
        return qs.filter(client_id__in=client_ids_of_contact(user))
    return qs.none()


def access_statement(user, branch, statement_id: int) -> FeeStatement:
    statement = statements_visible_to(user, branch).filter(pk=statement_id).first()
    if statement is None:
        raise Http404
    return statement


def statement_lines(statement: FeeStatement):
    return (ContributionLine.objects.filter(period=statement.period, client_id=statement.client_id)
            .select_related("employee").order_by("employee__name", "employee_id", "source", "kind"))


def charges_whole_month(line: ContributionLine) -> bool:
    """Whether `line` charges a whole month of an item (base × rate, rounded, + fixed amount): a
    regular line, or the 补缴 of a month filed without the person (a late 增员). A dispute's
    补缴/退费 and a 补差 are differences between two such charges."""
    return line.source == LineSource.REGULAR or (
        line.source == LineSource.BACK_PAY and line.corrects_id is None and line.dispute_id is None)


def with_fixed_amounts(lines: list[ContributionLine]) -> list[ContributionLine]:
    """`lines` with `employer_fixed` / `employee_fixed` set: the fixed amounts of their policy item
    (Beijing's 3.00 大额医疗 on the employee's medical, …) that their amounts include, so base ×
    rate + fixed = amount reads off a statement; None on a difference line (charges_whole_month)."""
    from social_insurance.policies.models import PolicyItem

    fixed = {(policy_id, kind): (er, ee) for policy_id, kind, er, ee in PolicyItem.objects.filter(
        policy_id__in={l.policy_id for l in lines}).values_list("policy_id", "kind", "employer_fixed", "employee_fixed")}
    for line in lines:
        er, ee = fixed.get((line.policy_id, line.kind), (None, None)) if charges_whole_month(line) else (None, None)
        line.employer_fixed, line.employee_fixed = er, ee
    return lines


@dataclass(frozen=True)
class CycleBoard:
    period: str
    cycle: MonthCycle | None
    additions: int
    removals: int
    findings: dict
    statements: dict
    reconcile_overdue: bool
    file_overdue: bool
    open_exceptions: int
    overdue_exceptions: int


def cycle_board(period: str, today: dt.date | None = None, now=None) -> CycleBoard:
    today = today or timezone.localdate()
    now = now or timezone.now()
    cycle = MonthCycle.objects.filter(period=period).first()
    changes = dict(StaffChange.objects.filter(period=period).values_list("kind").annotate(n=Count("id")))
    findings = dict(CheckFinding.objects.filter(period=period).values_list("kind").annotate(n=Count("id")))
    # The cross-branch duplicate as it is now, whichever branch computed last.
    findings.pop("duplicate_across", None)
    across = len(insured_elsewhere(period, require_branch("the SI board").pk))
    if across:
        findings["duplicate_across"] = across
    statements = dict(FeeStatement.objects.filter(period=period).values_list("status").annotate(n=Count("id")))
    status = cycle.status if cycle else CycleStatus.OPEN
    open_exc = PaymentException.objects.exclude(status=ExceptionStatus.RESOLVED)
    return CycleBoard(
        period=period, cycle=cycle, additions=changes.get("add", 0), removals=changes.get("remove", 0),
        findings=findings, statements=statements,
        reconcile_overdue=bool(cycle) and status == CycleStatus.OPEN and today > cycle.reconcile_due,
        file_overdue=bool(cycle) and status != CycleStatus.FILED and today > cycle.file_due,
        open_exceptions=open_exc.count(),
        overdue_exceptions=sum(1 for e in open_exc if exception_overdue(e, now)),
    )


@dataclass(frozen=True)
class FilingCaution:
    key: str      # for scripts (the API)
    label: str    # for people
    count: int


def filing_cautions(period: str) -> list[FilingCaution]:
    """What staff should know before filing the month (申报), not a reason to refuse it: fee
    statements the client has not confirmed or has disputed, and the month's exceptions not
    resolved. The agency's deadline does not wait for clients, so these warn, and the office files
    knowingly. Only the kinds that have any, in this order."""
    from django.utils.translation import gettext as _

    from .models import StatementStatus

    statements = dict(FeeStatement.objects.filter(period=period).values_list("status").annotate(n=Count("id")))
    exceptions = PaymentException.objects.filter(period=period).exclude(status=ExceptionStatus.RESOLVED).count()
    found = [
        FilingCaution("statements_unconfirmed", _("费用明细表客户尚未确认"), statements.get(StatementStatus.ISSUED, 0)),
        FilingCaution("statements_disputed", _("费用明细表客户有异议"), statements.get(StatementStatus.DISPUTED, 0)),
        FilingCaution("exceptions_open", _("本月异常尚未解决"), exceptions),
    ]
    return [c for c in found if c.count]


@dataclass(frozen=True)
class ReceiptCorrection:
    at: dt.datetime
    by: object  # the user who corrected it (None if unknown)
    before: str
    after: str
    reason: str


def receipt_corrections(cycle: MonthCycle | None) -> list[ReceiptCorrection]:
    """A filed month's receipt-number corrections, oldest first, from its history: when, who,
    the number before and after, and the reason given (services.month_receipt_correct)."""
    from .services import RECEIPT_CORRECTED

    if cycle is None or cycle.status != CycleStatus.FILED:
        return []
    records = list(cycle.history.select_related("history_user").order_by("history_date", "history_id"))
    out = []
    for prev, record in zip(records, records[1:]):
        reason = record.history_change_reason or ""
        if reason.startswith(RECEIPT_CORRECTED) and record.receipt_no != prev.receipt_no:
            out.append(ReceiptCorrection(at=record.history_date, by=record.history_user, before=prev.receipt_no or "",
                                         after=record.receipt_no or "", reason=reason[len(RECEIPT_CORRECTED):]))
    return out


def exception_overdue(exc: PaymentException, now) -> dict:
    """Which clocks are blown: response (1 h) and/or resolution (24 h)."""
    late = {}
    if (exc.responded_at or now) > exc.respond_due:
        late["respond"] = True
    if (exc.resolved_at or now) > exc.resolve_due:
        late["resolve"] = True
    return late


EXCEPTION_FILTERS = frozenset(ExceptionStatus.values) | {"unresolved"}


def exceptions_visible_to(user, branch, *, status: str | None = None, period: str | None = None):
    """Payment exceptions of the branch for its staff (newest first); nobody else sees any.
    `status` is one of the statuses or "unresolved" (open or responded)."""
    if not is_branch_staff(user, branch):
        return PaymentException.objects.none()
    qs = PaymentException.objects.select_related("employee").order_by("-opened_at", "-id")
    if status == "unresolved":
        qs = qs.exclude(status=ExceptionStatus.RESOLVED)
    elif status:
        qs = qs.filter(status=status)
    if period:
        qs = qs.filter(period=period)
    return qs


def exceptions_to_escalate(now) -> list[tuple[PaymentException, str]]:
    """(exception, stage) for every clock blown and not yet escalated: "respond" while an
    exception is still open past its 1-hour response due, "resolve" while it is unresolved past
    its 24-hour resolution due. A stage counts as escalated once an inbox message with its key
    (`escalation_key`) exists; see social_insurance/exceptions.py."""
    from notifications.models import Notification

    def not_escalated(stage: str):
        key = Concat(Value("si-exception:"), Cast(OuterRef("pk"), CharField()), Value(f":{stage}-overdue"))
        return ~Exists(Notification.objects.filter(dedupe_key=key))

    late_respond = PaymentException.objects.filter(not_escalated("respond"), status=ExceptionStatus.OPEN,
                                                   respond_due__lt=now)
    late_resolve = (PaymentException.objects.filter(not_escalated("resolve"), resolve_due__lt=now)
                    .exclude(status=ExceptionStatus.RESOLVED))
    out = [(e, "respond") for e in late_respond.select_related("employee").order_by("opened_at", "id")]
    out += [(e, "resolve") for e in late_resolve.select_related("employee").order_by("opened_at", "id")]
    return out


def escalation_key(exception_id: int, stage: str) -> str:
    return f"si-exception:{exception_id}:{stage}-overdue"


def branch_manager_ids(branch) -> list[int]:
    """Active users holding the branch-manager role in `branch` (the escalation recipients)."""
    from branches.models import BranchMembership

    return sorted(set(BranchMembership.objects.filter(branch=branch, role=Role.BRANCH_MANAGER, user__is_active=True)
                      .values_list("user_id", flat=True)))


def office_ids(branch) -> list[int]:
    """Active users holding the branch's office roles (manager, 人事/运营): who answers a client's
    dispute of a fee statement."""
    from branches.models import BranchMembership

    return sorted(set(BranchMembership.objects.filter(
        branch=branch, role__in=[Role.BRANCH_MANAGER, Role.BRANCH_STAFF], user__is_active=True)
        .values_list("user_id", flat=True)))


def month_totals(period: str) -> dict:
    agg = ContributionLine.objects.filter(period=period).aggregate(er=Sum("employer_amount"), ee=Sum("employee_amount"))
    return {"employer": agg["er"] or 0, "employee": agg["ee"] or 0}


def _spans_in(month: dt.date) -> Q:
    return Q(first_month__lte=month) & (Q(last_month__isnull=True) | Q(last_month__gte=month))


def insured_elsewhere(period: str, branch_id: int) -> list[int]:
    """This branch's employee ids insured in `period` whose identity number another branch also
    insures in it (SPEC §6: never twice in a month, across all branches), read from the HQ
    registry as it is now rather than from the month's stored finding. The stored finding is
    only as fresh as this branch's last compute, so it depended on which branch computed last;
    the registry is written by every branch's compute and by each 增员 and 减员 when it is
    recorded (services._register_records)."""
    from social_insurance.policies.models import InsuredIdentitySpan, RepeatedIdentity

    month = engine.month_start(period)
    others = (InsuredIdentitySpan.objects.filter(_spans_in(month), id_hash=OuterRef("id_hash"))
              .exclude(branch_id=branch_id))
    return list(InsuredIdentitySpan.objects
                .filter(_spans_in(month), branch_id=branch_id,
                        id_hash__in=RepeatedIdentity.objects.values("id_hash"))
                .filter(Exists(others)).order_by("employee_id").values_list("employee_id", flat=True))


def month_findings(period: str, branch_id: int) -> list[CheckFinding]:
    """The month's check results as the board shows them: the stored ones, with the cross-branch
    duplicate replaced by its current state (`insured_elsewhere`; unsaved findings)."""
    from .models import FindingKind

    stored = [f for f in CheckFinding.objects.filter(period=period).select_related("employee", "payroll_entry")
              if f.kind != FindingKind.DUPLICATE_ACROSS_BRANCHES]
    ids = insured_elsewhere(period, branch_id)
    people = InsuredEmployee.objects.filter(pk__in=ids).order_by(*by_pinyin("name", "id"))
    live = [CheckFinding(period=period, kind=FindingKind.DUPLICATE_ACROSS_BRANCHES, employee=e, args={})
            for e in people]
    order = {kind: i for i, kind in enumerate(sorted({f.kind for f in stored} | {f.kind for f in live}))}
    return sorted(stored + live, key=lambda f: order[f.kind])


def duplicate_report(period: str) -> list[dict]:
    """HQ: identity numbers insured more than once in a month across all branches (masked ids,
    branches and counts only; read from the public registry, no branch schema visited)."""
    from social_insurance.policies.models import InsuredIdentitySpan, RepeatedIdentity

    month = engine.month_start(period)
    spans = (InsuredIdentitySpan.objects
             .filter(id_hash__in=RepeatedIdentity.objects.values("id_hash"), first_month__lte=month)
             .filter(Q(last_month__isnull=True) | Q(last_month__gte=month))
             .values("id_hash", "branch__code", "branch__name").annotate(n=Count("id"), masked=Min("id_masked"))
             .order_by("id_hash", "branch__code"))
    found: dict[str, dict] = {}
    for row in spans:
        entry = found.setdefault(row["id_hash"], {"id_masked": row["masked"], "total": 0, "branches": []})
        entry["total"] += row["n"]
        # The code for scripts, the name (北京分公司) for people.
        entry["branches"].append({"branch": row["branch__code"], "branch_name": row["branch__name"],
                                  "count": row["n"]})
    rows = [(h, e) for h, e in found.items() if e["total"] > 1]
    return [e for _, e in sorted(rows, key=lambda r: (-r[1]["total"], r[0]))]


# ---------------------------------------------------------------------------------------------
# Client money: what a fee statement bills and what has been received (回款)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StatementMoney:
    contributions: Decimal   # the statement's `total` (单位 + 个人), passed through
    charges: Decimal         # service fees and late fees billed on it
    due: Decimal             # contributions + charges
    paid: Decimal            # sum of payments (reversals included)
    settled_on: dt.date | None  # the day the payments first covered `due`, if they do now

    @property
    def outstanding(self) -> Decimal:
        return max(self.due - self.paid, Decimal("0.00"))


def statement_money(statement: FeeStatement) -> StatementMoney:
    charges = FeeStatementCharge.objects.filter(statement=statement).aggregate(s=Sum("amount"))["s"] or Decimal("0.00")
    due = statement.total + charges
    paid, settled_on = Decimal("0.00"), None
    for amount, day in (FeePayment.objects.filter(statement=statement)
                        .order_by("paid_on", "id").values_list("amount", "paid_on")):
        paid += amount
        if settled_on is None and paid >= due:
            settled_on = day
        elif paid < due:
            settled_on = None  # a reversal reopened the balance
    return StatementMoney(statement.total, charges, due, paid, settled_on)


def statements_settled_on(statement_ids) -> dict[int, dt.date]:
    """Statement id → the day it was paid in full, for the given statements that are paid now
    (commission earned 'on payment' (回款) is released on that day)."""
    statements = FeeStatement.objects.filter(pk__in=list(statement_ids))
    out = {}
    for statement in statements:
        money = statement_money(statement)
        if money.settled_on is not None:
            out[statement.pk] = money.settled_on
    return out


def insured_in(period: str) -> Q:
    """People insured in `period` by the compute's default spans (no add cut-off; a leaver insured
    up to the month before the one they leave in): for a quick "is anyone insured" answer, not
    the compute's own span, which also reads each city's cut-off settings."""
    following = engine.month_start(engine.add_months(period, 1))
    return Q(start_date__lt=following) & (Q(end_date__isnull=True) | Q(end_date__gte=following))


def cities_missing_policy(period: str) -> list[str]:
    """The insured cities of the branch's people insured in `period` that have no policy version
    in force in it (cities HQ has not published the year of, nor carried last year's forward):
    their people's month computes to nothing, one 无适用政策 check each. For the board's alert."""
    from social_insurance.policies.models import CityPolicy

    month = engine.month_start(period)
    covered = (CityPolicy.objects.filter(effective_from__lte=month)
               .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=month)).values("city"))
    return sorted(set(InsuredEmployee.objects.filter(insured_in(period))
                      .exclude(insured_city__in=covered).values_list("insured_city", flat=True)))
