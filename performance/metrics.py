"""The metric-provider registry: where an indicator's actual value comes from.

A provider answers for a whole cycle at once (set-based): given the cycle's dates and members it
returns `{user_id: value}` for one metric code. Kinds of source:
- entered: values entered or imported per period (EnteredValue), per person, falling back to the
  person's department's value (e.g. 理赔部's average claim days applies to all its members);
- recorded: read from data the system records — `openings` counts clients.Client opened by the
  person in the cycle; `sales` and `commission` are hooks (see below);
- survey / review: averages of this cycle's survey answers about the person's department and
  of the multi-rater reviews of the person.

A template may refer only to codes in REGISTRY; anything else is refused when it is saved.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Callable

from django.db.models import Avg, Count, Sum

from . import engine


@dataclass(frozen=True)
class MetricContext:
    cycle_id: int | None
    period: str
    starts_on: date
    ends_on: date
    members: dict[int, int]  # user_id → department_id


Provider = Callable[[MetricContext, str], dict[int, Decimal]]


@dataclass(frozen=True)
class Metric:
    code: str
    label_zh: str
    label_en: str
    provider: Provider
    minimum: Decimal = Decimal(0)
    maximum: Decimal | None = None
    enterable: bool = False  # may be entered/imported through values_enter
    # How a value reads on a page: "count" (开户数 1, never 1.00), "money" (1,200.00) or
    # "number" (1.8 days, 96 — as entered, without trailing zeros).
    unit: str = "number"


# ---------------------------------------------------------------------------------------------
# Providers
# ---------------------------------------------------------------------------------------------
def provide_entered(ctx: MetricContext, code: str) -> dict[int, Decimal]:
    """Entered values of the period: the person's own value, else their department's value."""
    from .models import EnteredValue

    own: dict[int, Decimal] = {}
    by_dept: dict[int, Decimal] = {}
    for user_id, dept_id, value in EnteredValue.objects.filter(period=ctx.period, metric=code).values_list(
        "user_id", "department_id", "value"
    ):
        if user_id is not None:
            own[user_id] = value
        else:
            by_dept[dept_id] = value
    result = {}
    for user_id, dept_id in ctx.members.items():
        if user_id in own:
            result[user_id] = own[user_id]
        elif dept_id in by_dept:
            result[user_id] = by_dept[dept_id]
    return result


def provide_openings(ctx: MetricContext, code: str) -> dict[int, Decimal]:
    """开户数: clients.Client rows opened by the person within the cycle (one grouped query)."""
    from clients.models import Client

    rows = (
        Client.objects.filter(opened_on__gte=ctx.starts_on, opened_on__lte=ctx.ends_on)
        .values("opened_by_id").annotate(n=Count("id")).values_list("opened_by_id", "n")
    )
    counts = {user_id: Decimal(n) for user_id, n in rows}
    return {user_id: counts.get(user_id, Decimal(0)) for user_id in ctx.members}


def _cycle_periods(ctx: MetricContext) -> list[str]:
    periods, year, month = [], ctx.starts_on.year, ctx.starts_on.month
    while (year, month) <= (ctx.ends_on.year, ctx.ends_on.month):
        periods.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return periods


def _with_entered(ctx: MetricContext, code: str, recorded: dict[int, Decimal]) -> dict[int, Decimal]:
    """Recorded figures, with values entered under the same code taking precedence (a manual
    correction for someone whose sales are booked elsewhere)."""
    entered = provide_entered(ctx, code)
    return {u: entered.get(u, recorded.get(u, Decimal(0))) for u in ctx.members}


def provide_sales(ctx: MetricContext, code: str) -> dict[int, Decimal]:
    """销售额: the billed amounts the person sold in the cycle's months (commissions.Sale, one
    grouped query); values entered under `sales` override."""
    from commissions.models import Sale

    rows = (Sale.objects.filter(period__in=_cycle_periods(ctx), seller_id__in=list(ctx.members))
            .values("seller_id").annotate(total=Sum("amount")).values_list("seller_id", "total"))
    return _with_entered(ctx, code, {u: Decimal(t) for u, t in rows})


def provide_commission(ctx: MetricContext, code: str) -> dict[int, Decimal]:
    """提成额: the person's statement lines in this branch for the cycle's months (one grouped
    query, corrections and manual adjustments included); values entered under `commission`
    override."""
    from commissions.models import StatementLine

    rows = (StatementLine.objects.filter(period__in=_cycle_periods(ctx), earner_id__in=list(ctx.members))
            .values("earner_id").annotate(total=Sum("amount")).values_list("earner_id", "total"))
    return _with_entered(ctx, code, {u: Decimal(t) for u, t in rows})


def provide_survey_score(ctx: MetricContext, code: str) -> dict[int, Decimal]:
    """满意度: the average points of this cycle's survey answers about the person's department
    (answers come from other departments; 满意 = 10, 一般 = 5, 不满意 = 0 by default)."""
    from .models import SurveyAnswer

    points: dict[int, list[Decimal]] = defaultdict(list)
    for dept_id, p in SurveyAnswer.objects.filter(survey__cycle_id=ctx.cycle_id).values_list(
        "survey__target_department_id", "points"
    ):
        points[dept_id].append(p)
    averages = {d: engine.survey_average(v) for d, v in points.items()}
    return {u: averages[d] for u, d in ctx.members.items() if d in averages}


def provide_peer_review(ctx: MetricContext, code: str) -> dict[int, Decimal]:
    """多维评价: the average of this cycle's reviews of the person (0–10), half-up to 0.01."""
    from .models import Review

    rows = Review.objects.filter(cycle_id=ctx.cycle_id).values("subject_id").annotate(a=Avg("points"))
    return {r["subject_id"]: engine.q2(Decimal(r["a"])) for r in rows if r["subject_id"] in ctx.members}


def _entered(code, zh, en, maximum=None, unit="number"):
    return Metric(code, zh, en, provide_entered, maximum=maximum, enterable=True, unit=unit)


REGISTRY: dict[str, Metric] = {
    m.code: m
    for m in [
        Metric("openings", "开户数", "accounts opened", provide_openings, unit="count"),
        Metric("sales", "销售额", "sales", provide_sales, enterable=True, unit="money"),
        Metric("commission", "提成额", "commission", provide_commission, enterable=True, unit="money"),
        Metric("survey_score", "满意度得分", "survey score", provide_survey_score, maximum=Decimal(10)),
        Metric("peer_review", "多维评价得分", "multi-rater review", provide_peer_review, maximum=Decimal(10)),
        _entered("claim_days", "理赔处理天数", "claim handling days"),
        _entered("payment_days", "付款处理天数", "payment handling days"),
        _entered("exception_hours", "异常处理小时数", "exception handling hours"),
        _entered("attendance_anomalies", "考勤异常次数", "attendance anomalies", unit="count"),
        _entered("new_hire_arrival_rate", "新员工到岗率(%)", "new-hire arrival rate (%)", Decimal(100)),
        _entered("new_hire_achievement_rate", "新员工3个月业绩达标率(%)", "new-hire 3-month achievement rate (%)",
                 Decimal(100)),
        _entered("entered", "录入值", "entered value"),
        _entered("quality", "质量评分", "quality score", Decimal(100)),
    ]
}


def known_metrics() -> set[str]:
    return set(REGISTRY)


def values_for(ctx: MetricContext, codes: set[str]) -> dict[str, dict[int, Decimal]]:
    """{metric: {user_id: value}} for the cycle, one provider call per metric."""
    return {code: REGISTRY[code].provider(ctx, code) for code in sorted(codes)}
