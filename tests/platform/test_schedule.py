"""Every beat entry names a task the worker knows, and every fan-out names a branch task the
worker knows: a typo here would fail silently at 2 a.m."""
from __future__ import annotations

from hrsaas.celery import app
from hrsaas.schedule import beat_schedule


def test_every_scheduled_task_exists():
    app.loader.import_default_modules()
    entries = beat_schedule()
    assert len(entries) >= 6
    for name, entry in entries.items():
        assert entry["task"] in app.tasks, name
        if entry["task"] == "branches.tasks.fan_out":
            assert entry["args"][0] in app.tasks, name
    fanned = {e["args"][0] for e in entries.values() if e.get("args")}
    assert "performance.tasks.recompute_computed_cycles" in fanned
    assert "commissions.tasks.alert_stuck_leads" in fanned
    assert "commissions.tasks.remind_unconfirmed_statements" in fanned
    assert "social_insurance.tasks.post_late_fees" in fanned
