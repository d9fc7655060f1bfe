"""JSON bodies with a number written as an integrator's client writes it (`1e5` stays `1e5`, not
Python's `100000.0`), and the refusal every money and percent input answers it with."""
from __future__ import annotations

import json

# A JSON number where money or a percent is wanted: an integer, a fraction, an exponent, a boolean.
NUMBERS = ("1200", "1234.5", "1e5", "true")
# Where a value goes in a body built with `json_text`.
N = "<a JSON number>"


def json_text(body: dict, literal: str) -> str:
    """`body` as JSON with its one `N` value written as the JSON literal `literal`."""
    text = json.dumps(body, ensure_ascii=False)
    assert text.count(json.dumps(N)) == 1, body
    return text.replace(json.dumps(N), literal)


def post_json(client, url: str, body: dict, literal: str):
    return client.post(url, json_text(body, literal), content_type="application/json")


def refusal(example: str = "1200.00") -> str:
    return f'请填写以字符串表示的数值,例如 "{example}"(不接受 JSON 数字或 true/false)。'


def refusal_en(example: str = "1200.00") -> str:
    return f'Please give the number as a string, e.g. "{example}" (a JSON number or true/false is not accepted).'
