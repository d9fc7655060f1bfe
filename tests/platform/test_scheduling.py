"""The suite's own hand-out order (tests/scheduling.py): the longest groups first, so that a long
group of one test never runs alone at the end of the run."""
from __future__ import annotations

from tests import scheduling


def test_the_group_without_database_first_then_the_longest_expected():
    groups = {"tests/a.py": 40, "tests/fuzz.py": 1, "no-database": 39, "tests/b.py": 3}
    record = {"tests/a.py": 20.0, "tests/fuzz.py": 45.0, "no-database": 24.0, "tests/b.py": 2.0}

    assert scheduling.hand_out_order(groups, record) == ["no-database", "tests/fuzz.py", "tests/a.py", "tests/b.py"]


def test_a_group_the_record_does_not_know_is_its_tests_at_the_records_mean():
    # known: 10 s over 5 tests → 2 s a test; the new group of 4 tests is expected to take 8 s
    groups = {"tests/old.py": 5, "tests/new.py": 4, "tests/short.py": 1}
    record = {"tests/old.py": 10.0, "tests/short.py": 9.0}

    assert scheduling.expected_seconds(groups, record)["tests/new.py"] == (10.0 + 9.0) / 6 * 4
    assert scheduling.hand_out_order(groups, record) == ["tests/new.py", "tests/old.py", "tests/short.py"]


def test_without_a_record_the_order_is_xdists_most_tests_first():
    groups = {"tests/small.py": 2, "tests/big.py": 30, "tests/mid.py": 7}

    assert scheduling.hand_out_order(groups, {}) == ["tests/big.py", "tests/mid.py", "tests/small.py"]


def test_the_record_names_groups_of_this_suite():
    record = scheduling.read_record()
    assert len(record) > 100 and all(seconds >= 0 for seconds in record.values())
    assert "no-database" in record and any(g.startswith("tests/browser#") for g in record)


def test_an_xdist_node_id_is_split_into_its_group_as_loadgroup_splits_it():
    assert scheduling.group_of("tests/a.py::test_x@tests/a.py") == "tests/a.py"
    assert scheduling.group_of("tests/b.py::test_y[a@b]") == "tests/b.py::test_y[a@b]"
    assert scheduling.group_of("tests/c.py::test_z[a@b]@tests/browser#1") == "tests/browser#1"
