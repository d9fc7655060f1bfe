"""基数争议 in the inbox: a dispute raised reaches the branch's office (as a client's dispute of a
fee statement does); its resolution or rejection reaches whoever raised it and the client contacts
who see the person — their own company's only. In the readers' words and language: names, months
as 2025年8月 / August 2025, money as 15,000.00, no ids or keys; a page each may open."""
from __future__ import annotations

import re

import pytest

from notifications.models import Notification
from notifications.services import webhook_text
from social_insurance import services
from social_insurance.models import BaseDispute, ClientContact, FeeStatement
from tests.conftest import in_branch
from tests.factories import make_user

from .helpers import add_employee, file_month, make_client, web

pytestmark = pytest.mark.django_db
M = "2025-08"
KINDS = ("si_base_disputed", "si_base_dispute_resolved", "si_base_dispute_rejected")


@pytest.fixture
def case(staff):
    """B (员工2, 12,000.50) at 北京甲公司 with its contact; 北京乙公司 with its own contact; the
    branch's manager, a specialist and another branch's staff. August filed, September computed."""
    people = {"staff": staff, "manager": make_user("bj_mgr", ("bj", "branch_manager"), home="bj"),
              "staff2": make_user("bj_staff2", ("bj", "branch_staff"), home="bj"),
              "specialist": make_user("bj_si", ("bj", "specialist"), home="bj"),
              "sh_staff": make_user("sh_staff", ("sh", "branch_staff"), home="sh"),
              "jia": make_user("jia_contact", ("bj", "client_contact"), home="bj"),
              "yi": make_user("yi_contact", ("bj", "client_contact"), home="bj")}
    with in_branch("bj"):
        jia = make_client("北京甲公司", staff)
        yi = make_client("北京乙公司", staff)
        ClientContact.objects.create(user=people["jia"], client=jia)
        ClientContact.objects.create(user=people["yi"], client=yi)
        add_employee(jia, 1, "40000", "2025-06-10", actor=staff)
        b = add_employee(jia, 2, "12000.50", "2025-08-20", actor=staff)
        add_employee(yi, 3, "9000", "2025-06-01", actor=staff)
        file_month(staff, M)
        services.month_compute(actor=staff, period="2025-09")
        september = FeeStatement.objects.get(client=jia, period="2025-09")
    return {"B": b, "people": people, "september": september}


def _told(kind=None) -> list[tuple[int, str, str, str]]:
    with in_branch("bj"):
        qs = Notification.objects.filter(kind__in=[kind] if kind else KINDS).order_by("recipient_id", "id")
        return [(n.recipient_id, n.title, n.body, n.link) for n in qs]


def _inbox(user, english=False) -> str:
    page = web(user)
    if english:
        page.cookies["django_language"] = "en"
    return page.get("/b/bj/inbox/").content.decode()


RAISED = "北京甲公司 员工2 2025年8月的社保基数有争议:主张申报工资 15,000.00 元,请核实处理"
RAISED_EN = "Base dispute for 员工2 of 北京甲公司, August 2025: a declared wage of 15,000.00 yuan is claimed; please check and settle it"
RESOLVED = "员工2 2025年8月的基数争议已更正:按申报工资 15,000.50 元,补缴/退费计入2025年9月"
RESOLVED_EN = ("The base dispute of 员工2 for August 2025 was corrected to a declared wage of 15,000.50 yuan: "
               "the back-payment/refund is posted in September 2025")
REJECTED = "员工2 2025年8月的基数争议已驳回,已申报的基数不变"
REJECTED_EN = "The base dispute of 员工2 for August 2025 was rejected: the filed base stands"


def test_a_raised_dispute_reaches_the_office_but_not_the_one_who_raised_it(case):
    p = case["people"]
    resp = web(p["staff"]).post(f"/b/bj/si/employees/{case['B'].pk}/disputes/new/",
                                {"period": M, "claimed_wage": "15000", "reason": "工资申报有误"})
    assert resp.status_code == 302
    with in_branch("bj"):
        dispute = BaseDispute.objects.get()
    link = f"/b/bj/si/disputes/{dispute.pk}/"
    # the manager and the other 人事/运营; not the raiser, a specialist, a client contact, another branch
    assert _told() == sorted([(p["manager"].pk, RAISED, "工资申报有误", link),
                              (p["staff2"].pk, RAISED, "工资申报有误", link)])
    assert RAISED in _inbox(p["manager"]) and RAISED_EN in _inbox(p["staff2"], english=True)
    assert web(p["manager"]).get(link).status_code == 200  # the link opens for whom it was sent
    # The API's way tells the same people (a manager raising: the 人事/运营 staff are told).
    with in_branch("bj"):
        BaseDispute.objects.all().delete()
        Notification.objects.all().delete()
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(p["manager"])
    created = api.post("/b/bj/api/v1/si/disputes/", {"employee": case["B"].pk, "period": M,
                                                     "claimed_wage": "15000", "reason": "合同工资不同"}, format="json")
    assert created.status_code == 201
    link = f"/b/bj/si/disputes/{created.json()['id']}/"
    assert _told() == sorted([(p["staff"].pk, RAISED, "合同工资不同", link), (p["staff2"].pk, RAISED, "合同工资不同", link)])


def test_a_refused_dispute_tells_nobody(case):
    p = case["people"]
    for body in ({"claimed_wage": "12000.50"}, {"reason": "  "}, {"period": "2025-09"}):
        data = {"period": M, "claimed_wage": "15000", "reason": "x", **body}
        assert web(p["staff"]).post(f"/b/bj/si/employees/{case['B'].pk}/disputes/new/", data).status_code == 400
    assert _told() == []


def test_a_resolution_reaches_the_raiser_and_the_persons_own_company_only(case):
    p = case["people"]
    with in_branch("bj"):
        d = services.dispute_raise(actor=p["staff"], employee_id=case["B"].pk, period=M, claimed_wage="15000",
                                   reason="工资申报有误")
    resp = web(p["manager"]).post(f"/b/bj/si/disputes/{d.pk}/resolve/",
                                  {"resolve-corrected_wage": "15000.50", "resolve-note": "按劳动合同更正"})
    assert resp.status_code == 302
    statement = f"/b/bj/si/statements/{case['september'].pk}/"
    # the raiser (to the dispute) and 甲's contact (to the September statement carrying the 补缴);
    # not the manager who resolved it, not 乙's contact, nobody else
    assert _told("si_base_dispute_resolved") == sorted([
        (p["staff"].pk, RESOLVED, "按劳动合同更正", f"/b/bj/si/disputes/{d.pk}/"),
        (p["jia"].pk, RESOLVED, "按劳动合同更正", statement)])
    assert RESOLVED in _inbox(p["staff"]) and RESOLVED_EN in _inbox(p["jia"], english=True)
    assert RESOLVED not in _inbox(p["yi"]) and RESOLVED not in _inbox(p["manager"])
    assert web(p["jia"]).get(statement).status_code == 200
    assert web(p["staff"]).get(f"/b/bj/si/disputes/{d.pk}/").status_code == 200
    # The exact words above hold no id, code or key; nor a machine month or amount.
    for text in (RESOLVED, RESOLVED_EN, RAISED, RAISED_EN, REJECTED, REJECTED_EN):
        assert not re.search(r"[a-z]+_[a-z]+|2025-0\d|#|15000", text)
    # Settled once: refused again, nobody told twice.
    web(p["manager"]).post(f"/b/bj/si/disputes/{d.pk}/resolve/", {"resolve-corrected_wage": "20000"})
    assert len(_told("si_base_dispute_resolved")) == 2


def test_a_rejection_reaches_the_raiser_and_the_contact_with_the_offices_reason(case):
    p = case["people"]
    with in_branch("bj"):
        d = services.dispute_raise(actor=p["staff"], employee_id=case["B"].pk, period=M, claimed_wage="15000",
                                   reason="工资申报有误")
    refused = web(p["manager"]).post(f"/b/bj/si/disputes/{d.pk}/reject/", {"reject-note": " "})
    assert refused.status_code == 400 and _told("si_base_dispute_rejected") == []
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(p["manager"])
    assert api.post(f"/b/bj/api/v1/si/disputes/{d.pk}/reject/", {"note": "劳动合同约定工资为 12,000.50 元"},
                    format="json").status_code == 200
    people_page = "/b/bj/si/account/people/"
    assert _told("si_base_dispute_rejected") == sorted([
        (p["staff"].pk, REJECTED, "劳动合同约定工资为 12,000.50 元", f"/b/bj/si/disputes/{d.pk}/"),
        (p["jia"].pk, REJECTED, "劳动合同约定工资为 12,000.50 元", people_page)])
    assert REJECTED_EN in _inbox(p["staff"], english=True) and REJECTED in _inbox(p["jia"])
    assert web(p["jia"]).get(people_page).status_code == 200


def test_one_who_decides_their_own_dispute_is_not_told_and_a_raiser_who_left_is_not_either(case):
    p = case["people"]
    with in_branch("bj"):
        d = services.dispute_raise(actor=p["staff"], employee_id=case["B"].pk, period=M, claimed_wage="15000",
                                   reason="x")
        services.dispute_reject(actor=p["staff"], dispute_id=d.pk, note="核实无误")
    assert [r[0] for r in _told("si_base_dispute_rejected")] == [p["jia"].pk]
    # A raiser no longer active is not told; nor a contact no longer linked to the company.
    with in_branch("bj"):
        d2 = services.dispute_raise(actor=p["staff2"], employee_id=case["B"].pk, period=M, claimed_wage="15000",
                                    reason="y")
        ClientContact.objects.filter(user=p["jia"]).delete()
    p["staff2"].is_active = False
    p["staff2"].save(update_fields=["is_active"])
    with in_branch("bj"):
        services.dispute_reject(actor=p["manager"], dispute_id=d2.pk, note="不予更正")
        assert not Notification.objects.filter(body="不予更正").exists()


def test_the_branch_webhook_carries_no_name_and_no_wage(case):
    p = case["people"]
    with in_branch("bj"):
        d = services.dispute_raise(actor=p["staff"], employee_id=case["B"].pk, period=M, claimed_wage="15000",
                                   reason="工资申报有误")
        services.dispute_resolve(actor=p["manager"], dispute_id=d.pk, corrected_wage="15000.50", note="更正")
        sent = list(Notification.objects.filter(kind__in=KINDS))
        assert len(sent) == 4  # two of the office told of it, the raiser and 甲's contact of its end
        for n in sent:
            title, body = webhook_text(n, n.recipient)
            assert "员工2" not in title + body and "15,000" not in title + body and "北京甲公司" not in title + body
            assert title.endswith("有一条新通知,请登录查看。")
