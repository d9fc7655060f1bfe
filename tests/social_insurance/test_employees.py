"""员工档案: validation, encryption at rest, masking, roles, CSV/XLSX import (all-or-nothing)."""
from __future__ import annotations

import io

import pytest
from django.db import connection
from openpyxl import Workbook

from social_insurance.crypto import decrypt_identity, identity_hash
from social_insurance.models import InsuredEmployee
from tests.conftest import in_branch
from tests.factories import make_user
from tests.json_numbers import N, post_json, refusal

from .helpers import add_employee, idn, make_client

pytestmark = pytest.mark.django_db
URL = "/b/bj/api/v1/si/employees/"


@pytest.fixture
def client_co(staff):
    with in_branch("bj"):
        return make_client("北京甲公司", staff)


def payload(cl, n=1, **over):
    body = {"client": cl.pk, "name": "张三", "id_number": idn(n), "insured_city": "beijing",
            "contract_city": "beijing", "payroll_city": "beijing", "wage": "12000.00", "start_date": "2025-07-01"}
    body.update(over)
    return body


def test_staff_creates_an_employee_stored_encrypted_and_listed_masked(api, staff, client_co):
    number = idn(1)
    resp = api(staff).post(URL, payload(client_co, housing_fund_percent="12"), format="json")

    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["id_number"] == number[:3] + "*" * 11 + number[-4:]
    assert body["wage"] == "12000.00" and body["housing_fund_percent"] == "12.00"
    with in_branch("bj"):
        e = InsuredEmployee.objects.get(pk=body["id"])
        assert number not in e.id_number_encrypted
        assert decrypt_identity(e.id_number_encrypted) == number
        assert e.id_number_hash == identity_hash(number)
        with connection.cursor() as cur:
            cur.execute("select count(*) from social_insurance_insuredemployee where id_number_encrypted like %s",
                        [f"%{number}%"])
            assert cur.fetchone()[0] == 0
        assert e.history.count() == 1 and e.history.first().history_user_id == staff.pk
    listed = api(staff).get(URL).json()
    assert [row["id_number"] for row in listed] == [body["id_number"]]
    assert number not in str(listed)


@pytest.mark.parametrize("literal", ["12000", "12000.5", "1.2e4", "true"])
@pytest.mark.parametrize("field, example", [("wage", "12000.00"), ("housing_fund_percent", "12.00"),
                                            ("injury_rate", "12.00")])
def test_a_wage_or_percent_sent_as_a_json_number_is_refused_and_nothing_written(api, staff, client_co, field,
                                                                               example, literal):
    body = payload(client_co, **{"housing_fund_percent": "7", "injury_rate": "0.40", field: N})

    resp = post_json(api(staff), URL, body, literal)

    assert resp.status_code == 400
    assert resp.json() == {field: [refusal(example)]}
    with in_branch("bj"):
        assert InsuredEmployee.objects.count() == 0
    resp = post_json(api(staff), URL, body, {"wage": '"12000.00"', "housing_fund_percent": '"7"',
                                             "injury_rate": '"0.40"'}[field])
    assert resp.status_code == 201, resp.content


@pytest.mark.parametrize("over, field", [
    ({"id_number": "110105199001010012"}, "id_number"),   # bad check digit
    ({"id_number": "11010519900101001"}, "id_number"),
    ({"insured_city": "wuhan"}, "insured_city"),
    ({"wage": "abc"}, "wage"),
    ({"wage": "-5"}, "wage"),
    ({"wage": "100.123"}, "wage"),
    ({"start_date": "2025-02-30"}, "start_date"),
    ({"start_date": "20250701"}, "start_date"),      # ISO basic form: not how anyone writes a date here
    ({"start_date": "2025/07/01"}, "start_date"),
    ({"end_date": "2025-06-30"}, "end_date"),
    ({"housing_fund_percent": "13"}, "housing_fund_percent"),
    ({"injury_rate": "5"}, "injury_rate"),
    ({"client": 999999}, "client"),
    ({"name": ""}, "name"),
])
def test_bad_employee_input_is_refused_and_nothing_written(api, staff, client_co, over, field):
    resp = api(staff).post(URL, payload(client_co, **over), format="json")

    assert resp.status_code == 400
    assert resp.json()[field][0]
    with in_branch("bj"):
        assert InsuredEmployee.objects.count() == 0


@pytest.mark.parametrize("start, words", [
    ("1900-01-01", "日期须在"),              # well formed, out of range: said so, not "format"
    ("2025-02-30", "日历上没有这一天"),
    ("2025/07/01", "日期格式须为 YYYY-MM-DD"),
    ("2099-12-01", "在一年以后,请核对日期"),  # a typo years ahead is not a planned 增员
])
def test_a_start_date_is_refused_in_words_that_say_what_is_wrong(api, staff, client_co, start, words):
    resp = api(staff).post(URL, payload(client_co, start_date=start), format="json")

    assert resp.status_code == 400 and words in resp.json()["start_date"][0], resp.json()
    with in_branch("bj"):
        assert InsuredEmployee.objects.count() == 0


def test_overlapping_stint_of_the_same_person_is_refused(api, staff, client_co):
    assert api(staff).post(URL, payload(client_co), format="json").status_code == 201
    resp = api(staff).post(URL, payload(client_co, name="张三(重复)"), format="json")

    assert resp.status_code == 400 and "重叠" in resp.json()["id_number"][0]
    with in_branch("bj"):
        assert InsuredEmployee.objects.count() == 1


def test_roles_client_contact_cannot_write_and_other_branch_gets_404(api, staff, client_co):
    contact = make_user("bj_contact", ("bj", "client_contact"), home="bj")
    outsider = make_user("sh_staff", ("sh", "branch_staff"), home="sh")

    assert api(contact).post(URL, payload(client_co), format="json").status_code == 403
    assert api(outsider).post(URL, payload(client_co), format="json").status_code == 404
    assert api(outsider).get(URL).status_code == 404
    assert api().get(URL).status_code == 401
    # A contact not linked to any client sees no one.
    assert api(contact).get(URL).json() == []
    with in_branch("bj"):
        assert InsuredEmployee.objects.count() == 0


def _csv(rows):
    head = "客户编号,姓名,身份证号,参保地,合同地,发薪地,工资,公积金比例,工伤费率,参保开始,参保结束\n"
    return (head + "\n".join(rows) + "\n").encode("utf-8-sig")


def test_csv_import_all_or_nothing_with_a_report_of_every_bad_row(api, staff, client_co):
    c = client_co.pk
    bad = _csv([
        f"{c},李四,{idn(2)},beijing,beijing,beijing,9000,,,2025-07-01,",
        f"{c},王五,110105199001010012,beijing,beijing,beijing,9000,,,2025-07-01,",
        f"{c},赵六,{idn(3)},beijing,beijing,beijing,9000.555,,,2025-07-01,",
        f"{c},钱七,{idn(2)},beijing,beijing,beijing,9000,,,2025-07-01,",
    ])
    resp = api(staff).post(URL + "import/", {"file": _file(bad, "staff.csv")}, format="multipart")

    assert resp.status_code == 400
    assert resp.json()["created"] == 0
    assert [(e["row"], e["field"]) for e in resp.json()["errors"]] == [(3, "id_number"), (4, "wage"), (5, "id_number")]
    with in_branch("bj"):
        assert InsuredEmployee.objects.count() == 0

    good = _csv([f"{c},李四,{idn(2)},beijing,beijing,beijing,9000,12,,2025-07-01,",
                 f"{c},王五,{idn(4).lower()},beijing,shanghai,beijing,15000.50,,0.5,2025-07-15,"])
    resp = api(staff).post(URL + "import/", {"file": _file(good, "staff.csv")}, format="multipart")

    assert resp.status_code == 201, resp.content
    assert resp.json() == {"rows": 2, "created": 2, "wage_total": "24000.50", "errors": [], "warnings": []}


def test_xlsx_import(api, staff, client_co):
    wb = Workbook()
    ws = wb.active
    ws.append(["client", "name", "id_number", "insured_city", "wage", "start_date"])
    ws.append([client_co.pk, "孙八", idn(5), "beijing", 8000.5, "2025-08-01"])
    buf = io.BytesIO()
    wb.save(buf)

    resp = api(staff).post(URL + "import/", {"file": _file(buf.getvalue(), "s.xlsx")}, format="multipart")

    assert resp.status_code == 201, resp.content
    with in_branch("bj"):
        e = InsuredEmployee.objects.get()
        assert str(e.wage) == "8000.50" and e.contract_city == "beijing"


def test_import_by_a_client_contact_is_refused(api, client_co):
    contact = make_user("bj_contact2", ("bj", "client_contact"), home="bj")
    resp = api(contact).post(URL + "import/", {"file": _file(_csv([]), "x.csv")}, format="multipart")
    assert resp.status_code == 403


def _file(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_helper_add_employee(staff, client_co):
    with in_branch("bj"):
        e = add_employee(client_co, 9, "10000", "2025-07-01", actor=staff)
        assert e.id_number_masked.endswith(idn(9)[-4:])


def test_the_list_comes_in_windows_with_the_whole_count(api, staff, client_co):
    with in_branch("bj"):
        for n in range(1, 6):
            add_employee(client_co, n, "9000", "2025-07-01", actor=staff)
    resp = api(staff).get(URL)
    assert resp.status_code == 200 and len(resp.json()) == 5
    assert (resp["X-Total-Count"], resp["X-Offset"], resp["X-Limit"]) == ("5", "0", "2000")
    first = api(staff).get(URL + "?limit=2")
    rest = api(staff).get(URL + "?offset=2&limit=2000")
    assert len(first.json()) == 2 and len(rest.json()) == 3 and first["X-Total-Count"] == "5"
    assert {r["id"] for r in first.json()} | {r["id"] for r in rest.json()} == {
        r["id"] for r in resp.json()}
    for query, field in (("limit=0", "limit"), ("limit=2001", "limit"), ("offset=-1", "offset"), ("limit=abc", "limit")):
        bad = api(staff).get(f"{URL}?{query}")
        assert bad.status_code == 400 and bad.json()[field][0], query
