"""Names in the order a Chinese reader looks for them: by pinyin (安娜, 北京, 李四, 王五, 张三), as
a Chinese spreadsheet sorts them, not by code point (which puts 张 before 李 and 王 after 北 at
random to a reader). PostgreSQL's ICU collation `zh-x-icu` does it; a server built without ICU
(an embedded one may be) keeps its own order rather than fail, so the collation is asked of the
server once per process and used only when it is there."""
from __future__ import annotations

from django.db import connection
from django.db.models import F
from django.db.models.functions import Collate

PINYIN = "zh-x-icu"
# The fields that hold a name people read (a path's last part): ordered by pinyin.
NAME_FIELDS = frozenset({"name", "display_name"})

_available: dict[str, bool] = {}


def pinyin_available() -> bool:
    key = connection.settings_dict["NAME"]
    if key not in _available:
        with connection.cursor() as cursor:
            cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_collation WHERE collname = %s)", [PINYIN])
            _available[key] = bool(cursor.fetchone()[0])
    return _available[key]


def by_pinyin(*keys: str) -> list:
    """`order_by` keys ("client__name", "-name", "id"), names among them ordered by pinyin."""
    if not pinyin_available():
        return list(keys)
    out = []
    for key in keys:
        field = key.lstrip("-")
        if field.rsplit("__", 1)[-1] not in NAME_FIELDS:
            out.append(key)
            continue
        expr = Collate(F(field), PINYIN)
        out.append(expr.desc() if key.startswith("-") else expr.asc())
    return out
