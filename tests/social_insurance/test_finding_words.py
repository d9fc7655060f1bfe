"""A check finding's detail, made when shown (social_insurance.display): every kind in words in
both languages, from the values the check stored; findings stored as sentences keep theirs."""
from __future__ import annotations

import re

import pytest
from django.utils import translation

from social_insurance.display import finding_detail
from social_insurance.models import FindingKind

# What each check stores (sql.FINDINGS_SQL / DUPLICATES_SQL), as PostgreSQL writes the values.
STORED = {
    "location_mismatch": {"insured": "beijing", "contract": "shenzhen", "payroll": "shanghai"},
    "base_below_floor": {"wage": "3000.00", "floor": "6821.00"},
    "no_policy": {"city": "hangzhou"},
    "duplicate_in_branch": {"n": 2},
    "rate_adjusted": {"item": "housing_fund", "chosen": "12.00", "min": "5.00", "max": "10.00", "whole": False,
                      "paid": "10.00"},
    "duplicate_across": {}, "uninsured_payroll": {}, "not_on_payroll": {},
}
CHINESE = {
    "location_mismatch": "参保地 北京 / 合同地 深圳 / 发薪地 上海",
    "base_below_floor": "申报工资 3,000.00 低于下限 6,821.00,按下限缴费",
    "no_policy": "参保地 杭州 在本月没有适用政策",
    "duplicate_in_branch": "同一身份证号本月在本分支机构有 2 条参保记录",
    "rate_adjusted": "公积金比例 12.00% 不在本年度 5.00–10.00% 内,按 10.00% 缴费,请与客户确认",
    "duplicate_across": "该身份证号本月在其他分支机构也有参保记录,请核实",
    "uninsured_payroll": "客户工资表上有此人,本月未通过该客户参保",
    "not_on_payroll": "本月通过该客户参保,但不在客户本月工资表上",
}
ENGLISH = {
    "location_mismatch": "Insured in Beijing / contract in Shenzhen / paid in Shanghai",
    "base_below_floor": "Declared wage 3,000.00 is below the base floor 6,821.00; contributions are on the floor.",
    "no_policy": "No policy applies in Hangzhou this month.",
    "duplicate_in_branch": "This ID number has 2 insurance records in this branch this month.",
    "rate_adjusted": "Housing-fund rate 12.00% is outside this year's 5.00–10.00%; paid at 10.00%. "
                     "Please confirm with the client.",
}


def test_every_kind_has_its_words_in_both_languages():
    assert set(STORED) == set(FindingKind.values)  # a new kind needs its sentence here and in display.py
    with translation.override("zh-hans"):
        assert {k: finding_detail(k, v) for k, v in STORED.items()} == CHINESE
    with translation.override("en"):
        english = {k: finding_detail(k, v) for k, v in STORED.items()}
    for kind, text in english.items():
        assert text and not re.search(r"[\u4e00-\u9fff]", text), (kind, text)
        assert "beijing" not in text and "None" not in text, (kind, text)
    assert {k: english[k] for k in ENGLISH} == ENGLISH


@pytest.mark.parametrize("args, chinese, english", [
    ({"item": "work_injury", "chosen": "2.50", "min": "0.20", "max": "1.90", "paid": "1.90"},
     "工伤费率 2.50% 不在本年度 0.20–1.90% 内,按 1.90% 缴费",
     "Work-injury rate 2.50% is outside this year's 0.20–1.90%; paid at 1.90%."),
    ({"item": "housing_fund", "chosen": "7.50", "min": "5.00", "max": "12.00", "whole": True, "paid": "7.50"},
     "公积金比例 7.50% 不是整数百分比(本年度须为整数,5.00–12.00%),按 7.50% 缴费,请与客户确认",
     "Housing-fund rate 7.50% is not a whole percent (this year requires whole percents, 5.00–12.00%); "
     "paid at 7.50%. Please confirm with the client."),
])
def test_each_kind_of_rate_finding(args, chinese, english):
    with translation.override("zh-hans"):
        assert finding_detail("rate_adjusted", args) == chinese
    with translation.override("en"):
        assert finding_detail("rate_adjusted", args) == english


def test_a_finding_stored_as_a_sentence_keeps_it_with_city_names_and_separators():
    stored = "申报工资 3000.00 低于下限 6821.00,按下限缴费"
    assert finding_detail("base_below_floor", {}, stored) == "申报工资 3,000.00 低于下限 6,821.00,按下限缴费"
    assert finding_detail("location_mismatch", {}, "参保地 beijing / 合同地 shanghai / 发薪地 beijing") == \
        "参保地 北京 / 合同地 上海 / 发薪地 北京"


def test_values_that_cannot_be_said_show_the_stored_sentence():
    from social_insurance.display import charge_words, guarded

    assert guarded(charge_words, "late_fee", {"period": "2025-08"}, "旧说明") == "旧说明"  # no deadline, no parts
    assert guarded(finding_detail, "duplicate_in_branch", {"n": 2}, "") == "同一身份证号本月在本分支机构有 2 条参保记录"
