"""Reads of the 参保员工 pages: the scoped, searched list, one employee, their monthly lines, and
the 增减员 calendar (this month's deadline, and which month a change lands in).

Who reads what is decided here once: branch managers, branch staff and HQ admins read every
employee of the branch and open their records; a client contact lists the people insured
through their own company (nothing more); anyone else nothing. Missing and "not yours" are
the same 404. The full identity number is never read back: a search by it goes through the
keyed hash the record keeps."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from branches.roles import Role, roles_in_branch
from social_insurance.policies.selectors import city_settings, known_cities

from . import engine
from .crypto import identity_hashes
from .models import ChangeKind, ContributionLine, CycleStatus, InsuredEmployee, MonthCycle, StaffChange
from .selectors import client_ids_of_contact
from hrsaas.core.collation import by_pinyin

READ_ALL_ROLES = frozenset({Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.HQ_ADMIN})
CONTACT_ROLES = frozenset({Role.CLIENT_CONTACT})
STATUSES = ("active", "ended", "upcoming")
LINE_MONTHS = 24


def reads_all(user, branch) -> bool:
    return bool(roles_in_branch(user, branch) & READ_ALL_ROLES)


def employees_for_pages(user, branch):
    """Every employee for the branch's staff; a client contact's own company's; else none."""
    qs = InsuredEmployee.objects.select_related("client")
    if reads_all(user, branch):
        return qs
    if roles_in_branch(user, branch) & CONTACT_ROLES:
        return qs.filter(client_id__in=client_ids_of_contact(user))
    return qs.none()


def access_employee(user, branch, employee_id) -> InsuredEmployee:
    """One employee's record: branch staff only (a client contact has the list, not records)."""
    employee = (InsuredEmployee.objects.select_related("client").filter(pk=employee_id).first()
                if reads_all(user, branch) else None)
    if employee is None:
        raise Http404
    return employee


# The list's orders: by client then name (default), by name, by start of insurance, by wage.
SORTS = {
    "client": ("client__name", "name", "id"), "name": ("name", "id"),
    "-start": ("-start_date", "-id"), "start": ("start_date", "id"),
    "-wage": ("-wage", "-id"), "wage": ("wage", "id"),
}


@dataclass(frozen=True)
class EmployeeFilters:
    q: str = ""
    client: int | None = None
    status: str = ""
    sort: str = "client"
    # The keyed hash of a whole identity number searched for (the page puts it in the URL
    # instead of the number: see employee_views.employee_list).
    id_hash: str = ""

    @classmethod
    def from_query(cls, params) -> "EmployeeFilters":
        client = engine.halfwidth(params.get("client") or "")
        status = params.get("status", "")
        id_hash = params.get("idh") or ""
        return cls(q=(params.get("q") or "").strip()[:40],
                   client=int(client) if client.isascii() and client.isdigit() and len(client) < 19 else None,
                   status=status if status in STATUSES else "",
                   sort=params.get("sort") if params.get("sort") in SORTS else "client",
                   id_hash=id_hash if re.fullmatch(r"[0-9a-f]{64}", id_hash) else "")


def whole_identity_number(q: str) -> str | None:
    number = engine.normalize_identity(q)
    return number if engine.identity_number_valid(number) else None


def by_identity_number(user, branch, number: str):
    """The person with this whole identity number among those `user` may see (their latest
    stint), or None — also for a number that is not a valid one."""
    number = engine.normalize_identity(number)
    if not engine.identity_number_valid(number):
        return None
    return (employees_for_pages(user, branch).filter(id_number_hash__in=identity_hashes(number))
            .order_by("-start_date", "-id").first())


def search(qs, q: str):
    """By name, by part of the masked number (its last four, say), or — a whole valid identity
    number typed — by its keyed hash."""
    if not q:
        return qs
    number = engine.normalize_identity(q)
    if engine.identity_number_valid(number):
        return qs.filter(id_number_hash__in=identity_hashes(number))  # every configured key
    return qs.filter(Q(name__icontains=q) | Q(id_number_masked__icontains=number))


def employee_list(user, branch, filters: EmployeeFilters, *, today: dt.date | None = None):
    today = today or timezone.localdate()
    qs = employees_for_pages(user, branch)
    qs = qs.filter(id_number_hash=filters.id_hash) if filters.id_hash else search(qs, filters.q)
    if filters.client is not None:
        qs = qs.filter(client_id=filters.client)
    if filters.status == "active":
        qs = qs.filter(start_date__lte=today).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
    elif filters.status == "ended":
        qs = qs.filter(end_date__lt=today)
    elif filters.status == "upcoming":
        qs = qs.filter(start_date__gt=today)
    return qs.order_by(*by_pinyin(*SORTS[filters.sort]))


def status_of(employee: InsuredEmployee, today: dt.date) -> str:
    if employee.start_date > today:
        return "upcoming"
    if employee.end_date is not None and employee.end_date < today:
        return "ended"
    return "active"


def city_names() -> dict[str, str]:
    return dict(known_cities())


@dataclass(frozen=True)
class MonthLines:
    period: str
    lines: list
    employer_total: object
    employee_total: object


def monthly_lines(employee: InsuredEmployee, *, months: int = LINE_MONTHS) -> list[MonthLines]:
    """The person's contribution lines of their latest `months` months, newest month first."""
    periods = list(ContributionLine.objects.filter(employee_id=employee.pk).order_by("-period")
                   .values_list("period", flat=True).distinct()[:months])
    lines = list(ContributionLine.objects.filter(employee_id=employee.pk, period__in=periods)
                 .order_by("-period", "source", "for_period", "kind"))
    out = []
    for period in periods:
        of_month = [line for line in lines if line.period == period]
        out.append(MonthLines(period, of_month, sum(x.employer_amount for x in of_month),
                              sum(x.employee_amount for x in of_month)))
    return out


# ---------------------------------------------------------------------------------------------
# 增减员 calendar
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Deadline:
    period: str
    reconcile_due: dt.date
    status: str  # CycleStatus value ("open" when the month has no cycle yet)
    overdue: bool


def deadline_of(period: str, branch, *, today: dt.date | None = None) -> Deadline:
    """The month's 增减员 deadline: its cycle's (set when the month was first computed), else
    the branch city's reconcile day — the same the cycle will get."""
    today = today or timezone.localdate()
    cycle = MonthCycle.objects.filter(period=period).first()
    if cycle is not None:
        due, status = cycle.reconcile_due, cycle.status
    else:
        due = engine.month_start(period).replace(day=city_settings(branch.city or "").reconcile_day)
        status = CycleStatus.OPEN
    return Deadline(period=period, reconcile_due=due, status=status,
                    overdue=status == CycleStatus.OPEN and today > due)


@dataclass(frozen=True)
class Landing:
    """Where a 增员 or 减员 lands: the month whose 增减员 list carries it, that month's deadline,
    and the first or last month paid."""

    kind: str  # "add" | "remove"
    period: str
    paid_month: str
    deadline: Deadline
    add_cutoff_day: int | None
    # The month the change belonged to when that month is already filed: the change is then
    # listed in `period`, the first open month after it.
    filed_month: str | None = None


def _filed_after(period: str) -> tuple[str | None, str]:
    """(the latest filed month from `period` on, the first open month after it) when `period`
    or a later month is filed — months are filed in order, so a month before a filed one takes no
    more changes — else (None, period)."""
    from .services import filed_periods

    filed = filed_periods()
    later = max((p for p in filed if p >= period), default=None)
    return (later, engine.first_open_after(later, filed)) if later else (None, period)


def _listed(employee_id: int | None, kind: str) -> str | None:
    """The month whose 增减员 list already carries this person's change, if one does."""
    if employee_id is None:
        return None
    return (StaffChange.objects.filter(employee_id=employee_id, kind=kind).order_by("-period")
            .values_list("period", flat=True).first())


def add_landing(city: str, start: dt.date, branch, *, employee_id: int | None = None) -> Landing:
    """Where a 增员 lands. For a person on record (`employee_id`): the month that listed it, or —
    someone charged before any 增减员 list was kept here (going live) — their first insured month;
    only a change not yet listed is placed after the filed months."""
    rules = city_settings(city)
    period = engine.first_insured_month(start, rules.add_cutoff_day)
    listed_at = _listed(employee_id, ChangeKind.ADD)
    if listed_at or (employee_id is not None and ContributionLine.objects.filter(employee_id=employee_id).exists()):
        listed_at = listed_at or period
        return Landing("add", listed_at, period, deadline_of(listed_at, branch), rules.add_cutoff_day)
    filed, listed = _filed_after(period)
    return Landing("add", listed, period, deadline_of(listed, branch), rules.add_cutoff_day, filed)


def remove_landing(city: str, end: dt.date, branch, *, employee_id: int | None = None) -> Landing:
    """A 减员 in a filed month is listed in the first open month after it; the filed months up to
    then were charged and stay so (no refund), so the person is paid to the month before it. For a
    person whose 减员 a list already carries, that month."""
    rules = city_settings(city)
    period = engine.removal_month(end, rules.remove_covers_leaving_month)
    listed_at = _listed(employee_id, ChangeKind.REMOVE)
    if listed_at:
        paid = (engine.last_insured_month(end, rules.remove_covers_leaving_month) if listed_at == period
                else engine.add_months(listed_at, -1))
        return Landing("remove", listed_at, paid, deadline_of(listed_at, branch), rules.add_cutoff_day)
    filed, listed = _filed_after(period)
    paid = (engine.add_months(listed, -1) if filed
            else engine.last_insured_month(end, rules.remove_covers_leaving_month))
    return Landing("remove", listed, paid, deadline_of(listed, branch), rules.add_cutoff_day, filed)

