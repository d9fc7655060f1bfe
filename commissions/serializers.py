"""OpenAPI shapes of the commission API (documentation only: input is parsed by
commissions.inputs / services so that the API and imports share one set of rules)."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class SaleIn(serializers.Serializer):
    client = serializers.IntegerField()
    service = serializers.ChoiceField(choices=["social_insurance", "housing_fund", "payroll_outsourcing"])
    period = serializers.CharField(help_text="YYYY-MM")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    seller = serializers.CharField(help_text="username")
    add_service = serializers.BooleanField(
        required=False, default=False,
        help_text="true: the client now also contracts this service (added to the client, audited); "
                  "otherwise a service the client has not contracted is refused")


class SaleOut(serializers.Serializer):
    id = serializers.IntegerField()
    client = serializers.IntegerField()
    service = serializers.CharField()
    period = serializers.CharField(help_text="YYYY-MM")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    seller = serializers.CharField(help_text="username")


class LeadIn(serializers.Serializer):
    name = serializers.CharField()
    source = serializers.ChoiceField(choices=["marketing", "sales"])
    marketer = serializers.CharField(required=False, help_text="username; required for marketing leads")
    qualified = serializers.BooleanField(required=False, default=True)
    created_on = serializers.DateField(required=False)


class LeadSignIn(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    signed_on = serializers.DateField()
    seller = serializers.CharField(help_text="username")


class LeadOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    source = serializers.CharField()
    marketer = serializers.CharField(allow_null=True)
    qualified = serializers.BooleanField()
    created_on = serializers.DateField()
    status = serializers.CharField(help_text="open | signed")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    signed_on = serializers.DateField(allow_null=True)
    seller = serializers.CharField(allow_null=True)


class RecomputeIn(serializers.Serializer):
    period = serializers.CharField(help_text="YYYY-MM")


class RecomputeOut(serializers.Serializer):
    task_id = serializers.CharField()
    period = serializers.CharField()


class StatementSummary(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    period = serializers.CharField()
    status = serializers.CharField(help_text="open | closed | paid")
    total = serializers.DecimalField(max_digits=16, decimal_places=2)
    line_count = serializers.IntegerField()


class StatementLineOut(serializers.Serializer):
    source = serializers.CharField(help_text="<branch code>:<client|sale|lead>:<id>")
    component = serializers.CharField()
    base = serializers.DecimalField(max_digits=14, decimal_places=2)
    adjustment_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    rate = serializers.DecimalField(max_digits=7, decimal_places=2)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    explanation = serializers.CharField()
    explanation_en = serializers.CharField()
    rule_version = serializers.IntegerField(allow_null=True)
    event_date = serializers.DateField()
    corrects = serializers.CharField(allow_null=True)


class StatementOut(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    period = serializers.CharField()
    status = serializers.CharField(help_text="open | closed | paid")
    total = serializers.DecimalField(max_digits=16, decimal_places=2)
    lines = StatementLineOut(many=True)


class PeriodCloseOut(serializers.Serializer):
    period = serializers.CharField()
    status = serializers.CharField()
    closed_at = serializers.DateTimeField()
    closed_by = serializers.CharField()


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string", "format": "decimal"}],
                      "description": "openings: a count (integer); sales and commission: money as a decimal string"})
class BoardFigure(serializers.Field):
    pass


class LeaderboardRow(serializers.Serializer):
    rank = serializers.IntegerField()
    username = serializers.CharField()
    value = BoardFigure()
    gap_to_previous = BoardFigure(allow_null=True, help_text="null for the first rank")


class LeaderboardOut(serializers.Serializer):
    period = serializers.CharField()
    metric = serializers.ChoiceField(choices=["openings", "sales", "commission"])
    rows = LeaderboardRow(many=True)
    me = serializers.CharField(allow_null=True, required=False)


class ImportIn(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (UTF-8 or GBK) or XLSX")


class ImportError_(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class ImportOut(serializers.Serializer):
    ok = serializers.BooleanField()
    kind = serializers.CharField()
    imported = serializers.IntegerField()
    errors = ImportError_(many=True)
    expected = serializers.DictField()
    actual = serializers.DictField(required=False)


class ClientIn(serializers.Serializer):
    name = serializers.CharField()
    headcount = serializers.IntegerField(min_value=1)
    opened_on = serializers.DateField()
    opened_by = serializers.CharField(help_text="username (may be another branch's specialist)")
    services = serializers.ListField(child=serializers.CharField(), required=False)
    contract_no = serializers.CharField(required=False)
    city = serializers.CharField(required=False)
    credit_code = serializers.CharField(required=False, help_text="统一社会信用代码, 18 characters (GB 32100-2015); "
                                        "a client is unique in a branch by it, else by its normalised name")
    opening_source = serializers.ChoiceField(choices=["manual", "awaiting", "cycle"], required=False,
                                             help_text="manual (default): the opening as entered; awaiting: the "
                                             "opening follows from the first month filed with insured people "
                                             "(cycle, once it has)")
    fee_social_insurance = serializers.CharField(required=False, help_text="服务费, yuan per insured person per month")
    fee_housing_fund = serializers.CharField(required=False)
    fee_payroll_outsourcing = serializers.CharField(required=False)


class ClientOut(ClientIn):
    id = serializers.IntegerField()
    closed_on = serializers.DateField(allow_null=True)
    opening_period = serializers.CharField(allow_null=True, help_text="first filed month with insured people")


class ClientFeesIn(serializers.Serializer):
    fee_social_insurance = serializers.CharField(required=False, help_text="服务费, yuan per insured person per month")
    fee_housing_fund = serializers.CharField(required=False)
    fee_payroll_outsourcing = serializers.CharField(required=False)


class ClientCloseIn(serializers.Serializer):
    closed_on = serializers.DateField()
