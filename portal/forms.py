"""Forms of the portal pages. They only carry the fields back to the page with the errors next
to them; parsing and rules are the services' (so the page and the API refuse the same input)."""
from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clients.models import Service
from hrsaas.core.forms import TextBoxField
from hrsaas.core.money import MoneyError, parse_money

MAX_ESTIMATE_AMOUNT = Decimal("999999999.99")


def _whole(value: str, *, low: int, high: int) -> int:
    text = (value or "").strip()
    if not text.isdigit():
        if text.startswith("-") and text[1:].isdigit():
            raise forms.ValidationError(_("不能为负数。"))
        raise forms.ValidationError(_("请填写整数。"))
    number = int(text)
    if not low <= number <= high:
        raise forms.ValidationError(_("须在 %(a)d 到 %(b)d 之间。") % {"a": low, "b": high})
    return number


class EstimateForm(forms.Form):
    openings = forms.CharField(label=gettext_lazy("再开户数(户)"), required=False, initial="0",
                               widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    headcount = forms.CharField(label=gettext_lazy("每户员工人数"), required=False,
                                widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    sales_amount = forms.CharField(label=gettext_lazy("再增加的月销售额(元)"), required=False, initial="0",
                                   widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    service = forms.ChoiceField(label=gettext_lazy("服务"), choices=Service.choices, initial=Service.SOCIAL_INSURANCE)
    client_type = forms.ChoiceField(label=gettext_lazy("客户类型"), initial="new",
                                    choices=[("new", gettext_lazy("新客户")), ("existing", gettext_lazy("老客户"))])

    def clean_openings(self) -> int:
        return _whole(self.cleaned_data["openings"] or "0", low=0, high=1000)

    def clean_headcount(self) -> int | None:
        value = self.cleaned_data["headcount"]
        return None if not (value or "").strip() else _whole(value, low=1, high=1_000_000)

    # Marketing and sales only (lead_role set): what a lead of theirs signed this month brings.
    lead_amount = forms.CharField(label=gettext_lazy("再签约的线索金额(元)"), required=False, initial="0",
                                  widget=forms.TextInput(attrs={"inputmode": "decimal"}))

    def __init__(self, *args, lead_role: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead_role = lead_role
        if lead_role is None:
            del self.fields["lead_amount"]
        else:
            self.fields["lead_amount"].help_text = (
                _("您的市场线索由销售签约的金额(市场线索分成)") if lead_role == "marketer"
                else _("您自己开发并签约的线索金额(线索分成)"))

    def clean_sales_amount(self) -> Decimal:
        return self._amount("sales_amount")

    def clean_lead_amount(self) -> Decimal:
        return self._amount("lead_amount")

    def _amount(self, name: str) -> Decimal:
        text = (self.cleaned_data[name] or "0").strip()
        try:
            amount = parse_money(text, maximum=MAX_ESTIMATE_AMOUNT)
        except MoneyError as exc:
            raise forms.ValidationError({"negative": _("不能为负数。"), "places": _("金额最多保留 2 位小数。"),
                                         "too_large": _("金额过大。")}.get(exc.code, _("不是有效的金额:%(v)s") % {"v": text[:30]}))
        return amount.quantize(Decimal("0.01"))

    def clean(self):
        data = super().clean()
        if data.get("openings") and data.get("headcount") is None and "headcount" not in self.errors:
            self.add_error("headcount", _("填写了开户数时须填写员工人数。"))
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):  # the service checks each file (type, size)
        return data


class ClaimForm(forms.Form):
    client = forms.CharField(label=gettext_lazy("客户"))
    tier = forms.CharField(label=gettext_lazy("申领档位"))
    # Required (the label carries *): the service refuses a claim without one, in its own words.
    photos = MultipleFileField(label=gettext_lazy("客户资料照片(JPEG/PNG/HEIC,每张不超过 8 MB)"), required=True)
    note = forms.CharField(label=gettext_lazy("说明"), required=False, max_length=300)

    def __init__(self, *args, clients=(), tiers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].widget = forms.Select(choices=[("", "—")] + [
            (str(c["id"]), _("%(name)s(%(n)d人)") % {"name": c["name"], "n": c["headcount"]}
             + (_("(已申领)") if c["claimed"] else ""))
            for c in clients])
        self.fields["tier"].widget = forms.Select(choices=[(str(i), label) for i, label in enumerate(tiers)])
        self.fields["photos"].widget.attrs.update({"accept": "image/jpeg,image/png,image/heic,.heic,.heif"})


class InquiryForm(forms.Form):
    comment = TextBoxField(label=gettext_lazy("问题描述"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    attachment = forms.FileField(label=gettext_lazy("附件(可选:JPEG/PNG/HEIC/PDF,不超过 8 MB)"), required=False)


class ReplyForm(forms.Form):
    body = TextBoxField(label=gettext_lazy("回复"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    attachment = forms.FileField(label=gettext_lazy("附件(可选)"), required=False)


class ResolveForm(forms.Form):
    resolution = TextBoxField(label=gettext_lazy("处理结果"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    amount = forms.CharField(label=gettext_lazy("调整金额(元,可为负;不调整请留空)"), required=False,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))


class OverrideForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("改判为"), choices=[
        ("approve", gettext_lazy("通过")), ("reject", gettext_lazy("驳回"))])
    note = forms.CharField(label=gettext_lazy("改判说明"), max_length=300)


def add_service_errors(form: forms.Form, exc) -> None:
    for field, errors in exc.message_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)
