from django import forms
from django.utils.translation import gettext_lazy as _

from .models import BRANCH_CODE_RE


class BranchForm(forms.Form):
    code = forms.RegexField(
        label=_("编码"), regex=BRANCH_CODE_RE, max_length=31,
        error_messages={"invalid": _("编码须以小写字母开头,只含小写字母、数字和连字符,长度 2–31。")},
        help_text=_("例如 beijing、sh-pudong"),
    )
    name = forms.CharField(label=_("名称"), max_length=100)
    city = forms.CharField(label=_("城市"), max_length=50, required=False)
