"""A new policy year published late and applying back to July: the filed months stay as filed,
their difference (补差) is posted as linked lines in the next open month, open drafts move to the
new version; bad versions are refused and change nothing."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from social_insurance import engine, services, tasks
from social_insurance.models import CheckFinding, ContributionLine, FeeStatement
from social_insurance.policies import services as policy_services
from social_insurance.policies.models import CityPolicy
from social_insurance.policies.selectors import policy_rule
from tests.conftest import in_branch
from tests.factories import make_user
from tests.json_numbers import N, post_json

from .helpers import add_employee, make_client

pytestmark = pytest.mark.django_db
D = Decimal

ITEMS_2027 = {
    "pension": {"base": ["7500", "37500"], "employer": "15.00", "employee": "8.00"},
    "medical": {"base": ["7500", "37500"], "employer": "9.80", "employee": "2.00", "employee_fixed": "3.00"},
    "unemployment": {"base": ["7500", "37500"], "employer": "0.50", "employee": "0.50"},
    "work_injury": {"base": ["7500", "37500"], "employer_range": ["0.20", "1.90"], "employee": "0.00"},
    "housing_fund": {"base": ["2600", "37500"], "rate_range": ["5", "12"], "note": "whole percent"},
}


def publish(actor, **over):
    args = dict(city="beijing", year_label="2027年度", effective_from="2027-07-01", items=ITEMS_2027,
                sources=["京人社发〔2027〕X号(测试)"], confidence="high")
    args.update(over)
    return policy_services.policy_publish(actor=actor, **args)


@pytest.fixture
def filed(staff, hq_admin):
    """2026年度 kept in force (沿用) past June 2027; July and August 2027 filed under it,
    September computed as a draft; B's July base corrected by a dispute before the new year."""
    v2026 = CityPolicy.objects.get(city="beijing", year_label="2026年度")
    policy_services.policy_extend(actor=hq_admin, policy_id=v2026.pk, effective_to=None)
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
        people = {
            "low": add_employee(client, 1, "5000", "2027-01-01", actor=staff, housing_fund_percent="12"),
            "mid": add_employee(client, 2, "20000", "2027-01-01", actor=staff, injury_rate="1.00"),
            "high": add_employee(client, 3, "50000", "2027-01-01", actor=staff),
        }
        for period in ("2027-07", "2027-08"):
            services.month_compute(actor=staff, period=period)
            services.month_reconcile(actor=staff, period=period)
            services.month_file(actor=staff, period=period, receipt_no=f"BJ-{period}")
        d = services.dispute_raise(actor=staff, employee_id=people["mid"].pk, period="2027-07",
                                   claimed_wage="22000", reason="漏报奖金")
        services.dispute_resolve(actor=staff, dispute_id=d.pk, corrected_wage="22000")
        services.month_compute(actor=staff, period="2027-09")
        snapshot = {l.pk: (l.base, l.employer_amount, l.employee_amount, l.policy_id)
                    for l in ContributionLine.objects.filter(period__in=("2027-07", "2027-08"))}
    return {"client": client, "v2026": v2026, "snapshot": snapshot, **people}


def regular(emp, period):
    return {l.kind: l for l in ContributionLine.objects.filter(employee=emp, period=period, source="regular")}


def true_ups(emp, for_period):
    return {l.kind: l for l in ContributionLine.objects.filter(employee=emp, for_period=for_period, source="true_up")}


@pytest.mark.parametrize("batch", [None, 1], ids=["one batch", "a batch per person"])
def test_backdated_year_posts_linked_differences_and_keeps_filed_months(staff, hq_admin, filed, batch, monkeypatch):
    if batch:  # the true-up works through people in batches; each batch must settle on its own
        monkeypatch.setattr(services, "TRUE_UP_BATCH", batch)
    new = publish(hq_admin)
    filed["v2026"].refresh_from_db()
    assert filed["v2026"].effective_to == dt.date(2027, 6, 30) and filed["v2026"].locked_at is not None
    with connection.cursor() as cur:  # the frozen version ends where the new one starts: allowed at commit
        cur.execute("SET CONSTRAINTS si_policy_frozen_end IMMEDIATE")

    with in_branch("bj"):
        result = services.policy_true_up(actor=hq_admin, policy_id=new.pk)
        assert (result.months, result.target) == (["2027-07", "2027-08"], "2027-09")
        assert result.recomputed == ["2027-09"]
        assert result.inserted == ContributionLine.objects.filter(source="true_up").count() > 3
        # The filed months are exactly as filed.
        assert {l.pk: (l.base, l.employer_amount, l.employee_amount, l.policy_id)
                for l in ContributionLine.objects.filter(period__in=("2027-07", "2027-08"))} == filed["snapshot"]

        # Pension by hand (2026年度: floor 7270, ceiling 36348, 16%/8%; 2027年度: 7500, 37500, 15%/8%).
        low, high = true_ups(filed["low"], "2027-07"), true_ups(filed["high"], "2027-08")
        # 5000 under both floors: 7270×16% = 1163.20 → 7500×15% = 1125.00; 581.60 → 600.00.
        assert (low["pension"].employer_amount, low["pension"].employee_amount) == (D("-38.20"), D("18.40"))
        # 50000 over both ceilings (needs the filed wage, not the capped base): 5815.68 → 5625.00; 2907.84 → 3000.00.
        assert (high["pension"].employer_amount, high["pension"].employee_amount) == (D("-190.68"), D("92.16"))
        # B's July was corrected to 22000 by a dispute: regular 3200 + 补缴 320 charged, 3300 due → −220.
        mid = true_ups(filed["mid"], "2027-07")
        assert (mid["pension"].employer_amount, mid["pension"].employee_amount) == (D("-220.00"), D("0.00"))
        assert mid["pension"].wage == D("22000.00")

        rule = policy_rule(new)
        for key in ("low", "mid", "high"):
            emp = filed[key]
            for month in ("2027-07", "2027-08"):
                originals = regular(emp, month)
                charged = {k: [D(0), D(0)] for k in originals}
                for l in ContributionLine.objects.filter(employee=emp, for_period=month).exclude(source="true_up"):
                    charged[l.kind][0] += l.employer_amount
                    charged[l.kind][1] += l.employee_amount
                wage = D("22000") if (key, month) == ("mid", "2027-07") else emp.wage
                due = engine.contribution_for(rule, wage, housing_fund_percent=emp.housing_fund_percent,
                                              injury=emp.injury_rate)
                fixes = true_ups(emp, month)
                for item in due.items:
                    d_er, d_ee = item.employer - charged[item.kind][0], item.employee - charged[item.kind][1]
                    line = fixes.get(item.kind)
                    if d_er == 0 and d_ee == 0:
                        assert line is None
                        continue
                    assert (line.employer_amount, line.employee_amount) == (d_er, d_ee), (key, month, item.kind)
                    assert line.period == "2027-09" and line.policy_id == new.pk
                    assert line.corrects_id == originals[item.kind].pk

        # The open draft moved to the new version; the statement carries the differences.
        assert {l.policy_id for l in ContributionLine.objects.filter(period="2027-09", source="regular")} == {new.pk}
        st = FeeStatement.objects.get(period="2027-09", client=filed["client"])
        lines = ContributionLine.objects.filter(period="2027-09", client=filed["client"])
        assert st.employer_total == sum(l.employer_amount for l in lines)
        assert st.employee_total == sum(l.employee_amount for l in lines)

        # Idempotent: a second run (a retried task, the daily sweep) changes nothing.
        before = {l.pk: (l.employer_amount, l.employee_amount) for l in ContributionLine.objects.filter(period="2027-09")}
        again = services.policy_true_up(actor=None, policy_id=new.pk)
        assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)
        assert {l.pk: (l.employer_amount, l.employee_amount)
                for l in ContributionLine.objects.filter(period="2027-09")} == before
        # The Celery entry point and the daily sweep run the same service.
        assert tasks.policy_true_up.run(new.pk) == 0
        assert tasks.daily_cycle.run() in ("computed", "filed")
        assert {l.pk: (l.employer_amount, l.employee_amount)
                for l in ContributionLine.objects.filter(period="2027-09")} == before


def test_months_a_true_up_recomputes_keep_the_cross_branch_check(staff, hq_admin, filed):
    """The true-up recomputes September in one transaction and registers the branch once, last;
    the person Shanghai also insures in September is still flagged."""
    sh_staff = make_user("sh_staff", ("sh", "branch_staff"), home="sh")
    with in_branch("sh"):
        add_employee(make_client("上海丙公司", sh_staff, city="shanghai"), 1, "9000", "2027-01-01", city="shanghai",
                     actor=sh_staff)
        services.month_compute(actor=sh_staff, period="2027-09")
    new = publish(hq_admin)
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS si_policy_frozen_end IMMEDIATE")
    with in_branch("bj"):
        assert not CheckFinding.objects.filter(kind="duplicate_across").exists()  # bj computed before sh
        assert services.policy_true_up(actor=hq_admin, policy_id=new.pk).recomputed == ["2027-09"]
        assert set(CheckFinding.objects.filter(kind="duplicate_across").values_list("period", "employee_id")) == {
            ("2027-09", filed["low"].pk)}


def test_a_dispute_after_a_true_up_settles_against_everything_charged(staff, hq_admin, filed):
    new = publish(hq_admin)
    with in_branch("bj"):
        services.policy_true_up(actor=hq_admin, policy_id=new.pk)
        # C's August: filed at 50000 under 2026年度 (capped: 5815.68 / 2907.84), then 补差 to 2027年度
        # (−190.68 / +92.16). The client shows the wage was 30000: 2027年度 charges 4500.00 / 2400.00.
        d = services.dispute_raise(actor=staff, employee_id=filed["high"].pk, period="2027-08",
                                   claimed_wage="30000", reason="工资申报有误")
        services.dispute_resolve(actor=staff, dispute_id=d.pk, corrected_wage="30000")
        refund = ContributionLine.objects.get(dispute=d, kind="pension")
        assert (refund.period, refund.source, refund.policy_id) == ("2027-09", "refund", new.pk)
        assert (refund.employer_amount, refund.employee_amount) == (D("-1125.00"), D("-600.00"))
        assert refund.corrects == regular(filed["high"], "2027-08")["pension"]
        # Every item now adds up to what 2027年度 charges for 30000, and the 补差 stays put on a rerun.
        due = engine.contribution_for(policy_rule(new), D("30000"))
        for item in due.items:
            lines = ContributionLine.objects.filter(employee=filed["high"], for_period="2027-08", kind=item.kind)
            assert (sum(l.employer_amount for l in lines), sum(l.employee_amount for l in lines)) == (
                item.employer, item.employee), item.kind
        # A rerun of the 补差 keeps every amount; its lines now record the corrected wage and base.
        amounts = lambda: {l.pk: (l.employer_amount, l.employee_amount)  # noqa: E731
                           for l in ContributionLine.objects.filter(period="2027-09", source="true_up")}
        before = amounts()
        again = services.policy_true_up(actor=None, policy_id=new.pk)
        assert (again.inserted, again.deleted) == (0, 0) and amounts() == before
        assert true_ups(filed["high"], "2027-08")["pension"].wage == D("30000.00")
        st = FeeStatement.objects.get(period="2027-09", client=filed["client"])
        assert st.employer_total == sum(l.employer_amount for l in ContributionLine.objects.filter(period="2027-09"))


def settled(emp, month, kind):
    lines = ContributionLine.objects.filter(employee=emp, for_period=month, kind=kind)
    return sum(l.employer_amount for l in lines), sum(l.employee_amount for l in lines)


@pytest.mark.parametrize("extra_items", [{}, {"maternity": {"base": ["7500", "37500"], "employer": "0.80",
                                                            "employee": "0.00"}}], ids=["same items", "item added"])
def test_disputes_settle_the_whole_month_under_the_version_in_force(staff, hq_admin, filed, extra_items):
    """B (20000) in August: the 补差 only touches some items at that wage. Corrected to 38000 —
    above 2026年度's ceiling, above 2027年度's too — then to 25000 by a second dispute settled in
    the same open month: every item, also one only the new year has, adds up to what 2027年度
    charges for the corrected wage, and the daily 补差 rerun changes no amount."""
    new = publish(hq_admin, items={**ITEMS_2027, **extra_items})
    rule = policy_rule(new)
    with in_branch("bj"):
        services.policy_true_up(actor=hq_admin, policy_id=new.pk)
        for wage in ("38000", "25000"):
            d = services.dispute_raise(actor=staff, employee_id=filed["mid"].pk, period="2027-08",
                                       claimed_wage=wage, reason="奖金计入")
            services.dispute_resolve(actor=staff, dispute_id=d.pk, corrected_wage=wage)
            due = engine.contribution_for(rule, D(wage), housing_fund_percent=filed["mid"].housing_fund_percent,
                                          injury=filed["mid"].injury_rate)
            for item in due.items:
                assert settled(filed["mid"], "2027-08", item.kind) == (item.employer, item.employee), (wage, item.kind)
            assert {l.policy_id for l in ContributionLine.objects.filter(dispute=d)} == {new.pk}
            before = {l.pk: (l.employer_amount, l.employee_amount) for l in ContributionLine.objects.filter(period="2027-09")}
            again = services.policy_true_up(actor=None, policy_id=new.pk)
            assert again.inserted == again.deleted == 0
            assert {l.pk: (l.employer_amount, l.employee_amount)
                    for l in ContributionLine.objects.filter(period="2027-09")} == before
        # The second dispute's differences were folded into the first one's lines of September.
        assert ContributionLine.objects.filter(period="2027-09", for_period="2027-08", employee=filed["mid"],
                                               dispute__isnull=False).values("kind", "source").distinct().count() \
            == ContributionLine.objects.filter(period="2027-09", for_period="2027-08", employee=filed["mid"],
                                               dispute__isnull=False).count()


def test_true_up_moves_on_past_a_month_filed_meanwhile(staff, hq_admin, filed):
    new = publish(hq_admin)
    with in_branch("bj"):
        services.month_reconcile(actor=staff, period="2027-09")
        services.month_file(actor=staff, period="2027-09", receipt_no="BJ-2027-09")
        result = services.policy_true_up(actor=hq_admin, policy_id=new.pk)
        # September was filed under 2026年度 before the true-up ran: it is corrected too, in October.
        assert result.target == "2027-10" and "2027-09" in result.months
        assert ContributionLine.objects.filter(period="2027-10", source="true_up", for_period="2027-09").exists()
        assert not ContributionLine.objects.filter(period="2027-09", source="true_up").exists()


def test_publish_via_api_and_extend(api, hq_admin, branches):
    hq_finance = make_user("hqfin", (None, "hq_finance"))
    body = {"city": "beijing", "year": "2027年度", "effective_from": "2027-07-01", "items": ITEMS_2027,
            "sources": ["测试文号"], "confidence": "medium"}
    assert api(hq_finance).post("/api/v1/si/policies/publish/", body, format="json").status_code == 403
    staff = make_user("bj_staff2", ("bj", "branch_manager"), home="bj")
    assert api(staff).post("/api/v1/si/policies/publish/", body, format="json").status_code == 403
    assert api().post("/api/v1/si/policies/publish/", body, format="json").status_code in (401, 403)
    resp = api(hq_admin).post("/api/v1/si/policies/publish/", body, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["year"] == "2027年度" and resp.json()["effective_to"] is None
    assert CityPolicy.objects.get(city="beijing", year_label="2026年度").effective_to == dt.date(2027, 6, 30)
    new_id = resp.json()["id"]
    resp = api(hq_admin).post(f"/api/v1/si/policies/{new_id}/extend/", {"effective_to": "2028-06-30"}, format="json")
    assert resp.status_code == 400  # open-ended already: nothing to extend
    old = CityPolicy.objects.get(city="beijing", year_label="2026年度")
    resp = api(hq_admin).post(f"/api/v1/si/policies/{old.pk}/extend/", {"effective_to": "2027-12-31"}, format="json")
    assert resp.status_code == 400 and "重叠" in str(resp.json())
    assert api(hq_admin).post("/api/v1/si/policies/999999/extend/", {"effective_to": None}, format="json").status_code == 404


BAD = [
    ({"items": {**ITEMS_2027, "pension": {"base": ["9000", "8000"], "employer": "16", "employee": "8"}}}, "items", "上限"),
    ({"items": {**ITEMS_2027, "pension": {"base": ["7500", "37500"], "employer": "116", "employee": "8"}}}, "items", "100%"),
    ({"items": {**ITEMS_2027, "pension": {"base": ["-1", "37500"], "employer": "16", "employee": "8"}}}, "items", "不小于 0"),
    ({"items": {**ITEMS_2027, "dental": {"base": ["1", "2"], "employer": "1"}}}, "items", "未知险种"),
    ({"items": {**ITEMS_2027, "work_injury": {"base": ["7500", "37500"], "employer": "1", "employer_range": ["0.2", "1.9"]}}}, "items", "之一"),
    ({"items": {}}, "items", "基数"),
    ({"effective_from": "2027-07-15"}, "effective_from", "1 日"),
    ({"effective_from": "2027-13-01"}, "effective_from", "YYYY-MM-DD"),
    ({"effective_from": "2026-07-01"}, "effective_from", "较新版本"),
    ({"year_label": "2026年度"}, "year_label", "已有"),
    ({"city": "atlantis"}, "city", "未知"),
    ({"confidence": "sure"}, "confidence", "可信度"),
    ({"sources": []}, "sources", "来源"),
    ({"rounding": {"social": "fen_sideways", "housing_fund": "yuan_half_up"}}, "rounding", "舍入"),
    ({"effective_to": "2027-06-30"}, "effective_to", "早于"),
    ({"items": {**ITEMS_2027, "housing_fund": {**ITEMS_2027["housing_fund"], "whole_percent": "yes"}}}, "items", "true 或 false"),
    ({"items": {**ITEMS_2027, "pension": {**ITEMS_2027["pension"], "whole_percent": True}}}, "items", "只适用于缴存比例范围"),
    ({"items": {**ITEMS_2027, "pension": {**ITEMS_2027["pension"], "note": 5}}}, "items", "说明(note)须为文字"),
    ({"items": {**ITEMS_2027, "housing_fund": {**ITEMS_2027["housing_fund"], "rate_range": ["5.5", "12"]}}}, "items",
     "下限须为整数"),
    *[({"items": {**ITEMS_2027, "housing_fund": {**ITEMS_2027["housing_fund"], "rate_range": bad}}}, "items", "下限和上限")
      for bad in (5, {"a": 1}, ["abc"], [{"x": 1}])],
    ({"items": {**ITEMS_2027, "housing_fund": {**ITEMS_2027["housing_fund"], "rate_range": ["abc", "12"]}}}, "items",
     "缴存比例下限"),
]


@pytest.mark.parametrize("over,field,text", BAD)
def test_bad_versions_are_refused_and_change_nothing(hq_admin, over, field, text):
    from django.core.exceptions import ValidationError

    before = list(CityPolicy.objects.order_by("pk").values_list("pk", "effective_to"))
    with pytest.raises(ValidationError) as exc:
        publish(hq_admin, **over)
    assert text in " ".join(exc.value.message_dict[field])
    assert list(CityPolicy.objects.order_by("pk").values_list("pk", "effective_to")) == before


def test_daily_cycle_posts_a_true_up_whose_message_was_lost(staff, hq_admin, filed):
    new = publish(hq_admin)  # in a test transaction the on-commit fan-out never runs: as if lost
    with in_branch("bj"):
        assert not ContributionLine.objects.filter(source="true_up").exists()
        tasks.daily_cycle.run()
        assert ContributionLine.objects.filter(source="true_up", period="2027-09", policy_id=new.pk).exists()


def test_true_up_task_refuses_bad_arguments_and_changes_nothing(staff, hq_admin, filed):
    from django.core.exceptions import ValidationError

    with in_branch("bj"):
        before = ContributionLine.objects.count()
        for bad in ("7", None, True, 1.5):
            with pytest.raises(ValueError, match="policy id"):
                tasks.policy_true_up.run(bad)
        with pytest.raises(ValidationError) as exc:
            tasks.policy_true_up.run(999999)
        assert "政策版本不存在" in exc.value.message_dict["policy"][0]
        assert ContributionLine.objects.count() == before


def test_a_version_published_without_rounding_keeps_the_citys_rounding_and_its_explanation(hq_admin, branches):
    before = CityPolicy.objects.filter(city="beijing").order_by("-effective_from").first()
    before.rounding_note = "社保分位四舍五入;公积金单位、个人分别取整到元"
    before.save(update_fields=["rounding_note"])
    new = publish(hq_admin)
    assert (new.rounding_social, new.rounding_housing_fund) == (before.rounding_social, before.rounding_housing_fund)
    assert new.rounding_note == "社保分位四舍五入;公积金单位、个人分别取整到元"
    given = publish(hq_admin, year_label="2028年度", effective_from="2028-07-01",
                    rounding={"social": "fen_half_up", "housing_fund": "yuan_half_up_per_side"})
    assert given.rounding_note == ""  # rounding given without words: none carried from another rule


def test_the_whole_percent_rule_is_kept_until_a_version_says_otherwise(hq_admin, branches):
    """The housing fund's whole-percent rule is a rule, not the words of a note: a version whose
    item says nothing about it (no key, or null) keeps the city's rule, whatever its note says (a
    reworded note does not drop it, the data file's words "whole percent" do not bring it back);
    `whole_percent: false` drops it, `true` sets it again. Scripts get it back in the item's data;
    an item without a rate range never has it, whatever its note."""
    from social_insurance.policies.selectors import items_as_data

    latest = CityPolicy.objects.filter(city="beijing").order_by("-effective_from").first()
    assert latest.items.get(kind="housing_fund").whole_percent  # the data file's
    reworded = {**ITEMS_2027, "housing_fund": {"base": ["2600", "37500"], "rate_range": ["5", "12"],
                                               "note": "单位自选,双方同比例"}}
    rule = lambda v: v.items.get(kind="housing_fund").whole_percent  # noqa: E731
    kept = publish(hq_admin, items=reworded)
    assert rule(kept) is True
    assert items_as_data(kept)["housing_fund"]["whole_percent"] is True
    dropped = publish(hq_admin, year_label="2028年度", effective_from="2028-07-01",
                      items={**reworded, "housing_fund": {**reworded["housing_fund"], "whole_percent": False}})
    assert rule(dropped) is False
    silent = publish(hq_admin, year_label="2029年度", effective_from="2029-07-01", items=reworded)
    assert rule(silent) is False and items_as_data(silent)["housing_fund"]["whole_percent"] is False
    worded = publish(hq_admin, year_label="2030年度", effective_from="2030-07-01", items=ITEMS_2027)  # note "whole percent"
    assert rule(worded) is False
    null = {**ITEMS_2027["housing_fund"], "rate_range": ["5.5", "12"], "whole_percent": None}
    assert rule(publish(hq_admin, year_label="2031年度", effective_from="2031-07-01",
                        items={**ITEMS_2027, "housing_fund": null})) is False
    set_again = publish(hq_admin, year_label="2032年度", effective_from="2032-07-01",
                        items={**ITEMS_2027, "housing_fund": {**reworded["housing_fund"], "whole_percent": True},
                               "pension": {**ITEMS_2027["pension"], "note": "whole percent"}})
    assert rule(set_again) is True and not set_again.items.get(kind="pension").whole_percent
    assert "whole_percent" not in items_as_data(set_again)["pension"]


def test_a_figure_or_range_given_as_null_is_not_given(hq_admin, branches):
    """JSON null for a range, a share or a fixed amount means the item does not have it (as the
    data file leaves such keys out); it gave a 500 for a range before."""
    items = {**ITEMS_2027, "pension": {**ITEMS_2027["pension"], "rate_range": None, "employer_range": None,
                                       "employee_fixed": None, "supplementary_range": None, "whole_percent": None}}
    new = publish(hq_admin, items=items)
    pension = new.items.get(kind="pension")
    assert (pension.rate_min, pension.employer_rate_min, pension.employee_fixed, pension.whole_percent) == (
        None, None, D("0"), False)
    assert (pension.employer_percent, pension.employee_percent) == (D("15.00"), D("8.00"))


@pytest.mark.parametrize("literal", ["16", "16.5", "1e1", "true"])
@pytest.mark.parametrize("pension, words", [
    ({"base": ["7500", "37500"], "employer": N, "employee": "8.00"}, '养老保险:单位比例须为字符串,例如 "20.00"'),
    ({"base": [N, "37500"], "employer": "16.00", "employee": "8.00"}, '养老保险:基数下限须为字符串,例如 "1200.00"'),
], ids=["rate", "base"])
def test_a_figure_sent_as_a_json_number_is_refused_and_changes_nothing(api, hq_admin, branches, pension, words,
                                                                        literal):
    body = {"city": "beijing", "year": "2027年度", "effective_from": "2027-07-01",
            "items": {**ITEMS_2027, "pension": pension}, "sources": ["测试文号"], "confidence": "medium"}
    before = list(CityPolicy.objects.order_by("pk").values_list("pk", "effective_to"))

    resp = post_json(api(hq_admin), "/api/v1/si/policies/publish/", body, literal)

    assert resp.status_code == 400
    assert resp.json() == {"items": [f"{words}(不接受 JSON 数字或 true/false)。"]}
    assert list(CityPolicy.objects.order_by("pk").values_list("pk", "effective_to")) == before
    assert post_json(api(hq_admin), "/api/v1/si/policies/publish/", body, '"16.00"').status_code == 201
