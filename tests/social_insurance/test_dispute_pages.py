"""基数争议 pages: raised from a person's record for a filed month, previewed, resolved into 补缴
lines of the next open month (the API test's case: test_cycle's B, 12,000.50 → 15,000.50) or
rejected with a reason; other roles and bad input change nothing."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from social_insurance import services
from social_insurance.models import BaseDispute, ClientContact, ContributionLine
from tests.conftest import in_branch
from tests.factories import make_user

from .helpers import add_employee, file_month, make_client, web

pytestmark = pytest.mark.django_db
M = "2025-08"
D = Decimal



@pytest.fixture
def case(staff):
    """B (12,000.50 from 20 Aug) and A at 北京甲公司; August filed, September computed, not filed."""
    with in_branch("bj"):
        c1 = make_client("北京甲公司", staff)
        a = add_employee(c1, 1, "40000", "2025-06-10", actor=staff, housing_fund_percent="12")
        b = add_employee(c1, 2, "12000.50", "2025-08-20", actor=staff)
        file_month(staff, M)
        services.month_compute(actor=staff, period="2025-09")
        before = set(ContributionLine.objects.values_list("id", "employer_amount", "employee_amount"))
    return {"client": c1, "A": a, "B": b, "lines": before}


def _state():
    with in_branch("bj"):
        return (list(BaseDispute.objects.values_list("id", "status", "corrected_wage", "note")),
                set(ContributionLine.objects.values_list("id", "employer_amount", "employee_amount")))


def _rows(html: str, testid: str) -> list[list[str]]:
    """The cells of a table's body rows, as text."""
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def test_the_office_raises_previews_and_resolves_a_dispute_through_the_pages(staff, case):
    b = case["B"]
    page = web(staff)
    record = page.get(f"/b/bj/si/employees/{b.pk}/").content.decode()
    assert f'href="/b/bj/si/employees/{b.pk}/disputes/new/"' in record
    base = page.get(f"/b/bj/si/employees/{b.pk}/base/").content.decode()
    assert f'<a href="/b/bj/si/employees/{b.pk}/disputes/new/" data-testid="base-dispute-link">提出基数争议(补缴/退费)</a>' in base

    form = page.get(f"/b/bj/si/employees/{b.pk}/disputes/new/").content.decode()
    # Only the person's filed months: August, not the computed but open September.
    select = form.split('name="period"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select) == [("2025-08", "2025年8月")]

    resp = page.post(f"/b/bj/si/employees/{b.pk}/disputes/new/",
                     {"period": M, "claimed_wage": "15000", "reason": "工资申报有误"})
    with in_branch("bj"):
        dispute = BaseDispute.objects.get()
        assert (dispute.employee_id, dispute.period, dispute.claimed_base, dispute.status, dispute.raised_by_id) == (
            b.pk, M, D("15000.00"), "open", staff.pk)
    assert resp.status_code == 302 and resp["Location"] == f"/b/bj/si/disputes/{dispute.pk}/"

    html = page.get(f"/b/bj/si/disputes/{dispute.pk}/?wage=15000.50").content.decode()
    assert 'data-testid="current-wage">12,000.50<' in html and 'data-testid="claimed-wage">15,000.00<' in html
    assert _rows(html, "current-base")[0] == ["养老保险", "12,000.50", "1,920.08", "960.04"]
    assert "按申报工资 15,000.50 元更正:计入 2025年9月" in html
    preview = _rows(html, "preview-lines")
    assert preview == [  # in the items' own order, as the month's table above reads
        ["养老保险", "补缴", "15,000.50", "480.00", "240.00"],
        ["医疗保险", "补缴", "15,000.50", "294.00", "60.00"],
        ["失业保险", "补缴", "15,000.50", "15.00", "15.00"],
        ["工伤保险", "补缴", "15,000.50", "6.00", "0.00"],
        ["住房公积金", "补缴", "15,000.50", "150.00", "150.00"],
    ]
    assert 'data-testid="preview-employer">945.00<' in html and 'data-testid="preview-employee">465.00<' in html
    # the note goes to the raiser and the person's company with the notice: said beside both boxes
    assert html.count("将随通知发给提出人和该员工所属客户的联系人,请勿填写内部备注。") == 2
    assert _state()[1] == case["lines"]  # a preview writes nothing
    english = web(staff)
    english.cookies["django_language"] = "en"
    en = english.get(f"/b/bj/si/disputes/{dispute.pk}/?wage=15000.50").content.decode()
    assert en.count("Sent with the notice to whoever raised the dispute") == en.count("no internal remarks.") == 2
    assert "Base dispute: 员工2, August 2025" in en and "Corrected to a declared wage of 15,000.50 yuan: posted in September 2025" in en
    assert not re.findall(r"[\u4e00-\u9fff]+", re.sub(r"员工2|北京甲公司|工资申报有误|简体中文", "", en.split("<main", 1)[-1]))

    resp = page.post(f"/b/bj/si/disputes/{dispute.pk}/resolve/",
                     {"resolve-corrected_wage": "15000.50", "resolve-note": "按劳动合同更正"})
    assert resp.status_code == 302 and resp["Location"] == f"/b/bj/si/disputes/{dispute.pk}/"
    with in_branch("bj"):
        dispute.refresh_from_db()
        assert (dispute.status, dispute.corrected_wage, dispute.settled_in_period, dispute.note, dispute.resolved_by_id) == (
            "resolved", D("15000.50"), "2025-09", "按劳动合同更正", staff.pk)
        fixes = {l.kind: (l.source, l.for_period, l.employer_amount, l.employee_amount)
                 for l in ContributionLine.objects.filter(period="2025-09", employee=b, dispute=dispute)}
        assert fixes == {"pension": ("back_pay", M, D("480.00"), D("240.00")),
                         "medical": ("back_pay", M, D("294.00"), D("60.00")),
                         "unemployment": ("back_pay", M, D("15.00"), D("15.00")),
                         "work_injury": ("back_pay", M, D("6.00"), D("0.00")),
                         "housing_fund": ("back_pay", M, D("150.00"), D("150.00"))}
        # The filed month is untouched.
        assert {(i, er, ee) for i, er, ee in ContributionLine.objects.filter(period=M).values_list(
            "id", "employer_amount", "employee_amount")} <= case["lines"]
    done = page.get(f"/b/bj/si/disputes/{dispute.pk}/", follow=True).content.decode()
    assert "已计入 2025年9月 的补缴/退费" in done and 'data-testid="dispute-note">按劳动合同更正<' in done
    assert sorted(_rows(done, "posted-lines")) == sorted(preview)
    assert "resolve-form" not in done and "reject-form" not in done

    # The list, from the board: open by default, by status and month.
    board = page.get(f"/b/bj/si/?period={M}").content.decode()
    assert 'href="/b/bj/si/disputes/" data-testid="si-disputes-link"' in board
    assert _rows(page.get("/b/bj/si/disputes/").content.decode(), "dispute-table") == [["没有符合条件的基数争议。"]]
    listed = _rows(page.get(f"/b/bj/si/disputes/?status=resolved&period={M}").content.decode(), "dispute-table")
    assert listed == [["2025年8月", "员工2", "北京甲公司", "15,000.00", "已更正", "2025年9月", listed[0][6]]]
    assert _rows(page.get("/b/bj/si/disputes/?status=resolved&period=2025-07").content.decode(),
                 "dispute-table") == [["没有符合条件的基数争议。"]]
    # Resolved once: a second resolution is refused and posts nothing more.
    after = _state()
    again = page.post(f"/b/bj/si/disputes/{dispute.pk}/resolve/", {"resolve-corrected_wage": "20000"})
    assert again.status_code in (302, 400) and _state() == after


def test_the_office_rejects_a_dispute_with_its_reason_and_nothing_is_posted(staff, case):
    manager = make_user("bj_mgr", ("bj", "branch_manager"), home="bj")
    with in_branch("bj"):
        d = services.dispute_raise(actor=staff, employee_id=case["B"].pk, period=M, claimed_wage="15000", reason="x")
    page = web(manager)
    before = _state()
    refused = page.post(f"/b/bj/si/disputes/{d.pk}/reject/", {"reject-note": "  "})
    assert refused.status_code == 400 and "驳回时请说明原因。" in refused.content.decode()
    assert _state() == before
    resp = page.post(f"/b/bj/si/disputes/{d.pk}/reject/", {"reject-note": "劳动合同约定工资为 12,000.50 元"})
    assert resp.status_code == 302
    with in_branch("bj"):
        d.refresh_from_db()
        assert (d.status, d.note, d.resolved_by_id, d.settled_in_period, d.corrected_wage) == (
            "rejected", "劳动合同约定工资为 12,000.50 元", manager.pk, "", None)
        assert d.history.latest().history_change_reason == "dispute rejected"
    assert _state()[1] == case["lines"]
    html = page.get("/b/bj/si/disputes/?status=rejected").content.decode()
    assert _rows(html, "dispute-table")[0][4] == "已驳回"


def test_other_roles_get_nothing_and_write_nothing(staff, case):
    with in_branch("bj"):
        d = services.dispute_raise(actor=staff, employee_id=case["B"].pk, period=M, claimed_wage="15000", reason="x")
        contact = make_user("jia_contact", ("bj", "client_contact"), home="bj")
        ClientContact.objects.create(user=contact, client=case["client"])
    others = [make_user("bj_si", ("bj", "specialist"), home="bj"), contact,
              make_user("bj_sales", ("bj", "sales"), home="bj"),
              make_user("sh_staff", ("sh", "branch_staff"), home="sh"), make_user("fin", (None, "hq_finance"))]
    b = case["B"]
    before = _state()
    for user in others:
        page = web(user)
        for url in (f"/b/bj/si/employees/{b.pk}/disputes/new/", "/b/bj/si/disputes/", f"/b/bj/si/disputes/{d.pk}/"):
            assert page.get(url).status_code in (403, 404), (user.username, url)
        posts = [(f"/b/bj/si/employees/{b.pk}/disputes/new/", {"period": M, "claimed_wage": "1", "reason": "x"}),
                 (f"/b/bj/si/disputes/{d.pk}/resolve/", {"resolve-corrected_wage": "15000"}),
                 (f"/b/bj/si/disputes/{d.pk}/reject/", {"reject-note": "不予更正"})]
        for url, body in posts:
            assert page.post(url, body).status_code in (403, 404), (user.username, url)
    assert _state() == before
    # A dispute number that does not exist reads like one that is not theirs.
    assert web(staff).get("/b/bj/si/disputes/999999/").status_code == 404


@pytest.mark.parametrize("body, field, message", [
    ({"period": "2025-09"}, "period", "只有已申报月份的基数可以提出争议;未申报月份请修改工资后重算。"),
    ({"period": "2025-07"}, "period", "只有已申报月份的基数可以提出争议;未申报月份请修改工资后重算。"),
    ({"claimed_wage": "15000.123"}, "claimed_wage", "工资最多保留两位小数(到分)。"),
    ({"claimed_wage": "-15000"}, "claimed_wage", "工资不能为负数。"),
    ({"claimed_wage": "0"}, "claimed_wage", "申报工资须大于 0(低于缴费基数下限的,按下限缴费)。"),
    ({"claimed_wage": "０.００"}, "claimed_wage", "申报工资须大于 0(低于缴费基数下限的,按下限缴费)。"),
    ({"claimed_wage": "一万五"}, "claimed_wage", "工资须为金额,例如 12000.00。"),
    ({"reason": "   "}, "reason", "请说明争议原因。"),
    ({"claimed_wage": "12000.50"}, "claimed_wage", "主张的工资与2025年8月已申报的工资 12,000.50 相同,无需更正。"),
])
def test_a_bad_dispute_is_refused_with_a_clear_message_and_nothing_saved(staff, case, body, field, message):
    b = case["B"]
    data = {"period": M, "claimed_wage": "15000", "reason": "工资申报有误", **body}
    before = _state()
    resp = web(staff).post(f"/b/bj/si/employees/{b.pk}/disputes/new/", data)
    html = resp.content.decode()
    assert resp.status_code == 400
    assert f'<p class="field-error" data-field="{field}">{message}</p>' in html
    assert _state() == before


@pytest.mark.parametrize("wage, message", [
    ("15000.505", "工资最多保留两位小数(到分)。"), ("-1", "工资不能为负数。"), ("", "工资须为金额,例如 12000.00。"),
    # a wage of 0 is refused here as at 增员 and 调基: it posted refunds of every contribution
    ("0", "申报工资须大于 0(低于缴费基数下限的,按下限缴费)。"), ("0.00", "申报工资须大于 0(低于缴费基数下限的,按下限缴费)。")])
def test_a_bad_corrected_wage_is_refused_and_posts_nothing(staff, case, wage, message):
    with in_branch("bj"):
        d = services.dispute_raise(actor=staff, employee_id=case["B"].pk, period=M, claimed_wage="15000", reason="x")
    before = _state()
    resp = web(staff).post(f"/b/bj/si/disputes/{d.pk}/resolve/", {"resolve-corrected_wage": wage})
    assert resp.status_code == 400
    assert f'<p class="field-error" data-field="corrected_wage">{message}</p>' in resp.content.decode()
    assert _state() == before


def test_the_api_rejects_with_a_note_and_resolves_with_one(api, staff, case):
    b = case["B"]
    first = api(staff).post("/b/bj/api/v1/si/disputes/", {"employee": b.pk, "period": M, "claimed_wage": "15000",
                                                           "reason": "工资申报有误"}, format="json").json()["id"]
    refused = api(staff).post(f"/b/bj/api/v1/si/disputes/{first}/reject/", {}, format="json")
    assert refused.status_code == 400 and refused.json() == {"note": ["驳回时请说明原因。"]}
    resp = api(staff).post(f"/b/bj/api/v1/si/disputes/{first}/reject/", {"note": "工资无误"}, format="json")
    assert resp.status_code == 200 and resp.json() == {"id": first, "status": "rejected"}
    second = api(staff).post("/b/bj/api/v1/si/disputes/", {"employee": b.pk, "period": M, "claimed_wage": "15000.50",
                                                            "reason": "补充材料"}, format="json").json()["id"]
    resp = api(staff).post(f"/b/bj/api/v1/si/disputes/{second}/resolve/",
                           {"corrected_wage": "15000.50", "note": "已核实"}, format="json")
    assert resp.status_code == 200 and resp.json()["settled_in_period"] == "2025-09"
    with in_branch("bj"):
        assert BaseDispute.objects.get(pk=second).note == "已核实"
        assert not ContributionLine.objects.filter(dispute_id=first).exists()


def test_a_second_open_dispute_of_the_same_month_is_refused(staff, case):
    """Two open disputes of one person and month would each post the whole difference."""
    b = case["B"]
    data = {"period": M, "claimed_wage": "15000", "reason": "工资申报有误"}
    assert web(staff).post(f"/b/bj/si/employees/{b.pk}/disputes/new/", data).status_code == 302
    before = _state()

    again = web(staff).post(f"/b/bj/si/employees/{b.pk}/disputes/new/", dict(data, claimed_wage="16000"))

    assert again.status_code == 400
    assert ('<p class="field-error" data-field="period">该员工2025年8月已有待处理的基数争议,请先处理该争议。</p>'
            in again.content.decode())
    assert _state() == before


def test_the_months_totals_follow_a_resolved_dispute_at_once(staff, case):
    """The 补缴 lands in September's statements and September's totals without a recompute."""
    from social_insurance.models import MonthCycle

    with in_branch("bj"):
        before = MonthCycle.objects.values_list("employer_total", "employee_total").get(period="2025-09")
        dispute = services.dispute_raise(actor=staff, employee_id=case["B"].pk, period=M, claimed_wage="15000.50",
                                         reason="工资申报有误")
        services.dispute_resolve(actor=staff, dispute_id=dispute.pk, corrected_wage="15000.50")
        after = MonthCycle.objects.values_list("employer_total", "employee_total").get(period="2025-09")

    assert (after[0] - before[0], after[1] - before[1]) == (D("945.00"), D("465.00"))
