"""Forms of the 客户管理 pages. They collect text; the rules are `clients.services`' parsers (the
API's), whose messages are shown next to their fields (see commissions.forms.ServiceForm)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from commissions.forms import ServiceForm

from .models import Grade, OpeningSource, Service


def _text(label, *, required=True, help_text="", **attrs):
    return forms.CharField(label=label, required=required, help_text=help_text, widget=forms.TextInput(attrs=attrs))


class _ClientFields(ServiceForm):
    name = _text(_("客户名称"), maxlength=200)
    headcount = _text(_("员工人数"), inputmode="numeric", help_text=_("决定开户奖励档位:≤50、51–100、≥101 人"))
    services = forms.MultipleChoiceField(label=_("服务"), required=False, choices=Service.choices,
                                         widget=forms.CheckboxSelectMultiple)
    grade = forms.ChoiceField(label=_("客户等级"), choices=Grade.choices, initial=Grade.NORMAL)
    contract_no = _text(_("合同编号"), required=False, maxlength=60)
    city = forms.ChoiceField(label=_("参保城市"), required=False, choices=())
    fee_social_insurance = _text(_("社保代缴服务费(元/人·月)"), required=False, inputmode="decimal",
                                 help_text=_("按每月费用明细表的参保人数计费,也是销售提成的基数"))
    fee_housing_fund = _text(_("公积金代缴服务费(元/人·月)"), required=False, inputmode="decimal")
    fee_payroll_outsourcing = _text(_("薪酬外包服务费(元/人·月)"), required=False, inputmode="decimal")

    def __init__(self, *args, cities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["city"].choices = [("", "—")] + list(cities)

    def service_data(self) -> dict:
        data = super().service_data()
        data["services"] = self.data.getlist(self.add_prefix("services")) if hasattr(self.data, "getlist") else []
        return data


OPENING_CHOICES = [(OpeningSource.AWAITING, _("取自首个申报月(参保人数定档,无需录入开户)")),
                   (OpeningSource.MANUAL, _("手工录入(如仅签约社保以外的服务)"))]


class ClientCreateForm(_ClientFields):
    opening_source = forms.ChoiceField(label=_("开户方式"), choices=OPENING_CHOICES, initial=OpeningSource.MANUAL,
                                       required=False,
                                       help_text=_("取自首个申报月:客户首个有参保人员的申报月即为开户月,按该月参保人数定档"))
    opened_on = _text(_("开户日期"), type="date")
    opened_by = forms.ChoiceField(label=_("开户人"), choices=(),
                                  help_text=_("本分支机构或其他分支机构(跨区域支援)的专员、市场或销售人员"))
    field_order = ["name", "opening_source", "headcount", "opened_on", "opened_by", "services", "grade", "contract_no",
                   "city", "fee_social_insurance", "fee_housing_fund", "fee_payroll_outsourcing"]

    def __init__(self, *args, earners=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Chosen by display name; the value sent is the username the service parses.
        self.fields["opened_by"].choices = [("", "—")] + list(earners)


class ClientEditForm(_ClientFields):
    """Opening date and opener are the 开户 event and are not edited (clients.services.ClientChanges)."""


class ClientCloseForm(ServiceForm):
    closed_on = _text(_("终止日期"), type="date")
