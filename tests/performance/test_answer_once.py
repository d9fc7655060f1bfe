"""One answer per person per survey, one review per reviewer and person per cycle — when the
same person's requests arrive at once (committed data, one connection per request). Each passed
the "already answered?" check before the other had committed, and the second insert met the
unique constraint: an IntegrityError, a 500. The database keeps one row; every other request gets
the check's own 400."""
from __future__ import annotations

import threading
import time

from django.db import connection, transaction
from django.db.models.signals import post_save
from django_tenants.utils import schema_context

from tests.factories import make_user


def _org(branch):
    """Two departments of a committed branch, a member in each, a month's cycle and a survey
    about the second department."""
    from performance import services

    hr = make_user(None, (branch.code, "branch_staff"))
    asker, asked = make_user(None, (branch.code, "specialist")), make_user(None, (branch.code, "specialist"))
    with schema_context(branch.schema_name):
        si = services.department_create(actor=hr, code="si", name="社保部")
        cs = services.department_create(actor=hr, code="cs", name="客服部")
        services.member_set(actor=hr, department=si, user=asker)
        services.member_set(actor=hr, department=cs, user=asked)
        cycle = services.cycle_create(actor=hr, period="2026-03")
        survey = services.survey_create(actor=hr, cycle=cycle, target_department=cs, title="客服满意度")
    return asker, asked, cycle, survey


def _at_once(branch, n: int, call) -> list[str]:
    """`call()` in n threads started together, each in its own transaction held open for a moment
    after the call, so that every check runs before any row is committed."""
    from django.core.exceptions import ValidationError

    barrier, outcomes = threading.Barrier(n), []

    def one():
        try:
            with schema_context(branch.schema_name), transaction.atomic():
                barrier.wait()
                call()
                time.sleep(0.4)
            outcomes.append("stored")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        except Exception as exc:  # the old outcome: IntegrityError
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(outcomes)


def test_the_same_persons_survey_answers_at_once_keep_one_and_refuse_the_rest(committed_branch):
    from performance import services
    from performance.models import SurveyAnswer

    asker, _asked, _cycle, survey = _org(committed_branch)
    outcomes = _at_once(committed_branch, 3, lambda: services.survey_answer(actor=asker, survey=survey, answer="满意"))
    assert outcomes == ["stored", "您已回答过该调查。", "您已回答过该调查。"]
    with schema_context(committed_branch.schema_name):
        assert SurveyAnswer.objects.filter(survey=survey, respondent_id=asker.pk).count() == 1


def test_the_same_reviewers_reviews_of_one_person_at_once_keep_one(committed_branch):
    from performance import services
    from performance.models import Review

    asker, asked, cycle, _survey = _org(committed_branch)
    outcomes = _at_once(committed_branch, 2, lambda: services.review_create(actor=asker, cycle=cycle, subject=asked,
                                                                            points="8"))
    assert outcomes == ["stored", "您已评价过此人。"]
    with schema_context(committed_branch.schema_name):
        assert Review.objects.filter(cycle=cycle, subject_id=asked.pk).count() == 1


def test_eight_answers_sent_at_once_through_the_api_are_one_201_and_seven_400s(committed_branch):
    from rest_framework.test import APIClient

    from performance.models import SurveyAnswer

    asker, _asked, _cycle, survey = _org(committed_branch)
    url = f"/b/{committed_branch.code}/api/v1/performance/surveys/{survey.pk}/answers/"
    barrier, answers = threading.Barrier(8), []

    def slow_commit(sender, **kwargs):  # the first insert stays uncommitted while the others check
        time.sleep(0.4)

    def send():
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(asker)
        try:
            barrier.wait()
            r = client.post(url, {"answer": "满意"}, format="json")
            answers.append((r.status_code, r.json()))
        finally:
            connection.close()

    post_save.connect(slow_commit, sender=SurveyAnswer, dispatch_uid="slow-answer-commit")
    try:
        threads = [threading.Thread(target=send) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        post_save.disconnect(dispatch_uid="slow-answer-commit", sender=SurveyAnswer)
    assert sorted(code for code, _body in answers) == [201] + [400] * 7, answers
    assert all(body == {"answer": ["您已回答过该调查。"]} for code, body in answers if code == 400)
    with schema_context(committed_branch.schema_name):
        assert SurveyAnswer.objects.filter(survey=survey, respondent_id=asker.pk).count() == 1
