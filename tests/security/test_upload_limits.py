"""Tiny XLSX, huge work (issue #23): every import reads uploads through one lazy, bounded reader.

The attack: a 5 KB workbook declaring 40,000 × 1,000 cells cost a web worker +300 MB and
seconds before any row limit was checked; a 30 MB CSV was parsed whole first; the SI imports
had no row limit at all. Each test posts the attack to every import endpoint and asserts the
refusal, that nothing was written, and the work it cost (time, and peak Python memory)."""
from __future__ import annotations

import io
import re
import time
import tracemalloc
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from hrsaas import uploads
from tests.conftest import in_branch
from tests.factories import make_user
from tests.social_insurance.helpers import idn, make_client

pytestmark = pytest.mark.django_db

PERIOD = "2025-08"


@pytest.fixture
def staff(branches):
    make_user("up_s1", ("bj", "specialist"), home="bj")
    return make_user("up_staff", ("bj", "branch_staff"), home="bj")


@pytest.fixture
def client_co(staff):
    with in_branch("bj"):
        return make_client("北京甲公司", staff)


def _imports(client_co):
    """Every import endpoint: (name, url, extra form fields, header row, one good data row)."""
    return [
        ("clients", "/b/bj/api/v1/clients/import/", {},
         ["客户名称", "员工人数", "开户日期", "开户人"], ["甲公司", 30, "2026-03-01", "up_s1"]),
        ("sales", "/b/bj/api/v1/sales/import/", {},
         ["client", "service", "period", "amount", "seller"], [client_co.pk, "social_insurance", "2026-03", "10.00", "up_s1"]),
        ("si employees", "/b/bj/api/v1/si/employees/import/", {},
         ["客户编号", "姓名", "身份证号", "参保地", "工资", "参保开始"], [client_co.pk, "张三", idn(1), "beijing", "9000", "2025-07-01"]),
        ("si payroll", "/b/bj/api/v1/si/payroll/import/", {"period": PERIOD, "client": client_co.pk},
         ["姓名", "身份证号", "应发工资"], ["张三", idn(1), "9000"]),
    ]


def _written():
    from clients.models import Client
    from commissions.models import Sale
    from social_insurance.models import InsuredEmployee, PayrollEntry

    with in_branch("bj"):
        return (Client.objects.count(), Sale.objects.count(), InsuredEmployee.objects.count(),
                PayrollEntry.objects.count())


def _declared_huge_xlsx(header, row, *, declared="A1:ALL40000", far_row=40000) -> bytes:
    """A real workbook of two rows whose sheet declares `declared` and holds one more cell in
    the far corner: a few KB that openpyxl used to expand to every declared cell."""
    wb = Workbook()
    wb.active.append(header)
    wb.active.append(row)
    plain = io.BytesIO()
    wb.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                xml = re.sub(r'<dimension ref="[^"]+"\s*/>', f'<dimension ref="{declared}"/>', data.decode())
                corner = f'<row r="{far_row}"><c r="ALL{far_row}" t="inlineStr"><is><t>x</t></is></c></row>'
                data = xml.replace("</sheetData>", corner + "</sheetData>").encode()
            dst.writestr(info.filename, data)
    return out.getvalue()


def _post_measured(api, user, url, fields, name, content):
    tracemalloc.start()
    started = time.perf_counter()
    try:
        resp = api(user).post(url, {**fields, "file": SimpleUploadedFile(name, content)}, format="multipart")
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return resp, elapsed, peak


def test_a_tiny_workbook_declaring_40000_by_1000_cells_is_refused_cheaply_by_every_import(api, staff, client_co):
    before = _written()
    checked = 0
    for name, url, fields, header, row in _imports(client_co):
        content = _declared_huge_xlsx(header, row)
        assert len(content) < 8 * 1024, "the attack file is a few KB"

        resp, elapsed, peak = _post_measured(api, staff, url, fields, "attack.xlsx", content)

        assert resp.status_code == 400, (name, resp.content)
        assert resp.json()["file"] == [f"文件中空行过多(超过 {uploads.BLANK_ROW_ALLOWANCE} 行),请删除多余的空行后再导入。"], name
        assert peak < 40 * 1024 * 1024, f"{name}: peak {peak / 2**20:.0f} MB"
        assert elapsed < 10, f"{name}: {elapsed:.1f} s"
        checked += 1
    assert checked == 4
    assert _written() == before


def test_declared_dimensions_are_ignored_and_real_rows_are_read():
    """The same huge declaration over a sheet whose real rows end at row 3: read as two rows."""
    content = _declared_huge_xlsx(["姓名", "身份证号"], ["张三", idn(1)], far_row=3)

    tracemalloc.start()
    try:
        table = uploads.read_table(content, filename="x.xlsx")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert table.header == ["姓名", "身份证号"]
    assert table.rows == [(2, ["张三", idn(1)])]  # row 3's only cell is in column ALL: never read
    assert peak < 10 * 1024 * 1024


def test_rows_past_the_cap_stop_the_reading_of_every_import(api, staff, client_co):
    before = _written()
    checked = 0
    for name, url, fields, header, row in _imports(client_co):
        lines = [",".join(map(str, header))] + [",".join(map(str, row))] * (uploads.MAX_ROWS + 1)
        content = ("\n".join(lines) + "\n").encode("utf-8")
        assert len(content) < uploads.MAX_UPLOAD_BYTES

        resp, elapsed, _peak = _post_measured(api, staff, url, fields, "many.csv", content)

        assert resp.status_code == 400, (name, resp.content)
        assert resp.json()["file"] == [f"一次最多导入 {uploads.MAX_ROWS} 行,请分成几个文件。"], name
        checked += 1
    assert checked == 4
    assert _written() == before


def test_an_oversized_csv_is_refused_before_it_is_read(api, staff, client_co):
    before = _written()
    checked = 0
    thirty_mb = b"name,headcount\n" + b"x" * 60 + b",1\n"
    thirty_mb = thirty_mb * (30 * 1024 * 1024 // len(thirty_mb))
    for name, url, fields, _header, _row in _imports(client_co):
        resp = api(staff).post(url, {**fields, "file": SimpleUploadedFile("big.csv", thirty_mb)}, format="multipart")

        assert resp.status_code == 400, (name, resp.content)
        assert resp.json()["file"] == ["文件不能超过 5 MB。"], name
        checked += 1
    assert checked == 4
    assert _written() == before


def test_the_size_cap_is_checked_before_a_byte_is_read():
    class Unreadable(io.BytesIO):
        size = 30 * 1024 * 1024

        def read(self, *args):
            raise AssertionError("read before the size was checked")

    with pytest.raises(ValidationError) as err:
        uploads.read_table(Unreadable(), filename="big.csv")
    assert err.value.message_dict == {"file": ["文件不能超过 5 MB。"]}


def test_a_zip_bomb_is_refused_without_inflating_it():
    wb = Workbook()
    wb.active.append(["姓名"])
    plain = io.BytesIO()
    wb.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        with dst.open("xl/media/padding.bin", "w") as pad:  # 100 MB of zeros, ~100 KB zipped
            for _ in range(100):
                pad.write(bytes(1024 * 1024))
    assert len(out.getvalue()) < 1024 * 1024

    with pytest.raises(ValidationError) as err:
        uploads.read_table(out.getvalue(), filename="bomb.xlsx")
    assert err.value.message_dict == {"file": ["XLSX 文件解压后过大,请删除多余的工作表、格式或空行后再导入。"]}


def _styles_bomb() -> bytes:
    """A real workbook whose styles part holds 1,250,000 formats: ≈ 230 KB zipped, 77 MB expanded
    (under the 80 MB of all parts together), and openpyxl reads styles whole."""
    xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'

    def pad(data: bytes) -> bytes:
        head, _sep, tail = data.partition(b"</cellXfs>")
        return head + xf * 1_250_000 + b"</cellXfs>" + tail

    return _with_part(edits={"xl/styles.xml": pad})


def test_a_workbook_whose_styles_expand_to_77_mb_is_refused_before_openpyxl_reads_it(api, staff, client_co):
    """It passed every cap and took a web worker 20 s and 1 GB; three at once took the site down
    (the review of 2026-12-05)."""
    content = _styles_bomb()
    assert len(content) < 1024 * 1024
    before = _written()
    for name, url, fields, _header, _row in _imports(client_co):
        resp, elapsed, peak = _post_measured(api, staff, url, fields, "styles.xlsx", content)
        assert resp.status_code == 400, (name, resp.content)
        assert resp.json()["file"] == ["XLSX 文件中的格式或附加内容过多,请将数据复制到新工作簿(只粘贴数值)或另存为 CSV 后再导入。"]
        assert elapsed < 2 and peak < 20 * 1024 * 1024, (name, elapsed, peak)
    assert _written() == before


def _with_part(extra_types: bytes = b"", sheets: bytes = b"", rels: bytes = b"", parts=(), active: int = 0,
               retarget: bytes = b"", edits=None) -> bytes:
    """A real one-row workbook with parts added: content-type overrides, <sheet> entries with
    their relationships, and the parts themselves ((name, bytes) pairs); `edits` rewrites
    existing parts (name → function of their bytes)."""
    wb = Workbook()
    wb.active.append(["客户名称"])
    plain = io.BytesIO()
    wb.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", extra_types + b"</Types>")
            elif info.filename == "xl/workbook.xml":
                data = data.replace(b"</sheets>", sheets + b"</sheets>")
                if active:
                    data = re.sub(rb'activeTab="\d+"', b"", data).replace(
                        b"<workbookView ", b'<workbookView activeTab="%d" ' % active)
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", rels + b"</Relationships>")
                if retarget:  # the first sheet's relationship pointed at another part
                    data = data.replace(b"worksheets/sheet1.xml", retarget)
            if info.filename in (edits or {}):
                data = edits[info.filename](data)
            dst.writestr(info.filename, data)
        for name, data in parts:
            dst.writestr(name, data)
    return out.getvalue()


_CHARTSHEET = dict(
    extra_types=b'<Override PartName="/xl/worksheets/cs1.xml" '
                b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.chartsheet+xml"/>',
    sheets=b'<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" name="Chart1" '
           b'sheetId="9" r:id="rId99"/>',
    rels=b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
         b'chartsheet" Target="worksheets/cs1.xml"/>')


@pytest.mark.parametrize("content, message", [
    # A chartsheet (read whole by openpyxl) filed under xl/worksheets/, 20 MB of elements.
    (lambda: _with_part(**_CHARTSHEET, parts=[("xl/worksheets/cs1.xml", b"<chartsheet>" + b"<a/>" * 5_000_000
                                                + b"</chartsheet>")]),
     "XLSX 文件中的格式或附加内容过多,请将数据复制到新工作簿(只粘贴数值)或另存为 CSV 后再导入。"),
    # The same chartsheet, small, as the sheet the file opens on.
    (lambda: _with_part(**_CHARTSHEET, parts=[("xl/worksheets/cs1.xml", b"<chartsheet/>")], active=1),
     "XLSX 文件的当前工作表不是数据表(例如图表),请把数据放在当前工作表后再导入。"),
    # 2,000 sheet entries naming one sheet: openpyxl reads the part once per entry.
    (lambda: _with_part(sheets=b"".join(
        b'<sheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" name="S%d" '
        b'sheetId="%d" r:id="rId1"/>' % (i, i + 10) for i in range(2000))),
     "XLSX 文件的工作表过多或重复,请只保留要导入的工作表后再导入。"),
    # The sheet pointed at the styles part (1,250,000 formats), or at the shared strings.
    (lambda: _with_part(retarget=b"styles.xml", parts=[]),
     "XLSX 文件的当前工作表不是数据表(例如图表),请把数据放在当前工作表后再导入。"),
    (lambda: _with_part(retarget=b"sharedStrings.xml",
                        extra_types=b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>',
                        parts=[("xl/sharedStrings.xml", b'<sst xmlns="http://schemas.openxmlformats.org/'
                                b'spreadsheetml/2006/main">' + b"<si><t>xy</t></si>" * 400_000 + b"</sst>")]),
     "XLSX 文件的当前工作表不是数据表(例如图表),请把数据放在当前工作表后再导入。"),
    # Shared strings under a name of their own: 400,000 of them.
    (lambda: _with_part(extra_types=b'<Override PartName="/xl/strings.bin" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>',
                        parts=[("xl/strings.bin", b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                                b'2006/main">' + b"<si><t>a</t></si>" * 400_000 + b"</sst>")]),
     "XLSX 文件中的文字内容过多,请分成几个文件,或另存为 CSV 后再导入。"),
])
def test_a_part_openpyxl_reads_whole_is_capped_by_what_it_is_not_by_its_name(content, message):
    """Past a cap by file name, a chartsheet under xl/worksheets/ held a worker 26 s and 1.9 GB
    and shared strings named xl/strings.bin 30 s (the review of 2026-12-05)."""
    data = content()
    assert len(data) < 1024 * 1024
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ValidationError) as err:
            uploads.read_table(data, filename="parts.xlsx")
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.value.message_dict == {"file": [message]}
    # quiet, well under a second; 5 s leaves room for a busy machine and still tells the 26–30 s
    # that the part held before its cap
    assert elapsed < 5 and peak < 40 * 1024 * 1024, (elapsed, peak)


def test_columns_past_the_cap_are_refused():
    header = ",".join(f"c{i}" for i in range(uploads.MAX_COLUMNS + 1))
    with pytest.raises(ValidationError) as err:
        uploads.read_table(f"{header}\n".encode(), filename="wide.csv")
    assert err.value.message_dict == {"file": [f"最多 {uploads.MAX_COLUMNS} 列,第 1 行超出了。"]}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings_excel_in_china_saves(encoding):
    table = uploads.read_table("姓名,身份证号\n张三,1\n\n李四,2\n".encode(encoding), filename="x.csv")

    assert table.header == ["姓名", "身份证号"]
    assert table.rows == [(2, ["张三", "1"]), (4, ["李四", "2"])]


def test_si_employee_import_accepts_a_gbk_csv(api, staff, client_co):
    text = f"客户编号,姓名,身份证号,参保地,工资,参保开始\n{client_co.pk},张三,{idn(7)},beijing,9000,2025-07-01\n"
    resp = api(staff).post("/b/bj/api/v1/si/employees/import/",
                           {"file": SimpleUploadedFile("gbk.csv", text.encode("gbk"))}, format="multipart")

    assert resp.status_code == 201, resp.content
    with in_branch("bj"):
        from social_insurance.models import InsuredEmployee

        assert list(InsuredEmployee.objects.values_list("name", flat=True)) == ["张三"]


def test_a_json_body_over_a_megabyte_is_refused_before_it_is_read_and_writes_nothing(staff):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(staff)
    before = _written()
    body = '{"name": "' + "甲" * 700_000 + '", "headcount": 30, "opened_on": "2026-03-01", "opened_by": "up_s1"}'

    r = client.generic("POST", "/b/bj/api/v1/clients/", body.encode(), content_type="application/json")

    assert r.status_code == 413 and r.json() == {"detail": "请求体过大(JSON 最多 1 MB)。"}
    assert _written() == before


def test_what_a_signed_in_person_reads_is_never_kept_by_a_browser_or_proxy(staff, client_co):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(staff)
    for url in ("/b/bj/api/v1/notifications/", "/b/bj/api/v1/leads/"):
        r = api.get(url)
        assert r.status_code == 200 and r["Cache-Control"] == "private, no-store", url
