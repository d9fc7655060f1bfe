"""Two versions of one city's policy may not overlap in time (database trigger)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from social_insurance.policies.models import CityPolicy

pytestmark = pytest.mark.django_db


def _copy(policy, **changes):
    fields = {f.name: getattr(policy, f.name) for f in CityPolicy._meta.concrete_fields
              if f.name not in ("id", "locked_at")} | changes
    return CityPolicy(**fields)


def test_an_overlapping_version_is_refused_and_an_adjacent_one_accepted():
    latest = CityPolicy.objects.filter(city="beijing").order_by("-effective_from").first()
    assert latest is not None and latest.effective_to is not None

    with pytest.raises(IntegrityError, match="overlaps another version"), transaction.atomic():
        _copy(latest, year_label="重叠年度", effective_from=latest.effective_to, effective_to=None).save()

    after = latest.effective_to + dt.timedelta(days=1)
    _copy(latest, year_label="下一年度", effective_from=after, effective_to=None).save()
    assert CityPolicy.objects.filter(city="beijing", effective_from=after).count() == 1
    # another city's dates never conflict with Beijing's
    other = CityPolicy.objects.exclude(city="beijing").first()
    _copy(other, city="nowhere", name="测试", year_label="x", effective_from=latest.effective_from,
          effective_to=latest.effective_to).save()
