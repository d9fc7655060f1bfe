"""Reads of base disputes (基数争议 → 补缴/退费) for the office's pages.

Who reads them: the branch's office (manager, 人事/运营) and HQ admins — a dispute carries a
person's wage. Anyone else gets the same 404 for a dispute that exists and one that does not."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.http import Http404

from branches.roles import roles_in_branch

from .employee_selectors import READ_ALL_ROLES
from .models import BaseDispute, ContributionLine, CycleStatus, DisputeStatus, InsuredEmployee, LineSource, MonthCycle

STATUS_FILTERS = frozenset({"open", "resolved", "rejected", "all"})


def reads_disputes(user, branch) -> bool:
    return bool(roles_in_branch(user, branch) & READ_ALL_ROLES)


def disputes_visible_to(user, branch, *, status: str = "all", period: str | None = None):
    """Newest first; `status` one of STATUS_FILTERS, `period` the disputed month."""
    if not reads_disputes(user, branch):
        return BaseDispute.objects.none()
    qs = BaseDispute.objects.select_related("employee", "employee__client", "raised_by", "resolved_by")
    if status != "all":
        qs = qs.filter(status=status)
    if period:
        qs = qs.filter(period=period)
    return qs.order_by("-raised_at", "-id")


def access_dispute(user, branch, dispute_id) -> BaseDispute:
    dispute = disputes_visible_to(user, branch).filter(pk=dispute_id).first() if dispute_id else None
    if dispute is None:
        raise Http404
    return dispute


def open_count(user, branch) -> int:
    return disputes_visible_to(user, branch, status=DisputeStatus.OPEN).count()


def raise_audience(branch, dispute: BaseDispute) -> list[int]:
    """Who is told a dispute was raised: the branch's office (manager, 人事/运营), the people who
    answer a client's dispute of a fee statement too (`selectors.office_ids`) — all but the one who
    raised it, who knows."""
    from .selectors import office_ids

    return [user_id for user_id in office_ids(branch) if user_id != dispute.raised_by_id]


@dataclass(frozen=True)
class Told:
    user_id: int
    link: str  # a page the person may open


def outcome_audience(branch, dispute: BaseDispute, *, actor) -> list[Told]:
    """Who is told a dispute was resolved or rejected, each with a page they may open: whoever
    raised it (unless they decided it themselves) while they still read disputes here, and the
    client contacts who see the disputed person — their own company's people only, so a contact
    of another company is never told (a contact who raised it counts as one of them). Nobody
    inactive, nobody who lost their role."""
    from branches.models import User
    from branches.roles import Role

    from .employee_selectors import employees_for_pages
    from .models import ClientContact, FeeStatement

    told: dict[int, str] = {}
    raiser = User.objects.filter(pk=dispute.raised_by_id, is_active=True).first() if dispute.raised_by_id else None
    if raiser is not None and raiser.pk != actor.pk and reads_disputes(raiser, branch):
        told[raiser.pk] = f"/b/{branch.code}/si/disputes/{dispute.pk}/"
    statement = (FeeStatement.objects.filter(client_id=dispute.employee.client_id, period=dispute.settled_in_period)
                 .values_list("pk", flat=True).first() if dispute.settled_in_period else None)
    contact_link = (f"/b/{branch.code}/si/statements/{statement}/" if statement is not None
                    else f"/b/{branch.code}/si/account/people/")
    contacts = User.objects.filter(
        is_active=True, pk__in=ClientContact.objects.filter(client_id=dispute.employee.client_id).values("user_id"))
    for user in contacts.order_by("pk"):
        if user.pk in told or user.pk == actor.pk or not (roles_in_branch(user, branch) & {Role.CLIENT_CONTACT}):
            continue
        if employees_for_pages(user, branch).filter(pk=dispute.employee_id).exists():
            told[user.pk] = contact_link
    return [Told(user_id, link) for user_id, link in told.items()]


def disputable_months(employee: InsuredEmployee) -> list[str]:
    """The filed months the person was charged for (a 补缴 of a late 增员 counts once the month
    carrying it is filed too), newest first: the months whose base may be disputed."""
    from .services import charges_month

    filed = set(MonthCycle.objects.filter(status=CycleStatus.FILED).values_list("period", flat=True))
    lines = ContributionLine.objects.filter(employee=employee, for_period__in=filed,
                                            source__in=(LineSource.REGULAR, LineSource.BACK_PAY))
    return sorted({line.for_period for line in lines if charges_month(line, filed)}, reverse=True)


@dataclass(frozen=True)
class ItemBase:
    kind: str
    base: Decimal
    employer: Decimal  # charged for the month so far (filed line and every correction)
    employee: Decimal


@dataclass(frozen=True)
class MonthBase:
    """A person's disputed month as it stands: the wage it is counted on now (the filed one, or
    the latest correction's) and, per item, the base and what was charged for it so far."""
    wage: Decimal | None
    items: list[ItemBase]


def month_base(dispute: BaseDispute) -> MonthBase:
    from .engine import ITEM_LABELS
    from .services import charges_month

    filed = set(MonthCycle.objects.filter(status=CycleStatus.FILED).values_list("period", flat=True))
    lines = [line for line in ContributionLine.objects.filter(employee_id=dispute.employee_id,
                                                              for_period=dispute.period).order_by("id")
             if charges_month(line, filed) or line.corrects_id is not None]
    latest: dict[str, ContributionLine] = {}
    sums: dict[str, list[Decimal]] = {}
    for line in lines:
        latest[line.kind] = line  # ordered by id: the last correction of an item carries its base now
        pair = sums.setdefault(line.kind, [Decimal("0.00"), Decimal("0.00")])
        pair[0] += line.employer_amount
        pair[1] += line.employee_amount
    corrected = (BaseDispute.objects.filter(employee_id=dispute.employee_id, period=dispute.period,
                                            status=DisputeStatus.RESOLVED, corrected_wage__isnull=False)
                 .order_by("-resolved_at", "-id").values_list("corrected_wage", flat=True).first())
    charging = next((line for line in lines if charges_month(line, filed)), None)
    wage = corrected if corrected is not None else (charging.wage if charging is not None else None)
    order = {kind: i for i, kind in enumerate(dict.keys(ITEM_LABELS))}
    items = [ItemBase(kind, latest[kind].base, *sums[kind]) for kind in sorted(latest, key=lambda k: order.get(k, 99))]
    return MonthBase(wage, items)


def posted_lines(dispute: BaseDispute):
    """The 补缴/退费 lines a resolved dispute posted (one still waiting in its month that a later
    dispute of the same month added to points at that later one)."""
    return ContributionLine.objects.filter(dispute=dispute).order_by("kind", "source")
