"""The order in which pytest-xdist hands out the suite's groups: the longest first.

`--dist loadgroup` orders groups by their number of tests, so a group of one long test (the API
fuzzer, a worker killed mid-recompute, a PostgreSQL restart: 15–50 s each) is handed out last
and runs alone at the end while the other workers have nothing left: the run's last minute on
two cores. Here each group is expected to take what it took in a recorded run
(`tests/durations.json`, seconds per group), a group the record does not know the record's mean
seconds per test times its number of tests; groups are handed out longest first (the classic
longest-processing-time rule), so that the short ones fill the end. The group of tests that need
no database stays first: one worker runs it while another builds the run's test database
(tests/conftest.py). A stale record only makes the order less good, never a test skipped.

Refresh the record after a change that moves a lot of time: `STORE_TEST_DURATIONS=1 bash
scripts/test.sh` writes it at the end of a passing run.
"""
from __future__ import annotations

import json
import os
from collections import OrderedDict, defaultdict
from pathlib import Path

import pytest

DURATIONS_FILE = Path(__file__).resolve().parent / "durations.json"
FIRST = "no-database"


def group_of(nodeid: str) -> str:
    """The group of an xdist node id (`path::test@group`), as LoadGroupScheduling splits it."""
    if nodeid.rfind("@") > nodeid.rfind("]"):
        return nodeid.split("@")[-1]
    return nodeid


def expected_seconds(groups: dict[str, int], record: dict[str, float]) -> dict[str, float]:
    """Seconds each group is expected to take: as recorded, else the record's mean per test."""
    known = [g for g in groups if g in record]
    per_test = (sum(record[g] for g in known) / sum(groups[g] for g in known)) if known else 1.0
    return {g: record.get(g, per_test * n) for g, n in groups.items()}


def hand_out_order(groups: dict[str, int], record: dict[str, float]) -> list[str]:
    """Groups (name → number of tests) in the order they are handed out."""
    seconds = expected_seconds(groups, record)
    # Ties (and a missing record) fall back to xdist's own order: more tests first, then name.
    order = sorted(groups, key=lambda g: (g != FIRST, -seconds[g], -groups[g], g))
    return order


def read_record() -> dict[str, float]:
    try:
        data = json.loads(DURATIONS_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, (int, float))}


def make_scheduler(config, log):
    from xdist.scheduler import LoadGroupScheduling

    class LongestFirst(LoadGroupScheduling):
        """LoadGroupScheduling with its work queue ordered by `hand_out_order`."""

        def schedule(self) -> None:
            if self.collection is None and self.collection_is_completed and self._check_nodes_have_same_collection():
                collection = list(next(iter(self.registered_collections.values())))
                units: dict[str, dict[str, bool]] = {}
                for nodeid in collection:
                    units.setdefault(self._split_scope(nodeid), {})[nodeid] = False
                order = hand_out_order({g: len(ids) for g, ids in units.items()}, read_record())
                # The parent's schedule() builds its queue from `self.collection` when it is None,
                # so it is built here instead and the parent only hands it out.
                self.collection = collection
                self.workqueue = OrderedDict((g, units[g]) for g in order)
                if not self.workqueue:
                    return
                extra_nodes = len(self.nodes) - len(self.workqueue)
                for _ in range(max(0, extra_nodes)):
                    unused_node, _assigned = self.assigned_work.popitem()
                    unused_node.shutdown()
                for node in self.nodes:
                    self._assign_work_unit(node)
                for node in self.nodes:
                    self._reschedule(node)
                if not self.workqueue:
                    for node in self.nodes:
                        node.shutdown()
                return
            super().schedule()

    return LongestFirst(config, log)


class DurationRecorder:
    """On the controller: seconds per group (setup, call and teardown), written to the record
    when the run passed and STORE_TEST_DURATIONS is set."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report) -> None:
        self.seconds[group_of(report.nodeid)] += report.duration

    def pytest_sessionfinish(self, session, exitstatus) -> None:
        if exitstatus == 0 and self.seconds:
            DURATIONS_FILE.write_text(json.dumps({g: round(s, 1) for g, s in sorted(self.seconds.items())},
                                                 ensure_ascii=False, indent=0) + "\n", encoding="utf-8")


def register(config) -> None:
    """Called from tests/conftest.py's pytest_configure on the controller."""
    if os.environ.get("STORE_TEST_DURATIONS") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(DurationRecorder(), "hrsaas-test-durations")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadgroup":
        return None
    return make_scheduler(config, log)
