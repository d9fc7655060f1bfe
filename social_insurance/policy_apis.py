"""HQ API for policy versions (`/api/v1/si/policies/…`, public schema): publish a new version
(a new year, possibly applying back to months already filed) and keep a version in force."""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from branches import roles as R

from .policies import services as policy_services


class PublishSerializer(serializers.Serializer):
    city = serializers.CharField()
    name = serializers.CharField(required=False)
    year = serializers.CharField()
    effective_from = serializers.CharField()
    effective_to = serializers.CharField(required=False, allow_null=True)
    items = serializers.DictField(help_text=(
        "Per 险种 (pension, medical, maternity, unemployment, work_injury, housing_fund), the data "
        "file's shape: base [floor, ceiling|null]; employer and employee percents, or employer_range "
        "[min, max] with employee, or rate_range [min, max] for both sides (housing_fund); optional "
        "employer_fixed, employee_fixed (yuan), supplementary_range, note (text) and whole_percent "
        "(true/false, rate_range only; when left out, the city's latest version's rule for that 险种 "
        "is kept, or a note containing \"whole percent\" sets it)."))
    rounding = serializers.DictField(required=False)
    sources = serializers.ListField(child=serializers.CharField())
    confidence = serializers.CharField()
    notes = serializers.CharField(required=False, allow_blank=True)


def policy_json(p) -> dict:
    return {
        "id": p.id, "city": p.city, "name": p.name, "year": p.year_label,
        "effective_from": p.effective_from.isoformat(),
        "effective_to": p.effective_to.isoformat() if p.effective_to else None,
        "confidence": p.confidence, "sources": p.sources, "locked": p.locked_at is not None,
    }


class PolicyPublishApi(APIView):
    """发布新政策版本 (HQ admin). Branches post the 补差 of filed months in the background."""
    roles = R.HQ_ADMIN_ONLY


    @extend_schema(request=PublishSerializer, responses={201: dict})
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        policy = policy_services.policy_publish(
            actor=request.user, city=data.get("city"), name=data.get("name"), year_label=data.get("year"),
            effective_from=data.get("effective_from"), effective_to=data.get("effective_to"),
            items=data.get("items"), rounding=data.get("rounding"), sources=data.get("sources"),
            confidence=data.get("confidence"), notes=data.get("notes") or "",
        )
        return Response(policy_json(policy), status=status.HTTP_201_CREATED)


class ExtendSerializer(serializers.Serializer):
    effective_to = serializers.CharField(allow_null=True)


class PolicyExtendApi(APIView):
    """沿用: keep a version in force longer (`effective_to` null = until the next is published)."""
    roles = R.HQ_ADMIN_ONLY


    @extend_schema(request=ExtendSerializer, responses={200: dict})
    def post(self, request, pk: int):
        data = request.data if isinstance(request.data, dict) else {}
        if "effective_to" not in data:
            raise serializers.ValidationError({"effective_to": [_("请填写新的失效日期,或 null 表示沿用至新版本发布。")]})
        policy = policy_services.policy_extend(actor=request.user, policy_id=pk, effective_to=data["effective_to"])
        return Response(policy_json(policy))
