"""Performance appraisal (绩效) tables of one branch (they live in the branch schema).

Versioned things (template versions, bonus rule versions) are immutable: a change is a new row
with a higher version number; a database trigger refuses UPDATEs of them (see migration 0002).
Scores and lines are keyed by business keys so that a recompute is an upsert, never a duplicate.
"""
from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

USER_FK = dict(on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")


class Department(models.Model):
    """A department (部门) of the branch: 社保部, 理赔部, 财务部, 人事部, 客服部 …"""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    # The title of this department's quarterly individual award, e.g. 客服之星; blank = none.
    star_title = models.CharField(_("季度明星称号"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    MANAGER = "manager", _("部门经理")
    MEMBER = "member", _("成员")


class DepartmentMember(models.Model):
    """A person's place in the branch's organisation: one department each."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="members")
    user = models.ForeignKey("branches.User", **USER_FK)
    role = models.CharField(max_length=10, choices=MemberRole.choices, default=MemberRole.MEMBER)
    # A free job title (岗位) used to pick a role-specific template, e.g. "specialist".
    position = models.CharField(_("岗位"), max_length=40, blank=True)
    joined_on = models.DateField(_("入职日期"), null=True, blank=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user"], name="perf_member_one_department")]
        indexes = [models.Index(fields=["department", "role"])]


class KpiTemplate(models.Model):
    """A template family for a department (optionally one position in it). Its content lives in
    immutable versions; seasonal variants are versions with a `season` and months."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="templates")
    position = models.CharField(_("岗位"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["department", "position"], name="perf_template_per_dept_position"),
        ]


class KpiTemplateVersion(models.Model):
    template = models.ForeignKey(KpiTemplate, on_delete=models.PROTECT, related_name="versions")
    # A seasonal variant: "all" (all year) or e.g. "peak" (开门红) with the months it covers.
    season = models.SlugField(max_length=20, default="all")
    season_label = models.CharField(max_length=40, blank=True)
    months = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True)
    version = models.PositiveIntegerField()
    effective_from = models.DateField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey("branches.User", null=True, **USER_FK)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["template_id", "season", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["template", "season", "version"], name="perf_template_version_unique"),
        ]


class Formula(models.TextChoices):
    LINEAR = "linear", _("线性达标(至目标满分)")
    CAPPED = "capped", _("线性封顶")
    THRESHOLDS = "thresholds", _("阶梯")
    POINTS = "points", _("达标得分+超额加分")


class Direction(models.TextChoices):
    HIGHER = "higher", _("越高越好")
    LOWER = "lower", _("越低越好")


class KpiIndicator(models.Model):
    version = models.ForeignKey(KpiTemplateVersion, on_delete=models.PROTECT, related_name="indicators")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    # The name English pages show (optional): an indicator's name is HR's words, in Chinese.
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True, default="")
    metric = models.CharField(max_length=40)
    weight = models.DecimalField(max_digits=5, decimal_places=2)
    target = models.DecimalField(max_digits=14, decimal_places=2)
    direction = models.CharField(max_length=6, choices=Direction.choices, default=Direction.HIGHER)
    formula = models.CharField(max_length=12, choices=Formula.choices, default=Formula.LINEAR)
    params = models.JSONField(default=dict, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="perf_indicator_code_unique"),
            models.CheckConstraint(condition=models.Q(weight__gt=0, weight__lte=100), name="perf_indicator_weight_range"),
        ]

    @property
    def display_name(self) -> str:
        """The name in the reader's language: the English name on English pages when HR gave
        one, else the (Chinese) name."""
        from hrsaas.core.formatting import is_english

        return self.name_en if self.name_en and is_english() else self.name


class EnteredValue(models.Model):
    """A value entered or imported for a period (YYYY-MM or YYYY-Qn): per person, or per
    department (user NULL) — e.g. 理赔部's average claim days."""

    period = models.CharField(max_length=7)
    metric = models.CharField(max_length=40)
    user = models.ForeignKey("branches.User", null=True, blank=True, **USER_FK)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=14, decimal_places=2)
    entered_by = models.ForeignKey("branches.User", null=True, **USER_FK)
    entered_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "metric", "user"], condition=models.Q(user__isnull=False),
                                    name="perf_value_once_per_person"),
            models.UniqueConstraint(fields=["period", "metric", "department"], condition=models.Q(user__isnull=True),
                                    name="perf_value_once_per_department"),
            models.CheckConstraint(condition=models.Q(user__isnull=False) | models.Q(department__isnull=False),
                                   name="perf_value_has_subject"),
        ]
        indexes = [models.Index(fields=["period", "metric"])]


class CycleKind(models.TextChoices):
    MONTHLY = "monthly", _("月度")
    QUARTERLY = "quarterly", _("季度")


class CycleStatus(models.TextChoices):
    OPEN = "open", _("待计算")
    COMPUTED = "computed", _("待审核")
    FINALISED = "finalised", _("已定稿")


class AppraisalCycle(models.Model):
    kind = models.CharField(max_length=10, choices=CycleKind.choices)
    period = models.CharField(max_length=7, unique=True)
    starts_on = models.DateField()
    ends_on = models.DateField()
    status = models.CharField(max_length=10, choices=CycleStatus.choices, default=CycleStatus.OPEN)
    computed_at = models.DateTimeField(null=True, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey("branches.User", null=True, blank=True, **USER_FK)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="perf_cycle_dates"),
        ]

    def __str__(self) -> str:
        return self.period


class Score(models.Model):
    """One person's result in one cycle. `computed_total` comes from the data; `total` is what
    counts (equal to it unless a manager adjusted it, with a note)."""

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="scores")
    user = models.ForeignKey("branches.User", **USER_FK)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    template_version = models.ForeignKey(KpiTemplateVersion, on_delete=models.PROTECT, related_name="+")
    computed_total = models.DecimalField(max_digits=7, decimal_places=2)
    max_total = models.DecimalField(max_digits=7, decimal_places=2)
    total = models.DecimalField(max_digits=7, decimal_places=2)
    adjusted = models.BooleanField(default=False)
    adjust_note = models.CharField(max_length=500, blank=True)
    adjusted_by = models.ForeignKey("branches.User", null=True, blank=True, **USER_FK)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["-total", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "user"], name="perf_score_once_per_cycle"),
            models.CheckConstraint(condition=models.Q(total__gte=0, total__lte=models.F("max_total")),
                                   name="perf_score_total_in_range"),
        ]
        indexes = [models.Index(fields=["cycle", "department"])]


class ScoreLine(models.Model):
    """What drove a score: one line per indicator (bulk-written; no history of its own)."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="lines")
    indicator = models.ForeignKey(KpiIndicator, on_delete=models.PROTECT, related_name="+")
    metric = models.CharField(max_length=40)
    actual = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    target = models.DecimalField(max_digits=14, decimal_places=2)
    raw_score = models.DecimalField(max_digits=7, decimal_places=2)
    weight = models.DecimalField(max_digits=5, decimal_places=2)
    weighted = models.DecimalField(max_digits=7, decimal_places=2)
    explanation = models.CharField(max_length=300)

    class Meta:
        ordering = ["score_id", "id"]
        constraints = [models.UniqueConstraint(fields=["score", "indicator"], name="perf_line_once_per_indicator")]


class Survey(models.Model):
    """A satisfaction survey (满意度调查) about a department, answered by other departments."""

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="surveys")
    target_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="surveys")
    title = models.CharField(max_length=200)
    # Answer → points; the default scale is 满意 = 10, 一般 = 5, 不满意 = 0.
    scale = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cycle", "target_department"], name="perf_survey_per_cycle_dept")]


class SurveyAnswer(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="answers")
    respondent = models.ForeignKey("branches.User", **USER_FK)
    answer = models.CharField(max_length=20)
    points = models.DecimalField(max_digits=5, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "respondent"], name="perf_answer_once")]


class Review(models.Model):
    """A multi-rater (多维评价) review of one person by someone of another department, 0–10."""

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="reviews")
    subject = models.ForeignKey("branches.User", **USER_FK)
    reviewer = models.ForeignKey("branches.User", **USER_FK)
    points = models.DecimalField(max_digits=4, decimal_places=2)
    comment = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cycle", "subject", "reviewer"], name="perf_review_once"),
            models.CheckConstraint(condition=models.Q(points__gte=0, points__lte=10), name="perf_review_points_range"),
        ]


class RuleKind(models.TextChoices):
    LINKED_FACTOR = "linked_factor", _("联动系数(支持部门随业务部门)")
    TIED_SHARE = "tied_share", _("奖金挂钩比例")


class BonusRule(models.Model):
    """A bonus rule version (data, never edited): a change is a new version of the same code."""

    code = models.SlugField(max_length=40)
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    linked_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateField()
    params = models.JSONField()
    created_by = models.ForeignKey("branches.User", null=True, **USER_FK)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="perf_bonus_rule_version_unique")]


class BonusBase(models.Model):
    """A department's base bonus (奖金基数) for a cycle, entered by HR."""

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="bonus_bases")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cycle", "department"], name="perf_bonus_base_once"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="perf_bonus_base_non_negative"),
        ]


class BonusLine(models.Model):
    """An explainable bonus result: rule version, inputs, factor, amount, zh/en explanation."""

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="bonus_lines")
    rule = models.ForeignKey(BonusRule, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    base_amount = models.DecimalField(max_digits=14, decimal_places=2)
    inputs = models.JSONField()
    factor = models.DecimalField(max_digits=7, decimal_places=2)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    explanation_zh = models.CharField(max_length=400)
    explanation_en = models.CharField(max_length=400)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["department_id", "rule_id"]
        constraints = [models.UniqueConstraint(fields=["cycle", "rule", "department"], name="perf_bonus_line_once")]


class AwardKind(models.TextChoices):
    STAR = "star", _("季度之星")
    BEST_TEAM = "best_team", _("最佳团队")


class Award(models.Model):
    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="awards")
    kind = models.CharField(max_length=10, choices=AwardKind.choices)
    title = models.CharField(max_length=60)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey("branches.User", null=True, blank=True, **USER_FK)
    score = models.DecimalField(max_digits=7, decimal_places=2)
    explanation = models.CharField(max_length=300)
    # Audited: who chose (or chose again) a quarter's awards, and what they replaced.
    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cycle", "kind", "department"], condition=models.Q(kind="star"),
                                    name="perf_star_once_per_department"),
            models.UniqueConstraint(fields=["cycle", "kind"], condition=models.Q(kind="best_team"),
                                    name="perf_best_team_once"),
        ]


class RiskFlag(models.Model):
    """An attrition-risk (离职风险) flag for one person in one cycle, with its reasons."""

    cycle = models.ForeignKey(AppraisalCycle, on_delete=models.PROTECT, related_name="risk_flags")
    user = models.ForeignKey("branches.User", **USER_FK)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=6)
    reasons = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cycle", "user"], name="perf_risk_once")]
