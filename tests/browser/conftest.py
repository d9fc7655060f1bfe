"""Browser tests: Debian's chromium driven by Playwright against gunicorn serving the test DB.

The server is a real subprocess, so the data a test shows must be committed: use
`committed_branch` and create users inside the test (no `db` fixture)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import conftest as root
from tests.conftest import ROOT, _test_database_url, drop_committed, worker_file

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between page actions are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="package")
def demo(django_db_setup, django_db_blocker):
    """The demo organisation (北京/上海/广州, every role), committed once for the browser
    package's sweeps (test_shell.py in the browser, test_page_queries.py in process) and removed
    when the package's last test has run — before any other package, whose tests count the
    branches, employees or payouts there are (and whose own demo must start from none)."""
    from branches.demo import seed_all
    from branches.models import User

    with django_db_blocker.unblock():
        before = set(User.objects.values_list("pk", flat=True))
        org = seed_all()
    try:
        yield org
    finally:
        with django_db_blocker.unblock():
            drop_committed(list(org.branches.values()), before)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_url(django_db_setup, celery_worker_process):
    port = _free_port()
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE="hrsaas.settings_test", DATABASE_URL=_test_database_url(),
               REDIS_URL=root.TEST_REDIS_URL, CELERY_BROKER_URL=root.TEST_REDIS_URL, HRSAAS_TESTING="1")
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--clear", "-v", "0"], cwd=ROOT, env=env, check=True)
    log_path = worker_file(".test-web.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "hrsaas.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2",
                             "--timeout", "60"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {log_path.name}")
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=chromium_path, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync"],
        )
        yield b
        b.close()


@pytest.fixture
def page_factory(browser, live_url):
    """page_factory(viewport) → a fresh page (own cookies) with base_url set to the server."""
    contexts = []

    def make(viewport=DESKTOP, locale="zh-CN"):
        ctx = browser.new_context(viewport=viewport, base_url=live_url, locale=locale)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15000)
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def login(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
