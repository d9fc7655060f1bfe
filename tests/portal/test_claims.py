"""Online reward claims (开户奖励申领): upload checks, the automatic review with its reasons,
the manager's override, notifications, and who may see what."""
from __future__ import annotations

import re

import pytest

from tests.conftest import in_branch
from tests.factories import make_user

from .conftest import GIF, HEIC, JPEG, PDF, PNG, drain, open_client, photo

pytestmark = pytest.mark.django_db

URL = "/b/bj/api/v1/claims/"


def _claim(api, user, client_id, tier, *photos, note=""):
    files = list(photos) or [photo()]
    return api(user).post(URL, {"client": client_id, "tier": tier, "note": note, "photos": files}, format="multipart")


def _counts():
    from portal.models import ClaimPhoto, RewardClaim

    with in_branch("bj"):
        return RewardClaim.objects.count(), ClaimPhoto.objects.count()


def test_a_claim_that_passes_is_approved_at_once_notified_and_confirms_the_statement_line(api, people, web):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60, opened_on="2026-03-10")
    drain("bj")

    r = _claim(api, people["bj_s1"], cid, 1, photo("a.jpg"), photo("b.png", PNG, "image/png"),
               photo("c.heic", HEIC, "image/heic"))

    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["status"], body["reason_code"], body["tier_amount"], body["client_name"]) == ("approved", "ok", "1200.00", "甲公司")
    assert [p["content_type"] for p in body["photos"]] == ["image/jpeg", "image/png", "image/heic"]
    assert body["statement_link"] == f"/b/bj/me/statement/2026-03/#line-bj-client-{cid}-opening_reward"
    from notifications.models import Notification

    with in_branch("bj"):
        n = Notification.objects.get(recipient_id=people["bj_s1"].pk, kind="reward_claim")
    assert n.title == f"您的开户奖励申领 #{body['id']} 已通过"
    assert n.link == body["statement_link"]
    page = web(people["bj_s1"]).get("/b/bj/me/statement/2026-03/")
    assert f"已确认 · 申领 #{body['id']}" in page.content.decode()
    # the photo is served to the claimant only through the checked view
    got = api(people["bj_s1"]).get(body["photos"][0]["url"])
    assert got.status_code == 200 and b"".join(got.streaming_content) == JPEG
    assert got["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("upload, message", [
    (lambda: photo("x.gif", GIF, "image/gif"), "文件「x.gif」不是允许的类型(JPG、PNG、HEIC)。"),
    (lambda: photo("scan.jpg", PDF, "image/jpeg"), "文件「scan.jpg」不是允许的类型(JPG、PNG、HEIC)。"),
    (lambda: photo("real.png", JPEG, "image/png"), "文件「real.png」的扩展名与内容不符。"),
    (lambda: photo("big.jpg", JPEG + b"\x00" * (8 * 1024 * 1024), "image/jpeg"), "文件「big.jpg」超过 8 MB。"),
    (lambda: photo("empty.jpg", b"", "image/jpeg"), "文件「empty.jpg」为空。"),
])
def test_bad_photos_are_refused_and_nothing_is_saved(api, people, upload, message):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60)

    r = _claim(api, people["bj_s1"], cid, 1, upload())

    assert r.status_code == 400
    assert r.json() == {"photos": [message]}
    assert _counts() == (0, 0)


def test_missing_photo_and_bad_numbers_are_refused(api, people):
    r = api(people["bj_s1"]).post(URL, {"client": "abc", "tier": "-1"}, format="multipart")
    assert r.status_code == 400
    assert r.json() == {"client": ["须为整数。"], "tier": ["须为整数。"], "photos": ["请上传至少一张客户资料照片。"]}
    assert _counts() == (0, 0)


def test_failed_checks_are_kept_as_rejected_claims_with_their_reason(api, people, web):
    staff = people["bj_staff"]
    mine = open_client(api, staff, opened_by="bj_s1", headcount=60, name="我的客户")
    theirs = open_client(api, staff, opened_by="bj_s2", headcount=60, name="同事的客户")
    s1 = people["bj_s1"]

    unknown = _claim(api, s1, 999999, 1).json()
    other = _claim(api, s1, theirs, 1).json()
    tier = _claim(api, s1, mine, 2).json()
    first = _claim(api, s1, mine, 1).json()
    again = _claim(api, s1, mine, 1).json()

    # Someone else's client reads as one that does not exist: neither its existence nor its name.
    assert (unknown["status"], unknown["reason"]) == ("rejected", "所申领的客户不是由您开户的客户,不能申领开户奖励。")
    assert (other["status"], other["reason"]) == ("rejected", "所申领的客户不是由您开户的客户,不能申领开户奖励。")
    assert unknown["client_name"] is None and other["client_name"] is None
    # … in the API's every field: the code and the tier's amount (today's rule for both) too
    assert {k: unknown[k] for k in ("status", "reason_code", "reason", "tier_amount", "client_name")} == \
        {k: other[k] for k in ("status", "reason_code", "reason", "tier_amount", "client_name")}
    # … nor on the claimant's pages (list and detail)
    for page in ("/b/bj/me/claims/", f"/b/bj/me/claims/{other['id']}/"):
        html = web(s1).get(page).content.decode()
        # (the client's number as the pages write it; a claim's own "#n" may be the same number)
        assert "同事的客户" not in html and f"客户编号 {theirs}" not in html and "不是由您开户的客户" in html, page
    # the manager reviewing it reads which client was claimed
    html = web(people["bj_manager"]).get(f"/b/bj/review/claims/{other['id']}/").content.decode()
    assert "<dd>同事的客户(60 人," in html
    assert (tier["status"], tier["reason"]) == (
        "rejected", "申领档位「≥101人 1,800.00元」与客户人数 60 人对应的档位「51–100人 1,200.00元」不符。")
    assert first["status"] == "approved"
    assert (again["status"], again["reason"]) == ("rejected", f"客户「我的客户」的开户奖励已申领(申领 #{first['id']})。")
    from notifications.models import Notification

    with in_branch("bj"):
        titles = sorted(Notification.objects.filter(recipient_id=s1.pk, kind="reward_claim").values_list("title", flat=True))
    assert sum("未通过" in t for t in titles) == 4 and sum("已通过" in t for t in titles) == 1


def test_a_colleagues_client_opened_under_another_rule_reads_as_a_number_no_client_has(api, people):
    """The claim answered with the tiers of the rule in force when the client opened: a client
    opened before any opening-reward rule gave 0.00 (a number no client has gave today's amount),
    which told that it exists and roughly when it opened."""
    old = open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=60, name="老客户", opened_on="2019-03-01")
    unknown = _claim(api, people["bj_s1"], 999999, 1).json()
    other = _claim(api, people["bj_s1"], old, 1).json()
    assert other["reason_code"] == unknown["reason_code"] == "not_opener"
    assert other["tier_amount"] == unknown["tier_amount"] != "0.00"


def test_a_tier_beyond_the_rule_is_bad_input(api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60)
    r = _claim(api, people["bj_s1"], cid, 5)
    assert r.status_code == 400 and r.json() == {"tier": ["没有这个档位。"]}
    assert _counts() == (0, 0)


def test_manager_overrides_with_a_note_audited_and_notified(api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60)
    rejected = _claim(api, people["bj_s1"], cid, 2).json()
    url = f"{URL}{rejected['id']}/override/"

    assert api(people["bj_s1"]).post(url, {"decision": "approve", "note": "x"}, format="json").status_code == 403
    assert api(people["bj_staff"]).post(url, {"decision": "approve", "note": "x"}, format="json").status_code == 403
    assert api(people["sh_manager"]).post(url, {"decision": "approve", "note": "x"}, format="json").status_code == 404
    r = api(people["bj_manager"]).post(url, {"decision": "approve", "note": ""}, format="json")
    assert r.status_code == 400 and r.json() == {"note": ["改判须填写说明。"]}

    r = api(people["bj_manager"]).post(url, {"decision": "approve", "note": "合同显示人数为 120 人,按实际档位发放"},
                                       format="json")

    assert r.status_code == 200
    assert (r.json()["status"], r.json()["overridden_by"], r.json()["override_note"]) == (
        "approved", "bj_mgr", "合同显示人数为 120 人,按实际档位发放")
    from notifications.models import Notification
    from portal.models import RewardClaim

    with in_branch("bj"):
        history = list(RewardClaim.history.filter(id=rejected["id"]).order_by("history_date"))
        assert [(h.status, h.history_user_id, h.history_change_reason) for h in history] == [
            ("rejected", people["bj_s1"].pk, "开户奖励申领:自动审核"),
            ("approved", people["bj_manager"].pk, "经理改判:合同显示人数为 120 人,按实际档位发放")]
        assert Notification.objects.filter(recipient_id=people["bj_s1"].pk, title=f"您的开户奖励申领 #{rejected['id']} 已通过").exists()
    # a second approval of the same client is refused
    other = _claim(api, people["bj_s1"], cid, 1).json()
    assert other["reason_code"] == "already_claimed"
    r = api(people["bj_manager"]).post(f"{URL}{other['id']}/override/", {"decision": "approve", "note": "再批"}, format="json")
    assert r.status_code == 400 and r.json() == {"note": ["该客户已有通过的申领,不能重复批准。"]}


def test_who_sees_which_claim_and_photo(api, people, web):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60)
    claim = _claim(api, people["bj_s1"], cid, 1).json()
    detail, photo_url = f"{URL}{claim['id']}/", claim["photos"][0]["url"]

    assert api(people["bj_s2"]).get(detail).status_code == 404  # a colleague
    assert api(people["bj_s2"]).get(photo_url).status_code == 404
    assert api(people["sh_s1"]).get(detail).status_code == 404  # another branch
    assert api(people["sh_manager"]).get(photo_url).status_code == 404
    assert api().get(detail).status_code in (401, 403)
    assert api(people["bj_manager"]).get(detail).status_code == 200
    assert [c["id"] for c in api(people["bj_s2"]).get(URL).json()] == []
    assert [c["id"] for c in api(people["bj_manager"]).get(URL).json()] == [claim["id"]]
    page, file = f"/b/bj/me/claims/{claim['id']}/", f"/b/bj/me/claims/{claim['id']}/photos/{claim['photos'][0]['id']}/"
    assert web(people["bj_s2"]).get(page).status_code == 404
    assert web(people["bj_s2"]).get(file).status_code == 404
    assert web(people["sh_s1"]).get(page).status_code == 404
    assert web().get(page).status_code == 302
    assert web(people["bj_s1"]).get(page).status_code == 200
    assert web(people["bj_s1"]).get(file).status_code == 200
    # HQ finance has no part in claims: the client documents in their photos are not theirs to read
    finance = make_user("claims_finance", (None, "hq_finance"))
    assert api(finance).get(detail).status_code == 404 and api(finance).get(photo_url).status_code == 404
    assert web(finance).get(page).status_code == 404 and web(finance).get(file).status_code == 404
    assert [c["id"] for c in api(finance).get(URL).json()] == []
    # a colleague cannot override through the page either
    r = web(people["bj_s2"]).post(page, {"decision": "reject", "note": "x"})
    assert r.status_code == 404


def test_claim_page_keeps_values_and_shows_errors_next_to_the_fields(people, web, api):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60)
    r = web(people["bj_s1"]).post("/b/bj/me/claims/", {"client": str(cid), "tier": "1", "note": "首张",
                                                        "photos": [photo("x.gif", GIF, "image/gif")]})
    assert r.status_code == 400
    html = r.content.decode()
    assert 'data-field="photos">文件「x.gif」不是允许的类型(JPG、PNG、HEIC)。' in html
    assert 'value="首张"' in html and f'<option value="{cid}" selected>' in html
    # the client is offered by name and size, never by its record number
    assert re.search(rf'<option value="{cid}" selected>[^<#]+\(60人\)</option>', html)
    # the photo is required, and its label says so as every required field's does
    assert re.search(r'<label for="id_photos">客户资料照片[^<]*\*</label>', html)
    assert _counts() == (0, 0)

    r = web(people["bj_s1"]).post("/b/bj/me/claims/", {"client": str(cid), "tier": "1", "photos": [photo()]})
    assert r.status_code == 302
    page = web(people["bj_s1"]).get(r["Location"]).content.decode()
    assert "已通过" in page and "自动审核通过" in page


def _line_id(period, earner, source, component="opening_reward"):
    from commissions.models import StatementLine

    with in_branch("bj"):
        return StatementLine.objects.get(period=period, earner_id=earner.pk, source=source, component=component).pk


def test_an_approval_names_the_statement_line_it_confirms(api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60, opened_on="2026-03-10")
    drain("bj")
    line_id = _line_id("2026-03", people["bj_s1"], f"bj:client:{cid}")

    body = _claim(api, people["bj_s1"], cid, 1).json()

    assert (body["status"], body["reason_code"]) == ("approved", "ok")
    assert body["statement_line"] == {"id": line_id, "period": "2026-03"}
    # the line as it reads on the statement (item · client) and the month in words — not its
    # row id ("第 39 行": the statement has a handful of lines) nor the raw "2026-03"
    assert body["reason"] == ("自动审核通过:已核对2026年3月提成单中「开户奖励 · 甲公司」一行,开户奖励 1,200.00 元"
                              "(档位「51–100人 1,200.00元」)。")
    assert f"第 {line_id} 行" not in body["reason"]
    from notifications.models import Notification

    with in_branch("bj"):
        assert Notification.objects.get(recipient_id=people["bj_s1"].pk, kind="reward_claim").body == body["reason"]


def test_the_review_result_follows_the_readers_language(api, people, web):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60, opened_on="2026-03-10")
    drain("bj")
    claim = _claim(api, people["bj_s1"], cid, 1).json()
    client = web(people["bj_s1"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/b/bj/me/"})
    page = client.get(f"/b/bj/me/claims/{claim['id']}/").content.decode()
    reason = page[page.index('data-testid="claim-reason">'):].split("</dd>")[0]
    assert "Approved automatically" in reason and "March 2026" in reason and "1,200.00" in reason
    assert "自动审核" not in reason and "2026-03" not in reason
    assert "60 employees, opened March 10, 2026" in page and "人" not in page.split('data-testid="claim-reason"')[0][-400:]


def test_a_managers_override_is_in_each_readers_language_not_the_managers(api, people, web):
    """The manager decides with English switched on: the specialist's message reads in Chinese for
    them (and for e-mail and WeCom, which get the stored words), in English once they switch."""
    from django.conf import settings

    from notifications.models import Notification

    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60, opened_on="2026-03-10")
    drain("bj")
    rejected = _claim(api, people["bj_s1"], cid, 2).json()
    manager = api(people["bj_manager"])
    manager.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    r = manager.post(f"{URL}{rejected['id']}/override/", {"decision": "approve", "note": "按合同人数"}, format="json")
    assert r.status_code == 200
    with in_branch("bj"):
        stored = Notification.objects.get(recipient_id=people["bj_s1"].pk, kind="reward_claim",
                                          title__contains="已通过")
    assert stored.title == f"您的开户奖励申领 #{rejected['id']} 已通过"
    assert stored.body.startswith("经理改判:按合同人数。改判通过:") and "Approved" not in stored.body
    specialist = api(people["bj_s1"])
    item = next(n for n in specialist.get("/b/bj/api/v1/notifications/").json()["items"] if n["id"] == stored.pk)
    assert (item["title"], item["body"]) == (stored.title, stored.body)
    specialist.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    item = next(n for n in specialist.get("/b/bj/api/v1/notifications/").json()["items"] if n["id"] == stored.pk)
    assert item["title"] == f"Your opening reward claim #{rejected['id']} is approved", item["title"]
    assert "按合同人数" in item["body"] and "March 2026" in item["body"], item["body"]
    page = web(people["bj_s1"])
    page.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = page.get("/b/bj/inbox/").content.decode()
    assert f"Your opening reward claim #{rejected['id']} is approved" in html and "已通过" not in html


def test_a_claim_reviewed_before_the_review_data_was_kept_reads_without_the_line_id(api, people, web):
    """Claims stored with the old sentence ("结算单 2026-03 第 39 行") and no review data are said
    again from their own fields."""
    from portal.models import RewardClaim

    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60, opened_on="2026-03-10")
    drain("bj")
    claim = _claim(api, people["bj_s1"], cid, 1).json()
    with in_branch("bj"):
        RewardClaim.objects.filter(pk=claim["id"]).update(review_args={}, reason=(
            "自动审核通过:已核对结算单 2026-03 第 39 行,开户奖励 1,200.00 元(档位「51–100人 1,200.00元」)。"))
    page = web(people["bj_s1"]).get(f"/b/bj/me/claims/{claim['id']}/").content.decode()
    reason = page[page.index('data-testid="claim-reason">'):].split("</dd>")[0]
    assert reason.endswith("自动审核通过:已核对2026年3月提成单中「开户奖励 · 甲公司」一行,开户奖励 1,200.00 元"
                           "(档位「51–100人 1,200.00元」)。")


def test_a_claim_for_a_reward_no_statement_holds_is_refused_and_confirms_nothing(api, people):
    """The 2024-03 case: the month is closed and no line (nor correction) pays this opening — here
    because the client was written straight to the table, as an old import did, and never recomputed."""
    from clients.models import Client
    from commissions import services as commission_services
    from notifications.models import Notification
    from portal.models import RewardClaim

    with in_branch("bj"):
        commission_services.period_close(actor=people["bj_manager"], period="2024-03")
        client = Client.objects.create(name="旧客户", headcount=30, opened_on="2024-03-05", opened_by=people["bj_s1"])

    r = _claim(api, people["bj_s1"], client.pk, 0)

    assert r.status_code == 201
    body = r.json()
    assert (body["status"], body["reason_code"], body["statement_line"]) == ("rejected", "no_line", None)
    assert "2024年3月已关账,提成单中没有该客户的开户奖励" in body["reason"]
    with in_branch("bj"):
        assert not RewardClaim.objects.filter(status="approved").exists()
        assert not Notification.objects.filter(body__contains="已确认").exists()
        assert not Notification.objects.filter(title__contains="已通过").exists()


def test_a_claim_before_the_recompute_of_an_open_month_is_approved_as_still_to_come(api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60, opened_on="2026-03-10")

    body = _claim(api, people["bj_s1"], cid, 1).json()

    assert (body["status"], body["reason_code"]) == ("approved", "pending_line")
    assert body["statement_line"] == {"id": None, "period": "2026-03"}
    assert "将在重算后计入2026年3月提成单" in body["reason"]


def test_a_manager_override_says_what_it_changes_on_the_statement(api, people):
    from clients.models import Client
    from commissions import services as commission_services

    with in_branch("bj"):
        commission_services.period_close(actor=people["bj_manager"], period="2024-03")
        client = Client.objects.create(name="旧客户", headcount=30, opened_on="2024-03-05", opened_by=people["bj_s1"])
    claim = _claim(api, people["bj_s1"], client.pk, 0).json()

    r = api(people["bj_manager"]).post(f"{URL}{claim['id']}/override/", {"decision": "approve", "note": "合同原件已核"},
                                       format="json")

    assert r.status_code == 200, r.json()
    assert r.json()["reason"] == ("改判通过:2024年3月提成单目前没有该客户的开户奖励行,改判不会增加金额;"
                                  "如需发放,请通过申诉调整入账。")


def test_one_person_cannot_fill_the_disk_with_claim_photos_or_attachments(api, people, settings):
    """Six 8 MB photos a claim, kept even when the claim is rejected at once: 145 MB in three
    requests (the review of 2026-12-05). A day's uploads per person are capped."""
    settings.UPLOAD_QUOTA_BYTES_PER_DAY = 2 * 1024 * 1024
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60, opened_on="2026-03-10")
    big = JPEG + b"\x00" * (900 * 1024)  # ≈ 0.9 MB each
    first = _claim(api, people["bj_s1"], cid, 1, photo("a.jpg", big), photo("b.jpg", big))
    assert first.status_code == 201
    before = _counts()
    again = _claim(api, people["bj_s1"], cid, 1, photo("c.jpg", big))
    assert again.status_code == 400
    assert again.json() == {"photos": ["24 小时内上传的照片和附件已达 2 MB 上限,请明天再上传;如确有需要,请联系分支机构经理。"]}
    assert _counts() == before
    # Someone else's uploads are theirs: another specialist still claims.
    other = open_client(api, people["bj_staff"], opened_by="bj_s2", headcount=20, opened_on="2026-03-11", name="乙公司")
    assert _claim(api, people["bj_s2"], other, 0, photo("d.jpg", big)).status_code == 201



@pytest.mark.parametrize("note, words", [
    ("\u200b", "含有不允许的不可见字符 U+200B(文字方向控制符、零宽字符等),请删除后再提交。"),
    (["按实际档位"], "须为文本。"),
])
def test_an_override_whose_note_is_invisible_or_not_text_is_refused_and_the_claim_stands(api, people, note, words):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60)
    rejected = _claim(api, people["bj_s1"], cid, 2).json()
    r = api(people["bj_manager"]).post(f"{URL}{rejected['id']}/override/", {"decision": "approve", "note": note},
                                       format="json")
    assert (r.status_code, r.json()) == (400, {"note": [words]})
    assert api(people["bj_s1"]).get(f"{URL}{rejected['id']}/").json()["status"] == "rejected"
