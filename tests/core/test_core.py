"""The shared core: one period type with its range, one day parser, one money parser."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from hrsaas.core.money import MoneyError, parse_money
from hrsaas.core.period import MAX_YEAR, MIN_YEAR, Period, PeriodError, parse_day


@pytest.mark.parametrize("text, expected", [
    ("2026-03", Period(2026, 3)), (" 2000-01 ", Period(2000, 1)), ("2099-12", Period(2099, 12)),
])
def test_period_parses_yyyy_mm_in_the_range(text, expected):
    assert Period.parse(text) == expected
    assert str(Period.parse(text)) == text.strip()


@pytest.mark.parametrize("text, code", [
    ("0000-01", "range"), ("0001-01", "range"), ("1999-12", "range"), ("2100-01", "range"), ("9999-12", "range"),
    ("2026-13", "format"), ("2026-00", "format"), ("2026-3", "format"), ("2026/03", "format"), ("", "format"),
    (None, "format"), ("2026-03\x00", "format"), ("２０２６-03", "format"),
])
def test_period_refuses_malformed_and_out_of_range(text, code):
    with pytest.raises(PeriodError) as exc:
        Period.parse(text)
    assert exc.value.code == code
    assert not Period.is_valid(text)


def test_period_arithmetic_and_days():
    p = Period(2026, 12)
    assert (p.next(), p.previous(), p.shifted(-12)) == (Period(2027, 1), Period(2026, 11), Period(2025, 12))
    assert (p.first_day, p.last_day) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert Period(2028, 2).last_day == dt.date(2028, 2, 29)
    assert sorted([Period(2026, 1), Period(2025, 12)]) == [Period(2025, 12), Period(2026, 1)]
    # Arithmetic cannot leave the range either: the first month has no previous one.
    with pytest.raises(PeriodError):
        Period(MIN_YEAR, 1).previous()
    with pytest.raises(PeriodError):
        Period(MAX_YEAR, 12).next()


@pytest.mark.parametrize("value, expected", [
    ("2026-03-15", dt.date(2026, 3, 15)), (dt.date(2026, 3, 15), dt.date(2026, 3, 15)),
    (dt.datetime(2026, 3, 15, 8, 0), dt.date(2026, 3, 15)), ("", None), (None, None),
])
def test_parse_day_accepts(value, expected):
    assert parse_day(value) == expected


@pytest.mark.parametrize("value, code", [
    ("0001-01-15", "range"), (dt.date(1, 1, 15), "range"), ("1999-12-31", "range"), ("2100-01-01", "range"),
    ("2026-02-30", "day"), ("2025-02-29", "day"), ("2026-04-31", "day"), ("20260301", "format"), ("2026-W10-1", "format"), ("2026-03-01\x00", "format"),
])
def test_parse_day_refuses(value, code):
    with pytest.raises(PeriodError) as exc:
        parse_day(value)
    assert exc.value.code == code


@pytest.mark.parametrize("value, message", [
    ("2025-02-30", "日历上没有这一天:2025-02-30"),
    ("2025/02/03", "日期格式须为 YYYY-MM-DD:2025/02/03"),
    ("1999-12-31", "日期须在"),
])
def test_parse_date_says_which_kind_of_wrong(value, message):
    """An impossible day is named as such, not called a format error (the form was right)."""
    from hrsaas.core.inputs import Errors, parse_date

    errors = Errors()
    assert parse_date({"d": value}, "d", errors) is None
    assert message in " ".join(str(m) for m in errors.errors["d"])


@pytest.mark.parametrize("value, expected", [
    ("1200", Decimal("1200")), ("1200.5", Decimal("1200.5")), ("1,200.00", Decimal("1200.00")),
    ("12,345,678.9", Decimal("12345678.9")), ("５１", Decimal("51")), ("１，２００．５", Decimal("1200.5")),
    ("\u3000 88.00 ", Decimal("88.00")), (1200, Decimal("1200")), (Decimal("3.10"), Decimal("3.10")),
    (12.5, Decimal("12.5")), ("0", Decimal("0")),
])
def test_money_accepted_forms(value, expected):
    amount = parse_money(value)
    assert amount == expected and isinstance(amount, Decimal)


@pytest.mark.parametrize("value, code", [
    ("1e5", "invalid"), ("1E5", "invalid"), ("NaN", "invalid"), ("nan", "invalid"), ("Infinity", "invalid"),
    ("-Infinity", "invalid"), (float("nan"), "invalid"), (float("inf"), "invalid"), (Decimal("NaN"), "invalid"),
    ("1,2", "invalid"), ("12,00", "invalid"), ("1,2000", "invalid"), (".5", "invalid"), ("1.", "invalid"),
    ("¥100", "invalid"), ("1 000", "invalid"), ("0x10", "invalid"), ("1.005", "places"), ("1,200.001", "places"),
    ("", "required"), (None, "required"), (True, "number"), ("-5", "negative"),
    ("1000000000000", "too_large"),
])
def test_money_refused_forms(value, code):
    with pytest.raises(MoneyError) as exc:
        parse_money(value)
    assert exc.value.code == code
    assert exc.value.message  # a sentence for people


def test_money_bounds_and_signs_are_the_callers():
    assert parse_money("-5", allow_negative=True) == Decimal("-5")
    with pytest.raises(MoneyError) as exc:
        parse_money("0", allow_zero=False)
    assert exc.value.code == "zero"
    with pytest.raises(MoneyError) as exc:
        parse_money("1000001", maximum=Decimal("1000000"))
    assert exc.value.code == "too_large"
    assert parse_money("1.2345", places=4) == Decimal("1.2345")


def test_each_lock_has_its_own_namespace_and_a_place_in_the_order():
    """The performance app's bonus-rule lock once shared 7301 with the social-insurance identity
    registry; now every lock kind owns one namespace."""
    from hrsaas.core.locks import ORDER, Lock

    assert len({int(lock) for lock in Lock}) == len(Lock)
    assert set(ORDER) == set(Lock) and len(ORDER) == len(Lock)
    assert Lock.PERFORMANCE_BONUS_RULE != Lock.SI_IDENTITY_REGISTRY


# Every number a person or integrator types — percents, rates, scores, a payout total — is spelled
# as an amount is: a percent of "1e1" was stored as 10.00 (the review of 2026-12-05).
_NUMBER_PARSERS = {
    "adjustment percent": lambda v: __import__("commissions.adjustments", fromlist=["x"]).parse_percent(v, "percent", {}),
    "rule amount": lambda v: (lambda errors: (__import__("commissions.hq.rules", fromlist=["x"])._decimal(v, "a", errors),
                                              None if errors else True)[1])({}),
    "appraisal value": lambda v: __import__("performance.services", fromlist=["x"]).to_decimal(v, "value"),
    "appraisal parameter": lambda v: __import__("performance.engine", fromlist=["x"])._dec(v, "cap", []),
    "SI rate": lambda v: __import__("social_insurance.engine", fromlist=["x"]).parse_percent(v, "rate"),
    "payout total": lambda v: __import__("commissions.hq.payouts.paying", fromlist=["x"]).parse_total(v),
}


def _accepted(parse, value) -> bool:
    from django.core.exceptions import ValidationError

    from social_insurance.engine import PolicyError
    try:
        return parse(value) is not None
    except (ValidationError, PolicyError):
        return False


@pytest.mark.parametrize("name", sorted(_NUMBER_PARSERS))
def test_every_number_input_refuses_what_an_amount_refuses(name):
    parse = _NUMBER_PARSERS[name]
    assert _accepted(parse, "10") and _accepted(parse, "１０") and _accepted(parse, "10.5")
    for spelling in ("1e1", "1E1", "NaN", "Infinity", ".5", "0x10", "1_0"):
        assert not _accepted(parse, spelling), (name, spelling)


def test_decimal_from_text_is_the_amount_grammar_without_bounds():
    from hrsaas.core.money import decimal_from_text

    assert decimal_from_text("-1,200.50") == Decimal("-1200.50")
    assert decimal_from_text("１，２００．５") == Decimal("1200.5")
    assert decimal_from_text(7) == Decimal(7) and decimal_from_text(Decimal("2.50")) == Decimal("2.50")
    assert decimal_from_text(0.5) == Decimal("0.5")
    for bad in ("1e1", "NaN", Decimal("Infinity"), None, True, [1], "", "1,2"):
        assert decimal_from_text(bad) is None, bad
