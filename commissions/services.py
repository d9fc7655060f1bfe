"""Writes of the commissions app: events (销售, 线索), recompute, period close and payout.

Every event service validates, writes the event and its "needs recompute" markers in one
transaction, and enqueues the drain task on commit. The recompute is the only writer of
statement lines.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Max, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from branches.audit import stamp
from branches.models import Branch, BranchMembership, User
from branches.roles import Role, hq_roles_of, may_close_month
from hrsaas.core.branch import require_branch
from hrsaas.core.formatting import format_date, format_money, format_period
from hrsaas.core.money import quantize_money
from hrsaas.core.period import valid_period
from clients.models import FEE_FIELDS, Client

from . import inputs, lock_objects
from .engine import (
    MANUAL,
    AdjustmentData,
    BranchRef,
    RuleBook,
    add_months,
    next_period,
    period_end,
    period_of,
    period_start,
)
from .hq.models import BranchPeriod, HQSetting, RegisteredAdjustment, RuleVersion
from .hq.rules import RuleVersionData, parse_rule, version_in_force
from .hq.selectors import branch_period_status
from .models import Lead, RecomputeMarker, Sale, StatementLine
from .prepared import period_status_changing
from .sql import DIFF_EARNERS_SQL, LINE_COLUMNS, SourceBranch, lines_diff_sql, lines_select

log = logging.getLogger(__name__)

LINES_TABLE = "commissions_statementline"


# ---------------------------------------------------------------------------------------------
# Reading what the rules need (public tables; few rows)
# ---------------------------------------------------------------------------------------------
def rulebook_load() -> RuleBook:
    versions = tuple(
        RuleVersionData(id=v.id, component=v.component, effective_from=v.effective_from,
                        rule=parse_rule(v.component, v.params))
        for v in RuleVersion.objects.all().order_by("component", "effective_from")
    )
    adjustments = tuple(
        AdjustmentData(branch_id=a.branch_id, component=a.component, percent=a.percent,
                       effective_from=a.effective_from, effective_to=a.effective_to,
                       revoked_from=a.revoked_from, status=a.status)
        for a in RegisteredAdjustment.objects.all()
    )
    setting = HQSetting.objects.filter(pk=1).first()
    return RuleBook(versions=versions, adjustments=adjustments,
                    no_shrink=setting.cross_branch_no_shrink if setting else True)


def current_branch() -> Branch:
    return require_branch("commission services")


def source_branches() -> list[SourceBranch]:
    """Every branch whose events may appear on some statement (inactive ones keep their data)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, code, schema_name FROM public.branches_branch WHERE schema_name <> 'public' "
            "AND to_regclass(quote_ident(schema_name) || '.commissions_sale') IS NOT NULL ORDER BY code"
        )
        return [SourceBranch(BranchRef(r[0], r[1]), r[2]) for r in cur.fetchall()]


def period_status(branch: Branch, period: str) -> str:
    """Open, closed or paid; a month behind the branch's last closed one is closed
    (`hq.selectors.branch_period_status`)."""
    return branch_period_status(branch, period)


def is_frozen(period: str, frozen: set[str], through: str | None) -> bool:
    """Given `frozen_periods` and the last of them: the month is closed, paid or behind them
    (months close in order: `hq.selectors.branch_period_status`)."""
    return period in frozen or (through is not None and period < through)


def frozen_periods(branch: Branch) -> set[str]:
    return set(BranchPeriod.objects.filter(branch=branch).exclude(status=BranchPeriod.Status.OPEN)
               .values_list("period", flat=True))


def earliest_open_period(branch: Branch, *, before: str | None = None) -> str | None:
    """The earliest month with statement lines that is still open (before `before` when given):
    months are closed in order, so that HQ never pays a later month while an earlier one may
    still change. Read in the branch's schema (its lines) and the public one (the statuses)."""
    from .models import StatementLine

    # The months that have lines, by a skip scan of the business key's index (it leads with the
    # period): one index probe per month, not a pass over a branch's millions of lines.
    table = connection.ops.quote_name(StatementLine._meta.db_table)
    limit = before or "9999-12"
    with connection.cursor() as cursor:
        cursor.execute(f"""
            WITH RECURSIVE m(period) AS (
                SELECT min(period) FROM {table}
                UNION ALL
                SELECT (SELECT min(l.period) FROM {table} l WHERE l.period > m.period)
                FROM m WHERE m.period < %s)
            SELECT period FROM m WHERE period < %s ORDER BY period""", [limit, limit])
        months = [row[0] for row in cursor.fetchall()]
    frozen = frozen_periods(branch)
    return next((p for p in months if not is_frozen(p, frozen, max(frozen, default=None))), None)


def next_open_period(branch: Branch, after: str) -> str:
    frozen = frozen_periods(branch)
    through = max(frozen, default=None)  # months behind the last closed one count as closed
    period = next_period(after)
    return next_period(through) if through is not None and period <= through else period


# ---------------------------------------------------------------------------------------------
# "Needs recompute" markers
# ---------------------------------------------------------------------------------------------
def recompute_mark(*, event_branch: Branch, earners: list[User | None], periods: set[str]) -> None:
    """Mark `periods` for recompute in every branch whose statements the event reaches (the
    earners' home branches — 跨区域支援 — or the event's branch), in the caller's transaction,
    and enqueue the drain for after the commit."""
    targets: dict[int, str] = {}
    touched: dict[str, set[int] | None] = {}  # schema → the earners whose lines the event touches
    for earner in earners:
        if earner is None:
            continue
        home_id = earner.home_branch_id or event_branch.id
        if home_id not in targets:
            targets[home_id] = (event_branch.schema_name if home_id == event_branch.id
                                else Branch.objects.get(pk=home_id).schema_name)
        touched.setdefault(targets[home_id], set()).add(earner.pk)
    if not targets:  # no earner named: the whole branch-period
        targets[event_branch.id] = event_branch.schema_name
        touched[event_branch.schema_name] = None
    now = timezone.now()
    with connection.cursor() as cur:
        for schema in targets.values():
            people = touched[schema]
            for period in sorted(periods):
                cur.execute(f'INSERT INTO "{schema}".commissions_recomputemarker (period, created_at, earners, '
                            f"event_branch_id) VALUES (%s, %s, %s, %s)",
                            [period, now, sorted(people) if people is not None else None, event_branch.id])
    pending = {getattr(entry[1], "schema", None) for entry in connection.run_on_commit}
    for schema in targets.values():
        if schema not in pending:  # one drain per schema per transaction (an import marks many rows)
            transaction.on_commit(_SendDrain(schema))


class _SendDrain:
    def __init__(self, schema: str, countdown: int = 0):
        self.schema = schema
        self.countdown = countdown

    def __call__(self) -> None:
        from .tasks import drain_recompute_markers

        try:
            drain_recompute_markers.apply_async(headers={"_schema_name": self.schema},
                                                countdown=self.countdown or None)
        except Exception:  # noqa: BLE001 — a broker hiccup loses nothing: beat drains the markers
            # An error, not a warning: without beat (or until its next run) nothing else will.
            log.error("could not enqueue drain for %s; beat will pick it up", self.schema)


def _retention_periods(opened_on: dt.date, rules: RuleBook) -> set[str]:
    """The anniversary month, if it has already begun (a future one is computed when it comes:
    beat recomputes the current month)."""
    v = version_in_force(list(rules.versions), "retention_bonus", opened_on)
    if v is None:
        return set()
    period = period_of(add_months(opened_on, v.rule.months))
    return {period} if period <= period_of(timezone.localdate()) else set()


def client_opened(*, client: Client) -> None:
    """Hook for clients.services: an opening earns an opening reward now and maybe a retention
    bonus on its anniversary."""
    periods = {period_of(client.opened_on)} | _retention_periods(client.opened_on, rulebook_load())
    recompute_mark(event_branch=current_branch(), earners=[User.objects.get(pk=client.opened_by_id)], periods=periods)


def client_closed(*, client: Client) -> None:
    """Closing may forfeit the retention bonus, and within the opening rule's window takes the
    opening reward back (扣回) in the month the client leaves."""
    periods = _retention_periods(client.opened_on, rulebook_load())
    if client.closed_on is not None and period_of(client.closed_on) <= period_of(timezone.localdate()):
        periods.add(period_of(client.closed_on))
    recompute_mark(event_branch=current_branch(), earners=[User.objects.get(pk=client.opened_by_id)],
                   periods=periods)


# ---------------------------------------------------------------------------------------------
# Events: sales and leads
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SaleInput:
    client_id: int
    service: str
    period: str
    amount: Decimal
    seller: User
    add_service: bool = False  # the client now also contracts `service` (said explicitly)


def parse_sale(data: dict) -> SaleInput:
    errors = inputs.Errors()
    client_id = inputs.parse_int(data, "client", errors, low=1, high=2**62)
    service = inputs.parse_service(data, "service", errors)
    period = inputs.parse_period(data, "period", errors, not_after_this_month=True)
    amount = inputs.parse_money(data, "amount", errors)
    seller = inputs.parse_earner(data, "seller", errors)
    add_service = inputs.parse_bool(data, "add_service", errors, default=False)
    errors.raise_if_any()
    return SaleInput(client_id=client_id, service=service, period=period, amount=amount, seller=seller,
                     add_service=add_service)


def _service_labels(values) -> str:
    from clients.models import Service

    labels = dict(Service.choices)
    return "、".join(str(labels.get(v, v)) for v in values) or _("无")


def sale_create(*, actor, data: SaleInput) -> Sale:
    client = Client.objects.filter(pk=data.client_id).first()
    if client is None:
        raise ValidationError({"client": [_("本分支机构没有此客户:%(id)s") % {"id": data.client_id}]})
    start = period_start(data.period)
    if data.period < period_of(client.opened_on):
        raise ValidationError({"period": [_("销售期间早于客户开户月份 %(p)s。") % {
            "p": format_period(period_of(client.opened_on))}]})
    if client.closed_on is not None and client.closed_on < start:
        raise ValidationError({"period": [_("客户已于 %(d)s 终止,不能录入之后的销售。") % {"d": format_date(client.closed_on)}]})
    from social_insurance.commission_events import cycle_bills_sale

    if cycle_bills_sale(client, data.service, data.period, adding_service=data.add_service):
        # The month compute bills this fee per insured person and that charge is the client's sale
        # of the service (social_insurance/commission_events.py): a sale keyed here as well would be
        # the same sale twice, and the compute's would replace it. Where the compute makes none
        # (nobody insured through the client that month, a month filed before the fee, a service
        # not contracted), the sale is keyed by hand as before.
        fee = getattr(client, FEE_FIELDS[data.service])
        raise ValidationError({"service": [
            _("客户 %(name)s 的%(service)s按 %(fee)s 元/人·月收取服务费,每月销售由社保月度计算按费用明细表自动生成,"
              "无需手工录入。") % {"name": client.name, "service": _service_labels([data.service]),
                                  "fee": format_money(fee)}]})
    if data.service not in client.services and not data.add_service:
        raise ValidationError({"service": [
            _("客户 %(name)s 未签约%(service)s(已签约:%(have)s)。如客户新增了此服务,请选择“同时为客户新增此服务”。")
            % {"name": client.name, "service": _service_labels([data.service]), "have": _service_labels(client.services)}]})
    with transaction.atomic():
        if Sale.objects.select_for_update().filter(client=client, service=data.service, period=data.period).exists():
            raise ValidationError({"period": [_("该客户该服务 %(p)s 的销售已录入。") % {"p": format_period(data.period)}]})
        if data.service not in client.services:  # add_service: the client's contract grows, audited
            client = Client.objects.select_for_update().get(pk=client.pk)
            if data.service not in client.services:
                client.services = [*client.services, data.service]
                stamp(client, actor=actor, reason="新增服务(随销售录入)")
                client.save()
        sale = Sale(client=client, client_opened_on=client.opened_on, service=data.service, period=data.period,
                    amount=data.amount, seller=data.seller)
        stamp(sale, actor=actor, reason="销售录入")
        try:
            with transaction.atomic():
                sale.save()
        except IntegrityError:  # the same sale recorded concurrently
            raise ValidationError({"period": [_("该客户该服务 %(p)s 的销售已录入。") % {"p": format_period(data.period)}]})
        recompute_mark(event_branch=current_branch(), earners=[data.seller], periods={data.period})
    return sale


@dataclass(frozen=True)
class LeadInput:
    name: str
    source: str
    marketer: User | None
    created_on: dt.date
    qualified: bool
    owner: User | None = None  # 跟进销售: the seller working it


def parse_lead(data: dict) -> LeadInput:
    """The office's entry (manager, staff): any source, any marketer. Marketing and sales enter
    their own through `lead_services.parse_own_lead`, which fills in themselves."""
    errors = inputs.Errors()
    name = inputs.parse_text(data, "name", errors, single_line=True)
    source = data.get("source")
    if source not in (Lead.Source.MARKETING, Lead.Source.SALES):
        errors.add("source", _("来源须为 marketing 或 sales。"))
    marketer = inputs.parse_earner(data, "marketer", errors, required=False, roles=inputs.MARKETERS)
    if source == Lead.Source.MARKETING and marketer is None and "marketer" not in errors.errors:
        errors.add("marketer", _("市场线索须填写市场人员。"))
    if source == Lead.Source.SALES and marketer is not None:
        errors.add("marketer", _("销售自拓线索不填市场人员。"))
    created_on = (inputs.parse_date(data, "created_on", errors, required=False, not_after_today=True)
                  or timezone.localdate())
    qualified = inputs.parse_bool(data, "qualified", errors, default=True)
    owner = parse_seller_here(data, "owner", errors, required=False)
    errors.raise_if_any()
    return LeadInput(name=name, source=source, marketer=marketer, created_on=created_on, qualified=qualified,
                     owner=owner)


def parse_seller_here(data: dict, field: str, errors: inputs.Errors, *, required: bool) -> User | None:
    """A username of a seller (销售) of this branch: the person a lead is handed to (they work it
    here). An unknown name, someone who is no seller and another branch's seller get the same
    words, so the field never tells whether an account exists or where it works."""

    value = data.get(field)
    if value is None or isinstance(value, (bool, list, tuple, dict, set)) or not str(value).strip():
        return inputs.parse_earner(data, field, errors, required=required, roles=inputs.SELLERS)  # its words
    username = str(value).strip()
    refusal = inputs.refused_character(username)
    if refusal:  # NUL and the like: on the field, not from the database driver
        errors.add(field, refusal)
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or not BranchMembership.objects.filter(user=user, branch=current_branch(),
                                                           role=Role.SALES).exists():
        by_name = inputs.earner_by_name(username, inputs.SELLERS, errors, field)
        if by_name is not None or field in errors.errors:
            return by_name
        errors.add(field, _("%(u)s 不是本分支机构的销售人员。") % {"u": username[:150]})
        return None
    return user


def lead_create(*, actor, data: LeadInput, details: dict | None = None) -> Lead:
    """线索录入; `details` are its contact details (lead_services.parse_lead_details), written in
    the same row and the same audit entry."""
    from .models import LeadStageChange

    with transaction.atomic():
        lead = Lead(name=data.name, source=data.source, marketer=data.marketer, created_on=data.created_on,
                    qualified=data.qualified, owner=data.owner,
                    recorded_by=actor if getattr(actor, "pk", None) else None, **(details or {}))
        stamp(lead, actor=actor, reason="线索录入")
        lead.save()
        LeadStageChange.objects.create(lead=lead, stage=Lead.Stage.ENTERED, at=lead.stage_since, by=actor)
        if data.marketer is not None:  # the points scheme counts qualified leads of the month
            recompute_mark(event_branch=current_branch(), earners=[data.marketer], periods={period_of(data.created_on)})
        _flag_possible_duplicate(lead)
    return lead


def _flag_possible_duplicate(lead) -> None:
    """撞单: a lead with the name or the telephone number of one already recorded in the branch is
    kept (two people may well have met the same company) and the office — who read every lead
    and settle whose it is (归属) — is told which two to look at. The person recording it is
    not told of the other: a marketer sees their own leads only."""
    from django.db.models import Q

    from notifications.services import notification_create
    from notifications.words import w

    from .models import Lead

    same = Q(name__iexact=lead.name.strip())
    if lead.phone.strip():
        same |= Q(phone=lead.phone.strip())
    first = Lead.objects.exclude(pk=lead.pk).filter(same).order_by("created_on", "pk").first()
    if first is None:
        return
    branch = current_branch()
    office = BranchMembership.objects.filter(branch=branch, role__in=[Role.BRANCH_MANAGER, Role.BRANCH_STAFF],
                                             user__is_active=True).values_list("user_id", flat=True)
    for user_id in sorted(set(office)):
        notification_create(
            recipient_id=user_id, kind="lead_possible_duplicate", link=f"/b/{branch.code}/leads/{lead.pk}/",
            dedupe_key=f"lead-possible-duplicate:{lead.pk}",
            words={"title": w("线索可能重复(撞单):#%(new)s %(name)s 与 #%(old)s 同名或同电话,请核实归属",
                              new=lead.pk, name=lead.name, old=first.pk)})


@dataclass(frozen=True)
class LeadSignInput:
    amount: Decimal
    signed_on: dt.date
    seller: User


def parse_lead_sign(data: dict) -> LeadSignInput:
    errors = inputs.Errors()
    amount = inputs.parse_money(data, "amount", errors)
    signed_on = inputs.parse_date(data, "signed_on", errors, not_after_today=True)
    seller = inputs.parse_earner(data, "seller", errors, roles=inputs.SELLERS)
    errors.raise_if_any()
    return LeadSignInput(amount=amount, signed_on=signed_on, seller=seller)


def lead_sign(*, actor, lead_id: int, data: LeadSignInput, only_owned_by: User | None = None) -> Lead:
    """签约: the contract amount and the closing seller; the lead reaches 合同归档. With
    `only_owned_by` (a seller signing for themselves) a lead they do not work is missing (404)."""
    from .models import LeadStageChange

    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
        if lead is None or (only_owned_by is not None and lead.owner_id != only_owned_by.pk):
            raise Http404
        if lead.signed_on is not None:
            raise ValidationError({"detail": [_("该线索已于 %(d)s 签约。") % {"d": format_date(lead.signed_on)}]})
        if not RuleVersion.objects.filter(component="lead_attribution", effective_from__lte=data.signed_on).exists():
            # A signing dated before any 市场/销售分成 version would pay nothing, and a lead is
            # signed once: the mistyped date could never be put right.
            raise ValidationError({"signed_on": [_("签约日期 %(s)s 早于最早的市场/销售分成规则版本,请核对日期。")
                                                 % {"s": format_date(data.signed_on)}]})
        if lead.created_on and data.signed_on < lead.created_on:
            # A contract signed before its lead existed is a mistyped date, and it would pay the
            # lead's shares in an earlier month (one perhaps about to be closed).
            raise ValidationError({"signed_on": [_("签约日期 %(s)s 早于线索日期 %(c)s,请核对日期。") % {
                "s": format_date(data.signed_on), "c": format_date(lead.created_on)}]})
        lead.amount, lead.signed_on, lead.seller = data.amount, data.signed_on, data.seller
        lead.owner_id = lead.owner_id or data.seller.pk
        lead.stage, lead.stage_since = Lead.Stage.ARCHIVED, timezone.now()
        stamp(lead, actor=actor, reason="线索签约")
        lead.save()
        LeadStageChange.objects.create(lead=lead, stage=Lead.Stage.ARCHIVED, at=lead.stage_since, by=actor)
        periods = {period_of(data.signed_on)} | ({period_of(lead.created_on)} if lead.marketer_id else set())
        recompute_mark(event_branch=current_branch(), periods=periods,
                       earners=[data.seller, User.objects.filter(pk=lead.marketer_id).first()])
    return lead


# ---------------------------------------------------------------------------------------------
# Recompute
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecomputeResult:
    period: str
    mode: str  # "lines" (open period) | "earners" (their lines only) | "corrections" (closed) | "skipped"
    lines: int
    target_period: str | None = None


def _columns() -> str:
    return ", ".join(LINE_COLUMNS)


def recompute_period(*, period: str, rules: RuleBook | None = None, from_markers: bool = False) -> RecomputeResult:
    """Recompute the current branch's statements for `period`: one transaction, one branch-period
    at a time, idempotent. An open period gets its lines set-based: one INSERT … SELECT the first
    time, then only the differences (stale lines deleted, changed ones updated in place, new ones
    inserted; `lines_diff_sql`); a closed one is never touched — the difference is posted as
    corrections in the next open period.

    `from_markers` (the drain): only what the markers consumed here ask for — the lines of the
    earners they name (issue #25: one event, one person), the whole branch-period if one names
    nobody, nothing if another recompute consumed them first (it read after they were written).
    Otherwise (schedules, rule changes, a request, closing) the whole branch-period."""
    branch = current_branch()
    rules = rules or rulebook_load()
    home = BranchRef(branch.id, branch.code)
    sources = source_branches()
    with transaction.atomic():
        lock_objects.branch_period(branch.schema_name, period)
        status = period_status(branch, period)
        with connection.cursor() as cur:
            # Markers are consumed BEFORE the statement that reads the events, never after: under
            # READ COMMITTED that statement's snapshot is newer, so every event whose marker is
            # deleted here (same transaction as the event, possibly another branch's) is read
            # below; a marker committed after this DELETE stays for the next drain (ADR 0003).
            cur.execute("DELETE FROM commissions_recomputemarker WHERE period = %s RETURNING earners", [period])
            consumed = [row[0] for row in cur.fetchall()]
            earners: tuple[int, ...] | None = None
            if from_markers and status == BranchPeriod.Status.OPEN:
                if not consumed:
                    return RecomputeResult(period, "skipped", 0)
                if all(e is not None for e in consumed):
                    earners = tuple(sorted({int(e) for marker in consumed for e in marker}))
            if status == BranchPeriod.Status.OPEN:
                select = lines_select(period=period, home=home, sources=sources, rules=rules, earners=earners)
                cur.execute(f"SELECT EXISTS (SELECT 1 FROM {LINES_TABLE} WHERE period = %s AND corrects IS NULL)",
                            [period])
                if cur.fetchone()[0] or earners is not None:
                    # Lines already there: write only what differs (usually a handful of lines).
                    cur.execute(lines_diff_sql(lines_table=LINES_TABLE, period=period, select=select,
                                               earners=earners))
                    cur.execute(DIFF_EARNERS_SQL)
                    changed = {row[0] for row in cur.fetchall()}
                    # The markers consumed here were written by changes the statements may show
                    # without any line changing (e.g. a client's opening taken from the cycle
                    # rewords its tier): their people too, everyone for a marker naming nobody.
                    if any(marker is None for marker in consumed):
                        changed = None
                    else:
                        changed |= {int(e) for marker in consumed for e in marker}
                    count = _count_lines(cur, period, earners)
                else:
                    cur.execute(f"INSERT INTO {LINES_TABLE} ({_columns()}) {select}")
                    count = cur.rowcount
                    changed = None  # every line is new
                after_recompute(branch.schema_name, period, list(earners) if earners is not None else None,
                                changed=changed if earners is None else None)
                return RecomputeResult(period, "lines" if earners is None else "earners", count)
        # A frozen period: corrections into the next open period (locks in ascending order).
        target = next_open_period(branch, period)
        lock_objects.branch_period(branch.schema_name, target)
        if period_status(branch, target) != BranchPeriod.Status.OPEN:  # closed meanwhile
            target = next_open_period(branch, target)
            lock_objects.branch_period(branch.schema_name, target)
        count = _post_corrections(branch=branch, period=period, target=target, home=home, sources=sources,
                                  rules=rules)
        after_recompute(branch.schema_name, target, None)
        return RecomputeResult(period, "corrections", count, target)


def _count_lines(cur, period: str, earners: tuple[int, ...] | None) -> int:
    """Regular lines of the period (of `earners` only, for a per-earner recompute)."""
    if earners is None:
        cur.execute(f"SELECT count(*) FROM {LINES_TABLE} WHERE period = %s AND corrects IS NULL", [period])
    else:
        cur.execute(f"SELECT count(*) FROM {LINES_TABLE} WHERE period = %s AND corrects IS NULL "
                    f"AND earner_id = ANY(%s)", [period, list(earners)])
    return cur.fetchone()[0]


def manual_line_post(*, actor, earner_id: int, period: str, amount: Decimal, reference: str,
                     event_date: dt.date) -> StatementLine:
    """Post money decided by a person (e.g. an inquiry's resolution) as its own statement line in
    an open period of the current branch. The line has `corrects` set, so recomputes keep it and
    closed-period corrections never count it; the period's totals and rollup include it."""
    branch = current_branch()
    if not isinstance(amount, Decimal) or amount == 0 or amount != quantize_money(amount):
        raise ValidationError({"amount": [_("调整金额须为非零金额,最多两位小数。")]})
    if len(reference) > 45:
        raise ValidationError({"reference": ["reference too long"]})
    with transaction.atomic():
        lock_objects.branch_period(branch.schema_name, period)
        if period_status(branch, period) != BranchPeriod.Status.OPEN:
            raise ValidationError({"period": [_("期间 %(p)s 已关账,不能再计入。") % {"p": format_period(period)}]})
        line = StatementLine.objects.create(
            period=period, earner_id=earner_id, source=f"{branch.code}:{reference}"[:60], component=MANUAL,
            corrects=reference, corrects_period=None, source_branch_id=branch.id, event_date=event_date,
            rule_version_id=None, base=amount, rate=Decimal("100.00"), adjustment_percent=Decimal("0.00"),
            amount=amount,
        )
        after_recompute(branch.schema_name, period, [earner_id])
    return line


def _post_corrections(*, branch, period, target, home, sources, rules) -> int:
    frozen = sorted(frozen_periods(branch))
    desired = lines_select(period=period, home=home, sources=sources, rules=rules)
    with connection.cursor() as cur:
        # Corrections of `period` still sitting in open periods are replaced by the new difference.
        cur.execute(f"DELETE FROM {LINES_TABLE} WHERE corrects_period = %s AND NOT (period = ANY(%s))",
                    [period, frozen])
        cur.execute(
            f"""
            WITH desired AS ({desired}),
            paid AS (
                SELECT earner_id, source, component AS comp, amount, source_branch_id, event_date, rule_version_id
                FROM {LINES_TABLE} WHERE period = %(p)s AND corrects IS NULL
                UNION ALL
                SELECT earner_id, source, split_part(corrects, '@', 1), amount, source_branch_id, event_date,
                       rule_version_id
                FROM {LINES_TABLE} WHERE corrects_period = %(p)s AND period = ANY(%(frozen)s)
            ),
            have AS (
                SELECT earner_id, source, comp, sum(amount) AS amount, min(source_branch_id) AS sb,
                       min(event_date) AS ed, min(rule_version_id) AS rv
                FROM paid GROUP BY earner_id, source, comp
            ),
            diff AS (
                SELECT coalesce(d.earner_id, h.earner_id) AS earner_id, coalesce(d.source, h.source) AS source,
                       coalesce(d.component, h.comp) AS comp,
                       coalesce(d.amount, 0) - coalesce(h.amount, 0) AS delta,
                       coalesce(d.source_branch_id, h.sb) AS sb, coalesce(d.event_date, h.ed) AS ed,
                       coalesce(d.rule_version_id, h.rv) AS rv
                FROM desired d FULL OUTER JOIN have h
                  ON d.earner_id = h.earner_id AND d.source = h.source AND d.component = h.comp
            )
            INSERT INTO {LINES_TABLE} ({_columns()})
            SELECT %(t)s, earner_id, source, 'correction', comp || '@' || %(p)s, %(p)s, sb, ed, rv,
                   delta, 100, 0, delta, false
            FROM diff WHERE delta <> 0
            """,
            {"p": period, "t": target, "frozen": frozen},
        )
        return cur.rowcount


CARRY = "balance_carried"


def carry_negative_balances(*, branch: Branch, period: str) -> int:
    """At close: an earner whose month adds up to less than zero (a clawback bigger than the
    month's earnings) is paid nothing — a line brings the month to 0.00 — and the balance is
    carried to the next open month as a negative line, both explained on the statements. The
    lines are kept by later recomputes (`corrects` set, like a manual line). Returns how many
    earners carried a balance."""
    target = next_open_period(branch, period)
    lock_objects.branch_period(branch.schema_name, target)
    rows = list(StatementLine.objects.filter(period=period).values("earner_id")
                .annotate(total=Sum("amount")).filter(total__lt=0).values_list("earner_id", "total"))
    for earner_id, total in rows:
        common = dict(earner_id=earner_id, component=CARRY, corrects_period=None, source_branch_id=branch.id,
                      rule_version_id=None, rate=Decimal("100.00"), adjustment_percent=Decimal("0.00"))
        StatementLine.objects.create(period=period, source=f"{branch.code}:carry:{target}", corrects=f"carry_out:{target}",
                                     event_date=period_end(period), base=-total, amount=-total, **common)
        StatementLine.objects.create(period=target, source=f"{branch.code}:carry:{period}", corrects=f"carry_in:{period}",
                                     event_date=period_start(target), base=total, amount=total, **common)
    if rows:
        after_recompute(branch.schema_name, target, [earner_id for earner_id, _total in rows])
    return len(rows)


def rollup_refresh(*, branch: Branch, period: str, earners: list[int] | None = None) -> tuple[set[int], set[int]]:
    """Upsert this branch-period's per-person figures into HQ's public rollup (same transaction);
    with `earners`, those people's only. Returns the people on it before or after (everyone whose
    lines of the period may differ) and, of them, those whose figures changed."""
    only = "" if earners is None else f" AND {{col}} IN ({', '.join(str(int(e)) for e in earners) or 'NULL'})"
    figures = "user_id, openings, sales_amount, commission"
    with connection.cursor() as cur:
        cur.execute("DELETE FROM public.commissions_hq_earnermonthrollup WHERE branch_id = %s AND period = %s"
                    + only.format(col="user_id") + f" RETURNING {figures}", [branch.id, period])
        before = set(cur.fetchall())
        cur.execute(
            f"""
            INSERT INTO public.commissions_hq_earnermonthrollup
                (branch_id, period, user_id, openings, sales_amount, commission, updated_at)
            SELECT %s, %s, l.earner_id,
                   -- as the branch board counts (selectors._board_value): corrections move the
                   -- commission only, never the month's openings or sales
                   count(*) FILTER (WHERE l.component = 'opening_reward' AND l.corrects IS NULL),
                   coalesce(sum(l.base) FILTER (WHERE l.component = 'sales_commission' AND l.corrects IS NULL), 0),
                   sum(l.amount), now()
            FROM {LINES_TABLE} l WHERE l.period = %s{only.format(col="l.earner_id")}
              AND EXISTS (SELECT 1 FROM public.branches_user u WHERE u.id = l.earner_id)
            GROUP BY l.earner_id
            RETURNING {figures}
            """,
            [branch.id, period, period],
        )
        after = set(cur.fetchall())
    return {r[0] for r in before | after}, {r[0] for r in before ^ after}


def after_recompute(schema: str, period: str, earner_ids: list[int] | None, *,
                    changed: set[int] | None = None) -> None:
    """THE post-recompute hook: called once by every recompute of a branch-period that wrote lines,
    inside its transaction and under the branch-period lock, with the people whose lines were
    recomputed (`None`: everyone in the branch-period — a full recompute or a correction).
    Whatever is derived from statement lines is brought up to date here, for those people only:
    HQ's EarnerMonthRollup (and the boards that read it), then their statements and the branch's
    and the company's boards of the period are invalidated from now until the commit and prepared
    again after it (commissions/prepared.py).

    `changed`: when a full recompute knows whose lines it actually changed (its diff), only those
    people's statements (and anyone whose rollup figures changed) are invalidated and prepared
    again — a scheduled recompute that changes nothing re-renders nothing — while the rollup is
    still refreshed for everyone."""
    from .prepared import lines_changing

    branch = Branch.objects.get(schema_name=schema)
    touched, figures_changed = rollup_refresh(branch=branch, period=period, earners=earner_ids)
    if earner_ids is not None:
        people = set(earner_ids) | touched
    elif changed is not None:
        people = changed | figures_changed
        if not people:
            return  # no line and no figure changed: every statement and board is as it was
    else:
        people = touched
    lines_changing(schema, period, people)

def recompute_drain() -> list[RecomputeResult]:
    """Recompute every branch-period with a pending marker (markers committed later stay for
    the next drain: each recompute deletes only what its own transaction sees)."""
    periods = sorted(set(RecomputeMarker.objects.values_list("period", flat=True)))
    rules = rulebook_load()
    return _recompute_each(periods, rules, from_markers=True)


def markers_waiting() -> int | None:
    """Markers of this branch that no recompute has consumed and none has failed on for good: the
    most transient errors one of them met (0 for fresh ones); None when none waits."""
    return RecomputeMarker.objects.filter(failed_at__isnull=True).aggregate(tries=Max("attempts"))["tries"]


def drain_again_if_marked() -> bool:
    """Called when a drain or a recompute has finished: a marker still here was committed after
    its DELETE (or by a request that joined a job), or its recompute was in another
    transaction's way (a deadlock, a broken connection: `transient`), so its event is not on the
    statements yet. Its own drain should be queued — unless that message was lost, the enqueue
    failed, or it ran before this recompute released the branch-period and found nothing newer
    to do. Queueing one more drain here closes that gap without relying on beat (ADR 0003), after
    a back-off when the markers wait for a retry; markers that failed for good stay for beat, so
    this never loops on a period that cannot be recomputed."""
    tries = markers_waiting()
    if tries is None:
        return False
    _SendDrain(connection.schema_name, countdown=retry_delay(tries))()
    return True


# PostgreSQL's answers that say nothing about the branch-period itself: the recompute met
# another transaction (deadlock, serialization failure, lock not available) or the server
# (restarting, out of connections, the connection broke). The same recompute a moment later
# succeeds, so its markers are kept for a retry instead of waiting for beat.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03", "53300", "57P01", "57P02", "57P03"})
TRANSIENT_TRIES = 8  # then the markers are failed and wait for beat, like any other failure


def transient(exc: BaseException) -> bool:
    """Whether `exc` is a database error that retrying the same recompute can cure."""
    if isinstance(exc, InterfaceError):  # the connection is gone
        return True
    if not isinstance(exc, OperationalError):
        return False
    code = getattr(exc.__cause__, "pgcode", None)
    # No SQLSTATE: the client lost the server (connection refused, reset, closed).
    return code is None or code in TRANSIENT_SQLSTATES or code.startswith("08")


def retry_delay(tries: int) -> int:
    """Seconds before the next drain of markers that met `tries` transient errors (0: none)."""
    return 0 if tries <= 0 else min(2 ** tries, 60)


def recompute_requested(period: str) -> list[RecomputeResult]:
    """`POST recompute/`'s task: the whole branch-period, its failure kept on the markers."""
    return _recompute_each([period], rulebook_load())


def _recompute_each(periods, rules: RuleBook, *, from_markers: bool = False) -> list[RecomputeResult]:
    """Recompute each period in its own transaction; one that fails (or is not a period of the
    product's range at all) is logged and marked on its markers, and the others go on."""
    results = []
    for period in periods:
        if not valid_period(period):
            _marker_failed(period, "not a period in the accepted range")
            continue
        try:
            with transaction.atomic():  # a savepoint when called inside a transaction
                results.append(recompute_period(period=period, rules=rules, from_markers=from_markers))
        except Exception as exc:  # noqa: BLE001 — isolate the period; the error is logged and kept
            if transient(exc) and _marker_retry(period, f"{type(exc).__name__}: {exc}"):
                log.warning("recompute of %s in %s met %s (%s); its markers are drained again", period,
                            connection.schema_name, type(exc).__name__, str(exc).strip()[:200])
                continue
            log.exception("recompute of %s in %s failed; the other periods go on", period, connection.schema_name)
            _marker_failed(period, f"{type(exc).__name__}: {exc}")
    return results


def _marker_failed(period: str, error: str) -> None:
    RecomputeMarker.objects.filter(period=period).update(attempts=F("attempts") + 1, failed_at=timezone.now(),
                                                         last_error=error[:300])


def _marker_retry(period: str, error: str) -> bool:
    """A transient error: the period's markers count the try and stay waiting (the task that ran
    them queues the next drain, `drain_again_if_marked`, after `retry_delay`). False once they
    have had TRANSIENT_TRIES: then they fail like any other error."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()  # a broken connection: the next query opens a new one
    markers = RecomputeMarker.objects.filter(period=period, failed_at__isnull=True)
    if markers.filter(attempts__gte=TRANSIENT_TRIES - 1).exists():
        return False
    markers.update(attempts=F("attempts") + 1, last_error=error[:300])
    return True


def open_periods_to_recompute(*, today: dt.date | None = None) -> list[str]:
    """The open periods worth a scheduled recompute: this and last month (anniversaries arrive
    without events) plus every open period that has lines or events."""
    from .models import StatementLine

    branch = current_branch()
    today = today or timezone.localdate()
    candidates = {period_of(today), period_of(add_months(today.replace(day=1), -1))}
    candidates |= set(StatementLine.objects.values_list("period", flat=True).distinct())
    candidates |= set(RecomputeMarker.objects.values_list("period", flat=True))
    frozen = frozen_periods(branch)
    return sorted(p for p in candidates if valid_period(p) and not is_frozen(p, frozen, max(frozen, default=None)))


def recompute_open_periods() -> list[RecomputeResult]:
    rules = rulebook_load()
    return _recompute_each(open_periods_to_recompute(), rules)


RECOMPUTE_JOB = "commissions.recompute"


def recompute_request(*, actor, period: str) -> str:
    """`POST recompute/`: returns the task id of the branch-period's pending recompute — a new one
    (a durable marker now, the task after commit) unless one is already waiting to start, which
    this request joins (`branches.jobs`: one pending job per branch and period)."""
    from branches.jobs import request_job

    from .tasks import recompute_period_task

    schema = connection.schema_name

    def send(task_id: str) -> None:
        with transaction.atomic():
            RecomputeMarker.objects.create(period=period)
            transaction.on_commit(lambda: recompute_period_task.apply_async(
                args=[period], task_id=task_id, headers={"_schema_name": schema}))

    task_id, enqueued = request_job(kind=RECOMPUTE_JOB, period=period, send=send)
    if not enqueued and not RecomputeMarker.objects.filter(period=period, earners__isnull=True).exists():
        # Joined a job that has not started yet, and no marker asks for the whole branch-period
        # (something else consumed the job's, or only events' markers naming some earners are
        # left): the request is put on record all the same, so that it is not lost if that job
        # never runs (a lost message) — the job, the next drain (which re-queues itself while
        # markers are left) or beat consumes it. (A flood of requests still writes one marker.)
        RecomputeMarker.objects.create(period=period)
        transaction.on_commit(_DrainUnlessJobWaits(schema, period, task_id))
    return task_id


class _DrainUnlessJobWaits:
    """After a joining request's marker commits: a drain for it, unless the joined job is still
    waiting to start. The job may have started since the request read its id, recomputed and
    made its last look for markers (`drain_again_if_marked`) before this marker committed: then
    only beat would ever drain it (seen under load: a marker left for good without beat). A job
    still waiting will consume it (it clears its pending mark first thing, before it deletes the
    period's markers), so no second recompute of the whole period is queued for nothing."""

    def __init__(self, schema: str, period: str, task_id: str):
        self.schema, self.period, self.task_id = schema, period, task_id

    def __call__(self) -> None:
        from branches.jobs import is_pending

        if not is_pending(kind=RECOMPUTE_JOB, period=self.period, task_id=self.task_id, schema=self.schema):
            _SendDrain(self.schema)()


# ---------------------------------------------------------------------------------------------
# Periods: close (branch manager) and paid (HQ finance)
# ---------------------------------------------------------------------------------------------
def period_close(*, actor, period: str) -> BranchPeriod:
    """Close a period: a last recompute, then the statements are locked (the database refuses any
    later change of its lines)."""
    branch = current_branch()
    if not may_close_month(actor, branch):
        raise PermissionDenied(_("只有本分支机构的经理可以关账。"))
    this_month = timezone.localdate().strftime("%Y-%m")
    if period > this_month:
        # A month not begun has nothing to lock, and a closed period freezes the rules in force in
        # it for every branch (rule versions and adjustments may not start in a closed period).
        raise ValidationError({"period": [_("期间 %(p)s 尚未开始(本月为 %(m)s),不能关账。")
                                          % {"p": format_period(period), "m": format_period(this_month)}]})
    if period == this_month:
        # The month's work is still being recorded (a sale on its last day belongs to it), and
        # closing it would freeze HQ's rules and every branch's adjustments for the rest of it.
        raise ValidationError({"period": [_("期间 %(p)s 尚未结束,月末之后才能关账。") % {"p": format_period(period)}]})
    with transaction.atomic():
        lock_objects.branch_period(branch.schema_name, period)
        if period_status(branch, period) != BranchPeriod.Status.OPEN:
            raise ValidationError({"period": [_("期间 %(p)s 已关账。") % {"p": format_period(period)}]})
        earlier = earliest_open_period(branch, before=period)
        if earlier is not None:
            raise ValidationError({"period": [_("%(e)s 尚未关账,请先关账 %(e)s,再关账 %(p)s。") % {
                "e": format_period(earlier), "p": format_period(period)}]})
        recompute_period(period=period)
        carry_negative_balances(branch=branch, period=period)
        from .lead_services import leads_settle_for_period

        leads_settle_for_period(actor=actor, period=period)  # 业绩结算 of the month's signed leads
        with schema_context("public"):
            obj, _created = BranchPeriod.objects.get_or_create(branch=branch, period=period)
            obj.status, obj.closed_at, obj.closed_by = BranchPeriod.Status.CLOSED, timezone.now(), actor
            stamp(obj, actor=actor, reason="关账")
            obj.save()
        period_status_changing(branch.schema_name, period)  # the statements show the status
        # 电子工资条: each earner gets the closed statement to confirm or question.
        from .hq.payouts.receipts import receipts_send

        receipts_send(actor=actor, branch=branch, period=period)
    return obj


COMPONENT_TITLES = {"opening_reward": "开户奖励", "retention_bonus": "留存奖励", "sales_commission": "销售提成",
                    "lead_marketing": "市场线索分成", "lead_sales": "销售签约分成", "lead_points": "有效线索积分奖励",
                    "lead_conversion": "线索转化奖励", "correction": "提成更正"}


def period_mark_paid(*, actor, branch: Branch, period: str, confirmed=None) -> BranchPeriod:
    """HQ finance marks a closed branch-period paid; every earner gets an inbox message
    ("您的开户奖励1,200.00元已到账"), once (dedupe key per period).

    `confirmed` — the (statement count, total) the payer was shown on the confirmation page — is
    checked again under the period lock: if either changed since, nothing is written and the
    payer is asked to look again (paying an amount nobody saw is what the confirmation prevents)."""
    if not (getattr(actor, "is_superuser", False) or {Role.HQ_FINANCE, Role.HQ_ADMIN} & hq_roles_of(actor)):
        raise PermissionDenied(_("仅总部财务可确认发放。"))
    from notifications import words
    from notifications.services import notification_create

    from .hq.payouts import receipts
    from .models import StatementLine

    with schema_context(branch.schema_name), transaction.atomic():
        lock_objects.branch_period(branch.schema_name, period)
        obj = BranchPeriod.objects.filter(branch=branch, period=period).first()
        if obj is None or obj.status == BranchPeriod.Status.OPEN:
            raise ValidationError({"period": [_("期间 %(p)s 尚未关账,不能发放。") % {"p": format_period(period)}]})
        if obj.status == BranchPeriod.Status.PAID:
            return obj
        if confirmed is not None:
            from .selectors import payout_summary

            now = payout_summary(period)
            count, total = confirmed
            if (now.statements, now.total) != (count, total):
                raise ValidationError({"confirmed": [_(
                    "确认后提成单已变化:确认时 %(n0)s 份、合计 %(t0)s 元,现在 %(n1)s 份、合计 %(t1)s 元。"
                    "未标记发放,请重新核对后再确认。") % {
                    "n0": count, "t0": f"{total:,.2f}", "n1": now.statements, "t1": f"{now.total:,.2f}"}]})
        obj.status, obj.paid_at, obj.paid_by = BranchPeriod.Status.PAID, timezone.now(), actor
        stamp(obj, actor=actor, reason="已发放")
        obj.save()
        period_status_changing(branch.schema_name, period)  # the statements show the status
        per_earner: dict[int, dict[str, Decimal]] = {}
        for earner_id, component, amount in StatementLine.objects.filter(period=period).values_list(
                "earner_id", "component", "amount"):
            per_earner.setdefault(earner_id, {}).setdefault(component, Decimal(0))
            per_earner[earner_id][component] += amount
        for earner_id, parts in sorted(per_earner.items()):
            total = sum(parts.values(), Decimal(0))
            if total <= 0:
                continue
            # The month always (one component's notice read "您的市场线索分成11,435.60元已到账"),
            # and the earner's own payslip (工资条), not the office's statements page.
            title = (words.w("您的%(p)s%(what)s%(amount)s元已到账", p=words.period(period),
                             what=words.label("component", next(iter(parts))), amount=words.money(total))
                     if len(parts) == 1 else
                     words.w("您的%(p)s提成%(amount)s元已到账", p=words.period(period), amount=words.money(total)))
            notification_create(
                recipient_id=earner_id, kind="commission_paid", words={
                    "title": title,
                    "body": words.join([words.w("%(item)s %(amount)s 元", item=words.label("component", c),
                                                amount=words.money(a)) for c, a in sorted(parts.items())])},
                link=receipts.payslip_link(branch, period), dedupe_key=f"commission-paid:{period}",
            )
    return obj
