from django import forms
from django.utils.translation import gettext_lazy as _

from .models import HistoryImport


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("用途"), choices=HistoryImport.Kind.choices)
    period = forms.CharField(label=_("并行期月份"), required=False, help_text=_("并行期月份必填,例如 2026-11"),
                             widget=forms.TextInput(attrs={"type": "month"}))
    file = forms.FileField(label=_("文件(CSV 或 XLSX)"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))


class SignOffForm(forms.Form):
    note = forms.CharField(label=_("意见"), required=False, max_length=300)
    accept_differences = forms.BooleanField(label=_("接受现有差异(已核实,仍结束并行期)"), required=False)
