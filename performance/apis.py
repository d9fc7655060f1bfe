"""Performance API (/b/<code>/api/v1/performance/…): parse, call one service or selector, serialize."""
from __future__ import annotations

from django.db import connection
from django.http import Http404
from django.utils.translation import gettext as _, gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from branches import roles as R
from branches.models import User
from branches.roles import can_enter_branch
from branches.throttles import JobTriggerThrottleMixin
from hrsaas.core.api_json import DecimalStringField

from . import display, metrics, selectors, services
from .models import (
    Award,
    BonusLine,
    BonusRule,
    Department,
    KpiTemplate,
    KpiTemplateVersion,
    RuleKind,
    Survey,
)



# ---------------------------------------------------------------------------------------------
# Lookups (body references are 400, URL references are 404)
# ---------------------------------------------------------------------------------------------
def department_by_code(code, field="department") -> Department:
    dept = Department.objects.filter(code=str(code or "")).first()
    if dept is None:
        raise ValidationError({field: [_("未知部门“%(code)s”。") % {"code": code}]})
    return dept


def branch_user(username, field="username") -> User:
    user = User.objects.filter(username=str(username or "")).first()
    if user is None or not can_enter_branch(user, connection.tenant):
        raise ValidationError({field: [_("本分支机构没有用户“%(username)s”。") % {"username": username}]})
    return user


def cycle_or_404(cycle_id: int):
    return selectors.access_cycle(cycle_id)


# ---------------------------------------------------------------------------------------------
# Serializers
# ---------------------------------------------------------------------------------------------
class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name", "star_title"]


class DepartmentInput(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=100)
    star_title = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class MemberInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=["manager", "member"], default="member")
    position = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    joined_on = serializers.DateField(required=False, allow_null=True, default=None)


class IndicatorIO(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=100)
    metric = serializers.CharField(max_length=40)
    weight = serializers.CharField(max_length=30, help_text="percent, e.g. \"40.00\"")
    target = serializers.CharField(max_length=30)
    direction = serializers.ChoiceField(choices=["higher", "lower"], default="higher")
    formula = serializers.CharField(max_length=12, default="linear", help_text="linear | capped | thresholds | points")
    params = serializers.DictField(required=False, default=dict)


class VersionInput(serializers.Serializer):
    season = serializers.CharField(max_length=20, default="all")
    season_label = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    months = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    effective_from = serializers.DateField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    indicators = serializers.ListField(child=serializers.DictField())

    def to_version(self) -> services.VersionInput:
        d = self.validated_data
        return services.VersionInput(
            season=d["season"], season_label=d["season_label"], months=tuple(d["months"]),
            effective_from=d["effective_from"], indicators=services.parse_indicators(d["indicators"]), note=d["note"],
        )


class TemplateInput(VersionInput):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=100)
    department = serializers.CharField(max_length=40)
    position = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


def version_data(v: KpiTemplateVersion) -> dict:
    return {
        "id": v.pk, "season": v.season, "season_label": v.season_label, "months": v.months, "version": v.version,
        "effective_from": v.effective_from.isoformat(), "note": v.note,
        "indicators": [
            {"code": i.code, "name": i.name, "name_en": i.name_en, "metric": i.metric, "weight": str(i.weight),
             "target": str(i.target),
             "direction": i.direction, "formula": i.formula, "params": i.params}
            for i in v.indicators.all()
        ],
    }


def template_data(t: KpiTemplate) -> dict:
    return {"id": t.pk, "code": t.code, "name": t.name, "department": t.department.code, "position": t.position,
            "versions": [version_data(v) for v in t.versions.prefetch_related("indicators").order_by("season", "version")]}


class ValueRow(serializers.Serializer):
    metric = serializers.CharField(max_length=40)
    username = serializers.CharField(max_length=150, required=False)
    department = serializers.CharField(max_length=40, required=False)
    value = serializers.DecimalField(max_digits=14, decimal_places=2)


# Rows per request: a month's values of a large branch (100 people × 10 metrics = 1,000) fit;
# each row is checked, locked and written with its history, ≈ 3 ms, so the cap keeps one
# request well inside the web worker's 30 s.
MAX_VALUE_ROWS = 2000


class ValuesInput(serializers.Serializer):
    period = serializers.CharField()
    rows = serializers.ListField(child=ValueRow(), allow_empty=False, max_length=MAX_VALUE_ROWS)


CYCLE_PERIOD_MISSING = _lazy("请填写考核期间:月度如 2026-03,季度如 2026-Q1。")


class CycleSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    period = serializers.CharField(error_messages={"required": CYCLE_PERIOD_MISSING, "blank": CYCLE_PERIOD_MISSING,
                                                   "null": CYCLE_PERIOD_MISSING})
    kind = serializers.CharField(read_only=True)
    starts_on = serializers.DateField(read_only=True)
    ends_on = serializers.DateField(read_only=True)
    status = serializers.CharField(read_only=True)


class LineSerializer(serializers.Serializer):
    indicator = serializers.CharField(source="indicator.code")
    name = serializers.CharField(source="indicator.name")
    name_en = serializers.CharField(source="indicator.name_en", help_text="the English name; empty when none was given")
    metric = serializers.CharField()
    actual = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    target = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True,
                                      help_text="null, with actual, on a pay metric the caller may not read")
    raw_score = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True,
                                         help_text="null on a pay metric the caller may not read")
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    weighted = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True,
                                        help_text="null on a pay metric the caller may not read")
    explanation = serializers.CharField()


class ScoreSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    cycle = serializers.CharField(source="cycle.period")
    username = serializers.SerializerMethodField()
    department = serializers.CharField(source="department.code")
    template_version = serializers.IntegerField(source="template_version_id")
    computed_total = serializers.DecimalField(max_digits=7, decimal_places=2)
    max_total = serializers.DecimalField(max_digits=7, decimal_places=2)
    total = serializers.DecimalField(max_digits=7, decimal_places=2)
    adjusted = serializers.BooleanField()
    adjust_note = serializers.CharField()

    def get_username(self, obj) -> str:
        names = self.context.get("names") or {}
        return names.get(obj.user_id) or User.objects.filter(pk=obj.user_id).values_list("username", flat=True).first()


def scores_payload(scores) -> list:
    scores = list(scores.select_related("cycle", "department"))
    names = dict(User.objects.filter(pk__in=[s.user_id for s in scores]).values_list("pk", "username"))
    return ScoreSerializer(scores, many=True, context={"names": names}).data


class AdjustInput(serializers.Serializer):
    total = serializers.CharField()
    note = serializers.CharField(allow_blank=True)


class SurveyInput(serializers.Serializer):
    department = serializers.CharField(max_length=40)
    title = serializers.CharField(max_length=200)
    scale = serializers.DictField(required=False, default=None, allow_null=True,
                                  help_text='answer → points; default {"满意": 10, "一般": 5, "不满意": 0}')


class AnswerInput(serializers.Serializer):
    answer = serializers.CharField(max_length=20)


class ReviewInput(serializers.Serializer):
    subject = serializers.CharField(max_length=150, help_text="username")
    points = serializers.CharField(max_length=10, help_text="0–10")
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class BonusRuleIO(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(max_length=40)
    version = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=RuleKind.values)
    department = serializers.CharField(max_length=40)
    linked_department = serializers.CharField(max_length=40)
    effective_from = serializers.DateField()
    params = serializers.DictField()


def rule_data(r: BonusRule) -> dict:
    return {"id": r.pk, "code": r.code, "version": r.version, "kind": r.kind, "department": r.department.code,
            "linked_department": r.linked_department.code, "effective_from": r.effective_from.isoformat(),
            "params": r.params}


class BonusBaseInput(serializers.Serializer):
    department = serializers.CharField()
    amount = DecimalStringField(max_digits=14, decimal_places=2, help_text="money, e.g. \"10000.00\"")


# What a bonus line says to a reader who may not read department pay (selectors.reads_bonus_amounts);
# each explanation field keeps its language.
BONUS_PAY_HIDDEN_ZH = "联动奖金金额属薪酬保密,仅经理和总部可见。"
BONUS_PAY_HIDDEN_EN = "Linked bonus amounts are confidential pay: only managers and HQ can see them."


class BonusLineSerializer(serializers.Serializer):
    """Needs `reader` in its context: base, inputs, factor, amount and the explanations are
    withheld (null, {}, the note above; `pay_hidden` true) from those who may not read them."""
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.name")
    rule = serializers.CharField(source="rule.code")
    rule_version = serializers.IntegerField(source="rule.version")
    base_amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    inputs = serializers.DictField()
    factor = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True,
                                      help_text="null for a caller who may not read department pay (pay_hidden)")
    explanation_zh = serializers.CharField()
    explanation_en = serializers.CharField()
    pay_hidden = serializers.SerializerMethodField()

    def _hidden(self) -> bool:
        return not selectors.reads_bonus_amounts(self.context["reader"])

    def get_pay_hidden(self, obj) -> bool:
        return self._hidden()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self._hidden():
            data.update(base_amount=None, inputs={}, factor=None, amount=None,
                        explanation_zh=BONUS_PAY_HIDDEN_ZH, explanation_en=BONUS_PAY_HIDDEN_EN)
        return data


class AwardSerializer(serializers.Serializer):
    """Needs `reader` in its context: the score, and the explanation that names it, only for those
    who read the scores it is made of (selectors.award_figures_visible); others read the award
    (title, winner, department) and an explanation without figures."""
    kind = serializers.CharField()
    title = serializers.CharField()
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.name")
    username = serializers.SerializerMethodField()
    display_name = serializers.SerializerMethodField()
    score = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True,
                                     help_text="null for a caller who may not read the scores it is made of")
    explanation = serializers.CharField()

    def _winner(self, obj):
        if obj.user_id is None:
            return None
        return User.objects.filter(pk=obj.user_id).only("username", "display_name").first()

    def get_username(self, obj) -> str | None:
        winner = self._winner(obj)
        return winner.username if winner else None

    def get_display_name(self, obj) -> str | None:
        winner = self._winner(obj)
        return (winner.display_name or winner.username) if winner else None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not selectors.award_figures_visible(self.context["reader"], instance):
            data.update(score=None, explanation=display.award_note(instance, figures=False))
        return data


class RiskFlagSerializer(serializers.Serializer):
    username = serializers.SerializerMethodField()
    department = serializers.CharField(source="department.code")
    level = serializers.CharField()
    reasons = serializers.ListField(child=serializers.DictField())

    def get_username(self, obj) -> str:
        return User.objects.filter(pk=obj.user_id).values_list("username", flat=True).first()


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------
class MetricListApi(APIView):
    """The metric sources a template may refer to."""
    roles = R.INSIDERS


    @extend_schema(responses={200: list[dict]})
    def get(self, request):
        return Response([{"code": m.code, "label_zh": m.label_zh, "label_en": m.label_en, "enterable": m.enterable}
                         for m in metrics.REGISTRY.values()])


class DepartmentListApi(APIView):
    """Departments are made by the branch manager (and HQ admin), as on the 部门成员 page: a
    department decides whose scores its head reads, so HR staff, who may not place people, do
    not make departments either."""
    roles = {"GET": R.INSIDERS, "POST": R.MANAGER}

    @extend_schema(responses=DepartmentSerializer(many=True))
    def get(self, request):
        return Response(DepartmentSerializer(Department.objects.all(), many=True).data)

    @extend_schema(request=DepartmentInput, responses={201: DepartmentSerializer})
    def post(self, request):
        if not selectors.may_manage_members(request.user):
            raise PermissionDenied()
        ser = DepartmentInput(data=request.data)
        ser.is_valid(raise_exception=True)
        dept = services.department_create(actor=request.user, **ser.validated_data)
        return Response(DepartmentSerializer(dept).data, status=status.HTTP_201_CREATED)


class DepartmentMemberApi(APIView):
    """Who sits where (and who heads a department, reading and adjusting its scores) is the
    branch manager's or HQ admin's call, as on the page and for removal: HR staff once made
    themselves head of 社保部 here and then read and zeroed the manager's score."""
    roles = R.MANAGER

    @extend_schema(request=MemberInput, responses={200: dict})
    def post(self, request, code: str):
        if not selectors.may_manage_members(request.user):
            raise PermissionDenied()
        dept = Department.objects.filter(code=code).first()
        if dept is None:
            raise Http404
        ser = MemberInput(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        member = services.member_set(actor=request.user, department=dept, user=branch_user(d["username"]),
                                     role=d["role"], position=d["position"], joined_on=d["joined_on"])
        return Response({"department": dept.code, "username": d["username"], "role": member.role,
                         "position": member.position})


class DepartmentMemberRemoveApi(APIView):
    """`DELETE departments/{code}/members/{username}/` → 204: the person is taken out of the
    department, as on the department's page (services.member_remove, audited the same way). The
    page's roles: the branch manager and HQ admin (`selectors.may_manage_members`) — where a person
    sits decides whose scores a department head reads. A department, a person or a membership
    out of reach is the same 404 as one that does not exist."""
    roles = R.MANAGER

    @extend_schema(operation_id="performance_department_member_remove", request=None,
                   responses={204: None, 403: dict, 404: dict})
    def delete(self, request, code: str, username: str):
        if not selectors.may_manage_members(request.user):
            raise PermissionDenied()
        member = selectors.access_department_member(code, username)
        services.member_remove(actor=request.user, department=member.department, user=member.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TemplateListApi(APIView):
    roles = {"GET": R.INSIDERS, "POST": R.OFFICE}

    @extend_schema(responses={200: list[dict]})
    def get(self, request):
        return Response([template_data(t) for t in KpiTemplate.objects.select_related("department")])

    @extend_schema(request=TemplateInput, responses={201: dict})
    def post(self, request):
        ser = TemplateInput(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        template = services.template_create(
            actor=request.user, code=d["code"], name=d["name"], department=department_by_code(d["department"]),
            position=d["position"], first=ser.to_version(),
        )
        return Response(template_data(template), status=status.HTTP_201_CREATED)


class TemplateVersionApi(APIView):
    """A template change: a new version (or a seasonal variant); earlier versions stay."""
    roles = R.OFFICE


    @extend_schema(request=VersionInput, responses={201: dict})
    def post(self, request, code: str):
        template = KpiTemplate.objects.filter(code=code).first()
        if template is None:
            raise Http404
        ser = VersionInput(data=request.data)
        ser.is_valid(raise_exception=True)
        version = services.template_version_create(actor=request.user, template=template, data=ser.to_version())
        return Response(version_data(version), status=status.HTTP_201_CREATED)


class ValuesApi(APIView):
    """Enter or import values for a period (all-or-nothing), per person or per department."""
    roles = R.OFFICE


    @extend_schema(request=ValuesInput, responses={200: dict})
    def post(self, request):
        ser = ValuesInput(data=request.data)
        ser.is_valid(raise_exception=True)
        rows = []
        for n, row in enumerate(ser.validated_data["rows"], 1):
            user_id = branch_user(row["username"], f"row {n}").pk if row.get("username") else None
            dept_id = department_by_code(row["department"], f"row {n}").pk if row.get("department") else None
            rows.append(services.ValueInput(metric=row["metric"], value=row["value"], user_id=user_id,
                                            department_id=dept_id))
        count = services.values_enter(actor=request.user, period=ser.validated_data["period"], rows=rows)
        return Response({"saved": count})


class CycleListApi(APIView):
    roles = {"GET": R.INSIDERS, "POST": R.OFFICE}

    @extend_schema(responses=CycleSerializer(many=True))
    def get(self, request):
        from .models import AppraisalCycle

        return Response(CycleSerializer(AppraisalCycle.objects.all(), many=True).data)

    @extend_schema(request=CycleSerializer, responses={201: CycleSerializer})
    def post(self, request):
        ser = CycleSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        cycle = services.cycle_create(actor=request.user, period=ser.validated_data["period"])
        return Response(CycleSerializer(cycle).data, status=status.HTTP_201_CREATED)


class CycleComputeApi(JobTriggerThrottleMixin, APIView):
    roles = R.OFFICE

    @extend_schema(request=None, responses={202: dict})
    def post(self, request, cycle_id: int):
        cycle = cycle_or_404(cycle_id)
        task_id = services.cycle_compute_request(actor=request.user, cycle=cycle)
        return Response({"task_id": task_id}, status=status.HTTP_202_ACCEPTED)


class FinaliseInput(serializers.Serializer):
    # The API finalised such cycles before the check existed, and v1 keeps its answers: a script
    # that wants the page's safeguard sends false (the page asks with its second tick).
    accept_missing = serializers.BooleanField(
        required=False, default=True,
        help_text="false: refuse (400 accept_missing, nothing written) when some scores lack values (those "
                  "indicators score 0), as the page does without its second tick; true or left out: finalise "
                  "as before. GET cycles/{id}/missing/ lists who lacks which values.")


class CycleFinaliseApi(APIView):
    roles = R.MANAGER

    @extend_schema(request=FinaliseInput, responses=CycleSerializer)
    def post(self, request, cycle_id: int):
        cycle_or_404(cycle_id)
        ser = FinaliseInput(data=request.data)
        ser.is_valid(raise_exception=True)
        cycle = services.cycle_finalise(actor=request.user, cycle_id=cycle_id,
                                        missing_accepted=ser.validated_data["accept_missing"])
        return Response(CycleSerializer(cycle).data)


class CycleMissingApi(APIView):
    """`GET cycles/{id}/missing/`: who lacks which values (those indicators score 0), as the cycle
    page names them — before the compute from the data as it stands, once computed from the
    scores (what finalising would freeze). For whoever runs or finalises the appraisal (HR)."""
    roles = R.OFFICE

    @extend_schema(responses={200: list[dict]})
    def get(self, request, cycle_id: int):
        cycle = cycle_or_404(cycle_id)
        if not selectors.is_hr(request.user):
            raise PermissionDenied()
        missing = selectors.missing_inputs(cycle)
        users = {u.pk: u for u in User.objects.filter(pk__in=[m.user_id for m in missing])}
        departments = {d.pk: d for d in Department.objects.filter(pk__in={m.department_id for m in missing})}
        return Response([{
            "username": users[m.user_id].username, "display_name": users[m.user_id].display_name,
            "department": departments[m.department_id].code,
            "metrics": [{"code": code, "label": display.metric_label(code)} for code in m.metrics],
        } for m in missing])


class CycleScoresApi(APIView):
    """Scores of a cycle the caller may see (HR: all; a department manager: their department;
    anyone: their own)."""
    roles = R.INSIDERS


    @extend_schema(responses=ScoreSerializer(many=True))
    def get(self, request, cycle_id: int):
        cycle = cycle_or_404(cycle_id)
        qs = selectors.scores_visible_to(request.user, cycle)
        if request.query_params.get("department"):
            qs = qs.filter(department__code=request.query_params["department"])
        return Response(scores_payload(qs))


class ScoreDetailApi(APIView):
    roles = R.INSIDERS

    @extend_schema(responses=dict)
    def get(self, request, score_id: int):
        score = selectors.access_score(request.user, score_id)
        data = ScoreSerializer(score).data
        data["lines"] = LineSerializer(selectors.score_lines(score, request.user), many=True).data
        return Response(data)


class ScoreAdjustApi(APIView):
    roles = R.INSIDERS  # department managers (a membership role of performance) adjust; the service decides

    @extend_schema(request=AdjustInput, responses=ScoreSerializer)
    def post(self, request, score_id: int):
        selectors.access_score(request.user, score_id)
        ser = AdjustInput(data=request.data)
        ser.is_valid(raise_exception=True)
        try:
            score = services.score_adjust(actor=request.user, score_id=score_id, may_adjust=selectors.may_adjust,
                                          **ser.validated_data)
        except services.PermissionDenied:
            raise PermissionDenied(_("您无权调整该得分。"))
        return Response(ScoreSerializer(score).data)


class MyScoresApi(APIView):
    """The caller's own scores, each with the lines that drove it."""
    roles = R.INSIDERS


    @extend_schema(responses=list[dict])
    def get(self, request):
        out = []
        for score in selectors.my_scores(request.user):
            data = ScoreSerializer(score).data
            data["lines"] = LineSerializer(selectors.score_lines(score, request.user), many=True).data
            out.append(data)
        return Response(out)


class SurveyCreateApi(APIView):
    roles = R.OFFICE

    @extend_schema(request=SurveyInput, responses={201: dict})
    def post(self, request, cycle_id: int):
        cycle = cycle_or_404(cycle_id)
        ser = SurveyInput(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        survey = services.survey_create(actor=request.user, cycle=cycle, target_department=department_by_code(
            d["department"]), title=d["title"], scale=d["scale"])
        return Response({"id": survey.pk, "department": survey.target_department.code, "title": survey.title,
                         "scale": survey.scale}, status=status.HTTP_201_CREATED)


class SurveyAnswerApi(APIView):
    roles = R.INSIDERS

    @extend_schema(request=AnswerInput, responses={201: dict})
    def post(self, request, survey_id: int):
        survey = Survey.objects.select_related("cycle").filter(pk=survey_id).first()
        if survey is None:
            raise Http404
        ser = AnswerInput(data=request.data)
        ser.is_valid(raise_exception=True)
        answer = services.survey_answer(actor=request.user, survey=survey, answer=ser.validated_data["answer"])
        return Response({"answer": answer.answer, "points": str(answer.points)}, status=status.HTTP_201_CREATED)


class ReviewCreateApi(APIView):
    roles = R.INSIDERS

    @extend_schema(request=ReviewInput, responses={201: dict})
    def post(self, request, cycle_id: int):
        cycle = cycle_or_404(cycle_id)
        ser = ReviewInput(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        review = services.review_create(actor=request.user, cycle=cycle, subject=branch_user(d["subject"], "subject"),
                                        points=d["points"], comment=d["comment"])
        return Response({"id": review.pk, "points": str(review.points)}, status=status.HTTP_201_CREATED)


class BonusRuleListApi(APIView):
    roles = R.OFFICE

    @extend_schema(responses=BonusRuleIO(many=True))
    def get(self, request):
        return Response([rule_data(r) for r in BonusRule.objects.select_related("department", "linked_department")])

    @extend_schema(request=BonusRuleIO, responses={201: BonusRuleIO})
    def post(self, request):
        ser = BonusRuleIO(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        try:
            rule = services.bonus_rule_create(
                actor=request.user, code=d["code"], kind=d["kind"], department=department_by_code(d["department"]),
                linked_department=department_by_code(d["linked_department"], "linked_department"),
                effective_from=d["effective_from"], params=d["params"],
            )
        except services.BonusRuleScopeTaken as exc:
            # The API names rules by code: say which code takes the change as its new version.
            raise ValidationError({**exc.message_dict, "code": [
                _("%(dept)s的奖金规则编码为“%(code)s”:以该编码提交即为它的新版本。") % {
                    "dept": exc.rule.department.name, "code": exc.rule.code}]}) from None
        return Response(rule_data(rule), status=status.HTTP_201_CREATED)


class BonusBaseApi(APIView):
    roles = R.OFFICE

    @extend_schema(request=BonusBaseInput, responses={200: dict})
    def post(self, request, cycle_id: int):
        cycle = cycle_or_404(cycle_id)
        ser = BonusBaseInput(data=request.data)
        ser.is_valid(raise_exception=True)
        base = services.bonus_base_set(actor=request.user, cycle=cycle,
                                       department=department_by_code(ser.validated_data["department"]),
                                       amount=ser.validated_data["amount"])
        return Response({"department": base.department.code, "amount": str(base.amount)})


class BonusLinesApi(APIView):
    """GET: the cycle's bonus lines; POST: (re)compute them from the rules in force. HR staff run
    them (bases, compute); what they come to is department pay (薪酬保密), which only managers and
    HQ read: the amounts are withheld from everyone else (BonusLineSerializer). HQ finance reads."""
    roles = {"GET": R.OFFICE_AND_FINANCE, "POST": R.OFFICE}


    @extend_schema(responses=BonusLineSerializer(many=True))
    def get(self, request, cycle_id: int):
        cycle = cycle_or_404(cycle_id)
        lines = BonusLine.objects.filter(cycle=cycle).select_related("department", "rule")
        return Response(BonusLineSerializer(lines, many=True, context={"reader": request.user}).data)

    @extend_schema(request=None, responses=BonusLineSerializer(many=True))
    def post(self, request, cycle_id: int):
        cycle_or_404(cycle_id)
        services.bonuses_compute(actor=request.user, cycle_id=cycle_id)
        lines = BonusLine.objects.filter(cycle_id=cycle_id).select_related("department", "rule")
        return Response(BonusLineSerializer(lines, many=True, context={"reader": request.user}).data)


class AwardsApi(APIView):
    roles = {"GET": R.INSIDERS, "POST": R.OFFICE}

    @extend_schema(responses=AwardSerializer(many=True))
    def get(self, request, cycle_id: int):
        cycle = cycle_or_404(cycle_id)
        awards = Award.objects.filter(cycle=cycle).select_related("department")
        return Response(AwardSerializer(awards, many=True, context={"reader": request.user}).data)

    @extend_schema(request=FinaliseInput, responses=AwardSerializer(many=True))
    def post(self, request, cycle_id: int):
        cycle_or_404(cycle_id)
        ser = FinaliseInput(data=request.data)  # accept_missing, as for finalising
        ser.is_valid(raise_exception=True)
        awards = services.awards_choose(actor=request.user, cycle_id=cycle_id,
                                        missing_accepted=ser.validated_data["accept_missing"])
        return Response(AwardSerializer(awards, many=True, context={"reader": request.user}).data)


class RiskFlagsApi(APIView):
    """Attrition-risk flags with their reasons: HR see all, a department manager their own."""
    roles = R.INSIDERS


    @extend_schema(responses=RiskFlagSerializer(many=True))
    def get(self, request, cycle_id: int):
        cycle = cycle_or_404(cycle_id)
        flags = selectors.risk_flags_visible_to(request.user, cycle).select_related("department")
        return Response(RiskFlagSerializer(flags, many=True).data)
