"""A form posted with far more text than any field takes (~10 MB pasted into a note): Django
refuses the body before any view reads it (DATA_UPLOAD_MAX_MEMORY_SIZE → RequestDataTooBig, a
400). The person gets the product's own page — its layout and menu, in their language — saying
that nothing was saved and to go back. Nothing is written."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client as WebClient

from clients.models import Client as Company
from social_insurance.models import ClientContact, FeeStatement
from tests.conftest import in_branch
from tests.factories import make_user
from tests.social_insurance.helpers import add_employee, make_client

pytestmark = pytest.mark.django_db
PASTE = "长" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 3 + 10)  # over the limit once UTF-8 and %-encoded


def _web(user, *, language: str | None = None) -> WebClient:
    c = WebClient(enforce_csrf_checks=True)  # as a browser: the CSRF check is what reads the form first
    c.force_login(user)
    if language:
        c.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return c


def _post(client: WebClient, url: str, **fields):
    client.get(url)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    body = urlencode({"csrfmiddlewaretoken": token, **fields})
    return client.post(url, body, content_type="application/x-www-form-urlencoded",
                       HTTP_REFERER=f"http://testserver{url}")


@pytest.fixture
def statement(branches):
    staff = make_user("bj_staff", ("bj", "branch_staff"), home="bj")
    contact = make_user("jia_contact", ("bj", "client_contact"), home="bj")
    with in_branch("bj"):
        from social_insurance import services

        client = make_client("北京甲公司", staff)
        ClientContact.objects.create(user=contact, client=client)
        add_employee(client, 1, "12000", "2025-06-01", actor=staff)
        services.month_compute(actor=staff, period="2025-08")
        return FeeStatement.objects.get(period="2025-08", client=client), contact


def test_a_pasted_document_in_the_clients_dispute_note_gets_the_products_400_page(statement):
    stmt, contact = statement
    url = f"/b/bj/si/statements/{stmt.pk}/"
    resp = _post(_web(contact), url, decision="dispute", note=PASTE)

    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'data-testid="bad-request"' in html and 'data-testid="topbar"' in html
    assert "提交的内容过大或格式有误,未保存任何内容。" in html
    assert f'href="http://testserver{url}"' in html and "返回上一页" in html  # back to the form
    assert "Bad Request" not in html
    with in_branch("bj"):
        assert FeeStatement.objects.get(pk=stmt.pk).status == "issued"


def test_the_400_page_reads_in_english_for_an_english_reader(statement, branches):
    manager = make_user("gz_manager", ("gz", "branch_manager"), home="gz")
    resp = _post(_web(manager, language="en"), "/b/gz/clients/new/", name=PASTE, headcount="30")

    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'lang="en"' in html and 'data-testid="side-menu"' in html
    assert "The submission was too large or malformed; nothing was saved." in html
    assert "Go back" in html
    with in_branch("gz"):
        assert not Company.objects.exists()

