"""电子工资条: writes of statement receipts.

- `receipts_send` — when a branch closes a period (inside period_close's transaction), each
  earner with lines gets a receipt and a message (inbox, e-mail and the branch's channel, all
  through notifications.services).
- `receipt_open`, `receipt_confirm` (一键确认), `receipt_question` (opens the existing portal
  inquiry on the line concerned) — the earner's own statement only; where from (IP, user agent)
  kept with the step in the receipt's history.
- `receipts_remind` — those neither confirmed nor questioned `days` after it was sent (and
  since the last reminder) are reminded; run by a periodic task per branch."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from branches.audit import stamp
from branches.models import Branch, User
from notifications import words

from ..models import StatementReceipt


def remind_after_days() -> int:
    return int(getattr(settings, "STATEMENT_CONFIRM_REMIND_DAYS", 3))


def payslip_link(branch: Branch, period: str) -> str:
    return f"/b/{branch.code}/commissions/payslip/{period}/"


def receipts_send(*, actor: User | None, branch: Branch, period: str) -> int:
    """In the branch's schema: one receipt and one message per earner of `period`. Safe to run
    twice (unique receipt, dedupe key on the message). Returns how many were sent now."""
    from notifications.services import notification_create

    from ...models import StatementLine

    totals = list(StatementLine.objects.filter(period=period).values("earner_id").annotate(t=Sum("amount"))
                  .values_list("earner_id", "t").order_by("earner_id"))
    now, sent = timezone.now(), 0
    with schema_context("public"):
        existing = set(StatementReceipt.objects.filter(branch=branch, period=period).values_list("earner_id", flat=True))
        for earner_id, total in totals:
            if earner_id in existing:
                continue
            receipt = StatementReceipt(branch=branch, period=period, earner_id=earner_id, total=total or Decimal(0),
                                       sent_at=now)
            stamp(receipt, actor=actor, reason="关账后发送工资条")
            receipt.save()
            sent += 1
    for earner_id, total in totals:
        if earner_id in existing:
            continue
        notification_create(
            recipient_id=earner_id, kind="statement_ready", words={
                "title": words.w("您的%(p)s提成单已出,请查看并确认", p=words.period(period)),
                "body": words.w("合计 %(t)s 元。请在提成单页面一键确认,或对有疑问的项目提出申诉。", t=words.money(total))},
            link=payslip_link(branch, period), dedupe_key=f"statement-ready:{period}")
    return sent


def access_receipt(actor: User, branch: Branch, period: str, *, lock: bool = False) -> StatementReceipt:
    """The actor's own receipt; 404 for anyone else's or none."""
    qs = StatementReceipt.objects.filter(branch=branch, period=period, earner_id=actor.pk)
    if lock:
        qs = qs.select_for_update()
    with schema_context("public"):
        receipt = qs.first()
    if receipt is None:
        raise Http404
    return receipt


def _where(receipt: StatementReceipt, ip: str | None, user_agent: str) -> None:
    receipt.ip = ip or None
    receipt.user_agent = (user_agent or "")[:300]


def receipt_open(*, actor: User, branch: Branch, period: str, ip: str | None, user_agent: str) -> StatementReceipt:
    with schema_context("public"), transaction.atomic():
        receipt = access_receipt(actor, branch, period, lock=True)
        if receipt.opened_at is None:
            receipt.opened_at = timezone.now()
            _where(receipt, ip, user_agent)
            stamp(receipt, actor=actor, reason="查看工资条")
            receipt.save()
    return receipt


def receipt_confirm(*, actor: User, branch: Branch, period: str, ip: str | None, user_agent: str) -> StatementReceipt:
    with schema_context("public"), transaction.atomic():
        receipt = access_receipt(actor, branch, period, lock=True)
        if receipt.confirmed_at is not None:
            raise ValidationError({"receipt": [_("您已于 %(d)s 确认过本期提成单。") % {
                "d": timezone.localtime(receipt.confirmed_at).strftime("%Y-%m-%d %H:%M")}]})
        now = timezone.now()
        receipt.confirmed_at = now
        receipt.opened_at = receipt.opened_at or now
        _where(receipt, ip, user_agent)
        stamp(receipt, actor=actor, reason="一键确认工资条")
        receipt.save()
    return receipt


def receipt_question(*, actor: User, branch: Branch, period: str, key: str, comment, ip: str | None,
                     user_agent: str) -> StatementReceipt:
    """A question on one line: the portal's inquiry (the manager answers it there)."""
    from portal.services import inquiry_raise

    with transaction.atomic():
        with schema_context("public"):
            receipt = access_receipt(actor, branch, period, lock=True)
            if receipt.confirmed_at is not None:
                raise ValidationError({"receipt": [_("本期提成单已确认;如仍有疑问,请在“我的申诉”中提出。")]})
        inquiry = inquiry_raise(actor=actor, branch=branch, period=period, key=key, comment=comment)
        with schema_context("public"):
            now = timezone.now()
            receipt.questioned_at, receipt.inquiry_id = now, inquiry.pk
            receipt.opened_at = receipt.opened_at or now
            _where(receipt, ip, user_agent)
            stamp(receipt, actor=actor, reason=f"对工资条提出申诉 #{inquiry.pk}")
            receipt.save()
    return receipt


def receipts_remind(*, branch: Branch, now: dt.datetime | None = None, days: int | None = None) -> int:
    """In the branch's schema: remind everyone whose statement was sent `days` ago (and not
    reminded in the last `days`) and who has neither confirmed nor questioned it."""
    from notifications.services import notification_create

    now = now or timezone.now()
    due = now - dt.timedelta(days=days if days is not None else remind_after_days())
    with schema_context("public"), transaction.atomic():
        pending = list(StatementReceipt.objects.select_for_update().filter(
            branch=branch, confirmed_at__isnull=True, questioned_at__isnull=True, sent_at__lte=due)
            .exclude(reminded_at__gt=due).order_by("period", "earner_id"))
        for r in pending:
            r.reminded_at, r.reminders = now, r.reminders + 1
            stamp(r, actor=None, reason="提醒确认工资条")
            r.save()
    for r in pending:
        notification_create(
            recipient_id=r.earner_id, kind="statement_reminder", words={
                "title": words.w("请确认您的%(p)s提成单", p=words.period(r.period)),
                "body": words.w("合计 %(t)s 元,尚未确认。如有疑问,请对相关项目提出申诉。", t=words.money(r.total))},
            link=payslip_link(branch, r.period), dedupe_key=f"statement-remind:{r.period}:{r.reminders}")
    return len(pending)
