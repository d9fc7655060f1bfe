"""Every code the product stores, through the words its users use (Chinese; English when
switched). Pages, notifications and files for people show `label(kind, code)`, never the code:
an HR user reads 分支机构经理, not `branch_manager`; 到分,四舍五入, not `fen_half_up`.

An unknown code answers "" rather than the code itself, so that a new internal key cannot leak
onto a page unnoticed (the browser test's key patterns would not see an empty cell either, but
a missing label is then found by `tests/platform/test_labels.py`, which walks every choice)."""
from __future__ import annotations

from django.utils.translation import gettext, gettext_lazy as _, pgettext_lazy

ROLES = {
    "hq_admin": _("总部管理员"), "hq_finance": _("总部财务"), "branch_manager": _("分支机构经理"),
    "branch_staff": _("分支机构人事/运营"), "specialist": _("社保专员"), "marketing": _("市场"),
    "sales": _("销售"), "client_contact": _("客户联系人"),
}
# Statement-line components (commissions.engine.LINE_COMPONENTS, CORRECTION, MANUAL) and the
# HQ rule components they belong to.
COMPONENTS = {
    "opening_reward": _("开户奖励"), "retention_bonus": _("留存奖励"), "sales_commission": _("销售提成"),
    "lead_attribution": _("市场/销售分成"), "lead_marketing": _("市场线索分成"),
    "lead_sales": _("销售签约分成"), "lead_points": _("有效线索积分奖励"),
    "lead_conversion": _("线索转化奖励"), "correction": _("提成更正"),
    "manual_adjustment": _("申诉调整"), "opening_clawback": _("扣回开户奖励"),
    "balance_carried": _("负数结转"),
}
SERVICES = {"social_insurance": _("社保代缴"), "housing_fund": _("公积金代缴"),
            "payroll_outsourcing": _("薪酬外包")}
ROUNDING = {
    "fen_half_up": _("到分,四舍五入"), "jiao_half_up": _("到角,四舍五入"), "jiao_up": _("见分进角"),
    "yuan_half_up": _("到元,四舍五入"), "yuan_half_up_per_side": _("单位、个人各自到元,四舍五入"),
    "fen_down": _("到分,舍去"), "jiao_down": _("到角,舍去"), "yuan_down": _("到元,舍去"),
    "fen_up": _("到分,进位"), "yuan_up": _("到元,进位"), "jiao_half_up_per_side": _("单位、个人各自到角,四舍五入"),
    "fen_half_up_per_side": _("单位、个人各自到分,四舍五入"),
}
CONFIDENCE = {"high": pgettext_lazy("confidence", "高"), "medium": pgettext_lazy("confidence", "中"),
              "low": _("低(来源不一致)")}
CITIES = {"beijing": _("北京"), "shanghai": _("上海"), "guangzhou": _("广州"), "shenzhen": _("深圳"),
          "hangzhou": _("杭州")}
CLIENT_TYPE = {"new": _("新客户"), "existing": _("老客户"), True: _("新客户"), False: _("老客户")}
METRICS = {"openings": _("开户数"), "sales": _("销售额"), "commission": _("提成")}
KINDS = {"role": ROLES, "component": COMPONENTS, "service": SERVICES, "rounding": ROUNDING,
         "confidence": CONFIDENCE, "city": CITIES, "client_type": CLIENT_TYPE, "metric": METRICS}


def label(kind: str, code) -> str:
    """The words for `code` of `kind` in the active language; "" when unknown or empty."""
    if code is None or code == "":
        return ""
    table = KINDS.get(kind)
    if table is None:
        raise KeyError(f"no label table {kind!r}")
    text = table.get(code)
    if text is None and kind == "rounding":
        return _rounding_words(str(code))
    return str(text) if text is not None else ""


def role_labels(codes) -> list[str]:
    """Roles in words, most senior first, without duplicates."""
    order = list(ROLES)
    seen = [c for c in order if c in set(codes)]
    return [label("role", c) for c in seen]


def _rounding_words(code: str) -> str:
    """Any `<unit>_<rule>[_per_side]` mode in words (the data file may name ones not listed)."""
    units = {"fen": gettext("到分"), "jiao": gettext("到角"), "yuan": gettext("到元")}
    rules = {"half_up": gettext("四舍五入"), "up": gettext("进位"), "down": gettext("舍去")}
    per_side = code.endswith("_per_side")
    core = code[: -len("_per_side")] if per_side else code
    unit, _sep, rule = core.partition("_")
    if unit not in units or rule not in rules:
        return ""
    text = f"{units[unit]},{rules[rule]}"
    return gettext("单位、个人各自") + text if per_side else text


def city_words(text: str) -> str:
    """Every known city code in `text` replaced by the city's name (北京)."""
    import re

    return re.sub(r"(?<![\w/])(" + "|".join(CITIES) + r")(?![\w/])", lambda m: label("city", m.group(1)), text)
