"""Test data factories shared by every app's tests."""
from __future__ import annotations

import itertools

import factory
from django.db import connection

from branches.models import Branch, BranchMembership, User

_seq = itertools.count(1)

TEST_PASSWORD = "Pa55-word-for-tests"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username)
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


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
