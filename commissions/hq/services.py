"""Writes of HQ's commission data (public schema): new rule versions (提成方案) and revocation
of registered branch adjustments (备案).

Rule versions are never edited (a database trigger refuses UPDATE/DELETE): a change is a new
version effective from a date, and that date may not reach into a month that some branch has
already closed or paid. A revocation is effective from a date and never reaches into a closed
or paid month of the adjustment's branch."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _, pgettext
from django_tenants.utils import schema_context

from branches.audit import stamp
from hrsaas.core import locks
from hrsaas.core.formatting import format_date, format_period
from branches.models import User
from clients.models import Service

from ..adjustments import (COMPONENT_LABELS, Span, lock_adjustments, parse_date, parse_text, send_recompute,
                           stacking_breach_without)
from .models import RegisteredAdjustment, RuleVersion
from .rules import COMPONENTS, SERVICES, Rule, RuleError, parse_rule, rule_to_params
from .selectors import access_registered, frozen_periods_overlapping, next_version_after
from hrsaas.core.inputs import unknown_choice

NOT_PARAMS = frozenset({"id", "component", "effective_from", "note", "reason"})


@dataclass(frozen=True)
class RuleVersionInput:
    component: str
    effective_from: dt.date
    rule: Rule
    note: str


def services_missing(component: str, rule: Rule | None) -> str | None:
    """What a sales-commission version lacks, in words, or None: a service left out would earn
    nothing from it on, with no line to say so, so every service is given its rates (0.00 where
    HQ pays none). Checked for a version typed or sent, and for a draft when it is published."""
    if rule is None or component != "sales_commission":
        return None
    listed = {r.service for r in rule.rates}
    missing = [Service(s).label for s in SERVICES if s not in listed]
    if not missing:
        return None
    return (_("缺少这些服务的费率:%(s)s。每项服务都须填写新客户和老客户费率,不计提成的请填 0.00。")
            % {"s": _("、").join(str(m) for m in missing)})


def parse_rule_version(data: dict) -> RuleVersionInput:
    """The contract's JSON of a rule version → typed input, or one ValidationError with a
    message per field (`tiers[1].amount`, `effective_from` …)."""
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("请求体须为 JSON 对象。")]})
    errors: dict[str, list[str]] = {}
    component = data.get("component")
    if component not in COMPONENTS:
        errors["component"] = [unknown_choice(component, what=pgettext("in a sentence", "提成项目"), choices=COMPONENTS)]
    start = parse_date(data.get("effective_from"), "effective_from", errors)
    note = parse_text(data.get("note") or data.get("reason") or "", "note", errors, max_length=200, required=False)
    rule = None
    if component in COMPONENTS:
        try:
            rule = parse_rule(component, {k: v for k, v in data.items() if k not in NOT_PARAMS})
        except RuleError as exc:
            for field, messages in exc.errors.items():
                errors.setdefault(field, []).extend(messages)
    missing = services_missing(component, rule)
    if missing:
        errors.setdefault("rates", []).append(missing)
    if errors:
        raise ValidationError(errors)
    return RuleVersionInput(component=component, effective_from=start, rule=rule, note=note)


def _lock_rules(component: str) -> None:
    locks.take((locks.Lock.RULES_COMPONENT, f"rules:{component}"))


def refuse_frozen_days(component: str, effective_from: dt.date) -> None:
    """Refuse (a ValidationError on `effective_from`) a version of `component` from that day when
    the days it would govern — until the component's next version — include a month closed or
    paid in any branch: closed statements are never rewritten. Both a version and a draft of one
    (方案草案, saved and published) are checked here, so they are refused in the same words."""
    following = next_version_after(component, effective_from)
    end = following.effective_from - dt.timedelta(days=1) if following else None
    frozen = frozen_periods_overlapping(start=effective_from, end=end)
    if frozen:
        p = frozen[0]
        raise ValidationError({"effective_from": [
            _("%(b)s 的 %(p)s 期间%(s)s,新版本不能在已关账或已发放的期间生效。") % {
                "b": p.branch.name, "p": format_period(p.period), "s": p.get_status_display()}]})


def rule_version_create(*, actor: User, data: RuleVersionInput) -> RuleVersion:
    """Add a version of a rule component, in force from `effective_from` until the next
    version. Refused (nothing saved) when that component already has a version that day, or
    when the days it would govern include a month closed or paid in any branch."""
    with schema_context("public"), transaction.atomic():
        _lock_rules(data.component)
        if RuleVersion.objects.filter(component=data.component, effective_from=data.effective_from).exists():
            raise ValidationError({"effective_from": [
                _("%(d)s 已有该组件的版本;版本不可修改,请选择其他生效日期。") % {"d": format_date(data.effective_from)}]})
        refuse_frozen_days(data.component, data.effective_from)
        version = RuleVersion(component=data.component, effective_from=data.effective_from,
                              params=rule_to_params(data.rule), note=data.note, created_by=actor)
        stamp(version, actor=actor, reason=data.note or _("新增规则版本"))
        try:
            with transaction.atomic():
                version.save()
        except IntegrityError:  # a concurrent insert of the same day (the lock makes it rare)
            raise ValidationError({"effective_from": [_("该生效日期已有版本。")]}) from None
        transaction.on_commit(send_recompute)
    return version


def registered_adjustment_revoke(*, actor: User, registered_id: int, data: dict) -> RegisteredAdjustment:
    """HQ revokes a registered adjustment from `effective_from` (it stays in force before that
    day). Refused when the days it would change include a closed or paid month of the branch.
    The register row and the branch's own adjustment change in one transaction."""
    from ..models import Adjustment

    errors: dict[str, list[str]] = {}
    revoked_from = parse_date(data.get("effective_from"), "effective_from", errors)
    reason = parse_text(data.get("reason"), "reason", errors)
    if errors:
        raise ValidationError(errors)
    with schema_context("public"), transaction.atomic():
        row = access_registered(registered_id)
        branch = row.branch
        lock_adjustments(branch.schema_name, row.component)
        row = RegisteredAdjustment.objects.select_for_update().get(pk=row.pk)
        if row.status != RegisteredAdjustment.Status.REGISTERED:
            raise ValidationError({"status": [_("该调整已于 %(d)s 起撤销。") % {
                "d": format_date(row.revoked_from) if row.revoked_from else "—"}]})
        if row.effective_to is not None and revoked_from > row.effective_to:
            raise ValidationError({"effective_from": [
                _("撤销日期晚于调整的截止日期 %(d)s,无需撤销。") % {"d": format_date(row.effective_to)}]})
        changed_from = max(revoked_from, row.effective_from)
        frozen = frozen_periods_overlapping(start=changed_from, end=row.effective_to, branch=branch)
        if frozen:
            p = frozen[0]
            raise ValidationError({"effective_from": [
                _("%(b)s 的 %(p)s 期间%(s)s,撤销不能追溯到已关账或已发放的期间。") % {
                    "b": branch.name, "p": format_period(p.period), "s": p.get_status_display()}]})
        with schema_context(branch.schema_name):
            # What stays in force must keep within ±20% on every day the revocation changes: taking
            # away a −20% that offset a +20% would leave the +20% stacked on the others.
            breach = stacking_breach_without(component=row.component, adjustment_id=row.adjustment_id,
                                             span=Span(changed_from, row.effective_to, Decimal(0)))
        if breach:
            day, total = breach
            raise ValidationError({"effective_from": [
                _("撤销后,%(b)s 的其他%(c)s浮动调整自 %(d)s 起合计 %(t)s%%,超过 ±20%%;请先撤销与之抵消的调整。") % {
                    "b": branch.name, "c": COMPONENT_LABELS.get(row.component, row.component),
                    "d": format_date(day), "t": f"{total:+.2f}"}]})
        # A day before the adjustment began revokes all of it: recorded as its first day, so the
        # register does not say "from 15 October" of an adjustment that began on 1 November.
        revoked_from = changed_from
        row.status, row.revoked_from, row.revoke_reason = RegisteredAdjustment.Status.REVOKED, revoked_from, reason
        stamp(row, actor=actor, reason=f"撤销:{reason}")
        row.save()
        with schema_context(branch.schema_name):
            adj = Adjustment.objects.select_for_update().filter(pk=row.adjustment_id).first()
            if adj is not None:
                adj.status, adj.revoked_from, adj.revoke_reason = Adjustment.Status.REVOKED, revoked_from, reason
                stamp(adj, actor=actor, reason=f"总部撤销:{reason}")
                adj.save()
        transaction.on_commit(send_recompute)
    return row
