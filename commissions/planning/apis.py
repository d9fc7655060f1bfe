"""Planning API. Thin: parse, call one selector or service, serialize.

HQ (`/api/v1/planning/…`): rule drafts (HQ reads, HQ admins write), their replay over any
branch or all, suggestions for every branch, a suggestion → draft. A branch
(`/b/<code>/api/v1/planning/…`): the manager (and HQ) replays a proposed or an unsaved
adjustment and reads the branch's suggestions; the manager turns one into a proposal.
Everyone else: 403/404 as the role matrix says (docs/security.md)."""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from branches import roles as R
from branches.models import Branch
from branches.permissions import request_branch

from hrsaas.core import inputs

from .. import adjustments
from ..hq.models import RuleDraft
from ..hq.services import parse_rule_version
from ..hq.apis import RuleVersionDoc
from . import engine as E
from . import selectors, services

READERS = R.MANAGER | {R.Role.HQ_FINANCE}  # in a branch: its manager, and HQ (admins pass every branch role)
WINDOW = [OpenApiParameter("months", int, description="1–24, default 12"),
          OpenApiParameter("until", str, description="YYYY-MM, default this month")]


class FigureDoc(serializers.Serializer):
    current = serializers.CharField()
    draft = serializers.CharField()
    difference = serializers.CharField()


class PersonFigureDoc(FigureDoc):
    name = serializers.CharField()
    branch = serializers.CharField()


class ReplayDoc(FigureDoc):
    periods = serializers.ListField(child=serializers.CharField())
    lines = serializers.IntegerField()
    seconds = serializers.FloatField()
    by_branch = serializers.ListField(child=serializers.DictField())
    by_component = serializers.ListField(child=serializers.DictField())
    by_month = serializers.ListField(child=serializers.DictField())
    by_person = PersonFigureDoc(many=True)
    gainers = PersonFigureDoc(many=True)
    losers = PersonFigureDoc(many=True)


class RuleDraftDoc(serializers.Serializer):
    id = serializers.IntegerField()
    component = serializers.CharField()
    effective_from = serializers.DateField()
    params = serializers.DictField()
    note = serializers.CharField()
    status = serializers.ChoiceField(choices=RuleDraft.Status.choices)
    created_by = serializers.CharField(allow_null=True)
    published_version = serializers.IntegerField(allow_null=True)


class SuggestionDoc(serializers.Serializer):
    kind = serializers.CharField(help_text="small_clients | low_retention")
    branch = serializers.CharField()
    branch_name = serializers.CharField()
    title = serializers.CharField()
    explanation = serializers.CharField()
    figures = serializers.ListField(child=serializers.DictField())
    component = serializers.CharField()
    component_label = serializers.CharField()
    percent = serializers.CharField()
    cost_current = serializers.CharField()
    cost_draft = serializers.CharField()
    cost_difference = serializers.CharField()
    people_changed = serializers.IntegerField()


class SuggestionDraftIn(serializers.Serializer):
    kind = serializers.CharField(help_text="small_clients | low_retention")
    branch = serializers.CharField(required=False, help_text="HQ only: the branch's code")
    target = serializers.ChoiceField(choices=[services.ADJUSTMENT, services.RULE], required=False)
    months = serializers.IntegerField(required=False)
    until = serializers.CharField(required=False)


class AdjustmentReplayIn(serializers.Serializer):
    component = serializers.CharField()
    percent = serializers.CharField()
    months = serializers.IntegerField(required=False)
    until = serializers.CharField(required=False)


class DraftCreatedDoc(serializers.Serializer):
    kind = serializers.CharField(help_text="adjustment | rule_draft")
    id = serializers.IntegerField()


def _data(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def rule_draft_out(d: RuleDraft) -> dict:
    return {"id": d.pk, "component": d.component, "effective_from": d.effective_from.isoformat(), "params": d.params,
            "note": d.note, "status": d.status, "created_by": d.created_by.username if d.created_by_id else None,
            "published_version": d.published_version_id}


def hq_scope(code) -> list[Branch]:
    """HQ's branches: one by its code, or every active one."""
    if code in (None, ""):
        return selectors.hq_branches()
    branch = Branch.objects.exclude(schema_name="public").filter(code=str(code)).first()
    if branch is None:
        raise DjangoValidationError({"branch": [_("未知分支机构:%(c)s") % {"c": str(code)[:40]}]})
    return [branch]


# ---------------------------------------------------------------------------------------------
# HQ
# ---------------------------------------------------------------------------------------------
class RuleDraftListApi(APIView):
    """`GET planning/rule-drafts/` (HQ), `POST` a draft — the body of a rule version (HQ admin)."""

    roles = {"GET": R.HQ_ANY, "POST": R.HQ_ADMIN_ONLY}

    @extend_schema(operation_id="planning_rule_drafts_list", responses=RuleDraftDoc(many=True))
    def get(self, request):
        return Response([rule_draft_out(d) for d in RuleDraft.objects.select_related("created_by")[:200]])

    @extend_schema(operation_id="planning_rule_drafts_create", request=RuleVersionDoc, responses={201: RuleDraftDoc})
    def post(self, request):
        draft = services.rule_draft_create(actor=request.user, data=parse_rule_version(request.data))
        return Response(rule_draft_out(draft), status=status.HTTP_201_CREATED)


class RuleDraftReplayApi(APIView):
    """`GET planning/rule-drafts/{id}/replay/?months=&until=&branch=`: the draft as if in force
    from the first replayed month, against the rules in force; nothing is saved."""

    roles = R.HQ_ANY

    @extend_schema(operation_id="planning_rule_draft_replay", responses=ReplayDoc,
                   parameters=[*WINDOW, OpenApiParameter("branch", str, description="a branch code; default all")])
    def get(self, request, draft_id: int):
        draft = services.access_rule_draft(draft_id)
        periods = selectors.parse_window(request.query_params)
        result = selectors.replay(draft=services.rule_draft_as_data(draft), periods=periods,
                                  branches=hq_scope(request.query_params.get("branch")))
        return Response(selectors.replay_out(result))


class RuleDraftPublishApi(APIView):
    """`POST planning/rule-drafts/{id}/publish/` (HQ admin): a rule version effective the draft's day."""

    roles = R.HQ_ADMIN_ONLY

    @extend_schema(operation_id="planning_rule_draft_publish", request=None, responses=RuleDraftDoc)
    def post(self, request, draft_id: int):
        return Response(rule_draft_out(services.rule_draft_publish(actor=request.user, draft_id=draft_id)))


class RuleDraftDiscardApi(APIView):
    roles = R.HQ_ADMIN_ONLY

    @extend_schema(operation_id="planning_rule_draft_discard", request=None, responses=RuleDraftDoc)
    def post(self, request, draft_id: int):
        return Response(rule_draft_out(services.rule_draft_discard(actor=request.user, draft_id=draft_id)))


class HQSuggestionsApi(APIView):
    """`GET planning/suggestions/?months=&until=&branch=`: every branch's suggestions (HQ)."""

    roles = R.HQ_ANY

    @extend_schema(operation_id="planning_suggestions_hq", responses=SuggestionDoc(many=True),
                   parameters=[*WINDOW, OpenApiParameter("branch", str)])
    def get(self, request):
        periods = selectors.parse_window(request.query_params)
        return Response(selectors.suggestions(branches=hq_scope(request.query_params.get("branch")), periods=periods))


class HQSuggestionDraftApi(APIView):
    """`POST planning/suggestions/draft/ {kind, branch, target}` (HQ admin): a draft adjustment
    of the branch (proposal for its manager) or, for small clients, a rule draft."""

    roles = R.HQ_ADMIN_ONLY

    @extend_schema(operation_id="planning_suggestion_draft_hq", request=SuggestionDraftIn,
                   responses={201: DraftCreatedDoc})
    def post(self, request):
        data = _data(request)
        branch = hq_scope(data.get("branch") or "-")[0]
        return _created(services.suggestion_to_draft(
            actor=request.user, branch=branch, kind=inputs.text(data, "kind", max_length=40),
            target=inputs.text(data, "target", max_length=40) or services.ADJUSTMENT,
            periods=selectors.parse_window(data)))


def _created(obj) -> Response:
    kind = "rule_draft" if isinstance(obj, RuleDraft) else "adjustment"
    return Response({"kind": kind, "id": obj.pk}, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------------------------
# A branch
# ---------------------------------------------------------------------------------------------
class AdjustmentReplayApi(APIView):
    """`GET planning/adjustments/{id}/replay/?months=&until=`: a proposal (or any adjustment of
    the branch) as if approved from the first replayed month."""

    roles = READERS

    @extend_schema(operation_id="planning_adjustment_replay", responses=ReplayDoc, parameters=WINDOW)
    def get(self, request, adjustment_id: int):
        adj = adjustments.access_adjustment(adjustment_id)
        branch = request_branch(request)
        periods = selectors.parse_window(request.query_params)
        result = selectors.replay(draft=E.AdjustmentDraftData(branch.id, adj.component, adj.percent), periods=periods,
                                  branches=[branch])
        return Response(selectors.replay_out(result))


class AdjustmentDraftReplayApi(APIView):
    """`POST planning/adjustments/replay/ {component, percent, months?, until?}`: an adjustment
    typed but not saved, replayed; nothing is written."""

    roles = READERS

    @extend_schema(operation_id="planning_adjustment_draft_replay", request=AdjustmentReplayIn,
                   responses=ReplayDoc)
    def post(self, request):
        data = _data(request)
        draft = selectors.parse_adjustment_draft(data, request_branch(request))
        result = selectors.replay(draft=draft, periods=selectors.parse_window(data), branches=[request_branch(request)])
        return Response(selectors.replay_out(result))


class BranchSuggestionsApi(APIView):
    roles = READERS

    @extend_schema(operation_id="planning_suggestions_branch", responses=SuggestionDoc(many=True), parameters=WINDOW)
    def get(self, request):
        periods = selectors.parse_window(request.query_params)
        return Response(selectors.suggestions(branches=[request_branch(request)], periods=periods))


class BranchSuggestionDraftApi(APIView):
    """`POST planning/suggestions/draft/ {kind}` (manager): the suggestion as an adjustment
    proposal from next month, approved like any proposal (by another manager)."""

    roles = R.MANAGER

    @extend_schema(operation_id="planning_suggestion_draft_branch", request=SuggestionDraftIn,
                   responses={201: DraftCreatedDoc})
    def post(self, request):
        data = _data(request)
        return _created(services.suggestion_to_draft(
            actor=request.user, branch=request_branch(request), kind=inputs.text(data, "kind", max_length=40),
            target=services.ADJUSTMENT, periods=selectors.parse_window(data)))
