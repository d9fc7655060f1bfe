"""HQ side of commissions (public schema)."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .rules import COMPONENTS

COMPONENT_CHOICES = [(c, c) for c in COMPONENTS]


class RuleVersion(models.Model):
    """One effective-dated version of an HQ rule component. Never edited once saved: a change is
    a new version (enforced by a trigger, see migration 0002)."""

    component = models.CharField(max_length=30, choices=COMPONENT_CHOICES)
    effective_from = models.DateField()
    params = models.JSONField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey("branches.User", null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["component", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["component", "effective_from"], name="rule_version_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.component}@{self.effective_from}"


class HQSetting(models.Model):
    """Company-wide commission settings (a single row)."""

    cross_branch_no_shrink = models.BooleanField(
        _("跨区域支援不低于本分支机构标准"), default=True,
        help_text=_("开启后,跨区域支援的提成不低于专员所属分支机构规则下应得的金额。"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(user_db_constraint=False)

    @classmethod
    def current(cls) -> "HQSetting":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class RegisteredAdjustment(models.Model):
    """HQ's register (备案) of branch float adjustments: a copy of each approved adjustment.

    The engine reads adjustments from here (one public table for every branch, so cross-branch
    support and the no-shrink guarantee can see any branch's rules)."""

    class Status(models.TextChoices):
        REGISTERED = "registered", _("已备案")
        REVOKED = "revoked", _("已撤销")

    branch = models.ForeignKey("branches.Branch", on_delete=models.PROTECT, related_name="+")
    adjustment_id = models.BigIntegerField()
    component = models.CharField(max_length=30, choices=COMPONENT_CHOICES)
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    revoked_from = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REGISTERED)
    reason = models.CharField(max_length=300)
    revoke_reason = models.CharField(max_length=300, blank=True)
    registered_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["branch_id", "component", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "adjustment_id"], name="register_once_per_adjustment"),
            models.CheckConstraint(condition=models.Q(percent__gte=-20) & models.Q(percent__lte=20),
                                   name="register_percent_within_cap"),
        ]


class BranchPeriod(models.Model):
    """A branch's commission month: open → closed (by the branch manager, statements locked) →
    paid (by HQ finance). Kept in public so that HQ (finance, rule validation, dashboards) sees
    every branch's periods without visiting each schema. A missing row means "open"."""

    class Status(models.TextChoices):
        OPEN = "open", _("未结算")
        CLOSED = "closed", _("已关账")
        PAID = "paid", _("已发放")

    branch = models.ForeignKey("branches.Branch", on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=7)  # YYYY-MM
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey("branches.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey("branches.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["branch_id", "period"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "period"], name="branch_period_once"),
            models.CheckConstraint(condition=models.Q(period__regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$"),
                                   name="branch_period_format"),
        ]


class EarnerMonthRollup(models.Model):
    """Each branch recompute upserts its people's monthly figures here, so that HQ's
    company-wide leaderboard reads one public table instead of visiting every schema."""

    branch = models.ForeignKey("branches.Branch", on_delete=models.CASCADE, related_name="earner_rollups")
    period = models.CharField(max_length=7)
    # No database constraint: people are soft-deleted, and a rollup row must never block that.
    user = models.ForeignKey("branches.User", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    openings = models.IntegerField(default=0)
    sales_amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    commission = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["branch", "period", "user"], name="rollup_once_per_earner_month"),
        ]
        indexes = [models.Index(fields=["period"])]


class PaymentProfile(models.Model):
    """工资发放信息: what a bank batch payment (银行批量代发) and a payroll import (薪资系统导入)
    need of one earner — 工号, 身份证号, 户名, 开户行, 开户支行, 账号. In public because users are.

    The identity number is stored as SI identities are (Fernet token + keyed hash, see
    social_insurance/crypto.py); the account number is encrypted with the same key. Only the
    masked forms are in the history, so the audit trail (who, when, before/after) never holds a
    readable number."""

    user = models.OneToOneField("branches.User", on_delete=models.PROTECT, related_name="payment_profile")
    employee_number = models.CharField(_("工号"), max_length=32, unique=True)
    id_number_enc = models.TextField()
    id_number_hash = models.CharField(max_length=64, db_index=True)
    id_number_masked = models.CharField(_("身份证号"), max_length=24)
    account_name = models.CharField(_("户名"), max_length=50)
    bank_name = models.CharField(_("开户行"), max_length=60)
    bank_branch = models.CharField(_("开户支行"), max_length=100)
    account_enc = models.TextField()
    account_masked = models.CharField(_("账号"), max_length=40)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey("branches.User", null=True, on_delete=models.PROTECT, related_name="+")

    history = HistoricalRecords(user_db_constraint=False,
                                excluded_fields=["id_number_enc", "id_number_hash", "account_enc", "updated_at"])

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(employee_number=""), name="payment_employee_number_required"),
            models.CheckConstraint(condition=~models.Q(bank_name="") & ~models.Q(bank_branch=""),
                                   name="payment_bank_required"),
        ]


class PayoutBatch(models.Model):
    """Paying one closed branch-period in two steps (发放复核): HQ finance prepares it with the
    count and total they checked; a second HQ finance user confirms it (or the same user
    re-enters the total); only then is the period paid and people notified. A prepared batch
    can be withdrawn until a bank file of that branch-period has been downloaded (after that,
    the file may already be at the bank)."""

    class Status(models.TextChoices):
        PREPARED = "prepared", _("待复核")
        CONFIRMED = "confirmed", _("已确认发放")
        WITHDRAWN = "withdrawn", _("已撤回")

    branch = models.ForeignKey("branches.Branch", on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=7)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREPARED)
    statements = models.IntegerField()
    total = models.DecimalField(max_digits=16, decimal_places=2)
    prepared_by = models.ForeignKey("branches.User", on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey("branches.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["-prepared_at"]
        constraints = [
            # At most one batch in flight or confirmed per branch-period.
            models.UniqueConstraint(fields=["branch", "period"], condition=~models.Q(status="withdrawn"),
                                    name="payout_batch_once_per_period"),
            models.CheckConstraint(condition=models.Q(total__gte=0) & models.Q(statements__gte=0),
                                   name="payout_batch_figures_not_negative"),
        ]


class PayoutFileDownload(models.Model):
    """Every payout file that left the system (bank batch or payroll import), per branch-period:
    who, when, which kind, how many rows and what total. A bank file download freezes the
    prepared batch (no withdrawal)."""

    class Kind(models.TextChoices):
        BANK = "bank", _("银行代发文件")
        PAYROLL = "payroll", _("薪资导入文件")

    branch = models.ForeignKey("branches.Branch", on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=7)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    rows = models.IntegerField()
    total = models.DecimalField(max_digits=16, decimal_places=2)
    downloaded_by = models.ForeignKey("branches.User", on_delete=models.PROTECT, related_name="+")
    downloaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["branch", "period", "kind"])]


class StatementReceipt(models.Model):
    """电子工资条: one earner's statement of a closed branch-period, sent when the period closes;
    opened, confirmed with one tap (一键确认) or questioned (an inquiry on the line concerned),
    reminded while neither. Kept as evidence: who, when and from where (IP, user agent), in the
    history. In public so HQ reads every branch's confirmation rate in one query."""

    branch = models.ForeignKey("branches.Branch", on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=7)
    earner = models.ForeignKey("branches.User", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    total = models.DecimalField(max_digits=16, decimal_places=2)
    sent_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    questioned_at = models.DateTimeField(null=True, blank=True)
    inquiry_id = models.BigIntegerField(null=True, blank=True)  # portal Inquiry in the branch's schema
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminders = models.IntegerField(default=0)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["branch", "period", "earner"], name="receipt_once_per_statement"),
        ]
        indexes = [models.Index(fields=["branch", "period"])]

    @property
    def state(self) -> str:
        if self.confirmed_at:
            return "confirmed"
        if self.questioned_at:
            return "questioned"
        return "opened" if self.opened_at else "sent"


class RuleDraft(models.Model):
    """A rule version HQ is considering (方案草案): replayed over past months without saving
    anything (`commissions.replay`), then published as a real `RuleVersion` through the same
    service as a version typed on the rules page — or discarded. Never edited after publishing."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草案")
        PUBLISHED = "published", _("已发布")
        DISCARDED = "discarded", _("已放弃")

    component = models.CharField(max_length=30, choices=COMPONENT_CHOICES)
    effective_from = models.DateField()
    params = models.JSONField()
    note = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey("branches.User", null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_version = models.ForeignKey(RuleVersion, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="+")
    decided_by = models.ForeignKey("branches.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["-created_at", "-id"]
