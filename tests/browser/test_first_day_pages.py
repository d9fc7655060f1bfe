"""A new branch's first day and its first appraisal, in a browser at 375 px and at 1280 px: the
manager's first steps on the workbench, the hint on the template form, a department made on
the departments page, and a quarter's cycle page naming missing values with its awards control
and the two finalise ticks — nothing scrolls sideways, no internal key shows."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from tests.browser.conftest import DESKTOP, PHONE, login, shot, submit, switch_language
from tests.browser.shell_checks import overflow
from tests.factories import TEST_PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_first_day_and_first_quarter_pages(committed_branch, page_factory, viewport):
    from django.utils import timezone

    from performance import engine, services

    code, size = committed_branch.code, "phone" if viewport == PHONE else "desktop"
    make_user(f"fd.mgr.{size}", (code, "branch_manager"), home=code)
    page = page_factory(viewport)
    login(page, f"fd.mgr.{size}", TEST_PASSWORD)

    assert page.goto(f"/b/{code}/").status == 200
    todos = page.inner_text("[data-testid=wb-todos]")
    assert "添加第一个客户" in todos and "建立部门" in todos and "本月社保尚未计算" not in todos
    assert overflow(page) <= 0
    shot(page, f"first-day-workbench-{size}")

    assert page.goto(f"/b/{code}/performance/templates/new/").status == 200
    assert page.locator("[data-testid=no-departments-hint]").is_visible()
    assert overflow(page) <= 0
    submit(page, "[data-testid=create-department-link]")  # a link: wait for the page it opens
    assert page.locator("[data-testid=department-new]").is_visible()
    assert overflow(page) <= 0
    shot(page, f"first-day-departments-{size}")
    page.fill("[data-testid=department-new] input[name=name]", "客服部")
    page.fill("[data-testid=department-new] input[name=star_title]", "客服之星")
    submit(page, "[data-testid=department-new] button[type=submit]")
    assert "已建立客服部" in page.inner_text("main") and overflow(page) <= 0

    today = timezone.localdate()
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    with schema_context(committed_branch.schema_name):
        from performance.models import Department

        dept = Department.objects.get(name="客服部")
        people = [make_user(f"fd.p{n}.{size}", (code, "specialist"), home=code) for n in range(3)]
        for person in people:
            services.member_set(actor=None, department=dept, user=person)
        spec = engine.IndicatorSpec(code="q", name="服务质量", metric="quality", weight=Decimal(100),
                                    target=Decimal(100))
        services.template_create(actor=None, code="cs-kpi", name="客服部考核", department=dept, first=services.VersionInput(
            "all", "", (), today.replace(month=1, day=1), (spec,)))
        services.values_enter(actor=None, period=quarter, rows=[
            services.ValueInput("quality", Decimal(90), user_id=people[0].pk)])
        cycle = services.cycle_create(actor=None, period=quarter)
        services.cycle_compute(cycle_id=cycle.pk)

    assert page.goto(f"/b/{code}/performance/cycles/{cycle.pk}/").status == 200
    main = page.inner_text("main")
    assert page.locator("[data-testid=missing-values]").is_visible() and "2 人的得分缺少数据" in main
    assert "满分 100.00" in main and "quality" not in main and quarter not in main
    assert page.locator("[data-testid=awards-form]").is_visible()
    assert page.locator("[data-testid=accept-missing]").is_visible()
    assert overflow(page) <= 0
    shot(page, f"first-quarter-cycle-{size}")
    # values are missing: the awards, like finalising, take the second tick
    assert page.locator("[data-testid=awards-accept-missing]").is_visible()
    page.check("[data-testid=awards-accept-missing] input")
    submit(page, "[data-testid=awards-form] button[type=submit]")
    assert "客服之星" in page.inner_text("main") and overflow(page) <= 0

    switch_language(page, "en")  # longer words, same widths
    main = page.inner_text("main")
    assert "2 people's scores lack values" in main and "out of 100.00" in main and quarter not in main
    assert overflow(page) <= 0
    shot(page, f"first-quarter-cycle-en-{size}")
    for url in (f"/b/{code}/", f"/b/{code}/performance/departments/"):
        assert page.goto(url).status == 200 and overflow(page) <= 0, url
