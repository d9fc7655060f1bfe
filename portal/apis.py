"""Portal API (`/b/<code>/api/v1/claims/…`): parse, call one service or selector, serialize."""
from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from branches import roles as R
from branches.models import User
from branches.permissions import request_branch
from branches.uploads import serve_branch_file
from hrsaas.core.parsers import JSONObjectParser

from . import selectors, services
from . import serializers as doc


def claim_out(claim, branch) -> dict:
    names = dict(User.objects.filter(pk__in=[claim.claimant_id, claim.overridden_by_id]).values_list("pk", "username"))
    base = f"/b/{branch.code}/api/v1/claims/{claim.pk}/photos/"
    return {
        "id": claim.pk, "client": claim.client_ref, # not the name of a client someone else opened (the claimant typed a number)
        "client_name": claim.client.name if claim.client and claim.reason_code != "not_opener" else None,
        "claimant": names.get(claim.claimant_id), "tier": claim.tier_index, "tier_amount": f"{claim.tier_amount:.2f}",
        "status": claim.status, "reason_code": claim.reason_code, "reason": claim.reason, "note": claim.note,
        "created_at": claim.created_at.isoformat(), "decided_at": claim.decided_at.isoformat(),
        "overridden_by": names.get(claim.overridden_by_id), "override_note": claim.override_note,
        "statement_line": ({"id": claim.statement_line_id, "period": claim.statement_period}
                           if claim.status == "approved" else None),
        "statement_link": services._statement_link(branch, claim)
        if claim.client and claim.status == "approved" else None,
        "photos": [{"id": p.pk, "name": p.original_name, "content_type": p.content_type, "size": p.size,
                    "url": f"{base}{p.pk}/"} for p in claim.photos.all()],
    }


class ClaimListApi(APIView):
    roles = {"GET": R.INSIDERS, "POST": R.EARNER_ROLES}
    parser_classes = [MultiPartParser, FormParser, JSONObjectParser]

    @extend_schema(operation_id="claims_list", responses=doc.ClaimOut(many=True))
    def get(self, request):
        branch = request_branch(request)
        return Response([claim_out(c, branch) for c in selectors.claims_visible_to(request.user, branch)[:200]])

    @extend_schema(operation_id="claims_create", request={"multipart/form-data": doc.ClaimIn},
                   responses={201: doc.ClaimOut})
    def post(self, request):
        """Submit a claim; it is reviewed at once: `status` approved, or rejected with `reason`.
        Bad input (no photo, wrong type, too large, fake extension, bad numbers) → 400, nothing saved."""
        branch = request_branch(request)
        data = request.data if hasattr(request.data, "get") else {}
        files = request.FILES.getlist("photos") if hasattr(request, "FILES") else []
        claim = services.claim_submit(actor=request.user, branch=branch, data=services.parse_claim(data, files))
        return Response(claim_out(claim, branch), status=status.HTTP_201_CREATED)


class ClaimDetailApi(APIView):
    roles = R.INSIDERS

    @extend_schema(operation_id="claims_retrieve", responses=doc.ClaimOut)
    def get(self, request, claim_id: int):
        branch = request_branch(request)
        return Response(claim_out(selectors.access_claim(request.user, branch, claim_id), branch))


class ClaimOverrideApi(APIView):
    roles = R.MANAGER

    @extend_schema(operation_id="claims_override", request=doc.ClaimOverrideIn, responses=doc.ClaimOut)
    def post(self, request, claim_id: int):
        branch = request_branch(request)
        data = request.data if hasattr(request.data, "get") else {}
        decision = data.get("decision")
        if decision not in ("approve", "reject"):
            raise ValidationError({"decision": [_("须为 approve 或 reject。")]})
        claim = services.claim_override(actor=request.user, branch=branch, claim_id=claim_id,
                                        approve=decision == "approve", note=data.get("note", ""))
        return Response(claim_out(claim, branch))


class ClaimPhotoApi(APIView):
    roles = R.INSIDERS

    @extend_schema(operation_id="claims_photo", responses={(200, "image/*"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request, claim_id: int, photo_id: int):
        claim = selectors.access_claim(request.user, request_branch(request), claim_id)
        photo = claim.photos.filter(pk=photo_id).first()
        if photo is None:
            raise Http404
        return serve_branch_file(photo.file.name, download_name=photo.original_name)
