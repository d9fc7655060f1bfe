"""Branch side of 社保/公积金 (each branch's schema).

Insured employees (员工档案) of the branch's clients, the monthly cycle (增减员 → contributions →
费用明细表 → 申报), checks, disputes and payment exceptions. Filed months are immutable: a
database trigger (migration 0002) refuses any change to a filed month's lines; corrections
are new lines in a later month pointing at what they correct.
"""
from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from social_insurance.policies.models import ItemKind

PERIOD_RE = r"^\d{4}-(0[1-9]|1[0-2])$"


def _money(verbose, **kw):
    return models.DecimalField(verbose, max_digits=12, decimal_places=2, **kw)


def _precise(verbose, **kw):
    return models.DecimalField(verbose, max_digits=16, decimal_places=6, **kw)


def _percent(verbose, **kw):
    return models.DecimalField(verbose, max_digits=6, decimal_places=2, **kw)


def _user_fk(verbose, **kw):
    return models.ForeignKey(
        "branches.User", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+",
        verbose_name=verbose, **kw,
    )


class InsuredEmployee(models.Model):
    """员工档案. The identity number is stored encrypted, with a keyed hash for equality search."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="insured_employees",
                               verbose_name=_("客户"))
    name = models.CharField(_("姓名"), max_length=100)
    id_number_encrypted = models.TextField(_("身份证号(加密)"))
    id_number_hash = models.CharField(max_length=64, db_index=True)
    id_number_masked = models.CharField(_("身份证号"), max_length=20)
    insured_city = models.SlugField(_("参保地"), max_length=30)
    contract_city = models.SlugField(_("合同签订地"), max_length=30)
    payroll_city = models.SlugField(_("工资发放地"), max_length=30)
    wage = _money(_("申报工资"))
    housing_fund_percent = _percent(_("公积金比例%"), null=True, blank=True)
    injury_rate = _percent(_("工伤费率%"), null=True, blank=True)
    start_date = models.DateField(_("参保开始"))
    end_date = models.DateField(_("参保结束"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = _user_fk(_("录入人"), null=True, blank=True)

    history = HistoricalRecords(user_db_constraint=False, excluded_fields=["id_number_encrypted"])

    class Meta:
        ordering = ["client", "name", "id"]
        verbose_name = _("参保员工")
        constraints = [
            models.CheckConstraint(condition=Q(wage__gte=0), name="si_employee_wage_not_negative"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="si_employee_end_after_start",
            ),
            models.UniqueConstraint(fields=["client", "id_number_hash", "start_date"], name="si_employee_unique_stint"),
        ]
        indexes = [models.Index(fields=["start_date", "end_date"], name="si_employee_dates")]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_number_masked})"


class ClientContact(models.Model):
    """Which client company a client_contact user speaks for (confirms fee statements)."""

    user = _user_fk(_("联系人"))
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")

    # Linking opens a company's fee statements and insured people to an outsider: who linked or
    # unlinked whom, and when, is kept.
    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "client"], name="si_client_contact_unique")]


class CycleStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    RECONCILED = "reconciled", _("增减员已核对")
    FILED = "filed", _("已申报")


class MonthCycle(models.Model):
    """One branch-month: 增减员 reconciled by the 5th, filing by the 10th, receipt recorded."""

    period = models.CharField(_("月份"), max_length=7, unique=True)
    status = models.CharField(_("状态"), max_length=12, choices=CycleStatus.choices, default=CycleStatus.OPEN)
    reconcile_due = models.DateField(_("增减员核对截止"))
    file_due = models.DateField(_("申报截止"))
    computed_at = models.DateTimeField(null=True, blank=True)
    employee_count = models.PositiveIntegerField(default=0)
    employer_total = _money(_("单位合计"), default=0)
    employee_total = _money(_("个人合计"), default=0)
    reconciled_at = models.DateTimeField(null=True, blank=True)
    reconciled_by = _user_fk(_("核对人"), null=True, blank=True)
    filed_at = models.DateTimeField(null=True, blank=True)
    filed_by = _user_fk(_("申报人"), null=True, blank=True)
    receipt_no = models.CharField(_("申报回执号"), max_length=80, blank=True)
    receipt_note = models.TextField(_("回执说明"), blank=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["-period"]
        constraints = [
            models.CheckConstraint(condition=Q(period__regex=PERIOD_RE), name="si_cycle_period_format"),
            models.CheckConstraint(
                condition=~Q(status="filed") | (Q(filed_at__isnull=False) & ~Q(receipt_no="")),
                name="si_cycle_filed_has_receipt",
            ),
        ]

    def __str__(self) -> str:
        return self.period


class ChangeKind(models.TextChoices):
    ADD = "add", _("增员")
    REMOVE = "remove", _("减员")


class StaffChange(models.Model):
    """增减员 list of a month, derived from start/end dates."""

    period = models.CharField(max_length=7)
    employee = models.ForeignKey(InsuredEmployee, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=8, choices=ChangeKind.choices)
    effective_date = models.DateField()

    class Meta:
        ordering = ["period", "kind", "employee"]
        constraints = [
            models.UniqueConstraint(fields=["period", "employee", "kind"], name="si_change_unique"),
        ]


class LineSource(models.TextChoices):
    REGULAR = "regular", _("正常缴费")
    BACK_PAY = "back_pay", _("补缴")
    REFUND = "refund", _("退费")
    # A policy year published after months were filed under the previous one (基数补差).
    TRUE_UP = "true_up", _("政策补差")


class ContributionLine(models.Model):
    """One item of one person's month. Business key: (period, employee, kind, source, for_period).

    `for_period` is the month the money is for: the line's own month for regular lines, the
    disputed month for 补缴/退费 lines, the month filed without the person for the 补缴 of a
    增员 entered late (all of which live in a later, open month)."""

    period = models.CharField(max_length=7)
    for_period = models.CharField(max_length=7)
    # Referential integrity of lines is enforced set-based by statement-level triggers
    # (migration 0003) instead of per-row FK triggers: a month writes hundreds of thousands of lines.
    employee = models.ForeignKey(InsuredEmployee, on_delete=models.PROTECT, related_name="lines",
                                 db_constraint=False)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+", db_constraint=False)
    kind = models.CharField(max_length=20, choices=ItemKind.choices)
    source = models.CharField(max_length=10, choices=LineSource.choices, default=LineSource.REGULAR)
    policy_id = models.BigIntegerField()  # si_policies.CityPolicy in public (no cross-schema FK)
    # The wage the base was clamped from (the corrected wage on a dispute's lines): a later
    # policy year with another floor or ceiling re-derives the base from it.
    wage = _money(_("申报工资"), null=True, blank=True)
    base = _money(_("缴费基数"))
    employer_percent = _percent(_("单位比例%"))
    employee_percent = _percent(_("个人比例%"))
    employer_precise = _precise(_("单位金额(精确)"))
    employee_precise = _precise(_("个人金额(精确)"))
    employer_amount = _money(_("单位金额"))
    employee_amount = _money(_("个人金额"))
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections",
                                 db_constraint=False)
    dispute = models.ForeignKey("BaseDispute", null=True, blank=True, on_delete=models.PROTECT, related_name="lines",
                                db_constraint=False)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["period", "client", "employee", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["period", "employee", "kind", "source", "for_period"],
                                    name="si_line_business_key"),
            models.CheckConstraint(
                condition=~Q(source="regular") | (Q(for_period=F("period")) & Q(corrects__isnull=True)),
                name="si_line_regular_is_own_month",
            ),
            # A correction points at the line it corrects; a 补缴 of a month filed without the
            # person (entered late) has no line to point at, and no dispute.
            models.CheckConstraint(
                condition=Q(source="regular") | (Q(for_period__lt=F("period")) & (
                    Q(corrects__isnull=False) | (Q(source="back_pay") & Q(dispute__isnull=True)))),
                name="si_line_correction_points_back",
            ),
        ]
        indexes = [models.Index(fields=["period", "client"], name="si_line_period_client")]


class StatementStatus(models.TextChoices):
    ISSUED = "issued", _("待客户确认")
    CONFIRMED = "confirmed", _("客户已确认")
    DISPUTED = "disputed", _("客户有异议")


class FeeStatement(models.Model):
    """费用明细表 of one client for one month; the client contact confirms or disputes it."""

    period = models.CharField(max_length=7)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    employee_count = models.PositiveIntegerField(default=0)
    employer_total = _money(_("单位合计"))
    employee_total = _money(_("个人合计"))
    total = _money(_("合计"))
    status = models.CharField(max_length=10, choices=StatementStatus.choices, default=StatementStatus.ISSUED)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = _user_fk(_("确认人"), null=True, blank=True)
    response_note = models.TextField(blank=True)
    # The office's answer to a dispute, sent with the statement back for confirmation.
    reply_note = models.TextField(_("答复"), blank=True, db_default="")  # the SQL compute inserts statements
    replied_at = models.DateTimeField(null=True, blank=True)
    replied_by = _user_fk(_("答复人"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(user_db_constraint=False)

    @property
    def awaits_answer(self) -> bool:
        """The client disputed it and the office has not answered: still disputed, or a dispute
        whose figures a recompute has since replaced (the statement went back to 待确认 by itself,
        the note still stands). A note that came with a confirmation waits for nothing."""
        if self.status == StatementStatus.DISPUTED:
            return True
        if not (self.status == StatementStatus.ISSUED and self.response_note and not self.reply_note
                and self.responded_at is None):
            return False
        last = (self.history.filter(responded_at__isnull=False).order_by("-history_date", "-history_id")
                .values_list("status", flat=True).first())
        return last == StatementStatus.DISPUTED

    class Meta:
        ordering = ["period", "client"]
        constraints = [
            models.UniqueConstraint(fields=["period", "client"], name="si_statement_unique"),
            models.CheckConstraint(condition=Q(total=F("employer_total") + F("employee_total")),
                                   name="si_statement_total_adds_up"),
        ]


class ChargeKind(models.TextChoices):
    SERVICE_FEE = "service_fee", _("服务费")
    LATE_FEE = "late_fee", _("滞纳金")


class FeeStatementCharge(models.Model):
    """A line billed on a fee statement besides the contributions passed through: the service fee
    (服务费, per contracted service) and the statutory late fee (滞纳金). The amount the client
    owes is the statement's `total` plus these charges (selectors.statement_amount_due)."""

    statement = models.ForeignKey(FeeStatement, on_delete=models.CASCADE, related_name="charges")
    kind = models.CharField(max_length=20, choices=ChargeKind.choices)
    # For a service fee, the contracted service it bills (clients.Service); for a late fee, the
    # month whose contributions were paid late ("YYYY-MM": one late-fee line per late month and
    # statement, see social_insurance/late_fees.py).
    service = models.CharField(max_length=30, blank=True, default="")
    amount = _money(_("金额"))
    # Why this amount: its arithmetic as values (people and fee; a late fee's payments, days and
    # amounts), put into words in the reader's language when shown (`explanation_text`), and the
    # sentence in Chinese as billed (e.g. "60 人 × 30.00 元/人·月"; charges written before the
    # values were kept have only the sentence).
    args = models.JSONField(default=dict, blank=True)
    explanation = models.CharField(_("说明"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["statement", "kind", "service"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "kind", "service"], name="si_charge_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="si_charge_not_negative"),
        ]

    @property
    def explanation_text(self) -> str:
        from .display import charge_words, guarded

        return guarded(charge_words, self.kind, self.args, self.explanation)


class FeePayment(models.Model):
    """Money received from the client against one fee statement (回款). Never edited: a wrong
    entry is reversed by a negative payment that names it (audited like every payment)."""

    statement = models.ForeignKey(FeeStatement, on_delete=models.PROTECT, related_name="payments")
    amount = _money(_("金额"))
    paid_on = models.DateField(_("到账日期"))
    reference = models.CharField(_("流水号"), max_length=60, blank=True, default="")
    note = models.CharField(_("备注"), max_length=300, blank=True, default="")
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversed_by")
    recorded_by = _user_fk(_("登记人"))
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["statement", "paid_on", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="si_payment_not_zero"),
            models.CheckConstraint(condition=Q(amount__gt=0) | Q(reverses__isnull=False),
                                   name="si_payment_negative_only_as_reversal"),
        ]
        indexes = [models.Index(fields=["statement", "paid_on"], name="si_payment_statement_day")]


class ClientMoneyPolicy(models.Model):
    """The branch's client-money dates (one row; the defaults until the manager changes them).

    A fee statement of month M is due from the client (付款到期日) on `payment_due_day` of M; the
    contributions on it are due to the social-insurance agency (法定缴费截止日) on
    `contribution_due_day` of M. The client's day is never after the agency's, so a client who
    pays on time never causes a late fee (滞纳金)."""

    payment_due_day = models.PositiveSmallIntegerField(_("客户付款到期日"), default=15)
    contribution_due_day = models.PositiveSmallIntegerField(_("社保费法定缴费截止日"), default=25)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(payment_due_day__gte=1, payment_due_day__lte=28),
                                   name="si_money_payment_due_day_range"),
            models.CheckConstraint(condition=Q(contribution_due_day__gte=1, contribution_due_day__lte=28),
                                   name="si_money_contribution_due_day_range"),
            models.CheckConstraint(condition=Q(payment_due_day__lte=F("contribution_due_day")),
                                   name="si_money_client_due_before_agency"),
        ]

    @classmethod
    def current(cls) -> "ClientMoneyPolicy":
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class FindingKind(models.TextChoices):
    LOCATION_MISMATCH = "location_mismatch", _("参保地、合同地、发薪地不一致")
    BASE_BELOW_FLOOR = "base_below_floor", _("申报工资低于缴费基数下限")
    DUPLICATE_IN_BRANCH = "duplicate_in_branch", _("同一身份证号本月重复参保(本分支机构)")
    DUPLICATE_ACROSS_BRANCHES = "duplicate_across", _("同一身份证号本月在其他分支机构也参保")
    NO_POLICY = "no_policy", _("参保地本月无适用政策")
    RATE_ADJUSTED = "rate_adjusted", _("所选比例不符合本年度政策(超出范围或须为整数),请与客户确认")
    UNINSURED_ON_PAYROLL = "uninsured_payroll", _("在客户工资表上但本月未参保")
    INSURED_NOT_ON_PAYROLL = "not_on_payroll", _("本月参保但不在客户工资表上")


class CheckFinding(models.Model):
    """A check's result for a month; recomputed with the month while it is open."""

    period = models.CharField(max_length=7)
    kind = models.CharField(max_length=24, choices=FindingKind.choices)
    # An insured person, or (for someone on a client's payroll without insurance) the payroll row.
    employee = models.ForeignKey(InsuredEmployee, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="findings")
    payroll_entry = models.ForeignKey("PayrollEntry", null=True, blank=True, on_delete=models.CASCADE,
                                      related_name="findings")
    # What the check found (cities, wage and floor, rates, a count), put into words when shown
    # (`detail_text`), so a reader sees it in their own language. `detail` is the sentence that
    # findings written before these values were kept hold instead.
    args = models.JSONField(default=dict, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["period", "kind", "employee"]
        constraints = [
            models.UniqueConstraint(fields=["period", "kind", "employee"], name="si_finding_unique"),
            models.UniqueConstraint(fields=["period", "kind", "payroll_entry"], name="si_finding_payroll_unique"),
            models.CheckConstraint(condition=Q(employee__isnull=False) | Q(payroll_entry__isnull=False),
                                   name="si_finding_has_subject"),
        ]

    @property
    def person_name(self) -> str:
        return self.employee.name if self.employee_id else self.payroll_entry.name

    @property
    def person_id_masked(self) -> str:
        return self.employee.id_number_masked if self.employee_id else self.payroll_entry.id_number_masked

    @property
    def detail_text(self) -> str:
        from .display import finding_detail, guarded

        return guarded(finding_detail, self.kind, self.args, self.detail)


class PayrollEntry(models.Model):
    """One person on a client's payroll for a month (工资表), imported from the client's file.

    The monthly checks compare it with who is insured: someone paid but not insured (the client's
    legal risk) and someone insured but not paid (挂靠 risk)."""

    period = models.CharField(_("月份"), max_length=7)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("姓名"), max_length=100)
    id_number_hash = models.CharField(max_length=64)
    id_number_masked = models.CharField(_("身份证号"), max_length=20)
    gross_wage = _money(_("应发工资"), null=True, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = _user_fk(_("导入人"), null=True, blank=True)

    class Meta:
        ordering = ["period", "client", "name"]
        constraints = [
            models.UniqueConstraint(fields=["period", "client", "id_number_hash"], name="si_payroll_once_per_month"),
        ]
        indexes = [models.Index(fields=["period", "id_number_hash"], name="si_payroll_period_hash")]


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    RESOLVED = "resolved", _("已更正")
    REJECTED = "rejected", _("已驳回")


class BaseDispute(models.Model):
    """A dispute about a person's base for a filed month; resolved by 补缴/退费 lines, or rejected."""

    employee = models.ForeignKey(InsuredEmployee, on_delete=models.PROTECT, related_name="disputes")
    period = models.CharField(_("争议月份"), max_length=7)
    claimed_base = _money(_("主张的工资"))
    reason = models.TextField(_("原因"))
    status = models.CharField(max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    raised_by = _user_fk(_("提出人"), null=True, blank=True)
    raised_at = models.DateTimeField(auto_now_add=True)
    corrected_wage = _money(_("更正后工资"), null=True, blank=True)
    settled_in_period = models.CharField(_("补退月份"), max_length=7, blank=True)
    resolved_by = _user_fk(_("处理人"), null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # What the office wrote when it corrected or rejected the claim (required for a rejection).
    note = models.TextField(_("处理说明"), blank=True, default="")

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.CheckConstraint(condition=Q(claimed_base__gte=0), name="si_dispute_claim_not_negative"),
        ]


class ExceptionStatus(models.TextChoices):
    OPEN = "open", _("待响应")
    RESPONDED = "responded", _("处理中")
    RESOLVED = "resolved", _("已解决")


class PaymentException(models.Model):
    """缴费失败 and other exceptions: respond within 1 hour, resolve within 24 hours."""

    period = models.CharField(max_length=7)
    employee = models.ForeignKey(InsuredEmployee, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=30, default="payment_failed")
    description = models.TextField(_("描述"))
    status = models.CharField(max_length=10, choices=ExceptionStatus.choices, default=ExceptionStatus.OPEN)
    opened_at = models.DateTimeField()
    respond_due = models.DateTimeField()
    resolve_due = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    opened_by = _user_fk(_("登记人"), null=True, blank=True)
    handled_by = _user_fk(_("处理人"), null=True, blank=True)
    resolution = models.TextField(_("处理结果"), blank=True)

    history = HistoricalRecords(user_db_constraint=False)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(condition=Q(respond_due__gt=F("opened_at")) & Q(resolve_due__gte=F("respond_due")),
                                   name="si_exception_clock_order"),
        ]
