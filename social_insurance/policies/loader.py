"""Load the shipped policy data file (data/si_policies.json) into CityPolicy/PolicyItem rows.

Used by the data migration (with historical models) and by tests; idempotent: a (city, year)
already present is left as it is, so running it again never rewrites a version.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "si_policies.json"


def read_data(path: Path = DATA_FILE) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def item_fields(kind: str, raw: dict, rounding: dict) -> dict:
    """PolicyItem field values for one item of the data file."""
    floor, ceiling = raw["base"]
    fields = {
        "kind": kind,
        "base_floor": _dec(floor),
        "base_ceiling": _dec(ceiling),
        "employer_percent": _dec(raw.get("employer")),
        "employee_percent": _dec(raw.get("employee", "0")),
        "employer_fixed": _dec(raw.get("employer_fixed", "0")),
        "employee_fixed": _dec(raw.get("employee_fixed", "0")),
        "note": raw.get("note", ""),
        "rounding": rounding["housing_fund" if kind == "housing_fund" else "social"],
        # Given (a version published by HQ: its tick, or the city's rule for the 险种 so far); else
        # the data file's convention, "whole percent" in the note of a rate range.
        "whole_percent": (raw["whole_percent"] if isinstance(raw.get("whole_percent"), bool)
                          else raw.get("rate_range") is not None and "whole percent" in raw.get("note", "")),
    }
    if raw.get("employer_range") is not None:
        fields["employer_rate_min"], fields["employer_rate_max"] = map(_dec, raw["employer_range"])
    if raw.get("rate_range") is not None:
        fields["rate_min"], fields["rate_max"] = map(_dec, raw["rate_range"])
        fields["employee_percent"] = Decimal("0")
    if raw.get("supplementary_range") is not None:
        fields["supplementary_min"], fields["supplementary_max"] = map(_dec, raw["supplementary_range"])
    return fields


def load_policies(CityPolicy, PolicyItem, data: dict | None = None) -> int:
    """Create every (city, year) of the data not yet present; returns how many were created."""
    data = data or read_data()
    created = 0
    for raw in data["policies"]:
        if CityPolicy.objects.filter(city=raw["city"], year_label=raw["year"]).exists():
            continue
        rounding = raw["rounding"]
        policy = CityPolicy.objects.create(
            city=raw["city"],
            name=raw["name"],
            year_label=raw["year"],
            effective_from=dt.date.fromisoformat(raw["effective_from"]),
            effective_to=dt.date.fromisoformat(raw["effective_to"]) if raw.get("effective_to") else None,
            rounding_social=rounding["social"],
            rounding_housing_fund=rounding["housing_fund"],
            rounding_note=rounding.get("note", ""),
            sources=list(raw.get("sources", [])),
            confidence=raw["confidence"],
            notes=raw.get("notes", ""),
        )
        for kind, item in raw["items"].items():
            PolicyItem.objects.create(policy=policy, **item_fields(kind, item, rounding))
        created += 1
    return created
