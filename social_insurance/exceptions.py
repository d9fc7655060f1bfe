"""Payment exceptions (缴费失败, 待遇申领问题 …) as the branch API and the cycle board use them,
and their escalation when a clock is blown.

The clocks (respond within 1 hour, resolve within 24 hours) and the state changes are
`services.exception_open` / `services.exception_advance`. This module parses what a caller sent
(both the API and the board call it, so they refuse the same input the same way), reporting
every bad field at once, and then calls those services.

Escalation (`exceptions_escalate`, run every 15 minutes per branch by beat) tells the branch's
managers, in their in-app inbox, about each exception still unanswered past its response due or
unresolved past its resolution due — once per exception and stage. "Already escalated" is not a
column: it is the inbox message itself. Each message carries the deterministic dedupe key
`si-exception:<id>:<stage>-overdue` (`selectors.escalation_key`); a stage with any such message
is skipped (`selectors.exceptions_to_escalate`), and the notifications table's unique
(recipient, dedupe_key) constraint makes two overlapping runs create one message per manager.
"""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import employee_selectors, selectors, services
from .engine import PolicyError, month_start
from .models import ExceptionStatus, InsuredEmployee, PaymentException

# What an exception is about (the model keeps a free 30-character code; these are the ones
# offered and accepted).
EXCEPTION_KINDS = {
    "payment_failed": gettext_lazy("缴费失败"),
    "benefit_claim": gettext_lazy("待遇申领问题"),
    "other": gettext_lazy("其他"),
}
MAX_DESCRIPTION_CHARS = 2000
MAX_NOTE_CHARS = 2000


def kind_label(kind: str) -> str:
    return str(EXCEPTION_KINDS.get(kind, kind))


def _text(value, *, limit: int) -> str | None:
    """Stripped text, or None when it is not text, too long or holds a NUL character."""
    if not isinstance(value, str) or "\x00" in value or len(value) > limit:
        return None
    return value.strip()


def exception_log(*, actor, period, description, employee=None, kind=None, now=None) -> PaymentException:
    """登记异常: `period` YYYY-MM, a description, optionally an employee id of this branch and a
    kind (default 缴费失败). Raises ValidationError {field: [msg]} with every bad field."""
    errs: dict[str, list[str]] = {}
    try:
        month_start(period)
    except PolicyError as exc:
        errs["period"] = [exc.message]
    text = _text(description, limit=MAX_DESCRIPTION_CHARS)
    if not text:
        errs["description"] = [_("请描述异常情况(不超过 %(n)d 字)。") % {"n": MAX_DESCRIPTION_CHARS}]
    employee_id = None
    if employee not in (None, ""):
        raw = str(employee).strip() if isinstance(employee, (int, str)) and not isinstance(employee, bool) else ""
        if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
            errs["employee"] = [_("员工编号须为整数。")]
        # Only someone the actor may see (a specialist sees no insured person's record): any
        # other number reads as one that does not exist.
        elif not employee_selectors.employees_for_pages(actor, services._branch()).filter(pk=int(raw)).exists():
            errs["employee"] = [_("员工不存在。")]
        else:
            employee_id = int(raw)
    if kind in (None, ""):
        kind = "payment_failed"
    elif not isinstance(kind, str) or kind not in EXCEPTION_KINDS:
        errs["kind"] = [_("类型须为 %(kinds)s 之一。") % {"kinds": ", ".join(EXCEPTION_KINDS)}]
    if errs:
        raise ValidationError(errs)
    return services.exception_open(actor=actor, period=period, description=text, employee_id=employee_id,
                                   kind=kind, now=now)


def exception_respond(*, actor, exception_id: int, now=None) -> PaymentException:
    """已响应: stops the 1-hour clock (only an open exception)."""
    return services.exception_advance(actor=actor, exception_id=exception_id, to=ExceptionStatus.RESPONDED, now=now)


def exception_resolve(*, actor, exception_id: int, note, now=None) -> PaymentException:
    """已解决 with what was done (`note`, required); a resolved exception cannot be resolved again."""
    text = _text(note, limit=MAX_NOTE_CHARS)
    if not text:
        status = PaymentException.objects.filter(pk=exception_id).values_list("status", flat=True).first()
        if status is None:
            raise Http404
        if status != ExceptionStatus.RESOLVED:  # a resolved one gets the service's status error
            raise ValidationError({"note": [_("请填写处理结果(不超过 %(n)d 字)。") % {"n": MAX_NOTE_CHARS}]})
    return services.exception_advance(actor=actor, exception_id=exception_id, to=ExceptionStatus.RESOLVED,
                                      note=text or "", now=now)


# ---------------------------------------------------------------------------------------------
# Escalation (超时上报)
# ---------------------------------------------------------------------------------------------
def _current_branch():
    from hrsaas.core.branch import require_branch

    return require_branch("exception escalation")


def _message(branch, exc: PaymentException, stage: str) -> dict:
    from notifications import words

    if stage == "respond":
        title = words.w("社保异常 #%(id)d 超过 1 小时未响应", id=exc.pk)
        due = exc.respond_due
    else:
        title = words.w("社保异常 #%(id)d 超过 24 小时未解决", id=exc.pk)
        due = exc.resolve_due
    who = f" · {exc.employee.name}" if exc.employee_id else ""
    body = words.w("%(period)s · %(kind)s%(who)s:%(text)s(时限 %(due)s)", period=words.period(exc.period),
                   kind=words.sentence("si_exception_kind", exc.kind), who=who, text=exc.description[:300],
                   due=words.moment(due))
    return {"words": {"title": title, "body": body}, "kind": "si_exception_overdue",
            "link": f"/b/{branch.code}/si/?period={exc.period}#exception-{exc.pk}"}


def exceptions_escalate(*, now=None) -> int:
    """Notify the branch's managers of every late, not yet escalated stage; returns how many
    stages were escalated. Safe to run twice (the second run finds nothing to do). With no
    manager in the branch nothing is recorded, so the stage is escalated once one is appointed."""
    from notifications.services import notification_create

    now = now or timezone.now()
    branch = _current_branch()
    managers = selectors.branch_manager_ids(branch)
    if not managers:
        return 0
    escalated = 0
    # Stored text in the product's language, whatever a previous request in this thread activated.
    with translation.override(settings.LANGUAGE_CODE):
        for exc, stage in selectors.exceptions_to_escalate(now):
            message = _message(branch, exc, stage)
            with transaction.atomic():
                for manager_id in managers:
                    notification_create(recipient_id=manager_id, dedupe_key=selectors.escalation_key(exc.pk, stage),
                                        **message)
            escalated += 1
    return escalated
