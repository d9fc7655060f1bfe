"""Forms of the rule and adjustment pages.

The forms only collect text: every number, date and rule is validated by the same services as
the API (`parse_rule_version`, `parse_adjustment`), whose field paths (`tiers[1].amount`) are
mapped back onto the form's fields so that messages appear next to what was typed."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from hrsaas.core.forms import TextBoxField

from .rules import COMPONENTS, SERVICES

COMPONENT_TITLES = {
    "opening_reward": _("开户奖励"),
    "retention_bonus": _("留存奖励"),
    "sales_commission": _("销售提成"),
    "lead_attribution": _("市场/销售分成"),
}
SERVICE_TITLES = {"social_insurance": _("社保代缴"), "housing_fund": _("公积金代缴"), "payroll_outsourcing": _("薪酬外包")}
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
NUMBER = {"inputmode": "decimal"}


def _text(label, required=True, **attrs):
    return forms.CharField(label=label, required=required, widget=forms.TextInput(attrs=attrs or NUMBER))


class RuleVersionForm(forms.Form):
    """A new version of one component. Subclasses add the component's parameters."""

    component = ""
    effective_from = forms.CharField(label=_("生效日期"), widget=DATE)
    note = forms.CharField(label=_("说明"), required=False, max_length=200)

    def params(self) -> dict:
        raise NotImplementedError

    def payload(self) -> dict:
        """The API contract's JSON for what was typed (validated by the service)."""
        d = self.cleaned_data
        return {"component": self.component, "effective_from": d.get("effective_from", ""),
                "note": d.get("note", ""), **self.params()}

    def field_for(self, path: str) -> str | None:
        return path if path in self.fields else None

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for path, messages in errors.items():
            field = self.field_for(path)
            for m in messages:
                self.add_error(field, m)

    @staticmethod
    def initial_from(params: dict) -> dict:
        return {}


class OpeningRewardForm(RuleVersionForm):
    component = "opening_reward"
    ROWS = 5

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(self.ROWS):
            self.fields[f"tier{i}_max"] = _text(_("第 %(n)d 档:人数上限(最后一档留空=不设上限)") % {"n": i + 1},
                                                required=False, inputmode="numeric")
            self.fields[f"tier{i}_amount"] = _text(_("第 %(n)d 档:奖励金额(元)") % {"n": i + 1}, required=False)
        self.fields["clawback_months"] = _text(
            _("开户后多少个月内终止则扣回开户奖励(0 或留空=不扣回)"), required=False, inputmode="numeric")
        self._rows: list[int] = []

    def params(self) -> dict:
        tiers, self._rows = [], []
        for i in range(self.ROWS):
            mx = (self.cleaned_data.get(f"tier{i}_max") or "").strip()
            amount = (self.cleaned_data.get(f"tier{i}_amount") or "").strip()
            if mx or amount:
                self._rows.append(i)
                tiers.append({"max_headcount": mx or None, "amount": amount or None})
        return {"tiers": tiers, "clawback_months": (self.cleaned_data.get("clawback_months") or "").strip() or None}

    def field_for(self, path: str) -> str | None:
        if path.startswith("tiers[") and "]." in path:
            j = int(path[6:path.index("]")])
            key = "max" if path.endswith("max_headcount") else "amount"
            if j < len(self._rows):
                return f"tier{self._rows[j]}_{key}"
        return super().field_for(path)

    @staticmethod
    def initial_from(params: dict) -> dict:
        out = {}
        for i, t in enumerate(params.get("tiers", [])[:OpeningRewardForm.ROWS]):
            out[f"tier{i}_max"] = "" if t.get("max_headcount") is None else str(t["max_headcount"])
            out[f"tier{i}_amount"] = t.get("amount", "")
        out["clawback_months"] = params.get("clawback_months") or ""
        return out


class RetentionBonusForm(RuleVersionForm):
    component = "retention_bonus"
    months = _text(_("开户满多少个月"), inputmode="numeric")
    percent = _text(_("开户奖励的百分比(%)"))

    def params(self) -> dict:
        return {"months": self.cleaned_data.get("months", ""), "percent": self.cleaned_data.get("percent", "")}

    @staticmethod
    def initial_from(params: dict) -> dict:
        return {"months": params.get("months"), "percent": params.get("percent")}


EARN_ON_CHOICES = [("confirmed", _("客户确认费用明细表后计提")), ("payment", _("客户回款后计提(未回款显示为待回款)"))]


class SalesCommissionForm(RuleVersionForm):
    component = "sales_commission"
    new_client_months = _text(_("新客户期限(月)"), inputmode="numeric")
    earn_on = forms.ChoiceField(label=_("服务费销售提成的计提时点"), choices=EARN_ON_CHOICES, initial="confirmed",
                                required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for s in SERVICES:
            self.fields[f"{s}_new"] = _text(_("%(s)s:新客户费率(%%)") % {"s": SERVICE_TITLES[s]})
            self.fields[f"{s}_existing"] = _text(_("%(s)s:老客户费率(%%)") % {"s": SERVICE_TITLES[s]})

    def params(self) -> dict:
        d = self.cleaned_data
        return {"new_client_months": d.get("new_client_months", ""),
                "rates": [{"service": s, "new": d.get(f"{s}_new", ""), "existing": d.get(f"{s}_existing", "")}
                          for s in SERVICES], "earn_on": d.get("earn_on") or "confirmed"}

    def field_for(self, path: str) -> str | None:
        if path.startswith("rates[") and "]." in path:
            j = int(path[6:path.index("]")])
            key = path.rsplit(".", 1)[1]
            if j < len(SERVICES) and key in ("new", "existing"):
                return f"{SERVICES[j]}_{key}"
        return super().field_for(path)

    @staticmethod
    def initial_from(params: dict) -> dict:
        out = {"new_client_months": params.get("new_client_months"), "earn_on": params.get("earn_on", "confirmed")}
        for r in params.get("rates", []):
            out[f"{r['service']}_new"], out[f"{r['service']}_existing"] = r.get("new"), r.get("existing")
        return out


POINT_FIELDS = ("points_per_qualified_lead", "conversion_bonus_percent", "min_conversion_percent", "yuan_per_point")


class LeadAttributionForm(RuleVersionForm):
    component = "lead_attribution"
    marketing_percent = _text(_("市场线索:市场分成(%)"))
    sales_on_marketing_lead_percent = _text(_("市场线索:成交销售分成(%)"))
    sales_self_sourced_percent = _text(_("销售自拓:销售分成(%)"))
    points_per_qualified_lead = _text(_("积分方案(可选):每条有效线索积分"), required=False)
    conversion_bonus_percent = _text(_("积分方案:转化额外分成(%)"), required=False)
    min_conversion_percent = _text(_("积分方案:最低转化率(%)"), required=False)
    yuan_per_point = _text(_("积分方案:每积分折合金额(元)"), required=False)

    def params(self) -> dict:
        d = self.cleaned_data
        out = {k: d.get(k, "") for k in ("marketing_percent", "sales_on_marketing_lead_percent",
                                         "sales_self_sourced_percent")}
        if any(d.get(k) for k in POINT_FIELDS):
            out["points"] = {k: d.get(k) or None for k in POINT_FIELDS}
        return out

    def field_for(self, path: str) -> str | None:
        if path.startswith("points."):
            return path.split(".", 1)[1]
        return super().field_for(path)

    @staticmethod
    def initial_from(params: dict) -> dict:
        out = {k: params.get(k) for k in ("marketing_percent", "sales_on_marketing_lead_percent",
                                          "sales_self_sourced_percent")}
        out.update(params.get("points") or {})
        return out


RULE_FORMS: dict[str, type[RuleVersionForm]] = {
    f.component: f for f in (OpeningRewardForm, RetentionBonusForm, SalesCommissionForm, LeadAttributionForm)
}
assert set(RULE_FORMS) == set(COMPONENTS)


# ---------------------------------------------------------------------------------------------
# Branch float adjustments
# ---------------------------------------------------------------------------------------------
class AdjustmentForm(forms.Form):
    component = forms.ChoiceField(label=_("调整项目"), choices=[(c, COMPONENT_TITLES[c]) for c in COMPONENTS])
    percent = _text(_("浮动比例(%,-20.00 至 20.00)"))
    effective_from = forms.CharField(label=_("生效日期"), widget=DATE)
    effective_to = forms.CharField(label=_("截止日期(可选)"), required=False, widget=DATE)
    reason = TextBoxField(label=_("理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for field, messages in errors.items():
            for m in messages:
                self.add_error(field if field in self.fields else None, m)


class DecisionForm(forms.Form):
    note = TextBoxField(label=_("审批意见(驳回时必填)"), required=False, max_length=300,
                        widget=forms.Textarea(attrs={"rows": 2}))


class RevokeForm(forms.Form):
    effective_from = forms.CharField(label=_("撤销生效日期"), widget=DATE)
    reason = forms.CharField(label=_("撤销理由"), max_length=300)

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for field, messages in errors.items():
            for m in messages:
                self.add_error(field if field in self.fields else None, m)
