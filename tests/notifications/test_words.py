"""Messages kept as what they say (notifications/words.py): each value in the reader's language,
the stored words in the product's language whatever the writer's, and every message the product
sends has its English."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import translation

from notifications import words

ROOT = Path(__file__).resolve().parents[2]


def test_each_kind_of_value_in_both_languages():
    message = words.join([
        words.w("您的%(what)s%(amount)s元已到账", what=words.label("component", "opening_reward"),
                amount=words.money("18090.456")),
        words.w("请确认您的%(p)s提成单", p=words.period("2026-03")),
        words.w_count("线索「%(n)s」在「%(s)s」阶段已停留 %(d)d 天", "d", n="蓝海餐饮",
                      s=words.choice("commissions.Lead", "stage", "visited"), d=3),
        words.moment(dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.timezone.utc)),
        words.sentence("si_exception_kind", "payment_failed"),
    ])
    with translation.override("zh-hans"):
        assert words.render(message) == (
            "您的开户奖励18,090.46元已到账; 请确认您的2026年3月提成单; 线索「蓝海餐饮」在「到访」阶段已停留 3 天; "
            "2026年3月2日 09:30; 缴费失败")
    with translation.override("en"):
        english = words.render(message)
    assert not re.search(r"[\u4e00-\u9fff]", english.replace("蓝海餐饮", "")), english
    assert "18,090.46" in english and "March 2026" in english and "09:30" in english
    with translation.override("en"):  # stored words are the product's language whatever is active
        assert words.stored(words.w("请确认您的%(p)s提成单", p=words.period("2026-03"))) == "请确认您的2026年3月提成单"


def test_a_stored_message_names_only_known_sentences_and_values():
    with pytest.raises(ValueError):
        words.sentence("os.system", "echo")
    with pytest.raises(ValueError):
        words.render({"m": "%(x)s", "p": {"x": {"eval": "1"}}})


def test_every_message_the_product_sends_has_its_english():
    """Each `words.w("…")` in the product's code is in an English catalogue (a message without
    one would reach an English reader in Chinese)."""
    literal = re.compile(r'words\.w(?:_count)?\(\s*"((?:[^"\\]|\\.)*)"(?:\s+if\s+\w+\s+else\s+"((?:[^"\\]|\\.)*)")?')
    found, missing = 0, []
    for path in ROOT.glob("*/**/*.py"):
        if path.parts[len(ROOT.parts)] in {".venv", "tests", "bench"}:
            continue
        for match in literal.finditer(path.read_text(encoding="utf-8")):
            for msgid in filter(None, match.groups()):
                found += 1
                with translation.override("en"):  # a message that follows a count has plural forms
                    if translation.gettext(msgid) == msgid and translation.ngettext(msgid, msgid, 2) == msgid:
                        missing.append((str(path.relative_to(ROOT)), msgid))
    assert found >= 15, found  # the scan sees the producers' messages
    assert missing == []


def test_a_message_that_cannot_be_said_shows_its_stored_words():
    broken = words.w("请确认您的%(p)s提成单", q=words.period("2026-03"))  # a value under the wrong name
    assert words.shown(broken, "请确认您的2026年3月提成单") == "请确认您的2026年3月提成单"
    assert words.shown({}, "stored") == "stored"


def test_a_message_that_follows_a_count():
    message = words.w_count("超过本分支机构的上限 %(l)d 天。轮到 %(who)s 完成下一步「%(next)s」。", "l", l=1, who="bj_sales",
                            next=words.choice("commissions.Lead", "stage", "received"))
    with translation.override("en"):
        assert words.render(message).startswith("This exceeds the branch limit of 1 day. It is bj_sales's turn")
        assert words.render({**message, "p": {**message["p"], "l": 7}}).startswith("This exceeds the branch limit of 7 days.")
    with translation.override("zh-hans"):
        assert words.render(message) == "超过本分支机构的上限 1 天。轮到 bj_sales 完成下一步「接待」。"
