"""Statements through the API: every SPEC §2–§4 example, exact values."""
from __future__ import annotations

import pytest

from tests.conftest import in_branch

from .conftest import amounts, drain, open_client, recompute, register_adjustment, statement

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("headcount, reward", [(1, "800.00"), (50, "800.00"), (51, "1200.00"), (100, "1200.00"),
                                               (101, "1800.00"), (5000, "1800.00")])
def test_opening_reward_tiers_with_inclusive_bounds(api, people, headcount, reward):
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=headcount)
    drain("bj")

    stmt = statement(api, people["bj_manager"], "bj", "bj_s1", "2026-03")

    assert stmt["total"] == reward
    assert stmt["status"] == "open"
    [line] = stmt["lines"]
    assert line["component"] == "opening_reward"
    assert (line["base"], line["rate"], line["adjustment_percent"], line["amount"]) == (reward, "100.00", "0.00", reward)
    assert line["source"].startswith("bj:client:")
    assert "开户奖励" in line["explanation"]


def test_flat_opening_reward_is_the_one_tier_case(api, people, hq_admin):
    r = api(hq_admin).post("/api/v1/rules/", {"component": "opening_reward", "effective_from": "2026-01-01",
                                               "tiers": [{"max_headcount": None, "amount": "1000.00"}]}, format="json")
    if r.status_code == 404:  # the rules API is another engineer's; fall back to the table
        from commissions.hq.models import RuleVersion

        RuleVersion.objects.create(component="opening_reward", effective_from="2026-01-01",
                                   params={"tiers": [{"max_headcount": None, "amount": "1000.00"}]})
    for hc in (10, 500):
        open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=hc, name=f"c{hc}")
    open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=10, opened_on="2025-12-31", name="old")
    drain("bj")

    assert statement(api, people["bj_manager"], "bj", "bj_s1", "2026-03")["total"] == "2000.00"
    # a period before the new version keeps the tiers in force then
    assert statement(api, people["bj_manager"], "bj", "bj_s2", "2025-12")["total"] == "800.00"


def test_shanghai_plus_20_percent_on_a_flat_1000(api, people):
    from commissions.hq.models import RuleVersion

    RuleVersion.objects.create(component="opening_reward", effective_from="2026-01-01",
                               params={"tiers": [{"max_headcount": None, "amount": "1000.00"}]})
    register_adjustment("sh", "opening_reward", "20.00", "2026-01-01")
    open_client(api, people["sh_staff"], "sh", opened_by="sh_s1", headcount=10)
    open_client(api, people["bj_staff"], "bj", opened_by="bj_s1", headcount=10)
    drain("sh"), drain("bj")

    sh = statement(api, people["sh_manager"], "sh", "sh_s1", "2026-03")
    assert sh["total"] == "1200.00"
    assert (sh["lines"][0]["base"], sh["lines"][0]["adjustment_percent"]) == ("1000.00", "20.00")
    assert "+20%" in sh["lines"][0]["explanation"]
    assert statement(api, people["bj_manager"], "bj", "bj_s1", "2026-03")["total"] == "1000.00"


def test_adjustment_applies_only_in_force_and_not_after_revocation(api, people):
    register_adjustment("bj", "opening_reward", "10.00", "2026-03-15", effective_to="2026-03-20")
    register_adjustment("bj", "opening_reward", "5.00", "2026-03-01", revoked_from="2026-03-18", status="revoked")
    for day in ("10", "16", "19", "25"):
        open_client(api, people["bj_staff"], opened_by="bj_s1", opened_on=f"2026-03-{day}", name=day)
    drain("bj")

    stmt = statement(api, people["bj_manager"], "bj", "bj_s1", "2026-03")
    # 10th: +5 → 840; 16th: +15 → 920; 19th: +10 (5 revoked from 18th) → 880; 25th: 800
    assert sorted(ln["amount"] for ln in stmt["lines"]) == ["800.00", "840.00", "880.00", "920.00"]
    assert stmt["total"] == "3440.00"


def test_retention_160_in_the_anniversary_month_only(api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=30, opened_on="2025-03-10")
    drain("bj")
    for period in ("2025-03", "2026-02", "2026-03", "2026-04"):
        recompute("bj", period)

    assert amounts(statement(api, people["bj_manager"], "bj", "bj_s1", "2025-03")) == [("opening_reward", "800.00")]
    assert statement(api, people["bj_manager"], "bj", "bj_s1", "2026-02")["lines"] == []
    anniversary = statement(api, people["bj_manager"], "bj", "bj_s1", "2026-03")
    assert amounts(anniversary) == [("retention_bonus", "160.00")]
    assert (anniversary["lines"][0]["base"], anniversary["lines"][0]["rate"]) == ("800.00", "20.00")
    assert anniversary["lines"][0]["source"] == f"bj:client:{cid}"
    assert statement(api, people["bj_manager"], "bj", "bj_s1", "2026-04")["lines"] == []


def test_no_retention_when_closed_before_the_anniversary(api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=30, opened_on="2025-03-10")
    r = api(people["bj_staff"]).post(f"/b/bj/api/v1/clients/{cid}/close/", {"closed_on": "2026-03-09"}, format="json")
    assert r.status_code == 200
    drain("bj")
    recompute("bj", "2026-03")

    assert statement(api, people["bj_manager"], "bj", "bj_s1", "2026-03")["lines"] == []


def _sale(api, staff, client, amount, period="2026-03", seller="bj_s1", service="social_insurance", code="bj"):
    r = api(staff).post(f"/b/{code}/api/v1/sales/", {"client": client, "service": service, "period": period,
                                                     "amount": amount, "seller": seller}, format="json")
    assert r.status_code == 201, r.json()
    return r.json()


def test_sales_commission_existing_1_percent_and_new_2_percent(api, people):
    large = open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=500, opened_on="2024-01-05", name="大客户")
    sme = open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=20, opened_on="2026-02-01", name="小企业")
    _sale(api, people["bj_staff"], large, "1000000.00")
    _sale(api, people["bj_staff"], sme, "100000.00")
    drain("bj")

    stmt = statement(api, people["bj_manager"], "bj", "bj_s1", "2026-03")
    lines = {ln["base"]: ln for ln in stmt["lines"]}
    assert (lines["1000000.00"]["rate"], lines["1000000.00"]["amount"]) == ("1.00", "10000.00")
    assert (lines["100000.00"]["rate"], lines["100000.00"]["amount"]) == ("2.00", "2000.00")
    assert stmt["total"] == "12000.00"


def test_client_is_new_for_exactly_12_months(api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s2", opened_on="2025-04-30")
    _sale(api, people["bj_staff"], cid, "1000.00", period="2026-03")  # month 12 → new
    _sale(api, people["bj_staff"], cid, "1000.00", period="2026-04")  # month 13 → existing
    drain("bj")

    assert amounts(statement(api, people["bj_manager"], "bj", "bj_s1", "2026-03")) == [("sales_commission", "20.00")]
    assert amounts(statement(api, people["bj_manager"], "bj", "bj_s1", "2026-04")) == [("sales_commission", "10.00")]


def test_lead_attribution_4_2_and_5_percent(api, people):
    staff = api(people["bj_staff"])
    mkt = staff.post("/b/bj/api/v1/leads/", {"name": "线索A", "source": "marketing", "marketer": "bj_mkt",
                                             "created_on": "2026-03-02"}, format="json")
    own = staff.post("/b/bj/api/v1/leads/", {"name": "线索B", "source": "sales", "created_on": "2026-03-02"},
                     format="json")
    assert mkt.status_code == own.status_code == 201
    for lead in (mkt.json()["id"], own.json()["id"]):
        r = staff.post(f"/b/bj/api/v1/leads/{lead}/sign/", {"amount": "100000.00", "signed_on": "2026-03-20",
                                                           "seller": "bj_sales"}, format="json")
        assert r.status_code == 200 and r.json()["status"] == "signed"
    drain("bj")

    assert amounts(statement(api, people["bj_manager"], "bj", "bj_mkt", "2026-03")) == [("lead_marketing", "4000.00")]
    assert amounts(statement(api, people["bj_manager"], "bj", "bj_sales", "2026-03")) == [
        ("lead_sales", "2000.00"), ("lead_sales", "5000.00")]


def test_cross_branch_paid_at_account_branch_rules_on_home_statement(api, people):
    """bj's specialist opens a Shanghai account: sh's +20% applies, shown on bj's statement."""
    register_adjustment("sh", "opening_reward", "20.00", "2026-01-01")
    cid = open_client(api, people["sh_staff"], "sh", opened_by="bj_s1", headcount=60)
    drain("bj"), drain("sh")

    stmt = statement(api, people["bj_manager"], "bj", "bj_s1", "2026-03")
    [line] = stmt["lines"]
    assert (line["source"], line["base"], line["adjustment_percent"], line["amount"]) == (
        f"sh:client:{cid}", "1200.00", "20.00", "1440.00")
    assert "跨区域支援" in line["explanation"]
    # Traceable to its source as a home-branch line is: the account's name and its tier, read in
    # the branch the account belongs to.
    assert "甲公司 · 员工60人" in line["explanation"] and "51–100人档" in line["explanation"], line["explanation"]
    with in_branch("sh"):
        from commissions.models import StatementLine

        assert StatementLine.objects.count() == 0  # not on the account branch's statements


def test_cross_branch_no_shrink_uses_home_rules_when_higher(api, people):
    register_adjustment("bj", "opening_reward", "10.00", "2026-01-01")
    register_adjustment("sh", "opening_reward", "-10.00", "2026-01-01")
    open_client(api, people["sh_staff"], "sh", opened_by="bj_s1", headcount=30)
    drain("bj")

    [line] = statement(api, people["bj_manager"], "bj", "bj_s1", "2026-03")["lines"]
    assert (line["adjustment_percent"], line["amount"]) == ("10.00", "880.00")
    assert "不低于本分支机构标准" in line["explanation"]

    from commissions.hq.models import HQSetting

    HQSetting.objects.filter(pk=1).update(cross_branch_no_shrink=False)
    recompute("bj", "2026-03")
    [line] = statement(api, people["bj_manager"], "bj", "bj_s1", "2026-03")["lines"]
    assert (line["adjustment_percent"], line["amount"]) == ("-10.00", "720.00")


def test_recompute_twice_gives_identical_lines(api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=70)
    _sale(api, people["bj_staff"], cid, "12345.67")
    drain("bj")
    first = statement(api, people["bj_manager"], "bj", "bj_s1", "2026-03")
    recompute("bj", "2026-03")
    recompute("bj", "2026-03")

    assert statement(api, people["bj_manager"], "bj", "bj_s1", "2026-03") == first
    assert first["total"] == "1446.91"  # 1,200 + 2% of 12,345.67 = 246.9134 → 246.91
    with in_branch("bj"):
        from commissions.models import StatementLine

        assert StatementLine.objects.filter(period="2026-03").count() == 2


def test_closed_period_unchanged_late_event_corrected_in_next_open_period(api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=30)
    drain("bj")
    r = api(people["bj_manager"]).post("/b/bj/api/v1/periods/2026-03/close/")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    closed = statement(api, people["bj_manager"], "bj", "bj_s1", "2026-03")
    assert (closed["status"], closed["total"]) == ("closed", "800.00")

    # a late opening and a late sale, both dated in the closed month
    late = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=80, name="迟到客户")
    _sale(api, people["bj_staff"], cid, "10000.00")
    drain("bj")
    drain("bj")  # twice: still one correction each

    assert statement(api, people["bj_manager"], "bj", "bj_s1", "2026-03") == closed
    april = statement(api, people["bj_manager"], "bj", "bj_s1", "2026-04")
    assert sorted((ln["component"], ln["source"], ln["amount"]) for ln in april["lines"]) == sorted([
        ("correction", f"bj:client:{late}", "1200.00"), ("correction", f"bj:sale:{_sale_id(cid)}", "200.00")])
    assert april["total"] == "1400.00"
    assert all("已关账期间 2026年3月 的" in ln["explanation"] for ln in april["lines"])

    # and the database itself refuses to touch the closed lines
    from django.db import IntegrityError, InternalError, transaction

    with in_branch("bj"), pytest.raises((InternalError, IntegrityError)), transaction.atomic():
        from commissions.models import StatementLine

        StatementLine.objects.filter(period="2026-03").update(amount=0)


def test_an_event_dated_behind_the_last_closed_month_is_paid_as_a_correction_in_the_next_open_one(api, people):
    """Months close in order, so a month before the last closed one counts as closed even without
    statements of its own: a client opened back then earns in the next open month (SPEC §4), not
    in a month nobody will ever close or pay; a float reaching back there is refused."""
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=30)
    drain("bj")
    assert api(people["bj_manager"]).post("/b/bj/api/v1/periods/2026-03/close/").status_code == 200

    back = open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=80, opened_on="2026-01-20",
                       name="去年客户")
    drain("bj")

    january = statement(api, people["bj_manager"], "bj", "bj_s2", "2026-01")
    assert (january["status"], january["total"], january["lines"]) == ("closed", "0.00", [])
    april = statement(api, people["bj_manager"], "bj", "bj_s2", "2026-04")
    assert [(ln["component"], ln["source"], ln["amount"]) for ln in april["lines"]] == [
        ("correction", f"bj:client:{back}", "1200.00")]
    assert "2026年1月" in april["lines"][0]["explanation"]
    with in_branch("bj"):
        from commissions.models import StatementLine

        assert not StatementLine.objects.filter(period="2026-01").exists()

    float_back = api(people["bj_staff"]).post("/b/bj/api/v1/adjustments/", {
        "component": "opening_reward", "percent": "5.00", "effective_from": "2026-02-01",
        "effective_to": "2026-02-28", "reason": "补"}, format="json")
    assert float_back.status_code == 400
    assert float_back.json() == {"effective_from": ["期间 2026年3月 已关账,浮动调整不能追溯到已关账或已发放的期间。"]}
    from commissions.models import Adjustment

    with in_branch("bj"):
        assert not Adjustment.objects.exists()


def _sale_id(client_id):
    with in_branch("bj"):
        from commissions.models import Sale

        return Sale.objects.get(client_id=client_id).pk


def test_specialist_sees_only_own_statement(api, people):
    open_client(api, people["bj_staff"], opened_by="bj_s1")
    open_client(api, people["bj_staff"], opened_by="bj_s2", name="乙公司")
    drain("bj")

    own = api(people["bj_s1"]).get("/b/bj/api/v1/statements/?period=2026-03").json()
    assert [s["username"] for s in own] == ["bj_s1"]
    assert api(people["bj_s1"]).get("/b/bj/api/v1/statements/bj_s2/2026-03/").status_code == 404
    assert api(people["bj_s1"]).get("/b/bj/api/v1/statements/nobody/2026-03/").status_code == 404
    assert statement(api, people["bj_s1"], "bj", "bj_s1", "2026-03")["total"] == "800.00"
    every = api(people["bj_manager"]).get("/b/bj/api/v1/statements/?period=2026-03").json()
    assert [(s["username"], s["total"]) for s in every] == [("bj_s1", "800.00"), ("bj_s2", "800.00")]
    # branch staff record the events; what they pay is for the manager and HQ (薪酬保密)
    for path in ("/b/bj/api/v1/statements/?period=2026-03", "/b/bj/api/v1/statements/bj_s1/2026-03/"):
        refused = api(people["bj_staff"]).get(path)
        assert refused.status_code == 403 and "800.00" not in refused.content.decode(), path


def test_only_people_who_earn_here_have_a_statement_even_of_zero(api, people):
    """A manager reads every earner's statement, a month without lines included (a statement of
    zero); staff, a client contact or a username that earns nothing has none: 404, as a missing one."""
    open_client(api, people["bj_staff"], opened_by="bj_s1")
    drain("bj")
    manager = api(people["bj_manager"])
    zero = manager.get("/b/bj/api/v1/statements/bj_s2/2026-03/")
    assert zero.status_code == 200 and zero.json()["total"] == "0.00" and zero.json()["lines"] == []
    for username in ("bj_staff", "bj_contact", "nobody"):
        for _ in range(2):  # the prepared (cached) read answers the same
            assert manager.get(f"/b/bj/api/v1/statements/{username}/2026-03/").status_code == 404, username


def test_other_branch_gets_404(api, people):
    open_client(api, people["bj_staff"], opened_by="bj_s1")
    drain("bj")
    for user in ("sh_manager", "sh_s1"):
        assert api(people[user]).get("/b/bj/api/v1/statements/bj_s1/2026-03/").status_code == 404
        assert api(people[user]).get("/b/bj/api/v1/statements/?period=2026-03").status_code == 404


def test_close_period_branch_manager_only(api, people):
    for user in ("bj_staff", "bj_s1"):
        assert api(people[user]).post("/b/bj/api/v1/periods/2026-03/close/").status_code == 403
    assert api(people["sh_manager"]).post("/b/bj/api/v1/periods/2026-03/close/").status_code == 404
    from commissions.hq.models import BranchPeriod

    assert not BranchPeriod.objects.exists()
    assert api(people["bj_manager"]).post("/b/bj/api/v1/periods/2026-3/close/").status_code == 400
    assert api(people["bj_manager"]).post("/b/bj/api/v1/periods/2026-03/close/").status_code == 200
    assert api(people["bj_manager"]).post("/b/bj/api/v1/periods/2026-03/close/").status_code == 400
    row = BranchPeriod.objects.get()
    assert (row.status, row.closed_by_id) == ("closed", people["bj_manager"].pk)


def test_mark_paid_notifies_each_earner_once(api, people, branches):
    from commissions import services
    from notifications.models import Notification
    from tests.factories import make_user

    finance = make_user("fin", (None, "hq_finance"))
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60)
    drain("bj")
    api(people["bj_manager"]).post("/b/bj/api/v1/periods/2026-03/close/")

    services.period_mark_paid(actor=finance, branch=branches["bj"], period="2026-03")
    services.period_mark_paid(actor=finance, branch=branches["bj"], period="2026-03")

    with in_branch("bj"):
        # the month named, and the link to the earner's own payslip (工资条), not the office's page
        assert list(Notification.objects.filter(kind="commission_paid").values_list("recipient_id", "title", "link")) == [
            (people["bj_s1"].pk, "您的2026年3月开户奖励1,200.00元已到账", "/b/bj/commissions/payslip/2026-03/")]
    assert statement(api, people["bj_manager"], "bj", "bj_s1", "2026-03")["status"] == "paid"
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.period_mark_paid(actor=people["bj_manager"], branch=branches["bj"], period="2026-03")


def test_recompute_endpoint_returns_task_id(api, people):
    r = api(people["bj_staff"]).post("/b/bj/api/v1/recompute/", {"period": "2026-03"}, format="json")
    assert r.status_code == 202 and len(r.json()["task_id"]) == 36
    assert api(people["bj_s1"]).post("/b/bj/api/v1/recompute/", {"period": "2026-03"}, format="json").status_code == 403
    assert api(people["bj_staff"]).post("/b/bj/api/v1/recompute/", {"period": "03-2026"}, format="json").status_code == 400
