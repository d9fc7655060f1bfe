"""Appraisal results in words ({% load performance_tags %}): performance.display at display time."""
from __future__ import annotations

from django import template

from performance import display

register = template.Library()


@register.filter
def cycle_period(value) -> str:
    """"2026-11" → 2026年11月; "2026-Q4" → 2026年第4季度."""
    return display.cycle_period(value)


@register.filter
def metric_value(value, metric: str) -> str:
    """{{ ln.actual|metric_value:ln.metric }}: a count 1, money 1,200.00, else as entered."""
    return display.metric_value(metric, value)


@register.filter
def indicator_note(line) -> str:
    return display.indicator_note(line)


@register.filter
def bonus_rule_name(rule) -> str:
    return display.bonus_rule_name(rule)


@register.filter
def bonus_note(line) -> str:
    return display.bonus_note(line)


@register.filter
def risk_reason(reason) -> str:
    return display.risk_reason(reason)


@register.filter
def version_words(version) -> str:
    return display.version_words(version)


@register.filter
def figure(value) -> str:
    """A plain figure as people write it: 120.00 → 120, 107.50 → 107.5."""
    return display.number(value)
