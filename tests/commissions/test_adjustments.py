"""Branch float adjustments (浮动调整): the ±20% cap, stacking, approval (备案), revocation by HQ,
the role matrix of every endpoint, and the audit trail."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction

from commissions.hq.models import BranchPeriod, RegisteredAdjustment
from commissions.models import Adjustment
from tests.conftest import in_branch
from tests.json_numbers import NUMBERS, N, post_json, refusal, refusal_en

# Every test but the concurrent one gets the database through the `people` fixture (rolled back).
D = Decimal
URL = "/b/{code}/api/v1/adjustments/"
CAP = "浮动比例不能超过 ±20%。"


def propose(api, user, code="bj", *, percent="10.00", component="opening_reward", effective_from="2026-01-01",
            effective_to=None, reason="上海市场竞争激烈"):
    body = {"component": component, "percent": percent, "effective_from": effective_from, "reason": reason}
    if effective_to:
        body["effective_to"] = effective_to
    return api(user).post(URL.format(code=code), body, format="json")


def decide(api, user, adj_id, action="approve", code="bj", note="同意"):
    return api(user).post(f"{URL.format(code=code)}{adj_id}/{action}/", {"note": note}, format="json")


def approved(api, people, **kw) -> int:
    r = propose(api, people["bj_staff"], **kw)
    assert r.status_code == 201, r.json()
    assert decide(api, people["bj_manager"], r.json()["id"]).status_code == 200
    return r.json()["id"]


def counts(code="bj") -> tuple[int, int]:
    with in_branch(code):
        return Adjustment.objects.count(), RegisteredAdjustment.objects.count()


# ---------------------------------------------------------------------------------------------
# The cap
# ---------------------------------------------------------------------------------------------
def test_plus_20_percent_is_accepted_as_proposed(api, people):
    r = propose(api, people["bj_staff"], percent="20.00")

    assert r.status_code == 201
    body = r.json()
    assert {k: body[k] for k in ("component", "percent", "effective_from", "effective_to", "status", "proposed_by",
                                 "reason", "registered_id")} == {
        "component": "opening_reward", "percent": "20.00", "effective_from": "2026-01-01", "effective_to": None,
        "status": "proposed", "proposed_by": "bj_staff", "reason": "上海市场竞争激烈", "registered_id": None}
    assert counts() == (1, 0)  # proposed only: nothing registered with HQ yet


@pytest.mark.parametrize("percent", ["21.00", "-20.01", "20.01", "-21"])
def test_beyond_20_percent_is_refused_and_nothing_saved(api, people, percent):
    r = propose(api, people["bj_staff"], percent=percent)

    assert r.status_code == 400
    assert r.json() == {"percent": [CAP]}
    assert counts() == (0, 0)


@pytest.mark.parametrize("body, field", [
    ({"percent": "10.001"}, "percent"),
    ({"percent": 10.5}, "percent"),
    ({"percent": "abc"}, "percent"),
    ({"percent": "1e1"}, "percent"),  # was 201 with 10.00: an exponent is not how people write a percent
    ({"component": "bonus"}, "component"),
    ({"effective_from": "2026-02-30"}, "effective_from"),
    ({"effective_to": "2025-12-31"}, "effective_to"),
    ({"reason": ""}, "reason"),
])
def test_bad_input_is_refused_field_by_field(api, people, body, field):
    data = {"component": "opening_reward", "percent": "10.00", "effective_from": "2026-01-01", "reason": "r", **body}
    r = api(people["bj_staff"]).post(URL.format(code="bj"), data, format="json")

    assert r.status_code == 400
    assert list(r.json()) == [field]
    assert counts() == (0, 0)


@pytest.mark.parametrize("literal", [*NUMBERS, "10"])
def test_a_percent_sent_as_a_json_number_is_refused_and_nothing_saved(api, people, literal):
    body = {"component": "opening_reward", "percent": N, "effective_from": "2026-01-01", "reason": "r"}

    r = post_json(api(people["bj_staff"]), URL.format(code="bj"), body, literal)

    assert r.status_code == 400
    assert r.json() == {"percent": [refusal("10.00")]}
    assert counts() == (0, 0)
    english = api(people["bj_staff"])
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert post_json(english, URL.format(code="bj"), body, literal).json() == {"percent": [refusal_en("10.00")]}
    assert counts() == (0, 0)
    r = post_json(api(people["bj_staff"]), URL.format(code="bj"), body, '"10.00"')
    assert r.status_code == 201 and r.json()["percent"] == "10.00"


def test_database_refuses_a_percent_beyond_the_cap(people):
    with in_branch("bj"), pytest.raises(IntegrityError), transaction.atomic():
        Adjustment.objects.create(component="opening_reward", percent=D("21.00"), effective_from=dt.date(2026, 1, 1),
                                  reason="x", proposed_by=people["bj_staff"])


# ---------------------------------------------------------------------------------------------
# Stacking
# ---------------------------------------------------------------------------------------------
def test_10_plus_11_overlapping_is_refused(api, people):
    approved(api, people, percent="10.00", effective_from="2026-01-01", effective_to="2026-06-30")

    r = propose(api, people["bj_staff"], percent="11.00", effective_from="2026-06-01")

    assert r.status_code == 400
    assert r.json() == {"percent": ["浮动比例不能超过 ±20%:与已批准的开户奖励调整叠加后,2026年6月1日 起合计 +21.00%。"]}
    assert counts() == (1, 1)


def test_10_plus_10_overlapping_is_accepted(api, people):
    approved(api, people, percent="10.00", effective_from="2026-01-01")

    second = approved(api, people, percent="10.00", effective_from="2026-03-01")

    assert counts() == (2, 2)
    with in_branch("bj"):
        assert Adjustment.objects.get(pk=second).status == "approved"


def test_15_plus_15_not_overlapping_is_accepted(api, people):
    approved(api, people, percent="15.00", effective_from="2026-01-01", effective_to="2026-03-31")

    approved(api, people, percent="15.00", effective_from="2026-04-01")

    assert counts() == (2, 2)


def test_negative_stacking_and_other_components_count_separately(api, people):
    approved(api, people, percent="-15.00", effective_from="2026-01-01")
    approved(api, people, percent="15.00", component="sales_commission", effective_from="2026-01-01")

    assert propose(api, people["bj_staff"], percent="-6.00").json() == {
        "percent": ["浮动比例不能超过 ±20%:与已批准的开户奖励调整叠加后,2026年1月1日 起合计 -21.00%。"]}
    assert propose(api, people["bj_staff"], percent="20.00").status_code == 201  # -15 + 20 = +5
    assert propose(api, people["bj_staff"], percent="5.00", component="sales_commission").status_code == 201


def test_only_approved_adjustments_count_at_proposal(api, people):
    propose(api, people["bj_staff"], percent="15.00")  # proposed, not approved
    rejected = propose(api, people["bj_staff"], percent="15.00").json()["id"]
    decide(api, people["bj_manager"], rejected, "reject", note="不同意")

    assert propose(api, people["bj_staff"], percent="15.00").status_code == 201


def test_other_branch_adjustments_do_not_stack(api, people):
    approved(api, people, percent="20.00")

    r = propose(api, people["sh_staff"], "sh", percent="20.00")

    assert r.status_code == 201


def test_approval_rechecks_the_cap(api, people):
    a = propose(api, people["bj_staff"], percent="10.00").json()["id"]
    b = propose(api, people["bj_staff"], percent="11.00", effective_from="2026-05-01").json()["id"]
    assert decide(api, people["bj_manager"], a).status_code == 200

    r = decide(api, people["bj_manager"], b)

    assert r.status_code == 400
    assert r.json() == {"percent": ["浮动比例不能超过 ±20%:与已批准的开户奖励调整叠加后,2026年5月1日 起合计 +21.00%。"]}
    with in_branch("bj"):
        assert Adjustment.objects.get(pk=b).status == "proposed"
        assert list(RegisteredAdjustment.objects.values_list("adjustment_id", flat=True)) == [a]


def test_proposal_into_a_closed_period_is_refused(api, people, branches):
    BranchPeriod.objects.create(branch=branches["bj"], period="2026-03", status="closed")

    r = propose(api, people["bj_staff"], effective_from="2026-03-15")

    assert r.status_code == 400
    assert r.json() == {"effective_from": ["期间 2026年3月 已关账,浮动调整不能追溯到已关账或已发放的期间。"]}
    assert propose(api, people["bj_staff"], effective_from="2026-04-01").status_code == 201
    assert propose(api, people["sh_staff"], "sh", effective_from="2026-03-15").status_code == 201


# ---------------------------------------------------------------------------------------------
# Approval, rejection, the register and the audit trail
# ---------------------------------------------------------------------------------------------
def test_approval_registers_with_hq_and_records_who_and_why(api, people, branches):
    adj_id = propose(api, people["bj_staff"], percent="20.00", effective_to="2026-12-31").json()["id"]

    r = decide(api, people["bj_manager"], adj_id, note="同意上调")

    assert r.status_code == 200
    assert r.json()["status"] == "approved"
    assert r.json()["decided_by"] == "bj_mgr"
    with in_branch("bj"):
        adj = Adjustment.objects.get(pk=adj_id)
        reg = RegisteredAdjustment.objects.get()
        history = list(adj.history.order_by("history_date").values_list("status", "history_user_id",
                                                                        "history_change_reason"))
        reg_history = list(reg.history.values_list("history_user_id", "history_change_reason"))
    assert (adj.status, adj.decided_by_id, adj.decision_note) == ("approved", people["bj_manager"].pk, "同意上调")
    assert (reg.branch_id, reg.adjustment_id, reg.component, reg.percent, reg.effective_from, reg.effective_to,
            reg.status, reg.reason) == (branches["bj"].pk, adj_id, "opening_reward", D("20.00"), dt.date(2026, 1, 1),
                                        dt.date(2026, 12, 31), "registered", "上海市场竞争激烈")
    assert history == [("proposed", people["bj_staff"].pk, "提议:上海市场竞争激烈"),
                       ("approved", people["bj_manager"].pk, "批准:同意上调")]
    assert reg_history == [(people["bj_manager"].pk, "备案:同意上调")]
    assert r.json()["registered_id"] == reg.pk
    assert [(h["by"], h["status"], h["reason"]) for h in r.json()["history"]] == [
        ("bj_staff", "proposed", "提议:上海市场竞争激烈"), ("bj_mgr", "approved", "批准:同意上调")]


def test_rejection_needs_a_note_and_registers_nothing(api, people):
    adj_id = propose(api, people["bj_staff"]).json()["id"]

    assert decide(api, people["bj_manager"], adj_id, "reject", note="").json() == {"note": ["必填。"]}
    r = decide(api, people["bj_manager"], adj_id, "reject", note="幅度过大")

    assert r.status_code == 200
    assert r.json()["status"] == "rejected"
    with in_branch("bj"):
        adj = Adjustment.objects.get(pk=adj_id)
        assert (adj.status, adj.decision_note, adj.decided_by_id) == ("rejected", "幅度过大", people["bj_manager"].pk)
        assert adj.history.latest().history_change_reason == "驳回:幅度过大"
    assert counts() == (1, 0)


@pytest.mark.parametrize("first, second", [("approve", "approve"), ("approve", "reject"), ("reject", "approve")])
def test_deciding_twice_is_refused(api, people, first, second):
    adj_id = propose(api, people["bj_staff"]).json()["id"]
    decide(api, people["bj_manager"], adj_id, first)

    r = decide(api, people["bj_manager"], adj_id, second)

    assert r.status_code == 400
    assert list(r.json()) == ["status"]
    assert counts() == (1, 1 if first == "approve" else 0)


def test_branch_list_shows_status_and_history(api, people):
    a = approved(api, people, percent="5.00")
    b = propose(api, people["bj_staff"], percent="3.00", component="sales_commission").json()["id"]

    rows = api(people["bj_manager"]).get(URL.format(code="bj")).json()
    pending = api(people["bj_staff"]).get(URL.format(code="bj") + "?status=proposed").json()

    assert [(r["id"], r["status"], len(r["history"])) for r in rows] == [(b, "proposed", 1), (a, "approved", 2)]
    assert [r["id"] for r in pending] == [b]


# ---------------------------------------------------------------------------------------------
# Role matrix: lower role 403, other branch 404, anonymous 401 — and nothing changes
# ---------------------------------------------------------------------------------------------
def test_specialist_cannot_propose_or_read(api, people):
    assert propose(api, people["bj_s1"]).status_code == 403
    assert api(people["bj_s1"]).get(URL.format(code="bj")).status_code == 403
    assert counts() == (0, 0)


def test_branch_staff_cannot_approve_or_reject(api, people):
    adj_id = propose(api, people["bj_staff"]).json()["id"]

    assert decide(api, people["bj_staff"], adj_id).status_code == 403
    assert decide(api, people["bj_staff"], adj_id, "reject").status_code == 403
    assert decide(api, people["bj_s1"], adj_id).status_code == 403
    with in_branch("bj"):
        assert Adjustment.objects.get(pk=adj_id).status == "proposed"
    assert counts() == (1, 0)


def test_other_branch_manager_gets_404_and_nothing_changes(api, people):
    adj_id = propose(api, people["bj_staff"]).json()["id"]
    sh = people["sh_manager"]

    assert decide(api, sh, adj_id).status_code == 404
    assert decide(api, sh, adj_id, "reject").status_code == 404
    assert propose(api, sh).status_code == 404
    assert api(sh).get(URL.format(code="bj")).status_code == 404
    assert api(sh).get(f"{URL.format(code='bj')}{adj_id}/").status_code == 404
    with in_branch("bj"):
        assert Adjustment.objects.get(pk=adj_id).status == "proposed"
    assert counts() == (1, 0)
    assert counts("sh") == (0, 0)


def test_anonymous_gets_401(api, people):
    adj_id = propose(api, people["bj_staff"]).json()["id"]

    assert api().get(URL.format(code="bj")).status_code == 401
    assert propose(api, None).status_code == 401
    assert decide(api, None, adj_id).status_code == 401
    assert decide(api, None, adj_id, "reject").status_code == 401
    assert api().get("/api/v1/adjustments/").status_code == 401
    assert api().post("/api/v1/adjustments/1/revoke/", {}, format="json").status_code == 401
    assert counts() == (1, 0)


def test_unknown_adjustment_is_404(api, people):
    assert decide(api, people["bj_manager"], 999999).status_code == 404


def test_only_the_branchs_own_manager_decides_hq_admin_is_refused_and_nothing_changes(api, people, hq_admin):
    """API.md: approve/reject are "branch manager only". HQ admin reads every branch and revokes in
    the register, but a branch's float is approved by that branch's manager."""
    adj_id = propose(api, people["bj_staff"]).json()["id"]
    for action in ("approve", "reject"):
        r = api(hq_admin).post(f"/b/bj/api/v1/adjustments/{adj_id}/{action}/", {"note": "总部代批"}, format="json")
        assert r.status_code == 403 and "经理" in r.json()["detail"], r.content
    with in_branch("bj"):
        assert Adjustment.objects.get(pk=adj_id).status == Adjustment.Status.PROPOSED
    assert not RegisteredAdjustment.objects.filter(adjustment_id=adj_id, branch__code="bj").exists()
    assert decide(api, people["bj_manager"], adj_id).status_code == 200


def test_hq_admin_is_the_second_pair_of_eyes_only_where_the_branch_has_no_other_manager(api, people, hq_admin):
    """A manager's own proposal needs someone else: with one manager, HQ admin decides it; a
    branch without a manager has its month closed by HQ admin, so its people can be paid."""
    from branches.models import BranchMembership

    own = propose(api, people["bj_manager"]).json()["id"]
    assert decide(api, people["bj_manager"], own).status_code == 400  # four eyes
    assert decide(api, hq_admin, own).status_code == 200  # the branch has no other manager
    with in_branch("bj"):
        assert Adjustment.objects.get(pk=own).decided_by_id == hq_admin.pk

    assert api(hq_admin).post("/b/bj/api/v1/periods/2026-01/close/", {}, format="json").status_code == 403
    BranchMembership.objects.filter(branch__code="bj", role="branch_manager").delete()
    staff_proposal = propose(api, people["bj_staff"], percent="5.00", component="sales_commission").json()["id"]
    assert decide(api, hq_admin, staff_proposal).status_code == 200  # no manager left: HQ decides
    assert api(hq_admin).post("/b/bj/api/v1/periods/2026-01/close/", {}, format="json").status_code == 200


def test_only_the_branchs_own_manager_closes_its_month(api, people, hq_admin):
    r = api(hq_admin).post("/b/bj/api/v1/periods/2026-01/close/", {}, format="json")
    assert r.status_code == 403 and "经理" in r.json()["detail"], r.content
    assert not BranchPeriod.objects.filter(branch__code="bj", period="2026-01").exists()
    assert api(people["bj_manager"]).post("/b/bj/api/v1/periods/2026-01/close/", {}, format="json").status_code == 200


# ---------------------------------------------------------------------------------------------
# HQ: the register and revocation
# ---------------------------------------------------------------------------------------------
def _registered_id(adj_id: int, code="bj") -> int:
    with in_branch(code):
        return RegisteredAdjustment.objects.get(adjustment_id=adj_id, branch__code=code).pk


def revoke(api, user, reg_id, effective_from="2026-05-01", reason="市场回落"):
    return api(user).post(f"/api/v1/adjustments/{reg_id}/revoke/", {"effective_from": effective_from, "reason": reason},
                          format="json")


def test_register_lists_every_branch_with_filters_and_history(api, people, hq_admin):
    from tests.factories import make_user

    bj = approved(api, people, percent="10.00")
    r = propose(api, people["sh_staff"], "sh", percent="5.00", component="sales_commission")
    decide(api, people["sh_manager"], r.json()["id"], code="sh", note="ok")
    finance = make_user("hq_fin", (None, "hq_finance"))

    rows = api(finance).get("/api/v1/adjustments/").json()
    only_bj = api(hq_admin).get("/api/v1/adjustments/?branch=bj").json()
    by_component = api(hq_admin).get("/api/v1/adjustments/?component=sales_commission&status=registered").json()

    assert [(x["branch"], x["component"], x["percent"], x["status"]) for x in rows] == [
        ("bj", "opening_reward", "10.00", "registered"), ("sh", "sales_commission", "5.00", "registered")]
    assert [x["adjustment_id"] for x in only_bj] == [bj]
    assert [x["branch"] for x in by_component] == ["sh"]
    assert [(h["by"], h["action"], h["status"], h["reason"]) for h in rows[1]["history"]] == [
        ("sh_mgr", "registered", "registered", "备案:ok")]
    assert [(h["by"], h["status"], h["reason"]) for h in rows[1]["branch_history"]] == [
        ("sh_staff", "proposed", "提议:上海市场竞争激烈"), ("sh_mgr", "approved", "批准:ok")]
    assert api(hq_admin).get("/api/v1/adjustments/?status=bogus").status_code == 400
    assert api(people["bj_manager"]).get("/api/v1/adjustments/").status_code == 403


def test_revoke_updates_register_and_branch_with_who_and_why(api, people, hq_admin):
    adj_id = approved(api, people, percent="10.00")
    reg_id = _registered_id(adj_id)

    r = revoke(api, hq_admin, reg_id)

    assert r.status_code == 200
    assert (r.json()["status"], r.json()["revoked_from"], r.json()["revoke_reason"]) == ("revoked", "2026-05-01", "市场回落")
    assert [(h["by"], h["status"], h["reason"]) for h in r.json()["history"]] == [
        ("bj_mgr", "registered", "备案:同意"), ("hqadmin", "revoked", "撤销:市场回落")]
    assert [(h["by"], h["status"]) for h in r.json()["branch_history"]] == [
        ("bj_staff", "proposed"), ("bj_mgr", "approved"), ("hqadmin", "revoked")]
    with in_branch("bj"):
        adj = Adjustment.objects.get(pk=adj_id)
        assert (adj.status, adj.revoked_from, adj.revoke_reason) == ("revoked", dt.date(2026, 5, 1), "市场回落")
        last = adj.history.latest()
        assert (last.history_user_id, last.history_change_reason) == (hq_admin.pk, "总部撤销:市场回落")
    assert revoke(api, hq_admin, reg_id).json() == {"status": ["该调整已于 2026年5月1日 起撤销。"]}


def test_revoke_never_reaches_into_a_closed_or_paid_period(api, people, hq_admin, branches):
    adj_id = approved(api, people, percent="10.00")
    reg_id = _registered_id(adj_id)
    BranchPeriod.objects.create(branch=branches["bj"], period="2026-04", status="paid")
    BranchPeriod.objects.create(branch=branches["sh"], period="2026-06", status="closed")  # another branch's

    r = revoke(api, hq_admin, reg_id, effective_from="2026-04-30")

    assert r.status_code == 400
    assert r.json() == {"effective_from": ["北京分公司 的 2026年4月 期间已发放,撤销不能追溯到已关账或已发放的期间。"]}
    with in_branch("bj"):
        assert RegisteredAdjustment.objects.get(pk=reg_id).status == "registered"
        assert Adjustment.objects.get(pk=adj_id).status == "approved"
    assert revoke(api, hq_admin, reg_id, effective_from="2026-05-01").status_code == 200


def test_a_revocation_that_would_leave_the_others_past_the_cap_is_refused(api, people, hq_admin):
    """SPEC §3: adjustments for the same component and dates do not stack past ±20%. A −20% that
    offsets +20% (and two +10%) cannot be revoked while they stand: the register and the
    statements would both hold +40%. Once the offset +20% is revoked first, it can."""
    plus = [approved(api, people, percent="10.00", effective_from="2027-01-01"),
            approved(api, people, percent="10.00", effective_from="2027-01-01")]
    minus = approved(api, people, percent="-20.00", effective_from="2027-06-01")
    offset = approved(api, people, percent="20.00", effective_from="2027-06-01")
    before = counts()

    r = revoke(api, hq_admin, _registered_id(minus), effective_from="2026-10-01")

    assert r.status_code == 400 and r.json() == {"effective_from": [
        "撤销后,北京分公司 的其他开户奖励浮动调整自 2027年6月1日 起合计 +40.00%,超过 ±20%;请先撤销与之抵消的调整。"]}
    assert counts() == before
    with in_branch("bj"):
        assert RegisteredAdjustment.objects.get(adjustment_id=minus).status == "registered"
        assert set(Adjustment.objects.filter(pk__in=[*plus, minus, offset]).values_list("status", flat=True)) == {
            "approved"}
    assert revoke(api, hq_admin, _registered_id(offset), effective_from="2027-06-01").status_code == 200
    assert revoke(api, hq_admin, _registered_id(minus), effective_from="2027-06-01").status_code == 200


def test_revoke_input_and_permissions(api, people, hq_admin):
    from tests.factories import make_user

    reg_id = _registered_id(approved(api, people, percent="10.00", effective_to="2026-06-30"))
    finance = make_user("hq_fin", (None, "hq_finance"))

    assert revoke(api, hq_admin, reg_id, reason="").json() == {"reason": ["必填。"]}
    assert list(revoke(api, hq_admin, reg_id, effective_from="2026-13-01").json()) == ["effective_from"]
    assert list(revoke(api, hq_admin, reg_id, effective_from="2026-07-01").json()) == ["effective_from"]
    assert revoke(api, finance, reg_id).status_code == 403
    assert revoke(api, people["bj_manager"], reg_id).status_code == 403
    assert revoke(api, hq_admin, 999999).status_code == 404
    with in_branch("bj"):
        assert RegisteredAdjustment.objects.get(pk=reg_id).status == "registered"


def test_a_revoked_adjustment_still_counts_before_its_revocation(api, people, hq_admin):
    reg_id = _registered_id(approved(api, people, percent="10.00"))
    revoke(api, hq_admin, reg_id, effective_from="2026-05-01")

    assert propose(api, people["bj_staff"], percent="15.00", effective_from="2026-04-01").status_code == 400
    assert propose(api, people["bj_staff"], percent="15.00", effective_from="2026-05-01").status_code == 201


# ---------------------------------------------------------------------------------------------
# Two managers approving at the same moment (committed data, two connections)
# ---------------------------------------------------------------------------------------------
def test_concurrent_approvals_cannot_exceed_the_cap(committed_branch):
    """10% and 11% proposed, both approved at once by two connections: the advisory lock
    serialises the re-check, so exactly one is approved and registered."""
    try:
        results, statuses, registered = _concurrent_approvals(committed_branch)
    finally:
        RegisteredAdjustment.objects.filter(branch=committed_branch).delete()
        RegisteredAdjustment.history.filter(branch_id=committed_branch.pk).delete()

    assert results == ["approved", "refused"]
    assert statuses == ["approved", "proposed"]
    assert registered == 1


def _concurrent_approvals(branch):
    from django_tenants.utils import schema_context

    from commissions import adjustments
    from tests.factories import make_user

    manager = make_user(f"{branch.code}_mgr", (branch.code, "branch_manager"), home=branch.code)
    staff = make_user(f"{branch.code}_staff", (branch.code, "branch_staff"), home=branch.code)
    with schema_context(branch.schema_name):
        ids = [adjustments.adjustment_propose(actor=staff, data=adjustments.parse_adjustment({
            "component": "opening_reward", "percent": p, "effective_from": "2026-01-01", "reason": "r"})).pk
            for p in ("10.00", "11.00")]
    barrier = threading.Barrier(2)
    results: dict[int, str] = {}

    def approve(adj_id):
        from django.core.exceptions import ValidationError
        from django.db import connection as conn

        try:
            with schema_context(branch.schema_name):
                barrier.wait(timeout=10)
                adjustments.adjustment_approve(actor=manager, adjustment_id=adj_id, note="")
                results[adj_id] = "approved"
        except ValidationError:
            results[adj_id] = "refused"
        finally:
            conn.close()

    threads = [threading.Thread(target=approve, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    with schema_context(branch.schema_name):
        statuses = sorted(Adjustment.objects.values_list("status", flat=True))
        registered = RegisteredAdjustment.objects.filter(branch=branch).count()
    return sorted(results.values()), statuses, registered


def test_a_proposal_tells_the_branchs_other_managers_once_and_never_the_proposer(api, people):
    from notifications.models import Notification
    from notifications.words import shown
    from django.utils import translation

    r = propose(api, people["bj_staff"], percent="5.00", effective_from="2026-02-01", reason="旺季")
    assert r.status_code == 201
    own = propose(api, people["bj_manager"], percent="-3.00", effective_from="2026-02-01")
    assert own.status_code == 201

    with in_branch("bj"):
        inbox = list(Notification.objects.filter(kind="adjustment_proposed"))
        assert [(n.recipient_id, n.title, n.body, n.link) for n in inbox] == [
            (people["bj_manager"].pk, "bj_staff提议开户奖励浮动 +5.00%(2026年2月1日起),请审批", "旺季",
             f"/b/bj/commissions/adjustments/{r.json()['id']}/")]
        with translation.override("en"):
            assert shown(inbox[0].words["title"], inbox[0].title) == (
                "bj_staff proposes a +5.00% float on Opening reward from Feb. 1, 2026: please decide")


ZERO = "浮动比例不能为 0%:请填写 -20.00 至 20.00 之间、不为 0 的比例。"


@pytest.mark.parametrize("percent", ["0", "0.00", "-0", "-0.00", "+0.0", "０.００"])
def test_a_zero_percent_adjustment_is_refused_and_nothing_saved(api, people, percent):
    # It would pay exactly HQ's base, yet sit as a pending approval in the manager's to-do.
    r = propose(api, people["bj_staff"], percent=percent)

    assert (r.status_code, r.json()) == (400, {"percent": [ZERO]})
    assert counts() == (0, 0)


def test_a_zero_percent_adjustment_is_refused_on_the_page(people):
    from django.test import Client as WebClient

    page = WebClient()
    page.force_login(people["bj_staff"])
    r = page.post("/b/bj/commissions/adjustments/", {"component": "opening_reward", "percent": "0.00",
                                                    "effective_from": "2026-01-01", "reason": "试一下"})
    assert ZERO in r.content.decode()
    assert counts() == (0, 0)
