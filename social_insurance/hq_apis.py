"""HQ API (`/api/v1/si/…`, public schema): policy table and metadata, per-city operating settings,
and the cross-branch duplicate report."""
from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import APIView

from branches import roles as R
from branches.permissions import IsHQ, IsHQAdmin

from . import selectors
from .apis import _period
from .policies import settings_api
from .policies.selectors import city_row, city_table, policy_table


class DuplicateReportApi(APIView):
    roles = R.HQ_ANY

    def get(self, request):
        period = _period(str(request.query_params.get("period") or ""))
        return Response({"period": period, "duplicates": selectors.duplicate_report(period)})


def policy_json(p) -> dict:
    return {
        "id": p.id, "city": p.city, "name": p.name, "year": p.year_label,
        "effective_from": p.effective_from.isoformat(),
        "effective_to": p.effective_to.isoformat() if p.effective_to else None,
        "confidence": p.confidence, "sources": p.sources, "notes": p.notes, "locked": p.locked_at is not None,
        "items": [{"type": i.kind, "base_floor": str(i.base_floor),
                   "base_ceiling": str(i.base_ceiling) if i.base_ceiling is not None else None,
                   "employer_percent": str(i.employer_percent) if i.employer_percent is not None else None,
                   "employee_percent": str(i.employee_percent), "rounding": i.rounding} for i in p.items.all()],
    }


class PolicyListApi(APIView):
    roles = R.HQ_ANY

    def get(self, request):
        return Response([policy_json(p) for p in policy_table()])


def _read_or_admin(view) -> list:
    """HQ admin and HQ finance read; only the HQ admin changes."""
    return [IsHQ()] if view.request.method in SAFE_METHODS else [IsHQAdmin()]


def _policy_or_404(pk: int):
    policy = policy_table().filter(pk=pk).first()
    if policy is None:
        raise Http404
    return policy


class PolicyDetailApi(APIView):
    """`GET` one version; `PATCH {sources?, confidence?, notes?}` (HQ admin): what describes the
    data stays editable on a frozen version; amounts and dates are not editable here."""
    roles = {"GET": R.HQ_ANY, "*": R.HQ_ADMIN_ONLY}

    @extend_schema(operation_id="si_policy_retrieve", responses={200: dict})
    def get(self, request, pk: int):
        return Response(policy_json(_policy_or_404(pk)))

    @extend_schema(request=dict, responses={200: dict})
    def patch(self, request, pk: int):
        settings_api.policy_metadata_change(actor=request.user, policy_id=pk, data=request.data)
        return Response(policy_json(_policy_or_404(pk)))


def city_json(row) -> dict:
    r = row.rules
    return {"city": row.city, "name": row.name, "configured": row.configured,
            "add_cutoff_day": r.add_cutoff_day, "remove_covers_leaving_month": r.remove_covers_leaving_month,
            "back_payment_months_limit": r.back_payment_months_limit, "reconcile_day": r.reconcile_day,
            "file_day": r.file_day}


class CityListApi(APIView):
    """`GET`: every city with a policy and its operating settings (the defaults when HQ has not
    set them: `configured` false). HQ admin and HQ finance."""
    roles = R.HQ_ANY


    @extend_schema(operation_id="si_cities_list", responses={200: list[dict]})
    def get(self, request):
        return Response([city_json(row) for row in city_table()])


class CityDetailApi(APIView):
    """`GET` one city; `PATCH {add_cutoff_day?, remove_covers_leaving_month?,
    back_payment_months_limit?, reconcile_day?, file_day?}` (HQ admin) → the city's settings."""
    roles = {"GET": R.HQ_ANY, "*": R.HQ_ADMIN_ONLY}

    @extend_schema(operation_id="si_city_retrieve", responses={200: dict})
    def get(self, request, city: str):
        row = city_row(city)
        if row is None:
            raise Http404
        return Response(city_json(row))

    @extend_schema(request=dict, responses={200: dict})
    def patch(self, request, city: str):
        settings_api.city_setting_change(actor=request.user, city=city, data=request.data)
        return Response(city_json(city_row(city)))
