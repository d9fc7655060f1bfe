"""History imports and the parallel run (branch schema).

An import keeps the uploaded rows as text (so the column mapping can change without a new
upload), the mapping, the rules chosen for the comparison and the three checks' report. It
never writes statement lines, sales or clients: history months are past (closed or paid by
hand); they are recorded here as they were paid, and compared, never recomputed into the
statements."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from hrsaas.core.period import PERIOD_PATTERN


class HistoryImport(models.Model):
    class Kind(models.TextChoices):
        HISTORY = "history", _("历史数据导入")
        PARALLEL = "parallel", _("并行期月份")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("待确认列映射")
        CHECKED = "checked", _("已校验")
        ACCEPTED = "accepted", _("已导入")

    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.UPLOADED)
    filename = models.CharField(_("文件名"), max_length=200)
    period = models.CharField(_("月份"), max_length=7, blank=True)  # the parallel-run month
    header = models.JSONField(default=list)
    rows = models.JSONField(default=list)  # [[row number, [cell text, …]], …]
    row_count = models.PositiveIntegerField(default=0)
    mapping = models.JSONField(default=dict)  # field → column index
    rules = models.JSONField(default=dict)  # the rules chosen for the comparison (see services)
    rules_text = models.CharField(_("比对规则"), max_length=300, blank=True)
    report = models.JSONField(default=dict)
    format_issues = models.PositiveIntegerField(default=0)
    logic_issues = models.PositiveIntegerField(default=0)
    differences = models.PositiveIntegerField(default=0)
    lines_compared = models.PositiveIntegerField(default=0)
    error_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)  # % of rows with a problem
    uploaded_by = models.ForeignKey("branches.User", on_delete=models.DO_NOTHING, db_constraint=False,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey("branches.User", null=True, blank=True, on_delete=models.DO_NOTHING,
                                    db_constraint=False, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)

    # The rows and the report are large; the audit trail keeps who did what and the counts.
    history = HistoricalRecords(user_db_constraint=False, excluded_fields=["header", "rows", "report"])

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(period="") | models.Q(period__regex=PERIOD_PATTERN),
                                   name="history_import_period_format"),
            models.CheckConstraint(condition=~models.Q(kind="parallel") | ~models.Q(period=""),
                                   name="history_parallel_has_period"),
        ]


class ParallelSignOff(models.Model):
    """HQ's sign-off of the branch's parallel run (并行期结束): who, when, on which months and at
    which error rate. One per branch; audited."""

    scope = models.CharField(max_length=20, default="parallel_run", editable=False)
    signed_by = models.ForeignKey("branches.User", on_delete=models.DO_NOTHING, db_constraint=False,
                                  related_name="+")
    signed_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(_("意见"), max_length=300, blank=True)
    months = models.JSONField(default=list)
    lines_compared = models.PositiveIntegerField(default=0)
    differences = models.PositiveIntegerField(default=0)
    error_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope"], name="parallel_signed_off_once")]
