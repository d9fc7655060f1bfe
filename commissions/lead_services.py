"""Leads worked by the people who bring them (线索): entry by marketing and sales themselves,
the stages 录入 → 到访 → 接待 → 签约意向 → 合同归档 → 业绩结算 with who and when, the alert when a
lead waits too long in a stage (自动预警并追踪责任), and disputes over who sourced a lead.

Who may do what is decided here once, from the caller's roles in the branch:
- the office (branch manager, branch staff; HQ admins act as managers) works every lead;
- marketing records its own leads (source 市场线索, marketer = themselves) and may hand one to a
  seller of the branch; it moves its own leads from 录入 to 到访;
- sales records self-sourced leads (销售自拓, 跟进销售 = themselves), works and signs the leads
  it follows up (owner = themselves), in its own name;
- whoever works a lead edits it after it is saved (name, contact details, 有效线索; 跟进销售 as
  the assignment allows), never its money or its attribution (`lead_update`).
A lead outside a person's reach is missing (404), whether or not it exists."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _, pgettext

from branches.audit import stamp
from branches.models import BranchMembership, User
from branches.roles import Role
from hrsaas.core.inputs import blank, text_box
from notifications import words

from . import inputs, services
from .models import Lead, LeadDispute, LeadPolicy, LeadStageChange

OFFICE = frozenset({Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.HQ_ADMIN})
LEAD_ROLES = OFFICE | {Role.MARKETING, Role.SALES}
STAGES = list(Lead.Stage.values)
# Stages a person moves a lead into by a button; 合同归档 comes with the signing (it needs the
# amount), 业绩结算 is the office's confirmation after it.
BUTTON_STAGES = (Lead.Stage.VISITED, Lead.Stage.RECEIVED, Lead.Stage.INTENT)


def is_office(roles) -> bool:
    return bool(set(roles) & OFFICE)


def name_of(user_id: int | None) -> str:
    if not user_id:
        return ""
    row = User.objects.filter(pk=user_id).values_list("display_name", "username").first()
    return (row[0] or row[1]) if row else ""


# ---------------------------------------------------------------------------------------------
# Entry by marketing and sales themselves
# ---------------------------------------------------------------------------------------------
def parse_own_lead(data: dict, *, actor, roles) -> services.LeadInput:
    """A lead as entered by its caller. The office enters any lead (`services.parse_lead`); a
    marketer's lead is a marketing lead of their own, a seller's a self-sourced one they follow
    up. Naming someone else as marketer (or seller) is refused, not silently replaced."""
    if is_office(roles):
        return services.parse_lead(data)
    own_source = Lead.Source.MARKETING if Role.MARKETING in roles else Lead.Source.SALES
    source = data.get("source") or own_source
    errors = inputs.Errors()
    if source != own_source or (own_source == Lead.Source.SALES and Role.SALES not in roles):
        errors.add("source", _("您只能录入自己的%(s)s。") % {"s": Lead.Source(own_source).label})
    if own_source == Lead.Source.MARKETING:
        if data.get("marketer") not in (None, "", actor.username):
            errors.add("marketer", _("市场人员即您本人,不能替他人录入。"))
        if data.get("owner") not in (None, ""):
            services.parse_seller_here(data, "owner", errors, required=False)
    else:
        if data.get("marketer") not in (None, ""):
            errors.add("marketer", _("销售自拓线索不填市场人员。"))
        if data.get("owner") not in (None, "", actor.username):
            errors.add("owner", _("跟进销售即您本人。"))
    errors.raise_if_any()
    values = dict(data, source=own_source)
    if own_source == Lead.Source.MARKETING:
        values["marketer"] = actor.username
    else:
        values.pop("marketer", None)
        values["owner"] = actor.username
    return services.parse_lead(values)


def parse_own_sign(data: dict, *, actor, roles) -> services.LeadSignInput:
    """A seller signs in their own name (the seller field may be left out)."""
    if is_office(roles):
        return services.parse_lead_sign(data)
    if Role.SALES not in roles:
        raise Http404  # a marketer does not sign (as lead_sign_by answers), whatever the input
    if data.get("seller") not in (None, "", actor.username):
        raise ValidationError({"seller": [_("只能以本人名义签约。")]})
    return services.parse_lead_sign(dict(data, seller=actor.username))


def lead_sign_by(*, actor, roles, lead_id: int, data: services.LeadSignInput) -> Lead:
    if not is_office(roles) and Role.SALES not in roles:
        raise Http404  # a marketer does not sign; the lead is simply not theirs to sign
    return services.lead_sign(actor=actor, lead_id=lead_id, data=data,
                              only_owned_by=None if is_office(roles) else actor)


# ---------------------------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------------------------
def next_stage(stage: str) -> str | None:
    i = STAGES.index(stage)
    return STAGES[i + 1] if i + 1 < len(STAGES) else None


def may_move(lead: Lead, *, actor, roles, to: str) -> bool:
    if is_office(roles):
        return True
    if to == Lead.Stage.VISITED and lead.marketer_id == actor.pk and Role.MARKETING in roles:
        return True
    return to in BUTTON_STAGES and lead.owner_id == actor.pk and Role.SALES in roles


def lead_stage_move(*, actor, roles, lead_id: int, to: str, note: str = "") -> Lead:
    """The next step of a lead's life, recorded with who and when (one step at a time)."""
    from . import lead_selectors

    with transaction.atomic():
        lead = lead_selectors.access_lead(actor, roles, lead_id, for_update=True)
        if to not in STAGES:
            raise ValidationError({"stage": [_("未知阶段:%(s)s") % {"s": to}]})
        expected = next_stage(lead.stage)
        if to != expected:
            what = Lead.Stage(expected).label if expected else _("无(已结算)")
            raise ValidationError({"stage": [_("线索当前在「%(now)s」阶段,下一步是「%(next)s」。")
                                             % {"now": lead.get_stage_display(), "next": what}]})
        if to == Lead.Stage.ARCHIVED:
            raise ValidationError({"stage": [_("合同归档随签约完成:请填写签约金额和日期。")]})
        if to == Lead.Stage.SETTLED and not is_office(roles):
            raise ValidationError({"stage": [_("业绩结算由分支机构经理或人事/运营确认。")]})
        if not may_move(lead, actor=actor, roles=roles, to=to):
            raise ValidationError({"stage": [_("这一步不由您操作:轮到 %(who)s。") % {"who": responsible_label(lead)}]})
        note = text_box(note, "note", limit=300)  # visible text; a line break counts once
        lead.stage, lead.stage_since = to, timezone.now()
        if to == Lead.Stage.RECEIVED and lead.owner_id is None and Role.SALES in roles:
            lead.owner = actor  # the seller who receives the visitor follows the lead up
        stamp(lead, actor=actor, reason=f"线索阶段:{Lead.Stage(to).label}")
        lead.save()
        LeadStageChange.objects.create(lead=lead, stage=to, at=lead.stage_since, by=actor, note=note)
    return lead


def assign_refusal(lead: Lead, *, actor, roles) -> str | None:
    """Why the caller may not hand `lead` to a seller (None: they may). The office may, and the
    lead's marketer before anyone follows it up; never once it is signed."""
    if not is_office(roles) and not (lead.marketer_id == actor.pk and lead.owner_id is None):
        return _("只有经理或人事/运营可以改派跟进销售。")
    if lead.signed_on is not None:
        return _("线索已签约,不能改派。")
    return None


def lead_assign(*, actor, roles, lead_id: int, data: dict) -> Lead:
    """The office (or the lead's marketer, before anyone follows it up) hands a lead to a seller."""
    from . import lead_selectors

    errors = inputs.Errors()
    owner = services.parse_seller_here(data, "owner", errors, required=True)
    errors.raise_if_any()
    with transaction.atomic():
        lead = lead_selectors.access_lead(actor, roles, lead_id, for_update=True)
        refusal = assign_refusal(lead, actor=actor, roles=roles)
        if refusal:
            raise ValidationError({"owner": [refusal]})
        lead.owner = owner
        stamp(lead, actor=actor, reason="指派跟进销售")
        lead.save()
    return lead


# ---------------------------------------------------------------------------------------------
# Contact details (联系人, 联系电话, 渠道, 意向服务, 备注) and editing a lead after it is saved
# ---------------------------------------------------------------------------------------------
PHONE_CHARS = re.compile(r"\+?\d[\d \-]*")
MOBILE = re.compile(r"1[3-9]\d{9}")                    # 138 1234 5678
LANDLINE = re.compile(r"(?:0[1-9]\d{1,2})?[2-9]\d{6,7}")  # 010-12345678, 0755 1234567, or local 8765432
HOTLINE = re.compile(r"[48]00\d{7}")                   # 400-123-4567
COUNTRY_CODE = re.compile(r"^(?:\+86|0086)")


def plausible_phone(text: str) -> bool:
    """A Chinese mobile or landline as people write it: digits with spaces or hyphens, an optional
    +86 (or 0086), a landline's area code and an extension after a last hyphen (010-12345678-801)."""
    if not PHONE_CHARS.fullmatch(text):
        return False

    def number(part: str, *, landline_only: bool = False) -> bool:
        digits = re.sub(r"[\s-]", "", part)
        abroad = COUNTRY_CODE.match(digits)
        if abroad:
            digits = digits[abroad.end():]
        elif digits.startswith("+"):
            return False  # another country's number
        if not landline_only and (MOBILE.fullmatch(digits) or HOTLINE.fullmatch(digits)):
            return True
        if abroad and not digits.startswith("0"):
            digits = "0" + digits  # +86 10 1234 5678: the area code without its 0
        return bool(LANDLINE.fullmatch(digits))

    if number(text):
        return True
    head, _sep, extension = text.rpartition("-")
    return bool(head) and bool(re.fullmatch(r"\d{1,6}", extension.strip())) and number(head, landline_only=True)


def parse_phone(data: dict, field: str, errors: inputs.Errors) -> str:
    value = inputs.parse_text(data, field, errors, max_length=30, required=False)
    if not value or field in errors.errors:
        return value
    value = re.sub(r"\s+", " ", value)
    if not plausible_phone(value):
        errors.add(field, _("请填写手机号或固定电话(数字、+、-、空格),如 138 1234 5678 或 010-12345678:%(v)s")
                   % {"v": value})
        return ""
    return value


def channel_code(value):
    """A channel's key from its key or its name (Chinese, or the reader's language); the value
    itself when unknown."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    names = {str(label).casefold(): code for code, label in Lead.Channel.choices}
    with translation.override("zh-hans"):
        names.update({str(label): code for code, label in Lead.Channel.choices})
    return names.get(text.casefold(), text)


def parse_channel(data: dict, field: str, errors: inputs.Errors) -> str:
    value = channel_code(data.get(field))
    if blank(value):
        return ""
    if value not in Lead.Channel.values:
        errors.add(field, inputs.unknown_choice(value, what=pgettext("in a sentence", "渠道"),
                                                choices=Lead.Channel.labels))
        return ""
    return value


def parse_lead_details(data: dict, errors: inputs.Errors) -> dict:
    """The contact details present in `data`, parsed (each optional; a missing key is left out, so
    an edit changes only what it names)."""
    out = {}
    if "contact" in data:
        out["contact"] = inputs.parse_text(data, "contact", errors, max_length=50, required=False)
    if "phone" in data:
        out["phone"] = parse_phone(data, "phone", errors)
    if "channel" in data:
        out["channel"] = parse_channel(data, "channel", errors)
    if "services" in data:
        out["services"] = inputs.parse_services(data, "services", errors)
    if "notes" in data:
        out["notes"] = inputs.parse_text(data, "notes", errors, max_length=500, required=False)
    return out


def parse_new_lead(data: dict, *, actor, roles) -> tuple[services.LeadInput, dict]:
    """A new lead as its caller enters it (`parse_own_lead`) and its contact details: every
    problem of both at once."""
    errors = inputs.Errors()
    details = parse_lead_details(data, errors)
    lead = None
    try:
        lead = parse_own_lead(data, actor=actor, roles=roles)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                errors.add(field, message)
    errors.raise_if_any()
    return lead, details


def lead_record(*, actor, data: services.LeadInput, details: dict) -> Lead:
    """线索录入 with its contact details: one row, one audit entry (线索录入)."""
    return services.lead_create(actor=actor, data=data, details=details)


def may_mark_qualified(lead: Lead, *, actor, roles) -> bool:
    """有效线索 counts in the marketer's points: the lead's marketer says it, or the office."""
    return is_office(roles) or (lead.marketer_id is not None and lead.marketer_id == actor.pk)


def may_edit(lead: Lead, *, actor, roles) -> bool:
    """Who edits a lead: those who work it — the office, its marketer, its seller (跟进 or 成交)."""
    if is_office(roles):
        return True
    if Role.MARKETING in roles and lead.marketer_id == actor.pk:
        return True
    return Role.SALES in roles and actor.pk in (lead.owner_id, lead.seller_id)


def _fixed_fields(lead: Lead) -> dict[str, str]:
    """What an edit does not change, and where it is changed instead."""
    money = (_("线索已签约,签约金额、签约日期和成交销售不能修改。") if lead.signed_on is not None
             else _("签约金额、签约日期和成交销售在签约时填写。"))
    attribution = _("线索归属不在这里修改:如有异议,请提出归属争议。")
    return {"amount": money, "signed_on": money, "seller": money, "source": attribution,
            "marketer": attribution, "created_on": _("线索日期录入后不能修改。"),
            "stage": _("阶段逐步记录,不在这里修改。")}


def lead_update(*, actor, roles, lead_id: int, data: dict) -> Lead:
    """Edit a lead after it was saved: its name, contact details, 有效线索 and 跟进销售 — only the
    fields `data` names (PATCH). By those who work it (`may_edit`; anyone else: 404, whatever the
    input); the seller changes as `lead_assign` allows. The money and attribution fields are
    refused (when they differ from the lead's), and so is the whole edit if anything is wrong:
    nothing is written. An edit that changes something is audited (history: 线索修改); a changed
    有效线索 recomputes the marketer's month (积分方案 counts qualified leads)."""
    from . import lead_selectors

    errors = inputs.Errors()
    changes = parse_lead_details(data, errors)
    if "name" in data:
        changes["name"] = inputs.parse_text(data, "name", errors)
    if "qualified" in data:
        if blank(data["qualified"]):
            errors.add("qualified", _("须为 true 或 false。"))
        else:
            changes["qualified"] = inputs.parse_bool(data, "qualified", errors, default=True)
    owner = services.parse_seller_here(data, "owner", errors, required=False) if "owner" in data else None
    with transaction.atomic():
        lead = lead_selectors.access_lead(actor, roles, lead_id, for_update=True)  # 404 before any word
        if not may_edit(lead, actor=actor, roles=roles):
            raise Http404
        shown = lead_selectors.public(lead_selectors.lead_rows([lead])[0])
        for field, why in _fixed_fields(lead).items():
            if field in data and data[field] != shown.get(field):
                errors.add(field, why)
        if "owner" in data and "owner" not in errors.errors and (owner.pk if owner else None) != lead.owner_id:
            refusal = assign_refusal(lead, actor=actor, roles=roles)
            if owner is None:
                errors.add("owner", _("跟进销售不能清空;可改派给本分支机构的其他销售。"))
            elif refusal:
                errors.add("owner", refusal)
            else:
                changes["owner"] = owner
        if ("qualified" in changes and changes["qualified"] != lead.qualified
                and not may_mark_qualified(lead, actor=actor, roles=roles)):
            errors.add("qualified", _("只有录入该线索的市场人员或经理、人事/运营可以修改是否有效线索。"))
        errors.raise_if_any()
        changed = {k: v for k, v in changes.items()
                   if (v.pk != lead.owner_id if k == "owner" else v != getattr(lead, k))}
        if not changed:
            return lead
        for field, value in changed.items():
            setattr(lead, field, value)
        stamp(lead, actor=actor, reason="线索修改")
        lead.save()
        if "qualified" in changed and lead.marketer_id:
            services.recompute_mark(event_branch=services.current_branch(),
                                    periods={services.period_of(lead.created_on)},
                                    earners=[User.objects.filter(pk=lead.marketer_id).first()])
    return lead


# ---------------------------------------------------------------------------------------------
# Whose turn it is, and the alert when a lead waits too long (自动预警并追踪责任)
# ---------------------------------------------------------------------------------------------
def branch_manager_ids() -> list[int]:
    branch = services.current_branch()
    return sorted(set(BranchMembership.objects.filter(branch=branch, role=Role.BRANCH_MANAGER, user__is_active=True)
                      .values_list("user_id", flat=True)))


def responsible_id(lead: Lead) -> int | None:
    """Who must take the lead's next step (None: the branch manager — nobody else can)."""
    if lead.stage == Lead.Stage.ENTERED:
        return lead.marketer_id if lead.source == Lead.Source.MARKETING else lead.owner_id
    if lead.stage in (Lead.Stage.VISITED, Lead.Stage.RECEIVED, Lead.Stage.INTENT):
        return lead.owner_id  # none yet: the manager must hand it to a seller
    return None  # 合同归档 → 业绩结算: the office confirms


def responsible_label(lead: Lead) -> str:
    who = responsible_id(lead)
    return name_of(who) if who else _("分支机构经理")


@dataclass(frozen=True)
class StuckLead:
    lead_id: int
    days: int


def leads_stuck(*, now: dt.datetime | None = None) -> list[StuckLead]:
    """Leads past the branch's limit in their stage. A signed lead (合同归档) waits for its
    month's close, which settles it (`leads_settle_for_period`): it is late only once that
    month is closed and it is still not settled."""
    now = now or timezone.now()
    limit = LeadPolicy.current().stage_limit_days
    rows = list(Lead.objects.exclude(stage=Lead.Stage.SETTLED).filter(stage_since__lt=now - dt.timedelta(days=limit))
                .order_by("stage_since", "id").values_list("pk", "stage_since", "stage", "signed_on"))
    branch = services.current_branch()
    open_months = {services.period_of(signed) for _pk, _s, stage, signed in rows
                   if stage == Lead.Stage.ARCHIVED and signed is not None}
    open_months = {p for p in open_months if services.period_status(branch, p) == "open"}
    return [StuckLead(pk, (now - since).days) for pk, since, stage, signed in rows
            if not (stage == Lead.Stage.ARCHIVED and signed is not None and services.period_of(signed) in open_months)]


def leads_settle_for_period(*, actor, period: str) -> int:
    """业绩结算: closing a month settles the leads signed in it (their shares are on the locked
    statements now). Same transaction as the close; returns how many were settled."""
    start = services.period_start(period)
    end = services.add_months(start, 1)
    settled = 0
    for lead in Lead.objects.select_for_update().filter(stage=Lead.Stage.ARCHIVED, signed_on__gte=start,
                                                        signed_on__lt=end).order_by("pk"):
        lead.stage, lead.stage_since = Lead.Stage.SETTLED, timezone.now()
        stamp(lead, actor=actor, reason=f"业绩结算:{period} 关账")
        lead.save()
        LeadStageChange.objects.create(lead=lead, stage=Lead.Stage.SETTLED, at=lead.stage_since, by=actor,
                                       note=f"{period} 关账")
        settled += 1
    return settled


def stuck_leads_alert(*, now: dt.datetime | None = None) -> int:
    """Tell the person whose turn it is and the branch's managers about each lead waiting longer
    than the branch's limit: once per lead and stage (a retried or repeated run sends nothing
    new), in the inbox and over the branch's channels (e-mail, WeCom webhook). Returns how many
    messages were created."""
    from notifications.models import Notification
    from notifications.services import notification_create

    branch = services.current_branch()
    limit = LeadPolicy.current().stage_limit_days
    managers = branch_manager_ids()
    created = 0
    for stuck in leads_stuck(now=now):
        lead = Lead.objects.get(pk=stuck.lead_id)
        after = next_stage(lead.stage)
        who = responsible_id(lead)
        turn = name_of(who) if who else words.w("分支机构经理(请指派跟进销售)") if lead.stage != Lead.Stage.ARCHIVED \
            else words.w("分支机构经理")
        message = {
            "title": words.w_count("线索「%(n)s」在「%(s)s」阶段已停留 %(d)d 天", "d", n=lead.name[:80],
                                   s=words.choice("commissions.Lead", "stage", lead.stage), d=stuck.days),
            "body": words.w_count("超过本分支机构的上限 %(l)d 天。轮到 %(who)s 完成下一步「%(next)s」。", "l", l=limit,
                                  who=turn, next=words.choice("commissions.Lead", "stage", after))}
        key = f"lead-stuck:{lead.pk}:{lead.stage}:{lead.stage_since:%Y%m%d%H%M%S}"
        for recipient in sorted({*(([who]) if who else []), *managers}):
            before = Notification.objects.filter(recipient_id=recipient, dedupe_key=key).exists()
            notification_create(recipient_id=recipient, words=message, kind="lead_stuck",
                                link=f"/b/{branch.code}/leads/{lead.pk}/", dedupe_key=key)
            created += 0 if before else 1
    return created


def lead_policy_update(*, actor, data: dict) -> LeadPolicy:
    errors = inputs.Errors()
    days = inputs.parse_int(data, "stage_limit_days", errors, low=1, high=365)
    errors.raise_if_any()
    with transaction.atomic():
        policy = LeadPolicy.objects.select_for_update().filter(pk=1).first() or LeadPolicy(pk=1)
        policy.stage_limit_days = days
        stamp(policy, actor=actor, reason="线索阶段停留上限")
        policy.save()
    return policy


# ---------------------------------------------------------------------------------------------
# 归属争议: raised on the lead, decided by the manager
# ---------------------------------------------------------------------------------------------
def lead_dispute_raise(*, actor, roles, lead_id: int, data: dict) -> LeadDispute:
    """Someone says they sourced a lead recorded otherwise: a marketer or seller on a lead they
    see (e.g. the seller of a marketing lead who had found the client first), or the office on
    behalf of a named claimant (a marketer who cannot see a colleague's lead asks the office —
    raising on an id one cannot see would tell whether it exists)."""
    from notifications.services import notification_create

    from . import lead_selectors

    errors = inputs.Errors()
    reason = inputs.parse_text(data, "reason", errors, max_length=500)
    if is_office(roles):
        claimant = inputs.parse_earner(data, "claimant", errors)
    elif {Role.MARKETING, Role.SALES} & set(roles):
        if data.get("claimant") not in (None, "", actor.username):
            errors.add("claimant", _("只能以本人名义提出归属争议。"))
        claimant = actor
    else:
        raise Http404
    errors.raise_if_any()
    with transaction.atomic():
        lead = lead_selectors.access_lead(actor, roles, lead_id, for_update=True)
        if not set(BranchMembership.objects.filter(user=claimant, branch=services.current_branch())
                   .values_list("role", flat=True)) & {Role.MARKETING, Role.SALES}:
            raise ValidationError({"claimant": [_("申诉人须为本分支机构的市场或销售人员。")]})
        if sourced_by(lead) == claimant.pk:
            raise ValidationError({"claimant": [_("这条线索已记在 %(who)s 名下。") % {"who": name_of(claimant.pk)}]})
        if LeadDispute.objects.filter(lead=lead, raised_by=claimant, status=LeadDispute.Status.OPEN).exists():
            raise ValidationError({"detail": [_("%(who)s 对这条线索的争议正在等待经理裁决。") % {"who": name_of(claimant.pk)}]})
        dispute = LeadDispute(lead=lead, raised_by=claimant, reason=reason)
        stamp(dispute, actor=actor, reason="线索归属争议")
        dispute.save()
        branch = services.current_branch()
        for manager in branch_manager_ids():
            notification_create(recipient_id=manager, kind="lead_dispute", words={
                                    "title": words.w("线索归属争议待裁决:%(n)s", n=lead.name[:80]),
                                    "body": words.w("%(who)s 认为这条线索由其开发:%(r)s", who=name_of(claimant.pk),
                                                    r=reason)},
                                link=f"/b/{branch.code}/leads/{lead.pk}/", dedupe_key=f"lead-dispute:{dispute.pk}")
    return dispute


def sourced_by(lead: Lead) -> int | None:
    return lead.marketer_id if lead.source == Lead.Source.MARKETING else lead.owner_id


def lead_dispute_decide(*, actor, dispute_id: int, data: dict) -> LeadDispute:
    """The manager's decision, audited. Upheld: the lead is attributed to the claimant — a
    marketer becomes its marketer (市场线索), a seller its self-sourcing seller (销售自拓) — and
    the months it touches are recomputed, so both statements follow."""
    from notifications.services import notification_create

    errors = inputs.Errors()
    upheld = inputs.parse_bool(data, "upheld", errors, default=None)
    if upheld is None:
        errors.add("upheld", _("请选择认定申诉人(true)或维持原归属(false)。"))
    note = inputs.parse_text(data, "note", errors, max_length=500)
    errors.raise_if_any()
    with transaction.atomic():
        dispute = LeadDispute.objects.select_for_update().filter(pk=dispute_id).first()
        if dispute is None:
            raise Http404
        if dispute.status != LeadDispute.Status.OPEN:
            raise ValidationError({"detail": [_("该争议已裁决。")]})
        if dispute.raised_by_id == actor.pk:
            raise ValidationError({"detail": [_("不能裁决自己提出的争议。")]})
        lead = Lead.objects.select_for_update().get(pk=dispute.lead_id)
        claimant = User.objects.get(pk=dispute.raised_by_id)
        before = {"source": lead.source, "marketer": lead.marketer_id, "owner": lead.owner_id}
        if upheld:
            held = set(BranchMembership.objects.filter(user=claimant, branch=services.current_branch())
                       .values_list("role", flat=True))
            if Role.MARKETING in held:
                lead.source, lead.marketer = Lead.Source.MARKETING, claimant
            else:
                lead.source, lead.marketer, lead.owner = Lead.Source.SALES, None, claimant
            stamp(lead, actor=actor, reason="归属争议裁决:认定申诉人")
            lead.save()
            earners = [User.objects.filter(pk=pk).first() for pk in
                       {before["marketer"], lead.marketer_id, lead.seller_id} if pk]
            periods = {services.period_of(lead.created_on)}
            if lead.signed_on:
                periods.add(services.period_of(lead.signed_on))
            services.recompute_mark(event_branch=services.current_branch(), earners=earners, periods=periods)
        dispute.status = LeadDispute.Status.UPHELD if upheld else LeadDispute.Status.REJECTED
        dispute.decided_by, dispute.decided_at, dispute.decision_note = actor, timezone.now(), note
        stamp(dispute, actor=actor, reason="归属争议裁决")
        dispute.save()
        branch = services.current_branch()
        notification_create(recipient_id=claimant.pk, kind="lead_dispute", body=note, words={
                            "title": words.w("线索「%(n)s」的归属已认定为您" if upheld else "线索「%(n)s」维持原归属",
                                             n=lead.name[:80])},
                            link=f"/b/{branch.code}/leads/", dedupe_key=f"lead-dispute-decided:{dispute.pk}")
    return dispute
