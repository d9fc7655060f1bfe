"""The specialist portal's own tables (branch schema): reward claims with their photos, and
inquiries (申诉) about statement lines with their thread and the manual adjustments they post.

Statement lines themselves belong to commissions and are only read here. An inquiry points at a
line by its business key (period, source, component, corrects) — line ids change on every
recompute, the key does not.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

USER_FK = dict(on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")


class RewardClaim(models.Model):
    """开户奖励申领: a specialist's claim of the opening reward for one client, with photos.

    Reviewed automatically when submitted (approved the same day or rejected with the reason); a
    branch manager may override either way with a note. At most one approved claim per client
    (database constraint)."""

    class Status(models.TextChoices):
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("已驳回")

    # Null when the client number given does not exist in this branch (the claim is kept, rejected).
    client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    client_ref = models.BigIntegerField(_("客户编号"))
    claimant = models.ForeignKey("branches.User", **USER_FK)
    tier_index = models.PositiveSmallIntegerField(_("申领档位"))
    tier_amount = models.DecimalField(max_digits=14, decimal_places=2)  # the tier's amount as shown when claiming
    rule_version_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    reason_code = models.CharField(max_length=30, blank=True)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    # What the review found, as data (period, amount, tier, client name …): pages render the
    # reason from it in the reader's language (portal.engine.review_text); `reason` keeps the
    # sentence as written (notification, API, claims reviewed before this field existed).
    review_args = models.JSONField(default=dict, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField()
    overridden_by = models.ForeignKey("branches.User", null=True, blank=True, **USER_FK)
    override_note = models.CharField(_("改判说明"), max_length=300, blank=True)
    # The statement line an approval confirms (on the claimant's home-branch statement); empty
    # while the open month's recompute has not written it yet (statement_period says which month).
    statement_line_id = models.BigIntegerField(_("结算单行"), null=True, blank=True)
    statement_period = models.CharField(_("结算期间"), max_length=7, blank=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client"], condition=models.Q(status="approved"),
                                    name="claim_approved_once_per_client"),
            models.CheckConstraint(condition=models.Q(tier_amount__gte=0), name="claim_tier_amount_not_negative"),
            models.CheckConstraint(condition=models.Q(overridden_by__isnull=True) | ~models.Q(override_note=""),
                                   name="claim_override_has_note"),
        ]
        indexes = [models.Index(fields=["claimant", "created_at"]), models.Index(fields=["status"])]


class ClaimPhoto(models.Model):
    claim = models.ForeignKey(RewardClaim, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(max_length=300)  # stored under <schema>/portal/claims/…
    content_type = models.CharField(max_length=30)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class Inquiry(models.Model):
    """申诉: a question about one statement line, answered by the branch manager within the SLA."""

    class Status(models.TextChoices):
        OPEN = "open", _("待答复")
        ANSWERED = "answered", _("已答复")
        RESOLVED = "resolved", _("已解决")

    raised_by = models.ForeignKey("branches.User", **USER_FK)
    period = models.CharField(max_length=7)
    line_source = models.CharField(max_length=60)
    line_component = models.CharField(max_length=30)
    line_corrects = models.CharField(max_length=45, blank=True)
    line_amount = models.DecimalField(max_digits=14, decimal_places=2)  # as it was when raised
    line_explanation = models.CharField(max_length=500, blank=True)
    # The same explanation in English, kept when the question is raised (the line may change later).
    line_explanation_en = models.CharField(max_length=500, blank=True, default="", db_default="")
    comment = models.TextField(_("问题描述"), max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    due_at = models.DateTimeField()  # SLA: first answer by the branch manager
    answered_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey("branches.User", null=True, blank=True, **USER_FK)
    resolution = models.TextField(_("处理结果"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["raised_by", "created_at"]), models.Index(fields=["status", "due_at"])]


class InquiryEvent(models.Model):
    """One entry of an inquiry's thread and timeline (append-only)."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("提出申诉")
        COMMENT = "comment", _("补充说明")
        ANSWER = "answer", _("经理答复")
        RESOLVED = "resolved", _("已解决")
        ADJUSTMENT = "adjustment", _("调整入账")

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="events")
    author = models.ForeignKey("branches.User", **USER_FK)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    body = models.TextField(blank=True, max_length=2000)
    attachment = models.FileField(max_length=300, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_type = models.CharField(max_length=30, blank=True)
    attachment_size = models.PositiveIntegerField(default=0, db_default=0)  # bytes (the upload quota)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class ManualAdjustment(models.Model):
    """人工调整: money posted by an inquiry's resolution, in the next open period, pointing at the
    line it concerns. The line itself is never edited. Until the commission core reads these
    rows into the statement, the portal shows them next to the statement (see the report)."""

    inquiry = models.OneToOneField(Inquiry, on_delete=models.PROTECT, related_name="adjustment")
    earner = models.ForeignKey("branches.User", **USER_FK)
    period = models.CharField(max_length=7)  # where it is posted (an open period)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    corrects = models.CharField(max_length=120)  # "<period>/<source>/<component>[/<corrects>]"
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey("branches.User", **USER_FK)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["period", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="manual_adjustment_not_zero"),
            models.CheckConstraint(condition=models.Q(period__regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$"),
                                   name="manual_adjustment_period_format"),
        ]
        indexes = [models.Index(fields=["earner", "period"])]
