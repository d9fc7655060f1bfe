"""THE reader of uploaded tables (CSV/XLSX) for every import: lazy and bounded.

An upload is untrusted work: a 5 KB workbook may declare 40,000 × 1,000 cells, a zip may
expand a thousandfold, a CSV may be 30 MB. So, in this order, before any row is parsed:

1. the size of the upload is checked (`max_bytes`) — from `upload.size`, before reading it;
2. an XLSX's members are checked against their declared expanded sizes (a zip bomb is refused
   without inflating it; zipfile never inflates a member past its declared size);
3. rows are streamed — openpyxl in read-only mode with explicit `max_col`/`max_row`, so the
   sheet's declared dimension (`<dimension ref="A1:ALL40000"/>`, `ws.max_row`) is never
   trusted; a CSV through an incremental decoder;
4. reading stops at the first row past the caps (`max_rows` data rows, `max_columns` columns,
   and at most `BLANK_ROW_ALLOWANCE` blank rows) and the file is refused with a clear message.

Encodings of a CSV: UTF-8 with or without BOM, else GB18030 (a superset of GBK, what Excel in
China saves "CSV" as). Every refusal is a `ValidationError({"file": [message]})`.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 50
# Expanded size of all parts of an XLSX together. 20,000 rows × 50 columns of real data stay
# well under it; a zip bomb does not.
MAX_XLSX_EXPANDED_BYTES = 80 * 1024 * 1024
# openpyxl reads a workbook's parts other than the sheet it streams whole, even in read-only mode
# (styles become one object per format; shared strings one Python string each; a chartsheet is
# parsed at once). A 230 KB upload whose styles expanded to 77 MB held a web worker 20 s and 1 GB,
# and a chartsheet or a shared-strings part under another name did the same past a cap by file
# name. So every part is capped by the role openpyxl gives it (read from the workbook itself):
# the data sheet is streamed and bounded by the row caps; the shared strings get room for the
# data (and a count); everything else is small in a real workbook (Excel's 64,000 formats are
# ≈ 5 MB of styles at most).
MAX_XLSX_PART_BYTES = 6 * 1024 * 1024
MAX_XLSX_OTHER_PARTS_BYTES = 12 * 1024 * 1024  # all parts but the data sheet and the strings
MAX_XLSX_SHARED_STRINGS_BYTES = 8 * 1024 * 1024
# openpyxl makes an object of each shared string (≈ 40 µs each here): 100,000 different texts —
# 20,000 rows × 5 text columns, each cell different — read in ≈ 4 s. A bigger file is asked for
# as CSV, which is streamed.
MAX_XLSX_SHARED_STRINGS = 100_000
# openpyxl makes a sheet of every <sheet> entry and reads each sheet's part once on loading (to
# its size): 2,000 entries naming one part read it 2,000 times. Entries are few and distinct.
MAX_XLSX_SHEETS = 50
# Blank rows between or after the data (formatted but empty rows that Excel leaves behind);
# they cost a little each, so their number is capped too.
BLANK_ROW_ALLOWANCE = 5_000
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Table:
    """The header (as written, stripped) and the non-blank data rows with their row numbers as a
    spreadsheet shows them (the header is row 1)."""

    header: list[str]
    rows: list[tuple[int, list]] = field(default_factory=list)


def _refuse(message: str):
    raise ValidationError({"file": [message]})


def _size_of(upload) -> int | None:
    if isinstance(upload, (bytes, bytearray)):
        return len(upload)
    size = getattr(upload, "size", None)
    return size if isinstance(size, int) else None


def _binary_stream(upload):
    """A seekable binary file object positioned at the start."""
    if isinstance(upload, (bytes, bytearray)):
        return io.BytesIO(upload)
    stream = getattr(upload, "file", upload)  # a Django UploadedFile wraps a BytesIO or temp file
    stream.seek(0)
    return stream


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def read_table(upload, *, filename: str, max_rows: int = MAX_ROWS, max_columns: int = MAX_COLUMNS,
               max_bytes: int = MAX_UPLOAD_BYTES, data_only: bool = True) -> Table:
    """The rows of an uploaded CSV or XLSX (bytes or a file object such as Django's UploadedFile),
    within the caps, or a ValidationError naming the cap that was passed. `data_only=False`
    reads an XLSX formula as its text ("=…") so that the caller can refuse it."""
    name = (filename or "").lower()
    if not name.endswith((".csv", ".xlsx")):
        _refuse(_("请上传 .csv 或 .xlsx 文件。"))
    size = _size_of(upload)
    if size is not None and size > max_bytes:
        _refuse(_("文件不能超过 %(mb)d MB。") % {"mb": max_bytes // (1024 * 1024)})
    stream = _binary_stream(upload)
    if size is None:  # a file object without a size: read at most one byte past the cap
        head = stream.read(max_bytes + 1)
        if len(head) > max_bytes:
            _refuse(_("文件不能超过 %(mb)d MB。") % {"mb": max_bytes // (1024 * 1024)})
        stream = io.BytesIO(head)
    rows = _xlsx_rows(stream, max_columns, max_rows, data_only) if name.endswith(".xlsx") \
        else _csv_rows(stream, max_columns, max_rows)
    try:
        return _bounded(rows, max_rows=max_rows, max_columns=max_columns)
    finally:
        rows.close()  # a refused file leaves the reader mid-way: close it while the upload is open


def _bounded(rows, *, max_rows: int, max_columns: int) -> Table:
    header: list[str] | None = None
    data: list[tuple[int, list]] = []
    blanks = 0
    for number, row in enumerate(rows, start=1):
        values = list(row)
        if len(values) > max_columns and any(not _blank(v) for v in values[max_columns:]):
            _refuse(_("最多 %(cols)d 列,第 %(row)d 行超出了。") % {"cols": max_columns, "row": number})
        values = values[:max_columns]
        while values and _blank(values[-1]):  # openpyxl pads to max_col; a CSV row does not
            values.pop()
        if header is None:
            if all(_blank(v) for v in values):
                _refuse(_("第 1 行应为表头(列名)。"))
            header = [str(v).strip() if v is not None else "" for v in values]
            continue
        if all(_blank(v) for v in values):
            blanks += 1
            if blanks > BLANK_ROW_ALLOWANCE:
                _refuse(_("文件中空行过多(超过 %(n)d 行),请删除多余的空行后再导入。") % {"n": BLANK_ROW_ALLOWANCE})
            continue
        if len(data) == max_rows:  # the first row past the cap: stop reading here
            _refuse(_("一次最多导入 %(n)d 行,请分成几个文件。") % {"n": max_rows})
        data.append((number, values))
    if header is None:
        _refuse(_("文件为空。"))
    return Table(header=header, rows=data)


def _refuse_parts():
    _refuse(_("XLSX 文件中的格式或附加内容过多,请将数据复制到新工作簿(只粘贴数值)或另存为 CSV 后再导入。"))


def _check_parts(archive: zipfile.ZipFile) -> None:
    """Each part of the workbook within the cap of the role openpyxl will give it (see the caps
    above), before openpyxl opens it. The parts that say which is which are read first, each
    only once it is known to be small."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.reader.excel import SHARED_STRINGS, _find_workbook_part
    from openpyxl.reader.workbook import WorkbookParser
    from openpyxl.xml import constants
    from openpyxl.xml.functions import fromstring

    sizes = {info.filename: info.file_size for info in archive.infolist()}
    if sum(sizes.values()) > MAX_XLSX_EXPANDED_BYTES:
        _refuse(_("XLSX 文件解压后过大,请删除多余的工作表、格式或空行后再导入。"))

    def small(name: str) -> str:
        if sizes.get(name, 0) > MAX_XLSX_PART_BYTES:
            _refuse_parts()
        return name

    try:
        manifest = Manifest.from_tree(fromstring(archive.read(small("[Content_Types].xml"))))
        workbook_part = small(_find_workbook_part(manifest).PartName[1:])
        folder, _slash, leaf = workbook_part.rpartition("/")
        small(f"{folder}/_rels/{leaf}.rels" if folder else f"_rels/{leaf}.rels")
        parser = WorkbookParser(archive, workbook_part, keep_links=False)
        parser.parse()
        declared = [rel for _sheet, rel in parser.find_sheets()]
        sheets = [rel for rel in declared if rel.target in sizes]  # as openpyxl lists them
        if len(declared) > MAX_XLSX_SHEETS or len({rel.target for rel in declared}) != len(declared):
            _refuse(_("XLSX 文件的工作表过多或重复,请只保留要导入的工作表后再导入。"))
        active = sheets[parser.wb._active_sheet_index]
    except (IndexError, KeyError, TypeError, ValueError, OSError, SyntaxError):
        _refuse(_("无法读取 XLSX 文件。"))
    types = {part.PartName[1:]: part.ContentType for part in manifest.Override}
    strings = {name for name, kind in types.items() if kind == SHARED_STRINGS}
    # The one part left uncapped must be a worksheet and nothing openpyxl reads whole besides:
    # pointed at the styles or the shared strings, the sheet lifted their caps.
    read_whole = {constants.ARC_STYLE, constants.ARC_THEME, constants.ARC_CORE, constants.ARC_APP,
                  constants.ARC_CUSTOM, constants.ARC_CONTENT_TYPES, workbook_part} | strings
    if (not active.Type.endswith("/worksheet") or types.get(active.target) != constants.WORKSHEET_TYPE
            or active.target in read_whole or active.target.endswith(".rels")):
        _refuse(_("XLSX 文件的当前工作表不是数据表(例如图表),请把数据放在当前工作表后再导入。"))
    others = 0
    for name, size in sizes.items():
        if name == active.target:
            continue  # streamed, bounded by the row caps
        if name in strings:
            if size > MAX_XLSX_SHARED_STRINGS_BYTES or _count_strings(archive, name) > MAX_XLSX_SHARED_STRINGS:
                _refuse(_("XLSX 文件中的文字内容过多,请分成几个文件,或另存为 CSV 后再导入。"))
            continue
        small(name)
        others += size
    if others > MAX_XLSX_OTHER_PARTS_BYTES:
        _refuse_parts()


_STRING_ITEM = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")


def _count_strings(archive: zipfile.ZipFile, name: str) -> int:
    """How many shared strings a part holds, read as a stream (nothing kept but a small overlap
    between chunks, so an item split across two chunks is counted once)."""
    count, tail = 0, b""
    with archive.open(name) as part:
        while chunk := part.read(_CHUNK):
            data = tail + chunk
            matches = list(_STRING_ITEM.finditer(data))
            keep_from = max(len(data) - 32, 0)
            count += sum(1 for m in matches if m.start() < keep_from)
            tail = data[keep_from:]
            if count > MAX_XLSX_SHARED_STRINGS:
                break
    return count + len(_STRING_ITEM.findall(tail))


def _xlsx_rows(stream, max_columns: int, max_rows: int, data_only: bool):
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(stream) as archive:
            _check_parts(archive)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        _refuse(_("无法读取 XLSX 文件。"))
    stream.seek(0)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=data_only, keep_links=False)
        sheet = workbook.active
    except Exception:  # noqa: BLE001 — any unreadable workbook is the same user error
        _refuse(_("无法读取 XLSX 文件。"))
    # Explicit bounds: openpyxl would otherwise pad every row to the declared width and fill
    # missing rows up to the declared height. One column and one row past the caps are read so
    # that a file over a cap is refused rather than cut.
    last_row = 1 + max_rows + BLANK_ROW_ALLOWANCE + 1
    try:
        yield from sheet.iter_rows(min_row=1, max_row=last_row, max_col=max_columns + 1, values_only=True)
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 — a malformed sheet part
        _refuse(_("无法读取 XLSX 文件。"))
    finally:
        workbook.close()


def _encoding_of(stream) -> str:
    """UTF-8 (BOM or not) when the whole stream decodes as UTF-8, else GB18030. The check
    decodes a chunk at a time and keeps nothing."""
    for encoding in ("utf-8-sig", "gb18030"):
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    _refuse(_("无法识别文件编码,请保存为 UTF-8 或 GBK 的 CSV。"))


def _csv_rows(stream, max_columns: int, max_rows: int):
    """Rows of the CSV read as a stream, stopping one past the caps (the caller refuses there)."""
    encoding = _encoding_of(stream)
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    limit = 1 + max_rows + BLANK_ROW_ALLOWANCE + 1
    try:
        for count, row in enumerate(csv.reader(text), start=1):
            if any("\x00" in value for value in row):  # a binary file that happened to decode
                _refuse(_("无法读取 CSV 文件,请上传 CSV 或 XLSX。"))
            yield row
            if count >= limit:
                return
    except csv.Error:  # e.g. a field over csv's 131,072 characters, or a NUL byte
        _refuse(_("无法读取 CSV 文件,请上传 CSV 或 XLSX。"))
    finally:
        if not stream.closed:
            text.detach()  # the upload stays open for its owner
