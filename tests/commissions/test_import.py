"""CSV/XLSX import: all-or-nothing, per-row report, totals compared, GBK and UTF-8."""
from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import in_branch

pytestmark = pytest.mark.django_db

CLIENTS_CSV = "客户名称,员工人数,开户日期,开户人,服务\n甲公司,30,2026-03-01,bj_s1,social_insurance\n乙公司,80,2026-03-02,bj_s2,social_insurance|housing_fund\n"


def _post(api, user, path, name, content):
    return api(user).post(path, {"file": SimpleUploadedFile(name, content)}, format="multipart")


def _client_count():
    from clients.models import Client

    with in_branch("bj"):
        return Client.objects.count()


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-8-sig"])
def test_clients_csv_in_utf8_and_gbk(api, people, encoding):
    r = _post(api, people["bj_staff"], "/b/bj/api/v1/clients/import/", "c.csv", CLIENTS_CSV.encode(encoding))
    assert r.status_code == 201, r.json()
    assert r.json()["imported"] == 2 and r.json()["totals_match"] is True
    assert r.json()["actual"] == {"rows": 2, "headcount": 110}
    from clients.models import Client

    with in_branch("bj"):
        assert sorted(Client.objects.values_list("name", "headcount")) == [("乙公司", 80), ("甲公司", 30)]


def test_bad_rows_reported_and_nothing_imported(api, people):
    bad = CLIENTS_CSV + "丙公司,0,2026-03-03,bj_s1,social_insurance\n丁公司,10,2026/03/04,ghost,social_insurance\n"
    r = _post(api, people["bj_staff"], "/b/bj/api/v1/clients/import/", "c.csv", bad.encode("gbk"))
    assert r.status_code == 400
    assert [(e["row"], e["column"]) for e in r.json()["errors"]] == [(4, "headcount"), (5, "opened_on"), (5, "opened_by")]
    assert _client_count() == 0


def test_sales_xlsx_and_duplicate_rows_roll_back_everything(api, people):
    from openpyxl import Workbook

    from .conftest import open_client

    cid = open_client(api, people["bj_staff"], opened_by="bj_s1", opened_on="2026-01-05",
                      services=("social_insurance", "housing_fund"))

    def book(rows):
        wb = Workbook()
        ws = wb.active
        ws.append(["client", "service", "period", "amount", "seller"])
        for row in rows:
            ws.append(row)
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()

    dup = book([[cid, "social_insurance", "2026-03", "1000.00", "bj_s1"],
                [cid, "social_insurance", "2026-03", "2000.00", "bj_s1"]])
    r = _post(api, people["bj_staff"], "/b/bj/api/v1/sales/import/", "s.xlsx", dup)
    assert r.status_code == 400 and r.json()["errors"][0]["row"] == 3
    from commissions.models import Sale

    with in_branch("bj"):
        assert Sale.objects.count() == 0
    good = book([[cid, "social_insurance", "2026-03", "1000.00", "bj_s1"], ["甲公司", "housing_fund", "2026-03", 2000.5, "bj_s2"]])
    r = _post(api, people["bj_staff"], "/b/bj/api/v1/sales/import/", "s.xlsx", good)
    assert r.status_code == 201, r.json()
    assert r.json()["actual"] == {"rows": 2, "amount": "3000.50"}


def test_import_permissions(api, people):
    assert _post(api, people["bj_s1"], "/b/bj/api/v1/clients/import/", "c.csv", CLIENTS_CSV.encode()).status_code == 403
    assert _post(api, people["sh_staff"], "/b/bj/api/v1/clients/import/", "c.csv", CLIENTS_CSV.encode()).status_code == 404
    assert _client_count() == 0


def test_import_templates_have_the_chinese_headers_the_importer_reads(client, people, branches):
    """The 批量导入 page offers a template per kind (XLSX and CSV) whose headers import as is."""
    import io

    from openpyxl import load_workbook

    from commissions import imports

    client.force_login(people["bj_staff"])
    page = client.get("/b/bj/commissions/import/").content.decode()
    assert 'data-testid="template-clients-xlsx"' in page and 'data-testid="template-sales-xlsx"' in page
    checked = 0
    for kind in ("clients", "sales"):
        xlsx = client.get(f"/b/bj/commissions/import/template/{kind}.xlsx")
        assert xlsx.status_code == 200
        header = [c.value for c in next(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(max_row=1))]
        assert all(imports.HEADERS[kind].get(h) for h in header), header
        assert set(imports.REQUIRED[kind]) <= {imports.HEADERS[kind][h] for h in header}
        csv_text = client.get(f"/b/bj/commissions/import/template/{kind}.csv").content.decode("utf-8-sig")
        assert csv_text.splitlines()[0].split(",") == header
        checked += 1
    assert checked == 2
    assert client.get("/b/bj/commissions/import/template/rules.xlsx").status_code == 404
