"""HQ's company-wide leaderboard (`GET /api/v1/leaderboards/?period=&metric=`), read from the
public rollup that every branch recompute maintains (no visit of branch schemas)."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.views import APIView

from branches import roles as R
from branches.permissions import COMMISSION_BOARD_DENIED
from branches.prepared_api import PreparedGet
from commissions import prepared, selectors
from hrsaas.core.period import parse_period
from hrsaas.core.prepared import json_response
from commissions import serializers as doc


class HQLeaderboardApi(PreparedGet, APIView):
    roles = R.INSIDERS
    # Everyone who works for the company may see the board by openings and sales (usernames and
    # monthly totals, never lines); commission amounts only managers and HQ (the role matrix).

    @extend_schema(operation_id="hq_leaderboards", parameters=[OpenApiParameter("period", str, required=True), OpenApiParameter("metric", str, enum=["openings", "sales", "commission"])], responses=doc.LeaderboardOut)
    def get(self, request):
        return json_response(request, self.body(request))

    @classmethod
    def body(cls, request) -> bytes:
        period, metric = request.GET.get("period", ""), request.GET.get("metric", "openings")
        try:
            kind = selectors.parse_board_period(period)[0]
        except ValueError:
            raise ValidationError({"period": ["期间格式须为 YYYY-MM。"]})
        if kind != "month":
            raise ValidationError({"period": ["全公司排行按月统计,期间格式须为 YYYY-MM。"]})
        period = parse_period(period)  # " 2025-07" is 2025-07: its rows, its prepared body
        if metric not in selectors.METRICS:
            raise ValidationError({"metric": ["指标须为 openings、sales 或 commission。"]})
        if metric == "commission" and not R.may_read_commission_amounts(request.user):
            raise PermissionDenied(COMMISSION_BOARD_DENIED)
        return prepared.hq_board_json(period, metric, request=request)
