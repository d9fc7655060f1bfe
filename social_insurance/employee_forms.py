"""Forms of the 参保员工 pages. They collect text; the rules are the services' (employee_clean,
employee_end), whose messages are shown next to their fields, so the page and the API agree."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from commissions.forms import ServiceForm


def _text(label, *, required=True, help_text="", **attrs):
    return forms.CharField(label=label, required=required, help_text=help_text, widget=forms.TextInput(attrs=attrs))


class EmployeeAddForm(ServiceForm):
    """增员: field names are the service's (services.IMPORT_COLUMNS)."""

    client = forms.ChoiceField(label=_("客户"), choices=())
    name = _text(_("姓名"), maxlength=100)
    id_number = _text(_("身份证号"), maxlength=18, autocomplete="off", inputmode="text",
                      help_text=_("18 位,末位可为 X;保存后只显示脱敏号码"))
    insured_city = forms.ChoiceField(label=_("参保地"), choices=())
    contract_city = forms.ChoiceField(label=_("合同签订地"), required=False, choices=(), help_text=_("留空同参保地"))
    payroll_city = forms.ChoiceField(label=_("工资发放地"), required=False, choices=(), help_text=_("留空同参保地"))
    wage = _text(_("申报工资(元)"), inputmode="decimal", placeholder="8000.00")
    housing_fund_percent = _text(_("公积金比例%"), required=False, inputmode="decimal", help_text=_("留空按城市下限"))
    injury_rate = _text(_("工伤费率%"), required=False, inputmode="decimal", help_text=_("留空按城市下限"))
    start_date = _text(_("参保开始日期"), type="date")

    def __init__(self, *args, clients=(), cities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].choices = [("", "—")] + list(clients)
        self.fields["insured_city"].choices = [("", "—")] + list(cities)
        for name in ("contract_city", "payroll_city"):
            self.fields[name].choices = [("", _("同参保地"))] + list(cities)


class EmployeeRemoveForm(ServiceForm):
    end_date = _text(_("离职(参保结束)日期"), type="date")


class EmployeeBaseForm(ServiceForm):
    """调基: the new declared wage and housing-fund rate (services.employee_base_change)."""

    wage = _text(_("新申报工资(元)"), inputmode="decimal", placeholder="8000.00")
    housing_fund_percent = _text(_("公积金比例%"), required=False, inputmode="decimal", help_text=_("留空按城市下限"))


class EmployeeImportForm(forms.Form):
    file = forms.FileField(label=_("文件(CSV 或 XLSX)"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not (upload.name or "").lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("请上传 .csv 或 .xlsx 文件。"))
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("文件不能超过 5 MB。"))
        return upload
