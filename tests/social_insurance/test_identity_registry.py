"""HQ identity registry: each branch's compute registers its insured people's spans of months,
writing only what changed; it keeps the list of identity hashes registered more than once; the
cross-branch check and HQ's report read a month out of those spans, never a branch schema."""
from __future__ import annotations

import datetime as dt
import threading
import time

import psycopg2
import pytest
from django.db import connection
from django_tenants.utils import schema_context

from social_insurance import selectors, services
from social_insurance.models import CheckFinding, InsuredEmployee
from social_insurance.policies.models import InsuredIdentitySpan, RepeatedIdentity
from tests.conftest import _test_database_url, in_branch
from tests.factories import make_user

from .helpers import add_employee, make_client

M = "2025-08"


def registry(branch) -> dict[int, tuple]:
    return {s.employee_id: (s.first_month, s.last_month, s.id_hash, s.id_masked)
            for s in InsuredIdentitySpan.objects.filter(branch=branch)}


def row_versions(branch) -> dict[int, str]:
    """Each registry row's xmin: it changes exactly when the row is rewritten."""
    with connection.cursor() as cur:
        cur.execute("SELECT employee_id, xmin::text FROM public.si_policies_insuredidentityspan WHERE branch_id = %s",
                    [branch.pk])
        return dict(cur.fetchall())


@pytest.mark.django_db
def test_compute_registers_each_insured_record_with_its_months(staff, branches):
    with in_branch("bj"):
        c = make_client("北京甲公司", staff)
        stays = add_employee(c, 1, "10000", "2025-06-10", actor=staff)
        leaves = add_employee(c, 2, "10000", "2025-01-01", "2025-08-15", actor=staff)  # insured up to July
        add_employee(c, 3, "10000", "2025-07-05", "2025-07-20", actor=staff)  # joins and leaves in July: never insured
        services.month_compute(actor=staff, period=M)
    assert registry(branches["bj"]) == {
        stays.pk: (dt.date(2025, 6, 1), None, stays.id_number_hash, stays.id_number_masked),
        leaves.pk: (dt.date(2025, 1, 1), dt.date(2025, 7, 1), leaves.id_number_hash, leaves.id_number_masked),
    }
    assert not RepeatedIdentity.objects.exists()


@pytest.mark.django_db
def test_a_recompute_rewrites_only_the_records_that_changed(staff, branches):
    bj = branches["bj"]
    with in_branch("bj"):
        c = make_client("北京甲公司", staff)
        a = add_employee(c, 1, "10000", "2025-06-10", actor=staff)
        b = add_employee(c, 2, "10000", "2025-02-01", actor=staff)
        later = add_employee(c, 3, "10000", "2025-09-01", actor=staff)  # registered, no August lines
        services.month_compute(actor=staff, period=M)
        first = row_versions(bj)
        services.month_compute(actor=staff, period=M)
        assert row_versions(bj) == first  # nothing changed, nothing written

        InsuredEmployee.objects.filter(pk=a.pk).update(end_date=dt.date(2025, 10, 3))
        InsuredEmployee.objects.filter(pk=later.pk).delete()
        services.month_compute(actor=staff, period=M)
    after = row_versions(bj)
    assert set(after) == {a.pk, b.pk}
    assert after[b.pk] == first[b.pk] and after[a.pk] != first[a.pk]
    assert registry(bj)[a.pk][:2] == (dt.date(2025, 6, 1), dt.date(2025, 9, 1))


@pytest.mark.django_db
def test_duplicates_are_reported_only_for_months_both_branches_insure(api, staff, branches, hq_admin):
    sh_staff = make_user("sh_staff", ("sh", "branch_staff"), home="sh")
    with in_branch("sh"):
        twin = add_employee(make_client("上海丙公司", sh_staff, city="shanghai"), 1, "9000", "2025-03-01",
                            "2025-08-10", city="shanghai", actor=sh_staff)  # sh insures March–July
        services.month_compute(actor=sh_staff, period="2025-07")
    with in_branch("bj"):
        person = add_employee(make_client("北京甲公司", staff), 1, "10000", "2025-07-01", actor=staff)
        services.month_compute(actor=staff, period="2025-07")
        services.month_compute(actor=staff, period=M)
        found = set(CheckFinding.objects.filter(kind="duplicate_across").values_list("period", "employee_id"))
        assert found == {("2025-07", person.pk)}
    assert list(RepeatedIdentity.objects.values_list("id_hash", flat=True)) == [person.id_number_hash]
    assert selectors.duplicate_report("2025-07") == [{"id_masked": twin.id_number_masked, "total": 2, "branches": [
        {"branch": "bj", "branch_name": "北京分公司", "count": 1},
        {"branch": "sh", "branch_name": "上海分公司", "count": 1}]}]
    assert selectors.duplicate_report(M) == []
    assert api(hq_admin).get("/api/v1/si/duplicates/?period=2025-07").json()["duplicates"][0]["total"] == 2

    # sh finds it never insured the person (dates corrected): its record leaves the registry at
    # its next compute, and the hash is no longer listed as repeated.
    with in_branch("sh"):
        InsuredEmployee.objects.filter(pk=twin.pk).update(start_date=dt.date(2025, 8, 1))
        services.month_compute(actor=sh_staff, period="2025-07")
    assert not InsuredIdentitySpan.objects.filter(branch=branches["sh"]).exists()
    assert not RepeatedIdentity.objects.exists()
    assert selectors.duplicate_report("2025-07") == []


def _waiting_on_registry_lock() -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                    "AND classid = 7301 AND objid = 1 AND objsubid = 2)")
        return cur.fetchone()[0]


def test_two_branches_registering_the_same_person_at_once_both_see_it(committed_branch):
    """Another branch registers the same identity in a transaction still open; this branch's
    compute waits for it instead of missing its row, and lists the identity as repeated."""
    from branches.models import Branch

    code = committed_branch.code
    with schema_context(committed_branch.schema_name):
        user = make_user(f"{code}_staff", (code, "branch_staff"), home=code)
        person = add_employee(make_client("并发客户", user), 1, "10000", "2025-01-01", actor=user)
    # As a record entered before a 增员 registered itself: the compute below registers it.
    InsuredIdentitySpan.objects.filter(branch__code=code, employee_id=person.pk).delete()
    other_branch = Branch.objects.get(code="sh").pk
    other = psycopg2.connect(_test_database_url())
    outcome: list = []

    def compute():
        try:
            with schema_context(committed_branch.schema_name):
                outcome.append(services.month_compute(actor=None, period=M))
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            outcome.append(exc)
        finally:
            connection.close()

    try:
        with other.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(7301, 1)")
            cur.execute("INSERT INTO public.si_policies_insuredidentityspan "
                        "(branch_id, employee_id, id_hash, id_masked, first_month, last_month) "
                        "VALUES (%s, 1, %s, 'x', '2025-01-01', NULL)", [other_branch, person.id_number_hash])
        worker = threading.Thread(target=compute)
        worker.start()
        deadline = time.monotonic() + 30
        while not _waiting_on_registry_lock() and worker.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker.is_alive() and _waiting_on_registry_lock(), "the compute did not wait for the other registration"
        other.commit()
        worker.join(60)
        assert len(outcome) == 1 and not isinstance(outcome[0], Exception), outcome
        assert RepeatedIdentity.objects.filter(id_hash=person.id_number_hash).exists()
        with schema_context(committed_branch.schema_name):
            assert CheckFinding.objects.filter(period=M, kind="duplicate_across", employee_id=person.pk).exists()
    finally:
        other.rollback()
        with other.cursor() as cur:
            cur.execute("DELETE FROM public.si_policies_insuredidentityspan WHERE branch_id = %s AND employee_id = 1 "
                        "AND id_hash = %s", [other_branch, person.id_number_hash])
            cur.execute("DELETE FROM public.si_policies_repeatedidentity WHERE id_hash = %s", [person.id_number_hash])
        other.commit()
        other.close()
