"""History import (三重校验) and the parallel run: a small version of bench/history_compare.py
plus the mapping, accept, sign-off and role decisions."""
from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from history.sample_sheet import build_sheet, sheet_xlsx
from tests.conftest import in_branch
from tests.factories import make_user

pytestmark = pytest.mark.django_db

BASE = "/b/bj/api/v1/history"


@pytest.fixture
def team(db):
    people = [make_user(f"hs{i:02d}", ("bj", "specialist"), home="bj") for i in range(12)]
    return {
        "people": people,
        "manager": make_user("h_mgr", ("bj", "branch_manager"), home="bj"),
        "staff": make_user("h_staff", ("bj", "branch_staff"), home="bj"),
        "finance": make_user("h_fin", (None, "hq_finance")),
        "admin": make_user("h_admin", (None, "hq_admin")),
        "sh_manager": make_user("h_sh_mgr", ("sh", "branch_manager"), home="sh"),
        "contact": make_user("h_contact", ("bj", "client_contact"), home="bj"),
    }


def _upload(api, user, name, content, kind="history", period=None):
    data = {"file": SimpleUploadedFile(name, content), "kind": kind}
    if period:
        data["period"] = period
    return api(user).post(f"{BASE}/imports/", data, format="multipart")


def _written():
    """What the history import must never write: events, statement lines, recompute markers."""
    from clients.models import Client
    from commissions.models import RecomputeMarker, Sale, StatementLine

    with in_branch("bj"):
        return (Client.objects.count(), Sale.objects.count(), StatementLine.objects.count(),
                RecomputeMarker.objects.count())


def _found(report: dict) -> set[tuple[str, int, str]]:
    return {(check, i["row"], i["code"]) for check in ("format", "logic", "compare")
            for i in report[check]["issues"]}


def test_a_sheet_with_injected_errors_reports_each_in_its_check_and_nothing_else(api, team):
    started = time.monotonic()
    names = [u.username for u in team["people"]]
    header, rows, expected = build_sheet(people=names, first_period="2025-01", months=3, lines=300)
    assert len(expected) == 10
    before = _written()

    r = _upload(api, team["manager"], "提成表.xlsx", sheet_xlsx(header, rows))
    assert r.status_code == 201, r.json()
    imp = r.json()
    assert imp["rows"] == 300 and imp["status"] == "uploaded"
    assert {f["field"]: f["column"] for f in imp["fields"]} == {
        "period": "月份", "person": "账号", "item": "项目", "client": "客户名称", "headcount": "员工人数",
        "tier": "档位", "opened_on": "开户日期", "service": "服务", "billed": "计费金额", "amount": "提成金额"}

    r = api(team["manager"]).post(f"{BASE}/imports/{imp['id']}/check/", {}, format="json")
    assert r.status_code == 200, r.json()
    report = r.json()["report"]
    assert _found(report) == expected
    assert [len(report[c]["issues"]) for c in ("format", "logic", "compare")] == [4, 3, 3]
    assert report["rows_with_issues"] == 10 and report["error_rate"] == "3.33"
    messages = {i["row"]: i["message"] for i in report["compare"]["issues"]}
    opening_row = next(row for check, row, code in expected if code == "opening_reward")
    assert messages[opening_row] == "表格按 51–100 人档 1,200.00 元,规则应为 1–50 人档 800.00 元:员工人数 36。"
    logic = {i["code"]: i["message"] for i in report["logic"]["issues"]}
    assert "相差 100.00 元" in logic["total_mismatch"] and "与员工人数 36 不符" in logic["tier_headcount"]
    assert _written() == before  # nothing recomputed, nothing of a past month rewritten
    # With format and logic problems the sheet is not accepted.
    r = api(team["manager"]).post(f"{BASE}/imports/{imp['id']}/accept/")
    assert r.status_code == 400 and "格式校验有 4 处、逻辑校验有 3 处" in str(r.json())
    assert time.monotonic() - started < 10


def test_own_headers_are_guessed_and_a_wrong_mapping_is_refused(api, team):
    csv = ("所属月份,姓名,提成项目,客户,人数,开户时间,业务类型,服务费,应发提成\n"
           "2025-03,hs00,开户奖励,甲公司,30,2025-03-02,,,800.00\n"
           "2025-03,hs00,销售提成,甲公司,,,社保代缴,\"100,000.00\",2000.00\n"
           "2025-03,hs00,合计,,,,,,2800.00\n")
    r = _upload(api, team["manager"], "own.csv", csv.encode("gb18030"))
    assert r.status_code == 201, r.json()
    imp = r.json()
    assert {f["field"]: f["column"] for f in imp["fields"]} == {
        "period": "所属月份", "person": "姓名", "item": "提成项目", "client": "客户", "headcount": "人数", "tier": None,
        "opened_on": "开户时间", "service": "业务类型", "billed": "服务费", "amount": "应发提成"}
    bad = api(team["manager"]).post(f"{BASE}/imports/{imp['id']}/check/",
                                    {"mapping": {"amount": "所属月份", "person": "没有这列"}}, format="json")
    assert bad.status_code == 400
    assert bad.json()["person"] == ["文件中没有这一列:没有这列"]
    assert any("已用于“月份”" in m for m in bad.json()["amount"])
    assert api(team["manager"]).get(f"{BASE}/imports/{imp['id']}/").json()["status"] == "uploaded"
    ok = api(team["manager"]).post(f"{BASE}/imports/{imp['id']}/check/", {}, format="json")
    assert ok.status_code == 200
    report = ok.json()["report"]
    assert _found(report) == set() and report["compare"]["compared"] == 2 and report["logic"]["totals_checked"] == 1
    r = api(team["manager"]).post(f"{BASE}/imports/{imp['id']}/accept/")
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    from history.models import HistoryImport

    with in_branch("bj"):
        trail = list(HistoryImport.history.filter(id=imp["id"]).order_by("history_date")
                     .values_list("history_user_id", "history_change_reason", "status"))
    assert trail == [(team["manager"].id, "上传历史表格", "uploaded"), (team["manager"].id, "三重校验", "checked"),
                     (team["manager"].id, "历史数据确认导入", "accepted")]


def test_the_rules_the_company_used_a_draft_explains_each_difference(api, team):
    csv = ("月份,账号,项目,客户名称,员工人数,开户日期,提成金额\n"
           "2025-05,hs01,开户奖励,乙公司,120,2025-05-06,1800.00\n")
    imp = _upload(api, team["manager"], "d.csv", csv.encode()).json()
    draft = {"opening_reward": {"tiers": [{"max_headcount": None, "amount": "1000.00"}]}}
    r = api(team["manager"]).post(f"{BASE}/imports/{imp['id']}/check/", {"rules": {"draft": draft}}, format="json")
    assert r.status_code == 200, r.json()
    [diff] = r.json()["report"]["compare"]["issues"]
    assert (diff["sheet"], diff["engine"]) == ("1800.00", "1000.00")
    assert diff["message"] == "表格为 1,800.00 元,规则应为 1 人及以上档 1,000.00 元:员工人数 120。"
    assert "开户奖励:草案" in r.json()["rules"]
    bad = api(team["manager"]).post(f"{BASE}/imports/{imp['id']}/check/",
                                    {"rules": {"draft": {"opening_reward": {"tiers": []}}}}, format="json")
    assert bad.status_code == 400 and "草案" in str(bad.json())
    assert api(team["manager"]).get(f"{BASE}/imports/{imp['id']}/").json()["differences"] == 1  # unchanged


def test_parallel_run_month_error_rate_and_hq_sign_off(api, team):
    names = [u.username for u in team["people"]]
    header, rows, expected = build_sheet(people=names, first_period="2026-01", months=3, lines=300, seed=3)
    r = _upload(api, team["manager"], "2026-03.xlsx", sheet_xlsx(header, rows), kind="parallel", period="2026-03")
    assert r.status_code == 201, r.json()
    assert _upload(api, team["manager"], "x.csv", b"a\n1\n", kind="parallel").status_code == 400  # month needed
    # What the system itself computed for March: one opening recorded for hs00 (800.00).
    from tests.commissions.conftest import open_client, recompute

    open_client(api, team["manager"], opened_by="hs00", headcount=30, opened_on="2026-03-05", name="系统客户")
    recompute("bj", "2026-03")
    checked = api(team["manager"]).post(f"{BASE}/imports/{r.json()['id']}/check/", {}, format="json").json()
    statements = {s["person"]: s for s in checked["report"]["statements"]}
    in_march = {row[1] for row in rows if row[0] == "2026-03"}
    assert set(statements) == in_march and len(in_march) == 12  # nobody else has a March statement
    assert statements["hs00"]["system"] == "800.00"
    assert all(s["system"] == "0.00" for p, s in statements.items() if p != "hs00")
    from django.test import Client

    reader = Client()
    reader.force_login(team["manager"])
    report = reader.get(f"/b/bj/history/{r.json()['id']}/").content.decode()  # the commission statement by its name
    assert "与系统提成单核对" in report and 'data-label="系统提成单"' in report and "结算单" not in report
    summary = api(team["finance"]).get(f"{BASE}/parallel/").json()
    assert [m["period"] for m in summary["months"]] == ["2026-03"]
    assert summary["error_rate"] == "3.33" and summary["differences"] == 3 and summary["signed_off"] is None

    assert api(team["manager"]).post(f"{BASE}/parallel/sign-off/", {"note": "ok"}).status_code == 403
    assert api(team["finance"]).post(f"{BASE}/parallel/sign-off/", {"note": "ok"}).status_code == 403
    # Differences remain (3 lines, 11 people against the system): not ended with one click.
    r = api(team["admin"]).post(f"{BASE}/parallel/sign-off/", {"note": "三个月无系统性差异"}, format="json")
    assert r.status_code == 400 and "请勾选“接受现有差异”" in r.json()["accept_differences"][0]
    for note in (None, "  ", [""], {"x": 1}):  # and not without a note saying why
        body = {"accept_differences": True, **({} if note is None else {"note": note})}
        r = api(team["admin"]).post(f"{BASE}/parallel/sign-off/", body, format="json")
        assert r.status_code == 400, note
    r = api(team["admin"]).post(f"{BASE}/parallel/sign-off/", {"note": "三个月无系统性差异", "accept_differences": True},
                                format="json")
    assert r.status_code == 201, r.json()
    signed = r.json()["signed_off"]
    assert signed["by"] == "h_admin" and signed["months"] == ["2026-03"] and signed["error_rate"] == "3.33"
    again = api(team["admin"]).post(f"{BASE}/parallel/sign-off/", {}, format="json")
    assert again.status_code == 400
    late = _upload(api, team["manager"], "2026-04.csv", b"a\n1\n", kind="parallel", period="2026-04")
    assert late.status_code == 400 and "签字结束" in str(late.json())
    from history.models import ParallelSignOff

    with in_branch("bj"):
        assert ParallelSignOff.history.get().history_user_id == team["admin"].id


def test_who_may_do_what(api, team):
    csv = "月份,账号,项目,提成金额\n2025-03,hs00,合计,0\n".encode()
    assert _upload(api, team["staff"], "a.csv", csv).status_code == 403
    assert _upload(api, team["finance"], "a.csv", csv).status_code == 403
    assert _upload(api, team["people"][0], "a.csv", csv).status_code == 403
    assert _upload(api, team["contact"], "a.csv", csv).status_code == 403
    assert _upload(api, team["sh_manager"], "a.csv", csv).status_code == 404
    imp = _upload(api, team["manager"], "a.csv", csv).json()
    assert api(team["finance"]).get(f"{BASE}/imports/{imp['id']}/").status_code == 200
    assert api(team["people"][0]).get(f"{BASE}/imports/{imp['id']}/").status_code == 403
    assert api(team["sh_manager"]).get(f"{BASE}/imports/{imp['id']}/").status_code == 404
    assert api(team["manager"]).get("/b/sh/api/v1/history/imports/").status_code == 404
    assert api(team["finance"]).post(f"{BASE}/imports/{imp['id']}/check/", {}, format="json").status_code == 403


def test_pages_upload_map_report_download(team):
    from django.test import Client

    names = [u.username for u in team["people"]]
    header, rows, expected = build_sheet(people=names, first_period="2025-01", months=3, lines=300)
    browser = Client()
    browser.force_login(team["manager"])
    r = browser.post("/b/bj/history/", {"kind": "history", "file": SimpleUploadedFile("提成表.xlsx",
                                                                                       sheet_xlsx(header, rows))})
    assert r.status_code == 302 and r["Location"].endswith("/mapping/")
    mapping_page = browser.get(r["Location"])
    assert mapping_page.status_code == 200
    html = mapping_page.content.decode()
    assert '<option value="9" selected>提成金额</option>' in html
    import_id = int(r["Location"].rstrip("/").split("/")[-2])
    form = {f"col_{f}": str(i) for i, f in enumerate(
        ["period", "person", "item", "client", "headcount", "tier", "opened_on", "service", "billed", "amount"])}
    r = browser.post(f"/b/bj/history/{import_id}/mapping/", form)
    assert r.status_code == 302
    page = browser.get(f"/b/bj/history/{import_id}/").content.decode()
    assert "表格按 51–100 人档 1,200.00 元,规则应为 1–50 人档 800.00 元:员工人数 36。" in page
    assert 'data-testid="error-rate">3.33%<' in page
    download = browser.get(f"/b/bj/history/{import_id}/report.xlsx")
    assert download.status_code == 200
    from hrsaas import uploads

    table = uploads.read_table(download.content, filename="r.xlsx")
    assert table.header[:3] == ["校验", "行", "月份"] and len(table.rows) == 10
    assert sorted(row[0] for _, row in table.rows) == ["抽样比对"] * 3 + ["格式校验"] * 4 + ["逻辑校验"] * 3
    finance = Client()
    finance.force_login(team["finance"])
    assert finance.get(f"/b/bj/history/{import_id}/").status_code == 200
    assert finance.get("/b/bj/history/parallel/").status_code == 200
    specialist = Client()
    specialist.force_login(team["people"][0])
    assert specialist.get("/b/bj/history/").status_code == 404


def test_history_pages_read_in_english(team):
    from django.conf import settings
    from django.utils import translation

    from tests.platform.test_english import chinese_left, english

    csv = ("month,user,item,client,headcount,opened on,commission\n"
           "2025-03,hs00,Opening reward,Acme,30,2025-03-02,1200.00\n"
           "2025-03,hs00,Total,,,,1200.00\n")
    c = english(team["admin"])
    try:
        r = c.post("/b/bj/history/", {"kind": "history", "file": SimpleUploadedFile("acme.csv", csv.encode())})
        assert r.status_code == 302
        import_id = int(r["Location"].rstrip("/").split("/")[-2])
        form = {"col_period": "0", "col_person": "1", "col_item": "2", "col_client": "3", "col_headcount": "4",
                "col_opened_on": "5", "col_amount": "6"}
        assert c.post(f"/b/bj/history/{import_id}/mapping/", form).status_code == 302
        data = ("开户奖励", "合计")  # the sheet's own item words in the rules' sentence
        for url in ("/b/bj/history/", f"/b/bj/history/{import_id}/mapping/", f"/b/bj/history/{import_id}/",
                    "/b/bj/history/parallel/"):
            assert chinese_left(c, url, data) == [], url
        page = c.get(f"/b/bj/history/{import_id}/").content.decode()
        assert "The sheet pays the 51–100 tier, 1,200.00; the rules give the 1–50 tier, 800.00: headcount 30." in page
    finally:
        translation.activate(settings.LANGUAGE_CODE)


def test_bad_uploads_are_refused_in_words_and_keep_nothing(api, team):
    from history.models import HistoryImport

    cases = [
        (("notes.txt", b"a,b\n1,2\n"), {}, "请上传 .csv 或 .xlsx 文件。"),
        (("empty.csv", "月份,账号,项目,提成金额\n".encode()), {}, "文件只有表头,没有数据行。"),
        (("m.csv", b"a\n1\n"), {"kind": "parallel", "period": "0000-01"}, "期间须在 2000-01 至 2099-12 之间"),
        (("m.csv", b"a\n1\n"), {"kind": "somewhere"}, "请选择历史数据导入或并行期月份。"),
    ]
    for (name, content), extra, message in cases:
        r = _upload(api, team["manager"], name, content, **extra)
        assert r.status_code == 400 and message in str(r.json()), (name, r.json())
    with in_branch("bj"):
        assert HistoryImport.objects.count() == 0
    assert len(cases) == 4


def test_a_client_the_product_has_must_be_opened_on_the_sheet_as_recorded(api, team):
    from tests.commissions.conftest import open_client

    open_client(api, team["manager"], opened_by="hs00", headcount=30, opened_on="2026-03-05", name="甲公司")
    csv = ("月份,账号,项目,客户名称,员工人数,开户日期,服务,计费金额,提成金额\n"
           "2026-03,hs00,开户奖励,甲公司,30,2026-03-05,,,800.00\n"
           "2026-03,hs00,销售提成,甲公司,,,社保代缴,100000.00,2000.00\n"
           "2026-03,hs01,开户奖励,乙公司,30,2026-03-06,,,800.00\n")
    imp = _upload(api, team["manager"], "p.csv", csv.encode(), kind="parallel", period="2026-03").json()
    report = api(team["manager"]).post(f"{BASE}/imports/{imp['id']}/check/", {}, format="json").json()["report"]
    assert _found(report) == set() and report["compare"]["compared"] == 3
    wrong = csv.replace("甲公司,30,2026-03-05", "甲公司,60,2026-03-01")
    imp = _upload(api, team["manager"], "p2.csv", wrong.encode(), kind="parallel", period="2026-03").json()
    report = api(team["manager"]).post(f"{BASE}/imports/{imp['id']}/check/", {}, format="json").json()["report"]
    assert _found(report) == {("logic", 2, "system_mismatch")}
    assert report["logic"]["issues"][0]["message"] == \
        "客户“甲公司”在系统中开户于 2026-03-05、员工人数 30,表格为 2026-03-01、60 人。"
    assert report["compare"]["compared"] == 2  # the sale is still compared, as the product records the client


def test_a_line_paid_twice_and_a_person_who_earns_nothing_here(api, team):
    csv = ("月份,账号,项目,客户名称,员工人数,开户日期,服务,计费金额,提成金额\n"
           "2025-03,hs00,开户奖励,甲公司,30,2025-03-05,,,800.00\n"
           "2025-03,hs00,销售提成,甲公司,,,社保代缴,100000.00,2000.00\n"
           "2025-03,hs00,销售提成,甲公司,,,社保代缴,100000.00,2000.00\n"
           "2025-03,h_contact,销售提成,甲公司,,,公积金代缴,100000.00,2000.00\n")
    imp = _upload(api, team["manager"], "t.csv", csv.encode()).json()
    report = api(team["manager"]).post(f"{BASE}/imports/{imp['id']}/check/", {}, format="json").json()["report"]
    assert _found(report) == {("logic", 4, "duplicate_line"), ("format", 5, "person")}
    assert report["logic"]["issues"][0]["message"] == "与第 3 行重复:同一客户、服务和月份只能计一次。"
    assert report["format"]["issues"][0]["message"] == "不是本分支机构的提成人员:h_contact(请填写专员、市场或销售人员的账号或姓名)"


def test_the_parallel_run_page_signs_off_for_hq_admins_only(api, team):
    from django.test import Client

    csv = "月份,账号,项目,提成金额\n2026-03,hs00,合计,0\n".encode()
    imp = _upload(api, team["manager"], "m.csv", csv, kind="parallel", period="2026-03").json()
    api(team["manager"]).post(f"{BASE}/imports/{imp['id']}/check/", {}, format="json")
    manager, admin = Client(), Client()
    manager.force_login(team["manager"])
    admin.force_login(team["admin"])
    assert 'data-testid="sign-off"' not in manager.get("/b/bj/history/parallel/").content.decode()
    assert manager.post("/b/bj/history/parallel/", {"note": "x"}).status_code == 404
    page = admin.get("/b/bj/history/parallel/").content.decode()
    assert 'data-testid="sign-off"' in page and "2026年3月" in page
    assert "接受现有差异" in page  # offered; needed only while differences remain (the API test)
    assert admin.post("/b/bj/history/parallel/", {"note": "可以上线"}).status_code == 302
    page = manager.get("/b/bj/history/parallel/").content.decode()
    assert 'data-testid="signed-off"' in page and "可以上线" in page


def test_checks_are_limited_per_person_like_other_whole_sheet_jobs(api, team, django_capture_on_commit_callbacks):
    csv = "所属月份,姓名,提成项目,客户,人数,开户时间,业务类型,服务费,应发提成\n2025-03,hs00,开户奖励,甲公司,30,2025-03-02,,,800.00\n"
    imp = _upload(api, team["manager"], "small.csv", csv.encode("gb18030")).json()
    manager = api(team["manager"])
    checks = [manager.post(f"{BASE}/imports/{imp['id']}/check/", {}, format="json").status_code for _ in range(10)]
    assert checks == [200] * 10
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refused = manager.post(f"{BASE}/imports/{imp['id']}/check/", {"run_async": True}, format="json")
    assert refused.status_code == 429 and "请求过于频繁" in refused.json()["detail"] and callbacks == []
