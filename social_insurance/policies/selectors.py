"""Reads of locality policies (public schema), as engine rules."""
from __future__ import annotations

from dataclasses import dataclass

from social_insurance.engine import ItemRule, PolicyRule

from .models import CityPolicy, CitySetting, PolicyItem


def item_rule(item: PolicyItem) -> ItemRule:
    return ItemRule(
        kind=item.kind,
        base_floor=item.base_floor,
        base_ceiling=item.base_ceiling,
        employee_percent=item.employee_percent,
        employer_percent=item.employer_percent,
        employer_fixed=item.employer_fixed,
        employee_fixed=item.employee_fixed,
        employer_range=(item.employer_rate_min, item.employer_rate_max) if item.employer_rate_min is not None else None,
        rate_range=(item.rate_min, item.rate_max) if item.rate_min is not None else None,
        whole_percent=item.whole_percent,
        rounding=item.rounding,
    )


def policy_rule(policy: CityPolicy) -> PolicyRule:
    return PolicyRule(
        city=policy.city,
        name=policy.name,
        year=policy.year_label,
        effective_from=policy.effective_from,
        effective_to=policy.effective_to,
        items=tuple(item_rule(i) for i in policy.items.all()),
    )


def policy_rules(city: str | None = None) -> list[PolicyRule]:
    qs = CityPolicy.objects.prefetch_related("items").order_by("city", "effective_from")
    if city is not None:
        qs = qs.filter(city=city)
    return [policy_rule(p) for p in qs]


def policy_table():
    """Every version with its items, for HQ's policy table."""
    return CityPolicy.objects.prefetch_related("items").order_by("city", "effective_from")


def known_cities() -> list[tuple[str, str]]:
    return list(CityPolicy.objects.order_by("city").values_list("city", "name").distinct())


@dataclass(frozen=True)
class CityRules:
    """Operating settings of a city; defaults when HQ has not configured it."""

    city: str
    add_cutoff_day: int | None = None
    remove_covers_leaving_month: bool = False
    back_payment_months_limit: int = 3
    reconcile_day: int = 5
    file_day: int = 10


def city_settings(city: str) -> CityRules:
    row = CitySetting.objects.filter(city=city).first()
    if row is None:
        return CityRules(city=city)
    return CityRules(
        city=city,
        add_cutoff_day=row.add_cutoff_day,
        remove_covers_leaving_month=row.remove_covers_leaving_month,
        back_payment_months_limit=row.back_payment_months_limit,
        reconcile_day=row.reconcile_day,
        file_day=row.file_day,
    )


@dataclass(frozen=True)
class CityRow:
    """A city HQ can configure: its name (from its latest policy version), its operating
    settings (the defaults when HQ has not configured it) and whether a settings row exists."""

    city: str
    name: str
    configured: bool
    rules: CityRules


def _rules_of(row: CitySetting) -> CityRules:
    return CityRules(
        city=row.city,
        add_cutoff_day=row.add_cutoff_day,
        remove_covers_leaving_month=row.remove_covers_leaving_month,
        back_payment_months_limit=row.back_payment_months_limit,
        reconcile_day=row.reconcile_day,
        file_day=row.file_day,
    )


def city_table(city: str | None = None) -> list[CityRow]:
    """Every city that has a policy (or the one named), in city-code order."""
    names: dict[str, str] = {}
    qs = CityPolicy.objects.order_by("city", "-effective_from")
    if city is not None:
        qs = qs.filter(city=city)
    for code, name in qs.values_list("city", "name"):
        names.setdefault(code, name)
    rows = {s.city: s for s in CitySetting.objects.filter(city__in=list(names))}
    return [CityRow(city=code, name=name, configured=code in rows,
                    rules=_rules_of(rows[code]) if code in rows else CityRules(city=code))
            for code, name in sorted(names.items())]


def city_row(city: str) -> CityRow | None:
    rows = city_table(city) if isinstance(city, str) and city else []
    return rows[0] if rows else None


def items_as_data(policy: CityPolicy) -> dict:
    """A version's items in the data file's shape, as the starting point of the next version."""
    def txt(v):
        return None if v is None else str(v)

    out = {}
    for i in policy.items.all():
        row = {"base": [txt(i.base_floor), txt(i.base_ceiling)]}
        if i.rate_min is not None:
            row["rate_range"] = [txt(i.rate_min), txt(i.rate_max)]
        elif i.employer_rate_min is not None:
            row["employer_range"] = [txt(i.employer_rate_min), txt(i.employer_rate_max)]
            row["employee"] = txt(i.employee_percent)
        else:
            row["employer"], row["employee"] = txt(i.employer_percent), txt(i.employee_percent)
        for key in ("employer_fixed", "employee_fixed"):
            if getattr(i, key):
                row[key] = txt(getattr(i, key))
        if i.supplementary_min is not None:
            row["supplementary_range"] = [txt(i.supplementary_min), txt(i.supplementary_max)]
        if i.note:
            row["note"] = i.note
        out[i.kind] = row
    return out
