"""`manage.py migrate` leaves a database ready (public tenant included) and is safe to re-run."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from branches.models import Branch

pytestmark = pytest.mark.django_db


def test_migrate_again_applies_nothing_and_keeps_the_public_tenant(branches):
    out = io.StringIO()
    call_command("migrate", interactive=False, stdout=out, verbosity=1)

    text = out.getvalue()
    assert "Applying" not in text
    assert Branch.objects.filter(schema_name="public").count() == 1
    assert set(Branch.objects.exclude(schema_name="public").values_list("code", flat=True)) >= {"bj", "sh", "gz"}


def test_no_model_changes_without_migrations():
    out = io.StringIO()
    call_command("makemigrations", check=True, dry_run=True, stdout=out)
