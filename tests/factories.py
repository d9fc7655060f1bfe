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
    home_branch = Branch.objects.get(code=home) if home else None
    user = UserFactory(username=username, home_branch=home_branch, is_superuser=superuser, is_staff=superuser)
    for code, role in roles:
        branch = Branch.objects.get(code=code) if code else None
        BranchMembership.objects.create(user=user, branch=branch, role=role)
    return user
