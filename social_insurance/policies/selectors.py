"""Reads of locality policies (public schema), as engine rules."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext, gettext_noop

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


def cities_without_policy(day) -> list[str]:
    """The cities with versions of which none is in force on `day` (a date): their months from
    then on compute to nothing until HQ publishes or extends (沿用) one."""
    from django.db.models import Q

    cities = set(CityPolicy.objects.values_list("city", flat=True))
    covered = set(CityPolicy.objects.filter(effective_from__lte=day).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=day)).values_list("city", flat=True))
    return sorted(cities - covered)


def known_cities() -> list[tuple[str, str]]:
    """(code, name) of the cities with a policy, the name in the reader's language where the
    labels know the city (Beijing on an English page), else as HQ published it."""
    from hrsaas.core.labels import label

    pairs = CityPolicy.objects.order_by("city").values_list("city", "name").distinct()
    return list({code: label("city", code) or name for code, name in pairs}.items())


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
        if i.rate_min is not None:
            row["whole_percent"] = i.whole_percent
        if i.note:
            row["note"] = i.note
        out[i.kind] = row
    return out


def whole_percent_rules(city: str) -> dict[str, bool]:
    """Per 险种 with a rate range, whether its rate must be a whole percent, as the city's most
    recent version having that 险种 says: what a new version keeps when it does not say."""
    rules: dict[str, bool] = {}
    for kind, whole in (PolicyItem.objects.filter(policy__city=city, rate_min__isnull=False)
                        .order_by("policy__effective_from").values_list("kind", "whole_percent")):
        rules[kind] = whole  # later versions overwrite earlier ones
    return rules


# The publish form's fields per item shape (names as the data file's keys, split into inputs):
# every item has its base and fixed amounts; its rates are the employer's and the employee's, an
# employer's range (工伤: each client's rate within it) with the employee's, or one range for both
# sides (公积金). Item order, kinds and shapes follow the latest version.
PUBLISH_FIELDS = {
    "fixed": ("base_floor", "base_ceiling", "employer", "employee", "employer_fixed", "employee_fixed"),
    "employer_range": ("base_floor", "base_ceiling", "employer_min", "employer_max", "employee", "employer_fixed",
                       "employee_fixed"),
    "rate_range": ("base_floor", "base_ceiling", "rate_min", "rate_max", "employer_fixed", "employee_fixed"),
}
PUBLISH_FIELD_WORDS = {
    "base_floor": gettext_noop("基数下限(元)"), "base_ceiling": gettext_noop("基数上限(元,空 = 不设上限)"),
    "employer": gettext_noop("单位比例(%)"), "employee": gettext_noop("个人比例(%)"),
    "employer_min": gettext_noop("单位比例下限(%)"), "employer_max": gettext_noop("单位比例上限(%)"),
    "rate_min": gettext_noop("缴存比例下限(%)"), "rate_max": gettext_noop("缴存比例上限(%)"),
    "employer_fixed": gettext_noop("单位固定金额(元)"), "employee_fixed": gettext_noop("个人固定金额(元)"),
    "supplementary_min": gettext_noop("补充比例下限(%)"), "supplementary_max": gettext_noop("补充比例上限(%)"),
}


def _shape(item: PolicyItem) -> str:
    if item.rate_min is not None:
        return "rate_range"
    return "employer_range" if item.employer_rate_min is not None else "fixed"


# A 险种 the latest version does not have starts in the shape it has in the data file's cities
# (工伤 with no employee share) and with the city's whole-percent rule for it so far, if any.
NEW_ITEM_SHAPES = {"work_injury": "employer_range", "housing_fund": "rate_range"}
NEW_ITEM_VALUES = {"work_injury": {"employee": Decimal("0")}}


def publish_rows(policy: CityPolicy) -> list[dict]:
    """The publish form of a city's next version, prefilled from `policy` (its latest): a row per
    险种 (those of the latest version first and included; the others empty and left out until
    ticked) with its kind, label, shape, whether it is included and its fields [(name, words,
    value)] — "" for an empty ceiling, fixed amount or supplementary range. The housing fund
    always offers its supplementary range (补充公积金; both ends empty = none)."""
    from social_insurance.engine import ITEM_KINDS, ITEM_LABELS

    def txt(v: Decimal | None) -> str:
        return "" if v is None else f"{v:f}"

    values = lambda i: {  # noqa: E731
        "base_floor": i.base_floor, "base_ceiling": i.base_ceiling, "employer": i.employer_percent,
        "employee": i.employee_percent, "employer_min": i.employer_rate_min, "employer_max": i.employer_rate_max,
        "rate_min": i.rate_min, "rate_max": i.rate_max, "employer_fixed": i.employer_fixed or None,
        "employee_fixed": i.employee_fixed or None, "supplementary_min": i.supplementary_min,
        "supplementary_max": i.supplementary_max}
    order = {k: n for n, k in enumerate(ITEM_KINDS)}
    existing = {item.kind: item for item in policy.items.all()}
    rules = whole_percent_rules(policy.city)
    rows = []
    for kind in sorted(set(existing) | set(ITEM_KINDS), key=lambda k: (k not in existing, order.get(k, len(order)))):
        item = existing.get(kind)
        shape = _shape(item) if item is not None else NEW_ITEM_SHAPES.get(kind, "fixed")
        supplementary = kind == "housing_fund" or (item is not None and item.supplementary_min is not None)
        names = PUBLISH_FIELDS[shape] + (("supplementary_min", "supplementary_max") if supplementary else ())
        v = values(item) if item is not None else NEW_ITEM_VALUES.get(kind, {})
        rows.append({"kind": kind, "label": ITEM_LABELS.get(kind, kind), "shape": shape, "included": item is not None,
                     "note": item.note if item is not None else "",
                     # the rate range's rule, a tick of its own (None: the shape has no range)
                     "whole_percent": (item.whole_percent if item is not None else rules.get(kind, False))
                     if shape == "rate_range" else None,
                     "fields": [(n, gettext(PUBLISH_FIELD_WORDS[n]), txt(v.get(n))) for n in names]})
    return rows


def items_from_publish_form(data, rows: list[dict]) -> tuple[dict, list[dict]]:
    """The items (the data file's shape, for `policy_publish`) from the form's inputs
    `<kind>__<field>` and its ticked `include` boxes, and `rows` with the values as typed (to show
    the form again). Values are passed on as typed; `policy_publish` checks them (one parser), in
    people's words. A post without the boxes (`include_given` absent: a script filling the
    fields) keeps the latest version's 险种."""
    ticked = set(data.getlist("include")) if hasattr(data, "getlist") else set(data.get("include") or ())
    items, typed = {}, []
    for row in rows:
        kind, got = row["kind"], {}
        included = kind in ticked if data.get("include_given") else row["included"]
        fields = []
        for name, words, _value in row["fields"]:
            got[name] = str(data.get(f"{kind}__{name}", "")).strip()
            fields.append((name, words, got[name]))
        whole = row["whole_percent"]
        if whole is not None and data.get("include_given"):  # the page's form: its tick, ticked or not
            whole = data.get(f"{kind}__whole_percent") in ("1", "on")  # what a ticked box sends
        typed.append({**row, "fields": fields, "included": included, "whole_percent": whole})
        if not included:
            continue
        item = {"base": [got["base_floor"], got["base_ceiling"] or None]}
        if row["shape"] == "rate_range":
            item["rate_range"] = [got["rate_min"], got["rate_max"]]
        elif row["shape"] == "employer_range":
            item["employer_range"] = [got["employer_min"], got["employer_max"]]
            item["employee"] = got["employee"]
        else:
            item["employer"], item["employee"] = got["employer"], got["employee"]
        for key in ("employer_fixed", "employee_fixed"):
            if got[key]:
                item[key] = got[key]
        if got.get("supplementary_min") or got.get("supplementary_max"):
            item["supplementary_range"] = [got["supplementary_min"], got["supplementary_max"]]
        if whole is not None and data.get("include_given"):  # else (a script) the version's rule is kept
            item["whole_percent"] = whole
        if row["note"]:
            item["note"] = row["note"]
        items[kind] = item
    return items, typed


# ---------------------------------------------------------------------------------------------
# HQ policy page: a compact card per city for one policy year
# ---------------------------------------------------------------------------------------------
def policy_year_of(policy: CityPolicy) -> int | None:
    """The calendar year a version is named after: "2026年度" (July–June) and "2026" alike."""
    label = (policy.year_label or "").strip()
    return int(label[:4]) if label[:4].isdigit() else None


def _pct(value) -> str:
    return f"{value.normalize():f}%" if value is not None else ""


@dataclass(frozen=True)
class ItemView:
    kind: str
    label: str
    base_floor: object
    base_ceiling: object
    employer: str
    employee: str
    rounding: str
    note: str
    whole_percent: bool = False  # its rate is chosen in whole percents (公积金)


def item_view(item: PolicyItem) -> ItemView:
    """One 险种 in people's words: rates as percentages (a range where the employer chooses), the
    fixed yuan amounts added, and the rounding rule in words."""
    from social_insurance.engine import ITEM_LABELS, rounding_words

    if item.rate_min is not None:  # 公积金: one rate for both sides, chosen in the range
        employer = employee = f"{_pct(item.rate_min)}–{_pct(item.rate_max)}"
    else:
        employer = (_pct(item.employer_percent) if item.employer_percent is not None
                    else f"{_pct(item.employer_rate_min)}–{_pct(item.employer_rate_max)}")
        employee = _pct(item.employee_percent)
    if item.employer_fixed:
        employer += " + " + gettext("%(amount)s元") % {"amount": f"{item.employer_fixed:,.2f}"}
    if item.employee_fixed:
        employee += " + " + gettext("%(amount)s元") % {"amount": f"{item.employee_fixed:,.2f}"}
    return ItemView(kind=item.kind, label=ITEM_LABELS.get(item.kind, item.kind), base_floor=item.base_floor,
                    base_ceiling=item.base_ceiling, employer=employer, employee=employee,
                    rounding=rounding_words(item.rounding), note=item.note,
                    whole_percent=item.rate_min is not None and item.whole_percent)


def item_views(policy: CityPolicy) -> list[ItemView]:
    """A version's items in the order people read them: 养老, 医疗, 生育, 失业, 工伤, 公积金."""
    from social_insurance.engine import ITEM_KINDS

    order = {k: n for n, k in enumerate(ITEM_KINDS)}
    return [item_view(i) for i in sorted(policy.items.all(), key=lambda i: order.get(i.kind, len(order)))]


@dataclass(frozen=True)
class PolicyCard:
    """A city's version for the chosen year (None when that year is not published yet, with the
    city's latest version to say so)."""

    city: str
    name: str
    policy: CityPolicy | None
    latest: CityPolicy
    items: tuple[ItemView, ...]
    social_base: tuple | None  # (floor, ceiling) of 养老保险, the base most people mean
    fund_base: tuple | None
    rounding_social: str
    rounding_housing_fund: str


def policy_card(city: str, name: str, policy: CityPolicy | None, latest: CityPolicy) -> PolicyCard:
    from social_insurance.engine import rounding_words

    shown = policy or latest
    items = tuple(item_views(shown)) if policy else ()
    by_kind = {i.kind: i for i in items}
    base = lambda kind: (by_kind[kind].base_floor, by_kind[kind].base_ceiling) if kind in by_kind else None  # noqa: E731
    return PolicyCard(city=city, name=name, policy=policy, latest=latest, items=items,
                      social_base=base("pension"), fund_base=base("housing_fund"),
                      rounding_social=rounding_words(shown.rounding_social),
                      rounding_housing_fund=rounding_words(shown.rounding_housing_fund))


def policy_overview(*, year: int, city: str | None = None) -> tuple[list[PolicyCard], list[int], list[tuple[str, str]]]:
    """(cards for `year`, every year that has a version, every city as (code, Chinese name)).
    Two queries: the versions and their items."""
    versions = list(CityPolicy.objects.prefetch_related("items").order_by("city", "effective_from"))
    names: dict[str, str] = {}
    latest: dict[str, CityPolicy] = {}
    for_year: dict[str, CityPolicy] = {}
    years = {year}
    for p in versions:
        names[p.city] = p.name  # the latest version's name wins
        latest[p.city] = p
        y = policy_year_of(p)
        if y is not None:
            years.add(y)
        if y == year:
            for_year[p.city] = p  # ordered by effective_from: the newest of that year wins
    cities = sorted(names.items(), key=lambda kv: kv[0])
    cards = [policy_card(code, name, for_year.get(code), latest[code])
             for code, name in cities if city in (None, "", code)]
    return cards, sorted(years, reverse=True), cities
