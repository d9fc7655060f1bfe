"""Audit trail helpers over django-simple-history.

Every audited model declares `history = HistoricalRecords(...)`; a service that changes it calls
`stamp(instance, actor=…, reason=…)` before `save()` so that the history row records who and
why (outside a request the middleware cannot tell). Before/after comes from consecutive
history rows (`diff_against`).
"""
from __future__ import annotations

from typing import Any


def stamp(instance, *, actor, reason: str = "") -> Any:
    if actor is not None and getattr(actor, "pk", None):
        instance._history_user = actor
    if reason:
        instance._change_reason = reason[:100]
    return instance


def history_rows(model, *, limit: int = 200) -> list[dict]:
    """History of one audited model as dicts: who, when, action, object, changes (before/after)."""
    rows: list[dict] = []
    records = list(model.history.select_related(None).order_by("-history_date", "-history_id")[:limit])
    for record in records:
        prev = record.prev_record
        changes = []
        if record.history_type == "+" or (record.history_type == "-" and prev is None):
            # A row made (or removed with no earlier record): what it held, field by field — a
            # link's account and client, say, and not an empty list.
            changes = [{"field": name, "before": None, "after": _plain(value)} for name, value in _fields_of(record)]
        elif record.history_type == "-":
            changes = [{"field": name, "before": _plain(value), "after": None} for name, value in _fields_of(record)]
        elif prev is not None:
            delta = record.diff_against(prev)
            changes = [
                {"field": c.field, "before": _plain(c.old), "after": _plain(c.new)}
                for c in delta.changes
            ]
        rows.append(
            {
                "model": model._meta.label,
                "object_id": str(record.id),
                "action": {"+": "created", "~": "changed", "-": "deleted"}[record.history_type],
                "at": record.history_date.isoformat(),
                "user_id": record.history_user_id,
                "reason": record.history_change_reason or "",
                "changes": changes,
            }
        )
    return rows


def _fields_of(record):
    """(name, value) of a historical record's own fields (not its bookkeeping nor its id)."""
    for field in record._meta.concrete_fields:
        if field.name.startswith("history_") or field.name == "id":
            continue
        yield field.name, getattr(record, field.attname)


def _plain(value):
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)
