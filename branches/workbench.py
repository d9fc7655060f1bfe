"""The workbench (工作台) each role lands on: what waits for them (to-dos) and the month's key
figures — a handful of counting queries, each bounded (no list of rows is loaded), so the page
stays far under 150 ms on the demo whatever the branch's size.

Which to-dos a role gets follows the role matrix: a manager approves adjustments, answers
inquiries and claims, finalises appraisal cycles; staff run the SI month and chase the clients'
fee statements; HQ finance pays closed periods; HQ admin watches the 备案 register. A deactivated
branch has no to-dos (it is read-only: none could be done), only its figures."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Branch
from .roles import Role, branch_managers, is_branch_manager, may_close_month


@dataclass(frozen=True)
class Todo:
    key: str
    text: str
    count: int
    url: str
    urgent: bool = False
    first_step: bool = False  # a branch's first day: a thing to set up, not a count of waiting items


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: str  # already formatted for people
    url: str = ""


@dataclass
class Workbench:
    period: str
    todos: list[Todo] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


def _period(today: dt.date) -> str:
    return f"{today.year:04d}-{today.month:02d}"


def branch_workbench(user, branch: Branch, roles, today: dt.date | None = None) -> Workbench:
    """The office roles' workbench of a branch (manager, staff, HQ in a branch)."""
    from commissions.hq.models import EarnerMonthRollup
    from commissions.models import Adjustment
    from hrsaas.core.formatting import format_money
    from performance.models import AppraisalCycle, CycleStatus
    from portal.models import Inquiry, RewardClaim
    from social_insurance.models import (CycleStatus as SiCycleStatus, ExceptionStatus, FeeStatement, InsuredEmployee,
                                         MonthCycle, PaymentException, StatementStatus)

    today = today or timezone.localdate()
    now = timezone.now()
    period = _period(today)
    b = f"/b/{branch.code}"
    roles = set(roles)
    manager = bool(roles & {Role.BRANCH_MANAGER, Role.HQ_ADMIN})
    office = manager or Role.BRANCH_STAFF in roles
    wb = Workbench(period=period)

    # A deactivated branch is read-only (every write is refused): nothing there is to do.
    if manager and branch.active:
        # What this person may decide (roles.may_decide_adjustment, counted without a query each): a manager, every proposal but
        # their own; HQ admin, only those the branch has no other manager for.
        pending = list(Adjustment.objects.filter(status=Adjustment.Status.PROPOSED).exclude(proposed_by_id=user.pk)
                       .values_list("proposed_by_id", flat=True))
        if is_branch_manager(user, branch):
            n = len(pending)
        else:
            managers = branch_managers(branch)
            n = sum(1 for proposer in pending if not managers or proposer in managers)
        wb.todos.append(Todo("adjustments", _("浮动调整待审批"), n, f"{b}/commissions/adjustments/"))
        inq = Inquiry.objects.exclude(status=Inquiry.Status.RESOLVED).aggregate(
            open=Count("id"), late=Count("id", filter=Q(answered_at__isnull=True, due_at__lt=now)))
        wb.todos.append(Todo("inquiries", _("申诉待答复"), inq["open"], f"{b}/review/", urgent=bool(inq["late"])))
        claims = RewardClaim.objects.filter(status=RewardClaim.Status.REJECTED, overridden_by__isnull=True).count()
        wb.todos.append(Todo("claims", _("被驳回的开户奖励申领待复核"), claims, f"{b}/review/"))
        cycles = AppraisalCycle.objects.filter(status=CycleStatus.COMPUTED).count()
        wb.todos.append(Todo("appraisals", _("考核周期待定稿"), cycles, f"{b}/performance/cycles/"))
        if may_close_month(user, branch):
            # The earliest month with statements still open, once it has ended (months close in
            # order): HQ pays a month only after the branch has closed it.
            from commissions.services import earliest_open_period
            from hrsaas.core.formatting import format_period

            closable = earliest_open_period(branch, before=period)
            if closable is not None:
                wb.todos.append(Todo("close", _("%(p)s 待关账") % {"p": format_period(closable)}, 1,
                                     f"{b}/commissions/periods/{closable}/close/"))
    if office:
        from social_insurance.money_selectors import arrears_figures

        # Both also feed the figures below, which a deactivated branch keeps showing.
        cycle = MonthCycle.objects.filter(period=period).first()
        owed = arrears_figures(today)
    if office and branch.active:
        wb.todos[:0] = _first_steps(b, manager=manager)  # first: nothing else can happen before them
        status = cycle.status if cycle else SiCycleStatus.OPEN
        if cycle is None:
            # With nobody on the roster there is nothing to compute: the first steps say what to do.
            if InsuredEmployee.objects.exists():
                wb.todos.append(Todo("si-compute", _("本月社保尚未计算"), 1, f"{b}/si/"))
        else:
            if status == SiCycleStatus.OPEN:
                late = today > cycle.reconcile_due
                text = (_("增减员核对已逾期(截止 %(d)s)") if late else _("增减员待核对(截止 %(d)s)")) % {
                    "d": _day(cycle.reconcile_due)}
                wb.todos.append(Todo("si-reconcile", text, 1, f"{b}/si/", urgent=late))
            if status != SiCycleStatus.FILED:
                late = today > cycle.file_due
                text = (_("社保申报已逾期(截止 %(d)s)") if late else _("社保待申报(截止 %(d)s)")) % {"d": _day(cycle.file_due)}
                wb.todos.append(Todo("si-file", text, 1, f"{b}/si/", urgent=late))
        exc = PaymentException.objects.exclude(status=ExceptionStatus.RESOLVED).aggregate(
            open=Count("id"), late=Count("id", filter=Q(resolve_due__lt=now) | Q(responded_at__isnull=True,
                                                                                  respond_due__lt=now)))
        wb.todos.append(Todo("si-exceptions", _("缴费异常未解决"), exc["open"], f"{b}/si/#exceptions",
                             urgent=bool(exc["late"])))
        waiting = FeeStatement.objects.filter(status=StatementStatus.ISSUED).count()
        wb.todos.append(Todo("statements", _("费用明细表待客户确认"), waiting, f"{b}/si/"))
        disputed = FeeStatement.objects.filter(status=StatementStatus.DISPUTED).count()
        wb.todos.append(Todo("disputed", _("客户对费用明细表有异议"), disputed, f"{b}/si/", urgent=bool(disputed)))
        wb.todos.append(Todo("arrears", _("费用明细表已过付款到期日未付清"), owed["overdue_count"], f"{b}/si/arrears/",
                             urgent=bool(owed["overdue_count"])))
        if not manager:
            mine = Adjustment.objects.filter(status=Adjustment.Status.PROPOSED, proposed_by_id=user.pk).count()
            wb.todos.append(Todo("my-adjustments", _("我提议的浮动调整待经理审批"), mine, f"{b}/commissions/adjustments/"))

    month = EarnerMonthRollup.objects.filter(branch=branch, period=period).aggregate(
        openings=Sum("openings"), sales=Sum("sales_amount"), commission=Sum("commission"), people=Count("user_id"))
    wb.figures.append(Figure("openings", _("本月开户(户)"), str(month["openings"] or 0), f"{b}/commissions/"))
    wb.figures.append(Figure("sales", _("本月销售额(元)"), format_money(month["sales"] or Decimal(0)),
                             f"{b}/commissions/"))
    if manager or roles & {Role.HQ_FINANCE}:
        # The commission total is pay: managers and HQ only (薪酬保密).
        wb.figures.append(Figure("commission", _("本月提成合计(元)"), format_money(month["commission"] or Decimal(0)),
                                 f"{b}/commissions/"))
    if office:
        # The month's insured count is the compute's (each city's cut-off days decide who is in a
        # month), as the SI board shows it; before the compute, the people on the roster today.
        if cycle is not None:
            wb.figures.append(Figure("insured", _("本月参保人数"), str(cycle.employee_count), f"{b}/si/?period={period}"))
        else:
            insured = InsuredEmployee.objects.filter(start_date__lte=today).filter(
                Q(end_date__isnull=True) | Q(end_date__gte=today)).count()
            wb.figures.append(Figure("insured", _("在册参保人员(本月未计算)"), str(insured), f"{b}/si/employees/"))
        fees = FeeStatement.objects.filter(period=period).aggregate(total=Sum("total"))
        wb.figures.append(Figure("fees", _("本月社保公积金费用(元)"), format_money(fees["total"] or Decimal(0)),
                                 f"{b}/si/"))
        # Not yet due is not arrears (欠费): the total billed and unpaid, and of it what is overdue.
        wb.figures.append(Figure("arrears", _("客户未付(元)"), format_money(owed["total"]), f"{b}/si/arrears/"))
        wb.figures.append(Figure("arrears-overdue", _("其中逾期未付(元)"), format_money(owed["overdue"]),
                                 f"{b}/si/arrears/"))
    return wb


def _first_steps(b: str, *, manager: bool) -> list[Todo]:
    """A new branch's first day (新分支机构): what to set up before anything else can happen,
    each linked to its page — clients, the insured people, and (for whoever places people in
    departments: the manager, HQ admin) the departments the appraisal needs. Each goes once done."""
    from clients.models import Client
    from performance.models import Department
    from social_insurance.models import InsuredEmployee

    steps = []
    if not Client.objects.exists():
        steps.append(Todo("first-client", _("添加第一个客户"), 0, f"{b}/clients/new/", first_step=True))
    if not InsuredEmployee.objects.exists():
        steps.append(Todo("first-employees", _("录入参保人员"), 0, f"{b}/si/employees/new/", first_step=True))
    if manager and not Department.objects.exists():
        steps.append(Todo("first-department", _("建立部门(绩效考核按部门进行)"), 0, f"{b}/performance/departments/",
                          first_step=True))
    return steps


def _day(value: dt.date) -> str:
    from hrsaas.core.formatting import format_date

    return format_date(value)


def _policy_todos(today: dt.date) -> list[Todo]:
    """Cities with no social-insurance version in force this month (their month computes to
    nothing: urgent) or from next month (a version ending with none after it), named."""
    from hrsaas.core.labels import label
    from social_insurance.policies.selectors import cities_without_policy, known_cities

    this_month = today.replace(day=1)
    next_month = (this_month + dt.timedelta(days=32)).replace(day=1)
    now, soon = cities_without_policy(this_month), cities_without_policy(next_month)
    soon = [c for c in soon if c not in now]
    if not (now or soon):
        return []
    published = dict(known_cities())  # a city HQ added has its name only there
    names = lambda codes: _("、").join(str(label("city", c)) or published.get(c, c) for c in codes)  # noqa: E731
    todos = []
    if now:
        todos.append(Todo("si-policy-missing", _("%(cities)s没有本月适用的社保政策,本月社保计算为零:请发布新年度或沿用")
                          % {"cities": names(now)}, len(now), "/si/policies/", urgent=True))
    if soon:
        todos.append(Todo("si-policy-ending", _("%(cities)s下月起没有适用的社保政策:请发布新年度或沿用")
                          % {"cities": names(soon)}, len(soon), "/si/policies/"))
    return todos


def hq_workbench(user, hq_roles, today: dt.date | None = None) -> tuple[Workbench, list[dict]]:
    """HQ's workbench: closed periods to pay, the month's figures per branch (one grouped query
    over the public rollup) and the company's totals."""
    from commissions.hq.models import BranchPeriod, EarnerMonthRollup, RegisteredAdjustment
    from hrsaas.core.formatting import format_money

    today = today or timezone.localdate()
    period = _period(today)
    wb = Workbench(period=period)
    to_pay = BranchPeriod.objects.filter(status=BranchPeriod.Status.CLOSED).count()
    wb.todos.append(Todo("to-pay", _("已关账待发放的提成期间"), to_pay, "/commissions/finance/", urgent=False))
    if Role.HQ_ADMIN in set(hq_roles):
        since = today - dt.timedelta(days=30)
        registered = RegisteredAdjustment.objects.filter(
            status=RegisteredAdjustment.Status.REGISTERED, registered_at__date__gte=since).count()
        wb.todos.append(Todo("register", _("近30天备案的浮动调整"), registered, "/commissions/adjustments/"))
        wb.todos += _policy_todos(today)
    branches = list(Branch.objects.exclude(schema_name="public").order_by("code").values("id", "code", "name", "active"))
    per_branch = {r["branch_id"]: r for r in EarnerMonthRollup.objects.filter(period=period).values("branch_id").annotate(
        openings=Sum("openings"), sales=Sum("sales_amount"), commission=Sum("commission"))}
    statuses = dict(BranchPeriod.objects.filter(period=period).values_list("branch_id", "status"))
    rows, total = [], {"openings": 0, "sales": Decimal(0), "commission": Decimal(0)}
    for br in branches:
        r = per_branch.get(br["id"], {})
        total["openings"] += r.get("openings") or 0
        total["sales"] += r.get("sales") or Decimal(0)
        total["commission"] += r.get("commission") or Decimal(0)
        rows.append({"code": br["code"], "name": br["name"], "active": br["active"],
                     "openings": r.get("openings") or 0, "sales": r.get("sales") or Decimal(0),
                     "commission": r.get("commission") or Decimal(0),
                     "status": BranchPeriod.Status(statuses.get(br["id"], BranchPeriod.Status.OPEN)).label})
    wb.figures += [
        Figure("branches", _("分支机构"), str(sum(1 for b in branches if b["active"])), "/branches/"),
        Figure("openings", _("本月开户(户)"), str(total["openings"]), "/commissions/dashboard/"),
        Figure("sales", _("本月销售额(元)"), format_money(total["sales"]), "/commissions/dashboard/"),
        Figure("commission", _("本月提成合计(元)"), format_money(total["commission"]), "/commissions/finance/"),
    ]
    return wb, rows

