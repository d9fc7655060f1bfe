"""The one text parser (hrsaas.core.inputs): letters that show nothing (the Hangul fillers …) are
refused as the invisible format characters are; a line break counts once — in parse_text, in
text_box (the services' notes) and in a page's text box (TextBoxField) — and is kept as "\\n"."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from hrsaas.core import inputs
from hrsaas.core.forms import TextBoxField


@pytest.mark.parametrize("text, code", [
    ("客服部\u3164", "U+3164"), ("\u3164", "U+3164"), ("客服部\uffa0", "U+FFA0"), ("\u115f部", "U+115F"),
    ("\u1160", "U+1160"), ("客服\u2800部", "U+2800"), ("客服部\u034f", "U+034F"), ("\u17b4", "U+17B4"),
    ("客服部\u200b", "U+200B"), ("客服部\u2060", "U+2060"),
])
def test_letters_that_show_nothing_are_refused_as_invisible_characters_are(text, code):
    with translation.override("zh-hans"):
        assert inputs.refused_character(text) == (
            f"含有不允许的不可见字符 {code}(文字方向控制符、零宽字符等),请删除后再提交。")


@pytest.mark.parametrize("text", ["客服部", "한글 이름", "ㄱㄴ", "👩\u200d💻", "第一行\r\n第二行\t"])
def test_visible_text_passes(text):
    assert inputs.refused_character(text) is None


def test_parse_text_counts_a_line_break_once_and_keeps_it_as_one():
    errors = inputs.Errors()
    assert inputs.parse_text({"note": "甲\r\n乙\r丙\n"}, "note", errors, max_length=5) == "甲\n乙\n丙"
    assert errors.errors == {}
    assert inputs.parse_text({"note": "甲\r\n" * 3 + "乙"}, "note", errors, max_length=7) == "甲\n甲\n甲\n乙"
    assert errors.errors == {}
    with translation.override("zh-hans"):
        inputs.parse_text({"note": "甲\r\n" * 3 + "乙丙"}, "note", errors, max_length=7)
        assert errors.errors == {"note": ["不能超过 7 个字符(现为 8 个)。"]}


def test_text_box_refuses_invisible_blank_and_long_text_in_its_words():
    with translation.override("zh-hans"):
        assert inputs.text_box(" 第一行\r\n第二行 ", "note", limit=7) == "第一行\n第二行"
        assert inputs.text_box(None, "note", limit=7) == ""
        for value, field, words in [
            ("\u200b\u200b", "reason", "含有不允许的不可见字符 U+200B(文字方向控制符、零宽字符等),请删除后再提交。"),
            ("  \r\n ", "reason", "请说明原因。"),
            ("原\r\n因" * 3, "reason", "原因不能超过 8 个字符(现为 9 个)。"),
            (["x"], "reason", "须为文本。"),
        ]:
            with pytest.raises(ValidationError) as err:
                inputs.text_box(value, field, limit=8, what="原因", required="请说明原因。")
            assert err.value.message_dict == {field: [words]}


def test_a_pages_text_box_counts_a_line_break_once_as_its_maxlength_does():
    field = TextBoxField(max_length=500)
    typed = "评\r\n" * 200 + "评" * 100  # 300 characters and 200 line breaks: 500, as the browser counted
    assert field.clean(typed) == "评\n" * 200 + "评" * 100
    assert field.widget_attrs(field.widget)["maxlength"] == "500"
    with pytest.raises(ValidationError):
        field.clean(typed + "评")


@pytest.mark.parametrize("separator", ["\u2028", "\u2029"])
def test_unicode_line_and_paragraph_separators_are_line_breaks(separator):
    """Pasted from some editors, they break the line in a browser, a spreadsheet cell and a JSON
    viewer: a one-line name refuses them as it refuses "\\n", a text box keeps them as "\\n"."""
    errors = inputs.Errors()
    with translation.override("zh-hans"):
        assert inputs.parse_text({"name": f"晨光{separator}科技"}, "name", errors, single_line=True) == "晨光\n科技"
        assert errors.errors == {"name": ["须为一行文字,不能含换行或制表符。"]}
    assert inputs.text_box(f"第一行{separator}第二行", "note", limit=7) == "第一行\n第二行"
    assert TextBoxField().clean(f"甲{separator}乙") == "甲\n乙"
