"""Writes of planning: rule drafts (方案草案) and suggestions turned into drafts. Every write is
audited (`stamp`); a draft changes no statement until it goes through the normal step — a rule
draft is published by an HQ admin through `rule_version_create` (which refuses a day inside a
closed or paid month, as saving the draft already did), a draft adjustment is a proposal the
branch manager approves (four eyes)."""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from branches.audit import stamp
from branches.models import Branch, User

from .. import adjustments
from ..engine import add_months
from ..hq.models import RuleDraft
from ..hq.rules import OpeningRewardRule, parse_rule, rule_to_params
from ..hq.services import RuleVersionInput, refuse_frozen_days, rule_version_create, services_missing
from ..services import rulebook_load
from ..hq.rules import version_in_force
from . import engine as E
from . import selectors


def rule_draft_create(*, actor: User, data: RuleVersionInput) -> RuleDraft:
    """Save a rule draft. Refused (nothing saved) when its day reaches into a month closed or
    paid in any branch, in the words its publishing would use: such a draft could never be
    published. (A month closed after the draft was saved is still refused when publishing.)"""
    with schema_context("public"), transaction.atomic():
        refuse_frozen_days(data.component, data.effective_from)
        draft = RuleDraft(component=data.component, effective_from=data.effective_from,
                          params=rule_to_params(data.rule), note=data.note, created_by=actor)
        stamp(draft, actor=actor, reason=_("新建方案草案"))
        draft.save()
    return draft


def access_rule_draft(draft_id) -> RuleDraft:
    with schema_context("public"):
        draft = RuleDraft.objects.filter(pk=draft_id).first()
    if draft is None:
        raise Http404
    return draft


def rule_draft_as_data(draft: RuleDraft) -> E.RuleDraftData:
    return E.RuleDraftData(component=draft.component, rule=parse_rule(draft.component, draft.params))


def _locked_draft(draft_id) -> RuleDraft:
    draft = RuleDraft.objects.select_for_update().filter(pk=draft_id).first()
    if draft is None:
        raise Http404
    if draft.status != RuleDraft.Status.DRAFT:
        raise ValidationError({"status": [_("该草案%(s)s,不能再次处理。") % {"s": draft.get_status_display()}]})
    return draft


def rule_draft_publish(*, actor: User, draft_id: int) -> RuleDraft:
    """Publish: the draft becomes a rule version effective its own day, through the same service
    as a version typed on the rules page (refused — nothing saved — when that day reaches into a
    closed or paid month of any branch, or the component has a version that day). Closed periods
    are therefore never rewritten; open ones are recomputed by the usual fan-out."""
    with schema_context("public"), transaction.atomic():
        draft = _locked_draft(draft_id)
        rule = parse_rule(draft.component, draft.params)
        missing = services_missing(draft.component, rule)  # a draft saved before every service was required
        if missing:
            raise ValidationError({"rates": [missing]})
        version = rule_version_create(actor=actor, data=RuleVersionInput(
            component=draft.component, effective_from=draft.effective_from,
            rule=rule, note=draft.note or _("由方案草案发布")))
        draft.status, draft.published_version = RuleDraft.Status.PUBLISHED, version
        draft.decided_by, draft.decided_at = actor, timezone.now()
        stamp(draft, actor=actor, reason=_("发布方案草案"))
        draft.save()
    return draft


def rule_draft_discard(*, actor: User, draft_id: int) -> RuleDraft:
    with schema_context("public"), transaction.atomic():
        draft = _locked_draft(draft_id)
        draft.status, draft.decided_by, draft.decided_at = RuleDraft.Status.DISCARDED, actor, timezone.now()
        stamp(draft, actor=actor, reason=_("放弃方案草案"))
        draft.save()
    return draft


# ---------------------------------------------------------------------------------------------
# A suggestion → a draft, in one step
# ---------------------------------------------------------------------------------------------
ADJUSTMENT, RULE = "adjustment", "rule"


def next_month_start(today: dt.date | None = None) -> dt.date:
    return add_months((today or timezone.localdate()).replace(day=1), 1)


def suggestion_to_draft(*, actor: User, branch: Branch, kind: str, target: str, periods: list[str]):
    """Find the suggestion `kind` for `branch` again (from the data as it is now: one that no
    longer holds is refused) and write its draft: an adjustment proposal of the branch from next
    month (`target` "adjustment"; the manager approves it as any proposal) or, for the
    small-client suggestion, a rule draft raising the first opening-reward tier (`target` "rule",
    HQ admins; published by HQ like any draft)."""
    errors: dict[str, list[str]] = {}
    if kind not in E.KINDS:
        errors["kind"] = [_("未知的建议类型。")]
    if target not in (ADJUSTMENT, RULE):
        errors["target"] = [_("请选择生成浮动调整草案或方案草案。")]
    elif target == RULE and kind != E.SMALL_CLIENTS:
        errors["target"] = [_("该建议只能生成分支机构浮动调整草案。")]
    if errors:
        raise ValidationError(errors)
    rules = rulebook_load()
    found = [s for s in E.suggestions_for([selectors.branch_figures(branch, periods, rules=rules)]) if s.kind == kind]
    if not found:
        raise ValidationError({"kind": [_("按目前的数据,%(b)s已不再触发该建议,未生成草案。") % {"b": branch.name}]})
    s = found[0]
    start = next_month_start()
    reason = (_("数据建议:%(t)s。") % {"t": s.title} + s.explanation)[:300]
    if target == ADJUSTMENT:
        with schema_context(branch.schema_name):
            return adjustments.adjustment_propose(actor=actor, data=adjustments.AdjustmentInput(
                component=s.component, percent=s.percent, effective_from=start, effective_to=None, reason=reason))
    opening = version_in_force(list(rules.versions), "opening_reward", start)
    if opening is None or not isinstance(opening.rule, OpeningRewardRule):
        raise ValidationError({"kind": [_("没有在用的开户奖励方案。")]})
    raised = E.raised_first_tier(opening.rule, E.SMALL_TIER_RAISE_PERCENT)
    return rule_draft_create(actor=actor, data=RuleVersionInput(component="opening_reward", effective_from=start,
                                                                rule=raised, note=reason[:200]))
