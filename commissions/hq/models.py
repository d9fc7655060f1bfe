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
