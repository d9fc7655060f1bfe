"""滞纳金: the statutory late fee a client's late payment causes, posted on its fee statements.

The rule (engine.late_fee_for): the contributions of a fee statement of month M are due to the
social-insurance agency on the branch's contribution-due day of M (ClientMoneyPolicy, default
the 25th). We pay the agency with the client's money, so when the client's payment arrives after
that day the agency's 0.05% per day (社会保险法 第八十六条) runs from the day after the deadline
to the day the money arrived, on the social-insurance contributions that payment covered. The
housing fund is not social insurance: its late payment carries no such daily fee (住房公积金管理条例
第三十八条 orders payment within a time limit), so its lines are left out of the fee's base and a
payment covers the social-insurance contributions first. Only the client's
lateness counts: the client's own due day (default the 15th) is never after the agency's, and
a payment that arrived in time adds nothing, whatever we did with it.

Where the fee is billed: on the client's statement of the first later month that is not filed
(申报), never on the late month's own statement. That statement was issued, confirmed and paid;
adding to it would reopen a balance the client has settled (and the commission released on
settlement, 回款); a filed month's statement is never rewritten. The line names the late month
(`service` = "YYYY-MM") and explains the arithmetic.

Recomputing is idempotent: the wanted fee per late month is derived from the payments that
stand (reversed ones left out); what filed statements already billed for that month stays as
billed, and only the difference goes on the open statement, updated in place or removed when
it is no longer owed. Twice gives the same lines and writes nothing the second time. A fee
that is owed but has no later open statement to go on (the client's next month is not computed
yet) is posted by the next run: after a payment, a reversal, and the daily cycle task.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Sum

from branches.audit import stamp
from hrsaas.core import locks

from . import engine
from .display import earlier_stored_words, stored_words
from .models import (ChargeKind, ClientMoneyPolicy, ContributionLine, CycleStatus, FeePayment, FeeStatement,
                     FeeStatementCharge, MonthCycle)
from .policies.models import ItemKind

ZERO = Decimal("0.00")


@dataclass
class LateFeeRun:
    written: int = 0   # charges created or changed
    removed: int = 0   # charges no longer owed on an open statement
    pending: int = 0   # late months owing a fee with no later open statement yet


def contribution_deadline(period: str, policy: ClientMoneyPolicy | None = None):
    policy = policy or ClientMoneyPolicy.current()
    return engine.day_of_month(period, policy.contribution_due_day)


def _housing_fund(client_id: int, periods: list[str]) -> dict[str, Decimal]:
    """The housing-fund contributions (单位 + 个人) of a client's `periods`: in its statements'
    totals, not in the late fee's base. By period first: the lines are partitioned by month and
    indexed by period, so only those months are read, not the client's whole history."""
    rows = (ContributionLine.objects.filter(period__in=periods, client_id=client_id, kind=ItemKind.HOUSING_FUND)
            .values("period").annotate(total=Sum(F("employer_amount") + F("employee_amount"))))
    return {r["period"]: r["total"] for r in rows}


def late_fee_of(statement: FeeStatement, policy: ClientMoneyPolicy | None = None) -> engine.LateFee:
    """The late fee one statement's payments have caused so far (read-only)."""
    payments = list(FeePayment.objects.filter(statement=statement, amount__gt=0, reversed_by__isnull=True)
                    .values_list("paid_on", "amount"))
    housing_fund = _housing_fund(statement.client_id, [statement.period]).get(statement.period, ZERO)
    return engine.late_fee_for(period=statement.period, contributions=statement.total - housing_fund,
                               deadline=contribution_deadline(statement.period, policy), payments=payments)


def late_fees_post(*, actor, client_id: int) -> LateFeeRun:
    """Bring the late-fee lines of one client in line with its payments (see the module)."""
    run = LateFeeRun()
    with transaction.atomic():
        locks.take((locks.Lock.SI_CLIENT_MONEY, f"{connection.schema_name}:client:{client_id}"))
        policy = ClientMoneyPolicy.current()
        statements = list(FeeStatement.objects.filter(client_id=client_id).order_by("period"))
        if not statements:
            return run
        filed = set(MonthCycle.objects.filter(status=CycleStatus.FILED).values_list("period", flat=True))
        standing: dict[int, list] = {}
        for sid, paid_on, amount in (FeePayment.objects.filter(statement__client_id=client_id, amount__gt=0,
                                                               reversed_by__isnull=True)
                                     .values_list("statement_id", "paid_on", "amount")):
            standing.setdefault(sid, []).append((paid_on, amount))
        housing_fund = _housing_fund(client_id, [s.period for s in statements])
        charges: dict[str, list[FeeStatementCharge]] = {}
        for charge in (FeeStatementCharge.objects.filter(kind=ChargeKind.LATE_FEE, statement__client_id=client_id)
                       .select_related("statement")):
            charges.setdefault(charge.service, []).append(charge)

        for statement in statements:
            fee = engine.late_fee_for(period=statement.period,
                                      contributions=statement.total - housing_fund.get(statement.period, ZERO),
                                      deadline=engine.day_of_month(statement.period, policy.contribution_due_day),
                                      payments=standing.get(statement.pk, []))
            mine = charges.get(statement.period, [])
            billed = sum((c.amount for c in mine if c.statement.period in filed), ZERO)
            wanted = max(fee.total - billed, ZERO)
            target = next((t for t in statements if t.period > statement.period and t.period not in filed), None)
            args = fee.args
            if billed and wanted:
                args = {**args, "billed": f"{billed:.2f}", "wanted": f"{wanted:.2f}"}
            explanation = stored_words(ChargeKind.LATE_FEE, args)
            for charge in mine:
                if charge.statement.period in filed:
                    continue
                if wanted and target is not None and charge.statement_id == target.pk:
                    continue
                stamp(charge, actor=actor, reason="late fee no longer owed here")
                charge.delete()
                run.removed += 1
            if not wanted:
                continue
            if target is None:
                run.pending += 1
                continue
            charge = next((c for c in mine if c.statement_id == target.pk), None)
            if charge is not None and charge.amount == wanted and charge.explanation in (
                    explanation, earlier_stored_words(ChargeKind.LATE_FEE, args)):
                # The same fee, billed the same way. A charge posted before charges kept their
                # values (or whose sentence was cut as they were then) gets the values, for
                # showing it in the reader's language: not a new posting, so no audit record.
                if charge.args != args:
                    FeeStatementCharge.objects.filter(pk=charge.pk).update(args=args)
                continue
            charge = charge or FeeStatementCharge(statement=target, kind=ChargeKind.LATE_FEE, service=statement.period)
            charge.amount, charge.explanation, charge.args = wanted, explanation, args
            stamp(charge, actor=actor, reason="late fee posted")
            charge.save()
            run.written += 1
    return run


def late_fees_sweep(*, actor=None) -> LateFeeRun:
    """Every client of the branch that has payments (the daily cycle): posts fees that waited
    for a later statement. One client's failure does not stop the others."""
    import logging

    total = LateFeeRun()
    client_ids = sorted(set(FeePayment.objects.values_list("statement__client_id", flat=True)))
    for client_id in client_ids:
        try:
            run = late_fees_post(actor=actor, client_id=client_id)
        except Exception:  # noqa: BLE001 - one bad client never stops the branch's sweep
            logging.getLogger(__name__).exception("late fees of client %s not posted", client_id)
            continue
        total.written += run.written
        total.removed += run.removed
        total.pending += run.pending
    return total

