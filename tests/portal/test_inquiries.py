"""Inquiries (申诉) on statement lines: raise, SLA and overdue flag, thread, answer, resolution
with a manual adjustment (the line is never edited), the manager's review list, permissions."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.conftest import in_branch

from .conftest import GIF, PDF, drain, open_client, photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def line(api, people):
    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", headcount=60, opened_on="2026-03-10")
    drain("bj")
    return {"period": "2026-03", "key": f"bj:client:{cid}~opening_reward", "cid": cid}


def _raise(web, user, line, comment="人数应为 120 人", attachment=None):
    data = {"comment": comment}
    if attachment is not None:
        data["attachment"] = attachment
    return web(user).post(f"/b/bj/me/statement/{line['period']}/lines/{line['key']}/", data)


def test_raise_answer_and_resolve_with_an_adjustment(web, people, line):
    from notifications.models import Notification
    from portal.models import Inquiry, ManualAdjustment
    from commissions.models import StatementLine

    r = _raise(web, people["bj_s1"], line, attachment=photo("contract.pdf", PDF, "application/pdf"))
    assert r.status_code == 302
    with in_branch("bj"):
        inquiry = Inquiry.objects.get()
        assert (inquiry.line_source, inquiry.line_component, inquiry.line_amount, inquiry.status) == (
            f"bj:client:{line['cid']}", "opening_reward", Decimal("1200.00"), "open")
        assert Notification.objects.filter(recipient_id=people["bj_manager"].pk, kind="inquiry").count() == 1
    page = web(people["bj_s1"]).get(r["Location"]).content.decode()
    assert "答复时限 2 个工作日" in page and "contract.pdf" in page and "开户奖励 1,200.00" in page
    # In English the line reads in English (it stayed Chinese: the review of 2026-12-05).
    english = web(people["bj_s1"])
    english.cookies["django_language"] = "en"
    page = english.get(r["Location"]).content.decode()
    assert "opening reward" in page.lower() and "开户奖励 1,200.00" not in page

    detail = f"/b/bj/review/inquiries/{inquiry.pk}/"
    assert web(people["bj_manager"]).post(detail, {"reply-body": "已核对合同,稍后处理"}).status_code == 302
    bad = web(people["bj_manager"]).post(detail, {"resolve-resolution": "按 120 人补发", "resolve-amount": "600.001"})
    assert bad.status_code == 400 and "金额最多保留 2 位小数。" in bad.content.decode()
    assert web(people["bj_manager"]).post(detail, {"resolve-resolution": "按 120 人补发", "resolve-amount": "600.00"}).status_code == 302

    with in_branch("bj"):
        inquiry.refresh_from_db()
        assert inquiry.status == "resolved" and inquiry.answered_at is not None
        adj = ManualAdjustment.objects.get()
        period = timezone.localdate().strftime("%Y-%m")
        assert (adj.inquiry_id, adj.earner_id, adj.amount, adj.period, adj.corrects) == (
            inquiry.pk, people["bj_s1"].pk, Decimal("600.00"), period, f"2026-03/bj:client:{line['cid']}/opening_reward")
        # the line itself is untouched
        assert StatementLine.objects.get(period="2026-03", component="opening_reward").amount == Decimal("1200.00")
        assert [e.kind for e in inquiry.events.all()] == ["raised", "answer", "resolved", "adjustment"]
        # the month in words (2026年12月), not the raw "2026-12"
        today = timezone.localdate()
        assert inquiry.events.get(kind="adjustment").body == f"调整 600.00 元,计入 {today.year}年{today.month}月。"
        assert Notification.objects.filter(recipient_id=people["bj_s1"].pk, kind="inquiry").count() == 2
        # append-only in the database
        from django.db import DatabaseError, transaction

        with pytest.raises(DatabaseError), transaction.atomic():
            ManualAdjustment.objects.filter(pk=adj.pk).update(amount=Decimal("1.00"))
        # … and the money is a statement line of its own in the open period, in the total
        manual = StatementLine.objects.get(period=period, component="manual_adjustment")
        assert (manual.earner_id, manual.amount, manual.corrects) == (people["bj_s1"].pk, Decimal("600.00"), f"inquiry:{inquiry.pk}")
    from commissions.hq.models import EarnerMonthRollup

    rollup = EarnerMonthRollup.objects.get(user_id=people["bj_s1"].pk, period=period)
    assert rollup.commission >= Decimal("600.00")
    api_stmt = web(people["bj_s1"]).get(f"/b/bj/api/v1/statements/{people['bj_s1'].username}/{period}/").json()
    assert any(ln["component"] == "manual_adjustment" and ln["amount"] == "600.00"
               and ln["corrects"] == f"inquiry:{inquiry.pk}" and "申诉调整" in ln["explanation"]
               and "inquiry:" not in ln["explanation"] for ln in api_stmt["lines"])
    stmt = web(people["bj_s1"]).get(f"/b/bj/me/statement/{period}/").content.decode()
    assert "申诉调整" in stmt and "600.00" in stmt  # the line in words (its key stays only in the anchor id)


def test_bad_inquiry_input_keeps_values_and_saves_nothing(web, people, line):
    from portal.models import Inquiry

    r = _raise(web, people["bj_s1"], line, comment="   ")
    assert r.status_code == 400 and 'data-field="comment"' in r.content.decode()
    r = _raise(web, people["bj_s1"], line, comment="看这张图", attachment=photo("x.gif", GIF, "image/gif"))
    assert r.status_code == 400
    html = r.content.decode()
    assert "文件「x.gif」不是允许的类型" in html and "看这张图" in html
    with in_branch("bj"):
        assert Inquiry.objects.count() == 0


def test_sla_overdue_is_flagged_on_both_sides(web, people, line):
    from portal.models import Inquiry

    _raise(web, people["bj_s1"], line)
    with in_branch("bj"):
        Inquiry.objects.update(due_at=timezone.now() - dt.timedelta(hours=1))
        pk = Inquiry.objects.get().pk
    assert 'data-testid="overdue"' in web(people["bj_s1"]).get("/b/bj/me/inquiries/").content.decode()
    assert 'data-testid="overdue"' in web(people["bj_s1"]).get(f"/b/bj/me/inquiries/{pk}/").content.decode()
    review = web(people["bj_manager"]).get("/b/bj/review/").content.decode()
    assert f"#{pk}" in review and 'data-testid="overdue"' in review


def test_sla_is_a_setting(web, people, line, settings):
    from portal.models import Inquiry

    settings.PORTAL_INQUIRY_SLA_WORKING_DAYS = 5
    _raise(web, people["bj_s1"], line)
    with in_branch("bj"):
        inquiry = Inquiry.objects.get()
    from portal.engine import add_working_days

    expected = add_working_days(timezone.localtime(inquiry.created_at), 5)
    assert abs(inquiry.due_at - expected) < dt.timedelta(seconds=1)
    assert inquiry.due_at - inquiry.created_at >= dt.timedelta(days=5)


def test_who_sees_which_inquiry(web, people, line):
    from portal.models import Inquiry

    _raise(web, people["bj_s1"], line, attachment=photo("c.pdf", PDF, "application/pdf"))
    with in_branch("bj"):
        inquiry = Inquiry.objects.get()
        event = inquiry.events.get()
    mine, file = f"/b/bj/me/inquiries/{inquiry.pk}/", f"/b/bj/me/inquiries/{inquiry.pk}/files/{event.pk}/"
    assert web(people["bj_s2"]).get(mine).status_code == 404
    assert web(people["bj_s2"]).get(file).status_code == 404
    assert web(people["bj_s2"]).post(mine, {"reply-body": "我也来"}).status_code == 404
    assert web(people["sh_manager"]).get(mine).status_code == 404
    assert web().get(mine).status_code == 302
    assert web(people["bj_s1"]).get(file).status_code == 200
    assert web(people["bj_manager"]).get(file).status_code == 200
    # a colleague cannot raise an inquiry on my line (it is not on their statement)
    assert _raise(web, people["bj_s2"], line).status_code == 404
    # only the manager resolves
    r = web(people["bj_s1"]).post(mine, {"resolve-resolution": "自己关掉", "resolve-amount": "999"})
    assert r.status_code == 404
    with in_branch("bj"):
        assert Inquiry.objects.get().status == "open"
    assert web(people["bj_s1"]).get("/b/bj/review/").status_code == 404
    assert web(people["bj_staff"]).get("/b/bj/review/").status_code == 404
