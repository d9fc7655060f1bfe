"""Text longer than a field takes is refused in our words, wherever the refusal comes from: the
core's parsers, Django's form and model fields, DRF's serializer fields — not Django's
"确保该变量包含不超过 200 字符 (目前字符数 5000)" (locale/zh_Hans overrides the framework's words)."""
from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as DrfValidationError

from hrsaas.core import inputs


def _django_refusal(limit: int, typed: str) -> list[str]:
    with pytest.raises(ValidationError) as err:
        forms.CharField(max_length=limit).clean(typed)
    return err.value.messages


def _drf_refusal(limit: int, typed: str) -> list[str]:
    with pytest.raises(DrfValidationError) as err:
        serializers.CharField(max_length=limit).run_validation(typed)
    return [str(m) for m in err.value.detail]


def test_the_core_says_the_limit_and_the_length_with_separators():
    with translation.override("zh-hans"):
        assert inputs.too_long(200, 5000) == "不能超过 200 个字符(现为 5,000 个)。"
        assert inputs.too_long(2000, 12000, what="意见") == "意见不能超过 2,000 个字符(现为 12,000 个)。"
        errors = inputs.Errors()
        inputs.parse_text({"name": "名" * 201}, "name", errors)
        assert errors.errors == {"name": ["不能超过 200 个字符(现为 201 个)。"]}
    with translation.override("en"):
        assert inputs.too_long(200, 5000) == "At most 200 characters (this has 5,000)."


def test_django_and_drf_max_length_refusals_read_as_ours():
    with translation.override("zh-hans"):
        assert _django_refusal(200, "支" * 5000) == ["不能超过 200 个字符(现为 5000 个)。"]
        assert _drf_refusal(500, "评" * 501) == ["不能超过 500 个字符。"]
    with translation.override("en"):
        assert _django_refusal(200, "x" * 5000) == ["At most 200 characters (this has 5000)."]
        assert _drf_refusal(500, "x" * 501) == ["At most 500 characters."]
