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

    def is_active_on(self, day) -> bool:
        return self.opened_on <= day and (self.closed_on is None or self.closed_on > day)
