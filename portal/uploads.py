"""Checking uploaded photos and attachments: size and real type by magic bytes.

The extension and the browser's content type are not trusted: the first bytes decide. A file
whose extension disagrees with its content (a PDF renamed .jpg) is refused."""
from __future__ import annotations

import os
import uuid

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

MAX_BYTES = 8 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",), "image/heic": (".heic", ".heif")}
ATTACHMENT_TYPES = {**PHOTO_TYPES, "application/pdf": (".pdf",)}
HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


def sniff(head: bytes) -> str | None:
    """The content type that the first bytes prove, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def check_upload(upload, *, field: str, allowed: dict[str, tuple[str, ...]]) -> str:
    """The checked content type of `upload`, or a ValidationError on `field`."""
    name = getattr(upload, "name", "") or ""
    size = getattr(upload, "size", 0) or 0
    if size == 0:
        raise ValidationError({field: [_("文件「%(name)s」为空。") % {"name": name}]})
    if size > MAX_BYTES:
        raise ValidationError({field: [_("文件「%(name)s」超过 8 MB。") % {"name": name}]})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff(head)
    ext = os.path.splitext(name)[1].lower()
    kinds = "、".join(e.lstrip(".").upper() for exts in allowed.values() for e in exts[:1])
    if kind not in allowed:
        raise ValidationError({field: [_("文件「%(name)s」不是允许的类型(%(kinds)s)。") % {"name": name, "kinds": kinds}]})
    if ext not in allowed[kind]:
        raise ValidationError({field: [_("文件「%(name)s」的扩展名与内容不符。") % {"name": name}]})
    return kind


def store(upload, *, folder: str, content_type: str) -> str:
    """Save under default storage (which prefixes the branch schema); returns the stored name.
    The stored name is random: the original name is kept in the row, never in the path."""
    ext = PHOTO_TYPES.get(content_type, ATTACHMENT_TYPES.get(content_type, (".bin",)))[0]
    return default_storage.save(f"portal/{folder}/{uuid.uuid4().hex}{ext}", upload)
