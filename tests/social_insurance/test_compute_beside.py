"""A month's compute with a second session beside it (hrsaas/core/beside.py): on a first compute
the second session computes a share of the lines in the compute's snapshot, then the checks and
the HQ identity registry's changes, while the compute stores the lines.

On committed data (a second session cannot see a test's open transaction), the month computed
that way must be exactly the month computed by one session: every line and its values, every
增减员, check, fee statement and the month's totals, and the branch's rows in the registry — and
when the second session's share fails, the compute computes it itself."""
from __future__ import annotations

import random
from decimal import Decimal

import psycopg2
import pytest
from django.db import connection
from django.test import override_settings
from django_tenants.utils import schema_context

from hrsaas.core.locks import Lock
from social_insurance import engine, services, sql
from social_insurance.models import InsuredEmployee, PayrollEntry
from social_insurance.policies.selectors import policy_rules
from tests.conftest import _test_database_url
from tests.factories import make_user

from .helpers import add_employee, idn, make_client

M = "2025-08"
CITIES = ["beijing", "shanghai", "guangzhou", "shenzhen", "hangzhou"]
STARTS = ["2024-03-01", "2025-07-20", "2025-08-01", "2025-08-16", "2025-08-31", "2025-09-02"]
ENDS = [None, None, None, "2025-07-31", "2025-08-10", "2025-08-31"]


def _roster(code: str) -> list:
    """45 people in five cities under three clients, wages from under the floor to over the
    ceiling, starts and ends that add and remove, own housing-fund rates, contract cities other
    than the insured one; a payroll list for one client (one person missing from it, one paid
    and not insured) and two records sharing an ID number."""
    rng = random.Random(7)
    rules = {city: engine.policy_for_month(policy_rules(), city, M) for city in CITIES}
    user = make_user(f"{code}_staff", (code, "branch_staff"), home=code)
    clients = [make_client(f"客户{i}", user) for i in range(3)]
    people = []
    for n in range(1, 46):
        if n <= 2:  # the two records sharing an ID number (below), both insured in the month
            start, end = "2024-03-01", None
        else:
            start, end = rng.choice(STARTS), rng.choice(ENDS)
            if end is not None and end < start:
                end = None
        hf = rules[CITIES[n % 5]].item("housing_fund")
        extra = {"housing_fund_percent": str(hf.rate_range[1])} if n % 7 == 0 and hf and hf.rate_range else {}
        if n % 11 == 0:
            extra["contract_city"] = "shanghai"  # insured in another city than the contract's
        people.append(add_employee(clients[n % 3], n, str(rng.choice([1800, 6000, 12345.67, 40000, 99999])),
                                   start, end, city=CITIES[n % 5], actor=user, **extra))
    # A record entered twice long ago (before the entry refused it): a duplicate in the branch.
    InsuredEmployee.objects.filter(pk=people[1].pk).update(id_number_hash=people[0].id_number_hash)
    insured = [p for p in people if p.client_id == clients[0].pk and p.end_date is None][1:]
    PayrollEntry.objects.bulk_create(
        [PayrollEntry(period=M, client=clients[0], name=p.name, id_number_hash=p.id_number_hash,
                      id_number_masked=p.id_number_masked, gross_wage=Decimal("8000")) for p in insured]
        + [PayrollEntry(period=M, client=clients[0], name="未参保", id_number_hash="f" * 64,
                        id_number_masked=idn(999)[:6] + "********", gross_wage=Decimal("5000"))])
    return people


def _month(branch_id: int) -> dict:
    """Everything the month's compute writes, as values (no ids the two runs would differ in)."""
    with connection.cursor() as cur:
        out = {}
        for key, query in {
            "lines": "SELECT period, for_period, employee_id, client_id, kind, source, policy_id, wage, base, "
                     "employer_percent, employee_percent, employer_precise, employee_precise, employer_amount, "
                     "employee_amount FROM social_insurance_contributionline ORDER BY employee_id, kind",
            "ids": "SELECT count(DISTINCT id) FROM social_insurance_contributionline",
            "changes": "SELECT period, employee_id, kind, effective_date FROM social_insurance_staffchange "
                       "ORDER BY employee_id, kind",
            "findings": "SELECT period, kind, employee_id, payroll_entry_id, args::text FROM "
                        "social_insurance_checkfinding ORDER BY kind, employee_id, payroll_entry_id",
            "statements": "SELECT period, client_id, employee_count, employer_total, employee_total, total "
                          "FROM social_insurance_feestatement ORDER BY client_id",
            "cycle": "SELECT employee_count, employer_total, employee_total FROM social_insurance_monthcycle",
            "stages": "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
                      "AND relname LIKE 'si\\_stage\\_%%'",
        }.items():
            cur.execute(query)
            out[key] = cur.fetchall()
        cur.execute("SELECT employee_id, id_hash, id_masked, first_month, last_month "
                    "FROM public.si_policies_insuredidentityspan WHERE branch_id = %s ORDER BY employee_id", [branch_id])
        out["registry"] = cur.fetchall()
    return out


def _forget_month(branch_id: int) -> None:
    """The month as if never computed (its partitions dropped), and the branch out of the registry."""
    with connection.cursor() as cur:
        cur.execute("TRUNCATE social_insurance_contributionline, social_insurance_staffchange, "
                    "social_insurance_checkfinding, social_insurance_feestatement, social_insurance_monthcycle "
                    "CASCADE")
        cur.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = 'social_insurance_contributionline'::regclass")
        for (name,) in cur.fetchall():
            cur.execute(f'DROP TABLE "{name}"')
        cur.execute("DELETE FROM public.si_policies_insuredidentityspan WHERE branch_id = %s", [branch_id])


def _one_sessions_month(branch) -> dict:
    """The roster entered and its month computed by one session — what a compute with the second
    session must equal — then forgotten, for the test to compute it again."""
    _roster(branch.code)
    with override_settings(SI_COMPUTE_BESIDE=False):
        services.month_compute(actor=None, period=M)
    alone = _month(branch.pk)
    _forget_month(branch.pk)
    return alone


@pytest.fixture(autouse=True)
def _beside_on(settings):
    """What these tests are about, whatever the deployment's SI_COMPUTE_BESIDE says."""
    settings.SI_COMPUTE_BESIDE = True


@pytest.fixture
def stages(monkeypatch):
    """The stage tables the second session made (their names), to know it took its share."""
    made: list[str] = []
    real = sql.stage_name

    def named(period: str) -> str:
        made.append(real(period))
        return made[-1]

    monkeypatch.setattr(sql, "stage_name", named)
    return made


def test_a_month_computed_beside_a_second_session_is_the_month_one_session_computes(committed_branch, stages):
    with schema_context(committed_branch.schema_name):
        alone = _one_sessions_month(committed_branch)
        assert not stages

        services.month_compute(actor=None, period=M)
        beside = _month(committed_branch.pk)
    assert len(stages) == 1 and beside["stages"] == []  # a share staged, stored and dropped
    assert beside == alone
    # The month has what the comparison is about: every kind of row, both sessions' shares.
    kinds = {row[1] for row in alone["findings"]}
    assert {"duplicate_in_branch", "uninsured_payroll", "not_on_payroll", "location_mismatch"} <= kinds
    assert {row[2] for row in alone["changes"]} == {"add", "remove"}
    assert {row[2] % sql.STAGE_OF < sql.STAGE_MINE for row in alone["lines"]} == {True, False}
    assert len(alone["registry"]) > 30 and alone["ids"] == [(len(alone["lines"]),)]


def test_a_share_the_second_session_could_not_compute_is_computed_by_the_compute(committed_branch, stages,
                                                                                  monkeypatch, caplog):
    with schema_context(committed_branch.schema_name):
        alone = _one_sessions_month(committed_branch)

        def fails(params, snapshot):
            raise RuntimeError("the second session lost its connection")

        monkeypatch.setattr(services, "_stage_lines", fails)
        services.month_compute(actor=None, period=M)
        assert _month(committed_branch.pk) == alone
    assert "computed here" in caplog.text


def test_a_stage_table_left_by_a_failed_compute_is_dropped_by_the_next(committed_branch, stages):
    with schema_context(committed_branch.schema_name):
        _roster(committed_branch.code)
        with connection.cursor() as cur:
            cur.execute('CREATE UNLOGGED TABLE "si_stage_2025_08_0badf00d" (x int)')
            cur.execute('CREATE UNLOGGED TABLE "si_stage_2025_09_0badf00d" (x int)')  # another month's
        services.month_compute(actor=None, period=M)
        with connection.cursor() as cur:
            cur.execute("SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
                        "AND relname LIKE 'si\\_stage\\_%'")
            assert cur.fetchall() == [("si_stage_2025_09_0badf00d",)]
            cur.execute('DROP TABLE "si_stage_2025_09_0badf00d"')
    assert len(stages) == 1


def test_items_changed_between_the_two_shares_refuse_the_month(committed_branch, monkeypatch):
    """A policy version changed after the compute priced its share and before it priced the other
    (its second session's having failed): half the month would be priced by each version. The
    month is refused in words and nothing of it is written."""
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from social_insurance.models import ContributionLine
    from social_insurance.policies.models import PolicyItem

    with schema_context(committed_branch.schema_name):
        _roster(committed_branch.code)
        day = engine.month_start(M)
        item = (PolicyItem.objects.filter(policy__city="beijing", kind="pension", policy__effective_from__lte=day)
                .exclude(policy__effective_to__lt=day).get())
        other = psycopg2.connect(_test_database_url())
        other.autocommit = True

        def published_meanwhile(beside, stage):
            beside.wait()
            with other.cursor() as cur:
                cur.execute("UPDATE public.si_policies_policyitem SET employer_percent = employer_percent + 1 "
                            "WHERE id = %s", [item.pk])
            return None  # as if the second session had failed: the compute prices that share

        monkeypatch.setattr(services, "_handed_stage", published_meanwhile)
        try:
            with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
                services.month_compute(actor=None, period=M)
        finally:
            with other.cursor() as cur:
                cur.execute("UPDATE public.si_policies_policyitem SET employer_percent = %s WHERE id = %s",
                            [item.employer_percent, item.pk])
            other.close()
        assert refused.value.message_dict == {"period": ["计算期间城市社保政策有更新,请重新计算本月。"]}
        assert not ContributionLine.objects.filter(period=M).exists()
        monkeypatch.undo()
        services.month_compute(actor=None, period=M)  # computed again, it is one version's month
        assert ContributionLine.objects.filter(period=M).exists()


def test_checks_the_second_session_could_not_run_are_run_by_the_compute(committed_branch, monkeypatch, caplog):
    with schema_context(committed_branch.schema_name):
        alone = _one_sessions_month(committed_branch)

        def fails(params):
            raise RuntimeError("the second session could not connect")

        monkeypatch.setattr(services, "_month_checks", fails)
        services.month_compute(actor=None, period=M)
        assert _month(committed_branch.pk) == alone
    assert "run by the compute" in caplog.text


@pytest.mark.parametrize("beside", [True, False])
def test_a_transaction_holding_a_person_and_waiting_for_the_month_never_hangs_the_compute(committed_branch,
                                                                                         monkeypatch, beside):
    """A dispute being resolved locks its person, then waits for the settling month's row, which a
    recompute holds while the second session's checks need that person (a finding's reference).
    The compute waits for its second session where PostgreSQL cannot see it: without a bound the
    three would wait for ever. The second session gives up on the lock, the compute writes the
    checks itself, and PostgreSQL's deadlock check ends the cycle — as with one session."""
    import threading
    import time

    from django.db import connection as conn

    schema, code = committed_branch.schema_name, committed_branch.code
    with schema_context(schema):
        user = make_user(f"{code}_staff", (code, "branch_staff"), home=code)
        client = make_client("客户", user)
        people = [add_employee(client, n, "9000", "2024-01-01", actor=user, contract_city="shanghai")
                  for n in range(1, 6)]
        services.month_compute(actor=None, period=M)  # the test's compute is a recompute
    entered = threading.Event()
    real = services._compute_lines_and_sums

    def entering(*args, **kwargs):
        entered.set()
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_compute_lines_and_sums", entering)
    other = psycopg2.connect(_test_database_url())
    with other.cursor() as cur:
        cur.execute(f'SET search_path = "{schema}", public')
        cur.execute("SELECT id FROM social_insurance_insuredemployee WHERE id = %s FOR UPDATE", [people[0].pk])
    out: dict = {}

    def compute():
        try:
            with override_settings(SI_COMPUTE_BESIDE=beside), schema_context(schema):
                services.month_compute(actor=None, period=M)
            out["compute"] = "ok"
        except Exception as exc:  # noqa: BLE001 — one of the two is the deadlock's victim
            out["compute"] = repr(exc)
        finally:
            conn.close()

    def wants_the_month():
        try:
            with other.cursor() as cur:
                cur.execute("SELECT id FROM social_insurance_monthcycle WHERE period = %s FOR UPDATE", [M])
            out["other"] = "ok"
        except psycopg2.Error as exc:
            out["other"] = repr(exc)
        other.rollback()

    computing = threading.Thread(target=compute)
    computing.start()
    assert entered.wait(30)
    time.sleep(0.3)  # the compute holds the month's row
    waiting = threading.Thread(target=wants_the_month)
    waiting.start()
    computing.join(30)
    hung = computing.is_alive()
    if hung:  # free it, so the run goes on and says what hung
        admin = psycopg2.connect(_test_database_url())
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute("SELECT pg_cancel_backend(%s)", [other.get_backend_pid()])
        admin.close()
        computing.join(30)
    waiting.join(30)
    other.close()
    assert not hung, out
    # Either the compute finished (the other was the deadlock's victim) or the other did.
    assert out["compute"] == "ok" or out["other"] == "ok", out
    assert "deadlock" in (out["compute"] + out["other"]), out


def test_while_another_month_compute_runs_each_uses_one_session(committed_branch, stages):
    """Two computes at once keep both cores busy: a second session each would only add work. A
    compute that finds another running (it holds the computes' shared lock) uses one session."""
    other = psycopg2.connect(_test_database_url())
    try:
        with other.cursor() as cur:  # another compute, as its lock shows it
            cur.execute("SELECT pg_advisory_xact_lock_shared(%s, 0)", [int(Lock.SI_MONTH_COMPUTES)])
        with schema_context(committed_branch.schema_name):
            _roster(committed_branch.code)
            services.month_compute(actor=None, period=M)
            assert stages == []
            assert _month(committed_branch.pk)["findings"]  # the checks, run by the compute itself
    finally:
        other.rollback()
        other.close()
    with schema_context(committed_branch.schema_name):
        _forget_month(committed_branch.pk)
        services.month_compute(actor=None, period=M)  # alone again: beside it
    assert len(stages) == 1
