"""Identity numbers recovered from their masks (issue #23). The attack: the list shows
110***********1234; about 140 valid numbers fit it; the all-or-nothing SI employee import said
which row collided with an existing person, so one upload of the candidates named the real
number, with nothing written. The decision is in `social_insurance.services.employees_import`:
an overlap with existing records refuses the whole file with one message that names no row."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from social_insurance import engine
from social_insurance.models import InsuredEmployee
from social_insurance.services import OVERLAP_MESSAGE
from tests.conftest import in_branch
from tests.factories import make_user
from tests.social_insurance.helpers import add_employee, idn, make_client

pytestmark = pytest.mark.django_db
URL = "/b/bj/api/v1/si/employees/import/"
HEADER = "客户编号,姓名,身份证号,参保地,工资,参保开始\n"


@pytest.fixture
def world(branches):
    colleague = make_user("ido_staff", ("bj", "branch_staff"), home="bj")
    uploader = make_user("ido_uploader", ("bj", "branch_staff"), home="bj")
    with in_branch("bj"):
        company = make_client("北京甲公司", colleague)
        real = add_employee(company, 7, "9000", "2025-01-01", actor=colleague, name="王五")
        known = add_employee(company, 8, "9000", "2025-01-01", actor=uploader, name="赵六")
    real_number = idn(7)
    assert real.id_number_masked == engine.mask_identity(real_number)
    return {"uploader": uploader, "company": company, "real": real_number, "known": idn(8)}


def _candidates(real: str, count: int = 140) -> list[str]:
    """Valid numbers with the same mask as `real` (same region prefix and last four): the birth
    dates hidden by the mask are what an attacker varies."""
    out, day = [], dt.date(1960, 1, 1)
    while len(out) < count:
        number = idn(7, born=day.strftime("%Y%m%d"))
        if engine.mask_identity(number) == engine.mask_identity(real) and number != real:
            out.append(number)
        day += dt.timedelta(days=1)
    return out


def _upload(api, user, company, numbers, *, bad_row=False):
    rows = [f"{company.pk},王五,{n},beijing,9000,2025-03-01" for n in numbers]
    if bad_row:
        rows.append(f"{company.pk},错行,{idn(99)},beijing,abc,2025-03-01")
    content = (HEADER + "\n".join(rows) + "\n").encode("utf-8")
    resp = api(user).post(URL, {"file": SimpleUploadedFile("probe.csv", content)}, format="multipart")
    return resp.status_code, resp.json()


def _count():
    with in_branch("bj"):
        return InsuredEmployee.objects.count()


def test_uploading_the_numbers_that_fit_a_mask_does_not_tell_which_is_real(api, world):
    candidates = _candidates(world["real"])
    assert len(candidates) == 140
    before = _count()

    answers = []
    for position in (0, 57, 139):  # the real number anywhere in the file
        numbers = candidates[:position] + [world["real"]] + candidates[position:]
        answers.append(_upload(api, world["uploader"], world["company"], numbers))

    status, body = answers[0]
    assert status == 400
    assert body["errors"] == [{"row": 0, "field": "id_number", "message": OVERLAP_MESSAGE}]
    assert answers == [answers[0]] * 3, "the answer may not depend on where the real number is"
    assert world["real"] not in str(answers) and "第" not in OVERLAP_MESSAGE
    assert _count() == before


def test_a_file_made_sure_to_be_refused_says_nothing_about_the_rest(api, world):
    """Halving the candidates behind a known collision (or a bad row), so that nothing is ever
    written: the answer is the same whether the real number is in the half or not."""
    candidates = _candidates(world["real"], 21)
    before = _count()

    with_real = [world["known"]] + candidates[:10] + [world["real"]]
    without_real = [world["known"]] + candidates[10:]  # the same number of rows
    assert _upload(api, world["uploader"], world["company"], with_real) == \
        _upload(api, world["uploader"], world["company"], without_real)

    bad_with = _upload(api, world["uploader"], world["company"], candidates[:10] + [world["real"]], bad_row=True)
    bad_without = _upload(api, world["uploader"], world["company"], candidates[10:], bad_row=True)
    assert bad_with[0] == bad_without[0] == 400
    assert [e["field"] for e in bad_with[1]["errors"]] == ["wage"]  # only the bad row is reported
    assert bad_with == bad_without
    assert _count() == before


def test_duplicates_inside_the_file_are_still_reported_by_row(api, world):
    status, body = _upload(api, world["uploader"], world["company"], [idn(20), idn(21), idn(20)])

    assert status == 400
    assert body["errors"] == [{"row": 4, "field": "id_number", "message": "与第 2 行身份证号重复。"}]
