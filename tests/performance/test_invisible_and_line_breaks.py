"""Text refused or counted as the one text parser (hrsaas.core.inputs) does, on the pages as
through the API: a score adjustment's note of a zero-width space alone is no note; department
names padded with invisible characters (U+200B, U+2060, the Hangul filler U+3164) are refused,
and names are told apart as people read them (NFKC, trimmed); a line break in the score page's
note counts once, as its box's maxlength counts it."""
from __future__ import annotations

from decimal import Decimal

import pytest

from performance.models import Department, Score
from tests.conftest import in_branch
from tests.performance.conftest import BJ, browser
from tests.performance import test_cycles_api

pytestmark = pytest.mark.django_db
# The claims cycle, computed (a score per member of 理赔部), as the cycle API tests set it up.
claims_cycle, computed = test_cycles_api.claims_cycle, test_cycles_api.computed


def _untouched(score_id: int) -> bool:
    with in_branch("bj"):
        s = Score.objects.get(pk=score_id)
        return (s.adjusted, s.adjust_note, s.total) == (False, "", Decimal("100.00"))


@pytest.mark.parametrize("note, code", [("\u200b", "U+200B"), ("表扬\u3164", "U+3164")])
def test_a_score_adjustment_whose_note_is_invisible_is_refused_through_the_api(api, org, computed, note, code):
    score_id = computed[org.members["claims"][0].pk]
    resp = api(org.managers["claims"]).post(BJ + f"scores/{score_id}/adjust/", {"total": "90", "note": note},
                                            format="json")
    assert resp.status_code == 400 and resp.json()["note"][0].startswith(f"含有不允许的不可见字符 {code}"), resp.content
    assert _untouched(score_id)


def test_the_score_pages_note_counts_a_line_break_once(org, computed):
    """300 characters on 201 lines (200 line breaks) fill a box of 500: kept whole, each line break
    stored as one character; one more character is refused in the words of the API."""
    score_id = computed[org.members["claims"][0].pk]
    page = browser(org.managers["claims"])
    url = f"/b/bj/performance/scores/{score_id}/"
    too_long = page.post(url, {"total": "90", "note": "评\r\n" * 200 + "评" * 101})
    assert "不能超过 500 个字符(现为 501 个)" in too_long.content.decode()
    assert _untouched(score_id)
    resp = page.post(url, {"total": "90", "note": "评\r\n" * 200 + "评" * 100})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    with in_branch("bj"):
        s = Score.objects.get(pk=score_id)
        assert (s.adjusted, s.adjust_note, s.total) == (True, "评\n" * 200 + "评" * 100, Decimal("90.00"))


def test_a_department_name_padded_with_an_invisible_character_is_refused_on_the_page(org):
    resp = browser(org.boss).post("/b/bj/performance/departments/", {"name": "客服部\u200b", "star_title": ""})
    assert "含有不允许的不可见字符 U+200B" in resp.content.decode()
    with in_branch("bj"):
        assert Department.objects.count() == 5


@pytest.mark.parametrize("name, code", [("客服部\u2060", "U+2060"), ("客服部\u3164", "U+3164"), ("\u3164", "U+3164")])
def test_a_department_name_padded_with_an_invisible_character_is_refused_through_the_api(api, org, name, code):
    resp = api(org.boss).post(BJ + "departments/", {"code": "cs-two", "name": name}, format="json")
    assert resp.status_code == 400 and resp.json()["name"][0].startswith(f"含有不允许的不可见字符 {code}"), resp.content
    with in_branch("bj"):
        assert not Department.objects.filter(code="cs-two").exists()


def test_department_names_are_told_apart_as_people_read_them(api, org):
    """Full-width letters (typed with a Chinese IME) read as their ASCII twins, in any case."""
    boss = api(org.boss)
    assert boss.post(BJ + "departments/", {"code": "kf", "name": "KF部"}, format="json").status_code == 201
    resp = boss.post(BJ + "departments/", {"code": "kf-2", "name": "ｋｆ部"}, format="json")
    assert (resp.status_code, resp.json()) == (400, {"name": ["已有名为“ｋｆ部”的部门。"]})
    resp = browser(org.boss).post("/b/bj/performance/departments/", {"name": "　客服部", "star_title": ""})
    assert "已有名为“客服部”的部门。" in resp.content.decode()
    with in_branch("bj"):
        assert sorted(Department.objects.values_list("name", flat=True)) == sorted(
            ["社保部", "理赔部", "财务部", "人事部", "客服部", "KF部"])
