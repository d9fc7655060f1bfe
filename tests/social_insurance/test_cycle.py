"""Monthly cycle: 增减员, set-based lines equal to the engine, idempotency, statements, filing
freezes the month (database triggers), disputes → 补缴/退费, cross-branch duplicates, exceptions."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InternalError, connection, transaction

from branches.models import Branch
from social_insurance import engine, selectors, services
from social_insurance.models import (
    CheckFinding, ClientContact, ContributionLine, FeeStatement, InsuredEmployee, MonthCycle, StaffChange,
)
from social_insurance.policies.models import CityPolicy, PolicyItem
from social_insurance.policies.selectors import policy_rules
from tests.conftest import in_branch
from tests.factories import make_user
from tests.json_numbers import N, post_json, refusal

from .helpers import add_employee, idn, make_client

pytestmark = pytest.mark.django_db
M = "2025-08"
D = Decimal


@pytest.fixture
def people(staff):
    """A: insured since June; B: starts 20 Aug (增员); C: leaves 15 Aug (减员, not insured in Aug);
    D: left in July; E: wage under the floor, paid in Shanghai, at another client."""
    with in_branch("bj"):
        c1, c2 = make_client("北京甲公司", staff), make_client("北京乙公司", staff)
        return {
            "c1": c1, "c2": c2,
            "A": add_employee(c1, 1, "40000", "2025-06-10", actor=staff, housing_fund_percent="12"),
            "B": add_employee(c1, 2, "12000.50", "2025-08-20", actor=staff),
            "C": add_employee(c1, 3, "9000", "2025-01-01", "2025-08-15", actor=staff),
            "D": add_employee(c2, 4, "9000", "2025-01-01", "2025-07-31", actor=staff),
            "E": add_employee(c2, 5, "3000", "2025-05-01", actor=staff, payroll_city="shanghai", injury_rate="1.00"),
        }


def lines_of(emp, period=M):
    return {l.kind: l for l in ContributionLine.objects.filter(employee=emp, period=period, source="regular")}


def test_compute_builds_changes_and_lines_equal_to_the_engine(staff, people):
    with in_branch("bj"):
        cycle = services.month_compute(actor=staff, period=M)

        changes = sorted((c.kind, c.employee_id) for c in StaffChange.objects.filter(period=M))
        assert changes == sorted([("add", people["B"].id), ("remove", people["C"].id)])
        assert set(ContributionLine.objects.filter(period=M).values_list("employee_id", flat=True)) == {
            people["A"].id, people["B"].id, people["E"].id}
        policy = engine.policy_for_month(policy_rules(), "beijing", M)
        for key in ("A", "B", "E"):
            emp = people[key]
            expected = engine.contribution_for(policy, emp.wage, housing_fund_percent=emp.housing_fund_percent,
                                               injury=emp.injury_rate)
            got = lines_of(emp)
            assert set(got) == {a.kind for a in expected.items}
            for a in expected.items:
                line = got[a.kind]
                assert (line.base, line.employer_amount, line.employee_amount) == (a.base, a.employer, a.employee)
                assert (line.employer_precise, line.employee_precise) == (a.employer_precise, a.employee_precise)
        a = lines_of(people["A"])
        assert (a["pension"].base, a["pension"].employer_amount) == (D("35811.00"), D("5729.76"))
        assert (a["housing_fund"].employer_amount, a["housing_fund"].employee_amount) == (D("4297.00"), D("4297.00"))
        e = lines_of(people["E"])
        assert e["work_injury"].employer_percent == D("1.00") and e["work_injury"].employer_amount == D("71.62")
        assert cycle.employee_count == 3
        assert cycle.employer_total == sum(l.employer_amount for l in ContributionLine.objects.filter(period=M))
        assert (cycle.reconcile_due, cycle.file_due) == (dt.date(2025, 8, 5), dt.date(2025, 8, 10))
        findings = sorted((f.kind, f.employee_id) for f in CheckFinding.objects.filter(period=M))
        assert findings == sorted([("location_mismatch", people["E"].id), ("base_below_floor", people["E"].id)])


def test_compute_is_idempotent_and_follows_changes(staff, people):
    with in_branch("bj"):
        services.month_compute(actor=staff, period=M)
        before = sorted(ContributionLine.objects.filter(period=M).values_list("id", "employer_amount"))
        services.month_compute(actor=staff, period=M)
        assert sorted(ContributionLine.objects.filter(period=M).values_list("id", "employer_amount")) == before

        InsuredEmployee.objects.filter(pk=people["B"].pk).update(end_date=dt.date(2025, 8, 25))
        InsuredEmployee.objects.filter(pk=people["A"].pk).update(wage=D("20000"))
        services.month_compute(actor=staff, period=M)

        assert not ContributionLine.objects.filter(period=M, employee=people["B"]).exists()
        assert lines_of(people["A"])["pension"].employer_amount == D("3200.00")
        assert ContributionLine.objects.filter(period=M).count() == 10


def test_fee_statements_per_client_and_the_contact_confirms(api, staff, people):
    contact = make_user("c1_contact", ("bj", "client_contact"), home="bj")
    other = make_user("c2_contact", ("bj", "client_contact"), home="bj")
    with in_branch("bj"):
        ClientContact.objects.create(user=contact, client=people["c1"])
        ClientContact.objects.create(user=other, client=people["c2"])
        services.month_compute(actor=staff, period=M)
        st = FeeStatement.objects.get(period=M, client=people["c1"])
        lines = ContributionLine.objects.filter(period=M, client=people["c1"])
        assert st.employer_total == sum(l.employer_amount for l in lines)
        assert st.total == st.employer_total + st.employee_total and st.employee_count == 2

    listed = api(contact).get(f"/b/bj/api/v1/si/statements/?period={M}").json()
    assert [s["client"] for s in listed] == [people["c1"].pk]
    assert api(other).post(f"/b/bj/api/v1/si/statements/{st.pk}/confirm/", {}, format="json").status_code == 404
    assert api(staff).post(f"/b/bj/api/v1/si/statements/{st.pk}/confirm/", {}, format="json").status_code == 403
    resp = api(contact).post(f"/b/bj/api/v1/si/statements/{st.pk}/confirm/", {}, format="json")
    assert resp.status_code == 200 and resp.json()["status"] == "confirmed"

    with in_branch("bj"):
        # Totals change → the statement needs confirming again.
        InsuredEmployee.objects.filter(pk=people["A"].pk).update(wage=D("20000"))
        services.month_compute(actor=staff, period=M)
        assert FeeStatement.objects.get(pk=st.pk).status == "issued"


def _file(staff, period=M):
    services.month_compute(actor=staff, period=period)
    services.month_reconcile(actor=staff, period=period)
    return services.month_file(actor=staff, period=period, receipt_no="BJ-2025-08-001")


def test_filing_freezes_the_month_and_the_policy_version(staff, people):
    with in_branch("bj"):
        with pytest.raises(ValidationError):
            services.month_file(actor=staff, period=M, receipt_no="X")  # not reconciled yet
        cycle = _file(staff)
        assert cycle.status == "filed" and cycle.receipt_no == "BJ-2025-08-001"

        with pytest.raises(ValidationError) as exc:
            services.month_compute(actor=staff, period=M)
        assert "已申报" in exc.value.message_dict["period"][0]
        for sql in ("UPDATE social_insurance_contributionline SET employer_amount = 0 WHERE period = '2025-08'",
                    "DELETE FROM social_insurance_contributionline WHERE period = '2025-08'",
                    "UPDATE social_insurance_monthcycle SET status = 'open' WHERE period = '2025-08'"):
            with pytest.raises((IntegrityError, InternalError)), transaction.atomic(), connection.cursor() as cur:
                cur.execute(sql)
        policy = CityPolicy.objects.get(city="beijing", year_label="2025年度")
        assert policy.locked_at is not None
        with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
            PolicyItem.objects.filter(policy=policy, kind="pension").update(employer_percent=D("15"))
        # Shortening it without a next version starting the day after is refused (checked at commit).
        with pytest.raises((IntegrityError, InternalError)), transaction.atomic(), connection.cursor() as cur:
            CityPolicy.objects.filter(pk=policy.pk).update(effective_to=dt.date(2026, 5, 31))
            cur.execute("SET CONSTRAINTS si_policy_frozen_end IMMEDIATE")
        # Describing the data stays possible.
        CityPolicy.objects.filter(pk=policy.pk).update(notes="已核对")
        assert ContributionLine.objects.filter(period=M).count() == 15


def test_base_dispute_creates_back_pay_lines_next_month_pointing_at_the_originals(api, staff, people):
    with in_branch("bj"):
        _file(staff)
        original = lines_of(people["B"])
    resp = api(staff).post("/b/bj/api/v1/si/disputes/", {"employee": people["B"].pk, "period": M,
                                                          "claimed_wage": "15000", "reason": "工资申报有误"}, format="json")
    assert resp.status_code == 201, resp.content
    resp = api(staff).post(f"/b/bj/api/v1/si/disputes/{resp.json()['id']}/resolve/", {"corrected_wage": "15000.50"}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["settled_in_period"] == "2025-09"

    with in_branch("bj"):
        fixes = {l.kind: l for l in ContributionLine.objects.filter(period="2025-09", employee=people["B"])}
        assert {l.source for l in fixes.values()} == {"back_pay"}
        assert all(l.for_period == M for l in fixes.values())
        assert fixes["pension"].corrects_id == original["pension"].id
        # 12000.50 → 15000.50: pension employer 16% of 3000 = 480.00, employee 8% = 240.00.
        assert (fixes["pension"].employer_amount, fixes["pension"].employee_amount) == (D("480.00"), D("240.00"))
        # Housing fund at 5%: 600.03 → 600, 750.03 → 750: 150 per side.
        assert fixes["housing_fund"].employer_amount == D("150.00")
        assert lines_of(people["B"]) == original  # the filed month is untouched
        # The next month's compute keeps the corrections and adds the regular lines.
        services.month_compute(actor=staff, period="2025-09")
        assert ContributionLine.objects.filter(period="2025-09", employee=people["B"], source="back_pay").count() == 5
        st = FeeStatement.objects.get(period="2025-09", client=people["c1"])
        assert st.employer_total == sum(l.employer_amount for l in ContributionLine.objects.filter(period="2025-09", client=people["c1"]))


@pytest.mark.parametrize("literal", ["15000", "15000.5", "1.5e4", "true"])
def test_a_wage_sent_as_a_json_number_raises_and_resolves_no_dispute(api, staff, people, literal):
    from social_insurance.models import BaseDispute

    with in_branch("bj"):
        _file(staff)
        original = lines_of(people["B"])
    raise_it = {"employee": people["B"].pk, "period": M, "claimed_wage": N, "reason": "工资申报有误"}
    resp = post_json(api(staff), "/b/bj/api/v1/si/disputes/", raise_it, literal)
    assert resp.status_code == 400 and resp.json() == {"claimed_wage": [refusal("12000.00")]}
    with in_branch("bj"):
        assert not BaseDispute.objects.exists()

    resp = post_json(api(staff), "/b/bj/api/v1/si/disputes/", raise_it, '"15000"')
    assert resp.status_code == 201, resp.content
    resolve = f"/b/bj/api/v1/si/disputes/{resp.json()['id']}/resolve/"
    resp = post_json(api(staff), resolve, {"corrected_wage": N}, literal)
    assert resp.status_code == 400 and resp.json() == {"corrected_wage": [refusal("12000.00")]}
    with in_branch("bj"):
        assert BaseDispute.objects.get().status == "open"
        assert not ContributionLine.objects.filter(period="2025-09").exists() and lines_of(people["B"]) == original
    assert post_json(api(staff), resolve, {"corrected_wage": N}, '"15000.50"').status_code == 200


def test_first_compute_of_a_month_counts_the_corrections_already_posted_in_it(staff, people):
    """A leaves in September, so their only September lines are a dispute's refund, posted
    before September is first computed: the statement and the month's totals include them."""
    with in_branch("bj"):
        _file(staff)
        InsuredEmployee.objects.filter(pk=people["A"].pk).update(end_date=dt.date(2025, 9, 5))
        d = services.dispute_raise(actor=staff, employee_id=people["A"].pk, period=M, claimed_wage="20000", reason="多报工资")
        services.dispute_resolve(actor=staff, dispute_id=d.pk, corrected_wage="20000")
        assert not ContributionLine.objects.filter(period="2025-09", source="regular").exists()
        cycle = services.month_compute(actor=staff, period="2025-09")

        sep = ContributionLine.objects.filter(period="2025-09")
        assert set(sep.filter(employee=people["A"]).values_list("source", flat=True)) == {"refund"}
        st = FeeStatement.objects.get(period="2025-09", client=people["c1"])
        mine = sep.filter(client=people["c1"])
        assert st.employee_count == len(set(mine.values_list("employee_id", flat=True))) == 2  # A and B
        assert st.employer_total == sum(l.employer_amount for l in mine)
        assert st.employee_total == sum(l.employee_amount for l in mine)
        assert cycle.employee_count == len(set(sep.values_list("employee_id", flat=True)))
        assert (cycle.employer_total, cycle.employee_total) == (sum(l.employer_amount for l in sep),
                                                                sum(l.employee_amount for l in sep))


def test_a_lower_base_is_refunded(staff, people):
    with in_branch("bj"):
        _file(staff)
        d = services.dispute_raise(actor=staff, employee_id=people["B"].pk, period=M, claimed_wage="10000", reason="多报")
        services.dispute_resolve(actor=staff, dispute_id=d.pk, corrected_wage="10000")
        pension = ContributionLine.objects.get(period="2025-09", employee=people["B"], kind="pension")
        assert pension.source == "refund" and pension.employer_amount == D("-320.08")


def test_dispute_on_an_unfiled_month_is_refused(staff, people):
    with in_branch("bj"):
        services.month_compute(actor=staff, period=M)
        with pytest.raises(ValidationError) as exc:
            services.dispute_raise(actor=staff, employee_id=people["B"].pk, period=M, claimed_wage="1", reason="x")
        assert "已申报" in exc.value.message_dict["period"][0]


def test_same_identity_in_two_branches_is_reported_to_hq_masked(api, staff, people, hq_admin):
    sh_staff = make_user("sh_staff", ("sh", "branch_staff"), home="sh")
    with in_branch("sh"):
        c = make_client("上海丙公司", sh_staff, city="shanghai")
        twin = add_employee(c, 1, "9000", "2025-07-01", city="shanghai", actor=sh_staff)
        services.month_compute(actor=sh_staff, period=M)
    with in_branch("bj"):
        services.month_compute(actor=staff, period=M)
        assert CheckFinding.objects.filter(period=M, kind="duplicate_across", employee=people["A"]).exists()

    resp = api(hq_admin).get(f"/api/v1/si/duplicates/?period={M}")
    assert resp.status_code == 200
    assert resp.json()["duplicates"] == [{"id_masked": twin.id_number_masked, "total": 2,
                                          "branches": [{"branch": "bj", "branch_name": "北京分公司", "count": 1},
                                                       {"branch": "sh", "branch_name": "上海分公司", "count": 1}]}]
    assert idn(1) not in resp.content.decode() and "员工1" not in resp.content.decode()
    assert api(staff).get(f"/api/v1/si/duplicates/?period={M}").status_code == 403


def test_duplicate_within_the_branch_is_flagged(staff, people):
    with in_branch("bj"):
        twin = InsuredEmployee.objects.get(pk=people["A"].pk)
        twin.pk, twin.client = None, people["c2"]
        twin.save()
        services.month_compute(actor=staff, period=M)
        assert set(CheckFinding.objects.filter(period=M, kind="duplicate_in_branch").values_list("employee_id", flat=True)) == {
            people["A"].pk, twin.pk}


def test_duplicate_within_the_branch_is_flagged_when_the_registry_is_written_after_several_months(staff, people):
    # A true-up recomputes several months and writes the HQ registry once at the end: the
    # duplicate checks run then, for each month, and a twin entered this month is still found
    # although its hash was not on the registry's repeated list before.
    with in_branch("bj"):
        twin = InsuredEmployee.objects.get(pk=people["A"].pk)
        twin.pk, twin.client = None, people["c2"]
        twin.save()
        with transaction.atomic():
            services.month_compute(actor=staff, period=M, register=False)
            services._register_identities([M], branch_id=Branch.objects.get(code="bj").pk)
        found = CheckFinding.objects.filter(period=M, kind="duplicate_in_branch")
        assert {(f.employee_id, f.args["n"]) for f in found} == {(people["A"].pk, 2), (twin.pk, 2)}
        # people with one record each are not flagged, though every hash is registered
        assert found.count() == 2


def test_overdue_flags_and_exception_clocks(staff, people):
    with in_branch("bj"):
        services.month_compute(actor=staff, period=M)
        assert selectors.cycle_board(M, today=dt.date(2025, 8, 5)).reconcile_overdue is False
        board = selectors.cycle_board(M, today=dt.date(2025, 8, 6))
        assert board.reconcile_overdue and not board.file_overdue
        assert selectors.cycle_board(M, today=dt.date(2025, 8, 11)).file_overdue

        t0 = dt.datetime(2025, 8, 3, 9, 0, tzinfo=dt.timezone.utc)
        exc = services.exception_open(actor=staff, period=M, description="银行扣款失败", employee_id=people["A"].pk, now=t0)
        assert selectors.exception_overdue(exc, t0 + dt.timedelta(minutes=59)) == {}
        assert selectors.exception_overdue(exc, t0 + dt.timedelta(minutes=61)) == {"respond": True}
        exc = services.exception_advance(actor=staff, exception_id=exc.pk, to="responded", now=t0 + dt.timedelta(minutes=30))
        assert selectors.exception_overdue(exc, t0 + dt.timedelta(hours=23)) == {}
        with pytest.raises(ValidationError):
            services.exception_advance(actor=staff, exception_id=exc.pk, to="resolved", now=t0 + dt.timedelta(hours=2))
        exc = services.exception_advance(actor=staff, exception_id=exc.pk, to="resolved", note="已重新扣款",
                                         now=t0 + dt.timedelta(hours=25))
        assert selectors.exception_overdue(exc, t0 + dt.timedelta(hours=30)) == {"resolve": True}


def test_month_api_roles(api, staff, people):
    contact = make_user("bj_contact", ("bj", "client_contact"), home="bj")
    outsider = make_user("sh_staff", ("sh", "branch_staff"), home="sh")

    assert api(contact).post(f"/b/bj/api/v1/si/months/{M}/compute/").status_code == 403
    assert api(outsider).post(f"/b/bj/api/v1/si/months/{M}/compute/").status_code == 404
    assert api(staff).post("/b/bj/api/v1/si/months/2025-8/compute/").status_code == 400
    with in_branch("bj"):
        assert not MonthCycle.objects.exists()
        services.month_compute(actor=staff, period=M)
    body = api(staff).get(f"/b/bj/api/v1/si/months/{M}/").json()
    assert (body["employee_count"], body["additions"], body["removals"]) == (3, 1, 1)
