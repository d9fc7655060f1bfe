"""The earner fields (开户人, 销售人员, 市场人员) take a person's name; where two of the branch's
earners share one, the suggestions show each with their sign-in name — the field then asks for it
(inputs.earner_by_name) — and only them: the others are a name alone. The sellers a marketer
hands a lead to likewise. In both languages."""
from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _named(user, name):
    user.display_name = name
    user.save(update_fields=["display_name"])
    return user


def _login(user, language=None) -> Client:
    c = Client()
    c.force_login(user)
    if language:
        c.cookies["django_language"] = language
    return c


def _datalist(html: str) -> dict[str, str]:
    body = html.split('<datalist id="earner-list">', 1)[1].split("</datalist>", 1)[0]
    return dict(re.findall(r'<option value="([^"]*)">([^<]*)</option>', body))


def _select(html: str, name: str) -> dict[str, str]:
    body = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', body))


def test_the_entry_forms_suggest_namesakes_with_their_sign_in_names(people):
    _named(people["bj_s1"], "张伟")
    _named(people["bj_s2"], "张伟")
    _named(people["bj_mkt"], "李娜")
    _named(people["bj_sales"], "王芳")
    # A suggestion puts the name in the box (which the field takes); a namesake's sign-in name.
    for url in ("/b/bj/commissions/record/client/", "/b/bj/commissions/record/sale/"):
        suggested = _datalist(_login(people["bj_staff"]).get(url).content.decode())
        assert suggested["bj_s1"] == "张伟(bj_s1)" and suggested["bj_s2"] == "张伟(bj_s2)", url
        assert suggested["李娜"] == "李娜" and suggested["王芳"] == "王芳", url
        assert "bj_mkt" not in suggested and "bj_sales" not in suggested, url
    english = _datalist(_login(people["bj_staff"], "en").get("/b/bj/commissions/record/client/").content.decode())
    assert english["bj_s1"] == "张伟 (bj_s1)" and english["李娜"] == "李娜"
    # The phone's lead form lists the branch's marketers by name (the username is only sent).
    marketers = _select(_login(people["bj_staff"]).get("/b/bj/leads/new/").content.decode(), "marketer")
    assert marketers == {"": "—", "bj_mkt": "李娜"}
    # another branch's namesake is not of this list: no sign-in name for a name alone here
    _named(people["bj_s2"], "赵六")
    _named(people["sh_s1"], "张伟")
    suggested = _datalist(_login(people["bj_staff"]).get("/b/bj/commissions/record/client/").content.decode())
    assert suggested["张伟"] == "张伟" and "sh_s1" not in suggested and "bj_s1" not in suggested


def test_a_name_picked_from_the_suggestions_records_that_person(people):
    from clients.models import Client as Account
    from tests.conftest import in_branch

    _named(people["bj_s1"], "张伟")
    suggested = _datalist(_login(people["bj_staff"]).get("/b/bj/commissions/record/client/").content.decode())
    assert suggested["张伟"] == "张伟"
    r = _login(people["bj_staff"]).post("/b/bj/commissions/record/client/", {
        "name": "甲公司", "headcount": "30", "opened_on": "2026-03-02", "opened_by": "张伟",
        "services": ["social_insurance"]})
    assert r.status_code == 302, r.content.decode()[:2000]
    with in_branch("bj"):
        assert Account.objects.get(name="甲公司").opened_by_id == people["bj_s1"].pk


def test_a_name_that_is_someones_sign_in_name_is_suggested_as_the_persons_own_sign_in_name(people):
    """The fields read a sign-in name first: a person called "bj_s2" (or "sh_s1", another
    branch's) would be recorded as that account; their suggestion is their own sign-in name."""
    from clients.models import Client as Account
    from tests.conftest import in_branch

    _named(make_user("bj_mk2", ("bj", "marketing"), home="bj"), "bj_s2")
    _named(make_user("bj_sp9", ("bj", "specialist"), home="bj"), "sh_s1")
    suggested = _datalist(_login(people["bj_staff"]).get("/b/bj/commissions/record/client/").content.decode())
    assert suggested["bj_sp9"] == "sh_s1" and "sh_s1" not in suggested
    # the real bj_s2 has no name but their sign-in name: the two are namesakes, told apart
    assert suggested["bj_mk2"] == "bj_s2(bj_mk2)" and suggested["bj_s2"] == "bj_s2(bj_s2)"
    r = _login(people["bj_staff"]).post("/b/bj/commissions/record/client/", {
        "name": "乙公司", "headcount": "30", "opened_on": "2026-03-02", "opened_by": "bj_mk2",
        "services": ["social_insurance"]})
    assert r.status_code == 302, r.content.decode()[:2000]
    with in_branch("bj"):
        assert Account.objects.get(name="乙公司").opened_by.username == "bj_mk2"


def test_a_marketer_picks_between_sellers_of_one_name_by_their_sign_in_names(people):
    _named(people["bj_sales"], "王芳")
    twin = _named(make_user("bj_sales2", ("bj", "sales"), home="bj"), "王芳")
    _named(make_user("bj_sales3", ("bj", "sales"), home="bj"), "陈静")
    owners = _select(_login(people["bj_mkt"]).get("/b/bj/leads/new/").content.decode(), "owner")
    assert owners["bj_sales"] == "王芳(bj_sales)" and owners[twin.username] == "王芳(bj_sales2)"
    assert owners["bj_sales3"] == "陈静"
