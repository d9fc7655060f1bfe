"""Plan replay (方案回放): a draft replayed over past months writes nothing, and its totals equal a
real recompute once the same draft is published — per person and component, to the fen."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from commissions import services
from commissions.hq.models import BranchPeriod, RuleDraft, RuleVersion
from commissions.hq.rules import parse_rule
from commissions.hq.services import RuleVersionInput
from commissions.planning import engine as E
from commissions.planning import selectors, services as planning
from tests.conftest import in_branch

from .conftest import register_adjustment

pytestmark = pytest.mark.django_db
D = Decimal
PERIODS = ["2026-01", "2026-02", "2026-03", "2026-04"]
NEW_OPENING = {"tiers": [{"max_headcount": 30, "amount": "950.00"}, {"max_headcount": 100, "amount": "1100.00"},
                         {"max_headcount": None, "amount": "2000.00"}]}


def build_events(people):
    """A few months of openings (some small, one closed before its anniversary), sales of both
    kinds of client, leads of both sources, and one cross-branch opening (a Beijing specialist
    serving a Shanghai client) — every component the replay must carry."""
    from clients.models import Client
    from commissions.models import Lead, Sale

    s1, s2, mkt, sales, sh_s1 = (people[k] for k in ("bj_s1", "bj_s2", "bj_mkt", "bj_sales", "sh_s1"))
    made = 0
    with in_branch("bj"):
        for i, (who, heads, day) in enumerate([(s1, 12, "2025-02-03"), (s1, 25, "2026-01-05"), (s1, 80, "2026-02-11"),
                                               (s2, 150, "2026-02-20"), (s2, 40, "2026-03-02"), (s1, 9, "2026-04-15"),
                                               (s2, 60, "2025-03-09")]):
            c = Client.objects.create(name=f"客户{i}", headcount=heads, opened_on=dt.date.fromisoformat(day), opened_by=who,
                                      services=["social_insurance", "payroll_outsourcing"])
            made += 1
            for period in PERIODS:
                if period >= day[:7]:
                    Sale.objects.create(client=c, client_opened_on=c.opened_on, service="payroll_outsourcing",
                                        period=period, amount=D("10000.00") + i, seller=who)
        Lead.objects.create(name="线索甲", source="marketing", marketer=mkt, created_on=dt.date(2026, 2, 1),
                            seller=sales, amount=D("30000.00"), signed_on=dt.date(2026, 2, 9))
        Lead.objects.create(name="线索乙", source="sales", created_on=dt.date(2026, 3, 1), seller=sales,
                            amount=D("12345.67"), signed_on=dt.date(2026, 3, 20))
    with in_branch("sh"):
        Client.objects.create(name="沪客户", headcount=20, opened_on=dt.date(2026, 3, 3), opened_by=s1)
    return made


def stored(code: str) -> dict:
    from commissions.models import StatementLine

    with in_branch(code):
        out = {}
        for period, earner, component, amount in StatementLine.objects.filter(
                period__in=PERIODS, corrects__isnull=True).values_list("period", "earner_id", "component", "amount"):
            out[(period, earner, component)] = out.get((period, earner, component), D(0)) + amount
        return out


def side(rows, which: str) -> dict:
    return {(r.period, r.earner_id, r.component): getattr(r, which) for r in rows if getattr(r, which) or
            getattr(r, f"{which}_lines")}


def lines_digest(code: str):
    from commissions.models import StatementLine

    with in_branch(code):
        return sorted(StatementLine.objects.values_list("period", "earner_id", "source", "component", "amount"))


def test_rule_draft_replay_equals_a_real_recompute_after_publishing(people, branches, hq_admin):
    assert build_events(people) == 7
    bj = branches["bj"]
    for p in PERIODS:  # the statements as they are: the replay's "current" side must match them
        with in_branch("bj"):
            services.recompute_period(period=p)
    before, versions = lines_digest("bj"), RuleVersion.objects.count()
    draft = planning.rule_draft_create(actor=hq_admin, data=RuleVersionInput(
        component="opening_reward", effective_from=dt.date(2026, 1, 1),
        rule=parse_rule("opening_reward", NEW_OPENING), note="小客户档提高"))
    rows = selectors.replay_rows(draft=planning.rule_draft_as_data(draft), periods=PERIODS, branches=[bj])
    assert lines_digest("bj") == before and RuleVersion.objects.count() == versions  # nothing written
    assert side(rows, "current") == stored("bj")
    changed = [r for r in rows if r.difference]
    # anniversaries this window belong to clients opened before it: their tier is the old version's
    assert {r.component for r in changed} == {"opening_reward"}
    assert len(changed) >= 5

    planning.rule_draft_publish(actor=hq_admin, draft_id=draft.pk)
    for p in PERIODS:
        with in_branch("bj"):
            services.recompute_period(period=p)
    assert side(rows, "draft") == stored("bj")  # per month, person and component, to the fen
    draft.refresh_from_db()
    assert draft.status == RuleDraft.Status.PUBLISHED and draft.published_version.effective_from == dt.date(2026, 1, 1)
    assert draft.history.count() == 2 and draft.history.first().history_user_id == hq_admin.pk

    summary = E.summarise(rows, PERIODS)
    assert summary.total.difference == sum((r.difference for r in rows), D(0)) != 0
    assert [f.key for f in summary.gainers] == sorted((f.key for f in summary.gainers),
                                                      key=lambda k: -next(x.difference for x in summary.by_person if x.key == k))
    assert all(f.difference > 0 for f in summary.gainers) and all(f.difference < 0 for f in summary.losers)
    assert {f.key for f in summary.gainers} | {f.key for f in summary.losers} == {
        (r.branch_id, r.earner_id) for r in changed}


def test_adjustment_replay_equals_a_real_recompute_after_approval(people, branches):
    build_events(people)
    bj = branches["bj"]
    register_adjustment("bj", "sales_commission", "5.00", "2025-06-01")  # already in force: the draft stacks on it
    draft = E.AdjustmentDraftData(branch_id=bj.id, component="sales_commission", percent=D("-12.50"))
    rows = selectors.replay_rows(draft=draft, periods=PERIODS, branches=[bj])
    assert {r.component for r in rows if r.difference} == {"sales_commission"}
    assert all(r.difference < 0 for r in rows if r.difference)
    register_adjustment("bj", "sales_commission", "-12.50", "2026-01-01")
    for p in PERIODS:
        with in_branch("bj"):
            services.recompute_period(period=p)
    assert side(rows, "draft") == stored("bj")


def test_publishing_never_reaches_a_closed_period(people, branches, hq_admin):
    build_events(people)
    bj = branches["bj"]
    for p in PERIODS:
        with in_branch("bj"):
            services.recompute_period(period=p)
    draft = planning.rule_draft_create(actor=hq_admin, data=RuleVersionInput(
        component="opening_reward", effective_from=dt.date(2026, 1, 1), rule=parse_rule("opening_reward", NEW_OPENING),
        note=""))
    BranchPeriod.objects.create(branch=bj, period="2026-02", status=BranchPeriod.Status.CLOSED)  # after the draft
    before, versions = lines_digest("bj"), RuleVersion.objects.count()
    rows = selectors.replay_rows(draft=planning.rule_draft_as_data(draft), periods=PERIODS, branches=[bj])
    assert any(r.period == "2026-02" and r.difference for r in rows)  # a closed month may be replayed …
    with pytest.raises(ValidationError) as exc:
        planning.rule_draft_publish(actor=hq_admin, draft_id=draft.pk)  # … never rewritten
    assert "2026年2月" in str(exc.value) and "已关账" in str(exc.value)
    draft.refresh_from_db()
    assert draft.status == RuleDraft.Status.DRAFT
    assert RuleVersion.objects.count() == versions and lines_digest("bj") == before
    planning.rule_draft_discard(actor=hq_admin, draft_id=draft.pk)
    with pytest.raises(ValidationError):
        planning.rule_draft_publish(actor=hq_admin, draft_id=draft.pk)


def test_replay_window():
    assert selectors.replay_window(3, until="2026-02") == ["2025-12", "2026-01", "2026-02"]
    assert selectors.replay_window(1, today=dt.date(2026, 12, 4)) == ["2026-12"]
    with pytest.raises(ValueError):
        selectors.replay_window(0)
    with pytest.raises(ValueError):
        selectors.replay_window(E.MAX_REPLAY_MONTHS + 1)


def _gz_event_naming(column: str, person) -> None:
    """One event recorded in 广州 whose earner, through `column`, is `person`."""
    from clients.models import Client
    from commissions.models import Lead, Sale

    from tests.factories import make_user

    local = make_user("gz_s1", ("gz", "specialist"), home="gz")  # every other earner: a 广州 person
    with in_branch("gz"):
        opener = person if column == "clients_client.opened_by_id" else local
        client = Client.objects.create(name="穗客户", headcount=8, opened_on=dt.date(2026, 2, 2), opened_by=opener)
        if column == "commissions_sale.seller_id":
            Sale.objects.create(client=client, client_opened_on=client.opened_on, service="payroll_outsourcing",
                                period="2026-02", amount=D("8000.00"), seller=person)
        elif column == "commissions_lead.marketer_id":
            Lead.objects.create(name="穗线索", source="marketing", marketer=person, created_on=dt.date(2026, 2, 1),
                                seller=local, amount=D("20000.00"), signed_on=dt.date(2026, 2, 9))
        elif column == "commissions_lead.seller_id":
            Lead.objects.create(name="穗线索", source="sales", created_on=dt.date(2026, 2, 1), seller=person,
                                amount=D("20000.00"), signed_on=dt.date(2026, 2, 9))


@pytest.mark.parametrize("column", ["clients_client.opened_by_id", "commissions_sale.seller_id",
                                    "commissions_lead.marketer_id", "commissions_lead.seller_id"])
def test_a_replay_leaves_out_only_the_branches_that_give_it_no_line(people, branches, column):
    """A replay's SQL holds parts for the branches where the home branch's people earn; 广州
    joins 北京's as soon as one event there names a 北京 person, through any earner column — and
    the replay's figures are those of the SQL over every branch."""
    from commissions.selectors import line_sources
    from commissions.services import source_branches
    from commissions.sql import EARNER_COLUMNS

    assert column in {f"{t}.{c}" for t, _alias, cols in EARNER_COLUMNS for c in cols}
    build_events(people)
    bj, sh, gz = branches["bj"], branches["sh"], branches["gz"]
    codes = lambda found: {s.ref.code for s in found}  # noqa: E731
    before = line_sources([bj, sh, gz])
    # 北京's people earn on a 上海 client; nobody from 北京 in 广州 yet, nobody from elsewhere in 北京
    assert (codes(before[bj.id]), codes(before[sh.id]), codes(before[gz.id])) == ({"bj", "sh"}, {"sh"}, {"gz"})

    who = people["bj_mkt"] if column == "commissions_lead.marketer_id" else people["bj_s2"]
    _gz_event_naming(column, who)
    after = line_sources([bj, sh, gz])
    assert (codes(after[bj.id]), codes(after[sh.id]), codes(after[gz.id])) == ({"bj", "sh", "gz"}, {"sh"}, {"gz"})

    every = {b.id: source_branches() for b in (bj, sh, gz)}
    assert len(every[bj.id]) == 3
    draft = E.AdjustmentDraftData(branch_id=gz.id, component="sales_commission", percent=D("10.00"))
    left_out = selectors.replay_rows(draft=draft, periods=PERIODS, branches=[bj, sh, gz])
    assert left_out == selectors.replay_rows(draft=draft, periods=PERIODS, branches=[bj, sh, gz], sources=every)
    # 广州 counts for 北京: leaving it out of 北京's SQL would change 北京's figures
    without_gz = {**every, bj.id: [s for s in every[bj.id] if s.ref.code != "gz"]}
    assert selectors.replay_rows(draft=draft, periods=PERIODS, branches=[bj], sources=without_gz) != [
        r for r in left_out if r.branch_id == bj.id]


def test_an_earner_column_not_listed_is_refused():
    """A new part filtering its earner on a column `earner_homes` does not read would make the
    replay leave out branches that give lines: building its SQL fails instead."""
    from commissions.engine import BranchRef
    from commissions.sql import SourceBranch, _earner_filter

    home = BranchRef(1, "bj")
    assert "home_branch_id = 1" in _earner_filter("s.seller_id", SourceBranch(BranchRef(2, "sh"), "br_sh"), home)
    with pytest.raises(ValueError, match="not an earner column"):
        _earner_filter("c.created_by_id", SourceBranch(BranchRef(2, "sh"), "br_sh"), home)
    with pytest.raises(ValueError, match="not an earner column"):
        _earner_filter("s.opened_by_id", SourceBranch(BranchRef(1, "bj"), "br_bj"), home)
