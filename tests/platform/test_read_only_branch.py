"""A deactivated branch is read-only (BranchAccessMiddleware refuses every write to it): its pages
offer no form, button or link whose only use is a write — a form's place says why — and its
workbench lists no to-dos; reads (lists, statements, exports) stay. An active branch's pages keep
their forms and to-dos."""
from __future__ import annotations

import re

import pytest
from django.test import Client

from branches import services as branch_services
from tests.conftest import in_branch
from tests.factories import make_user
from tests.social_insurance.helpers import add_employee, make_client

pytestmark = pytest.mark.django_db


def _main(html: str) -> str:
    """The page's own content (the shell's sign-out and language forms are not the page's)."""
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def _writing_forms(html: str) -> list[str]:
    """The forms in the page's content that would write (POST, htmx post); a GET form (filters,
    a month to show) is a read."""
    forms = re.findall(r"<form\b[^>]*>.*?</form>", _main(html), re.S)
    return [f for f in forms if re.search(r'method="post"|hx-post', f.split(">", 1)[0], re.I)]


def _submit_buttons(html: str) -> list[str]:
    """The submit buttons of the page's writing forms."""
    return [b for f in _writing_forms(html) for b in re.findall(r'<button\b(?![^>]*type="button")[^>]*>', f)]


@pytest.fixture
def bj(branches):
    """The Beijing branch with a client, an insured employee, a computed month with its fee
    statement and a lead, made while it is active; its manager, staff, specialist, marketer and seller."""
    from commissions.models import Lead
    from social_insurance import services as si
    from social_insurance.models import FeeStatement

    people = {
        "manager": make_user("ro_mgr", ("bj", "branch_manager"), home="bj"),
        "staff": make_user("ro_staff", ("bj", "branch_staff"), home="bj"),
        "specialist": make_user("ro_s1", ("bj", "specialist"), home="bj"),
        "marketing": make_user("ro_mkt", ("bj", "marketing"), home="bj"),
        "sales": make_user("ro_sales", ("bj", "sales"), home="bj"),
    }
    with in_branch("bj"):
        client = make_client("甲公司", people["specialist"])
        employee = add_employee(client, 1, "8000.00", "2026-01-01", actor=people["staff"])
        si.month_compute(actor=people["staff"], period="2026-03")
        statement = FeeStatement.objects.get(client=client, period="2026-03")
    page = _client(people["marketing"])
    assert page.post("/b/bj/leads/new/", {"name": "蓝海餐饮", "owner": "ro_sales"}).status_code == 302
    with in_branch("bj"):
        lead = Lead.objects.get(name="蓝海餐饮")
    return {"branch": branches["bj"], "people": people, "client": client.pk, "employee": employee.pk,
            "statement": statement.pk, "lead": lead.pk}


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _pages(bj) -> dict[str, list[str]]:
    """Branch pages by who opens them: list, detail and entry pages of every module."""
    c, e, s, lead = bj["client"], bj["employee"], bj["statement"], bj["lead"]
    return {
        "manager": ["/b/bj/", "/b/bj/commissions/", "/b/bj/commissions/statements/2026-03/",
                    "/b/bj/commissions/periods/2026-03/close/", "/b/bj/commissions/adjustments/",
                    "/b/bj/commissions/adjustments/planning/", "/b/bj/review/", "/b/bj/history/",
                    "/b/bj/history/parallel/", "/b/bj/performance/", "/b/bj/performance/cycles/",
                    "/b/bj/performance/templates/", "/b/bj/performance/templates/new/",
                    "/b/bj/performance/bonus-rules/", "/b/bj/performance/departments/",
                    "/b/bj/settings/notifications/", "/b/bj/si/arrears/",
                    f"/b/bj/leads/{lead}/"],
        "staff": ["/b/bj/", "/b/bj/clients/", "/b/bj/clients/new/", f"/b/bj/clients/{c}/", f"/b/bj/clients/{c}/edit/",
                  "/b/bj/commissions/record/client/", "/b/bj/commissions/record/sale/", "/b/bj/commissions/leads/",
                  "/b/bj/commissions/import/", "/b/bj/leads/", "/b/bj/leads/new/", "/b/bj/si/", "/b/bj/si/?period=2026-03",
                  "/b/bj/si/employees/", "/b/bj/si/employees/new/", "/b/bj/si/employees/import/",
                  f"/b/bj/si/employees/{e}/", f"/b/bj/si/employees/{e}/base/", f"/b/bj/si/employees/{e}/remove/",
                  f"/b/bj/si/statements/{s}/", "/b/bj/inbox/"],
        "specialist": ["/b/bj/me/", "/b/bj/me/claims/", "/b/bj/me/inquiries/", "/b/bj/me/statement/2026-03/",
                       "/b/bj/performance/mine/"],
        "marketing": ["/b/bj/leads/", "/b/bj/leads/new/", f"/b/bj/leads/{lead}/"],
        "sales": [f"/b/bj/leads/{lead}/"],
    }


def _deactivate(bj, hq_admin):
    branch_services.branch_set_active(actor=hq_admin, branch=bj["branch"], active=False, reason="合并")


def test_a_deactivated_branch_offers_no_form_that_would_be_refused(bj, hq_admin):
    _deactivate(bj, hq_admin)

    offered = {}
    for who, urls in _pages(bj).items():
        page = _client(bj["people"][who])
        for url in urls:
            r = page.get(url)
            assert r.status_code == 200, (who, url, r.status_code)
            html = r.content.decode()
            assert 'data-testid="branch-read-only"' in html, url  # the banner says why, on every page
            if _writing_forms(html):
                offered[url] = [f.split(">", 1)[0] + ">" for f in _writing_forms(html)]

    assert offered == {}


def test_a_deactivated_branch_workbench_lists_no_to_dos(bj, hq_admin):
    _deactivate(bj, hq_admin)

    for who in ("manager", "staff"):
        html = _client(bj["people"][who]).get("/b/bj/").content.decode()

        assert 'data-testid="todo-' not in html and "todo-list" not in html
        assert 'data-testid="wb-read-only"' in html and "该分支机构已停用,数据只读,没有待办。" in html
        assert 'data-testid="kpi-openings"' in html  # the figures stay


def test_entry_pages_of_a_deactivated_branch_say_why_and_links_to_them_are_gone(bj, hq_admin):
    _deactivate(bj, hq_admin)
    staff = _client(bj["people"]["staff"])

    record = staff.get("/b/bj/commissions/record/client/").content.decode()
    employee_new = staff.get("/b/bj/si/employees/new/").content.decode()
    employees = staff.get("/b/bj/si/employees/").content.decode()
    clients = staff.get("/b/bj/clients/").content.decode()
    board = staff.get("/b/bj/si/?period=2026-03").content.decode()

    for html in (record, employee_new):
        assert 'data-testid="read-only-form"' in html and "该分支机构已停用,此处不能提交。" in html
    assert 'href="/b/bj/si/employees/new/' not in employees and 'href="/b/bj/clients/new/"' not in clients
    assert 'href="/b/bj/commissions/record/client/"' not in record
    assert 'data-testid="si-actions"' not in board and 'data-testid="si-exception-form"' not in board


def test_reads_of_a_deactivated_branch_stay(bj, hq_admin):
    _deactivate(bj, hq_admin)
    staff = _client(bj["people"]["staff"])

    statement = staff.get(f"/b/bj/si/statements/{bj['statement']}/")
    assert statement.status_code == 200 and 'data-testid="si-lines"' in statement.content.decode()
    assert staff.get(f"/b/bj/si/statements/{bj['statement']}/?format=xlsx").status_code == 200
    assert staff.get("/b/bj/clients/?format=csv").status_code == 200
    assert staff.get("/b/bj/si/employees/?format=xlsx").status_code == 200
    assert "甲公司" in staff.get("/b/bj/clients/").content.decode()
    # and a write typed anyway is still refused, nothing written
    from clients.models import Client as BranchClient

    with in_branch("bj"):
        before = BranchClient.objects.count()
    assert staff.post("/b/bj/clients/new/", {"name": "新客户"}).status_code == 403
    with in_branch("bj"):
        assert BranchClient.objects.count() == before


def test_an_active_branch_keeps_its_forms_and_to_dos(bj):
    manager, staff = _client(bj["people"]["manager"]), _client(bj["people"]["staff"])

    workbench = manager.get("/b/bj/").content.decode()
    record = staff.get("/b/bj/commissions/record/client/").content.decode()
    board = staff.get("/b/bj/si/?period=2026-03").content.decode()
    employee_new = staff.get("/b/bj/si/employees/new/").content.decode()

    assert 'data-testid="branch-read-only"' not in workbench
    assert 'data-testid="todo-adjustments"' in workbench and 'data-testid="todo-si-exceptions"' in workbench
    assert 'data-testid="wb-read-only"' not in workbench
    for html in (record, board, employee_new):
        assert _writing_forms(html) and _submit_buttons(html)
        assert 'data-testid="read-only-form"' not in html
    assert 'data-testid="si-actions"' in board and 'data-testid="si-exception-form"' in board
    assert 'data-testid="employee-add-form"' in employee_new
    # the pages the deactivated branch's sweep reads do offer forms while it is active
    offering = [url for who, urls in _pages(bj).items() for url in urls
                if _writing_forms(_client(bj["people"][who]).get(url).content.decode())]
    assert len(offering) >= 25, offering


def test_a_deactivated_branch_says_why_in_english(bj, hq_admin):
    from django.conf import settings
    from django.utils import translation

    from tests.platform.test_english import english

    _deactivate(bj, hq_admin)
    try:
        staff = english(bj["people"]["staff"])
        workbench = staff.get("/b/bj/").content.decode()
        record = staff.get("/b/bj/commissions/record/client/").content.decode()
    finally:  # the locale middleware leaves English active in this thread; later tests expect Chinese
        translation.activate(settings.LANGUAGE_CODE)

    assert "This branch is deactivated: its data is read-only, so there is nothing to do." in workbench
    assert "This branch is deactivated: nothing can be submitted here." in record
