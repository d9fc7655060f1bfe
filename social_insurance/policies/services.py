"""Writes of locality data (public schema): policy versions, per-city operating settings and
policy metadata.

Amounts of a version are never edited: a version used for a filed month is frozen by the
database, and a new policy year is a new version (`policy_publish`). Publishing one that
applies back to months already filed posts their difference (补差) in every branch."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _, gettext_noop

from branches.audit import stamp
from social_insurance.engine import ITEM_KINDS, ITEM_LABELS, ROUNDING_MODE_RE
from hrsaas.core.formatting import format_date
from hrsaas.core.inputs import MONEY_EXAMPLE, PERCENT_EXAMPLE
from hrsaas.core.json_numbers import is_json_number
from hrsaas.core.money import MoneyError, parse_money

from .loader import item_fields
from .models import CityPolicy, CitySetting, Confidence, PolicyItem
from .selectors import whole_percent_rules

PUBLISHED_REASON = "policy version published"
SETTING_FIELDS = ("add_cutoff_day", "remove_covers_leaving_month", "back_payment_months_limit", "reconcile_day", "file_day")


def city_setting_update(*, actor, city: str, **values) -> CitySetting:
    unknown = set(values) - set(SETTING_FIELDS)
    if unknown:
        raise ValidationError({"detail": [_("未知设置:%(names)s") % {"names": ", ".join(sorted(unknown))}]})
    if not CityPolicy.objects.filter(city=city).exists():
        raise ValidationError({"city": [_("未知的参保城市:%(city)s。") % {"city": city}]})
    errs = {}
    day = values.get("add_cutoff_day")
    if day is not None and not (isinstance(day, int) and 1 <= day <= 31):
        errs["add_cutoff_day"] = [_("增员截止日须为 1–31 的整数,或留空表示不设截止日。")]
    for key in ("reconcile_day", "file_day"):
        if key in values and not (isinstance(values[key], int) and 1 <= values[key] <= 28):
            errs[key] = [_("截止日须为 1–28 的整数。")]
    if "back_payment_months_limit" in values and not (isinstance(values["back_payment_months_limit"], int)
                                                      and 0 <= values["back_payment_months_limit"] <= 60):
        errs["back_payment_months_limit"] = [_("补缴月数须为 0–60 的整数。")]
    if errs:
        raise ValidationError(errs)
    with transaction.atomic():
        setting, _created = CitySetting.objects.select_for_update().get_or_create(city=city)
        for key, value in values.items():
            setattr(setting, key, value)
        stamp(setting, actor=actor, reason="city settings changed")
        setting.save()
    return setting


def policy_metadata_update(*, actor, policy_id: int, sources=None, confidence=None, notes=None) -> CityPolicy:
    """Sources, confidence and notes describe the data and stay editable on frozen versions."""
    with transaction.atomic():
        policy = CityPolicy.objects.select_for_update().get(pk=policy_id)
        if confidence is not None:
            if confidence not in Confidence.values:
                raise ValidationError({"confidence": [_("可信度须为 high、medium 或 low。")]})
            policy.confidence = confidence
        if sources is not None:
            if not isinstance(sources, list) or not all(isinstance(s, str) and s.strip() for s in sources):
                raise ValidationError({"sources": [_("来源须为非空文字列表。")]})
            policy.sources = sources
        if notes is not None:
            policy.notes = str(notes)
        stamp(policy, actor=actor, reason="policy metadata changed")
        policy.save()
    return policy


# ---------------------------------------------------------------------------------------------
# New policy versions (a new year, often announced late and applying back to July)
# ---------------------------------------------------------------------------------------------
def _number(value, *, percent: bool) -> Decimal:
    """A figure of an item by THE parser's forms (hrsaas.core.money: thousands separators,
    full-width digits); ValueError says what is wrong, to follow the figure's name. A JSON
    number is not how the API sends a figure (hrsaas.core.json_numbers)."""
    if is_json_number(value):
        raise ValueError(_("须为字符串,例如 \"%(example)s\"(不接受 JSON 数字或 true/false)")
                         % {"example": PERCENT_EXAMPLE if percent else MONEY_EXAMPLE})
    if not isinstance(value, (str, int, Decimal)):
        raise ValueError(_("须为数字"))
    if isinstance(value, str) and not value.strip():
        raise ValueError(_("未填写"))
    try:
        number = parse_money(value, maximum=None)
    except MoneyError as exc:
        raise ValueError({"negative": _("须为不小于 0 的数字"), "places": _("最多保留两位小数")}.get(exc.code, _("须为数字"))) from None
    if percent and number > 100:
        raise ValueError(_("不能超过 100%"))
    if not percent and number >= Decimal("100000000"):
        raise ValueError(_("过大"))
    return number


# The figures of an item in people's words (the data file's keys; a range's two ends are
# "<name>下限" and "<name>上限"), translated where they are used.
_KEY_WORDS = {"employer": gettext_noop("单位比例"), "employee": gettext_noop("个人比例"),
              "employer_fixed": gettext_noop("单位固定金额"), "employee_fixed": gettext_noop("个人固定金额"),
              "employer_range": gettext_noop("单位比例"), "rate_range": gettext_noop("缴存比例"),
              "supplementary_range": gettext_noop("补充比例")}


def _low(name: str) -> str:
    return _("%(name)s下限") % {"name": _(name)}


def _high(name: str) -> str:
    return _("%(name)s上限") % {"name": _(name)}


def _clean_item(kind: str, raw) -> tuple[dict, list[str]]:
    """One item in the data file's shape ({"base": [floor, ceiling], "employer": "16", …}): the
    item with its figures as parsed (plain decimal strings, whatever form they were typed in),
    and what is wrong with it, in words."""
    errs: list[str] = []
    label = ITEM_LABELS.get(kind, kind)  # the 险种 in words, in the reader's language
    if not isinstance(raw, dict):
        return {}, [_("%(item)s:须为对象。") % {"item": label}]
    unknown = set(raw) - {"base", "employer", "employee", "employer_fixed", "employee_fixed", "employer_range",
                          "rate_range", "supplementary_range", "note", "whole_percent"}
    if unknown:
        errs.append(_("%(item)s:未知字段 %(names)s。") % {"item": label, "names": ", ".join(sorted(unknown))})
    # A figure or range given as null is not given (the data file leaves such keys out).
    clean = {k: v for k, v in raw.items() if v is not None or k == "base"}

    def figure(value, words: str, *, percent: bool) -> str | None:
        try:
            return f"{_number(value, percent=percent):f}"
        except ValueError as exc:
            errs.append(_("%(item)s:%(figure)s%(problem)s。") % {"item": label, "figure": words, "problem": exc})
            return None

    base = raw.get("base")
    if not (isinstance(base, list) and len(base) == 2):
        errs.append(_("%(item)s:基数须给出下限和上限(base 为 [下限, 上限],上限可为 null)。") % {"item": label})
    else:
        floor = figure(base[0], _("基数下限"), percent=False)
        ceiling = None if base[1] is None else figure(base[1], _("基数上限"), percent=False)
        clean["base"] = [floor, ceiling]
        if floor is not None and ceiling is not None and Decimal(ceiling) < Decimal(floor):
            errs.append(_("%(item)s:基数上限不能低于下限。") % {"item": label})
    sources = [k for k in ("employer", "employer_range", "rate_range") if raw.get(k) is not None]
    if len(sources) != 1:
        errs.append(_("%(item)s:单位比例须且只能用 employer、employer_range、rate_range 之一给出。") % {"item": label})
    for key in ("employer", "employee"):
        if raw.get(key) is not None:
            clean[key] = figure(raw[key], _(_KEY_WORDS[key]), percent=True)
    for key in ("employer_fixed", "employee_fixed"):
        if raw.get(key) is not None:
            clean[key] = figure(raw[key], _(_KEY_WORDS[key]), percent=False)
    for key in ("employer_range", "rate_range", "supplementary_range"):
        if raw.get(key) is None:
            continue
        pair, name = raw[key], _KEY_WORDS[key]
        if not (isinstance(pair, list) and len(pair) == 2):
            errs.append(_("%(item)s:%(figure)s须给出下限和上限(%(key)s 为 [下限, 上限])。") % {"item": label, "figure": _(name), "key": key})
            continue
        low, high = figure(pair[0], _low(name), percent=True), figure(pair[1], _high(name), percent=True)
        clean[key] = [low, high]
        if low is not None and high is not None and Decimal(high) < Decimal(low):
            errs.append(_("%(item)s:%(figure)s上限不能低于下限。") % {"item": label, "figure": _(name)})
    if raw.get("note") is None:  # absent or null: no note
        clean.pop("note", None)
    elif not isinstance(raw["note"], str):
        errs.append(_("%(item)s:说明(note)须为文字。") % {"item": label})
        clean.pop("note")
    if raw.get("whole_percent") is None:  # absent or null: not said, the city's rule is kept
        clean.pop("whole_percent", None)
    else:
        if not isinstance(raw["whole_percent"], bool):
            errs.append(_("%(item)s:是否须为整数百分比须为 true 或 false。") % {"item": label})
        elif raw.get("rate_range") is None:
            errs.append(_("%(item)s:整数百分比只适用于缴存比例范围(rate_range)。") % {"item": label})
    if kind == "housing_fund" and raw.get("rate_range") is None and not errs:
        errs.append(_("%(item)s:住房公积金须给出缴存比例范围(rate_range)。") % {"item": label})
    return clean, errs


def _date_arg(value, name: str, errs: dict) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errs[name] = [_("日期格式应为 YYYY-MM-DD。")]
        return None


def policy_publish(*, actor, city: str, year_label: str, effective_from, items: dict, sources: list,
                   confidence: str, name: str | None = None, effective_to=None, rounding: dict | None = None,
                   notes: str = "") -> CityPolicy:
    """Add a city's new version. The version in force on `effective_from` ends the day before
    (even if months were filed with it: those months keep their lines, and every branch posts
    their difference as 补差 lines in its next open month). A version starting on or after
    `effective_from` is refused: it would be silently replaced."""
    errs: dict[str, list[str]] = {}
    city = str(city or "").strip()
    if name is not None and not isinstance(name, str):  # a JSON number, list or object
        errs["name"] = [_("城市名称须为文字。")]
        name = ""
    existing = CityPolicy.objects.filter(city=city).order_by("-effective_from").first()
    if existing is None and not (name or "").strip():
        errs["city"] = [_("未知的参保城市:%(city)s;新城市请同时填写城市名称。") % {"city": city or _("(空)")}]
    year_label = str(year_label or "").strip()
    if not year_label or len(year_label) > 20:
        errs["year_label"] = [_("请填写政策年度(不超过 20 字),例如“2027年度”。")]
    elif CityPolicy.objects.filter(city=city, year_label=year_label).exists():
        errs["year_label"] = [_("%(city)s 已有 %(year)s 版本。") % {"city": existing.name if existing else city, "year": year_label}]
    start = _date_arg(effective_from, "effective_from", errs)
    end = _date_arg(effective_to, "effective_to", errs)
    if start is None and "effective_from" not in errs:
        errs["effective_from"] = [_("请填写生效日期。")]
    elif start is not None and start.day != 1:
        errs["effective_from"] = [_("生效日期须为某月 1 日(政策按整月适用)。")]
    if start and end and end < start:
        errs["effective_to"] = [_("失效日期不能早于生效日期。")]
    if not isinstance(items, dict) or not items:
        errs["items"] = [_("请给出各险种的基数和比例。")]
    else:
        item_errs = [_("未知险种:%(kind)s。") % {"kind": k} for k in items if k not in ITEM_KINDS]
        cleaned = {}
        for kind, raw in items.items():
            if kind in ITEM_KINDS:
                cleaned[kind], wrong = _clean_item(kind, raw)
                item_errs.extend(wrong)
        # Whether a rate must be a whole percent is a rule, not words: an item that does not say
        # keeps the city's rule for that 险种 so far (its most recent version having it), whatever
        # its note; only a 险种 new to the city follows the data file's convention (its note).
        kept = whole_percent_rules(city)
        for kind, item in cleaned.items():
            pair = item.get("rate_range")
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                continue  # no range, or one already refused above (its lower end did not parse)
            low = pair[0]
            if "whole_percent" not in item and kind in kept:
                item["whole_percent"] = kept[kind]
            whole = item.get("whole_percent", "whole percent" in item.get("note", ""))
            if whole and Decimal(low) != Decimal(low).to_integral_value():
                item_errs.append(_("%(item)s:缴存比例须为整数百分比时,下限须为整数(未选比例的人按下限缴存)。")
                                 % {"item": ITEM_LABELS.get(kind, kind)})
        if item_errs:
            errs["items"] = item_errs
        items = cleaned  # the figures as parsed: what is stored
    # Not given: the city keeps its rounding, and the words explaining it with it.
    rounding = rounding or {"social": getattr(existing, "rounding_social", "fen_half_up"),
                            "housing_fund": getattr(existing, "rounding_housing_fund", "yuan_half_up_per_side"),
                            "note": getattr(existing, "rounding_note", "")}
    if not (isinstance(rounding, dict) and all(ROUNDING_MODE_RE.match(str(rounding.get(k, "")))
                                                for k in ("social", "housing_fund"))):
        errs["rounding"] = [_("舍入方式须给出 social 与 housing_fund,例如 fen_half_up、jiao_up、yuan_half_up_per_side。")]
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) and s.strip() for s in sources):
        errs["sources"] = [_("请注明来源(文号或出处),至少一条。")]
    if confidence not in Confidence.values:
        errs["confidence"] = [_("可信度须为 high、medium 或 low。")]
    if errs:
        raise ValidationError(errs)
    with transaction.atomic():
        later = CityPolicy.objects.select_for_update().filter(city=city, effective_from__gte=start).first()
        if later is not None:
            raise ValidationError({"effective_from": [
                _("%(year)s 自 %(day)s 起生效,新版本不能早于或等于已有的较新版本。") % {
                    "year": later.year_label, "day": format_date(later.effective_from)}]})
        previous = CityPolicy.objects.select_for_update().filter(city=city, effective_from__lt=start).order_by(
            "-effective_from").first()
        if previous is not None and (previous.effective_to is None or previous.effective_to >= start):
            previous.effective_to = start - dt.timedelta(days=1)
            stamp(previous, actor=actor, reason=f"ended by {year_label}")
            previous.save()
        policy = CityPolicy(
            city=city, name=(name or "").strip() or existing.name, year_label=year_label, effective_from=start,
            effective_to=end, rounding_social=rounding["social"], rounding_housing_fund=rounding["housing_fund"],
            rounding_note=str(rounding.get("note", "")), sources=[s.strip() for s in sources], confidence=confidence,
            notes=str(notes or ""),
        )
        stamp(policy, actor=actor, reason=PUBLISHED_REASON)
        try:
            with transaction.atomic():
                policy.save()
        except IntegrityError:
            raise ValidationError({"effective_to": [_("与该城市的其他版本时间重叠。")]}) from None
        for kind, raw in items.items():
            PolicyItem.objects.create(policy=policy, **item_fields(kind, raw, rounding))
        policy_id = policy.pk
        transaction.on_commit(lambda: _fan_out_true_up(policy_id))
    return policy


def policy_extend(*, actor, policy_id: int, effective_to) -> CityPolicy:
    """Keep a version in force longer (沿用上年度基数 until the new year is announced);
    `effective_to` None = until further notice. Shortening is not offered: months may already
    have been filed with it; publishing the next version ends it instead."""
    errs: dict = {}
    end = _date_arg(effective_to, "effective_to", errs)
    if errs:
        raise ValidationError(errs)
    with transaction.atomic():
        policy = CityPolicy.objects.select_for_update().filter(pk=policy_id).first()
        if policy is None:
            from django.http import Http404

            raise Http404
        if policy.effective_to is None or (end is not None and end <= policy.effective_to):
            raise ValidationError({"effective_to": [_("只能延长有效期;结束一个版本请发布下一个版本。")]})
        policy.effective_to = end
        stamp(policy, actor=actor, reason="policy extended")
        try:
            with transaction.atomic():
                policy.save()
        except IntegrityError:
            raise ValidationError({"effective_to": [_("延长后与该城市的下一个版本时间重叠。")]}) from None
    return policy


def _fan_out_true_up(policy_id: int) -> None:
    """Ask every branch to post the 补差; if the broker is down, each branch's daily cycle task
    runs the (idempotent) true-up of recently published versions anyway."""
    import logging

    from branches.tasks import fan_out

    try:
        fan_out("social_insurance.tasks.policy_true_up", policy_id)
    except Exception:  # noqa: BLE001 - any broker failure: the daily sweep catches up
        logging.getLogger(__name__).warning("true-up of policy %s not sent; the daily cycle will post it", policy_id)
