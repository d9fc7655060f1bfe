"""A plan's replay reads one snapshot: committed data (no test transaction), since inside a
transaction already the replay reads in that one (hrsaas.core.snapshot)."""
from __future__ import annotations

from decimal import Decimal as D

from commissions.planning import engine as E
from commissions.planning import selectors


def test_a_replay_reads_one_snapshot_whatever_commits_meanwhile(committed_branch, monkeypatch):
    """A sale committed by someone else after the replay has begun (here: right after it read
    which branches give lines) is not half in it: every statement of the replay sees the database
    as of its first; the next replay has the sale."""
    import threading

    from django.db import connection

    from clients.models import Client
    from commissions.models import Sale
    from tests.factories import make_user

    code, schema = committed_branch.code, committed_branch.schema_name
    seller = make_user(f"{code}_snap", (code, "specialist"), home=code)

    def sale(amount: str):
        with in_branch_schema(schema):
            client = Client.objects.create(name=f"快照客户{amount}", headcount=30, opened_on="2025-01-03",
                                           opened_by=seller, services=["social_insurance"])
            Sale.objects.create(client=client, client_opened_on=client.opened_on, service="social_insurance",
                                period="2025-07", amount=amount, seller=seller)

    sale("100000.00")
    draft = E.AdjustmentDraftData(committed_branch.id, "sales_commission", D("10"))
    total = lambda rows: sum((r.current for r in rows if r.earner_id == seller.pk), D(0))  # noqa: E731
    before = selectors.replay_rows(draft=draft, periods=["2025-07"], branches=[committed_branch])
    assert total(before) == D("2000.00")

    original = selectors.line_sources

    def then_someone_commits(branches):
        found = original(branches)
        other = threading.Thread(target=lambda: (sale("50000.00"), connection.close()))
        other.start()
        other.join()
        return found

    monkeypatch.setattr(selectors, "line_sources", then_someone_commits)
    during = selectors.replay_rows(draft=draft, periods=["2025-07"], branches=[committed_branch])
    monkeypatch.setattr(selectors, "line_sources", original)
    after = selectors.replay_rows(draft=draft, periods=["2025-07"], branches=[committed_branch])
    assert total(during) == D("2000.00")
    assert total(after) == D("3000.00")


def in_branch_schema(schema: str):
    from django_tenants.utils import schema_context

    return schema_context(schema)
