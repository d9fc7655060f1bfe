"""Reads of the portal, scoped twice: django-tenants picks the branch schema; inside it a
specialist sees only their own statement, claims and inquiries, and the same 404 answers
"missing" and "not yours" (`access_claim`, `access_inquiry`, `access_line`).

Figures come from commissions: the per-person monthly rollup that every recompute upserts
(one row per person-month, so the live figures cost one query) and the statement selectors."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language

from branches.models import Branch, BranchMembership, User
from branches.roles import BRANCH_READ_ALL, EARNER_ROLES, HQ_ROLES, Role, may_read_commission_amounts, roles_in_branch
from clients.models import Client
from commissions import selectors as commission_selectors
from commissions.engine import add_months, period_of
from commissions.hq.models import EarnerMonthRollup
from commissions.hq.rules import version_in_force
from hrsaas.core.people import names_told_apart

from . import engine
from .models import Inquiry, RewardClaim

METRICS = ("openings", "sales", "commission")
BOARD_SIZE = 10


def sla_working_days() -> int:
    """Working days the branch manager has to answer an inquiry (setting PORTAL_INQUIRY_SLA_WORKING_DAYS)."""
    return int(getattr(settings, "PORTAL_INQUIRY_SLA_WORKING_DAYS", 2))


def lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


# ---------------------------------------------------------------------------------------------
# Who may do what here
# ---------------------------------------------------------------------------------------------
def is_earner(user, branch: Branch) -> bool:
    return bool(roles_in_branch(user, branch) & (EARNER_ROLES | {Role.HQ_ADMIN}))


def is_reviewer(user, branch: Branch) -> bool:
    """Branch managers (and HQ admins, who hold the manager role everywhere) review claims and
    answer inquiries."""
    return Role.BRANCH_MANAGER in roles_in_branch(user, branch)


def reads_all(user, branch: Branch) -> bool:
    return bool(roles_in_branch(user, branch) & (BRANCH_READ_ALL | HQ_ROLES))


# ---------------------------------------------------------------------------------------------
# Own figures
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figures:
    period: str
    openings: int
    sales_amount: Decimal
    commission: Decimal
    updated_at: dt.datetime | None


def my_figures(user, branch: Branch, period: str) -> Figures:
    row = (EarnerMonthRollup.objects.filter(branch=branch, period=period, user_id=user.pk)
           .values("openings", "sales_amount", "commission", "updated_at").first())
    if row is None:
        return Figures(period, 0, Decimal("0.00"), Decimal("0.00"), None)
    return Figures(period, row["openings"], row["sales_amount"], row["commission"], row["updated_at"])


def my_trend(user, branch: Branch, today: dt.date, months: int = 6) -> list[dict]:
    """The last `months` months (oldest first) of openings, sales and commission; one query."""
    periods = [period_of(add_months(today.replace(day=1), -i)) for i in range(months - 1, -1, -1)]
    rows = {r["period"]: r for r in EarnerMonthRollup.objects.filter(
        branch=branch, user_id=user.pk, period__in=periods).values("period", "openings", "sales_amount", "commission")}
    return [{"period": p, "openings": rows.get(p, {}).get("openings", 0),
             "sales": f"{rows.get(p, {}).get('sales_amount', Decimal(0)):.2f}",
             "commission": f"{rows.get(p, {}).get('commission', Decimal(0)):.2f}"} for p in periods]


# ---------------------------------------------------------------------------------------------
# Leaderboards: branch (commissions' branch board) and company (commissions' company board: HQ
# rollup; weeks from each branch's lines), each with my standing and the gap to the next rank
# ---------------------------------------------------------------------------------------------
def week_of(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def _values_from_rows(rows: list[dict], metric: str) -> dict[str, Decimal | int]:
    return {r["username"]: (int(r["value"]) if metric == "openings" else Decimal(r["value"])) for r in rows}


@dataclass(frozen=True)
class Board:
    key: str  # branch-month | branch-week | company-month | company-week
    scope: str
    kind: str
    period: str
    rows: list[dict]  # top BOARD_SIZE and me: rank, username, name, value, is_me
    standing: engine.Standing | None
    text: str | None


def boards(user, branch: Branch, today: dt.date, metric: str) -> list[Board]:
    if metric not in METRICS:
        raise ValueError(metric)
    month, week = period_of(today), week_of(today)
    by_username = {
        ("branch", "month"): _values_from_rows(commission_selectors.leaderboard(period=month, metric=metric), metric),
        ("branch", "week"): _values_from_rows(commission_selectors.leaderboard(period=week, metric=metric), metric),
    }
    # The company boards rank every branch's people: by commission amount only for HQ (a branch
    # manager reads their own branch's pay, never another's — as the HQ board API answers).
    if metric != "commission" or may_read_commission_amounts(user):
        for kind, period in (("month", month), ("week", week)):
            by_username[("company", kind)] = _values_from_rows(
                commission_selectors.hq_leaderboard(period=period, metric=metric), metric)
    names, company_details = {}, {}
    wanted_names = set().union(*[set(v) for v in by_username.values()])
    for username, display, home, home_id in (User.objects.filter(username__in=wanted_names)
                                             .values_list("username", "display_name", "home_branch__name",
                                                          "home_branch_id")):
        names[username] = display or username
        # On the company board a namesake is told apart by their branch; the sign-in name only of
        # this branch's people (whom its own board lists by it), never another branch's.
        company_details[username] = (home or "", username if home_id == branch.pk else "")
    out = []
    for (scope, kind), values in by_username.items():
        standing = engine.standing_of(values, user.username)
        rows = []
        for rank, username, value in engine.ranked(values):
            if len(rows) < BOARD_SIZE or username == user.username:
                rows.append({"rank": rank, "username": username, "name": names.get(username, username),
                             "value": value, "is_me": username == user.username})
        # Two people of one name on a board are told apart: on the branch's by their sign-in name,
        # on the company's by their branch (and, two of this branch, their sign-in name).
        for row, label in zip(rows, names_told_apart([
                (row["name"], company_details.get(row["username"], ("", "")) if scope == "company"
                 else (row["username"],)) for row in rows])):
            row["name"] = label
        out.append(Board(key=f"{scope}-{kind}", scope=scope, kind=kind, period=month if kind == "month" else week,
                         rows=rows, standing=standing,
                         text=engine.gap_text(standing, metric=metric, kind=kind) if standing else None))
    order = ["branch-month", "branch-week", "company-month", "company-week"]
    return sorted(out, key=lambda b: order.index(b.key))


# ---------------------------------------------------------------------------------------------
# Statement with drill-down
# ---------------------------------------------------------------------------------------------
def line_key(line: dict) -> str:
    """A statement line's stable key in URLs: "<source>~<component>[~<corrects>]"."""
    return "~".join([line["source"], line["component"]] + ([line["corrects"]] if line.get("corrects") else []))


def my_statement(user, branch: Branch, period: str) -> dict:
    """My statement of `period` (commissions' own selector, so lines and explanations are the
    core's), each line with its key, its confirming claim and its inquiries. Money from resolved
    inquiries is among the lines (component `manual_adjustment`)."""
    stmt = commission_selectors.access_statement(user, branch, user.username, period, lang=lang())
    sources = {ln["source"] for ln in stmt["lines"]}
    client_ids = [int(s.split(":")[2]) for s in sources if s.startswith(f"{branch.code}:client:")]
    claims = {c.client_id: c for c in RewardClaim.objects.filter(
        client_id__in=client_ids, status=RewardClaim.Status.APPROVED, claimant_id=user.pk)}
    inquiries: dict[tuple, list] = {}
    for inq in Inquiry.objects.filter(raised_by_id=user.pk, period=period):
        inquiries.setdefault((inq.line_source, inq.line_component, inq.line_corrects or ""), []).append(inq)
    for ln in stmt["lines"]:
        ln["key"] = line_key(ln)
        ln["claim"] = None
        if ln["component"] == "opening_reward" and ln["source"].startswith(f"{branch.code}:client:"):
            ln["claim"] = claims.get(int(ln["source"].split(":")[2]))
        ln["inquiries"] = inquiries.get((ln["source"], ln["component"], ln.get("corrects") or ""), [])
    return stmt


def access_line(user, branch: Branch, period: str, key: str) -> dict:
    """One line of my statement by key, or 404."""
    stmt = commission_selectors.access_statement(user, branch, user.username, period, lang=lang())
    for ln in stmt["lines"]:
        if line_key(ln) == key:
            return ln
    raise Http404


# ---------------------------------------------------------------------------------------------
# Claims
# ---------------------------------------------------------------------------------------------
def opening_rule_on(day: dt.date):
    """The opening-reward version in force on `day` (RuleVersionData) or None."""
    from commissions.services import rulebook_load

    return version_in_force(list(rulebook_load().versions), "opening_reward", day)


def claimable_clients(user) -> list[dict]:
    """Clients of this branch opened by `user`, with whether an approved claim exists (the form's
    choices; the automatic review still checks everything)."""
    approved = set(RewardClaim.objects.filter(status=RewardClaim.Status.APPROVED, client__opened_by_id=user.pk)
                   .values_list("client_id", flat=True))
    return [{"id": c.pk, "name": c.name, "headcount": c.headcount, "opened_on": c.opened_on,
             "claimed": c.pk in approved}
            for c in Client.objects.filter(opened_by_id=user.pk).order_by("-opened_on", "-id")[:200]]


# Reward claims carry photos of client documents: the branch manager and HQ admin review them;
# HQ finance (statements and payouts) has no part in them.
CLAIM_READ_ALL = BRANCH_READ_ALL | {Role.HQ_ADMIN}


def claims_visible_to(user, branch: Branch):
    qs = RewardClaim.objects.select_related("client").prefetch_related("photos")
    return qs if roles_in_branch(user, branch) & CLAIM_READ_ALL else qs.filter(claimant_id=user.pk)


def access_claim(user, branch: Branch, claim_id: int) -> RewardClaim:
    claim = claims_visible_to(user, branch).filter(pk=claim_id).first()
    if claim is None:
        raise Http404
    return claim


# ---------------------------------------------------------------------------------------------
# Inquiries
# ---------------------------------------------------------------------------------------------
def inquiries_visible_to(user, branch: Branch):
    qs = Inquiry.objects.all()
    return qs if reads_all(user, branch) else qs.filter(raised_by_id=user.pk)


def access_inquiry(user, branch: Branch, inquiry_id: int) -> Inquiry:
    inquiry = inquiries_visible_to(user, branch).filter(pk=inquiry_id).first()
    if inquiry is None:
        raise Http404
    return inquiry


def overdue(inquiry: Inquiry, now: dt.datetime | None = None) -> bool:
    return engine.is_overdue(due_at=inquiry.due_at, answered_at=inquiry.answered_at, now=now or timezone.now())


def review_queue(branch: Branch) -> dict:
    """The manager's list: unresolved inquiries (overdue first) and claims to look at (rejected
    ones not yet overridden, and the last 30 days' automatic approvals)."""
    now = timezone.now()
    inquiries = list(Inquiry.objects.exclude(status=Inquiry.Status.RESOLVED).order_by("due_at", "id"))
    for inq in inquiries:
        inq.is_overdue = overdue(inq, now)
    inquiries.sort(key=lambda i: (not i.is_overdue, i.due_at))
    since = now - dt.timedelta(days=30)
    claims = list(RewardClaim.objects.select_related("client").prefetch_related("photos").filter(
        Q(status=RewardClaim.Status.REJECTED, overridden_by__isnull=True) | Q(created_at__gte=since))
        .order_by("status", "-created_at")[:200])
    return {"inquiries": inquiries, "claims": claims}


def names_of(user_ids) -> dict[int, str]:
    return {pk: display or username for pk, username, display in
            User.objects.filter(pk__in=list(user_ids)).values_list("pk", "username", "display_name")}


def branch_managers(branch: Branch) -> list[int]:
    return list(BranchMembership.objects.filter(branch=branch, role=Role.BRANCH_MANAGER)
                .values_list("user_id", flat=True))


# The reasons `engine.review_text` can say again from a claim's own fields when the claim was
# reviewed before `review_args` existed (their stored sentence named a line by its row id).
_LEGACY_REWRITTEN = {"unknown_client", "not_opener", "no_rule", "ok", "pending_line", "no_line", "line_differs",
                     "override"}
_MONEY = re.compile(r"\d[\d,]*\.\d{2}")
_PERIOD = re.compile(r"\d{4}-\d{2}")


def claim_reason(claim: RewardClaim) -> str:
    """A claim's review result in the reader's language, from the data the review kept
    (engine.review_text). A claim reviewed before that data was kept is said again from its
    own fields (client, statement month, tier) and the figures of its stored sentence, so
    that no line row id or raw period reaches the page; what cannot be rebuilt reads as stored."""
    if claim.review_args:
        args = claim.review_args
        if claim.client_id and not args.get("client") and claim.reason_code == "already_claimed":
            args = {**args, "client": claim.client.name}  # kept before the review named the client
        return engine.review_text(claim.reason_code, args) or claim.reason
    if claim.reason_code not in _LEGACY_REWRITTEN:
        return claim.reason
    text = claim.reason or ""
    money = _MONEY.search(text)
    period = claim.statement_period or (_PERIOD.search(text).group(0) if _PERIOD.search(text) else "")
    args = {"client_ref": claim.client_ref, "client": claim.client.name if claim.client_id else "",
            "period": period, "approve": claim.status == RewardClaim.Status.APPROVED}
    if money:
        args["amount"] = args["base"] = money.group(0).replace(",", "")
    if claim.client_id and claim.reason_code in ("ok", "pending_line", "line_differs"):
        version = opening_rule_on(claim.client.opened_on)
        spans = engine.tier_spans(version.rule) if version else []
        if 0 <= claim.tier_index < len(spans):
            args["tier"] = spans[claim.tier_index]
    if claim.reason_code in ("ok", "line_differs") and not (money and args.get("tier")):
        return claim.reason
    return engine.review_text(claim.reason_code, args) or claim.reason
