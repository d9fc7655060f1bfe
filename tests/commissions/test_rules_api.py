"""HQ rule versions (提成方案): the v1 contract, validation, the version in force on a date,
immutability (database trigger), locked periods, permissions and the audit trail."""
from __future__ import annotations

import copy

import pytest
from django.db import DatabaseError, transaction

from commissions.hq.models import BranchPeriod, RuleVersion
from tests.factories import make_user
from tests.json_numbers import NUMBERS, N, post_json, refusal

pytestmark = pytest.mark.django_db

OPENING = {"component": "opening_reward", "effective_from": "2026-01-01",
           "tiers": [{"max_headcount": 50, "amount": "800.00"}, {"max_headcount": 100, "amount": "1200.00"},
                     {"max_headcount": None, "amount": "1800.00"}]}
RETENTION = {"component": "retention_bonus", "effective_from": "2026-01-01", "months": 12, "percent": "20.00"}
SALES = {"component": "sales_commission", "effective_from": "2026-01-01", "new_client_months": 12,
         "rates": [{"service": "social_insurance", "new": "2.00", "existing": "1.00"},
                   {"service": "housing_fund", "new": "2.00", "existing": "1.00"},
                   {"service": "payroll_outsourcing", "new": "5.00", "existing": "4.00"}]}
LEADS = {"component": "lead_attribution", "effective_from": "2026-01-01", "marketing_percent": "4.00",
         "sales_on_marketing_lead_percent": "2.00", "sales_self_sourced_percent": "5.00"}


def post(api, user, body):
    return api(user).post("/api/v1/rules/", body, format="json")


def with_(base: dict, **changes) -> dict:
    body = copy.deepcopy(base)
    body.update(changes)
    return body


@pytest.mark.parametrize("body", [OPENING, RETENTION, SALES, LEADS], ids=lambda b: b["component"])
def test_each_component_of_the_contract_is_created(api, hq_admin, body):
    r = post(api, hq_admin, {**body, "note": "2026 年方案"})

    assert r.status_code == 201, r.json()
    out = r.json()
    assert {k: v for k, v in out.items() if k not in ("id", "created_at")} == {
        **body, "note": "2026 年方案", "created_by": "hqadmin"}
    v = RuleVersion.objects.get(pk=out["id"])
    assert v.params == {k: val for k, val in body.items() if k not in ("component", "effective_from")}
    assert v.created_by_id == hq_admin.pk
    record = v.history.get()
    assert (record.history_user_id, record.history_change_reason) == (hq_admin.pk, "2026 年方案")


def test_a_service_hq_pays_nothing_for_is_listed_at_0_00(api, hq_admin):
    rates = [{"service": "social_insurance", "new": "2.00", "existing": "1.00"},
             {"service": "housing_fund", "new": "0.00", "existing": "0.00"},
             {"service": "payroll_outsourcing", "new": "5.00", "existing": "4.00"}]
    r = post(api, hq_admin, with_(SALES, effective_from="2027-03-01", rates=rates))
    assert r.status_code == 201, r.json()
    assert r.json()["rates"] == rates


def test_amounts_are_stored_as_two_place_strings(api, hq_admin):
    r = post(api, hq_admin, with_(RETENTION, months="6", percent="15"))

    assert r.status_code == 201
    assert (r.json()["months"], r.json()["percent"]) == (6, "15.00")


def test_lead_points_scheme_round_trips(api, hq_admin):
    points = {"points_per_qualified_lead": "10.00", "conversion_bonus_percent": "1.00",
              "min_conversion_percent": "20.00", "yuan_per_point": "5.00"}

    r = post(api, hq_admin, with_(LEADS, points=points))

    assert r.status_code == 201
    assert r.json()["points"] == points


TIERS_UNORDERED = [{"max_headcount": 100, "amount": "1200.00"}, {"max_headcount": 50, "amount": "800.00"},
                   {"max_headcount": None, "amount": "1800.00"}]
TIERS_NOT_COVERING = [{"max_headcount": 50, "amount": "800.00"}, {"max_headcount": 100, "amount": "1200.00"}]


@pytest.mark.parametrize("body, errors", [
    (with_(OPENING, component="bonus"), {"component": ["未知提成项目:bonus(可选:opening_reward、retention_bonus、"
                                                       "sales_commission、lead_attribution)。"]}),
    (with_(OPENING, tiers=[{"max_headcount": None, "amount": "-1.00"}]), {"tiers[0].amount": ["不能小于 0。"]}),
    (with_(RETENTION, percent="100.01"), {"percent": ["不能大于 100。"]}),
    (with_(SALES, rates=[{"service": "social_insurance", "new": "101.00", "existing": "1.00"}]),
     {"rates[0].new": ["不能大于 100。"]}),
    (with_(LEADS, marketing_percent="-0.01"), {"marketing_percent": ["不能小于 0。"]}),
    (with_(OPENING, tiers=TIERS_UNORDERED), {"tiers": ["档位上限须严格递增。"]}),
    (with_(OPENING, tiers=TIERS_NOT_COVERING), {"tiers": ["最后一档须不设上限(max_headcount 为 null),以覆盖所有人数。"]}),
    (with_(OPENING, tiers=[]), {"tiers": ["至少需要一个档位。"]}),
    (with_(OPENING, tiers=[{"max_headcount": None, "amount": "800.001"}]), {"tiers[0].amount": ["最多保留 2 位小数。"]}),
    (with_(RETENTION, percent="20.005"), {"percent": ["最多保留 2 位小数。"]}),
    (with_(RETENTION, percent=20.5), {"percent": [refusal("20.00")]}),
    (with_(RETENTION, months=0), {"months": ["须在 1 到 120 之间。"]}),
    (with_(SALES, rates=[{"service": "cleaning", "new": "1.00", "existing": "1.00"}]),
     {"rates[0].service": ["未知服务:cleaning"]}),
    (with_(SALES, rates=[{"service": "social_insurance", "new": "2.00", "existing": "1.00"}]),
     {"rates": ["缺少这些服务的费率:公积金代缴、薪酬外包。每项服务都须填写新客户和老客户费率,不计提成的请填 0.00。"]}),
    (with_(OPENING, effective_from="2026-02-30"), {"effective_from": ["日历上没有这一天:2026-02-30"]}),
    (with_(OPENING, effective_from="2026/01/01"), {"effective_from": ["日期无效:2026/01/01(格式 YYYY-MM-DD)。"]}),
    ({k: v for k, v in OPENING.items() if k != "effective_from"}, {"effective_from": ["必填,格式 YYYY-MM-DD。"]}),
    (with_(OPENING, effective_from="2020-01-01"),
     {"effective_from": ["2020年1月1日 已有该组件的版本;版本不可修改,请选择其他生效日期。"]}),
    (with_(RETENTION, effective_from="bad", percent="120.00"),
     {"effective_from": ["日期无效:bad(格式 YYYY-MM-DD)。"], "percent": ["不能大于 100。"]}),
], ids=["unknown-component", "negative-amount", "percent-over-100", "rate-over-100", "negative-percent",
        "tiers-unordered", "tiers-not-covering", "no-tiers", "over-precise-amount", "over-precise-percent",
        "float", "months-zero", "unknown-service", "services-missing", "impossible-date", "date-format", "missing-date",
        "duplicate-date", "several-fields"])
def test_invalid_versions_are_refused_and_nothing_saved(api, hq_admin, body, errors):
    before = RuleVersion.objects.count()

    r = post(api, hq_admin, body)

    assert r.status_code == 400
    assert r.json() == errors
    assert RuleVersion.objects.count() == before


@pytest.mark.parametrize("literal", NUMBERS)
@pytest.mark.parametrize("body, field, example", [
    (with_(OPENING, tiers=[{"max_headcount": None, "amount": N}]), "tiers[0].amount", "800.00"),
    (with_(RETENTION, percent=N), "percent", "20.00"),
    (with_(SALES, rates=[{"service": "social_insurance", "new": N, "existing": "1.00"}, *SALES["rates"][1:]]),
     "rates[0].new", "20.00"),
    (with_(LEADS, marketing_percent=N), "marketing_percent", "20.00"),
], ids=["tier-amount", "retention-percent", "sales-rate", "lead-percent"])
def test_money_and_percents_sent_as_json_numbers_are_refused_and_nothing_saved(api, hq_admin, body, field,
                                                                              example, literal):
    before = RuleVersion.objects.count()

    r = post_json(api(hq_admin), "/api/v1/rules/", body, literal)

    assert r.status_code == 400
    assert r.json() == {field: [refusal(example)]}
    assert RuleVersion.objects.count() == before
    # The same value as a decimal string is created (months and max_headcount stay JSON numbers).
    assert post_json(api(hq_admin), "/api/v1/rules/", body, f'"{example}"').status_code == 201


def test_a_version_may_not_govern_a_closed_or_paid_month_of_any_branch(api, hq_admin, branches):
    assert post(api, hq_admin, with_(OPENING, effective_from="2026-02-01")).status_code == 201
    BranchPeriod.objects.create(branch=branches["sh"], period="2026-03", status="closed")
    BranchPeriod.objects.create(branch=branches["bj"], period="2026-04", status="paid")
    before = RuleVersion.objects.count()

    inside = post(api, hq_admin, with_(OPENING, effective_from="2026-03-15"))
    reaching_back = post(api, hq_admin, with_(OPENING, effective_from="2026-02-15"))

    assert inside.json() == {"effective_from": ["上海分公司 的 2026年3月 期间已关账,新版本不能在已关账或已发放的期间生效。"]}
    assert reaching_back.status_code == 400  # it would govern March (sh closed) and April (bj paid)
    assert RuleVersion.objects.count() == before
    # January is governed by the new version only until the February one, yet it is behind the
    # months the branches closed (months close in order): refused, naming the month closed after it.
    january = post(api, hq_admin, with_(OPENING, effective_from="2026-01-01"))
    assert january.json() == {"effective_from": ["上海分公司 的 2026年3月 期间已关账,新版本不能在已关账或已发放的期间生效。"]}
    assert RuleVersion.objects.count() == before
    assert post(api, hq_admin, with_(OPENING, effective_from="2026-05-01")).status_code == 201
    # Another component's versions are independent of opening_reward's.
    assert post(api, hq_admin, with_(RETENTION, effective_from="2026-04-30")).status_code == 400


def test_version_in_force_on_a_date(api, hq_admin):
    new = post(api, hq_admin, with_(OPENING, effective_from="2026-07-01",
                                    tiers=[{"max_headcount": None, "amount": "1000.00"}])).json()
    default = RuleVersion.objects.get(component="opening_reward", effective_from="2020-01-01")

    def on(day, component="opening_reward"):
        r = api(hq_admin).get(f"/api/v1/rules/?component={component}&on={day}")
        assert r.status_code == 200
        return r.json()

    assert [v["id"] for v in on("2026-06-30")] == [default.pk]
    assert on("2026-06-30")[0]["tiers"][0] == {"max_headcount": 50, "amount": "800.00"}
    assert [v["id"] for v in on("2026-07-01")] == [new["id"]]
    assert on("2026-07-01")[0]["tiers"] == [{"max_headcount": None, "amount": "1000.00"}]
    assert on("2019-12-31") == []
    every = api(hq_admin).get("/api/v1/rules/?component=opening_reward").json()
    assert [v["effective_from"] for v in every] == ["2020-01-01", "2026-07-01"]
    all_on = api(hq_admin).get("/api/v1/rules/?on=2026-07-01").json()
    assert [(v["component"], v["effective_from"]) for v in all_on] == [
        ("opening_reward", "2026-07-01"), ("retention_bonus", "2020-01-01"),
        ("sales_commission", "2020-01-01"), ("lead_attribution", "2020-01-01")]
    assert api(hq_admin).get("/api/v1/rules/?on=2026-13-01").status_code == 400
    assert api(hq_admin).get("/api/v1/rules/?component=bonus").status_code == 400


def test_versions_are_immutable_in_the_database(api, hq_admin):
    v = RuleVersion.objects.get(pk=post(api, hq_admin, OPENING).json()["id"])

    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        RuleVersion.objects.filter(pk=v.pk).update(params={"tiers": []})
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        RuleVersion.objects.filter(pk=v.pk).delete()
    assert RuleVersion.objects.get(pk=v.pk).params == v.params


def test_permissions(api, hq_admin, branches):
    finance = make_user("hq_fin", (None, "hq_finance"))
    manager = make_user("bj_mgr", ("bj", "branch_manager"), home="bj")
    before = RuleVersion.objects.count()

    assert api(finance).get("/api/v1/rules/").status_code == 200
    assert post(api, finance, OPENING).status_code == 403
    assert api(manager).get("/api/v1/rules/").status_code == 403
    assert post(api, manager, OPENING).status_code == 403
    assert api().get("/api/v1/rules/").status_code == 401
    assert post(api, None, OPENING).status_code == 401
    assert RuleVersion.objects.count() == before
