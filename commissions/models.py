"""Branch side of commissions (branch schema)."""
from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clients.models import Service
from hrsaas.core.period import PERIOD_PATTERN

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

    component = models.CharField(_("调整项目"), max_length=30, choices=COMPONENT_CHOICES)
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


# ---------------------------------------------------------------------------------------------
# Commission events (besides clients.Client, whose opening is the 开户 event) and statements.
# ---------------------------------------------------------------------------------------------
PERIOD_RE = PERIOD_PATTERN  # the one pattern (hrsaas.core.period); the range is checked on input


class Sale(models.Model):
    """A client's billed amount for one service in one month (销售); earns the seller a commission."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    # Copied from the client when recorded (opening dates are never edited): lets the bulk
    # recompute decide new/existing without joining a million clients.
    client_opened_on = models.DateField()
    service = models.CharField(max_length=30)
    period = models.CharField(max_length=7)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    seller = models.ForeignKey("branches.User", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # `cycle`: derived by the social-insurance month compute from the service fee (服务费) billed on
    # the client's fee statement (`statement_id`); earned when that statement is confirmed or
    # paid, as the sales rule version says (`earn_on`). `manual`: recorded by hand, earned as recorded.
    source = models.CharField(max_length=10, default="manual", db_default="manual")
    statement_id = models.BigIntegerField(null=True, blank=True)
    statement_confirmed = models.BooleanField(default=False, db_default=False)
    statement_paid = models.BooleanField(default=False, db_default=False)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(source__in=["manual", "cycle"]), name="sale_source_known"),
            models.UniqueConstraint(fields=["client", "service", "period"], name="sale_once_per_client_service_period"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="sale_amount_positive"),
            models.CheckConstraint(condition=models.Q(period__regex=PERIOD_RE), name="sale_period_format"),
        ]
        indexes = [models.Index(fields=["period"]), models.Index(fields=["statement_id"], name="sale_statement")]


class LeadChannel(models.TextChoices):
    """Where a lead came from (渠道), the way marketing reports it. (Outside `Lead` so that its
    Meta can name the values in a constraint.)"""
    EXHIBITION = "exhibition", _("展会")
    ONLINE = "online", _("线上推广")
    REFERRAL = "referral", _("转介绍")
    TELEMARKETING = "telemarketing", _("电话营销")
    EXISTING_CLIENT = "existing_client", _("老客户")
    OTHER = "other", _("其他")


class Lead(models.Model):
    """A sales lead (线索): marketing-sourced or self-sourced by sales; signing it earns a share."""

    class Source(models.TextChoices):
        MARKETING = "marketing", _("市场线索")
        SALES = "sales", _("销售自拓")

    class Stage(models.TextChoices):
        """The lead's life, in order (each step recorded in LeadStageChange)."""
        ENTERED = "entered", _("录入")
        VISITED = "visited", _("到访")
        RECEIVED = "received", _("接待")
        INTENT = "intent", _("签约意向")
        ARCHIVED = "archived", _("合同归档")
        SETTLED = "settled", _("业绩结算")

    Channel = LeadChannel

    name = models.CharField(_("线索名称"), max_length=200)
    source = models.CharField(max_length=10, choices=Source.choices)
    marketer = models.ForeignKey("branches.User", null=True, blank=True, on_delete=models.DO_NOTHING,
                                 db_constraint=False, related_name="+")
    qualified = models.BooleanField(_("有效线索"), default=True)
    created_on = models.DateField()
    seller = models.ForeignKey("branches.User", null=True, blank=True, on_delete=models.DO_NOTHING,
                               db_constraint=False, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    signed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who works it: the seller following the lead up (跟进销售) — the self-sourcing seller, or the
    # one a marketer or manager hands a marketing lead to. The closing seller is `seller`.
    owner = models.ForeignKey("branches.User", null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+", verbose_name=_("跟进销售"))
    recorded_by = models.ForeignKey("branches.User", null=True, blank=True, on_delete=models.DO_NOTHING,
                                    db_constraint=False, related_name="+", verbose_name=_("录入人"))
    # db_default: bulk SQL loaders (bench/scale_demo.py) insert leads without these columns.
    stage = models.CharField(_("阶段"), max_length=10, choices=Stage.choices, default=Stage.ENTERED,
                             db_default=Stage.ENTERED)
    stage_since = models.DateTimeField(_("进入本阶段时间"), default=timezone.now, db_default=Now())
    # Who to call and what they want (all optional; db_default for the bulk SQL loaders too).
    contact = models.CharField(_("联系人"), max_length=50, blank=True, default="", db_default="")
    phone = models.CharField(_("联系电话"), max_length=30, blank=True, default="", db_default="")
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices, blank=True, default="",
                               db_default="")
    services = ArrayField(models.CharField(max_length=30, choices=Service.choices), verbose_name=_("意向服务"),
                          blank=True, default=list, db_default=[])
    notes = models.CharField(_("备注"), max_length=500, blank=True, default="", db_default="")

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(source="sales") | models.Q(marketer__isnull=False),
                                   name="lead_marketing_needs_marketer"),
            models.CheckConstraint(
                condition=models.Q(signed_on__isnull=True, amount__isnull=True, seller__isnull=True)
                | models.Q(signed_on__isnull=False, amount__gt=0, seller__isnull=False),
                name="lead_signed_fields_together",
            ),
            models.CheckConstraint(condition=models.Q(channel__in=["", *LeadChannel.values]),
                                   name="lead_channel_known"),
        ]
        indexes = [models.Index(fields=["signed_on"]), models.Index(fields=["created_on"]),
                   models.Index(fields=["stage", "stage_since"]), models.Index(fields=["marketer"]),
                   models.Index(fields=["owner"])]


class LeadStageChange(models.Model):
    """One step of a lead's life: who moved it into `stage`, and when. Append-only (the Lead's
    own history records the same step with its reason)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="stage_changes")
    stage = models.CharField(max_length=10, choices=Lead.Stage.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey("branches.User", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["lead", "stage"], name="lead_stage_once")]


class LeadDispute(models.Model):
    """归属争议: someone says they sourced a lead recorded as someone else's; the manager decides."""

    class Status(models.TextChoices):
        OPEN = "open", _("待裁决")
        UPHELD = "upheld", _("认定申诉人")
        REJECTED = "rejected", _("维持原归属")

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="disputes")
    raised_by = models.ForeignKey("branches.User", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    reason = models.CharField(_("理由"), max_length=500)
    raised_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey("branches.User", null=True, blank=True, on_delete=models.DO_NOTHING,
                                   db_constraint=False, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["lead", "raised_by"], condition=models.Q(status="open"),
                                               name="lead_dispute_one_open_per_person")]


class LeadPolicy(models.Model):
    """The branch's lead settings (one row): how long a lead may wait in a stage before the
    person whose turn it is and the manager are alerted (自动预警)."""

    stage_limit_days = models.PositiveSmallIntegerField(_("阶段停留上限(天)"), default=7)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(stage_limit_days__gte=1, stage_limit_days__lte=365),
                                              name="lead_policy_limit_range")]

    @classmethod
    def current(cls) -> "LeadPolicy":
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class StatementLine(models.Model):
    """One line of a person's monthly payout statement: written only by the recompute.

    Business key (period, earner, source, component, corrects): a retried recompute rewrites the
    same keys. Lines of a closed period are frozen by a database trigger (migration 0003); a
    later change to such a period is posted as a `correction` line in the next open period,
    with `corrects` = "<component>@<closed period>"."""

    period = models.CharField(max_length=7)
    earner = models.ForeignKey("branches.User", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    source = models.CharField(max_length=60)  # "<branch code>:<client|sale|lead>:<id>"
    component = models.CharField(max_length=30)
    corrects = models.CharField(max_length=45, null=True, blank=True)
    corrects_period = models.CharField(max_length=7, null=True, blank=True)
    source_branch = models.ForeignKey("branches.Branch", on_delete=models.DO_NOTHING, db_constraint=False,
                                      related_name="+")
    event_date = models.DateField()
    rule_version_id = models.BigIntegerField(null=True)
    base = models.DecimalField(max_digits=14, decimal_places=2)
    rate = models.DecimalField(max_digits=7, decimal_places=2)  # percent of base
    adjustment_percent = models.DecimalField(max_digits=5, decimal_places=2)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    # Set when the no-shrink guarantee raised a cross-branch line to the home branch's rules.
    home_rules_applied = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "earner", "source", "component", "corrects"],
                                    nulls_distinct=False, name="statement_line_business_key"),
            models.CheckConstraint(condition=models.Q(period__regex=PERIOD_RE), name="statement_line_period_format"),
            models.CheckConstraint(condition=models.Q(adjustment_percent__gte=-20) & models.Q(adjustment_percent__lte=20),
                                   name="statement_line_adjustment_within_cap"),
        ]
        indexes = [models.Index(fields=["earner", "period"]), models.Index(fields=["corrects_period"])]


class RecomputeMarker(models.Model):
    """"This branch-period needs a recompute": written in the same transaction as the event, so a
    lost queue message or a killed worker loses nothing (beat drains the table every 30 s)."""

    period = models.CharField(max_length=7)
    created_at = models.DateTimeField(auto_now_add=True)
    # A drain that cannot recompute this period records why and carries on with the others (one
    # bad period once stopped every later drain of its branch); the marker stays for a retry.
    # (database defaults: events write markers with raw INSERTs that name only the period)
    attempts = models.PositiveIntegerField(db_default=0)
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, db_default="")
    # The people whose lines the event touches (whose home branch is this one): the drain
    # recomputes only their lines. NULL: the whole branch-period (a recompute request, a marker
    # written before this column, an event without an earner).
    earners = ArrayField(models.BigIntegerField(), null=True, blank=True)
    # Where the event was recorded: another branch for 跨区域支援 (for reading; not used to compute).
    event_branch_id = models.IntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["period"])]
