"""Client money through the API and the pages: payments (回款) recorded and reversed on a fee
statement, arrears aged per client (欠费), the money dates, and the client contact's own pages.
Every refusal is clear and writes nothing; another client's contact gets 404."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from social_insurance import services
from social_insurance.models import (ClientContact, ClientMoneyPolicy, ContributionLine, FeePayment, FeeStatement,
                                     FeeStatementCharge)
from tests.conftest import in_branch
from tests.factories import make_user
from tests.json_numbers import NUMBERS, N, post_json, refusal

from .helpers import add_employee, make_client, web

pytestmark = pytest.mark.django_db
D = Decimal
AUG, SEP = "2025-08", "2025-09"



@pytest.fixture
def setup(branches):
    p = {
        "staff": make_user("bj_staff", ("bj", "branch_staff"), home="bj"),
        "manager": make_user("bj_manager", ("bj", "branch_manager"), home="bj"),
        "specialist": make_user("bj_s1", ("bj", "specialist"), home="bj"),
        "contact": make_user("bj_contact", ("bj", "client_contact"), home="bj"),
        "other": make_user("bj_contact2", ("bj", "client_contact"), home="bj"),
        "sh_staff": make_user("sh_staff", ("sh", "branch_staff"), home="sh"),
    }
    with in_branch("bj"):
        mine = make_client("北京甲公司", p["staff"])
        theirs = make_client("北京乙公司", p["staff"])
        ClientContact.objects.create(user=p["contact"], client=mine)
        ClientContact.objects.create(user=p["other"], client=theirs)
        add_employee(mine, 1, "10000", "2025-06-10", actor=p["staff"])
        add_employee(theirs, 2, "12000", "2025-06-10", actor=p["staff"])
        for period in (AUG, SEP):
            services.month_compute(actor=p["staff"], period=period)
        services.month_reconcile(actor=p["staff"], period=AUG)
        services.month_file(actor=p["staff"], period=AUG, receipt_no="R-1")
        p["st"] = {(c, m): FeeStatement.objects.get(client=c, period=m) for c in (mine, theirs) for m in (AUG, SEP)}
        p["mine"], p["theirs"] = mine, theirs
    return p


def _social_insurance(statement) -> D:
    """The statement's contributions without its housing fund (the person pays some): the late
    fee's base. The housing fund carries no statutory late fee."""
    with in_branch("bj"):
        housing_fund = sum((line.employer_amount + line.employee_amount for line in ContributionLine.objects.filter(
            client_id=statement.client_id, period=statement.period, kind="housing_fund")), D("0.00"))
    assert housing_fund > 0
    return statement.total - housing_fund


def _counts():
    with in_branch("bj"):
        return (FeePayment.objects.count(), FeePayment.history.count(), FeeStatementCharge.objects.count(),
                ClientMoneyPolicy.objects.count())


# --- API ------------------------------------------------------------------------------------
@pytest.mark.parametrize("literal", NUMBERS)
def test_a_payment_sent_as_a_json_number_is_refused_and_nothing_recorded(setup, api, literal):
    aug = setup["st"][(setup["mine"], AUG)]
    url = f"/b/bj/api/v1/si/statements/{aug.pk}/payments/"
    before = _counts()

    r = post_json(api(setup["staff"]), url, {"amount": N, "paid_on": "2025-08-20"}, literal)

    assert r.status_code == 400 and r.json() == {"amount": [refusal()]}
    assert _counts() == before
    r = post_json(api(setup["staff"]), url, {"amount": N, "paid_on": "2025-08-20"}, '"1000.00"')
    assert r.status_code == 201 and r.json()["amount"] == "1000.00"


def test_record_list_and_reverse_payments_through_the_api_and_a_late_payment_gets_its_late_fee(setup, api):
    aug = setup["st"][(setup["mine"], AUG)]
    url = f"/b/bj/api/v1/si/statements/{aug.pk}/payments/"
    r = api(setup["staff"]).post(url, {"amount": "1,000.00", "paid_on": "2025-08-20", "reference": "B-1"}, format="json")
    assert r.status_code == 201, r.json()
    assert (r.json()["amount"], r.json()["paid_on"], r.json()["reference"]) == ("1000.00", "2025-08-20", "B-1")
    rest = aug.total - D("1000.00")
    r = api(setup["staff"]).post(url, {"amount": str(rest), "paid_on": "2025-09-06"}, format="json")
    assert r.status_code == 201

    body = api(setup["contact"]).get(url).json()  # the client reads their own
    assert (body["due"], body["paid"], body["outstanding"], body["settled_on"]) == (
        f"{aug.total:.2f}", f"{aug.total:.2f}", "0.00", "2025-09-06")
    assert body["due_on"] == "2025-08-15" and len(body["payments"]) == 2

    # 12 days late on what arrived on 6 September: the line is on September's statement.
    sep = setup["st"][(setup["mine"], SEP)]
    # The 1,000.00 on time covered social-insurance contributions first; the rest of them was late.
    late = _social_insurance(aug) - D("1000.00")
    fee = (late * D("0.0005") * 12).quantize(D("0.01"))
    charges = api(setup["staff"]).get(f"/b/bj/api/v1/si/statements/{sep.pk}/payments/").json()["charges"]
    assert [(c["kind"], c["service"], c["amount"]) for c in charges] == [("late_fee", AUG, f"{fee:.2f}")]
    assert f"{late:,.2f} 元 × 0.05% × 12 天" in charges[0]["explanation"]

    # The reversal names the payment; the late fee goes with it. A reason that is not text (a
    # list was stored as "[1, 2]" and reversed the payment) or too long (was cut) changes nothing.
    late_id = body["payments"][1]["id"]
    for reason, words in (([1, 2], "须为文本"), ({"a": 1}, "须为文本"), ("退" * 301, "不能超过 300 个字符(现为 301 个)")):
        r = api(setup["staff"]).post(f"/b/bj/api/v1/si/payments/{late_id}/reverse/", {"reason": reason}, format="json")
        assert r.status_code == 400 and words in " ".join(r.json()["reason"]), r.content
    assert len(api(setup["staff"]).get(url).json()["payments"]) == 2
    r = api(setup["staff"]).post(f"/b/bj/api/v1/si/payments/{late_id}/reverse/", {"reason": "银行退票"}, format="json")
    assert r.status_code == 201 and r.json()["reverses"] == late_id and r.json()["amount"] == f"{-rest:.2f}"
    assert api(setup["staff"]).get(f"/b/bj/api/v1/si/statements/{sep.pk}/payments/").json()["charges"] == []
    r = api(setup["staff"]).post(f"/b/bj/api/v1/si/payments/{late_id}/reverse/", {"reason": "再次"}, format="json")
    assert r.status_code == 400 and "已冲销" in str(r.json())


def test_the_statement_list_gives_what_the_client_is_billed_as_its_page_does(setup, api):
    # `total` is the contributions; the client is billed those plus the statement's charges
    # (a late fee here), as the statement's page and its payments say.
    aug, sep = setup["st"][(setup["mine"], AUG)], setup["st"][(setup["mine"], SEP)]
    r = api(setup["staff"]).post(f"/b/bj/api/v1/si/statements/{aug.pk}/payments/",
                                 {"amount": f"{aug.total:.2f}", "paid_on": "2025-09-06"}, format="json")
    assert r.status_code == 201
    fee = (_social_insurance(aug) * D("0.0005") * 12).quantize(D("0.01"))  # 12 days late, as above
    for who in ("staff", "contact"):
        rows = {s["period"]: s for s in api(setup[who]).get("/b/bj/api/v1/si/statements/").json()
                if s["client"] == setup["mine"].pk}
        assert (rows[SEP]["total"], rows[SEP]["charges_total"], rows[SEP]["due"], rows[SEP]["paid"],
                rows[SEP]["outstanding"]) == (f"{sep.total:.2f}", f"{fee:.2f}", f"{sep.total + fee:.2f}", "0.00",
                                              f"{sep.total + fee:.2f}")
        assert (rows[AUG]["due"], rows[AUG]["paid"], rows[AUG]["outstanding"]) == (f"{aug.total:.2f}",) * 2 + ("0.00",)
        money = api(setup[who]).get(f"/b/bj/api/v1/si/statements/{sep.pk}/payments/").json()
        assert (money["due"], money["outstanding"]) == (rows[SEP]["due"], rows[SEP]["outstanding"])
    # a client contact's list holds their own company's statements only
    assert {s["client"] for s in api(setup["contact"]).get("/b/bj/api/v1/si/statements/").json()} == {setup["mine"].pk}
    # answering a statement returns the same figures
    r = api(setup["contact"]).post(f"/b/bj/api/v1/si/statements/{sep.pk}/confirm/", {}, format="json")
    assert r.status_code == 200 and r.json()["due"] == f"{sep.total + fee:.2f}", r.content
    with in_branch("bj"):
        assert FeeStatement.objects.get(pk=sep.pk).total == sep.total


def test_charges_are_explained_in_the_readers_language(setup, api):
    """A service fee and a late fee, read by the client contact in Chinese and with the language
    switch on English: the same arithmetic, in words, dates and months in the locale's format."""
    from django.conf import settings

    aug, sep = setup["st"][(setup["mine"], AUG)], setup["st"][(setup["mine"], SEP)]
    with in_branch("bj"):
        setup["mine"].fee_social_insurance = D("1250")
        setup["mine"].save()
        services.month_compute(actor=setup["staff"], period=SEP)
    url = f"/b/bj/api/v1/si/statements/{aug.pk}/payments/"
    assert api(setup["staff"]).post(url, {"amount": f"{aug.total:.2f}", "paid_on": "2025-08-26"},
                                    format="json").status_code == 201
    base = _social_insurance(aug)
    fee = (base * D("0.0005")).quantize(D("0.01"))
    contact = api(setup["contact"])
    words = {c["kind"]: c["explanation"] for c in contact.get(f"/b/bj/api/v1/si/statements/{sep.pk}/payments/")
             .json()["charges"]}
    assert words == {
        "service_fee": "1 人 × 1,250.00 元/人·月",
        "late_fee": f"2025年8月社保费逾期缴纳(住房公积金不计;法定截止 2025年8月25日):单位及个人缴费 {base:,.2f} 元 × 0.05% × 1 天"
                    f"(2025年8月26日至2025年8月26日)= {fee:,.2f} 元"}
    contact.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    words = {c["kind"]: c["explanation"] for c in contact.get(f"/b/bj/api/v1/si/statements/{sep.pk}/payments/")
             .json()["charges"]}
    assert words == {
        "service_fee": "1 person × 1,250.00 yuan per person per month",
        "late_fee": f"Social insurance for August 2025 paid late (housing fund excluded; statutory deadline Aug. 25, 2025): "
                    f"contributions {base:,.2f} yuan × 0.05% × 1 day (Aug. 26, 2025 to Aug. 26, 2025) = "
                    f"{fee:,.2f} yuan"}
    page = web(setup["contact"])
    page.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = page.get(f"/b/bj/si/statements/{sep.pk}/").content.decode()
    assert "1 person × 1,250.00 yuan per person per month" in html and "paid late (housing fund excluded; statutory deadline" in html
    assert "元/人·月" not in html and "逾期缴纳" not in html
    with in_branch("bj"):  # and as billed, in Chinese, with the charge
        assert FeeStatementCharge.objects.get(statement=sep, kind="service_fee").explanation == "1 人 × 1250.00 元/人·月"


def test_a_late_fee_posted_before_its_values_were_kept_gets_them_without_a_new_posting(setup, api):
    from social_insurance.late_fees import late_fees_post

    aug, sep = setup["st"][(setup["mine"], AUG)], setup["st"][(setup["mine"], SEP)]
    assert api(setup["staff"]).post(f"/b/bj/api/v1/si/statements/{aug.pk}/payments/",
                                    {"amount": f"{aug.total:.2f}", "paid_on": "2025-09-06"}, format="json").status_code == 201
    with in_branch("bj"):
        charge = FeeStatementCharge.objects.get(statement=sep, kind="late_fee")
        values, records = charge.args, charge.history.count()
        FeeStatementCharge.objects.filter(pk=charge.pk).update(args={})  # as posted before
        run = late_fees_post(actor=setup["staff"], client_id=setup["mine"].pk)
        charge.refresh_from_db()
        assert (run.written, charge.args, charge.history.count()) == (0, values, records)


def test_service_fees_billed_before_their_values_were_kept_get_them_from_their_sentence(setup):
    import importlib

    from django.db import connection

    migration = importlib.import_module("social_insurance.migrations.0012_charge_values")
    with in_branch("bj"):
        sep = setup["st"][(setup["mine"], SEP)]
        old = FeeStatementCharge.objects.create(statement=sep, kind="service_fee", service="housing_fund",
                                                amount=D("60.00"), explanation="2 人 × 30.00 元/人·月")
        odd = FeeStatementCharge.objects.create(statement=sep, kind="service_fee", service="payroll_outsourcing",
                                                amount=D("5.00"), explanation="按合同")
        with connection.cursor() as cur:
            cur.execute(migration.SERVICE_FEE_VALUES)
        old.refresh_from_db()
        odd.refresh_from_db()
    assert old.args == {"n": 2, "fee": "30.00"} and odd.args == {}
    from django.utils import translation

    with translation.override("en"):
        assert (old.explanation_text, odd.explanation_text) == ("2 people × 30.00 yuan per person per month", "按合同")


@pytest.mark.parametrize("body, field, words", [
    ({"amount": "1e5", "paid_on": "2025-09-01"}, "amount", "不是有效的金额"),
    ({"amount": "0", "paid_on": "2025-09-01"}, "amount", "金额须大于 0"),
    ({"amount": "-5", "paid_on": "2025-09-01"}, "amount", "金额须大于 0"),
    ({"amount": "10.005", "paid_on": "2025-09-01"}, "amount", "最多保留 2 位小数"),
    ({"amount": "99999999.00", "paid_on": "2025-09-01"}, "amount", "超过该费用明细表未付余额"),
    ({"amount": "10.00", "paid_on": "2099-01-01"}, "paid_on", "晚于今天"),
    ({"amount": "10.00", "paid_on": "2025/09/01"}, "paid_on", "YYYY-MM-DD"),
    ({"amount": "10.00"}, "paid_on", "必填"),
])
def test_a_bad_payment_is_refused_on_its_field_and_writes_nothing(setup, api, body, field, words):
    aug = setup["st"][(setup["mine"], AUG)]
    before = _counts()
    r = api(setup["staff"]).post(f"/b/bj/api/v1/si/statements/{aug.pk}/payments/", body, format="json")
    assert r.status_code == 400 and words in " ".join(r.json()[field])
    assert _counts() == before


def test_who_may_record_read_and_reverse(setup, api):
    aug = setup["st"][(setup["mine"], AUG)]
    theirs = setup["st"][(setup["theirs"], AUG)]
    url = f"/b/bj/api/v1/si/statements/{aug.pk}/payments/"
    body = {"amount": "10.00", "paid_on": "2025-09-01"}
    before = _counts()
    for who, expected in (("contact", 403), ("specialist", 403), ("sh_staff", 404)):
        assert api(setup[who]).post(url, body, format="json").status_code == expected, who
    assert api(None).post(url, body, format="json").status_code in (401, 403)
    # Another client's contact: the same 404 as a statement that does not exist.
    assert api(setup["contact"]).get(f"/b/bj/api/v1/si/statements/{theirs.pk}/payments/").status_code == 404
    assert api(setup["contact"]).get("/b/bj/api/v1/si/statements/999999/payments/").status_code == 404
    assert api(setup["specialist"]).get(url).status_code == 403
    assert _counts() == before

    payment = api(setup["staff"]).post(url, body, format="json").json()
    reverse = f"/b/bj/api/v1/si/payments/{payment['id']}/reverse/"
    before = _counts()
    assert api(setup["contact"]).post(reverse, {"reason": "x"}, format="json").status_code == 403
    r = api(setup["staff"]).post(reverse, {"reason": " "}, format="json")
    assert r.status_code == 400 and "请说明原因" in str(r.json())
    assert api(setup["staff"]).post("/b/bj/api/v1/si/payments/999999/reverse/", {"reason": "x"},
                                    format="json").status_code == 404
    assert _counts() == before


def test_arrears_api_ages_each_clients_statements_and_a_contact_sees_only_their_own(setup, api):
    body = api(setup["staff"]).get("/b/bj/api/v1/si/arrears/").json()
    assert {c["client_name"] for c in body["clients"]} == {"北京甲公司", "北京乙公司"}
    st = setup["st"]
    assert D(body["total"]) == sum(s.total for s in st.values())
    # Today is long after August and September 2025: both are over 90 days overdue.
    assert D(body["buckets"]["over_90"]) == D(body["total"]) and body["buckets"]["not_due"] == "0.00"
    mine = api(setup["contact"]).get("/b/bj/api/v1/si/arrears/").json()
    assert [c["client_name"] for c in mine["clients"]] == ["北京甲公司"]
    assert D(mine["total"]) == st[(setup["mine"], AUG)].total + st[(setup["mine"], SEP)].total
    assert api(setup["specialist"]).get("/b/bj/api/v1/si/arrears/").status_code == 403


def test_money_settings_are_the_managers_and_a_bad_day_writes_nothing(setup, api):
    url = "/b/bj/api/v1/si/money-settings/"
    assert api(setup["staff"]).get(url).json() == {"payment_due_day": 15, "contribution_due_day": 25}
    before = _counts()
    assert api(setup["staff"]).post(url, {"payment_due_day": 10}, format="json").status_code == 403
    r = api(setup["manager"]).post(url, {"payment_due_day": 27}, format="json")
    assert r.status_code == 400 and "不能晚于法定缴费截止日" in str(r.json())
    r = api(setup["manager"]).post(url, {"contribution_due_day": "三十"}, format="json")
    assert r.status_code == 400 and "须为整数" in str(r.json())
    assert _counts() == before
    r = api(setup["manager"]).post(url, {"payment_due_day": 10, "contribution_due_day": 20}, format="json")
    assert r.json() == {"payment_due_day": 10, "contribution_due_day": 20}
    assert api(setup["staff"]).get("/b/bj/api/v1/si/arrears/").json()["payment_due_day"] == 10


# --- pages ----------------------------------------------------------------------------------
def test_the_statement_page_records_and_reverses_payments_and_refusals_save_nothing(setup):
    aug = setup["st"][(setup["mine"], AUG)]
    page = web(setup["staff"])
    html = page.get(f"/b/bj/si/statements/{aug.pk}/").content.decode()
    assert 'data-testid="si-payment-form"' in html and "data-money" in html and "第八十六条" in html
    assert "尚未收到款项" in html

    before = _counts()
    r = page.post(f"/b/bj/si/statements/{aug.pk}/payments/", {"amount": "1,2", "paid_on": "2025-09-01"}, follow=True)
    assert "不是有效的金额" in r.content.decode()
    assert _counts() == before

    page.post(f"/b/bj/si/statements/{aug.pk}/payments/", {"amount": "1,200.50", "paid_on": "2025-08-20",
                                                          "reference": "B-9"})
    with in_branch("bj"):
        payment = FeePayment.objects.get()
    assert payment.amount == D("1200.50")
    html = page.get(f"/b/bj/si/statements/{aug.pk}/").content.decode()
    assert "1,200.50" in html and "B-9" in html and "冲销原因" in html

    r = page.post(f"/b/bj/si/statements/{aug.pk}/payments/{payment.pk}/reverse/", {"reason": ""}, follow=True)
    assert "请说明原因" in r.content.decode()
    page.post(f"/b/bj/si/statements/{aug.pk}/payments/{payment.pk}/reverse/", {"reason": "录错金额"})
    html = page.get(f"/b/bj/si/statements/{aug.pk}/").content.decode()
    assert "已冲销" in html and "录错金额" in html

    # The client reads the section without forms; nobody else reaches the forms.
    contact_html = web(setup["contact"]).get(f"/b/bj/si/statements/{aug.pk}/").content.decode()
    assert "1,200.50" in contact_html and "si-payment-form" not in contact_html and "冲销原因" not in contact_html
    before = _counts()
    for who in ("contact", "other", "specialist", "sh_staff"):
        r = web(setup[who]).post(f"/b/bj/si/statements/{aug.pk}/payments/", {"amount": "1.00", "paid_on": "2025-09-01"})
        assert r.status_code == 404, who
    assert _counts() == before


def test_the_arrears_page_lists_buckets_states_the_rule_and_exports(setup):
    page = web(setup["staff"])
    html = page.get("/b/bj/si/arrears/").content.decode()
    assert "北京甲公司" in html and "北京乙公司" in html and "90 天以上" in html and "未到期" in html
    assert "付款到期日为当月 15 日" in html and "第八十六条" in html
    assert 'data-testid="money-settings"' not in html  # the manager's form
    assert 'data-testid="money-settings"' in web(setup["manager"]).get("/b/bj/si/arrears/").content.decode()

    csv = page.get("/b/bj/si/arrears/?format=csv").content.decode("utf-8-sig")
    assert csv.splitlines()[0] == "客户,月份,付款到期日,应付,已付,未付,逾期天数,账龄"
    assert len(csv.splitlines()) == 1 + 4 + 1 and "2025年8月" in csv and "90 天以上" in csv
    rows = list(load_workbook(io.BytesIO(page.get("/b/bj/si/arrears/?format=xlsx").content)).active.iter_rows(values_only=True))
    st = setup["st"]
    assert rows[-1][0] == "合计" and D(str(rows[-1][5])) == sum(s.total for s in st.values())

    for who in ("contact", "specialist", "sh_staff"):
        assert web(setup[who]).get("/b/bj/si/arrears/").status_code == 404, who
    before = _counts()
    assert web(setup["staff"]).post("/b/bj/si/arrears/", {"payment_due_day": "5"}).status_code == 404
    r = web(setup["manager"]).post("/b/bj/si/arrears/", {"payment_due_day": "26"}, follow=True)
    assert "不能晚于法定缴费截止日" in r.content.decode()
    assert _counts() == before


def test_the_workbench_shows_arrears(setup):
    html = web(setup["staff"]).get("/b/bj/").content.decode()
    assert 'data-testid="kpi-arrears"' in html and 'data-testid="todo-arrears"' in html
    # Unpaid is not arrears until it is overdue: the total unpaid, and the overdue part of it.
    assert "客户未付(元)" in html and "其中逾期未付(元)" in html and "客户欠费" not in html


def test_the_client_portal_shows_their_money_and_people_and_nothing_else(setup):
    aug = setup["st"][(setup["mine"], AUG)]
    services_pay = web(setup["staff"])
    services_pay.post(f"/b/bj/si/statements/{aug.pk}/payments/", {"amount": "500.00", "paid_on": "2025-08-20",
                                                                  "reference": "B-7"})
    page = web(setup["contact"])
    html = page.get("/b/bj/").content.decode()
    assert "北京甲公司" in html and "北京乙公司" not in html
    assert "500.00" in html and "B-7" in html and "已逾期" in html and "90 天以上" in html
    assert "未付合计(元)" in html and "欠费" not in html  # a statement not yet due is not 欠费
    assert "参保人员" in html and "/si/account/people/" in html  # in the menu

    people = page.get(f"/b/bj/si/account/people/?period={AUG}").content.decode()
    assert "员工1" in people and "员工2" not in people
    assert "110***" in people and "110105" not in people  # masked identity numbers only
    assert "10,000.00" in people  # base and wage
    assert web(setup["other"]).get(f"/b/bj/si/account/people/?period={AUG}").content.decode().count("员工1") == 0
    # Months step back and forth, but not past this month (nothing to show there yet).
    from django.utils import timezone

    this_month = timezone.localdate().strftime("%Y-%m")
    assert f"?period={SEP}" in people
    current = page.get("/b/bj/si/account/people/").content.decode()
    following = f"{int(this_month[:4]) + (this_month[5:] == '12'):04d}-{int(this_month[5:]) % 12 + 1:02d}"
    assert f"?period={following}" not in current and "‹" in current

    # Not the office's pages, not a stranger's statement, no staff people page.
    for path in ("/b/bj/si/", "/b/bj/si/arrears/", "/b/bj/clients/", "/b/bj/commissions/",
                 f"/b/bj/si/statements/{setup['st'][(setup['theirs'], AUG)].pk}/"):
        assert page.get(path).status_code == 404, path
    for who in ("staff", "specialist"):
        assert web(setup[who]).get("/b/bj/si/account/people/").status_code == 404, who


def test_the_client_home_names_every_company_the_contact_speaks_for(setup):
    """A company linked before its first statement is named too (with a column per row then)."""
    with in_branch("bj"):
        newer = make_client("北京丙公司", setup["staff"])
        ClientContact.objects.create(user=setup["contact"], client=newer)
    html = web(setup["contact"]).get("/b/bj/").content.decode()
    names = html.split('data-testid="client-companies"')[1].split("</p>")[0]
    assert "北京甲公司" in names and "北京丙公司" in names and "北京乙公司" not in html


def test_workbench_arrears_figures_follow_the_due_day(setup):
    import datetime as dt

    from social_insurance.money_selectors import arrears_figures

    st = setup["st"]
    with in_branch("bj"):
        everything = sum(s.total for s in st.values())
        aug_only = st[(setup["mine"], AUG)].total + st[(setup["theirs"], AUG)].total
        on_the_15th = arrears_figures(dt.date(2025, 9, 15))
        assert (on_the_15th["total"], on_the_15th["overdue"], on_the_15th["overdue_count"]) == (everything, aug_only, 2)
        assert arrears_figures(dt.date(2025, 9, 16))["overdue_count"] == 4
        services.money_policy_update(actor=setup["manager"], data={"payment_due_day": "20"})
        assert arrears_figures(dt.date(2025, 9, 16))["overdue_count"] == 2


def test_a_months_people_are_those_its_statement_counts(setup):
    """Someone who starts in September is not in August's list, however today reads their record;
    someone back-paid in September for August only is in September's, as the statement counts
    them; the count is the statement's."""
    with in_branch("bj"):
        mine = setup["mine"]
        later = add_employee(mine, 3, "9000", "2025-09-01", actor=setup["staff"])  # insured from September
        gone = add_employee(mine, 4, "9000", "2025-08-01", actor=setup["staff"])  # August was filed without them
        services.employee_end(actor=setup["staff"], employee_id=gone.pk, end_date="2025-09-05")  # insured August only
        services.month_compute(actor=setup["staff"], period=SEP)
        aug, sep = (FeeStatement.objects.get(client=mine, period=m) for m in (AUG, SEP))
        assert (aug.employee_count, sep.employee_count) == (1, 3)
    page = web(setup["contact"])

    def listed(period):
        html = page.get(f"/b/bj/si/account/people/?period={period}").content.decode()
        names = {n for n in ("员工1", later.name, gone.name) if f">{n}<" in html}
        return names, html

    names, html = listed(AUG)
    assert names == {"员工1"} and 'data-testid="client-people-count">共 1 人' in html
    names, html = listed(SEP)
    assert names == {"员工1", later.name, gone.name} and 'data-testid="client-people-count">共 3 人' in html
    row = html[html.index(f">{gone.name}<"):]
    assert row.index("已减员") < row.index("</tr>")  # back-paid for August, no longer insured in September
    # A month not computed: the people the roster insures in it.
    assert listed("2025-07")[0] == {"员工1"}
    assert listed("2025-05")[0] == set()
