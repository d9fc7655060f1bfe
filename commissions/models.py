"""Branch side of commissions (branch schema)."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .hq.models import COMPONENT_CHOICES


class Adjustment(models.Model):
    """A branch float adjustment (浮动调整) of an HQ base component, at most ±20.00%.

    proposed (branch staff) → approved / rejected (branch manager) → registered with HQ (备案)
    → possibly revoked by HQ from a date."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        REVOKED = "revoked", _("已撤销")

    component = models.CharField(_("组件"), max_length=30, choices=COMPONENT_CHOICES)
    percent = models.DecimalField(_("浮动比例(%)"), max_digits=5, decimal_places=2)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("截止日期"), null=True, blank=True)
    reason = models.CharField(_("理由"), max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey("branches.User", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey("branches.User", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    revoked_from = models.DateField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(percent__gte=-20) & models.Q(percent__lte=20),
                                   name="adjustment_percent_within_cap"),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=models.F("effective_from")),
                name="adjustment_dates_ordered",
            ),
        ]
