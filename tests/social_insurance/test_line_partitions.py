"""The lines table has one partition per month, split into regular lines and corrections
(migration 0007). A month's first compute loads its regular lines into a new partition and
attaches it; what it stores must be what an insert into the indexed table stores, with the same
indexes and the same checks."""
from __future__ import annotations

import importlib

import pytest
from django.db import DatabaseError, connection, transaction

from social_insurance import engine, services, sql
from social_insurance.models import ContributionLine, LineSource
from tests.conftest import in_branch

from .helpers import add_employee, make_client, open_month_partitions

pytestmark = pytest.mark.django_db
M = "2025-08"
PARTITION = "social_insurance_contributionline_2025_08"
REGULAR, CORRECTIONS = PARTITION + "_regular", PARTITION + "_corrections"
SEPTEMBER = "social_insurance_contributionline_2025_09"
VALUES = ("employee_id", "client_id", "kind", "source", "period", "for_period", "policy_id", "wage", "base",
          "employer_percent", "employee_percent", "employer_precise", "employee_precise", "employer_amount",
          "employee_amount", "corrects_id", "dispute_id")


@pytest.fixture
def staffed(staff):
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
        people = [add_employee(client, 1, "3000", "2025-01-01", actor=staff),             # under the floor
                  add_employee(client, 2, "12000.50", "2025-08-20", actor=staff, housing_fund_percent="12"),
                  add_employee(client, 3, "90000", "2025-01-01", actor=staff, injury_rate="1.00")]  # over the ceiling
        return {"client": client, "people": people}


def _partitions(cur, parent: str = "social_insurance_contributionline") -> list[str]:
    cur.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = %s::regclass ORDER BY 1", [parent])
    return [name for (name,) in cur.fetchall()]


def _lines() -> list[tuple]:
    return sorted(ContributionLine.objects.filter(period=M).values_list(*VALUES))


def test_first_compute_attaches_a_partition_with_every_index_of_the_table(staff, staffed):
    with in_branch("bj"), connection.cursor() as cur:
        assert PARTITION not in _partitions(cur)
        services.month_compute(actor=staff, period=M)
        assert PARTITION in _partitions(cur) and _partitions(cur, PARTITION) == [REGULAR]
        # Each index of the lines table has its counterpart on the month, and that one on the
        # regular lines' partition: none missing, none left invalid.
        cur.execute("""
            SELECT count(*), count(leaf.indexrelid) FILTER (WHERE leaf.indisvalid)
              FROM pg_index top
              JOIN pg_inherits mid ON mid.inhparent = top.indexrelid
              JOIN pg_index month ON month.indexrelid = mid.inhrelid AND month.indrelid = %s::regclass
              LEFT JOIN pg_inherits low ON low.inhparent = month.indexrelid
              LEFT JOIN pg_index leaf ON leaf.indexrelid = low.inhrelid AND leaf.indrelid = %s::regclass
             WHERE top.indrelid = 'social_insurance_contributionline'::regclass""", [PARTITION, REGULAR])
        assert cur.fetchone() == (7, 7)
        # No trigger of its own left from the load: only the row trigger cloned from the table.
        cur.execute("SELECT tgname, tgparentid <> 0 FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                    [REGULAR])
        assert cur.fetchall() == [("si_line_ref_corrects_rekey", True)]
        assert ContributionLine.objects.filter(period=M).count() == 3 * 5


def test_the_load_stores_what_the_plain_insert_stores(staff, staffed):
    with in_branch("bj"):
        with pytest.raises(RuntimeError), transaction.atomic():
            services.month_compute(actor=staff, period=M)
            loaded = _lines()
            raise RuntimeError("roll the new partition back")
        with connection.cursor() as cur:
            assert PARTITION not in _partitions(cur)
            open_month_partitions(M)  # empty: the compute now inserts through the lines table
            assert _partitions(cur, PARTITION) == [CORRECTIONS, REGULAR]
        services.month_compute(actor=staff, period=M)
        assert len(loaded) == 15 and _lines() == loaded


def test_the_load_runs_the_tables_insert_checks(staff, staffed):
    """A line pointing at a missing employee is refused on the load too, and nothing is left."""
    with in_branch("bj"):
        params = {"period": M, "m": engine.month_start(M), "branch_id": 0}
        with pytest.raises(DatabaseError) as exc, transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql.INSURED_SQL, params)
            cur.execute("UPDATE si_insured SET id = 999999 WHERE id = %s", [staffed["people"][0].pk])
            sql.load_new_month(cur, params)
        assert exc.value.__cause__.pgcode == "23503" and "missing insured employee" in str(exc.value)
        with connection.cursor() as cur:
            assert PARTITION not in _partitions(cur)
        assert not ContributionLine.objects.exists()


def test_corrections_posted_first_live_beside_the_months_regular_lines(staff, staffed):
    """A dispute resolved before September's first compute creates September with its
    corrections partition only; the compute then still loads the regular lines beside them."""
    with in_branch("bj"):
        services.month_compute(actor=staff, period=M)
        services.month_reconcile(actor=staff, period=M)
        services.month_file(actor=staff, period=M, receipt_no="BJ-1")
        emp = staffed["people"][2]
        d = services.dispute_raise(actor=staff, employee_id=emp.pk, period=M, claimed_wage="20000", reason="多报")
        services.dispute_resolve(actor=staff, dispute_id=d.pk, corrected_wage="20000")
        with connection.cursor() as cur:
            assert _partitions(cur) == [PARTITION, SEPTEMBER]
            assert _partitions(cur, SEPTEMBER) == [SEPTEMBER + "_corrections"]
            services.month_compute(actor=staff, period="2025-09")
            assert _partitions(cur, SEPTEMBER) == [SEPTEMBER + "_corrections", SEPTEMBER + "_regular"]
            cur.execute("SELECT source, count(*) FROM " + SEPTEMBER + "_corrections GROUP BY 1")
            corrections = cur.fetchall()
            cur.execute("EXPLAIN SELECT * FROM social_insurance_contributionline WHERE period = %s", [M])
            plan = " ".join(row[0] for row in cur.fetchall())
        assert corrections == [("refund", 5)]
        assert ContributionLine.objects.filter(period="2025-09", source="regular").count() == 15
        assert REGULAR in plan and "2025_09" not in plan  # a month's read touches that month only
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute("INSERT INTO " + SEPTEMBER + "_corrections SELECT * FROM " + SEPTEMBER + "_regular LIMIT 1")


def test_the_migration_round_trip_keeps_every_line_its_id_names_and_triggers(staff, staffed):
    """0007 backwards (one table) and forwards (partitioned) on a branch with lines in two months."""
    migration = importlib.import_module("social_insurance.migrations.0007_lines_partitioned_by_month")
    with in_branch("bj"):
        services.month_compute(actor=staff, period=M)
        services.month_compute(actor=staff, period="2025-09")
        given = ContributionLine.objects.order_by("-id").first().id
        ContributionLine.objects.filter(id__gt=given - 3).delete()  # ids handed out, then deleted
        before = sorted(ContributionLine.objects.values_list("id", *VALUES))

        def shape(cur) -> tuple:
            cur.execute("SELECT array_agg(indexrelid::regclass::text ORDER BY indexrelid::regclass::text) FROM pg_index "
                        "WHERE indrelid = 'social_insurance_contributionline'::regclass")
            indexes = cur.fetchone()[0]
            cur.execute("SELECT array_agg(conname::text ORDER BY conname) FROM pg_constraint "
                        "WHERE conrelid = 'social_insurance_contributionline'::regclass")
            constraints = cur.fetchone()[0]
            cur.execute("SELECT array_agg(tgname::text ORDER BY tgname) FROM pg_trigger "
                        "WHERE tgrelid = 'social_insurance_contributionline'::regclass AND NOT tgisinternal")
            return indexes, constraints, cur.fetchone()[0]

        with connection.cursor() as cur:
            partitioned = shape(cur)
            cur.execute(migration.REVERSE)
            assert _partitions(cur) == []
            assert ContributionLine.objects.count() == len(before)
            single = shape(cur)
            cur.execute(migration.FORWARD)
            assert _partitions(cur) == [PARTITION, SEPTEMBER]
            assert _partitions(cur, SEPTEMBER) == [SEPTEMBER + "_corrections", SEPTEMBER + "_regular"]
            assert shape(cur) == partitioned
        assert single == partitioned  # the same index, constraint and trigger names either way
        assert len(partitioned[2]) == 5 and "si_line_business_key" in partitioned[1]
        assert sorted(ContributionLine.objects.values_list("id", *VALUES)) == before
        # New lines continue after every id ever given (not reusing the deleted ones), and the
        # moved table still runs its checks.
        services.month_compute(actor=staff, period="2025-10")
        assert ContributionLine.objects.filter(period="2025-10").order_by("id").first().id > given > before[-1][0]
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute("UPDATE social_insurance_contributionline SET employee_id = 999999 WHERE period = %s", [M])


def test_the_corrections_partition_takes_every_source_but_regular():
    """A new kind of line needs its own place in every month (a migration), or its insert fails."""
    assert set(sql.CORRECTION_SOURCES) == set(LineSource.values) - {LineSource.REGULAR}


def test_the_months_totals_count_people_who_have_only_corrections_in_it(staff, staffed):
    """Someone insured through August whose August is refunded in September has lines in
    September but no regular ones: the month's and the statement's head counts include them."""
    from social_insurance.models import FeeStatement

    with in_branch("bj"):
        services.month_compute(actor=staff, period=M)
        services.month_reconcile(actor=staff, period=M)
        services.month_file(actor=staff, period=M, receipt_no="BJ-1")
        emp = staffed["people"][2]
        services.employee_end(actor=staff, employee_id=emp.pk, end_date="2025-09-10")  # insured through August
        d = services.dispute_raise(actor=staff, employee_id=emp.pk, period=M, claimed_wage="20000", reason="多报")
        services.dispute_resolve(actor=staff, dispute_id=d.pk, corrected_wage="20000")
        cycle = services.month_compute(actor=staff, period="2025-09")
        lines = ContributionLine.objects.filter(period="2025-09")
        assert not lines.filter(employee=emp, source=LineSource.REGULAR).exists()
        assert lines.filter(employee=emp).count() == 5
        people = set(lines.values_list("employee_id", flat=True))
        statement = FeeStatement.objects.get(period="2025-09", client=staffed["client"])
    assert len(people) == 3 and cycle.employee_count == statement.employee_count == 3


def test_line_ids_come_from_a_cached_sequence_in_every_branch():
    # Migration 0017: a month's first compute takes one id per line; cached, `nextval` does not
    # write the sequence's page for each of them. Branch schemas are created from the migrated
    # template, so every branch has it.
    with connection.cursor() as cur:
        cur.execute("SELECT t.table_schema, s.cache_size FROM information_schema.tables t "
                    "JOIN pg_sequences s ON format('%I.%I', s.schemaname, s.sequencename) = pg_get_serial_sequence("
                    "format('%I.%I', t.table_schema, t.table_name), 'id') "
                    "WHERE t.table_name = 'social_insurance_contributionline' ORDER BY 1")
        caches = dict(cur.fetchall())
    assert {"br_bj", "br_sh"} <= set(caches), caches
    assert set(caches.values()) == {1000}
