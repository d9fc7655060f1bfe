"""Suggestions from the data: each rule on data built to trigger it and not to; each suggestion
carries its figures, words and replayed cost; one step turns it into a draft (audited) that
still goes through approval or publishing."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from commissions.hq.models import RuleDraft, RuleVersion
from commissions.planning import engine as E
from commissions.planning import selectors, services as planning
from tests.conftest import in_branch
from tests.factories import make_user

pytestmark = pytest.mark.django_db
D = Decimal
PERIODS = ["2026-01", "2026-02", "2026-03", "2026-04"]


def figures(**kw) -> E.BranchFigures:
    base = dict(branch_id=1, branch_name="北京分公司", small_tier_max=50, specialists=(), retention_cohort=0, retained=0,
                retention_percent_in_force=D("20.00"))
    return E.BranchFigures(**{**base, **kw})


def spec(name, openings, small, earner_id=None):
    return E.SpecialistOpenings(earner_id=earner_id or hash(name) % 1000, name=name, openings=openings, small=small)


# ---------------------------------------------------------------- pure rules, at their thresholds
def test_small_clients_rule_thresholds():
    assert E.SMALL_CLIENT_SHARE == D("70.00") and E.SMALL_CLIENT_MIN_OPENINGS == 5
    hit = E.suggest_small_clients(figures(specialists=(spec("王芳", 10, 7), spec("李雷", 10, 6))))
    assert hit is not None and hit.kind == E.SMALL_CLIENTS and hit.component == "opening_reward"
    assert hit.percent == E.SMALL_TIER_RAISE_PERCENT
    assert hit.figures == (("王芳的小客户占比", "70.00%(7 / 10 户)"),)  # 李雷 (60%) is not a trigger
    assert "50 人及以下" in hit.explanation and "北京分公司" in hit.title
    assert E.suggest_small_clients(figures(specialists=(spec("王芳", 10, 6),))) is None  # 60% < 70%
    assert E.suggest_small_clients(figures(specialists=(spec("王芳", 4, 4),))) is None  # too few openings
    assert E.suggest_small_clients(figures(small_tier_max=None, specialists=(spec("王芳", 10, 10),))) is None


def test_retention_rule_thresholds():
    assert E.LOW_RETENTION_SHARE == D("60.00") and E.RETENTION_MIN_COHORT == 10
    hit = E.suggest_retention(figures(retention_cohort=10, retained=5))
    assert hit is not None and hit.component == "retention_bonus" and hit.percent == D("20.00")
    assert hit.figures[0] == ("一年留存率", "50.00%(5 / 10 户)")
    assert "50.00%" in hit.explanation
    assert E.suggest_retention(figures(retention_cohort=10, retained=6)) is None  # 60% is not low
    assert E.suggest_retention(figures(retention_cohort=9, retained=0)) is None  # too few clients to judge
    assert [s.kind for s in E.suggestions_for([figures(retention_cohort=20, retained=2,
                                                       specialists=(spec("王芳", 5, 5),))])] == [
        E.SMALL_CLIENTS, E.LOW_RETENTION]


# ---------------------------------------------------------------- on real data
def build(people):
    """Beijing: one specialist with 4 of 5 openings small (triggers), one with 3 of 5 (does not),
    one with 3 of 3 (too few); a year-old cohort of 10 with 6 still served (not low).
    Shanghai: a cohort of 10 with 5 still served (low); its specialist opens 5 large clients."""
    from clients.models import Client

    s3 = make_user("bj_s3", ("bj", "specialist"), home="bj")
    plan = {"bj": [(people["bj_s1"], [10, 20, 30, 50, 300]), (people["bj_s2"], [10, 20, 30, 60, 80]), (s3, [5, 6, 7])],
            "sh": [(people["sh_s1"], [100, 200, 300, 400, 500])]}
    for code, rows in plan.items():
        with in_branch(code):
            n = 0
            for who, heads in rows:
                for h in heads:
                    n += 1
                    Client.objects.create(name=f"{code}{n}", headcount=h, opened_on=dt.date(2026, 1 + n % 4, 3),
                                          opened_by=who)
            for i in range(10):  # first year ends in Feb 2026; closed ones closed before it
                lost = i < (4 if code == "bj" else 5)
                Client.objects.create(name=f"{code}旧{i}", headcount=200, opened_on=dt.date(2025, 2, 10),
                                      opened_by=rows[0][0], closed_on=dt.date(2025, 12, 1) if lost else None)
    return s3


def test_suggestions_on_data_built_to_trigger_and_not(people, branches):
    build(people)
    found = selectors.suggestions(branches=[branches["bj"], branches["sh"]], periods=PERIODS)
    assert sorted((s["branch"], s["kind"]) for s in found) == [("bj", E.SMALL_CLIENTS), ("sh", E.LOW_RETENTION)]
    small = next(s for s in found if s["kind"] == E.SMALL_CLIENTS)
    assert [f["value"] for f in small["figures"]] == ["80.00%(4 / 5 户)"]
    assert small["figures"][0]["label"].startswith(people["bj_s1"].label)
    # its replayed cost: +10% on every opening reward in Beijing over the months
    bj_openings = selectors.replay_rows(draft=E.AdjustmentDraftData(branches["bj"].id, "opening_reward", D("10.00")),
                                        periods=PERIODS, branches=[branches["bj"]])
    assert D(small["cost_difference"]) == sum((r.difference for r in bj_openings), D(0)) > 0
    assert small["people_changed"] == 3
    low = next(s for s in found if s["kind"] == E.LOW_RETENTION)
    assert low["figures"][0]["value"] == "50.00%(5 / 10 户)" and low["branch_name"] == branches["sh"].name
    assert D(low["cost_difference"]) > 0  # five anniversaries in Feb 2026 paid 20% more


def test_a_suggestion_becomes_a_draft_in_one_step(people, branches, hq_admin):
    from commissions.models import Adjustment

    build(people)
    manager = people["bj_manager"]
    with in_branch("bj"):
        adj = planning.suggestion_to_draft(actor=manager, branch=branches["bj"], kind=E.SMALL_CLIENTS,
                                           target=planning.ADJUSTMENT, periods=PERIODS)
        adj = Adjustment.objects.get(pk=adj.pk)
        assert (adj.status, adj.component, adj.percent, adj.proposed_by_id) == (
            Adjustment.Status.PROPOSED, "opening_reward", D("10.00"), manager.pk)
        assert adj.effective_from == planning.next_month_start() and adj.reason.startswith("数据建议")
        assert adj.history.get().history_user_id == manager.pk
    # the rule draft for HQ: the first tier raised 10%, not published
    versions = RuleVersion.objects.count()
    draft = planning.suggestion_to_draft(actor=hq_admin, branch=branches["bj"], kind=E.SMALL_CLIENTS,
                                         target=planning.RULE, periods=PERIODS)
    assert draft.status == RuleDraft.Status.DRAFT and draft.params["tiers"][0] == {"max_headcount": 50,
                                                                                   "amount": "880.00"}
    assert RuleVersion.objects.count() == versions and draft.history.get().history_user_id == hq_admin.pk


def test_a_suggestion_that_does_not_hold_writes_nothing(people, branches, hq_admin):
    from commissions.models import Adjustment

    build(people)
    with in_branch("bj"):
        with pytest.raises(ValidationError) as exc:  # Beijing's retention is 60%: not low
            planning.suggestion_to_draft(actor=people["bj_manager"], branch=branches["bj"], kind=E.LOW_RETENTION,
                                         target=planning.ADJUSTMENT, periods=PERIODS)
        assert "已不再触发该建议" in str(exc.value)
        with pytest.raises(ValidationError) as exc:
            planning.suggestion_to_draft(actor=hq_admin, branch=branches["bj"], kind=E.LOW_RETENTION,
                                         target=planning.RULE, periods=PERIODS)
        assert "只能生成分支机构浮动调整草案" in str(exc.value)
        assert Adjustment.objects.count() == 0
    assert RuleDraft.objects.count() == 0
