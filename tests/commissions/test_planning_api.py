"""Planning API and pages: who may replay and draft, bad input refused with nothing written,
people's words on pages and files."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from commissions.hq.models import BranchPeriod, RuleDraft, RuleVersion
from commissions.models import Adjustment
from tests.conftest import in_branch
from tests.factories import make_user
from tests.json_numbers import N, post_json, refusal

from .test_suggestions import PERIODS, build

pytestmark = pytest.mark.django_db
D = Decimal
OPENING = {"component": "opening_reward", "effective_from": "2026-01-01", "note": "小客户档提高",
           "tiers": [{"max_headcount": 50, "amount": "1000.00"}, {"max_headcount": 100, "amount": "1200.00"},
                     {"max_headcount": None, "amount": "1800.00"}]}
WINDOW = "months=4&until=2026-04"


def test_hq_drafts_replays_and_publishes_through_the_api(api, people, hq_admin):
    build(people)
    finance = make_user("fin", (None, "hq_finance"))
    r = api(finance).post("/api/v1/planning/rule-drafts/", OPENING, format="json")
    assert r.status_code == 403
    r = api(hq_admin).post("/api/v1/planning/rule-drafts/", OPENING, format="json")
    assert r.status_code == 201, r.content
    draft_id = r.json()["id"]
    r = api(finance).get(f"/api/v1/planning/rule-drafts/{draft_id}/replay/?{WINDOW}&branch=bj")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["periods"] == PERIODS and body["lines"] == 19  # 13 openings, 6 first anniversaries
    # 10 of Beijing's 13 openings are in the first tier: 200.00 more each
    assert body["difference"] == "2000.00" and body["by_component"][0]["component"] == "开户奖励"
    assert {p["name"] for p in body["gainers"]} == {people["bj_s1"].label, people["bj_s2"].label, "bj_s3"}
    assert body["losers"] == []
    assert RuleVersion.objects.filter(effective_from="2026-01-01").count() == 0  # nothing saved
    r = api(finance).post(f"/api/v1/planning/rule-drafts/{draft_id}/publish/")
    assert r.status_code == 403
    r = api(hq_admin).post(f"/api/v1/planning/rule-drafts/{draft_id}/publish/")
    assert r.status_code == 200 and r.json()["status"] == "published" and r.json()["published_version"]


@pytest.mark.parametrize("query, field", [("months=0", "months"), ("months=25", "months"), ("months=x", "months"),
                                          ("until=2099-01", "until"), ("until=2026-13", "until"),
                                          ("branch=nowhere", "branch")])
def test_bad_window_is_refused_in_words(api, people, hq_admin, query, field):
    draft = RuleDraft.objects.create(component="opening_reward", effective_from="2026-01-01",
                                     params={k: v for k, v in OPENING.items() if k == "tiers"})
    r = api(hq_admin).get(f"/api/v1/planning/rule-drafts/{draft.pk}/replay/?{query}")
    assert r.status_code == 400 and field in r.json(), r.content
    assert "_" not in str(r.json()[field])


def test_bad_draft_is_refused_and_nothing_saved(api, hq_admin):
    bad = dict(OPENING, tiers=[{"max_headcount": 50, "amount": "800.001"}])
    r = api(hq_admin).post("/api/v1/planning/rule-drafts/", bad, format="json")
    assert r.status_code == 400 and "tiers[0].amount" in r.json()
    assert RuleDraft.objects.count() == 0


def test_a_draft_saved_with_a_service_left_out_is_not_published(api, hq_admin):
    """A sales-commission draft saved before every service was required (stored as it was) is
    refused when published, in the words a version typed today gets; nothing is published."""
    draft = RuleDraft.objects.create(component="sales_commission", effective_from="2027-03-01", params={
        "new_client_months": 12, "rates": [{"service": "social_insurance", "new": "2.00", "existing": "1.00"}]})
    r = api(hq_admin).post(f"/api/v1/planning/rule-drafts/{draft.pk}/publish/")
    assert r.status_code == 400 and r.json() == {"rates": [
        "缺少这些服务的费率:公积金代缴、薪酬外包。每项服务都须填写新客户和老客户费率,不计提成的请填 0.00。"]}, r.content
    draft.refresh_from_db()
    assert draft.status == "draft" and not RuleVersion.objects.filter(effective_from="2027-03-01").exists()


CLOSED_FEBRUARY = "北京分公司 的 2026年2月 期间已关账,新版本不能在已关账或已发放的期间生效。"
RULE_PAGE_DRAFT = {"effective_from": "2026-01-01", "note": "", "as_draft": "1",
                   **{f"tier{i}_max": v for i, v in enumerate(["50", "100", ""])},
                   **{f"tier{i}_amount": v for i, v in enumerate(["1000.00", "1200.00", "1800.00"])}}


def _close_february(branches):
    return BranchPeriod.objects.create(branch=branches["bj"], period="2026-02", status=BranchPeriod.Status.CLOSED)


def test_a_draft_dated_into_a_closed_month_is_refused_by_the_api_as_publishing_would(api, hq_admin, branches):
    # given a draft saved while February was open, then February closed in Beijing
    saved = api(hq_admin).post("/api/v1/planning/rule-drafts/", OPENING, format="json")
    assert saved.status_code == 201, saved.content
    _close_february(branches)
    refused_publish = api(hq_admin).post(f"/api/v1/planning/rule-drafts/{saved.json()['id']}/publish/")
    drafts, audit = RuleDraft.objects.count(), RuleDraft.history.count()

    # when the same draft (effective 2026-01-01, reaching February) is saved again
    r = api(hq_admin).post("/api/v1/planning/rule-drafts/", OPENING, format="json")

    # then it is refused in the publishing's words, and nothing is written
    assert refused_publish.status_code == 400 and refused_publish.json()["effective_from"] == [CLOSED_FEBRUARY]
    assert r.status_code == 400 and r.json() == {"effective_from": [CLOSED_FEBRUARY]}
    assert RuleDraft.objects.count() == drafts and RuleDraft.history.count() == audit
    assert RuleVersion.objects.filter(effective_from="2026-01-01").count() == 0
    # a draft from the first open month is saved
    r = api(hq_admin).post("/api/v1/planning/rule-drafts/", dict(OPENING, effective_from="2026-03-01"), format="json")
    assert r.status_code == 201, r.content


def test_a_draft_dated_into_a_closed_month_is_refused_on_the_rules_page(client, hq_admin, branches):
    _close_february(branches)
    client.force_login(hq_admin)

    r = client.post("/commissions/rules/opening_reward/", RULE_PAGE_DRAFT)

    page = r.content.decode()
    assert r.status_code == 200
    assert f'<p class="field-error" data-field="effective_from">{CLOSED_FEBRUARY}</p>' in page
    assert 'value="2026-01-01"' in page and 'value="1200.00"' in page  # what was typed is kept
    assert RuleDraft.objects.count() == 0 and RuleDraft.history.count() == 0


def test_a_draft_refused_for_a_closed_month_reads_in_english(hq_admin, branches):
    from django.conf import settings
    from django.utils import translation

    from tests.platform.test_english import english

    _close_february(branches)
    try:
        page = english(hq_admin).post("/commissions/rules/opening_reward/", RULE_PAGE_DRAFT).content.decode()
    finally:  # the locale middleware leaves English active in this thread; later tests expect Chinese
        translation.activate(settings.LANGUAGE_CODE)

    assert "北京分公司, period February 2026 (Closed): a new version cannot take effect in a closed or paid period." in page
    assert RuleDraft.objects.count() == 0


@pytest.mark.parametrize("literal", ["1000", "1e3"])
def test_money_and_percents_sent_as_json_numbers_are_refused_and_nothing_saved(api, people, hq_admin, literal):
    draft = dict(OPENING, tiers=[{"max_headcount": 50, "amount": N}, {"max_headcount": None, "amount": "1800.00"}])
    r = post_json(api(hq_admin), "/api/v1/planning/rule-drafts/", draft, literal)
    assert r.status_code == 400 and r.json() == {"tiers[0].amount": [refusal("800.00")]}
    assert RuleDraft.objects.count() == 0
    assert post_json(api(hq_admin), "/api/v1/planning/rule-drafts/", draft, '"1000.00"').status_code == 201

    typed = {"component": "opening_reward", "percent": N, "months": 4, "until": "2026-04"}
    r = post_json(api(people["bj_manager"]), "/b/bj/api/v1/planning/adjustments/replay/", typed, literal)
    assert r.status_code == 400 and r.json() == {"percent": [refusal("10.00")]}
    with in_branch("bj"):
        assert Adjustment.objects.count() == 0
    r = post_json(api(people["bj_manager"]), "/b/bj/api/v1/planning/adjustments/replay/", typed, '"10.00"')
    assert r.status_code == 200, r.content


def test_branch_replay_and_suggestions_by_role(api, people, branches):
    build(people)
    with in_branch("bj"):
        r = api(people["bj_staff"]).post("/b/bj/api/v1/adjustments/", {
            "component": "opening_reward", "percent": "10.00", "effective_from": "2027-01-01", "reason": "小客户"},
            format="json")
        assert r.status_code == 201
        adj_id = r.json()["id"]
    finance = make_user("fin", (None, "hq_finance"))
    for who, expected in ((people["bj_manager"], 200), (finance, 200), (people["bj_staff"], 403),
                          (people["bj_s1"], 403), (people["bj_contact"], 403), (people["sh_manager"], 404)):
        r = api(who).get(f"/b/bj/api/v1/planning/adjustments/{adj_id}/replay/?{WINDOW}")
        assert r.status_code == expected, (who.username, r.status_code)
        r = api(who).get(f"/b/bj/api/v1/planning/suggestions/?{WINDOW}")
        assert r.status_code == expected, (who.username, r.status_code)
    r = api(people["bj_manager"]).get(f"/b/bj/api/v1/planning/adjustments/{adj_id}/replay/?{WINDOW}")
    by = {c["component"]: c for c in r.json()["by_component"]}
    assert by["开户奖励"]["difference"] == f"{D(by['开户奖励']['current']) * D('0.10'):.2f}"  # +10% on openings
    assert by["留存奖励"]["difference"] == "0.00" and r.json()["difference"] == by["开户奖励"]["difference"]
    r = api(people["bj_manager"]).post("/b/bj/api/v1/planning/adjustments/replay/",
                                       {"component": "opening_reward", "percent": "25", "months": 4,
                                        "until": "2026-04"}, format="json")
    assert r.status_code == 400 and "±20%" in r.json()["percent"][0]
    r = api(people["bj_manager"]).get(f"/b/bj/api/v1/planning/suggestions/?{WINDOW}")
    assert [s["kind"] for s in r.json()] == ["small_clients"]
    r = api(people["bj_staff"]).post("/b/bj/api/v1/planning/suggestions/draft/", {"kind": "small_clients",
                                                                                "months": 4, "until": "2026-04"})
    assert r.status_code == 403
    r = api(people["bj_manager"]).post("/b/bj/api/v1/planning/suggestions/draft/",
                                       {"kind": "small_clients", "months": 4, "until": "2026-04"}, format="json")
    assert r.status_code == 201 and r.json()["kind"] == "adjustment"
    with in_branch("bj"):
        made = Adjustment.objects.get(pk=r.json()["id"])
        assert made.status == Adjustment.Status.PROPOSED and made.proposed_by_id == people["bj_manager"].pk
    # the proposer cannot approve it (four eyes)
    r = api(people["bj_manager"]).post(f"/b/bj/api/v1/adjustments/{made.pk}/approve/", {}, format="json")
    assert r.status_code == 400


def test_pages_speak_people_words_and_files_download(client, people, hq_admin):
    import re

    build(people)
    people["bj_s1"].display_name = "王芳"
    people["bj_s1"].save()
    client.force_login(people["bj_manager"])
    r = client.get(f"/b/bj/commissions/adjustments/planning/?component=opening_reward&percent=10&{WINDOW}")
    assert r.status_code == 200
    page = r.content.decode()
    text = re.sub(r"<[^>]+>", " ", page)
    assert "王芳" in text and "bj_s1" not in text and "开户奖励" in text
    assert not re.search(r"\b(opening_reward|retention_bonus|small_clients|None)\b", text)
    assert re.search(r"\+\d{1,3}(,\d{3})*\.\d{2}", text)  # differences signed, money formatted
    assert 'data-testid="replay"' in page and 'data-testid="suggestion-small_clients-bj"' in page
    r = client.get(f"/b/bj/commissions/adjustments/planning/replay.csv?component=opening_reward&percent=10&{WINDOW}")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["分支机构", "人员", "提成项目", "现行方案", "草案", "差额"]
    assert rows[-1][0] == "合计" and len(rows) > 3
    r = client.get(f"/b/bj/commissions/adjustments/planning/?component=opening_reward&percent=30&{WINDOW}")
    assert r.status_code == 200 and "±20%" in r.content.decode() and 'data-testid="replay"' not in r.content.decode()
    client.force_login(people["bj_staff"])
    assert client.get("/b/bj/commissions/adjustments/planning/").status_code == 404
    client.force_login(hq_admin)
    r = client.post("/commissions/rules/opening_reward/", {
        "effective_from": "2026-01-01", "note": "", "as_draft": "1",
        **{f"tier{i}_max": v for i, v in enumerate(["50", "100", ""])},
        **{f"tier{i}_amount": v for i, v in enumerate(["1000.00", "1200.00", "1800.00"])}})
    draft = RuleDraft.objects.first()
    assert r.status_code == 302 and draft is not None, r.content.decode()[:2000]
    r = client.get(f"/commissions/rules/drafts/{draft.pk}/?{WINDOW}&branch=bj")
    assert r.status_code == 200 and "+2,000.00" in r.content.decode()
    r = client.get(f"/commissions/rules/drafts/{draft.pk}/replay.xlsx?{WINDOW}")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    r = client.get(f"/commissions/rules/drafts/?{WINDOW}")
    assert r.status_code == 200 and 'data-testid="suggestion-low_retention-sh"' in r.content.decode()


def test_planning_pages_are_entirely_english_when_switched(people, hq_admin, branches):
    from tests.platform.test_english import chinese_left, english

    build(people)
    draft = RuleDraft.objects.create(component="opening_reward", effective_from="2026-01-01",
                                     params={k: v for k, v in OPENING.items() if k == "tiers"})
    names = tuple(b.name for b in branches.values())
    pages = [(hq_admin, f"/commissions/rules/drafts/?{WINDOW}"), (hq_admin, f"/commissions/rules/drafts/{draft.pk}/?{WINDOW}"),
             (people["bj_manager"], f"/b/bj/commissions/adjustments/planning/?component=opening_reward&percent=10&{WINDOW}")]
    from django.conf import settings
    from django.utils import translation

    try:
        left = {url: chinese_left(english(user), url, names) for user, url in pages}
    finally:  # the locale middleware leaves English active in this thread; later tests expect Chinese
        translation.activate(settings.LANGUAGE_CODE)
    assert left == {url: [] for _user, url in pages}
