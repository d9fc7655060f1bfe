"""Departments created at once on the departments page (six connections): each gets its own
generated code — none is refused with "该编码已被使用。" about a code nobody typed — and of
three at once with the same name, one is created and the others are refused by name."""
from __future__ import annotations

from django_tenants.utils import schema_context

from tests.concurrency import at_once
from tests.factories import make_user


def _at_once(branch, user, names: list[str]) -> list[str]:
    """POST each name to the departments page from its own connection, all at one moment: the
    page each request ends on (a redirect's target, or the form again with its errors)."""
    def send(name):
        def post(web):
            resp = web.post(f"/b/{branch.code}/performance/departments/", {"name": name, "star_title": ""})
            return resp["Location"] if resp.status_code == 302 else resp.content.decode()
        return post

    return at_once(user, [send(name) for name in names], timeout=60)


def test_six_departments_created_at_once_all_get_their_own_code(committed_branch):
    from performance.models import Department

    manager = make_user(f"{committed_branch.code}_mgr", (committed_branch.code, "branch_manager"),
                        home=committed_branch.code)
    names = ["客服部", "理赔部", "财务部", "人事部", "社保部", "市场部"]
    pages = _at_once(committed_branch, manager, names)
    assert all(p.startswith(f"/b/{committed_branch.code}/performance/departments/") for p in pages), pages
    with schema_context(committed_branch.schema_name):
        made = dict(Department.objects.values_list("name", "code"))
    assert sorted(made) == sorted(names)
    assert sorted(made.values()) == [f"dept-{n}" for n in range(1, 7)]


def test_three_departments_of_one_name_at_once_make_one(committed_branch):
    from performance.models import Department

    manager = make_user(f"{committed_branch.code}_mgr2", (committed_branch.code, "branch_manager"),
                        home=committed_branch.code)
    pages = _at_once(committed_branch, manager, ["客服部", "客服部", "客服部 "])
    created = [p for p in pages if p.startswith(f"/b/{committed_branch.code}/performance/departments/")]
    refused = [p for p in pages if "已有名为“客服部”的部门。" in p]
    assert (len(created), len(refused)) == (1, 2), pages
    with schema_context(committed_branch.schema_name):
        assert list(Department.objects.values_list("name", flat=True)) == ["客服部"]
