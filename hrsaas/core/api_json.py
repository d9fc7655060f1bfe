"""How the API reads a JSON body: DRF's parser, with every JSON number marked as sent as one
(hrsaas.core.json_numbers), and the serializer field for a decimal string (money, a percent)
that refuses a JSON number in the words every other money input uses (hrsaas.core.inputs)."""
from __future__ import annotations

import codecs

from django.conf import settings
from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

from .inputs import MONEY_EXAMPLE, refuse_json_number
from .json_numbers import JsonFloat, JsonInt


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (strict: no NaN or Infinity), JSON numbers read as JsonInt / JsonFloat.
    The default parser of every API view (settings.REST_FRAMEWORK)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.load(codecs.getreader(encoding)(stream), parse_int=JsonInt, parse_float=JsonFloat,
                             parse_constant=json.strict_constant if self.strict else None)
        except ValueError as exc:
            raise ParseError("JSON parse error - %s" % str(exc))


class DecimalStringField(serializers.DecimalField):
    """A DecimalField for input that the contract writes as a decimal string: a JSON number or
    true/false is refused (`example` shows the expected form), anything else is DRF's."""

    def __init__(self, *args, example: str = MONEY_EXAMPLE, **kwargs):
        self.example = example
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        refusal = refuse_json_number(data, example=self.example)
        if refusal:
            raise serializers.ValidationError(refusal)
        return super().to_internal_value(data)
