"""DELETE departments/{code}/members/{username}/: the API's way to take a person out of a
department, as the department's page does — the same roles (branch manager, HQ admin), the same
service and audit record; everyone else refused, anything out of reach a 404 that tells nothing,
and a refusal changes nothing."""
from __future__ import annotations

import pytest

from performance.models import Department, DepartmentMember
from tests.conftest import in_branch
from tests.factories import make_user
from tests.performance.conftest import BJ

pytestmark = pytest.mark.django_db


def _state():
    with in_branch("bj"):
        return (list(DepartmentMember.objects.order_by("pk").values()), DepartmentMember.history.count())


@pytest.mark.parametrize("remover", ["boss", "hq_admin"])
def test_the_manager_removes_a_member_audited_like_the_page(api, org, remover):
    user = org.boss if remover == "boss" else make_user("p_hqa", (None, "hq_admin"))
    out = org.members["si"][0]
    resp = api(user).delete(BJ + f"departments/si/members/{out.username}/")
    assert resp.status_code == 204 and resp.content == b""
    with in_branch("bj"):
        assert not DepartmentMember.objects.filter(user_id=out.pk).exists()
        record = DepartmentMember.history.filter(user_id=out.pk).latest("history_date")
        assert (record.history_type, record.history_user_id, record.history_change_reason) == (
            "-", user.pk, "membership removed")
        # the others stay where they were
        assert set(DepartmentMember.objects.filter(department=org.depts["si"]).values_list("user_id", flat=True)) == {
            org.managers["si"].pk, org.members["si"][1].pk}
    # gone now: a second removal is a 404 and writes nothing
    before = _state()
    assert api(user).delete(BJ + f"departments/si/members/{out.username}/").status_code == 404
    assert _state() == before


@pytest.mark.parametrize("reader, expected", [
    ("hr", 403), ("specialist", 403), ("head", 403), ("marketing", 403), ("sales", 403),
    ("contact", 403), ("hq_finance", 403), ("sh_manager", 404), ("anonymous", 401),
])
def test_other_roles_are_refused_and_nothing_changes(api, org, reader, expected):
    user = {"hr": org.hr, "specialist": org.members["si"][0], "head": org.managers["si"],
            "marketing": make_user("p_m", ("bj", "marketing")), "sales": make_user("p_s", ("bj", "sales")),
            "contact": make_user("p_c", ("bj", "client_contact")),
            "hq_finance": make_user("p_f", (None, "hq_finance")),
            "sh_manager": make_user("p_shm", ("sh", "branch_manager")), "anonymous": None}[reader]
    before = _state()
    resp = api(user).delete(BJ + f"departments/si/members/{org.members['si'][1].username}/")
    assert resp.status_code == expected, (reader, resp.status_code, resp.content)
    assert _state() == before


def test_anything_out_of_reach_is_the_same_404_and_nothing_changes(api, org):
    make_user("p_sh_s", ("sh", "specialist"))
    make_user("p_nowhere", ("bj", "specialist"))  # of this branch, in no department
    before = _state()
    boss = api(org.boss)
    answers = set()
    for code, username in [
        ("si", "nobody-here"),                       # no such person
        ("si", org.members["cs"][0].username),       # in another department
        ("si", "p_nowhere"),                         # in none
        ("si", "p_sh_s"),                            # another branch's
        ("no-such-dept", org.members["si"][0].username),  # no such department
        ("cs", org.members["si"][0].username),       # a real person, the wrong department
    ]:
        resp = boss.delete(BJ + f"departments/{code}/members/{username}/")
        assert resp.status_code == 404, (code, username, resp.status_code)
        answers.add(resp.content)
    assert len(answers) == 1  # one answer for all: nothing tells who exists where
    assert _state() == before


def test_the_removal_is_in_the_openapi_schema(api, org):
    paths = api(org.boss).get("/b/bj/api/v1/schema/?format=json").json()["paths"]
    path = next(p for p in paths if p.endswith("/api/v1/performance/departments/{code}/members/{username}/"))
    op = paths[path]["delete"]
    assert op["operationId"] == "performance_department_member_remove"
    assert {"204", "404"} <= set(op["responses"])


@pytest.mark.parametrize("reader, expected", [
    ("hr", 403), ("specialist", 403), ("head", 403), ("contact", 403), ("hq_finance", 403), ("sh_manager", 404),
])
def test_placing_people_through_the_api_is_the_managers_call_too(api, org, reader, expected):
    """POST departments/{code}/members/ had every office role: HR staff made themselves head of
    社保部 and then read and adjusted the manager's score. Now the page's roles, as removal."""
    user = {"hr": org.hr, "specialist": org.members["si"][0], "head": org.managers["si"],
            "contact": make_user("p_c2", ("bj", "client_contact")),
            "hq_finance": make_user("p_f2", (None, "hq_finance")),
            "sh_manager": make_user("p_shm2", ("sh", "branch_manager"))}[reader]
    before = _state()
    resp = api(user).post(BJ + "departments/si/members/", {"username": user.username, "role": "manager"},
                          format="json")
    assert resp.status_code == expected, (reader, resp.status_code, resp.content)
    assert _state() == before


def test_a_client_contact_never_sits_in_a_department(api, org):
    contact = make_user("p_c3", ("bj", "client_contact"))
    before = _state()
    resp = api(org.boss).post(BJ + "departments/si/members/", {"username": contact.username, "role": "manager"},
                              format="json")
    assert resp.status_code == 400 and "不是本分支机构的员工" in resp.json()["username"][0]
    assert _state() == before
    placed = api(org.boss).post(BJ + "departments/si/members/", {"username": org.hr.username}, format="json")
    assert placed.status_code == 200 and placed.json()["role"] == "member"


@pytest.mark.parametrize("maker, expected", [
    ("boss", 201), ("hq_admin", 201), ("hr", 403), ("specialist", 403), ("head", 403), ("contact", 403),
    ("hq_finance", 403), ("sh_manager", 404),
])
def test_departments_are_made_through_the_api_by_the_page_roles(api, org, hq_admin, maker, expected):
    """POST departments/ had HR staff's role too, while the 部门成员 page, where departments are
    made, is the branch manager's and HQ admin's: a department decides whose scores its head reads."""
    user = {"boss": org.boss, "hq_admin": hq_admin, "hr": org.hr, "specialist": org.members["si"][0],
            "head": org.managers["si"], "contact": make_user("p_c3", ("bj", "client_contact")),
            "hq_finance": make_user("p_f3", (None, "hq_finance")),
            "sh_manager": make_user("p_shm3", ("sh", "branch_manager"))}[maker]
    with in_branch("bj"):
        before = sorted(Department.objects.values_list("code", flat=True))
    resp = api(user).post(BJ + "departments/", {"code": "zhijian", "name": "质检部"}, format="json")
    assert resp.status_code == expected, (maker, resp.status_code, resp.content)
    with in_branch("bj"):
        after = sorted(Department.objects.values_list("code", flat=True))
    assert after == (sorted([*before, "zhijian"]) if expected == 201 else before)
