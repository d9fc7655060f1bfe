"""调基: the office changes a person's declared wage (and housing-fund rate); months not yet filed
are computed with it, filed months never change; bad input changes nothing; roles."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client as WebClient

from social_insurance import services
from social_insurance.models import ContributionLine, InsuredEmployee
from tests.conftest import in_branch
from tests.factories import make_user
from tests.json_numbers import N, post_json, refusal

from .helpers import add_employee, file_month, make_client

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def person(staff):
    """Insured since June at 12,000.00 (housing fund 7%); July filed, August computed."""
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
        emp = add_employee(client, 1, "12000", "2025-06-01", actor=staff, housing_fund_percent="7")
        file_month(staff, "2025-07")
        services.month_compute(actor=staff, period="2025-08")
        return emp


def url(emp):
    return f"/b/bj/api/v1/si/employees/{emp.pk}/base/"


def pension(emp, period):
    return ContributionLine.objects.get(employee=emp, period=period, kind="pension", source="regular")


def test_a_new_wage_counts_in_open_months_and_filed_ones_stay(api, staff, person):
    with in_branch("bj"):
        july = pension(person, "2025-07").employer_amount
    resp = api(staff).post(url(person), {"wage": "15000"}, format="json")

    assert resp.status_code == 200, resp.content
    assert (resp.json()["wage"], resp.json()["housing_fund_percent"]) == ("15000.00", "7.00")  # rate kept
    with in_branch("bj"):
        record = InsuredEmployee.history.filter(id=person.pk).order_by("-history_date", "-history_id").first()
        assert record.history_change_reason == "调基" and record.history_user_id == staff.pk
        assert record.prev_record.wage == D("12000.00") and record.wage == D("15000.00")
        services.month_compute(actor=staff, period="2025-08")
        assert pension(person, "2025-08").employer_amount == D("2400.00")  # 16% of 15,000
        assert pension(person, "2025-07").employer_amount == july == D("1920.00")

    # null sets the city's floor for the housing fund
    resp = api(staff).post(url(person), {"wage": "15000", "housing_fund_percent": None}, format="json")
    assert resp.status_code == 200 and resp.json()["housing_fund_percent"] is None


@pytest.mark.parametrize("body, field, words", [
    ({"wage": "abc"}, "wage", None),
    ({}, "wage", None),
    ({"wage": "12000.00"}, "wage", "申报工资和公积金比例都没有变化。"),
    ({"wage": "12000", "housing_fund_percent": "40"}, "housing_fund_percent", None),
])
def test_bad_input_is_refused_in_words_and_changes_nothing(api, staff, person, body, field, words):
    resp = api(staff).post(url(person), body, format="json")

    assert resp.status_code == 400
    message = resp.json()[field][0]
    assert message and "None" not in message and (words is None or message == words)
    with in_branch("bj"):
        emp = InsuredEmployee.objects.get(pk=person.pk)
        assert (emp.wage, emp.housing_fund_percent) == (D("12000.00"), D("7.00"))
        assert emp.history.count() == 1


@pytest.mark.parametrize("literal", ["15000", "15000.5", "1.5e4", "true"])
@pytest.mark.parametrize("body, field, example", [
    ({"wage": N}, "wage", "12000.00"),
    ({"wage": "15000.00", "housing_fund_percent": N}, "housing_fund_percent", "12.00"),
], ids=["wage", "housing-fund-percent"])
def test_a_wage_or_percent_sent_as_a_json_number_is_refused_and_changes_nothing(api, staff, person, body, field,
                                                                               example, literal):
    resp = post_json(api(staff), url(person), body, literal)

    assert resp.status_code == 400
    assert resp.json() == {field: [refusal(example)]}
    with in_branch("bj"):
        emp = InsuredEmployee.objects.get(pk=person.pk)
        assert (emp.wage, emp.housing_fund_percent, emp.history.count()) == (D("12000.00"), D("7.00"), 1)
    resp = post_json(api(staff), url(person), body, '"15000.00"' if field == "wage" else '"8"')
    assert resp.status_code == 200, resp.content


def test_a_person_who_left_is_not_rebased(api, staff, person):
    with in_branch("bj"):
        services.employee_end(actor=staff, employee_id=person.pk, end_date="2025-08-20")
    resp = api(staff).post(url(person), {"wage": "15000"}, format="json")
    assert resp.status_code == 400 and resp.json()["wage"] == ["该员工已于 2025年8月20日 减员,不能调基。"]
    page = WebClient()
    page.force_login(staff)
    assert page.get(f"/b/bj/si/employees/{person.pk}/base/").status_code == 404


def test_only_the_office_changes_a_base(api, staff, person):
    specialist = make_user("bj_spec", ("bj", "specialist"), home="bj")
    contact = make_user("bj_contact", ("bj", "client_contact"), home="bj")
    outsider = make_user("sh_staff", ("sh", "branch_staff"), home="sh")
    for user, code in ((specialist, 403), (contact, 403), (outsider, 404)):
        assert api(user).post(url(person), {"wage": "15000"}, format="json").status_code == code
    assert api(staff).post("/b/bj/api/v1/si/employees/999999/base/", {"wage": "15000"},
                           format="json").status_code == 404
    with in_branch("bj"):
        assert InsuredEmployee.objects.get(pk=person.pk).wage == D("12000.00")
    for user in (specialist, contact, outsider):
        page = WebClient()
        page.force_login(user)
        assert page.get(f"/b/bj/si/employees/{person.pk}/base/").status_code in (403, 404)
        assert page.post(f"/b/bj/si/employees/{person.pk}/base/", {"wage": "15000"}).status_code in (403, 404)


def test_the_page_names_the_month_it_counts_from(staff, person):
    page = WebClient()
    page.force_login(staff)
    detail = page.get(f"/b/bj/si/employees/{person.pk}/").content.decode()
    assert f"/b/bj/si/employees/{person.pk}/base/" in detail
    html = page.get(f"/b/bj/si/employees/{person.pk}/base/").content.decode()
    assert "新申报工资自 2025年8月 起计算" in html and 'value="12000.00"' in html

    resp = page.post(f"/b/bj/si/employees/{person.pk}/base/", {"wage": "12,000.00", "housing_fund_percent": "7"})
    assert resp.status_code == 400 and "申报工资和公积金比例都没有变化。" in resp.content.decode()
    resp = page.post(f"/b/bj/si/employees/{person.pk}/base/", {"wage": "13500", "housing_fund_percent": "7"},
                     follow=True)
    assert resp.redirect_chain[-1][0] == f"/b/bj/si/employees/{person.pk}/"
    assert "已调基:员工1 的申报工资自 2025年8月 起按新数计算。" in resp.content.decode()
    with in_branch("bj"):
        assert InsuredEmployee.objects.get(pk=person.pk).wage == D("13500.00")
