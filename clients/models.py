"""Client companies (客户) of a branch: shared by commissions (开户, 销售) and social insurance."""
from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Service(models.TextChoices):
    SOCIAL_INSURANCE = "social_insurance", _("社保代缴")
    HOUSING_FUND = "housing_fund", _("公积金代缴")
    PAYROLL_OUTSOURCING = "payroll_outsourcing", _("薪酬外包")


class Grade(models.TextChoices):
    VIP = "vip", _("VIP")
    NORMAL = "normal", _("普通")


class OpeningSource(models.TextChoices):
    """Where a client's 开户 (opening) comes from."""
    MANUAL = "manual", _("手工录入")
    # The client's first month filed with insured people: that month, and its insured count.
    CYCLE = "cycle", _("首个申报月")
    # Registered; the opening follows from its first filed month (nothing paid before it).
    AWAITING = "awaiting", _("待首个申报月")


# The contracted service fee per insured person per month (服务费, 元/人·月), per service.
FEE_FIELDS = {"social_insurance": "fee_social_insurance", "housing_fund": "fee_housing_fund",
              "payroll_outsourcing": "fee_payroll_outsourcing"}


def _fee(verbose):
    return models.DecimalField(verbose, max_digits=10, decimal_places=2, default=0, db_default=0)


class Client(models.Model):
    name = models.CharField(_("客户名称"), max_length=200)
    # 客户查重 (clients/keys.py): the 统一社会信用代码 when given, else the normalised name.
    # db_default: bulk SQL loaders (bench/, fault drills) insert clients without these columns.
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, default="", db_default="")
    name_key = models.CharField(max_length=200, blank=True, default="", db_default="", db_index=True, editable=False)
    headcount = models.PositiveIntegerField(_("员工人数"))
    opened_on = models.DateField(_("开户日期"))
    # The opener may be another branch's specialist (跨区域支援); users live in public.
    opened_by = models.ForeignKey(
        "branches.User", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
        verbose_name=_("开户人"),
    )
    services = ArrayField(models.CharField(max_length=30, choices=Service.choices), default=list)
    grade = models.CharField(_("客户等级"), max_length=10, choices=Grade.choices, default=Grade.NORMAL)
    contract_no = models.CharField(_("合同编号"), max_length=60, blank=True)
    city = models.CharField(_("参保城市"), max_length=30, blank=True)
    closed_on = models.DateField(_("终止日期"), null=True, blank=True)
    # 开户 from the social-insurance cycle (issue #20): the source, and for `cycle` the first
    # filed month with insured people and its fee statement (headcount = that month's insured).
    opening_source = models.CharField(_("开户来源"), max_length=10, choices=OpeningSource.choices,
                                      default=OpeningSource.MANUAL, db_default=OpeningSource.MANUAL)
    opening_period = models.CharField(_("首个申报月"), max_length=7, blank=True, default="", db_default="")
    opening_statement_id = models.BigIntegerField(null=True, blank=True)
    fee_social_insurance = _fee(_("社保代缴服务费(元/人·月)"))
    fee_housing_fund = _fee(_("公积金代缴服务费(元/人·月)"))
    fee_payroll_outsourcing = _fee(_("薪酬外包服务费(元/人·月)"))
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(headcount__gte=1), name="client_headcount_positive"),
            models.CheckConstraint(
                condition=models.Q(closed_on__isnull=True) | models.Q(closed_on__gte=models.F("opened_on")),
                name="client_closed_after_opened",
            ),
            models.CheckConstraint(condition=models.Q(fee_social_insurance__gte=0, fee_housing_fund__gte=0,
                                                      fee_payroll_outsourcing__gte=0),
                                   name="client_service_fees_not_negative"),
        ]
        indexes = [models.Index(fields=["opened_by", "opened_on"]),
                   models.Index(fields=["credit_code"], name="client_credit_code",
                                condition=~models.Q(credit_code=""))]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        from .keys import normalise_name

        self.name_key = normalise_name(self.name)  # whatever path saves it (开户, an edit)
        super().save(*args, **kwargs)

    def service_fee(self, service: str):
        return getattr(self, FEE_FIELDS[service])

    def is_active_on(self, day) -> bool:
        return self.opened_on <= day and (self.closed_on is None or self.closed_on > day)
