"""Writes of locality data (public schema): per-city operating settings and policy metadata.

Amounts and dates of a version are not edited here: a version used for a filed month is frozen
by the database, and a new policy year is a new version (loaded like the shipped data)."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from branches.audit import stamp

from .models import CityPolicy, CitySetting, Confidence

SETTING_FIELDS = ("add_cutoff_day", "remove_covers_leaving_month", "back_payment_months_limit", "reconcile_day", "file_day")


def city_setting_update(*, actor, city: str, **values) -> CitySetting:
    unknown = set(values) - set(SETTING_FIELDS)
    if unknown:
        raise ValidationError({"detail": [f"未知设置:{', '.join(sorted(unknown))}"]})
    if not CityPolicy.objects.filter(city=city).exists():
        raise ValidationError({"city": [f"未知的参保城市:{city}。"]})
    errs = {}
    day = values.get("add_cutoff_day")
    if day is not None and not (isinstance(day, int) and 1 <= day <= 31):
        errs["add_cutoff_day"] = ["增员截止日须为 1–31 的整数,或留空表示不设截止日。"]
    for key in ("reconcile_day", "file_day"):
        if key in values and not (isinstance(values[key], int) and 1 <= values[key] <= 28):
            errs[key] = ["截止日须为 1–28 的整数。"]
    if "back_payment_months_limit" in values and not (isinstance(values["back_payment_months_limit"], int)
                                                      and 0 <= values["back_payment_months_limit"] <= 60):
        errs["back_payment_months_limit"] = ["补缴月数须为 0–60 的整数。"]
    if errs:
        raise ValidationError(errs)
    with transaction.atomic():
        setting, _ = CitySetting.objects.select_for_update().get_or_create(city=city)
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
                raise ValidationError({"confidence": ["可信度须为 high、medium 或 low。"]})
            policy.confidence = confidence
        if sources is not None:
            if not isinstance(sources, list) or not all(isinstance(s, str) and s.strip() for s in sources):
                raise ValidationError({"sources": ["来源须为非空文字列表。"]})
            policy.sources = sources
        if notes is not None:
            policy.notes = str(notes)
        stamp(policy, actor=actor, reason="policy metadata changed")
        policy.save()
    return policy
