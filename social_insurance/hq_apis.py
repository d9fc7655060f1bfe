"""HQ API (`/api/v1/si/…`, public schema): policy table and the cross-branch duplicate report."""
from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import APIView

from branches.permissions import IsHQ

from . import selectors
from .apis import _period
from .policies.selectors import policy_table


class DuplicateReportApi(APIView):
    permission_classes = [IsHQ]

    def get(self, request):
        period = _period(str(request.query_params.get("period") or ""))
        return Response({"period": period, "duplicates": selectors.duplicate_report(period)})


class PolicyListApi(APIView):
    permission_classes = [IsHQ]

    def get(self, request):
        out = []
        for p in policy_table():
            out.append({
                "id": p.id, "city": p.city, "name": p.name, "year": p.year_label,
                "effective_from": p.effective_from.isoformat(),
                "effective_to": p.effective_to.isoformat() if p.effective_to else None,
                "confidence": p.confidence, "sources": p.sources, "notes": p.notes, "locked": p.locked_at is not None,
                "items": [{"type": i.kind, "base_floor": str(i.base_floor),
                           "base_ceiling": str(i.base_ceiling) if i.base_ceiling is not None else None,
                           "employer_percent": str(i.employer_percent) if i.employer_percent is not None else None,
                           "employee_percent": str(i.employee_percent), "rounding": i.rounding} for i in p.items.all()],
            })
        return Response(out)
