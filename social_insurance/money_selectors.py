"""Scoped reads of client money: payments (回款), arrears aged per client (欠费账龄), a client
contact's own account and insured people.

Scope is the fee statements' (selectors.statements_visible_to): the office reads the branch's,
a client contact only their company's, anyone else nothing; "missing" and "not yours" are the
same 404. A statement is due from the client on the branch's payment-due day of its month
(ClientMoneyPolicy, default the 15th); arrears are what is still unpaid on each statement,
aged from that day: 未到期, 1–30, 31–60, 61–90, 90 天以上."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from . import engine
from .models import ClientMoneyPolicy, ContributionLine, FeePayment, FeeStatementCharge
from .selectors import access_statement, client_ids_of_contact, statements_visible_to
from hrsaas.core.collation import by_pinyin

ZERO = Decimal("0.00")
BUCKETS = tuple(key for key, _ in engine.AGING_BUCKETS)
_MONEY = DecimalField(max_digits=14, decimal_places=2)


def _sum_of(model, amount: str = "amount"):
    rows = (model.objects.filter(statement_id=OuterRef("pk")).order_by().values("statement_id")
            .annotate(s=Sum(amount)).values("s"))
    return Coalesce(Subquery(rows, output_field=_MONEY), Value(ZERO), output_field=_MONEY)


def with_money(statements):
    """Statements annotated with `charges_sum`, `paid_sum`, `due_sum` (contributions + charges:
    what the client is billed) and `outstanding_sum` (due − paid;
    the same arithmetic as selectors.statement_money, for many statements in one query)."""
    return (statements.annotate(charges_sum=_sum_of(FeeStatementCharge), paid_sum=_sum_of(FeePayment))
            .annotate(due_sum=F("total") + F("charges_sum"),
                      outstanding_sum=F("total") + F("charges_sum") - F("paid_sum")))


@dataclass(frozen=True)
class Dates:
    """The branch's client-money dates, stated on every money page."""

    payment_due_day: int
    contribution_due_day: int

    def due_on(self, period: str) -> dt.date:
        return engine.day_of_month(period, self.payment_due_day)

    def deadline(self, period: str) -> dt.date:
        return engine.day_of_month(period, self.contribution_due_day)


def money_dates() -> Dates:
    policy = ClientMoneyPolicy.current()
    return Dates(policy.payment_due_day, policy.contribution_due_day)


# ---------------------------------------------------------------------------------------------
# Payments of one statement
# ---------------------------------------------------------------------------------------------
def payments_of(user, branch, statement_id: int):
    """(statement, its payments oldest first) — 404 for a statement outside the caller's reach."""
    statement = access_statement(user, branch, statement_id)
    payments = list(FeePayment.objects.filter(statement=statement).select_related("reverses")
                    .order_by("paid_on", "id"))
    reversed_ids = {p.reverses_id for p in payments if p.reverses_id}
    for p in payments:
        p.is_reversed = p.pk in reversed_ids
    return statement, payments


def access_payment(user, branch, payment_id: int) -> FeePayment:
    """A payment of a statement the caller may read (404 otherwise)."""
    visible = statements_visible_to(user, branch).values("pk")
    payment = FeePayment.objects.filter(pk=payment_id, statement_id__in=visible).first()
    if payment is None:
        raise Http404
    return payment


# ---------------------------------------------------------------------------------------------
# Arrears (欠费) aged per client
# ---------------------------------------------------------------------------------------------
@dataclass
class OwedStatement:
    statement: object
    due_on: dt.date
    due: Decimal
    paid: Decimal
    outstanding: Decimal
    days_overdue: int
    bucket: str


@dataclass
class ClientArrears:
    client_id: int
    client_name: str
    statements: list[OwedStatement] = field(default_factory=list)
    buckets: dict[str, Decimal] = field(default_factory=lambda: {b: ZERO for b in BUCKETS})
    total: Decimal = ZERO


@dataclass
class Arrears:
    today: dt.date
    dates: Dates
    clients: list[ClientArrears]
    buckets: dict[str, Decimal]
    total: Decimal

    @property
    def overdue(self) -> Decimal:
        return self.total - self.buckets["not_due"]

    @property
    def statement_count(self) -> int:
        return sum(len(c.statements) for c in self.clients)


def arrears(user, branch, today: dt.date | None = None, *, client_id: int | None = None) -> Arrears:
    """What each client still owes per fee statement, aged from the statement's due day; the
    clients with the most overdue first. Scoped like the statements."""
    today = today or timezone.localdate()
    dates = money_dates()
    qs = with_money(statements_visible_to(user, branch)).filter(outstanding_sum__gt=0)
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    clients: dict[int, ClientArrears] = {}
    totals = {b: ZERO for b in BUCKETS}
    for st in qs.order_by(*by_pinyin("client__name", "client_id", "period")):
        due_on = dates.due_on(st.period)
        owed = OwedStatement(statement=st, due_on=due_on, due=st.total + st.charges_sum, paid=st.paid_sum,
                             outstanding=st.outstanding_sum, days_overdue=max((today - due_on).days, 0),
                             bucket=engine.aging_bucket(due_on, today))
        row = clients.setdefault(st.client_id, ClientArrears(st.client_id, st.client.name))
        row.statements.append(owed)
        row.buckets[owed.bucket] += owed.outstanding
        row.total += owed.outstanding
        totals[owed.bucket] += owed.outstanding
    rows = sorted(clients.values(), key=lambda c: (-(c.total - c.buckets["not_due"]), c.client_name, c.client_id))
    return Arrears(today=today, dates=dates, clients=rows, buckets=totals, total=sum(totals.values(), ZERO))


def arrears_figures(today: dt.date | None = None) -> dict:
    """The workbench's two numbers, in one query: the branch's arrears and how many statements
    are past their due day with money owing (the office's to-do: 催收)."""
    from .models import FeeStatement

    today = today or timezone.localdate()
    this_month = engine.period_of(today)
    # The branch's due day read inside the same query (the workbench counts its queries).
    default_day = ClientMoneyPolicy._meta.get_field("payment_due_day").default
    due_day = Coalesce(Subquery(ClientMoneyPolicy.objects.filter(pk=1).values("payment_due_day")[:1]),
                       Value(default_day))
    # Due day passed: every earlier month, and this month once today is after the due day.
    past_due = Q(period__lt=this_month) | Q(period=this_month, due_day__lt=today.day)
    agg = with_money(FeeStatement.objects.annotate(due_day=due_day)).filter(outstanding_sum__gt=0).aggregate(
        total=Sum("outstanding_sum"), overdue=Sum("outstanding_sum", filter=past_due),
        overdue_count=Sum(Value(1), filter=past_due))
    return {"total": agg["total"] or ZERO, "overdue": agg["overdue"] or ZERO,
            "overdue_count": agg["overdue_count"] or 0}


# ---------------------------------------------------------------------------------------------
# A client contact's own account
# ---------------------------------------------------------------------------------------------
def client_account(user, branch, today: dt.date | None = None, limit: int = 36) -> dict:
    """The client portal's money: their statements with what is due, paid and owed (newest
    first), their payments, and their arrears by age. Nothing of any other client."""
    today = today or timezone.localdate()
    dates = money_dates()
    statements = list(with_money(statements_visible_to(user, branch)).order_by("-period", "client__name")[:limit])
    for st in statements:
        st.due_on = dates.due_on(st.period)
        st.due_sum = st.total + st.charges_sum
        st.owing = max(st.outstanding_sum, ZERO)
        st.overdue = st.owing > 0 and today > st.due_on
    visible = statements_visible_to(user, branch).values("pk")
    payments = list(FeePayment.objects.filter(statement_id__in=visible).select_related("statement", "reverses")
                    .order_by("-paid_on", "-id")[:50])
    owed = arrears(user, branch, today)
    # The companies the page is about — every one the contact speaks for, with statements yet or
    # not — named once at its top; a contact of one company (the usual case) then needs no column
    # naming it on every row.
    from .models import ClientContact

    companies = sorted(set(ClientContact.objects.filter(user=user).values_list("client__name", flat=True))
                       | {st.client.name for st in statements})
    return {"statements": statements, "payments": payments, "arrears": owed, "dates": dates,
            "companies": companies, "many_clients": len(companies) > 1}


@dataclass(frozen=True)
class InsuredPerson:
    name: str
    id_number_masked: str
    status: str
    wage: Decimal
    base: Decimal | None
    employer: Decimal
    employee: Decimal

    @property
    def total(self) -> Decimal:
        return self.employer + self.employee


def _status_in(employee, period: str, settings_of: dict) -> str | None:
    """The person's status in month `period` as the compute derives it (sql.INSURED_SQL): 在保
    from the first to the last insured month, 待参保 before, 已减员 after; None when the record
    is insured in no month at all (started and left before a first insured month)."""
    from social_insurance.policies.selectors import city_settings

    rules = settings_of.get(employee.insured_city)
    if rules is None:
        rules = settings_of[employee.insured_city] = city_settings(employee.insured_city)
    first = engine.first_insured_month(employee.start_date, rules.add_cutoff_day)
    last = (engine.last_insured_month(employee.end_date, rules.remove_covers_leaving_month)
            if employee.end_date else None)
    if last is not None and last < first:
        return None
    if period < first:
        return "upcoming"
    if last is not None and period > last:
        return "ended"
    return "active"


def client_people(user, branch, period: str, today: dt.date | None = None) -> list[InsuredPerson]:
    """The people of the contact's own company in month `period` (names, masked identity numbers,
    the month's status, declared wage, the month's base and contributions): the people its fee
    statement counts — once the month is computed, everyone with a line of the month under the
    company (insured in it, or back-paid in it); before that, the people the roster insures in
    the month. Someone who starts later or left earlier is not in the month's list. Empty for
    anyone else."""
    from . import employee_selectors
    from .models import MonthCycle

    client_ids = client_ids_of_contact(user)
    people = list(employee_selectors.employee_list(user, branch, employee_selectors.EmployeeFilters())
                  .filter(client_id__in=client_ids))
    sums = {r["employee_id"]: r for r in ContributionLine.objects.filter(period=period, client_id__in=client_ids)
            .values("employee_id").annotate(er=Sum("employer_amount"), ee=Sum("employee_amount"),
                                            base=Sum("base", filter=Q(kind="pension", source="regular")))}
    computed = MonthCycle.objects.filter(period=period, computed_at__isnull=False).exists()
    settings_of: dict = {}
    out = []
    for e in people:
        status = _status_in(e, period, settings_of)
        if (e.pk not in sums) if computed else status != "active":
            continue
        row = sums.get(e.pk, {})
        out.append(InsuredPerson(e.name, e.id_number_masked, status or "ended", e.wage,
                                 row.get("base"), row.get("er") or ZERO, row.get("ee") or ZERO))
    return out
