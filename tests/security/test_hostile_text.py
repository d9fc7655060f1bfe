"""Text an attacker sends instead of words: a lone surrogate escape in a JSON body (PostgreSQL
cannot store it: a 500 at the save, after whatever was written before), bidi controls and other
invisible characters that make a stored name read otherwise than it is, a body that is not an
object, a number where text belongs. Each is a 400 that says what is wrong and changes nothing;
ordinary text (Chinese, emoji, line breaks in notes) is stored as typed."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from tests.commissions.conftest import people  # noqa: F401  (fixture)
from tests.commissions.test_lead_details import _state as _leads
from tests.conftest import in_branch

pytestmark = pytest.mark.django_db

SURROGATE_BODY = {"detail": "请求体含有不允许的字符:孤立的 UTF-16 代理项(\\ud800–\\udfff)。"}
NOT_AN_OBJECT = {"detail": "请求体须为 JSON 对象。"}


@pytest.fixture(autouse=True)
def _chinese_again_afterwards():
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _everything():
    """The leads with their history, and every other row the requests below could add."""
    from clients.models import Client as Company
    from commissions.models import Adjustment, LeadStageChange

    with in_branch("bj"):
        return (_leads(), Company.objects.count(), Adjustment.objects.count(), LeadStageChange.objects.count())


def _lead(api, people, **body) -> int:
    r = api(people["bj_sales"]).post("/b/bj/api/v1/leads/", {"name": "华信科技", **body}, format="json")
    assert r.status_code == 201, r.json()
    return r.json()["id"]


def _raw(client, method: str, url: str, body: str):
    return getattr(client, method)(url, body, content_type="application/json")


# --- a lone surrogate anywhere in a JSON body ---------------------------------------------------
@pytest.mark.parametrize("body", [
    '{"notes": "\\ud800"}', '{"notes": "ok\\udfffok"}', '{"\\ud800": "x"}',
    '{"notes": "x", "services": [{"deep": ["\\udbff"]}]}',
])
def test_a_lone_surrogate_in_a_lead_edit_is_a_400_and_changes_nothing(api, people, body):
    lead = _lead(api, people, notes="原备注")
    before = _everything()
    r = _raw(api(people["bj_sales"]), "patch", f"/b/bj/api/v1/leads/{lead}/", body)
    assert (r.status_code, r.json()) == (400, SURROGATE_BODY)
    assert _everything() == before


@pytest.mark.parametrize("who, url, body", [
    ("bj_sales", "/b/bj/api/v1/leads/", '{"name": "\\ud800x", "source": "sales"}'),
    ("bj_sales", "/b/bj/api/v1/leads/{lead}/stage/", '{"stage": "\\ud800"}'),
    ("bj_sales", "/b/bj/api/v1/leads/{lead}/stage/", '{"stage": "received", "note": "\\udc00"}'),
    ("bj_staff", "/b/bj/api/v1/clients/", '{"name": "\\ud800x", "headcount": 30, "opened_on": "2026-03-02",'
                                         ' "opened_by": "bj_s1", "services": ["social_insurance"]}'),
    ("bj_staff", "/b/bj/api/v1/adjustments/", '{"component": "opening_reward", "percent": "5.00",'
                                             ' "effective_from": "2026-03-01", "reason": "\\ud800"}'),
])
def test_a_lone_surrogate_is_refused_on_every_endpoint_before_anything_is_written(api, people, who, url, body):
    lead = _lead(api, people)
    before = _everything()
    r = _raw(api(people[who]), "post", url.format(lead=lead), body)
    assert (r.status_code, r.json()) == (400, SURROGATE_BODY)
    assert _everything() == before


def test_the_surrogate_refusal_reads_in_english_and_a_valid_pair_is_text(api, people):
    lead = _lead(api, people)
    english = api(people["bj_sales"])
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    r = _raw(english, "patch", f"/b/bj/api/v1/leads/{lead}/", '{"notes": "\\ud800"}')
    assert r.json() == {"detail": "The request body contains characters that are not allowed: lone UTF-16 "
                                  "surrogates (\\ud800–\\udfff)."}
    # An escaped pair is one character (an emoji): stored as such.
    r = _raw(api(people["bj_sales"]), "patch", f"/b/bj/api/v1/leads/{lead}/", '{"notes": "\\ud83d\\ude00 好"}')
    assert r.status_code == 200 and r.json()["notes"] == "😀 好"


def test_the_text_parser_refuses_a_lone_surrogate_from_any_path():
    from hrsaas.core import inputs

    errors = inputs.Errors()
    assert inputs.parse_text({"name": "甲\ud800"}, "name", errors) == ""
    assert errors.errors == {"name": ["含有不允许的字符:孤立的 UTF-16 代理项(U+D800)。"]}


# --- bidi controls and other invisible characters -----------------------------------------------
@pytest.mark.parametrize("char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
                                  "\u2069", "\u200b", "\u200e", "\u2060", "\ufeff", "\u00ad", "\U000e0041",
                                  "\x1b", "\x7f"])
def test_invisible_and_control_characters_are_refused_by_the_text_parser(char):
    from hrsaas.core import inputs

    errors = inputs.Errors()
    assert inputs.parse_text({"notes": f"甲{char}乙"}, "notes", errors) == ""
    message = errors.errors["notes"][0]
    assert message == "含有不允许的控制字符。" if char in "\x1b\x7f" else \
        message == f"含有不允许的不可见字符 U+{ord(char):04X}(文字方向控制符、零宽字符等),请删除后再提交。"


def test_a_control_character_at_either_end_is_refused_not_stripped_unseen():
    from hrsaas.core import inputs

    for text in ("\x1f=HYPERLINK(\"http://x/\")", "甲\x1c", "\x0b乙", "丙\x85"):
        errors = inputs.Errors()
        assert inputs.parse_text({"name": text}, "name", errors) == ""
        assert errors.errors == {"name": ["含有不允许的控制字符。"]}, text


@pytest.mark.parametrize("text", ["张三", "Zhang San", "王经理 🎉", "👩\u200d💻 程序员", "🏳\ufe0f\u200d🌈",
                                  "第一行\n第二行\r\n\t第三行", "全角\u3000空格", "Ünïcödé façade"])
def test_ordinary_text_passes_as_typed(text):
    from hrsaas.core import inputs

    errors = inputs.Errors()
    # As typed, but for its line breaks: each is kept as one "\n" (CRLF counted once).
    assert inputs.parse_text({"notes": text}, "notes", errors, max_length=500) == text.replace("\r\n", "\n").strip()
    assert errors.errors == {}


def test_a_zero_width_joiner_outside_an_emoji_sequence_is_refused():
    from hrsaas.core import inputs

    for text in ("张\u200d三", "\u200d张三", "🎉\u200d"):
        errors = inputs.Errors()
        inputs.parse_text({"name": text}, "name", errors)
        assert errors.errors == {"name": ["含有不允许的不可见字符 U+200D(文字方向控制符、零宽字符等),请删除后再提交。"]}


def test_a_reversed_name_is_refused_through_the_api_and_the_page_and_nothing_is_saved(api, people):
    lead = _lead(api, people, notes="原备注")
    before = _everything()
    seller = api(people["bj_sales"])
    r = seller.post("/b/bj/api/v1/leads/", {"name": "\u202e司公技科", "source": "sales"}, format="json")
    assert r.status_code == 400
    assert r.json() == {"name": ["含有不允许的不可见字符 U+202E(文字方向控制符、零宽字符等),请删除后再提交。"]}
    r = seller.patch(f"/b/bj/api/v1/leads/{lead}/", {"notes": "见\u2066附件\u2069", "contact": "王\u200b经理"},
                     format="json")
    assert r.status_code == 400 and sorted(r.json()) == ["contact", "notes"]
    page = Client()
    page.force_login(people["bj_sales"])
    r = page.post("/b/bj/leads/new/", {"name": "\u202e司公技科"})
    assert r.status_code == 200 and "U+202E" in r.content.decode()
    english = api(people["bj_sales"])
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    r = english.patch(f"/b/bj/api/v1/leads/{lead}/", {"name": "\u202e司公技科"}, format="json")
    assert r.json() == {"name": ["Contains the invisible character U+202E (a text-direction control, a zero-width "
                                 "character or the like): please delete it and submit again."]}
    assert _everything() == before


def test_chinese_emoji_and_line_breaks_are_stored_as_typed(api, people):
    lead = _lead(api, people)
    notes = "客户很满意 👍🏻\n下周回访 👩\u200d💼"
    r = api(people["bj_sales"]).patch(f"/b/bj/api/v1/leads/{lead}/", {"name": "蓝海餐饮 🍜", "notes": notes},
                                      format="json")
    assert r.status_code == 200, r.json()
    assert (r.json()["name"], r.json()["notes"]) == ("蓝海餐饮 🍜", notes)


# --- a body that is not an object, a number for text, text for a list -------------------------------
@pytest.mark.parametrize("body", ["[1, 2]", '"str"', "123", "null", "true", "[]"])
def test_a_body_that_is_not_an_object_is_refused_on_patch_and_post(api, people, body):
    lead = _lead(api, people, notes="原备注")
    before = _everything()
    seller, staff = api(people["bj_sales"]), api(people["bj_staff"])
    for client, method, url in ((seller, "patch", f"/b/bj/api/v1/leads/{lead}/"), (seller, "post", "/b/bj/api/v1/leads/"),
                                (seller, "post", f"/b/bj/api/v1/leads/{lead}/stage/"),
                                (staff, "post", "/b/bj/api/v1/clients/"), (staff, "post", "/b/bj/api/v1/adjustments/")):
        r = _raw(client, method, url, body)
        assert (r.status_code, r.json()) == (400, NOT_AN_OBJECT), (method, url)
    english = api(people["bj_sales"])
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    r = _raw(english, "patch", f"/b/bj/api/v1/leads/{lead}/", body)
    assert r.json() == {"detail": "The request body must be a JSON object."}
    assert _everything() == before


@pytest.mark.parametrize("body, field, message", [
    ('{"name": 123}', "name", "须为文本。"), ('{"name": 1e308}', "name", "须为文本。"),
    ('{"notes": 12.5}', "notes", "须为文本。"), ('{"contact": 0}', "contact", "须为文本。"),
    ('{"services": "social_insurance"}', "services", "须为服务列表。"),
    ('{"services": "社保、公积金"}', "services", "须为服务列表。"),
])
def test_a_lead_edit_with_a_value_of_the_wrong_type_is_refused(api, people, body, field, message):
    lead = _lead(api, people, notes="原备注")
    before = _everything()
    r = _raw(api(people["bj_sales"]), "patch", f"/b/bj/api/v1/leads/{lead}/", body)
    assert (r.status_code, r.json()) == (400, {field: [message]})
    assert _everything() == before


def test_services_by_name_in_a_list_still_pass(api, people):
    lead = _lead(api, people)
    r = api(people["bj_sales"]).patch(f"/b/bj/api/v1/leads/{lead}/", {"services": ["社保", "housing_fund"]},
                                      format="json")
    assert r.status_code == 200 and r.json()["services"] == ["social_insurance", "housing_fund"]
