"""A client disputes a fee statement; the office answers and sends it back for confirmation; the
client's contacts are told; bad input and the wrong people change nothing."""
from __future__ import annotations

import pytest
from django.test import Client as WebClient

from notifications.models import Notification
from social_insurance import services
from social_insurance.models import ClientContact, FeeStatement, InsuredEmployee
from tests.conftest import in_branch
from tests.factories import make_user

from .helpers import add_employee, make_client

pytestmark = pytest.mark.django_db
M = "2025-08"


def _august_statement(staff, contact):
    """北京甲公司 (one person on 12,000.00), `contact` speaking for it: its August statement."""
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
        ClientContact.objects.create(user=contact, client=client)
        add_employee(client, 1, "12000", "2025-06-01", actor=staff)
        services.month_compute(actor=staff, period=M)
        return FeeStatement.objects.get(period=M, client=client)


@pytest.fixture
def disputed(api, staff):
    """北京甲公司's August statement, disputed by its contact."""
    contact = make_user("jia_contact", ("bj", "client_contact"), home="bj")
    statement = _august_statement(staff, contact)
    resp = api(contact).post(f"/b/bj/api/v1/si/statements/{statement.pk}/dispute/", {"note": "张三7月已离职"},
                             format="json")
    assert resp.status_code == 200 and resp.json()["status"] == "disputed"
    return statement, contact


def test_the_office_answers_and_the_client_confirms_again(api, staff, disputed):
    statement, contact = disputed
    resp = api(staff).post(f"/b/bj/api/v1/si/statements/{statement.pk}/reply/",
                           {"note": "经核实张三8月仍在职,社保照常缴纳。"}, format="json")

    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["status"], body["reply_note"], body["response_note"]) == (
        "issued", "经核实张三8月仍在职,社保照常缴纳。", "张三7月已离职")
    with in_branch("bj"):
        told = Notification.objects.get(recipient=contact, kind="si_statement_reply")
        assert told.title == "2025年8月费用明细表已答复,请再次确认"
        assert told.body == "经核实张三8月仍在职,社保照常缴纳。"
        assert told.link == f"/b/bj/si/statements/{statement.pk}/"
        record = FeeStatement.history.filter(id=statement.pk).order_by("-history_date", "-history_id").first()
        assert record.history_user_id == staff.pk and record.history_change_reason == "statement dispute answered"
    page = WebClient()
    page.force_login(contact)
    html = page.get(f"/b/bj/si/statements/{statement.pk}/").content.decode()
    assert "经核实张三8月仍在职" in html and "确认无误" in html and 'data-testid="reply-form"' not in html
    resp = api(contact).post(f"/b/bj/api/v1/si/statements/{statement.pk}/confirm/", {}, format="json")
    assert resp.status_code == 200 and resp.json()["status"] == "confirmed"
    # Nothing left to answer.
    resp = api(staff).post(f"/b/bj/api/v1/si/statements/{statement.pk}/reply/", {"note": "再答复"}, format="json")
    assert resp.status_code == 400 and resp.json()["status"] == ["只有客户提出异议的费用明细表需要答复。"]


@pytest.mark.parametrize("body, field", [({}, "note"), ({"note": "   "}, "note"), ({"note": ["x"]}, "note"),
                                         ({"note": "长" * 2001}, "note")])
def test_an_empty_or_malformed_answer_is_refused_and_changes_nothing(api, staff, disputed, body, field):
    statement, contact = disputed
    resp = api(staff).post(f"/b/bj/api/v1/si/statements/{statement.pk}/reply/", body, format="json")
    assert resp.status_code == 400 and resp.json()[field][0]
    with in_branch("bj"):
        assert FeeStatement.objects.get(pk=statement.pk).status == "disputed"
        assert not Notification.objects.filter(recipient=contact).exists()


def test_only_the_office_answers(api, staff, disputed):
    statement, contact = disputed
    specialist = make_user("bj_spec", ("bj", "specialist"), home="bj")
    outsider = make_user("sh_staff", ("sh", "branch_staff"), home="sh")
    url = f"/b/bj/api/v1/si/statements/{statement.pk}/reply/"
    for user, code in ((contact, 403), (specialist, 403), (outsider, 404)):
        assert api(user).post(url, {"note": "x"}, format="json").status_code == code
    assert api(staff).post("/b/bj/api/v1/si/statements/999999/reply/", {"note": "x"}, format="json").status_code == 404
    for user in (contact, specialist, outsider):
        page = WebClient()
        page.force_login(user)
        assert page.post(f"/b/bj/si/statements/{statement.pk}/reply/", {"note": "x"}).status_code in (403, 404)
    with in_branch("bj"):
        assert FeeStatement.objects.get(pk=statement.pk).status == "disputed"


def test_the_office_answers_on_the_statement_page(staff, disputed):
    statement, contact = disputed
    page = WebClient()
    page.force_login(staff)
    html = page.get(f"/b/bj/si/statements/{statement.pk}/").content.decode()
    assert "客户意见: 张三7月已离职" in html and 'data-testid="reply-form"' in html

    resp = page.post(f"/b/bj/si/statements/{statement.pk}/reply/", {"note": ""}, follow=True)
    assert "请填写答复内容。" in resp.content.decode()
    resp = page.post(f"/b/bj/si/statements/{statement.pk}/reply/", {"note": "已核实,无误。"}, follow=True)
    html = resp.content.decode()
    assert "已答复2025年8月费用明细表,已请客户再次确认。" in html and "已核实,无误。" in html
    assert 'data-testid="reply-form"' not in html


def test_an_answer_belongs_to_its_round(api, staff, disputed):
    statement, contact = disputed
    url = f"/b/bj/api/v1/si/statements/{statement.pk}/"
    assert api(staff).post(url + "reply/", {"note": "已核实"}, format="json").status_code == 200
    # The client disputes again: the earlier answer is not shown beside the new note.
    resp = api(contact).post(url + "dispute/", {"note": "仍有疑问"}, format="json")
    assert resp.status_code == 200 and (resp.json()["reply_note"], resp.json()["response_note"]) == ("", "仍有疑问")
    assert api(staff).post(url + "reply/", {"note": "第二次答复"}, format="json").status_code == 200
    # New figures replace an answer given about the old ones.
    with in_branch("bj"):
        emp = InsuredEmployee.objects.get(client_id=statement.client_id)
    assert api(staff).post(f"/b/bj/api/v1/si/employees/{emp.pk}/base/", {"wage": "13000"}, format="json").status_code == 200
    with in_branch("bj"):
        services.month_compute(actor=staff, period=M)
        again = FeeStatement.objects.get(pk=statement.pk)
        assert (again.status, again.reply_note, again.replied_at) == ("issued", "", None)
        assert FeeStatement.history.filter(id=statement.pk, reply_note="第二次答复").exists()  # kept in the trail


def test_an_answer_as_typed_in_a_text_box(api, staff, disputed):
    statement, _ = disputed
    url = f"/b/bj/api/v1/si/statements/{statement.pk}/reply/"
    assert api(staff).post(url, {"note": "\u200b \u200b"}, format="json").status_code == 400  # invisible only
    resp = api(staff).post(url, {"note": "行\r\n" * 999 + "止"}, format="json")  # 1,999 typed, 2,998 sent
    assert resp.status_code == 200 and resp.json()["reply_note"].count("\n") == 999


def test_a_refused_answer_keeps_what_was_typed_in_the_readers_language(staff, disputed):
    statement, _ = disputed
    page = WebClient()
    page.force_login(staff)
    page.cookies["django_language"] = "en"
    typed = "x" * 2001
    resp = page.post(f"/b/bj/si/statements/{statement.pk}/reply/", {"note": typed})
    html = resp.content.decode()
    assert resp.status_code == 400 and typed in html
    assert "Reply: at most 2,000 characters (this has 2,001)." in html and "答复不能" not in html


def test_a_dispute_the_recompute_sent_back_can_still_be_answered(api, staff, disputed):
    """The office corrected the figures (调基 and a recompute): the statement went back to 待确认 by
    itself, the client's note still stood, and the answer box had gone — the office could not say
    what it corrected (the review of 2026-12-05)."""
    statement, contact = disputed
    with in_branch("bj"):
        emp = InsuredEmployee.objects.get(client_id=statement.client_id)
    assert api(staff).post(f"/b/bj/api/v1/si/employees/{emp.pk}/base/", {"wage": "13000"}, format="json").status_code == 200
    with in_branch("bj"):
        services.month_compute(actor=staff, period=M)
        assert FeeStatement.objects.get(pk=statement.pk).status == "issued"
    page = WebClient()
    page.force_login(staff)
    assert 'data-testid="reply-form"' in page.get(f"/b/bj/si/statements/{statement.pk}/").content.decode()
    resp = api(staff).post(f"/b/bj/api/v1/si/statements/{statement.pk}/reply/",
                           {"note": "已按 13,000.00 元调基并重新计算,请再次确认。"}, format="json")
    assert resp.status_code == 200 and (resp.json()["status"], resp.json()["response_note"]) == ("issued", "张三7月已离职")
    with in_branch("bj"):
        assert Notification.objects.filter(recipient=contact, kind="si_statement_reply").count() == 1
    # Answered: nothing more to answer until the client speaks again.
    resp = api(staff).post(f"/b/bj/api/v1/si/statements/{statement.pk}/reply/", {"note": "再答复"}, format="json")
    assert resp.status_code == 400


def test_the_client_is_told_when_new_figures_replace_a_statement_they_answered(api, staff, disputed):
    statement, contact = disputed
    with in_branch("bj"):
        services.month_compute(actor=staff, period=M)  # nothing changed: nothing to tell
        assert not Notification.objects.filter(recipient=contact, kind="si_statement_reissued").exists()
        emp = InsuredEmployee.objects.get(client_id=statement.client_id)
    assert api(staff).post(f"/b/bj/api/v1/si/employees/{emp.pk}/base/", {"wage": "13000"}, format="json").status_code == 200
    with in_branch("bj"):
        services.month_compute(actor=staff, period=M)
        services.month_compute(actor=staff, period=M)  # again: told once
        told = Notification.objects.get(recipient=contact, kind="si_statement_reissued")
        assert told.title == "2025年8月费用明细表已更新,请再次确认"
        assert told.link == f"/b/bj/si/statements/{statement.pk}/"
        now = FeeStatement.objects.get(pk=statement.pk)
        assert told.body == (f"应缴合计由 {statement.total:,.2f} 元改为 {now.total:,.2f} 元,"
                             f"人数由 {statement.employee_count} 人改为 {now.employee_count} 人。")
        assert now.total != statement.total


def _issued_with_a_contact(staff, username: str, company: str):
    """A company with one insured person and a linked contact, its month computed: (its
    statement, the contact)."""
    contact = make_user(username, ("bj", "client_contact"), home="bj")
    with in_branch("bj"):
        client = make_client(company, staff)
        ClientContact.objects.create(user=contact, client=client)
        add_employee(client, 1, "12000", "2025-06-01", actor=staff)
        services.month_compute(actor=staff, period=M)
        return FeeStatement.objects.select_related("client").get(period=M, client=client), contact


def test_the_client_is_told_when_a_statement_awaiting_confirmation_changes(api, staff):
    """Still 待客户确认, the client may already have downloaded it: new figures (someone added
    after the cut-off) are told too, with the old and new totals (the review of 2026-12-06 found
    the statement going from 9 to 10 people and the inbox empty)."""
    first, contact = _issued_with_a_contact(staff, "bing_contact", "北京丙公司")
    client = first.client
    with in_branch("bj"):
        assert first.status == "issued"  # first issue: the statement itself is the news
        assert not Notification.objects.filter(recipient=contact, kind="si_statement_reissued").exists()
        add_employee(client, 2, "9000", "2025-08-01", actor=staff)
        services.month_compute(actor=staff, period=M)
        services.month_compute(actor=staff, period=M)  # nothing new: told once
        now = FeeStatement.objects.get(pk=first.pk)
        told = Notification.objects.get(recipient=contact, kind="si_statement_reissued")
    assert (first.employee_count, now.employee_count) == (1, 2)
    assert told.title == "2025年8月费用明细表已更新,请再次确认"
    assert told.body == f"应缴合计由 {first.total:,.2f} 元改为 {now.total:,.2f} 元,人数由 1 人改为 2 人。"


def test_a_note_that_came_with_a_confirmation_is_no_dispute_to_answer(api, staff):
    contact = make_user("yi_contact", ("bj", "client_contact"), home="bj")
    with in_branch("bj"):
        client = make_client("北京乙公司", staff)
        ClientContact.objects.create(user=contact, client=client)
        emp = add_employee(client, 1, "12000", "2025-06-01", actor=staff)
        services.month_compute(actor=staff, period=M)
        statement = FeeStatement.objects.get(period=M, client=client)
    assert api(contact).post(f"/b/bj/api/v1/si/statements/{statement.pk}/confirm/", {"note": "已核对,没问题"},
                             format="json").status_code == 200
    assert api(staff).post(f"/b/bj/api/v1/si/employees/{emp.pk}/base/", {"wage": "13000"}, format="json").status_code == 200
    with in_branch("bj"):
        services.month_compute(actor=staff, period=M)
        assert FeeStatement.objects.get(pk=statement.pk).status == "issued"
    page = WebClient()
    page.force_login(staff)
    assert 'data-testid="reply-form"' not in page.get(f"/b/bj/si/statements/{statement.pk}/").content.decode()
    resp = api(staff).post(f"/b/bj/api/v1/si/statements/{statement.pk}/reply/", {"note": "答复"}, format="json")
    assert resp.status_code == 400 and resp.json()["status"] == ["只有客户提出异议的费用明细表需要答复。"]


def test_the_office_is_told_once_per_dispute_naming_the_client_and_month(api, staff):
    """A client's 提出异议 reaches the branch's managers and 人事/运营 (not specialists, not the
    client, not another branch), once per dispute; a new dispute after the answer is told again."""
    manager = make_user("bj_mgr", ("bj", "branch_manager"), home="bj")
    specialist = make_user("bj_si", ("bj", "specialist"), home="bj")
    make_user("sh_staff", ("sh", "branch_staff"), home="sh")
    contact = make_user("jia_contact", ("bj", "client_contact"), home="bj")
    statement = _august_statement(staff, contact)
    page = WebClient()
    page.force_login(contact)
    page.post(f"/b/bj/si/statements/{statement.pk}/", {"decision": "dispute", "note": "张三7月已离职"})
    # Disputed again before an answer: refused, and nobody is told twice.
    again = api(contact).post(f"/b/bj/api/v1/si/statements/{statement.pk}/dispute/", {"note": "再次"}, format="json")
    assert again.status_code == 400
    with in_branch("bj"):
        told = Notification.objects.filter(kind="si_statement_disputed").order_by("recipient_id")
        assert [n.recipient_id for n in told] == sorted([staff.pk, manager.pk])
        for n in told:
            assert (n.title, n.body, n.link) == ("北京甲公司对2025年8月费用明细表提出异议,请核实并答复", "张三7月已离职",
                                                 f"/b/bj/si/statements/{statement.pk}/")
        assert not Notification.objects.filter(recipient__in=[specialist, contact], kind="si_statement_disputed").exists()
    inbox = WebClient()
    inbox.force_login(manager)
    assert "北京甲公司对2025年8月费用明细表提出异议,请核实并答复" in inbox.get("/b/bj/inbox/").content.decode()
    english = WebClient()
    english.force_login(staff)
    english.cookies["django_language"] = "en"
    assert "北京甲公司 disputed the August 2025 fee statement: please check and reply" in english.get(
        "/b/bj/inbox/").content.decode()

    assert api(staff).post(f"/b/bj/api/v1/si/statements/{statement.pk}/reply/", {"note": "经核实张三8月仍在职"},
                           format="json").status_code == 200
    assert api(contact).post(f"/b/bj/api/v1/si/statements/{statement.pk}/dispute/", {"note": "仍有疑问"},
                             format="json").status_code == 200
    with in_branch("bj"):
        assert Notification.objects.filter(recipient=staff, kind="si_statement_disputed").count() == 2
        assert Notification.objects.filter(recipient=manager, kind="si_statement_disputed").order_by("-id").first().body == "仍有疑问"
    # A confirmation tells nobody.
    with in_branch("bj"):
        before = Notification.objects.filter(kind="si_statement_disputed").count()
    api(staff).post(f"/b/bj/api/v1/si/statements/{statement.pk}/reply/", {"note": "已更正"}, format="json")
    assert api(contact).post(f"/b/bj/api/v1/si/statements/{statement.pk}/confirm/", {}, format="json").status_code == 200
    with in_branch("bj"):
        assert Notification.objects.filter(kind="si_statement_disputed").count() == before


def test_a_confirmed_statement_whose_split_changes_at_the_same_total_is_told(api, staff):
    """The statement goes back to 待确认 when the employer's or the employee's part changes, even
    at the same total (a version moving a point from one side to the other): the confirmation is
    gone, so the client is told (the review found it told only when the total or count moved)."""
    statement, contact = _issued_with_a_contact(staff, "ding_contact", "北京丁公司")
    assert api(contact).post(f"/b/bj/api/v1/si/statements/{statement.pk}/confirm/", {}, format="json").status_code == 200
    with in_branch("bj"):
        # the stored split one yuan off, the total as it was: the compute puts the right split back
        FeeStatement.objects.filter(pk=statement.pk).update(employer_total=statement.employer_total + 1,
                                                            employee_total=statement.employee_total - 1)
        services.month_compute(actor=staff, period=M)
        now = FeeStatement.objects.get(pk=statement.pk)
        assert (now.status, now.total) == ("issued", statement.total)
        told = Notification.objects.get(recipient=contact, kind="si_statement_reissued")
    assert told.title == "2025年8月费用明细表已更新,请再次确认"
