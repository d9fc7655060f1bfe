"""Issue #23, four eyes (四眼原则): a branch manager approved the adjustment they had proposed.
Now the proposer can never approve it (API and page alike); the refused attempt changes nothing
and is in the audit trail. Rejecting one's own proposal is allowed: it is a withdrawal (撤回)."""
from __future__ import annotations

from branches.models import SecurityEvent
from commissions.hq.models import RegisteredAdjustment
from commissions.models import Adjustment
from tests.commissions.test_adjustments import decide, propose
from tests.conftest import in_branch
from tests.factories import make_user

REFUSED = "不能批准自己提议的浮动调整:须由提议人以外的分公司经理审批(四眼原则)。"


def _state(adj_id: int) -> tuple:
    with in_branch("bj"):
        adj = Adjustment.objects.get(pk=adj_id)
        return adj.status, adj.decided_by_id, adj.history.count(), RegisteredAdjustment.objects.count()


def test_manager_cannot_approve_own_proposal_through_the_api(api, people, hq_admin):
    manager = people["bj_manager"]
    adj_id = propose(api, manager).json()["id"]
    before = _state(adj_id)

    r = decide(api, manager, adj_id)

    assert r.status_code == 400 and r.json() == {"status": [REFUSED]}
    assert _state(adj_id) == before == ("proposed", None, 1, 0)
    event = SecurityEvent.objects.get(kind="self_approval_refused")
    assert (event.actor_id, event.branch.code, event.target) == (manager.pk, "bj", f"commissions.Adjustment:{adj_id}")
    rows = api(hq_admin).get("/api/v1/audit/?model=branches.SecurityEvent").json()
    assert [(row["user_id"], row["reason"]) for row in rows] == [(manager.pk, "拒绝:提议人不能批准自己的调整")]

    other = make_user("bj_mgr2", ("bj", "branch_manager"), home="bj")
    assert decide(api, other, adj_id).status_code == 200
    assert _state(adj_id)[:2] == ("approved", other.pk)


def test_hq_admin_cannot_approve_own_proposal_either(api, people, hq_admin):
    adj_id = propose(api, hq_admin).json()["id"]
    assert decide(api, hq_admin, adj_id).status_code == 403  # not the branch's manager, let alone another one
    assert _state(adj_id)[0] == "proposed"


def test_manager_cannot_approve_own_proposal_on_the_page(client, api, people):
    manager = people["bj_manager"]
    adj_id = propose(api, manager).json()["id"]
    client.force_login(manager)

    page = client.get(f"/b/bj/commissions/adjustments/{adj_id}/").content.decode()
    assert 'data-testid="own-proposal"' in page and 'value="approve"' not in page
    r = client.post(f"/b/bj/commissions/adjustments/{adj_id}/decide/", {"action": "approve", "note": "同意"},
                    follow=True)

    assert REFUSED in r.content.decode()
    assert _state(adj_id) == ("proposed", None, 1, 0)
    assert SecurityEvent.objects.filter(kind="self_approval_refused", actor=manager).count() == 1


def test_proposer_may_withdraw_own_proposal(api, people):
    manager = people["bj_manager"]
    adj_id = propose(api, manager).json()["id"]

    r = decide(api, manager, adj_id, action="reject", note="提错了")

    assert r.status_code == 200 and r.json()["status"] == "rejected"
    with in_branch("bj"):
        assert Adjustment.objects.get(pk=adj_id).history.first().history_change_reason == "撤回(提议人本人):提错了"
    assert not SecurityEvent.objects.exists()


def test_pages_offer_each_person_only_the_decisions_they_may_take(client, api, people, hq_admin):
    """The adjustment page and the workbench follow roles.may_decide_adjustment: HQ admin is
    offered the manager's own proposal (nobody else can decide it) but not a staff proposal, which
    is the manager's; a staff proposer is offered nothing (withdrawing is a manager's page action)."""
    staff_adj = propose(api, people["bj_staff"]).json()["id"]
    own_adj = propose(api, people["bj_manager"], percent="3.00", component="sales_commission").json()["id"]
    client.force_login(hq_admin)
    staff_page = client.get(f"/b/bj/commissions/adjustments/{staff_adj}/").content.decode()
    own_page = client.get(f"/b/bj/commissions/adjustments/{own_adj}/").content.decode()
    assert 'value="approve"' not in staff_page and 'value="reject"' not in staff_page
    assert 'value="approve"' in own_page
    r = client.post(f"/b/bj/commissions/adjustments/{staff_adj}/decide/", {"action": "approve", "note": "代批"})
    assert r.status_code == 403 and _state(staff_adj) == ("proposed", None, 1, 0)
    home = client.get("/b/bj/").content.decode()
    assert '/commissions/adjustments/' in home
    client.force_login(people["bj_staff"])
    assert 'value="reject"' not in client.get(f"/b/bj/commissions/adjustments/{staff_adj}/").content.decode()


def test_hq_admins_workbench_counts_only_the_proposals_it_may_decide(people, api, hq_admin):
    from branches.models import Branch
    from branches.workbench import branch_workbench

    propose(api, people["bj_staff"])
    propose(api, people["bj_manager"], percent="3.00", component="sales_commission")
    bj = Branch.objects.get(code="bj")
    with in_branch("bj"):
        admin_todo = next(t for t in branch_workbench(hq_admin, bj, {"hq_admin", "branch_manager"}).todos
                          if t.key == "adjustments")
        manager_todo = next(t for t in branch_workbench(people["bj_manager"], bj, {"branch_manager"}).todos
                            if t.key == "adjustments")
    assert (admin_todo.count, manager_todo.count) == (1, 1)  # HQ: the manager's own; the manager: staff's
