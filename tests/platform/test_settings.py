"""Production settings: `check --deploy` clean; DEBUG off and a SECRET_KEY required by default."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT

PROD_ENV = {"SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-1234567890",
            "FIELD_ENCRYPTION_KEY": "production-field-encryption-key-0123456789abcdefghij",
            "ALLOWED_HOSTS": "hr.example.com", "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/hrsaas"}


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HRSAAS_TESTING", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE",
                                                         "FIELD_ENCRYPTION_KEY", "FIELD_ENCRYPTION_OLD_KEYS"}}
    env.update(DJANGO_SETTINGS_MODULE="hrsaas.settings", **extra)
    return env


def test_check_deploy_is_clean_under_production_settings():
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=_env(**PROD_ENV), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = _env(ALLOWED_HOSTS="hr.example.com")
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_environment_configures_hosts_database_and_redis():
    code = ("from django.conf import settings as s;"
            "print(s.DEBUG, s.ALLOWED_HOSTS, s.DATABASES['default']['NAME'], s.CELERY_BROKER_URL, s.CACHES['default']['LOCATION'])")
    env = _env(**PROD_ENV | {"ALLOWED_HOSTS": "a.example.com, b.example.com", "REDIS_URL": "redis://10.0.0.9:6380/2",
                             "CELERY_BROKER_URL": "redis://10.0.0.9:6380/3", "DATABASE_URL": "postgres://u@db:5432/hr_prod"})
    result = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.stdout.split() == ["False", "['a.example.com',", "'b.example.com']", "hr_prod",
                                     "redis://10.0.0.9:6380/3", "redis://10.0.0.9:6380/2"], result.stderr


def _refused_at_start(name: str, bad: tuple[str, ...], good: str, message: str) -> None:
    """`manage.py check` fails with `message` for each bad value of setting `name`, passes with `good`."""
    for value in bad:
        result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT,
                                env=_env(**PROD_ENV, **{name: value}), capture_output=True, text=True)
        assert result.returncode != 0, value
        assert message in result.stderr, value
    ok = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT,
                        env=_env(**PROD_ENV, **{name: good}), capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr


def test_a_bad_compute_work_mem_is_refused_at_start():
    _refused_at_start("SI_COMPUTE_WORK_MEM", ("lots", "64", "0MB", "64 TB"), "256MB",
                      "SI_COMPUTE_WORK_MEM must look like 64MB")


def test_a_site_url_that_is_not_an_address_is_refused_at_start():
    _refused_at_start("SITE_URL", ("hr.example.com", "ftp://hr.example.com", "https://", "https://hr example.com"),
                      "https://hr.example.com/", "SITE_URL must look like https://hr.example.com")
