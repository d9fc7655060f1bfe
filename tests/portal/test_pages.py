"""The specialist's pages: live figures, leaderboards with the gap, statement drill-down, the
estimator, and who may open which page."""
from __future__ import annotations

import json
import re

import pytest
from django.utils import timezone

from commissions.engine import period_of
from hrsaas.core.formatting import format_period
from tests.conftest import off_site_assets

from .conftest import drain, open_client, register_adjustment

pytestmark = pytest.mark.django_db

PAGES = ["/b/bj/me/", "/b/bj/me/live/", "/b/bj/me/statement/2026-03/", "/b/bj/me/estimate/", "/b/bj/me/claims/",
         "/b/bj/me/inquiries/", "/b/bj/review/"]


def _this_month_day(day=2):
    return timezone.localdate().replace(day=day).isoformat()


def test_every_page_is_closed_to_other_branches_and_anonymous(web, people):
    for url in PAGES:
        assert web(people["sh_s1"]).get(url).status_code == 404, url
        assert web(people["sh_manager"]).get(url).status_code == 404, url
        r = web().get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/"), url
    for url in PAGES[:-1]:
        assert web(people["bj_s1"]).get(url).status_code == 200, url
    assert web(people["bj_s1"]).get("/b/bj/review/").status_code == 404
    assert web(people["bj_manager"]).get("/b/bj/review/").status_code == 200
    assert web(people["bj_s1"]).get("/b/bj/me/statement/2026-13/").status_code == 404


def test_home_shows_this_months_figures_and_rank_with_the_gap(web, api, people):
    staff, day = people["bj_staff"], _this_month_day()
    for i, who in enumerate(["bj_s2", "bj_s2", "bj_s2", "bj_s3", "bj_s3", "bj_s1"]):
        open_client(api, staff, opened_by=who, headcount=60, opened_on=day, name=f"c{i}")
    cid = open_client(api, staff, opened_by="bj_s1", headcount=30, opened_on=day, name="大客户")
    r = api(staff).post("/b/bj/api/v1/sales/", {"client": cid, "service": "social_insurance",
                                                "period": period_of(timezone.localdate()), "amount": "100000.00",
                                                "seller": "bj_s1"}, format="json")
    assert r.status_code == 201
    drain("bj")

    html = web(people["bj_s1"]).get("/b/bj/me/").content.decode()

    # 2 openings (1,200 + 800) and 2% of 100,000 new-client sales
    assert re.search(r'data-testid="fig-openings">2<', html)
    assert 'data-testid="fig-sales">100,000.00<' in html
    assert 'data-testid="fig-commission">4,000.00<' in html
    assert "您当前月排名第3位,距离第2位还差0户" not in html
    # s2: 3 openings, s3: 2, s1: 2 → s1 ties s3 at 2nd, one behind s2
    assert 'data-testid="gap-branch-month">您当前月排名并列第2位,距离第1位还差1户<' in html
    assert 'data-testid="gap-company-month">您当前月排名并列第2位,距离第1位还差1户<' in html
    assert 'hx-trigger="every 5s"' in html and "vendor/chart-4.6.1.umd.min.js" in html
    assert off_site_assets(html) == []
    # the chart's months read as the table's (2026年12月), not as keys (2026-12)
    labels = json.loads(re.search(r'<script id="trend-labels" type="application/json">(.*?)</script>', html).group(1))
    assert labels["months"][-1] == format_period(period_of(timezone.localdate())) and len(labels["months"]) == 6
    # A colleague's pay is confidential: a specialist asking for the commission board gets the
    # openings board, and no commission tab is offered (薪酬保密).
    refused = web(people["bj_s2"]).get("/b/bj/me/live/?metric=commission").content.decode()
    assert 'data-testid="metric-commission"' not in refused and "还差400.00元" not in refused
    assert 'class="on" data-testid="metric-openings"' in refused
    money = web(people["bj_manager"]).get("/b/bj/me/live/?metric=commission").content.decode()
    assert 'data-testid="metric-commission"' in money and "4,000.00" in money and "3,600.00" in money
    # a manager reads their own branch's pay; the company boards (every branch) by commission: HQ only
    assert 'data-testid="board-branch-month"' in money and 'data-testid="board-company-month"' not in money
    assert 'data-testid="board-company-week"' not in money
    assert 'data-testid="board-company-month"' in web(people["bj_manager"]).get("/b/bj/me/live/").content.decode()
    assert 'data-testid="gap-branch-month">您当前月排名第1位' in refused


def test_live_fragment_costs_the_same_queries_for_one_line_or_many(web, api, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    day, client = _this_month_day(), web(people["bj_s1"])

    def polled() -> tuple[int, str]:
        drain("bj")
        with CaptureQueriesContext(connection) as ctx:
            html = client.get("/b/bj/me/live/").content.decode()
        return len(ctx.captured_queries), html

    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60, opened_on=day, name="c0")
    open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=60, opened_on=day, name="d0")
    few, _ = polled()
    for i in range(1, 12):
        open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60, opened_on=day, name=f"c{i}")
        open_client(api, people["bj_staff"], opened_by="bj_s3", headcount=60, opened_on=day, name=f"e{i}")
    many, html = polled()
    assert many == few
    assert 'data-testid="fig-commission">14,400.00<' in html


def test_statement_lines_are_explained(web, api, people):
    register_adjustment("bj", "opening_reward", "10.00", "2026-01-01")
    open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60, opened_on="2026-03-10")
    drain("bj")

    html = web(people["bj_s1"]).get("/b/bj/me/statement/2026-03/").content.decode()

    assert 'data-testid="statement-total">1,320.00<' in html
    assert "开户奖励 1,200.00 × (1 +10% 分支浮动) = 1,320.00" in html
    assert "对此行提出申诉" in html
    # a colleague's statement page shows their own (empty) statement, never mine
    other = web(people["bj_s2"]).get("/b/bj/me/statement/2026-03/").content.decode()
    assert "1,320.00" not in other


def test_the_statement_goes_to_the_month_before_and_after_but_not_past_this_month(web, people):
    from django.utils import timezone

    page = web(people["bj_s1"])
    march = page.get("/b/bj/me/statement/2026-03/").content.decode()
    assert 'href="/b/bj/me/statement/2026-02/" data-testid="previous-month">← 2026年2月<' in march
    assert 'href="/b/bj/me/statement/2026-04/" data-testid="next-month">2026年4月 →<' in march
    today = timezone.localdate()
    now = page.get(f"/b/bj/me/statement/{today:%Y-%m}/").content.decode()
    assert 'data-testid="previous-month"' in now and 'data-testid="next-month"' not in now


def test_english_switch(web, people):
    client = web(people["bj_s1"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/b/bj/me/"})
    html = client.get("/b/bj/me/").content.decode()
    assert "My results" in html and "我的业绩" not in html


# ---------------------------------------------------------------------------------------------
# Estimator
# ---------------------------------------------------------------------------------------------
def test_estimator_figures(web, people):
    client = web(people["bj_s1"])
    r = client.get("/b/bj/me/estimate/", {"openings": "2", "headcount": "60", "sales_amount": "0",
                                           "service": "social_insurance", "client_type": "new"})
    html = r.content.decode()
    assert r.status_code == 200
    assert 'data-testid="estimate-total">2,400.00<' in html and "估算" in html
    r = client.get("/b/bj/me/estimate/", {"openings": "1", "headcount": "30", "sales_amount": "1,000,000.00",
                                           "service": "social_insurance", "client_type": "existing"})
    assert 'data-testid="estimate-total">10,800.00<' in r.content.decode()  # 800 + 1% × 1,000,000


def test_a_marketers_estimate_takes_a_signed_leads_amount(web, people):
    """Marketing earns 市场线索分成 on its leads' signed amounts: the page offered openings and
    sales only (the buyer's walk of 2026-12-06). A specialist is not asked for a lead."""
    from hrsaas.core.labels import label
    from tests.factories import make_user

    marketer = make_user("bj_mkt_est", ("bj", "marketing"), home="bj")
    page = web(marketer).get("/b/bj/me/estimate/").content.decode()
    assert 'name="lead_amount"' in page and "您的市场线索由销售签约的金额" in page
    r = web(marketer).get("/b/bj/me/estimate/", {"openings": "0", "sales_amount": "0", "lead_amount": "100,000.00",
                                                  "service": "social_insurance", "client_type": "new"})
    html = r.content.decode()
    assert r.status_code == 200 and 'data-testid="estimate-total">4,000.00<' in html  # 4%
    assert str(label("component", "lead_marketing")) in html and "lead_marketing" not in html
    bad = web(marketer).get("/b/bj/me/estimate/", {"lead_amount": "-5", "service": "social_insurance",
                                                    "client_type": "new"})
    assert bad.status_code == 400 and 'data-field="lead_amount">不能为负数。' in bad.content.decode()
    assert 'name="lead_amount"' not in web(people["bj_s1"]).get("/b/bj/me/estimate/").content.decode()


def test_estimator_uses_this_branchs_registered_adjustment(web, people):
    register_adjustment("sh", "opening_reward", "20.00", "2020-01-01")
    r = web(people["sh_s1"]).get("/b/sh/me/estimate/", {"openings": "2", "headcount": "60", "sales_amount": "0",
                                                         "service": "social_insurance", "client_type": "new"})
    assert 'data-testid="estimate-total">2,880.00<' in r.content.decode()
    r = web(people["bj_s1"]).get("/b/bj/me/estimate/", {"openings": "2", "headcount": "60", "sales_amount": "0",
                                                         "service": "social_insurance", "client_type": "new"})
    assert 'data-testid="estimate-total">2,400.00<' in r.content.decode()


@pytest.mark.parametrize("params, field, message", [
    ({"openings": "-2", "headcount": "60"}, "openings", "不能为负数。"),
    ({"openings": "两户", "headcount": "60"}, "openings", "请填写整数。"),
    ({"openings": "2", "headcount": "6.5"}, "headcount", "请填写整数。"),
    ({"openings": "2", "headcount": ""}, "headcount", "填写了开户数时须填写员工人数。"),
    ({"openings": "0", "sales_amount": "100.005"}, "sales_amount", "金额最多保留 2 位小数。"),
    ({"openings": "0", "sales_amount": "-1"}, "sales_amount", "不能为负数。"),
    ({"openings": "0", "sales_amount": "abc"}, "sales_amount", "不是有效的金额:abc"),
])
def test_estimator_bad_input_shows_errors_next_to_fields_and_keeps_values(web, people, params, field, message):
    query = {"service": "social_insurance", "client_type": "new", "sales_amount": "0", **params}
    r = web(people["bj_s1"]).get("/b/bj/me/estimate/", query)
    html = r.content.decode()
    assert r.status_code == 400
    assert f'data-field="{field}">{message}</p>' in html
    assert f'value="{params[field]}"' in html or params[field] == ""
    assert 'data-testid="estimate-result"' not in html
