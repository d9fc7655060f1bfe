"""Identity numbers under a key of their own, with rotation: old keys still decrypt and still
find people; `rotate_field_keys` moves every row and every stored hash to the current key (the
branch's employees and payroll, HQ's registry), once; production refuses to start without it."""
from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
from contextlib import contextmanager

import pytest
from cryptography.fernet import InvalidToken
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from social_insurance import crypto, selectors, services
from social_insurance.models import CheckFinding, InsuredEmployee, PayrollEntry
from social_insurance.policies.models import InsuredIdentitySpan, RepeatedIdentity
from tests.conftest import ROOT, in_branch
from tests.factories import make_user

from .helpers import add_employee, idn, make_client

KEY_A = "key-a-the-first-field-encryption-secret-0123456789"
KEY_B = "key-b-the-next-field-encryption-secret-9876543210"
JULY = "2025-07"


@contextmanager
def field_keys(current: str, *old: str):
    crypto.clear_caches()
    with override_settings(FIELD_ENCRYPTION_KEY=current, FIELD_ENCRYPTION_OLD_KEYS=list(old)):
        yield
    crypto.clear_caches()


def rotate(**options) -> str:
    out = io.StringIO()
    call_command("rotate_field_keys", stdout=out, **options)
    return out.getvalue()


def numbers_by_branch() -> dict[str, dict[int, str]]:
    """Every insured employee's identity number as it reads now, per branch."""
    found = {}
    for code in ("bj", "sh"):
        with in_branch(code):
            found[code] = {e.pk: crypto.decrypt_identity(e.id_number_encrypted) for e in InsuredEmployee.objects.all()}
    return found


def versions() -> dict[str, set]:
    """Each stored row's version (xmin, ctid): both change whenever a row is rewritten."""
    tables = {"bj": ["social_insurance_insuredemployee", "social_insurance_payrollentry"],
              "sh": ["social_insurance_insuredemployee", "social_insurance_payrollentry"],
              "public": ["si_policies_insuredidentityspan", "si_policies_repeatedidentity"]}
    out = {}
    for code, names in tables.items():
        for name in names:
            if code == "public":
                sql = f"SELECT xmin::text, ctid::text FROM public.{name}"
                with connection.cursor() as cur:
                    cur.execute(sql)
                    out[f"{code}.{name}"] = set(cur.fetchall())
            else:
                with in_branch(code), connection.cursor() as cur:
                    cur.execute(f"SELECT xmin::text, ctid::text FROM {name}")
                    out[f"{code}.{name}"] = set(cur.fetchall())
    return out


@pytest.fixture
def insured_under_a(staff, branches):
    """Under key A: one person insured in Beijing and Shanghai in July 2025 (the duplicate), three
    more Beijing people, Beijing payroll rows for the person and for someone not insured."""
    sh_staff = make_user("sh_staff", ("sh", "branch_staff"), home="sh")
    with field_keys(KEY_A):
        with in_branch("sh"):
            twin = add_employee(make_client("上海丙公司", sh_staff, city="shanghai"), 1, "9000", "2025-03-01",
                                "2025-08-10", city="shanghai", actor=sh_staff)
            services.month_compute(actor=sh_staff, period=JULY)
        with in_branch("bj"):
            c = make_client("北京甲公司", staff)
            person = add_employee(c, 1, "10000", "2025-07-01", actor=staff)
            for n in (2, 3, 4):
                add_employee(c, n, "8000", "2025-01-01", actor=staff)
            for name, n in (("员工1", 1), ("未参保", 50)):
                PayrollEntry.objects.create(period=JULY, client=c, name=name, id_number_hash=crypto.identity_hash(idn(n)),
                                            id_number_masked="110105********" + idn(n)[-4:])
            services.month_compute(actor=staff, period=JULY)
            assert set(CheckFinding.objects.filter(kind="duplicate_across").values_list("employee_id", flat=True)) \
                == {person.pk}
            stranger_hash_a = crypto.identity_hash(idn(50))
        expected = numbers_by_branch()
    assert [len(v) for v in expected.values()] == [4, 1]
    return {"person": person, "twin": twin, "client": c, "sh_staff": sh_staff, "numbers": expected,
            "stranger_hash_a": stranger_hash_a}


@pytest.mark.django_db
def test_rotating_from_a_to_b_keeps_every_identity_and_the_duplicate_check(insured_under_a, staff, branches):
    person, twin, numbers = insured_under_a["person"], insured_under_a["twin"], insured_under_a["numbers"]
    with field_keys(KEY_B, KEY_A):
        # Before the command: every identity still reads, and a look-up by number still finds
        # the person (an overlapping stint is refused, nothing written).
        assert numbers_by_branch() == numbers
        with in_branch("bj"):
            assert InsuredEmployee.objects.filter(id_number_hash__in=crypto.identity_hashes(idn(1))).get() == person
            before = InsuredEmployee.objects.count()
            with pytest.raises(ValidationError) as refused:
                add_employee(insured_under_a["client"], 1, "10000", "2025-09-01", actor=staff)
            assert "已有重叠的参保记录" in str(refused.value)
            assert InsuredEmployee.objects.count() == before

        output = rotate(batch_size=3)  # Beijing's four people in two batches

    assert "北京" in output and "4 employees read, 4 re-encrypted, 4 re-hashed" in output
    assert "1 payroll rows name no insured employee" in output
    with field_keys(KEY_B):  # key A forgotten: everything reads and matches under B alone
        assert numbers_by_branch() == numbers
        new_hash = crypto.identity_hash(idn(1))
        for code in ("bj", "sh"):
            with in_branch(code):
                stored = list(InsuredEmployee.objects.values_list("id_number_encrypted", "id_number_hash"))
                assert len(stored) == len(numbers[code])
                for token, id_hash in stored:
                    assert id_hash == crypto.identity_hash(crypto._fernet(KEY_B).decrypt(token.encode()).decode())
        with in_branch("bj"):
            assert PayrollEntry.objects.get(name="员工1").id_number_hash == new_hash
            # Not an insured employee: only the hash under A is kept, so it stays as it was.
            assert PayrollEntry.objects.get(name="未参保").id_number_hash == insured_under_a["stranger_hash_a"]
        spans = dict(InsuredIdentitySpan.objects.values_list("employee_id", "id_hash").filter(branch=branches["bj"]))
        assert spans[person.pk] == new_hash and len(spans) == 4
        assert InsuredIdentitySpan.objects.get(branch=branches["sh"], employee_id=twin.pk).id_hash == new_hash
        assert list(RepeatedIdentity.objects.values_list("id_hash", flat=True)) == [new_hash]

        # The duplicate check, recomputed under B alone, still finds the person in both branches.
        with in_branch("bj"):
            services.month_compute(actor=staff, period=JULY)
            assert set(CheckFinding.objects.filter(kind="duplicate_across").values_list("employee_id", flat=True)) \
                == {person.pk}
        assert selectors.duplicate_report(JULY) == [{"id_masked": twin.id_number_masked, "total": 2, "branches": [
            {"branch": "bj", "branch_name": "北京分公司", "count": 1},
        {"branch": "sh", "branch_name": "上海分公司", "count": 1}]}]


@pytest.mark.django_db
def test_a_second_run_changes_nothing(insured_under_a):
    with field_keys(KEY_B, KEY_A):
        rotate()
        first = versions()
        assert sum(len(v) for v in first.values()) == 4 + 2 + 1 + 5 + 1  # bj people+payroll, sh, spans, repeated
        output = rotate()
        assert versions() == first
    assert "0 re-encrypted, 0 re-hashed; payroll rows re-hashed 0; HQ registry spans re-hashed 0" in output
    assert "done: " in output and "5 employees read, 0 re-encrypted, 0 re-hashed, 0 payroll rows re-hashed" in output


@pytest.mark.django_db
def test_rows_under_a_key_no_longer_configured_stop_the_branch_unchanged(insured_under_a):
    with in_branch("bj"):
        stored = set(InsuredEmployee.objects.values_list("id_number_encrypted", "id_number_hash"))
    with field_keys(KEY_B):  # key A left out of the old keys
        with pytest.raises(InvalidToken):
            numbers_by_branch()
        with pytest.raises(CommandError, match="under none of the configured keys.*FIELD_ENCRYPTION_OLD_KEYS"):
            rotate()
    with in_branch("bj"):
        assert set(InsuredEmployee.objects.values_list("id_number_encrypted", "id_number_hash")) == stored
    assert len(stored) == 4


def test_new_rows_use_the_current_key_and_old_keys_only_decrypt():
    with field_keys(KEY_A):
        under_a = crypto.encrypt_identity(idn(7))
        hash_a = crypto.identity_hash(idn(7))
    with field_keys(KEY_B, KEY_A):
        under_b = crypto.encrypt_identity(idn(7))
        assert crypto.decrypt_identity(under_a) == crypto.decrypt_identity(under_b) == idn(7)
        assert crypto.identity_hashes(idn(7)) == [crypto.identity_hash(idn(7)), hash_a]
        assert crypto.identity_hash(idn(7)) != hash_a
        assert crypto.reencrypt_identity(under_b) == (idn(7), None)  # already current: not rewritten
        number, fresh = crypto.reencrypt_identity(under_a)
        assert number == idn(7) and crypto._fernet(KEY_B).decrypt(fresh.encode()).decode() == idn(7)
    with field_keys(KEY_B):
        with pytest.raises(InvalidToken):
            crypto.decrypt_identity(under_a)


def _clean_env(**extra) -> dict[str, str]:
    """Nothing from the developer's shell: only what a bare production host would have."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DJANGO_SETTINGS_MODULE": "hrsaas.settings",
           "SECRET_KEY": "production-secret-key-with-enough-entropy-0123456789",
           "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/hrsaas", "ALLOWED_HOSTS": "hr.example.com"}
    env.update(extra)
    return env


READ_KEYS = "from django.conf import settings as s; print(repr(s.FIELD_ENCRYPTION_KEY), s.FIELD_ENCRYPTION_OLD_KEYS)"


def test_production_settings_without_the_field_key_run_on_the_contracts_variables_and_say_so():
    """API.md's deployment configures DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG and ALLOWED_HOSTS
    only: with DEBUG off and no FIELD_ENCRYPTION_KEY the settings load (identity numbers under
    SECRET_KEY, as a development run has them) and every management command warns."""
    result = subprocess.run([sys.executable, "-c", READ_KEYS], cwd=ROOT, env=_clean_env(), capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "'production-secret-key-with-enough-entropy-0123456789' []"
    check = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=_clean_env(),
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert "hrsaas.W001" in check.stderr and "FIELD_ENCRYPTION_KEY is not set" in check.stderr
    quiet = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
                           env=_clean_env(FIELD_ENCRYPTION_KEY="a-key-of-its-own"))
    assert quiet.returncode == 0, quiet.stderr
    assert "hrsaas.W001" not in quiet.stderr + quiet.stdout


def test_production_settings_read_the_key_and_the_old_keys():
    result = subprocess.run([sys.executable, "-c", READ_KEYS], cwd=ROOT, capture_output=True, text=True,
                            env=_clean_env(FIELD_ENCRYPTION_KEY="new-key", FIELD_ENCRYPTION_OLD_KEYS="old-1, old-2"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "'new-key' ['old-1', 'old-2']"


def test_a_development_run_without_the_key_keeps_the_secret_key_fallback():
    result = subprocess.run([sys.executable, "-c", READ_KEYS], cwd=ROOT, capture_output=True, text=True,
                            env=_clean_env(DEBUG="1"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "'production-secret-key-with-enough-entropy-0123456789' []"


def _launcher(monkeypatch, data_dir):
    spec = importlib.util.spec_from_file_location("hrsaas_launch_under_test", ROOT / "scripts" / "launch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "DATA", data_dir)
    monkeypatch.delenv("FIELD_ENCRYPTION_KEY", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    return module


def test_the_demo_launcher_keeps_an_existing_demo_readable(monkeypatch, tmp_path):
    """A demo made before the field key had a file was encrypted under the secret key."""
    launch = _launcher(monkeypatch, tmp_path)
    (tmp_path / "secret_key").write_text("the-demo-secret-key-of-an-earlier-run\n")
    assert launch._field_encryption_key() == "the-demo-secret-key-of-an-earlier-run"
    assert (tmp_path / "field_encryption_key").stat().st_mode & 0o777 == 0o600
    (tmp_path / "secret_key").write_text("a-rotated-secret-key")
    assert launch._field_encryption_key() == "the-demo-secret-key-of-an-earlier-run"  # kept apart from now on


def test_a_new_demo_gets_a_field_key_of_its_own(monkeypatch, tmp_path):
    launch = _launcher(monkeypatch, tmp_path)
    field_key = launch._field_encryption_key()
    secret_key = launch._secret_key()
    assert len(field_key) >= 60 and field_key != secret_key
    assert launch._field_encryption_key() == field_key
