"""What the social-insurance services say when they refuse: a month as people write it
(2025年8月 / August 2025), never its key "2025-08"; every message in the reader's language
(the English catalogue has them all), on the pages and through the API."""
from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation

from social_insurance import services
from social_insurance.models import ClientContact, FeeStatement
from tests.conftest import in_branch
from tests.factories import make_user

from .helpers import add_employee, file_month, make_client

pytestmark = pytest.mark.django_db
M = "2025-08"


@pytest.fixture
def filed(staff):
    """北京甲公司 with one person, its August computed, reconciled and filed."""
    with in_branch("bj"):
        client = make_client("北京甲公司", staff)
        add_employee(client, 1, "12000", "2025-06-01", actor=staff)
        file_month(staff, M)
    return client


def _refusal(call) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict["period"]


def test_a_filed_month_is_named_as_people_write_months(staff, filed):
    with in_branch("bj"):
        assert _refusal(lambda: services.month_compute(actor=staff, period=M)) == [
            "2025年8月已申报,不能重算;更正请走补缴/退费。"]
        assert _refusal(lambda: services.month_file(actor=staff, period=M, receipt_no="again")) == ["2025年8月已申报。"]
        with translation.override("en"):
            assert _refusal(lambda: services.month_compute(actor=staff, period=M)) == [
                "August 2025 is filed and cannot be computed again; correct it with a back payment or a refund."]
            assert _refusal(lambda: services.month_file(actor=staff, period=M, receipt_no="again")) == [
                "August 2025 is already filed."]


def test_the_api_refuses_in_the_readers_language(api, staff, filed):
    chinese = api(staff)
    assert chinese.post(f"/b/bj/api/v1/si/months/{M}/file/", {"receipt_no": "again"}, format="json").json() == {
        "period": ["2025年8月已申报。"]}
    english = api(staff)
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # what the language menu sets
    assert english.post(f"/b/bj/api/v1/si/months/{M}/file/", {"receipt_no": "again"}, format="json").json() == {
        "period": ["August 2025 is already filed."]}
    assert english.post("/b/bj/api/v1/si/months/2025-09/reconcile/", {}, format="json").json() == {
        "period": ["Compute the month first."]}


def test_a_client_disputing_without_a_reason_is_asked_for_one_in_their_language(api, staff, filed):
    contact = make_user("jia_contact", ("bj", "client_contact"), home="bj")
    with in_branch("bj"):
        ClientContact.objects.create(user=contact, client=filed)
        statement = FeeStatement.objects.get(period=M, client=filed)
    url = f"/b/bj/api/v1/si/statements/{statement.pk}/dispute/"
    assert api(contact).post(url, {"note": " "}, format="json").json() == {"note": ["提出异议时请说明原因。"]}
    english = api(contact)
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert english.post(url, {"note": ""}, format="json").json() == {"note": ["Give a reason when you dispute."]}
    assert english.post(f"/b/bj/api/v1/si/statements/{statement.pk}/confirm/", {}, format="json").status_code == 200
    assert english.post(f"/b/bj/api/v1/si/statements/{statement.pk}/confirm/", {}, format="json").json() == {
        "status": ["This fee statement has already been answered."]}
    with in_branch("bj"):
        assert FeeStatement.objects.get(pk=statement.pk).status == "confirmed"


def test_a_month_without_a_policy_names_the_city_and_the_month_not_their_keys(api, staff):
    r = api(staff).post("/b/bj/api/v1/si/contributions/preview/",
                        {"city": "beijing", "month": "2019-05", "wage": "12000.00"}, format="json")
    assert r.status_code == 400 and r.json() == {"month": ["北京在2019年5月没有适用的社保政策。"]}
