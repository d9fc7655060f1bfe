"""HQ's company-wide leaderboard (`GET /api/v1/leaderboards/?period=&metric=`): a month read from
the public rollup that every branch recompute maintains (no visit of branch schemas), an ISO week
(`YYYY-Www`) from every branch's lines of that week."""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.views import APIView

from branches import roles as R
from branches.permissions import COMPANY_COMMISSION_BOARD_DENIED
from branches.prepared_api import PreparedGet
from commissions import prepared, selectors
from commissions import serializers as doc
from hrsaas.core.inputs import Errors, parse_period
from hrsaas.core.period import MAX_YEAR, MIN_YEAR, Period
from hrsaas.core.prepared import json_response


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
            kind = selectors.parse_board_period(period.strip())[0]
        except ValueError:
            errors = Errors()
            if "W" not in period.upper():
                parse_period({"period": period}, "period", errors)  # the month parser's own words
            raise ValidationError(errors.errors or {"period": [
                _("期间须为 YYYY-MM(月)或 YYYY-Www(ISO 周,如 2026-W09;该年须有这一周),年份在 %(lo)d–%(hi)d 之间:%(v)s")
                % {"lo": MIN_YEAR, "hi": MAX_YEAR, "v": period[:20]}]})
        if metric not in selectors.METRICS:
            raise ValidationError({"metric": [_("指标须为 openings、sales 或 commission。")]})
        if metric == "commission" and not R.may_read_commission_amounts(request.user):
            raise PermissionDenied(COMPANY_COMMISSION_BOARD_DENIED)
        if kind == "week":  # read from every branch's lines of the week (not prepared)
            return prepared.hq_board_body(period.strip(), metric)
        period = str(Period.parse(period))  # " 2025-07" is 2025-07: its rows, its prepared body
        return prepared.hq_board_json(period, metric, request=request)
