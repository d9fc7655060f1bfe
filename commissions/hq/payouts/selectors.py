"""Reads of payment data and payout state (public schema). Callers decide access with
`may_read_payments` / `may_edit_payments` (pages) or the permission classes (API)."""
from __future__ import annotations

from django.http import Http404

from branches.models import BranchMembership, User
from branches.roles import EARNER_ROLES, Role, hq_roles_of

from ..models import PaymentProfile, PayoutBatch, PayoutFileDownload
from hrsaas.core.collation import by_pinyin


def may_read_payments(user) -> bool:
    """HQ finance and HQ admin read payment data (masked)."""
    return bool(hq_roles_of(user) & {Role.HQ_ADMIN, Role.HQ_FINANCE})


def may_edit_payments(user) -> bool:
    """Only HQ finance edits payment data and pays (separation of duties: admins set rules)."""
    return Role.HQ_FINANCE in hq_roles_of(user)


def earners(*, branch_code: str | None = None):
    """People who earn commission (specialist, marketing, sales) in some branch, active ones,
    with their payment data joined (None when missing), by name."""
    memberships = BranchMembership.objects.filter(role__in=EARNER_ROLES, branch__isnull=False)
    if branch_code:
        memberships = memberships.filter(branch__code=branch_code)
    return (User.objects.filter(is_active=True, pk__in=memberships.values("user_id"))
            .select_related("payment_profile", "home_branch").order_by(*by_pinyin("display_name", "username")))


def access_earner(user_id) -> User:
    """An earner by id; 404 for anyone else (missing and not an earner look the same)."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        raise Http404 from None
    user = earners().filter(pk=user_id).first()
    if user is None:
        raise Http404
    return user


def profile_of(user: User) -> PaymentProfile | None:
    try:
        return user.payment_profile
    except PaymentProfile.DoesNotExist:
        return None


def profile_out(user: User) -> dict:
    """The API's shape: masked numbers only."""
    p = profile_of(user)
    base = {"user_id": user.pk, "name": user.label, "complete": p is not None}
    if p is None:
        return base | {"employee_number": None, "id_number": None, "account_name": None, "bank_name": None,
                       "bank_branch": None, "account_number": None, "updated_at": None}
    return base | {"employee_number": p.employee_number, "id_number": p.id_number_masked,
                   "account_name": p.account_name, "bank_name": p.bank_name, "bank_branch": p.bank_branch,
                   "account_number": p.account_masked, "updated_at": p.updated_at.isoformat()}


AUDITED_FIELDS = {"employee_number": "工号", "id_number_masked": "身份证号", "account_name": "户名",
                  "bank_name": "开户行", "bank_branch": "开户支行", "account_masked": "账号"}


def profile_history(user: User) -> list[dict]:
    """Who changed this person's payment data, when, and each field before/after (masked
    numbers: only masked forms are kept in the history). Newest first."""
    p = profile_of(user)
    if p is None:
        return []
    records = list(p.history.order_by("-history_date", "-history_id").select_related("history_user"))
    out = []
    for rec in records:
        prev = rec.prev_record
        if prev is None:
            changes = [{"field": label, "before": "", "after": getattr(rec, f)} for f, label in AUDITED_FIELDS.items()]
        else:
            delta = rec.diff_against(prev, included_fields=list(AUDITED_FIELDS))
            changes = [{"field": AUDITED_FIELDS[c.field], "before": c.old, "after": c.new} for c in delta.changes]
        out.append({"at": rec.history_date, "by": rec.history_user.label if rec.history_user else "",
                    "reason": rec.history_change_reason or "", "changes": changes})
    return out


def bank_file_downloaded(branch, period: str) -> bool:
    return PayoutFileDownload.objects.filter(branch=branch, period=period, kind=PayoutFileDownload.Kind.BANK).exists()


def current_batch(branch, period: str) -> PayoutBatch | None:
    return (PayoutBatch.objects.filter(branch=branch, period=period).exclude(status=PayoutBatch.Status.WITHDRAWN)
            .select_related("prepared_by", "decided_by").first())


def prepared_batches(rows: list[dict]) -> dict[tuple[int, str], PayoutBatch]:
    """The prepared (awaiting review) batch of each finance row, in one query."""
    if not rows:
        return {}
    qs = PayoutBatch.objects.filter(status=PayoutBatch.Status.PREPARED, period__in={r["period"] for r in rows},
                                    branch_id__in={r["branch"].pk for r in rows}).select_related("prepared_by")
    return {(b.branch_id, b.period): b for b in qs}


def receipt_rates(rows: list[dict]) -> dict[tuple[int, str], dict]:
    """Per finance row (branch, period): statements sent, confirmed, questioned — one query."""
    from django.db.models import Count, Q

    from ..models import StatementReceipt

    if not rows:
        return {}
    agg = (StatementReceipt.objects.filter(period__in={r["period"] for r in rows},
                                           branch_id__in={r["branch"].pk for r in rows})
           .values("branch_id", "period")
           .annotate(sent=Count("id"), confirmed=Count("id", filter=Q(confirmed_at__isnull=False)),
                     questioned=Count("id", filter=Q(confirmed_at__isnull=True, questioned_at__isnull=False))))
    return {(a["branch_id"], a["period"]): a for a in agg}


def unconfirmed_receipts(branch, period: str) -> list[dict]:
    """Who has not confirmed this period's statement (questioned ones say so), by name."""
    from ..models import StatementReceipt

    receipts = list(StatementReceipt.objects.filter(branch=branch, period=period, confirmed_at__isnull=True))
    names = {u.pk: u.label for u in User.objects.filter(pk__in=[r.earner_id for r in receipts])}
    return sorted(({"name": names.get(r.earner_id, "—"), "state": r.state, "total": r.total, "receipt": r}
                   for r in receipts), key=lambda d: d["name"])


def branch_receipt_rate(branch, period: str) -> dict | None:
    """A branch-period's statements sent, confirmed and questioned (None before it closed)."""
    from django.db.models import Count, Q

    from ..models import StatementReceipt

    agg = StatementReceipt.objects.filter(branch=branch, period=period).aggregate(
        sent=Count("id"), confirmed=Count("id", filter=Q(confirmed_at__isnull=False)),
        questioned=Count("id", filter=Q(confirmed_at__isnull=True, questioned_at__isnull=False)))
    return agg if agg["sent"] else None
