"""KPI templates through the API: validation (400, nothing written), versions, seasonal variants."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction

from performance import services
from performance.engine import IndicatorSpec
from performance.models import KpiIndicator, KpiTemplate, KpiTemplateVersion
from tests.conftest import in_branch
from tests.json_numbers import N, post_json, refusal
from tests.performance.conftest import BJ, indicator

pytestmark = pytest.mark.django_db


def template_body(**kw):
    body = {"code": "cs-kpi", "name": "客服部考核", "department": "cs", "effective_from": "2026-01-01",
            "indicators": [indicator("survey", "survey_score", 40, 10),
                           indicator("hours", "exception_hours", 60, 1, direction="lower")]}
    body.update(kw)
    return body


def counts():
    with in_branch("bj"):
        return (KpiTemplate.objects.count(), KpiTemplateVersion.objects.count(), KpiIndicator.objects.count())


def test_hr_creates_a_template_and_a_change_is_a_new_version(api, org):
    client = api(org.hr)
    resp = client.post(BJ + "templates/", template_body(), format="json")
    assert resp.status_code == 201, resp.content
    assert [(v["season"], v["version"]) for v in resp.json()["versions"]] == [("all", 1)]

    changed = {"effective_from": "2026-07-01", "note": "调整权重",
               "indicators": [indicator("survey", "survey_score", 50, 10),
                              indicator("hours", "exception_hours", 50, 1, direction="lower")]}
    resp = client.post(BJ + "templates/cs-kpi/versions/", changed, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["version"] == 2
    with in_branch("bj"):
        versions = KpiTemplateVersion.objects.filter(template__code="cs-kpi").order_by("version")
        # version 1 is untouched
        assert [str(i.weight) for i in versions[0].indicators.all()] == ["40.00", "60.00"]
        assert [str(i.weight) for i in versions[1].indicators.all()] == ["50.00", "50.00"]


def test_a_peak_season_variant_is_another_version_with_months(api, org):
    client = api(org.hr)
    assert client.post(BJ + "templates/", template_body(), format="json").status_code == 201
    peak = {"season": "peak", "season_label": "开门红", "months": [1, 2, 3], "effective_from": "2026-01-01",
            "indicators": [indicator("survey", "survey_score", 100, 10)]}
    resp = client.post(BJ + "templates/cs-kpi/versions/", peak, format="json")
    assert resp.status_code == 201, resp.content
    assert (resp.json()["season"], resp.json()["version"], resp.json()["months"]) == ("peak", 1, [1, 2, 3])


@pytest.mark.parametrize("indicators, field, text", [
    ([indicator("a", "survey_score", 40, 10), indicator("b", "exception_hours", 50, 1)], "weights", "当前为90%"),
    ([indicator("a", "survey_score", 60, 10), indicator("b", "exception_hours", 50, 1)], "weights", "当前为110%"),
    ([indicator("a", "made_up_metric", 100, 10)], "formula", "未知指标数据源“made_up_metric”"),
    ([indicator("a", "new_hire_achievement_rate", 100, 80, formula="points",
                params={"gate_metric": "nope", "gate_target": 95, "gate_points": 20, "points_per_percent": 1,
                        "max": 100})], "formula", "未知指标数据源“nope”"),
    ([indicator("a", "survey_score", "100.001", 10)], "weights", "最多2位小数"),
    ([indicator("a", "survey_score", 100, 0)], "target", "目标值须大于0"),
    # Stored cut to 100 characters before, without a word.
    ([dict(indicator("a", "survey_score", 100, 10), name="满" * 101)], "indicators",
     "第1个指标的名称不能超过 100 个字符(现为 101 个)。"),
    ([dict(indicator("a", "survey_score", 100, 10), code="k" * 41)], "indicators",
     "第1个指标的代码不能超过 40 个字符(现为 41 个)。"),
])
def test_bad_templates_are_refused_with_400_and_nothing_is_written(api, org, indicators, field, text):
    before = counts()
    resp = api(org.hr).post(BJ + "templates/", template_body(indicators=indicators), format="json")
    assert resp.status_code == 400, resp.content
    assert text in " ".join(resp.json()[field])
    assert counts() == before


@pytest.mark.parametrize("literal", ["100", "100.0", "1e2", "true"])
def test_a_weight_sent_as_a_json_number_is_refused_and_nothing_is_written(api, org, literal):
    body = template_body(indicators=[dict(indicator("survey", "survey_score", 0, 10), weight=N)])
    before = counts()

    resp = post_json(api(org.hr), BJ + "templates/", body, literal)

    assert resp.status_code == 400 and resp.json() == {"weights": [refusal("40.00")]}
    assert counts() == before
    assert post_json(api(org.hr), BJ + "templates/", body, '"100.00"').status_code == 201


def test_a_bad_new_version_changes_nothing(api, org):
    client = api(org.hr)
    assert client.post(BJ + "templates/", template_body(), format="json").status_code == 201
    before = counts()
    resp = client.post(BJ + "templates/cs-kpi/versions/", {"effective_from": "2026-07-01", "indicators": [
        indicator("a", "survey_score", 99, 10)]}, format="json")
    assert resp.status_code == 400
    assert resp.json()["weights"] == ["指标权重合计须为100%,当前为99%。"]
    assert counts() == before


def test_template_versions_cannot_be_edited_in_the_database(org):
    with in_branch("bj"):
        t = services.template_create(actor=org.hr, code="t1", name="t", department=org.depts["si"], first=services.VersionInput(
            season="all", season_label="", months=(), effective_from=date(2026, 1, 1),
            indicators=(IndicatorSpec("a", "a", "openings", Decimal(100), Decimal(5)),)))
        v = t.versions.get()
        v.note = "rewritten"
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
            v.save()


def test_only_hr_may_create_templates(api, org):
    before = counts()
    resp = api(org.managers["cs"]).post(BJ + "templates/", template_body(), format="json")
    assert resp.status_code == 403
    assert counts() == before
