"""Clients' payroll lists (工资表) against who is insured, and the rate-range check."""
from __future__ import annotations

from decimal import Decimal

import pytest

from social_insurance import services
from social_insurance.models import CheckFinding, ContributionLine, PayrollEntry
from social_insurance.policies import services as policy_services
from tests.conftest import in_branch
from tests.factories import make_user

from .helpers import add_employee, idn, make_client

pytestmark = pytest.mark.django_db
M = "2025-08"


@pytest.fixture
def setup(staff):
    with in_branch("bj"):
        c1, c2 = make_client("北京甲公司", staff), make_client("北京乙公司", staff)
        a = add_employee(c1, 1, "9000", "2025-01-01", actor=staff)
        b = add_employee(c1, 2, "9000", "2025-01-01", actor=staff)
        other = add_employee(c2, 3, "9000", "2025-01-01", actor=staff)
    return {"c1": c1, "c2": c2, "a": a, "b": b, "other": other}


def csv_file(rows, header="姓名,身份证号,应发工资", encoding="utf-8"):
    text = header + "\n" + "\n".join(rows) + "\n"
    return text.encode(encoding)


def upload(api, user, client_id, content, name="payroll.csv", period=M):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return api(user).post("/b/bj/api/v1/si/payroll/import/",
                          {"period": period, "client": client_id, "file": SimpleUploadedFile(name, content)},
                          format="multipart")


def test_paid_but_not_insured_and_insured_but_not_paid_are_flagged(api, staff, setup):
    # A is on c1's payroll and insured; X is paid by c1 but not insured; B is insured but not paid.
    resp = upload(api, staff, setup["c1"].pk, csv_file([f"员工1,{idn(1)},9000", f"新人X,{idn(50)},7000.50"]))
    assert resp.status_code == 201, resp.content
    assert (resp.json()["created"], resp.json()["wage_total"]) == (2, "16000.50")
    with in_branch("bj"):
        services.month_compute(actor=staff, period=M)
        found = {(f.kind, f.person_name) for f in CheckFinding.objects.filter(
            period=M, kind__in=("uninsured_payroll", "not_on_payroll"))}
    # c2 sent no list: its people are not flagged.
    assert found == {("uninsured_payroll", "新人X"), ("not_on_payroll", "员工2")}
    body = api(staff).get(f"/b/bj/api/v1/si/payroll/{M}/findings/").json()
    assert {(f["kind"], f["name"]) for f in body["findings"]} == found
    assert idn(50) not in str(body) and all("*" in f["id_masked"] for f in body["findings"])

    # A new list replaces the old one and the computed month's checks follow at once.
    resp = upload(api, staff, setup["c1"].pk, csv_file([f"员工1,{idn(1)},9000", f"员工2,{idn(2)},9000"]))
    assert resp.status_code == 201
    with in_branch("bj"):
        assert PayrollEntry.objects.filter(period=M, client=setup["c1"]).count() == 2
        assert not CheckFinding.objects.filter(period=M, kind__in=("uninsured_payroll", "not_on_payroll")).exists()


@pytest.mark.parametrize("content,name,field,text", [
    (csv_file([f"员工1,{idn(1)},9000", f"员工1,{idn(1)},9000"]), "p.csv", "id_number", "重复"),
    (csv_file([f"员工1,110105199001010011,9000"]), "p.csv", "id_number", "校验位"),
    (csv_file([f"员工1,{idn(1)},-5"]), "p.csv", "gross_wage", "负数"),
    (csv_file([f"员工1,{idn(1)},12.345"]), "p.csv", "gross_wage", "两位小数"),
    (csv_file([f"员工1,{idn(1)},=1+1"]), "p.csv", "gross_wage", "工资须为金额,例如 12000.00。"),
    (csv_file([f",{idn(1)},9000"]), "p.csv", "name", "姓名"),
])
def test_a_bad_row_imports_nothing_and_keeps_the_previous_list(api, staff, setup, content, name, field, text):
    assert upload(api, staff, setup["c1"].pk, csv_file([f"员工1,{idn(1)},9000"])).status_code == 201
    resp = upload(api, staff, setup["c1"].pk, csv_file([f"员工2,{idn(2)},9000"]) + content.split(b"\n", 1)[1], name)
    assert resp.status_code == 400
    errors = resp.json()["errors"]
    assert any(e["field"] == field and text in e["message"] and e["row"] >= 2 for e in errors), errors
    with in_branch("bj"):
        assert list(PayrollEntry.objects.filter(period=M).values_list("name", flat=True)) == ["员工1"]


@pytest.mark.parametrize("content,name,text", [
    (csv_file([f"员工1,{idn(1)},9000"], header="name,salary"), "p.csv", "缺少列"),
    # GBK (what Excel in China saves) is read since the one upload reader; UTF-16 is not.
    (csv_file([f"员工1,{idn(1)},9000"], encoding="utf-16"), "p.csv", "UTF-8 或 GBK"),
    (b"PK\x03\x04garbage", "p.xlsx", "XLSX"),
    (b"hello", "p.txt", ".csv"),
    (csv_file([]), "p.csv", "没有数据行"),
])
def test_unreadable_files_are_refused(api, staff, setup, content, name, text):
    resp = upload(api, staff, setup["c1"].pk, content, name)
    assert resp.status_code == 400 and text in str(resp.json()["file"])
    with in_branch("bj"):
        assert not PayrollEntry.objects.exists()


def test_bad_period_client_and_filed_month(api, staff, setup):
    good = csv_file([f"员工1,{idn(1)},9000"])
    assert "period" in upload(api, staff, setup["c1"].pk, good, period="2025-13").json()
    assert "client" in upload(api, staff, 999999, good).json()
    with in_branch("bj"):
        services.month_compute(actor=staff, period=M)
        services.month_reconcile(actor=staff, period=M)
        services.month_file(actor=staff, period=M, receipt_no="R-1")
    resp = upload(api, staff, setup["c1"].pk, good)
    assert resp.status_code == 400 and "已申报" in str(resp.json())
    with in_branch("bj"):
        assert not PayrollEntry.objects.exists()


def test_other_branches_and_client_contacts_cannot_upload(api, staff, setup):
    sh_staff = make_user("sh_staff", ("sh", "branch_staff"), home="sh")
    contact = make_user("bj_contact", ("bj", "client_contact"), home="bj")
    good = csv_file([f"员工1,{idn(1)},9000"])
    assert upload(api, sh_staff, setup["c1"].pk, good).status_code in (403, 404)
    assert upload(api, contact, setup["c1"].pk, good).status_code in (403, 404)
    assert upload(api, None, setup["c1"].pk, good).status_code in (401, 403)
    assert api(sh_staff).get(f"/b/bj/api/v1/si/payroll/{M}/findings/").status_code in (403, 404)
    with in_branch("bj"):
        assert not PayrollEntry.objects.exists()


def test_a_chosen_rate_outside_a_new_years_range_is_flagged_not_silently_changed(staff, hq_admin, branches):
    items = {
        "pension": {"base": ["7500", "37500"], "employer": "16.00", "employee": "8.00"},
        "housing_fund": {"base": ["2600", "37500"], "rate_range": ["5", "10"]},
    }
    v2026 = policy_services.CityPolicy.objects.get(city="beijing", year_label="2026年度")
    policy_services.policy_extend(actor=hq_admin, policy_id=v2026.pk, effective_to=None)
    policy_services.policy_publish(actor=hq_admin, city="beijing", year_label="2027年度", effective_from="2027-07-01",
                                   items=items, sources=["测试"], confidence="low")
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
        emp = add_employee(client, 1, "20000", "2027-01-01", actor=staff, housing_fund_percent="12")
        services.month_compute(actor=staff, period="2027-08")
        line = ContributionLine.objects.get(period="2027-08", employee=emp, kind="housing_fund")
        assert line.employer_percent == Decimal("10.00") and line.employer_amount == Decimal("2000.00")
        finding = CheckFinding.objects.get(period="2027-08", kind="rate_adjusted", employee=emp)
        assert "12.00%" in finding.detail_text and "5.00–10.00%" in finding.detail_text and "按 10.00%" in finding.detail_text
        services.month_compute(actor=staff, period="2027-06")  # still 2026年度 (5–12%): no finding
        assert not CheckFinding.objects.filter(period="2027-06", kind="rate_adjusted").exists()


def test_a_chosen_rate_that_a_new_year_requires_whole_is_flagged_and_paid_as_chosen(staff, hq_admin, branches):
    """A 7.5% housing fund chosen while the city allowed fractions, then a year that requires whole
    percents: the month pays 7.5% as chosen (the engine refuses such a rate only when it is
    entered) and flags it for staff to confirm with the client, as it flags a rate out of range."""
    base = {"pension": {"base": ["7500", "37500"], "employer": "16.00", "employee": "8.00"},
            "housing_fund": {"base": ["2600", "37500"], "rate_range": ["5", "12"], "whole_percent": False}}
    for year, start, whole in (("2027年度", "2027-07-01", False), ("2028年度", "2028-07-01", True)):
        policy_services.policy_publish(
            actor=hq_admin, city="beijing", year_label=year, effective_from=start, sources=["测试"], confidence="low",
            items={**base, "housing_fund": {**base["housing_fund"], "whole_percent": whole}})
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
        emp = add_employee(client, 1, "10000", "2027-07-01", actor=staff, housing_fund_percent="7.5")
        services.month_compute(actor=staff, period="2027-08")
        assert not CheckFinding.objects.filter(period="2027-08", kind="rate_adjusted").exists()
        services.month_compute(actor=staff, period="2028-07")
        line = ContributionLine.objects.get(period="2028-07", employee=emp, kind="housing_fund")
        assert line.employer_percent == Decimal("7.50") and line.employer_amount == Decimal("750.00")
        finding = CheckFinding.objects.get(period="2028-07", kind="rate_adjusted", employee=emp)
        assert "7.50% 不是整数百分比" in finding.detail_text and "按 7.50% 缴费" in finding.detail_text, finding.detail_text
