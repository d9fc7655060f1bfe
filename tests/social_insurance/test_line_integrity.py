"""The database's own guards on contribution lines (statement-level triggers standing in for
foreign keys): a line must point at an existing employee, client, corrected line and dispute; a
filed month's lines cannot be written, changed or moved; referenced rows cannot be deleted."""
from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from social_insurance import services
from social_insurance.models import ContributionLine
from tests.conftest import in_branch

from .helpers import add_employee, make_client, open_month_partitions

pytestmark = pytest.mark.django_db
M = "2025-08"
LINE_INSERT = """
INSERT INTO social_insurance_contributionline
    (period, for_period, employee_id, client_id, kind, source, policy_id, wage, base, employer_percent,
     employee_percent, employer_precise, employee_precise, employer_amount, employee_amount, corrects_id,
     dispute_id, computed_at)
VALUES (%(period)s, %(for_period)s, %(employee)s, %(client)s, 'pension', %(source)s, 1, 10000, 10000, 16, 8,
        1600, 800, 1600, 800, %(corrects)s, %(dispute)s, now())
"""


@pytest.fixture
def month(staff):
    """August computed in bj for one person; another starts in September (no August lines)."""
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
        emp = add_employee(client, 1, "10000", "2025-01-01", actor=staff)
        later = add_employee(client, 2, "10000", "2025-09-01", actor=staff)
        services.month_compute(actor=staff, period=M)
        for period in ("2025-09", "2025-10"):  # the months the raw inserts below write into
            open_month_partitions(period)
        return {"client": client, "emp": emp, "later": later,
                "line": ContributionLine.objects.filter(period=M, kind="pension").get()}


def sqlstate_of(sql: str, params: dict | None = None) -> tuple[str, str]:
    """Run sql in a savepoint; return (SQLSTATE, message) of the error it must raise."""
    with pytest.raises(DatabaseError) as exc, transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
    cause = exc.value.__cause__
    return cause.pgcode, str(cause)


def line(month, **over):
    values = {"period": "2025-09", "for_period": "2025-09", "employee": month["emp"].pk, "client": month["client"].pk,
              "source": "regular", "corrects": None, "dispute": None}
    values.update(over)
    return values


@pytest.mark.parametrize("over, message", [
    ({"employee": 999999}, "missing insured employee"),
    ({"client": 999999}, "missing client"),
    ({"source": "back_pay", "for_period": M, "corrects": 999999}, "corrects a missing line"),
    ({"dispute": 999999}, "missing dispute"),
])
def test_a_line_pointing_at_nothing_is_refused(month, over, message):
    with in_branch("bj"):
        before = ContributionLine.objects.count()
        code, text = sqlstate_of(LINE_INSERT, line(month, **over))
        assert code == "23503" and message in text
        assert ContributionLine.objects.count() == before


def test_good_lines_pass_and_an_update_is_checked_too(month):
    with in_branch("bj"):
        with connection.cursor() as cur:
            cur.execute(LINE_INSERT, line(month, source="back_pay", for_period=M, corrects=month["line"].pk))
            cur.execute("INSERT INTO social_insurance_contributionline SELECT * FROM social_insurance_contributionline "
                        "WHERE false")  # a statement that writes nothing passes
        assert ContributionLine.objects.filter(period="2025-09", corrects=month["line"]).count() == 1
        code, text = sqlstate_of("UPDATE social_insurance_contributionline SET employee_id = 999999 WHERE period = '2025-09'")
        assert code == "23503" and "missing insured employee" in text


def test_referenced_rows_cannot_be_deleted(month):
    with in_branch("bj"):
        code, _ = sqlstate_of("DELETE FROM social_insurance_insuredemployee WHERE id = %(id)s", {"id": month["emp"].pk})
        assert code == "23503"
        code, _ = sqlstate_of("DELETE FROM clients_client WHERE id = %(id)s", {"id": month["client"].pk})
        assert code == "23503"


def test_a_filed_month_cannot_be_written_changed_or_left(month, staff):
    with in_branch("bj"):
        services.month_reconcile(actor=staff, period=M)
        services.month_file(actor=staff, period=M, receipt_no="BJ-1")
        code, text = sqlstate_of(LINE_INSERT, line(month, period=M, for_period=M, employee=month["later"].pk))
        assert code == "23000" and "cannot be written" in text
        # Moving a filed line into an open month: the new month is open, the old one is not.
        code, text = sqlstate_of("UPDATE social_insurance_contributionline SET period = '2025-10', for_period = '2025-10' "
                                 "WHERE period = %(p)s", {"p": M})
        assert code == "23000" and "cannot be changed" in text
        assert ContributionLine.objects.filter(period=M).count() == 5
