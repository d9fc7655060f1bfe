"""Pages: HQ rule versions and the adjustment register (HQ admins write, HQ finance read, others
404); the branch's adjustment pages (staff propose, the manager previews and decides)."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from branches.models import User
from commissions.hq.models import RegisteredAdjustment, RuleVersion
from commissions.models import Adjustment
from tests.conftest import in_branch
from tests.factories import make_user

from .conftest import drain, open_client

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc


@pytest.fixture
def finance(db):
    return make_user("hq_fin", (None, "hq_finance"))


def _html(response) -> str:
    """The page without its cells' phone labels (`data-label`, the card layout): the figures."""
    return re.sub(r' data-label="[^"]*"', "", response.content.decode())


# ---------------------------------------------------------------------------------------------
# HQ: rule versions
# ---------------------------------------------------------------------------------------------
def test_rules_home_and_history(client, hq_admin):
    client.force_login(hq_admin)

    home = _html(client.get("/commissions/rules/"))
    page = client.get("/commissions/rules/opening_reward/")

    assert "1–50 人: 800.00 元" in home and "101 人及以上: 1,800.00 元" in home
    assert "开户满 12 个月,开户奖励的 20.00%" in home
    html = _html(page)
    assert page.status_code == 200
    assert "2020年1月1日" in html and "生效中" in html
    assert 'name="tier0_amount" value="800.00"' in html  # the form starts from the version in force


def _named(user, name: str):
    User.objects.filter(pk=user.pk).update(display_name=name)


def _today_words() -> str:
    today = timezone.localdate()
    return f"{today.year}年{today.month}月{today.day}日"


def test_rule_pages_show_dates_in_the_locales_words_and_the_creator_by_name(client, hq_admin):
    _named(hq_admin, "总部张三")
    client.force_login(hq_admin)

    added = client.post("/commissions/rules/opening_reward/", {
        "effective_from": "2027-01-01", "note": "上调", "tier0_max": "50", "tier0_amount": "900.00",
        "tier1_max": "", "tier1_amount": "1500.00"}, follow=True)
    home = _html(client.get("/commissions/rules/"))

    html = _html(added)
    assert "已新增 开户奖励 版本,自 2027年1月1日 起生效。" in html
    versions = re.search(r'data-testid="rule-versions">(.*?)</table>', html, re.S).group(1)
    row = re.search(r"<tr>\s*(<td>2027年1月1日</td>.*?)</tr>", versions, re.S).group(1)
    assert "<td>上调</td><td>总部张三</td>" in row
    assert re.search(r"<td>\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}</td>$", row)  # created, Shanghai time
    assert "2020年1月1日" in versions and "2027-01-01" not in versions and "2020-01-01" not in versions
    assert f"{_today_words()} 生效中的版本" in home and "自 2020年1月1日 起" in home
    assert not re.search(r"\d{4}-\d{2}-\d{2}", home)


def test_admin_adds_a_version_from_the_page(client, hq_admin):
    client.force_login(hq_admin)

    r = client.post("/commissions/rules/opening_reward/", {
        "effective_from": "2027-01-01", "note": "上调", "tier0_max": "50", "tier0_amount": "900.00",
        "tier1_max": "", "tier1_amount": "1500.00"})

    assert r.status_code == 302 and r["Location"] == "/commissions/rules/opening_reward/"
    v = RuleVersion.objects.get(component="opening_reward", effective_from="2027-01-01")
    assert v.params == {"tiers": [{"max_headcount": 50, "amount": "900.00"}, {"max_headcount": None, "amount": "1500.00"}]}
    assert (v.note, v.history.get().history_user_id) == ("上调", hq_admin.pk)


def test_page_errors_are_next_to_the_fields_and_typed_values_kept(client, hq_admin):
    client.force_login(hq_admin)
    before = RuleVersion.objects.count()

    r = client.post("/commissions/rules/opening_reward/", {
        "effective_from": "2027-01-01", "tier0_max": "50", "tier0_amount": "800.001",
        "tier1_max": "", "tier1_amount": "-5"})
    sales = client.post("/commissions/rules/sales_commission/", {
        "effective_from": "2020-01-01", "new_client_months": "12",
        "social_insurance_new": "101", "social_insurance_existing": "1.00", "housing_fund_new": "2.00",
        "housing_fund_existing": "1.00", "payroll_outsourcing_new": "5.00", "payroll_outsourcing_existing": "4.00"})

    html = _html(r)
    assert r.status_code == 200
    assert '<p class="field-error" data-field="tier0_amount">最多保留 2 位小数。</p>' in html
    assert '<p class="field-error" data-field="tier1_amount">不能小于 0。</p>' in html
    assert 'value="800.001"' in html and 'value="-5"' in html
    html = _html(sales)
    assert '<p class="field-error" data-field="social_insurance_new">不能大于 100。</p>' in html
    duplicate = client.post("/commissions/rules/retention_bonus/", {
        "effective_from": "2020-01-01", "months": "12", "percent": "25.00"})
    assert 'data-field="effective_from">2020年1月1日 已有该组件的版本' in _html(duplicate)
    assert 'value="25.00"' in _html(duplicate)
    assert RuleVersion.objects.count() == before


def test_tiers_not_covering_every_headcount_is_shown_on_the_form(client, hq_admin):
    client.force_login(hq_admin)

    r = client.post("/commissions/rules/opening_reward/", {"effective_from": "2027-01-01", "tier0_max": "50",
                                                           "tier0_amount": "800.00"})

    assert "最后一档须不设上限" in _html(r)
    assert not RuleVersion.objects.filter(effective_from="2027-01-01").exists()


def test_finance_reads_only_and_branch_people_get_404(client, finance, branches):
    manager = make_user("bj_boss", ("bj", "branch_manager"), home="bj")
    before = RuleVersion.objects.count()
    client.force_login(finance)

    page = client.get("/commissions/rules/retention_bonus/")
    post = client.post("/commissions/rules/retention_bonus/", {"effective_from": "2027-01-01", "months": "12",
                                                               "percent": "30.00"})

    assert page.status_code == 200 and 'name="percent"' not in _html(page)
    assert post.status_code == 404
    client.force_login(manager)
    assert client.get("/commissions/rules/").status_code == 404
    assert client.get("/commissions/adjustments/").status_code == 404
    client.logout()
    assert client.get("/commissions/rules/").status_code == 302
    assert RuleVersion.objects.count() == before


def test_unknown_component_page_is_404(client, hq_admin):
    client.force_login(hq_admin)
    assert client.get("/commissions/rules/bonus/").status_code == 404


def test_hq_menu_links_rules_and_register(client, hq_admin):
    client.force_login(hq_admin)
    html = _html(client.get("/"))
    assert 'href="/commissions/rules/"' in html and 'href="/commissions/adjustments/"' in html


# ---------------------------------------------------------------------------------------------
# Branch: propose, preview, decide
# ---------------------------------------------------------------------------------------------
def test_staff_proposes_from_the_page_with_errors_next_to_fields(client, people):
    client.force_login(people["bj_staff"])

    bad = client.post("/b/bj/commissions/adjustments/", {"component": "opening_reward", "percent": "21.00",
                                                         "effective_from": "2026-01-01", "reason": "竞争"})
    html = _html(bad)
    assert bad.status_code == 200
    assert '<p class="field-error" data-field="percent">浮动比例不能超过 ±20%。</p>' in html
    assert 'value="21.00"' in html and "竞争" in html
    with in_branch("bj"):
        assert Adjustment.objects.count() == 0

    ok = client.post("/b/bj/commissions/adjustments/", {"component": "opening_reward", "percent": "20.00",
                                                        "effective_from": "2026-01-01", "reason": "竞争"})
    assert ok.status_code == 302
    with in_branch("bj"):
        adj = Adjustment.objects.get()
    assert (adj.percent, adj.status, adj.proposed_by_id) == (Decimal("20.00"), "proposed", people["bj_staff"].pk)
    assert "待审批" in _html(client.get("/b/bj/commissions/adjustments/"))


def test_branch_home_todo_and_page_access(client, people):
    client.force_login(people["bj_staff"])
    assert 'data-testid="todo-my-adjustments"' in _html(client.get("/b/bj/"))
    client.force_login(people["bj_s1"])
    assert 'href="/b/bj/commissions/adjustments/"' not in _html(client.get("/b/bj/me/"))
    assert client.get("/b/bj/commissions/adjustments/").status_code == 404
    client.force_login(people["sh_manager"])
    assert client.get("/b/bj/commissions/adjustments/").status_code == 404


def _month_start(day: dt.date, back: int = 0) -> dt.date:
    first = day.replace(day=1)
    for _ in range(back):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


def test_manager_previews_then_approves(client, api, people):
    today = timezone.localdate()
    this_month, last_month = _month_start(today), _month_start(today, 1)
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=30, opened_on=last_month.isoformat())
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=30, opened_on=this_month.isoformat(), name="乙公司")
    open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=80, opened_on=this_month.isoformat(), name="丙公司")
    drain("bj")  # the preview's "当前" is what the statements say
    r = api(people["bj_staff"]).post("/b/bj/api/v1/adjustments/", {
        "component": "opening_reward", "percent": "10.00", "effective_from": this_month.isoformat(), "reason": "旺季"},
        format="json")
    adj_id = r.json()["id"]
    client.force_login(people["bj_manager"])

    page = client.get(f"/b/bj/commissions/adjustments/{adj_id}/")

    html = _html(page)
    last, this = f"{last_month:%Y-%m}", f"{this_month:%Y-%m}"
    assert page.status_code == 200 and 'data-testid="what-if"' in html
    # Last month is not changed by an adjustment starting this month: named once, no table.
    assert f'data-testid="total-current-{last}"' not in html and 'data-testid="unchanged-periods"' in html
    assert f'data-testid="total-current-{this}">2,000.00<' in html  # 800 + 1200
    assert f'data-testid="total-what-if-{this}">2,200.00<' in html  # 880 + 1320
    assert "<td>bj_s2</td><td class=\"num\">1,200.00</td><td class=\"num\">1,320.00</td><td class=\"num\">+120.00</td>" in html
    assert 'data-testid="cap-warning"' not in html and "批准并备案" in html

    no_note = client.post(f"/b/bj/commissions/adjustments/{adj_id}/decide/", {"action": "reject", "note": ""})
    assert '<p class="field-error" data-field="note">必填。</p>' in _html(no_note)
    approve = client.post(f"/b/bj/commissions/adjustments/{adj_id}/decide/", {"action": "approve", "note": "同意"})

    assert approve.status_code == 302
    with in_branch("bj"):
        adj = Adjustment.objects.get(pk=adj_id)
        assert (adj.status, adj.decision_note, adj.decided_by_id) == ("approved", "同意", people["bj_manager"].pk)
        assert RegisteredAdjustment.objects.filter(adjustment_id=adj_id, status="registered").count() == 1
    again = client.post(f"/b/bj/commissions/adjustments/{adj_id}/decide/", {"action": "approve", "note": ""})
    assert "不能重复审批" in _html(again)


def test_staff_sees_the_proposal_but_cannot_decide(client, api, people):
    adj_id = api(people["bj_staff"]).post("/b/bj/api/v1/adjustments/", {
        "component": "opening_reward", "percent": "5.00", "effective_from": "2026-01-01", "reason": "r"},
        format="json").json()["id"]
    client.force_login(people["bj_staff"])

    page = client.get(f"/b/bj/commissions/adjustments/{adj_id}/")
    post = client.post(f"/b/bj/commissions/adjustments/{adj_id}/decide/", {"action": "approve", "note": ""})

    assert page.status_code == 200 and 'data-testid="what-if"' not in _html(page) and "批准并备案" not in _html(page)
    assert post.status_code == 403
    with in_branch("bj"):
        assert Adjustment.objects.get(pk=adj_id).status == "proposed"


def _proposed_and_approved(api, people, *, effective_from="2098-06-01") -> int:
    """bj_staff (王小明) proposes at 12:47 Shanghai time, bj_manager (李经理) approves at 14:05."""
    _named(people["bj_staff"], "王小明")
    _named(people["bj_manager"], "李经理")
    adj_id = api(people["bj_staff"]).post("/b/bj/api/v1/adjustments/", {
        "component": "opening_reward", "percent": "5.00", "effective_from": effective_from, "reason": "旺季"},
        format="json").json()["id"]
    r = api(people["bj_manager"]).post(f"/b/bj/api/v1/adjustments/{adj_id}/approve/", {"note": "同意上调"}, format="json")
    assert r.status_code == 200, r.content
    with in_branch("bj"):
        proposed, approved = Adjustment.history.filter(id=adj_id).order_by("history_date", "history_id")
        Adjustment.history.filter(pk=proposed.pk).update(history_date=dt.datetime(2026, 12, 5, 4, 47, tzinfo=UTC))
        Adjustment.history.filter(pk=approved.pk).update(history_date=dt.datetime(2026, 12, 5, 6, 5, tzinfo=UTC))
    RegisteredAdjustment.history.filter(adjustment_id=adj_id).update(
        history_date=dt.datetime(2026, 12, 5, 6, 5, tzinfo=UTC))
    return adj_id


def test_adjustment_record_reads_in_shanghai_time_with_names_and_state_labels(client, api, people):
    adj_id = _proposed_and_approved(api, people)
    client.force_login(people["bj_staff"])

    html = _html(client.get(f"/b/bj/commissions/adjustments/{adj_id}/"))
    listing = _html(client.get("/b/bj/commissions/adjustments/"))

    steps = re.findall(r"<li>(.*?)</li>", re.search(r'data-testid="history">(.*?)</ul>', html, re.S).group(1))
    assert steps == ["2026年12月5日 12:47 · 王小明 · 待审批 · 提议:旺季",
                     "2026年12月5日 14:05 · 李经理 · 已批准 · 批准:同意上调"]
    with in_branch("bj"):
        reg_id = RegisteredAdjustment.objects.get(adjustment_id=adj_id).pk
    assert f'data-testid="people">提议人: 王小明 · 审批人: 李经理 · 备案号 #{reg_id}</p>' in html
    assert '<p class="muted" data-testid="decision-note">审批意见: 同意上调</p>' in html
    assert "生效: 2098年6月1日 – 长期" in html
    decided = re.search(r'data-testid="decided">(.*?)</table>', listing, re.S).group(1)
    assert "<td>2098年6月1日 – 长期</td>" in decided
    assert '<td><span>李经理<br><small class="muted">同意上调</small></span></td>' in decided
    for key in ("bj_staff", "bj_mgr", "proposed", "approved", "2098-06-01", "T04:47"):
        assert key not in html.split("<main", 1)[1] and key not in decided, key


def test_adjustment_record_in_english(client, api, people):
    from django.conf import settings
    from django.utils import translation

    adj_id = _proposed_and_approved(api, people)
    client.force_login(people["bj_staff"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    try:
        html = _html(client.get(f"/b/bj/commissions/adjustments/{adj_id}/"))
    finally:
        translation.activate(settings.LANGUAGE_CODE)

    steps = re.findall(r"<li>(.*?)</li>", re.search(r'data-testid="history">(.*?)</ul>', html, re.S).group(1))
    # the stored "提议:"/"批准:" read in the reader's words; what the people typed stays as typed
    assert steps == ["Dec. 5, 2026 12:47 · 王小明 · Proposed · Proposed: 旺季",
                     "Dec. 5, 2026 14:05 · 李经理 · Approved · Approved: 同意上调"]
    assert 'data-testid="people">Proposed by: 王小明 · Decided by: 李经理' in html
    assert "Decision note: 同意上调" in html and "June 1, 2098" in html


def test_register_record_reads_in_shanghai_time_with_names_and_state_labels(client, api, people, hq_admin):
    adj_id = _proposed_and_approved(api, people)
    reg_id = RegisteredAdjustment.objects.get(adjustment_id=adj_id).pk
    client.force_login(hq_admin)

    html = _html(client.get("/commissions/adjustments/?branch=bj"))

    branch_steps = re.findall(r"<li>(.*?)</li>", re.search(
        rf'data-testid="branch-history-{reg_id}">(.*?)</ul>', html, re.S).group(1))
    register_steps = re.findall(r"<li>(.*?)</li>", re.search(
        rf'data-testid="history-{reg_id}">(.*?)</ul>', html, re.S).group(1))
    assert branch_steps == ["2026年12月5日 12:47 · 王小明 · 待审批 · 提议:旺季",
                            "2026年12月5日 14:05 · 李经理 · 已批准 · 批准:同意上调"]
    assert register_steps == ["2026年12月5日 14:05 · 李经理 · 已备案 · 备案:同意上调"]
    assert "生效: 2098年6月1日 – 长期" in html and "2098-06-01" not in html


# ---------------------------------------------------------------------------------------------
# HQ: the register page
# ---------------------------------------------------------------------------------------------
def _registered(api, people, code="bj", component="opening_reward") -> int:
    staff, manager = people[f"{code}_staff"], people[f"{code}_manager"]
    adj_id = api(staff).post(f"/b/{code}/api/v1/adjustments/", {
        "component": component, "percent": "8.00", "effective_from": "2026-01-01", "reason": "r"},
        format="json").json()["id"]
    api(manager).post(f"/b/{code}/api/v1/adjustments/{adj_id}/approve/", {"note": "ok"}, format="json")
    with in_branch(code):
        return RegisteredAdjustment.objects.get(branch__code=code, adjustment_id=adj_id).pk


def test_register_page_filters_and_revokes(client, api, people, hq_admin):
    bj = _registered(api, people, "bj")
    sh = _registered(api, people, "sh", component="sales_commission")
    client.force_login(hq_admin)

    only_sh = _html(client.get("/commissions/adjustments/?branch=sh"))
    by_component = _html(client.get("/commissions/adjustments/?component=opening_reward&status=registered"))
    assert f'register-row-{sh}' in only_sh and f'register-row-{bj}' not in only_sh
    assert f'register-row-{bj}' in by_component and f'register-row-{sh}' not in by_component

    no_reason = client.post(f"/commissions/adjustments/{bj}/revoke/", {"effective_from": "2026-06-01", "reason": "",
                                                                      "next_query": "branch=bj"})
    assert '<p class="field-error" data-field="reason">' in _html(no_reason)
    assert RegisteredAdjustment.objects.get(pk=bj).status == "registered"

    ok = client.post(f"/commissions/adjustments/{bj}/revoke/", {"effective_from": "2026-06-01", "reason": "到期",
                                                               "next_query": "branch=bj"})
    assert ok.status_code == 302 and ok["Location"] == "/commissions/adjustments/?branch=bj"
    row = RegisteredAdjustment.objects.get(pk=bj)
    assert (row.status, row.revoked_from, row.revoke_reason) == ("revoked", dt.date(2026, 6, 1), "到期")


def test_finance_reads_the_register_but_cannot_revoke(client, api, people, finance):
    bj = _registered(api, people, "bj")
    client.force_login(finance)

    page = client.get("/commissions/adjustments/")
    post = client.post(f"/commissions/adjustments/{bj}/revoke/", {"effective_from": "2026-06-01", "reason": "x"})

    assert page.status_code == 200 and f"register-row-{bj}" in _html(page) and "确认撤销" not in _html(page)
    assert post.status_code == 404
    assert RegisteredAdjustment.objects.get(pk=bj).status == "registered"


def test_preview_shows_only_changed_months_and_people_and_warns_when_the_cap_would_break(client, api, people):
    today = timezone.localdate()
    this_month, last_month = _month_start(today), _month_start(today, 1)
    # bj_s1 opens one client in each month; bj_s2 one last month only.
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=30, opened_on=last_month.isoformat())
    open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=30, opened_on=last_month.isoformat(), name="乙公司")
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=150, opened_on=this_month.isoformat(), name="丙公司")
    drain("bj")
    propose = lambda pct: api(people["bj_staff"]).post("/b/bj/api/v1/adjustments/", {  # noqa: E731
        "component": "opening_reward", "percent": pct, "effective_from": this_month.isoformat(), "reason": "旺季"},
        format="json").json()["id"]
    first, second = propose("15.00"), propose("10.00")  # each within ±20% on its own
    client.force_login(people["bj_manager"])

    html = _html(client.get(f"/b/bj/commissions/adjustments/{second}/"))
    this = f"{this_month:%Y-%m}"
    assert html.count('data-testid="what-if-period-') == 1 and f'data-testid="what-if-period-{this}"' in html
    assert "<td>bj_s1</td><td class=\"num\">1,800.00</td><td class=\"num\">1,980.00</td><td class=\"num\">+180.00</td>" in html
    assert "<td>bj_s2</td>" not in html  # nothing of bj_s2's changes this month
    assert 'data-testid="cap-warning"' not in html

    assert client.post(f"/b/bj/commissions/adjustments/{first}/decide/", {"action": "approve", "note": "同意"}).status_code == 302

    html = _html(client.get(f"/b/bj/commissions/adjustments/{second}/"))
    warning = re.search(r'data-testid="cap-warning">(.*?)</p>', html).group(1)
    assert "批准将超出 ±20% 的上限" in warning and "合计 +25.00%" in warning and "开户奖励" in warning
    assert "批准并备案" not in html  # the approve button is replaced by the reason
    refused = client.post(f"/b/bj/commissions/adjustments/{second}/decide/", {"action": "approve", "note": ""})
    assert "不能超过 ±20%" in _html(refused)
    with in_branch("bj"):
        assert Adjustment.objects.get(pk=second).status == "proposed"
        assert RegisteredAdjustment.objects.filter(adjustment_id=second).count() == 0


def test_the_register_names_the_branch_number_and_a_revocation_says_the_day_it_took_effect(client, api, people,
                                                                                         hq_admin):
    """HQ and the branch talk about one number (the branch's), and a revocation dated before the
    adjustment began says it revoked all of it from its first day instead of changing the date
    without a word."""
    bj = _registered(api, people, "bj")
    sh = _registered(api, people, "sh", component="sales_commission")
    number = {pk: RegisteredAdjustment.objects.get(pk=pk).adjustment_id for pk in (bj, sh)}
    client.force_login(hq_admin)

    page = _html(client.get("/commissions/adjustments/"))
    assert f"北京分公司 浮动调整 #{number[bj]}" in page

    early = client.post(f"/commissions/adjustments/{bj}/revoke/", {"effective_from": "2025-10-15", "reason": "作废"},
                        follow=True)
    assert (f"已撤销 北京分公司 的浮动调整 #{number[bj]}:该调整自 2026年1月1日 起生效,已全部撤销。"
            in _html(early))
    assert RegisteredAdjustment.objects.get(pk=bj).revoked_from == dt.date(2026, 1, 1)
    later = client.post(f"/commissions/adjustments/{sh}/revoke/", {"effective_from": "2026-06-01", "reason": "到期"},
                        follow=True)
    assert f"已撤销 上海分公司 的浮动调整 #{number[sh]},自 2026年6月1日 起不再适用。" in _html(later)
