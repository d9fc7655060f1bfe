"""The throw-away branches of tests that need committed data (tests/conftest.py): a branch's
schema is emptied when its test ends and is the next such branch's schema, as if just copied
from the template — no row of the earlier test left, ids starting over."""
from __future__ import annotations

from django.db import connection
from django_tenants.utils import schema_context

from tests.conftest import _committed_branch
from tests.factories import make_user


def _rows_and_sequences(schema: str) -> tuple[dict[str, int], dict[str, int | None]]:
    with connection.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename <> 'django_migrations'",
                    [schema])
        tables = [name for (name,) in cur.fetchall()]
        counts = {}
        for name in tables:
            cur.execute(f'SELECT count(*) FROM "{schema}"."{name}"')
            counts[name] = cur.fetchone()[0]
        cur.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %s "
                    "AND sequencename <> 'django_migrations_id_seq'", [schema])
        return counts, dict(cur.fetchall())


def test_a_committed_branchs_schema_is_emptied_and_serves_the_next_one(django_db_setup, django_db_blocker):
    from clients.models import Client
    from social_insurance.models import InsuredEmployee

    spares: list[str] = []
    try:
        with _committed_branch(django_db_blocker, spares) as first:
            with django_db_blocker.unblock():
                seller = make_user(None, (first.code, "specialist"), home=first.code)
                with schema_context(first.schema_name):
                    client = Client.objects.create(name="客户甲", headcount=3, opened_on="2025-01-03",
                                                   opened_by=seller, services=["social_insurance"])
                    Client.objects.create(name="客户乙", headcount=3, opened_on="2025-01-03", opened_by=seller)
                    InsuredEmployee.objects.create(
                        client=client, name="员工甲", id_number_encrypted="x", id_number_hash="h" * 64,
                        id_number_masked="110***********0001", insured_city="beijing", contract_city="beijing",
                        payroll_city="beijing", wage="8000.00", start_date="2025-01-01")
                counts, _ = _rows_and_sequences(first.schema_name)
                assert counts["clients_client"] == 2 and counts["social_insurance_insuredemployee"] == 1

        assert len(spares) == 1
        with django_db_blocker.unblock():
            counts, sequences = _rows_and_sequences(spares[0])
        assert len(counts) > 50 and set(counts.values()) == {0}
        assert len(sequences) > 50 and set(sequences.values()) == {None}  # as new: the next id is the first

        with _committed_branch(django_db_blocker, spares) as second:
            assert spares == []  # the spare was taken
            with django_db_blocker.unblock():
                seller = make_user(None, (second.code, "specialist"), home=second.code)
                with schema_context(second.schema_name):
                    assert Client.objects.count() == 0
                    again = Client.objects.create(name="客户丙", headcount=3, opened_on="2025-01-03", opened_by=seller)
                    assert again.pk == 1
    finally:
        with django_db_blocker.unblock(), connection.cursor() as cur:
            for schema in spares:
                cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
