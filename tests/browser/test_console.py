"""The console in a real browser: an HQ admin creates a branch and a rule version; in that new
branch a staff member proposes a float adjustment, the manager sees the what-if preview and
approves it, then closes last month; HQ finance marks it paid; screenshots of each main page at
phone and desktop size (test-artifacts/screenshots/console-*).

Everything the browser shows is committed (no `db` fixture); the branch, the users and the rule
version made here are removed afterwards."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, login, shot, submit
from tests.conftest import drop_committed, wait_for
from tests.factories import TEST_PASSWORD, make_user

pytestmark = pytest.mark.browser

RULE_DAY = "2099-01-01"  # far enough never to touch a computed period


@pytest.fixture
def made(django_db_setup, django_db_blocker):
    """Committed writes for this test; afterwards the branches in made["codes"] are dropped with
    the users made meanwhile, and the rule version of RULE_DAY is removed (rule versions are
    immutable by trigger, so the trigger is bypassed for this one clean-up)."""
    from branches.models import Branch, User
    from commissions.hq.models import RuleVersion

    with django_db_blocker.unblock():
        before = set(User.objects.values_list("pk", flat=True))
        state = {"codes": []}
        try:
            yield state
        finally:
            connection.set_schema_to_public()
            branches = list(Branch.objects.filter(code__in=state["codes"]))
            ids = list(RuleVersion.objects.filter(effective_from=RULE_DAY).values_list("pk", flat=True))
            if ids:
                with transaction.atomic(), connection.cursor() as cur:
                    cur.execute("SET LOCAL session_replication_role = replica")
                    cur.execute("DELETE FROM commissions_hq_historicalruleversion WHERE id = ANY(%s)", [ids])
                    cur.execute("DELETE FROM commissions_hq_ruleversion WHERE id = ANY(%s)", [ids])
            drop_committed(branches, before)


def _month_start(day: dt.date, back: int = 0) -> dt.date:
    first = day.replace(day=1)
    for _ in range(back):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


def both_sizes(page, name: str) -> None:
    """Screenshots of the current page at desktop and phone width; the phone layout must not
    scroll sideways except inside the tables' own scroll boxes."""
    page.set_viewport_size(DESKTOP)
    shot(page, f"console-{name}-desktop")
    page.set_viewport_size(PHONE)
    if page.locator("canvas").count():
        # Charts resize on a ResizeObserver callback: let layout settle before measuring.
        page.wait_for_timeout(400)
    shot(page, f"console-{name}-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1, name
    page.set_viewport_size(DESKTOP)


def test_console_end_to_end(made, page_factory):
    from branches.models import Branch
    from clients import services as client_services
    from commissions import services
    from commissions.hq.models import BranchPeriod, RuleVersion
    from commissions.models import Adjustment

    make_user("ui.c.admin", (None, "hq_admin"))
    make_user("ui.c.finance", (None, "hq_finance"))
    code = "c" + uuid.uuid4().hex[:7]
    made["codes"].append(code)
    admin = page_factory(DESKTOP)
    login(admin, "ui.c.admin", TEST_PASSWORD)

    # 1. HQ admin creates a branch (its schema is created and migrated: allow time).
    admin.goto("/branches/")
    admin.fill("input[name=code]", code)
    admin.fill("input[name=name]", "测试分公司")
    admin.select_option("select[name=city]", "hangzhou")  # a city with a policy
    with admin.expect_navigation(timeout=90_000):
        # The click itself waits for the navigation it starts: give it the same allowance.
        admin.click("form.form button[type=submit]", timeout=90_000)
    assert "分支机构 测试分公司 已创建。" in admin.inner_text(".messages")
    branch = Branch.objects.get(code=code)
    both_sizes(admin, "hq-branches")

    # 2. … and a rule version (留存奖励 25% from 2099).
    admin.goto("/commissions/rules/retention_bonus/")
    admin.fill("input[name=effective_from]", RULE_DAY)
    admin.fill("input[name=months]", "12")
    admin.fill("input[name=percent]", "25.00")
    admin.fill("input[name=note]", "浏览器测试")
    submit(admin, "form.form button[type=submit]")
    assert "已新增 留存奖励 版本,自 2099年1月1日 起生效。" in admin.inner_text(".messages")
    assert RuleVersion.objects.get(component="retention_bonus", effective_from=RULE_DAY).params["percent"] == "25.00"
    both_sizes(admin, "hq-rules")

    # The new branch's people and last month's and this month's openings (committed).
    make_user(f"{code}.mgr", (code, "branch_manager"), home=code)
    staff_user = make_user(f"{code}.staff", (code, "branch_staff"), home=code)
    specialist = make_user(f"{code}.s1", (code, "specialist"), home=code)
    today = timezone.localdate()
    this_month, last_month = _month_start(today), _month_start(today, 1)
    with schema_context(branch.schema_name):
        for name, headcount, day in (("上月客户", 30, last_month), ("本月客户", 80, this_month)):
            client_services.client_create(actor=staff_user, data=client_services.ClientInput(
                name=name, headcount=headcount, opened_on=day, opened_by=specialist, services=["social_insurance"]))
        services.recompute_drain()
    connection.set_schema_to_public()

    # 3. Branch staff proposes +10% on the opening reward from this month (on a phone).
    staff = page_factory(PHONE)
    login(staff, f"{code}.staff", TEST_PASSWORD)
    staff.goto(f"/b/{code}/commissions/adjustments/")
    staff.select_option("select[name=component]", "opening_reward")
    staff.fill("input[name=percent]", "10.00")
    staff.fill("input[name=effective_from]", this_month.isoformat())
    staff.fill("textarea[name=reason]", "旺季激励")
    submit(staff, "form.form button[type=submit]")
    assert "等待分支机构经理审批" in staff.inner_text(".messages")
    with schema_context(branch.schema_name):
        adj = Adjustment.objects.get()
    connection.set_schema_to_public()
    both_sizes(staff, "branch-adjustments")
    staff.goto(f"/b/{code}/commissions/record/client/")
    both_sizes(staff, "record-client")
    staff.goto(f"/b/{code}/commissions/record/sale/")
    both_sizes(staff, "record-sale")
    staff.goto(f"/b/{code}/commissions/leads/")
    both_sizes(staff, "leads")
    staff.goto(f"/b/{code}/commissions/import/")
    staff.select_option("select[name=kind]", "clients")
    staff.set_input_files("input[name=file]", files=[{
        "name": "clients.csv", "mimeType": "text/csv",
        "buffer": "客户名称,员工人数,开户日期,开户人\n好公司,30,2026-03-01,{u}\n坏公司,abc,2026-03-02,{u}\n".format(
            u=specialist.username).encode()}])
    staff.click("#import-form button[type=submit]")  # HTMX: the panel is replaced in place
    staff.wait_for_selector("[data-testid=import-failed]")
    assert staff.inner_text("[data-testid=import-errors] tbody") == "3\t员工人数\t须为整数。"
    with schema_context(branch.schema_name):
        from clients.models import Client

        assert Client.objects.count() == 2  # the two above; nothing of the file
    connection.set_schema_to_public()
    both_sizes(staff, "import")

    # 4. The manager sees the what-if preview (this month 1,200 → 1,320) and approves.
    manager = page_factory(DESKTOP)
    login(manager, f"{code}.mgr", TEST_PASSWORD)
    manager.goto(f"/b/{code}/commissions/")
    assert "1 项浮动调整待审批" in manager.inner_text("[data-testid=pending-adjustments]")
    both_sizes(manager, "workspace")
    manager.goto(f"/b/{code}/commissions/adjustments/{adj.pk}/")
    this, last = f"{this_month:%Y-%m}", f"{last_month:%Y-%m}"
    assert manager.inner_text(f"[data-testid=total-current-{this}]") == "1,200.00"
    assert manager.inner_text(f"[data-testid=total-what-if-{this}]") == "1,320.00"
    assert manager.locator(f"[data-testid=total-what-if-{last}]").count() == 0  # last month does not change
    assert manager.locator("[data-testid=unchanged-periods]").is_visible()
    both_sizes(manager, "adjustment-what-if")
    manager.fill("textarea[name=note]", "同意")
    submit(manager, "button[value=approve]")
    assert "已批准并报总部备案" in manager.inner_text(".messages")
    assert manager.inner_text("[data-testid=status]") == "已批准"

    # 5. The manager closes last month: the page shows what will be locked, then confirms.
    manager.goto(f"/b/{code}/commissions/periods/{last}/close/")
    assert manager.inner_text("[data-testid=close-total]") == "800.00"
    assert manager.inner_text("[data-testid=people-count]") == "1"
    both_sizes(manager, "period-close")
    manager.check("input[name=confirm]")
    submit(manager, "form.form button[type=submit]")
    assert "已关账" in manager.inner_text(".messages")
    assert BranchPeriod.objects.get(branch=branch, period=last).status == "closed"
    both_sizes(manager, "statements")
    submit(manager, f"a[href='/b/{code}/commissions/statements/{last}/{code}.s1/']")
    assert "开户奖励 800.00 = 800.00" in manager.inner_text("[data-testid=lines]")
    both_sizes(manager, "statement")

    # 6. HQ: the dashboard draws its charts; finance marks the period paid.
    admin.goto(f"/commissions/dashboard/?month={last}")
    # Waited for through the devtools protocol: the page's policy forbids eval.
    expect(admin.locator("canvas")).to_have_count(3)
    wait_for(lambda: admin.evaluate("[...document.querySelectorAll('canvas')].every(c => c.width > 0)"), timeout=30)
    assert admin.evaluate("typeof Chart") == "function"
    assert admin.inner_text(f"[data-testid=payout-{code}-{last}]").startswith("800.00")
    both_sizes(admin, "hq-dashboard")
    finance = page_factory(DESKTOP)
    login(finance, "ui.c.finance", TEST_PASSWORD)
    finance.goto(f"/commissions/finance/?branch={code}")
    both_sizes(finance, "hq-finance-before")
    # 电子工资条: the specialist opens last month's statement on a phone and confirms it.
    phone = page_factory(PHONE)
    login(phone, f"{code}.s1", TEST_PASSWORD)
    phone.goto(f"/b/{code}/commissions/payslip/{last}/")
    assert "800.00" in phone.inner_text("[data-testid=payslip-total]")
    both_sizes(phone, "payslip")
    submit(phone, "[data-testid=payslip-confirm]")
    assert "已确认" in phone.inner_text(".messages")
    # A bank file needs the specialist's payment data: finance fills it in on the page.
    finance.goto(f"/commissions/finance/people/{specialist.pk}/payment/")
    for name, value in (("employee_number", "HZ-001"), ("account_name", "王小明"), ("id_number", "110105199003071239"),
                        ("bank_name", "中国工商银行"), ("bank_branch", "杭州西湖支行"),
                        ("account_number", "6222 0202 0011 2230")):
        finance.fill(f"input[name={name}]", value)
    submit(finance, "[data-testid=payment-save]")
    assert "已保存" in finance.inner_text(".messages")
    both_sizes(finance, "hq-payment-people")
    finance.goto(f"/commissions/finance/?branch={code}")
    assert "提成单已确认 1/1" in finance.inner_text(f"[data-testid=fp-{code}-{last}]")
    submit(finance, f"[data-testid=pay-{code}-{last}]")  # a confirmation first: count and total
    assert finance.inner_text("[data-testid=confirm-count]") == "1 份"
    assert finance.inner_text("[data-testid=confirm-total]") == "800.00 元"
    assert BranchPeriod.objects.get(branch=branch, period=last).status == "closed"
    both_sizes(finance, "hq-finance-confirm")
    submit(finance, "[data-testid=confirm-pay]")  # step 1: prepared, awaiting review
    assert "待另一位总部财务复核" in finance.inner_text(".messages")
    assert BranchPeriod.objects.get(branch=branch, period=last).status == "closed"
    both_sizes(finance, "hq-finance-review")
    finance.fill("[data-testid=review-total-input]", "800.00")  # step 2: the preparer re-enters the total
    submit(finance, "[data-testid=review-confirm]")
    assert "已标记为已发放" in finance.inner_text(".messages")
    assert BranchPeriod.objects.get(branch=branch, period=last).status == "paid"
    with finance.expect_download() as download:
        finance.click(f"a[href='/commissions/payroll/{last}/{code}/csv/']")
    # named in the reader's words (filename*), as the browser saves it
    assert download.value.suggested_filename == f"提成汇总-测试分公司-{int(last[:4])}年{int(last[5:])}月.csv"
    both_sizes(finance, "hq-finance")
