"""What operators rely on: the health endpoint, refusal pages and the launcher's failures."""
from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys

import pytest
from django.test import override_settings

from tests.conftest import ROOT
from tests.factories import TEST_PASSWORD, make_user


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["hr.example.com"])
def test_health_answers_behind_a_tls_proxy_and_whatever_the_allowed_hosts(client):
    # The container probe speaks plain HTTP to 127.0.0.1, which ALLOWED_HOSTS may not list.
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}
    # Every other path still gets the redirect and the host check.
    assert client.get("/login/", HTTP_HOST="hr.example.com").status_code == 301
    refused = client.get("/login/", HTTP_HOST="127.0.0.1:8000")
    assert refused.status_code == 400 and "请求无效。" in refused.content.decode()


@pytest.mark.django_db
@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_health_says_which_dependency_is_down(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "down", "database": "ok", "redis": "down"}


@pytest.mark.django_db
def test_a_refused_page_is_the_apps_own_page_in_chinese_and_logged_without_traceback(client, branches, caplog):
    make_user("importer_not", ("bj", "specialist"))
    client.login(username="importer_not", password=TEST_PASSWORD)
    # Imports are for the branch's staff: a specialist of the branch is refused (403).
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/b/bj/commissions/import/")

    assert response.status_code == 403
    body = response.content.decode()
    assert "您没有权限执行此操作" in body and 'lang="zh-hans"' in body
    assert "css/app.css" in body and "Forbidden" not in body
    refusals = [r for r in caplog.records if getattr(r, "status_code", None) == 403]
    assert refusals, "the refusal was not logged"
    from hrsaas.views import NoTracebackForRefusals

    for record in refusals:
        NoTracebackForRefusals().filter(record)
        assert record.exc_info is None


@pytest.mark.django_db
def test_a_csrf_failure_is_the_apps_own_page(branches):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403
    assert "请刷新页面后重试" in response.content.decode()


def test_the_launcher_fails_loudly_when_its_port_is_taken():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        env = dict(os.environ, PORT=str(port))
        result = subprocess.run([sys.executable, "scripts/launch.py", "run"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)

    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "hrsaas is up" not in result.stdout


def test_the_launcher_refuses_a_port_that_is_not_a_number():
    env = dict(os.environ, PORT="80a")
    result = subprocess.run([sys.executable, "scripts/launch.py", "run"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 1
    assert "PORT must be a port number" in result.stderr
