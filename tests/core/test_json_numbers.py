"""JSON numbers in an API body are recognisably JSON numbers: the money grammar refuses them
(API.md: money and percentages are decimal strings) while a spreadsheet's number cell — a plain
int or float — is read as before."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.utils import translation
from rest_framework.exceptions import ParseError

from hrsaas.core.api_json import JSONParser
from hrsaas.core.inputs import Errors, parse_money, refuse_json_number
from hrsaas.core.json_numbers import JsonFloat, JsonInt, is_json_number
from hrsaas.core.money import MoneyError
from hrsaas.core.money import parse_money as parse_amount
from tests.json_numbers import refusal, refusal_en


def parse(text: str):
    return JSONParser().parse(io.BytesIO(text.encode()), "application/json", {})


def test_the_parser_marks_every_json_number_and_leaves_the_rest():
    body = parse('{"headcount": 30, "amount": 1e5, "tiers": [{"amount": 1234.5}], "ok": true, "s": "1200.00"}')

    assert body == {"headcount": 30, "amount": 100000.0, "tiers": [{"amount": 1234.5}], "ok": True, "s": "1200.00"}
    assert type(body["headcount"]) is JsonInt and type(body["amount"]) is JsonFloat
    assert type(body["tiers"][0]["amount"]) is JsonFloat
    assert body["headcount"] + 1 == 31 and str(body["headcount"]) == "30"  # a count stays a number
    assert [is_json_number(v) for v in (body["headcount"], body["amount"], body["ok"], body["s"])] == [
        True, True, True, False]
    assert not is_json_number(1200) and not is_json_number(1234.5)  # a spreadsheet cell, a Python caller


@pytest.mark.parametrize("text", ['{"amount": NaN}', '{"amount": Infinity}', '{"amount": '])
def test_the_parser_stays_strict(text):
    with pytest.raises(ParseError):
        parse(text)


@pytest.mark.parametrize("literal", ["1200", "1234.5", "1e5", "-3", "true", "false"])
def test_the_money_parser_refuses_a_json_number(literal):
    value = parse(f'{{"amount": {literal}}}')["amount"]

    with pytest.raises(MoneyError) as exc:
        parse_amount(value)
    assert exc.value.code == "number"
    errors = Errors()
    assert parse_money({"amount": value}, "amount", errors) is None
    assert errors.errors == {"amount": [refusal()]}


@pytest.mark.parametrize("value, expected", [
    (1200, Decimal("1200")), (1234.5, Decimal("1234.5")), ("1,200.00", Decimal("1200.00")),
    (Decimal("5"), Decimal("5")),
])
def test_a_spreadsheet_number_and_a_decimal_string_are_read_as_before(value, expected):
    assert parse_amount(value) == expected


def test_the_refusal_speaks_the_readers_language():
    value = parse('{"percent": 20}')["percent"]

    assert refuse_json_number(value, example="20.00") == refusal("20.00")
    assert refuse_json_number("20.00") is None
    with translation.override("en"):
        assert refuse_json_number(value, example="20.00") == refusal_en("20.00")
