"""Locality policies (社保政策) per city and policy year, in the public schema.

A policy year is a version: once a branch has filed a month under it (`locked_at` set), its
amounts and dates are frozen by database triggers (migration 0002); a new year is a new row.
Sources, confidence and notes stay editable: they describe the data, not the money.
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from social_insurance.engine import ITEM_KINDS, ITEM_LABELS


class Confidence(models.TextChoices):
    HIGH = "high", _("高")
    MEDIUM = "medium", _("中")
    LOW = "low", _("低(来源不一致)")


class ItemKind(models.TextChoices):
    PENSION = "pension", _("养老保险")
    MEDICAL = "medical", _("医疗保险")
    MATERNITY = "maternity", _("生育保险")
    UNEMPLOYMENT = "unemployment", _("失业保险")
    WORK_INJURY = "work_injury", _("工伤保险")
    HOUSING_FUND = "housing_fund", _("住房公积金")


assert tuple(ItemKind.values) == ITEM_KINDS and set(ITEM_LABELS) == set(ITEM_KINDS)


def _money(verbose, **kw):
    return models.DecimalField(verbose, max_digits=12, decimal_places=2, **kw)


def _percent(verbose, **kw):
    return models.DecimalField(verbose, max_digits=6, decimal_places=2, **kw)


class CityPolicy(models.Model):
    city = models.SlugField(_("城市代码"), max_length=30)
    name = models.CharField(_("城市"), max_length=30)
    year_label = models.CharField(_("政策年度"), max_length=20)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    rounding_social = models.CharField(_("社保舍入"), max_length=40, default="fen_half_up")
    rounding_housing_fund = models.CharField(_("公积金舍入"), max_length=40, default="yuan_half_up_per_side")
    rounding_note = models.TextField(_("舍入说明"), blank=True)
    sources = models.JSONField(_("来源"), default=list)
    confidence = models.CharField(_("可信度"), max_length=10, choices=Confidence.choices)
    notes = models.TextField(_("备注"), blank=True)
    # Set when the first branch files a month under this version; from then on it is frozen.
    locked_at = models.DateTimeField(_("已用于申报"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["city", "effective_from"]
        verbose_name = _("社保政策版本")
        constraints = [
            models.UniqueConstraint(fields=["city", "year_label"], name="si_policy_city_year_unique"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="si_policy_dates_ordered",
            ),
            # No two versions of a city overlap in time: a trigger (migration 0003) rather than an
            # exclusion constraint, which would need the btree_gist extension that embedded and
            # managed PostgreSQL builds do not always ship.
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.year_label}"


class PolicyItem(models.Model):
    policy = models.ForeignKey(CityPolicy, on_delete=models.PROTECT, related_name="items")
    kind = models.CharField(_("险种"), max_length=20, choices=ItemKind.choices)
    base_floor = _money(_("基数下限"))
    base_ceiling = _money(_("基数上限"), null=True, blank=True)
    employer_percent = _percent(_("单位比例%"), null=True, blank=True)
    employee_percent = _percent(_("个人比例%"), default=0)
    employer_fixed = _money(_("单位固定金额"), default=0)
    employee_fixed = _money(_("个人固定金额"), default=0)
    # 工伤: the employer rate is chosen by industry class inside this range.
    employer_rate_min = _percent(_("单位费率下限%"), null=True, blank=True)
    employer_rate_max = _percent(_("单位费率上限%"), null=True, blank=True)
    # 公积金: one rate for both sides inside this range.
    rate_min = _percent(_("缴存比例下限%"), null=True, blank=True)
    rate_max = _percent(_("缴存比例上限%"), null=True, blank=True)
    whole_percent = models.BooleanField(_("须为整数百分比"), default=False)
    supplementary_min = _percent(_("补充公积金下限%"), null=True, blank=True)
    supplementary_max = _percent(_("补充公积金上限%"), null=True, blank=True)
    rounding = models.CharField(_("舍入方式"), max_length=40)
    note = models.TextField(_("说明"), blank=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["policy", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "kind"], name="si_item_kind_once_per_policy"),
            models.CheckConstraint(
                condition=Q(base_ceiling__isnull=True) | Q(base_ceiling__gte=models.F("base_floor")),
                name="si_item_ceiling_above_floor",
            ),
            models.CheckConstraint(condition=Q(base_floor__gte=0), name="si_item_floor_not_negative"),
            models.CheckConstraint(
                condition=Q(rate_min__isnull=True) | Q(rate_max__gte=models.F("rate_min")),
                name="si_item_rate_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(employer_rate_min__isnull=True) | Q(employer_rate_max__gte=models.F("employer_rate_min")),
                name="si_item_employer_range_ordered",
            ),
            # Exactly one way to know the employer rate: fixed percent, range, or HF rate range.
            models.CheckConstraint(
                condition=(
                    Q(employer_percent__isnull=False, employer_rate_min__isnull=True, rate_min__isnull=True)
                    | Q(employer_percent__isnull=True, employer_rate_min__isnull=False, rate_min__isnull=True)
                    | Q(employer_percent__isnull=True, employer_rate_min__isnull=True, rate_min__isnull=False)
                ),
                name="si_item_one_employer_rate_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} · {self.get_kind_display()}"


class CitySetting(models.Model):
    """Per-city operating settings (no official monthly cut-off exists: see the data file)."""

    city = models.SlugField(_("城市代码"), max_length=30, unique=True)
    # A start after this day of the month is added (增员) next month; empty: no cut-off.
    add_cutoff_day = models.PositiveSmallIntegerField(_("增员截止日"), null=True, blank=True)
    # False: a leaver is insured up to the end of the month before the leaving month.
    remove_covers_leaving_month = models.BooleanField(_("减员当月仍参保"), default=False)
    back_payment_months_limit = models.PositiveSmallIntegerField(_("补缴最多月数"), default=3)
    reconcile_day = models.PositiveSmallIntegerField(_("增减员核对截止日"), default=5)
    file_day = models.PositiveSmallIntegerField(_("申报截止日"), default=10)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(add_cutoff_day__isnull=True) | Q(add_cutoff_day__gte=1, add_cutoff_day__lte=31),
                name="si_setting_add_cutoff_day_range",
            ),
            models.CheckConstraint(condition=Q(reconcile_day__gte=1, reconcile_day__lte=28), name="si_setting_reconcile_day"),
            models.CheckConstraint(condition=Q(file_day__gte=1, file_day__lte=28), name="si_setting_file_day"),
            models.CheckConstraint(condition=Q(back_payment_months_limit__lte=60), name="si_setting_back_pay_limit"),
        ]

    def __str__(self) -> str:
        return self.city


class InsuredIdentitySpan(models.Model):
    """HQ registry: the months in which a branch insures a (keyed-hashed) identity number.

    One row per insured employee record, not per month: each branch's monthly compute writes
    only what changed since its last compute (joiners, leavers, corrected dates), so a month's
    compute does no work for people whose insurance runs on. HQ's duplicate-insurance check
    reads only this table and `RepeatedIdentity`, never a branch schema, names or full numbers."""

    branch = models.ForeignKey("branches.Branch", on_delete=models.CASCADE, related_name="si_identity_spans",
                               db_index=False)
    employee_id = models.BigIntegerField()  # the branch's own employee id, to diff against it
    id_hash = models.CharField(max_length=64)
    id_masked = models.CharField(max_length=20)
    first_month = models.DateField()
    last_month = models.DateField(null=True, blank=True)  # NULL: insured until further notice

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["branch", "employee_id"], name="si_identity_span_unique"),
            models.CheckConstraint(condition=Q(last_month__isnull=True) | Q(last_month__gte=models.F("first_month")),
                                   name="si_identity_span_ordered"),
        ]
        indexes = [models.Index(fields=["id_hash"], name="si_identity_span_hash")]


class RepeatedIdentity(models.Model):
    """Identity hashes registered more than once (in one branch or several), kept with the
    registry by the same compute: the duplicate checks start from this short list instead of
    probing the registry once per insured person."""

    id_hash = models.CharField(max_length=64, primary_key=True)
