"""Client money in the browser: staff record a payment on the fee statement (the amount reads as
money once typed) and reverse it; the client contact's pages — fees and payments, a statement,
the people insured through them — at 375 px and 1280 px: they fit, speak people's words, and a
staff page answers 404. Screenshots in test-artifacts/screenshots/."""
from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.browser.conftest import DESKTOP, PHONE, login, shot, submit
from tests.browser.shell_checks import Watch, key_leaks, overflow, unseparated_amounts, visible_text
from tests.factories import TEST_PASSWORD, make_user

pytestmark = pytest.mark.browser


def _person(username, role, code, name):
    user = make_user(username, (code, role), home=code)
    user.display_name = name
    user.save()
    return user


def test_staff_record_a_payment_and_the_client_reads_their_money_on_a_phone_and_a_desktop(committed_branch,
                                                                                           page_factory):
    from clients.models import Client
    from social_insurance import services
    from social_insurance.models import ClientContact, FeePayment, FeeStatement
    from tests.social_insurance.helpers import add_employee

    code = committed_branch.code
    staff = _person(f"{code}_staff", "branch_staff", code, "李运营")
    contact = _person(f"{code}_client", "client_contact", code, "赵客户")
    with schema_context(committed_branch.schema_name):
        client = Client.objects.create(name="晨光科技有限公司", headcount=10, opened_on="2024-01-01", opened_by=staff,
                                       services=["social_insurance"], city="beijing")
        other = Client.objects.create(name="远方贸易有限公司", headcount=10, opened_on="2024-01-01", opened_by=staff,
                                      services=["social_insurance"], city="beijing")
        ClientContact.objects.create(user=contact, client=client)
        add_employee(client, 1, "12000", "2025-06-10", actor=staff)
        add_employee(other, 2, "9000", "2025-06-10", actor=staff)
        services.month_compute(actor=staff, period="2025-08")
        statement = FeeStatement.objects.get(client=client, period="2025-08")
        strangers = FeeStatement.objects.get(client=other, period="2025-08")

    # Staff, desktop: 登记回款 with the amount formatted as typed-and-left.
    page = page_factory(DESKTOP)
    watch = Watch(page)
    login(page, staff.username, TEST_PASSWORD)
    page.goto(f"/b/{code}/si/statements/{statement.pk}/")
    page.fill("#pay-amount", "1200.5")
    assert page.input_value("#pay-amount") == "1200.5"
    page.fill("#pay-ref", "B-2025-0820")  # leaving the amount
    assert page.input_value("#pay-amount") == "1,200.50"
    page.fill("#pay-day", "2025-08-20")
    page.click("[data-testid=si-payment-form] button[type=submit]")
    page.wait_for_selector("[data-testid=si-payment]")
    assert "1,200.50" in page.locator("[data-testid=si-payments]").inner_text()
    assert page.locator("[data-testid=si-money-paid]").inner_text() == "1,200.50"
    # A refused amount: the message, nothing saved.
    page.fill("#pay-amount", "1,2")
    page.locator("#pay-ref").focus()
    assert page.input_value("#pay-amount") == "1,2"  # left as typed
    submit(page, "[data-testid=si-payment-form] button[type=submit]")
    assert "不是有效的金额" in visible_text(page)
    with schema_context(committed_branch.schema_name):
        assert [str(a) for a in FeePayment.objects.values_list("amount", flat=True)] == ["1200.50"]
    shot(page, "client-money-statement-staff-desktop")
    page.goto(f"/b/{code}/si/arrears/")
    assert "晨光科技有限公司" in visible_text(page) and "90 天以上" in visible_text(page)
    assert overflow(page) <= 0
    shot(page, "client-money-arrears-desktop")
    assert watch.errors == [] and watch.failed == []

    # The client contact, phone then desktop.
    checked = 0
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = page_factory(viewport)
        watch = Watch(page)
        login(page, contact.username, TEST_PASSWORD)
        for name, path in (("home", f"/b/{code}/"), ("statement", f"/b/{code}/si/statements/{statement.pk}/"),
                           ("people", f"/b/{code}/si/account/people/?period=2025-08")):
            response = page.goto(path)
            assert response.status == 200, path
            text = visible_text(page)
            assert "晨光科技有限公司" in text or name == "people", path
            assert "远方贸易有限公司" not in text and "员工2" not in text, path
            assert overflow(page) <= 0, (size, path)
            assert key_leaks(text) == [], (size, path, key_leaks(text))
            assert unseparated_amounts(text) == [], (size, path)
            shot(page, f"client-money-{name}-{size}")
            checked += 1
        page.goto(f"/b/{code}/")
        text = visible_text(page)
        assert "1,200.50" in text and "B-2025-0820" in text and "已逾期" in text
        assert page.locator(f"a[href='/b/{code}/si/account/people/']").count() >= 1  # in the menu
        page.goto(f"/b/{code}/si/statements/{statement.pk}/")
        assert page.locator("[data-testid=si-payment-form]").count() == 0
        assert watch.errors == [] and watch.failed == [], (watch.errors, watch.failed)
        for path in (f"/b/{code}/si/arrears/", f"/b/{code}/si/statements/{strangers.pk}/", f"/b/{code}/si/"):
            assert page.goto(path).status == 404, path
    assert checked == 6
