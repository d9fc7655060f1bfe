import json
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext, gettext_noop

from hrsaas.core.formatting import is_english
from hrsaas.core.forms import TextBoxField
from hrsaas.core.money import decimal_from_text

from .models import Direction


class CycleForm(forms.Form):
    period = forms.CharField(label=_("期间"), max_length=7, help_text=_("月度 2026-03 或季度 2026-Q1"),
                             error_messages={"required": _("请填写考核期间:月度如 2026-03,季度如 2026-Q1。")})


class DepartmentCreateForm(forms.Form):
    """A new department on the departments page (its code, used by the API, is generated)."""

    name = forms.CharField(label=_("部门名称"), max_length=100,
                           error_messages={"required": _("请填写部门名称。")},
                           widget=forms.TextInput(attrs={"placeholder": _("如 客服部")}))
    star_title = forms.CharField(label=_("季度之星称号"), max_length=40, required=False,
                                 help_text=_("可选,如 客服之星:每季度评给本部门得分最高的人"))


class AdjustForm(forms.Form):
    total = forms.CharField(label=_("调整后得分"), max_length=10)
    note = TextBoxField(label=_("调整说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


# ---------------------------------------------------------------------------------------------
# KPI template builder (考核模板): one row per indicator instead of a JSON box
# ---------------------------------------------------------------------------------------------
BUILDER_FORMULAS = [("linear", _("达标满分(按完成比例得分,最高100)")), ("capped", _("超额加分(最高至封顶分)")),
                    ("thresholds", _("阶梯得分"))]


def metric_choices():
    """The known metrics (metrics.REGISTRY) by their Chinese label (English when switched)."""
    from django.utils.translation import get_language

    from .metrics import REGISTRY

    english = (get_language() or "").startswith("en")
    return [("", _("— 选择指标 —"))] + [(m.code, m.label_en if english else m.label_zh) for m in REGISTRY.values()]


def _plain_number(value: str, places: int = 2) -> str:
    """Full-width digits (５０) and separators as people type them → a plain number string."""
    text = (value or "").strip().translate({0xFF10 + n: str(n) for n in range(10)} | {0xFF0E: ".", 0x3002: "."})
    return text.replace(",", "").replace("\uff0c", "").rstrip("%\uff05")


class IndicatorRowForm(forms.Form):
    """One indicator: the metric it reads, its weight, target and how it scores."""

    metric = forms.ChoiceField(label=_("指标"), required=False)
    name = forms.CharField(label=_("名称"), max_length=100, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("默认同指标")}))
    name_en = forms.CharField(label=_("英文名称"), max_length=100, required=False,
                              help_text=_("英文页面显示;留空显示名称"))
    weight = forms.CharField(label=_("权重%"), max_length=8, required=False,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "kpi-weight"}))
    target = forms.CharField(label=_("目标值"), max_length=16, required=False,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    direction = forms.ChoiceField(label=_("方向"), choices=Direction.choices, initial=Direction.HIGHER)
    formula = forms.ChoiceField(label=_("计分方式"), choices=BUILDER_FORMULAS, initial="linear")
    cap = forms.CharField(label=_("封顶分"), max_length=8, required=False,
                          widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "120"}))
    steps = forms.CharField(label=_("阶梯(达到值:得分)"), max_length=200, required=False,
                            widget=forms.TextInput(attrs={"placeholder": _("如 2:100, 3:80, 5:60")}))
    # Parameters the builder does not edit (e.g. the 达标得分+超额加分 formula) are carried over
    # unchanged from the version the new one starts from.
    carried = forms.CharField(required=False, widget=forms.HiddenInput)
    DELETE = forms.BooleanField(label=_("删除"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = metric_choices()
        if self.initial.get("formula") == "points":
            self.fields["formula"].choices = BUILDER_FORMULAS + [("points", _("达标得分+超额加分(沿用原参数)"))]

    def is_blank(self) -> bool:
        d = getattr(self, "cleaned_data", {}) or {}
        return not (d.get("metric") or d.get("weight") or d.get("target") or d.get("name"))

    def clean(self):
        d = super().clean()
        if d.get("DELETE") or self.is_blank():
            return d
        from .metrics import REGISTRY

        metric = REGISTRY.get(d.get("metric") or "")
        if metric is None:
            self.add_error("metric", _("请选择指标。"))
        for key in ("weight", "target", "cap"):
            d[key] = _plain_number(d.get(key) or "")
        if not d["weight"]:
            self.add_error("weight", _("请填写权重。"))
        if not d["target"] and d.get("formula") in ("linear", "capped"):
            self.add_error("target", _("请填写目标值。"))
        if d.get("formula") == "capped" and not d["cap"]:
            self.add_error("cap", _("请填写封顶分(不低于100)。"))
        if d.get("formula") == "thresholds":
            try:
                d["steps_list"] = parse_steps(d.get("steps") or "")
            except ValueError as exc:
                self.add_error("steps", str(exc))
        if metric is not None and metric.maximum is not None and d["target"]:
            try:
                over = Decimal(d["target"]) > metric.maximum
            except InvalidOperation:
                over = False  # the service says "须为数字"
            if over:
                self.add_error("target", _("%(m)s的目标值不能超过%(max)s。") % {
                    "m": metric.label_zh, "max": format(metric.maximum.normalize(), "f")})
        return d


def parse_steps(text: str) -> list[dict]:
    """"2:100, 3:80" → [{"at": "2", "score": "100"}, {"at": "3", "score": "80"}]."""
    steps = []
    for part in re.split(r"[,;\s\uff0c\uff1b\u3001]+", text.strip()):
        if not part:
            continue
        at, sep, score = part.replace("\uff1a", ":").partition(":")
        at, score = _plain_number(at), _plain_number(score)
        if decimal_from_text(at) is None or decimal_from_text(score) is None:
            raise ValueError(_("阶梯须写成“达到值:得分”,多个用逗号分隔,如 2:100, 3:80。"))
        if not sep:
            raise ValueError(_("阶梯须写成“达到值:得分”,多个用逗号分隔,如 2:100, 3:80。"))
        steps.append({"at": at, "score": score})
    if not steps:
        raise ValueError(_("阶梯得分至少需要一个阶梯。"))
    return steps


class BaseIndicatorFormSet(forms.BaseFormSet):
    def rows(self) -> list[dict]:
        """The filled-in rows as the services' indicator dicts (the API's shape), in order."""
        out, used = [], set()
        for form in self.forms:
            d = form.cleaned_data
            if not d or d.get("DELETE") or form.is_blank():
                continue
            from .metrics import REGISTRY

            metric = REGISTRY[d["metric"]]
            code, n = metric.code.replace("_", "-"), 2
            while code in used:  # the same metric twice (e.g. two targets) gets its own code
                code, n = f"{metric.code.replace('_', '-')}-{n}", n + 1
            used.add(code)
            params: dict = {}
            if d["formula"] == "capped":
                params = {"cap": d["cap"]}
            elif d["formula"] == "thresholds":
                params = {"steps": d.get("steps_list", [])}
            elif d["formula"] == "points":
                params = json.loads(d.get("carried") or "{}")
            out.append({"code": code, "name": (d.get("name") or "").strip() or str(metric.label_zh),
                        "name_en": (d.get("name_en") or "").strip(),
                        "metric": metric.code, "weight": d["weight"], "target": d["target"] or "0",
                        "direction": d["direction"], "formula": d["formula"], "params": params})
        return out


IndicatorFormSet = forms.formset_factory(IndicatorRowForm, formset=BaseIndicatorFormSet, extra=0, can_delete=False,
                                         max_num=30, absolute_max=30, validate_max=True)


def indicator_initial(indicators) -> list[dict]:
    """Rows prefilled from a version's indicators (the starting point of the next version)."""
    rows = []
    for i in indicators:
        params = i.params or {}
        rows.append({
            "metric": i.metric, "name": i.name, "name_en": i.name_en, "weight": format(i.weight.normalize(), "f"),
            "target": format(i.target.normalize(), "f"), "direction": i.direction, "formula": i.formula,
            "cap": str(params.get("cap", "")),
            "steps": ", ".join(f"{s.get('at')}:{s.get('score')}" for s in params.get("steps", []) if isinstance(s, dict)),
            "carried": json.dumps(params, ensure_ascii=False) if i.formula == "points" else "",
        })
    return rows


class TemplateHeadForm(forms.Form):
    """A new template: who it is for and when its first (all-year) version starts."""

    name = forms.CharField(label=_("模板名称"), max_length=100)
    department = forms.ChoiceField(label=_("部门"))
    position = forms.CharField(label=_("岗位"), max_length=40, required=False,
                               help_text=_("留空:适用于部门全体"))
    effective_from = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d.code, d.name) for d in departments]


NEW_SEASON = "__new__"


def _month_choices() -> list[tuple[int, str]]:
    # Called when a form is made (not at import), so the months read in the reader's language.
    from django.utils.translation import gettext

    return [(m, gettext("%(m)d月") % {"m": m}) for m in range(1, 13)]


class VersionHeadForm(forms.Form):
    """A new version of a template: all-year, an existing season (e.g. 开门红) or a new one."""

    season = forms.ChoiceField(label=_("适用范围"))
    season_label = forms.CharField(label=_("季节名称"), max_length=40, required=False,
                                   widget=forms.TextInput(attrs={"placeholder": _("如 开门红")}))
    months = forms.TypedMultipleChoiceField(label=_("适用月份"), required=False, coerce=int,
                                            choices=_month_choices,
                                            widget=forms.CheckboxSelectMultiple(attrs={"class": "months"}))
    effective_from = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    note = forms.CharField(label=_("变更说明"), max_length=200, required=False)

    def __init__(self, *args, seasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["season"].choices = [("all", _("全年"))] + [
            (code, label or _("季节版本")) for code, label in seasons if code != "all"] + [(NEW_SEASON, _("新的季节版本"))]

    def clean(self):
        d = super().clean()
        if d.get("season") == NEW_SEASON and not (d.get("season_label") or "").strip():
            self.add_error("season_label", _("请填写季节名称(如 开门红)。"))
        if d.get("season") and d["season"] != "all" and not d.get("months"):
            self.add_error("months", _("季节版本须选择适用月份。"))
        if d.get("season") == "all" and d.get("months"):
            self.add_error("months", _("全年版本不选月份。"))
        return d


# ---------------------------------------------------------------------------------------------
# Surveys (满意度调查) and multi-rater reviews (多维评价): the answers the services take
# ---------------------------------------------------------------------------------------------
DEFAULT_ANSWERS = (gettext_noop("满意"), gettext_noop("一般"), gettext_noop("不满意"))  # engine.DEFAULT_SURVEY_SCALE


def answer_label(answer: str) -> str:
    """A stored answer as its reader says it: the default scale's answers in the reader's
    language (满意 → Satisfied); an answer of a survey's own scale as HR wrote it."""
    return gettext(answer) if answer in DEFAULT_ANSWERS else answer


class SurveyAnswerForm(forms.Form):
    """One survey's answer as radio buttons: the survey's own scale (满意 / 一般 / 不满意)."""

    answer = forms.ChoiceField(label=_("您的评价"), widget=forms.RadioSelect(attrs={"class": "choices"}))

    def __init__(self, *args, scale: dict, **kwargs):
        super().__init__(*args, **kwargs)
        # The default scale's answers read in the reader's language; the stored answer stays the key.
        # Best answer first (满意, 一般, 不满意), whatever order the stored scale comes back in.
        ordered = sorted(scale, key=lambda k: -Decimal(str(scale[k])))
        self.fields["answer"].choices = [(k, answer_label(k)) for k in ordered]
        self.fields["answer"].error_messages["required"] = _("请选择一项评价。")
        # A value outside the scale is the service's to refuse (its message names the choices).
        self.fields["answer"].valid_value = lambda value: True


class SurveyCreateForm(forms.Form):
    department = forms.ChoiceField(label=_("被评价部门"))
    title = forms.CharField(label=_("调查标题"), max_length=200,
                            widget=forms.TextInput(attrs={"placeholder": _("如 理赔服务满意度")}))

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [(d.code, d.name) for d in departments]


class ReviewForm(forms.Form):
    """A review of a colleague of another department, 0–10. Every department member is a valid
    value (the service says why a colleague of one's own department, or a second review, is
    refused); the list offers only the people one may still review."""

    subject = forms.TypedChoiceField(label=_("被评价人"), coerce=int)
    points = forms.CharField(label=_("评分(0–10)"), max_length=10,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    comment = TextBoxField(label=_("评语"), max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, people=(), offered=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = [("", _("— 选择同事 —"))] + [(pk, label) for pk, label in people]
        self.fields["subject"].error_messages["required"] = _("请选择被评价人。")
        self.fields["subject"].widget.choices = [("", _("— 选择同事 —"))] + [(pk, label) for pk, label in offered]
        self.fields["points"].error_messages["required"] = _("请填写评分。")

    def clean_points(self):
        return _plain_number(self.cleaned_data.get("points") or "")


class MemberAddForm(forms.Form):
    """Put a person in the department, chosen by name among the branch's appraised people (one
    already in another department moves: a person belongs to one department)."""

    person = forms.TypedChoiceField(label=_("人员"), coerce=int)
    role = forms.ChoiceField(label=_("部门角色"))
    position = forms.CharField(label=_("岗位"), max_length=40, required=False,
                               help_text=_("选填;有该岗位专用考核模板时按岗位考核"))

    def __init__(self, *args, people=(), **kwargs):
        from .models import MemberRole

        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", _("— 选择人员 —"))] + list(people)
        self.fields["person"].error_messages.update(required=_("请选择人员。"),
                                                    invalid_choice=_("请选择本分支机构的人员。"))
        self.fields["role"].choices = MemberRole.choices
        self.fields["role"].initial = MemberRole.MEMBER


# ---------------------------------------------------------------------------------------------
# Linked-bonus rules (挂钩奖金规则): a new version in people's words → the API's params
# ---------------------------------------------------------------------------------------------
def _number(value) -> str:
    return format(Decimal(value).normalize(), "f") if value is not None else ""


class _NumberField(forms.DecimalField):
    """A number as people type it, read by the one grammar (hrsaas.core.money): "1e1", "NaN" or
    ".5" are refused here as everywhere else (Django's own field took "1e1" as 10)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = decimal_from_text(value)
        if number is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number


def _decimal_field(label, **kw):
    return _NumberField(label=label, max_digits=8, decimal_places=2, **kw)


def _not_negative_field(label, **kw):
    """A target, threshold or number of points: 0 or more (a target of −5 days is never met)."""
    return _decimal_field(label, min_value=0, error_messages={"min_value": _("不能为负数。")}, **kw)


def _percent_field(label, **kw):
    """A percentage of the bonus: 0–300% (SPEC §7's 120/100/80%, room for more, nothing absurd)."""
    return _decimal_field(label, min_value=0, max_value=300, error_messages={
        "min_value": _("比例须在0%%到300%%之间。"), "max_value": _("比例须在0%%到300%%之间。")}, **kw)


def _check_metric_range(form, field: str, metric_field: str, value=None) -> None:
    """The target (or threshold) within the range of the measure it is compared with: a rate in %
    is at most 100."""
    from .metrics import REGISTRY

    d = form.cleaned_data
    metric = REGISTRY.get(d.get(metric_field) or "")
    value = d.get(field) if value is None else value
    if metric is not None and value is not None and metric.maximum is not None and value > metric.maximum:
        form.add_error(field, _("%(m)s最高为%(max)s,该值不能超过%(max)s。") % {
            "m": metric.label_en if is_english() else metric.label_zh, "max": format(metric.maximum.normalize(), "f")})


class BonusRuleHeadForm(forms.Form):
    """Whose bonus, linked to which department, from when."""

    department = forms.ChoiceField(label=_("奖金部门"))
    linked_department = forms.ChoiceField(label=_("挂钩部门"), help_text=_("奖金随其结果变化的部门"))
    effective_from = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(d.code, d.name) for d in departments]
        self.fields["department"].choices = choices
        self.fields["linked_department"].choices = choices

    def _metric_choices(self, *names):
        """The department measures, plus whatever the version this one starts from reads (a rule
        made through the API may read another measure; a new version keeps it choosable)."""
        from .metrics import REGISTRY

        for name in names:
            choices = department_metric_choices()
            kept = self.initial.get(name)
            if kept and kept in REGISTRY and kept not in dict(choices):
                choices.append((kept, dict(metric_choices())[kept]))
            self.fields[name].choices = choices


def _metric_field(label, help_text=""):
    return forms.ChoiceField(label=label, help_text=help_text)


def department_metric_choices():
    """The measures a bonus rule can read: values entered per department for the period (what
    services.bonuses_compute looks up), never someone's pay."""
    from .metrics import REGISTRY
    from .selectors import PAY_METRICS

    usable = {code for code, m in REGISTRY.items() if m.enterable and code not in PAY_METRICS}
    return [(code, label) for code, label in metric_choices() if code == "" or code in usable]


class LinkedFactorForm(BonusRuleHeadForm):
    """联动系数: the band of the department's own measure gives its bonus percent; a miss of the
    linked department's target takes points off (e.g. 理赔 ≤ 2 天 → 财务 120/100/80%, 未达标 −10%)."""

    linked_metric = _metric_field(_("挂钩部门的指标"))
    linked_target = _not_negative_field(_("挂钩部门目标(不超过)"))
    own_metric = _metric_field(_("本部门的指标"))
    bands = forms.CharField(label=_("档位(不超过:奖金比例%)"), max_length=200,
                            widget=forms.TextInput(attrs={"placeholder": _("如 1:120, 2:100")}),
                            help_text=_("本部门指标不超过该值时按对应比例发放"))
    over_percent = _percent_field(_("超过最后一档时的比例%"))
    miss_penalty_points = _decimal_field(_("挂钩部门未达标时扣减(百分点)"), min_value=0, max_value=100, error_messages={
        "min_value": _("扣减须在0到100个百分点之间。"), "max_value": _("扣减须在0到100个百分点之间。")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._metric_choices("linked_metric", "own_metric")

    def clean(self):
        d = super().clean()
        if d.get("department") and d.get("department") == d.get("linked_department"):
            self.add_error("linked_department", _("挂钩部门须为另一个部门。"))
        try:
            steps = parse_steps(d.get("bands") or "")
        except ValueError:
            self.add_error("bands", _("档位须写成“不超过的值:比例”,多个用逗号分隔,如 1:120, 2:100。"))
            return d
        last = None
        for step in steps:
            if last is not None and Decimal(step["at"]) <= last:
                self.add_error("bands", _("档位的值须从小到大排列。"))
                break
            last = Decimal(step["at"])
        if any(Decimal(s["at"]) < 0 for s in steps):
            self.add_error("bands", _("档位的值不能为负数。"))
        elif steps:
            _check_metric_range(self, "bands", "own_metric", value=max(Decimal(s["at"]) for s in steps))
        if any(not (0 <= Decimal(s["score"]) <= 300) for s in steps):
            self.add_error("bands", _("奖金比例须在0%到300%之间。"))
        _check_metric_range(self, "linked_target", "linked_metric")
        d["steps"] = steps
        return d

    def params(self) -> dict:
        d = self.cleaned_data
        bands = [{"max": s["at"], "percent": s["score"]} for s in d["steps"]]
        return {"linked_metric": d["linked_metric"], "own_metric": d["own_metric"],
                "linked_target": _number(d["linked_target"]),
                "bands": bands + [{"max": None, "percent": _number(d["over_percent"])}],
                "miss_penalty_points": _number(d["miss_penalty_points"])}

    @staticmethod
    def initial_from(rule) -> dict:
        p = rule.params or {}
        bands = p.get("bands") or []
        return {"linked_metric": p.get("linked_metric"), "own_metric": p.get("own_metric"),
                "linked_target": p.get("linked_target"),
                "bands": ", ".join(f"{b['max']}:{b['percent']}" for b in bands if b.get("max") is not None),
                "over_percent": next((b["percent"] for b in bands if b.get("max") is None), None),
                "miss_penalty_points": p.get("miss_penalty_points", 0)}


class TiedShareForm(BonusRuleHeadForm):
    """奖金挂钩比例: a share of the bonus paid by points on the linked department's result
    (e.g. 人事部 30% 挂钩新员工到岗率与3个月业绩达标率)."""

    share_percent = _decimal_field(_("挂钩比例%"), min_value=Decimal("0.01"), max_value=100)
    gate_metric = _metric_field(_("达标指标"))
    gate_target = _not_negative_field(_("达标目标(不低于)"))
    gate_points = _not_negative_field(_("达标得分"))
    rate_metric = _metric_field(_("加分指标"))
    rate_target = _not_negative_field(_("加分起点(高于该值)"))
    points_per_percent = _not_negative_field(_("每高1个百分点加分"))
    full_points = _decimal_field(_("满额分(得此分数发放100%)"), min_value=Decimal("0.01"))
    cap_percent = _percent_field(_("挂钩部分最高发放比例%"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._metric_choices("gate_metric", "rate_metric")

    def clean(self):
        d = super().clean()
        if d.get("department") and d.get("department") == d.get("linked_department"):
            self.add_error("linked_department", _("挂钩部门须为另一个部门。"))
        _check_metric_range(self, "gate_target", "gate_metric")
        _check_metric_range(self, "rate_target", "rate_metric")
        return d

    KEYS = ("share_percent", "gate_target", "gate_points", "rate_target", "points_per_percent", "full_points",
            "cap_percent")

    def params(self) -> dict:
        d = self.cleaned_data
        return {"gate_metric": d["gate_metric"], "rate_metric": d["rate_metric"],
                **{k: _number(d[k]) for k in self.KEYS}}

    @staticmethod
    def initial_from(rule) -> dict:
        p = rule.params or {}
        return {"gate_metric": p.get("gate_metric"), "rate_metric": p.get("rate_metric"),
                **{k: p.get(k) for k in TiedShareForm.KEYS}}


BONUS_RULE_FORMS = {"linked_factor": LinkedFactorForm, "tied_share": TiedShareForm}
