"""English pages are entirely English: with the language switch set to English, the main
content of each role's main pages carries no Chinese outside the data shown on them, and every
English catalogue translates every entry (placeholders kept)."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from tests.commissions.conftest import drain, open_client, people  # noqa: F401  (fixture)
from tests.conftest import in_branch
from tests.factories import make_user

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+")
ROOT = Path(settings.BASE_DIR)


class _MainText(HTMLParser):
    """The text a person reads inside <main> (scripts, styles and templates skipped)."""

    SKIP = {"script", "style", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth, self.skip, self.parts = 0, 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self.depth += 1
        elif tag in self.SKIP:
            self.skip += 1
        elif self.depth and tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            self.parts.append(dict(attrs).get("value") or "")
        if self.depth and tag in ("input", "textarea"):
            self.parts.append(dict(attrs).get("placeholder") or "")

    def handle_endtag(self, tag):
        if tag == "main":
            self.depth -= 1
        elif tag in self.SKIP:
            self.skip = max(0, self.skip - 1)

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)


def main_text(html: str) -> str:
    parser = _MainText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture(autouse=True)
def _chinese_again_afterwards():
    """The locale middleware leaves English active in this thread; later tests expect Chinese."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def english(user) -> Client:
    c = Client()
    c.force_login(user)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return c


def chinese_left(c: Client, url: str, data: tuple[str, ...] = ()) -> list[str]:
    response = c.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert 'lang="en"' in response.content.decode()[:500], url
    text = main_text(response.content.decode())
    assert len(text) > 20, (url, text)  # a page that rendered nothing would pass trivially
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    return CJK.findall(text)


def _policy_data(policies) -> set[str]:
    """What the policy files say (city names, year labels, source notes): data, not labels."""
    values: set[str] = set()

    def walk(value):
        if isinstance(value, str):
            values.add(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for policy in policies:
        walk([policy.name, policy.year_label, policy.rounding_note, policy.sources,
              [item.note for item in policy.items.all()]])
    # The year box's example "2027年度" is the format the files and the form use.
    return {v for v in values if CJK.search(v)} | {"2027年度"}


@pytest.mark.django_db
def test_main_pages_per_role_are_entirely_english(api, people, hq_admin):  # noqa: F811
    """Data we control is ASCII (client names, people), so any Chinese left is an untranslated
    label. City names and policy year labels are data from the policy files: stripped."""
    from branches.models import Branch
    from commissions.models import Lead
    from social_insurance.policies.models import CityPolicy

    manager, staff, mkt, sales, s1 = (people[k] for k in ("bj_manager", "bj_staff", "bj_mkt", "bj_sales", "bj_s1"))
    finance = make_user("hq_fin", (None, "hq_finance"))
    open_client(api, staff, opened_by="bj_s1", headcount=30, name="Acme Foods")
    open_client(api, staff, opened_by="bj_s1", headcount=150, name="Bright Logistics")
    drain("bj")
    assert api(manager).post("/b/bj/api/v1/periods/2026-03/close/").status_code == 200
    proposal = api(staff).post("/b/bj/api/v1/adjustments/", {
        "component": "opening_reward", "percent": "10.00", "effective_from": "2026-04-01",
        "reason": "Competitive market"}, format="json")
    assert proposal.status_code == 201, proposal.content
    adj_id = proposal.json()["id"]
    lead_new = english(mkt).post("/b/bj/leads/new/", {"name": "Blue Sea Catering", "qualified": "on",
                                                      "owner": "bj_sales"})
    assert lead_new.status_code == 302
    with in_branch("bj"):
        lead_id = Lead.objects.get(name="Blue Sea Catering").pk
    # Branch names are HQ's data. (The survey scale next to the indicator reads in English too:
    # its stored answers 满意/一般/不满意 are keys, shown by their labels.)
    branch_names = tuple(Branch.objects.exclude(schema_name="public").values_list("name", flat=True))
    city_data = tuple(_policy_data(CityPolicy.objects.all()))
    pages = [
        (manager, "/b/bj/", ()),
        (manager, "/b/bj/commissions/statements/2026-03/", ()),
        # the audit trail shows the stored reason ("提议:…"), written in Chinese when it happened
        (manager, f"/b/bj/commissions/adjustments/{adj_id}/", ("提议",)),
        (manager, "/b/bj/commissions/adjustments/", ()),
        (manager, "/b/bj/performance/templates/new/", ()),
        (staff, "/b/bj/", ()),
        (staff, "/b/bj/clients/", ()),
        (staff, "/b/bj/si/employees/", ()),
        (mkt, "/b/bj/leads/", ()),
        (mkt, "/b/bj/leads/new/", ()),
        (mkt, f"/b/bj/leads/{lead_id}/", ()),
        (sales, f"/b/bj/leads/{lead_id}/", ()),
        (s1, "/b/bj/me/", ()),
        (s1, "/b/bj/me/statement/2026-03/", ()),
        (s1, "/b/bj/me/claims/", ()),
        (manager, "/b/bj/review/", ()),
        (manager, "/b/bj/performance/templates/", ()),
        (staff, "/b/bj/commissions/leads/", ()),
        (staff, "/b/bj/si/", ()),
        (finance, "/commissions/dashboard/", ()),
        (finance, "/commissions/finance/", ()),
        (finance, "/commissions/finance/bj/2026-03/paid/", ()),
        (hq_admin, "/si/policies/", city_data),
        (hq_admin, "/si/policies/beijing/", city_data),
    ]
    found = {f"{user.username} {url}": chinese_left(english(user), url, data + branch_names)
             for user, url, data in pages}

    untranslated = {page: left for page, left in found.items() if left}
    assert untranslated == {}, "\n".join(f"{page}: {' '.join(left)}" for page, left in untranslated.items())
    assert len(found) == 24


def _entries(po: Path):
    """(msgid, msgid_plural, [msgstr…], flags, obsolete) per entry of a .po file, header skipped."""
    entries, cur, field = [], None, None
    for raw in po.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if cur and cur["msgid"]:
                entries.append(cur)
            cur, field = None, None
            continue
        cur = cur or {"msgid": "", "plural": None, "msgstr": {}, "flags": set(), "obsolete": False}
        if line.startswith("#~"):
            cur["obsolete"] = True
            continue
        if line.startswith("#,"):
            cur["flags"] |= {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        m = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+"(.*)"$', line)
        if m:
            key, value = m.group(1), m.group(3)
            if key.startswith("msgstr"):
                field = ("msgstr", int(m.group(2) or 0))
                cur["msgstr"][field[1]] = value
            else:
                field = ("plural" if key == "msgid_plural" else key, None)
                cur[field[0]] = value
        elif line.startswith('"'):
            if field[0] == "msgstr":
                cur["msgstr"][field[1]] += line[1:-1]
            else:
                cur[field[0]] += line[1:-1]
    return entries


CATALOGUES = sorted(p for p in ROOT.glob("**/locale/en/LC_MESSAGES/django.po") if ".venv" not in p.parts)
# English texts that must name something in Chinese: the language menu's own name for Chinese,
# and the import hint telling people to type city names in Chinese (as their files do).
CHINESE_ON_PURPOSE = {"简体中文", "列:%(cols)s。客户填客户名称(或客户编号);城市填中文名称,如“北京”;日期格式 2026-01-31;数字可用全角。"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%|\{\{\s*\w+\s*\}\}")


def test_there_is_an_english_catalogue_per_app_that_has_strings():
    names = {str(p.relative_to(ROOT)).split("/locale/")[0] if "/locale/" in str(p.relative_to(ROOT)) else "."
             for p in CATALOGUES}
    assert {".", "clients", "commissions/hq", "commissions", "performance", "social_insurance", "portal",
            "branches"} <= names


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_entry_is_translated_and_keeps_its_placeholders(po):
    entries = [e for e in _entries(po) if not e["obsolete"]]
    problems = []
    for e in entries:
        strs = list(e["msgstr"].values())
        if not strs or not all(strs) or "fuzzy" in e["flags"]:
            problems.append(("untranslated or fuzzy", e["msgid"]))
        for s in strs:
            if sorted(PLACEHOLDER.findall(e["msgid"])) != sorted(PLACEHOLDER.findall(s)):
                problems.append(("placeholders", e["msgid"], s))
            if CJK.search(s) and e["msgid"] not in CHINESE_ON_PURPOSE:
                problems.append(("Chinese in the English text", e["msgid"], s))
    assert problems == []
    assert len(entries) >= 10
    assert po.with_suffix(".mo").stat().st_mtime >= po.stat().st_mtime - 5  # compiled after the last edit


@pytest.mark.django_db
def test_the_error_page_in_english_is_entirely_english(people):  # noqa: F811
    c = english(people["bj_s1"])
    response = c.get("/b/bj/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Back to the home page" in html and not CJK.findall(html), CJK.findall(html)


def test_a_label_and_its_value_are_spaced_as_each_language_writes_them():
    """确认发放:北京分公司 in Chinese; "Confirm payment: Beijing" in English (it read
    "Confirm payment:北京分公司")."""
    from django.template import Context, Template

    page = Template('{% load i18n %}{% translate "确认发放" %}{% colon %}X')
    with translation.override("zh-hans"):
        assert page.render(Context()) == "确认发放:X"
    with translation.override("en"):
        assert page.render(Context()) == "Confirm payment: X"


def test_one_client_is_a_client_and_the_menu_lists_clients():
    """客户 heads a column of one client per row, labels one client and names the menu: English
    says "Client" for the first two (it said "Clients" everywhere) and "Clients" for the menu."""
    from django.utils.translation import gettext, pgettext

    with translation.override("en"):
        assert (gettext("客户"), pgettext("menu", "客户")) == ("Client", "Clients")
    with translation.override("zh-hans"):
        assert (gettext("客户"), pgettext("menu", "客户")) == ("客户", "客户")
