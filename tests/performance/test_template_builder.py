"""The KPI template builder (考核模板) page: indicators picked from the known metrics, weights that
must add up to 100 (refused with nothing written otherwise), the detail page behind the "edit"
link, and new (seasonal) versions created from the page through the same services as the API."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from performance.models import KpiIndicator, KpiTemplate, KpiTemplateVersion
from tests.conftest import in_branch
from tests.performance.conftest import BJ, browser, indicator

pytestmark = pytest.mark.django_db
PAGE = "/b/bj/performance/templates/"


def rows(*indicators, extra_blank=0) -> dict:
    """Formset POST data: one row per (metric, weight, target, formula[, cap]) plus blank rows."""
    data = {"ind-TOTAL_FORMS": str(len(indicators) + extra_blank), "ind-INITIAL_FORMS": "0",
            "ind-MIN_NUM_FORMS": "0", "ind-MAX_NUM_FORMS": "30"}
    for n, row in enumerate(indicators):
        metric, weight, target, *rest = row
        formula = rest[0] if rest else "linear"
        data.update({f"ind-{n}-metric": metric, f"ind-{n}-name": "", f"ind-{n}-weight": weight,
                     f"ind-{n}-target": target, f"ind-{n}-direction": "higher", f"ind-{n}-formula": formula,
                     f"ind-{n}-cap": rest[1] if len(rest) > 1 else ""})
    for n in range(len(indicators), len(indicators) + extra_blank):
        data.update({f"ind-{n}-metric": "", f"ind-{n}-direction": "higher", f"ind-{n}-formula": "linear"})
    return data


def counts():
    with in_branch("bj"):
        return KpiTemplate.objects.count(), KpiTemplateVersion.objects.count(), KpiIndicator.objects.count()


def test_builder_offers_the_known_metrics_by_their_chinese_labels_and_the_survey_scale(org):
    html = browser(org.hr).get(PAGE + "new/").content.decode()
    assert '<option value="survey_score">满意度得分</option>' in html
    assert '<option value="claim_days">理赔处理天数</option>' in html
    assert "满意 10 分 / 一般 5 分 / 不满意 0 分" in html
    assert 'src="/static/js/kpi-builder.js"' in html
    builder = html[html.index('class="form kpi-builder"'):html.index("</form>", html.index('class="form kpi-builder"'))]
    assert not re.search(r"\son[a-z]+=", builder)  # no inline handlers (CSP without inline scripts)
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))
    assert "null" not in html  # the old JSON box prefilled with null is gone


def test_builder_saves_a_valid_template_with_a_survey_indicator(org):
    data = {"name": "客服部考核", "department": "cs", "position": "", "effective_from": "2026-01-01",
            **rows(("survey_score", "40", "8"), ("exception_hours", "６０", "2", "capped", "120"), extra_blank=1)}
    resp = browser(org.hr).post(PAGE + "new/", data)
    assert resp.status_code == 302 and resp["Location"] == PAGE
    with in_branch("bj"):
        t = KpiTemplate.objects.get(name="客服部考核")
        v = t.versions.get()
        got = [(i.name, i.metric, i.weight, i.target, i.formula, i.params) for i in v.indicators.all()]
    assert (v.season, v.version, str(v.effective_from)) == ("all", 1, "2026-01-01")
    assert got == [("满意度得分", "survey_score", Decimal("40.00"), Decimal("8.00"), "linear", {}),
                   ("异常处理小时数", "exception_hours", Decimal("60.00"), Decimal("2.00"), "capped", {"cap": "120"})]


def test_builder_takes_an_optional_english_name_and_the_next_version_starts_from_it(org):
    data = {"name": "客服部考核", "department": "cs", "position": "", "effective_from": "2026-01-01",
            **rows(("survey_score", "40", "8"), ("exception_hours", "60", "2"))}
    data.update({"ind-1-name": "异常响应(小时)", "ind-1-name_en": " Exception response (hours) "})
    html = browser(org.hr).get(PAGE + "new/").content.decode()
    assert "英文名称" in html
    assert browser(org.hr).post(PAGE + "new/", data).status_code == 302
    with in_branch("bj"):
        t = KpiTemplate.objects.get(name="客服部考核")
        got = [(i.name, i.name_en) for i in t.versions.get().indicators.all()]
    assert got == [("满意度得分", ""), ("异常响应(小时)", "Exception response (hours)")]
    page = browser(org.hr).get(PAGE + f"{t.code}/versions/new/").content.decode()
    assert 'value="Exception response (hours)"' in page


def test_builder_refuses_weights_that_do_not_add_up_to_100_and_writes_nothing(org):
    before = counts()
    data = {"name": "客服部考核", "department": "cs", "effective_from": "2026-01-01",
            **rows(("survey_score", "40", "8"), ("quality", "50", "90"))}
    resp = browser(org.hr).post(PAGE + "new/", data)
    html = resp.content.decode()
    assert resp.status_code == 400
    assert "指标权重合计须为100%,当前为90%。" in html
    assert '<output id="kpi-weight-total">90</output>' in html  # the total shown as submitted
    assert 'value="40"' in html and 'value="50"' in html  # what was typed is kept
    assert counts() == before


def test_builder_refuses_a_survey_target_above_the_scale_and_a_missing_metric(org):
    before = counts()
    data = {"name": "客服部考核", "department": "cs", "effective_from": "2026-01-01",
            **rows(("survey_score", "50", "80"), ("", "50", "1"))}
    html = browser(org.hr).post(PAGE + "new/", data).content.decode()
    assert "满意度得分的目标值不能超过10。" in html and "请选择指标。" in html
    assert counts() == before


def test_the_edit_link_opens_the_template_and_a_seasonal_version_is_created_from_the_page(api, org):
    api(org.hr).post(BJ + "templates/", {"code": "cs-kpi", "name": "客服部考核", "department": "cs",
                                         "effective_from": "2026-01-01",
                                         "indicators": [indicator("survey", "survey_score", 40, 8),
                                                        indicator("q", "quality", 60, 90)]}, format="json")
    hr = browser(org.hr)
    listing = hr.get(PAGE).content.decode()
    assert "templates//versions/" not in listing
    assert f'href="{PAGE}cs-kpi/"' in listing
    detail = hr.get(PAGE + "cs-kpi/")
    assert detail.status_code == 200 and "满意度得分" in detail.content.decode() and "当前生效" in detail.content.decode()

    # The new-version page starts from the version in force (weights 40 / 60).
    form = hr.get(PAGE + "cs-kpi/versions/new/?season=__new__").content.decode()
    assert 'name="ind-0-weight" value="40"' in form and 'name="ind-1-weight" value="60"' in form
    assert "1月" in form
    # the date box is filled in the form a date input reads (ISO), whatever the page's language
    assert re.search(r'type="date" name="effective_from" value="\d{4}-\d{2}-01"', form), \
        re.search(r'<input[^>]*name="effective_from"[^>]*>', form).group(0)
    hr.cookies["django_language"] = "en"  # the months in the reader's language (they read 1月 in English)
    english = hr.get(PAGE + "cs-kpi/versions/new/?season=__new__").content.decode()
    assert "Month 1" in english and "1月" not in english
    hr.cookies["django_language"] = "zh-hans"

    data = {"season": "__new__", "season_label": "开门红", "months": ["1", "2", "3"], "effective_from": "2027-01-01",
            "note": "一季度冲刺", **rows(("survey_score", "30", "8"), ("openings", "70", "5"))}
    resp = hr.post(PAGE + "cs-kpi/versions/new/", data)
    assert resp.status_code == 302 and resp["Location"] == PAGE + "cs-kpi/"
    with in_branch("bj"):
        peak = KpiTemplateVersion.objects.get(template__code="cs-kpi", season_label="开门红")
        assert (peak.version, peak.months, str(peak.effective_from)) == (1, [1, 2, 3], "2027-01-01")
        assert [str(i.weight) for i in peak.indicators.all()] == ["30.00", "70.00"]
        all_year = KpiTemplateVersion.objects.get(template__code="cs-kpi", season="all")
        assert [str(i.weight) for i in all_year.indicators.all()] == ["40.00", "60.00"]  # untouched
    assert "开门红" in hr.get(PAGE + "cs-kpi/").content.decode()

    # A season without months is refused and nothing is written.
    before = counts()
    bad = hr.post(PAGE + "cs-kpi/versions/new/", {**data, "months": [], "season_label": "淡季"})
    assert bad.status_code == 400 and "季节版本须选择适用月份。" in bad.content.decode()
    assert counts() == before


def test_builder_pages_are_for_hr_only(org, api):
    outsider = browser(org.managers["cs"])  # a department manager is not branch HR
    assert outsider.get(PAGE + "new/").status_code == 404
    before = counts()
    data = {"name": "x", "department": "cs", "effective_from": "2026-01-01", **rows(("quality", "100", "90"))}
    assert outsider.post(PAGE + "new/", data).status_code == 404
    assert outsider.get(PAGE + "no-such/").status_code == 404
    assert counts() == before
