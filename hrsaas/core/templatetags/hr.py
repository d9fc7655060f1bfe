"""THE template library of every page (a builtin: no {% load %} needed): money, dates, times,
periods and labels, all from hrsaas.core.formatting / hrsaas.core.labels."""
from __future__ import annotations

import re

from django import template

from hrsaas.core import formatting, labels

register = template.Library()


@register.filter
def money(value) -> str:
    """1200 → "1,200.00"."""
    return formatting.format_money(value)


@register.filter
def signed_money(value) -> str:
    """A difference: 120 → "+120.00"."""
    return formatting.format_signed_money(value)


@register.filter
def percent(value) -> str:
    return formatting.format_percent(value)


@register.filter
def local_date(value) -> str:
    return formatting.format_date(value)


@register.filter
def local_datetime(value) -> str:
    return formatting.format_datetime(value)


@register.filter
def period_label(value) -> str:
    return formatting.format_period(value)


@register.filter
def policy_year(value) -> str:
    """A policy version's year as people say it: "2026年度" stays so in Chinese and reads "2026
    policy year" in English; a label of another form (HQ may name a version freely) as it is."""
    from django.utils.translation import get_language, gettext

    text = str(value or "").strip()
    match = re.fullmatch(r"(\d{4})\s*年度", text)
    if match and (get_language() or "").startswith("en"):
        return gettext("%(y)s 年度") % {"y": match.group(1)}
    if re.fullmatch(r"\d{4}", text):  # a calendar-year version ("2025" in the data): 2025年
        return gettext("%(y)s年") % {"y": text}
    return text


@register.filter
def policy_note(value) -> str:
    """A policy data note in the reader's language (the shipped data's notes are English)."""
    from social_insurance.policies.note_words import note_words

    return note_words(str(value or ""))


@register.filter
def policy_source(value) -> str:
    """A policy version's source in the reader's language (the shipped data's sources are English)."""
    from social_insurance.policies.note_words import source_words

    return source_words(str(value or ""))


@register.filter
def label(value, kind: str) -> str:
    """{{ m.role|label:"role" }} → 分支机构经理."""
    return labels.label(kind, value)


@register.filter
def role_names(codes) -> list[str]:
    return labels.role_labels(codes or ())


@register.filter
def person(user) -> str:
    """A person's name, never their username when a name is known."""
    if user is None:
        return ""
    name = getattr(user, "display_name", "") or ""
    return name or getattr(user, "username", "") or ""


@register.filter
def readable(text) -> str:
    """A stored sentence (a check's detail) in the users' words: city codes as names
    ("参保地 beijing" → 参保地 北京) and amounts with separators (4800.00 → 4,800.00)."""
    import re

    text = labels.city_words(str(text or ""))
    return re.sub(r"(?<![\d,.])\d{4,}\.\d{2}(?!\d)", lambda m: formatting.format_money(m.group(0)), text)


@register.simple_tag
def colon() -> str:
    """The colon after a label: as the Chinese pages write it (确认发放:名称), with a space in English."""
    from django.utils.translation import get_language

    return ": " if (get_language() or "").startswith("en") else ":"
