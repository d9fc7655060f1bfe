"""The API's JSON parser: DRF's (strict: NaN and Infinity refused) with JSON numbers marked as
sent as numbers (hrsaas.core.api_json), plus two refusals that hold for every endpoint at once,
before any view reads the body.

- The body is a JSON object. Every endpoint of the contract takes `{field: value, …}`; a list, a
  string or a number read as "no fields" and a PATCH answered 200 having changed nothing.
- No lone surrogate (`"\\ud800"`) anywhere in it, keys or values, however deep. JSON may
  escape one, Python keeps it in a str, and PostgreSQL cannot store it: the write failed with
  a UnicodeEncodeError (a 500), after whatever the request had written before it.
"""
from __future__ import annotations

import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError

from .api_json import JSONParser

LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # the JSON decoder joins a valid pair into one character


def holds_lone_surrogate(data) -> bool:
    """Whether any key or text value of parsed JSON holds a lone surrogate (walked without
    recursion: the nesting is as deep as the body says)."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if LONE_SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


class JSONObjectParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise ParseError(_("请求体须为 JSON 对象。"))
        if holds_lone_surrogate(data):
            raise ParseError(_("请求体含有不允许的字符:孤立的 UTF-16 代理项(\\ud800–\\udfff)。"))
        return data
