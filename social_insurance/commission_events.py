"""Commission events taken from the social-insurance cycle (issue #20): nothing keyed twice.

- 服务费: the month compute bills each fee statement the client's contracted service fee per
  insured person per month (`clients.Client.fee_*`), one charge per service (`SERVICE_FEES_SQL`).
- 销售: each service-fee charge is the client's sale of that service in that month
  (`commissions.Sale`, source `cycle`, linked to its statement). A sale recorded by hand for the
  same client, service and month is the same sale: the cycle's amount replaces it, its seller
  stays. It is earned once the statement is confirmed, or paid in full (回款), as the sales rule
  version in force says (`earn_on`); until then the specialist's statement shows it as 待确认 / 待回款.
- 开户: filing a month opens every client registered to await it (待首个申报月) with insured
  people in it and no earlier filed month with insured people: the month is its opening, the
  insured count its headcount (tier), its opener the specialist who brought it. A client whose
  opening was recorded by hand (手工录入) keeps it — its date, headcount and tier as the office
  entered them, one opening: filing never opens it again. (It once did, and so re-opened
  clients served for years the first time their month was filed here, with a new reward.)
- 留存 and 扣回 follow in the commission rules (commissions/engine.py) from the clients' insured
  months and closing dates.

Each step writes only what changed and marks the commission periods it touches for recompute
(same transaction). Run inside the branch's schema and the compute's or filing's transaction.
"""
from __future__ import annotations

from django.db import connection

from clients.models import FEE_FIELDS

# (service, fee column) pairs of the client row, as SQL VALUES.
_FEES = ", ".join(f"('{service}', c.{column})" for service, column in FEE_FIELDS.items())

# The month's service-fee charges: one per statement with insured people and contracted service
# with a fee; amount = insured count × fee. Stale ones deleted, changed ones updated; a statement
# whose charges changed goes back to awaiting the client's confirmation (what it bills changed).
SERVICE_FEES_SQL = f"""
WITH want AS (
    SELECT s.id AS statement_id, f.service, round(s.employee_count * f.fee, 2)::numeric(12,2) AS amount,
           (s.employee_count || ' 人 × ' || f.fee || ' 元/人·月')::varchar(300) AS explanation,
           jsonb_build_object('n', s.employee_count, 'fee', f.fee::text) AS args
      FROM social_insurance_feestatement s
      JOIN clients_client c ON c.id = s.client_id
     CROSS JOIN LATERAL (VALUES {_FEES}) f(service, fee)
     WHERE s.period = %(period)s AND s.employee_count > 0 AND f.fee > 0 AND f.service = ANY (c.services)
), gone AS (
    DELETE FROM social_insurance_feestatementcharge ch
     USING social_insurance_feestatement s
     WHERE ch.statement_id = s.id AND s.period = %(period)s AND ch.kind = 'service_fee'
       AND NOT EXISTS (SELECT 1 FROM want w WHERE w.statement_id = ch.statement_id AND w.service = ch.service)
    RETURNING ch.statement_id
), put AS (
    INSERT INTO social_insurance_feestatementcharge AS ch (statement_id, kind, service, amount, explanation, args,
                                                           created_at)
    SELECT statement_id, 'service_fee', service, amount, explanation, args, now() FROM want
    ON CONFLICT (statement_id, kind, service) DO UPDATE
       SET amount = EXCLUDED.amount, explanation = EXCLUDED.explanation, args = EXCLUDED.args
     WHERE (ch.amount, ch.explanation) IS DISTINCT FROM (EXCLUDED.amount, EXCLUDED.explanation)
    RETURNING ch.statement_id
)
UPDATE social_insurance_feestatement s
   SET status = 'issued', responded_at = NULL, responded_by_id = NULL, updated_at = now()
 WHERE s.status <> 'issued'
   AND s.id IN (SELECT statement_id FROM gone UNION SELECT statement_id FROM put);
"""

# Is a statement confirmed / paid in full (payments, reversals included, cover contributions
# plus charges)? `{s}` is the statement's alias.
_CONFIRMED = "({s}.status = 'confirmed')"
_PAID = """(COALESCE((SELECT sum(p.amount) FROM social_insurance_feepayment p WHERE p.statement_id = {s}.id), 0)
   >= {s}.total + COALESCE((SELECT sum(x.amount) FROM social_insurance_feestatementcharge x
                             WHERE x.statement_id = {s}.id), 0))"""

# The month's sales from its service-fee charges; the sellers whose sales changed are returned.
DERIVED_SALES_SQL = f"""
WITH want AS (
    SELECT s.client_id, ch.service, ch.amount, s.id AS statement_id, c.opened_by_id, c.opened_on,
           {_CONFIRMED.format(s="s")} AS confirmed, {_PAID.format(s="s")} AS paid
      FROM social_insurance_feestatementcharge ch
      JOIN social_insurance_feestatement s ON s.id = ch.statement_id
      JOIN clients_client c ON c.id = s.client_id
     WHERE s.period = %(period)s AND ch.kind = 'service_fee' AND ch.amount > 0
), gone AS (
    DELETE FROM commissions_sale x
     WHERE x.period = %(period)s AND x.source = 'cycle'
       AND NOT EXISTS (SELECT 1 FROM want w WHERE w.client_id = x.client_id AND w.service = x.service)
    RETURNING x.seller_id
), put AS (
    INSERT INTO commissions_sale AS x (client_id, client_opened_on, service, period, amount, seller_id, created_at,
                                       source, statement_id, statement_confirmed, statement_paid)
    SELECT client_id, opened_on, service, %(period)s, amount, opened_by_id, now(), 'cycle', statement_id,
           confirmed, paid
      FROM want
    ON CONFLICT (client_id, service, period) DO UPDATE
       SET amount = EXCLUDED.amount, client_opened_on = EXCLUDED.client_opened_on, source = 'cycle',
           statement_id = EXCLUDED.statement_id, statement_confirmed = EXCLUDED.statement_confirmed,
           statement_paid = EXCLUDED.statement_paid
     WHERE (x.amount, x.client_opened_on, x.source, x.statement_id, x.statement_confirmed, x.statement_paid)
           IS DISTINCT FROM (EXCLUDED.amount, EXCLUDED.client_opened_on, 'cycle', EXCLUDED.statement_id,
                             EXCLUDED.statement_confirmed, EXCLUDED.statement_paid)
    RETURNING x.seller_id
)
SELECT DISTINCT seller_id FROM (SELECT seller_id FROM gone UNION ALL SELECT seller_id FROM put) changed;
"""

# A statement's sales after it was confirmed, disputed or paid: their flags brought up to date;
# the sellers and months of those that changed.
SALE_FLAGS_SQL = f"""
UPDATE commissions_sale x
   SET statement_confirmed = {_CONFIRMED.format(s="s")}, statement_paid = {_PAID.format(s="s")}
  FROM social_insurance_feestatement s
 WHERE x.statement_id = s.id AND x.source = 'cycle' AND s.id = ANY (%(ids)s)
   AND (x.statement_confirmed, x.statement_paid) IS DISTINCT FROM ({_CONFIRMED.format(s="s")}, {_PAID.format(s="s")})
RETURNING x.seller_id, x.period;
"""

# Filing: clients whose first filed month with insured people this is.
FIRST_FILED_SQL = """
SELECT s.client_id, s.id, s.employee_count
  FROM social_insurance_feestatement s
  JOIN clients_client c ON c.id = s.client_id
 WHERE s.period = %(period)s AND s.employee_count > 0 AND c.opening_source = 'awaiting'
   AND (c.closed_on IS NULL OR c.closed_on >= %(m)s::date)
   AND NOT EXISTS (SELECT 1 FROM social_insurance_feestatement p
                     JOIN social_insurance_monthcycle mc ON mc.period = p.period AND mc.status = 'filed'
                    WHERE p.client_id = s.client_id AND p.period < %(period)s AND p.employee_count > 0)
 ORDER BY s.client_id;
"""

# Openers of cycle clients opened in one of the given months (their anniversary may be this month).
ANNIVERSARY_OPENERS_SQL = """
SELECT DISTINCT opened_by_id FROM clients_client
 WHERE opening_source = 'cycle' AND date_trunc('month', opened_on)::date = ANY (%(months)s::date[]);
"""


def _mark(seller_ids, periods: set[str]) -> None:
    from branches.models import User
    from commissions.services import current_branch, recompute_mark

    users = list(User.objects.filter(pk__in=set(seller_ids)))
    if users and periods:
        recompute_mark(event_branch=current_branch(), earners=users, periods=periods)


def cycle_bills_sale(client, service: str, period: str, *, adding_service: bool = False) -> bool:
    """Whether the month compute makes `client`'s sale of `service` in `period` itself (so a sale
    keyed by hand would be the same sale twice): the client pays a fee per person for the service
    and contracts it (or is being given it), someone is insured through it in the month, and the
    month is not filed (a filed month keeps what it billed). Read in the client's branch."""
    from .models import CycleStatus, InsuredEmployee, MonthCycle
    from .selectors import insured_in

    fee = getattr(client, FEE_FIELDS.get(service, ""), None)
    if not fee or not (service in client.services or adding_service):
        return False
    if MonthCycle.objects.filter(period=period, status=CycleStatus.FILED).exists():
        return False
    return InsuredEmployee.objects.filter(insured_in(period), client=client).exists()


def derive_after_compute(cur, params: dict) -> None:
    """The month compute's last step: its service fees and the sales they are, and the commission
    month marked for the sellers whose sales changed and for the openers whose cycle clients have
    their anniversary in it (retention reads the month's insured count)."""
    cur.execute(SERVICE_FEES_SQL, params)
    cur.execute(DERIVED_SALES_SQL, params)
    sellers = {r[0] for r in cur.fetchall()}
    months = _anniversary_opening_months(params["period"])
    if months:
        cur.execute(ANNIVERSARY_OPENERS_SQL, {"months": months})
        sellers |= {r[0] for r in cur.fetchall()}
    _mark(sellers, {params["period"]})


def _anniversary_opening_months(period: str) -> list:
    from commissions.engine import add_months, period_start
    from commissions.hq.models import RuleVersion

    months = {p.get("months") for p in RuleVersion.objects.filter(component="retention_bonus")
              .values_list("params", flat=True) if isinstance(p, dict)}
    return sorted(add_months(period_start(period), -int(m)) for m in months if isinstance(m, int))


def statements_changed(statement_ids) -> None:
    """After a statement was confirmed, disputed, or paid (回款, reversal): its sales' earning flags,
    and the commission months of the sellers whose sales changed marked for recompute — a sale
    earned 'on payment' is released by the recompute that follows the payment."""
    with connection.cursor() as cur:
        cur.execute(SALE_FLAGS_SQL, {"ids": list(statement_ids)})
        rows = cur.fetchall()
    by_period: dict[str, set[int]] = {}
    for seller_id, period in rows:
        by_period.setdefault(period, set()).add(seller_id)
    for period, sellers in by_period.items():
        _mark(sellers, {period})


def openings_on_filing(*, actor, period: str, month_start) -> int:
    """Filing `period`: each client awaiting its first filed month with insured people gets its
    opening from this one (audited on the client); the opener's commission months marked. Returns
    how many clients were opened."""
    from branches.audit import stamp
    from clients.models import Client, OpeningSource
    from commissions.engine import period_of
    from commissions.models import Sale
    from commissions.services import _retention_periods, rulebook_load

    with connection.cursor() as cur:
        cur.execute(FIRST_FILED_SQL, {"period": period, "m": month_start})
        rows = cur.fetchall()
    if not rows:
        return 0
    rules = rulebook_load()
    clients = Client.objects.select_for_update().in_bulk([r[0] for r in rows])
    for client_id, statement_id, insured in rows:
        client = clients[client_id]
        before = client.opened_on
        opened_on = before if period_of(before) == period else month_start
        client.opening_source, client.opening_period = OpeningSource.CYCLE, period
        client.opening_statement_id, client.headcount, client.opened_on = statement_id, insured, opened_on
        stamp(client, actor=actor, reason=f"开户取自首个申报月 {period}(参保 {insured} 人)")
        client.save()
        if opened_on != before:  # sales copy the opening date (new or existing client): theirs too
            sales = list(Sale.objects.filter(client=client).values_list("seller_id", "period"))
            Sale.objects.filter(client=client).update(client_opened_on=opened_on)
            for seller_id, sale_period in sales:
                _mark([seller_id], {sale_period})
        periods = {period_of(before), period_of(opened_on)}
        periods |= _retention_periods(before, rules) | _retention_periods(opened_on, rules)
        _mark([client.opened_by_id], periods)
    return len(rows)
