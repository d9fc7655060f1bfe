"""Payment exceptions (缴费失败 …): `/b/<code>/api/v1/si/exceptions/…`, the board's forms, and the
escalation of blown clocks to the branch managers (once per stage)."""
from __future__ import annotations

import datetime as dt

import pytest

from hrsaas.schedule import beat_schedule
from notifications.models import Notification
from social_insurance import exceptions, selectors, tasks
from social_insurance.models import PaymentException
from tests.conftest import in_branch
from tests.factories import make_user

from .helpers import add_employee, make_client, web

pytestmark = pytest.mark.django_db
URL = "/b/bj/api/v1/si/exceptions/"
M = "2025-08"
T0 = dt.datetime(2025, 8, 3, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def employee(staff):
    with in_branch("bj"):
        return add_employee(make_client("北京甲公司", staff), 1, "12000", "2025-06-01", actor=staff)


def _state():
    """Every exception of bj as comparable tuples (for "nothing changed")."""
    with in_branch("bj"):
        return sorted(PaymentException.objects.values_list("id", "status", "responded_at", "resolved_at", "resolution",
                                                           "handled_by"))


def _logged(staff, now=T0, **kw):
    with in_branch("bj"):
        return exceptions.exception_log(actor=staff, period=kw.pop("period", M),
                                        description=kw.pop("description", "银行扣款失败"), now=now, **kw)


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


# ---------------------------------------------------------------------------------------------
# API: create and list
# ---------------------------------------------------------------------------------------------
def test_staff_logs_an_exception_with_its_clocks_and_lists_it(api, staff, employee):
    resp = api(staff).post(URL, {"period": M, "description": " 银行扣款失败,账户余额不足 ", "employee": employee.pk,
                                 "kind": "payment_failed"}, format="json")

    assert resp.status_code == 201, resp.content
    body = resp.json()
    opened = _at(body["opened_at"])
    assert _at(body["respond_due"]) - opened == dt.timedelta(hours=1)
    assert _at(body["resolve_due"]) - opened == dt.timedelta(hours=24)
    assert {k: body[k] for k in ("period", "kind", "description", "status", "employee", "employee_name", "client",
                                 "responded_at", "resolved_at", "resolution", "respond_overdue", "resolve_overdue")} == {
        "period": M, "kind": "payment_failed", "description": "银行扣款失败,账户余额不足", "status": "open",
        "employee": employee.pk, "employee_name": "员工1", "client": employee.client_id, "responded_at": None,
        "resolved_at": None, "resolution": "", "respond_overdue": False, "resolve_overdue": False,
    }
    with in_branch("bj"):
        stored = PaymentException.objects.get()
        assert (stored.opened_by_id, stored.history.first().history_user_id) == (staff.pk, staff.pk)
    listed = api(staff).get(URL).json()
    assert [row["id"] for row in listed] == [body["id"]] and listed[0] == body


def test_without_employee_the_kind_defaults_to_payment_failed(api, staff):
    resp = api(staff).post(URL, {"period": M, "description": "社保局系统故障,本月无法扣款"}, format="json")

    assert resp.status_code == 201
    assert (resp.json()["kind"], resp.json()["employee"], resp.json()["client"]) == ("payment_failed", None, None)


@pytest.mark.parametrize("payload, field", [
    ({"period": M}, "description"),
    ({"period": M, "description": "   "}, "description"),
    ({"period": M, "description": 42}, "description"),
    ({"period": M, "description": "x" * 2001}, "description"),
    ({"period": "2025-13", "description": "扣款失败"}, "period"),
    ({"period": "2025/08", "description": "扣款失败"}, "period"),
    ({"description": "扣款失败"}, "period"),
    ({"period": M, "description": "扣款失败", "employee": 999999}, "employee"),
    ({"period": M, "description": "扣款失败", "employee": "abc"}, "employee"),
    ({"period": M, "description": "扣款失败", "employee": -1}, "employee"),
    ({"period": M, "description": "扣款失败", "kind": "lottery"}, "kind"),
    ({"period": M, "description": "扣款失败", "kind": ["payment_failed"]}, "kind"),
])
def test_bad_input_is_refused_with_the_field_and_nothing_is_written(api, staff, employee, payload, field):
    resp = api(staff).post(URL, payload, format="json")

    assert resp.status_code == 400
    assert list(resp.json()) == [field] and isinstance(resp.json()[field][0], str)
    assert _state() == []


def test_every_bad_field_is_reported_at_once(api, staff):
    resp = api(staff).post(URL, {"period": "2025-8", "description": "", "employee": "x", "kind": "?"}, format="json")

    assert resp.status_code == 400
    assert sorted(resp.json()) == ["description", "employee", "kind", "period"]
    assert resp.json()["employee"] == ["员工编号须为整数。"]
    assert _state() == []


def test_list_filters_and_overdue_flags(api, staff, employee):
    late = _logged(staff, employee=employee.pk)  # opened 2025-08-03: both clocks long blown
    other = _logged(staff, period="2025-07", description="生育津贴申领材料退回", kind="benefit_claim")
    with in_branch("bj"):
        exceptions.exception_respond(actor=staff, exception_id=other.pk, now=T0 + dt.timedelta(minutes=10))
        exceptions.exception_resolve(actor=staff, exception_id=other.pk, note="已补交材料",
                                     now=T0 + dt.timedelta(hours=3))
    client = api(staff)

    rows = {r["id"]: r for r in client.get(URL).json()}
    assert (rows[late.pk]["respond_overdue"], rows[late.pk]["resolve_overdue"]) == (True, True)
    assert (rows[other.pk]["respond_overdue"], rows[other.pk]["resolve_overdue"]) == (False, False)
    assert _at(rows[late.pk]["respond_due"]) == T0 + dt.timedelta(hours=1)
    assert _at(rows[late.pk]["resolve_due"]) == T0 + dt.timedelta(hours=24)
    assert [r["id"] for r in client.get(URL, {"status": "unresolved"}).json()] == [late.pk]
    assert [r["id"] for r in client.get(URL, {"status": "resolved"}).json()] == [other.pk]
    assert [r["id"] for r in client.get(URL, {"period": "2025-07"}).json()] == [other.pk]
    assert client.get(URL, {"status": "open", "period": "2025-07"}).json() == []
    bad_status = client.get(URL, {"status": "late"})
    assert bad_status.status_code == 400 and list(bad_status.json()) == ["status"]
    bad_period = client.get(URL, {"period": "2025-7"})
    assert bad_period.status_code == 400 and list(bad_period.json()) == ["period"]


# ---------------------------------------------------------------------------------------------
# API: respond and resolve
# ---------------------------------------------------------------------------------------------
def test_respond_then_resolve_and_refusals_change_nothing(api, staff):
    exc = _logged(staff)
    client = api(staff)
    base = f"{URL}{exc.pk}/"

    responded = client.post(base + "respond/", format="json")
    assert responded.status_code == 200 and responded.json()["status"] == "responded"
    assert responded.json()["respond_overdue"] is True  # answered long after 09:00 + 1 h
    before = _state()

    again = client.post(base + "respond/", format="json")
    assert again.status_code == 400 and list(again.json()) == ["status"]
    for body in ({}, {"note": "   "}, {"note": 5}, {"note": "x" * 2001}):
        refused = client.post(base + "resolve/", body, format="json")
        assert refused.status_code == 400 and list(refused.json()) == ["note"], body
    assert _state() == before

    resolved = client.post(base + "resolve/", {"note": " 已重新扣款成功 "}, format="json")
    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["resolution"]) == ("resolved", "已重新扣款成功")
    after = _state()

    for path, body in (("resolve/", {"note": "再次处理"}), ("resolve/", {}), ("respond/", {})):
        refused = client.post(base + path, body, format="json")
        assert refused.status_code == 400 and list(refused.json()) == ["status"], (path, body)
    assert _state() == after


def test_resolving_an_open_exception_directly_records_the_response_too(api, staff):
    exc = _logged(staff, now=None)

    body = api(staff).post(f"{URL}{exc.pk}/resolve/", {"note": "客户已补缴"}, format="json").json()

    assert body["status"] == "resolved" and body["responded_at"] == body["resolved_at"]
    assert (body["respond_overdue"], body["resolve_overdue"]) == (False, False)


def test_unknown_exception_is_404(api, staff):
    assert api(staff).post(f"{URL}999999/respond/", format="json").status_code == 404
    assert api(staff).post(f"{URL}999999/resolve/", {"note": "x"}, format="json").status_code == 404
    assert api(staff).post(f"{URL}999999/resolve/", {}, format="json").status_code == 404


# ---------------------------------------------------------------------------------------------
# Roles and branch isolation
# ---------------------------------------------------------------------------------------------
def test_specialist_and_manager_may_work_exceptions(api, staff):
    specialist = make_user("bj_s1", ("bj", "specialist"), home="bj")
    manager = make_user("bj_mgr", ("bj", "branch_manager"), home="bj")

    created = api(specialist).post(URL, {"period": M, "description": "扣款失败"}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    assert api(manager).post(f"{URL}{pk}/respond/", format="json").status_code == 200
    assert api(specialist).post(f"{URL}{pk}/resolve/", {"note": "已处理"}, format="json").status_code == 200
    assert [r["id"] for r in api(manager).get(URL).json()] == [pk]


def test_a_specialist_is_offered_no_insured_person_and_cannot_probe_one_by_number(api, staff, employee):
    """Specialists see no insured person's record (the employee list answers them with none):
    the exception form lists nobody for them, and naming someone by number reads as no such
    person, with nothing of theirs in the answer."""
    specialist = make_user("bj_s1", ("bj", "specialist"), home="bj")
    html = web(specialist).get(f"/b/bj/si/?period={M}").content.decode()
    assert '<select id="exc-employee" name="employee">' in html
    assert "员工1" not in html and f'<option value="{employee.pk}"' not in html
    assert f'<option value="{employee.pk}">员工1 · ' in web(staff).get(f"/b/bj/si/?period={M}").content.decode()

    probed = api(specialist).post(URL, {"period": M, "description": "扣款失败", "employee": employee.pk}, format="json")
    missing = api(specialist).post(URL, {"period": M, "description": "扣款失败", "employee": 999999}, format="json")
    assert probed.status_code == missing.status_code == 400
    assert probed.json() == missing.json() == {"employee": ["员工不存在。"]}
    assert _state() == []


def test_client_contact_and_hq_finance_are_refused_and_write_nothing(api, staff):
    exc = _logged(staff)
    contact = make_user("bj_contact", ("bj", "client_contact"), home="bj")
    finance = make_user("fin", (None, "hq_finance"))
    before = _state()

    for user in (contact, finance):
        client = api(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"period": M, "description": "扣款失败"}, format="json").status_code == 403
        assert client.post(f"{URL}{exc.pk}/respond/", format="json").status_code == 403
        assert client.post(f"{URL}{exc.pk}/resolve/", {"note": "x"}, format="json").status_code == 403
    assert api().get(URL).status_code == 401
    assert api().post(f"{URL}{exc.pk}/respond/", format="json").status_code == 401
    assert _state() == before


def test_another_branchs_staff_cannot_list_or_advance_this_branchs_exceptions(api, staff):
    exc = _logged(staff)
    sh_staff = make_user("sh_staff", ("sh", "branch_staff"), home="sh")
    before = _state()
    client = api(sh_staff)

    assert client.get(URL).status_code == 404
    assert client.post(URL, {"period": M, "description": "扣款失败"}, format="json").status_code == 404
    assert client.post(f"{URL}{exc.pk}/respond/", format="json").status_code == 404
    assert client.post(f"{URL}{exc.pk}/resolve/", {"note": "x"}, format="json").status_code == 404
    # In their own branch the id means nothing: bj's row is in bj's schema only.
    assert client.get("/b/sh/api/v1/si/exceptions/").json() == []
    assert client.post(f"/b/sh/api/v1/si/exceptions/{exc.pk}/respond/", format="json").status_code == 404
    assert client.post(f"/b/sh/api/v1/si/exceptions/{exc.pk}/resolve/", {"note": "x"}, format="json").status_code == 404
    assert _state() == before
    with in_branch("sh"):
        assert not PaymentException.objects.exists()


# ---------------------------------------------------------------------------------------------
# Escalation
# ---------------------------------------------------------------------------------------------
def _inbox(user):
    with in_branch("bj"):
        return list(Notification.objects.filter(recipient_id=user.pk).order_by("id")
                    .values_list("title", "link", "dedupe_key", "kind"))


def test_escalation_notifies_each_manager_once_per_stage(staff, employee):
    m1 = make_user("bj_mgr", ("bj", "branch_manager"), home="bj")
    m2 = make_user("bj_mgr2", ("bj", "branch_manager"), home="bj")
    exc = _logged(staff, employee=employee.pk)

    with in_branch("bj"):
        assert exceptions.exceptions_escalate(now=T0 + dt.timedelta(minutes=59)) == 0
        assert not Notification.objects.exists()

        assert exceptions.exceptions_escalate(now=T0 + dt.timedelta(minutes=61)) == 1
        assert exceptions.exceptions_escalate(now=T0 + dt.timedelta(minutes=61)) == 0
        assert exceptions.exceptions_escalate(now=T0 + dt.timedelta(hours=2)) == 0  # still unanswered: once

    respond_msg = (f"社保异常 #{exc.pk} 超过 1 小时未响应", f"/b/bj/si/?period={M}#exception-{exc.pk}",
                   f"si-exception:{exc.pk}:respond-overdue", "si_exception_overdue")
    assert _inbox(m1) == [respond_msg] and _inbox(m2) == [respond_msg]
    assert _inbox(staff) == []
    with in_branch("bj"):
        body = Notification.objects.filter(recipient_id=m1.pk).get().body
        # months and times in the locale's words, also in the stored body e-mail and WeCom send
        assert body.startswith("2025年8月 · 缴费失败 · 员工1:银行扣款失败") and "(时限 2025年8月3日 18:00)" in body

        exceptions.exception_respond(actor=staff, exception_id=exc.pk, now=T0 + dt.timedelta(hours=3))
        assert exceptions.exceptions_escalate(now=T0 + dt.timedelta(hours=23, minutes=59)) == 0
        assert exceptions.exceptions_escalate(now=T0 + dt.timedelta(hours=24, minutes=1)) == 1
        assert exceptions.exceptions_escalate(now=T0 + dt.timedelta(hours=24, minutes=1)) == 0
        assert exceptions.exceptions_escalate(now=T0 + dt.timedelta(days=3)) == 0

    assert [m[2] for m in _inbox(m1)] == [f"si-exception:{exc.pk}:respond-overdue", f"si-exception:{exc.pk}:resolve-overdue"]
    assert _inbox(m1)[1][0] == f"社保异常 #{exc.pk} 超过 24 小时未解决"
    assert _inbox(m1) == _inbox(m2)


def test_an_exception_never_responded_escalates_both_stages_in_one_run_and_resolved_ones_never(staff):
    manager = make_user("bj_mgr", ("bj", "branch_manager"), home="bj")
    forgotten = _logged(staff)
    handled = _logged(staff, description="处理及时")
    with in_branch("bj"):
        exceptions.exception_resolve(actor=staff, exception_id=handled.pk, note="已处理", now=T0 + dt.timedelta(minutes=5))

        assert exceptions.exceptions_escalate(now=T0 + dt.timedelta(days=2)) == 2
        assert exceptions.exceptions_escalate(now=T0 + dt.timedelta(days=2)) == 0

    assert sorted(m[2] for m in _inbox(manager)) == [f"si-exception:{forgotten.pk}:resolve-overdue",
                                                     f"si-exception:{forgotten.pk}:respond-overdue"]


def test_without_a_manager_nothing_is_recorded_and_a_new_manager_is_told(staff):
    exc = _logged(staff)
    with in_branch("bj"):
        assert exceptions.exceptions_escalate(now=T0 + dt.timedelta(hours=2)) == 0
        assert not Notification.objects.exists()
    manager = make_user("bj_mgr", ("bj", "branch_manager"), home="bj")
    with in_branch("bj"):
        assert exceptions.exceptions_escalate(now=T0 + dt.timedelta(hours=2)) == 1
    assert [m[2] for m in _inbox(manager)] == [f"si-exception:{exc.pk}:respond-overdue"]


def test_escalation_stays_in_its_branch(staff):
    make_user("bj_mgr", ("bj", "branch_manager"), home="bj")
    sh_manager = make_user("sh_mgr", ("sh", "branch_manager"), home="sh")
    _logged(staff)

    with in_branch("sh"):
        assert exceptions.exceptions_escalate(now=T0 + dt.timedelta(days=2)) == 0
        assert not Notification.objects.exists()
    with in_branch("bj"):
        assert not Notification.objects.filter(recipient_id=sh_manager.pk).exists()


def test_the_task_escalates_with_the_real_clock_and_beat_runs_it_per_branch(staff):
    manager = make_user("bj_mgr", ("bj", "branch_manager"), home="bj")
    _logged(staff)  # 2025: both clocks blown by now

    with in_branch("bj"):
        assert tasks.escalate_exceptions() == 2
        assert tasks.escalate_exceptions() == 0
    assert len(_inbox(manager)) == 2
    entry = beat_schedule()["fan-out-si-exception-escalation"]
    assert (entry["task"], entry["args"]) == ("branches.tasks.fan_out", ("social_insurance.tasks.escalate_exceptions",))
    assert tasks.escalate_exceptions.name == "social_insurance.tasks.escalate_exceptions"


def test_escalation_selector_skips_stages_already_escalated(staff):
    make_user("bj_mgr", ("bj", "branch_manager"), home="bj")
    exc = _logged(staff)
    late = T0 + dt.timedelta(days=1, hours=1)
    with in_branch("bj"):
        assert [(e.pk, s) for e, s in selectors.exceptions_to_escalate(late)] == [(exc.pk, "respond"), (exc.pk, "resolve")]
        exceptions.exceptions_escalate(now=T0 + dt.timedelta(hours=2))
        assert [(e.pk, s) for e, s in selectors.exceptions_to_escalate(late)] == [(exc.pk, "resolve")]


# ---------------------------------------------------------------------------------------------
# The cycle board's forms
# ---------------------------------------------------------------------------------------------

def test_board_logs_responds_and_resolves_through_its_forms(staff, employee):
    page = web(staff)

    html = page.get(f"/b/bj/si/?period={M}").content.decode()
    assert 'data-testid="si-exception-form"' in html and "没有未解决的异常。" in html
    # The employee is chosen by name, ID (masked) and client: their record's number is never shown.
    assert '<select id="exc-employee" name="employee">' in html and "员工编号" not in html
    assert f'<option value="{employee.pk}">员工1 · ' in html

    created = page.post("/b/bj/si/exceptions/", {"board_period": M, "period": M, "kind": "benefit_claim",
                                                "employee": str(employee.pk), "description": "工伤待遇申领被退回"})
    assert created.status_code == 302
    with in_branch("bj"):
        exc = PaymentException.objects.get()
        assert (exc.kind, exc.employee_id, exc.status, exc.opened_by_id) == ("benefit_claim", employee.pk, "open", staff.pk)
    assert created["Location"] == f"/b/bj/si/?period={M}#exception-{exc.pk}"
    html = page.get(created["Location"]).content.decode()
    assert f'id="exception-{exc.pk}"' in html and "工伤待遇申领被退回" in html and "待遇申领问题" in html
    assert "请在 1 小时内响应" in html

    assert page.post(f"/b/bj/si/exceptions/{exc.pk}/respond/", {"board_period": M}).status_code == 302
    refused = page.post(f"/b/bj/si/exceptions/{exc.pk}/resolve/", {"board_period": M, "note": ""}, follow=True)
    assert "请填写处理结果" in refused.content.decode()
    with in_branch("bj"):
        assert PaymentException.objects.get().status == "responded"
    page.post(f"/b/bj/si/exceptions/{exc.pk}/resolve/", {"board_period": M, "note": "已补交材料"})
    with in_branch("bj"):
        exc = PaymentException.objects.get()
        assert (exc.status, exc.resolution, exc.handled_by_id) == ("resolved", "已补交材料", staff.pk)
    html = page.get(f"/b/bj/si/?period={M}").content.decode()
    assert "没有未解决的异常。" in html


def test_board_refuses_bad_input_with_messages_and_saves_nothing(staff, employee):
    page = web(staff)

    resp = page.post("/b/bj/si/exceptions/", {"board_period": M, "period": "2025-13", "description": "",
                                             "employee": "999999"}, follow=True)

    html = resp.content.decode()
    assert resp.redirect_chain[-1][0] == f"/b/bj/si/?period={M}#exceptions"
    assert "月份格式应为 YYYY-MM" in html and "请描述异常情况" in html and "员工不存在。" in html
    assert _state() == []
    assert page.post("/b/bj/si/exceptions/1/escalate/", {"board_period": M}).status_code == 404
    opened = page.get("/b/bj/si/exceptions/")  # the form's target typed in: a page that says so
    assert opened.status_code == 405 and opened["Allow"] == "POST"
    assert "此地址用于提交表单,不能直接打开" in opened.content.decode()


def test_board_forms_are_closed_to_client_contacts_and_other_branches(staff):
    exc = _logged(staff)
    contact = make_user("bj_contact", ("bj", "client_contact"), home="bj")
    sh_staff = make_user("sh_staff", ("sh", "branch_staff"), home="sh")
    before = _state()

    for user in (contact, sh_staff):
        page = web(user)
        assert page.post("/b/bj/si/exceptions/", {"period": M, "description": "扣款失败"}).status_code == 404
        assert page.post(f"/b/bj/si/exceptions/{exc.pk}/respond/", {}).status_code == 404
        assert page.post(f"/b/bj/si/exceptions/{exc.pk}/resolve/", {"note": "x"}).status_code == 404
    assert _state() == before


def test_a_big_branch_names_the_person_by_identity_number(staff, employee, monkeypatch):
    from social_insurance import views

    from .helpers import idn

    monkeypatch.setattr(views, "EXCEPTION_CHOICES", 0)  # as if the branch had more people than a list shows
    page = web(staff)
    html = page.get(f"/b/bj/si/?period={M}").content.decode()
    assert 'name="employee_id_number"' in html and '<select id="exc-employee"' not in html
    refused = page.post("/b/bj/si/exceptions/", {"board_period": M, "period": M, "description": "扣款失败",
                                                 "employee_id_number": idn(99)}, follow=True)
    assert "未找到该身份证号的参保员工。" in refused.content.decode()
    with in_branch("bj"):
        assert not PaymentException.objects.exists()
    page.post("/b/bj/si/exceptions/", {"board_period": M, "period": M, "description": "扣款失败",
                                       "employee_id_number": f" {idn(1).lower()} "})
    with in_branch("bj"):
        assert PaymentException.objects.get().employee_id == employee.pk


def test_the_exception_list_comes_in_windows_and_refuses_a_bad_window(api, staff):
    for n in range(3):
        assert api(staff).post(URL, {"period": M, "description": f"扣款失败 {n}"}, format="json").status_code == 201
    part = api(staff).get(URL + "?limit=2")
    assert len(part.json()) == 2 and part["X-Total-Count"] == "3"
    for query in ("limit=0", "limit=501", "offset=-1", "limit=abc"):
        resp = api(staff).get(f"{URL}?{query}")
        assert resp.status_code == 400 and resp.json()[query.split("=")[0]][0], query


def test_a_specialist_cannot_find_a_person_by_identity_number(staff, employee, monkeypatch):
    from social_insurance import views

    from .helpers import idn

    monkeypatch.setattr(views, "EXCEPTION_CHOICES", 0)
    specialist = make_user("bj_s9", ("bj", "specialist"), home="bj")
    resp = web(specialist).post("/b/bj/si/exceptions/", {"board_period": M, "period": M, "description": "扣款失败",
                                                         "employee_id_number": idn(1)}, follow=True)
    assert "未找到该身份证号的参保员工。" in resp.content.decode()  # the same answer as for a stranger
    with in_branch("bj"):
        assert not PaymentException.objects.exists()
