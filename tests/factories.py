"""Test data factories shared by every app's tests."""
from __future__ import annotations

import functools
import itertools

import factory
from django.contrib.auth.hashers import make_password
from django.db import connection

from branches.models import Branch, BranchMembership, User

_seq = itertools.count(1)

TEST_PASSWORD = "Pa55-word-for-tests"


@functools.cache
def _test_password_hash() -> str:
    # One hash of TEST_PASSWORD for every test person (a new salt per person bought nothing):
    # stored with the INSERT, so a new person is one write, not a write and then a password
    # change (which also ends the person's devices and tokens: a new person has none). Test
    # people make up ~10 % of the suite's time otherwise (thousands per run).
    return make_password(TEST_PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username)
    password = factory.LazyFunction(_test_password_hash)


def make_user(username: str | None = None, *roles: tuple[str | None, str], home: str | None = None,
              superuser: bool = False) -> User:
    """A user with roles given as (branch code or None for HQ, role)."""
    username = username or f"u{next(_seq)}_{connection.schema_name}"
    user = UserFactory(username=username, home_branch_id=_branch_id(home) if home else None, is_superuser=superuser,
                       is_staff=superuser)
    for code, role in roles:
        BranchMembership.objects.create(user=user, branch_id=_branch_id(code) if code else None, role=role)
    return user


_SESSION_BRANCH_IDS: dict[tuple[str, str], int] = {}


def _branch_id(code: str) -> int:
    """The id of the branch `code`: the session's test branches (made once when the test database
    is, never removed before it is) are looked up once per database; any other branch each time,
    and an unknown code fails as `Branch.objects.get` does."""
    from tests.conftest import TEST_BRANCHES

    if code not in {c for c, _name, _city in TEST_BRANCHES}:
        return Branch.objects.values_list("pk", flat=True).get(code=code)
    key = (connection.settings_dict["NAME"], code)
    if key not in _SESSION_BRANCH_IDS:
        _SESSION_BRANCH_IDS[key] = Branch.objects.values_list("pk", flat=True).get(code=code)
    return _SESSION_BRANCH_IDS[key]
