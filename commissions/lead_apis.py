"""Branch lead API (`/b/<code>/api/v1/leads/…`): marketing and sales work their own leads, the
office every lead (roles and scope: `lead_services`, `lead_selectors`)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from branches.permissions import request_branch
from branches.roles import BRANCH_READ_ALL, Role, roles_in_branch
from clients.models import Service
from hrsaas.core import inputs as core_inputs
from hrsaas.core.listing import LIST_WINDOW, window

from . import inputs, lead_selectors, lead_services
from . import serializers as doc
from .models import Lead

# Deny by default: the roles that work leads (HQ admins pass as managers).
# Declared roles (deny by default): who works leads, and who decides over them.
LEAD_WORKERS = frozenset({Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.MARKETING, Role.SALES})
# Signing is the seller's (or the office's) act, never the marketer's: a marketer is refused for
# the role (403, whatever the lead), as the contract's "403 for permission" says; a seller's
# reach is their own leads (anyone else's, like a missing one, is 404).
LEAD_SIGNERS = frozenset({Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.SALES})
MANAGERS = frozenset({Role.BRANCH_MANAGER})


def _data(request) -> dict:
    return request.data if isinstance(request.data, dict) else {}


def _roles(request) -> frozenset[str]:
    return roles_in_branch(request.user, request_branch(request))


def _one(request, lead_id: int) -> dict:
    return lead_selectors.public(lead_selectors.lead_detail(request.user, _roles(request), lead_id))


class LeadRowOut(doc.LeadOut):
    owner = serializers.CharField(allow_null=True, help_text="username of the seller following it up (跟进销售)")
    stage = serializers.ChoiceField(choices=["entered", "visited", "received", "intent", "archived", "settled"])
    stage_label = serializers.CharField()
    stage_since = serializers.DateTimeField()
    next_stage = serializers.CharField(allow_null=True)
    turn_of = serializers.CharField(allow_null=True, help_text="whose turn the next step is")
    contact = serializers.CharField(allow_blank=True, help_text="联系人")
    phone = serializers.CharField(allow_blank=True, help_text="联系电话")
    channel = serializers.ChoiceField(choices=list(Lead.Channel.values), allow_null=True, help_text="渠道")
    channel_label = serializers.CharField(allow_null=True)
    services = serializers.ListField(child=serializers.ChoiceField(choices=list(Service.values)),
                                     help_text="意向服务")
    service_labels = serializers.ListField(child=serializers.CharField())
    notes = serializers.CharField(allow_blank=True, help_text="备注")


class LeadDetailsIn(serializers.Serializer):
    """The optional contact details of a lead (on creation and in an edit)."""

    contact = serializers.CharField(required=False, allow_blank=True, max_length=50, help_text="联系人")
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30,
                                  help_text="联系电话: a Chinese mobile or landline (digits, +, -, spaces)")
    channel = serializers.ChoiceField(choices=list(Lead.Channel.values), required=False, allow_blank=True,
                                      help_text="渠道 (its key, or its name)")
    services = serializers.ListField(child=serializers.ChoiceField(choices=list(Service.values)), required=False,
                                     help_text="意向服务")
    notes = serializers.CharField(required=False, allow_blank=True, max_length=500, help_text="备注")


class LeadCreateIn(doc.LeadIn, LeadDetailsIn):
    owner = serializers.CharField(required=False, help_text="username of a seller of this branch (跟进销售)")


class LeadEditIn(LeadDetailsIn):
    """Only the fields sent change. The amount, signing date, seller, source, marketer, lead date
    and stage are not edited here (400 when sent with another value)."""

    name = serializers.CharField(required=False)
    qualified = serializers.BooleanField(required=False)
    owner = serializers.CharField(required=False, help_text="username of a seller of this branch (跟进销售), as "
                                                            "the assign endpoint allows")


class LeadListCreateApi(APIView):
    """`GET leads/`: the leads the caller works; `POST leads/`: a new lead (a marketer's own
    marketing lead, a seller's own self-sourced lead, or any lead by the office)."""

    roles = LEAD_WORKERS

    @extend_schema(operation_id="leads_list", responses=LeadRowOut(many=True),
                   parameters=[OpenApiParameter("stage", str, required=False), *LIST_WINDOW])
    def get(self, request):
        qs = lead_selectors.leads_visible_to(request.user, _roles(request)).order_by("-created_on", "-id")
        stage = request.query_params.get("stage")
        if stage:
            qs = qs.filter(stage=stage)
        rows, headers = window(request, qs, most=500)
        return Response([lead_selectors.public(r) for r in lead_selectors.lead_rows(rows)], headers=headers)

    @extend_schema(operation_id="leads_create", request=LeadCreateIn, responses={201: doc.LeadOut})
    def post(self, request):
        data, details = lead_services.parse_new_lead(_data(request), actor=request.user, roles=_roles(request))
        lead = lead_services.lead_record(actor=request.user, data=data, details=details)
        return Response(_one(request, lead.pk), status=status.HTTP_201_CREATED)


class LeadDetailApi(APIView):
    """`GET leads/{id}/`: one lead; `PATCH leads/{id}/`: edit it (those who work it)."""

    roles = LEAD_WORKERS

    @extend_schema(operation_id="leads_retrieve", responses=LeadRowOut)
    def get(self, request, lead_id: int):
        return Response(_one(request, lead_id))

    @extend_schema(operation_id="leads_update", request=LeadEditIn, responses={200: LeadRowOut})
    def patch(self, request, lead_id: int):
        lead = lead_services.lead_update(actor=request.user, roles=_roles(request), lead_id=lead_id,
                                         data=_data(request))
        return Response(_one(request, lead.pk))


class LeadSignApi(APIView):
    roles = LEAD_SIGNERS

    @extend_schema(operation_id="leads_sign", request=doc.LeadSignIn, responses={200: doc.LeadOut})
    def post(self, request, lead_id: int):
        roles = _roles(request)
        lead_selectors.access_lead(request.user, roles, lead_id)  # 404 before any word about the input
        data = lead_services.parse_own_sign(_data(request), actor=request.user, roles=roles)
        lead = lead_services.lead_sign_by(actor=request.user, roles=roles, lead_id=lead_id, data=data)
        return Response(_one(request, lead.pk))


class LeadStageIn(serializers.Serializer):
    stage = serializers.ChoiceField(choices=["visited", "received", "intent", "settled"])
    note = serializers.CharField(required=False)


class LeadStageApi(APIView):
    roles = LEAD_WORKERS

    @extend_schema(operation_id="leads_stage", request=LeadStageIn, responses={200: LeadRowOut})
    def post(self, request, lead_id: int):
        data = _data(request)
        lead = lead_services.lead_stage_move(actor=request.user, roles=_roles(request), lead_id=lead_id,
                                             to=core_inputs.text(data, "stage", max_length=20),
                                             note=core_inputs.text(data, "note", max_length=300))
        return Response(_one(request, lead.pk))


class LeadAssignIn(serializers.Serializer):
    owner = serializers.CharField(help_text="username of a seller of this branch")


class LeadAssignApi(APIView):
    roles = LEAD_WORKERS

    @extend_schema(operation_id="leads_assign", request=LeadAssignIn, responses={200: LeadRowOut})
    def post(self, request, lead_id: int):
        lead = lead_services.lead_assign(actor=request.user, roles=_roles(request), lead_id=lead_id,
                                         data=_data(request))
        return Response(_one(request, lead.pk))


class LeadDisputeIn(serializers.Serializer):
    reason = serializers.CharField()
    claimant = serializers.CharField(required=False, help_text="office only: the marketer or seller who claims it")


class LeadDisputeOut(serializers.Serializer):
    id = serializers.IntegerField()
    lead = serializers.IntegerField()
    status = serializers.CharField()


def _dispute_out(d) -> dict:
    return {"id": d.id, "lead": d.lead_id, "status": d.status}


class LeadDisputeApi(APIView):
    roles = LEAD_WORKERS

    @extend_schema(operation_id="leads_dispute", request=LeadDisputeIn, responses={201: LeadDisputeOut})
    def post(self, request, lead_id: int):
        d = lead_services.lead_dispute_raise(actor=request.user, roles=_roles(request), lead_id=lead_id,
                                             data=_data(request))
        return Response(_dispute_out(d), status=status.HTTP_201_CREATED)


class LeadDisputeDecideIn(serializers.Serializer):
    upheld = serializers.BooleanField()
    note = serializers.CharField()


class LeadDisputeDecideApi(APIView):
    roles = MANAGERS

    @extend_schema(operation_id="leads_dispute_decide", request=LeadDisputeDecideIn, responses={200: LeadDisputeOut})
    def post(self, request, dispute_id: int):
        d = lead_services.lead_dispute_decide(actor=request.user, dispute_id=dispute_id, data=_data(request))
        return Response(_dispute_out(d))


class LeadSummaryOut(serializers.Serializer):
    period = serializers.CharField()
    leads = serializers.IntegerField()
    qualified = serializers.IntegerField()
    converted = serializers.IntegerField()
    conversion_percent = serializers.CharField(allow_null=True)
    threshold_percent = serializers.CharField(allow_null=True)
    reaches_threshold = serializers.BooleanField(allow_null=True)
    points = serializers.CharField()
    points_yuan = serializers.CharField(allow_null=True, help_text=(
        "The points' pay in yuan: the marketer's own and the manager's; null for branch staff (薪酬保密)."))


class LeadSummaryApi(APIView):
    """A marketer's month: leads, conversion rate, points and the threshold. Marketing sees its
    own; the office names the marketer (`?marketer=username`)."""

    roles = frozenset({Role.BRANCH_MANAGER, Role.BRANCH_STAFF, Role.MARKETING})

    @extend_schema(operation_id="leads_summary", responses=LeadSummaryOut,
                   parameters=[OpenApiParameter("period", str), OpenApiParameter("marketer", str)])
    def get(self, request):
        from django.http import Http404

        errors = inputs.Errors()
        period = request.query_params.get("period") or lead_selectors.this_period()
        period = inputs.parse_period({"period": period}, "period", errors)
        errors.raise_if_any()
        roles = _roles(request)
        marketer = request.user
        if lead_services.is_office(roles) and request.query_params.get("marketer"):
            from branches.models import User

            # Only this branch's marketers: anyone else answers as a name that does not exist,
            # so the office cannot learn who has an account elsewhere.
            marketer = User.objects.filter(
                username=request.query_params["marketer"], memberships__branch=request_branch(request),
                memberships__role=Role.MARKETING).first()
            if marketer is None:
                raise Http404
        figures = lead_selectors.marketing_figures(marketer.pk, period)
        if marketer.pk != request.user.pk and not roles & BRANCH_READ_ALL:
            # Staff follow the leads' work, not what it pays: pay is for the earner, managers and
            # HQ (薪酬保密), as the statements are.
            figures["points_yuan"] = None
        return Response(figures)


class LeadPolicyIn(serializers.Serializer):
    stage_limit_days = serializers.IntegerField(min_value=1, max_value=365)


class LeadPolicyApi(APIView):
    """The branch's stage limit (default 7 days): read by the lead workers, set by the manager."""

    roles = {"GET": LEAD_WORKERS, "POST": MANAGERS}

    @extend_schema(operation_id="leads_settings", responses=LeadPolicyIn)
    def get(self, request):
        return Response({"stage_limit_days": lead_selectors.stage_limit_days()})

    @extend_schema(operation_id="leads_settings_update", request=LeadPolicyIn, responses=LeadPolicyIn)
    def post(self, request):
        policy = lead_services.lead_policy_update(actor=request.user, data=_data(request))
        return Response({"stage_limit_days": policy.stage_limit_days})
