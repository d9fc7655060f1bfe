"""Forms of the branch workspace pages (开户, 销售, 线索, 签约, import, period close).

The forms collect text; the rules are the services' parsers (`clients.services.parse_client`,
`commissions.services.parse_sale` …), the same as the API's. A page first lets the form check
what a browser can get wrong (required fields, a choice), then runs the service's parser on
what was typed and shows each of its messages next to its field — a field the form already
flagged keeps the form's message only — so every problem is shown at once, typed values kept."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.models import Service

from .models import Lead

DATE = {"type": "date"}
EARNERS = {"list": "earner-list", "autocomplete": "off", "maxlength": 150}



def _text(label, *, required=True, help_text="", **attrs):
    return forms.CharField(label=label, required=required, help_text=help_text,
                           widget=forms.TextInput(attrs=attrs) if attrs else forms.TextInput())


class ServiceForm(forms.Form):
    """A form whose values are validated by a service parser (see the module docstring)."""

    def service_data(self) -> dict:
        """What was typed, as the API would receive it."""
        return {name: (self.data.get(self.add_prefix(name)) or "").strip() for name in self.fields}

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for field, messages in errors.items():
            target = field if field in self.fields else None
            if target is not None and target in self.errors:
                continue  # the form's own message for that field is enough
            for m in messages:
                self.add_error(target, m)


class ClientForm(ServiceForm):
    name = _text(_("客户名称"), maxlength=200)
    headcount = _text(_("员工人数"), inputmode="numeric")
    opened_on = _text(_("开户日期"), **DATE)
    opened_by = _text(_("开户人(姓名或用户名)"), help_text=_("本分支机构或其他分支机构(跨区域支援)的专员、市场或销售人员"),
                      **EARNERS)
    services = forms.MultipleChoiceField(label=_("服务"), required=False, choices=Service.choices,
                                         widget=forms.CheckboxSelectMultiple)
    contract_no = _text(_("合同编号"), required=False, maxlength=60)
    city = _text(_("参保城市"), required=False, maxlength=30)
    credit_code = _text(_("统一社会信用代码"), required=False, maxlength=18, autocapitalize="characters",
                        help_text=_("18 位;填写后按它查重,否则按客户名称查重"))

    def service_data(self) -> dict:
        data = super().service_data()
        data["services"] = self.data.getlist(self.add_prefix("services")) if hasattr(self.data, "getlist") else []
        return data


class SaleForm(ServiceForm):
    client = _text(_("客户"), help_text=_("客户编号,或客户名称(须唯一)"), list="client-list", autocomplete="off")
    service = forms.ChoiceField(label=_("服务"), choices=[("", "—")] + list(Service.choices))
    period = _text(_("期间"), type="month", placeholder="YYYY-MM")
    amount = _text(_("金额(元)"), inputmode="decimal", placeholder="100000.00")
    seller = _text(_("销售人员(姓名或用户名)"), **EARNERS)
    add_service = forms.BooleanField(label=_("同时为客户新增此服务"), required=False,
                                     help_text=_("客户未签约该服务时勾选:服务将加入客户的签约服务"))

    def service_data(self) -> dict:
        data = super().service_data()
        data["add_service"] = self.data.get(self.add_prefix("add_service")) in ("on", "true", "1", "True")
        return data


class LeadForm(ServiceForm):
    name = _text(_("线索名称"), maxlength=200)
    source = forms.ChoiceField(label=pgettext_lazy("lead", "来源"), choices=[("", "—")] + list(Lead.Source.choices))
    marketer = _text(_("市场人员(姓名或用户名)"), required=False, help_text=_("市场线索必填;销售自拓线索留空"), **EARNERS)
    created_on = _text(_("线索日期"), required=False, help_text=_("留空为今天"), **DATE)
    qualified = forms.BooleanField(label=_("有效线索"), required=False, initial=True)

    def service_data(self) -> dict:
        data = super().service_data()
        data["qualified"] = self.data.get(self.add_prefix("qualified")) in ("on", "true", "1", "True")
        return data


class LeadSignForm(ServiceForm):
    amount = _text(_("签约金额(元)"), inputmode="decimal")
    signed_on = _text(_("签约日期"), **DATE)
    seller = _text(_("成交销售(姓名或用户名)"), **EARNERS)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("导入内容"), choices=[("clients", _("客户开户")), ("sales", _("销售"))])
    file = forms.FileField(label=_("文件(CSV 或 XLSX)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not (upload.name or "").lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("请上传 .csv 或 .xlsx 文件。"))
        return upload


class CloseForm(forms.Form):
    confirm = forms.BooleanField(label=_("我已核对以上人员、笔数和金额,确认关账(关账后不可修改)"),
                                 error_messages={"required": _("请勾选确认后再关账。")})
