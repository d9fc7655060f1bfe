"""Branch leaderboards (monthly and weekly): competition ranking and the gap to the next rank."""
from __future__ import annotations


import pytest

from commissions.selectors import gap_text, next_ranks, rank_rows

from .conftest import drain, open_client

pytestmark = pytest.mark.django_db


def test_competition_ranking_and_gaps():
    rows = rank_rows({"a": 5, "b": 3, "c": 3, "d": 1, "e": 5})
    assert [(r["username"], r["rank"], r["gap_to_previous"]) for r in rows] == [
        ("a", 1, None), ("e", 1, None), ("b", 3, 2), ("c", 3, 2), ("d", 5, 2)]


def test_gap_text():
    assert gap_text(rank=3, next_rank=2, gap=2, metric="openings") == "您当前月排名第3位,距离第2位还差2户"
    assert gap_text(rank=1, next_rank=None, gap=None, metric="openings") == "您当前月排名第1位"
    assert gap_text(rank=2, next_rank=1, gap="300.00", metric="commission",
                    kind="week") == "您本周排名第2位,距离第1位还差300.00元"
    # money as the phone page writes it
    assert gap_text(rank=2, next_rank=1, gap="100000.00", metric="sales") == "您当前月排名第2位,距离第1位还差100,000.00元"


def test_the_next_rank_after_a_tie_is_the_tied_rank():
    """Ranks 1, 1, 3: the third is behind 第1位 (nobody is 第2位), as the phone page says it."""
    rows = rank_rows({"a": 5, "b": 3, "c": 3, "d": 1, "e": 5})
    assert next_ranks(rows) == {"a": None, "e": None, "b": 1, "c": 1, "d": 3}
    d = next(r for r in rows if r["username"] == "d")
    assert gap_text(rank=d["rank"], next_rank=3, gap=d["gap_to_previous"], metric="openings") == \
        "您当前月排名第5位,距离第3位还差2户"


def test_the_callers_sentence_after_a_tie_names_the_rank_ahead(api, people):
    staff = people["bj_staff"]
    for i, (who, day) in enumerate([("bj_s1", "02"), ("bj_s1", "03"), ("bj_mkt", "04"), ("bj_mkt", "05"),
                                    ("bj_s2", "06")]):
        open_client(api, staff, opened_by=who, opened_on=f"2026-03-{day}", name=f"t{i}")
    drain("bj")

    for period, when in (("2026-03", "当前月"), ("2026-W10", "本周")):
        body = api(people["bj_s2"]).get(f"/b/bj/api/v1/leaderboards/?period={period}&metric=openings").json()
        assert [(r["username"], r["rank"]) for r in body["rows"]] == [("bj_mkt", 1), ("bj_s1", 1), ("bj_s2", 3)]
        assert body["me"] == f"您{when}排名第3位,距离第1位还差1户", period


def test_branch_leaderboard_openings_month_and_week(api, people):
    staff = people["bj_staff"]
    for i, (who, day) in enumerate([("bj_s1", "02"), ("bj_s1", "03"), ("bj_s1", "20"), ("bj_s2", "02"),
                                    ("bj_mkt", "04"), ("bj_mkt", "05")]):
        open_client(api, staff, opened_by=who, opened_on=f"2026-03-{day}", name=f"c{i}")
    drain("bj")

    r = api(people["bj_s2"]).get("/b/bj/api/v1/leaderboards/?period=2026-03&metric=openings")
    assert r.status_code == 200
    body = r.json()
    assert body["rows"] == [
        {"rank": 1, "username": "bj_s1", "value": 3, "gap_to_previous": None},
        {"rank": 2, "username": "bj_mkt", "value": 2, "gap_to_previous": 1},
        {"rank": 3, "username": "bj_s2", "value": 1, "gap_to_previous": 1},
    ]
    assert body["me"] == "您当前月排名第3位,距离第2位还差1户"
    # ISO week 10 of 2026 is 2 – 8 March
    week = api(people["bj_s2"]).get("/b/bj/api/v1/leaderboards/?period=2026-W10&metric=openings").json()["rows"]
    assert [(r["username"], r["rank"], r["value"]) for r in week] == [("bj_mkt", 1, 2), ("bj_s1", 1, 2), ("bj_s2", 3, 1)]
    # Other people's commission amounts: managers and HQ only (the role matrix), never a specialist.
    refused = api(people["bj_s2"]).get("/b/bj/api/v1/leaderboards/?period=2026-03&metric=commission")
    assert refused.status_code == 403 and "2400.00" not in refused.content.decode()
    money = api(people["bj_manager"]).get("/b/bj/api/v1/leaderboards/?period=2026-03&metric=commission").json()["rows"]
    assert money[0] == {"rank": 1, "username": "bj_s1", "value": "2400.00", "gap_to_previous": None}
    assert money[1]["gap_to_previous"] == "800.00"


def test_leaderboard_bad_input_and_other_branch(api, people):
    assert api(people["bj_s1"]).get("/b/bj/api/v1/leaderboards/?period=2026-13&metric=openings").status_code == 400
    # a week with a newline after it is not that week (it was echoed back as the board's period)
    assert api(people["bj_s1"]).get("/b/bj/api/v1/leaderboards/?period=2026-W10%0A&metric=openings").status_code == 400
    assert api(people["bj_s1"]).get("/b/bj/api/v1/leaderboards/?period=2026-03&metric=fun").status_code == 400
    assert api(people["sh_s1"]).get("/b/bj/api/v1/leaderboards/?period=2026-03&metric=openings").status_code == 404


def test_the_three_month_boards_from_one_pass_are_the_three_boards(api, people):
    from commissions import selectors
    from commissions.models import StatementLine
    from tests.conftest import in_branch

    staff = people["bj_staff"]
    clients = [open_client(api, staff, opened_by=who, opened_on=f"2026-03-{day}", name=f"c{i}")
               for i, (who, day) in enumerate([("bj_s1", "02"), ("bj_s1", "03"), ("bj_s2", "02"), ("bj_mkt", "04")])]
    for client, (seller, amount) in zip(clients, [("bj_s1", "12000.00"), ("bj_s2", "30000.00"), ("bj_s2", "5000.00")]):
        r = api(staff).post("/b/bj/api/v1/sales/", {"client": client, "service": "social_insurance", "period": "2026-03",
                                                    "amount": amount, "seller": seller}, format="json")
        assert r.status_code == 201, r.json()
    drain("bj")
    with in_branch("bj"):
        # Correction lines: the commission board counts them, the openings and sales boards do not.
        for component in ("opening_reward", "sales_commission"):
            line = StatementLine.objects.filter(period="2026-03", component=component, earner__username="bj_s2").first()
            line.pk, line.corrects, line.amount, line.base = None, "manual:7", -line.amount * 3, -line.base * 3
            line.save()
        boards = selectors.month_leaderboards(period="2026-03")
        for metric in selectors.METRICS:
            assert boards[metric] == selectors.leaderboard(period="2026-03", metric=metric), metric
        # HQ's rollup counts as the branch board does: the company board of a month with
        # corrections (one branch here) is the branch's board.
        from branches.models import Branch
        from commissions.services import rollup_refresh

        rollup_refresh(branch=Branch.objects.get(code="bj"), period="2026-03")
        for metric in selectors.METRICS:
            assert selectors.hq_leaderboard(period="2026-03", metric=metric) == boards[metric], metric
    assert [len(boards[m]) for m in selectors.METRICS] == [3, 2, 3]
    # The corrections moved bj_s2 on the commission board only.
    assert boards["commission"][-1]["username"] == "bj_s2"
    assert boards["sales"][0]["username"] == "bj_s2"


def test_the_company_commission_board_refuses_a_branch_manager_in_words_that_fit(api, people):
    """The company board by commission is HQ's alone: the refusal does not tell a branch manager
    that branch managers may read it (the branch board's words did)."""
    r = api(people["bj_manager"]).get("/api/v1/leaderboards/?period=2026-03&metric=commission")
    assert r.status_code == 403
    assert r.json() == {"detail": "全公司提成金额排行仅限总部管理员和总部财务查看。"}
    own = api(people["bj_s1"]).get("/b/bj/api/v1/leaderboards/?period=2026-03&metric=commission")
    assert own.status_code == 403 and own.json()["detail"] == "提成金额排行仅限分支机构经理、总部管理员和总部财务查看。"


def test_gap_text_of_a_shared_rank():
    assert gap_text(rank=1, next_rank=None, gap=None, metric="openings", tied=True) == "您当前月排名并列第1位"
    assert gap_text(rank=2, next_rank=1, gap=2, metric="openings", tied=True) == "您当前月排名并列第2位,距离第1位还差2户"
