"""Holes found by the review attack on the merged code (after issue #23's fixes), one test each.
Each test failed on the code before its fix."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_branch_manager_never_reads_other_branches_commission_amounts_on_the_company_board(api, branches):
    """A manager sees everything of their own branch; the company-wide board by commission ranks
    every branch's earners by pay, so only HQ (admin, finance) reads it."""
    from commissions.hq.models import EarnerMonthRollup

    bj_manager = make_user("rv_bj_mgr", ("bj", "branch_manager"), home="bj")
    sh_earner = make_user("rv_sh_s1", ("sh", "specialist"), home="sh")
    finance = make_user("rv_finance", (None, "hq_finance"))
    EarnerMonthRollup.objects.create(branch=branches["sh"], period="2026-03", user=sh_earner,
                                     commission=Decimal("48971.82"), openings=2, sales_amount=Decimal("1000.00"))

    refused = api(bj_manager).get("/api/v1/leaderboards/?period=2026-03&metric=commission")
    assert refused.status_code == 403
    assert "48971.82" not in refused.content.decode()
    # The board by openings stays open to every insider, and HQ finance reads the amounts.
    assert api(bj_manager).get("/api/v1/leaderboards/?period=2026-03&metric=openings").status_code == 200
    rows = api(finance).get("/api/v1/leaderboards/?period=2026-03&metric=commission").json()["rows"]
    assert rows == [{"rank": 1, "username": "rv_sh_s1", "value": "48971.82", "gap_to_previous": None}]


@pytest.mark.parametrize("service", [["social_insurance"], {"code": "social_insurance"}, []])
def test_a_sale_whose_service_is_not_text_is_refused_with_a_message(api, branches, service):
    """`service` as a JSON list or object answered 500 (the name lookup hashed it); now 400 on
    the field, and nothing is written."""
    from commissions.models import Sale
    from tests.conftest import in_branch

    staff = make_user("rv_bj_staff", ("bj", "branch_staff"), home="bj")
    r = api(staff).post("/b/bj/api/v1/sales/", {"client": 1, "service": service, "period": "2026-03",
                                                "amount": "100.00", "seller": "rv_bj_staff"}, format="json")
    assert r.status_code == 400, r.content
    assert "service" in r.json()
    with in_branch("bj"):
        assert Sale.objects.count() == 0


def test_a_name_with_a_control_character_never_breaks_an_xlsx_export(api, branches, client):
    """A client named with a control character (only NUL was refused at input then) made every
    XLSX listing it answer 500 (openpyxl refuses the cell). Input now refuses every control
    character but tab and line breaks; a name stored before that (or by any other path) is still
    exported: the export writer drops what a spreadsheet cannot hold, and still escapes a formula
    hidden behind it."""
    import io

    from openpyxl import load_workbook

    from clients.models import Client as Company
    from tests.conftest import in_branch

    staff = make_user("rv_bj_staff2", ("bj", "branch_staff"), home="bj")
    make_user("rv_bj_s1", ("bj", "specialist"), home="bj")
    for name, contract in (("控制\x01字符公司", "HT-CTRL-1"), ("\x1f=HYPERLINK(\"http://x/\")", "HT-CTRL-2")):
        body = {"name": name, "contract_no": contract, "headcount": 10, "services": ["social_insurance"],
                "opened_by": "rv_bj_s1", "opened_on": "2026-03-02", "city": "beijing"}
        refused = api(staff).post("/b/bj/api/v1/clients/", body, format="json")
        assert (refused.status_code, refused.json()) == (400, {"name": ["含有不允许的控制字符。"]})
        created = api(staff).post("/b/bj/api/v1/clients/", dict(body, name=f"公司 {contract}"), format="json")
        assert created.status_code == 201, created.content
        with in_branch("bj"):
            Company.objects.filter(pk=created.json()["id"]).update(name=name)
    client.force_login(staff)
    r = client.get("/b/bj/clients/?format=xlsx")
    assert r.status_code == 200
    names = [row[0] for row in load_workbook(io.BytesIO(r.content)).active.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(["控制字符公司", "'=HYPERLINK(\"http://x/\")"])


@pytest.mark.parametrize("name", [1.5, ["北京"], {"zh": "北京"}, True])
def test_a_policy_published_with_a_city_name_that_is_not_text_is_refused(api, name):
    """POST /api/v1/si/policies/publish/ with `name` as a JSON number, list or object answered 500
    (`.strip()` on it); now 400 on the field and no policy is written."""
    from social_insurance.policies.models import CityPolicy

    admin = make_user("rv_hq_admin", (None, "hq_admin"))
    before = CityPolicy.objects.count()
    r = api(admin).post("/api/v1/si/policies/publish/", {
        "city": "rv-new-city", "name": name, "year": "2027年度", "effective_from": "2027-01-01",
        "items": {}, "sources": ["x"], "confidence": "high"}, format="json")
    assert r.status_code == 400, r.content
    assert "name" in r.json()
    assert CityPolicy.objects.count() == before


@pytest.mark.parametrize("kind, title, body", [
    ("commission_paid", "您的2026年3月提成12,345.67元已到账", "开户奖励 12,345.67 元"),
    ("reward_claim", "您的开户奖励申领 #1 已通过", "客户「北京蓝海餐饮」的开户奖励 800.00 元已确认"),
    # found by the sixth review: every other kind went out word for word — a statement's total,
    # a client's dispute of a fee statement and the office's answer, a lead's possible duplicate
    ("statement_ready", "2026年3月提成单已出", "合计 12,345.67 元,请核对"),
    ("statement_reminder", "请确认2026年3月提成单", "合计 12,345.67 元"),
    ("si_statement_disputed", "北京蓝海餐饮对费用明细表提出异议", "马涛12,345.67应为18000"),
    ("si_statement_reply", "费用明细表异议已答复", "已核实马涛申报工资为12,345.67(北京蓝海餐饮)"),
    ("lead_possible_duplicate", "线索可能重复", "#10 北京蓝海餐饮 与 #8 同名"),
    ("a_kind_added_later", "新类型 12,345.67", "北京蓝海餐饮"),
])
def test_the_branch_webhook_never_carries_one_persons_pay(branches, monkeypatch, kind, title, body):
    """The branch's webhook is a group chat every colleague reads; a paid notice posted the
    person's commission there ("您的…12,345.67元已到账"). It now says only who has news."""
    from notifications import channels, services
    from notifications.models import ChannelConfig
    from tests.conftest import in_branch

    sent = []
    monkeypatch.setattr(channels, "send_webhook", lambda url, t, b, **kw: sent.append(f"{t}\n{b}"))
    earner = make_user("rv_bj_s9", ("bj", "specialist"), home="bj")
    earner.display_name = "王芳"
    earner.save()
    with in_branch("bj"):
        ChannelConfig.objects.update_or_create(pk=1, defaults={"webhook_url": "https://qyapi.weixin.qq.com/x",
                                                                "email_enabled": False})
        note = services.notification_create(recipient_id=earner.pk, title=title, body=body, kind=kind)
        assert services.notification_deliver(notification_id=note.pk) == {"webhook": "sent"}
    assert len(sent) == 1
    assert "王芳" in sent[0]
    assert "12,345.67" not in sent[0] and "800.00" not in sent[0] and "蓝海" not in sent[0]


@pytest.mark.django_db
def test_a_specialist_reads_no_insured_persons_wage_nor_a_clients_fee_statement(api, branches):
    """The review found `GET …/si/employees/` giving a specialist every insured person's wage and
    masked identity number; insured people and fee statements are the office's (role matrix)."""
    from social_insurance.models import FeeStatement
    from tests.conftest import in_branch
    from tests.social_insurance.helpers import add_employee, make_client

    staff = make_user("rv_staff", ("bj", "branch_staff"), home="bj")
    specialist = make_user("rv_s1", ("bj", "specialist"), home="bj")
    with in_branch("bj"):
        client = make_client("评审客户", staff)
        add_employee(client, 1, "12345.60", "2025-06-10", actor=staff)
        statement = FeeStatement.objects.create(client=client, period="2025-07", employer_total=Decimal("100.00"),
                                                employee_total=Decimal("20.00"), total=Decimal("120.00"))

    assert len(api(staff).get("/b/bj/api/v1/si/employees/").json()) == 1
    assert api(specialist).get("/b/bj/api/v1/si/employees/").json() == []
    assert api(specialist).get("/b/bj/api/v1/si/statements/").json() == []
    from django.test import Client

    page = Client()
    page.force_login(specialist)
    assert page.get(f"/b/bj/si/statements/{statement.pk}/").status_code == 404


# Found by the attack review of 2026-12-05.
@pytest.mark.parametrize("employee", ["abc", [1], {"a": 1}, "1e5", "NaN", "２０２６-12", 1.5, True])
def test_a_base_dispute_with_an_employee_that_is_not_a_whole_number_is_refused_with_a_message(api, branches,
                                                                                              employee):
    """`employee` as text, a list, an object or 1e5 answered 500 (the lookup raised); 1.5 and
    true were taken as employee 1. Now 400 on the field, nothing written."""
    from social_insurance.models import BaseDispute
    from tests.conftest import in_branch

    staff = make_user("rv_si_staff", ("bj", "branch_staff"), home="bj")
    r = api(staff).post("/b/bj/api/v1/si/disputes/", {"period": "2026-11", "employee": employee,
                                                      "claimed_wage": "5000.00", "reason": "x"}, format="json")
    assert r.status_code == 400 and "employee" in r.json(), r.content
    with in_branch("bj"):
        assert not BaseDispute.objects.exists()


def test_a_department_members_position_longer_than_its_column_is_refused_with_a_message(api, branches):
    """A 200-character position answered 500 (the column holds 40)."""
    from performance.models import Department, DepartmentMember
    from tests.conftest import in_branch

    manager = make_user("rv_boss", ("bj", "branch_manager"), home="bj")  # who places people
    make_user("rv_member", ("bj", "specialist"), home="bj")
    with in_branch("bj"):
        Department.objects.create(code="si", name="社保部")
    r = api(manager).post("/b/bj/api/v1/performance/departments/si/members/",
                        {"username": "rv_member", "position": "岗" * 200}, format="json")
    assert r.status_code == 400 and "position" in r.json(), r.content
    with in_branch("bj"):
        assert not DepartmentMember.objects.exists()


def test_appraisal_values_past_the_row_cap_are_refused_before_any_is_read(api, branches):
    """40,000 rows tied a web worker up past its 30 s timeout (a 500); the rows per request are
    capped (a large branch's month fits) and the cap answers at once, writing nothing."""
    import time

    from performance.apis import MAX_VALUE_ROWS
    from performance.models import EnteredValue
    from tests.conftest import in_branch

    staff = make_user("rv_values_hr", ("bj", "branch_staff"), home="bj")
    rows = [{"metric": "claim_days", "username": "nobody", "value": "1.00"}] * (MAX_VALUE_ROWS + 1)
    started = time.monotonic()
    r = api(staff).post("/b/bj/api/v1/performance/values/", {"period": "2026-03", "rows": rows}, format="json")
    assert r.status_code == 400 and "rows" in r.json(), r.content
    assert time.monotonic() - started < 5
    with in_branch("bj"):
        assert not EnteredValue.objects.exists()


def test_a_payout_total_too_large_to_hold_to_the_fen_is_refused_with_a_message(api, branches):
    """A total of 40 nines answered 500 (quantize to the fen overflowed)."""
    finance = make_user("rv_payout_finance", (None, "hq_finance"))
    r = api(finance).post("/api/v1/payouts/bj/2026-03/prepare/", {"statements": "9", "total": "9" * 40}, format="json")
    assert r.status_code == 400 and "金额过大" in str(r.json()), r.content


def test_a_specialist_cannot_tell_an_insured_person_from_a_missing_one_through_a_base_dispute(api, branches):
    """A specialist sees no insured person's record: a base dispute naming one answers exactly as
    one naming nobody (it answered with the month's filing state, so the person existed)."""
    from social_insurance.models import BaseDispute
    from tests.conftest import in_branch
    from tests.social_insurance.helpers import add_employee, make_client

    staff = make_user("rv_disp_staff", ("bj", "branch_staff"), home="bj")
    specialist = make_user("rv_disp_s1", ("bj", "specialist"), home="bj")
    with in_branch("bj"):
        employee = add_employee(make_client("北京乙公司", staff), 1, "12000", "2025-06-01", actor=staff)
    body = {"period": "2025-07", "claimed_wage": "15000.00", "reason": "工资申报有误"}
    existing = api(specialist).post("/b/bj/api/v1/si/disputes/", {**body, "employee": employee.pk}, format="json")
    missing = api(specialist).post("/b/bj/api/v1/si/disputes/", {**body, "employee": 999999}, format="json")
    assert existing.status_code == missing.status_code == 400
    assert existing.json() == missing.json() and "employee" in existing.json()
    with in_branch("bj"):
        assert not BaseDispute.objects.exists()


@pytest.mark.parametrize("path, field, role", [
    ("/b/bj/api/v1/si/months/2025-07/file/", "receipt_no", "branch_staff"),
    ("/b/bj/api/v1/si/months/2025-07/file/", "receipt_note", "branch_staff"),
    ("/b/bj/api/v1/leads/1/stage/", "note", "branch_manager"),
    ("/b/bj/api/v1/planning/suggestions/draft/", "kind", "branch_manager"),
])
@pytest.mark.parametrize("value", [["x"], {"a": 1}, True])
def test_a_text_field_given_a_list_an_object_or_true_is_refused_on_the_field(api, branches, path, field, role, value):
    """Such values were stored as their Python spelling ("['x']"); refused before anything is
    looked up, whatever the rest of the body."""
    user = make_user(f"rv_text_{role}", ("bj", role), home="bj")
    r = api(user).post(path, {field: value}, format="json")
    assert r.status_code == 400 and "须为文本" in " ".join(r.json()[field]), r.content
