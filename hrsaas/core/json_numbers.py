"""Numbers as an API body's JSON sent them.

The contract (API.md) has money and percentages as decimal strings ("1200.00", "20.00" for 20%),
never JSON numbers: to most clients a JSON number is a binary float (1234.5 may be sent as
1234.4999…, 0.1 + 0.2 as 0.30000000000000004), and `1e5` is no way a person writes an amount. A
spreadsheet cell, on the other hand, is a number by nature, and imports keep reading it by its
shortest exact text (hrsaas.core.money).

To tell the two apart, the API's JSON parser (hrsaas.core.api_json) reads every JSON number as
one of the types below: an int or a float to everything else (a headcount, an id, a number of
months stays a number), but recognisably sent as a JSON number, so that the money grammar and
the percent parsers can refuse it — the same way on every endpoint, at any depth of the body
(`tiers[0].amount`), and nowhere else.
"""
from __future__ import annotations


class JsonInt(int):
    """An integer written as a JSON number in an API body."""

    __slots__ = ()


class JsonFloat(float):
    """A number with a fraction or an exponent (1234.5, 1e5) written as a JSON number."""

    __slots__ = ()


def is_json_number(value) -> bool:
    """True for a JSON number or true/false: what an API body must not send where the contract
    wants a decimal string. A plain int or float (a spreadsheet cell, a caller in Python) is not
    one; true/false is never an amount, whatever sent it."""
    return isinstance(value, (bool, JsonInt, JsonFloat))
