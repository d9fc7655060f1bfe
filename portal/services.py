"""Writes of the portal: reward claims (submit with automatic review, manager override) and
inquiries (raise, comment, answer, resolve — a resolution that changes money posts a manual
adjustment, never an edit of the line). validate → lock → write → audit → notify (on commit).

Decision — how an approved claim reaches the statement: the commission engine pays the opening
reward from the opening itself (the recompute does not read claims), so an approved claim
*confirms* the statement line of that opening: the portal statement marks the line
"已确认 · 申领 #N" and the approval notification links to that line. Whether an unconfirmed
opening should be withheld from payment is a rule of the commission core, not of the portal.

Uploaded files are written to storage inside the transaction; a rolled-back claim can leave an
orphan file under <schema>/portal/ (never served: no row points at it)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from branches.audit import stamp
from branches.models import Branch
from clients.models import Client
from commissions.engine import period_of
from commissions import services as commission_services
from commissions.services import next_open_period, period_status
from hrsaas.core import inputs
from hrsaas.core.formatting import format_period
from hrsaas.core.money import MoneyError, parse_money
from notifications import words

from . import engine, selectors, uploads
from .models import ClaimPhoto, Inquiry, InquiryEvent, ManualAdjustment, RewardClaim

MAX_PHOTOS = 6


def _notify(**kwargs) -> None:
    from notifications.services import notification_create

    notification_create(**kwargs)


# ---------------------------------------------------------------------------------------------
# Reward claims (开户奖励申领)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClaimInput:
    client_ref: int
    tier_index: int
    note: str
    photos: tuple  # uploaded files, checked; (file, content_type)


def _int(value, field: str, errors: dict, *, low: int, high: int) -> int | None:
    text = "" if value is None else str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        errors.setdefault(field, []).append(_("须为整数。"))
        return None
    number = int(text)
    if not low <= number <= high:
        errors.setdefault(field, []).append(_("须在 %(a)d 到 %(b)d 之间。") % {"a": low, "b": high})
        return None
    return number


def parse_claim(data, files: list) -> ClaimInput:
    """Input errors (400, nothing saved): a missing/non-numeric client number or tier, no photo, a
    photo of the wrong type, too large, or with a fake extension. Business checks are the
    automatic review's (the claim is kept, rejected with its reason)."""
    errors: dict[str, list[str]] = {}
    client_ref = _int(data.get("client"), "client", errors, low=1, high=2**62)
    tier = _int(data.get("tier"), "tier", errors, low=0, high=20)
    text_errors = inputs.Errors()
    note = inputs.parse_text(data, "note", text_errors, max_length=300, required=False)
    for field, messages in text_errors.errors.items():
        errors.setdefault(field, []).extend(messages)
    photos = []
    if not files:
        errors.setdefault("photos", []).append(_("请上传至少一张客户资料照片。"))
    elif len(files) > MAX_PHOTOS:
        errors.setdefault("photos", []).append(_("最多上传 %(n)d 张照片。") % {"n": MAX_PHOTOS})
    else:
        for f in files:
            try:
                photos.append((f, uploads.check_upload(f, field="photos", allowed=uploads.PHOTO_TYPES)))
            except ValidationError as exc:
                for msg in exc.message_dict["photos"]:
                    errors.setdefault("photos", []).append(msg)
    if errors:
        raise ValidationError(errors)
    return ClaimInput(client_ref=client_ref, tier_index=tier, note=note, photos=tuple(photos))


def _claim_link(branch: Branch, claim: RewardClaim) -> str:
    return f"/b/{branch.code}/me/claims/{claim.pk}/"


def _statement_link(branch: Branch, claim: RewardClaim) -> str:
    """The statement line of the client's opening reward. It lives on the claimant's home-branch
    statement (跨区域支援: possibly another branch's portal)."""
    home = Branch.objects.filter(pk=claim.claimant.home_branch_id).values_list("code", flat=True).first() or branch.code
    client = claim.client
    return f"/b/{home}/me/statement/{period_of(client.opened_on)}/#line-{branch.code}-client-{client.pk}-opening_reward"


def _claim_notify(branch: Branch, claim: RewardClaim, *, overridden: bool = False) -> None:
    if claim.status == RewardClaim.Status.APPROVED:
        title = words.w("您的开户奖励申领 #%(id)d 已通过", id=claim.pk)
        link = _statement_link(branch, claim) if claim.client else _claim_link(branch, claim)
    else:
        title = words.w("您的开户奖励申领 #%(id)d 未通过", id=claim.pk)
        link = _claim_link(branch, claim)
    body = words.sentence("claim_review", claim.reason_code, claim.review_args)
    if overridden:
        body = words.join([words.w("经理改判:%(note)s。", note=claim.override_note), body], sep="")
    _notify(recipient_id=claim.claimant_id, words={"title": title, "body": body}, kind="reward_claim", link=link,
            dedupe_key=f"claim:{claim.pk}:{claim.status}:{'override' if overridden else 'auto'}")


def _statement_facts(branch: Branch, client: Client | None, claimant) -> tuple:
    """(the claimant's opening-reward line for `client`, the opening month, whether that month is
    open) on the claimant's home-branch statement (跨区域支援: possibly another branch's schema)."""
    if client is None:
        return None, "", False
    period = period_of(client.opened_on)
    home = Branch.objects.filter(pk=claimant.home_branch_id).first() or branch
    with connection.cursor() as cur:
        cur.execute(
            f'SELECT id, period, base, amount FROM "{home.schema_name}".commissions_statementline '
            "WHERE period = %s AND earner_id = %s AND source = %s AND component = 'opening_reward' "
            "AND corrects IS NULL", [period, claimant.pk, f"{branch.code}:client:{client.pk}"])
        row = cur.fetchone()
        if row is None:  # opened into a month already closed: the reward is a correction line (提成更正)
            cur.execute(
                f'SELECT id, period, NULL, amount FROM "{home.schema_name}".commissions_statementline '
                "WHERE corrects_period = %s AND earner_id = %s AND source = %s AND corrects = %s AND amount > 0 "
                "ORDER BY id DESC LIMIT 1", [period, claimant.pk, f"{branch.code}:client:{client.pk}",
                                             f"opening_reward@{period}"])
            row = cur.fetchone()
    line = engine.StatementLineFact(line_id=row[0], period=row[1], base=row[2], amount=row[3]) if row else None
    return line, period, period_status(home, period) == "open"


def check_upload_quota(actor, adding: int, *, field: str) -> None:
    """Photos and attachments one person stores in a branch in 24 hours are capped
    (`settings.UPLOAD_QUOTA_BYTES_PER_DAY`): each upload is checked (8 MB, its real type), but
    without a cap one account could fill the disk — 48 MB a claim, kept even when the claim is
    rejected at once (the review of 2026-12-05). Checked inside the writing transaction, after
    taking the person's upload lock (held to the commit)."""
    from django.conf import settings
    from django.db.models import Sum

    from hrsaas.core import locks

    if adding <= 0:
        return
    # Two uploads of one person at once would each see the other's bytes missing: they take
    # turns from here to their commit.
    locks.take((locks.Lock.PORTAL_UPLOADS, f"{connection.schema_name}:{actor.pk}"))
    since = timezone.now() - dt.timedelta(hours=24)
    used = (ClaimPhoto.objects.filter(claim__claimant_id=actor.pk, created_at__gte=since)
            .aggregate(n=Sum("size"))["n"] or 0)
    used += (InquiryEvent.objects.filter(author_id=actor.pk, created_at__gte=since)
             .aggregate(n=Sum("attachment_size"))["n"] or 0)
    cap = settings.UPLOAD_QUOTA_BYTES_PER_DAY
    if used + adding > cap:
        raise ValidationError({field: [_("24 小时内上传的照片和附件已达 %(mb)d MB 上限,请明天再上传;如确有需要,请联系分支机构经理。")
                                       % {"mb": cap // (1024 * 1024)}]})


def claim_submit(*, actor, branch: Branch, data: ClaimInput) -> RewardClaim:
    """Store the claim with its photos and review it at once: approved the same day, or rejected
    with the first failing check as the reason. The client row is locked so that two claims of
    one client cannot both pass; the database refuses a second approved claim anyway."""
    with transaction.atomic():
        client = Client.objects.select_for_update().filter(pk=data.client_ref).first()
        # The rule in force when the claimant's own client opened; for any other number today's,
        # as for a number no client has: the tiers and amount the answer carries must not tell
        # when a colleague's client opened (nor that it exists).
        own = client is not None and client.opened_by_id == actor.pk
        version = selectors.opening_rule_on(client.opened_on if own else timezone.localdate())
        approved = (RewardClaim.objects.filter(client=client, status=RewardClaim.Status.APPROVED)
                    .values_list("pk", flat=True).first() if client else None)
        rule = version.rule if version else None
        if rule is not None and data.tier_index >= len(rule.tiers):
            raise ValidationError({"tier": [_("没有这个档位。")]})
        line, period, period_open = _statement_facts(branch, client, actor)
        review = engine.review_claim(engine.ClaimFacts(
            client_ref=data.client_ref, client_exists=client is not None,
            opener_id=client.opened_by_id if client else None, headcount=client.headcount if client else None,
            claimant_id=actor.pk, approved_claim_id=approved, claimed_tier=data.tier_index, rule=rule,
            line=line, period=period, period_open=period_open, client_name=client.name if client else ""))
        claim = RewardClaim(
            client=client, client_ref=data.client_ref, claimant=actor, tier_index=data.tier_index,
            tier_amount=rule.tiers[data.tier_index].amount if rule else Decimal("0.00"),
            rule_version_id=version.id if version else None, note=data.note,
            status=RewardClaim.Status.APPROVED if review.approved else RewardClaim.Status.REJECTED,
            reason_code=review.code, reason=review.reason[:300], review_args=review.args, decided_at=timezone.now(),
            statement_line_id=line.line_id if (review.approved and line) else None,
            statement_period=period if review.approved else "")
        check_upload_quota(actor, sum(upload.size or 0 for upload, _type in data.photos), field="photos")
        stamp(claim, actor=actor, reason="开户奖励申领:自动审核")
        claim.save()
        for upload, content_type in data.photos:
            name = uploads.store(upload, folder=f"claims/{claim.pk}", content_type=content_type)
            ClaimPhoto.objects.create(claim=claim, file=name, content_type=content_type, size=upload.size,
                                      original_name=(upload.name or "")[:200])
        _claim_notify(branch, claim)
    return claim


def override_args(*, approve: bool, line, period: str, client_name: str = "") -> dict:
    """What a manager's decision changes on the statement, as data for engine.review_text
    ("override"): a claim confirms money the recompute computes from the opening; it never adds
    or removes it."""
    args = {"approve": approve, "period": line.period if line is not None else period, "client": client_name}
    if line is not None:
        args["amount"] = str(line.amount)
    return args


def claim_override(*, actor, branch: Branch, claim_id: int, approve: bool, note: str) -> RewardClaim:
    """A branch manager's decision over the automatic one, with a note (audited)."""
    if not selectors.is_reviewer(actor, branch):
        raise PermissionDenied(_("仅分支机构经理可以改判。"))
    # Invisible characters are no note; a line break counts once.
    note = inputs.text_box(note, "note", limit=300, required=_("改判须填写说明。"))
    with transaction.atomic():
        claim = RewardClaim.objects.select_for_update().filter(pk=claim_id).first()
        if claim is None:
            raise Http404
        status = RewardClaim.Status.APPROVED if approve else RewardClaim.Status.REJECTED
        if approve and claim.client_id is None:
            raise ValidationError({"note": [_("客户不存在,不能批准。")]})
        if claim.status == status:
            raise ValidationError({"note": [_("申领已是「%(s)s」状态。") % {"s": claim.get_status_display()}]})
        if approve and RewardClaim.objects.filter(client_id=claim.client_id, status=RewardClaim.Status.APPROVED) \
                .exclude(pk=claim.pk).exists():
            raise ValidationError({"note": [_("该客户已有通过的申领,不能重复批准。")]})
        line, period, _open = _statement_facts(branch, claim.client, claim.claimant) if claim.client_id else (None, "", False)
        claim.status, claim.overridden_by, claim.override_note = status, actor, note
        claim.reason_code, claim.decided_at = "override", timezone.now()
        claim.review_args = override_args(approve=approve, line=line, period=period,
                                          client_name=claim.client.name if claim.client_id else "")
        claim.reason = engine.review_text("override", claim.review_args)[:300]
        claim.statement_line_id = line.line_id if (approve and line) else None
        claim.statement_period = period if approve else ""
        stamp(claim, actor=actor, reason=f"经理改判:{note}")
        try:
            with transaction.atomic():
                claim.save()
        except IntegrityError:
            raise ValidationError({"note": [_("该客户已有通过的申领,不能重复批准。")]})
        _claim_notify(branch, claim, overridden=True)
    return claim


# ---------------------------------------------------------------------------------------------
# Inquiries (申诉)
# ---------------------------------------------------------------------------------------------
def _text(value, field: str, *, required: bool = True, max_length: int = 2000) -> str:
    return inputs.text({field: value}, field, required=required, max_length=max_length)


def _attachment(upload) -> tuple[str, str, str] | None:
    if not upload:
        return None
    content_type = uploads.check_upload(upload, field="attachment", allowed=uploads.ATTACHMENT_TYPES)
    return content_type, upload.name[:200], upload


def _event(inquiry, *, author, kind, body="", attachment=None) -> InquiryEvent:
    event = InquiryEvent(inquiry=inquiry, author=author, kind=kind, body=body)
    if attachment is not None:
        content_type, original, upload = attachment
        check_upload_quota(author, upload.size or 0, field="attachment")
        event.attachment = uploads.store(upload, folder=f"inquiries/{inquiry.pk}", content_type=content_type)
        event.attachment_name, event.attachment_type = original, content_type
        event.attachment_size = upload.size or 0
    event.save()
    return event


def _inquiry_link(branch: Branch, inquiry: Inquiry) -> str:
    return f"/b/{branch.code}/me/inquiries/{inquiry.pk}/"


def inquiry_raise(*, actor, branch: Branch, period: str, key: str, comment, attachment=None) -> Inquiry:
    """A question about one line of my statement (404 if it is not one of mine)."""
    line = selectors.access_line(actor, branch, period, key)
    comment = _text(comment, "comment")
    att = _attachment(attachment)
    now = timezone.now()
    with transaction.atomic():
        inquiry = Inquiry(raised_by=actor, period=period, line_source=line["source"],
                          line_component=line["component"], line_corrects=line.get("corrects") or "",
                          line_amount=Decimal(line["amount"]), line_explanation=line["explanation"][:500],
                          line_explanation_en=(line.get("explanation_en") or "")[:500],
                          comment=comment,
                          due_at=engine.add_working_days(timezone.localtime(now), selectors.sla_working_days()))
        stamp(inquiry, actor=actor, reason="提出申诉")
        inquiry.save()
        _event(inquiry, author=actor, kind=InquiryEvent.Kind.RAISED, body=comment, attachment=att)
        for manager_id in selectors.branch_managers(branch):
            _notify(recipient_id=manager_id, words={"title": words.w("新的申诉 #%(id)d:%(who)s", id=inquiry.pk,
                                                                     who=actor.label)},
                    body=comment[:500], kind="inquiry", link=f"/b/{branch.code}/review/inquiries/{inquiry.pk}/",
                    dedupe_key=f"inquiry:{inquiry.pk}:raised")
    return inquiry


def _locked_inquiry(inquiry_id: int) -> Inquiry:
    inquiry = Inquiry.objects.select_for_update().filter(pk=inquiry_id).first()
    if inquiry is None:
        raise Http404
    return inquiry


def inquiry_comment(*, actor, branch: Branch, inquiry_id: int, body, attachment=None) -> InquiryEvent:
    """The raiser adds to the thread, or the branch manager answers (the first answer stops the
    SLA clock)."""
    body = _text(body, "body")
    att = _attachment(attachment)
    reviewer = selectors.is_reviewer(actor, branch)
    with transaction.atomic():
        inquiry = _locked_inquiry(inquiry_id)
        if inquiry.raised_by_id != actor.pk and not reviewer:
            raise Http404
        if inquiry.status == Inquiry.Status.RESOLVED:
            raise ValidationError({"body": [_("申诉已解决,不能再回复。")]})
        answering = reviewer and inquiry.raised_by_id != actor.pk
        event = _event(inquiry, author=actor, kind=InquiryEvent.Kind.ANSWER if answering else InquiryEvent.Kind.COMMENT,
                       body=body, attachment=att)
        if answering:
            if inquiry.answered_at is None:
                inquiry.answered_at = event.created_at
            inquiry.status = Inquiry.Status.ANSWERED
            stamp(inquiry, actor=actor, reason="经理答复")
            inquiry.save()
            _notify(recipient_id=inquiry.raised_by_id, words={"title": words.w("您的申诉 #%(id)d 有了答复", id=inquiry.pk)},
                    body=body[:500], kind="inquiry", link=_inquiry_link(branch, inquiry),
                    dedupe_key=f"inquiry:{inquiry.pk}:answer:{event.pk}")
    return event


def parse_adjustment_amount(value) -> Decimal | None:
    """Blank → None (the resolution changes no money); else a non-zero amount, ≤ 2 places."""
    if not str(value or "").strip():
        return None
    try:
        amount = parse_money(value, allow_negative=True, maximum=Decimal("1000000"))
    except MoneyError as exc:
        message = {"places": _("金额最多保留 2 位小数。"), "too_large": _("金额过大。")}.get(
            exc.code, _("不是有效的金额:%(v)s") % {"v": str(value)[:30]})
        raise ValidationError({"amount": [message]}) from None
    if amount == 0:
        raise ValidationError({"amount": [_("调整金额不能为 0;不调整请留空。")]})
    return amount


def inquiry_resolve(*, actor, branch: Branch, inquiry_id: int, resolution, amount: Decimal | None,
                    today: dt.date | None = None) -> Inquiry:
    """Close an inquiry. With an amount, a manual adjustment is posted in the next open period
    (this month if open), pointing at the line; the line itself is never edited."""
    if not selectors.is_reviewer(actor, branch):
        raise PermissionDenied(_("仅分支机构经理可以处理申诉。"))
    resolution = _text(resolution, "resolution")
    today = today or timezone.localdate()
    with transaction.atomic():
        inquiry = _locked_inquiry(inquiry_id)
        if inquiry.status == Inquiry.Status.RESOLVED:
            raise ValidationError({"resolution": [_("申诉已解决。")]})
        now = timezone.now()
        inquiry.status, inquiry.resolution, inquiry.resolved_at, inquiry.resolved_by = (
            Inquiry.Status.RESOLVED, resolution, now, actor)
        if inquiry.answered_at is None:
            inquiry.answered_at = now
        stamp(inquiry, actor=actor, reason="申诉处理完毕")
        inquiry.save()
        _event(inquiry, author=actor, kind=InquiryEvent.Kind.RESOLVED, body=resolution)
        if amount is not None:
            current = period_of(today)
            target = current if period_status(branch, current) == "open" else next_open_period(branch, current)
            corrects = "/".join([inquiry.period, inquiry.line_source, inquiry.line_component]
                                + ([inquiry.line_corrects] if inquiry.line_corrects else []))
            adj = ManualAdjustment(inquiry=inquiry, earner_id=inquiry.raised_by_id, period=target, amount=amount,
                                   corrects=corrects[:120], reason=resolution[:300], created_by=actor)
            stamp(adj, actor=actor, reason=f"申诉 #{inquiry.pk} 调整")
            adj.save()
            # The money reaches the statement, its total, the rollup and the payout as a line
            # of its own; the line the inquiry was about stays as it was.
            commission_services.manual_line_post(
                actor=actor, earner_id=inquiry.raised_by_id, period=target, amount=amount,
                reference=f"inquiry:{inquiry.pk}", event_date=today)
            _event(inquiry, author=actor, kind=InquiryEvent.Kind.ADJUSTMENT,
                   body=_("调整 %(amount)s 元,计入 %(period)s。") % {"amount": engine.money(amount),
                                                                  "period": format_period(target)})
        _notify(recipient_id=inquiry.raised_by_id, words={"title": words.w("您的申诉 #%(id)d 已处理", id=inquiry.pk)},
                body=resolution[:500], kind="inquiry", link=_inquiry_link(branch, inquiry),
                dedupe_key=f"inquiry:{inquiry.pk}:resolved")
    return inquiry
