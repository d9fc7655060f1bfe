"""Per-city settings change the add/remove months; policy metadata stays editable and audited."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from social_insurance import services
from social_insurance.models import ContributionLine, StaffChange
from social_insurance.policies import services as policy_services
from social_insurance.policies.models import CityPolicy, CitySetting
from social_insurance.policies.selectors import city_settings
from tests.conftest import in_branch
from tests.factories import make_user

from .helpers import add_employee, make_client

pytestmark = pytest.mark.django_db


def test_defaults_without_a_row():
    rules = city_settings("beijing")
    assert (rules.add_cutoff_day, rules.remove_covers_leaving_month, rules.back_payment_months_limit,
            rules.reconcile_day, rules.file_day) == (None, False, 3, 5, 10)


def test_cut_off_day_and_leaving_month_setting(branches, hq_admin):
    staff = make_user("bj_staff", ("bj", "branch_staff"), home="bj")
    policy_services.city_setting_update(actor=hq_admin, city="beijing", add_cutoff_day=15,
                                        remove_covers_leaving_month=True)
    assert CitySetting.history.filter(city="beijing").first().history_user_id == hq_admin.pk
    with in_branch("bj"):
        c = make_client("甲", staff)
        late = add_employee(c, 1, "10000", "2025-08-20", actor=staff)
        leaver = add_employee(c, 2, "10000", "2025-01-01", "2025-08-15", actor=staff)
        services.month_compute(actor=staff, period="2025-08")
        services.month_compute(actor=staff, period="2025-09")

        assert not ContributionLine.objects.filter(employee=late, period="2025-08").exists()
        assert ContributionLine.objects.filter(employee=late, period="2025-09").count() == 5
        assert ContributionLine.objects.filter(employee=leaver, period="2025-08").count() == 5
        assert not ContributionLine.objects.filter(employee=leaver, period="2025-09").exists()
        assert sorted(StaffChange.objects.values_list("period", "kind", "employee_id")) == [
            ("2025-09", "add", late.pk), ("2025-09", "remove", leaver.pk)]


@pytest.mark.parametrize("values, field", [
    ({"add_cutoff_day": 32}, "add_cutoff_day"), ({"file_day": 0}, "file_day"),
    ({"back_payment_months_limit": 61}, "back_payment_months_limit"),
])
def test_bad_settings_are_refused(hq_admin, values, field):
    with pytest.raises(ValidationError) as exc:
        policy_services.city_setting_update(actor=hq_admin, city="beijing", **values)
    assert field in exc.value.message_dict
    assert not CitySetting.objects.exists()


def test_metadata_of_a_policy_is_editable_and_audited(hq_admin):
    policy = CityPolicy.objects.get(city="guangzhou", year_label="2025年度")
    policy_services.policy_metadata_update(actor=hq_admin, policy_id=policy.pk, confidence="medium",
                                           sources=policy.sources + ["广州市人社局通知(核实)"])
    record = CityPolicy.history.filter(id=policy.pk).latest("history_date")
    assert record.history_user_id == hq_admin.pk and record.confidence == "medium"
