"""THE display formatter and the labels: money with separators, dates and times in
Asia/Shanghai in the locale's format, codes in words; and the shell's menus per role."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

from branches import navigation
from hrsaas.core import formatting, labels
from hrsaas.core.csp import POLICY
from tests.conftest import off_site_assets

ROOT = Path(__file__).resolve().parents[2]
UTC = dt.timezone.utc


@pytest.mark.parametrize("value, text", [
    (Decimal("1200"), "1,200.00"), (Decimal("18090.456"), "18,090.46"), (Decimal("18090.455"), "18,090.46"),
    (Decimal("-1234567.5"), "-1,234,567.50"), (Decimal("0"), "0.00"), (Decimal("-0.001"), "0.00"),
    (Decimal("999.99"), "999.99"), ("2420.00", "2,420.00"), (12, "12.00"),
    (None, ""), ("", ""), ("abc", ""), (Decimal("NaN"), ""), (1.5, ""),  # floats refused
])
def test_format_money(value, text):
    assert formatting.format_money(value) == text


def test_datetimes_are_shown_in_shanghai_time_in_the_locale_format():
    stored = dt.datetime(2026, 12, 4, 1, 38, tzinfo=UTC)  # 09:38 in 北京
    with translation.override("zh-hans"):
        assert formatting.format_datetime(stored) == "2026年12月4日 09:38"
        assert formatting.format_date(stored) == "2026年12月4日"
        assert formatting.format_date(dt.datetime(2026, 12, 3, 17, 0, tzinfo=UTC)) == "2026年12月4日"  # next day there
        assert formatting.format_period("2026-03") == "2026年3月"
        assert formatting.format_period("2026-W05") == "2026年第5周"
    with translation.override("en"):
        text = formatting.format_datetime(stored)
        assert "2026" in text and text.endswith("09:38") and "T" not in text
        assert formatting.format_period("2026-03") == "March 2026"
        assert formatting.format_period("2026-W05") == "Week 5, 2026"


def test_one_template_library_everywhere_without_load():
    out = Template('{{ a|money }}|{{ t|local_datetime }}|{{ r|label:"role" }}|{{ m|label:"rounding" }}|{{ s|readable }}').render(
        Context({"a": Decimal("18090.46"), "t": dt.datetime(2026, 12, 4, 1, 38, tzinfo=UTC), "r": "branch_manager",
                 "m": "fen_half_up", "s": "参保地 beijing / 合同地 shenzhen,工资 4800.00"}))
    with translation.override("zh-hans"):
        pass
    assert out.split("|")[0] == "18,090.46"
    assert out.split("|")[1].endswith("09:38")
    assert out.split("|")[2] == "分支机构经理"
    assert out.split("|")[3] == "到分,四舍五入"
    assert out.split("|")[4] == "参保地 北京 / 合同地 深圳,工资 4,800.00"


def test_the_old_libraries_delegate_to_the_formatter():
    for lib in ("portal_tags", "commission_format"):
        out = Template("{% load " + lib + " %}{{ a|money }}").render(Context({"a": Decimal("1234567.5")}))
        assert out == "1,234,567.50", lib


def test_every_stored_code_has_words():
    from branches.roles import Role
    from commissions.engine import CORRECTION, LINE_COMPONENTS, MANUAL
    from commissions.hq.rules import COMPONENTS, SERVICES
    from social_insurance.engine import ROUNDING_LABELS
    from social_insurance.policies.models import Confidence

    checks = ([("role", r) for r in Role.values] + [("component", c) for c in (*LINE_COMPONENTS, *COMPONENTS, CORRECTION, MANUAL)]
              + [("service", s) for s in SERVICES] + [("rounding", r) for r in ROUNDING_LABELS]
              + [("confidence", c) for c in Confidence.values] + [("city", c) for c in ("beijing", "shanghai", "guangzhou")])
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            for kind, code in checks:
                words = labels.label(kind, code)
                assert words and not re.search(r"[a-z]+_[a-z]+", words), (lang, kind, code, words)
    assert len(checks) >= 30
    assert labels.label("rounding", "jiao_up_per_side") == "单位、个人各自到角,进位"  # any well-formed mode
    assert labels.label("role", "no_such_role") == ""  # never the key itself


def test_english_pages_tell_my_results_from_my_appraisal():
    with translation.override("en"):
        assert translation.gettext("我的业绩") != translation.gettext("我的绩效")
        assert labels.label("role", "branch_manager") == "Branch manager"


MENU = {  # role → the side menu's entries (the role matrix)
    "branch_manager": ["home", "clients", "leads", "employees", "si", "arrears", "commissions", "review", "history",
                       "performance", "settings", "inbox"],
    "branch_staff": ["home", "clients", "leads", "employees", "si", "arrears", "commissions", "performance", "inbox"],
    "specialist": ["me", "statement", "claims", "inquiries", "estimate", "performance", "inbox"],
    "marketing": ["me", "leads", "statement", "claims", "inquiries", "estimate", "performance", "inbox"],
    "client_contact": ["home", "people", "inbox"],
}


@pytest.mark.parametrize("role", sorted(MENU))
def test_the_menu_follows_the_role_matrix(role):
    menu = navigation.branch_menu("beijing", {role})
    assert [e.key for e in menu] == MENU[role]
    assert all(e.url.startswith("/b/beijing/") for e in menu)
    tabs = navigation.branch_tabs("beijing", {role})
    expected_tabs = {"specialist": ["me", "statement", "claims", "inbox"],  # specialists claim opening rewards
                     "marketing": ["me", "statement", "leads", "inbox"]}  # marketing and sales work leads
    assert [e.key for e in tabs] == expected_tabs.get(role, [])


def test_hq_menus():
    assert [e.key for e in navigation.hq_menu({"hq_finance"})] == [
        "home", "dashboard", "finance", "si-policies", "si-duplicates"]
    assert "people" in [e.key for e in navigation.hq_menu({"hq_admin"})]


@pytest.mark.django_db
def test_csp_header_on_every_response(client):
    for path in ("/login/", "/", "/no-such-page/"):
        policy = client.get(path)["Content-Security-Policy"]
        assert policy == POLICY
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in policy and "img-src 'self' data:" in policy and "connect-src 'self'" in policy


def test_no_template_has_an_inline_script_or_an_event_handler():
    templates = sorted((ROOT / "templates").rglob("*.html"))
    assert len(templates) >= 40
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    for path in templates:
        text = path.read_text()
        assert not inline.search(text), path
        assert not handler.search(text), path


@pytest.mark.django_db
@pytest.mark.django_db
def test_swagger_ui_runs_under_the_policy(client, branches):
    """Swagger UI from our own static files (sidecar), its start-up script a separate URL (the
    docs need a sign-in)."""
    from tests.factories import TEST_PASSWORD, make_user

    make_user("swagger_reader", (None, "hq_admin"))
    client.login(username="swagger_reader", password=TEST_PASSWORD)
    html = client.get("/api/v1/docs/").content.decode()
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all("src=" in s for s in scripts)
    assert off_site_assets(html) == [] and "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_a_policy_years_label_reads_in_the_readers_language():
    from django.utils import translation

    from hrsaas.core.templatetags.hr import policy_year

    with translation.override("en"):
        assert policy_year("2026年度") == "2026 policy year" and policy_year("2026 年度") == "2026 policy year"
        assert policy_year("2026年度(试行)") == "2026年度(试行)"  # a name of HQ's own is data: as written
    with translation.override("zh-hans"):
        assert policy_year("2026年度") == "2026年度"
    assert policy_year(None) == ""
