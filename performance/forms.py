from django import forms
from django.utils.translation import gettext_lazy as _


class CycleForm(forms.Form):
    period = forms.CharField(label=_("期间"), max_length=7, help_text=_("月度 2026-03 或季度 2026-Q1"))


class AdjustForm(forms.Form):
    total = forms.CharField(label=_("调整后得分"), max_length=10)
    note = forms.CharField(label=_("调整说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class TemplateForm(forms.Form):
    """A template with its first version; indicators as JSON (the same shape as the API)."""

    code = forms.SlugField(label=_("编码"), max_length=40)
    name = forms.CharField(label=_("名称"), max_length=100)
    department = forms.ChoiceField(label=_("部门"))
    position = forms.CharField(label=_("岗位"), max_length=40, required=False)
    effective_from = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))
    indicators = forms.JSONField(
        label=_("指标"), widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_('例如 [{"code":"days","name":"理赔时效","metric":"claim_days","weight":"50","target":"2",'
                    '"direction":"lower"}, …],权重合计须为100'),
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d.code, d.name) for d in departments]
