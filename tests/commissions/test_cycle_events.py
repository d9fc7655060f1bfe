"""Commission events taken from the social-insurance cycle (issue #20): service fees billed by the
month compute, sales from them (earned on confirmation or on payment), openings from the first
filed month, retention from the insured headcount, clawback and the negative balance carried."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clients.models import Client
from commissions.hq.models import BranchPeriod, RuleVersion
from commissions.hq.rules import DEFAULT_RULES
from commissions.models import Sale, StatementLine
from social_insurance import services as si
from social_insurance.models import FeeStatement, FeeStatementCharge
from tests.conftest import in_branch

from .conftest import drain, recompute

pytestmark = pytest.mark.django_db
D = Decimal
M = "2025-08"


def rule(component: str, effective_from: str, **changes) -> RuleVersion:
    return RuleVersion.objects.create(component=component, effective_from=dt.date.fromisoformat(effective_from),
                                      params={**DEFAULT_RULES[component], **changes})


def si_client(people, *, name="甲公司", opening_source="awaiting", fee="30.00", hf_fee="0", headcount=10,
              opened_on=dt.date(2025, 7, 20), services=("social_insurance", "housing_fund")) -> Client:
    return Client.objects.create(name=name, headcount=headcount, opened_on=opened_on, opened_by=people["bj_s1"],
                                 services=list(services), city="beijing", opening_source=opening_source,
                                 fee_social_insurance=D(fee), fee_housing_fund=D(hf_fee))


def insure(client, n: int, *, start="2025-07-01", first=1, actor=None):
    """`n` insured people at `client` (rows as the 增员 service writes them, made in one insert:
    the identity checks are not what these tests are about)."""
    from social_insurance.models import InsuredEmployee

    InsuredEmployee.objects.bulk_create(InsuredEmployee(
        client=client, name=f"员工{i}", id_number_encrypted="-", id_number_hash=f"test-{client.pk}-{i}",
        id_number_masked="1101**********0000", insured_city="beijing", contract_city="beijing",
        payroll_city="beijing", wage=D("10000"), start_date=dt.date.fromisoformat(start)) for i in range(first, first + n))


def lines(earner, period):
    return sorted((ln.component, ln.amount) for ln in StatementLine.objects.filter(period=period, earner=earner))


def compute_and_file(staff, period=M):
    si.month_compute(actor=staff, period=period)
    si.month_reconcile(actor=staff, period=period)
    si.month_file(actor=staff, period=period, receipt_no=f"R-{period}")


def confirm(people, client, period=M):
    contact = people["bj_contact"]
    si.client_contact_link(actor=None, user=contact, client=client)
    st = FeeStatement.objects.get(period=period, client=client)
    si.statement_respond(actor=contact, statement_id=st.pk, decision="confirm")
    return st


def test_compute_bills_the_service_fee_per_insured_person_idempotently(people):
    staff = people["bj_staff"]
    with in_branch("bj"):
        c = si_client(people, fee="30.00", hf_fee="12.50")
        insure(c, 3, actor=staff)
        si.month_compute(actor=staff, period=M)
        st = FeeStatement.objects.get(period=M, client=c)
        charges = {(ch.service, ch.amount, ch.explanation) for ch in FeeStatementCharge.objects.filter(statement=st)}
        assert charges == {("social_insurance", D("90.00"), "3 人 × 30.00 元/人·月"),
                           ("housing_fund", D("37.50"), "3 人 × 12.50 元/人·月")}
        ids = set(FeeStatementCharge.objects.values_list("id", flat=True))
        si.month_compute(actor=staff, period=M)  # twice: the same rows, untouched
        assert set(FeeStatementCharge.objects.values_list("id", flat=True)) == ids
        # A confirmed statement whose fee changes goes back to the client; a fee of 0 bills nothing.
        confirm(people, c)
        c.fee_housing_fund = D("0")
        c.save()
        si.month_compute(actor=staff, period=M)
        st.refresh_from_db()
        assert st.status == "issued"
        assert list(FeeStatementCharge.objects.filter(statement=st).values_list("service", "amount")) == [
            ("social_insurance", D("90.00"))]


def test_a_sale_the_cycle_bills_is_not_keyed_by_hand_too(api, people):
    """A client with a service fee per person and someone insured through it in the month has that
    month's sale from its fee statement; a hand-keyed one is refused (the compute would replace
    it), in words, and nothing is saved. Where the compute makes no sale — nobody insured through
    the client (a 薪酬外包 client with a fee) — the sale is keyed by hand."""
    with in_branch("bj"):
        c = si_client(people, fee="80.00", services=("social_insurance", "payroll_outsourcing"))
        insure(c, 1)
        payroll_only = si_client(people, name="乙公司", fee="0", services=("payroll_outsourcing",))
        payroll_only.fee_payroll_outsourcing = D("50.00")
        payroll_only.save()
    staff = api(people["bj_staff"])
    r = staff.post("/b/bj/api/v1/sales/", {"client": c.pk, "service": "social_insurance", "period": M,
                                           "amount": "12000.00", "seller": "bj_s1"}, format="json")
    assert r.status_code == 400 and r.json() == {"service": [
        "客户 甲公司 的社保代缴按 80.00 元/人·月收取服务费,每月销售由社保月度计算按费用明细表自动生成,无需手工录入。"]}
    r = staff.post("/b/bj/api/v1/sales/", {"client": payroll_only.pk, "service": "payroll_outsourcing", "period": M,
                                           "amount": "5000.00", "seller": "bj_s1"}, format="json")
    assert r.status_code == 201, r.json()
    with in_branch("bj"):
        assert list(Sale.objects.values_list("client_id", "service", "amount")) == [
            (payroll_only.pk, "payroll_outsourcing", D("5000.00"))]
        si.month_compute(actor=people["bj_staff"], period=M)  # bills nothing for 乙: the keyed sale stands
        assert Sale.objects.get(client=payroll_only).amount == D("5000.00")


def test_service_fee_is_the_sale_earned_once_the_statement_is_confirmed(people):
    staff, s1 = people["bj_staff"], people["bj_s1"]
    with in_branch("bj"):
        c = si_client(people, opening_source="manual")
        # A sale recorded by hand for the same client, service and month is the same sale.
        Sale.objects.create(client=c, client_opened_on=c.opened_on, service="social_insurance", period=M,
                            amount=D("5000.00"), seller=people["bj_s2"])
        insure(c, 4, actor=staff)
        si.month_compute(actor=staff, period=M)
        sale = Sale.objects.get(client=c, service="social_insurance", period=M)
        assert (sale.source, sale.amount, sale.seller_id, sale.statement_confirmed) == ("cycle", D("120.00"),
                                                                                         people["bj_s2"].pk, False)
        assert Sale.objects.filter(client=c).count() == 1
        drain("bj")
        assert not StatementLine.objects.filter(period=M, component="sales_commission").exists()  # 待确认
        confirm(people, c)
        drain("bj")
        # New client (opened 2025-07): 2% of the 120.00 service fee, not of the contributions.
        assert lines(people["bj_s2"], M) == [("sales_commission", D("2.40"))]
        assert lines(s1, M) == []


def test_on_payment_the_commission_waits_for_the_payment(people):
    staff = people["bj_staff"]
    with in_branch("bj"):
        rule("sales_commission", "2025-01-01", earn_on="payment")
        c = si_client(people, opening_source="manual")
        insure(c, 2, actor=staff)
        si.month_compute(actor=staff, period=M)
        st = confirm(people, c)
        drain("bj")
        assert not StatementLine.objects.filter(period=M, component="sales_commission").exists()
        from commissions import selectors

        from branches.models import Branch
        awaiting = selectors.sales_awaiting("bj_s1", Branch.objects.get(code="bj"), M)
        assert [(a["service"], a["amount"], a["waiting"]) for a in awaiting] == [("社保代缴", "1.20", "待回款")]
        from social_insurance.selectors import statement_money

        due = statement_money(st).due
        half = (due / 2).quantize(D("0.01"))
        si.fee_payment_record(actor=staff, statement_id=st.pk, data={"amount": str(half), "paid_on": "2025-08-20"})
        drain("bj")
        assert not StatementLine.objects.filter(period=M, component="sales_commission").exists()
        paid = si.fee_payment_record(actor=staff, statement_id=st.pk,
                                     data={"amount": str(due - half), "paid_on": "2025-08-25"})
        drain("bj")
        assert lines(people["bj_s1"], M) == [("sales_commission", D("1.20"))]
        si.fee_payment_reverse(actor=staff, payment_id=paid.pk, reason="退票")
        drain("bj")
        assert lines(people["bj_s1"], M) == []


def test_first_filed_month_is_the_opening_with_its_insured_count_as_tier(people):
    staff, s1 = people["bj_staff"], people["bj_s1"]
    with in_branch("bj"):
        awaiting = si_client(people, name="待开户公司", fee="0")
        manual = si_client(people, name="手工开户公司", opening_source="manual", fee="0", headcount=20,
                           opened_on=dt.date(2025, 8, 5))
        insure(awaiting, 60, actor=staff)
        insure(manual, 55, first=100, actor=staff)
        recompute("bj", M)
        # Before the filing: the awaiting client pays nothing; the manual one its entered tier.
        assert lines(s1, M) == [("opening_reward", D("800.00"))]
        compute_and_file(staff)
        drain("bj")
        awaiting.refresh_from_db()
        manual.refresh_from_db()
        assert (awaiting.opening_source, awaiting.opening_period, awaiting.headcount, awaiting.opened_on) == (
            "cycle", M, 60, dt.date(2025, 8, 1))
        # A hand-recorded opening stands as entered (its date, headcount 20 and tier), paid once.
        assert (manual.opening_source, manual.headcount, manual.opened_on) == ("manual", 20, dt.date(2025, 8, 5))
        assert lines(s1, M) == [("opening_reward", D("800.00")), ("opening_reward", D("1200.00"))]
        from commissions import selectors

        from branches.models import Branch
        stmt = selectors.access_statement(s1, Branch.objects.get(code="bj"), s1.username, M)
        texts = [ln["explanation"] for ln in stmt["lines"]]
        assert any("首个申报月 2025年8月 参保 60 人 → 51–100人档" in t for t in texts), texts
        # A later filed month does not open them again.
        compute_and_file(staff, "2025-09")
        awaiting.refresh_from_db()
        assert awaiting.opening_period == M and awaiting.headcount == 60


def test_a_client_served_for_years_is_not_opened_again_by_its_first_month_filed_here(people):
    """Going live: a client opened by hand in 2024 has its first month filed in this system; its
    record stays as entered and its opener earns no second opening reward (the review of
    2026-12-05 saw three such clients re-opened and paid 920.00 each)."""
    staff, s1 = people["bj_staff"], people["bj_s1"]
    with in_branch("bj"):
        old = si_client(people, name="老客户公司", opening_source="manual", fee="0", headcount=10,
                        opened_on=dt.date(2024, 3, 1))
        insure(old, 9, actor=staff)
        compute_and_file(staff)
        drain("bj")
        old.refresh_from_db()
        assert (old.opening_source, old.headcount, old.opened_on) == ("manual", 10, dt.date(2024, 3, 1))
        assert lines(s1, M) == []
        assert not [h for h in old.history.all() if h.history_change_reason and "首个申报月" in h.history_change_reason]


def test_clawback_in_the_month_it_leaves_and_balance_carried_at_close(people):
    from branches.models import Branch
    from commissions import selectors, services

    staff, s1, manager = people["bj_staff"], people["bj_s1"], people["bj_manager"]
    rule("opening_reward", "2025-01-01", clawback_months=6)
    with in_branch("bj"):
        c = si_client(people, name="短期公司", fee="0")
        insure(c, 60, actor=staff)
        compute_and_file(staff)
        drain("bj")
        services.period_close(actor=manager, period=M)  # the opening paid in a closed month
        from clients.services import client_close

        client_close(actor=staff, client_id=c.pk, closed_on=dt.date(2025, 11, 15))  # its fourth month
        drain("bj")
        assert lines(s1, M) == [("opening_reward", D("1200.00"))]  # closed: untouched
        assert lines(s1, "2025-11") == [("opening_clawback", D("-1200.00"))]
        branch = Branch.objects.get(code="bj")
        stmt = selectors.access_statement(s1, branch, s1.username, "2025-11")
        assert stmt["lines"][0]["explanation"].startswith("客户短期公司于 2025年11月 终止,开户未满 6 个月,扣回开户奖励")
        drain("bj")
        assert lines(s1, "2025-11") == [("opening_clawback", D("-1200.00"))]  # recompute twice: same
        # Closing the negative month pays nothing and carries the balance to the next one.
        services.period_close(actor=manager, period="2025-11")
        assert sum(a for _, a in lines(s1, "2025-11")) == 0
        assert lines(s1, "2025-12") == [("balance_carried", D("-1200.00"))]
        drain("bj")
        services.recompute_period(period="2025-12")
        assert lines(s1, "2025-12") == [("balance_carried", D("-1200.00"))]  # kept by recomputes
        stmt = selectors.access_statement(s1, branch, s1.username, "2025-12")
        assert stmt["lines"][0]["explanation"] == "2025年11月 合计为负,结转余额 -1,200.00 元在本期扣减。"
        assert BranchPeriod.objects.get(branch=branch, period="2025-11").status == "closed"


def test_a_cycle_client_is_retained_when_it_still_has_insured_people(people):
    staff, s1 = people["bj_staff"], people["bj_s1"]
    with in_branch("bj"):
        kept = si_client(people, name="留存公司", fee="0")
        gone = si_client(people, name="流失公司", fee="0")
        insure(kept, 2, start="2024-07-01", actor=staff)
        insure(gone, 2, start="2024-07-01", first=50, actor=staff)
        for e in gone.insured_employees.all():
            si.employee_end(actor=staff, employee_id=e.pk, end_date=dt.date(2025, 6, 15))
        Client.objects.filter(pk__in=[kept.pk, gone.pk]).update(opening_source="cycle", opening_period="2024-07",
                                                               opened_on=dt.date(2024, 7, 1), headcount=2)
        si.month_compute(actor=staff, period="2025-07")  # the anniversary month (12 months)
        drain("bj")
        assert lines(s1, "2025-07") == [("retention_bonus", D("160.00"))]


def test_bad_fee_and_opening_source_are_refused_and_change_nothing(people, api):
    staff = people["bj_staff"]
    r = api(staff).post("/b/bj/api/v1/clients/", {
        "name": "坏数据公司", "headcount": 10, "opened_on": "2025-08-01", "opened_by": "bj_s1",
        "services": ["social_insurance"], "fee_social_insurance": "-3", "opening_source": "someday"}, format="json")
    assert r.status_code == 400
    body = r.json()
    assert "fee_social_insurance" in str(body) and "opening_source" in str(body)
    with in_branch("bj"):
        assert not Client.objects.filter(name="坏数据公司").exists()
        c = si_client(people, fee="30.00")
    r = api(staff).post(f"/b/bj/api/v1/clients/{c.pk}/service-fees/", {"fee_housing_fund": "1.234"}, format="json")
    assert r.status_code == 400 and "2 位小数" in str(r.json())
    r = api(staff).post(f"/b/bj/api/v1/clients/{c.pk}/service-fees/", {"fee_housing_fund": "8.00"}, format="json")
    assert r.status_code == 200 and r.json()["fee_housing_fund"] == "8.00" and r.json()["fee_social_insurance"] == "30.00"
    with in_branch("bj"):
        c.refresh_from_db()
        assert c.history.first().history_change_reason == "服务费修改"
    r = api(people["bj_s1"]).post(f"/b/bj/api/v1/clients/{c.pk}/service-fees/", {"fee_housing_fund": "9"},
                                  format="json")
    assert r.status_code in (403, 404)


def test_payment_endpoint_records_and_refuses_overpayment(people, api):
    staff = people["bj_staff"]
    with in_branch("bj"):
        c = si_client(people, fee="30.00")
        insure(c, 1, actor=staff)
        si.month_compute(actor=staff, period=M)
        st = FeeStatement.objects.get(period=M, client=c)
    r = api(staff).post(f"/b/bj/api/v1/si/statements/{st.pk}/payments/",
                        {"amount": "99999999", "paid_on": "2025-08-20"}, format="json")
    assert r.status_code == 400 and "未付余额" in str(r.json())
    r = api(staff).post(f"/b/bj/api/v1/si/statements/{st.pk}/payments/", {"amount": "10.00", "paid_on": "2025-08-20"},
                        format="json")
    assert r.status_code == 201 and r.json()["amount"] == "10.00"
    r = api(people["bj_s1"]).post(f"/b/bj/api/v1/si/statements/{st.pk}/payments/",
                                  {"amount": "10.00", "paid_on": "2025-08-20"}, format="json")
    assert r.status_code == 403


def test_rule_settings_are_validated():
    from commissions.hq.rules import RuleError, parse_rule

    with pytest.raises(RuleError) as e:
        parse_rule("sales_commission", {**DEFAULT_RULES["sales_commission"], "earn_on": "whenever"})
    assert "earn_on" in e.value.errors
    with pytest.raises(RuleError) as e:
        parse_rule("opening_reward", {**DEFAULT_RULES["opening_reward"], "clawback_months": 99})
    assert "clawback_months" in e.value.errors
    assert parse_rule("sales_commission", DEFAULT_RULES["sales_commission"]).earn_on == "confirmed"


def test_client_page_shows_fees_and_where_the_opening_comes_from(people, client):
    with in_branch("bj"):
        c = si_client(people, fee="1200.00", opening_source="cycle")
        Client.objects.filter(pk=c.pk).update(opening_period=M)
    client.force_login(people["bj_manager"])
    html = client.get(f"/b/bj/clients/{c.pk}/").content.decode()
    assert "社保代缴 1,200.00 元/人·月" in html and "首个申报月(2025年8月)" in html
