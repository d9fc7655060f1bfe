"""HQ's edits of locality data as callers send them (the API's JSON, the settings page's form):
parse, refuse what the policy services would store wrongly or crash on, then call the one
service that writes (`services.city_setting_update` / `services.policy_metadata_update`).

What is refused here rather than in the services:
- a value of the wrong JSON type (`true` is not a day, `"yes"` is not a yes/no), a null where
  only the add cut-off day may be empty, unknown or missing fields, text with NUL characters;
- an unknown city or policy (404 for the caller, where the services would say 400 or crash);
- a reconcile day (增减员核对截止日) after the file day (申报截止日): a month must be
  reconciled before it can be filed, so that order of due dates could never be met.
Ranges (1–31, 1–28, 0–60) and the confidence values stay the services' rules.
"""
from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from . import services as policy_services
from .models import CityPolicy, CitySetting
from .selectors import CityRow, city_row

SETTING_FIELDS = tuple(policy_services.SETTING_FIELDS)
BOOL_SETTINGS = frozenset({"remove_covers_leaving_month"})
NULLABLE_SETTINGS = frozenset({"add_cutoff_day"})
METADATA_FIELDS = ("sources", "confidence", "notes")
MAX_SOURCES, MAX_SOURCE_CHARS, MAX_NOTES_CHARS = 20, 500, 2000
_DIGITS = re.compile(r"\d{1,4}", re.ASCII)


def _object(data) -> dict:
    if not isinstance(data, dict):
        raise ValidationError({"detail": [_("请求体须为 JSON 对象。")]})
    return data


def parse_setting_values(data) -> dict:
    """A partial set of city settings → typed values; every bad field reported at once.
    Days and months are integers (a string of digits is accepted for form-encoded callers);
    the leaving-month rule is true or false."""
    data = _object(data)
    unknown = sorted(set(data) - set(SETTING_FIELDS))
    if unknown:
        raise ValidationError({"detail": [_("未知设置:%(names)s。") % {"names": ", ".join(map(str, unknown))}]})
    if not data:
        raise ValidationError({"detail": [_("请至少修改一项设置。")]})
    values: dict = {}
    errs: dict[str, list[str]] = {}
    for key, raw in data.items():
        if key in BOOL_SETTINGS:
            if isinstance(raw, bool):
                values[key] = raw
            elif isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
                values[key] = raw.strip().lower() == "true"
            else:
                errs[key] = [_("须为 true 或 false。")]
        elif raw is None or (isinstance(raw, str) and not raw.strip()):
            if key in NULLABLE_SETTINGS:
                values[key] = None
            else:
                errs[key] = [_("请填写。")]
        elif isinstance(raw, int) and not isinstance(raw, bool):
            values[key] = raw
        elif isinstance(raw, str) and _DIGITS.fullmatch(raw.strip()):
            values[key] = int(raw.strip())
        else:
            errs[key] = [_("须为整数。")]
    if errs:
        raise ValidationError(errs)
    return values


def _day(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 28


def city_setting_change(*, actor, city: str, data) -> CitySetting:
    """Change some of a city's operating settings (HQ admin). 404 for a city without policy."""
    row: CityRow | None = city_row(city)
    if row is None:
        raise Http404
    values = parse_setting_values(data)
    reconcile = values.get("reconcile_day", row.rules.reconcile_day)
    file_day = values.get("file_day", row.rules.file_day)
    if _day(reconcile) and _day(file_day) and reconcile > file_day:
        field = "reconcile_day" if "reconcile_day" in values else "file_day"
        raise ValidationError({field: [_("增减员核对截止日(%(r)d 日)不能晚于申报截止日(%(f)d 日)。")
                                       % {"r": reconcile, "f": file_day}]})
    return policy_services.city_setting_update(actor=actor, city=row.city, **values)


def _no_nul(text: str) -> bool:
    return "\x00" not in text


def parse_metadata(data) -> dict:
    """sources (a list of non-empty texts), confidence, notes (text; "" clears): only these
    describe the data and stay editable; amounts and dates belong to the frozen version."""
    data = _object(data)
    unknown = sorted(set(data) - set(METADATA_FIELDS))
    if unknown:
        raise ValidationError({"detail": [
            _("只能修改来源(sources)、可信度(confidence)和备注(notes);基数、比例和日期属于政策版本,不能在此修改。")]})
    if not data:
        raise ValidationError({"detail": [_("请至少修改一项:来源、可信度或备注。")]})
    errs: dict[str, list[str]] = {}
    values: dict = {}
    if "sources" in data:
        sources = data["sources"]
        if not (isinstance(sources, list) and sources and all(isinstance(s, str) and s.strip() for s in sources)):
            errs["sources"] = [_("来源须为非空文字列表,至少一条。")]
        elif len(sources) > MAX_SOURCES or any(len(s) > MAX_SOURCE_CHARS or not _no_nul(s) for s in sources):
            errs["sources"] = [_("来源最多 %(n)d 条,每条不超过 %(c)d 字。") % {"n": MAX_SOURCES, "c": MAX_SOURCE_CHARS}]
        else:
            values["sources"] = [s.strip() for s in sources]
    if "confidence" in data:
        if not isinstance(data["confidence"], str):
            errs["confidence"] = [_("可信度须为 high、medium 或 low。")]
        else:
            values["confidence"] = data["confidence"]  # the service checks the value
    if "notes" in data:
        notes = data["notes"]
        if not isinstance(notes, str) or not _no_nul(notes) or len(notes) > MAX_NOTES_CHARS:
            errs["notes"] = [_("备注须为文字,不超过 %(c)d 字。") % {"c": MAX_NOTES_CHARS}]
        else:
            values["notes"] = notes.strip()
    if errs:
        raise ValidationError(errs)
    return values


def policy_metadata_change(*, actor, policy_id: int, data) -> CityPolicy:
    """Change a version's sources, confidence or notes (HQ admin); 404 for an unknown version."""
    if not CityPolicy.objects.filter(pk=policy_id).exists():
        raise Http404
    values = parse_metadata(data)
    return policy_services.policy_metadata_update(actor=actor, policy_id=policy_id, **values)
