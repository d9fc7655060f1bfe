"""A new branch's first day: the office's workbench says what to set up first (clients, the
insured people, departments), each linked to its page, instead of a social-insurance month to
compute with nobody to compute it for; each step goes once it is done."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import in_branch
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _todos(html: str) -> dict[str, str]:
    return dict(re.findall(r'<li data-testid="todo-([a-z-]+)">(.*?)</li>', html, re.S))


def _workbench(user, lang: str | None = None) -> str:
    client = Client()
    client.force_login(user)
    if lang:
        client.post("/i18n/setlang/", {"language": lang, "next": "/b/bj/"})
    return client.get("/b/bj/").content.decode()


def test_an_empty_branch_lists_its_first_steps_for_the_manager_and_staff(branches):
    manager = make_user("fd_mgr", ("bj", "branch_manager"))
    staff = make_user("fd_staff", ("bj", "branch_staff"))
    todos = _todos(_workbench(manager))
    assert list(todos)[:3] == ["first-client", "first-employees", "first-department"]
    assert 'href="/b/bj/clients/new/">添加第一个客户</a>' in todos["first-client"]
    assert 'href="/b/bj/si/employees/new/">录入参保人员</a>' in todos["first-employees"]
    assert 'href="/b/bj/performance/departments/">建立部门(绩效考核按部门进行)</a>' in todos["first-department"]
    assert "去设置" in todos["first-client"]
    assert "si-compute" not in todos  # "本月社保尚未计算 1" with nobody to compute for

    staff_todos = _todos(_workbench(staff))
    assert "first-client" in staff_todos and "first-employees" in staff_todos
    assert "first-department" not in staff_todos  # departments are the manager's (and HQ admin's) to make
    en = _workbench(manager, "en")
    assert "Add your first client" in en and "Create departments (appraisal is by department)" in en

    # every first step opens for whoever is offered it
    for user in (manager, staff):
        client = Client()
        client.force_login(user)
        for key, item in _todos(_workbench(user)).items():
            if key.startswith("first-"):
                url = re.search(r'href="([^"]+)"', item).group(1)
                assert client.get(url).status_code == 200, (user.username, url)


def test_the_first_steps_go_once_done_and_the_month_to_compute_comes_back(branches):
    from performance import services as perf
    from tests.social_insurance.helpers import add_employee, make_client

    manager = make_user("fd_mgr2", ("bj", "branch_manager"))
    with in_branch("bj"):
        client = make_client("第一家客户", manager)
    todos = _todos(_workbench(manager))
    assert "first-client" not in todos and "first-employees" in todos and "si-compute" not in todos

    with in_branch("bj"):
        start = (timezone.localdate().replace(day=1) - dt.timedelta(days=40)).replace(day=1).isoformat()
        add_employee(client, 1, "10000", start, actor=manager)
        perf.department_create(actor=manager, code="cs", name="客服部")
    todos = _todos(_workbench(manager))
    assert not [k for k in todos if k.startswith("first-")]
    assert "si-compute" in todos
