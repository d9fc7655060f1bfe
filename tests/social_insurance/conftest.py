"""Fixtures shared by the social-insurance tests."""
from __future__ import annotations

import pytest

from tests.factories import make_user


@pytest.fixture
def staff(branches):
    """Operations staff of the Beijing branch (bj)."""
    return make_user("bj_staff", ("bj", "branch_staff"), home="bj")
