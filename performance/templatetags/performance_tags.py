"""Appraisal results in words ({% load performance_tags %}): performance.display at display time.
(Periods, quarters included, go through the core's `period_label`.)"""
from __future__ import annotations

from django import template

from performance import display

register = template.Library()

# One value in, words out: the display functions themselves.
for _name, _function in (("indicator_note", display.indicator_note), ("bonus_rule_name", display.bonus_rule_name),
                         ("bonus_note", display.bonus_note), ("risk_reason", display.risk_reason),
                         ("version_words", display.version_words), ("figure", display.number)):
    register.filter(_name, _function)


@register.filter
def metric_value(value, metric: str) -> str:
    """{{ ln.actual|metric_value:ln.metric }}: a count 1, money 1,200.00, else as entered."""
    return display.metric_value(metric, value)
