"""Services that check "does it exist already?" and then insert a row that may exist only once:
when a concurrent twin has passed the same check (simulated here by a check that finds nothing,
as it does while the twin's row is uncommitted), the unique constraint refuses the insert and the
service answers with the check's own message — a 400, never an IntegrityError (500) — and the
caller's transaction stays usable."""
from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db.models.query import QuerySet

from tests.conftest import in_branch
from tests.factories import make_user
from tests.performance.conftest import BJ, indicator, org  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def blind_check(monkeypatch):
    """`blind_check(Model)`: every `.exists()` on Model's rows answers False, as the check of a
    request whose twin has inserted but not yet committed."""

    def blind(*models):
        real = QuerySet.exists
        monkeypatch.setattr(QuerySet, "exists", lambda qs: False if qs.model in models else real(qs))

    return blind


def _refused(call) -> dict:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


def test_a_second_answer_and_review_past_the_check_are_refused_in_words(org, blind_check):
    from performance import services
    from performance.models import Review, SurveyAnswer

    asker, asked = org.members["si"][0], org.members["cs"][0]
    with in_branch("bj"):
        cycle = services.cycle_create(actor=org.hr, period="2026-03")
        survey = services.survey_create(actor=org.hr, cycle=cycle, target_department=org.depts["cs"], title="满意度")
        services.survey_answer(actor=asker, survey=survey, answer="满意")
        services.review_create(actor=asker, cycle=cycle, subject=asked, points="8")
        blind_check(SurveyAnswer, Review)
        assert _refused(lambda: services.survey_answer(actor=asker, survey=survey, answer="一般")) == {
            "answer": ["您已回答过该调查。"]}
        assert _refused(lambda: services.review_create(actor=asker, cycle=cycle, subject=asked, points="3")) == {
            "subject": ["您已评价过此人。"]}
        # the transaction is still usable, and the first rows stand
        assert list(SurveyAnswer.objects.values_list("answer", flat=True)) == ["满意"]
        assert list(Review.objects.values_list("points", flat=True)) == [Decimal("8.00")]


def test_hr_creations_past_the_check_are_refused_in_words(api, org, blind_check):
    from performance import services
    from performance.models import AppraisalCycle, Department, KpiTemplate, Survey

    with in_branch("bj"):
        cycle = services.cycle_create(actor=org.hr, period="2026-03")
        services.survey_create(actor=org.hr, cycle=cycle, target_department=org.depts["cs"], title="满意度")
        blind_check(AppraisalCycle, Survey, Department, KpiTemplate)
        assert _refused(lambda: services.cycle_create(actor=org.hr, period="2026-03")) == {
            "period": ["该期间的考核周期已存在。"]}
        assert _refused(lambda: services.survey_create(actor=org.hr, cycle=cycle, target_department=org.depts["cs"],
                                                       title="又一份")) == {"target_department": ["本周期已有该部门的调查。"]}
        assert _refused(lambda: services.department_create(actor=org.hr, code="cs", name="客服二部")) == {
            "code": ["该编码已被使用。"]}
        assert (AppraisalCycle.objects.count(), Survey.objects.count()) == (1, 1)
    body = {"name": "客服部考核", "effective_from": "2026-01-01", "indicators": [indicator("q", "quality", 100, 90)]}
    hr = api(org.hr)
    assert hr.post(BJ + "templates/", {"code": "cs-kpi", "department": "cs", **body}, format="json").status_code == 201
    r = hr.post(BJ + "templates/", {"code": "cs-kpi", "department": "si", **body}, format="json")
    assert (r.status_code, r.json()) == (400, {"code": ["该编码已被使用。"]})
    r = hr.post(BJ + "templates/", {"code": "cs-kpi-2", "department": "cs", **body}, format="json")
    assert (r.status_code, r.json()) == (400, {"department": ["该部门(岗位)已有模板,请新增版本。"]})
    with in_branch("bj"):
        assert list(KpiTemplate.objects.values_list("code", flat=True)) == ["cs-kpi"]


def test_a_role_granted_twice_at_once_is_refused_in_words(branches, hq_admin, blind_check):
    from branches import services
    from branches.models import BranchMembership

    person = make_user("twice.granted", ("bj", "specialist"))
    blind_check(BranchMembership)
    assert _refused(lambda: services.membership_grant(actor=hq_admin, user=person, branch=branches["bj"],
                                                      role="specialist")) == {"role": ["该人员已有此角色。"]}
    assert BranchMembership.objects.filter(user=person).count() == 1


def test_the_parallel_run_signed_off_twice_at_once_is_refused_in_words(branches, hq_admin, blind_check, monkeypatch):
    from history import selectors, services
    from history.models import ParallelSignOff

    summary = {"months": [SimpleNamespace(period="2026-01")], "differences": 0, "rows_with_issues": 0,
               "people_differing": 0, "lines_compared": 10, "error_rate": Decimal("0.00")}
    monkeypatch.setattr(selectors, "parallel_summary", lambda: summary)
    with in_branch("bj"):
        services.parallel_sign_off(actor=hq_admin, note="一致")
        blind_check(ParallelSignOff)
        assert _refused(lambda: services.parallel_sign_off(actor=hq_admin, note="再签")) == {
            "detail": ["并行期已签字结束。"]}
        assert list(ParallelSignOff.objects.values_list("note", flat=True)) == ["一致"]
