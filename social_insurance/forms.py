"""Forms of the 社保 pages. They only turn posted text into values; the rules (ranges, order of
the due days) are the services' (`policies.settings_api`), so the page and the API agree."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .policies.models import CitySetting


def _label(name: str):
    return CitySetting._meta.get_field(name).verbose_name


def _day_field(name: str, *, required: bool = True, help_text=""):
    return forms.IntegerField(
        label=_label(name), required=required, help_text=help_text,
        error_messages={"invalid": _("须为整数。"), "required": _("请填写。")},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class CitySettingForm(forms.Form):
    """One city's operating settings (HQ admin); one form per city on the page (prefix = city)."""

    add_cutoff_day = _day_field("add_cutoff_day", required=False,
                                help_text=_("该日之后开始参保的,次月增员;留空表示不设截止日。"))
    remove_covers_leaving_month = forms.BooleanField(
        label=_label("remove_covers_leaving_month"), required=False,
        help_text=_("不勾选:离职员工参保到离职前一个月末。"))
    back_payment_months_limit = _day_field("back_payment_months_limit", help_text=_("0–60 个月。"))
    reconcile_day = _day_field("reconcile_day", help_text=_("每月 1–28 日。"))
    file_day = _day_field("file_day", help_text=_("每月 1–28 日,不早于增减员核对截止日。"))


# ---------------------------------------------------------------------------------------------
# Base disputes (基数争议): plain text in, checked by services.dispute_raise / dispute_resolve /
# dispute_reject so the page and the API say the same things. The month is a text field shown
# as a list of the person's filed months, so a month posted from elsewhere gets the service's
# words ("只有已申报月份…") rather than a generic "not a valid choice"; nothing is required by
# the form itself, so an empty field gets the service's specific message ("请说明争议原因。").
# ---------------------------------------------------------------------------------------------
from commissions.forms import ServiceForm  # noqa: E402
from hrsaas.core.forms import TextBoxField  # noqa: E402


class DisputeRaiseForm(ServiceForm):
    period = forms.CharField(label=_("争议月份(已申报)"), required=False, widget=forms.Select())
    claimed_wage = forms.CharField(label=_("主张的申报工资(元)"), required=False, widget=forms.TextInput(
        attrs={"inputmode": "decimal", "placeholder": "12000.00", "autocomplete": "off"}))
    reason = TextBoxField(label=_("争议原因"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, months=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].widget.choices = list(months)


DISPUTE_NOTE_READERS = "将随通知发给提出人和该员工所属客户的联系人,请勿填写内部备注。"


class DisputeResolveForm(ServiceForm):
    corrected_wage = forms.CharField(label=_("更正后的申报工资(元)"), required=False, widget=forms.TextInput(
        attrs={"inputmode": "decimal", "autocomplete": "off"}))
    # The note is the settled dispute's message to the raiser and the person's company: said
    # beside the box, so nothing meant for the office alone is typed into it.
    note = TextBoxField(label=_("处理说明"), required=False, max_length=2000, help_text=_(DISPUTE_NOTE_READERS),
                        widget=forms.Textarea(attrs={"rows": 2}))


class DisputeRejectForm(ServiceForm):
    note = TextBoxField(label=_("驳回原因"), required=False, max_length=2000, help_text=_(DISPUTE_NOTE_READERS),
                        widget=forms.Textarea(attrs={"rows": 2}))
