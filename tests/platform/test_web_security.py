"""Login throttling, clean error pages and a database outage answered with 503."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.core.cache import cache

from tests.conftest import ROOT
from tests.factories import TEST_PASSWORD, make_user


@pytest.mark.django_db
def test_login_is_refused_after_five_failures_even_with_the_right_password(client, branches):
    make_user("throttled", ("bj", "specialist"))
    cache.clear()
    for _ in range(5):
        assert client.post("/login/", {"username": "throttled", "password": "wrong"}).status_code == 200

    blocked = client.post("/login/", {"username": "throttled", "password": TEST_PASSWORD})

    assert blocked.status_code == 429
    assert "登录失败次数过多" in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another person at the same address is not locked out.
    make_user("neighbour", ("bj", "specialist"))
    assert client.post("/login/", {"username": "neighbour", "password": TEST_PASSWORD}).status_code == 302
    cache.clear()


@pytest.mark.django_db
def test_unknown_branch_and_page_give_a_clean_404(client, branches):
    make_user("walker", ("bj", "specialist"))
    client.login(username="walker", password=TEST_PASSWORD)
    for url in ("/b/nowhere/", "/b/nowhere/api/v1/statements/", "/no-such-page/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Traceback" not in response.content.decode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_outage_gives_a_clear_503_not_a_stack_trace():
    dead_db_port = _free_port()  # nothing listens there
    port = _free_port()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="hrsaas.settings_test", HRSAAS_TESTING="1",
               DATABASE_URL=f"postgres://postgres@127.0.0.1:{dead_db_port}/hrsaas")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "hrsaas.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        for path, kind in (("/api/v1/branches/", "application/json"), ("/login/", "text/html")):
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10)
            err = caught.value
            body = err.read().decode()
            assert err.code == 503, body
            assert err.headers["Content-Type"].startswith(kind)
            assert "数据库暂时不可用" in body and "Traceback" not in body
            assert err.headers["Retry-After"] == "5"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
