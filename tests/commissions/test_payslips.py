"""电子工资条: when a period closes each earner gets their statement (inbox, e-mail, channel);
opening, 一键确认 and a question (an inquiry on the line) are recorded with who, when and from
where; those who do neither are reminded after N days (once per N days); the manager and HQ see
the confirmation rate; unconfirmed statements show on the finance page before paying."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from commissions.hq.models import StatementReceipt
from commissions.hq.payouts.receipts import receipts_remind
from branches.models import Branch
from notifications.models import Notification
from portal.models import Inquiry
from tests.conftest import in_branch
from tests.factories import make_user

from .test_payout_files import closed_march  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _notes(kind: str) -> list[tuple[str, str]]:
    with in_branch("bj"):
        return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", "title"))


def _receipt(user) -> StatementReceipt:
    return StatementReceipt.objects.get(period="2026-03", earner_id=user.pk)


def test_close_sends_statements_one_confirmed_one_questioned_one_reminded(client, api, people, closed_march):  # noqa: F811
    s1, s2, mkt = people["bj_s1"], people["bj_s2"], people["bj_mkt"]
    # closing sent each earner their statement
    assert StatementReceipt.objects.filter(period="2026-03").count() == 2
    assert _notes("statement_ready") == [("bj_s1", "您的2026年3月提成单已出,请查看并确认"),
                                         ("bj_s2", "您的2026年3月提成单已出,请查看并确认")]
    with in_branch("bj"):
        body = Notification.objects.get(kind="statement_ready", recipient=s1).body
    assert "合计 2,600.00 元" in body

    # bj_s1 opens and confirms with one tap, reached from their own 提成单
    client.force_login(s1)
    own = client.get("/b/bj/me/statement/2026-03/").content.decode()
    assert 'href="/b/bj/commissions/payslip/2026-03/"' in own.split('data-testid="payslip-receipt"')[1][:200]
    page = client.get("/b/bj/commissions/payslip/2026-03/", HTTP_USER_AGENT="Mozilla/5.0 (iPhone)")
    assert page.status_code == 200 and "2,600.00" in page.content.decode()
    assert _receipt(s1).opened_at is not None and _receipt(s1).confirmed_at is None
    r = client.post("/b/bj/commissions/payslip/2026-03/", {"action": "confirm"}, HTTP_USER_AGENT="Mozilla/5.0 (iPhone)",
                    REMOTE_ADDR="10.1.2.3")
    assert r.status_code == 302
    rec = _receipt(s1)
    assert (rec.state, rec.ip, rec.user_agent) == ("confirmed", "10.1.2.3", "Mozilla/5.0 (iPhone)")
    assert list(rec.history.order_by("history_id").values_list("history_user_id", "history_change_reason")) == [
        (people["bj_manager"].pk, "关账后发送工资条"), (s1.pk, "查看工资条"), (s1.pk, "一键确认工资条")]
    again = client.post("/b/bj/commissions/payslip/2026-03/", {"action": "confirm"}, follow=True)
    assert "已于" in again.content.decode() and rec.history.count() == 3
    assert 'href="/b/bj/me/statement/2026-03/"' in again.content.decode()  # back to the 提成单's lines
    own = client.get("/b/bj/me/statement/2026-03/").content.decode()
    assert "提成单已于" in own and "确认" in own and "/commissions/payslip/2026-03/" not in own

    # bj_s2 questions a line: the portal's inquiry, on that line
    stmt = api(s2).get("/b/bj/api/v1/statements/bj_s2/2026-03/").json()
    line = stmt["lines"][0]
    key = "~".join([line["source"], line["component"]])
    r = api(s2).post("/b/bj/api/v1/statements/me/2026-03/question/", {"line": key, "comment": "人数应为 85 人"},
                     format="json")
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "questioned"
    with in_branch("bj"):
        inquiry = Inquiry.objects.get()
    assert (inquiry.raised_by_id, inquiry.line_source, inquiry.comment) == (s2.pk, line["source"], "人数应为 85 人")
    assert _receipt(s2).inquiry_id == inquiry.pk

    # someone without a statement has no payslip: 404, nothing written
    client.force_login(mkt)
    assert client.get("/b/bj/commissions/payslip/2026-03/").status_code == 404
    assert api(mkt).post("/b/bj/api/v1/statements/me/2026-03/confirm/").status_code == 404
    assert StatementReceipt.objects.filter(earner_id=mkt.pk).count() == 0

    # a third earner who does nothing is reminded after N days, once per N days
    s3 = make_user("bj_s3", ("bj", "specialist"), home="bj")
    sent = timezone.now() - dt.timedelta(days=4)
    StatementReceipt.objects.create(branch=Branch.objects.get(code="bj"), period="2026-03", earner_id=s3.pk,
                                    total="500.00", sent_at=sent)
    bj = Branch.objects.get(code="bj")
    with in_branch("bj"):
        assert receipts_remind(branch=bj, days=3) == 1
        assert receipts_remind(branch=bj, days=3) == 0  # already reminded within N days
    assert _notes("statement_reminder") == [("bj_s3", "请确认您的2026年3月提成单")]
    assert _receipt(s3).reminders == 1

    # the manager sees the branch's rate; HQ finance sees it per branch and who has not confirmed
    client.force_login(people["bj_manager"])
    assert "已确认 1/3 人 · 申诉 1 人" in client.get("/b/bj/commissions/statements/2026-03/").content.decode()
    finance = make_user("hq_fin", (None, "hq_finance"))
    client.force_login(finance)
    assert "提成单已确认 1/3 · 申诉 1" in client.get("/commissions/finance/").content.decode()
    confirm = client.get("/commissions/finance/bj/2026-03/paid/").content.decode()
    assert "2 人尚未确认提成单" in confirm and "bj_s2" in confirm and "已申诉" in confirm and "bj_s3" in confirm


def test_the_payslip_and_its_message_read_in_the_readers_language(client, api, people, closed_march):  # noqa: F811
    from django.conf import settings

    client.force_login(people["bj_s1"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/b/bj/commissions/payslip/2026-03/").content.decode()
    assert "Opening reward" in page and "开户奖励" not in page
    reader = api(people["bj_s1"])
    reader.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    item = next(n for n in reader.get("/b/bj/api/v1/notifications/").json()["items"] if n["kind"] == "statement_ready")
    assert "March 2026" in item["title"] and "2,600.00" in item["body"], item
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in item["title"] + item["body"]), item


def test_a_question_needs_a_line_and_changes_nothing_without_one(api, people, closed_march):  # noqa: F811
    s2 = people["bj_s2"]
    r = api(s2).post("/b/bj/api/v1/statements/me/2026-03/question/", {"comment": "不对"}, format="json")
    assert r.status_code == 400 and "请选择有疑问的项目" in str(r.json())
    r = api(s2).post("/b/bj/api/v1/statements/me/2026-03/question/", {"line": "nope", "comment": "不对"}, format="json")
    assert r.status_code == 404
    assert _receipt(s2).state == "sent"
    with in_branch("bj"):
        assert not Inquiry.objects.exists()


def test_the_reminder_task_runs_in_the_branch_it_was_sent_to(people, closed_march):  # noqa: F811
    from commissions.tasks import remind_unconfirmed_statements

    StatementReceipt.objects.filter(period="2026-03").update(sent_at=timezone.now() - dt.timedelta(days=3, hours=1))
    with in_branch("bj"):
        assert remind_unconfirmed_statements() == 2
    with in_branch("sh"):
        assert remind_unconfirmed_statements() == 0
    assert _notes("statement_reminder") == [("bj_s1", "请确认您的2026年3月提成单"), ("bj_s2", "请确认您的2026年3月提成单")]
    assert sorted(StatementReceipt.objects.values_list("reminders", flat=True)) == [1, 1]


def test_a_specialists_commission_statement_has_one_name_on_every_page(client, people, closed_march):  # noqa: F811
    """The month's commission statement is 提成单 wherever it is shown: the portal's tab and page, the
    page that confirms it (SPEC's 电子工资条), the earner's and the manager's workspace, HQ
    finance's pages and a claim's pages — never 结算单 nor 工资条 (the product has no payroll
    slip; a client's fee statement is 费用明细表). In English it is a statement, never a pay slip."""
    from django.conf import settings

    s1 = people["bj_s1"]
    finance = make_user("hq_fin", (None, "hq_finance"))
    mine = ["/b/bj/me/", "/b/bj/me/statement/2026-03/", "/b/bj/commissions/payslip/2026-03/", "/b/bj/me/estimate/",
            "/b/bj/me/claims/", "/b/bj/me/inquiries/", "/b/bj/commissions/", "/b/bj/commissions/statements/2026-03/"]
    pages = [(s1, url) for url in mine] + [
        (people["bj_manager"], "/b/bj/commissions/"), (people["bj_manager"], "/b/bj/commissions/statements/2026-03/"),
        (finance, "/commissions/finance/"), (finance, "/commissions/finance/bj/2026-03/paid/")]
    for language in ("zh-hans", "en"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for user, url in pages:
            client.force_login(user)
            page = client.get(url)
            assert page.status_code == 200, url
            html = page.content.decode()
            assert "结算单" not in html and "工资条" not in html, (language, url)
            assert "pay slip" not in html.lower() and "pay statement" not in html.lower(), (language, url)
        client.force_login(s1)
        own = client.get("/b/bj/me/statement/2026-03/").content.decode()
        slip = client.get("/b/bj/commissions/payslip/2026-03/").content.decode()
        if language == "zh-hans":
            assert "<title>2026年3月提成单" in own and '<h1 data-testid="payslip">2026年3月提成单</h1>' in slip
            assert ">确认提成单 →</a>" in own and "<title>确认2026年3月提成单" in slip
        else:
            assert "<title>Statement for March 2026" in own and '<h1 data-testid="payslip">Statement for March 2026</h1>' in slip
            assert ">Confirm statement →</a>" in own and "<title>Confirm the statement for March 2026" in slip
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert client.post("/b/bj/commissions/payslip/2026-03/", {"action": "confirm"}).status_code == 302
    assert "提成单已于" in client.get("/b/bj/me/statement/2026-03/").content.decode()


def test_a_question_on_the_page_keeps_what_was_typed_and_says_what_is_missing_beside_it(client, api, people, closed_march):  # noqa: F811
    import re

    client.force_login(people["bj_s2"])
    url = "/b/bj/commissions/payslip/2026-03/"
    errors = lambda html, field: re.findall(rf'data-field="{field}">([^<]*)<', html)  # noqa: E731

    no_line = client.post(url, {"action": "question", "line": "", "comment": "第二行金额不对,请核对合同"})
    html = no_line.content.decode()
    assert no_line.status_code == 400
    assert errors(html, "line") == ["请选择有疑问的项目。"] and "第二行金额不对,请核对合同</textarea>" in html
    assert "<details open>" in html  # the form stays open where the error is
    key = re.search(r'<option value="([^"]+)">开户奖励', html).group(1)

    no_text = client.post(url, {"action": "question", "line": key, "comment": "  "})
    html = no_text.content.decode()
    assert errors(html, "comment") == ["请写下这一项哪里有疑问。"] and f'<option value="{key}" selected>' in html
    unknown = client.post(url, {"action": "question", "line": "beijing:nope~x", "comment": "不对"})
    assert errors(unknown.content.decode(), "line") == ["请选择有疑问的项目。"]
    assert _receipt(people["bj_s2"]).state in ("sent", "opened")
    with in_branch("bj"):
        assert not Inquiry.objects.exists()

    asked = client.post(url, {"action": "question", "line": key, "comment": "人数应为 85 人"})
    assert asked.status_code == 302
    with in_branch("bj"):
        inquiry = Inquiry.objects.get()
    assert inquiry.comment == "人数应为 85 人" and asked["Location"] == f"/b/bj/me/inquiries/{inquiry.pk}/"
    assert _receipt(people["bj_s2"]).state == "questioned"


def test_a_question_on_a_statement_confirmed_meanwhile_says_so(client, people, closed_march):  # noqa: F811
    import re

    client.force_login(people["bj_s1"])
    url = "/b/bj/commissions/payslip/2026-03/"
    key = re.search(r'<option value="([^"]+)">开户奖励', client.get(url).content.decode()).group(1)
    assert client.post(url, {"action": "confirm"}).status_code == 302  # in another tab
    r = client.post(url, {"action": "question", "line": key, "comment": "人数不对"}, follow=True)
    assert "本期提成单已确认;如仍有疑问,请在“我的申诉”中提出。" in r.content.decode()
    assert _receipt(people["bj_s1"]).state == "confirmed"
    with in_branch("bj"):
        assert not Inquiry.objects.exists()
