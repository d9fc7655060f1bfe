"""Leads worked by the people who bring them: a marketer records their own lead, a seller their
self-sourced one and signs; each sees only their own; stages with who and when; a stuck lead
alerts the person whose turn it is and the manager; disputes over who sourced a lead are
decided by the manager. Every refusal changes nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import in_branch
from tests.factories import make_user

from .conftest import drain, statement

pytestmark = pytest.mark.django_db


def _state():
    from commissions.models import Lead, LeadDispute, LeadStageChange, RecomputeMarker
    from notifications.models import Notification

    with in_branch("bj"):
        return (sorted(Lead.objects.values_list("pk", "source", "marketer_id", "owner_id", "stage", "signed_on",
                                                "seller_id")),
                LeadStageChange.objects.count(), LeadDispute.objects.count(), RecomputeMarker.objects.count(),
                Lead.history.count(), Notification.objects.count())


@pytest.fixture
def more(people):
    return {"bj_mkt2": make_user("bj_mkt2", ("bj", "marketing"), home="bj"),
            "bj_sales2": make_user("bj_sales2", ("bj", "sales"), home="bj")}


def _today() -> str:
    return timezone.localdate().isoformat()


def _lead(api, user, **body):
    r = api(user).post("/b/bj/api/v1/leads/", dict({"name": "华信科技"}, **body), format="json")
    assert r.status_code == 201, r.json()
    return r.json()


# --- entry by the people themselves ------------------------------------------------------------
def test_a_marketer_records_their_own_lead(api, people):
    body = _lead(api, people["bj_mkt"], owner="bj_sales")
    assert (body["source"], body["marketer"], body["owner"], body["stage"]) == ("marketing", "bj_mkt", "bj_sales",
                                                                                "entered")
    assert body["turn_of"] == "bj_mkt"  # 录入 → 到访: the marketer brings the client in
    from commissions.models import Lead, LeadStageChange

    with in_branch("bj"):
        lead = Lead.objects.get(pk=body["id"])
        assert lead.recorded_by_id == people["bj_mkt"].pk
        assert list(LeadStageChange.objects.filter(lead=lead).values_list("stage", "by_id")) == [
            ("entered", people["bj_mkt"].pk)]
        assert lead.history.latest().history_user_id == people["bj_mkt"].pk


def test_a_seller_records_a_self_sourced_lead(api, people):
    body = _lead(api, people["bj_sales"])
    assert (body["source"], body["marketer"], body["owner"]) == ("sales", None, "bj_sales")


@pytest.mark.parametrize("who, body, field", [
    ("bj_mkt", {"marketer": "bj_mkt2"}, "marketer"),          # someone else's name
    ("bj_mkt", {"source": "sales"}, "source"),                # a marketer's lead is a marketing lead
    ("bj_mkt", {"owner": "bj_s1"}, "owner"),                  # handed to someone who is not a seller
    ("bj_sales", {"source": "marketing", "marketer": "bj_mkt"}, "source"),
    ("bj_sales", {"owner": "bj_sales2"}, "owner"),
    ("bj_mkt", {"created_on": "2099-01-01"}, "created_on"),
])
def test_own_entry_refusals_change_nothing(api, people, more, who, body, field):
    users = {**people, **more}
    before = _state()
    r = api(users[who]).post("/b/bj/api/v1/leads/", dict({"name": "x"}, **body), format="json")
    assert r.status_code == 400
    assert field in r.json()
    assert _state() == before


def test_handing_a_lead_to_anyone_but_this_branchs_seller_says_the_same_whoever_it_is(api, people):
    """No account, a specialist, another branch's seller: the same words, so the field tells a
    branch user neither that an account exists nor where it works."""
    make_user("sh_sales", ("sh", "sales"), home="sh")
    before = _state()
    for name in ("nosuch", "bj_s1", "sh_sales"):
        r = api(people["bj_staff"]).post("/b/bj/api/v1/leads/", {"name": "x", "source": "sales", "owner": name},
                                         format="json")
        assert r.status_code == 400 and r.json() == {"owner": [f"{name} 不是本分支机构的销售人员。"]}, name
    assert _state() == before


@pytest.mark.parametrize("who", ["bj_s1", "bj_contact"])
def test_specialists_and_client_contacts_do_not_work_leads(api, people, who):
    before = _state()
    c = api(people[who])
    assert c.post("/b/bj/api/v1/leads/", {"name": "x", "source": "sales"}, format="json").status_code == 403
    assert c.get("/b/bj/api/v1/leads/").status_code == 403
    assert _state() == before


# --- each sees their own -----------------------------------------------------------------------
def test_each_sees_their_own_leads_and_the_office_sees_all(api, people, more):
    a = _lead(api, people["bj_mkt"], name="甲")["id"]
    b = _lead(api, more["bj_mkt2"], name="乙")["id"]
    c = _lead(api, people["bj_sales"], name="丙")["id"]
    d = _lead(api, more["bj_sales2"], name="丁")["id"]
    e = _lead(api, people["bj_mkt"], name="戊", owner="bj_sales")["id"]

    def ids(user):
        r = api(user).get("/b/bj/api/v1/leads/")
        assert r.status_code == 200
        return sorted(x["id"] for x in r.json())

    assert ids(people["bj_mkt"]) == sorted([a, e])
    assert ids(more["bj_mkt2"]) == [b]
    assert ids(people["bj_sales"]) == sorted([c, e])
    assert ids(people["bj_staff"]) == ids(people["bj_manager"]) == sorted([a, b, c, d, e])
    # a colleague's lead is missing, like one that does not exist
    for path in (f"/b/bj/api/v1/leads/{b}/", "/b/bj/api/v1/leads/999999/"):
        assert api(people["bj_mkt"]).get(path).status_code == 404
    before = _state()
    sign = {"amount": "1000.00", "signed_on": _today()}
    assert api(people["bj_sales"]).post(f"/b/bj/api/v1/leads/{d}/sign/", sign, format="json").status_code == 404
    assert api(people["bj_sales"]).post("/b/bj/api/v1/leads/999999/sign/", sign, format="json").status_code == 404
    # a marketer does not sign: refused for the role (the contract's 403), their own lead or not
    for lead_id in (e, b, 999999):
        refused = api(people["bj_mkt"]).post(f"/b/bj/api/v1/leads/{lead_id}/sign/", sign, format="json")
        assert refused.status_code == 403, refused.content
    assert _state() == before


# --- the whole way: marketer's entry → seller's signing → both statements ---------------------
def test_a_lead_flows_from_the_marketer_to_the_seller_to_both_statements(api, people):
    mkt, sales = api(people["bj_mkt"]), api(people["bj_sales"])
    lead = _lead(api, people["bj_mkt"], name="远航物流", owner="bj_sales")["id"]
    r = mkt.post(f"/b/bj/api/v1/leads/{lead}/stage/", {"stage": "visited"}, format="json")
    assert r.status_code == 200 and r.json()["stage"] == "visited" and r.json()["turn_of"] == "bj_sales"
    before = _state()  # the marketer cannot take the seller's steps
    r = mkt.post(f"/b/bj/api/v1/leads/{lead}/stage/", {"stage": "received"}, format="json")
    assert r.status_code == 400 and "轮到 bj_sales" in r.json()["stage"][0]
    assert _state() == before
    assert sales.post(f"/b/bj/api/v1/leads/{lead}/stage/", {"stage": "received"}, format="json").status_code == 200
    r = sales.post(f"/b/bj/api/v1/leads/{lead}/stage/", {"stage": "archived"}, format="json")
    assert r.status_code == 400  # 合同归档 comes with the signing (amount, date)
    assert sales.post(f"/b/bj/api/v1/leads/{lead}/stage/", {"stage": "intent"}, format="json").status_code == 200
    before = _state()
    r = sales.post(f"/b/bj/api/v1/leads/{lead}/sign/", {"amount": "100000.00", "signed_on": _today(),
                                                        "seller": "bj_sales2"}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["seller"]  # only in one's own name
    assert _state() == before
    r = sales.post(f"/b/bj/api/v1/leads/{lead}/sign/", {"amount": "100000.00", "signed_on": _today()}, format="json")
    assert r.status_code == 200, r.json()
    assert (r.json()["stage"], r.json()["seller"], r.json()["amount"]) == ("archived", "bj_sales", "100000.00")
    assert [s["stage"] for s in r.json()["stages"]] == ["entered", "visited", "received", "intent", "archived"]
    assert [s["by"] for s in r.json()["stages"]] == ["bj_mkt", "bj_mkt", "bj_sales", "bj_sales", "bj_sales"]
    drain("bj")
    period = timezone.localdate().strftime("%Y-%m")
    mine = statement(api, people["bj_mkt"], "bj", "bj_mkt", period)
    theirs = statement(api, people["bj_sales"], "bj", "bj_sales", period)
    assert [(ln["component"], ln["amount"]) for ln in mine["lines"]] == [("lead_marketing", "4000.00")]
    assert [(ln["component"], ln["amount"]) for ln in theirs["lines"]] == [("lead_sales", "2000.00")]
    # and neither reads the other's statement
    assert api(people["bj_mkt"]).get(f"/b/bj/api/v1/statements/bj_sales/{period}/").status_code == 404
    # the office settles it (业绩结算); the seller cannot
    r = sales.post(f"/b/bj/api/v1/leads/{lead}/stage/", {"stage": "settled"}, format="json")
    assert r.status_code == 400
    r = api(people["bj_manager"]).post(f"/b/bj/api/v1/leads/{lead}/stage/", {"stage": "settled"}, format="json")
    assert r.status_code == 200 and r.json()["stage"] == "settled" and r.json()["turn_of"] is None


def test_a_marketer_sees_conversion_points_and_threshold(api, people):
    from commissions.hq.models import RuleVersion
    from commissions.hq.rules import DEFAULT_RULES

    RuleVersion.objects.create(component="lead_attribution", effective_from="2026-01-01", params=dict(
        DEFAULT_RULES["lead_attribution"], points={"points_per_qualified_lead": "10.00", "conversion_bonus_percent": "1.00",
                                                   "min_conversion_percent": "50.00", "yuan_per_point": "2.00"}))
    day = timezone.localdate().replace(day=1).isoformat()
    ids = [_lead(api, people["bj_mkt"], name=f"线索{i}", owner="bj_sales", created_on=day)["id"] for i in range(3)]
    _lead(api, people["bj_mkt"], name="无效", qualified=False, created_on=day)
    r = api(people["bj_mkt"]).get("/b/bj/api/v1/leads/summary/")
    assert r.status_code == 200
    f = r.json()
    assert (f["leads"], f["qualified"], f["converted"], f["conversion_percent"], f["threshold_percent"],
            f["reaches_threshold"], f["points"]) == (4, 3, 0, "0.00", "50.00", False, "0")
    for lead in ids[:2]:
        assert api(people["bj_sales"]).post(f"/b/bj/api/v1/leads/{lead}/sign/", {
            "amount": "1000.00", "signed_on": _today()}, format="json").status_code == 200
    f = api(people["bj_mkt"]).get("/b/bj/api/v1/leads/summary/").json()
    assert (f["converted"], f["conversion_percent"], f["reaches_threshold"], f["points"], f["points_yuan"]) == (
        2, "66.67", True, "30", "60.00")
    # the office follows the work; what it pays is the marketer's and the manager's (薪酬保密)
    by_staff = api(people["bj_staff"]).get("/b/bj/api/v1/leads/summary/?marketer=bj_mkt").json()
    assert (by_staff["points"], by_staff["points_yuan"]) == ("30", None)
    by_manager = api(people["bj_manager"]).get("/b/bj/api/v1/leads/summary/?marketer=bj_mkt").json()
    assert by_manager["points_yuan"] == "60.00"
    # a seller has no marketing summary
    assert api(people["bj_sales"]).get("/b/bj/api/v1/leads/summary/").status_code == 403


# --- stuck leads: the person whose turn it is and the manager hear of it ------------------------
def test_a_stuck_lead_alerts_whose_turn_it_is_and_the_manager(api, people):
    from commissions.lead_services import stuck_leads_alert
    from commissions.models import Lead
    from notifications.models import Notification

    lead = _lead(api, people["bj_mkt"], name="金石建材", owner="bj_sales")["id"]
    api(people["bj_mkt"]).post(f"/b/bj/api/v1/leads/{lead}/stage/", {"stage": "visited"}, format="json")
    fresh = _lead(api, people["bj_sales"], name="新线索")["id"]
    with in_branch("bj"):
        Lead.objects.filter(pk=lead).update(stage_since=timezone.now() - dt.timedelta(days=9))
        Lead.objects.filter(pk=fresh).update(stage_since=timezone.now() - dt.timedelta(days=6))
        assert stuck_leads_alert() == 2
        notes = list(Notification.objects.filter(kind="lead_stuck").order_by("recipient_id"))
        assert sorted(n.recipient_id for n in notes) == sorted([people["bj_sales"].pk, people["bj_manager"].pk])
        for n in notes:
            assert n.title == "线索「金石建材」在「到访」阶段已停留 9 天"
            assert n.body == "超过本分支机构的上限 7 天。轮到 bj_sales 完成下一步「接待」。"
            assert n.link == f"/b/bj/leads/{lead}/"
        assert stuck_leads_alert() == 0  # once per lead and stage
    # the branch's limit is the manager's setting (audited); 5 days makes the fresh one stuck too
    assert api(people["bj_sales"]).post("/b/bj/api/v1/leads/settings/", {"stage_limit_days": 5},
                                        format="json").status_code == 403
    r = api(people["bj_manager"]).post("/b/bj/api/v1/leads/settings/", {"stage_limit_days": 5}, format="json")
    assert r.status_code == 200
    with in_branch("bj"):
        assert stuck_leads_alert() == 2
        assert Notification.objects.filter(kind="lead_stuck", recipient_id=people["bj_sales"].pk,
                                           title__contains="新线索").count() == 1
        from commissions.models import LeadPolicy

        assert LeadPolicy.history.latest().history_user_id == people["bj_manager"].pk


def test_a_lead_nobody_follows_up_is_the_managers_turn(api, people):
    from commissions.lead_services import stuck_leads_alert
    from commissions.models import Lead
    from notifications.models import Notification

    lead = _lead(api, people["bj_mkt"], name="博雅教育")["id"]
    api(people["bj_mkt"]).post(f"/b/bj/api/v1/leads/{lead}/stage/", {"stage": "visited"}, format="json")
    with in_branch("bj"):
        Lead.objects.filter(pk=lead).update(stage_since=timezone.now() - dt.timedelta(days=8))
        assert stuck_leads_alert() == 1
        n = Notification.objects.get(kind="lead_stuck")
        assert n.recipient_id == people["bj_manager"].pk and "分支机构经理(请指派跟进销售)" in n.body


def test_the_beat_task_runs_the_alert_in_the_branch(people):
    from commissions.tasks import alert_stuck_leads

    with in_branch("bj"):
        assert alert_stuck_leads.run() == 0


# --- disputes over who sourced a lead ----------------------------------------------------------
def test_a_dispute_is_raised_on_the_lead_and_decided_by_the_manager(api, people):
    from commissions.models import Lead, LeadDispute
    from notifications.models import Notification

    lead = _lead(api, people["bj_mkt"], name="康宁医药", owner="bj_sales")["id"]
    sales = api(people["bj_sales"])
    before = _state()
    assert sales.post(f"/b/bj/api/v1/leads/{lead}/disputes/", {"reason": ""}, format="json").status_code == 400
    assert api(people["bj_mkt"]).post(f"/b/bj/api/v1/leads/{lead}/disputes/", {"reason": "我的"},
                                      format="json").status_code == 400  # already theirs
    assert _state() == before
    r = sales.post(f"/b/bj/api/v1/leads/{lead}/disputes/", {"reason": "客户是我上月在展会上谈的"}, format="json")
    assert r.status_code == 201
    dispute = r.json()["id"]
    with in_branch("bj"):
        assert Notification.objects.filter(recipient_id=people["bj_manager"].pk, kind="lead_dispute").count() == 1
    before = _state()
    decide = {"upheld": True, "note": "展会登记表为证"}
    assert sales.post(f"/b/bj/api/v1/leads/disputes/{dispute}/decide/", decide, format="json").status_code == 403
    assert api(people["bj_staff"]).post(f"/b/bj/api/v1/leads/disputes/{dispute}/decide/", decide,
                                        format="json").status_code == 403
    r = api(people["bj_manager"]).post(f"/b/bj/api/v1/leads/disputes/{dispute}/decide/", {"upheld": True},
                                       format="json")
    assert r.status_code == 400 and list(r.json()) == ["note"]
    assert _state() == before
    r = api(people["bj_manager"]).post(f"/b/bj/api/v1/leads/disputes/{dispute}/decide/", decide, format="json")
    assert r.status_code == 200 and r.json()["status"] == "upheld"
    with in_branch("bj"):
        got = Lead.objects.get(pk=lead)
        assert (got.source, got.marketer_id, got.owner_id) == ("sales", None, people["bj_sales"].pk)
        assert got.history.latest().history_user_id == people["bj_manager"].pk
        d = LeadDispute.objects.get(pk=dispute)
        assert d.history.latest().history_change_reason == "归属争议裁决"
        assert d.decided_by_id == people["bj_manager"].pk
    r = api(people["bj_manager"]).post(f"/b/bj/api/v1/leads/disputes/{dispute}/decide/", decide, format="json")
    assert r.status_code == 400  # decided once
    # the marketer no longer sees it; the seller owns it as self-sourced
    assert api(people["bj_mkt"]).get(f"/b/bj/api/v1/leads/{lead}/").status_code == 404


def test_the_office_raises_a_dispute_for_a_marketer_who_cannot_see_the_lead(api, people):
    lead = _lead(api, people["bj_sales"], name="星河传媒")["id"]
    assert api(people["bj_mkt"]).post(f"/b/bj/api/v1/leads/{lead}/disputes/", {"reason": "x"},
                                      format="json").status_code == 404
    r = api(people["bj_staff"]).post(f"/b/bj/api/v1/leads/{lead}/disputes/",
                                     {"reason": "市场部邀约到访", "claimant": "bj_mkt"}, format="json")
    assert r.status_code == 201
    r = api(people["bj_manager"]).post(f"/b/bj/api/v1/leads/disputes/{r.json()['id']}/decide/",
                                       {"upheld": "true", "note": "邀约记录为证"}, format="json")
    assert r.status_code == 200
    body = api(people["bj_mkt"]).get(f"/b/bj/api/v1/leads/{lead}/").json()
    assert (body["source"], body["marketer"], body["owner"]) == ("marketing", "bj_mkt", "bj_sales")


# --- handing a lead to a seller ----------------------------------------------------------------
def test_a_lead_is_handed_to_a_seller_by_its_marketer_or_the_office(api, people, more):
    lead = _lead(api, people["bj_mkt"], name="嘉禾农业")["id"]
    before = _state()
    assert api(people["bj_sales"]).post(f"/b/bj/api/v1/leads/{lead}/assign/", {"owner": "bj_sales"},
                                        format="json").status_code == 404  # not theirs (yet)
    r = api(people["bj_mkt"]).post(f"/b/bj/api/v1/leads/{lead}/assign/", {"owner": "bj_s1"}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["owner"]  # a specialist is not a seller
    assert _state() == before
    r = api(people["bj_mkt"]).post(f"/b/bj/api/v1/leads/{lead}/assign/", {"owner": "bj_sales"}, format="json")
    assert r.status_code == 200 and r.json()["owner"] == "bj_sales"
    before = _state()  # once someone follows it up, only the office re-assigns it
    r = api(people["bj_mkt"]).post(f"/b/bj/api/v1/leads/{lead}/assign/", {"owner": "bj_sales2"}, format="json")
    assert r.status_code == 400 and _state() == before
    r = api(people["bj_staff"]).post(f"/b/bj/api/v1/leads/{lead}/assign/", {"owner": "bj_sales2"}, format="json")
    assert r.status_code == 200 and r.json()["owner"] == "bj_sales2"
    assert api(people["bj_sales"]).get(f"/b/bj/api/v1/leads/{lead}/").status_code == 404
    assert api(more["bj_sales2"]).get(f"/b/bj/api/v1/leads/{lead}/").status_code == 200


def test_stuck_alerts_go_out_over_the_branchs_channels(api, people, django_capture_on_commit_callbacks):
    from commissions.lead_services import stuck_leads_alert
    from commissions.models import Lead
    from notifications.models import ChannelConfig

    lead = _lead(api, people["bj_sales"], name="同创软件")["id"]
    with in_branch("bj"):
        config = ChannelConfig.current()
        config.webhook_url = "https://example.com/hook"
        config.save()
        Lead.objects.filter(pk=lead).update(stage_since=timezone.now() - dt.timedelta(days=8))
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert stuck_leads_alert() == 2  # the seller (their turn: 到访) and the manager
        # one outside delivery queued per message, after the commit (inbox first, then e-mail/WeCom)
        assert len(callbacks) == 2


def test_closing_the_month_settles_its_signed_leads_which_wait_for_it_without_alerts(api, people):
    from commissions.lead_services import stuck_leads_alert
    from commissions.models import Lead, LeadStageChange

    last_month_day = timezone.localdate().replace(day=1) - dt.timedelta(days=20)
    period = last_month_day.strftime("%Y-%m")
    lead = _lead(api, people["bj_sales"], name="益丰零售", created_on=last_month_day.isoformat())["id"]
    r = api(people["bj_sales"]).post(f"/b/bj/api/v1/leads/{lead}/sign/", {
        "amount": "10000.00", "signed_on": last_month_day.isoformat()}, format="json")
    assert r.status_code == 200
    with in_branch("bj"):
        Lead.objects.filter(pk=lead).update(stage_since=timezone.now() - dt.timedelta(days=10))
        assert stuck_leads_alert() == 0  # 合同归档 waits for the month's close: nobody is late
    r = api(people["bj_manager"]).post(f"/b/bj/api/v1/periods/{period}/close/")
    assert r.status_code == 200, r.json()
    with in_branch("bj"):
        got = Lead.objects.get(pk=lead)
        assert got.stage == "settled"
        last = LeadStageChange.objects.filter(lead_id=lead).last()
        assert (last.stage, last.by_id, last.note) == ("settled", people["bj_manager"].pk, f"{period} 关账")
        assert got.history.latest().history_change_reason == f"业绩结算:{period} 关账"
    # The page says the month as people write it, in the reader's language, never its key.
    from django.conf import settings
    from django.test import Client

    from hrsaas.core.formatting import format_period

    page = Client()
    page.force_login(people["bj_manager"])
    steps = page.get(f"/b/bj/leads/{lead}/").content.decode().split('data-testid="stage-history"')[1]
    assert f"{format_period(period)}关账" in steps and period not in steps
    page.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    steps = page.get(f"/b/bj/leads/{lead}/").content.decode().split('data-testid="stage-history"')[1]
    year, month = int(period[:4]), int(period[5:])
    assert f"Closed for {dt.date(year, month, 1):%B %Y}" in steps and "关账" not in steps


def test_a_lead_with_the_name_or_phone_of_another_is_kept_and_the_office_told_not_the_marketer(api, people):
    """撞单: the office settles whose lead it is; the marketer never learns of the other's lead."""
    from notifications.models import Notification

    first = _lead(api, people["bj_mkt"], name="星海物流", phone="13812345678")
    other = _lead(api, people["bj_sales"], name="星海物流有限公司", phone="13812345678")
    _lead(api, people["bj_mkt"], name="远航物流", phone="13900000000")  # nothing in common

    with in_branch("bj"):
        told = sorted(Notification.objects.filter(kind="lead_possible_duplicate").values_list("recipient_id", "title"))
    title = f"线索可能重复(撞单):#{other['id']} 星海物流有限公司 与 #{first['id']} 同名或同电话,请核实归属"
    assert told == sorted([(people["bj_manager"].pk, title), (people["bj_staff"].pk, title)])
