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
# openpyxl reads a workbook's parts other than its sheets whole, even in read-only mode (styles
# become one object per format): a 230 KB upload whose styles part expanded to 77 MB of formats
# held a web worker 20 s and 1 GB. Each such part is capped on its own. Real ones are small —
# Excel allows 64,000 formats, ≈ 5 MB at most; the shared strings of 20,000 × 50 cells are the
# data itself and get the room they need.
MAX_XLSX_PART_BYTES = 6 * 1024 * 1024
MAX_XLSX_SHARED_STRINGS_BYTES = 40 * 1024 * 1024
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


def _part_cap(name: str) -> float:
    """The expanded size a workbook part may have: sheets are streamed (the row caps bound them),
    pictures and other binaries are not read; the XML parts openpyxl reads whole are capped."""
    lowered = name.lower()
    if lowered.startswith("xl/worksheets/") or not lowered.endswith((".xml", ".rels")):
        return float("inf")
    if lowered == "xl/sharedstrings.xml":
        return MAX_XLSX_SHARED_STRINGS_BYTES
    return MAX_XLSX_PART_BYTES


def _xlsx_rows(stream, max_columns: int, max_rows: int, data_only: bool):
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        _refuse("无法读取 XLSX 文件。")
    if sum(info.file_size for info in members) > MAX_XLSX_EXPANDED_BYTES:
        _refuse("XLSX 文件解压后过大,请删除多余的工作表、格式或空行后再导入。")
    for info in members:
        if info.file_size > _part_cap(info.filename):
            _refuse(_("XLSX 文件中的格式或附加内容过多,请将数据复制到新工作簿(只粘贴数值)或另存为 CSV 后再导入。"))
    stream.seek(0)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=data_only)
        sheet = workbook.active
    except Exception:  # noqa: BLE001 — any unreadable workbook is the same user error
        _refuse("无法读取 XLSX 文件。")
    # Explicit bounds: openpyxl would otherwise pad every row to the declared width and fill
    # missing rows up to the declared height. One column and one row past the caps are read so
    # that a file over a cap is refused rather than cut.
    last_row = 1 + max_rows + BLANK_ROW_ALLOWANCE + 1
    try:
        yield from sheet.iter_rows(min_row=1, max_row=last_row, max_col=max_columns + 1, values_only=True)
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 — a malformed sheet part
        _refuse("无法读取 XLSX 文件。")
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
    _refuse("无法识别文件编码,请保存为 UTF-8 或 GBK 的 CSV。")


def _csv_rows(stream, max_columns: int, max_rows: int):
    """Rows of the CSV read as a stream, stopping one past the caps (the caller refuses there)."""
    encoding = _encoding_of(stream)
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    limit = 1 + max_rows + BLANK_ROW_ALLOWANCE + 1
    try:
        for count, row in enumerate(csv.reader(text), start=1):
            if any("\x00" in value for value in row):  # a binary file that happened to decode
                _refuse("无法读取 CSV 文件,请上传 CSV 或 XLSX。")
            yield row
            if count >= limit:
                return
    except csv.Error:  # e.g. a field over csv's 131,072 characters, or a NUL byte
        _refuse("无法读取 CSV 文件,请上传 CSV 或 XLSX。")
    finally:
        if not stream.closed:
            text.detach()  # the upload stays open for its owner
