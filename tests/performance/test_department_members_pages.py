"""部门成员: only department members are appraised. The cycle page warns managers of the people
whom no department holds; managers (and HQ admin) place people by name on a page that calls the
same service as the API's departments/<code>/members/, audited the same way."""
from __future__ import annotations

import pytest

from performance.models import DepartmentMember
from tests.conftest import in_branch
from tests.factories import make_user
from tests.performance.conftest import BJ, browser

pytestmark = pytest.mark.django_db


@pytest.fixture
def unplaced(org):
    """The office placed as in the demo (the manager heads 社保部, HR staff 人事部); people with an
    appraised role and no department (p_s7, like the demo's bj.s7); and people who are not
    appraised, not of this branch or not active, who must not be listed."""
    from performance import services

    with in_branch("bj"):
        services.member_set(actor=org.boss, department=org.depts["si"], user=org.boss, role="member")
        services.member_set(actor=org.boss, department=org.depts["hr"], user=org.hr, role="member")
    s7 = make_user("p_s7", ("bj", "specialist"))
    s7.display_name = "赵七"
    s7.save(update_fields=["display_name"])
    seller = make_user("p_seller", ("bj", "sales"))
    seller.display_name = "钱八"
    seller.save(update_fields=["display_name"])
    make_user("p_contact", ("bj", "client_contact"))        # an outsider: not appraised
    make_user("p_sh_s", ("sh", "specialist"))               # another branch's
    make_user("p_hq_fin", (None, "hq_finance"))             # HQ
    gone = make_user("p_gone", ("bj", "specialist"))
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    return {"s7": s7, "seller": seller}


@pytest.fixture
def cycle(api, org):
    return api(org.hr).post(BJ + "cycles/", {"period": "2026-03"}, format="json").json()["id"]


def warning(html: str) -> str:
    start = html.index('data-testid="unplaced"')
    return html[start:html.index("</div>", start)]


@pytest.mark.parametrize("reader", ["boss", "hq_admin"])
def test_the_cycle_page_warns_managers_of_people_in_no_department(org, unplaced, cycle, reader):
    user = org.boss if reader == "boss" else make_user("p_hqa", (None, "hq_admin"))
    html = browser(user).get(f"/b/bj/performance/cycles/{cycle}/").content.decode()
    text = warning(html)
    assert "2 人不属于任何部门,考核时没有得分:" in text
    assert "钱八、赵七" in text  # by pinyin: qian before zhao
    for name in ("p_contact", "p_sh_s", "p_hq_fin", "p_gone", "p_hr", "p_cs_1"):
        assert name not in text
    assert 'href="/b/bj/performance/departments/"' in text
    # English
    c = browser(user)
    c.post("/i18n/setlang/", {"language": "en", "next": "/b/bj/"})
    text = warning(c.get(f"/b/bj/performance/cycles/{cycle}/").content.decode())
    assert "2 people belong to no department and get no score:" in text


def test_the_office_counts_too_and_no_warning_once_everyone_is_placed(api, org, cycle):
    # the branch manager and HR staff are appraised as well (the demo places them)
    text = warning(browser(org.boss).get(f"/b/bj/performance/cycles/{cycle}/").content.decode())
    assert "2 人不属于任何部门" in text and "p_boss" in text and "p_hr" in text
    for user, dept in ((org.boss, "si"), (org.hr, "hr")):
        assert api(org.boss).post(BJ + f"departments/{dept}/members/", {"username": user.username},
                                  format="json").status_code == 200
    html = browser(org.boss).get(f"/b/bj/performance/cycles/{cycle}/").content.decode()
    assert 'data-testid="unplaced"' not in html


@pytest.mark.parametrize("reader", ["hr", "specialist", "head"])
def test_others_see_no_warning_and_no_members_link(org, unplaced, cycle, reader):
    user = {"hr": org.hr, "specialist": org.members["si"][0], "head": org.managers["cs"]}[reader]
    html = browser(user).get(f"/b/bj/performance/cycles/{cycle}/").content.decode()
    assert 'data-testid="unplaced"' not in html and "赵七" not in html
    assert "/b/bj/performance/departments/" not in html


def test_a_manager_adds_a_person_by_name_audited_like_the_api(api, org, unplaced, cycle):
    s7 = unplaced["s7"]
    boss = browser(org.boss)
    page = boss.get(f"/b/bj/performance/departments/{org.depts['si'].pk}/").content.decode()
    assert "社保部 部门成员" in page and f'<option value="{s7.pk}">赵七</option>' in page
    assert "p_si_1" in page  # a current member listed (display name = username in these tests)
    assert ">si<" not in page and "code" not in page
    resp = boss.post(f"/b/bj/performance/departments/{org.depts['si'].pk}/",
                     {"person": str(s7.pk), "role": "member", "position": ""})
    assert resp.status_code == 302
    followed = boss.get(resp["Location"]).content.decode()
    assert "已将赵七加入社保部。" in followed
    with in_branch("bj"):
        member = DepartmentMember.objects.get(user_id=s7.pk)
        assert (member.department_id, member.role) == (org.depts["si"].pk, "member")
        record = DepartmentMember.history.filter(id=member.pk).latest("history_date")
        assert (record.history_type, record.history_user_id, record.history_change_reason) == (
            "+", org.boss.pk, "membership set")
    # the API's way writes the same record
    assert api(org.boss).post(BJ + "departments/si/members/", {"username": "p_seller"},
                              format="json").status_code == 200
    with in_branch("bj"):
        api_member = DepartmentMember.objects.get(user_id=unplaced["seller"].pk)
        api_record = DepartmentMember.history.filter(id=api_member.pk).latest("history_date")
        assert (api_record.history_type, api_record.history_user_id, api_record.history_change_reason) == (
            "+", org.boss.pk, "membership set")
    # nobody is left out now: no warning on the cycle page
    html = boss.get(f"/b/bj/performance/cycles/{cycle}/").content.decode()
    assert 'data-testid="unplaced"' not in html


def test_a_person_of_another_department_moves_and_one_is_removed(org, unplaced):
    moved = org.members["cs"][0]
    boss = browser(org.boss)
    page = boss.get(f"/b/bj/performance/departments/{org.depts['si'].pk}/").content.decode()
    assert f'<option value="{moved.pk}">p_cs_1(现属客服部)</option>' in page
    assert boss.post(f"/b/bj/performance/departments/{org.depts['si'].pk}/",
                     {"person": str(moved.pk), "role": "manager"}).status_code == 302
    with in_branch("bj"):
        assert DepartmentMember.objects.filter(user_id=moved.pk).values_list("department_id", "role").get() == (
            org.depts["si"].pk, "manager")
    out = org.members["si"][0]
    resp = boss.post(f"/b/bj/performance/departments/{org.depts['si'].pk}/", {"action": "remove", "person": str(out.pk)})
    assert resp.status_code == 302
    assert "已将p_si_1移出社保部。" in boss.get(resp["Location"]).content.decode()
    with in_branch("bj"):
        assert not DepartmentMember.objects.filter(user_id=out.pk).exists()
        record = DepartmentMember.history.filter(user_id=out.pk).latest("history_date")
        assert (record.history_type, record.history_user_id, record.history_change_reason) == (
            "-", org.boss.pk, "membership removed")
    # now in no department: listed
    listing = boss.get("/b/bj/performance/departments/").content.decode()
    assert "p_si_1" in warning(listing) and "赵七" in warning(listing)


def test_removing_someone_not_in_the_department_changes_nothing(org, unplaced):
    boss = browser(org.boss)
    with in_branch("bj"):
        before = list(DepartmentMember.objects.order_by("pk").values())
        history = DepartmentMember.history.count()
    for person in (str(org.members["cs"][0].pk), str(unplaced["s7"].pk), "999999", "x"):
        resp = boss.post(f"/b/bj/performance/departments/{org.depts['si'].pk}/", {"action": "remove", "person": person},
                         follow=True)
        assert "此人不在社保部。" in resp.content.decode()
    bad = boss.post(f"/b/bj/performance/departments/{org.depts['si'].pk}/", {"person": "999999", "role": "member"})
    assert bad.status_code == 400 and "请选择本分支机构的人员。" in bad.content.decode()
    with in_branch("bj"):
        assert list(DepartmentMember.objects.order_by("pk").values()) == before
        assert DepartmentMember.history.count() == history


@pytest.mark.parametrize("reader", ["hr", "specialist", "head", "marketing", "sales", "hq_finance", "sh_manager"])
def test_only_managers_and_hq_admin_manage_members(org, unplaced, reader):
    user = {"hr": org.hr, "specialist": org.members["si"][0], "head": org.managers["si"],
            "marketing": make_user("p_m", ("bj", "marketing")), "sales": make_user("p_s", ("bj", "sales")),
            "hq_finance": make_user("p_f", (None, "hq_finance")),
            "sh_manager": make_user("p_shm", ("sh", "branch_manager"))}[reader]
    c = browser(user)
    with in_branch("bj"):
        before = list(DepartmentMember.objects.order_by("pk").values())
        history = DepartmentMember.history.count()
    dept = f"/b/bj/performance/departments/{org.depts['si'].pk}/"
    assert c.get("/b/bj/performance/departments/").status_code in (403, 404)
    assert c.get(dept).status_code in (403, 404)
    assert c.post(dept, {"person": str(unplaced["s7"].pk), "role": "manager"}).status_code in (403, 404)
    assert c.post(dept, {"action": "remove", "person": str(org.members["si"][0].pk)}).status_code in (403, 404)
    assert "/b/bj/performance/departments/" not in c.get("/b/bj/performance/").content.decode()
    with in_branch("bj"):
        assert list(DepartmentMember.objects.order_by("pk").values()) == before
        assert DepartmentMember.history.count() == history


def test_hq_admin_manages_members_and_the_home_page_links_it(org, unplaced):
    admin = browser(make_user("p_hqa", (None, "hq_admin")))
    home = admin.get("/b/bj/performance/").content.decode()
    assert 'href="/b/bj/performance/departments/"' in home
    listing = admin.get("/b/bj/performance/departments/").content.decode()
    assert f'href="/b/bj/performance/departments/{org.depts["cs"].pk}/">客服部</a>' in listing
    assert "p_cs_mgr" in listing  # the head, by name
    resp = admin.post(f"/b/bj/performance/departments/{org.depts['cs'].pk}/",
                      {"person": str(unplaced["seller"].pk), "role": "member"})
    assert resp.status_code == 302
    with in_branch("bj"):
        assert DepartmentMember.objects.get(user_id=unplaced["seller"].pk).department_id == org.depts["cs"].pk


def test_namesakes_on_the_members_page_are_told_apart_by_their_sign_in_name(org, unplaced):
    """Two people of one name on the page (a member and a candidate, or two candidates) carry
    their sign-in name; everyone else is a name alone — in the members table and in the choice."""
    s7 = unplaced["s7"]  # 赵七, in no department
    twin = make_user("p_s8", ("bj", "specialist"))
    twin.display_name = "赵七"
    twin.save(update_fields=["display_name"])
    member = org.members["si"][0]
    member.display_name = "孙九"
    member.save(update_fields=["display_name"])
    other = org.members["cs"][0]  # 孙九 too, in 客服部: a candidate that would move here
    other.display_name = "孙九"
    other.save(update_fields=["display_name"])
    page = browser(org.boss).get(f"/b/bj/performance/departments/{org.depts['si'].pk}/").content.decode()
    table = page.split('data-testid="members"', 1)[1].split("</table>", 1)[0]
    assert ">孙九(p_si_1)<" in table and ">p_si_2<" in table and ">p_si_mgr<" in table
    assert f'<option value="{s7.pk}">赵七(p_s7)</option>' in page
    assert f'<option value="{twin.pk}">赵七(p_s8)</option>' in page
    assert f'<option value="{other.pk}">孙九(p_cs_1)(现属客服部)</option>' in page
    assert f'<option value="{unplaced["seller"].pk}">钱八</option>' in page  # no namesake: a name alone
    english = browser(org.boss)
    english.post("/i18n/setlang/", {"language": "en", "next": "/b/bj/"})
    en = english.get(f"/b/bj/performance/departments/{org.depts['si'].pk}/").content.decode()
    assert f'<option value="{s7.pk}">赵七 (p_s7)</option>' in en and ">孙九 (p_si_1)<" in en
    # one 孙九 left on the page (the other renamed): a name alone again
    other.display_name = "周十"
    other.save(update_fields=["display_name"])
    page = browser(org.boss).get(f"/b/bj/performance/departments/{org.depts['si'].pk}/").content.decode()
    assert ">孙九<" in page and "p_si_1" not in page.split('data-testid="members"', 1)[1].split("</table>", 1)[0]
    assert f'<option value="{other.pk}">周十(现属客服部)</option>' in page
