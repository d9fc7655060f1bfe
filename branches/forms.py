from django import forms
from django.utils.translation import gettext_lazy as _

from .models import BRANCH_CODE_RE


class BranchForm(forms.Form):
    code = forms.RegexField(
        label=_("编码"), regex=BRANCH_CODE_RE, max_length=31,
        error_messages={"invalid": _("编码须以小写字母开头,只含小写字母、数字和连字符,长度 2–31。")},
        help_text=_("例如 bj-chaoyang、sh-pudong"),
    )
    name = forms.CharField(label=_("名称"), max_length=100)
    city = forms.ChoiceField(label=_("城市"), required=False, help_text=_("参保人员的默认参保城市;可选有社保政策的城市"))

    def __init__(self, *args, cities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["city"].choices = [("", "—")] + list(cities)


class PersonForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    display_name = forms.CharField(label=_("显示名称"), max_length=100, required=False)
    email = forms.EmailField(label=_("邮箱"), required=False)
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput(render_value=True))
    home_branch = forms.ChoiceField(label=_("所属分支机构"), required=False)
    role_branch = forms.ChoiceField(label=_("角色所在"), required=False)
    role = forms.ChoiceField(label=_("角色"), required=False)

    def __init__(self, *args, branches=(), **kwargs):
        super().__init__(*args, **kwargs)
        from .roles import Role

        branch_choices = [(b.code, b.name) for b in branches]
        self.fields["home_branch"].choices = [("", "—")] + branch_choices
        self.fields["role_branch"].choices = [("", _("总部"))] + branch_choices
        self.fields["role"].choices = [("", "—")] + list(Role.choices)


class RoleGrantForm(forms.Form):
    role_branch = forms.ChoiceField(label=_("角色所在"), required=False)
    role = forms.ChoiceField(label=_("角色"))

    def __init__(self, *args, branches=(), **kwargs):
        super().__init__(*args, **kwargs)
        from .roles import Role

        self.fields["role_branch"].choices = [("", _("总部"))] + [(b.code, b.name) for b in branches]
        self.fields["role"].choices = list(Role.choices)
