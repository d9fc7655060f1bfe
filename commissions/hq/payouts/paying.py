"""Paying a closed branch-period in two steps (发放复核), public schema + the branch's schema.

1. `payout_prepare` — HQ finance, with the count and total they were shown (re-checked under
   the period lock, as the one-step confirmation did); the bank file must be buildable (everyone
   paid has payment data, no negative month).
2. `payout_confirm` — a second HQ finance user, or the preparer re-entering the total exactly;
   only then is the period marked paid and people notified (period_mark_paid, which re-checks
   the figures once more).
`payout_withdraw` undoes a prepared batch, only while no bank file of that branch-period has
been downloaded (after that the file may already be at the bank).

Every step is a history row of PayoutBatch (who, when, why) in the same transaction."""
from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from branches.audit import stamp
from branches.models import Branch, User

from ... import lock_objects
from ..models import BranchPeriod, PayoutBatch
from . import files
from .selectors import bank_file_downloaded, may_edit_payments
from hrsaas.core.formatting import format_period
from hrsaas.core.inputs import refuse_json_number
from hrsaas.core.money import decimal_from_text


def parse_total(raw) -> Decimal:
    """A total typed by a person: "1,200.00" or "1200" → Decimal; refused when not a number,
    negative, or with more than two decimals (never rounded silently); a JSON number is not
    how the API sends money (hrsaas.core.json_numbers)."""
    refusal = refuse_json_number(raw)
    if refusal:
        raise ValidationError({"total": [refusal]})
    value = decimal_from_text(raw if raw is not None else "")
    if value is None:
        raise ValidationError({"total": [_("请输入金额数字,例如 3,800.00。")]})
    if value < 0:
        raise ValidationError({"total": [_("金额不能为负数。")]})
    if value.adjusted() >= 15:  # beyond any payout (and beyond what quantize can hold to the fen)
        raise ValidationError({"total": [_("金额过大。")]})
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError({"total": [_("金额最多两位小数。")]})
    return value


def _require_finance(actor) -> None:
    if not may_edit_payments(actor):
        raise PermissionDenied(_("仅总部财务可办理发放。"))


def _figures_now(branch: Branch, period: str):
    from ...selectors import payout_summary

    with schema_context(branch.schema_name):
        return payout_summary(period)


def _mismatch(count, total, now) -> ValidationError:
    return ValidationError({"confirmed": [_(
        "确认后提成单已变化:确认时 %(n0)s 份、合计 %(t0)s 元,现在 %(n1)s 份、合计 %(t1)s 元。"
        "未标记发放,请重新核对后再确认。") % {
        "n0": count, "t0": f"{total:,.2f}", "n1": now.statements, "t1": f"{now.total:,.2f}"}]})


def payout_prepare(*, actor: User, branch: Branch, period: str, confirmed: tuple[int, Decimal]) -> PayoutBatch:
    _require_finance(actor)
    count, total = confirmed
    if count < 0 or total < 0:
        raise ValidationError({"confirmed": [_("数量和金额不能为负数。")]})
    with transaction.atomic():
        with schema_context(branch.schema_name):
            lock_objects.branch_period(branch.schema_name, period)
        bp = BranchPeriod.objects.filter(branch=branch, period=period).first()
        if bp is None or bp.status == BranchPeriod.Status.OPEN:
            raise ValidationError({"period": [_("期间 %(p)s 尚未关账,不能发放。") % {"p": format_period(period)}]})
        if bp.status == BranchPeriod.Status.PAID:
            raise ValidationError({"period": [_("该期间已发放。")]})
        if PayoutBatch.objects.filter(branch=branch, period=period, status=PayoutBatch.Status.PREPARED).exists():
            raise ValidationError({"period": [_("该期间已有待复核的发放,请复核或撤回后再办理。")]})
        now = _figures_now(branch, period)
        if (now.statements, now.total) != (count, total):
            raise _mismatch(count, total, now)
        try:
            files.bank_rows(period=period, branch=branch)  # everyone paid can be paid by the bank
        except files.PayoutBlocked as exc:
            raise ValidationError({"period": exc.problems}) from None
        batch = PayoutBatch(branch=branch, period=period, statements=count, total=total, prepared_by=actor)
        stamp(batch, actor=actor, reason="发起发放")
        try:
            with transaction.atomic():
                batch.save()
        except IntegrityError:
            raise ValidationError({"period": [_("该期间已有待复核的发放,请复核或撤回后再办理。")]}) from None
    return batch


def _locked_batch(batch_id: int) -> PayoutBatch:
    batch = PayoutBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        from django.http import Http404

        raise Http404
    return batch


def payout_confirm(*, actor: User, batch_id: int, entered_total=None) -> PayoutBatch:
    """The second step. A different HQ finance user confirms as shown; the preparer must type
    the total again (it must equal the prepared total to the fen)."""
    from ... import services as commission_services

    _require_finance(actor)
    with transaction.atomic():
        batch = _locked_batch(batch_id)
        if batch.status != PayoutBatch.Status.PREPARED:
            raise ValidationError({"batch": [_("这笔发放已%(s)s,不能再确认。") % {"s": batch.get_status_display()}]})
        if batch.prepared_by_id == actor.pk:
            if entered_total in (None, ""):
                raise ValidationError({"total": [_("由发起人本人确认时,请再次输入合计金额。")]})
            if parse_total(entered_total) != batch.total:
                raise ValidationError({"total": [_("输入的合计金额与待发放金额不一致,未办理发放。请核对代发文件后重新输入。")]})
        commission_services.period_mark_paid(actor=actor, branch=batch.branch, period=batch.period,
                                             confirmed=(batch.statements, batch.total))
        batch.status, batch.decided_by, batch.decided_at = PayoutBatch.Status.CONFIRMED, actor, timezone.now()
        stamp(batch, actor=actor, reason="复核确认发放" if batch.prepared_by_id != actor.pk else "发起人复核(重新输入合计)")
        batch.save()
    return batch


def payout_withdraw(*, actor: User, batch_id: int) -> PayoutBatch:
    _require_finance(actor)
    with transaction.atomic():
        batch = _locked_batch(batch_id)
        if batch.status != PayoutBatch.Status.PREPARED:
            raise ValidationError({"batch": [_("这笔发放已%(s)s,不能撤回。") % {"s": batch.get_status_display()}]})
        if bank_file_downloaded(batch.branch, batch.period):
            raise ValidationError({"batch": [_("银行代发文件已下载,不能撤回;请与银行核实后复核确认。")]})
        batch.status, batch.decided_by, batch.decided_at = PayoutBatch.Status.WITHDRAWN, actor, timezone.now()
        stamp(batch, actor=actor, reason="撤回发放")
        batch.save()
    return batch
