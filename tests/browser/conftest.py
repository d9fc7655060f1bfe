"""Browser tests: Debian's chromium (headless shell) driven by Playwright against gunicorn serving the test DB.

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
from tests.conftest import ROOT, _test_database_url, city_policies_now, city_policies_put_back, drop_committed, worker_file

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between page actions are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")



def _call_site_frames(context: int = 1) -> list:
    """What Playwright's sync API records as each call's stack (its trace's call site: file,
    line, function and the frame), without `inspect.stack`'s source-file lookup per frame, which
    searches every loaded module each time: ~70 s of the suite's CPU under pytest's deep stacks
    (py-spy). Only the tests' driver is touched, not the product."""
    import inspect

    frames, frame = [], sys._getframe(1)
    while frame is not None:
        frames.append(inspect.FrameInfo(frame, frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name,
                                        None, None))
        frame = frame.f_back
    return frames


def _lighter_playwright_call_sites() -> None:
    import inspect
    import types

    from playwright._impl import _network, _sync_base

    light = types.ModuleType("inspect")
    light.__dict__.update(vars(inspect))
    light.stack = _call_site_frames
    _sync_base.inspect = _network.inspect = light


_lighter_playwright_call_sites()

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
        before, policies = set(User.objects.values_list("pk", flat=True)), city_policies_now()
        org = seed_all()
    try:
        yield org
    finally:
        with django_db_blocker.unblock():
            drop_committed(list(org.branches.values()), before)
            city_policies_put_back(policies)


# What each demo role's sweep costs, in pages swept (test_shell.py: its navigation and the detail
# pages found there, at two sizes); only the balance of the groups below depends on it.
DEMO_ROLE_WEIGHT = {"bj.manager": 40, "bj.staff": 30, "admin": 24, "bj.s1": 20, "bj.marketing": 18,
                    "bj.sales": 18, "finance": 12, "bj.client": 8}


def demo_groups(workers: int) -> dict[str, int]:
    """The demo's roles spread over `workers` groups of about equal weight (heaviest first, each
    to the lightest group so far): the same on every worker, as pytest-xdist requires."""
    load, group = [0] * workers, {}
    for role, weight in sorted(DEMO_ROLE_WEIGHT.items(), key=lambda kv: (-kv[1], kv[0])):
        group[role] = load.index(min(load))
        load[group[role]] += weight
    return group


def demo_shards(workers: int) -> int:
    """How many groups the demo's tests make: one fewer than the workers (each group sets the
    demo up once, ≈ 9 s); the longest-first hand-out (tests/scheduling.py) gives the worker
    without one the other long groups."""
    return max(1, workers - 1)


def xdist_shard(item, workers: int) -> int:
    """The group (tests/conftest.py's `pytest_collection_modifyitems`) of a test using `demo`:
    a role's tests stay together (the accessibility scan reuses the pages its navigation sweep
    found, `Sessions.reach`, on the same worker); tests of no role go to the lightest group."""
    callspec = getattr(item, "callspec", None)
    role = callspec.params.get("username") if callspec else None
    shards = demo_shards(workers)
    groups = demo_groups(shards)
    if role in groups:
        return groups[role]
    load = [0] * shards
    for r, g in groups.items():
        load[g] += DEMO_ROLE_WEIGHT[r]
    return load.index(min(load))


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


def settled(page) -> None:
    """The page has loaded (its scripts, styles and images) and no htmx request is in flight.
    The pages make no other request after loading (their only later requests are the inbox
    badge's and the live board's timed polls), so this is what "networkidle" waited for, without
    its fixed half second of network quiet per step."""
    page.wait_for_function("() => document.readyState === 'complete' && !document.querySelector('.htmx-request')")


def submit(page, selector: str, **kwargs) -> None:
    """Click what posts a form or follows a link, and wait for the page it leads to (the answer
    to the post, not the page before it, still idle)."""
    with page.expect_navigation():
        page.click(selector, **kwargs)
    settled(page)


def login(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    submit(page, "button[type=submit]")


def switch_language(page, code: str) -> None:
    """Choose a language in the user menu and wait for the page it reloads.

    The select submits its form from a change handler, so the navigation starts after
    select_option returns; waiting for the page's state alone can see the old page, idle.
    """
    page.click("[data-testid=user-menu] > summary")  # the language is in the user menu
    with page.expect_navigation():
        page.select_option(".lang-switch select", code)
    settled(page)


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
