"""Scoped reads of client companies (客户) for the 客户管理 pages.

Who reads what is decided here once: branch managers, branch staff and HQ admins read every
client of the branch; a specialist reads the clients they opened; anyone else none. Missing and
"not yours" are the same 404."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from branches.models import User
from branches.roles import Role, roles_in_branch

from .models import Client, Grade, Service
from hrsaas.core.inputs import record_id
from hrsaas.core.collation import by_pinyin

READ_ALL_ROLES = frozenset({Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.HQ_ADMIN})
READ_OWN_ROLES = frozenset({Role.SPECIALIST})

SORTS = {
    "name": ("name", "id"), "-name": ("-name", "-id"),
    "opened_on": ("opened_on", "id"), "-opened_on": ("-opened_on", "-id"),
    "headcount": ("headcount", "id"), "-headcount": ("-headcount", "-id"),
    "insured": ("insured_count", "id"), "-insured": ("-insured_count", "-id"),
}
STATUSES = ("active", "closed")


def clients_visible_to(user, branch):
    roles = roles_in_branch(user, branch)
    if roles & READ_ALL_ROLES:
        return Client.objects.all()
    if roles & READ_OWN_ROLES:
        return Client.objects.filter(opened_by_id=user.pk)
    return Client.objects.none()


def access_client(user, branch, client_id) -> Client:
    client = clients_visible_to(user, branch).filter(pk=client_id).first()
    if client is None:
        raise Http404
    return client


def _insured_now(today: dt.date):
    """People insured through the client today (a subquery: one query for a whole page)."""
    from social_insurance.models import InsuredEmployee

    active = (InsuredEmployee.objects.filter(client_id=OuterRef("pk"), start_date__lte=today)
              .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
              .order_by().values("client_id").annotate(n=Count("id")).values("n"))
    return Coalesce(Subquery(active), 0)


@dataclass(frozen=True)
class ClientFilters:
    q: str = ""
    status: str = ""
    grade: str = ""
    service: str = ""
    opener: int | None = None
    sort: str = "name"

    @classmethod
    def from_query(cls, params) -> "ClientFilters":
        """Unknown values are ignored (a stale bookmark still opens the list)."""
        status = params.get("status", "")
        grade = params.get("grade", "")
        service = params.get("service", "")
        opener = params.get("opener", "")
        sort = params.get("sort", "name")
        return cls(
            q=(params.get("q") or "").strip()[:100],
            status=status if status in STATUSES else "",
            grade=grade if grade in Grade.values else "",
            service=service if service in Service.values else "",
            opener=record_id(opener),
            sort=sort if sort in SORTS else "name",
        )


def client_list(user, branch, filters: ClientFilters, *, today: dt.date | None = None):
    """The visible clients, filtered and sorted, each with `insured_count` (people insured today)."""
    today = today or timezone.localdate()
    qs = clients_visible_to(user, branch).annotate(insured_count=_insured_now(today))
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(contract_no__icontains=filters.q))
    if filters.status == "active":
        qs = qs.filter(Q(closed_on__isnull=True) | Q(closed_on__gt=today))
    elif filters.status == "closed":
        qs = qs.filter(closed_on__lte=today)
    if filters.grade:
        qs = qs.filter(grade=filters.grade)
    if filters.service:
        qs = qs.filter(services__contains=[filters.service])
    if filters.opener is not None:
        qs = qs.filter(opened_by_id=filters.opener)
    return qs.order_by(*by_pinyin(*SORTS[filters.sort]))


def user_labels(ids) -> dict[int, str]:
    """Display names (the username only where a person has none) of users by id, one query."""
    return {pk: (name or username) for pk, name, username in
            User.objects.filter(pk__in=set(ids)).values_list("pk", "display_name", "username")}


def openers(user, branch) -> list[tuple[int, str]]:
    """(user id, display name) of everyone who opened a visible client, for the opener filter."""
    ids = clients_visible_to(user, branch).order_by().values_list("opened_by_id", flat=True).distinct()
    return sorted(user_labels(list(ids)).items(), key=lambda kv: kv[1])


@dataclass(frozen=True)
class HeadcountChange:
    at: dt.datetime
    headcount: int
    by: str
    reason: str


def headcount_history(client: Client) -> list[HeadcountChange]:
    """Each recorded headcount, oldest first: the 开户 figure, then every change (audit rows)."""
    records = list(client.history.order_by("history_date", "history_id")
                   .values("history_date", "headcount", "history_user_id", "history_change_reason"))
    labels = user_labels(r["history_user_id"] for r in records if r["history_user_id"])
    out: list[HeadcountChange] = []
    for r in records:
        if out and out[-1].headcount == r["headcount"]:
            continue
        out.append(HeadcountChange(at=r["history_date"], headcount=r["headcount"],
                                   by=labels.get(r["history_user_id"], ""), reason=r["history_change_reason"] or ""))
    return out


@dataclass(frozen=True)
class ClientDetail:
    client: Client
    opener: str
    headcount_history: list
    sales: list
    statements: list | None  # None: not the reader's to see (fee statements are the office's)
    insured_count: int
    employees_total: int


def client_detail(client: Client, *, today: dt.date | None = None, with_statements: bool) -> ClientDetail:
    """What the detail page shows: the opening, headcount history, recent sales and fee
    statements (24 months each), and how many people are insured through the client.
    `with_statements`: whether the reader reads fee statements (the office's: a specialist who
    opened the client does not — with one insured person a month's total is that person's
    wage; `social_insurance.selectors.reads_insured_people`)."""
    from commissions.models import Sale
    from social_insurance.models import FeeStatement, InsuredEmployee
    from social_insurance.money_selectors import with_money

    today = today or timezone.localdate()
    sales = list(Sale.objects.filter(client=client).order_by("-period", "service")[:48])
    labels = user_labels([client.opened_by_id] + [s.seller_id for s in sales])
    services = dict(Service.choices)
    for sale in sales:
        sale.seller_label = labels.get(sale.seller_id, "")
        sale.service_label = services.get(sale.service, sale.service)
    employees = InsuredEmployee.objects.filter(client=client)
    insured = employees.filter(start_date__lte=today).filter(Q(end_date__isnull=True) | Q(end_date__gte=today)).count()
    return ClientDetail(
        client=client, opener=labels.get(client.opened_by_id, ""), headcount_history=headcount_history(client),
        sales=sales,
        statements=(list(with_money(FeeStatement.objects.filter(client=client)).order_by("-period")[:24])
                    if with_statements else None),
        insured_count=insured, employees_total=employees.count(),
    )
