"""Writes of the branch side of 社保/公积金: validate → lock → write → audit → on_commit.

Every function runs in the current branch's schema (django-tenants picks it from the URL or
the task's header); the public policy tables are reached through the search path.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import unicodedata
from concurrent.futures import Future
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.utils.translation import ngettext
from psycopg2 import sql as pg_sql

from branches.audit import stamp
from clients.models import Client
from hrsaas import uploads
from hrsaas.core.beside import Beside, bounded_waits, may_run_beside
from hrsaas.core.branch import require_branch
from hrsaas.core.formatting import format_date, format_period, is_english
from hrsaas.core.inputs import Errors, parse_date, record_id, text_box
from hrsaas.core.labels import label
from hrsaas.core import locks
from hrsaas.core.locks import Lock
from hrsaas.core.collation import by_pinyin
from social_insurance.policies.models import CityPolicy, CitySetting
from social_insurance.policies.selectors import city_settings, policy_rule, policy_rules

from . import commission_events, engine, sql
from .crypto import encrypt_identity, identity_hash, identity_hashes
from .models import (
    BaseDispute,
    ChangeKind,
    ClientContact,
    ContributionLine,
    CycleStatus,
    DisputeStatus,
    ExceptionStatus,
    FeePayment,
    FeeStatement,
    InsuredEmployee,
    LineSource,
    MonthCycle,
    PaymentException,
    StaffChange,
    StatementStatus,
)

logger = logging.getLogger(__name__)

ZERO_MONEY = Decimal("0.00")
RESPOND_WITHIN = dt.timedelta(hours=1)
RESOLVE_WITHIN = dt.timedelta(hours=24)


def _errors(errs: dict[str, str]) -> None:
    if errs:
        raise ValidationError({k: [v] for k, v in errs.items()})


# ---------------------------------------------------------------------------------------------
# Calculator (缴费试算)
# ---------------------------------------------------------------------------------------------
def contribution_preview(*, city, month, wage, housing_fund_percent=None, injury_rate=None):
    """(policy rule, contribution) for the API's preview; every bad field reported at once."""
    errs: dict[str, str] = {}
    policy = wage_d = hf = inj = None
    if not isinstance(city, str) or not city:
        errs["city"] = _("请填写参保城市代码,例如 beijing。")
    if not isinstance(month, str):
        errs["month"] = _("月份格式应为 YYYY-MM,例如 2025-03。")
    if not errs:
        try:
            policy = engine.policy_for_month(policy_rules(city), city, month)
        except engine.PolicyError as exc:
            errs[exc.field] = exc.message
    try:
        wage_d = engine.parse_wage(wage, "wage")
    except engine.PolicyError as exc:
        errs[exc.field] = exc.message
    if housing_fund_percent is not None:
        try:
            hf = engine.parse_percent(housing_fund_percent, "housing_fund_percent")
        except engine.PolicyError as exc:
            errs[exc.field] = exc.message
    if injury_rate is not None:
        try:
            inj = engine.parse_percent(injury_rate, "injury_rate")
        except engine.PolicyError as exc:
            errs[exc.field] = exc.message
    _errors(errs)
    try:
        result = engine.contribution_for(policy, wage_d, housing_fund_percent=hf, injury=inj)
    except engine.PolicyError as exc:
        _errors({exc.field: exc.message})
    return policy, result


# ---------------------------------------------------------------------------------------------
# Insured employees (员工档案)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EmployeeInput:
    client: object
    name: object
    id_number: object
    insured_city: object
    wage: object
    start_date: object
    contract_city: object = None
    payroll_city: object = None
    housing_fund_percent: object = None
    injury_rate: object = None
    end_date: object = None


@dataclass
class CleanEmployee:
    fields: dict = field(default_factory=dict)
    id_number: str = ""


def _date(value, name, errs):
    """A day as the core reads it, with its own words for each problem (format, no such day, a
    year out of range): "format" for 1900-01-01 would send people hunting for a typo."""
    errors = Errors()
    day = parse_date({name: value}, name, errors, required=False)
    if errors.errors:
        errs[name] = errors.errors[name][0]
    return day


# How far ahead an 增员 may be entered: next month's joiners are routine, a date years away is a
# typo that would sit unnoticed in the roster.
START_DAYS_AHEAD = 366


def filed_periods() -> set[str]:
    """The branch's filed months."""
    return set(MonthCycle.objects.filter(status=CycleStatus.FILED).values_list("period", flat=True))


def policy_gaps():
    """A memo of `cities_without_policy` by month: (city, "YYYY-MM") → whether no version is in
    force (one query per month however many people an import names)."""
    from social_insurance.policies.selectors import cities_without_policy

    months: dict[str, set[str]] = {}

    def missing(city: str, month: str) -> bool:
        if month not in months:
            months[month] = set(cities_without_policy(engine.month_start(month)))
        return city in months[month]
    return missing


def no_policy_notice(employee: InsuredEmployee, today: dt.date | None = None, *, gaps=None) -> str | None:
    """What the office is told when it enters a person whose city has no policy in force for
    their first insured month, or for this month: those months compute to nothing for them
    until HQ publishes or extends (沿用) a version (the compute says so only later, on the board).
    None when every such month has a policy. `gaps`: a `policy_gaps()` memo shared by the rows
    of an import."""
    gaps = gaps or policy_gaps()
    today = today or timezone.localdate()
    rules = city_settings(employee.insured_city)
    first = engine.first_insured_month(employee.start_date, rules.add_cutoff_day)
    months = sorted({first, engine.period_of(today)}) if first < engine.period_of(today) else [first]
    if employee.end_date is not None:
        last = engine.last_insured_month(employee.end_date, rules.remove_covers_leaving_month)
        months = [m for m in months if m <= last]
    missing = [m for m in months if gaps(employee.insured_city, m)]
    if not missing:
        return None
    city = label("city", employee.insured_city) or employee.insured_city
    return _("%(city)s没有%(months)s适用的社保政策:计算时该员工的社保费为零,不计入客户的费用明细表。"
             "请联系总部发布或沿用该城市的政策后重新计算。") % {
        "city": city, "months": _("、").join(format_period(m) for m in missing)}


def late_start_notice(employee: InsuredEmployee, filed: set[str] | None = None) -> str | None:
    """What happens to a person entered after months of their insurance were filed: which of
    those months the next open month back-pays (补缴, within the city's limit) and which are past
    the limit and not insured. None when no month of theirs is filed."""
    filed = filed_periods() if filed is None else filed
    rules = city_settings(employee.insured_city)
    first = engine.first_insured_month(employee.start_date, rules.add_cutoff_day)
    last = (engine.last_insured_month(employee.end_date, rules.remove_covers_leaving_month)
            if employee.end_date else None)
    if last is not None and last < first:
        return None  # never insured
    charged = set(ContributionLine.objects.filter(employee=employee, source__in=(LineSource.REGULAR, LineSource.BACK_PAY))
                  .values_list("for_period", flat=True))
    missing = [p for p in engine.filed_in_span(first, last, filed) if p not in charged]
    if not missing:
        return None
    carrying = engine.first_open_after(missing[-1], filed)
    paid, lost = engine.back_paid_months(missing, carrying, rules.back_payment_months_limit)
    span = lambda months: (format_period(months[0]) if len(months) == 1  # noqa: E731
                           else _("%(a)s至%(b)s") % {"a": format_period(months[0]), "b": format_period(months[-1])})
    parts = []
    if paid:
        parts.append(_("%(months)s已申报,将在%(carrying)s补缴。") % {"months": span(paid),
                                                                 "carrying": format_period(carrying)})
    if lost:
        city = label("city", employee.insured_city) or employee.insured_city
        parts.append(ngettext("%(months)s已申报且超出%(city)s的补缴期限(%(n)s 个月),不补缴。",
                              "%(months)s已申报且超出%(city)s的补缴期限(%(n)s 个月),不补缴。",
                              rules.back_payment_months_limit)
                     % {"months": span(lost), "city": city, "n": rules.back_payment_months_limit})
    return (" " if is_english() else "").join(parts)  # sentences: Chinese runs them on


@dataclass(frozen=True)
class BranchMonths:
    """The branch's months an 增员's start is checked against: the filed ones, and the earliest
    open month, which lists the 增员 and back-pays (补缴) the filed months before it. None: no
    month computed yet — the people entered before the branch's first month (going live) are its
    opening roster, insured before the system and not 增员."""

    filed: frozenset
    open_month: str | None


def branch_months() -> BranchMonths:
    filed = filed_periods()
    if filed:  # months are filed in order: every month after the latest filed one is open
        return BranchMonths(frozenset(filed), engine.add_months(max(filed), 1))
    first = (MonthCycle.objects.filter(computed_at__isnull=False).order_by("period")
             .values_list("period", flat=True).first())
    return BranchMonths(frozenset(), first)


def start_refusal(city: str, start: dt.date, months: BranchMonths | None = None) -> str | None:
    """Why an 增员 starting on `start` in `city` cannot be taken, None when it can. A start before
    the earliest open month is registered in that month with 补缴 of the filed months in between,
    as far back as the city allows (补缴最多月数) and only over months the branch filed in the system
    (engine.earliest_back_paid_month); a start further back would be billed for months nobody
    registers or back-pays, so it is refused and the earliest start allowed is named."""
    months = branch_months() if months is None else months
    if months.open_month is None:
        return None
    rules = city_settings(city)
    first = engine.first_insured_month(start, rules.add_cutoff_day)
    if first >= months.open_month:
        return None
    limit = rules.back_payment_months_limit
    earliest = engine.earliest_back_paid_month(months.open_month, months.filed, limit)
    if first >= earliest:
        return None
    words = {"day": format_date(start), "open": format_period(months.open_month), "n": limit,
             "earliest": format_period(earliest), "earliest_day": format_date(engine.month_start(earliest)),
             "city": label("city", city) or city}
    if engine.months_between(earliest, months.open_month) >= limit:
        return ngettext("参保开始日期 %(day)s 过早:增员在%(open)s办理,%(city)s最多补缴 %(n)s 个月,"
                        "最早从%(earliest)s起参保(开始日期不早于 %(earliest_day)s)。请核对日期。",
                        "参保开始日期 %(day)s 过早:增员在%(open)s办理,%(city)s最多补缴 %(n)s 个月,"
                        "最早从%(earliest)s起参保(开始日期不早于 %(earliest_day)s)。请核对日期。", limit) % words
    return _("参保开始日期 %(day)s 过早:本分支机构%(earliest)s之前的月份未在系统中申报,无法补缴;"
             "最早从%(earliest)s起参保(开始日期不早于 %(earliest_day)s)。请核对日期。") % words


def employee_clean(data: EmployeeInput, *, rules=None, clients=None, months: BranchMonths | None = None) -> CleanEmployee:
    """Validate one employee (no writes). Raises ValidationError {field: [msg]}. A start in a
    month already filed is accepted within what can be back-paid (start_refusal): the next
    compute back-pays it (late_start_notice says what); a start further back is refused."""
    errs: dict[str, str] = {}
    out: dict = {}
    rules = rules if rules is not None else policy_rules()
    cities = {r.city for r in rules}
    # 参保地 as staff write it (北京) or as its code (beijing).
    # A city by its name as the policy data has it (北京) or as an English page shows it (Beijing).
    from hrsaas.core.labels import label

    city_codes = {r.name: r.city for r in rules}
    for r in rules:
        with translation.override("en"):
            city_codes.setdefault(label("city", r.city), r.city)
    # Numbers typed with a Chinese input method (５１, ２０２６－０１－０１) read as what they are.
    changes = {}
    for name in ("client", "wage", "housing_fund_percent", "injury_rate", "start_date", "end_date"):
        value = getattr(data, name)
        if isinstance(value, str):
            changes[name] = engine.halfwidth(value)
    for name in ("insured_city", "contract_city", "payroll_city"):
        value = getattr(data, name)
        if isinstance(value, str):
            changes[name] = city_codes.get(value.strip(), value)
    data = dataclasses.replace(data, **changes)

    client = None
    client_ref = str(data.client or "").strip()
    is_number = client_ref.isascii() and client_ref.isdigit() and len(client_ref) < 19
    if client_ref and not is_number:
        # A client by its exact name (an import file's 客户名称 column).
        named = [c for c in (clients.values() if clients is not None else Client.objects.filter(name=client_ref))
                 if c.name == client_ref]
        if len(named) == 1:
            client_ref, is_number = str(named[0].pk), True
        else:
            errs["client"] = (_("客户名称不唯一:%(name)s。") if named else _("未知客户:%(name)s。")) % {"name": client_ref}
    if "client" in errs:
        pass  # an unknown or ambiguous name, said above
    elif not is_number:
        errs["client"] = _("请填写客户编号或客户名称。")
    else:
        client = clients.get(int(client_ref)) if clients is not None else Client.objects.filter(pk=int(client_ref)).first()
        if client is None:
            errs["client"] = _("客户不存在。")
        elif client.closed_on is not None:
            errs["client"] = _("该客户已终止服务。")
    name = str(data.name or "").strip()
    if not name or len(name) > 100:
        errs["name"] = _("请填写姓名(不超过 100 字)。")
    number = engine.normalize_identity(str(data.id_number or ""))
    if not engine.identity_number_valid(number):
        errs["id_number"] = _("身份证号无效(须为 18 位且校验位正确)。")
    # What a person may write for a city: its name as the policy data has it (北京, 上海 …).
    accepted = _("、").join(dict.fromkeys(r.name for r in rules))
    insured = str(data.insured_city or "").strip()
    if not insured:
        errs["insured_city"] = _("请填写参保城市,如 %(cities)s。") % {"cities": accepted}
    elif insured not in cities:
        errs["insured_city"] = _("未知的参保城市:%(city)s。请填写城市名称,如 %(cities)s。") % {
            "city": insured[:30], "cities": accepted}
    contract = str(data.contract_city or "").strip() or insured
    payroll = str(data.payroll_city or "").strip() or insured
    for key, value in (("contract_city", contract), ("payroll_city", payroll)):
        if value != insured and value not in cities:  # left blank: the insured city (checked above)
            errs[key] = _("未知的城市:%(city)s。请填写城市名称,如 %(cities)s。") % {"city": value[:30], "cities": accepted}
    try:
        wage = engine.parse_declared_wage(data.wage, "wage")
    except engine.PolicyError as exc:
        errs[exc.field] = exc.message
        wage = None
    start = _date(data.start_date, "start_date", errs)
    if start is None and "start_date" not in errs:
        errs["start_date"] = _("请填写参保开始日期。")
    elif start is not None and start > timezone.localdate() + dt.timedelta(days=START_DAYS_AHEAD):
        errs["start_date"] = _("参保开始日期 %(day)s 在一年以后,请核对日期。") % {"day": format_date(start)}
    elif start is not None and "insured_city" not in errs:
        refusal = start_refusal(insured, start, months)
        if refusal:
            errs["start_date"] = refusal
    end = _date(data.end_date, "end_date", errs)
    if start and end and end < start:
        errs["end_date"] = _("参保结束日期不能早于开始日期。")
    hf = inj = None
    for key, raw in (("housing_fund_percent", data.housing_fund_percent), ("injury_rate", data.injury_rate)):
        if raw in (None, ""):
            continue
        try:
            value = engine.parse_percent(raw, key)
        except engine.PolicyError as exc:
            errs[exc.field] = exc.message
            continue
        if key == "housing_fund_percent":
            hf = value
        else:
            inj = value
    if (hf is not None or inj is not None) and wage is not None and not {"insured_city", "wage"} & errs.keys():
        # Rates are checked against the policy in force when insurance starts (this month's while
        # the start itself is refused) — each on its own and beside any other error, so that one
        # submit says everything wrong, not one thing a time.
        month = engine.period_of(start if start is not None and "start_date" not in errs else timezone.localdate())
        try:
            policy = engine.policy_for_month(rules, insured, month)
        except engine.PolicyError:
            # No policy that month (said when the person is saved, no_policy_notice): the rates
            # are still checked, against the city's latest version (a 50% housing fund passed).
            policy = next((r for r in reversed(rules) if r.city == insured), None)
        for key, rate in (("housing_fund_percent", {"housing_fund_percent": hf}), ("injury_rate", {"injury": inj})):
            if policy is None or next(iter(rate.values())) is None:
                continue
            try:
                engine.contribution_for(policy, wage, **rate)
            except engine.PolicyError as exc:
                if exc.field in ("housing_fund_percent", "injury_rate"):
                    errs[exc.field] = exc.message
    _errors(errs)
    out.update(
        client=client, name=name, id_number_hash=identity_hash(number),
        id_number_masked=engine.mask_identity(number), insured_city=insured, contract_city=contract,
        payroll_city=payroll, wage=wage, housing_fund_percent=hf, injury_rate=inj,
        start_date=start, end_date=end,
    )
    return CleanEmployee(fields=out, id_number=number)


def _overlapping(clean: CleanEmployee):
    f = clean.fields
    # Under every configured key: rows not yet re-hashed after a key rotation still count.
    qs = InsuredEmployee.objects.filter(id_number_hash__in=identity_hashes(clean.id_number))
    if f["end_date"] is not None:
        qs = qs.filter(start_date__lte=f["end_date"])
    return qs.filter(Q(end_date__isnull=True) | Q(end_date__gte=f["start_date"]))


def employee_create(*, actor, data: EmployeeInput) -> InsuredEmployee:
    clean = employee_clean(data)
    with transaction.atomic():
        # One person's stints are serialised by their hash (advisory lock inside the schema).
        _lock_identity(clean.fields["id_number_hash"])
        if _overlapping(clean).exists():
            # The refusal is the one bit a caller learns; it names no other record (see
            # employees_import for why an import answers for the whole file).
            _errors({"id_number": _("该身份证号在本分支机构已有重叠的参保记录。")})
        employee = InsuredEmployee(**clean.fields, id_number_encrypted=encrypt_identity(clean.id_number),
                                   created_by=actor if getattr(actor, "pk", None) else None)
        stamp(employee, actor=actor, reason="employee created")
        employee.save()
        _register_records([employee])
        employee.insured_elsewhere = bool(_insured_elsewhere([(employee, clean.id_number)]))
    return employee


# Said when a 增员 is saved while another branch insures the same identity number in one of its
# months: no more than the month's check says (no branch, client or person of the other side).
INSURED_ELSEWHERE_MESSAGE = gettext_lazy(
    "同一身份证号在其他分支机构也参保(参保月份重叠)。已保存;请与本人和客户核实,由不再为其参保的一方减员。"
    "重复未解决前,重叠的月份不能申报。")


def _insured_elsewhere(records: list[tuple[InsuredEmployee, str]]) -> set[int]:
    """The ids of `records` (employee, identity number) whose identity number another branch
    insures in one of the employee's insured months, per the HQ registry.

    A warning, not a refusal (unlike an overlap inside the branch, which the office can see and
    fix itself): a person moving from a client of one branch to a client of another is entered
    by the new branch before the old one has recorded the 减员, and the old branch's record is
    not the new branch's to correct. Months are compared, not days (SPEC §6: not insured twice in
    one month): a move mid-month with the leaving month not covered overlaps nowhere. Filing an
    overlapping month is refused until one side ends its record (month_file)."""
    from social_insurance.policies.models import InsuredIdentitySpan

    if not records:
        return set()
    branch_id = _branch().pk
    hashes = {h: e.pk for e, number in records for h in identity_hashes(number)}
    spans: dict[int, list[tuple]] = {}
    for id_hash, first, last in (InsuredIdentitySpan.objects.filter(id_hash__in=list(hashes))
                                 .exclude(branch_id=branch_id).values_list("id_hash", "first_month", "last_month")):
        spans.setdefault(hashes[id_hash], []).append((first, last))
    found = set()
    for employee, _number in records:
        span = _insured_span(employee)
        if span is None:
            continue
        first, last = span
        if any((last is None or o_first <= last) and (o_last is None or o_last >= first)
               for o_first, o_last in spans.get(employee.pk, ())):
            found.add(employee.pk)
    return found


def _insured_span(employee: InsuredEmployee) -> tuple[dt.date, dt.date | None] | None:
    """(first, last) insured month of a record as the compute derives it (sql.INSURED_SQL; last
    None: until further notice), None when it is insured in no month."""
    rules = city_settings(employee.insured_city)
    first = engine.month_start(engine.first_insured_month(employee.start_date, rules.add_cutoff_day))
    last = (engine.month_start(engine.last_insured_month(employee.end_date, rules.remove_covers_leaving_month))
            if employee.end_date else None)
    if last is not None and last < first:
        return None
    return first, last


def _register_records(employees: list[InsuredEmployee]) -> None:
    """Write `employees`' insured months into the HQ identity registry now, as the compute's sync
    (sql.IDENTITY_SYNC_SQL) would: another branch's entry warning, its filing check and its board
    then see a 增员 or 减员 the moment it is recorded, not after this branch's next compute.
    Takes the registry lock, so it must be the caller's last lock (see _register_identities)."""
    from social_insurance.policies.models import InsuredIdentitySpan, RepeatedIdentity

    if not employees:
        return
    branch_id = _branch().pk
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s, 1)", [int(Lock.SI_IDENTITY_REGISTRY)])
    existing = {s.employee_id: s for s in InsuredIdentitySpan.objects.filter(
        branch_id=branch_id, employee_id__in=[e.pk for e in employees])}
    new, changed, gone, hashes = [], [], [], set()
    for employee in employees:
        span, row = _insured_span(employee), existing.get(employee.pk)
        hashes.add(employee.id_number_hash)
        if row is not None:
            hashes.add(row.id_hash)
        if span is None:
            if row is not None:
                gone.append(row.pk)
            continue
        values = dict(id_hash=employee.id_number_hash, id_masked=employee.id_number_masked,
                      first_month=span[0], last_month=span[1])
        if row is None:
            new.append(InsuredIdentitySpan(branch_id=branch_id, employee_id=employee.pk, **values))
        elif any(getattr(row, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(row, f, v)
            changed.append(row)
    InsuredIdentitySpan.objects.filter(pk__in=gone).delete()
    InsuredIdentitySpan.objects.bulk_update(changed, ["id_hash", "id_masked", "first_month", "last_month"])
    InsuredIdentitySpan.objects.bulk_create(new, batch_size=2000)
    repeated = {h for h, n in InsuredIdentitySpan.objects.filter(id_hash__in=hashes).values_list("id_hash")
                .annotate(n=Count("id")) if n > 1}
    RepeatedIdentity.objects.bulk_create([RepeatedIdentity(id_hash=h) for h in sorted(repeated)],
                                         ignore_conflicts=True)
    RepeatedIdentity.objects.filter(id_hash__in=hashes - repeated).delete()


def _locked_employee(employee_id: int) -> InsuredEmployee:
    """The record locked for a change; a number that is not one is a 404."""
    employee = InsuredEmployee.objects.select_for_update().filter(pk=employee_id).first()
    if employee is None:
        from django.http import Http404

        raise Http404
    return employee


def employee_end(*, actor, employee_id: int, end_date) -> InsuredEmployee:
    """减员: the day the person leaves. Which month's 增减员 list carries it follows from the
    insured city's settings (engine.removal_month); an end already recorded is not overwritten
    here (a correction is a dispute or a new stint, so history stays as filed)."""
    errs: dict[str, str] = {}
    end = _date(engine.halfwidth(end_date) if isinstance(end_date, str) else end_date, "end_date", errs)
    if end is None and "end_date" not in errs:
        errs["end_date"] = _("请填写离职(参保结束)日期。")
    _errors(errs)
    with transaction.atomic():
        employee = _locked_employee(employee_id)
        if employee.end_date is not None:
            _errors({"end_date": _("该员工已于 %(day)s 减员。") % {"day": format_date(employee.end_date)}})
        if end < employee.start_date:
            _errors({"end_date": _("离职日期不能早于参保开始日期 %(day)s。") % {"day": format_date(employee.start_date)}})
        employee.end_date = end
        stamp(employee, actor=actor, reason="减员")
        employee.save(update_fields=["end_date"])
        # At once in the registry: the 减员 that settles a cross-branch duplicate frees the other
        # branch's filing now, not after this branch's next compute.
        _register_records([employee])
    return employee


def first_open_month(employee: InsuredEmployee, filed: set[str] | None = None) -> str:
    """The first month a change to `employee`'s record counts in: the earliest month of their
    insurance not yet filed — from the branch's first filed month on, or, with none filed, the
    earliest month already computed (else the current month): every such month is computed
    with the record as it is."""
    filed = filed_periods() if filed is None else filed
    month = engine.first_insured_month(employee.start_date, city_settings(employee.insured_city).add_cutoff_day)
    if filed:
        month = max(month, min(filed))
        while month in filed:
            month = engine.add_months(month, 1)
        return month
    computed = (MonthCycle.objects.filter(computed_at__isnull=False, period__gte=month)
                .order_by("period").values_list("period", flat=True).first())
    return computed or max(month, engine.period_of(timezone.localdate()))


KEEP = object()  # employee_base_change: the housing-fund rate left as it is


def employee_base_change(*, actor, employee_id: int, wage, housing_fund_percent=KEEP) -> InsuredEmployee:
    """调基: a new declared wage (and, when given, housing-fund rate; blank = the city's floor)
    for every month not yet filed — the next compute of an open month uses it. A filed month is
    never changed: its base is corrected by a dispute (补缴/退费). Audited with before and after."""
    errs: dict[str, str] = {}
    try:
        new_wage = engine.parse_declared_wage(engine.halfwidth(wage) if isinstance(wage, str) else wage, "wage")
    except engine.PolicyError as exc:
        errs[exc.field] = exc.message
    new_hf = KEEP
    if housing_fund_percent is not KEEP:
        raw = engine.halfwidth(housing_fund_percent) if isinstance(housing_fund_percent, str) else housing_fund_percent
        if raw in (None, "") or (isinstance(raw, str) and not raw.strip()):
            new_hf = None
        else:
            try:
                new_hf = engine.parse_percent(raw, "housing_fund_percent")
            except engine.PolicyError as exc:
                errs[exc.field] = exc.message
    _errors(errs)
    with transaction.atomic():
        employee = _locked_employee(employee_id)
        if employee.end_date is not None:
            _errors({"wage": _("该员工已于 %(day)s 减员,不能调基。") % {"day": format_date(employee.end_date)}})
        hf = employee.housing_fund_percent if new_hf is KEEP else new_hf
        if new_wage == employee.wage and hf == employee.housing_fund_percent:
            _errors({"wage": _("申报工资和公积金比例都没有变化。")})
        month = first_open_month(employee)
        try:
            policy = engine.policy_for_month(policy_rules(employee.insured_city), employee.insured_city, month)
        except engine.PolicyError:
            policy = None  # no version for the month yet: the month's checks will say so
        if policy is not None:
            try:
                engine.contribution_for(policy, new_wage, housing_fund_percent=hf, injury=employee.injury_rate)
            except engine.PolicyError as exc:
                if exc.field == "housing_fund_percent":
                    _errors({exc.field: exc.message})
        employee.wage, employee.housing_fund_percent = new_wage, hf
        stamp(employee, actor=actor, reason="调基")
        employee.save(update_fields=["wage", "housing_fund_percent"])
    return employee


def _lock_identity(id_hash: str) -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':si-id:' || %s))", [id_hash])


MAX_IMPORT_ROWS = 20_000  # employees or payroll rows per file
IMPORT_COLUMNS = ["client", "name", "id_number", "insured_city", "contract_city", "payroll_city", "wage",
                  "housing_fund_percent", "injury_rate", "start_date", "end_date"]
# Chinese headers accepted as well (the file staff actually keep).
HEADER_ALIASES = {
    "客户编号": "client", "姓名": "name", "身份证号": "id_number", "参保地": "insured_city",
    "合同地": "contract_city", "发薪地": "payroll_city", "工资": "wage", "公积金比例": "housing_fund_percent",
    "工伤费率": "injury_rate", "参保开始": "start_date", "参保结束": "end_date",
    # The downloadable template's headers (employee_views.IMPORT_TEMPLATE_HEADERS).
    "客户名称": "client", "参保城市": "insured_city", "合同签订地": "contract_city", "工资发放地": "payroll_city",
    "申报工资": "wage", "公积金比例%": "housing_fund_percent", "工伤费率%": "injury_rate",
    "参保开始日期": "start_date", "参保结束日期": "end_date",
}
# A missing column named as the template heads it (the file's headers are Chinese in every language).
COLUMN_HEADERS = {"client": "客户名称", "name": "姓名", "id_number": "身份证号", "insured_city": "参保城市",
                  "wage": "申报工资", "start_date": "参保开始日期"}


def _missing_columns(missing: list[str]) -> str:
    return _("缺少列:%(columns)s。") % {"columns": _("、").join(COLUMN_HEADERS[c] for c in missing)}


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    wage_total: Decimal = Decimal("0.00")
    errors: list[dict] = field(default_factory=list)
    # Rows written with something to check (an identity number another branch insures in the
    # same months): {row, field, message}, the file's own rows.
    warnings: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _header_aliases() -> dict[str, str]:
    """HEADER_ALIASES plus the template's headers in every language of the site: the employee
    list's export heads its columns in the reader's language, and goes back into the import."""
    from django.utils import translation

    aliases = dict(HEADER_ALIASES)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for header in TEMPLATE_HEADERS:
                aliases.setdefault(str(_(header)), HEADER_ALIASES[header])
    return aliases


# The downloadable template's headers, in its column order (employee_views.IMPORT_TEMPLATE_HEADERS).
TEMPLATE_HEADERS = [
    gettext_noop("客户名称"), gettext_noop("姓名"), gettext_noop("身份证号"), gettext_noop("参保城市"),
    gettext_noop("合同签订地"), gettext_noop("工资发放地"), gettext_noop("申报工资"), gettext_noop("公积金比例%"),
    gettext_noop("工伤费率%"), gettext_noop("参保开始日期"), gettext_noop("参保结束日期")]


def _read_rows(filename: str, content) -> list[tuple[int, dict]]:
    """(row number, values) of an employee file, read by the one bounded reader (size, row and
    column caps while streaming; hrsaas/uploads.py). `content` is bytes or an uploaded file."""
    table = uploads.read_table(content, filename=filename, max_rows=MAX_IMPORT_ROWS)
    aliases = _header_aliases()
    header = [aliases.get(h, h) for h in table.header]
    missing = [c for c in ("client", "name", "id_number", "insured_city", "wage", "start_date") if c not in header]
    if missing:
        raise ValidationError({"file": [_missing_columns(missing)]})
    out = []
    for number, row in table.rows:
        values = {h: (v if not isinstance(v, str) else v.strip()) for h, v in zip(header, row) if h in IMPORT_COLUMNS}
        for name in ("wage", "housing_fund_percent", "injury_rate"):
            if isinstance(values.get(name), float):
                values[name] = repr(values[name])  # Excel numbers: shortest exact text
        if isinstance(values.get("client"), float):
            values["client"] = int(values["client"])
        out.append((number, values))
    return out


# One message for the whole file, naming no row and no number (see employees_import).
OVERLAP_MESSAGE = gettext_lazy("文件中有人员与本分支机构已有的参保记录期间重叠。为保护身份证号,不指明是哪一行;"
                               "请按姓名在参保员工列表中核对后再导入。本次未导入任何行。")


def employees_import(*, actor, filename: str, content) -> ImportReport:
    """All-or-nothing: every row is validated first; one bad row and nothing is written.

    What a report may say about identity numbers (a decision). An identity number is the secret
    behind a mask that everyone listing employees sees (110***********1234), so an import must
    not be a way to test which of the ~140 numbers fitting a mask is the real one:

    - duplicates inside the file are reported by row — the uploader's own data;
    - existing records are looked up only when every row is valid, so a file cannot probe them
      while being sure to write nothing by carrying a deliberately bad row;
    - an overlap with an existing stint refuses the whole file with ONE message that names no
      row, no number and no count (`OVERLAP_MESSAGE`). A per-row (or per-mask) answer would let
      a file made sure to be refused — one known collision plus half of the candidates — tell
      whether the real number is in that half, with nothing written; a whole-file answer is the
      same whatever else the file holds;
    - a file without an overlap is written, so probing a mask by halves costs real insured
      employees under a client, kept in the history with their creator and billed on the
      client's fee statement: the search is no longer silent.
    `employee_create` answers the same way for one number (refusal, or a written record)."""
    rows = _read_rows(filename, content)
    report = ImportReport(rows=len(rows))
    if not rows:
        raise ValidationError({"file": [_("文件中没有数据行。")]})
    rules = policy_rules()
    clients = {c.pk: c for c in Client.objects.all()}
    months = branch_months()
    cleaned: list[tuple[int, CleanEmployee]] = []
    seen: dict[str, int] = {}
    for index, row in rows:  # row numbers as a spreadsheet shows them (1 is the header)
        try:
            clean = employee_clean(EmployeeInput(**{k: row.get(k) for k in IMPORT_COLUMNS}), rules=rules, clients=clients,
                                   months=months)
        except ValidationError as exc:
            for fname, msgs in exc.message_dict.items():
                report.errors.append({"row": index, "field": fname, "message": msgs[0]})
            continue
        key = clean.fields["id_number_hash"]
        if key in seen:
            report.errors.append({"row": index, "field": "id_number",
                                  "message": _("与第 %(row)s 行身份证号重复。") % {"row": seen[key]}})
            continue
        seen[key] = index
        cleaned.append((index, clean))
        report.wage_total += clean.fields["wage"]
    if report.errors:
        return report
    with transaction.atomic():
        overlaps = False
        for _index, clean in cleaned:
            _lock_identity(clean.fields["id_number_hash"])
            overlaps = overlaps or _overlapping(clean).exists()
        if overlaps:
            report.errors = [{"row": 0, "field": "id_number", "message": str(OVERLAP_MESSAGE)}]
            return report
        objs = []
        for _index, clean in cleaned:
            obj = InsuredEmployee(**clean.fields, id_number_encrypted=encrypt_identity(clean.id_number),
                                  created_by=actor if getattr(actor, "pk", None) else None)
            stamp(obj, actor=actor, reason="employees imported")
            obj.save()
            objs.append(obj)
        report.created = len(objs)
        _register_records(objs)
        # Rows are written whatever the answer, so naming them probes nothing for free (see above).
        elsewhere = _insured_elsewhere([(obj, clean.id_number) for obj, (_index, clean) in zip(objs, cleaned)])
        report.warnings = [{"row": index, "field": "id_number", "message": str(INSURED_ELSEWHERE_MESSAGE)}
                           for obj, (index, _clean) in zip(objs, cleaned) if obj.pk in elsewhere]
        # … and a city with no policy for the person's first or this month (computes to nothing)
        gaps = policy_gaps()
        for obj, (index, _clean) in zip(objs, cleaned):
            no_policy = no_policy_notice(obj, gaps=gaps)
            if no_policy:
                report.warnings.append({"row": index, "field": "insured_city", "message": no_policy})
        report.warnings.sort(key=lambda w: w["row"])
        # Totals compared after import (SPEC §8).
        from django.db.models import Sum

        stored = InsuredEmployee.objects.filter(pk__in=[o.pk for o in objs]).aggregate(t=Sum("wage"))["t"]
        if stored != report.wage_total:
            raise RuntimeError("imported wage total differs from the file's")
    return report


# ---------------------------------------------------------------------------------------------
# Clients' payroll lists (工资表), compared with who is insured
# ---------------------------------------------------------------------------------------------
PAYROLL_ALIASES = {"姓名": "name", "身份证号": "id_number", "应发工资": "gross_wage", "工资": "gross_wage"}


def _payroll_rows(filename: str, content) -> list[tuple[int, dict]]:
    """(row number, values) of a payroll list, read by the one bounded reader."""
    table = uploads.read_table(content, filename=filename, max_rows=MAX_IMPORT_ROWS)
    header = [PAYROLL_ALIASES.get(h, h) for h in table.header]
    missing = [c for c in ("name", "id_number") if c not in header]
    if missing:
        raise ValidationError({"file": [_("缺少列:%(columns)s(姓名、身份证号为必填列)。") % {
            "columns": _("、").join(COLUMN_HEADERS[c] for c in missing)}]})
    out = [(number, {h: (v.strip() if isinstance(v, str) else v) for h, v in zip(header, row)})
           for number, row in table.rows]
    if not out:
        raise ValidationError({"file": [_("文件中没有数据行。")]})
    return out


def payroll_import(*, actor, period: str, client_id, filename: str, content: bytes) -> ImportReport:
    """Replace one client's payroll list for a month, all-or-nothing: every row is checked first
    (name, a valid identity number, wage a non-negative amount, no person twice); one bad row
    and nothing changes. The month's checks are refreshed if it is already computed."""
    from .models import PayrollEntry

    _check_period(period)
    client = Client.objects.filter(pk=record_id(client_id)).first() if record_id(client_id) else None
    if client is None:
        _errors({"client": _("客户不存在。")})
    rows = _payroll_rows(filename, content)
    report = ImportReport(rows=len(rows))
    entries, seen = [], {}
    for index, row in rows:
        errs: dict[str, str] = {}
        person = str(row.get("name") or "").strip()
        if not person or len(person) > 100:
            errs["name"] = _("请填写姓名(不超过 100 字)。")
        number = engine.normalize_identity(str(row.get("id_number") or ""))
        if not engine.identity_number_valid(number):
            errs["id_number"] = _("身份证号无效(须为 18 位且校验位正确)。")
        wage = None
        raw_wage = row.get("gross_wage")
        if raw_wage not in (None, ""):
            try:
                wage = engine.parse_wage(repr(raw_wage) if isinstance(raw_wage, float) else raw_wage, "gross_wage")
            except engine.PolicyError as exc:
                errs["gross_wage"] = exc.message
        if not errs:
            key = identity_hash(number)
            if key in seen:
                errs["id_number"] = _("与第 %(row)s 行身份证号重复。") % {"row": seen[key]}
            else:
                seen[key] = index
                entries.append(PayrollEntry(period=period, client=client, name=person, id_number_hash=key,
                                            id_number_masked=engine.mask_identity(number), gross_wage=wage,
                                            imported_by=actor if getattr(actor, "pk", None) else None))
                report.wage_total += wage or 0
        for fname, message in errs.items():
            report.errors.append({"row": index, "field": fname, "message": message})
    if report.errors:
        return report
    with transaction.atomic():
        cycle = _cycle_for(period, lock=True)
        if cycle.status == CycleStatus.FILED:
            _errors({"period": _("%(p)s已申报,工资表不能再更换。") % {"p": format_period(period)}})
        _refuse_behind_filed(period)
        PayrollEntry.objects.filter(period=period, client=client).delete()
        PayrollEntry.objects.bulk_create(entries)
        report.created = len(entries)
        stamp(cycle, actor=actor, reason=f"payroll list of client {client.pk} imported ({len(entries)} rows)")
        cycle.save()
        if cycle.computed_at is not None:
            month_compute(actor=actor, period=period)
    return report


# ---------------------------------------------------------------------------------------------
# Monthly cycle (月度流程)
# ---------------------------------------------------------------------------------------------
def _branch():
    return require_branch("social insurance services")


def _cycle_for(period: str, *, lock: bool) -> MonthCycle:
    start = engine.month_start(period)
    rules = city_settings(_branch().city or "")
    cycle, _ = MonthCycle.objects.get_or_create(
        period=period,
        defaults={"reconcile_due": start.replace(day=rules.reconcile_day), "file_due": start.replace(day=rules.file_day)},
    )
    if lock:
        cycle = MonthCycle.objects.select_for_update().get(pk=cycle.pk)
    return cycle


def _check_period(period) -> str:
    try:
        engine.month_start(period)
    except engine.PolicyError as exc:
        _errors({"period": exc.message})
    return period


def month_compute(*, actor, period: str, register: bool = True) -> MonthCycle:
    """Compute a month's 增减员, contribution lines, fee statements and checks, set-based.

    Idempotent: the first compute of a month inserts its lines; later ones compare the wanted
    lines with the stored ones on their business key and update, insert or delete only what
    differs, so running it twice (a retried task, two users) gives the same rows and the second
    run writes no line. A filed month is refused.

    `register=False` leaves out the HQ registry and the duplicate checks, for a caller that
    recomputes several months in one transaction and then calls `_register_identities` once."""
    _check_period(period)
    branch = _branch()
    beside_ok = register and may_run_beside()
    with transaction.atomic():
        cycle = _cycle_for(period, lock=True)
        _refuse_compute(cycle)
        params = {"period": period, "m": engine.month_start(period), "branch_id": branch.pk}
        # Every statement the client can already read (and may have downloaded), with its
        # figures: any whose figures this compute changes is told to the client's contacts.
        shown = _statements_shown(period)
        with connection.cursor() as cur:
            cur.execute("SELECT set_config('work_mem', %s, true), clock_timestamp()", [settings.SI_COMPUTE_WORK_MEM])
            # The time just before the roster is read (not the compute's end): a record changed
            # after it may be missing from this compute, so filing asks for another
            # (_month_changed_since).
            started = cur.fetchone()[1]
            # Another month compute running (any branch) keeps the other core busy: then each
            # runs in one session, which gets more months done than two sessions each would.
            beside_ok = locks.others_holding_shared(Lock.SI_MONTH_COMPUTES) == 0 and beside_ok
            beside, stage = None, None
            if beside_ok:
                # A second session on the other core (_beside_compute): a share of a first
                # compute's lines, the checks and the registry, while this one stores the lines.
                cur.execute(sql.INSURED_EXPORT_SQL, params)
                cur.execute("SELECT current_setting('hrsaas.si_snapshot', true)")
                snapshot = cur.fetchone()[0] or None
                if snapshot and not sql.has_regular_partition(cur, period):
                    sql.drop_stages(cur, period)
                    stage = Future()
                side_params = dict(params)
                beside = Beside(lambda: _beside_compute(side_params, snapshot, stage), name=f"si-month-{period}")
            else:
                cur.execute(sql.INSURED_SQL, params)
            try:
                _compute_lines_and_sums(cur, params, checks=beside is None,
                                        staged=(lambda: _handed_stage(beside, stage)) if stage is not None else None)
            except BaseException:
                if beside is not None:  # not left running behind a failed compute (it gives up on locks)
                    beside.wait()
                raise
            checked_beside = beside is not None and _checked_beside(beside)
            if beside is not None and not checked_beside:
                cur.execute(sql.FINDINGS_SQL, params)  # here instead, where PostgreSQL sees every wait
            count, er, ee = params["sums"]
        if register and not checked_beside:
            _register_identities([period], branch_id=branch.pk)
        if shown:
            _tell_reissued(shown, period)
        cycle.employee_count, cycle.employer_total, cycle.employee_total = count, er, ee
        cycle.computed_at = started
        stamp(cycle, actor=actor, reason="month computed")
        cycle.save()
    return cycle


def _compute_lines_and_sums(cur, params: dict, *, checks: bool, staged) -> None:
    """The month's 增减员, lines, sums, statements and commission events on `cur`, from the insured
    set already read (and its checks when `checks`; a share of a first compute's lines from
    `staged()` when given: sql.load_new_month); the month's (count, employer, employee) totals
    left in params["sums"]."""
    period = params["period"]
    cur.execute(sql.CHANGES_SQL, params)
    # First compute of the month: its lines loaded into the month's new regular partition;
    # later ones write differences only.
    if sql.has_regular_partition(cur, period):
        cur.execute(sql.DIFF_LINES_SQL, params)
    else:
        try:
            sql.load_new_month(cur, params, staged)
        except sql.PoliciesChanged:
            _errors({"period": _("计算期间城市社保政策有更新,请重新计算本月。")})
    _post_late_additions(cur, params)
    _list_backdated_additions(cur, params)
    _list_late_removals(cur, params)
    cur.execute(sql.MONTH_SUMS_SQL, params)
    cur.execute(sql.STATEMENTS_FROM_SUMS_SQL, params)
    params["sums"] = cur.fetchone()
    if checks:
        cur.execute(sql.FINDINGS_SQL, params)
    commission_events.derive_after_compute(cur, params)


def _beside_compute(params: dict, snapshot: str | None, stage: Future | None) -> None:
    """What a month's compute hands to a second session (hrsaas.core.beside), run while it
    stores the lines: on a first compute, the lines of a share of the people (_stage_lines, its
    result or error handed over through `stage`); then the checks and the registry."""
    if stage is not None:
        try:
            stage.set_result(_stage_lines(params, snapshot))
        except BaseException as exc:  # the compute computes that share itself
            stage.set_exception(exc)
    _month_checks(params)


def _handed_stage(beside: Beside, stage: Future) -> tuple[str, str] | None:
    """The second session's staged share of the lines, or None when it has none (logged: the
    compute computes that share itself)."""
    staged, error = beside.handed(stage)
    if error is not None:
        logger.warning("the second session's share of the month's lines failed; computed here", exc_info=error)
    return staged


def _checked_beside(beside: Beside) -> bool:
    """Whether the second session ran the checks and the registry (its transactions committed);
    when it failed, nothing of them did, and the compute runs them itself."""
    error = beside.wait()
    if error is not None:
        logger.warning("the month's checks beside the compute failed; run by the compute", exc_info=error)
    return error is None


def _stage_lines(params: dict, snapshot: str) -> tuple[str, str]:
    """The second session's share of a first compute's lines (sql.STAGE_SQL), computed in the
    snapshot the compute read its roster in — the same people, wages and policies — into a
    table of their own, committed for the compute to store and drop; (its name, the digest of
    the policy items that priced them)."""
    name = sql.stage_name(params["period"])
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
        bounded_waits(cur)
        cur.execute("SELECT set_config('work_mem', %s, true)", [settings.SI_COMPUTE_WORK_MEM])
        cur.execute(sql.INSURED_SQL, params)
        cur.execute(pg_sql.SQL(sql.STAGE_SQL).format(stage=pg_sql.Identifier(name)), params)
        cur.execute("SELECT current_setting('hrsaas.si_items')")
        return name, cur.fetchone()[0]


def _month_checks(params: dict) -> None:
    """A month's checks (sql.FINDINGS_SQL), then the branch's changes to the HQ identity registry
    and the duplicate checks (_register_identities), in a transaction of their own on a second
    connection beside the compute (hrsaas.core.beside). All of it is read from the roster as it
    is committed, none from the month's lines, and each compute writes it afresh: what this
    transaction commits holds whether or not the compute beside it does. Its own insured set,
    read now (the roster the compute read unless a record was saved since; such a record is
    newer than the compute's start, and filing then asks for another compute). Not in the
    compute's snapshot: the registry's changes must see every branch's committed ones."""
    with transaction.atomic(), connection.cursor() as cur:
        bounded_waits(cur)
        cur.execute("SELECT set_config('work_mem', %s, true)", [settings.SI_COMPUTE_WORK_MEM])
        cur.execute(sql.INSURED_SQL, params)
        cur.execute(sql.FINDINGS_SQL, params)
        _register_identities([params["period"]], branch_id=params["branch_id"])


def _refuse_compute(cycle: MonthCycle) -> None:
    if cycle.status == CycleStatus.FILED:
        _errors({"period": _("%(p)s已申报,不能重算;更正请走补缴/退费。") % {"p": format_period(cycle.period)}})
    _refuse_behind_filed(cycle.period)


def month_compute_check(*, period: str) -> None:
    """What `month_compute` would refuse, said before a compute is queued: the caller answers at
    once instead of a worker failing later. Reads only (no month row is created); the worker's
    compute checks again under the month's lock."""
    _check_period(period)
    cycle = MonthCycle.objects.filter(period=period).first() or MonthCycle(period=period)
    _refuse_compute(cycle)


def _statements_shown(period: str) -> dict[int, tuple]:
    """Each statement of `period` the client can already read (and may have downloaded), as
    _tell_reissued compares it: its status and the figures whose change sends it back to
    待确认 (sql._STATEMENTS), with its total and head count for the message."""
    return {pk: (status, er, ee, n, total) for pk, status, er, ee, n, total in
            FeeStatement.objects.filter(period=period).values_list(
                "pk", "status", "employer_total", "employee_total", "employee_count", "total")}


def _tell_reissued(shown: dict[int, tuple], period: str) -> None:
    """Statements whose figures changed since `shown` (_statements_shown, read before the
    change) — confirmed, disputed or still awaiting confirmation: the client may have downloaded
    or forwarded the old figures — and those sent back to 待确认 from an answer: their contacts
    are told, with the old and the new total, once per new figures."""
    from notifications.services import notification_create
    from notifications.words import money as money_word
    from notifications.words import period as period_word
    from notifications.words import w

    code = _branch().code
    changed = []
    for pk, client_id, updated_at, er, ee, n, total in (
            FeeStatement.objects.filter(pk__in=list(shown), status=StatementStatus.ISSUED)
            .values_list("pk", "client_id", "updated_at", "employer_total", "employee_total", "employee_count",
                         "total")):
        status, old_er, old_ee, old_n, old_total = shown[pk]
        if (old_er, old_ee, old_n) != (er, ee, n) or status != StatementStatus.ISSUED:
            changed.append((pk, client_id, updated_at, total, n, old_total, old_n))
    contacts: dict[int, list[int]] = {}
    for client_id, user_id in ClientContact.objects.filter(
            client_id__in={r[1] for r in changed}).values_list("client_id", "user_id"):
        contacts.setdefault(client_id, []).append(user_id)
    for pk, client_id, updated_at, total, n, old_total, old_n in changed:
        for user_id in contacts.get(client_id, ()):
            notification_create(
                recipient_id=user_id, kind="si_statement_reissued", link=f"/b/{code}/si/statements/{pk}/",
                dedupe_key=f"si-statement-reissued:{pk}:{updated_at.timestamp():.6f}",
                words={"title": w("%(period)s费用明细表已更新,请再次确认", period=period_word(period)),
                       "body": w("应缴合计由 %(old)s 元改为 %(new)s 元,人数由 %(n0)s 人改为 %(n1)s 人。",
                                 old=money_word(old_total), new=money_word(total), n0=old_n, n1=n)})


# How far back a compute looks for filed months someone is missing from: a year, or the longest
# back-payment limit a city has if that is longer (a person accepted under a limit since
# lowered, or a month computed before they were entered and filed without a recompute, is
# still back-paid).
LATE_WINDOW_MONTHS = 13


def late_window_months() -> int:
    longest = CitySetting.objects.aggregate(n=Max("back_payment_months_limit"))["n"] or 0
    return max(LATE_WINDOW_MONTHS, longest + 2)


def charges_month(line: ContributionLine, filed: set[str]) -> bool:
    """Whether `line` is what its month charged the person: the month's regular line, or the
    补缴 of a person entered after the month was filed, once the month carrying it is filed too
    (until then the carrying month's compute still rewrites it)."""
    return line.source == LineSource.REGULAR or (
        line.source == LineSource.BACK_PAY and line.corrects_id is None and line.dispute_id is None
        and line.period in filed)


_LATE_LINE_FIELDS = ("client_id", "policy_id", "wage", "base", "employer_percent", "employee_percent",
                     "employer_precise", "employee_precise", "employer_amount", "employee_amount")


def _post_late_additions(cur, params: dict) -> None:
    """补缴 and 增员 of people missing from filed months of their span (sql.LATE_ADDS_SQL): for
    each such month the city still back-pays from this one (engine.back_paid_months), every item
    of the version in force for it, from the person's wage and chosen rates as the regular
    compute takes them, as 补缴 lines of the month computed (written as differences from what an
    earlier compute of this month left); months past the limit are not insured. The person's
    增员 is listed in this month once — when no month has listed it and they are back-paid or
    insured now. The filed months stay untouched."""
    period = params["period"]
    # One branch's open months one at a time here: two computed at once would each back-pay the
    # same filed months (neither sees the other's lines before it commits).
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':si-late'))")
    cur.execute(sql.LATE_ADDS_SQL, {**params, "since_period": engine.add_months(period, -late_window_months())})
    people: dict[int, dict] = {}
    for employee_id, client_id, city, wage, hf, injury, start, first, last, for_period in cur.fetchall():
        person = people.setdefault(employee_id, dict(client_id=client_id, city=city, wage=wage, hf=hf, injury=injury,
                                                     start=start, first=first, last=last, missing=[]))
        person["missing"].append(for_period)
    mine = ContributionLine.objects.filter(period=period, source=LineSource.BACK_PAY, dispute__isnull=True,
                                           corrects__isnull=True)
    existing = {(l.employee_id, l.kind, l.for_period): l for l in mine}
    # A month back-paid keeps the wage it was first priced at: a 调基 counts from the first open
    # month on, not back into the months before it (a wrong back-paid base is a dispute once filed).
    priced = {(l.employee_id, l.for_period): l.wage for l in existing.values()}
    listed = set(StaffChange.objects.filter(kind=ChangeKind.ADD, employee_id__in=list(people))
                 .exclude(period=period).values_list("employee_id", flat=True))
    filed = filed_periods()
    limits: dict[str, int] = {}
    versions: dict[tuple[str, str], tuple[int, engine.PolicyRule] | None] = {}
    wanted: dict[tuple[int, str, str], dict] = {}
    additions = []
    for employee_id, person in people.items():
        city = person["city"]
        if city not in limits:
            limits[city] = city_settings(city).back_payment_months_limit
        missing = sorted(person["missing"])
        if engine.first_open_after(missing[-1], filed) != period:
            continue  # an earlier open month carries them: its compute posts this (whichever runs first)
        paid, lost = engine.back_paid_months(missing, period, limits[city])
        insured_now = person["first"] <= period and (person["last"] is None or person["last"] >= period)
        if employee_id not in listed and person["first"] <= missing[0] and (paid or insured_now):
            # Insured from their start, or, when the first months are past the limit, from the
            # first month back-paid (or this one).
            since = person["start"] if not lost else engine.month_start(paid[0] if paid else period)
            additions.append(StaffChange(period=period, employee_id=employee_id, kind=ChangeKind.ADD,
                                         effective_date=since))
        for for_period in paid:
            if (city, for_period) not in versions:
                month = engine.month_start(for_period)
                version = (CityPolicy.objects.filter(city=city, effective_from__lte=month)
                           .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=month))
                           .prefetch_related("items").first())
                versions[city, for_period] = (version.pk, policy_rule(version)) if version else None
            if versions[city, for_period] is None:
                continue  # no version for the month: nothing to charge
            policy_id, rule = versions[city, for_period]
            wage = priced.get((employee_id, for_period), person["wage"])
            for item in rule.items:
                chosen = (person["hf"] if item.rate_range is not None
                          else person["injury"] if item.employer_range is not None else None)
                amount = engine.item_amount(item, wage, *engine.kept_rates(item, chosen))
                wanted[employee_id, item.kind, for_period] = dict(
                    client_id=person["client_id"], policy_id=policy_id, wage=wage, base=amount.base,
                    employer_percent=amount.employer_percent, employee_percent=amount.employee_percent,
                    employer_precise=amount.employer_precise, employee_precise=amount.employee_precise,
                    employer_amount=amount.employer, employee_amount=amount.employee)
    new, changed = [], []
    for key, values in wanted.items():
        line = existing.pop(key, None)
        if line is None:
            new.append(ContributionLine(period=period, for_period=key[2], employee_id=key[0], kind=key[1],
                                        source=LineSource.BACK_PAY, **values))
        elif any(getattr(line, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(line, f, v)
            line.computed_at = timezone.now()
            changed.append(line)
    if existing:  # a person no longer missing (their record ended before the month, say)
        mine.filter(pk__in=[line.pk for line in existing.values()]).delete()
    if changed:
        mine.bulk_update(changed, list(_LATE_LINE_FIELDS) + ["computed_at"])
    if new:
        sql.ensure_corrections_partition(cur, period)
        ContributionLine.objects.bulk_create(new)
    StaffChange.objects.bulk_create(additions)


def _list_backdated_additions(cur, params: dict) -> None:
    """增员 of people entered after the branch went live with a start further back than could be
    back-paid (accepted before start_refusal existed): billed from the earliest open month on,
    with no month before it charged and no month listing them. The office registers them in
    that month, so its list carries the 增员, dated from its first day (the months before are not
    insured); only the earliest open month lists them, and only once. The people entered before
    the branch's first compute are its opening roster, not 增员."""
    period = params["period"]
    months = branch_months()
    open_month = months.open_month if months.filed else min(filter(None, (months.open_month, period)))
    went_live = MonthCycle.history.filter(computed_at__isnull=False).aggregate(t=Min("computed_at"))["t"]
    if period != open_month or went_live is None:
        return
    cur.execute(sql.BACKDATED_ADDS_SQL, {**params, "went_live": went_live})
    StaffChange.objects.bulk_create([StaffChange(period=period, employee_id=employee_id, kind=ChangeKind.ADD,
                                                 effective_date=params["m"]) for (employee_id,) in cur.fetchall()])


def _list_late_removals(cur, params: dict) -> None:
    """减员 recorded after the month that should have listed it was filed (sql.LATE_REMOVALS_SQL):
    listed in the month computed, dated as it happened. The filed months keep the person's
    lines (the agency does not refund a filed month); from this month on they have none."""
    period = params["period"]
    cur.execute(sql.LATE_REMOVALS_SQL, {**params, "removal_since": engine.add_months(period, -late_window_months())})
    StaffChange.objects.bulk_create([StaffChange(period=period, employee_id=employee_id, kind=ChangeKind.REMOVE,
                                                 effective_date=end) for employee_id, end in cur.fetchall()])


def _register_identities(periods: list[str], *, branch_id: int) -> None:
    """The branch's changes to the HQ identity registry, then the duplicate checks (in this
    branch and across branches) of each of `periods`, from the insured set the last compute left
    in the session (it spans all months).

    Always the transaction's last lock: a transaction that took a month's lock after the
    registry's could deadlock with that month's compute, which waits for the registry while
    holding its month. Hence one call after a multi-month recompute, not one per month."""
    with connection.cursor() as cur:
        cur.execute(sql.IDENTITY_SYNC_SQL, {"branch_id": branch_id})
        for period in periods:
            cur.execute(sql.DUPLICATES_SQL,
                        {"period": period, "m": engine.month_start(period), "branch_id": branch_id})


def _refresh_statements(period: str) -> None:
    shown = _statements_shown(period)
    with connection.cursor() as cur:
        cur.execute(sql.STATEMENTS_SQL, {"period": period})
    if shown:
        _tell_reissued(shown, period)


def month_reconcile(*, actor, period: str) -> MonthCycle:
    """增减员 checked by staff (due by the 5th)."""
    _check_period(period)
    with transaction.atomic():
        cycle = _cycle_for(period, lock=True)
        if cycle.computed_at is None:
            _errors({"period": _("请先计算本月数据。")})
        if cycle.status != CycleStatus.OPEN:
            _errors({"period": _("本月增减员已核对。")})
        cycle.status = CycleStatus.RECONCILED
        cycle.reconciled_at, cycle.reconciled_by = timezone.now(), actor
        stamp(cycle, actor=actor, reason="add/remove reconciled")
        cycle.save()
    return cycle


# Past this many records changed since a compute, filing asks for a recompute without looking
# at each (one look is two small queries).
CHANGED_RECORDS_LOOKED_AT = 200


def _month_changed_since(period: str, computed_at) -> bool:
    """Whether a record changed after the month's compute in a way the month shows: a person
    insured in it now and not then (or the reverse), or with another client, city, wage or
    chosen rate, or with other filed months in their span (entered or ended late: back-paid or
    listed here). A change that leaves the month as it was (a start next month, a leaving
    recorded after this month's end) does not hold up its filing."""
    changed = set(InsuredEmployee.history.filter(history_date__gt=computed_at).values_list("id", flat=True))
    if len(changed) > CHANGED_RECORDS_LOOKED_AT:
        return True
    settings_of: dict = {}

    filed = filed_periods()

    def shown(record):
        """What the month takes from a record: its lines' values while insured in the month, and
        the filed months of the span before it (a person entered or ended late is back-paid or
        listed in the month carrying them); None for neither."""
        if record is None:
            return None
        rules = settings_of.setdefault(record.insured_city, city_settings(record.insured_city))
        first = engine.first_insured_month(record.start_date, rules.add_cutoff_day)
        last = (engine.last_insured_month(record.end_date, rules.remove_covers_leaving_month)
                if record.end_date else None)
        insured = first <= period and (last is None or last >= period)
        earlier = tuple(p for p in engine.filed_in_span(first, last, filed) if p < period)
        if not insured and not earlier:
            return None
        values = (record.client_id, record.insured_city, record.wage, record.housing_fund_percent,
                  record.injury_rate) if insured else None
        return values, earlier

    for employee_id in changed:
        then = (InsuredEmployee.history.filter(id=employee_id, history_date__lte=computed_at)
                .order_by("-history_date", "-history_id").first())
        if then is not None and then.history_type == "-":
            then = None
        if shown(then) != shown(InsuredEmployee.objects.filter(pk=employee_id).first()):
            return True
    return False


def _latest_filed_after(period: str) -> str | None:
    """The latest filed month after `period`, if any: months are filed in order, so `period` can
    no longer be computed or filed (its changes are 补报 in the next open month)."""
    return (MonthCycle.objects.filter(status=CycleStatus.FILED, period__gt=period).order_by("-period")
            .values_list("period", flat=True).first())


def _refuse_behind_filed(period: str) -> None:
    later = _latest_filed_after(period)
    if later:
        _errors({"period": _("%(p)s 早于已申报的 %(f)s:不能再计算或申报;人员变动请在下一个未申报月份补报。")
                 % {"p": format_period(period), "f": format_period(later)}})


def _earlier_unfiled_month(period: str) -> str | None:
    """The earliest month before `period`, after the last filed one, that was computed with
    people in it and not filed (a month before a filed one can no longer be filed: it does not
    hold later ones up)."""
    last_filed = (MonthCycle.objects.filter(status=CycleStatus.FILED, period__lt=period).order_by("-period")
                  .values_list("period", flat=True).first()) or ""
    for earlier in (MonthCycle.objects.filter(period__lt=period, period__gt=last_filed)
                    .exclude(status=CycleStatus.FILED).order_by("period").values_list("period", flat=True)):
        if ContributionLine.objects.filter(period=earlier).exists():
            return earlier
    return None


RECEIPT_NOTE_MAX = 2000


def month_file(*, actor, period: str, receipt_no: str, receipt_note: str = "") -> MonthCycle:
    """申报 recorded with its receipt; the month and the policy versions it used freeze."""
    _check_period(period)
    receipt_no = (receipt_no or "").strip()
    if not receipt_no or len(receipt_no) > 80:
        _errors({"receipt_no": _("请填写申报回执号(不超过 80 字)。")})
    receipt_note = text_box(receipt_note, "receipt_note", limit=RECEIPT_NOTE_MAX, what=_("回执说明"))
    with transaction.atomic():
        cycle = _cycle_for(period, lock=True)
        if cycle.status == CycleStatus.FILED:
            _errors({"period": _("%(p)s已申报。") % {"p": format_period(period)}})
        if cycle.status != CycleStatus.RECONCILED:
            _errors({"period": _("请先核对增减员,再申报。")})
        _refuse_behind_filed(period)
        earlier = _earlier_unfiled_month(period)
        if earlier:
            # The agencies take months in order; filed out of order, the earlier month's 增减员
            # and late lines would land behind a month already filed.
            _errors({"period": _("%(m)s 尚未申报:请按月份顺序申报,先申报 %(m)s。") % {"m": format_period(earlier)}})
        if _month_changed_since(period, cycle.computed_at):
            # Filed as computed, the month would miss the change (a person entered, left or
            # rebased since): it would come back as 补缴 next month instead of being right now.
            _errors({"period": _("本月计算后员工档案有变动(增员、减员或调基),请重新计算并核对后再申报。")})
        policy_ids = set(ContributionLine.objects.filter(period=period).values_list("policy_id", flat=True))
        CityPolicy.objects.filter(pk__in=policy_ids, locked_at__isnull=True).update(locked_at=timezone.now())
        cycle.status = CycleStatus.FILED
        cycle.filed_at, cycle.filed_by = timezone.now(), actor
        cycle.receipt_no, cycle.receipt_note = receipt_no, receipt_note
        stamp(cycle, actor=actor, reason="month filed")
        cycle.save()
        commission_events.openings_on_filing(actor=actor, period=period, month_start=engine.month_start(period))
        # Last, as the registry's lock must be: a refusal here rolls all of the above back.
        _refuse_insured_elsewhere(period)
    return cycle


def _refuse_insured_elsewhere(period: str) -> None:
    """SPEC §6: the same identity number is not insured twice in one month, across branches. The
    registry is read as it is now (every branch's computes, 增员 and 减员), under its lock (shared:
    a branch registering a person waits for this filing, and this filing for it), not from this
    branch's finding, which is as old as its last compute."""
    from .selectors import insured_elsewhere

    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock_shared(%s, 1)", [int(Lock.SI_IDENTITY_REGISTRY)])
    ids = insured_elsewhere(period, _branch().pk)
    people = list(InsuredEmployee.objects.filter(pk__in=ids).order_by(*by_pinyin("name", "id")))
    if not people:
        return
    shown = people[:FILING_NAMES_SHOWN]
    names = _("、").join(f"{e.name}({e.id_number_masked})" for e in shown)
    if len(people) > len(shown):
        names = ngettext("%(names)s等 %(n)s 人", "%(names)s等 %(n)s 人", len(people)) % {"names": names, "n": len(people)}
    _errors({"period": _("%(p)s不能申报:%(names)s的身份证号本月在其他分支机构也参保。请与本人和客户核实,由不再为其参保的"
                         "一方减员或更正参保日期(本分支机构改后请重新计算并核对),再申报。")
             % {"p": format_period(period), "names": names}})


# People named in a refused filing's message; the board's checks list them all.
FILING_NAMES_SHOWN = 10


# A receipt number's correction is kept in the month's history: its change reason is this
# prefix and the reason given (the history keeps 100 characters, so the reason fits whole), and
# the board lists it (selectors.receipt_corrections).
RECEIPT_CORRECTED = "更正申报回执号:"
RECEIPT_REASON_MAX = 90


def month_receipt_correct(*, actor, period: str, receipt_no: str, reason: str) -> MonthCycle:
    """A filed month's receipt number mistyped: corrected, with a reason, in the audit trail.
    Nothing else of a filed month changes."""
    _check_period(period)
    receipt_no, reason = (receipt_no or "").strip(), (reason or "").strip()
    errs = {}
    if not receipt_no or len(receipt_no) > 80:
        errs["receipt_no"] = _("请填写申报回执号(不超过 80 字)。")
    if not reason or len(reason) > RECEIPT_REASON_MAX:
        errs["reason"] = _("请说明更正原因(不超过 %(n)s 字)。") % {"n": RECEIPT_REASON_MAX}
    _errors(errs)
    with transaction.atomic():
        cycle = _cycle_for(period, lock=True)
        if cycle.status != CycleStatus.FILED:
            _errors({"period": _("%(p)s 尚未申报,申报时填写回执号即可。") % {"p": format_period(period)}})
        if cycle.receipt_no == receipt_no:
            _errors({"receipt_no": _("回执号没有变化。")})
        cycle.receipt_no = receipt_no
        stamp(cycle, actor=actor, reason=RECEIPT_CORRECTED + reason)
        cycle.save(update_fields=["receipt_no"])
    return cycle


# ---------------------------------------------------------------------------------------------
# Fee statements (费用明细表): the client's contact confirms or disputes
# ---------------------------------------------------------------------------------------------
STATEMENT_NOTE_MAX = 2000  # the client's note and the office's answer alike


def statement_respond(*, actor, statement_id: int, decision: str, note: str = "") -> FeeStatement:
    from django.http import Http404

    if decision not in ("confirm", "dispute"):
        _errors({"decision": _("只能确认或提出异议。")})
    # As typed in a text box (a line break counts once); refused, never cut: the office must
    # read all of it, and a dispute must give a reason the office can see.
    note = text_box(note, "note", limit=STATEMENT_NOTE_MAX, what=_("意见"),
                    required=_("提出异议时请说明原因。") if decision == "dispute" else None)
    with transaction.atomic():
        statement = FeeStatement.objects.select_for_update().filter(pk=statement_id).first()
        if statement is None or not ClientContact.objects.filter(user=actor, client_id=statement.client_id).exists():
            raise Http404
        if statement.status != StatementStatus.ISSUED:
            _errors({"status": _("该费用明细表已答复。")})
        statement.status = StatementStatus.CONFIRMED if decision == "confirm" else StatementStatus.DISPUTED
        statement.responded_at, statement.responded_by, statement.response_note = timezone.now(), actor, note
        if decision == "dispute":  # a new round: the office's earlier answer was to the earlier note
            statement.reply_note, statement.replied_at, statement.replied_by = "", None, None
        stamp(statement, actor=actor, reason=f"statement {decision}")
        statement.save()
        commission_events.statements_changed([statement.pk])
        if decision == "dispute":
            _tell_office_disputed(statement)
    return statement


def _tell_office_disputed(statement: FeeStatement) -> None:
    """The branch's office (managers and 人事/运营) is told a client disputed a statement: which
    client, which month, the client's note, a link to answer it. Once per dispute: the key is the
    statement and the moment of this dispute (a later round, after the office's answer, is new)."""
    from notifications.services import notification_create
    from notifications.words import period as period_word
    from notifications.words import w

    from .selectors import office_ids

    branch = _branch()
    key = f"si-statement-disputed:{statement.pk}:{statement.responded_at.timestamp():.6f}"
    for user_id in office_ids(branch):
        notification_create(
            recipient_id=user_id, kind="si_statement_disputed", link=f"/b/{branch.code}/si/statements/{statement.pk}/",
            body=statement.response_note, dedupe_key=key,
            words={"title": w("%(client)s对%(period)s费用明细表提出异议,请核实并答复",
                              client=statement.client.name[:80], period=period_word(statement.period))})


def statement_reply(*, actor, statement_id: int, note: str) -> FeeStatement:
    """The office answers a client's dispute of a fee statement (what was checked, what changed)
    and sends it back for confirmation; the client's contacts are told. A dispute the figures
    prove right is settled by correcting them (recompute, 补缴/退费), which sends the statement back
    by itself; this is the answer for the rest, and for saying what was corrected."""
    from django.http import Http404

    from notifications.services import notification_create
    from notifications.words import period as period_word
    from notifications.words import w

    # As typed in a text box (a line break counts once); invisible characters are no answer.
    note = text_box(note, "note", limit=STATEMENT_NOTE_MAX, what=_("答复"), required=_("请填写答复内容。"))
    with transaction.atomic():
        statement = FeeStatement.objects.select_for_update().select_related("client").filter(pk=statement_id).first()
        if statement is None:
            raise Http404
        if not statement.awaits_answer:
            _errors({"status": _("只有客户提出异议的费用明细表需要答复。")})
        statement.status = StatementStatus.ISSUED  # (already so when a recompute sent it back)
        statement.reply_note, statement.replied_at, statement.replied_by = note, timezone.now(), actor
        stamp(statement, actor=actor, reason="statement dispute answered")
        statement.save()
        commission_events.statements_changed([statement.pk])
        link = f"/b/{_branch().code}/si/statements/{statement.pk}/"
        for user_id in ClientContact.objects.filter(client_id=statement.client_id).values_list("user_id", flat=True):
            notification_create(
                recipient_id=user_id, kind="si_statement_reply", link=link, body=note,
                words={"title": w("%(period)s费用明细表已答复,请再次确认", period=period_word(statement.period))})
    return statement


# ---------------------------------------------------------------------------------------------
# Client money: payments received against a fee statement (回款)
# ---------------------------------------------------------------------------------------------
def fee_payment_record(*, actor, statement_id: int, data: dict) -> FeePayment:
    """Record money received for one fee statement. Refused (nothing written) when the amount is
    not a positive amount, the day is in the future or before the statement's month could have
    issued it (earliest_payment_day), the bank reference (流水号) is already recorded in the
    branch, or the amount exceeds what is still outstanding on the statement."""
    from django.http import Http404

    from hrsaas.core import inputs

    from .selectors import statement_money

    errors = inputs.Errors()
    amount = inputs.parse_money(data, "amount", errors)
    paid_on = inputs.parse_date(data, "paid_on", errors, not_after_today=True)
    reference = inputs.parse_text(data, "reference", errors, max_length=60, required=False)
    if reference:  # as the bank prints it: "ＢＡＮＫ－００１" typed on a Chinese keyboard is BANK-001
        reference = unicodedata.normalize("NFKC", reference).strip()
    note = inputs.parse_text(data, "note", errors, max_length=300, required=False)
    errors.raise_if_any()
    with transaction.atomic():
        if reference:
            # Two clerks keying the same bank line at once: the second waits, then sees the first.
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':si-payment-ref:' || %s))",
                            [reference.upper()])
        statement = FeeStatement.objects.select_for_update().filter(pk=statement_id).first()
        if statement is None:
            raise Http404
        earliest = earliest_payment_day(statement)
        if paid_on < earliest:
            _errors({"paid_on": _("到账日期不能早于 %(day)s:%(p)s的费用明细表在此之前尚未开出。欠费账龄和滞纳金按到账日期计算,"
                                  "请按银行流水核对日期。") % {"day": format_date(earliest), "p": format_period(statement.period)}})
        if reference:
            _refuse_recorded_reference(reference)
        outstanding = statement_money(statement).outstanding
        if amount > outstanding:
            from hrsaas.core.formatting import format_money

            _errors({"amount": _("超过该费用明细表未付余额 %(amount)s 元。") % {"amount": format_money(outstanding)}})
        payment = FeePayment(statement=statement, amount=amount, paid_on=paid_on, reference=reference,
                             note=note, recorded_by=actor)
        stamp(payment, actor=actor, reason="payment recorded")
        payment.save()
        _post_late_fees(actor, statement.client_id)
        commission_events.statements_changed([statement.pk])
    return payment


def earliest_payment_day(statement: FeeStatement) -> dt.date:
    """The first day a payment against `statement` may be dated: the first day of its month, or
    the day its month was first computed if that came earlier (a month computed ahead issues its
    statements early, and a client may pay them at once). Not the statement's own issue day: the
    compute inserts statements set-based, so no record of when each one appeared is kept; the
    month's first compute is the earliest any of its statements can have been issued. A date
    before it is a typo (arrears and late fees are aged from it), never a real payment."""
    first_computed = (MonthCycle.history.filter(period=statement.period, computed_at__isnull=False)
                      .order_by("computed_at").values_list("computed_at", flat=True).first())
    earliest = engine.month_start(statement.period)
    if first_computed is not None:
        earliest = min(earliest, timezone.localtime(first_computed).date())
    return earliest


def _refuse_recorded_reference(reference: str) -> None:
    """One bank line (流水号) pays once in the branch: a reference already recorded on a payment
    not reversed is refused, naming the statement it is on (the branch's own data). Compared
    without regard to case, as banks print them either way. A reversed payment's reference may
    be recorded again (the usual fix of a payment booked on the wrong statement)."""
    earlier = (FeePayment.objects.filter(reference__iexact=reference, amount__gt=0, reversed_by__isnull=True)
               .select_related("statement__client").order_by("id").first())
    if earlier is not None:
        from hrsaas.core.formatting import format_money

        _errors({"reference": _("流水号 %(ref)s 已登记过:%(client)s %(p)s费用明细表,%(day)s 到账 %(amount)s 元。"
                                "同一笔银行流水不能登记两次;如果那笔登记错了,请先在该费用明细表上冲销。") % {
            "ref": earlier.reference, "client": earlier.statement.client.name,
            "p": format_period(earlier.statement.period), "day": format_date(earlier.paid_on),
            "amount": format_money(earlier.amount)}})


def fee_payment_reverse(*, actor, payment_id: int, reason: str) -> FeePayment:
    """Undo a wrongly recorded payment with a negative one naming it (payments are never edited)."""
    from django.http import Http404

    reason = text_box(reason, "reason", limit=300, what=_("冲销原因"), required=_("冲销收款时请说明原因。"))
    with transaction.atomic():
        original = FeePayment.objects.select_for_update().filter(pk=payment_id, amount__gt=0).first()
        if original is None:
            raise Http404
        if FeePayment.objects.filter(reverses=original).exists():
            _errors({"payment": _("该笔收款已冲销。")})
        reversal = FeePayment(statement_id=original.statement_id, amount=-original.amount,
                              paid_on=timezone.localdate(), note=reason, reverses=original,
                              recorded_by=actor)
        stamp(reversal, actor=actor, reason="payment reversed")
        reversal.save()
        _post_late_fees(actor, original.statement.client_id)
        commission_events.statements_changed([original.statement_id])
    return reversal


def _post_late_fees(actor, client_id: int) -> None:
    """A payment or its reversal may make the client's contributions late (滞纳金) or no longer
    late: the client's late-fee lines follow in the same transaction (late_fees.py)."""
    from .late_fees import late_fees_post

    late_fees_post(actor=actor, client_id=client_id)


def money_policy_update(*, actor, data: dict):
    """The branch's client-money dates (branch manager): 客户付款到期日 and 法定缴费截止日, each a
    day 1–28 of the statement's month, the client's not after the agency's. Audited; refused
    with the field's message and nothing written."""
    from hrsaas.core import inputs

    from .models import ClientMoneyPolicy

    policy = ClientMoneyPolicy.current()
    errors = inputs.Errors()
    values = {}
    for name in ("payment_due_day", "contribution_due_day"):
        if data.get(name) not in (None, ""):
            values[name] = inputs.parse_int(data, name, errors, low=1, high=28)
    errors.raise_if_any()
    if not values:
        _errors({"payment_due_day": _("请填写客户付款到期日或法定缴费截止日(每月 1–28 日)。")})
    payment_day = values.get("payment_due_day", policy.payment_due_day)
    agency_day = values.get("contribution_due_day", policy.contribution_due_day)
    if payment_day > agency_day:
        _errors({"payment_due_day": _("客户付款到期日(%(payment)s 日)不能晚于法定缴费截止日(%(agency)s 日):"
                                      "按时付款的客户不应产生滞纳金。") % {"payment": payment_day, "agency": agency_day}})
    with transaction.atomic():
        policy = ClientMoneyPolicy.objects.select_for_update().filter(pk=1).first() or ClientMoneyPolicy(pk=1)
        policy.payment_due_day, policy.contribution_due_day = payment_day, agency_day
        stamp(policy, actor=actor, reason="client money dates changed")
        policy.save()
    return policy


def client_contact_link(*, actor, user, client) -> ClientContact:
    obj, _created = ClientContact.objects.get_or_create(user=user, client=client)
    return obj


def client_contacts(client) -> list:
    """The portal accounts that speak for `client` (their users), by name."""
    from branches.models import User

    ids = ClientContact.objects.filter(client=client).values_list("user_id", flat=True)
    return _namesakes_marked(list(User.objects.filter(pk__in=list(ids)).order_by(*by_pinyin("display_name", "username"))))


def _namesakes_marked(users: list) -> list:
    """Each user with `show_login` set where a name alone would not tell them apart (another of the
    list has the same name, or there is none): only then is the sign-in name shown beside it."""
    from collections import Counter

    names = Counter(u.display_name for u in users)
    for u in users:
        u.show_login = not u.display_name or names[u.display_name] > 1
    return users


def contact_accounts(branch, *, excluding_client=None) -> list:
    """The branch's client-contact accounts (HQ creates them with the role 客户联系人), less those
    already linked to `excluding_client`: what the office may link to a client."""
    from branches.models import BranchMembership, User
    from branches.roles import Role

    ids = BranchMembership.objects.filter(branch=branch, role=Role.CLIENT_CONTACT).values_list("user_id", flat=True)
    users = User.objects.filter(pk__in=list(ids), is_active=True)
    if excluding_client is not None:
        users = users.exclude(pk__in=list(ClientContact.objects.filter(client=excluding_client)
                                         .values_list("user_id", flat=True)))
    users = list(users.order_by(*by_pinyin("display_name", "username")))
    # Each account with the companies it already speaks for, so that a pick is never a guess
    # between two accounts of the same name (a wrong link opens one company's data to another's).
    speaks_for: dict[int, list[str]] = {}
    for user_id, name in (ClientContact.objects.filter(user_id__in=[u.pk for u in users])
                          .order_by(*by_pinyin("client__name")).values_list("user_id", "client__name")):
        speaks_for.setdefault(user_id, []).append(name)
    # An account may speak for a company of another branch too (its link lives in that branch's
    # schema): said without naming it — that company is not this office's to know.
    elsewhere = set(BranchMembership.objects.filter(user_id__in=[u.pk for u in users], role=Role.CLIENT_CONTACT)
                    .exclude(branch=branch).values_list("user_id", flat=True))
    for u in users:
        u.speaks_for = speaks_for.get(u.pk, []) + ([_("其他分支机构的客户")] if u.pk in elsewhere else [])
    return _namesakes_marked(users)


def client_contact_add(*, actor, branch, client, user_id, also_other_companies: bool = False) -> ClientContact:
    """Link a client-contact account of this branch to `client` (an open client): from then on it
    reads that company's fee statements, payments and insured people, and confirms or disputes the
    statements. Audited. Anything else — no such account, one without the role here, a closed
    client, a link that exists — is refused with its reason and changes nothing.

    An account that already speaks for another company (a group's contact for its subsidiaries)
    is linked only with `also_other_companies`, the office's second tick: one click on the wrong
    account opened a company's wages and identity numbers to another company's contact."""
    from hrsaas.core import inputs

    errors = inputs.Errors()
    pk = inputs.parse_int({"contact": user_id}, "contact", errors, low=1, high=2**62)
    errors.raise_if_any()
    user = next((u for u in contact_accounts(branch) if u.pk == pk), None)
    if user is None:
        # The same words for "no such account" and "not a contact here": nothing about other accounts.
        _errors({"contact": _("请选择本分支机构的客户联系人账号(由总部在“人员与角色”中创建)。")})
    if client.closed_on is not None:
        _errors({"contact": _("该客户已终止服务,不能再关联联系人。")})
    already = {"contact": _("%(name)s 已是该客户的联系人。") % {"name": user.display_name or user.username}}
    if ClientContact.objects.filter(user=user, client=client).exists():
        _errors(already)
    if user.speaks_for and not also_other_companies:
        _errors({"contact": _(
            "%(name)s 已是%(others)s的联系人:关联后,其将同时看到%(others)s和%(client)s的费用明细表、回款与参保人员。"
            "如确为同一集团的联系人,请勾选“确认同时关联多家公司”后再提交。") % {
                "name": user.display_name or user.username, "others": "、".join(user.speaks_for), "client": client.name}})
    try:
        with transaction.atomic():  # two clicks at once: the second meets the unique link
            link = ClientContact(user=user, client=client)
            stamp(link, actor=actor, reason="client contact linked")
            link.save()
    except IntegrityError:
        _errors(already)
    return link


def client_contact_remove(*, actor, client, user_id: int):
    """Unlink: the account no longer reads this company's money or people. Audited. Returns the
    account."""
    with transaction.atomic():
        link = ClientContact.objects.select_for_update().filter(client=client, user_id=user_id).first()
        if link is None:
            from django.http import Http404

            raise Http404
        stamp(link, actor=actor, reason="client contact unlinked")
        user = link.user
        link.delete()
    return user


# ---------------------------------------------------------------------------------------------
# Base disputes → 补缴/退费 lines in the next open month
# ---------------------------------------------------------------------------------------------
def dispute_raise(*, actor, employee_id: int, period: str, claimed_wage, reason: str) -> BaseDispute:
    _check_period(period)
    errs: dict[str, str] = {}
    from .employee_selectors import employees_for_pages

    # Only someone the actor may see (a specialist sees no insured person's record): any other
    # number reads as one that does not exist.
    employee = employees_for_pages(actor, _branch()).filter(pk=employee_id).first()
    if employee is None:
        errs["employee"] = _("员工不存在。")
    try:
        wage = engine.parse_declared_wage(claimed_wage, "claimed_wage")
    except engine.PolicyError as exc:
        errs[exc.field] = exc.message
    if not (reason or "").strip():
        errs["reason"] = _("请说明争议原因。")
    _errors(errs)
    if not MonthCycle.objects.filter(period=period, status=CycleStatus.FILED).exists():
        _errors({"period": _("只有已申报月份的基数可以提出争议;未申报月份请修改工资后重算。")})
    filed = filed_periods()
    lines = list(ContributionLine.objects.filter(for_period=period, employee=employee,
                                                 source__in=(LineSource.REGULAR, LineSource.BACK_PAY)))
    if not any(charges_month(line, filed) for line in lines):
        carrying = next((line.period for line in lines if line.source == LineSource.BACK_PAY
                         and line.corrects_id is None and line.dispute_id is None), None)
        if carrying is not None:
            _errors({"period": _("该员工%(p)s的费用在%(c)s补缴,%(c)s申报后可对该月提出基数争议。") % {
                "p": format_period(period), "c": format_period(carrying)}})
        _errors({"period": _("该员工本月没有缴费记录。")})
    if BaseDispute.objects.filter(employee=employee, period=period, status=DisputeStatus.OPEN).exists():
        # One open question per person and month: two open ones would each post the whole
        # difference when resolved.
        _errors({"period": _("该员工%(p)s已有待处理的基数争议,请先处理该争议。") % {"p": format_period(period)}})
    charged = {line.wage for line in lines if line.wage is not None and charges_month(line, filed)}
    if charged == {wage}:
        _errors({"claimed_wage": _("主张的工资与%(p)s已申报的工资 %(w)s 相同,无需更正。") % {
            "p": format_period(period), "w": f"{wage:,.2f}"}})
    with transaction.atomic():
        dispute = BaseDispute(employee=employee, period=period, claimed_base=wage, reason=reason.strip(),
                              raised_by=actor)
        stamp(dispute, actor=actor, reason="base disputed")
        dispute.save()
        _tell_dispute_raised(dispute)
    return dispute


def _tell_dispute_raised(dispute: BaseDispute) -> None:
    """The branch's office is told a base was disputed: whose, which month, the wage claimed, the
    reason as written, a link to the dispute. Once per dispute."""
    from notifications.services import notification_create
    from notifications.words import money, period as period_word, w

    from .dispute_selectors import raise_audience

    branch = _branch()
    employee = dispute.employee
    for user_id in raise_audience(branch, dispute):
        notification_create(
            recipient_id=user_id, kind="si_base_disputed", link=f"/b/{branch.code}/si/disputes/{dispute.pk}/",
            body=dispute.reason, dedupe_key=f"si-base-disputed:{dispute.pk}",
            words={"title": w("%(client)s %(name)s %(period)s的社保基数有争议:主张申报工资 %(wage)s 元,请核实处理",
                              client=employee.client.name[:60], name=employee.name[:40],
                              period=period_word(dispute.period), wage=money(dispute.claimed_base))})


def _tell_dispute_decided(dispute: BaseDispute, *, actor) -> None:
    """Whoever raised the dispute, and the client contacts who see the person (their own company's
    only), are told it was corrected (the wage it now counts on, the month the 补缴/退费 lands in)
    or rejected (the filed base stands); the office's note as written. Once per dispute."""
    from notifications.services import notification_create
    from notifications.words import money, period as period_word, w

    from .dispute_selectors import outcome_audience

    branch = _branch()
    employee = dispute.employee
    if dispute.status == DisputeStatus.RESOLVED:
        kind = "si_base_dispute_resolved"
        title = w("%(name)s %(period)s的基数争议已更正:按申报工资 %(wage)s 元,补缴/退费计入%(target)s",
                  name=employee.name[:40], period=period_word(dispute.period), wage=money(dispute.corrected_wage),
                  target=period_word(dispute.settled_in_period))
    else:
        kind = "si_base_dispute_rejected"
        title = w("%(name)s %(period)s的基数争议已驳回,已申报的基数不变", name=employee.name[:40],
                  period=period_word(dispute.period))
    for told in outcome_audience(branch, dispute, actor=actor):
        notification_create(recipient_id=told.user_id, kind=kind, link=told.link, body=dispute.note,
                            dedupe_key=f"si-base-dispute-decided:{dispute.pk}", words={"title": title})


def dispute_settling_month(dispute: BaseDispute) -> str:
    """The month a correction of `dispute` lands in: the first month after the disputed one that
    is not filed. Refused (ValidationError) past the city's back-payment limit."""
    filed = set(MonthCycle.objects.filter(status=CycleStatus.FILED).values_list("period", flat=True))
    target = engine.first_open_after(dispute.period, filed)
    limit = city_settings(dispute.employee.insured_city).back_payment_months_limit
    if engine.months_between(dispute.period, target) > max(limit, 1):
        _errors({"period": ngettext("超过补缴期限(%(n)s 个月)。", "超过补缴期限(%(n)s 个月)。", limit) % {"n": limit}})
    return target


DISPUTE_NOTE_MAX = 2000


def _dispute_note(note, *, required: bool) -> str:
    return text_box(note if isinstance(note, str) else "", "note", limit=DISPUTE_NOTE_MAX, what=_("处理说明"),
                    required=_("驳回时请说明原因。") if required else None)


def _open_dispute_for_update(dispute_id: int) -> BaseDispute:
    dispute = BaseDispute.objects.select_for_update().select_related("employee").filter(pk=dispute_id).first()
    if dispute is None:
        from django.http import Http404

        raise Http404
    if dispute.status != DisputeStatus.OPEN:
        _errors({"status": _("该争议已处理。")})
    return dispute


def dispute_resolve(*, actor, dispute_id: int, corrected_wage, note: str = "") -> BaseDispute:
    """Correct the base of a filed month: the difference per item and side is charged (补缴) or
    refunded (退费) in the first month after it that is not filed, each line pointing at the
    line it corrects. The filed month is never touched."""
    try:
        wage = engine.parse_declared_wage(corrected_wage, "corrected_wage")
    except engine.PolicyError as exc:
        _errors({exc.field: exc.message})
    note = _dispute_note(note, required=False)
    with transaction.atomic():
        dispute = _open_dispute_for_update(dispute_id)
        target = dispute_settling_month(dispute)
        cycle = _cycle_for(target, lock=True)
        new_lines = _dispute_lines(dispute, wage, target)
        if new_lines:
            with connection.cursor() as cur:
                sql.ensure_corrections_partition(cur, target)
            ContributionLine.objects.bulk_create(new_lines)
        dispute.status, dispute.corrected_wage, dispute.settled_in_period = DisputeStatus.RESOLVED, wage, target
        dispute.resolved_by, dispute.resolved_at, dispute.note = actor, timezone.now(), note
        stamp(dispute, actor=actor, reason="dispute resolved")
        dispute.save()
        if cycle.computed_at is not None:
            _refresh_statements(target)
            # The month's totals follow its statements at once (the board and the month's API
            # showed the amounts before the 补缴 until the next compute).
            from django.db.models import Sum

            sums = FeeStatement.objects.filter(period=target).aggregate(er=Sum("employer_total"), ee=Sum("employee_total"))
            cycle.employer_total, cycle.employee_total = sums["er"] or Decimal("0.00"), sums["ee"] or Decimal("0.00")
            stamp(cycle, actor=actor, reason="dispute resolved")
            cycle.save()
        _tell_dispute_decided(dispute, actor=actor)  # after the refresh: a client's link is its statement
    return dispute


def dispute_reject(*, actor, dispute_id: int, note: str) -> BaseDispute:
    """The filed base stands: the dispute is closed with the office's reason; nothing is posted."""
    note = _dispute_note(note, required=True)
    with transaction.atomic():
        dispute = _open_dispute_for_update(dispute_id)
        dispute.status, dispute.note = DisputeStatus.REJECTED, note
        dispute.resolved_by, dispute.resolved_at = actor, timezone.now()
        stamp(dispute, actor=actor, reason="dispute rejected")
        dispute.save()
        _tell_dispute_decided(dispute, actor=actor)
    return dispute


@dataclass(frozen=True)
class DisputeLinePreview:
    kind: str
    source: str  # LineSource.BACK_PAY or LineSource.REFUND
    base: Decimal
    employer: Decimal
    employee: Decimal


@dataclass(frozen=True)
class DisputePreview:
    """What resolving a dispute at `wage` would post in `target`: this dispute's own difference
    per item (an earlier correction still waiting in that month is added to, not shown here)."""
    wage: Decimal
    target: str
    lines: list[DisputeLinePreview]

    @property
    def employer_total(self) -> Decimal:
        return sum((l.employer for l in self.lines), ZERO_MONEY)

    @property
    def employee_total(self) -> Decimal:
        return sum((l.employee for l in self.lines), ZERO_MONEY)


def dispute_preview(*, dispute: BaseDispute, corrected_wage) -> DisputePreview:
    """The 补缴/退费 lines `dispute_resolve` would post for `corrected_wage`, computed the same way
    (the same differences), writing nothing. Refused like the resolution (wage, limit, policy)."""
    try:
        wage = engine.parse_declared_wage(corrected_wage, "corrected_wage")
    except engine.PolicyError as exc:
        _errors({exc.field: exc.message})
    target = dispute_settling_month(dispute)
    _lines, _version, differences = _dispute_differences(dispute, wage)
    out = []
    for kind, _filed, diff in differences:
        source = LineSource.BACK_PAY if diff.employer + diff.employee > 0 else LineSource.REFUND
        out.append(DisputeLinePreview(kind, source, diff.amount.base if diff.amount else ZERO_MONEY,
                                      diff.employer, diff.employee))
    return DisputePreview(wage, target, out)


def _charged_so_far(lines) -> dict[str, list[Decimal]]:
    """Per item: [employer, employee, employer precise, employee precise] over `lines`."""
    charged: dict[str, list[Decimal]] = {}
    for line in lines:
        sums = charged.setdefault(line.kind, [Decimal(0)] * 4)
        sums[0] += line.employer_amount
        sums[1] += line.employee_amount
        sums[2] += line.employer_precise
        sums[3] += line.employee_precise
    return charged


def _month_differences(rule: engine.PolicyRule, regular: dict[str, ContributionLine],
                       charged: dict[str, list[Decimal]], wage: Decimal):
    """(kind, line to point at, engine.TrueUp) for each item of one person's filed month whose
    amount under `rule` at `wage` differs from what was charged for it so far. Items the filed
    month had and `rule` dropped are taken back; items `rule` adds are charged, except a
    housing fund the person did not have."""
    anchor = regular.get("pension") or next(iter(regular.values()))
    zero = [Decimal(0)] * 4
    for kind in sorted(set(regular) | {i.kind for i in rule.items}):
        filed = regular.get(kind)
        if filed is None and kind == "housing_fund":
            continue
        chosen = filed.employer_percent if filed is not None and kind in ("housing_fund", "work_injury") else None
        sums = charged.get(kind, zero)
        diff = engine.true_up(rule.item(kind), wage, chosen, charged_employer=sums[0], charged_employee=sums[1],
                              charged_employer_precise=sums[2], charged_employee_precise=sums[3])
        if not diff.is_zero:
            yield kind, filed or anchor, diff


def _dispute_differences(dispute: BaseDispute, wage: Decimal):
    """(the lines for the disputed month, the policy version in force for it, [(kind, line to
    point at, engine.TrueUp)]): the month recomputed at `wage` minus what was charged so far."""
    lines = list(ContributionLine.objects.filter(for_period=dispute.period, employee=dispute.employee))
    filed = filed_periods()
    regular = {l.kind: l for l in lines if charges_month(l, filed)}
    month = engine.month_start(dispute.period)
    version = (CityPolicy.objects.filter(city=dispute.employee.insured_city, effective_from__lte=month)
               .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=month)).prefetch_related("items").first())
    if version is None:
        _errors({"period": _("%(p)s没有适用的社保政策,无法计算更正。") % {"p": format_period(dispute.period)}})
    rule = policy_rule(version)
    return lines, version, list(_month_differences(rule, regular, _charged_so_far(lines), wage))


def _dispute_lines(dispute: BaseDispute, wage: Decimal, target: str) -> list[ContributionLine]:
    """The disputed month recomputed from the corrected wage under the city's version now in force
    for it (a version published later replaces the filed one, as its 补差 does), minus everything
    charged for each item so far (the filed line and every earlier correction). An earlier
    correction of the same item and sign still waiting in the target month is folded into
    (updated, pointing at this dispute) rather than duplicated."""
    lines, version, differences = _dispute_differences(dispute, wage)
    waiting = {(l.kind, l.source): l for l in lines if l.period == target and l.corrects_id is not None
               and l.source in (LineSource.BACK_PAY, LineSource.REFUND)}
    new_lines = []
    for kind, filed, diff in differences:
        amount = diff.amount
        source = LineSource.BACK_PAY if diff.employer + diff.employee > 0 else LineSource.REFUND
        earlier = waiting.get((kind, source))
        if earlier is not None:  # same business key: fold this difference into it
            diff = engine.TrueUp(amount, earlier.employer_amount + diff.employer, earlier.employee_amount + diff.employee,
                                 earlier.employer_precise + diff.employer_precise,
                                 earlier.employee_precise + diff.employee_precise)
        values = dict(
            client_id=filed.client_id, policy_id=version.pk, wage=wage,
            base=amount.base if amount else ZERO_MONEY, employer_percent=amount.employer_percent if amount else 0,
            employee_percent=amount.employee_percent if amount else 0, employer_precise=diff.employer_precise,
            employee_precise=diff.employee_precise, employer_amount=diff.employer, employee_amount=diff.employee,
            corrects=filed, dispute=dispute)
        if earlier is not None:
            for f, v in values.items():
                setattr(earlier, f, v)
            earlier.save()
        else:
            new_lines.append(ContributionLine(period=target, for_period=dispute.period, employee=dispute.employee,
                                              kind=kind, source=source, **values))
    return new_lines


# ---------------------------------------------------------------------------------------------
# A policy version published after months were filed under its predecessor → 补差 lines
# ---------------------------------------------------------------------------------------------
@dataclass
class TrueUpResult:
    policy_id: int
    months: list[str] = field(default_factory=list)
    target: str | None = None
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    recomputed: list[str] = field(default_factory=list)


def policy_true_up(*, actor, policy_id: int) -> TrueUpResult:
    """For every filed month the version covers, post what it changes (per person, item and side:
    the item recomputed from the same wage under the new version, minus everything charged for
    it so far) as 补差 lines in the first open month after them, each pointing at the filed line
    it corrects. Open months already computed are recomputed under the new version. Idempotent:
    a second run finds nothing to change. The filed months are never touched."""
    policy = CityPolicy.objects.prefetch_related("items").filter(pk=policy_id).first()
    if policy is None:
        _errors({"policy": _("政策版本不存在。")})
    rule = policy_rule(policy)
    first = engine.period_of(policy.effective_from)
    last = engine.period_of(policy.effective_to) if policy.effective_to else None
    result = TrueUpResult(policy_id=policy.pk)
    with transaction.atomic():
        filed_all = set(MonthCycle.objects.filter(status=CycleStatus.FILED).values_list("period", flat=True))
        months = sorted(p for p in filed_all if p >= first and (last is None or p <= last))
        if months:
            target = engine.add_months(months[-1], 1)
            while target in filed_all:
                target = engine.add_months(target, 1)
            cycle = _cycle_for(target, lock=True)
            result.months, result.target = months, target
            _post_true_up(rule, policy, months, target, result)
            stamp(cycle, actor=actor, reason=f"补差 for {policy.city} {policy.year_label}: {', '.join(months)}")
            cycle.save()
        open_computed = MonthCycle.objects.exclude(status=CycleStatus.FILED).filter(
            computed_at__isnull=False, period__gte=first).order_by("period").values_list("period", flat=True)
        latest_filed = max(filed_all, default="")
        for period in open_computed:
            # A month behind a filed one is no longer computed (months are filed in order).
            if (last is None or period <= last) and period > latest_filed:
                month_compute(actor=actor, period=period, register=False)
                result.recomputed.append(period)
        if result.recomputed:
            _register_identities(result.recomputed, branch_id=_branch().pk)
        if result.target and result.target not in result.recomputed:
            _refresh_statements(result.target)
    return result


# People per batch of a true-up: bounds its memory (one batch's lines as model objects) whatever
# the branch's size; every key it works on is per person, so batches are independent.
TRUE_UP_BATCH = 2000


def _post_true_up(rule: engine.PolicyRule, policy: CityPolicy, months: list[str], target: str,
                  result: TrueUpResult) -> None:
    city_policies = list(CityPolicy.objects.filter(city=policy.city).values_list("pk", flat=True))
    lines = ContributionLine.objects.filter(for_period__in=months, policy_id__in=city_policies)
    filed = filed_periods()
    # One pass in person order (a server-side cursor: its snapshot does not see the lines the
    # batches write, and a batch only writes lines of people already read).
    batch: list[ContributionLine] = []
    people, last = 0, None
    for line in lines.order_by("employee_id", "pk").iterator(chunk_size=10_000):
        if line.employee_id != last:
            if people == TRUE_UP_BATCH:
                _post_true_up_batch(rule, policy, months, target, result, batch, filed)
                batch, people = [], 0
            people, last = people + 1, line.employee_id
        batch.append(line)
    if batch:
        _post_true_up_batch(rule, policy, months, target, result, batch, filed)


def _post_true_up_batch(rule: engine.PolicyRule, policy: CityPolicy, months: list[str], target: str,
                        result: TrueUpResult, lines: list[ContributionLine], filed: set[str]) -> None:
    # Per person and month: the filed month's charge (charges_month), what was charged per item, and an earlier
    # 补差 of this target month (updated in place rather than stacked). The wage is the filed one
    # unless a dispute corrected it (the latest resolved dispute wins).
    people: dict[tuple[int, str], dict[str, ContributionLine]] = {}
    month_lines: dict[tuple[int, str], list[ContributionLine]] = {}
    existing: dict[tuple[int, str, str], ContributionLine] = {}
    for line in lines:
        if line.source == LineSource.TRUE_UP and line.period == target:
            existing[(line.employee_id, line.for_period, line.kind)] = line
            continue
        if charges_month(line, filed):
            people.setdefault((line.employee_id, line.for_period), {})[line.kind] = line
        month_lines.setdefault((line.employee_id, line.for_period), []).append(line)
    corrected = {(d.employee_id, d.period): d.corrected_wage for d in BaseDispute.objects.filter(
        status=DisputeStatus.RESOLVED, period__in=months, corrected_wage__isnull=False,
        employee_id__in={employee_id for employee_id, _ in month_lines}).order_by("resolved_at", "pk")}
    new, changed, wanted_keys = [], [], set()
    fields = ("source", "policy_id", "wage", "base", "employer_percent", "employee_percent", "employer_precise",
              "employee_precise", "employer_amount", "employee_amount", "corrects_id")
    for (employee_id, for_period), regular in people.items():
        anchor = regular.get("pension") or next(iter(regular.values()))
        wage = corrected.get((employee_id, for_period)) or anchor.wage or anchor.base
        charged = _charged_so_far(month_lines[(employee_id, for_period)])
        for kind, points_at, diff in _month_differences(rule, regular, charged, wage):
            key = (employee_id, for_period, kind)
            wanted_keys.add(key)
            amount = diff.amount
            values = dict(
                source=LineSource.TRUE_UP, policy_id=policy.pk, wage=wage,
                base=amount.base if amount else ZERO_MONEY, employer_percent=amount.employer_percent if amount else 0,
                employee_percent=amount.employee_percent if amount else 0,
                employer_precise=diff.employer_precise, employee_precise=diff.employee_precise,
                employer_amount=diff.employer, employee_amount=diff.employee,
                corrects_id=points_at.pk,
            )
            line = existing.get(key)
            if line is None:
                new.append(ContributionLine(period=target, for_period=for_period, employee_id=employee_id,
                                            client_id=anchor.client_id, kind=kind, **values))
            elif any(getattr(line, f) != v for f, v in values.items()):
                for f, v in values.items():
                    setattr(line, f, v)
                changed.append(line)
    stale = [line.pk for key, line in existing.items() if key not in wanted_keys]
    if stale:
        result.deleted += ContributionLine.objects.filter(pk__in=stale).delete()[0]
    if changed:
        ContributionLine.objects.bulk_update(changed, fields, batch_size=2000)
    if new:
        with connection.cursor() as cur:
            sql.ensure_corrections_partition(cur, target)
        ContributionLine.objects.bulk_create(new, batch_size=2000)
    result.inserted += len(new)
    result.updated += len(changed)


# ---------------------------------------------------------------------------------------------
# Exceptions (缴费失败 …): respond within 1 h, resolve within 24 h
# ---------------------------------------------------------------------------------------------
def exception_open(*, actor, period: str, description: str, employee_id=None, kind="payment_failed",
                   now=None) -> PaymentException:
    _check_period(period)
    if not (description or "").strip():
        _errors({"description": _("请描述异常情况。")})
    employee = None
    if employee_id is not None:
        employee = InsuredEmployee.objects.filter(pk=employee_id).first()
        if employee is None:
            _errors({"employee": _("员工不存在。")})
    now = now or timezone.now()
    exc = PaymentException(
        period=period, employee=employee, client_id=employee.client_id if employee else None, kind=kind[:30],
        description=description.strip(), opened_at=now, respond_due=now + RESPOND_WITHIN,
        resolve_due=now + RESOLVE_WITHIN, opened_by=actor,
    )
    stamp(exc, actor=actor, reason="exception opened")
    exc.save()
    return exc


def exception_advance(*, actor, exception_id: int, to: str, note: str = "", now=None) -> PaymentException:
    from django.http import Http404

    now = now or timezone.now()
    with transaction.atomic():
        exc = PaymentException.objects.select_for_update().filter(pk=exception_id).first()
        if exc is None:
            raise Http404
        if to == ExceptionStatus.RESPONDED and exc.status == ExceptionStatus.OPEN:
            exc.status, exc.responded_at = to, now
        elif to == ExceptionStatus.RESOLVED and exc.status != ExceptionStatus.RESOLVED:
            if not (note or "").strip():
                _errors({"resolution": _("请填写处理结果。")})
            exc.status, exc.resolved_at, exc.resolution = to, now, note.strip()
            exc.responded_at = exc.responded_at or now
        else:
            _errors({"status": _("当前状态不能执行该操作。")})
        exc.handled_by = actor
        stamp(exc, actor=actor, reason=f"exception {to}")
        exc.save()
    return exc
