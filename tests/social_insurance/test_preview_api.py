"""`POST /b/<code>/api/v1/si/contributions/preview/` exactly per API.md."""
from __future__ import annotations

import pytest

from social_insurance.policies.models import CityPolicy, PolicyItem
from tests.factories import make_user
from tests.json_numbers import N, post_json, refusal

pytestmark = pytest.mark.django_db
URL = "/b/bj/api/v1/si/contributions/preview/"


@pytest.fixture
def member(branches):
    return make_user("bj_specialist", ("bj", "specialist"), home="bj")


def test_beijing_2024_known_check(api, member):
    resp = api(member).post(URL, {"city": "beijing", "month": "2024-09", "wage": "40000",
                                  "housing_fund_percent": "12"}, format="json")

    assert resp.status_code == 200, resp.content
    assert resp.json() == {
        "city": "beijing", "month": "2024-09", "policy_year": "2024年度",
        "items": [
            {"type": "pension", "base": "35283.00", "employer": "5645.28", "employee": "2822.64"},
            {"type": "medical", "base": "35283.00", "employer": "3457.73", "employee": "708.66"},
            {"type": "unemployment", "base": "35283.00", "employer": "176.42", "employee": "176.42"},
            {"type": "work_injury", "base": "35283.00", "employer": "70.57", "employee": "0.00"},
            {"type": "housing_fund", "base": "35283.00", "employer": "4234.00", "employee": "4234.00"},
        ],
        "employer_total": "13584.00",
        "employee_total": "7941.72",
    }


def test_shanghai_2025_housing_fund_limits(api, member):
    top = api(member).post(URL, {"city": "shanghai", "month": "2025-08", "wage": "80000.00",
                                 "housing_fund_percent": "7"}, format="json").json()
    low = api(member).post(URL, {"city": "shanghai", "month": "2025-08", "wage": "1000.00",
                                 "housing_fund_percent": "7"}, format="json").json()

    assert top["policy_year"] == "2025年度"
    assert top["items"][-1] == {"type": "housing_fund", "base": "37302.00", "employer": "2611.00", "employee": "2611.00"}
    assert low["items"][-1] == {"type": "housing_fund", "base": "2690.00", "employer": "188.00", "employee": "188.00"}


def test_injury_rate_and_maternity_where_the_city_has_it(api, member):
    body = api(member).post(URL, {"city": "shenzhen", "month": "2025-07", "wage": "10000",
                                  "injury_rate": "1.40", "housing_fund_percent": "5"}, format="json").json()

    assert [i["type"] for i in body["items"]] == ["pension", "medical", "maternity", "unemployment", "work_injury", "housing_fund"]
    assert body["items"][4] == {"type": "work_injury", "base": "10000.00", "employer": "140.00", "employee": "0.00"}
    assert body["items"][2] == {"type": "maternity", "base": "10000.00", "employer": "50.00", "employee": "0.00"}


@pytest.mark.parametrize("payload, field, words", [
    ({"city": "wuhan", "month": "2025-08", "wage": "10000"}, "city", "未知"),
    ({"city": "beijing", "month": "2024-06", "wage": "10000"}, "month", "没有适用"),
    ({"city": "beijing", "month": "2025/08", "wage": "10000"}, "month", "YYYY-MM"),
    ({"city": "beijing", "month": "2025-13", "wage": "10000"}, "month", "YYYY-MM"),
    ({"city": "beijing", "month": "2025-08", "wage": "一万"}, "wage", "工资须为金额,例如 12000.00。"),
    ({"city": "beijing", "month": "2025-08", "wage": "-1"}, "wage", "负数"),
    ({"city": "beijing", "month": "2025-08", "wage": "10000.001"}, "wage", "两位小数"),
    ({"city": "beijing", "month": "2025-08"}, "wage", "金额"),
    ({"city": "beijing", "month": "2025-08", "wage": "10000", "housing_fund_percent": "13"}, "housing_fund_percent", "5% 至 12%"),
    ({"city": "beijing", "month": "2025-08", "wage": "10000", "housing_fund_percent": "7.5"}, "housing_fund_percent", "整数"),
    ({"city": "shanghai", "month": "2025-08", "wage": "10000", "housing_fund_percent": "12"}, "housing_fund_percent", "5% 至 7%"),
    ({"city": "beijing", "month": "2025-08", "wage": "10000", "injury_rate": "2.00"}, "injury_rate", "0.20% 至 1.90%"),
    ({"city": "beijing", "month": "2025-08", "wage": "10000", "injury_rate": "abc"}, "injury_rate", "数字"),
])
def test_bad_input_is_a_specific_400(api, member, payload, field, words):
    resp = api(member).post(URL, payload, format="json")

    assert resp.status_code == 400
    assert words in resp.json()[field][0], resp.json()


def test_anonymous_is_401_and_another_branch_is_404(api, branches):
    outsider = make_user("sh_staff", ("sh", "branch_staff"), home="sh")
    payload = {"city": "beijing", "month": "2025-08", "wage": "10000"}

    assert api().post(URL, payload, format="json").status_code == 401
    assert api(outsider).post(URL, payload, format="json").status_code == 404


def test_any_member_role_may_use_it(api, branches):
    contact = make_user("bj_contact", ("bj", "client_contact"), home="bj")
    assert api(contact).post(URL, {"city": "beijing", "month": "2025-08", "wage": "10000"}, format="json").status_code == 200


def test_the_migration_loaded_every_policy_with_sources_and_confidence(db):
    assert CityPolicy.objects.count() == 9
    gz = CityPolicy.objects.get(city="guangzhou", year_label="2025年度")
    assert gz.confidence == "low" and gz.sources[0].startswith("Forvis Mazars")
    wi = PolicyItem.objects.get(policy=gz, kind="work_injury")
    assert wi.base_ceiling is None and str(wi.employer_rate_max) == "1.40"
    hf = PolicyItem.objects.get(policy__city="shanghai", policy__year_label="2025年度", kind="housing_fund")
    assert (str(hf.rate_min), str(hf.rate_max), hf.whole_percent, str(hf.supplementary_max)) == ("5.00", "7.00", True, "5.00")
    assert hf.rounding == "yuan_half_up_per_side"


@pytest.mark.parametrize("literal", ["10000", "10000.5", "1e4", "true"])
@pytest.mark.parametrize("field, example", [("wage", "12000.00"), ("housing_fund_percent", "12.00"),
                                            ("injury_rate", "12.00")])
def test_a_wage_or_percent_sent_as_a_json_number_is_a_specific_400(api, member, field, example, literal):
    body = {"city": "beijing", "month": "2025-08", "wage": "10000", "housing_fund_percent": "12",
            "injury_rate": "0.40", field: N}

    resp = post_json(api(member), URL, body, literal)

    assert resp.status_code == 400
    assert resp.json() == {field: [refusal(example)]}
    assert post_json(api(member), URL, body, {"wage": '"10000.00"', "housing_fund_percent": '"10"',
                                              "injury_rate": '"0.50"'}[field]).status_code == 200
