"""Two people of one name on a leaderboard are told apart — on the branch's board by their sign-in
name, on the company's by their branch (a sign-in name only of the reader's own branch) — and
only they: everyone else is a name alone. In both languages."""
from __future__ import annotations

import re

import pytest
from django.utils import timezone

from tests.factories import make_user

from .conftest import drain, open_client

pytestmark = pytest.mark.django_db


def _named(user, name):
    user.display_name = name
    user.save(update_fields=["display_name"])
    return user


def _board(html: str, key: str) -> list[str]:
    """The names of a board's rows, as shown."""
    section = html.split(f'data-testid="board-{key}"', 1)[1].split("</section>", 1)[0]
    return [re.sub(r"<[^>]+>", "", cells[1]).strip()
            for cells in (re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", section, re.S))
            if len(cells) == 3]


@pytest.fixture
def namesakes(api, people):
    """bj: 张伟 (bj_s1, 3 openings), 张伟 (bj_s2, 2), 李娜 (bj_s3, 1); sh: 张伟 (sh_s1, 4), and
    王芳 twice (sh_s2, sh_s3: one each) — all this month."""
    _named(people["bj_s1"], "张伟")
    _named(people["bj_s2"], "张伟")
    _named(people["bj_s3"], "李娜")
    _named(people["sh_s1"], "张伟")
    sh_s2 = _named(make_user("sh_s2", ("sh", "specialist"), home="sh"), "王芳")
    sh_s3 = _named(make_user("sh_s3", ("sh", "specialist"), home="sh"), "王芳")
    day = timezone.localdate().replace(day=2).isoformat()
    n = 0
    for code, staff, who, times in [("bj", people["bj_staff"], "bj_s1", 3), ("bj", people["bj_staff"], "bj_s2", 2),
                                    ("bj", people["bj_staff"], "bj_s3", 1), ("sh", people["sh_staff"], "sh_s1", 4),
                                    ("sh", people["sh_staff"], "sh_s2", 1), ("sh", people["sh_staff"], "sh_s3", 1)]:
        for _ in range(times):
            n += 1
            open_client(api, staff, code, opened_by=who, headcount=30, opened_on=day, name=f"客户{n}")
    drain("bj")
    drain("sh")
    return {"sh_s2": sh_s2, "sh_s3": sh_s3}


def test_the_branch_board_adds_the_sign_in_name_to_namesakes_only(web, people, namesakes):
    html = web(people["bj_s3"]).get("/b/bj/me/live/").content.decode()
    assert _board(html, "branch-month") == ["张伟(bj_s1)", "张伟(bj_s2)", "李娜"]
    english = web(people["bj_s3"])
    english.cookies["django_language"] = "en"
    assert _board(english.get("/b/bj/me/live/").content.decode(), "branch-month") == [
        "张伟 (bj_s1)", "张伟 (bj_s2)", "李娜"]


def test_the_company_board_tells_namesakes_apart_by_branch_never_by_another_branchs_sign_in_name(
        web, people, namesakes):
    html = web(people["bj_s3"]).get("/b/bj/me/live/").content.decode()
    assert _board(html, "company-month") == [
        "张伟(上海分公司)",              # the only 张伟 of 上海: the branch is enough
        "张伟(北京分公司 · bj_s1)",      # two of the reader's own branch: their sign-in names too
        "张伟(北京分公司 · bj_s2)",
        "李娜", "王芳(上海分公司)", "王芳(上海分公司)"]  # another branch's logins are not shown
    company = html.split('data-testid="board-company-month"', 1)[1].split("</section>", 1)[0]
    for login in ("sh_s1", "sh_s2", "sh_s3"):
        assert login not in company
    # read from 上海: its own people by sign-in name where the branch does not tell them apart
    sh = web(people["sh_s1"]).get("/b/sh/me/live/").content.decode()
    assert _board(sh, "company-month") == [
        "张伟(上海分公司)", "张伟(北京分公司)", "张伟(北京分公司)", "李娜",
        "王芳(上海分公司 · sh_s2)", "王芳(上海分公司 · sh_s3)"]
    assert _board(sh, "branch-month") == ["张伟", "王芳(sh_s2)", "王芳(sh_s3)"]
    english = web(people["bj_s3"])
    english.cookies["django_language"] = "en"
    assert _board(english.get("/b/bj/me/live/").content.decode(), "company-month")[:3] == [
        "张伟 (上海分公司)", "张伟 (北京分公司 · bj_s1)", "张伟 (北京分公司 · bj_s2)"]


def test_without_namesakes_a_board_shows_names_alone(web, api, people):
    day = timezone.localdate().replace(day=2).isoformat()
    open_client(api, people["bj_staff"], opened_by="bj_s1", opened_on=day, name="甲")
    open_client(api, people["bj_staff"], opened_by="bj_s2", opened_on=day, name="乙")
    _named(people["bj_s1"], "张伟")
    _named(people["bj_s2"], "李娜")
    drain("bj")
    html = web(people["bj_s1"]).get("/b/bj/me/live/").content.decode()
    assert sorted(_board(html, "branch-month")) == ["张伟", "李娜"]
    assert sorted(_board(html, "company-month")) == ["张伟", "李娜"]
