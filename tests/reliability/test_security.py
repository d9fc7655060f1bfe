"""Security settings and what they guarantee: strong password hashing, session and CSRF cookies
under the production settings, CSRF enforced for cookie-authenticated writes, the token
endpoint throttled, and identity numbers nowhere in the database in clear."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from tests.conftest import ROOT, in_branch
from tests.factories import TEST_PASSWORD, make_user
from tests.platform.test_settings import PROD_ENV, _env

PROBE = """
import json, django
django.setup()
from django.conf import settings as s
from django.contrib.auth.hashers import get_hasher
h = get_hasher()
print(json.dumps({"hasher": h.algorithm, "iterations": getattr(h, "iterations", None), "debug": s.DEBUG,
  "session_secure": s.SESSION_COOKIE_SECURE, "session_httponly": s.SESSION_COOKIE_HTTPONLY,
  "session_samesite": s.SESSION_COOKIE_SAMESITE, "csrf_secure": s.CSRF_COOKIE_SECURE,
  "csrf_samesite": s.CSRF_COOKIE_SAMESITE, "hsts": s.SECURE_HSTS_SECONDS, "ssl_redirect": s.SECURE_SSL_REDIRECT,
  "frame": s.X_FRAME_OPTIONS, "nosniff": s.SECURE_CONTENT_TYPE_NOSNIFF,
  "validators": len(s.AUTH_PASSWORD_VALIDATORS)}))
"""


def test_production_settings_hash_passwords_strongly_and_secure_the_cookies():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=_env(**PROD_ENV), capture_output=True, text=True)
    got = json.loads(out.stdout or out.stderr)
    assert got["hasher"] in {"pbkdf2_sha256", "argon2", "scrypt"}
    assert got["hasher"] != "pbkdf2_sha256" or got["iterations"] >= 1_000_000
    assert got == got | {"debug": False, "session_secure": True, "session_httponly": True, "session_samesite": "Lax",
                         "csrf_secure": True, "csrf_samesite": "Lax", "ssl_redirect": True, "frame": "DENY",
                         "nosniff": True, "validators": 4}
    assert got["hsts"] >= 31_536_000


@pytest.mark.django_db
def test_cookie_authenticated_writes_need_the_csrf_token(branches):
    make_user("csrf_s1", ("bj", "specialist"), home="bj")
    staff = make_user("csrf_staff", ("bj", "branch_staff"), home="bj")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff)
    body = {"name": "甲公司", "headcount": 30, "opened_on": "2026-03-01", "opened_by": "csrf_s1",
            "services": ["social_insurance"]}
    refused = client.post("/b/bj/api/v1/clients/", body, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    from clients.models import Client

    with in_branch("bj"):
        assert Client.objects.count() == 0
    # The login form itself needs the token.
    form = APIClient(enforce_csrf_checks=True)
    assert form.post("/login/", {"username": "csrf_staff", "password": TEST_PASSWORD}).status_code == 403


@pytest.mark.django_db
def test_token_endpoint_is_throttled(branches):
    make_user("tok_user", ("bj", "specialist"))
    cache.clear()
    client = APIClient()
    codes = [client.post("/api/v1/auth/token/", {"username": "tok_user", "password": f"wrong{i}"}).status_code
             for i in range(7)]
    # Five failures per username (from any address), as the login page: tests/security/test_auth.py.
    assert codes[:5] == [400] * 5 and codes[5:] == [429, 429]
    assert client.post("/api/v1/auth/token/", {"username": "tok_user", "password": TEST_PASSWORD}).status_code == 429
    cache.clear()


@pytest.mark.django_db
def test_identity_numbers_are_nowhere_in_clear_in_the_database(api, branches):
    from tests.social_insurance.helpers import idn, make_client

    staff = make_user("idn_staff", ("bj", "branch_staff"), home="bj")
    with in_branch("bj"):
        company = make_client("北京甲公司", staff)
    number = idn(7)
    r = api(staff).post("/b/bj/api/v1/si/employees/", {
        "client": company.pk, "name": "张三", "id_number": number, "insured_city": "beijing",
        "contract_city": "beijing", "payroll_city": "beijing", "wage": "12000.00", "start_date": "2025-07-01"},
        format="json")
    assert r.status_code == 201, r.content
    assert r.json()["id_number"] == number[:3] + "*" * 11 + number[-4:]
    assert number not in api(staff).get("/b/bj/api/v1/si/employees/").content.decode()

    found = []
    with connection.cursor() as cur:
        cur.execute("SELECT table_schema, table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema IN ('public', 'br_bj') AND data_type IN ('text', 'character varying', 'jsonb') "
                    "AND table_name NOT LIKE 'pg_%%'")
        for schema, table, column in cur.fetchall():
            cur.execute(f'SELECT count(*) FROM "{schema}"."{table}" WHERE "{column}"::text LIKE %s', [f"%{number}%"])
            if cur.fetchone()[0]:
                found.append(f"{schema}.{table}.{column}")
    assert found == []
    hq = make_user("idn_hq", (None, "hq_admin"))
    assert number not in api(hq).get("/api/v1/audit/?branch=bj").content.decode()
